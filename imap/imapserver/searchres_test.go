package imapserver_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resStep is one command of a SEARCHRES exchange: want holds the
// untagged replies exactly and then the prefix of the tagged one.
type resStep struct {
	name, cmd string
	want      []string
}

func runResSteps(t *testing.T, r *rawConn, steps []resStep) {
	t.Helper()
	for _, s := range steps {
		got := r.cmd("t", s.cmd)
		require.Len(t, got, len(s.want), "%s: %q", s.name, got)
		for i, w := range s.want[:len(s.want)-1] {
			if strings.HasSuffix(w, " ") {
				assert.True(t, strings.HasPrefix(got[i], w), "%s: %q", s.name, got)
				continue
			}
			assert.Equal(t, w, got[i], "%s: %q", s.name, got)
		}
		assert.True(t, strings.HasPrefix(last(got), last(s.want)), "%s: %q", s.name, got)
	}
}

// TestSearchRes follows RFC 5182: sequence numbers 1-5 are UIDs 2-6 and
// SUBJECT hello matches 1, 2 and 4 (UIDs 2, 3 and 5).
func TestSearchRes(t *testing.T) {
	t.Parallel()
	r := sortEnv(t)
	caps := r.cmd("c", "CAPABILITY")[0] + " "
	assert.Contains(t, caps, " SEARCHRES ")
	assert.Contains(t, caps, " STATUS=SIZE ")
	runResSteps(t, r, []resStep{
		// §2.1: "$" is empty until a SEARCH saves; an empty "$" is a
		// valid set that matches nothing.
		{"empty fetch", "FETCH $ (UID)", []string{"t OK"}},
		{"empty uid store", `UID STORE $ +FLAGS (\Seen)`, []string{"t OK"}},
		{"empty copy", "COPY $ INBOX", []string{"t OK"}},
		{"empty search", "SEARCH $", []string{"* SEARCH", "t OK"}},
		{"empty uid expunge", "UID EXPUNGE $", []string{"t OK"}},
		// §2.4: SAVE alone gets no ESEARCH reply.
		{"save", "SEARCH RETURN (SAVE) SUBJECT hello", []string{"t OK"}},
		{"fetch $", "FETCH $ (FLAGS)", []string{`* 1 FETCH (FLAGS (\Recent))`, `* 2 FETCH (FLAGS (\Recent))`, `* 4 FETCH (FLAGS (\Recent))`, "t OK"}},
		{"uid fetch $", "UID FETCH $ (FLAGS)", []string{`* 1 FETCH (UID 2 FLAGS (\Recent))`, `* 2 FETCH (UID 3 FLAGS (\Recent))`, `* 4 FETCH (UID 5 FLAGS (\Recent))`, "t OK"}},
		{"search $", "SEARCH $", []string{"* SEARCH 1 2 4", "t OK"}},
		{"uid search uid $", "UID SEARCH UID $ NOT 1", []string{"* SEARCH 3 5", "t OK"}},
		{"or", "SEARCH OR $ 5", []string{"* SEARCH 1 2 4 5", "t OK"}},
		{"not", "SEARCH NOT $", []string{"* SEARCH 3 5", "t OK"}},
		{"sort $", "SORT (REVERSE ARRIVAL) UTF-8 $", []string{"* SORT 4 2 1", "t OK"}},
		{"thread $", "THREAD ORDEREDSUBJECT UTF-8 $", []string{"* THREAD (1 (2)(4))", "t OK"}},
		{"save uses the old $", "UID SEARCH RETURN (SAVE COUNT) $ NOT SUBJECT re", []string{`* ESEARCH (TAG "t") UID COUNT 1`, "t OK"}},
		{"fetch new $", "FETCH $ (UID)", []string{"* 1 FETCH (UID 2)", "t OK"}},
		// §2.4: with MIN and/or MAX alone only those are saved.
		{"save min", "SEARCH RETURN (SAVE MIN) SUBJECT hello", []string{`* ESEARCH (TAG "t") MIN 1`, "t OK"}},
		{"min saved", "SEARCH $", []string{"* SEARCH 1", "t OK"}},
		{"save min max", "UID SEARCH RETURN (MAX SAVE MIN) SUBJECT hello", []string{`* ESEARCH (TAG "t") UID MIN 2 MAX 5`, "t OK"}},
		{"min max saved", "SEARCH $", []string{"* SEARCH 1 4", "t OK"}},
		{"save min all", "SEARCH RETURN (SAVE MIN ALL) SUBJECT hello", []string{`* ESEARCH (TAG "t") MIN 1 ALL 1:2,4`, "t OK"}},
		{"all saved", "SEARCH $", []string{"* SEARCH 1 2 4", "t OK"}},
		// §1: commands based on SEARCH save too; MIN and MAX of a SORT
		// are the first and last in sort order.
		{"sort save min", "SORT RETURN (SAVE MIN) (REVERSE ARRIVAL) UTF-8 SUBJECT hello", []string{`* ESEARCH (TAG "t") MIN 4`, "t OK"}},
		{"sort min saved", "SEARCH $", []string{"* SEARCH 4", "t OK"}},
		{"uid sort save", "UID SORT RETURN (SAVE) (SUBJECT) UTF-8 SUBJECT hello", []string{"t OK"}},
		{"sort saved", "SEARCH $", []string{"* SEARCH 1 2 4", "t OK"}},
		{"sort save no", "SORT RETURN (SAVE) (SUBJECT) KOI8-R ALL", []string{"t NO [BADCHARSET"}},
		{"emptied by sort NO", "SEARCH $", []string{"* SEARCH", "t OK"}},
		{"save hello again", "SEARCH RETURN (SAVE) SUBJECT hello", []string{"t OK"}},
		{"copy $", "COPY $ INBOX", []string{"* 8 EXISTS", "* 8 RECENT", "t OK [COPYUID "}},
		// The session is called with UIDs, and its replies carry them.
		{"store $", `STORE $ +FLAGS (\Flagged)`, []string{`* 1 FETCH (UID 2 FLAGS (\Flagged \Recent))`, `* 2 FETCH (UID 3 FLAGS (\Flagged \Recent))`, `* 4 FETCH (UID 5 FLAGS (\Flagged \Recent))`, "t OK"}},
		// §2.1: an expunged message leaves "$".
		{"delete 2", `STORE 2 +FLAGS.SILENT (\Deleted)`, []string{"t OK"}},
		{"expunge", "EXPUNGE", []string{"* 2 EXPUNGE", "t OK"}},
		{"after expunge", "FETCH $ (UID)", []string{"* 1 FETCH (UID 2)", "* 3 FETCH (UID 5)", "t OK"}},
		{"uid expunge $ keeps undeleted", "UID EXPUNGE $", []string{"t OK"}},
		{"move $", "MOVE $ INBOX", []string{"* OK [COPYUID ", "* 3 EXPUNGE", "* 1 EXPUNGE", "* 7 EXISTS", "* 7 RECENT", "t OK"}},
		{"moved away", "SEARCH $", []string{"* SEARCH", "t OK"}},
		// §2.1: a SEARCH RETURN (SAVE) that gets NO empties "$"; one that
		// gets BAD leaves it alone.
		{"save again", "SEARCH RETURN (SAVE) ALL", []string{"t OK"}},
		{"failed save", "SEARCH RETURN (SAVE) CHARSET KOI8-R ALL", []string{"t NO [BADCHARSET"}},
		{"emptied by NO", "SEARCH $", []string{"* SEARCH", "t OK"}},
		{"save again 2", "SEARCH RETURN (SAVE) ALL", []string{"t OK"}},
		{"bad save", "SEARCH RETURN (SAVE) NOSUCHKEY", []string{"t BAD"}},
		{"kept after BAD", "SEARCH $", []string{"* SEARCH 1 2 3 4 5 6 7", "t OK"}},
		{"bad sort save", "SORT RETURN (SAVE) (NOSUCHKEY) UTF-8 ALL", []string{"t BAD"}},
		{"kept after sort BAD", "SEARCH $", []string{"* SEARCH 1 2 3 4 5 6 7", "t OK"}},
		{"bad syntax", "FETCH $1 (UID)", []string{"t BAD"}},
		{"bad mix", "FETCH 1,$ (UID)", []string{"t BAD"}},
	})
}

