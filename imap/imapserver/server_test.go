package imapserver_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

func TestGreetingAndCapabilities(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := dialRaw(t, env.addr)
	l := r.cmd("c1", "CAPABILITY")
	require.Len(t, l, 2)
	for _, want := range []string{"IMAP4rev1", "STARTTLS", "LOGINDISABLED", "LITERAL+", "IDLE", "UIDPLUS", "MOVE", "SASL-IR"} {
		assert.Contains(t, strings.Fields(l[0]), want)
	}
	assert.NotContains(t, l[0], "AUTH=PLAIN", "no plaintext mechanisms before TLS")
	r.startTLS(env.ca)
	l = r.cmd("c2", "capability")
	assert.NotContains(t, l[0], "STARTTLS")
	assert.NotContains(t, l[0], "LOGINDISABLED")
	assert.Contains(t, l[0], "AUTH=PLAIN")
}

func TestProtocolErrors(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	cases := []struct {
		name, cmd, want string
	}{
		{"unknown command", "x1 FROB", "x1 BAD"},
		{"missing argument", "x1 SELECT", "x1 BAD"},
		{"wrong state", "x1 FETCH 1 FLAGS", "x1 BAD"},
		{"bad seqset", "x1 SEARCH 0:*", "x1 BAD"},
		{"unterminated quote", `x1 SELECT "INBOX`, "x1 BAD"},
		{"bad escape", `x1 SELECT "IN\BOX"`, "x1 BAD"},
		{"bad fetch item", "x1 NOOP extra", "x1 BAD"},
		{"bad tag", "+ NOOP", "* BAD"},
		{"uid without command", "x1 UID NOOP", "x1 BAD"},
		{"login before tls", "x1 LOGIN alice secret", "x1 NO [PRIVACYREQUIRED]"},
		{"authenticate unknown", "x1 AUTHENTICATE FOO", "x1 NO"},
		{"nested search", "x1 SEARCH " + strings.Repeat("(", 200) + "ALL" + strings.Repeat(")", 200), "x1 BAD"},
		{"empty line", "", "* BAD"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := dialRaw(t, env.addr)
			r.send(tc.cmd)
			l := r.line()
			assert.True(t, strings.HasPrefix(l, tc.want), "got %q", l)
			// The connection is still usable.
			assert.Equal(t, "n1 OK NOOP completed", last(r.cmd("n1", "NOOP")))
		})
	}
}

func TestStateErrors(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	assert.True(t, strings.HasPrefix(last(r.cmd("a1", "FETCH 1 FLAGS")), "a1 BAD"))
	assert.True(t, strings.HasPrefix(last(r.cmd("a2", "LOGIN alice secret")), "a2 BAD"))
	assert.True(t, strings.HasPrefix(last(r.cmd("a3", "SELECT nope")), "a3 NO [NONEXISTENT]"))
	assert.True(t, strings.HasPrefix(last(r.cmd("a4", "DELETE INBOX")), "a4 NO"))
	assert.True(t, strings.HasPrefix(last(r.cmd("a5", "STATUS INBOX (BOGUS)")), "a5 BAD"))
	assert.True(t, strings.HasPrefix(last(r.cmd("a6", "ENABLE")), "a6 BAD"))
	l := r.cmd("a7", "ENABLE X-UNKNOWN")
	assert.Equal(t, "* ENABLED", l[0])
	l = r.cmd("a7", "ENABLE CONDSTORE")
	assert.Equal(t, "* ENABLED CONDSTORE", l[0])
	l = r.cmd("a7", "ENABLE CONDSTORE")
	assert.Equal(t, "* ENABLED", l[0], "enabled only once (RFC 5161 §3.1)")
	l = r.cmd("a8", `ID ("name" "test")`)
	assert.Equal(t, `* ID ("name" "mailkit")`, l[0])
	l = r.cmd("a9", "NAMESPACE")
	assert.Equal(t, `* NAMESPACE (("" "/")) NIL NIL`, l[0])
	l = r.cmd("b1", `LIST "" ""`)
	assert.Equal(t, `* LIST (\Noselect) "/" ""`, l[0])
}

