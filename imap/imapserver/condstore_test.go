package imapserver_test

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// The exchanges of RFC 7162 §3.1 (CONDSTORE), adapted to a mailbox of
// four messages delivered to a new imapmem INBOX: the mailbox starts at
// mod-sequence 1 and each delivery raises it, so messages 1-4 have
// mod-sequences 2-5 and HIGHESTMODSEQ is 5.

type csStep struct {
	cmd string
	// want lists lines the reply must contain (the tagged reply
	// included); not lists prefixes no line may start with.
	want []string
	not  []string
}

func condStoreConn(t *testing.T) (*testEnv, *rawConn) {
	t.Helper()
	env := newEnv(t, nil)
	for i := 1; i <= 4; i++ {
		deliver(t, env, "alice", "INBOX", fmt.Sprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i))
	}
	return env, login(t, env, "alice")
}

func runSteps(t *testing.T, r *rawConn, steps []csStep) {
	t.Helper()
	for i, st := range steps {
		tag := fmt.Sprintf("c%d", i)
		lines := r.cmd(tag, st.cmd)
		for _, w := range st.want {
			w = strings.ReplaceAll(w, "$TAG", tag)
			assert.Contains(t, lines, w, "%s %s", tag, st.cmd)
		}
		for _, n := range st.not {
			assert.False(t, hasLine(lines, n), "%s %s: unexpected %q in %q", tag, st.cmd, n, lines)
		}
	}
}

