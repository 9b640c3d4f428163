package imapclient_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

func u64(n uint64) *uint64 { return &n }

// TestCondStore drives CONDSTORE (RFC 7162 §3.1) through the client
// against imapserver with imapmem.
func TestCondStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial(t, nil)
	ctx := ctxT(t)
	for _, m := range []string{"Subject: a\r\n\r\na\r\n", "Subject: b\r\n\r\nb\r\n", "Subject: c\r\n\r\nc\r\n"} {
		appendMsg(t, c, "INBOX", m)
	}
	require.True(t, c.Has("CONDSTORE"))

	enabled, err := c.Enable(ctx, "CONDSTORE", "X-UNKNOWN")
	require.NoError(t, err)
	assert.Equal(t, []string{"CONDSTORE"}, enabled)

	st, err := c.Status(ctx, "INBOX", &imap.StatusOptions{NumMessages: true, HighestModSeq: true})
	require.NoError(t, err)
	assert.Equal(t, uint64(4), st.HighestModSeq, "1 for the new mailbox, +1 per append")
	enabled, err = c.Enable(ctx, "CONDSTORE")
	require.NoError(t, err)
	assert.Empty(t, enabled, "enabled once")

	sd, err := c.Select(ctx, "INBOX", &imap.SelectOptions{CondStore: true})
	require.NoError(t, err)
	assert.Equal(t, uint64(4), sd.HighestModSeq)

	msgs, err := c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(1, 2, 3), &imap.FetchOptions{ModSeq: true})
	require.NoError(t, err)
	require.Len(t, msgs, 3)
	for i, m := range msgs {
		assert.Equal(t, uint64(i+2), m.ModSeq)
	}

	res, err := c.Store(ctx, imap.SeqSetOf(2), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagSeen}})
	require.NoError(t, err)
	require.Len(t, res, 1)
	assert.Equal(t, uint64(5), res[0].ModSeq)

	msgs, err = c.FetchAll(ctx, imap.NumUID, imap.SeqSetOf(1, 2, 3), &imap.FetchOptions{Flags: true, ChangedSince: 4})
	require.NoError(t, err)
	require.Len(t, msgs, 1, "only the message changed since 4")
	assert.Equal(t, uint32(2), msgs[0].UID)
	assert.Equal(t, uint64(5), msgs[0].ModSeq)

	// UNCHANGEDSINCE 4: message 2 (modseq 5) is left alone.
	res, err = c.Store(ctx, imap.SeqSetOf(1, 2, 3), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagFlagged}, UnchangedSince: u64(4)})
	var me *imapclient.ModifiedError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "2", me.Modified.String())
	require.Len(t, res, 2)
	assert.Equal(t, []uint32{1, 3}, []uint32{res[0].SeqNum, res[1].SeqNum})
	res, err = c.UIDStore(ctx, imap.SeqSetOf(1), &imap.StoreFlags{Action: imap.StoreRemove, Flags: []imap.Flag{imap.FlagFlagged}, UnchangedSince: u64(100)})
	require.NoError(t, err)
	require.Len(t, res, 1)
	assert.Equal(t, uint64(8), res[0].ModSeq)

	nums, modseq, err := c.SearchModSeq(ctx, imap.NumSeq, &imap.SearchCriteria{ModSeq: u64(6)})
	require.NoError(t, err)
	assert.Equal(t, []uint32{1, 3}, nums)
	assert.Equal(t, uint64(8), modseq)
	nums, modseq, err = c.SearchModSeq(ctx, imap.NumUID, &imap.SearchCriteria{ModSeq: u64(100)})
	require.NoError(t, err)
	assert.Empty(t, nums)
	assert.Zero(t, modseq)
	plain, err := c.Search(ctx, &imap.SearchCriteria{ModSeq: u64(5)})
	require.NoError(t, err)
	assert.Equal(t, []uint32{1, 2, 3}, plain, "Search ignores the MODSEQ of the reply")

	_, err = c.Enable(ctx, "bad atom")
	assert.Error(t, err)
}
