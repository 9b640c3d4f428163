package pop3

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeServer accepts one connection and runs script on it.
func fakeServer(t *testing.T, script func(r *bufio.Reader, w net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
		script(bufio.NewReader(nc), nc)
	}()
	t.Cleanup(func() { _ = l.Close(); <-done })
	return l.Addr().String()
}

func TestClientContextCancel(t *testing.T) {
	t.Parallel()
	addr := fakeServer(t, func(r *bufio.Reader, w net.Conn) {
		_, _ = io.WriteString(w, "+OK hello\r\n")
		_, _ = r.ReadString('\n') // NOOP, never answered
		_, _ = r.ReadString('\n') // until the client closes
	})
	c, err := Dial(ctxT(t), addr, nil)
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	err = c.Noop(ctx)
	require.ErrorIs(t, err, context.Canceled)
	// The connection is out of step now: later calls fail at once.
	require.ErrorIs(t, c.Noop(ctxT(t)), context.Canceled)
}

func TestClientHostileServer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		script  string // everything the server sends after reading one command
		call    func(ctx context.Context, c *Client) error
		wantErr error
	}{
		{"long line", strings.Repeat("x", 10000) + "\r\n", func(ctx context.Context, c *Client) error { return c.Noop(ctx) }, ErrLineTooLong},
		{"garbage status", "HTTP/1.1 200 OK\r\n", func(ctx context.Context, c *Client) error { return c.Noop(ctx) }, ErrBadResponse},
		{"endless listing", "+OK\r\n" + strings.Repeat("1 1\r\n", 20), func(ctx context.Context, c *Client) error { _, err := c.List(ctx); return err }, ErrTooManyLines},
		{"bad STAT", "+OK lots\r\n", func(ctx context.Context, c *Client) error { _, _, err := c.Stat(ctx); return err }, ErrBadResponse},
		{"bad LIST entry", "+OK\r\nx y\r\n.\r\n", func(ctx context.Context, c *Client) error { _, err := c.List(ctx); return err }, ErrBadResponse},
		{"truncated body", "+OK\r\nabc\r\n", func(ctx context.Context, c *Client) error {
			rc, err := c.Retr(ctx, 1)
			if err != nil {
				return err
			}
			_, err = io.ReadAll(rc)
			return err
		}, io.ErrUnexpectedEOF},
		{"typed error", "-ERR [SYS/TEMP] busy\r\n", func(ctx context.Context, c *Client) error { return c.Noop(ctx) }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := fakeServer(t, func(r *bufio.Reader, w net.Conn) {
				_, _ = io.WriteString(w, "+OK hi\r\n")
				_, _ = r.ReadString('\n')
				_, _ = io.WriteString(w, tc.script)
			})
			c, err := Dial(ctxT(t), addr, &DialOptions{MaxLineLength: 1000, MaxListLines: 10})
			require.NoError(t, err)
			defer c.Close()
			err = tc.call(ctxT(t), c)
			if tc.wantErr == nil {
				var perr *Error
				require.ErrorAs(t, err, &perr)
				assert.Equal(t, CodeSysTemp, perr.Code)
				assert.True(t, perr.Temporary())
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
		})
	}
}

func TestClientRefusesInjection(t *testing.T) {
	t.Parallel()
	env := startServer(t, nil)
	c := env.dial(t, 0)
	err := c.Login(ctxT(t), "alice\r\nDELE 1", "x")
	require.ErrorIs(t, err, ErrBadCommand)
	// Nothing was sent: the connection is still in step.
	_, err = c.Capabilities(ctxT(t))
	require.NoError(t, err)
}

func TestClientClosed(t *testing.T) {
	t.Parallel()
	env := startServer(t, nil)
	c := env.dial(t, 0)
	require.NoError(t, c.Close())
	require.ErrorIs(t, c.Noop(ctxT(t)), ErrClosed)
	require.NoError(t, c.Close())
}
