package pop3

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/tlsutil"
)

func deliver(t *testing.T, be *MemoryBackend, user string, msgs ...string) []string {
	t.Helper()
	var uids []string
	for _, m := range msgs {
		uid, err := be.Deliver(user, []byte(m))
		require.NoError(t, err)
		uids = append(uids, uid)
	}
	return uids
}

func readAll(t *testing.T, rc io.ReadCloser, err error) string {
	t.Helper()
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	return string(b)
}

// SCENARIOS §8: download and delete, one user on one device.
func TestDownloadAndDelete(t *testing.T) {
	t.Parallel()
	env := startServer(t, nil)
	msgs := []string{
		"Subject: one\r\n\r\nfirst\r\n",
		"Subject: two\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n",
		"Subject: three\r\n\r\nkeep me\r\n",
	}
	uids := deliver(t, env.be, "alice", msgs...)
	ctx := ctxT(t)

	c := env.dial(t, tlsutil.ModeStartTLS)
	_, isTLS := c.TLSConnectionState()
	require.True(t, isTLS)
	require.NoError(t, c.Login(ctx, "alice", "secret"))
	require.True(t, env.be.Locked("alice"))

	n, size, err := c.Stat(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, int64(len(msgs[0])+len(msgs[1])+len(msgs[2])), size)

	list, err := c.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 3)
	ids, err := c.UIDL(ctx)
	require.NoError(t, err)
	for i, m := range msgs {
		assert.Equal(t, ListItem{Number: i + 1, Size: int64(len(m))}, list[i])
		assert.Equal(t, ListItem{Number: i + 1, UID: uids[i]}, ids[i])
		rc, err := c.Retr(ctx, i+1)
		got := readAll(t, rc, err)
		assert.Equal(t, m, got, "message %d", i+1)
		assert.Len(t, got, int(list[i].Size), "size is the exact octet count")
	}
	require.NoError(t, c.Dele(ctx, 1))
	require.NoError(t, c.Dele(ctx, 2))
	var perr *Error
	require.ErrorAs(t, c.Dele(ctx, 2), &perr, "deleting twice")
	_, err = c.Retr(ctx, 1)
	require.ErrorAs(t, err, &perr)
	n, _, err = c.Stat(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	// Marked only: nothing removed before QUIT.
	assert.Len(t, env.be.Messages("alice"), 3)

	require.NoError(t, c.Quit(ctx))
	assert.Equal(t, [][]byte{[]byte(msgs[2])}, env.be.Messages("alice"))
	assert.False(t, env.be.Locked("alice"), "lock released before the QUIT reply")

	// Next session sees the remaining message with its stable UID.
	c2 := env.dial(t, tlsutil.ModeStartTLS)
	require.NoError(t, c2.Login(ctx, "alice", "secret"))
	ids, err = c2.UIDL(ctx)
	require.NoError(t, err)
	assert.Equal(t, []ListItem{{Number: 1, UID: uids[2]}}, ids)
	require.NoError(t, c2.Quit(ctx))
}

func TestDropWithoutQuitKeepsMail(t *testing.T) {
	t.Parallel()
	env := startServer(t, nil)
	deliver(t, env.be, "alice", "Subject: a\r\n\r\na\r\n", "Subject: b\r\n\r\nb\r\n")
	ctx := ctxT(t)
	c := env.dial(t, tlsutil.ModeStartTLS)
	require.NoError(t, c.Login(ctx, "alice", "secret"))
	require.NoError(t, c.Dele(ctx, 1))
	require.NoError(t, c.Dele(ctx, 2))
	require.NoError(t, c.Close()) // connection drops, no QUIT
	waitUnlocked(t, env.be, "alice")
	assert.Len(t, env.be.Messages("alice"), 2)
}

func TestRsetUnmarks(t *testing.T) {
	t.Parallel()
	env := startServer(t, nil)
	deliver(t, env.be, "alice", "a\r\n", "b\r\n")
	ctx := ctxT(t)
	c := env.dial(t, tlsutil.ModeImplicit)
	require.NoError(t, c.Login(ctx, "alice", "secret"))
	require.NoError(t, c.Dele(ctx, 1))
	require.NoError(t, c.Rset(ctx))
	require.NoError(t, c.Noop(ctx))
	require.NoError(t, c.Quit(ctx))
	assert.Len(t, env.be.Messages("alice"), 2)
}

