package imapserver_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// RFC 3501 spot checks over raw TCP, one mailbox state per subtest group.

func deliver(t *testing.T, env *testEnv, user, mailbox, msg string) {
	t.Helper()
	_, err := env.be.Deliver(user, mailbox, []byte(msg), nil)
	require.NoError(t, err)
}

func hasLine(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func TestRFC3501Literals(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	t.Run("synchronising literal gets a continuation request first", func(t *testing.T) {
		r.send("a1 CREATE {3}")
		assert.True(t, strings.HasPrefix(r.line(), "+ "), "continuation before the data")
		r.sendRaw("box\r\n")
		assert.Equal(t, "a1 OK CREATE completed", r.line())
	})
	t.Run("non-synchronising literal gets no continuation request", func(t *testing.T) {
		r.sendRaw("a2 CREATE {4+}\r\nbox2\r\n")
		assert.Equal(t, "a2 OK CREATE completed", r.line(), "the first line is the tagged reply, not '+'")
	})
	t.Run("several literals on one line", func(t *testing.T) {
		r.sendRaw("a3 RENAME {4+}\r\nbox2 {4+}\r\nbox3\r\n")
		assert.Equal(t, "a3 OK RENAME completed", r.line())
	})
	t.Run("literal bytes are not parsed as syntax", func(t *testing.T) {
		r.sendRaw("a4 CREATE {7+}\r\na4 NOOP\r\n")
		assert.Equal(t, "a4 OK CREATE completed", r.line())
		l := r.cmd("a5", `LIST "" "a4 NOOP"`)
		assert.Contains(t, l[0], `"a4 NOOP"`)
	})
}

func TestRFC3501LiteralMemory(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	t.Run("many non-synchronising literals on one line close the connection", func(t *testing.T) {
		r := login(t, env, "alice")
		chunk := strings.Repeat("x", 60000)
		// 200 x 60 KB = 12 MB held in memory for one LIST line without the
		// per-line budget (imap.Limits.MaxLineLiterals, 8 MiB).
		var sb strings.Builder
		sb.WriteString(`a1 LIST "" (`)
		for i := 0; i < 200; i++ {
			if i > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString("{60000+}\r\n" + chunk)
		}
		sb.WriteString(")\r\n")
		go func() { _, _ = r.c.Write([]byte(sb.String())) }()
		l := r.line()
		assert.Equal(t, "* BYE Input exceeds literals per line limit", l)
	})
	t.Run("synchronising literal over the budget is refused and the session goes on", func(t *testing.T) {
		r := login(t, env, "alice")
		chunk := strings.Repeat("y", 60000)
		r.send(`a1 LIST "" ({60000}`)
		n := 0
		for {
			l := r.line()
			if strings.HasPrefix(l, "a1 ") {
				assert.True(t, strings.HasPrefix(l, "a1 BAD"), l)
				break
			}
			require.True(t, strings.HasPrefix(l, "+ "), l)
			n++
			r.sendRaw(chunk + " {60000}\r\n")
		}
		assert.Greater(t, n, 100)
		assert.Equal(t, "n1 OK NOOP completed", last(r.cmd("n1", "NOOP")))
	})
}

func TestLimitsMaxLineLiterals(t *testing.T) {
	t.Parallel()
	// 20 literals of 60,000 bytes: 1.2 MB on one line, under the 8 MiB
	// default and over a 1 MiB limit.
	var sb strings.Builder
	sb.WriteString(`a1 LIST "" (`)
	for i := 0; i < 20; i++ {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString("{60000+}\r\n" + strings.Repeat("x", 60000))
	}
	sb.WriteString(")\r\n")
	line := sb.String()
	cases := []struct {
		name  string
		limit int64
		want  string
	}{
		{"default admits the line", 0, "a1 "},
		{"limit above the line admits it", 2 << 20, "a1 "},
		{"limit below the line closes the connection", 1 << 20, "* BYE Input exceeds literals per line limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, func(s *imapserver.Server) { s.Limits.MaxLineLiterals = tc.limit })
			r := login(t, env, "alice")
			go func() { _, _ = r.c.Write([]byte(line)) }()
			l := r.line()
			for strings.HasPrefix(l, "* LIST") {
				l = r.line()
			}
			assert.True(t, strings.HasPrefix(l, tc.want), l)
			if tc.want == "a1 " {
				assert.NotContains(t, l, "BAD", l)
			}
		})
	}
}

