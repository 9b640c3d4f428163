package pop3

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// A long AUTH initial response (an OAuth token, a long password) is
// accepted up to Limits.AuthLine, not cut at the 512-octet command limit
// (RFC 5034 §4 exempts AUTH from the command length limit).
func TestAuthLongInitialResponse(t *testing.T) {
	t.Parallel()
	// PLAIN allows 255 octets per field (RFC 4616): about 1 KB encoded.
	user, pass := strings.Repeat("u", 250), strings.Repeat("p", 255)
	env := startServer(t, nil)
	env.be.AddUser(user, pass)
	ctx := ctxT(t)
	c := env.dial(t, tlsutil.ModeImplicit)
	require.NoError(t, c.Auth(ctx, sasl.NewPlainClient(user, user, pass)))
	_, _, err := c.Stat(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Quit(ctx))

	// Other commands keep the short limit.
	rc := env.raw(t)
	assert.Equal(t, "-ERR line too long", rc.cmd("NOOP "+strings.Repeat("x", 600)))
	// And AUTH lines beyond AuthLine are refused without closing.
	assert.Equal(t, "-ERR line too long", rc.cmd("AUTH PLAIN "+strings.Repeat("A", 13000)))
	assert.Equal(t, "+OK Capability list follows", rc.cmd("CAPA"))
	rc.multi()
}

// RFC 2449 PIPELINING: the server must answer every complete command even
// when the client's next command has only partly arrived.
func TestPipelinedPartialCommand(t *testing.T) {
	t.Parallel()
	env := startServer(t, nil)
	rc := env.raw(t)
	rc.send("NOOP\r\nCA")
	// NOOP is invalid before login: a -ERR, but it must come now.
	assert.Equal(t, "-ERR not logged in", rc.line())
	rc.send("PA\r\n")
	assert.Equal(t, "+OK Capability list follows", rc.line())
	rc.multi()
}

// A pipelined batch gets every answer in order, with the deleted message
// invisible to the later commands of the batch.
func TestPipelinedBatch(t *testing.T) {
	t.Parallel()
	env := startServer(t, func(s *Server) { s.AllowInsecureAuth = true })
	deliver(t, env.be, "alice", "Subject: 1\r\n\r\none\r\n", "Subject: 2\r\n\r\ntwo\r\n")
	rc := env.raw(t)
	rc.send("USER alice\r\nPASS secret\r\nDELE 1\r\nLIST\r\nUIDL 1\r\nSTAT\r\nTOP 2 0\r\nRETR 1\r\nQUIT\r\n")
	assert.Equal(t, "+OK send PASS", rc.line())
	assert.True(t, strings.HasPrefix(rc.line(), "+OK maildrop has 2 messages"))
	assert.Equal(t, "+OK message 1 deleted", rc.line())
	assert.Equal(t, "+OK 1 messages (19 octets)", rc.line())
	assert.Equal(t, []string{"2 19"}, rc.multi())
	assert.Equal(t, "-ERR message 1 already deleted", rc.line())
	assert.Equal(t, "+OK 1 19", rc.line())
	assert.Equal(t, "+OK top of message follows", rc.line())
	assert.Equal(t, []string{"Subject: 2", ""}, rc.multi())
	assert.Equal(t, "-ERR message 1 already deleted", rc.line())
	assert.Equal(t, "+OK bye (1 messages left, 1 deleted)", rc.line())
	assert.True(t, rc.closed())
	waitUnlocked(t, env.be, "alice")
	require.Len(t, env.be.Messages("alice"), 1)
}

// Close and Shutdown with logged-in TLS connections (implicit and after
// STLS) end them and leave no connection goroutine behind.
func TestCloseWithTLSConnections(t *testing.T) {
	for _, how := range []string{"Close", "Shutdown"} {
		t.Run(how, func(t *testing.T) {
			env := startServer(t, nil)
			ctx := ctxT(t)
			var clients []*Client
			logins := []struct {
				mode       tlsutil.Mode
				user, pass string
			}{{tlsutil.ModeImplicit, "alice", "secret"}, {tlsutil.ModeStartTLS, "bob", "hunter2"}}
			for _, l := range logins {
				c := env.dial(t, l.mode)
				require.NoError(t, c.Login(ctx, l.user, l.pass))
				clients = append(clients, c)
			}
			// A refused connection (over the per-IP limit is not set here,
			// so use a raw one that never speaks).
			nc, err := net.Dial("tcp", env.addr)
			require.NoError(t, err)
			defer nc.Close()
			require.Eventually(t, func() bool { return env.srv.ConnCount() == 2 && env.tlsSrv.ConnCount() == 1 },
				10*time.Second, 5*time.Millisecond)
			if how == "Close" {
				require.NoError(t, env.srv.Close())
				require.NoError(t, env.tlsSrv.Close())
			} else {
				require.NoError(t, env.srv.Shutdown(ctx))
				require.NoError(t, env.tlsSrv.Shutdown(ctx))
			}
			for _, c := range clients {
				require.Error(t, c.Noop(ctx))
			}
			assert.Equal(t, 0, env.srv.ConnCount())
			assert.Equal(t, 0, env.tlsSrv.ConnCount())
			assert.False(t, env.be.Locked("alice"))
			assert.False(t, env.be.Locked("bob"))
		})
	}
}

