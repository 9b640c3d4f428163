package imapserver_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/tlsutil"
)

type testEnv struct {
	srv     *imapserver.Server
	be      *imapmem.Backend
	addr    string
	ca      *tlsutil.CA
	tlsAddr string
}

func newEnv(t *testing.T, configure func(*imapserver.Server)) *testEnv {
	t.Helper()
	ca, err := tlsutil.NewCA(nil)
	require.NoError(t, err)
	cfg, err := ca.ServerConfig("localhost", "127.0.0.1")
	require.NoError(t, err)
	be := imapmem.New()
	require.NoError(t, be.AddUser("alice", "secret"))
	require.NoError(t, be.AddUser("bob", "secret"))
	srv := &imapserver.Server{Backend: be, TLSConfig: cfg}
	if configure != nil {
		configure(srv)
	}
	ctx := context.Background()
	l, err := tlsutil.Listen(ctx, "tcp", "127.0.0.1:0", tlsutil.ModeStartTLS, cfg)
	require.NoError(t, err)
	lt, err := tlsutil.Listen(ctx, "tcp", "127.0.0.1:0", tlsutil.ModeImplicit, cfg)
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	go func() { _ = srv.Serve(lt) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return &testEnv{srv: srv, be: be, addr: l.Addr().String(), ca: ca, tlsAddr: lt.Addr().String()}
}

// rawConn is a line-oriented client for raw protocol tests.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := &rawConn{t: t, c: c, br: bufio.NewReader(c)}
	g := r.line()
	require.True(t, strings.HasPrefix(g, "* OK"), g)
	return r
}

func (r *rawConn) startTLS(ca *tlsutil.CA) {
	r.t.Helper()
	r.send("s1 STARTTLS")
	require.True(r.t, strings.HasPrefix(r.line(), "s1 OK"))
	tc := tls.Client(r.c, ca.ClientConfig("localhost"))
	require.NoError(r.t, tc.Handshake())
	r.c = tc
	r.br = bufio.NewReader(tc)
}

func (r *rawConn) send(s string) {
	r.t.Helper()
	_, err := r.c.Write([]byte(s + "\r\n"))
	require.NoError(r.t, err)
}

func (r *rawConn) sendRaw(s string) {
	r.t.Helper()
	_, err := r.c.Write([]byte(s))
	require.NoError(r.t, err)
}

func (r *rawConn) line() string {
	r.t.Helper()
	l, err := r.br.ReadString('\n')
	require.NoError(r.t, err, "read so far: %q", l)
	return strings.TrimRight(l, "\r\n")
}

// until reads lines up to and including the one starting with prefix.
func (r *rawConn) until(prefix string) []string {
	r.t.Helper()
	var lines []string
	for {
		l := r.line()
		lines = append(lines, l)
		if strings.HasPrefix(l, prefix) {
			return lines
		}
	}
}

// cmd sends a tagged command and returns all lines up to its tagged reply.
func (r *rawConn) cmd(tag, c string) []string {
	r.t.Helper()
	r.send(tag + " " + c)
	return r.until(tag + " ")
}

func last(lines []string) string { return lines[len(lines)-1] }

func login(t *testing.T, env *testEnv, user string) *rawConn {
	r := dialRaw(t, env.addr)
	r.startTLS(env.ca)
	l := r.cmd("l1", "LOGIN "+user+" secret")
	require.True(t, strings.HasPrefix(last(l), "l1 OK"), l)
	return r
}

func dialRawNoGreeting(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}
