package netserver

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// ErrServerClosed is returned by [Server.Serve] after Shutdown or Close.
// Protocol servers translate it into their own sentinel.
var ErrServerClosed = errors.New("netserver: server closed")

// refusalWriteTimeout bounds writing the refusal text to a refused client.
const refusalWriteTimeout = 5 * time.Second

// Conn is implemented by a protocol server's connection type. Its
// methods are called from goroutines other than the connection's own,
// while the Server's lock is held: they must not block and must not call
// back into the Server.
type Conn interface {
	comparable
	// InterruptIdle makes a connection that is waiting for the client's
	// next command stop waiting (typically by setting a past read
	// deadline); a busy connection is left alone and is expected to check
	// [Server.Closed] before its next read.
	InterruptIdle()
	// ForceClose closes the connection at once, whatever it is doing.
	ForceClose()
}

// Reason says why a client was refused.
type Reason int

// Reasons for [Handler.Refusal].
const (
	// ReasonShutdown: the connection was accepted while the server was
	// shutting down.
	ReasonShutdown Reason = iota + 1
	// ReasonTooMany: [Limits.Conns] connections are being served.
	ReasonTooMany
	// ReasonTooManyFromIP: [Limits.ConnsPerIP] connections from the
	// client's address are being served.
	ReasonTooManyFromIP
)

// Limits bounds concurrent connections. A field <= 0 means no limit; the
// protocol servers apply their own defaults before passing them.
type Limits struct {
	// Conns is the maximum number of connections served at once.
	Conns int
	// ConnsPerIP is the maximum number of connections served at once
	// from one client address.
	ConnsPerIP int
}

// Handler is what a protocol server plugs into [Server.Serve].
type Handler[C Conn] struct {
	// Limits bounds concurrent connections.
	Limits Limits
	// NewConn creates the connection for an admitted client; ip is its
	// address (see [RemoteIP]). It is called with the Server's lock held:
	// it must be cheap and must not call back into the Server. Required.
	NewConn func(nc net.Conn, ip netip.Addr) C
	// Serve runs a connection in its own goroutine until it ends; it need
	// not close nc. Required.
	Serve func(c C)
	// Refusal returns the text written to a refused client before it is
	// closed ("" closes without writing). It is called without locks
	// held, so it may log. nil: refused clients are closed without a
	// word.
	Refusal func(nc net.Conn, why Reason) string
}

// Server tracks the listeners and connections of one protocol server. The
// zero value is ready to use; a Server must not be copied after first use.
type Server[C Conn] struct {
	mu        sync.Mutex
	closed    atomic.Bool
	listeners map[net.Listener]struct{}
	conns     map[C]struct{}
	perIP     map[netip.Addr]int
	wg        sync.WaitGroup
}

// Closed reports whether Shutdown or Close was called.
func (s *Server[C]) Closed() bool { return s.closed.Load() }

// Serve accepts connections on l and serves each with h in its own
// goroutine until l fails or the server is shut down; it then returns
// [ErrServerClosed] (after Shutdown or Close) or the accept error. It
// closes l when it returns.
func (s *Server[C]) Serve(l net.Listener, h *Handler[C]) error {
	if !s.addListener(l) {
		_ = l.Close()
		return ErrServerClosed
	}
	defer s.removeListener(l)
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.closed.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		s.admit(nc, h)
	}
}

func (s *Server[C]) addListener(l net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return false
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
	}
	s.listeners[l] = struct{}{}
	return true
}

func (s *Server[C]) removeListener(l net.Listener) {
	s.mu.Lock()
	delete(s.listeners, l)
	s.mu.Unlock()
	_ = l.Close()
}

// admit starts serving nc, or refuses it when the server is closed or a
// limit is reached.
func (s *Server[C]) admit(nc net.Conn, h *Handler[C]) {
	ip := RemoteIP(nc.RemoteAddr())
	s.mu.Lock()
	if s.conns == nil {
		s.conns = map[C]struct{}{}
		s.perIP = map[netip.Addr]int{}
	}
	var why Reason
	switch {
	case s.closed.Load():
		why = ReasonShutdown
	case h.Limits.Conns > 0 && len(s.conns) >= h.Limits.Conns:
		why = ReasonTooMany
	case h.Limits.ConnsPerIP > 0 && s.perIP[ip] >= h.Limits.ConnsPerIP:
		why = ReasonTooManyFromIP
	}
	if why == ReasonShutdown {
		// Close or Shutdown may already be in wg.Wait: adding to wg now
		// would race with it, so answer from the accepting goroutine,
		// which nobody waits for and which ends right after.
		s.mu.Unlock()
		s.refuse(nc, h, why)
		return
	}
	if why != 0 {
		// Tracked so that Close and Shutdown return only after the
		// refusal goroutine ended.
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.refuse(nc, h, why)
		}()
		return
	}
	c := h.NewConn(nc, ip)
	s.conns[c] = struct{}{}
	s.perIP[ip]++
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer s.drop(c, ip)
		h.Serve(c)
	}()
}

// refuse writes the refusal text, if any, to nc and closes it.
func (s *Server[C]) refuse(nc net.Conn, h *Handler[C], why Reason) {
	if h.Refusal != nil {
		if text := h.Refusal(nc, why); text != "" {
			_ = nc.SetWriteDeadline(time.Now().Add(refusalWriteTimeout))
			_, _ = io.WriteString(nc, text)
		}
	}
	_ = nc.Close()
}

func (s *Server[C]) drop(c C, ip netip.Addr) {
	s.mu.Lock()
	delete(s.conns, c)
	if s.perIP[ip]--; s.perIP[ip] <= 0 {
		delete(s.perIP, ip)
	}
	s.mu.Unlock()
}

// closeListeners marks the server closed and closes its listeners.
func (s *Server[C]) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed.Store(true)
	for l := range s.listeners {
		_ = l.Close()
	}
}

// ForceCloseGrace is how long Shutdown waits, after its context ended and
// it force-closed the remaining connections, for their goroutines to
// return before it returns anyway.
const ForceCloseGrace = time.Second

// Shutdown stops accepting, calls [Conn.InterruptIdle] on every
// connection, and waits for the connections (and refusals) to end. If
// ctx ends first, it calls [Conn.ForceClose] on the remaining
// connections, waits at most [ForceCloseGrace] for them and returns
// ctx's error: a handler stuck in code that ignores both its context and
// the closed socket cannot hold Shutdown forever (Close still waits).
func (s *Server[C]) Shutdown(ctx context.Context) error {
	s.closeListeners()
	s.Range(C.InterruptIdle)
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.Range(C.ForceClose)
		t := time.NewTimer(ForceCloseGrace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		}
		return ctx.Err()
	}
}

// Close stops accepting, calls [Conn.ForceClose] on every connection and
// waits for the connection goroutines to end.
func (s *Server[C]) Close() {
	s.closeListeners()
	s.Range(C.ForceClose)
	s.wg.Wait()
}

// Range calls f on every connection being served, with the Server's lock
// held (f must not block or call back into the Server).
func (s *Server[C]) Range(f func(C)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		f(c)
	}
}

// ConnCount returns the number of connections being served.
func (s *Server[C]) ConnCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// RemoteIP returns the IP address of a connection's remote address
// (IPv4-mapped IPv6 addresses unmapped), or the zero Addr when it has
// none.
func RemoteIP(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(ta.IP); ok {
			return ip.Unmap()
		}
	}
	if a != nil {
		if ap, err := netip.ParseAddrPort(a.String()); err == nil {
			return ap.Addr().Unmap()
		}
	}
	return netip.Addr{}
}
