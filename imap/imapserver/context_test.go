package imapserver_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// contextEnv has two connections of alice with INBOX selected, holding
// five messages with subjects m1..m5 (UIDs 1-5).
func contextEnv(t *testing.T, configure func(*imapserver.Server)) (a, b *rawConn) {
	t.Helper()
	env := newEnv(t, configure)
	for _, s := range []string{"m1", "m2", "m3", "m4", "m5"} {
		_, err := env.be.Deliver("alice", "INBOX", []byte("Subject: "+s+"\r\n\r\nbody\r\n"), nil)
		require.NoError(t, err)
	}
	a = login(t, env, "alice")
	b = login(t, env, "alice")
	for _, r := range []*rawConn{a, b} {
		require.True(t, strings.HasPrefix(last(r.cmd("s", "SELECT INBOX")), "s OK"))
	}
	return a, b
}

// ctxStep is a command on conn a (or b when onB), the ESEARCH and
// EXPUNGE lines expected in that order among its untagged replies (the
// others are ignored), and the prefix of the tagged reply.
type ctxStep struct {
	name string
	onB  bool
	cmd  string
	want []string
	done string
}

func runCtxSteps(t *testing.T, a, b *rawConn, steps []ctxStep) {
	t.Helper()
	for i, s := range steps {
		r := a
		if s.onB {
			r = b
		}
		tag := "x" + itoa(i)
		got := r.cmd(tag, s.cmd)
		var kept []string
		for _, l := range got[:len(got)-1] {
			if strings.HasPrefix(l, "* ESEARCH") || strings.HasSuffix(l, " EXPUNGE") {
				kept = append(kept, l)
			}
		}
		want := s.want
		if want == nil {
			want = []string{}
		}
		if kept == nil {
			kept = []string{}
		}
		assert.Equal(t, want, kept, "%s: %q", s.name, got)
		done := s.done
		if done == "" {
			done = "OK"
		}
		assert.True(t, strings.HasPrefix(last(got), tag+" "+done), "%s: %q", s.name, got)
	}
}

// TestContextSearchUpdates follows RFC 5267 §4: ADDTO and REMOVEFROM for
// changes made by this connection (STORE) and by another one (STORE,
// APPEND, EXPUNGE), REMOVEFROM before the EXPUNGE it concerns, UID
// contexts, and CANCELUPDATE.
func TestContextSearchUpdates(t *testing.T) {
	t.Parallel()
	a, b := contextEnv(t, nil)
	caps := a.cmd("c", "CAPABILITY")[0] + " "
	assert.Contains(t, caps, " CONTEXT=SEARCH ")
	assert.Contains(t, caps, " CONTEXT=SORT ")
	runCtxSteps(t, a, b, []ctxStep{
		{name: "start", cmd: "SEARCH RETURN (UPDATE ALL) SEEN", want: []string{`* ESEARCH (TAG "x0")`}},
		{name: "own store", cmd: `STORE 1,2,4 +FLAGS.SILENT (\Seen)`, want: []string{`* ESEARCH (TAG "x0") ADDTO (0 1:2,4)`}},
		{name: "no change", cmd: "NOOP"},
		{name: "other unseen", onB: true, cmd: `STORE 4 -FLAGS.SILENT (\Seen)`},
		{name: "removefrom", cmd: "NOOP", want: []string{`* ESEARCH (TAG "x0") REMOVEFROM (0 4)`}},
		{name: "other append", onB: true, cmd: appendCmd(`(\Seen)`, "m6")},
		{name: "addto", cmd: "NOOP", want: []string{`* ESEARCH (TAG "x0") ADDTO (0 6)`}},
		{name: "uid context", cmd: "UID SEARCH RETURN (UPDATE) SEEN", want: []string{`* ESEARCH (TAG "x7") UID`}},
		{name: "other expunge", onB: true, cmd: `STORE 1 +FLAGS.SILENT (\Deleted)`},
		{name: "other expunge 2", onB: true, cmd: "EXPUNGE", want: []string{"* 1 EXPUNGE"}},
		// The sequence-number context hears of 1 before its EXPUNGE;
		// the UID one after it.
		{name: "expunged", cmd: "NOOP", want: []string{
			`* ESEARCH (TAG "x0") REMOVEFROM (0 1)`, "* 1 EXPUNGE",
			`* ESEARCH (TAG "x7") UID REMOVEFROM (0 1)`,
		}},
		{name: "renumbered", cmd: `STORE 1 -FLAGS.SILENT (\Seen)`, want: []string{
			`* ESEARCH (TAG "x0") REMOVEFROM (0 1)`, `* ESEARCH (TAG "x7") UID REMOVEFROM (0 2)`,
		}},
		{name: "cancel", cmd: `CANCELUPDATE "x0"`},
		{name: "only uid", cmd: `STORE 2:3 +FLAGS.SILENT (\Seen)`, want: []string{`* ESEARCH (TAG "x7") UID ADDTO (0 3:4)`}},
		{name: "cancel unknown and uid", cmd: `CANCELUPDATE "nosuch" "x7"`},
		{name: "nothing left", cmd: `STORE 1:* -FLAGS.SILENT (\Seen)`},
		{name: "cancel needs a quoted tag", cmd: "CANCELUPDATE", done: "BAD"},
	})
}