func TestRFC3501ResponseCodes(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	deliver(t, env, "alice", "INBOX", "Subject: 1\r\n\r\none\r\n")
	deliver(t, env, "alice", "INBOX", "Subject: 2\r\n\r\ntwo\r\n")
	r := dialRaw(t, env.addr)
	r.startTLS(env.ca)
	t.Run("CAPABILITY in the tagged OK of LOGIN", func(t *testing.T) {
		l := last(r.cmd("a1", "LOGIN alice secret"))
		assert.True(t, strings.HasPrefix(l, "a1 OK [CAPABILITY IMAP4rev1 "), l)
		assert.NotContains(t, l, "LOGINDISABLED")
		assert.NotContains(t, l, "STARTTLS")
	})
	t.Run("SELECT", func(t *testing.T) {
		r.cmd("s0", `STORE 1 +FLAGS (\Seen)`) // not selected: BAD, ignored
		l := r.cmd("a2", "SELECT INBOX")
		assert.Contains(t, l, "* 2 EXISTS")
		assert.Contains(t, l, "* 2 RECENT")
		assert.True(t, hasLine(l, `* FLAGS (`), l)
		assert.True(t, hasLine(l, "* OK [UNSEEN 1]"), l)
		assert.True(t, hasLine(l, `* OK [PERMANENTFLAGS (`), l)
		assert.True(t, hasLine(l, "* OK [UIDVALIDITY "), l)
		assert.True(t, hasLine(l, "* OK [UIDNEXT 3]"), l)
		assert.True(t, strings.HasPrefix(last(l), "a2 OK [READ-WRITE]"), l)
	})
	t.Run("EXAMINE", func(t *testing.T) {
		l := r.cmd("a3", "EXAMINE INBOX")
		assert.True(t, hasLine(l, "* OK [CLOSED]"), l)
		assert.True(t, hasLine(l, "* OK [PERMANENTFLAGS ()]"), l)
		assert.True(t, strings.HasPrefix(last(l), "a3 OK [READ-ONLY]"), l)
		assert.True(t, strings.HasPrefix(last(r.cmd("a4", `STORE 1 +FLAGS (\Deleted)`)), "a4 NO [READ-ONLY]"))
		// FETCH BODY[] in a read-only mailbox does not set \Seen.
		r.cmd("a5", "FETCH 1 BODY[]")
		l = r.cmd("a6", "FETCH 1 FLAGS")
		assert.NotContains(t, l[0], `\Seen`)
	})
	t.Run("TRYCREATE", func(t *testing.T) {
		r.cmd("a7", "SELECT INBOX")
		assert.True(t, strings.HasPrefix(last(r.cmd("a8", "COPY 1 Nowhere")), "a8 NO [TRYCREATE]"))
		r.sendRaw("a9 APPEND Nowhere {5+}\r\nx\r\n\r\n\r\n")
		assert.True(t, strings.HasPrefix(last(r.until("a9 ")), "a9 NO [TRYCREATE]"))
		assert.True(t, strings.HasPrefix(last(r.cmd("b1", "SELECT Nowhere")), "b1 NO"))
	})
}

// alertBackend refuses logins with an [ALERT].
type alertBackend struct{ plainBackend }

type alertSession struct{ imapserver.Session }

func (alertSession) Login(ctx context.Context, user, pass string) error {
	return &imapserver.Error{Type: imapserver.StatusNO, Code: "ALERT", Text: "Account locked, call the helpdesk"}
}

func (b *alertBackend) NewSession(ctx context.Context, c *imapserver.ConnInfo) (imapserver.Session, error) {
	s, err := b.plainBackend.NewSession(ctx, c)
	return alertSession{s}, err
}

