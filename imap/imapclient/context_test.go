package imapclient_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

// TestContextClient uses RETURN (PARTIAL) and RETURN (UPDATE) against
// imapserver+imapmem (RFC 5267 §4): updates caused by another
// connection arrive through OnUpdate and ParseContextUpdate reads them;
// CancelUpdate stops them.
func TestContextClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var mu sync.Mutex
	var updates []*imapclient.ContextUpdate
	c := e.dial(t, &imapclient.Options{OnUpdate: func(u *imapclient.Update) {
		cu, ok, err := imapclient.ParseContextUpdate(u)
		assert.NoError(t, err)
		if ok {
			mu.Lock()
			updates = append(updates, cu)
			mu.Unlock()
		}
	}})
	other := e.dial(t, nil)
	ctx := ctxT(t)
	assert.True(t, c.Has("CONTEXT=SEARCH"))
	assert.True(t, c.Has("CONTEXT=SORT"))
	for _, m := range threadMsgs {
		appendMsg(t, c, "INBOX", m)
	}
	_, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	_, err = other.Select(ctx, "INBOX", nil)
	require.NoError(t, err)

	res, err := c.ESearch(ctx, imap.NumSeq, &imapclient.SearchOptions{Partial: &imapclient.PartialRange{First: 3, Last: 2}}, nil)
	require.NoError(t, err)
	assert.Equal(t, &imapclient.PartialResult{First: 2, Last: 3, Nums: []uint32{2, 3}}, res.Partial)
	res, err = c.ESearch(ctx, imap.NumUID, &imapclient.SearchOptions{Count: true, Partial: &imapclient.PartialRange{First: 9, Last: 10}}, nil)
	require.NoError(t, err)
	assert.Equal(t, &imapclient.SearchResult{UID: true, Count: 4, Partial: &imapclient.PartialResult{First: 9, Last: 10}}, res)
	sres, err := c.ESort(ctx, imapclient.SortReturn{Partial: &imapclient.PartialRange{First: 1, Last: 3}}, []imap.SortCriterion{{Key: imap.SortDate, Reverse: true}}, nil)
	require.NoError(t, err)
	assert.Equal(t, []uint32{4, 2, 3}, sres.Partial.Nums)
	_, err = c.ESearch(ctx, imap.NumSeq, &imapclient.SearchOptions{Partial: &imapclient.PartialRange{First: 0, Last: 2}}, nil)
	require.Error(t, err, "position 0 is refused before sending")

	seen := &imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}}
	res, err = c.ESearch(ctx, imap.NumSeq, &imapclient.SearchOptions{Update: true, All: true}, seen)
	require.NoError(t, err)
	require.NotEmpty(t, res.Tag)
	sres, err = c.UIDESort(ctx, imapclient.SortReturn{Update: true}, []imap.SortCriterion{{Key: imap.SortDate}}, seen)
	require.NoError(t, err)
	require.NotEmpty(t, sres.Tag)

	_, err = other.Store(ctx, imap.SeqSetOf(2, 4), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagSeen}, Silent: true})
	require.NoError(t, err)
	require.NoError(t, c.Noop(ctx))
	mu.Lock()
	assert.Equal(t, []*imapclient.ContextUpdate{
		{Tag: res.Tag, Changes: []imapclient.ContextChange{{Position: 0, Nums: []uint32{2, 4}}}},
		{Tag: sres.Tag, UID: true, Changes: []imapclient.ContextChange{{Position: 1, Nums: []uint32{2, 4}}}},
	}, updates)
	updates = nil
	mu.Unlock()

	require.NoError(t, c.CancelUpdate(ctx, sres.Tag))
	_, err = other.Store(ctx, imap.SeqSetOf(2), &imap.StoreFlags{Action: imap.StoreRemove, Flags: []imap.Flag{imap.FlagSeen}, Silent: true})
	require.NoError(t, err)
	require.NoError(t, c.Noop(ctx))
	mu.Lock()
	assert.Equal(t, []*imapclient.ContextUpdate{
		{Tag: res.Tag, Changes: []imapclient.ContextChange{{Remove: true, Position: 0, Nums: []uint32{2}}}},
	}, updates)
	mu.Unlock()
	require.Error(t, c.CancelUpdate(ctx))
}

// TestParseContextUpdate reads hand-made updates and refuses bad ones.
func TestParseContextUpdate(t *testing.T) {
	t.Parallel()
	tag := []imap.Value{imap.Atom("TAG"), "A1"}
	cases := []struct {
		name   string
		u      *imapclient.Update
		want   *imapclient.ContextUpdate
		ok     bool
		hasErr bool
	}{
		{"not esearch", &imapclient.Update{Name: "EXISTS", Num: 3}, nil, false, false},
		{"plain result", &imapclient.Update{Name: "ESEARCH", Values: []imap.Value{tag, imap.Atom("ALL"), imap.Atom("1:3")}}, nil, false, false},
		{"addto and removefrom", &imapclient.Update{Name: "ESEARCH", Values: []imap.Value{tag, imap.Atom("UID"),
			imap.Atom("REMOVEFROM"), []imap.Value{imap.Atom("0"), imap.Atom("5")},
			imap.Atom("ADDTO"), []imap.Value{imap.Atom("3"), imap.Atom("9,7:8")}}},
			&imapclient.ContextUpdate{Tag: "A1", UID: true, Changes: []imapclient.ContextChange{
				{Remove: true, Nums: []uint32{5}}, {Position: 3, Nums: []uint32{9, 7, 8}}}}, true, false},
		{"missing value", &imapclient.Update{Name: "ESEARCH", Values: []imap.Value{tag, imap.Atom("ADDTO")}}, nil, true, true},
		{"bad position", &imapclient.Update{Name: "ESEARCH", Values: []imap.Value{tag, imap.Atom("ADDTO"), []imap.Value{imap.Atom("x"), imap.Atom("1")}}}, nil, true, true},
		{"bad set", &imapclient.Update{Name: "ESEARCH", Values: []imap.Value{tag, imap.Atom("ADDTO"), []imap.Value{imap.Atom("1"), imap.Atom("0:*")}}}, nil, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := imapclient.ParseContextUpdate(tc.u)
			assert.Equal(t, tc.ok, ok)
			if tc.hasErr {
				require.ErrorIs(t, err, imapclient.ErrProtocol)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
