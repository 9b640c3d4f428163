package pop3

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/mailkit-go/mailkit/internal/netserver"
	"github.com/mailkit-go/mailkit/sasl"
)

// Limits bounds what one client may make the server do. A zero field means
// the default given in its comment.
type Limits struct {
	// CommandLine is the maximum command line length in octets including
	// CRLF (default 512; RFC 2449 §4 asks clients for at most 255).
	CommandLine int
	// AuthLine is the maximum length of an AUTH command or SASL response
	// line (default 12288; RFC 5034 §4 exempts them from the 255 limit).
	AuthLine int
	// BadCommands is the number of erroneous commands (unknown, malformed,
	// wrong state) after which the server disconnects (default 10).
	BadCommands int
	// AuthFailures is the number of failed logins after which the server
	// disconnects (default 3).
	AuthFailures int
	// IdleTimeout is how long the server waits for the next command
	// (RFC 1939 §3 autologout timer: at least 10 minutes; default 10m).
	IdleTimeout time.Duration
	// WriteTimeout bounds each flush of responses (default 2m).
	WriteTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake (default 30s).
	TLSHandshakeTimeout time.Duration
	// Connections is the maximum number of concurrent connections
	// (default 1000); further clients get "-ERR [SYS/TEMP]" and are
	// disconnected.
	Connections int
	// ConnectionsPerIP is the maximum number of concurrent connections from
	// one client address (default 20).
	ConnectionsPerIP int
	// Messages is the maximum number of messages a mailbox may list
	// (default 1,000,000); a larger mailbox gets "-ERR [SYS/PERM]".
	Messages int
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.CommandLine, 512)
	def(&l.AuthLine, 12288)
	def(&l.BadCommands, 10)
	def(&l.AuthFailures, 3)
	defDur(&l.IdleTimeout, 10*time.Minute)
	defDur(&l.WriteTimeout, 2*time.Minute)
	defDur(&l.TLSHandshakeTimeout, 30*time.Second)
	def(&l.Connections, 1000)
	def(&l.ConnectionsPerIP, 20)
	def(&l.Messages, 1000000)
	return l
}

// Server is a POP3 server. Set its fields, then call Server.Serve or
// Server.ListenAndServe. Fields must not change once serving started.
// The zero value with a Backend serves plaintext POP3 on which USER/PASS is
// refused (see AllowInsecureAuth); APOP works if the sessions implement
// APOPSession, AUTH if SASL is set.
type Server struct {
	// Backend creates sessions. Required.
	Backend Backend
	// Hostname appears in the APOP timestamp (default: os.Hostname, else
	// "localhost").
	Hostname string
	// Greeting is the text of the +OK greeting before the APOP timestamp
	// (default "POP3 server ready").
	Greeting string
	// Implementation, if set, is advertised with the IMPLEMENTATION
	// capability (RFC 2449 §6.9). Empty by default: no version leak.
	Implementation string

	// TLSConfig enables STLS (RFC 2595) or, with ImplicitTLS, TLS from the
	// first byte (port 995, RFC 8314). nil disables TLS.
	TLSConfig *tls.Config
	// ImplicitTLS makes the server start TLS right after accepting; STLS is
	// then not offered.
	ImplicitTLS bool
	// AllowInsecureAuth accepts USER/PASS on connections without TLS.
	// Off by default: USER is then neither advertised nor accepted until
	// STLS. (APOP is allowed either way; SASL mechanisms follow the
	// Registry's AllowInsecure.)
	AllowInsecureAuth bool
	// SASL enables AUTH (RFC 5034) with the mechanisms of the registry
	// (PLAIN and LOGIN only under TLS unless it allows otherwise). The
	// authorization identity is the user passed to Session.Open.
	SASL *sasl.Registry
	// UTF8 advertises and accepts the UTF8 command (RFC 6856). The server
	// never downgrades messages; it only records ConnInfo.UTF8.
	UTF8 bool

	// Limits bounds each client; zero fields take defaults.
	Limits Limits
	// Now returns the current time (default time.Now); used for APOP
	// timestamps.
	Now func() time.Time
	// Rand is the randomness of APOP timestamps (default crypto/rand).
	Rand io.Reader
	// Logger receives diagnostics (nil discards). Passwords and message
	// contents are never logged.
	Logger *slog.Logger

	initOnce sync.Once
	lim      Limits
	log      *slog.Logger
	hostname string
	baseCtx  context.Context
	cancel   context.CancelFunc
	ns       netserver.Server[*conn]
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.lim = s.Limits.withDefaults()
		s.log = s.Logger
		if s.log == nil {
			s.log = slog.New(slog.DiscardHandler)
		}
		s.hostname = s.Hostname
		if s.hostname == "" {
			if h, err := os.Hostname(); err == nil && h != "" {
				s.hostname = h
			} else {
				s.hostname = "localhost"
			}
		}
		s.baseCtx, s.cancel = context.WithCancel(context.Background())
	})
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ListenAndServe listens on the TCP address addr and calls Serve.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l and serves each in its own goroutine until
// Shutdown or Close, when it returns ErrServerClosed. It closes l on return.
func (s *Server) Serve(l net.Listener) error {
	s.init()
	if s.Backend == nil {
		_ = l.Close()
		return errors.New("pop3: Server.Backend is nil")
	}
	if s.ImplicitTLS && s.TLSConfig == nil {
		_ = l.Close()
		return errors.New("pop3: ImplicitTLS needs a TLSConfig")
	}
	err := s.ns.Serve(l, &netserver.Handler[*conn]{
		Limits: netserver.Limits{Conns: s.lim.Connections, ConnsPerIP: s.lim.ConnectionsPerIP},
		NewConn: func(nc net.Conn, ip netip.Addr) *conn {
			return newConn(s, nc, ip)
		},
		Serve: func(c *conn) { c.serve(s.baseCtx) },
		Refusal: func(nc net.Conn, why netserver.Reason) string {
			if why == netserver.ReasonShutdown {
				return ""
			}
			s.log.Warn("pop3: connection limit reached", "remote", nc.RemoteAddr().String())
			// Implicit TLS clients would not understand a plaintext
			// refusal; just close.
			if s.ImplicitTLS {
				return ""
			}
			return "-ERR [SYS/TEMP] too many connections, try again later\r\n"
		},
	})
	if errors.Is(err, netserver.ErrServerClosed) {
		return ErrServerClosed
	}
	return err
}

// ConnCount returns the number of connections being served.
func (s *Server) ConnCount() int {
	return s.ns.ConnCount()
}

// Shutdown stops accepting connections, tells clients waiting for a command
// "-ERR [SYS/TEMP] server shutting down" and closes them (without entering
// the UPDATE state: no deletions are applied), lets commands in progress
// finish, and waits for every connection to end or ctx to be done; then it
// closes the remaining connections and returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	// On timeout, the connections' ForceClose cancels s.baseCtx first.
	err := s.ns.Shutdown(ctx)
	s.cancel()
	return err
}

// Close closes the listeners and every connection at once, without
// applying any pending deletion, and waits for the connection goroutines.
func (s *Server) Close() error {
	s.init()
	s.ns.Close()
	s.cancel()
	return nil
}

// apopTimestamp returns a fresh msg-id style timestamp for the greeting
// (RFC 1939 §7), unique per connection.
func (s *Server) apopTimestamp() (string, error) {
	var b [12]byte
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	return fmt.Sprintf("<%s.%d@%s>", hex.EncodeToString(b[:]), s.now().Unix(), s.hostname), nil
}
