package imapserver

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/internal/netserver"
	"github.com/mailkit-go/mailkit/sasl"
)

// ErrServerClosed is returned by [Server.Serve] after Shutdown or Close.
var ErrServerClosed = errors.New("imapserver: server closed")

// ErrNoSASLSession is the configuration error of a [Server] whose SASL
// registry is set while its Backend's sessions do not implement
// [SASLSession]. Serve returns it at once for a Backend implementing
// [SASLBackend] that says so; otherwise it is found when a connection's
// session is created: that connection gets "* BYE [UNAVAILABLE]" and the
// error is logged (the server never falls back to other mechanisms).
var ErrNoSASLSession = errors.New("imapserver: Server.SASL is set but the session does not implement SASLSession")

// SASLBackend is an optional interface of a [Backend] that lets
// [Server.Serve] check at start-up, before any connection, that its
// sessions implement [SASLSession] when [Server.SASL] is set.
type SASLBackend interface {
	// SupportsSASL reports whether every Session of the backend
	// implements SASLSession.
	SupportsSASL() bool
}

// Limits bounds what one connection may use. Zero fields mean the
// defaults given.
type Limits struct {
	// MaxLineLength bounds a command line outside literals (default 64 KiB).
	MaxLineLength int
	// MaxMessageSize bounds an APPEND literal (default 64 MiB); larger
	// messages get "NO [TOOBIG]" (synchronising literals) or the
	// connection is closed (LITERAL+).
	MaxMessageSize int64
	// MaxDepth bounds list nesting (default 32).
	MaxDepth int
	// MaxLineLiterals bounds the total size of the literals of one command
	// line held in memory, e.g. mailbox names and search strings (default
	// 8 MiB); APPEND messages are streamed and do not count. Past it a
	// synchronising literal gets BAD, a non-synchronising one closes the
	// connection.
	MaxLineLiterals int64
	// MaxMultiAppendSize bounds the sum of the message sizes of one
	// APPEND with several messages (MULTIAPPEND, RFC 3502; default 256
	// MiB, and never less than MaxMessageSize); past it the command gets
	// "NO [TOOBIG]" and nothing is stored. Each message is also bounded
	// by MaxMessageSize, and their number by MaxLineLength (every message
	// adds at least its literal header to the command line).
	MaxMultiAppendSize int64
	// MaxBadCommands closes the connection after that many BAD replies
	// (default 20).
	MaxBadCommands int
	// IdleTimeout is the autologout timer (default 30 minutes, RFC 9051
	// §5.4), also for IDLE.
	IdleTimeout time.Duration
	// CommandTimeout bounds each command's context (default 5 minutes).
	CommandTimeout time.Duration
	// MaxConnections bounds simultaneous connections (default 1000);
	// more get "* BYE Too many connections".
	MaxConnections int
	// MaxConnectionsPerIP bounds simultaneous connections from one client
	// address (default 0: no limit besides MaxConnections); more get
	// "* BYE Too many connections".
	MaxConnectionsPerIP int
	// MaxUpdateContexts bounds the SEARCH/SORT RETURN (UPDATE) contexts
	// of one connection (RFC 5267 §4, default 8); one more gets
	// "NO [NOUPDATE "tag"]". Each context costs one search after every
	// command in the selected state.
	MaxUpdateContexts int
}

func (l Limits) withDefaults() Limits {
	if l.MaxLineLength <= 0 {
		l.MaxLineLength = 64 << 10
	}
	if l.MaxMessageSize <= 0 {
		l.MaxMessageSize = 64 << 20
	}
	if l.MaxLineLiterals <= 0 {
		l.MaxLineLiterals = 8 << 20
	}
	if l.MaxMultiAppendSize <= 0 {
		l.MaxMultiAppendSize = 256 << 20
	}
	l.MaxMultiAppendSize = max(l.MaxMultiAppendSize, l.MaxMessageSize)
	if l.MaxDepth <= 0 {
		l.MaxDepth = 32
	}
	if l.MaxBadCommands <= 0 {
		l.MaxBadCommands = 20
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = 30 * time.Minute
	}
	if l.CommandTimeout <= 0 {
		l.CommandTimeout = 5 * time.Minute
	}
	if l.MaxConnections <= 0 {
		l.MaxConnections = 1000
	}
	if l.MaxUpdateContexts <= 0 {
		l.MaxUpdateContexts = 8
	}
	return l
}