func TestInUse(t *testing.T) {
	t.Parallel()
	env := startServer(t, nil)
	ctx := ctxT(t)
	c1 := env.dial(t, tlsutil.ModeImplicit)
	require.NoError(t, c1.Login(ctx, "alice", "secret"))

	c2 := env.dial(t, tlsutil.ModeImplicit)
	err := c2.Login(ctx, "alice", "secret")
	require.ErrorIs(t, err, ErrInUse)
	var perr *Error
	require.ErrorAs(t, err, &perr)
	assert.Equal(t, CodeInUse, perr.Code)
	assert.True(t, perr.Temporary())
	// Another user is not affected; the refused client may retry later.
	require.NoError(t, c2.Login(ctx, "bob", "hunter2"))
	require.NoError(t, c2.Quit(ctx))

	require.NoError(t, c1.Quit(ctx))
	waitUnlocked(t, env.be, "alice")
	c3 := env.dial(t, tlsutil.ModeImplicit)
	require.NoError(t, c3.Login(ctx, "alice", "secret"))
	require.NoError(t, c3.Quit(ctx))
}

func TestCapabilities(t *testing.T) {
	t.Parallel()
	env := startServer(t, func(s *Server) { s.UTF8 = true; s.Implementation = "mailkit-test" })
	ctx := ctxT(t)
	c := env.dial(t, tlsutil.ModePlain)
	caps, err := c.Capabilities(ctx)
	require.NoError(t, err)
	for _, want := range []string{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS", "UTF8", "IMPLEMENTATION"} {
		assert.True(t, caps.Has(want), want)
	}
	assert.False(t, caps.Has("USER"), "USER not offered without TLS")
	assert.Equal(t, []string{"SCRAM-SHA-256", "SCRAM-SHA-1"}, caps["SASL"])

	require.NoError(t, c.StartTLS(ctx, env.clientTLS()))
	caps, err = c.Capabilities(ctx)
	require.NoError(t, err)
	assert.True(t, caps.Has("USER"))
	assert.False(t, caps.Has("STLS"))
	assert.Contains(t, caps["SASL"], "PLAIN")
	assert.Contains(t, caps["SASL"], "LOGIN")

	require.NoError(t, c.Login(ctx, "alice", "secret"))
	caps, err = c.Capabilities(ctx)
	require.NoError(t, err)
	assert.False(t, caps.Has("USER"))
	assert.False(t, caps.Has("SASL"))
	assert.True(t, caps.Has("TOP"))
}

func TestPlaintextUserRefused(t *testing.T) {
	t.Parallel()
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		env := startServer(t, nil)
		c := env.dial(t, tlsutil.ModePlain)
		err := c.Login(ctxT(t), "alice", "secret")
		require.ErrorIs(t, err, ErrAuth)
		assert.False(t, env.be.Locked("alice"))
	})
	t.Run("opt-in", func(t *testing.T) {
		t.Parallel()
		env := startServer(t, func(s *Server) { s.AllowInsecureAuth = true })
		c := env.dial(t, tlsutil.ModePlain)
		require.NoError(t, c.Login(ctxT(t), "alice", "secret"))
		require.NoError(t, c.Quit(ctxT(t)))
	})
	t.Run("no TLS configured", func(t *testing.T) {
		t.Parallel()
		env := startServer(t, func(s *Server) { s.TLSConfig = nil })
		c := env.dial(t, tlsutil.ModePlain)
		err := c.StartTLS(ctxT(t), env.clientTLS())
		require.ErrorIs(t, err, ErrSTLSUnavailable)
	})
}

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	env := startServer(t, nil)
	ctx := ctxT(t)
	c := env.dial(t, tlsutil.ModeImplicit)
	errWrong := c.Login(ctx, "alice", "wrong")
	require.ErrorIs(t, errWrong, ErrAuth)
	errUnknown := c.Login(ctx, "mallory", "secret")
	require.ErrorIs(t, errUnknown, ErrAuth)
	assert.Equal(t, errWrong.Error(), errUnknown.Error(), "unknown user and wrong password look alike")
	// Third failure: disconnected.
	err := c.Login(ctx, "alice", "nope")
	require.ErrorIs(t, err, ErrAuth)
	require.Error(t, c.Noop(ctx))
}