// TestContextEndsWithMailbox checks that leaving the mailbox ends the
// update contexts (RFC 5267 §4.2).
func TestContextEndsWithMailbox(t *testing.T) {
	t.Parallel()
	for _, leave := range []string{"SELECT INBOX", "EXAMINE INBOX", "UNSELECT", "CLOSE"} {
		t.Run(leave, func(t *testing.T) {
			t.Parallel()
			a, b := contextEnv(t, nil)
			runCtxSteps(t, a, b, []ctxStep{
				{name: "start", cmd: "SEARCH RETURN (UPDATE) ALL", want: []string{`* ESEARCH (TAG "x0")`}},
				{name: "leave", cmd: leave},
				{name: "select", cmd: "SELECT INBOX"},
				{name: "append", onB: true, cmd: appendCmd("", "m6")},
				{name: "no update", cmd: "NOOP"},
			})
		})
	}
}

// TestContextSortUpdates checks SORT RETURN (UPDATE): positions in the
// sort order for ADDTO and REMOVEFROM.
func TestContextSortUpdates(t *testing.T) {
	t.Parallel()
	a, b := contextEnv(t, nil)
	runCtxSteps(t, a, b, []ctxStep{
		{name: "start", cmd: "SORT RETURN (UPDATE ALL) (REVERSE SUBJECT) UTF-8 NOT SUBJECT m3", want: []string{`* ESEARCH (TAG "x0") ALL 5,4,2,1`}},
		{name: "append", onB: true, cmd: appendCmd("", "m0")},
		{name: "addto at the end", cmd: "NOOP", want: []string{`* ESEARCH (TAG "x0") ADDTO (5 6)`}},
		{name: "append m45", onB: true, cmd: appendCmd("", "m45")},
		{name: "addto in the middle", cmd: "NOOP", want: []string{`* ESEARCH (TAG "x0") ADDTO (2 7)`}},
		{name: "delete m4", onB: true, cmd: `STORE 4 +FLAGS.SILENT (\Deleted)`},
		{name: "expunge m4", onB: true, cmd: "EXPUNGE", want: []string{"* 4 EXPUNGE"}},
		{name: "removefrom position 3", cmd: "NOOP", want: []string{`* ESEARCH (TAG "x0") REMOVEFROM (3 4)`, "* 4 EXPUNGE"}},
		{name: "result", cmd: "SORT RETURN (ALL) (REVERSE SUBJECT) UTF-8 NOT SUBJECT m3", want: []string{`* ESEARCH (TAG "x8") ALL 4,6,2,1,5`}},
		{name: "uid sort", cmd: "UID SORT RETURN (UPDATE) (SUBJECT) UTF-8 SUBJECT m", want: []string{`* ESEARCH (TAG "x9") UID`}},
		{name: "append m2a", onB: true, cmd: appendCmd("", "m2a")},
		{name: "uid addto", cmd: "NOOP", want: []string{`* ESEARCH (TAG "x0") ADDTO (3 7)`, `* ESEARCH (TAG "x9") UID ADDTO (4 8)`}},
	})
}

// TestContextLimit checks that one context too many gets NO [NOUPDATE]
// and that replacing a context with the same tag does not count.
func TestContextLimit(t *testing.T) {
	t.Parallel()
	a, b := contextEnv(t, func(s *imapserver.Server) { s.Limits.MaxUpdateContexts = 2 })
	runCtxSteps(t, a, b, []ctxStep{
		{name: "one", cmd: "SEARCH RETURN (UPDATE) SEEN", want: []string{`* ESEARCH (TAG "x0")`}},
		{name: "two", cmd: "SEARCH RETURN (UPDATE) DELETED", want: []string{`* ESEARCH (TAG "x1")`}},
		{name: "three", cmd: "SEARCH RETURN (UPDATE) FLAGGED", done: `NO [NOUPDATE "x2"]`},
		{name: "cancel", cmd: `CANCELUPDATE "x1"`},
		{name: "three now", cmd: "SORT RETURN (UPDATE COUNT) (ARRIVAL) UTF-8 FLAGGED", want: []string{`* ESEARCH (TAG "x4") COUNT 0`}},
		{name: "updates for both", cmd: `STORE 2 +FLAGS.SILENT (\Seen \Flagged)`, want: []string{
			`* ESEARCH (TAG "x0") ADDTO (0 2)`, `* ESEARCH (TAG "x4") ADDTO (1 2)`,
		}},
	})
}

