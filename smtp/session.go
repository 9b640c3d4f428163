package smtp

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/netip"
)

// Backend creates a [Session] for every accepted connection.
//
// A Backend may also implement [LocalDomainBackend] (required by
// [ProfileMX] unless [Server.OpenRelay] is set) and [AuthBackend] (required
// by [ProfileSubmission]). The server checks these optional interfaces when
// it starts serving and returns an error, never a panic, when one is missing.
type Backend interface {
	// NewSession is called once per connection, after the TLS handshake for
	// implicit TLS and before the greeting. The *ConnInfo stays valid for the
	// life of the session; the server updates its fields (HELO name, TLS
	// state, authenticated identity) between calls into the session. A
	// returned *Error is sent as the greeting reply (for example 554 to refuse
	// a client) and the connection is closed; any other error becomes
	// 421 4.3.0.
	NewSession(ctx context.Context, c *ConnInfo) (Session, error)
}

// Session receives one connection's transactions. The server calls its
// methods sequentially, never concurrently.
//
// Errors returned by Mail, Rcpt and Data that are (or wrap) a *Error are
// sent to the client as they are; any other error becomes
// "451 4.3.0 Requested action aborted: local error in processing" and its
// text is only logged.
type Session interface {
	// Mail starts a transaction. from is the reverse-path without angle
	// brackets ("" for the null path <>).
	Mail(ctx context.Context, from string, opts *MailOptions) error
	// Rcpt adds a recipient (forward-path without angle brackets; the
	// special "Postmaster" is passed as is). The server has already applied
	// its relay policy.
	Rcpt(ctx context.Context, to string, opts *RcptOptions) error
	// Data reads the message. The reader yields the message with CRLF line
	// endings, dot-unstuffed, with the server's Received header field first.
	// Data must return nil only after the message is stored: the server
	// acknowledges the message with 250 only then. The reader returns an
	// error (wrapping a *Error) when the client's data violates a limit or
	// the line-ending policy; the server then replies on its own. r is
	// valid only until Data returns (the server reuses it).
	Data(ctx context.Context, r io.Reader) error
	// Reset aborts the current transaction (RSET, a new HELO/EHLO, STARTTLS,
	// the end of DATA or BDAT LAST, or a failed transaction).
	Reset(ctx context.Context)
	// Logout is called once when the connection ends.
	Logout(ctx context.Context) error
}

// LocalDomainBackend tells the server which recipient domains it is the
// final destination for. On [ProfileMX] the server refuses RCPT TO for
// other domains with 550 5.7.1 unless the client is allowed to relay.
type LocalDomainBackend interface {
	Backend
	// IsLocalDomain reports whether mail for domain (an ASCII or U-label
	// domain, lower case, or an address literal like "[192.0.2.1]") is
	// accepted for local delivery. An error becomes 451 4.3.0.
	IsLocalDomain(ctx context.Context, domain string) (bool, error)
}

// LMTPSession is implemented by sessions served with [ProfileLMTP]: LMTP
// (RFC 2033) answers DATA with one reply per accepted recipient.
type LMTPSession interface {
	Session
	// LMTPData reads the message like [Session.Data] and returns one result
	// per accepted recipient, in the order of their RCPT commands (nil
	// means delivered). A non-nil error applies to every recipient. Missing
	// results are treated as 451 4.3.0.
	LMTPData(ctx context.Context, r io.Reader) ([]error, error)
}

// QueueIDSession may be implemented by a session to name the queue id the
// server quotes in its 250 reply after a message was accepted
// ("250 2.0.0 Ok: queued as ID"). Without it the server uses the
// transaction id it put into the Received header.
type QueueIDSession interface {
	Session
	// QueueID is called right after Data or LMTPData returned nil.
	QueueID() string
}

// BodyType is the value of the MAIL BODY= parameter.
type BodyType string

