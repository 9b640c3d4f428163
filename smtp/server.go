package smtp

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailkit-go/mailkit/esmtp"
	"github.com/mailkit-go/mailkit/internal/netserver"
)

// Errors returned by [Server.Serve] and friends.
var (
	// ErrServerClosed is returned by Serve after Shutdown or Close.
	ErrServerClosed = errors.New("smtp: server closed")
	// ErrNoBackend is returned when Server.Backend is nil.
	ErrNoBackend = errors.New("smtp: server has no Backend")
	// ErrNoLocalDomains is returned for ProfileMX when the backend does not
	// implement LocalDomainBackend and OpenRelay is not set.
	ErrNoLocalDomains = errors.New("smtp: ProfileMX needs a LocalDomainBackend (or the explicit OpenRelay opt-in)")
	// ErrNoAuth is returned for ProfileSubmission when the backend does not
	// implement AuthBackend.
	ErrNoAuth = errors.New("smtp: ProfileSubmission needs an AuthBackend")
	// ErrNoTLS is returned when TLS is required by the configuration
	// (ImplicitTLS, ProfileSubmission) but TLSConfig is nil.
	ErrNoTLS = errors.New("smtp: configuration needs a TLSConfig")
	// ErrNoLMTP is returned for ProfileLMTP when sessions cannot be checked
	// for LMTPSession; see Server.Serve.
	ErrNoLMTP = errors.New("smtp: ProfileLMTP needs sessions implementing LMTPSession")
)

// Server is an SMTP (or LMTP) server. Set its fields, then call
// [Server.Serve] or [Server.ListenAndServe]. Fields must not be changed
// once serving started. The zero value (with a Backend) is an MX-profile
// server without TLS.
type Server struct {
	// Backend creates sessions. Required.
	Backend Backend
	// Profile selects the relay/AUTH policy; the zero value is ProfileMX.
	Profile Profile

	// Hostname is the server's name in the greeting, EHLO reply and
	// Received header (default: os.Hostname, else "localhost").
	Hostname string
	// Greeting is the text after the host name in the 220 greeting
	// (default "ESMTP mailkit", "LMTP mailkit" for LMTP). It should
	// contain "ESMTP" so clients try EHLO (RFC 5321 §4.2 practice).
	Greeting string
	// HeloReply returns the text of the 250 reply to HELO (default
	// "<Hostname>").
	HeloReply func(c *ConnInfo) string
	// EhloReply returns the text of the first line of the 250 reply to
	// EHLO/LHLO (default "<Hostname> at your service, [<client IP>]").
	EhloReply func(c *ConnInfo) string

	// TLSConfig enables STARTTLS (or implicit TLS). nil disables TLS.
	TLSConfig *tls.Config
	// ImplicitTLS makes the server start TLS right after accepting
	// (RFC 8314, port 465); STARTTLS is then not offered.
	ImplicitTLS bool
	// AllowInsecureAuth offers and accepts AUTH without TLS. Off by
	// default: AUTH is only advertised after TLS.
	AllowInsecureAuth bool

	// Extensions, when non-nil, is the exact list and order of EHLO
	// keywords to advertise, chosen among: SIZE, PIPELINING, 8BITMIME,
	// BINARYMIME, CHUNKING, DSN, SMTPUTF8, STARTTLS, AUTH,
	// ENHANCEDSTATUSCODES, REQUIRETLS, HELP, XCLIENT. An extension not
	// listed is neither advertised nor accepted. Keywords that do not
	// apply at the moment (STARTTLS after TLS, AUTH before TLS, XCLIENT
	// to untrusted clients) are skipped. nil means the default list:
	// PIPELINING SIZE STARTTLS AUTH ENHANCEDSTATUSCODES 8BITMIME DSN
	// SMTPUTF8 CHUNKING BINARYMIME REQUIRETLS HELP XCLIENT.
	Extensions []string

	// Limits bounds each client; zero fields take defaults.
	Limits Limits
	// LineEndings is the bare CR/LF policy (default strict).
	LineEndings LineEndings
	// LineEndingExemptions lists client networks that get
	// LineEndingsNormalize even when LineEndings is strict (legacy
	// clients, like Postfix's smtpd_forbid_bare_newline_exclusions).
	LineEndingExemptions []netip.Prefix

	// RelayNetworks lists client networks that may relay on ProfileMX
	// (like Postfix's permit_mynetworks).
	RelayNetworks []netip.Prefix
	// OpenRelay lets anybody relay to any domain. DANGEROUS: an open
	// relay is abused for spam within hours. It exists for tests and for
	// servers that sit behind another policy layer; it is the only way to
	// run ProfileMX without a LocalDomainBackend.
	OpenRelay bool
	// TrustedNetworks lists proxies allowed to use XCLIENT (Postfix's
	// smtpd_authorized_xclient_hosts). Empty: XCLIENT is refused.
	TrustedNetworks []netip.Prefix

	// Now returns the current time (default time.Now).
	Now func() time.Time
	// NewID returns a transaction id for the Received header and the
	// 250 reply (default: 12 hex digits counted up from a random start
	// per Server).
	NewID func() string
	// Logger receives diagnostics (nil discards). Protocol traces are not
	// logged; secrets never are.
	Logger *slog.Logger

	ns      netserver.Server[*conn]
	cfgOnce sync.Once
	cfg     *serverConfig
	cfgErr  error
}

