package imapserver_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// collationMessages is the corpus of interop/imap_sort_test.go (From
// lines as there). Dovecot, which announces I18NLEVEL=1, sorts it by
// DISPLAYFROM as Alice, bob@example.test (2), bob@example.test (8),
// Carol (1), Carol (6), dave@example.test, Émile, yann@example.test, Zoe.
var collationMessages = []string{
	"From: Carol <carol@example.test>\r\nSubject: Project plan\r\n\r\nThe plan.\r\n",
	"From: bob@example.test\r\nSubject: Re: Project plan\r\n\r\nLooks good.\r\n",
	"From: Alice <alice@example.test>\r\nSubject: [team] Lunch?\r\n\r\nLunch?\r\n",
	"From: =?UTF-8?Q?=C3=89mile?= <emile@example.test>\r\nSubject: =?UTF-8?Q?Re=3A_=5Bteam=5D_Lunch=3F?=\r\n\r\nYes.\r\n",
	"From: dave@example.test\r\nSubject: Fwd: Project plan\r\n\r\nForwarded.\r\n",
	"From: Carol <carol@example.test>\r\nSubject: RE: re: Project plan (fwd)\r\n\r\nNo Date.\r\n",
	"From: Zoe <zoe@example.test>\r\nSubject: Budget\r\n\r\nSame date.\r\n",
	"From: bob@example.test\r\nSubject: Re: Budget\r\n\r\nok\r\n",
	"From: yann@example.test\r\nSubject: \r\n\r\nEmpty subject.\r\n",
}

// collationEnv delivers msgs to alice's INBOX and returns a connection
// with INBOX selected.
func collationEnv(t *testing.T, msgs []string) *rawConn {
	t.Helper()
	env := newEnv(t, nil)
	for _, m := range msgs {
		_, err := env.be.Deliver("alice", "INBOX", []byte(m), nil)
		require.NoError(t, err)
	}
	r := login(t, env, "alice")
	require.True(t, strings.HasPrefix(last(r.cmd("s", "SELECT INBOX")), "s OK"))
	return r
}

func TestI18NLevelAnnounced(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := dialRaw(t, env.addr)
	assert.Contains(t, strings.Fields(r.cmd("c1", "CAPABILITY")[0]), "I18NLEVEL=1")
	r.startTLS(env.ca)
	require.True(t, strings.HasPrefix(last(r.cmd("l1", "LOGIN alice secret")), "l1 OK"))
	assert.Contains(t, strings.Fields(r.cmd("c2", "CAPABILITY")[0]), "I18NLEVEL=1")
}

func TestSortDisplayFromUnicodeCasemap(t *testing.T) {
	t.Parallel()
	r := collationEnv(t, collationMessages)
	cases := []struct{ name, cmd, want string }{
		// Émile sorts as "E" U+0301 "MILE": between dave and yann, as
		// Dovecot does (i;ascii-casemap put it after every ASCII name).
		{"displayfrom", "SORT (DISPLAYFROM) UTF-8 ALL", "* SORT 3 2 8 1 6 5 4 9 7"},
		{"reverse displayfrom", "SORT (REVERSE DISPLAYFROM) UTF-8 ALL", "* SORT 7 9 4 5 1 6 2 8 3"},
		{"uid displayfrom", "UID SORT (DISPLAYFROM) US-ASCII ALL", "* SORT 3 2 8 1 6 5 4 9 7"},
		{"from mailbox", "SORT (FROM) UTF-8 ALL", "* SORT 3 2 8 1 6 5 4 9 7"},
	}
	for _, c := range cases {
		l := r.cmd("t", c.cmd)
		require.Len(t, l, 2, c.name)
		assert.Equal(t, c.want, l[0], c.name)
		assert.True(t, strings.HasPrefix(l[1], "t OK"), c.name)
	}
}

func TestSearchUnicodeCasemap(t *testing.T) {
	t.Parallel()
	r := collationEnv(t, []string{
		// 1: ÉMILE, encoded word
		"From: a@x\r\nSubject: =?UTF-8?Q?=C3=89MILE?= arrives\r\n\r\nbody\r\n",
		// 2: no accent
		"From: b@x\r\nSubject: Emile arrives\r\n\r\nbody\r\n",
		// 3: e + U+0301
		"From: c@x\r\nSubject: =?UTF-8?Q?e=CC=81mile?= arrives\r\n\r\nbody\r\n",
		// 4: body ÉMILE and the ligature ﬁ
		"From: d@x\r\nSubject: plain\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nDear \xc3\x89MILE, welcome \xef\xac\x81le\r\n",
	})
	cases := []struct{ name, cmd, want string }{
		{"subject é matches É and e+U+0301", "SEARCH CHARSET UTF-8 SUBJECT {6+}\r\n\xc3\xa9mile", "* SEARCH 1 3"},
		{"subject upper case", "SEARCH CHARSET UTF-8 SUBJECT {6+}\r\n\xc3\x89MILE", "* SEARCH 1 3"},
		{"ascii needle matches the base letter", "SEARCH SUBJECT mile", "* SEARCH 1 2 3"},
		{"accentless needle does not match across the accent", "SEARCH SUBJECT emile", "* SEARCH 2"},
		{"body", "SEARCH CHARSET UTF-8 BODY {6+}\r\n\xc3\xa9mile", "* SEARCH 4"},
		{"text", "SEARCH CHARSET UTF-8 TEXT {6+}\r\n\xc3\xa9MiLe", "* SEARCH 1 3 4"},
		{"ligature matches itself", "SEARCH CHARSET UTF-8 BODY {3+}\r\n\xef\xac\x81", "* SEARCH 4"},
		// RFC 5051 titlecases before decomposing: "ﬁ" is "fi", ASCII
		// "fi" is "FI".
		{"ligature is not ascii FI", "SEARCH BODY FILE", "* SEARCH"},
	}
	for _, c := range cases {
		l := r.cmd("t", c.cmd)
		require.Len(t, l, 2, c.name)
		assert.Equal(t, c.want, l[0], c.name)
		assert.True(t, strings.HasPrefix(l[1], "t OK"), c.name)
	}
}