func TestLiterals(t *testing.T) {
	t.Parallel()
	env := newEnv(t, func(s *imapserver.Server) { s.Limits.MaxMessageSize = 1000 })
	r := login(t, env, "alice")
	t.Run("synchronising literal in LOGIN-like argument", func(t *testing.T) {
		r.send("a1 CREATE {4}")
		require.True(t, strings.HasPrefix(r.line(), "+ "))
		r.sendRaw("Test\r\n")
		assert.Equal(t, "a1 OK CREATE completed", r.line())
	})
	t.Run("non-synchronising literal", func(t *testing.T) {
		r.send("a2 SELECT {4+}")
		r.sendRaw("Test\r\n")
		assert.Equal(t, "a2 OK [READ-WRITE] SELECT completed", last(r.until("a2 ")))
	})
	t.Run("too big synchronising literal", func(t *testing.T) {
		r.send("a3 APPEND INBOX {100000}")
		assert.True(t, strings.HasPrefix(r.line(), "a3 NO [TOOBIG]"))
		assert.Equal(t, "n1 OK NOOP completed", last(r.cmd("n1", "NOOP")))
	})
	t.Run("too big string literal", func(t *testing.T) {
		r.send("a4 SELECT {100000000}")
		assert.True(t, strings.HasPrefix(r.line(), "a4 BAD"))
		assert.Equal(t, "n2 OK NOOP completed", last(r.cmd("n2", "NOOP")))
	})
	t.Run("append with flags and date", func(t *testing.T) {
		msg := "Subject: x\r\n\r\nbody\r\n"
		r.send(`a5 APPEND Test (\Seen $Work) "01-Feb-2024 10:00:00 +0100" {` + itoa(len(msg)) + "}")
		require.True(t, strings.HasPrefix(r.line(), "+ "))
		r.sendRaw(msg + "\r\n")
		l := r.until("a5 ")
		assert.True(t, strings.HasPrefix(last(l), "a5 OK [APPENDUID "), l)
		l = r.cmd("a6", "FETCH 1 (FLAGS INTERNALDATE)")
		assert.Contains(t, l, `* 1 FETCH (FLAGS (\Seen $Work \Recent) INTERNALDATE " 1-Feb-2024 10:00:00 +0100")`)
	})
	t.Run("huge non-synchronising literal closes", func(t *testing.T) {
		r2 := login(t, env, "alice")
		r2.send("a1 APPEND INBOX {100000+}")
		l := r2.line()
		assert.True(t, strings.HasPrefix(l, "* BYE"), l)
		_, err := r2.br.ReadString('\n')
		assert.Error(t, err)
	})
}

func TestLineTooLong(t *testing.T) {
	t.Parallel()
	env := newEnv(t, func(s *imapserver.Server) { s.Limits.MaxLineLength = 1000 })
	r := dialRaw(t, env.addr)
	r.send("a1 NOOP " + strings.Repeat("x", 2000))
	assert.True(t, strings.HasPrefix(r.line(), "a1 BAD"))
	assert.Equal(t, "n1 OK NOOP completed", last(r.cmd("n1", "NOOP")))
	r.send("a2 NOOP " + strings.Repeat("x", 10000))
	assert.True(t, strings.HasPrefix(r.line(), "* BYE"))
}

func TestTooManyBadCommands(t *testing.T) {
	t.Parallel()
	env := newEnv(t, func(s *imapserver.Server) { s.Limits.MaxBadCommands = 3 })
	r := dialRaw(t, env.addr)
	for i := 0; i < 2; i++ {
		r.send("x BOGUS")
		assert.True(t, strings.HasPrefix(r.line(), "x BAD"))
	}
	r.send("x BOGUS")
	assert.True(t, strings.HasPrefix(r.line(), "x BAD"))
	assert.True(t, strings.HasPrefix(r.line(), "* BYE"))
}

func TestStartTLSPipelined(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := dialRaw(t, env.addr)
	r.sendRaw("s1 STARTTLS\r\ns2 LOGIN alice secret\r\n")
	assert.True(t, strings.HasPrefix(r.line(), "s1 BAD"))
	assert.True(t, strings.HasPrefix(r.line(), "* BYE"))
	_, err := r.br.ReadString('\n')
	assert.ErrorIs(t, err, io.EOF)
}