// serverConfig is the validated, defaulted configuration shared by conns.
type serverConfig struct {
	hostname    string
	greeting    string
	limits      Limits
	exts        []string
	extSet      map[string]bool
	localDomain LocalDomainBackend
	auth        AuthBackend
	logger      *slog.Logger
	now         func() time.Time
	newID       func() string // nil: nextID
	// idBase and idSeq make the default transaction ids: a random 48-bit
	// start per server, counted up for each transaction.
	idBase uint64
	idSeq  atomic.Uint64
	// paramCaps are the extensions whose MAIL/RCPT parameters are
	// accepted, without [0] and with [1] TLS (only REQUIRETLS differs).
	paramCaps [2]*esmtp.Capabilities
	// extLines caches the EHLO extension lines when AUTH is not on
	// offer, indexed by TLS (bit 0) and XCLIENT offered (bit 1).
	extLines [4]atomic.Pointer[[]string]
}

var knownExtensions = []string{
	"PIPELINING", "SIZE", "STARTTLS", "AUTH", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN",
	"SMTPUTF8", "CHUNKING", "BINARYMIME", "REQUIRETLS", "HELP", "XCLIENT",
}

func (s *Server) config() (*serverConfig, error) {
	s.cfgOnce.Do(func() { s.cfg, s.cfgErr = s.buildConfig() })
	return s.cfg, s.cfgErr
}

func (s *Server) buildConfig() (*serverConfig, error) {
	if s.Backend == nil {
		return nil, ErrNoBackend
	}
	c := &serverConfig{
		hostname: s.Hostname,
		greeting: s.Greeting,
		limits:   s.Limits.withDefaults(),
		logger:   s.Logger,
		now:      s.Now,
		newID:    s.NewID,
	}
	if c.hostname == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			c.hostname = h
		} else {
			c.hostname = "localhost"
		}
	}
	if c.greeting == "" {
		if s.Profile == ProfileLMTP {
			c.greeting = "LMTP mailkit"
		} else {
			c.greeting = "ESMTP mailkit"
		}
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	var rb [8]byte
	_, _ = rand.Read(rb[:])
	c.idBase = binary.LittleEndian.Uint64(rb[:])
	exts := s.Extensions
	if exts == nil {
		exts = knownExtensions
	}
	c.extSet = map[string]bool{}
	for _, e := range exts {
		found := false
		for _, k := range knownExtensions {
			if k == e {
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("smtp: unknown extension %q in Server.Extensions", e)
		}
		c.extSet[e] = true
		c.exts = append(c.exts, e)
	}
	if ld, ok := s.Backend.(LocalDomainBackend); ok {
		c.localDomain = ld
	}
	if ab, ok := s.Backend.(AuthBackend); ok {
		c.auth = ab
	}
	if (s.ImplicitTLS || s.Profile == ProfileSubmission) && s.TLSConfig == nil {
		return nil, ErrNoTLS
	}
	switch s.Profile {
	case ProfileMX:
		if c.localDomain == nil && !s.OpenRelay {
			return nil, ErrNoLocalDomains
		}
	case ProfileSubmission:
		if c.auth == nil {
			return nil, ErrNoAuth
		}
	case ProfileLMTP:
	default:
		return nil, fmt.Errorf("smtp: unknown profile %d", s.Profile)
	}
	c.paramCaps = [2]*esmtp.Capabilities{buildParamCaps(c, false), buildParamCaps(c, true)}
	return c, nil
}

// nextID appends the server's next default transaction id to b: 12 hex
// digits, from a random start counted up by one per transaction, so ids
// do not repeat within 2^48 transactions of one server and are unlikely
// to repeat across servers or restarts.
func (c *serverConfig) nextID(b []byte) []byte {
	const digits = "0123456789abcdef"
	v := (c.idBase + c.idSeq.Add(1)) & (1<<48 - 1)
	for shift := 44; shift >= 0; shift -= 4 {
		b = append(b, digits[(v>>shift)&0xf])
	}
	return b
}

// ListenAndServe listens on the TCP address addr and calls Serve.
func (s *Server) ListenAndServe(addr string) error {
	if _, err := s.config(); err != nil {
		return err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l and serves each in its own goroutine
// until l fails or the server is shut down; it then returns
// ErrServerClosed (after Shutdown/Close) or the accept error. It first
// validates the configuration and returns an error (ErrNoBackend,
// ErrNoLocalDomains, ErrNoAuth, ErrNoTLS) without accepting when it is
// unusable. Serve closes l when it returns.
func (s *Server) Serve(l net.Listener) error {
	cfg, err := s.config()
	if err != nil {
		l.Close()
		return err
	}
	err = s.ns.Serve(l, &netserver.Handler[*conn]{
		Limits: netserver.Limits{Conns: cfg.limits.Connections, ConnsPerIP: cfg.limits.ConnectionsPerIP},
		NewConn: func(nc net.Conn, ip netip.Addr) *conn {
			return newConn(s, cfg, nc, ip)
		},
		Serve: (*conn).serve,
		Refusal: func(_ net.Conn, why netserver.Reason) string {
			switch why {
			case netserver.ReasonShutdown:
				return "421 4.3.2 " + cfg.hostname + " Service shutting down\r\n"
			case netserver.ReasonTooManyFromIP:
				return "421 4.7.0 " + cfg.hostname + " Error: too many connections from your address\r\n"
			default:
				return "421 4.7.0 " + cfg.hostname + " Error: too many connections\r\n"
			}
		},
	})
	if errors.Is(err, netserver.ErrServerClosed) {
		return ErrServerClosed
	}
	return err
}

// Shutdown stops accepting connections, answers clients that are waiting
// for their next command with 421 and closes them, and waits for
// transactions in flight to finish (each connection closes with 421 after
// its current command). If ctx ends first, the remaining connections are
// closed and ctx's error is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.ns.Shutdown(ctx)
}

// Close stops accepting and closes every connection at once, without
// replies.
func (s *Server) Close() error {
	s.ns.Close()
	return nil
}

// ConnCount returns the number of connections being served.
func (s *Server) ConnCount() int {
	return s.ns.ConnCount()
}
