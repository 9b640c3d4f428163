package imapserver_test

import (
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// sortMessages is a small thread: 1 <- 2 <- 4 about "hello", and 3 with
// its forward 5 about "other". Sent dates: 1, 3, 2, 4, 5 (hours).
var sortMessages = []string{
	"From: Zoe <zoe@x>\r\nSubject: Hello\r\nMessage-ID: <1@x>\r\nDate: Fri, 22 Feb 2008 01:00:00 +0000\r\n\r\none\r\n",
	"From: adam@x\r\nSubject: Re: hello\r\nMessage-ID: <2@x>\r\nIn-Reply-To: <1@x>\r\nDate: Fri, 22 Feb 2008 03:00:00 +0000\r\n\r\ntwo\r\n",
	"From: Yves <bob@x>\r\nSubject: Other\r\nMessage-ID: <3@x>\r\nDate: Fri, 22 Feb 2008 04:00:00 +0200\r\n\r\nthree\r\n",
	"From: carl@x\r\nSubject: Re: Re: hello\r\nMessage-ID: <4@x>\r\nReferences: <1@x> <2@x>\r\nDate: Fri, 22 Feb 2008 04:00:00 +0000\r\n\r\nfour\r\n",
	"From: dora@x\r\nSubject: [list] other (fwd)\r\nMessage-ID: <5@x>\r\nDate: Fri, 22 Feb 2008 05:00:00 +0000\r\n\r\nfive, the longest message of all\r\n",
}

// sortEnv delivers an expunged message and then sortMessages to alice's
// INBOX, so that sequence numbers 1-5 are UIDs 2-6, and returns a
// connection with INBOX selected.
func sortEnv(t *testing.T) *rawConn {
	t.Helper()
	env := newEnv(t, nil)
	_, err := env.be.Deliver("alice", "INBOX", []byte("Subject: gone\r\n\r\nx\r\n"), nil)
	require.NoError(t, err)
	for _, m := range sortMessages {
		_, err := env.be.Deliver("alice", "INBOX", []byte(m), nil)
		require.NoError(t, err)
	}
	r := login(t, env, "alice")
	require.True(t, strings.HasPrefix(last(r.cmd("s", "SELECT INBOX")), "s OK"))
	require.True(t, strings.HasPrefix(last(r.cmd("d", `STORE 1 +FLAGS.SILENT (\Deleted)`)), "d OK"))
	require.True(t, strings.HasPrefix(last(r.cmd("e", "EXPUNGE")), "e OK"))
	return r
}

func TestSortAndThread(t *testing.T) {
	t.Parallel()
	r := sortEnv(t)
	caps := r.cmd("c", "CAPABILITY")[0]
	for _, c := range []string{" SORT ", " SORT=DISPLAY ", " ESORT ", " THREAD=ORDEREDSUBJECT ", " THREAD=REFERENCES "} {
		assert.Contains(t, caps+" ", c)
	}
	cases := []struct {
		name, cmd string
		want      []string // untagged replies, then the tagged status prefix
	}{
		{"subject", "SORT (SUBJECT) UTF-8 ALL", []string{"* SORT 1 2 4 3 5", "t OK"}},
		{"subject then reverse date", "SORT (SUBJECT REVERSE DATE) US-ASCII ALL", []string{"* SORT 4 2 1 5 3", "t OK"}},
		{"date across time zones", "SORT (DATE) UTF-8 ALL", []string{"* SORT 1 3 2 4 5", "t OK"}},
		{"uid reverse date", "UID SORT (REVERSE DATE) UTF-8 ALL", []string{"* SORT 6 5 3 4 2", "t OK"}},
		{"from mailbox", "SORT (FROM) UTF-8 ALL", []string{"* SORT 2 3 4 5 1", "t OK"}},
		{"displayfrom", "SORT (DISPLAYFROM) UTF-8 ALL", []string{"* SORT 2 4 5 3 1", "t OK"}},
		{"size", "SORT (REVERSE SIZE) UTF-8 ALL", []string{"* SORT 5 4 2 3 1", "t OK"}},
		{"search keys filter", "SORT (REVERSE ARRIVAL) UTF-8 SUBJECT hello", []string{"* SORT 4 2 1", "t OK"}},
		{"lower-case command", "sort (arrival) utf-8 2:3", []string{"* SORT 2 3", "t OK"}},
		{"no match", "SORT (ARRIVAL) UTF-8 SUBJECT nothing", []string{"* SORT", "t OK"}},
		{"esort in sort order", "SORT RETURN (MIN MAX ALL COUNT) (REVERSE DATE) UTF-8 ALL",
			[]string{`* ESEARCH (TAG "t") MIN 5 MAX 1 ALL 5,4,2:3,1 COUNT 5`, "t OK"}},
		{"esort empty return is all", "SORT RETURN () (ARRIVAL) UTF-8 ALL", []string{`* ESEARCH (TAG "t") ALL 1:5`, "t OK"}},
		{"uid esort", "UID SORT RETURN (COUNT) (DATE) UTF-8 SUBJECT hello", []string{`* ESEARCH (TAG "t") UID COUNT 3`, "t OK"}},
		{"esort no match", "SORT RETURN (MIN COUNT) (DATE) UTF-8 SUBJECT nothing", []string{`* ESEARCH (TAG "t") COUNT 0`, "t OK"}},
		{"bad charset", "SORT (DATE) ISO-8859-1 ALL", []string{"t NO [BADCHARSET (US-ASCII UTF-8)]"}},
		{"unknown key", "SORT (COLOUR) UTF-8 ALL", []string{"t BAD"}},
		{"criteria not a list", "SORT DATE UTF-8 ALL", []string{"t BAD"}},
		{"empty criteria", "SORT () UTF-8 ALL", []string{"t BAD"}},
		{"missing charset", "SORT (DATE) ALL", []string{"t BAD"}},
		{"missing keys", "SORT (DATE) UTF-8", []string{"t BAD"}},
		{"esort partial (RFC 5267 §4.4)", "SORT RETURN (PARTIAL 2:4) (DATE) UTF-8 ALL", []string{`* ESEARCH (TAG "t") PARTIAL (2:4 3,2,4)`, "t OK"}},
		{"references", "THREAD REFERENCES UTF-8 ALL", []string{"* THREAD (1 2 4)(3 5)", "t OK"}},
		{"uid references", "UID THREAD REFERENCES UTF-8 ALL", []string{"* THREAD (2 3 5)(4 6)", "t OK"}},
		{"orderedsubject", "THREAD ORDEREDSUBJECT US-ASCII ALL", []string{"* THREAD (1 (2)(4))(3 5)", "t OK"}},
		{"references subset", "THREAD REFERENCES UTF-8 2:5", []string{"* THREAD (3 5)(2 4)", "t OK"}},
		{"thread no match", "THREAD REFERENCES UTF-8 SUBJECT nothing", []string{"* THREAD", "t OK"}},
		{"thread bad charset", "THREAD REFERENCES KOI8-R ALL", []string{"t NO [BADCHARSET (US-ASCII UTF-8)]"}},
		{"thread unknown algorithm", "THREAD SHUFFLE UTF-8 ALL", []string{"t BAD"}},
		{"thread missing keys", "THREAD REFERENCES UTF-8", []string{"t BAD"}},
	}
	for _, tc := range cases {
		got := r.cmd("t", tc.cmd)
		require.Len(t, got, len(tc.want), "%s: %q", tc.name, got)
		for i, w := range tc.want {
			if i == len(tc.want)-1 {
				assert.True(t, strings.HasPrefix(got[i], w), "%s: %q", tc.name, got)
			} else {
				assert.Equal(t, w, got[i], tc.name)
			}
		}
	}
}

func TestSortNeedsSelectedMailbox(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	assert.True(t, strings.HasPrefix(last(r.cmd("a", "SORT (DATE) UTF-8 ALL")), "a BAD"))
	assert.True(t, strings.HasPrefix(last(r.cmd("b", "THREAD REFERENCES UTF-8 ALL")), "b BAD"))
	assert.True(t, strings.HasPrefix(last(r.cmd("c", "UID SORT (DATE) UTF-8 ALL")), "c BAD"))
}

// TestSortWithoutSortSession: a session without SortSession and
// ThreadSession announces neither and answers BAD.
func TestSortWithoutSortSession(t *testing.T) {
	t.Parallel()
	mem := imapmem.New()
	require.NoError(t, mem.AddUser("alice", "secret"))
	_, err := mem.Deliver("alice", "INBOX", []byte(sortMessages[0]), nil)
	require.NoError(t, err)
	srv := &imapserver.Server{Backend: &plainBackend{be: mem}, AllowInsecureAuth: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	r := dialRaw(t, l.Addr().String())
	require.True(t, strings.HasPrefix(last(r.cmd("a", "LOGIN alice secret")), "a OK"))
	caps := r.cmd("b", "CAPABILITY")[0]
	assert.NotContains(t, caps, "SORT")
	assert.NotContains(t, caps, "THREAD")
	require.True(t, strings.HasPrefix(last(r.cmd("c", "SELECT INBOX")), "c OK"))
	assert.True(t, strings.HasPrefix(last(r.cmd("d", "SORT (DATE) UTF-8 ALL")), "d BAD"))
	assert.True(t, strings.HasPrefix(last(r.cmd("e", "THREAD REFERENCES UTF-8 ALL")), "e BAD"))
	// The connection still works.
	assert.Equal(t, "* SEARCH 1", r.cmd("f", "SEARCH ALL")[0])
}