func TestRFC3501Alert(t *testing.T) {
	t.Parallel()
	srv := &imapserver.Server{Backend: &alertBackend{plainBackend{be: imapmem.New()}}, AllowInsecureAuth: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	r := dialRaw(t, l.Addr().String())
	assert.Equal(t, "a1 NO [ALERT] Account locked, call the helpdesk", last(r.cmd("a1", "LOGIN u p")))
}

func TestRFC3501Fetch(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	deliver(t, env, "alice", "INBOX", "Subject: 1\r\n\r\nhello world\r\n")
	deliver(t, env, "alice", "INBOX", "Subject: 2\r\n\r\ntwo\r\n")
	r := login(t, env, "alice")
	r.cmd("a0", "SELECT INBOX")
	t.Run("UID FETCH always returns UID", func(t *testing.T) {
		l := r.cmd("a1", "UID FETCH 1:* FLAGS")
		assert.Regexp(t, `^\* 1 FETCH \(.*UID 1`, l[0])
		assert.Regexp(t, `^\* 2 FETCH \(.*UID 2`, l[1])
	})
	t.Run("BODY.PEEK does not set Seen", func(t *testing.T) {
		l := r.cmd("a2", "FETCH 1 BODY.PEEK[TEXT]")
		assert.Equal(t, "* 1 FETCH (BODY[TEXT] {13}", l[0])
		assert.NotContains(t, strings.Join(l, "\n"), `\Seen`)
		assert.NotContains(t, r.cmd("a3", "FETCH 1 FLAGS")[0], `\Seen`)
	})
	t.Run("BODY[] sets Seen and reports the new FLAGS", func(t *testing.T) {
		l := r.cmd("a4", "FETCH 1 BODY[]")
		assert.Contains(t, strings.Join(l, "\n"), `\Seen`, "RFC 3501 §6.4.5: the changed flags are returned")
		assert.Contains(t, r.cmd("a5", "FETCH 1 FLAGS")[0], `\Seen`)
	})
	t.Run("partial fetch", func(t *testing.T) {
		l := r.cmd("a6", "FETCH 2 BODY.PEEK[]<3.4>")
		assert.Equal(t, "* 2 FETCH (BODY[]<3> {4}", l[0])
		assert.Equal(t, "ject)", l[1], "4 bytes from offset 3 of \"Subject: 2\"")
		l = r.cmd("a7", "FETCH 2 BODY.PEEK[TEXT]<100.5>")
		assert.Equal(t, "* 2 FETCH (BODY[TEXT]<100> {0}", l[0], "origin past the end: empty string")
	})
}

func TestRFC3501ExpungeOrdering(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	for i := 0; i < 3; i++ {
		deliver(t, env, "alice", "INBOX", "Subject: m\r\n\r\nx\r\n")
	}
	r1 := login(t, env, "alice")
	r2 := login(t, env, "alice")
	r1.cmd("a1", "SELECT INBOX")
	r2.cmd("b1", "SELECT INBOX")
	r1.cmd("a2", `STORE 3 +FLAGS.SILENT (\Deleted)`)
	r1.cmd("a3", "EXPUNGE")
	for _, c := range []string{`STORE 1 +FLAGS.SILENT (\Flagged)`, "SEARCH ALL", "FETCH 1 FLAGS"} {
		l := r2.cmd("b2", c)
		assert.False(t, hasLine(l, "* 3 EXPUNGE"), "%s: %q", c, l)
	}
	// UID SEARCH may report it: sequence numbers are not in its reply.
	l := r2.cmd("b3", "UID SEARCH ALL")
	assert.True(t, hasLine(l, "* 3 EXPUNGE"), l)
	assert.Contains(t, l, "* SEARCH 1 2")
}

func TestRFC3501MailboxCommands(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	for _, m := range []string{"Work", "Work/Projects", "Work/Projects/Old", "Private"} {
		require.True(t, strings.HasPrefix(last(r.cmd("c", "CREATE "+m)), "c OK"))
	}
	names := func(l []string) []string {
		var out []string
		for _, x := range l {
			if strings.HasPrefix(x, "* LIST") || strings.HasPrefix(x, "* LSUB") {
				out = append(out, x[strings.LastIndexByte(x, ' ')+1:])
			}
		}
		return out
	}
	t.Run("hierarchy delimiter", func(t *testing.T) {
		assert.Equal(t, []string{`* LIST (\Noselect) "/" ""`, "l1 OK LIST completed"}, r.cmd("l1", `LIST "" ""`))
	})
	t.Run("star matches the delimiter", func(t *testing.T) {
		assert.ElementsMatch(t, []string{"Work", "Work/Projects", "Work/Projects/Old"}, names(r.cmd("l2", `LIST "" Work*`)))
	})
	t.Run("percent does not", func(t *testing.T) {
		assert.ElementsMatch(t, []string{"Work/Projects"}, names(r.cmd("l3", `LIST "" Work/%`)))
		assert.ElementsMatch(t, []string{"INBOX", "Work", "Private"}, names(r.cmd("l4", `LIST "" %`)))
	})
	t.Run("reference is prefixed", func(t *testing.T) {
		assert.ElementsMatch(t, []string{"Work/Projects", "Work/Projects/Old"}, names(r.cmd("l5", `LIST Work/ Pro*`)))
	})
	t.Run("LSUB", func(t *testing.T) {
		r.cmd("s1", "SUBSCRIBE Work/Projects")
		assert.ElementsMatch(t, []string{"Work/Projects"}, names(r.cmd("l6", `LSUB "" *`)))
	})
	t.Run("STATUS of the selected mailbox", func(t *testing.T) {
		deliver(t, env, "alice", "INBOX", "Subject: s\r\n\r\nx\r\n")
		r.cmd("s2", "SELECT INBOX")
		l := r.cmd("s3", "STATUS INBOX (MESSAGES UIDNEXT UNSEEN)")
		assert.Equal(t, "* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UNSEEN 1)", l[0])
		assert.True(t, strings.HasPrefix(last(l), "s3 OK"))
	})
	t.Run("CLOSE expunges silently", func(t *testing.T) {
		r.cmd("s4", `STORE 1 +FLAGS.SILENT (\Deleted)`)
		assert.Equal(t, []string{"s5 OK CLOSE completed"}, r.cmd("s5", "CLOSE"))
		assert.Contains(t, r.cmd("s6", "STATUS INBOX (MESSAGES)"), "* STATUS INBOX (MESSAGES 0)")
		assert.True(t, strings.HasPrefix(last(r.cmd("s7", "FETCH 1 FLAGS")), "s7 BAD"), "no mailbox selected after CLOSE")
	})
	t.Run("LOGOUT says BYE before the tagged OK", func(t *testing.T) {
		assert.Equal(t, []string{"* BYE Logging out", "z OK LOGOUT completed"}, r.cmd("z", "LOGOUT"))
		_, err := r.br.ReadString('\n')
		assert.Error(t, err, "connection closed after LOGOUT")
	})
}
