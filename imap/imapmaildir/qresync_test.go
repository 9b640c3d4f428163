package imapmaildir_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

// vanishedOf returns the UID set of the VANISHED updates in ups, with
// "(EARLIER) " when it was sent.
func vanishedOf(ups []imapclient.Update) []string {
	var out []string
	for _, u := range ups {
		if u.Name != "VANISHED" || len(u.Values) == 0 {
			continue
		}
		s := fmt.Sprint(u.Values[len(u.Values)-1])
		if len(u.Values) == 2 {
			s = "(EARLIER) " + s
		}
		out = append(out, s)
	}
	return out
}

// qresyncSelect selects INBOX with QRESYNC and returns the VANISHED and
// FETCH updates it brought.
func qresyncSelect(t *testing.T, c *imapclient.Client, ups *updates, q *imap.QResyncParams) ([]string, []imapclient.Update) {
	t.Helper()
	ups.take()
	_, err := c.Select(context.Background(), "INBOX", &imap.SelectOptions{QResync: q})
	require.NoError(t, err)
	got := ups.take()
	var fetches []imapclient.Update
	for _, u := range got {
		if u.Name == "FETCH" {
			fetches = append(fetches, u)
		}
	}
	return vanishedOf(got), fetches
}

// TestQResync: VANISHED instead of EXPUNGE, SELECT (QRESYNC) answers from
// the in-memory expunge log, and after a restart (log empty, its floor at
// the HIGHESTMODSEQ loaded) from the superset of missing UIDs.
func TestQResync(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	e := startServer(t, dir)
	c, ups := e.dial(t, "alice")
	for i := 0; i < 4; i++ {
		appendMsg(t, c, "INBOX", msg1)
	}
	en, err := c.Enable(ctx, "QRESYNC")
	require.NoError(t, err)
	assert.Equal(t, []string{"QRESYNC"}, en)
	sd, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	assert.Equal(t, uint64(5), sd.HighestModSeq)
	v := sd.UIDValidity
	_, err = c.UIDStore(ctx, imap.SeqSetOf(2), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true})
	require.NoError(t, err)
	_, err = c.UIDStore(ctx, imap.SeqSetOf(4), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagFlagged}, Silent: true})
	require.NoError(t, err)
	ups.take()
	seqs, err := c.Expunge(ctx)
	require.NoError(t, err)
	assert.Empty(t, seqs, "no EXPUNGE responses with QRESYNC")
	assert.Equal(t, []string{"2"}, vanishedOf(ups.take()), "VANISHED 2 (RFC 7162 §3.2.10)")

	c2, ups2 := e.dial(t, "alice")
	_, err = c2.Enable(ctx, "QRESYNC")
	require.NoError(t, err)
	van, fetches := qresyncSelect(t, c2, ups2, &imap.QResyncParams{UIDValidity: v, ModSeq: 5})
	assert.Equal(t, []string{"(EARLIER) 2"}, van)
	require.Len(t, fetches, 1)
	assert.Equal(t, uint32(4), fetches[0].Message.UID)
	assert.Equal(t, uint64(7), fetches[0].Message.ModSeq)
	van, fetches = qresyncSelect(t, c2, ups2, &imap.QResyncParams{UIDValidity: v, ModSeq: 8})
	assert.Empty(t, van)
	assert.Empty(t, fetches)
	e.stop()

	e2 := startServer(t, dir)
	c3, ups3 := e2.dial(t, "alice")
	_, err = c3.Enable(ctx, "QRESYNC")
	require.NoError(t, err)
	van, _ = qresyncSelect(t, c3, ups3, &imap.QResyncParams{UIDValidity: v, ModSeq: 8})
	assert.Empty(t, van, "nothing since the HIGHESTMODSEQ loaded")
	van, fetches = qresyncSelect(t, c3, ups3, &imap.QResyncParams{UIDValidity: v, ModSeq: 5, KnownUIDs: imap.SeqSetOf(1, 2, 3)})
	assert.Equal(t, []string{"(EARLIER) 2"}, van, "older than the log: the missing UIDs")
	assert.Empty(t, fetches, "UID 4 is not among the known UIDs")

	// A file removed by another program reaches a QRESYNC client as
	// VANISHED.
	ups3.take()
	require.NoError(t, removeUID(t, dir, 3))
	deadline := time.Now().Add(10 * time.Second)
	for {
		require.NoError(t, c3.Noop(ctx))
		if v := vanishedOf(ups3.take()); len(v) > 0 {
			assert.Equal(t, []string{"3"}, v)
			break
		}
		require.True(t, time.Now().Before(deadline), "no VANISHED")
	}
}

// TestQResyncTwoBackends: expunges made through another Backend on the
// same Maildir (as another process would), including of a message this
// Backend never saw, reach this Backend's QRESYNC answers.
func TestQResyncTwoBackends(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	e1 := startServer(t, dir)
	a, upsA := e1.dial(t, "alice")
	appendMsg(t, a, "INBOX", msg1)
	appendMsg(t, a, "INBOX", msg2)
	_, err := a.Enable(ctx, "QRESYNC")
	require.NoError(t, err)
	sd, err := a.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	require.NoError(t, a.Unselect(ctx))

	e2 := startServer(t, dir)
	b, _ := e2.dial(t, "alice")
	appendMsg(t, b, "INBOX", msg1) // UID 3, never seen by the first Backend
	_, err = b.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	_, err = b.UIDStore(ctx, imap.SeqSetOf(1, 3), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true})
	require.NoError(t, err)
	_, err = b.Expunge(ctx)
	require.NoError(t, err)

	van, _ := qresyncSelect(t, a, upsA, &imap.QResyncParams{UIDValidity: sd.UIDValidity, ModSeq: sd.HighestModSeq})
	assert.Equal(t, []string{"(EARLIER) 1,3"}, van)
}