func TestAuthenticatePlainRaw(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	t.Run("initial response", func(t *testing.T) {
		r := dialRaw(t, env.addr)
		r.startTLS(env.ca)
		l := r.cmd("a1", "AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==")
		assert.True(t, strings.HasPrefix(last(l), "a1 OK [CAPABILITY "), l)
	})
	t.Run("continuation", func(t *testing.T) {
		r := dialRaw(t, env.addr)
		r.startTLS(env.ca)
		r.send("a1 AUTHENTICATE PLAIN")
		assert.Equal(t, "+ ", r.line())
		r.send("AGFsaWNlAHdyb25n")
		assert.True(t, strings.HasPrefix(r.line(), "a1 NO [AUTHENTICATIONFAILED]"))
	})
	t.Run("cancel", func(t *testing.T) {
		r := dialRaw(t, env.addr)
		r.startTLS(env.ca)
		r.send("a1 AUTHENTICATE PLAIN")
		assert.Equal(t, "+ ", r.line())
		r.send("*")
		assert.True(t, strings.HasPrefix(r.line(), "a1 BAD"))
	})
}

func TestIdleRaw(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	r.cmd("a1", "SELECT INBOX")
	r.send("a2 IDLE")
	assert.Equal(t, "+ idling", r.line())
	_, err := env.be.Deliver("alice", "INBOX", []byte("Subject: new\r\n\r\nx\r\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, "* 1 EXISTS", r.line())
	assert.Equal(t, "* 1 RECENT", r.line())
	r.send("DONE")
	assert.Equal(t, "a2 OK IDLE completed", r.line())
	r.send("a3 IDLE")
	assert.Equal(t, "+ idling", r.line())
	r.send("NOTDONE")
	assert.True(t, strings.HasPrefix(r.line(), "a3 BAD"))
}

func TestMailboxNamesUTF7(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	assert.Equal(t, "a1 OK CREATE completed", last(r.cmd("a1", "CREATE Entw&APw-rfe")))
	l := r.cmd("a2", `LIST "" "Entw*"`)
	assert.Equal(t, `* LIST (\HasNoChildren) "/" Entw&APw-rfe`, l[0])
	assert.True(t, strings.HasPrefix(last(r.cmd("a3", "CREATE &Jjo-&Jjo-")), "a3 NO [CANNOT]"))
}

// faultyBackend wraps a backend and fails or panics on SELECT.
type faultyBackend struct {
	imapserver.Backend
	panic bool
}

type faultySession struct {
	imapserver.Session
	panic bool
}

func (b *faultyBackend) NewSession(ctx context.Context, c *imapserver.ConnInfo) (imapserver.Session, error) {
	s, err := b.Backend.NewSession(ctx, c)
	return &faultySession{Session: s, panic: b.panic}, err
}

func (s *faultySession) Select(ctx context.Context, name string, o *imap.SelectOptions) (*imap.SelectData, error) {
	if s.panic {
		panic("boom")
	}
	return nil, errors.New("disk on fire at /var/secret/path")
}

func TestBackendFailures(t *testing.T) {
	t.Parallel()
	t.Run("error", func(t *testing.T) {
		t.Parallel()
		env := newEnv(t, func(s *imapserver.Server) { s.Backend = &faultyBackend{Backend: s.Backend} })
		r := login(t, env, "alice")
		l := last(r.cmd("a1", "SELECT INBOX"))
		assert.Equal(t, "a1 NO [SERVERBUG] Internal server error", l)
		assert.NotContains(t, l, "secret")
		assert.Equal(t, "n1 OK NOOP completed", last(r.cmd("n1", "NOOP")))
	})
	t.Run("panic", func(t *testing.T) {
		t.Parallel()
		env := newEnv(t, func(s *imapserver.Server) { s.Backend = &faultyBackend{Backend: s.Backend, panic: true} })
		r := login(t, env, "alice")
		r.send("a1 SELECT INBOX")
		assert.Equal(t, "* BYE Internal server error", r.line())
		_, err := r.br.ReadString('\n')
		assert.Error(t, err)
		// The server still serves others.
		r2 := login(t, env, "alice")
		assert.Equal(t, "n1 OK NOOP completed", last(r2.cmd("n1", "NOOP")))
	})
}

func TestShutdown(t *testing.T) {
	t.Parallel()
	t.Run("waiting", func(t *testing.T) {
		t.Parallel()
		env := newEnv(t, nil)
		r := login(t, env, "alice")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, env.srv.Shutdown(ctx))
		assert.True(t, strings.HasPrefix(r.line(), "* BYE"))
	})
	for _, selected := range []bool{false, true} {
		name := "idle authenticated"
		if selected {
			name = "idle selected"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, nil)
			r := login(t, env, "alice")
			if selected {
				r.cmd("a1", "SELECT INBOX")
			}
			r.send("a2 IDLE")
			require.Equal(t, "+ idling", r.line())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, env.srv.Shutdown(ctx), "IDLE must not hold Shutdown until ctx ends")
			assert.Equal(t, "* BYE Server shutting down", r.line())
			_, err := r.br.ReadString('\n')
			assert.ErrorIs(t, err, io.EOF, "connection closed after BYE")
			assert.Equal(t, 0, env.srv.ConnCount())
		})
	}
}

