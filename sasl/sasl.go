package sasl

import (
	"crypto/tls"
	"errors"
	"fmt"
)

// Mechanism names (RFC 4422 registry spelling).
const (
	Plain         = "PLAIN"
	Login         = "LOGIN"
	CRAMMD5       = "CRAM-MD5"
	SCRAMSHA1     = "SCRAM-SHA-1"
	SCRAMSHA1Plus = "SCRAM-SHA-1-PLUS"
	SCRAMSHA256   = "SCRAM-SHA-256"
	// SCRAMSHA256Plus is SCRAM-SHA-256 with tls-exporter channel binding.
	SCRAMSHA256Plus = "SCRAM-SHA-256-PLUS"
	XOAuth2         = "XOAUTH2"
	OAuthBearer     = "OAUTHBEARER"
	External        = "EXTERNAL"
	Anonymous       = "ANONYMOUS"
)

// Client is the client side of one SASL exchange.
//
// Start returns the mechanism name and the initial response: nil means the
// mechanism has none (wait for the server's first challenge), a non-nil
// empty slice means an empty initial response ("=" in SMTP and IMAP). A
// protocol client that cannot send an initial response sends it as the
// answer to the server's first, empty challenge instead; the clients of
// this package accept that.
//
// Next answers a (base64-decoded) server challenge.
//
// A returned response that carries a password or token (PLAIN, LOGIN's
// second answer, XOAUTH2, OAUTHBEARER) belongs to the caller, who should
// clear it with tlsutil.Wipe once it has been sent.
type Client interface {
	Start() (mech string, ir []byte, err error)
	Next(challenge []byte) (response []byte, err error)
}

// Server is the server side of one SASL exchange, driven by a protocol
// server: call Next(nil) first when the client sent no initial response
// (Next([]byte{}) for an empty one), send every returned challenge
// base64-encoded (334 in SMTP, "+" in IMAP and POP3), and pass each decoded
// answer to Next until done is true (success) or err is non-nil (failure).
// When done is true the challenge is always nil, so no protocol needs
// "success with additional data": mechanisms that have final server data
// (SCRAM's server signature) send it as one more challenge and expect an
// empty answer.
type Server interface {
	Next(response []byte) (challenge []byte, done bool, err error)
}

// Errors. Servers and clients wrap them with details; test with errors.Is.
var (
	// ErrBadCredentials: wrong or unknown user name, password, proof or
	// token (deliberately indistinguishable). SMTP 535 5.7.8.
	ErrBadCredentials = errors.New("sasl: authentication failed")
	// ErrMalformed: a message that does not follow the mechanism's
	// syntax. SMTP 501 5.5.2.
	ErrMalformed = errors.New("sasl: malformed message")
	// ErrTooWeak: a plaintext mechanism asked for on an unprotected
	// channel. SMTP 538 5.7.11 ("encryption required").
	ErrTooWeak = errors.New("sasl: mechanism not allowed without TLS")
	// ErrNotAuthorized: the authenticated identity may not act as the
	// requested authorization identity. SMTP 535 5.7.8.
	ErrNotAuthorized = errors.New("sasl: not authorized to use that identity")
	// ErrUnsupported: unknown or disabled mechanism. SMTP 504 5.5.4.
	ErrUnsupported = errors.New("sasl: mechanism not supported")
	// ErrChannelBinding: channel binding missing, mismatched or
	// downgraded. SMTP 535 5.7.8.
	ErrChannelBinding = errors.New("sasl: channel binding failure")
	// ErrUnexpected: Next called again after the exchange ended, or a
	// challenge the mechanism does not expect.
	ErrUnexpected = errors.New("sasl: unexpected step")
	// ErrAborted: the client cancelled the exchange ("*"); protocol servers
	// return it, this package never does. SMTP 501 5.0.0.
	ErrAborted = errors.New("sasl: exchange aborted by client")
	// ErrServerProof: a SCRAM server failed to prove it knows the
	// credentials (client side).
	ErrServerProof = errors.New("sasl: server signature invalid")
	// ErrUnknownUser is what a [Credentials] lookup returns for a user it
	// does not know; servers report it as ErrBadCredentials.
	ErrUnknownUser = errors.New("sasl: unknown user")
	// ErrTooLong: a response longer than Limits.MaxResponse.
	ErrTooLong = errors.New("sasl: response too long")
)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Identity is the outcome of a successful server exchange.
type Identity struct {
	// Mechanism used.
	Mechanism string
	// Username is the authentication identity (authcid) whose
	// credentials were checked, or the EXTERNAL identity. Empty for
	// ANONYMOUS.
	Username string
	// Authzid is the identity to act as: the requested authorization
	// identity if the client asked for one (and the Authorize hook agreed),
	// otherwise equal to Username.
	Authzid string
	// Anonymous is true for ANONYMOUS logins; Trace is the client's trace
	// information (RFC 4505), for logging only.
	Anonymous bool
	Trace     string // ANONYMOUS trace information; empty otherwise
}

// Channel describes the connection an exchange runs on.
type Channel struct {
	// TLS is the connection state when the channel is TLS-protected
	// (nil: plaintext). It enables the plaintext mechanisms and the -PLUS
	// variants of SCRAM (tls-exporter channel binding, RFC 9266).
	TLS *tls.ConnectionState
	// Secure marks a channel protected by other means (a Unix socket, a
	// loopback-only submission port) as fit for plaintext mechanisms.
	Secure bool
	// ExternalID is the identity established outside SASL, e.g. the
	// subject of a verified TLS client certificate; non-empty enables
	// EXTERNAL.
	ExternalID string
}

func (ch Channel) secure() bool { return ch.TLS != nil || ch.Secure }

// tlsExporterLabel is the RFC 9266 exporter label.
const tlsExporterLabel = "EXPORTER-Channel-Binding"

// TLSExporter returns the tls-exporter channel binding data of a TLS
// connection (RFC 9266: 32 bytes, label "EXPORTER-Channel-Binding", no
// context). It fails for TLS 1.2 connections without the extended master
// secret extension.
func TLSExporter(cs *tls.ConnectionState) ([]byte, error) {
	if cs == nil {
		return nil, fmt.Errorf("%w: no TLS connection", ErrChannelBinding)
	}
	b, err := cs.ExportKeyingMaterial(tlsExporterLabel, nil, 32)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrChannelBinding, err)
	}
	return b, nil
}
