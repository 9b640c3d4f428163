package imapserver_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// The exchanges of RFC 7162 §3.2 (QRESYNC) over TCP against imapmem, on an
// INBOX of six messages (UIDs 1-6, mod-sequences 2-7). Connection a sets
// \Seen on UID 5 (mod-sequence 8) and expunges UIDs 2 and 3 (\Deleted at
// 9 and 10, the expunge at 11).
func TestRFC7162QResync(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	for i := 1; i <= 6; i++ {
		deliver(t, env, "alice", "INBOX", fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i))
	}
	a := login(t, env, "alice")
	assert.Contains(t, a.cmd("a1", "CAPABILITY")[0], " QRESYNC")
	assert.Equal(t, "* ENABLED QRESYNC", a.cmd("a2", "ENABLE QRESYNC")[0], "§3.2.3")
	sel := a.cmd("a3", "SELECT INBOX")
	assert.Contains(t, sel, "* OK [HIGHESTMODSEQ 7] Highest", "QRESYNC enables CONDSTORE")
	var validity string
	for _, l := range sel {
		if strings.HasPrefix(l, "* OK [UIDVALIDITY ") {
			validity = strings.Fields(strings.TrimPrefix(l, "* OK [UIDVALIDITY "))[0]
			validity = strings.TrimSuffix(validity, "]")
		}
	}
	require.NotEmpty(t, validity)
	a.cmd("a4", "UID STORE 5 +FLAGS.SILENT (\\Seen)")
	a.cmd("a5", "UID STORE 2:3 +FLAGS.SILENT (\\Deleted)")
	exp := a.cmd("a6", "EXPUNGE")
	assert.Equal(t, []string{"* VANISHED 2:3", "a6 OK EXPUNGE completed"}, exp, "§3.2.10: VANISHED instead of EXPUNGE")

	b := login(t, env, "alice")
	assert.Equal(t, "c1 BAD QRESYNC not enabled", last(b.cmd("c1", "SELECT INBOX (QRESYNC ("+validity+" 7))")), "§3.2.5")
	b.cmd("c2", "ENABLE QRESYNC")

	tests := []struct {
		name, cmd string
		want      []string // in this order, ending with the tagged reply
	}{
		{"SELECT with UIDVALIDITY and mod-sequence (§3.2.5.2)", "SELECT INBOX (QRESYNC (" + validity + " 7))",
			[]string{"* VANISHED (EARLIER) 2:3", "* 3 FETCH (UID 5 FLAGS (\\Seen) MODSEQ (8))", "$TAG OK [READ-WRITE] SELECT completed"}},
		{"known UIDs limit the answer", "SELECT INBOX (QRESYNC (" + validity + " 7 1:2,4))",
			[]string{"* VANISHED (EARLIER) 2", "$TAG OK [READ-WRITE] SELECT completed"}},
		{"sequence match data is accepted", "EXAMINE INBOX (QRESYNC (" + validity + " 7 1:6 (1:4 1:4)))",
			[]string{"* VANISHED (EARLIER) 2:3", "* 3 FETCH (UID 5 FLAGS (\\Seen) MODSEQ (8))", "$TAG OK [READ-ONLY] EXAMINE completed"}},
		{"only the expunge is newer", "SELECT INBOX (QRESYNC (" + validity + " 9))",
			[]string{"* VANISHED (EARLIER) 2:3", "$TAG OK [READ-WRITE] SELECT completed"}},
		{"nothing changed since", "SELECT INBOX (QRESYNC (" + validity + " 11))",
			[]string{"$TAG OK [READ-WRITE] SELECT completed"}},
		{"other UIDVALIDITY: no resync data", "SELECT INBOX (QRESYNC (1 2))",
			[]string{"$TAG OK [READ-WRITE] SELECT completed"}},
		{"UID FETCH (CHANGEDSINCE VANISHED) (§3.2.6)", "UID FETCH 1:6 (FLAGS) (CHANGEDSINCE 7 VANISHED)",
			[]string{"* VANISHED (EARLIER) 2:3", "* 3 FETCH (UID 5 FLAGS (\\Seen) MODSEQ (8))", "$TAG OK FETCH completed"}},
		{"UID FETCH VANISHED within the set", "UID FETCH 3:4 (FLAGS) (CHANGEDSINCE 1 VANISHED)",
			[]string{"* VANISHED (EARLIER) 3", "* 2 FETCH (UID 4 FLAGS () MODSEQ (5))", "$TAG OK FETCH completed"}},
		{"VANISHED needs UID FETCH", "FETCH 1:* (FLAGS) (CHANGEDSINCE 7 VANISHED)",
			[]string{"$TAG BAD VANISHED needs UID FETCH with CHANGEDSINCE and QRESYNC enabled"}},
		{"VANISHED needs CHANGEDSINCE", "UID FETCH 1:* (FLAGS) (VANISHED)",
			[]string{"$TAG BAD VANISHED needs UID FETCH with CHANGEDSINCE and QRESYNC enabled"}},
		{"bad QRESYNC syntax", "SELECT INBOX (QRESYNC (0 1))", []string{"$TAG BAD syntax error: QRESYNC UIDVALIDITY must be positive"}},
	}
	for i, tc := range tests {
		tag := fmt.Sprintf("d%d", i)
		got := b.cmd(tag, tc.cmd)
		var filtered []string
		for _, l := range got {
			if strings.HasPrefix(l, "* VANISHED") || strings.Contains(l, " FETCH ") || strings.HasPrefix(l, tag+" ") {
				filtered = append(filtered, l)
			}
		}
		want := make([]string, len(tc.want))
		for j, w := range tc.want {
			want[j] = strings.ReplaceAll(w, "$TAG", tag)
		}
		assert.Equal(t, want, filtered, tc.name)
	}

	// Unsolicited: b (QRESYNC) gets VANISHED, c (CONDSTORE only) EXPUNGE.
	require.True(t, strings.HasPrefix(last(b.cmd("e1", "SELECT INBOX")), "e1 OK"))
	c := login(t, env, "alice")
	c.cmd("f1", "SELECT INBOX (CONDSTORE)")
	a.cmd("a7", "UID STORE 1 +FLAGS.SILENT (\\Deleted)")
	assert.Equal(t, []string{"* VANISHED 1"}, a.cmd("a8", "EXPUNGE")[:1])
	assert.Contains(t, b.cmd("e2", "NOOP"), "* VANISHED 1")
	noop := c.cmd("f2", "NOOP")
	assert.Contains(t, noop, "* 1 EXPUNGE")
	assert.False(t, hasLine(noop, "* VANISHED"), noop)
}