func TestRFC7162CondStore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps []csStep
	}{
		{"CAPABILITY announces CONDSTORE", []csStep{
			{cmd: "CAPABILITY", want: []string{"$TAG OK CAPABILITY completed"}},
		}},
		{"ENABLE CONDSTORE then SELECT sends HIGHESTMODSEQ (§3.1.2.1, RFC 5161)", []csStep{
			{cmd: "ENABLE CONDSTORE", want: []string{"* ENABLED CONDSTORE"}},
			{cmd: "SELECT INBOX", want: []string{"* OK [HIGHESTMODSEQ 5] Highest", "* 4 EXISTS"}},
		}},
		{"SELECT (CONDSTORE) and EXAMINE (CONDSTORE) (§3.1.8)", []csStep{
			{cmd: "SELECT INBOX (CONDSTORE)", want: []string{"* OK [HIGHESTMODSEQ 5] Highest"}},
			{cmd: "EXAMINE INBOX (CONDSTORE)", want: []string{"* OK [CLOSED] Previous mailbox closed", "* OK [HIGHESTMODSEQ 5] Highest"}},
		}},
		{"first CONDSTORE-enabling command after SELECT sends HIGHESTMODSEQ once (§3.1.2.1)", []csStep{
			{cmd: "SELECT INBOX", not: []string{"* OK [HIGHESTMODSEQ"}},
			{cmd: "FETCH 1 (MODSEQ)", want: []string{"* OK [HIGHESTMODSEQ 5] Highest", "* 1 FETCH (MODSEQ (2))"}},
			{cmd: "FETCH 2:3 (FLAGS MODSEQ)", want: []string{"* 2 FETCH (FLAGS (\\Recent) MODSEQ (3))", "* 3 FETCH (FLAGS (\\Recent) MODSEQ (4))"}, not: []string{"* OK [HIGHESTMODSEQ"}},
		}},
		{"FETCH (CHANGEDSINCE) returns changed messages with MODSEQ (§3.1.4.1)", []csStep{
			{cmd: "SELECT INBOX (CONDSTORE)"},
			{cmd: "STORE 2 +FLAGS (\\Seen)", want: []string{"* 2 FETCH (FLAGS (\\Seen \\Recent) MODSEQ (6))"}},
			{cmd: "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5)", want: []string{"* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent) MODSEQ (6))", "$TAG OK FETCH completed"},
				not: []string{"* 1 FETCH", "* 3 FETCH", "* 4 FETCH"}},
			{cmd: "FETCH 1:* (UID) (CHANGEDSINCE 3)", want: []string{"* 3 FETCH (UID 3 MODSEQ (4))", "* 4 FETCH (UID 4 MODSEQ (5))", "* 2 FETCH (UID 2 MODSEQ (6))"},
				not: []string{"* 1 FETCH"}},
			{cmd: "FETCH 1:* (FLAGS) (CHANGEDSINCE 6)", want: []string{"$TAG OK FETCH completed"}, not: []string{"* "}},
			{cmd: "FETCH 3 (BODY[TEXT])", want: []string{"* 3 FETCH (FLAGS (\\Seen \\Recent) BODY[TEXT] {8}", " MODSEQ (7))", "$TAG OK FETCH completed"}},
			{cmd: "FETCH 3 (FLAGS) (CHANGEDSINCE 6)", want: []string{"* 3 FETCH (FLAGS (\\Seen \\Recent) MODSEQ (7))"}},
		}},
		{"UID STORE (UNCHANGEDSINCE) +FLAGS.SILENT sends MODSEQ only (§3.1.3 example 3)", []csStep{
			{cmd: "SELECT INBOX (CONDSTORE)"},
			{cmd: "UID STORE 4,2 (UNCHANGEDSINCE 5) +FLAGS.SILENT (\\Deleted)",
				want: []string{"* 2 FETCH (UID 2 MODSEQ (6))", "* 4 FETCH (UID 4 MODSEQ (7))", "$TAG OK STORE completed"}},
		}},
		{"STORE (UNCHANGEDSINCE) with a message changed since: MODIFIED (§3.1.3 example 4)", []csStep{
			{cmd: "SELECT INBOX (CONDSTORE)"},
			{cmd: "STORE 1 +FLAGS (\\Flagged)", want: []string{"* 1 FETCH (FLAGS (\\Flagged \\Recent) MODSEQ (6))"}},
			{cmd: "STORE 1:3 (UNCHANGEDSINCE 5) +FLAGS.SILENT (\\Deleted)",
				want: []string{"* 2 FETCH (MODSEQ (7))", "* 3 FETCH (MODSEQ (8))", "$TAG OK [MODIFIED 1] Conditional STORE failed"},
				not:  []string{"* 1 FETCH"}},
			{cmd: "UID STORE 1:4 (UNCHANGEDSINCE 6) -FLAGS (\\Deleted)",
				want: []string{"$TAG OK [MODIFIED 2:3] Conditional STORE failed"}, not: []string{"* 1 FETCH", "* 4 FETCH"}},
			{cmd: "UID STORE 1:4 (UNCHANGEDSINCE 8) -FLAGS (\\Deleted)",
				want: []string{"* 2 FETCH (UID 2 FLAGS (\\Recent) MODSEQ (9))", "* 3 FETCH (UID 3 FLAGS (\\Recent) MODSEQ (10))", "$TAG OK STORE completed"}},
		}},
		{"UNCHANGEDSINCE 0 always fails (§3.1.3)", []csStep{
			{cmd: "SELECT INBOX"},
			{cmd: "STORE 1:2 (UNCHANGEDSINCE 0) +FLAGS (\\Flagged)",
				want: []string{"* OK [HIGHESTMODSEQ 5] Highest", "$TAG OK [MODIFIED 1:2] Conditional STORE failed"}, not: []string{"* 1 FETCH", "* 2 FETCH"}},
		}},
		{"SEARCH MODSEQ returns the highest mod-sequence found (§3.1.5)", []csStep{
			{cmd: "SELECT INBOX (CONDSTORE)"},
			{cmd: "STORE 3 +FLAGS (\\Draft)"},
			{cmd: "STORE 2 +FLAGS (\\Seen)"},
			{cmd: "SEARCH MODSEQ 6", want: []string{"* SEARCH 2 3 (MODSEQ 7)"}},
			{cmd: `SEARCH MODSEQ "/flags/\\draft" all 5`, want: []string{"* SEARCH 2 3 4 (MODSEQ 7)"}},
			{cmd: "UID SEARCH DRAFT MODSEQ 1", want: []string{"* SEARCH 3 (MODSEQ 6)"}},
			{cmd: "SEARCH MODSEQ 100", want: []string{"* SEARCH", "$TAG OK SEARCH completed"}},
			{cmd: "SEARCH NOT MODSEQ 6", want: []string{"* SEARCH 1 4 (MODSEQ 5)"}},
		}},
		{"ESEARCH with MODSEQ (§3.1.10, RFC 4731)", []csStep{
			{cmd: "SELECT INBOX (CONDSTORE)"},
			{cmd: "STORE 3 +FLAGS (\\Seen)"},
			{cmd: "STORE 2 +FLAGS (\\Seen)"},
			{cmd: "SEARCH RETURN (MIN) MODSEQ 1", want: []string{`* ESEARCH (TAG "$TAG") MIN 1 MODSEQ 2`}},
			{cmd: "SEARCH RETURN (MAX) MODSEQ 1", want: []string{`* ESEARCH (TAG "$TAG") MAX 4 MODSEQ 5`}},
			{cmd: "SEARCH RETURN (MIN MAX) 2:3 MODSEQ 1", want: []string{`* ESEARCH (TAG "$TAG") MIN 2 MAX 3 MODSEQ 7`}},
			{cmd: "UID SEARCH RETURN (COUNT) MODSEQ 6", want: []string{`* ESEARCH (TAG "$TAG") UID COUNT 2 MODSEQ 7`}},
			{cmd: "SEARCH RETURN (ALL) MODSEQ 8", want: []string{`* ESEARCH (TAG "$TAG")`}},
		}},
		{"STATUS HIGHESTMODSEQ (§3.1.6)", []csStep{
			{cmd: "STATUS INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ)", want: []string{"* STATUS INBOX (MESSAGES 4 UIDNEXT 5 HIGHESTMODSEQ 5)"}},
			{cmd: "SELECT INBOX", want: []string{"* OK [HIGHESTMODSEQ 5] Highest"}},
		}},
		{"EXPUNGE raises HIGHESTMODSEQ (§3.1.2.1)", []csStep{
			{cmd: "SELECT INBOX (CONDSTORE)"},
			{cmd: "STORE 1 +FLAGS.SILENT (\\Deleted)", want: []string{"* 1 FETCH (MODSEQ (6))"}},
			{cmd: "EXPUNGE", want: []string{"* 1 EXPUNGE"}},
			{cmd: "STATUS INBOX (HIGHESTMODSEQ)", want: []string{"* STATUS INBOX (HIGHESTMODSEQ 7)"}},
		}},
		{"syntax errors get BAD", []csStep{
			{cmd: "SELECT INBOX (BOGUS)", want: []string{`$TAG BAD syntax error: unknown SELECT parameter BOGUS`}},
			{cmd: "SELECT INBOX"},
			{cmd: "FETCH 1 (FLAGS) (CHANGEDSINCE 0)", want: []string{"$TAG BAD syntax error: CHANGEDSINCE must be positive"}},
			{cmd: "FETCH 1 (FLAGS) (BOGUS)", want: []string{"$TAG BAD syntax error: unknown FETCH modifier BOGUS"}},
			{cmd: "UID FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)", want: []string{"$TAG BAD VANISHED needs UID FETCH with CHANGEDSINCE and QRESYNC enabled"}},
			{cmd: "STORE 1 (BOGUS 1) +FLAGS (\\Seen)", want: []string{"$TAG BAD syntax error: unknown STORE modifier BOGUS"}},
			{cmd: "STORE 1 (UNCHANGEDSINCE x) +FLAGS (\\Seen)"},
			{cmd: `SEARCH MODSEQ "/flags/\\seen" bogus 1`, want: []string{`$TAG BAD syntax error: bad MODSEQ entry type "bogus"`}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, r := condStoreConn(t)
			if tc.name == "CAPABILITY announces CONDSTORE" {
				l := r.cmd("c", "CAPABILITY")
				assert.Contains(t, l[0], " CONDSTORE")
				return
			}
			runSteps(t, r, tc.steps)
		})
	}
}

