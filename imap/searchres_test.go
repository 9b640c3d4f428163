package imap

import (
	"bufio"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSavedResultSeqSet(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string
		saved          bool
		wantErr        bool
	}{
		{"dollar", "$", "$", true, false},
		{"star to max is not dollar", "*:4294967295", "4294967295:*", false, false},
		{"max to star", "4294967295:*", "4294967295:*", false, false},
		{"ordinary", "1:3,5", "1:3,5", false, false},
		{"dollar in a list", "$,1", "", false, true},
		{"dollar twice", "$$", "", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			set, err := ParseSeqSet(c.in)
			if c.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, set.String())
			assert.Equal(t, c.saved, set.IsSavedResult())
		})
	}
	assert.True(t, SavedResult().IsSavedResult())
	assert.False(t, SeqSet(nil).IsSavedResult())
}

func TestDecoderSavedResult(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		saved    bool
		wantErr  bool
	}{
		{"dollar", "$ ", true, false},
		{"dollar at end", "$\r\n", true, false},
		{"dollar digit", "$1 ", false, true},
		{"dollar comma", "$,2 ", false, true},
		{"number", "7 ", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := NewDecoder(bufio.NewReader(strings.NewReader(c.in)), nil)
			set, err := d.SeqSet()
			if c.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.saved, set.IsSavedResult())
		})
	}
}

func TestSearchCriteriaSavedResult(t *testing.T) {
	t.Parallel()
	d := NewDecoder(bufio.NewReader(strings.NewReader("$ UID $ NOT $ OR 1 $ SEEN\r\n")), nil)
	c, _, err := d.SearchCriteria()
	require.NoError(t, err)
	assert.Equal(t, "$ UID $ SEEN NOT ($) OR (1) ($)", c.String())
	require.True(t, c.ContainsSavedResult())
	c.ReplaceSavedResult(SeqSetOf(4, 5, 9))
	assert.False(t, c.ContainsSavedResult())
	assert.Equal(t, "UID 4:5,9 UID 4:5,9 SEEN NOT (UID 4:5,9) OR (1) (UID 4:5,9)", c.String())

	empty := &SearchCriteria{SeqNum: []SeqSet{SavedResult()}}
	empty.ReplaceSavedResult(nil)
	assert.False(t, empty.Match(&SearchTarget{SeqNum: 1, UID: 1, MaxUID: 1}), "an empty $ matches nothing")
	assert.False(t, (&SearchCriteria{}).ContainsSavedResult())
}
