package smtptest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/smtp"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// Options configures a test server; nil means plain SMTP without AUTH.
type Options struct {
	// Hostname is the server's name (default "smtptest.localhost"); the
	// TLS certificate is issued for it, "localhost" and 127.0.0.1.
	Hostname string
	// TLS offers STARTTLS; ImplicitTLS starts TLS on connect instead.
	TLS         bool
	ImplicitTLS bool // see TLS
	// Users enables AUTH (PLAIN, LOGIN, SCRAM) with these user/password
	// pairs and makes the server a submission server: TLS is switched on
	// and AUTH is required before MAIL.
	Users map[string]string
	// MaxMessageBytes limits message size (default 32 MiB).
	MaxMessageBytes int64
	// Reject, when set, is called for each recipient; a non-nil error
	// (an *smtp.Error to choose the reply) refuses it.
	Reject func(from, to string) error
}

// Message is one captured message.
type Message struct {
	// From and To are the envelope (MAIL FROM and accepted RCPT TO).
	From string
	To   []string // accepted recipients, in order
	// Mail holds the MAIL parameters.
	Mail smtp.MailOptions
	// Rcpt holds the RCPT parameters (DSN NOTIFY and ORCPT) of each
	// accepted recipient: Rcpt[i] belongs to To[i].
	Rcpt []smtp.RcptOptions
	// Data is the message as received, starting with the Received header
	// the server added.
	Data []byte
	// Header and Body are Data parsed with net/mail; Header is nil when
	// the data is not a parsable message.
	Header mail.Header
	Body   []byte // the body after the header section; nil when Header is nil
	// Helo, AuthUser and TLS describe the client connection.
	Helo     string
	AuthUser string // authorization identity after AUTH; empty without AUTH
	TLS      bool   // true if the session ran over TLS
}

// Server is a running test server.
type Server struct {
	srv  *smtp.Server
	l    net.Listener
	ca   *tlsutil.CA
	opts Options
	done chan error

	mu     sync.Mutex
	msgs   []Message
	notify chan struct{}
}

// Start starts a server on 127.0.0.1:0.
func Start(opts *Options) (*Server, error) {
	s := &Server{notify: make(chan struct{}), done: make(chan error, 1)}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.Hostname == "" {
		s.opts.Hostname = "smtptest.localhost"
	}
	srv := &smtp.Server{
		Backend:     &backend{s: s},
		Hostname:    s.opts.Hostname,
		OpenRelay:   true,
		LineEndings: smtp.LineEndingsNormalize,
		Limits:      smtp.Limits{MessageBytes: s.opts.MaxMessageBytes},
	}
	if len(s.opts.Users) > 0 {
		s.opts.TLS = s.opts.TLS || !s.opts.ImplicitTLS
		srv.Profile = smtp.ProfileSubmission
		users := s.opts.Users
		srv.Backend = &authBackend{backend: backend{s: s}, SASLAuth: smtp.SASLAuth{Registry: &sasl.Registry{
			Credentials: sasl.CredentialsFunc(func(ctx context.Context, name string) (*sasl.Secret, error) {
				if p, ok := users[name]; ok {
					return &sasl.Secret{Password: []byte(p)}, nil
				}
				return nil, sasl.ErrUnknownUser
			}),
		}}}
	}
	if s.opts.TLS || s.opts.ImplicitTLS {
		ca, err := tlsutil.NewCA(nil)
		if err != nil {
			return nil, err
		}
		cfg, err := ca.ServerConfig(s.opts.Hostname, "localhost", "127.0.0.1")
		if err != nil {
			return nil, err
		}
		s.ca = ca
		srv.TLSConfig = cfg
		srv.ImplicitTLS = s.opts.ImplicitTLS
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.srv, s.l = srv, l
	go func() { s.done <- srv.Serve(l) }()
	return s, nil
}

// New starts a server for a test and stops it when the test ends; it
// fails the test if the server cannot start.
func New(t testing.TB, opts *Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Addr returns "127.0.0.1:port".
func (s *Server) Addr() string { return s.l.Addr().String() }

// ClientTLSConfig returns a client config that trusts the server's test
// certificate (nil without TLS).
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.ca == nil {
		return nil
	}
	return s.ca.ClientConfig(s.opts.Hostname)
}

// CA returns the throw-away CA that issued the certificate (nil without
// TLS), e.g. to write its certificate for a non-Go client.
func (s *Server) CA() *tlsutil.CA { return s.ca }

// Messages returns the messages captured so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Reset forgets the captured messages.
func (s *Server) Reset() {
	s.mu.Lock()
	s.msgs = nil
	s.mu.Unlock()
}

// ErrTimeout is returned by WaitFor when ctx ends first.
var ErrTimeout = errors.New("smtptest: timed out waiting for messages")

// WaitFor waits until at least n messages were captured and returns them
// all; when ctx ends first it returns what it has and an error wrapping
// ErrTimeout.
func (s *Server) WaitFor(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := append([]Message(nil), s.msgs...)
			s.mu.Unlock()
			return out, nil
		}
		ch := s.notify
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			got := s.Messages()
			return got, fmt.Errorf("%w: have %d of %d (%v)", ErrTimeout, len(got), n, ctx.Err())
		}
	}
}

// MustWaitFor is WaitFor with a 10-second limit that fails the test.
func (s *Server) MustWaitFor(t testing.TB, n int) []Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs, err := s.WaitFor(ctx, n)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return msgs
}

// Close stops the server.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.done
	s.done <- smtp.ErrServerClosed // Close may be called again
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	close(s.notify)
	s.notify = make(chan struct{})
	s.mu.Unlock()
}

type backend struct{ s *Server }

func (b *backend) NewSession(ctx context.Context, c *smtp.ConnInfo) (smtp.Session, error) {
	return &session{s: b.s, info: c}, nil
}

type authBackend struct {
	backend
	smtp.SASLAuth
}

type session struct {
	s    *Server
	info *smtp.ConnInfo
	cur  Message
}

func (x *session) Mail(ctx context.Context, from string, o *smtp.MailOptions) error {
	x.cur = Message{From: from, Mail: *o}
	return nil
}

func (x *session) Rcpt(ctx context.Context, to string, o *smtp.RcptOptions) error {
	if x.s.opts.Reject != nil {
		if err := x.s.opts.Reject(x.cur.From, to); err != nil {
			return err
		}
	}
	x.cur.To = append(x.cur.To, to)
	ro := *o
	ro.Notify = slices.Clone(o.Notify)
	x.cur.Rcpt = append(x.cur.Rcpt, ro)
	return nil
}

func (x *session) Data(ctx context.Context, r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := x.cur
	m.Data = data
	m.Helo = x.info.Helo
	m.AuthUser = x.info.AuthUser
	m.TLS = x.info.TLS != nil
	if pm, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		m.Header = pm.Header
		m.Body, _ = io.ReadAll(pm.Body)
	}
	x.s.add(m)
	return nil
}

func (x *session) Reset(ctx context.Context)        { x.cur = Message{} }
func (x *session) Logout(ctx context.Context) error { return nil }
