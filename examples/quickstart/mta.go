package main

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/dnsbl"
	"github.com/mailkit-go/mailkit/greylist"
	"github.com/mailkit-go/mailkit/pop3"
	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/smtp"
	"github.com/mailkit-go/mailkit/spf"
)

// Resolver is the DNS the policy engines and the router share: the union
// of spf.Resolver, mx.Resolver and dnsbl.Resolver. *net.Resolver,
// *dnsutil.Resolver and *dnstest.Zone all satisfy it.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// Config describes the MTA.
type Config struct {
	Hostname     string            // name in greetings, Received and Received-SPF
	LocalDomains []string          // domains delivered to local Maildirs
	Users        map[string]string // local addresses and their passwords
	MailRoot     string            // directory holding the Maildirs
	Resolver     Resolver
	DNSBL        []dnsbl.List
	TLS          *tls.Config    // server certificate for STARTTLS/STLS
	OutboundTLS  *tls.Config    // roots for opportunistic STARTTLS to next hops
	Ports        map[string]int // next-hop port per MX host name (default 25)
	// TrustedProxies may use XCLIENT on the MX listener to pass on the
	// address of the client they proxy; policy then sees that address.
	TrustedProxies []netip.Prefix
	Now            func() time.Time // policy and queue clock
	// SpoolDir holds the forwarding queue, one file per message (see
	// queue). Required; created by Start if missing. One MTA per
	// directory: there is no locking between processes.
	SpoolDir string
	// QueueLimits bound the queue; when it is full, submitted mail (local
	// recipients too: it is spooled first) gets 452 4.3.1 until it
	// drains. Notifications the queue generates are not refused.
	QueueLimits QueueLimits
	// Logger receives diagnostics of the servers and the queue (nil
	// discards).
	Logger *slog.Logger
}

// MTA is a small store-and-forward mail server built from mailkit
// packages: an MX listener, a submission listener, a delivery queue and a
// POP3 server over the local Maildirs.
type MTA struct {
	cfg    Config
	events *eventLog

	spf      *spf.Checker
	dnsbl    *dnsbl.Checker
	greylist *greylist.Checker
	store    *mailstore
	queue    *queue

	mxSrv, subSrv *smtp.Server
	popSrv        *pop3.Server
	// MXAddr, SubmissionAddr and POP3Addr are the listeners' addresses.
	MXAddr, SubmissionAddr, POP3Addr string
	done                             chan error
	started                          bool // Start was called (it runs once)
}

// errStarted is returned by a second call of [MTA.Start]: loading the
// spool twice would queue every message twice.
var errStarted = errors.New("quickstart: MTA already started")

// NewMTA wires the policy engines into the protocol servers.
func NewMTA(cfg Config, events *eventLog) *MTA {
	m := &MTA{cfg: cfg, events: events}
	m.spf = &spf.Checker{Resolver: cfg.Resolver, Receiver: cfg.Hostname, Now: cfg.Now}
	m.dnsbl = &dnsbl.Checker{Resolver: cfg.Resolver, Lists: cfg.DNSBL}
	m.greylist = &greylist.Checker{Store: greylist.NewMemoryStore(nil), Now: cfg.Now}
	m.store = newMailstore(cfg.MailRoot, cfg.Hostname, cfg.Users)
	m.queue = newQueue(m)

	m.mxSrv = &smtp.Server{
		Backend:         &mxBackend{m: m},
		Profile:         smtp.ProfileMX,
		Hostname:        cfg.Hostname,
		TLSConfig:       cfg.TLS,
		TrustedNetworks: cfg.TrustedProxies,
		Logger:          cfg.Logger,
	}
	reg := &sasl.Registry{Credentials: m.store, Enabled: []string{sasl.Plain}}
	m.subSrv = &smtp.Server{
		Backend:   &submissionBackend{SASLAuth: smtp.SASLAuth{Registry: reg}, m: m},
		Profile:   smtp.ProfileSubmission,
		Hostname:  cfg.Hostname,
		TLSConfig: cfg.TLS,
		Logger:    cfg.Logger,
	}
	m.popSrv = &pop3.Server{
		Backend:   &pop3Backend{store: m.store, events: events},
		Hostname:  cfg.Hostname,
		TLSConfig: cfg.TLS,
	}
	return m
}

func (m *MTA) now() time.Time {
	if m.cfg.Now != nil {
		return m.cfg.Now()
	}
	return time.Now()
}

// logger returns the configured logger or one that discards.
func (m *MTA) logger() *slog.Logger {
	if m.cfg.Logger != nil {
		return m.cfg.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (m *MTA) isLocal(domain string) bool {
	for _, d := range m.cfg.LocalDomains {
		if strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}

// Start loads the forwarding queue from Config.SpoolDir (see queue), then
// listens on three loopback ports and serves in the background. It does
// not flush the queue; the demo and the tests call its Flush.
func (m *MTA) Start() error {
	if m.started {
		return errStarted
	}
	m.started = true
	if err := m.queue.load(); err != nil {
		return err
	}
	var ls []net.Listener
	for range 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			return err
		}
		ls = append(ls, l)
	}
	m.MXAddr, m.SubmissionAddr, m.POP3Addr = ls[0].Addr().String(), ls[1].Addr().String(), ls[2].Addr().String()
	m.done = make(chan error, 3)
	go func() { m.done <- m.mxSrv.Serve(ls[0]) }()
	go func() { m.done <- m.subSrv.Serve(ls[1]) }()
	go func() { m.done <- m.popSrv.Serve(ls[2]) }()
	return nil
}

// Shutdown stops the three servers gracefully and reports the first
// error, including a server that had stopped on its own.
func (m *MTA) Shutdown(ctx context.Context) error {
	errs := []error{m.mxSrv.Shutdown(ctx), m.subSrv.Shutdown(ctx), m.popSrv.Shutdown(ctx)}
	for range 3 {
		if err := <-m.done; !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, pop3.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