func TestAPOP(t *testing.T) {
	t.Parallel()
	env := startServer(t, nil)
	ctx := ctxT(t)
	c := env.dial(t, tlsutil.ModePlain)
	require.Contains(t, c.Greeting(), "@pop.test>")
	require.ErrorIs(t, c.APOP(ctx, "alice", "wrong"), ErrAuth)
	require.NoError(t, c.APOP(ctx, "alice", "secret"))
	_, _, err := c.Stat(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Quit(ctx))

	// Each connection gets a different timestamp, so a digest cannot be replayed.
	c2 := env.dial(t, tlsutil.ModePlain)
	assert.NotEqual(t, c.Greeting(), c2.Greeting())
}

// apopOnly hides the APOPSession interface of the memory backend.
type noAPOP struct{ be *MemoryBackend }

func (b noAPOP) NewSession(ctx context.Context, c *ConnInfo) (Session, error) {
	s, err := b.be.NewSession(ctx, c)
	return struct{ Session }{s}, err
}

func TestAPOPNotOffered(t *testing.T) {
	t.Parallel()
	env := startServer(t, func(s *Server) { s.Backend = noAPOP{s.Backend.(*MemoryBackend)} })
	c := env.dial(t, tlsutil.ModePlain)
	assert.NotContains(t, c.Greeting(), "<")
	require.ErrorIs(t, c.APOP(ctxT(t), "alice", "secret"), ErrNoAPOP)
	rc := env.raw(t)
	assert.True(t, strings.HasPrefix(rc.cmd("APOP alice 0123456789abcdef0123456789abcdef"), "-ERR"))
}

func TestAuth(t *testing.T) {
	t.Parallel()
	env := startServer(t, func(s *Server) {
		s.SASL.Enabled = []string{sasl.SCRAMSHA256, sasl.CRAMMD5, sasl.Plain, sasl.Login}
	})
	// Each case logs in as its own user: parallel sessions of one user
	// would collide on the mailbox lock ([IN-USE]).
	cases := []struct {
		name    string
		mode    tlsutil.Mode
		client  func(user string) sasl.Client
		wantErr error
	}{
		{"PLAIN over TLS", tlsutil.ModeImplicit, func(u string) sasl.Client { return sasl.NewPlainClient("", u, "secret") }, nil},
		{"LOGIN over STLS", tlsutil.ModeStartTLS, func(u string) sasl.Client { return sasl.NewLoginClient(u, "secret") }, nil},
		{"SCRAM on plaintext", tlsutil.ModePlain, func(u string) sasl.Client { return sasl.NewSCRAMClient(sasl.SCRAMSHA256, "", u, "secret", nil) }, nil},
		{"CRAM-MD5 on plaintext", tlsutil.ModePlain, func(u string) sasl.Client { return sasl.NewCRAMMD5Client(u, "secret") }, nil},
		{"PLAIN on plaintext refused", tlsutil.ModePlain, func(u string) sasl.Client { return sasl.NewPlainClient("", u, "secret") }, ErrAuth},
		{"PLAIN wrong password", tlsutil.ModeImplicit, func(u string) sasl.Client { return sasl.NewPlainClient("", u, "bad") }, ErrAuth},
		{"SCRAM wrong password", tlsutil.ModePlain, func(u string) sasl.Client { return sasl.NewSCRAMClient(sasl.SCRAMSHA256, "", u, "bad", nil) }, ErrAuth},
		{"PLAIN other authzid refused", tlsutil.ModeImplicit, func(u string) sasl.Client { return sasl.NewPlainClient("bob", u, "secret") }, ErrAuth},
	}
	for i, tc := range cases {
		user := fmt.Sprintf("user%d", i)
		env.be.AddUser(user, "secret")
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := ctxT(t)
			c := env.dial(t, tc.mode)
			err := c.Auth(ctx, tc.client(user))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			_, _, err = c.Stat(ctx)
			require.NoError(t, err)
			require.NoError(t, c.Quit(ctx))
		})
	}
}

