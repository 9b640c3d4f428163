package imap_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
)

func TestSeqSetSeqNums(t *testing.T) {
	t.Parallel()
	view := []uint32{3, 5, 9, 10}
	cases := []struct {
		name string
		kind imap.NumKind
		set  string
		want []uint32
	}{
		{"seq range", imap.NumSeq, "2:3", []uint32{2, 3}},
		{"seq star", imap.NumSeq, "3:*", []uint32{3, 4}},
		{"seq beyond end", imap.NumSeq, "3:100", []uint32{3, 4}},
		{"seq reversed and overlapping", imap.NumSeq, "4:2,1:2", []uint32{1, 2, 3, 4}},
		{"seq all past end", imap.NumSeq, "7:8", nil},
		{"seq max", imap.NumSeq, "4294967295", nil},
		{"uid range", imap.NumUID, "4:9", []uint32{2, 3}},
		{"uid star", imap.NumUID, "*", []uint32{4}},
		{"uid star above last", imap.NumUID, "100:*", []uint32{4}},
		{"uid missing", imap.NumUID, "4,6:8", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			set, err := imap.ParseSeqSet(tc.set)
			require.NoError(t, err)
			assert.Equal(t, tc.want, set.SeqNums(tc.kind, view))
		})
	}
	assert.Nil(t, imap.SeqSetOf(1).SeqNums(imap.NumSeq, nil), "empty view")
}

func TestSearchCriteriaNeeds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		c             imap.SearchCriteria
		message, size bool
	}{
		{"empty", imap.SearchCriteria{}, false, false},
		{"flags only", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}}, false, false},
		{"body", imap.SearchCriteria{Body: []string{"x"}}, true, false},
		{"header", imap.SearchCriteria{Header: []imap.SearchHeader{{Key: "Subject", Value: "x"}}}, true, false},
		{"larger", imap.SearchCriteria{Larger: 10}, false, true},
		{"not text", imap.SearchCriteria{Not: []imap.SearchCriteria{{Text: []string{"x"}}}}, true, false},
		{"or smaller", imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{{}, {Smaller: 5}}}}, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.message, tc.c.NeedsMessage())
			assert.Equal(t, tc.size, tc.c.NeedsSize())
		})
	}
}
