package imapserver_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSmoke(t *testing.T) {
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	msg := "From: a@example.test\r\nSubject: hi\r\n\r\nhello\r\n"
	r.send("a1 APPEND INBOX (\\Flagged) {" + itoa(len(msg)) + "}")
	require.True(t, strings.HasPrefix(r.line(), "+ "))
	r.sendRaw(msg + "\r\n")
	l := r.until("a1 ")
	require.Contains(t, last(l), "a1 OK [APPENDUID")
	l = r.cmd("a2", "SELECT INBOX")
	t.Log(l)
	require.Contains(t, last(l), "a2 OK [READ-WRITE]")
	l = r.cmd("a3", "FETCH 1 (FLAGS UID RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (Subject)])")
	t.Log(l)
	assert.Contains(t, l[0], "ENVELOPE")
	l = r.cmd("a4", "SEARCH SUBJECT hi")
	assert.Equal(t, "* SEARCH 1", l[0])
	l = r.cmd("a5", "LOGOUT")
	assert.Equal(t, "* BYE Logging out", l[0])
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestFetchSectionsRaw(t *testing.T) {
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	msg := "From: a@example.test\r\nSubject: hi\r\n\r\nhello\r\n"
	r.send("a1 APPEND INBOX {" + itoa(len(msg)) + "+}")
	r.sendRaw(msg + "\r\n")
	r.until("a1 ")
	r.cmd("a2", "SELECT INBOX")
	l := r.cmd("a3", "FETCH 1 (BODY.PEEK[1] BODY.PEEK[HEADER.FIELDS (Subject)])")
	require.Equal(t, []string{"* 1 FETCH (BODY[1] {7}", "hello", " BODY[HEADER.FIELDS (Subject)] {15}", "Subject: hi", "", ")", "a3 OK FETCH completed"}, l)
}

func TestFetchAllItemsRaw(t *testing.T) {
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	msg := "From: a@example.test\r\nSubject: hi\r\n\r\nhello\r\n"
	r.send("a1 APPEND INBOX {" + itoa(len(msg)) + "+}")
	r.sendRaw(msg + "\r\n")
	r.until("a1 ")
	r.cmd("a2", "SELECT INBOX")
	l := r.cmd("a3", "FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (Subject)] BODY.PEEK[1])")
	require.Contains(t, l[0], `ENVELOPE (NIL "hi" ((NIL NIL "a" "example.test")) ((NIL NIL "a" "example.test")) ((NIL NIL "a" "example.test")) NIL NIL NIL NIL NIL) BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 7 1 NIL NIL NIL NIL)`)
	require.Equal(t, "a3 OK FETCH completed", last(l))
}