func TestAuthWire(t *testing.T) {
	t.Parallel()
	env := startServer(t, func(s *Server) { s.SASL.AllowInsecure = true })
	rc := env.raw(t)
	rc.send("AUTH\r\n")
	require.Equal(t, "+OK SASL mechanisms follow", rc.line())
	assert.Contains(t, rc.multi(), "PLAIN")
	// Challenge/response with "*" abort.
	assert.Equal(t, "+ ", rc.cmd("AUTH PLAIN"))
	assert.Equal(t, "-ERR authentication aborted", rc.cmd("*"))
	// Bad base64.
	assert.Equal(t, "-ERR malformed initial response", rc.cmd("AUTH PLAIN !!!"))
	assert.Equal(t, "-ERR unsupported authentication mechanism", rc.cmd("AUTH X-NOPE"))
	// Initial response on the command line (RFC 5034).
	ir := base64.StdEncoding.EncodeToString([]byte("\x00alice\x00secret"))
	assert.True(t, strings.HasPrefix(rc.cmd("AUTH PLAIN "+ir), "+OK maildrop has 0 messages"))
	assert.Equal(t, "+OK bye (0 messages left, 0 deleted)", rc.cmd("QUIT"))
	assert.True(t, rc.closed())
}

func TestSTLSPipeliningRefused(t *testing.T) {
	t.Parallel()
	env := startServer(t, nil)
	rc := env.raw(t)
	rc.send("STLS\r\nUSER alice\r\n")
	l := rc.line()
	assert.True(t, strings.HasPrefix(l, "-ERR"), l)
	assert.True(t, rc.closed())
}

func TestSTLSWire(t *testing.T) {
	t.Parallel()
	env := startServer(t, nil)
	rc := env.raw(t)
	assert.Equal(t, "-ERR [AUTH] plaintext authentication disallowed without TLS, use STLS", rc.cmd("USER alice"))
	assert.Equal(t, "-ERR STLS takes no argument", rc.cmd("STLS now"))
	assert.Equal(t, "+OK begin TLS negotiation", rc.cmd("STLS"))
}

func TestDotStuffingAndLineEndings(t *testing.T) {
	t.Parallel()
	env := startServer(t, func(s *Server) { s.AllowInsecureAuth = true })
	stored := "Subject: dots\n\n.\n..\n.x\nbare LF\r\nno final newline"
	deliver(t, env.be, "alice", stored)
	want := "Subject: dots\r\n\r\n.\r\n..\r\n.x\r\nbare LF\r\nno final newline\r\n"

	rc := env.raw(t)
	rc.cmd("USER alice")
	require.True(t, strings.HasPrefix(rc.cmd("PASS secret"), "+OK"))
	assert.Equal(t, fmt.Sprintf("+OK 1 %d", len(want)), rc.cmd("STAT"))
	assert.Equal(t, fmt.Sprintf("+OK %d octets", len(want)), rc.cmd("RETR 1"))
	assert.Equal(t, []string{"Subject: dots", "", "..", "...", "..x", "bare LF", "no final newline"}, rc.multi())
	assert.Equal(t, "+OK top of message follows", rc.cmd("TOP 1 2"))
	assert.Equal(t, []string{"Subject: dots", "", "..", "..."}, rc.multi())
	assert.Equal(t, "+OK top of message follows", rc.cmd("TOP 1 0"))
	assert.Equal(t, []string{"Subject: dots", ""}, rc.multi())
	rc.cmd("QUIT")

	c := env.dial(t, tlsutil.ModePlain)
	ctx := ctxT(t)
	require.NoError(t, c.Login(ctx, "alice", "secret"))
	rcm, err := c.Retr(ctx, 1)
	assert.Equal(t, want, readAll(t, rcm, err))
	rcm, err = c.Top(ctx, 1, 1)
	assert.Equal(t, "Subject: dots\r\n\r\n.\r\n", readAll(t, rcm, err))
	// A body closed half-read is drained; the connection goes on.
	rcm, err = c.Retr(ctx, 1)
	require.NoError(t, err)
	require.ErrorIs(t, c.Noop(ctx), ErrBusy)
	buf := make([]byte, 3)
	_, err = io.ReadFull(rcm, buf)
	require.NoError(t, err)
	require.NoError(t, rcm.Close())
	require.NoError(t, c.Noop(ctx))
	require.NoError(t, c.Quit(ctx))
}

func TestLargeMessage(t *testing.T) {
	t.Parallel()
	env := startServer(t, nil)
	var b strings.Builder
	b.WriteString("Subject: big\r\n\r\n")
	long := strings.Repeat("x", 10000) // longer than any buffer
	for i := 0; i < 200; i++ {
		if i%7 == 0 {
			b.WriteString(".")
		}
		b.WriteString(long[:i*50])
		b.WriteString("\r\n")
	}
	msg := b.String()
	deliver(t, env.be, "alice", msg)
	ctx := ctxT(t)
	c := env.dial(t, tlsutil.ModeImplicit)
	require.NoError(t, c.Login(ctx, "alice", "secret"))
	rc, err := c.Retr(ctx, 1)
	assert.Equal(t, msg, readAll(t, rc, err))
	require.NoError(t, c.Quit(ctx))
}

