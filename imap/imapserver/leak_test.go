package imapserver_test

import (
	"context"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap/imapclient"
	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// waitGoroutines polls (generously, no timing assertion) until at most n
// goroutines run and returns the last count.
func waitGoroutines(n int) int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		g := runtime.NumGoroutine()
		if g <= n || time.Now().After(deadline) {
			return g
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Not parallel: it counts the goroutines of the whole test binary while
// the parallel tests are paused.
func TestNoGoroutineLeaks(t *testing.T) {
	for _, how := range []string{"Shutdown", "Close"} {
		t.Run(how, func(t *testing.T) {
			base := waitGoroutines(runtime.NumGoroutine())
			be := imapmem.New()
			require.NoError(t, be.AddUser("alice", "secret"))
			srv := &imapserver.Server{Backend: be, AllowInsecureAuth: true}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			served := make(chan error, 1)
			go func() { served <- srv.Serve(l) }()

			ctx := context.Background()
			// A client library connection, logged in and selected.
			c, err := imapclient.Dial(ctx, l.Addr().String(), nil)
			require.NoError(t, err)
			require.NoError(t, c.Login(ctx, "alice", "secret"))
			_, err = c.Select(ctx, "INBOX", nil)
			require.NoError(t, err)
			// A raw connection in IDLE.
			idle := dialRaw(t, l.Addr().String())
			idle.cmd("a", "LOGIN alice secret")
			idle.cmd("b", "SELECT INBOX")
			idle.send("c IDLE")
			assert.Equal(t, "+ idling", idle.line())
			// A raw connection in the middle of an APPEND literal.
			mid := dialRaw(t, l.Addr().String())
			mid.cmd("a", "LOGIN alice secret")
			mid.send("b APPEND INBOX {100}")
			assert.True(t, strings.HasPrefix(mid.line(), "+ "))
			mid.sendRaw("Subject: half")
			// A connection that never logs in.
			_ = dialRaw(t, l.Addr().String())

			if how == "Shutdown" {
				sctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
				defer cancel()
				// The APPEND in progress keeps Shutdown waiting until
				// its context ends; then everything is closed.
				assert.ErrorIs(t, srv.Shutdown(sctx), context.DeadlineExceeded)
				assert.True(t, strings.HasPrefix(idle.line(), "* BYE"))
			} else {
				require.NoError(t, srv.Close())
			}
			assert.ErrorIs(t, <-served, imapserver.ErrServerClosed)
			_ = c.Close()
			_ = idle.c.Close()
			_ = mid.c.Close()
			if g := waitGoroutines(base); g > base {
				buf := make([]byte, 1<<16)
				n := runtime.Stack(buf, true)
				t.Fatalf("%d goroutines left, %d before:\n%s", g, base, buf[:n])
			}
		})
	}
}