func TestServeAfterClose(t *testing.T) {
	t.Parallel()
	srv := &imapserver.Server{Backend: imapmem.New()}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	_ = dialRaw(t, l.Addr().String())
	require.NoError(t, srv.Close())
	assert.ErrorIs(t, <-served, imapserver.ErrServerClosed)
	assert.Equal(t, 0, srv.ConnCount(), "Close waits for the connections")
	_, err = l.Accept()
	assert.Error(t, err, "Serve closed its listener")

	l2, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	assert.ErrorIs(t, srv.Serve(l2), imapserver.ErrServerClosed)
	_, err = l2.Accept()
	assert.Error(t, err, "Serve closes a listener it refuses")
}

func TestConnectionLimits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		lim       imapserver.Limits
		otherAddr bool // a client from another address is still served
	}{
		{"total", imapserver.Limits{MaxConnections: 1}, false},
		{"per IP", imapserver.Limits{MaxConnections: 10, MaxConnectionsPerIP: 1}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, func(s *imapserver.Server) { s.Limits = tc.lim })
			first := dialRaw(t, env.addr)
			require.Equal(t, 1, env.srv.ConnCount())

			plain := dialRawNoGreeting(t, env.addr)
			assert.Equal(t, "* BYE Too many connections", plain.line())

			tc2, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", env.tlsAddr, env.ca.ClientConfig("localhost"))
			require.NoError(t, err)
			defer tc2.Close()
			_ = tc2.SetDeadline(time.Now().Add(30 * time.Second))
			l, err := bufio.NewReader(tc2).ReadString('\n')
			require.NoError(t, err)
			assert.Equal(t, "* BYE Too many connections\r\n", l, "implicit TLS clients are refused over TLS")

			assert.Equal(t, "n1 OK NOOP completed", last(first.cmd("n1", "NOOP")), "the served client is unaffected")
			assert.Equal(t, 1, env.srv.ConnCount())

			if tc.otherAddr {
				// Linux routes all of 127/8 to lo; elsewhere skip.
				d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
				nc, err := d.Dial("tcp", env.addr)
				if err != nil {
					t.Skipf("cannot dial from 127.0.0.2: %v", err)
				}
				defer nc.Close()
				_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
				g, err := bufio.NewReader(nc).ReadString('\n')
				require.NoError(t, err)
				assert.True(t, strings.HasPrefix(g, "* OK"), "another address is served: %q", g)
			}
		})
	}
}

func TestExpungeNotDuringFetch(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	for i := 0; i < 3; i++ {
		_, err := env.be.Deliver("alice", "INBOX", []byte("Subject: m\r\n\r\nx\r\n"), nil)
		require.NoError(t, err)
	}
	r1 := login(t, env, "alice")
	r2 := login(t, env, "alice")
	r1.cmd("a1", "SELECT INBOX")
	r2.cmd("b1", "SELECT INBOX")
	r1.cmd("a2", `STORE 2 +FLAGS.SILENT (\Deleted)`)
	r1.cmd("a3", "EXPUNGE")
	// FETCH must not report the EXPUNGE; message 2 is simply missing.
	l := r2.cmd("b2", "FETCH 1:3 UID")
	assert.Equal(t, []string{"* 1 FETCH (UID 1)", "* 3 FETCH (UID 3)", "b2 OK FETCH completed"}, l)
	l = r2.cmd("b3", "NOOP")
	assert.Equal(t, []string{"* 2 EXPUNGE", "b3 OK NOOP completed"}, l)
	l = r2.cmd("b4", "FETCH 1:* UID")
	assert.Equal(t, []string{"* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)", "b4 OK FETCH completed"}, l)
}