func TestPipelining(t *testing.T) {
	t.Parallel()
	env := startServer(t, func(s *Server) { s.AllowInsecureAuth = true })
	deliver(t, env.be, "alice", "a\r\n", "b\r\n")
	rc := env.raw(t)
	rc.send("USER alice\r\nPASS secret\r\nSTAT\r\nLIST\r\nUIDL 2\r\nDELE 1\r\nSTAT\r\nQUIT\r\n")
	assert.Equal(t, "+OK send PASS", rc.line())
	assert.Equal(t, "+OK maildrop has 2 messages (6 octets)", rc.line())
	assert.Equal(t, "+OK 2 6", rc.line())
	assert.Equal(t, "+OK 2 messages (6 octets)", rc.line())
	assert.Equal(t, []string{"1 3", "2 3"}, rc.multi())
	assert.Equal(t, "+OK 2 m2", rc.line())
	assert.Equal(t, "+OK message 1 deleted", rc.line())
	assert.Equal(t, "+OK 1 3", rc.line())
	assert.Equal(t, "+OK bye (1 messages left, 1 deleted)", rc.line())
	assert.True(t, rc.closed())
	assert.Len(t, env.be.Messages("alice"), 1)
}

func TestHostileInput(t *testing.T) {
	t.Parallel()
	env := startServer(t, func(s *Server) { s.AllowInsecureAuth = true; s.Limits.BadCommands = 11 })
	deliver(t, env.be, "alice", "a\r\n")
	t.Run("states and arguments", func(t *testing.T) {
		t.Parallel()
		rc := env.raw(t)
		assert.Equal(t, "-ERR not logged in", rc.cmd("STAT"))
		assert.Equal(t, "-ERR USER first", rc.cmd("PASS secret"))
		assert.Equal(t, "-ERR malformed command", rc.cmd("US\x00ER alice"))
		rc.cmd("USER alice")
		require.True(t, strings.HasPrefix(rc.cmd("PASS secret"), "+OK"))
		for _, tc := range []struct{ cmd, want string }{
			{"RETR 0", "-ERR no such message"},
			{"RETR 2", "-ERR no such message"},
			{"RETR -1", "-ERR invalid message number"},
			{"RETR +1", "-ERR invalid message number"},
			{"RETR 99999999999999999999", "-ERR invalid message number"},
			{"RETR", "-ERR usage: RETR msg"},
			{"TOP 1 x", "-ERR invalid line count"},
			{"LIST 1 2", "-ERR too many arguments"},
			{"USER bob", "-ERR command not valid in the TRANSACTION state"},
		} {
			assert.Equal(t, tc.want, rc.cmd(tc.cmd), tc.cmd)
		}
		assert.Equal(t, "+OK 1 3", rc.cmd("list 1"), "keywords are case-insensitive")
		// Eleventh bad command: disconnected, nothing deleted.
		assert.Equal(t, "+OK message 1 deleted", rc.cmd("DELE 1"))
		assert.Equal(t, "-ERR too many bad commands, closing connection", rc.cmd("XYZZY"))
		assert.True(t, rc.closed())
		waitUnlocked(t, env.be, "alice")
		assert.Len(t, env.be.Messages("alice"), 1)
	})
	t.Run("long line", func(t *testing.T) {
		t.Parallel()
		rc := env.raw(t)
		assert.Equal(t, "-ERR line too long", rc.cmd("NOOP "+strings.Repeat("A", 100000)))
		assert.Equal(t, "+OK bye", rc.cmd("QUIT"))
	})
	t.Run("garbage", func(t *testing.T) {
		t.Parallel()
		rc := env.raw(t)
		rc.send("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n")
		assert.True(t, strings.HasPrefix(rc.line(), "-ERR"))
		rc.send(strings.Repeat("\r\n", 20))
		var last string
		for !strings.Contains(last, "too many") {
			last = rc.line()
		}
		assert.True(t, rc.closed())
	})
}

