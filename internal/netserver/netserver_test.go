package netserver

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testConn is a connection that echoes nothing: it waits for the client to
// hang up or for Shutdown/Close.
type testConn struct {
	nc          net.Conn
	mu          sync.Mutex
	interrupted bool
	forced      bool
}

func (c *testConn) InterruptIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.interrupted = true
	_ = c.nc.SetReadDeadline(time.Unix(1, 0))
}

func (c *testConn) ForceClose() {
	c.mu.Lock()
	c.forced = true
	c.mu.Unlock()
	_ = c.nc.Close()
}

func (c *testConn) serve(started chan<- *testConn) {
	defer c.nc.Close()
	_, _ = io.WriteString(c.nc, "hello\r\n")
	started <- c
	_, _ = io.Copy(io.Discard, c.nc)
}

type env struct {
	srv     *Server[*testConn]
	addr    string
	started chan *testConn
	served  chan error
}

func start(t *testing.T, lim Limits) *env {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	e := &env{srv: &Server[*testConn]{}, addr: l.Addr().String(), started: make(chan *testConn, 16), served: make(chan error, 1)}
	h := &Handler[*testConn]{
		Limits:  lim,
		NewConn: func(nc net.Conn, ip netip.Addr) *testConn { return &testConn{nc: nc} },
		Serve:   func(c *testConn) { c.serve(e.started) },
		Refusal: func(_ net.Conn, why Reason) string {
			switch why {
			case ReasonTooMany:
				return "busy\r\n"
			case ReasonTooManyFromIP:
				return "busy ip\r\n"
			}
			return ""
		},
	}
	go func() { e.served <- e.srv.Serve(l, h) }()
	t.Cleanup(func() { e.srv.Close() })
	return e
}

func (e *env) dial(t *testing.T) (net.Conn, string) {
	t.Helper()
	nc, err := net.Dial("tcp", e.addr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	line, err := bufio.NewReader(nc).ReadString('\n')
	require.NoError(t, err)
	return nc, line
}

func TestLimits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		lim  Limits
		want string
	}{
		{"total", Limits{Conns: 2}, "busy\r\n"},
		{"per IP", Limits{Conns: 10, ConnsPerIP: 2}, "busy ip\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, tc.lim)
			for i := 0; i < 2; i++ {
				_, line := e.dial(t)
				require.Equal(t, "hello\r\n", line)
				<-e.started
			}
			_, line := e.dial(t)
			assert.Equal(t, tc.want, line)
			assert.Equal(t, 2, e.srv.ConnCount())
		})
	}
}

func TestShutdownInterruptsIdle(t *testing.T) {
	t.Parallel()
	e := start(t, Limits{})
	e.dial(t)
	c := <-e.started
	require.NoError(t, e.srv.Shutdown(context.Background()))
	assert.True(t, e.srv.Closed())
	assert.ErrorIs(t, <-e.served, ErrServerClosed)
	c.mu.Lock()
	defer c.mu.Unlock()
	assert.True(t, c.interrupted)
	assert.False(t, c.forced)
	assert.Equal(t, 0, e.srv.ConnCount())
}

// stubbornConn ignores InterruptIdle, so Shutdown must force it.
type stubbornConn struct{ testConn }

func (c *stubbornConn) InterruptIdle() {}

func TestShutdownTimeoutForcesClose(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &Server[*stubbornConn]{}
	started := make(chan *testConn, 1)
	var sc *stubbornConn
	h := &Handler[*stubbornConn]{
		NewConn: func(nc net.Conn, ip netip.Addr) *stubbornConn {
			sc = &stubbornConn{testConn{nc: nc}}
			return sc
		},
		Serve: func(c *stubbornConn) { c.serve(started) },
	}
	go func() { _ = srv.Serve(l, h) }()
	nc, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer nc.Close()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, srv.Shutdown(ctx), context.Canceled)
	sc.mu.Lock()
	defer sc.mu.Unlock()
	assert.True(t, sc.forced)
}

func TestCloseThenServe(t *testing.T) {
	t.Parallel()
	e := start(t, Limits{})
	e.dial(t)
	c := <-e.started
	e.srv.Close()
	assert.ErrorIs(t, <-e.served, ErrServerClosed)
	c.mu.Lock()
	assert.True(t, c.forced)
	c.mu.Unlock()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.ErrorIs(t, e.srv.Serve(l, &Handler[*testConn]{}), ErrServerClosed)
	_, err = l.Accept()
	assert.Error(t, err, "Serve closes the listener it refuses")
}

func TestRemoteIP(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		addr net.Addr
		want netip.Addr
	}{
		{"tcp4", &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 25}, netip.MustParseAddr("192.0.2.1")},
		{"tcp6", &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 25}, netip.MustParseAddr("2001:db8::1")},
		{"other", &net.UDPAddr{IP: net.IPv4(192, 0, 2, 2), Port: 25}, netip.MustParseAddr("192.0.2.2")},
		{"pipe", pipeAddr{}, netip.Addr{}},
		{"nil", nil, netip.Addr{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, RemoteIP(tc.addr))
		})
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// TestShutdownDoesNotWaitForeverForStuckHandler: a handler that ignores
// both ForceClose and the closed socket cannot hold Shutdown past its
// context plus ForceCloseGrace.
func TestShutdownDoesNotWaitForeverForStuckHandler(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &Server[*stubbornConn]{}
	started, release := make(chan struct{}), make(chan struct{})
	h := &Handler[*stubbornConn]{
		NewConn: func(nc net.Conn, ip netip.Addr) *stubbornConn { return &stubbornConn{testConn{nc: nc}} },
		Serve: func(c *stubbornConn) {
			close(started)
			<-release // stuck, deaf to everything
		},
	}
	go func() { _ = srv.Serve(l, h) }()
	nc, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer nc.Close()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(30 * time.Second): // generous: the grace is one second
		t.Fatal("Shutdown still waiting for a stuck handler")
	}
	close(release)
	srv.Close() // now the handler returns and Close can wait for it
}
