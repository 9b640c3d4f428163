package pop3

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/tlsutil"
)

type testEnv struct {
	srv     *Server // plaintext with STLS
	tlsSrv  *Server // implicit TLS, same backend and settings
	be      *MemoryBackend
	addr    string
	tlsAddr string
	ca      *tlsutil.CA
}

// startServer runs a server on 127.0.0.1:0 with a MemoryBackend holding
// alice/secret and bob/hunter2, TLS from a fresh test CA, SASL with the
// backend's credentials. mod may change the server before it starts.
func startServer(t *testing.T, mod func(*Server)) *testEnv {
	t.Helper()
	ca, err := tlsutil.NewCA(nil)
	require.NoError(t, err)
	cfg, err := ca.ServerConfig("localhost", "127.0.0.1")
	require.NoError(t, err)
	be := &MemoryBackend{}
	be.AddUser("alice", "secret")
	be.AddUser("bob", "hunter2")
	srv := &Server{
		Backend:   be,
		Hostname:  "pop.test",
		TLSConfig: cfg,
		SASL:      &sasl.Registry{Credentials: be},
	}
	if mod != nil {
		mod(srv)
	}
	tlsSrv := &Server{
		Backend: srv.Backend, Hostname: srv.Hostname, TLSConfig: cfg, ImplicitTLS: true,
		SASL: srv.SASL, AllowInsecureAuth: srv.AllowInsecureAuth, Limits: srv.Limits,
	}
	env := &testEnv{srv: srv, tlsSrv: tlsSrv, be: be, ca: ca}
	env.addr = serve(t, srv)
	env.tlsAddr = serve(t, tlsSrv)
	return env
}

func serve(t *testing.T, srv *Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-done, ErrServerClosed)
	})
	return l.Addr().String()
}

func (e *testEnv) clientTLS() *tls.Config { return e.ca.ClientConfig("localhost") }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dial connects our client with the given mode.
func (e *testEnv) dial(t *testing.T, mode tlsutil.Mode) *Client {
	t.Helper()
	addr := e.addr
	if mode == tlsutil.ModeImplicit {
		addr = e.tlsAddr
	}
	c, err := Dial(ctxT(t), addr, &DialOptions{TLS: mode, TLSConfig: e.clientTLS()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// rawConn is a line-level test client for exact wire checks.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func (e *testEnv) raw(t *testing.T) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", e.addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	rc := &rawConn{t: t, nc: nc, r: bufio.NewReader(nc)}
	g := rc.line()
	require.True(t, strings.HasPrefix(g, "+OK "), "greeting %q", g)
	return rc
}

func (rc *rawConn) send(s string) {
	rc.t.Helper()
	_, err := rc.nc.Write([]byte(s))
	require.NoError(rc.t, err)
}

func (rc *rawConn) line() string {
	rc.t.Helper()
	l, err := rc.r.ReadString('\n')
	require.NoError(rc.t, err, "read after %q", l)
	require.True(rc.t, strings.HasSuffix(l, "\r\n"), "line %q lacks CRLF", l)
	return strings.TrimSuffix(l, "\r\n")
}

// cmd sends one command line and returns the status line.
func (rc *rawConn) cmd(line string) string {
	rc.t.Helper()
	rc.send(line + "\r\n")
	return rc.line()
}

// multi reads the lines of a multi-line body up to the terminator.
func (rc *rawConn) multi() []string {
	rc.t.Helper()
	var out []string
	for {
		l := rc.line()
		if l == "." {
			return out
		}
		out = append(out, l)
	}
}

// closed reports whether the server closed the connection (EOF next).
func (rc *rawConn) closed() bool {
	_, err := rc.r.ReadByte()
	return err != nil && !isTimeout(err)
}

// waitUnlocked waits (bounded) until the server closed the user's mailbox.
func waitUnlocked(t *testing.T, be *MemoryBackend, user string) {
	t.Helper()
	require.Eventually(t, func() bool { return !be.Locked(user) }, 10*time.Second, 5*time.Millisecond)
}

var errBoom = errors.New("disk on fire: /var/mail/alice")