// faultyBackend wraps the memory backend with injected failures.
type faultyBackend struct {
	*MemoryBackend
	listErr, openErr, deleteErr error
	panicOnRetr                 bool
}

func (b *faultyBackend) NewSession(ctx context.Context, c *ConnInfo) (Session, error) {
	s, err := b.MemoryBackend.NewSession(ctx, c)
	return &faultySession{Session: s, b: b}, err
}

type faultySession struct {
	Session
	b *faultyBackend
}

func (s *faultySession) Open(ctx context.Context, user string) (Mailbox, error) {
	m, err := s.Session.Open(ctx, user)
	if err != nil {
		return nil, err
	}
	return &faultyMailbox{Mailbox: m, b: s.b}, nil
}

type faultyMailbox struct {
	Mailbox
	b *faultyBackend
}

func (m *faultyMailbox) List(ctx context.Context) ([]MessageInfo, error) {
	if m.b.listErr != nil {
		return nil, m.b.listErr
	}
	return m.Mailbox.List(ctx)
}

func (m *faultyMailbox) Open(ctx context.Context, i int) (io.ReadCloser, error) {
	if m.b.panicOnRetr {
		panic("backend bug")
	}
	if m.b.openErr != nil {
		return nil, m.b.openErr
	}
	return m.Mailbox.Open(ctx, i)
}

func (m *faultyMailbox) Delete(ctx context.Context, uids []string) error {
	if m.b.deleteErr != nil {
		return m.b.deleteErr
	}
	return m.Mailbox.Delete(ctx, uids)
}

func TestBackendErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fb    faultyBackend
		cmds  []string
		wants []string
	}{
		{"untyped list error hidden", faultyBackend{listErr: errBoom},
			[]string{"USER alice", "PASS secret"},
			[]string{"+OK send PASS", "-ERR [SYS/TEMP] internal server error, try again later"}},
		{"typed error passed through", faultyBackend{listErr: fmt.Errorf("wrapped: %w", &Error{Code: CodeSysPerm, Message: "mailbox corrupt"})},
			[]string{"USER alice", "PASS secret"},
			[]string{"+OK send PASS", "-ERR [SYS/PERM] mailbox corrupt"}},
		{"login delay sentinel", faultyBackend{listErr: ErrLoginDelay},
			[]string{"USER alice", "PASS secret"},
			[]string{"+OK send PASS", "-ERR [LOGIN-DELAY] login too soon after the last one"}},
		{"open error", faultyBackend{openErr: errBoom},
			[]string{"USER alice", "PASS secret", "RETR 1", "NOOP"},
			[]string{"+OK send PASS", "+OK maildrop has 1 messages (3 octets)", "-ERR [SYS/TEMP] internal server error, try again later", "+OK"}},
		{"delete failure at QUIT", faultyBackend{deleteErr: errBoom},
			[]string{"USER alice", "PASS secret", "DELE 1", "QUIT"},
			[]string{"+OK send PASS", "+OK maildrop has 1 messages (3 octets)", "+OK message 1 deleted", "-ERR [SYS/TEMP] some deleted messages not removed: internal server error, try again later"}},
		{"panic recovered", faultyBackend{panicOnRetr: true},
			[]string{"USER alice", "PASS secret", "RETR 1"},
			[]string{"+OK send PASS", "+OK maildrop has 1 messages (3 octets)", "-ERR [SYS/TEMP] internal server error"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fb := tc.fb
			env := startServer(t, func(s *Server) {
				fb.MemoryBackend = s.Backend.(*MemoryBackend)
				s.Backend = &fb
				s.AllowInsecureAuth = true
			})
			deliver(t, env.be, "alice", "a\r\n")
			rc := env.raw(t)
			for i, cmd := range tc.cmds {
				assert.Equal(t, tc.wants[i], rc.cmd(cmd), cmd)
			}
			waitForClose := tc.name == "panic recovered" || tc.name == "delete failure at QUIT"
			if waitForClose {
				assert.True(t, rc.closed())
			}
			rc.nc.Close()
			waitUnlocked(t, env.be, "alice")
			assert.Len(t, env.be.Messages("alice"), 1, "nothing deleted")
		})
	}
}

