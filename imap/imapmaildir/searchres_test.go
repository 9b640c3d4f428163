package imapmaildir_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

// TestSearchRes checks "$" (RFC 5182) on this backend through the
// server: the session sees UID sets, an expunge by another connection
// removes a message from "$", and SELECT empties it.
func TestSearchRes(t *testing.T) {
	t.Parallel()
	e := startServer(t, t.TempDir())
	c, _ := e.dial(t, "alice")
	other, _ := e.dial(t, "alice")
	ctx := context.Background()
	for _, s := range []string{"a", "b", "c", "d"} {
		appendMsg(t, c, "INBOX", "Subject: "+s+"\r\n\r\nx\r\n")
	}
	_, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	_, err = c.ESearch(ctx, imap.NumSeq, &imapclient.SearchOptions{Save: true}, &imap.SearchCriteria{SeqNum: []imap.SeqSet{imap.SeqSetOf(2, 3, 4)}})
	require.NoError(t, err)
	msgs, err := c.FetchAll(ctx, imap.NumSeq, imap.SavedResult(), &imap.FetchOptions{UID: true})
	require.NoError(t, err)
	var uids []uint32
	for _, m := range msgs {
		uids = append(uids, m.UID)
	}
	assert.Equal(t, []uint32{2, 3, 4}, uids)

	// Another connection expunges UID 3; after the update reaches c,
	// "$" holds 2 and 4 (now sequence numbers 2 and 3).
	_, err = other.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	_, err = other.UIDStore(ctx, imap.SeqSetOf(3), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true})
	require.NoError(t, err)
	_, err = other.Expunge(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Noop(ctx))
	nums, err := c.Search(ctx, &imap.SearchCriteria{SeqNum: []imap.SeqSet{imap.SavedResult()}})
	require.NoError(t, err)
	assert.Equal(t, []uint32{2, 3}, nums)
	nums, err = c.UIDSearch(ctx, &imap.SearchCriteria{UID: []imap.SeqSet{imap.SavedResult()}})
	require.NoError(t, err)
	assert.Equal(t, []uint32{2, 4}, nums)

	_, err = c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	nums, err = c.Search(ctx, &imap.SearchCriteria{SeqNum: []imap.SeqSet{imap.SavedResult()}})
	require.NoError(t, err)
	assert.Empty(t, nums, "SELECT empties $")
}