// Server is an IMAP server. Set the fields before calling Serve; they
// must not change afterwards.
type Server struct {
	// Backend creates sessions (required).
	Backend Backend
	// TLSConfig enables STARTTLS (and is used by ListenAndServe for
	// implicit TLS). Nil: no STARTTLS.
	TLSConfig *tls.Config
	// SASL, if set, runs AUTHENTICATE with these mechanisms (the
	// sessions must implement [SASLSession]; see [ErrNoSASLSession]).
	// Nil: AUTHENTICATE PLAIN through [Session.Login].
	SASL *sasl.Registry
	// AllowInsecureAuth allows LOGIN and plaintext SASL mechanisms without
	// TLS. By default LOGINDISABLED is announced until STARTTLS.
	AllowInsecureAuth bool
	// Greeting is the text of the greeting (default "mailkit IMAP ready").
	Greeting string
	// Limits bounds what a client may send and how long it may take; a
	// zero field takes its default (see [Limits]).
	Limits Limits
	// Logger receives errors and per-connection events (nil discards).
	Logger *slog.Logger

	ns netserver.Server[*conn]
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Server) limits() Limits { return s.Limits.withDefaults() }

func (s *Server) decoderLimits() *imap.Limits {
	l := s.limits()
	return &imap.Limits{MaxLineLength: l.MaxLineLength, MaxLiteralSize: l.MaxMessageSize, MaxDepth: l.MaxDepth, MaxLineLiterals: l.MaxLineLiterals}
}

// Serve accepts connections on l until it fails or the server is shut
// down, then closes l and returns [ErrServerClosed] (after Shutdown or
// Close) or the accept error. Connections that are *tls.Conn (from a
// listener made with tlsutil.Listen in ModeImplicit, or tls.NewListener)
// are served as implicit TLS (port 993); others as plaintext with
// STARTTLS when TLSConfig is set (port 143).
func (s *Server) Serve(l net.Listener) error {
	if s.Backend == nil {
		_ = l.Close()
		return errors.New("imapserver: no Backend")
	}
	if sb, ok := s.Backend.(SASLBackend); ok && s.SASL != nil && !sb.SupportsSASL() {
		_ = l.Close()
		return ErrNoSASLSession
	}
	lim := s.limits()
	err := s.ns.Serve(l, &netserver.Handler[*conn]{
		Limits:  netserver.Limits{Conns: lim.MaxConnections, ConnsPerIP: lim.MaxConnectionsPerIP},
		NewConn: func(nc net.Conn, _ netip.Addr) *conn { return newConn(s, nc) },
		Serve:   (*conn).serve,
		Refusal: s.refusal,
	})
	if errors.Is(err, netserver.ErrServerClosed) {
		return ErrServerClosed
	}
	return err
}

// refusal words the BYE of a client that is not served.
func (s *Server) refusal(nc net.Conn, why netserver.Reason) string {
	_, isTLS := nc.(*tls.Conn)
	switch why {
	case netserver.ReasonShutdown:
		if isTLS {
			// Writing would first run the TLS handshake, from the
			// accepting goroutine: just close.
			return ""
		}
		return "* BYE Server shutting down\r\n"
	case netserver.ReasonTooManyFromIP:
		s.logger().Warn("imapserver: per-address connection limit reached", "remote", nc.RemoteAddr().String())
	default:
		s.logger().Warn("imapserver: connection limit reached", "remote", nc.RemoteAddr().String())
	}
	if isTLS {
		// The BYE is written after the TLS handshake, which reads from the
		// client: bound it like the write.
		_ = nc.SetDeadline(time.Now().Add(refusalTimeout))
	}
	return "* BYE Too many connections\r\n"
}

// refusalTimeout bounds the TLS handshake before the BYE of a refused
// implicit-TLS client.
const refusalTimeout = 5 * time.Second

// Shutdown stops accepting connections, tells clients waiting for a
// command (or in IDLE) "* BYE" and closes them, lets commands in progress
// finish (each connection says BYE and closes after its current command),
// and waits for every connection to end or ctx to be done (then the
// remaining connections are closed and ctx's error returned).
func (s *Server) Shutdown(ctx context.Context) error {
	return s.ns.Shutdown(ctx)
}

// Close closes the listeners and every connection at once, and waits for
// the connections' goroutines to end. It always returns nil.
func (s *Server) Close() error {
	s.ns.Close()
	return nil
}

// ConnCount returns the number of connections being served.
func (s *Server) ConnCount() int {
	return s.ns.ConnCount()
}