func TestNewSessionError(t *testing.T) {
	t.Parallel()
	env := startServer(t, func(s *Server) {
		s.Backend = backendFunc(func(context.Context, *ConnInfo) (Session, error) {
			return nil, &Error{Code: CodeSysPerm, Message: "go away"}
		})
	})
	_, err := Dial(ctxT(t), env.addr, nil)
	var perr *Error
	require.ErrorAs(t, err, &perr)
	assert.Equal(t, CodeSysPerm, perr.Code)
	assert.False(t, perr.Temporary())
}

type backendFunc func(context.Context, *ConnInfo) (Session, error)

func (f backendFunc) NewSession(ctx context.Context, c *ConnInfo) (Session, error) { return f(ctx, c) }

func TestConnectionLimits(t *testing.T) {
	t.Parallel()
	env := startServer(t, func(s *Server) { s.Limits.ConnectionsPerIP = 1 })
	c := env.dial(t, tlsutil.ModePlain)
	_, err := Dial(ctxT(t), env.addr, nil)
	var perr *Error
	require.ErrorAs(t, err, &perr)
	assert.Equal(t, CodeSysTemp, perr.Code)
	require.NoError(t, c.Quit(ctxT(t)))
	require.Eventually(t, func() bool { return env.srv.ConnCount() == 0 }, 10*time.Second, 5*time.Millisecond)
	c2 := env.dial(t, tlsutil.ModePlain)
	_, err = c2.Capabilities(ctxT(t))
	require.NoError(t, err)
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	env := startServer(t, func(s *Server) { s.Limits.IdleTimeout = 50 * time.Millisecond; s.AllowInsecureAuth = true })
	deliver(t, env.be, "alice", "a\r\n")
	rc := env.raw(t)
	rc.cmd("USER alice")
	rc.cmd("PASS secret")
	rc.cmd("DELE 1")
	assert.Equal(t, "-ERR autologout: idle for too long", rc.line())
	assert.True(t, rc.closed())
	waitUnlocked(t, env.be, "alice")
	assert.Len(t, env.be.Messages("alice"), 1, "autologout does not enter UPDATE")
}

func TestShutdown(t *testing.T) {
	t.Parallel()
	env := startServer(t, nil)
	rc := env.raw(t)
	require.NoError(t, env.srv.Shutdown(ctxT(t)))
	assert.Equal(t, "-ERR [SYS/TEMP] server shutting down", rc.line())
	assert.True(t, rc.closed())
	_, err := Dial(ctxT(t), env.addr, nil)
	require.Error(t, err)
}

func TestConcurrentSessions(t *testing.T) {
	t.Parallel()
	env := startServer(t, nil)
	users := []string{"u0", "u1", "u2", "u3", "u4", "u5"}
	for _, u := range users {
		env.be.AddUser(u, "pw-"+u)
		deliver(t, env.be, u, "Subject: "+u+"\r\n\r\nhello\r\n")
	}
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := ctxT(t)
			c, err := Dial(ctx, env.tlsAddr, &DialOptions{TLS: tlsutil.ModeImplicit, TLSConfig: env.clientTLS()})
			if !assert.NoError(t, err) {
				return
			}
			defer c.Close()
			assert.NoError(t, c.Login(ctx, u, "pw-"+u))
			rc, err := c.Retr(ctx, 1)
			if assert.NoError(t, err) {
				b, _ := io.ReadAll(rc)
				assert.Contains(t, string(b), "Subject: "+u)
			}
			assert.NoError(t, c.Dele(ctx, 1))
			assert.NoError(t, c.Quit(ctx))
		}()
	}
	wg.Wait()
	for _, u := range users {
		assert.Empty(t, env.be.Messages(u), u)
	}
}

func TestClientAPOPDigestRFCExample(t *testing.T) {
	t.Parallel()
	// RFC 1939 §7: timestamp <1896.697170952@dbc.mtview.ca.us>, secret
	// "tanstaaf", digest c4c9334bac560ecc979e58001b3e22fb.
	cl, sv := net.Pipe()
	defer sv.Close()
	got := make(chan string, 1)
	go func() {
		r := bufio.NewReader(sv)
		_, _ = io.WriteString(sv, "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n")
		l, _ := r.ReadString('\n')
		got <- l
		_, _ = io.WriteString(sv, "+OK maildrop has 1 message (369 octets)\r\n")
	}()
	c, err := NewClient(ctxT(t), cl, nil)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.APOP(ctxT(t), "mrose", "tanstaaf"))
	assert.Equal(t, "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n", <-got)
}
