package imapserver_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mailkit-go/mailkit/imap/imapserver"
)

func TestMatchList(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "a/b/c", true},
		{"%", "a", true},
		{"%", "a/b", false},
		{"a/%", "a/b", true},
		{"a/%", "a/b/c", false},
		{"a*", "abc/d", true},
		{"inbox", "INBOX", true},
		{"INBOX/%", "INBOX/x", true},
		{"Inbox*", "INBOX", true},
		{"x", "X", false},
		{"%/%", "a/b", true},
		{"a%c", "abc", true},
		{"a%c", "a/c", false},
		{"", "a", false},
		{"", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.pattern+" "+tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, imapserver.MatchList(tc.pattern, tc.name, '/'))
		})
	}
	assert.False(t, imapserver.MatchList(strings.Repeat("*a", 100), strings.Repeat("a", 100)+"b", '/'), "bounded backtracking")
	assert.True(t, imapserver.MatchList("a.%", "a.b", '.'))
	assert.False(t, imapserver.MatchList("a.%", "a.b.c", '.'))
	assert.True(t, imapserver.MatchListAny("a/", []string{"x", "%"}, "a/b", '/'))
	assert.False(t, imapserver.MatchListAny("a/", []string{"x", "%"}, "b", '/'))
}

func TestSubscribedParents(t *testing.T) {
	t.Parallel()
	subs := map[string]bool{"a/b/c": true, "a/b": true, "x/y": true, "top": true}
	assert.Equal(t, []string{"a", "x"}, imapserver.SubscribedParents(subs, "", []string{"%"}, '/'))
	assert.Empty(t, imapserver.SubscribedParents(subs, "", []string{"*"}, '/'), "only %% patterns list parents")
	assert.Equal(t, []string{"a"}, imapserver.SubscribedParents(subs, "a", []string{"%"}, '/'))
}