// TestSearchPartial checks RETURN (PARTIAL lo:hi) of RFC 5267 §4.4 for
// SEARCH and SORT, and the ranges it refuses.
func TestSearchPartial(t *testing.T) {
	t.Parallel()
	a, b := contextEnv(t, nil)
	runCtxSteps(t, a, b, []ctxStep{
		{name: "first", cmd: "SEARCH RETURN (PARTIAL 1:1) ALL", want: []string{`* ESEARCH (TAG "x0") PARTIAL (1:1 1)`}},
		{name: "reversed", cmd: "SEARCH RETURN (PARTIAL 4:2) ALL", want: []string{`* ESEARCH (TAG "x1") PARTIAL (2:4 2:4)`}},
		{name: "past the end", cmd: "SEARCH RETURN (PARTIAL 4:9) 1:2,4:5", want: []string{`* ESEARCH (TAG "x2") PARTIAL (4:9 5)`}},
		{name: "nothing", cmd: "SEARCH RETURN (PARTIAL 6:6) ALL", want: []string{`* ESEARCH (TAG "x3") PARTIAL (6:6 NIL)`}},
		{name: "with count", cmd: "UID SEARCH RETURN (COUNT PARTIAL 2:3) 2:5", want: []string{`* ESEARCH (TAG "x4") UID COUNT 4 PARTIAL (2:3 3:4)`}},
		{name: "sort order", cmd: "SORT RETURN (PARTIAL 2:4) (REVERSE SUBJECT) UTF-8 ALL", want: []string{`* ESEARCH (TAG "x5") PARTIAL (2:4 4,3,2)`}},
		{name: "save with partial", cmd: "SEARCH RETURN (SAVE PARTIAL 1:2) ALL", want: []string{`* ESEARCH (TAG "x6") PARTIAL (1:2 1:2)`}},
		{name: "one number", cmd: "SEARCH RETURN (PARTIAL 1) ALL", done: "BAD"},
		{name: "star", cmd: "SEARCH RETURN (PARTIAL 1:*) ALL", done: "BAD"},
		{name: "zero", cmd: "SEARCH RETURN (PARTIAL 0:3) ALL", done: "BAD"},
		{name: "negative", cmd: "SEARCH RETURN (PARTIAL -1:-3) ALL", done: "BAD"},
		{name: "too big", cmd: "SEARCH RETURN (PARTIAL 1:4294967296) ALL", done: "BAD"},
		{name: "update with partial", cmd: "SEARCH RETURN (UPDATE PARTIAL 1:3) ALL", done: "BAD"},
		{name: "no context from BAD", cmd: `STORE 1 +FLAGS.SILENT (\Seen)`},
	})
}

// appendCmd is an APPEND of a small message with subject (LITERAL+).
func appendCmd(flags, subject string) string {
	msg := "Subject: " + subject + "\r\n\r\nbody"
	if flags != "" {
		flags += " "
	}
	return "APPEND INBOX " + flags + "{" + itoa(len(msg)) + "+}\r\n" + msg
}

// TestContextQResync checks that with QRESYNC enabled a sequence-number
// context hears of an expunged message before the VANISHED response and
// is renumbered after it.
func TestContextQResync(t *testing.T) {
	t.Parallel()
	a, b := contextEnv(t, nil)
	runCtxSteps(t, a, b, []ctxStep{
		{name: "enable", cmd: "ENABLE QRESYNC"},
		{name: "start", cmd: "SEARCH RETURN (UPDATE ALL) NOT SUBJECT m1", want: []string{`* ESEARCH (TAG "x1") ALL 2:5`}},
		{name: "delete", onB: true, cmd: `STORE 1:2 +FLAGS.SILENT (\Deleted)`},
		{name: "expunge", onB: true, cmd: "EXPUNGE", want: []string{"* 2 EXPUNGE", "* 1 EXPUNGE"}},
		{name: "removefrom", cmd: "NOOP", want: []string{`* ESEARCH (TAG "x1") REMOVEFROM (0 2)`}},
		// m4, seq 4 before, is seq 2 now.
		{name: "delete m4", onB: true, cmd: `STORE 2 +FLAGS.SILENT (\Deleted)`},
		{name: "expunge m4", onB: true, cmd: "EXPUNGE", want: []string{"* 2 EXPUNGE"}},
		{name: "renumbered", cmd: "NOOP", want: []string{`* ESEARCH (TAG "x1") REMOVEFROM (0 2)`}},
		{name: "unseen m5", onB: true, cmd: `STORE 2 +FLAGS.SILENT (\Seen)`},
		{name: "nothing else", cmd: "NOOP"},
	})
	got := a.cmd("z", "SEARCH RETURN (ALL) NOT SUBJECT m1")
	assert.Equal(t, `* ESEARCH (TAG "z") ALL 1:2`, got[0])
}
