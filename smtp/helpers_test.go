package smtp_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/smtp"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// message is one delivered message as the fake backend saw it.
type message struct {
	From  string
	Rcpts []string
	Mail  smtp.MailOptions
	Rcpt  []smtp.RcptOptions
	Data  []byte
	Info  smtp.ConnInfo
}

// fakeBackend records messages; domains lists the local domains.
type fakeBackend struct {
	domains []string

	mu       sync.Mutex
	msgs     []message
	logouts  int
	sessions int

	mailErr error
	rcptErr func(to string) error
	dataErr error
	panicOn string
	newSess error
	got     chan struct{}
}

func newFakeBackend(domains ...string) *fakeBackend {
	return &fakeBackend{domains: domains, got: make(chan struct{}, 1000)}
}

func (b *fakeBackend) NewSession(ctx context.Context, c *smtp.ConnInfo) (smtp.Session, error) {
	if b.newSess != nil {
		return nil, b.newSess
	}
	b.mu.Lock()
	b.sessions++
	b.mu.Unlock()
	return &fakeSession{b: b, info: c}, nil
}

func (b *fakeBackend) IsLocalDomain(ctx context.Context, domain string) (bool, error) {
	for _, d := range b.domains {
		if strings.EqualFold(d, domain) {
			return true, nil
		}
	}
	return false, nil
}

func (b *fakeBackend) messages() []message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]message(nil), b.msgs...)
}

type fakeSession struct {
	b    *fakeBackend
	info *smtp.ConnInfo
	cur  message
}

func (s *fakeSession) Mail(ctx context.Context, from string, o *smtp.MailOptions) error {
	if s.b.panicOn == "MAIL" {
		panic("boom")
	}
	if s.b.mailErr != nil {
		return s.b.mailErr
	}
	s.cur = message{From: from, Mail: *o}
	return nil
}

func (s *fakeSession) Rcpt(ctx context.Context, to string, o *smtp.RcptOptions) error {
	if s.b.rcptErr != nil {
		if err := s.b.rcptErr(to); err != nil {
			return err
		}
	}
	s.cur.Rcpts = append(s.cur.Rcpts, to)
	s.cur.Rcpt = append(s.cur.Rcpt, *o)
	return nil
}

func (s *fakeSession) Data(ctx context.Context, r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.b.dataErr != nil {
		return s.b.dataErr
	}
	s.cur.Data = data
	s.cur.Info = *s.info
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	s.b.got <- struct{}{}
	return nil
}

func (s *fakeSession) Reset(ctx context.Context) { s.cur = message{} }

func (s *fakeSession) Logout(ctx context.Context) error {
	s.b.mu.Lock()
	s.b.logouts++
	s.b.mu.Unlock()
	return nil
}

// testCA is shared by the tests of this package (read-only after init).
var testCA = sync.OnceValue(func() *tlsutil.CA {
	ca, err := tlsutil.NewCA(nil)
	if err != nil {
		panic(err)
	}
	return ca
})

func serverTLS(t testing.TB) *tls.Config {
	cfg, err := testCA().ServerConfig("mx.example.test", "127.0.0.1")
	require.NoError(t, err)
	return cfg
}

func clientTLS() *tls.Config {
	return testCA().ClientConfig("mx.example.test")
}

// startServer serves s on 127.0.0.1:0 and returns the address.
func startServer(t testing.TB, s *smtp.Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return serveOn(t, s, l)
}

func serveOn(t testing.TB, s *smtp.Server, l net.Listener) string {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		err := <-done
		if !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return l.Addr().String()
}

// rawClient speaks raw SMTP for transcript tests.
type rawClient struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	t.Cleanup(func() { c.Close() })
	return &rawClient{t: t, conn: c, r: bufio.NewReader(c)}
}

// greetEHLO reads the 220 greeting and says EHLO name, expecting 250.
func (c *rawClient) greetEHLO(name string) {
	c.t.Helper()
	c.expectCode("", "220 ")
	c.expectCode("EHLO "+name, "250")
}

func (c *rawClient) send(s string) {
	c.t.Helper()
	_, err := io.WriteString(c.conn, s)
	require.NoError(c.t, err)
}

// line reads one reply line without CRLF.
func (c *rawClient) line() string {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	require.NoError(c.t, err, "reading reply (got %q)", l)
	require.True(c.t, strings.HasSuffix(l, "\r\n"), "reply line %q lacks CRLF", l)
	return strings.TrimSuffix(l, "\r\n")
}

// reply reads one complete (possibly multiline) reply, lines joined by \n.
func (c *rawClient) reply() string {
	c.t.Helper()
	var lines []string
	for {
		l := c.line()
		lines = append(lines, l)
		if len(l) < 4 || l[3] == ' ' {
			return strings.Join(lines, "\n")
		}
	}
}

// expect sends cmd (if not "") and checks the next reply exactly.
func (c *rawClient) expect(cmd, want string) {
	c.t.Helper()
	if cmd != "" {
		c.send(cmd + "\r\n")
	}
	require.Equal(c.t, want, c.reply(), "reply to %q", cmd)
}

// expectCode sends cmd and checks the reply code prefix.
func (c *rawClient) expectCode(cmd, prefix string) string {
	c.t.Helper()
	if cmd != "" {
		c.send(cmd + "\r\n")
	}
	r := c.reply()
	require.True(c.t, strings.HasPrefix(r, prefix), "reply to %q: got %q, want prefix %q", cmd, r, prefix)
	return r
}

// closed reports whether the server closed the connection (reads to EOF).
func (c *rawClient) closed() bool {
	_, err := io.ReadAll(c.r)
	return err == nil
}

func (c *rawClient) startTLS() {
	c.t.Helper()
	tc := tls.Client(c.conn, clientTLS())
	require.NoError(c.t, tc.Handshake())
	c.conn = tc
	c.r = bufio.NewReader(tc)
}

// addrListener reports a fixed remote address for its connections, so
// that a test can replay a transcript recorded from another client IP.
type addrListener struct {
	net.Listener
	remote net.Addr
}

func (l addrListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return addrConn{c, l.remote}, nil
}

type addrConn struct {
	net.Conn
	remote net.Addr
}

func (c addrConn) RemoteAddr() net.Addr { return c.remote }