// TestSearchResClearedOnSelect checks that SELECT, EXAMINE, UNSELECT and
// CLOSE empty "$" (RFC 5182 §2.1).
func TestSearchResClearedOnSelect(t *testing.T) {
	t.Parallel()
	for _, leave := range []string{"SELECT INBOX", "EXAMINE INBOX", "UNSELECT", "CLOSE"} {
		t.Run(leave, func(t *testing.T) {
			t.Parallel()
			r := sortEnv(t)
			runResSteps(t, r, []resStep{
				{"save", "SEARCH RETURN (SAVE) 2:3", []string{"t OK"}},
				{"saved", "SEARCH $", []string{"* SEARCH 2 3", "t OK"}},
			})
			require.Contains(t, last(r.cmd("x", leave)), "x OK")
			if !strings.HasPrefix(leave, "SELECT") && !strings.HasPrefix(leave, "EXAMINE") {
				require.Contains(t, last(r.cmd("y", "SELECT INBOX")), "y OK")
			}
			runResSteps(t, r, []resStep{{"cleared", "FETCH $ (UID)", []string{"t OK"}}})
		})
	}
}

// TestSearchResCondStore checks a non-UID STORE UNCHANGEDSINCE on "$":
// OK [MODIFIED] lists sequence numbers, as for any non-UID STORE; and
// "$" in SELECT (QRESYNC) gets BAD.
func TestSearchResCondStore(t *testing.T) {
	t.Parallel()
	r := sortEnv(t)
	runResSteps(t, r, []resStep{
		{"enable", "ENABLE QRESYNC", []string{"* ENABLED QRESYNC", "t OK"}},
		{"save", "UID SEARCH RETURN (SAVE) UID 4:6", []string{"t OK"}},
	})
	st := r.cmd("s", "STATUS INBOX (HIGHESTMODSEQ)")
	m := regexp.MustCompile(`HIGHESTMODSEQ (\d+)`).FindStringSubmatch(st[0])
	require.Len(t, m, 2, "%q", st)
	require.Contains(t, last(r.cmd("u", `STORE 4 +FLAGS.SILENT (\Seen)`)), "u OK")
	got := r.cmd("t", `STORE $ (UNCHANGEDSINCE `+m[1]+`) +FLAGS.SILENT (\Flagged)`)
	assert.Regexp(t, `^t OK \[MODIFIED 4\]`, last(got), "%q", got)
	// Now all three changed since: UID STORE lists UIDs.
	got = r.cmd("t", `UID STORE $ (UNCHANGEDSINCE `+m[1]+`) +FLAGS.SILENT (\Flagged)`)
	assert.Regexp(t, `^t OK \[MODIFIED 4:6\]`, last(got), "%q", got)
	assert.Contains(t, last(r.cmd("q", "SELECT INBOX (QRESYNC (1 1 $))")), "q BAD")
}
