package imapclient_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

func uidsOf(msgs []*imapclient.FetchMessage) []uint32 {
	var out []uint32
	for _, m := range msgs {
		out = append(out, m.UID)
	}
	return out
}

// TestSearchResClient saves SEARCH results (RFC 5182) and uses "$" in
// FETCH, STORE, COPY, SEARCH and UID EXPUNGE; and reads STATUS SIZE and
// DELETED (RFC 8438, RFC 9051) after APPEND and EXPUNGE on imapmem.
func TestSearchResClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial(t, nil)
	ctx := ctxT(t)
	assert.True(t, c.Has("SEARCHRES"))
	assert.True(t, c.Has("STATUS=SIZE"))
	for _, m := range threadMsgs {
		appendMsg(t, c, "INBOX", m)
	}
	st, err := c.Status(ctx, "INBOX", &imap.StatusOptions{Size: true, NumDeleted: true})
	require.NoError(t, err)
	var total int64
	for _, m := range threadMsgs {
		total += int64(len(m))
	}
	require.NotNil(t, st.Size)
	assert.Equal(t, total, *st.Size)
	_, err = c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)

	hello := &imap.SearchCriteria{Header: []imap.SearchHeader{{Key: "SUBJECT", Value: "hello"}}}
	res, err := c.ESearch(ctx, imap.NumSeq, &imapclient.SearchOptions{Save: true}, hello)
	require.NoError(t, err)
	assert.Equal(t, &imapclient.SearchResult{}, res, "SAVE alone: no ESEARCH")
	got, err := c.FetchAll(ctx, imap.NumSeq, imap.SavedResult(), &imap.FetchOptions{UID: true})
	require.NoError(t, err)
	assert.Equal(t, []uint32{1, 2, 4}, uidsOf(got))

	res, err = c.ESearch(ctx, imap.NumUID, &imapclient.SearchOptions{Save: true, Max: true, Count: true}, &imap.SearchCriteria{UID: []imap.SeqSet{imap.SavedResult()}, NotFlag: []imap.Flag{imap.FlagAnswered}})
	require.NoError(t, err)
	assert.Equal(t, &imapclient.SearchResult{UID: true, Max: 4, Count: 3}, res)

	_, err = c.Store(ctx, imap.SavedResult(), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true})
	require.NoError(t, err)
	st, err = c.Status(ctx, "INBOX", &imap.StatusOptions{NumDeleted: true})
	require.NoError(t, err)
	require.NotNil(t, st.NumDeleted)
	assert.Equal(t, uint32(3), *st.NumDeleted)
	require.NoError(t, c.Create(ctx, "Saved"))
	cd, err := c.UIDCopy(ctx, imap.SavedResult(), "Saved")
	require.NoError(t, err)
	assert.Equal(t, "1:2,4", cd.SourceUIDs.String())

	// Save UIDs 1 and 4 and expunge them through "$" (2 stays \Deleted):
	// expunged messages leave "$", which is then empty.
	_, err = c.ESearch(ctx, imap.NumUID, &imapclient.SearchOptions{Save: true}, &imap.SearchCriteria{UID: []imap.SeqSet{imap.SeqSetOf(1, 4)}})
	require.NoError(t, err)
	expunged, err := c.UIDExpunge(ctx, imap.SavedResult())
	require.NoError(t, err)
	assert.Equal(t, []uint32{4, 1}, expunged)
	nums, err := c.Search(ctx, &imap.SearchCriteria{SeqNum: []imap.SeqSet{imap.SavedResult()}})
	require.NoError(t, err)
	assert.Empty(t, nums)

	st, err = c.Status(ctx, "INBOX", &imap.StatusOptions{Size: true, NumDeleted: true})
	require.NoError(t, err)
	assert.Equal(t, int64(len(threadMsgs[1])+len(threadMsgs[2])), *st.Size)
	assert.Equal(t, uint32(1), *st.NumDeleted)

	// SORT RETURN (SAVE MAX): the last message in sort order is kept.
	sr, err := c.UIDESort(ctx, imapclient.SortReturn{Save: true, Max: true}, []imap.SortCriterion{{Key: imap.SortSubject, Reverse: true}}, nil)
	require.NoError(t, err)
	assert.Equal(t, &imapclient.SortResult{UID: true, Max: 2}, sr)
	nums, err = c.UIDSearch(ctx, &imap.SearchCriteria{UID: []imap.SeqSet{imap.SavedResult()}})
	require.NoError(t, err)
	assert.Equal(t, []uint32{2}, nums)
}