func TestExpungeLog(t *testing.T) {
	t.Parallel()
	l := &imapserver.ExpungeLog{Max: 4}
	l.Add(10, 3)
	l.Add(12, 7, 5)
	assert.Equal(t, "3,5,7", l.Vanished(9, nil, 20, []uint32{1, 2}).String())
	assert.Equal(t, "5,7", l.Vanished(10, nil, 20, []uint32{1, 2}).String())
	assert.Equal(t, "5", l.Vanished(10, imap.SeqSetOf(1, 2, 5), 20, nil).String())
	assert.Empty(t, l.Vanished(12, nil, 20, nil))
	assert.Zero(t, l.Floor)

	// Over Max, the oldest are forgotten in a batch and Floor rises.
	l.Add(13, 8, 9)
	assert.Equal(t, 2, l.Len())
	assert.Equal(t, uint64(12), l.Floor)
	assert.Equal(t, "8:9", l.Vanished(12, nil, 20, nil).String(), "exact at the floor")
	// Below the floor: every UID below UIDNEXT that is not in the mailbox.
	existing := []uint32{1, 2, 4, 6, 10}
	assert.Equal(t, "3,5,7:9,11:19", l.Vanished(11, nil, 20, existing).String())
	assert.Equal(t, "5,7:8,15:16", l.Vanished(0, imap.SeqSet{{Start: 16, Stop: 15}, {Start: 4, Stop: 8}}, 17, existing).String())
	assert.Equal(t, "12:*", (imap.SeqSet{{Start: 12, Stop: 0}}).String())
	assert.Equal(t, "11:16", l.Vanished(0, imap.SeqSet{{Start: 11, Stop: 0}}, 17, existing).String(), "* is UIDNEXT-1")
	assert.Empty(t, l.Vanished(0, nil, 1, nil), "empty mailbox")
}

// TestQResyncRenameInbox: RENAME INBOX moves its messages away (RFC 3501
// §6.3.5); a QRESYNC client of INBOX sees them vanish.
func TestQResyncRenameInbox(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	for i := 0; i < 2; i++ {
		deliver(t, env, "alice", "INBOX", "Subject: x\r\n\r\nx\r\n")
	}
	r := login(t, env, "alice")
	r.cmd("a", "ENABLE QRESYNC")
	sel := r.cmd("b", "SELECT INBOX")
	assert.Contains(t, sel, "* OK [HIGHESTMODSEQ 3] Highest")
	r.cmd("c", "UNSELECT")
	r.cmd("d", "RENAME INBOX Old")
	v := "0"
	for _, l := range sel {
		if strings.HasPrefix(l, "* OK [UIDVALIDITY ") {
			v = strings.TrimSuffix(strings.Fields(l)[3], "]")
		}
	}
	got := r.cmd("e", "SELECT INBOX (QRESYNC ("+v+" 3))")
	assert.Contains(t, got, "* OK [HIGHESTMODSEQ 4] Highest")
	assert.Contains(t, got, "* VANISHED (EARLIER) 1:2")
}