// Body types (RFC 6152, RFC 3030).
const (
	Body7Bit       BodyType = "7BIT"
	Body8BitMIME   BodyType = "8BITMIME"
	BodyBinaryMIME BodyType = "BINARYMIME"
)

// DSNReturn is the value of the MAIL RET= parameter (RFC 3461).
type DSNReturn string

// RET values.
const (
	ReturnFull    DSNReturn = "FULL"
	ReturnHeaders DSNReturn = "HDRS"
)

// DSNNotify is one value of the RCPT NOTIFY= parameter (RFC 3461).
type DSNNotify string

// NOTIFY values.
const (
	NotifyNever   DSNNotify = "NEVER"
	NotifySuccess DSNNotify = "SUCCESS"
	NotifyFailure DSNNotify = "FAILURE"
	NotifyDelay   DSNNotify = "DELAY"
)

// MailOptions are the MAIL FROM parameters the server understood, validated
// against the extensions it advertised.
type MailOptions struct {
	// Size is the SIZE= estimate (RFC 1870), 0 when absent.
	Size int64
	// Body is BODY= (RFC 6152 / RFC 3030), "" when absent.
	Body BodyType
	// SMTPUTF8 is set when the client asked for RFC 6531 handling.
	SMTPUTF8 bool
	// RequireTLS is set for REQUIRETLS (RFC 8689); the server only accepts
	// it over TLS.
	RequireTLS bool
	// Return is RET= (RFC 3461), "" when absent.
	Return DSNReturn
	// EnvelopeID is ENVID= decoded from xtext, "" when absent.
	EnvelopeID string
	// Auth is the AUTH= mailbox (RFC 4954) decoded from xtext; "<>" when
	// the client said the identity is unknown, "" when absent.
	Auth string
}

// RcptOptions are the RCPT TO parameters the server understood.
type RcptOptions struct {
	// Notify is NOTIFY= (RFC 3461), nil when absent.
	Notify []DSNNotify
	// OriginalRecipientType and OriginalRecipient are ORCPT=type;addr
	// with the address decoded from xtext.
	OriginalRecipientType string
	OriginalRecipient     string // see OriginalRecipientType; empty without ORCPT
}

// ConnInfo describes a client connection. The server owns it and updates it
// between calls into the [Session]; a session may read it at any time from
// its own methods but must not modify it.
type ConnInfo struct {
	// LocalAddr and RemoteAddr are the socket's addresses (RemoteAddr may be
	// replaced by XCLIENT from a trusted proxy).
	LocalAddr, RemoteAddr net.Addr
	// RemoteIP is RemoteAddr's IP, unmapped ("" zero value if unknown).
	RemoteIP netip.Addr
	// RemoteName is the client's host name as set by XCLIENT NAME, if any.
	RemoteName string
	// Helo is the name the client gave in HELO/EHLO/LHLO, "" before.
	Helo string
	// ESMTP is true after EHLO or LHLO.
	ESMTP bool
	// TLS is non-nil once the connection is encrypted.
	TLS *tls.ConnectionState
	// AuthUser is the authenticated (authorization) identity after a
	// successful AUTH, "" before.
	AuthUser string
	// AuthMechanism is the SASL mechanism that authenticated AuthUser.
	AuthMechanism string
	// Profile is the server's profile.
	Profile Profile
}

// Protocol returns the RFC 3848 "with" keyword for this connection: SMTP,
// ESMTP, ESMTPS, ESMTPA, ESMTPSA, LMTP, LMTPS, LMTPA or LMTPSA.
func (c *ConnInfo) Protocol() string {
	p := "SMTP"
	if c.Profile == ProfileLMTP {
		p = "LMTP"
	} else if c.ESMTP {
		p = "ESMTP"
	}
	if p == "SMTP" {
		return p
	}
	if c.TLS != nil {
		p += "S"
	}
	if c.AuthUser != "" {
		p += "A"
	}
	return p
}