// Connections refused over the limits end with the server: no goroutine
// is left behind after Close.
func TestRefusedConnectionsTracked(t *testing.T) {
	env := startServer(t, func(s *Server) { s.Limits.ConnectionsPerIP = 1 })
	c := env.dial(t, tlsutil.ModePlain)
	for i := 0; i < 5; i++ {
		nc, err := net.Dial("tcp", env.addr)
		require.NoError(t, err)
		defer nc.Close()
	}
	require.NoError(t, env.srv.Close())
	require.Error(t, c.Noop(ctxT(t)))
	// Goroutines that called wg.Done may still be on their way out, so
	// wait (generously) for none of the server's to be left.
	require.Eventually(t, func() bool {
		buf := make([]byte, 1<<20)
		return !strings.Contains(string(buf[:runtime.Stack(buf, true)]), "pop3.(*Server).accept.func")
	}, 10*time.Second, 10*time.Millisecond, "server goroutines left after Close")
}

// RFC 5034: "=" is an empty initial response; a continuation answered
// with an empty line is an empty response.
func TestAuthEmptyInitialResponse(t *testing.T) {
	t.Parallel()
	env := startServer(t, func(s *Server) { s.SASL.AllowInsecure = true })
	rc := env.raw(t)
	// PLAIN with an empty initial response is malformed: -ERR, no close.
	l := rc.cmd("AUTH PLAIN =")
	assert.True(t, strings.HasPrefix(l, "-ERR [AUTH]"), l)
	// An empty continuation answer is also just an empty response.
	assert.Equal(t, "+ ", rc.cmd("AUTH PLAIN"))
	l = rc.cmd("")
	assert.True(t, strings.HasPrefix(l, "-ERR [AUTH]"), l)
	ir := base64.StdEncoding.EncodeToString([]byte("\x00alice\x00secret"))
	assert.Equal(t, "+ ", rc.cmd("AUTH PLAIN"))
	assert.True(t, strings.HasPrefix(rc.cmd(ir), "+OK maildrop has 0 messages"))
}

// The client gives up on an over-long response line at the limit instead
// of reading a never-ending line forever.
func TestClientNeverEndingLine(t *testing.T) {
	t.Parallel()
	addr := fakeServer(t, func(r *bufio.Reader, w net.Conn) {
		_, _ = io.WriteString(w, "+OK hello\r\n")
		_, _ = r.ReadString('\n')
		_, _ = io.WriteString(w, "+OK ")
		chunk := strings.Repeat("x", 4096)
		for {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	})
	c, err := Dial(ctxT(t), addr, &DialOptions{MaxLineLength: 1024})
	require.NoError(t, err)
	defer c.Close()
	// No deadline on this context: the limit alone must end the read.
	_, _, err = c.Stat(context.Background())
	require.ErrorIs(t, err, ErrLineTooLong)
}

// A listing is bounded in total size, not only in lines.
func TestClientListingBytes(t *testing.T) {
	t.Parallel()
	addr := fakeServer(t, func(r *bufio.Reader, w net.Conn) {
		_, _ = io.WriteString(w, "+OK hello\r\n")
		_, _ = r.ReadString('\n')
		_, _ = io.WriteString(w, "+OK\r\n")
		line := "1 " + strings.Repeat("u", 1000) + "\r\n"
		for {
			if _, err := io.WriteString(w, line); err != nil {
				return
			}
		}
	})
	c, err := Dial(ctxT(t), addr, &DialOptions{MaxListBytes: 1 << 20})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.UIDL(ctxT(t))
	require.ErrorIs(t, err, ErrTooManyLines)
}

// Quit after an unread message body drains it under Quit's own context.
func TestClientQuitDrainsUnderItsContext(t *testing.T) {
	t.Parallel()
	addr := fakeServer(t, func(r *bufio.Reader, w net.Conn) {
		_, _ = io.WriteString(w, "+OK hello\r\n")
		_, _ = r.ReadString('\n')
		_, _ = io.WriteString(w, "+OK\r\n")
		for { // a body that never ends
			if _, err := io.WriteString(w, strings.Repeat("y", 4096)+"\r\n"); err != nil {
				return
			}
		}
	})
	c, err := Dial(ctxT(t), addr, nil)
	require.NoError(t, err)
	rc, err := c.Retr(context.Background(), 1)
	require.NoError(t, err)
	_, err = rc.Read(make([]byte, 10))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = c.Quit(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
