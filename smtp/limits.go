package smtp

import (
	"net/netip"
	"time"
)

// Limits bounds what one client may make the server do. The zero value of
// every field means the default given in its comment; a negative value
// means "no limit" only where the comment says so.
type Limits struct {
	// CommandLine is the maximum command line length in octets including
	// CRLF (RFC 5321 §4.5.3.1.4: 512). AUTH lines may be longer
	// ([Limits.AuthLine]).
	CommandLine int
	// AuthLine is the maximum length of an AUTH command or SASL response
	// line (RFC 4954 §4: 12288).
	AuthLine int
	// TextLine is the maximum length of a line of message data in octets
	// including CRLF (RFC 5321 §4.5.3.1.6: 1000).
	TextLine int
	// Recipients is the maximum number of accepted RCPT per transaction
	// (default 100, the RFC 5321 §4.5.3.1.8 minimum).
	Recipients int
	// MessageBytes is the maximum message size, advertised with SIZE and
	// enforced at MAIL (SIZE=) and while reading data (default 32 MiB).
	MessageBytes int64
	// BadCommands is the number of erroneous commands after which the
	// server answers 421 and disconnects (default 20).
	BadCommands int

	// CommandTimeout is how long the server waits for the next command
	// (RFC 5321 §4.5.3.2.7: at least 5 minutes; default 5m).
	CommandTimeout time.Duration
	// DataTimeout is how long the server waits for more data while
	// reading DATA or a BDAT chunk (default 5m, the RFC 5321 §4.5.3.2.7
	// server timeout applied per read).
	DataTimeout time.Duration
	// WriteTimeout bounds each flush of replies (default 2m).
	WriteTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake (default 30s).
	TLSHandshakeTimeout time.Duration
	// ConnLifetime bounds a whole connection (default 1h).
	ConnLifetime time.Duration

	// Connections is the maximum number of concurrent connections (default
	// 1000); further clients get 421 4.7.0 and are disconnected.
	Connections int
	// ConnectionsPerIP is the maximum number of concurrent connections
	// from one client address (default 20).
	ConnectionsPerIP int
}

// Default limits.
const (
	DefaultCommandLine      = 512
	DefaultAuthLine         = 12288
	DefaultTextLine         = 1000
	DefaultRecipients       = 100
	DefaultMessageBytes     = 32 << 20
	DefaultBadCommands      = 20
	DefaultConnections      = 1000
	DefaultConnectionsPerIP = 20
)

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.CommandLine, DefaultCommandLine)
	def(&l.AuthLine, DefaultAuthLine)
	def(&l.TextLine, DefaultTextLine)
	def(&l.Recipients, DefaultRecipients)
	if l.MessageBytes <= 0 {
		l.MessageBytes = DefaultMessageBytes
	}
	def(&l.BadCommands, DefaultBadCommands)
	def(&l.Connections, DefaultConnections)
	def(&l.ConnectionsPerIP, DefaultConnectionsPerIP)
	defd(&l.CommandTimeout, 5*time.Minute)
	defd(&l.DataTimeout, 5*time.Minute)
	defd(&l.WriteTimeout, 2*time.Minute)
	defd(&l.TLSHandshakeTimeout, 30*time.Second)
	defd(&l.ConnLifetime, time.Hour)
	return l
}

// LineEndings selects how the server treats a bare CR or bare LF (one not
// part of a CRLF pair) in commands and message data. See the package
// documentation, "SMTP smuggling".
type LineEndings int

const (
	// LineEndingsStrict refuses a bare CR or LF anywhere in a command or
	// in DATA with "550 5.5.2 <host> Error: bare <LF> received" (or <CR>)
	// and closes the connection, like Postfix's
	// smtpd_forbid_bare_newline = reject. It is the default.
	LineEndingsStrict LineEndings = iota
	// LineEndingsNormalize accepts a bare LF as a line ending and passes it
	// to the session as CRLF; a bare CR stays data (and is passed on as
	// is). The end of data must still be exactly CRLF "." CRLF, like
	// Postfix's smtpd_forbid_bare_newline = normalize.
	LineEndingsNormalize
)

// String returns "strict" or "normalize".
func (l LineEndings) String() string {
	if l == LineEndingsNormalize {
		return "normalize"
	}
	return "strict"
}

func prefixesContain(ps []netip.Prefix, ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Profile selects a server's role and thereby its relay and AUTH policy.
type Profile int

const (
	// ProfileMX is an inbound MX (port 25): AUTH is not needed (and by
	// default not offered), RCPT is accepted only for domains the backend
	// ([LocalDomainBackend]) calls local; anything else is refused with
	// 550 5.7.1 unless the client is in [Server.RelayNetworks] or
	// authenticated, or [Server.OpenRelay] is set. It is the zero value.
	ProfileMX Profile = iota
	// ProfileSubmission is message submission (RFC 6409 port 587 with
	// STARTTLS, or RFC 8314 port 465 with [Server.ImplicitTLS]): TLS before
	// AUTH, AUTH before MAIL, and authenticated users may send to any
	// domain. Requires [Server.TLSConfig] and an [AuthBackend].
	ProfileSubmission
	// ProfileLMTP is LMTP (RFC 2033) for final delivery from a trusted
	// MTA: LHLO instead of HELO/EHLO, one reply per recipient after DATA,
	// no relay policy (the session decides per recipient).
	ProfileLMTP
)

// String returns "mx", "submission" or "lmtp".
func (p Profile) String() string {
	switch p {
	case ProfileSubmission:
		return "submission"
	case ProfileLMTP:
		return "lmtp"
	default:
		return "mx"
	}
}