// TestCondStoreUnsolicitedModSeq: once CONDSTORE is enabled, the flag
// changes of other sessions come with MODSEQ (RFC 7162 §3.1.12); before,
// without.
func TestCondStoreUnsolicitedModSeq(t *testing.T) {
	t.Parallel()
	env, r1 := condStoreConn(t)
	r2 := login(t, env, "alice")
	r3 := login(t, env, "alice")
	require.True(t, strings.HasPrefix(last(r1.cmd("a", "SELECT INBOX")), "a OK"))
	require.True(t, strings.HasPrefix(last(r2.cmd("a", "SELECT INBOX (CONDSTORE)")), "a OK"))
	require.True(t, strings.HasPrefix(last(r3.cmd("a", "SELECT INBOX")), "a OK"))
	r1.cmd("b", "STORE 2 +FLAGS (\\Answered)")
	assert.Contains(t, r2.cmd("c", "NOOP"), "* 2 FETCH (UID 2 FLAGS (\\Answered) MODSEQ (6))")
	assert.Contains(t, r3.cmd("c", "NOOP"), "* 2 FETCH (UID 2 FLAGS (\\Answered))")
}

// TestCondStoreNeedsSession: a session without CondStoreSession gets no
// CONDSTORE, and its syntax is refused.
func TestCondStoreNeedsSession(t *testing.T) {
	t.Parallel()
	mem := imapmem.New()
	require.NoError(t, mem.AddUser("alice", "secret"))
	_, err := mem.Deliver("alice", "INBOX", []byte("Subject: x\r\n\r\nx\r\n"), nil)
	require.NoError(t, err)
	srv := &imapserver.Server{Backend: &plainBackend{be: mem}, AllowInsecureAuth: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	r := dialRaw(t, l.Addr().String())
	require.True(t, strings.HasPrefix(last(r.cmd("a", "LOGIN alice secret")), "a OK"))
	caps := r.cmd("b", "CAPABILITY")
	assert.NotContains(t, caps[0], "CONDSTORE")
	assert.Equal(t, []string{"* ENABLED", "c OK ENABLE completed"}, r.cmd("c", "ENABLE CONDSTORE"))
	assert.Equal(t, "d BAD CONDSTORE not supported", last(r.cmd("d", "SELECT INBOX (CONDSTORE)")))
	assert.Equal(t, "e BAD CONDSTORE not supported", last(r.cmd("e", "STATUS INBOX (HIGHESTMODSEQ)")))
	sel := r.cmd("f", "SELECT INBOX")
	assert.False(t, hasLine(sel, "* OK [HIGHESTMODSEQ"), sel)
	assert.Equal(t, "g BAD CONDSTORE not supported", last(r.cmd("g", "FETCH 1 (MODSEQ)")))
	assert.Equal(t, "h BAD CONDSTORE not supported", last(r.cmd("h", "STORE 1 (UNCHANGEDSINCE 1) +FLAGS (\\Seen)")))
	assert.Equal(t, "i BAD CONDSTORE not supported", last(r.cmd("i", "SEARCH MODSEQ 1")))
	assert.Equal(t, "j OK STORE completed", last(r.cmd("j", "STORE 1 +FLAGS.SILENT (\\Seen)")))
}
