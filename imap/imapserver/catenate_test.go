package imapserver_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// catenateSource is a multipart draft like the one of RFC 4469 §5.
const (
	catHeader = "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n" +
		"From: Fred Foobar <foobar@example.com>\r\n" +
		"Subject: afternoon meeting\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
	catPart1MIME = "Content-Type: text/plain\r\n\r\n"
	catPart1     = "Hello Joe, do you think we can meet at 3:30 tomorrow?"
	catPart2MIME = "Content-Type: text/plain\r\n\r\n"
	catPart2     = "second part"
	catSource    = catHeader + "--XX\r\n" + catPart1MIME + catPart1 + "\r\n--XX\r\n" + catPart2MIME + catPart2 + "\r\n--XX--\r\n"
)

var appendUIDRe = regexp.MustCompile(`APPENDUID (\d+) (\d+)`)

// catenateEnv logs alice in, stores catSource in Drafts and returns the
// connection with Drafts' UIDVALIDITY and the message's UID.
func catenateEnv(t *testing.T, configure func(*imapserver.Server)) (*testEnv, *rawConn, string, string) {
	t.Helper()
	env := newEnv(t, configure)
	r := login(t, env, "alice")
	require.True(t, strings.HasPrefix(last(r.cmd("c", "CREATE Drafts")), "c OK"))
	l := last(r.cmd("a", "APPEND Drafts "+lit(catSource)))
	m := appendUIDRe.FindStringSubmatch(l)
	require.NotNil(t, m, l)
	return env, r, m[1], m[2]
}

func TestCatenateCapability(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	assert.Contains(t, strings.Join(r.cmd("c", "CAPABILITY"), "\n"), " MULTIAPPEND CATENATE")
}

func TestCatenate(t *testing.T) {
	t.Parallel()
	const boundary = "\r\n--------------030308070208000400050907\r\n"
	tests := []struct {
		name   string
		limits imapserver.Limits
		hosts  []string
		cmd    string // after "a APPEND "; %[1]s is UIDVALIDITY, %[2]s the UID
		status string // prefix of the tagged reply after the tag
		stored []string
	}{
		{name: "RFC 4469 example",
			cmd: `INBOX (\Seen \Draft $MDNSent) CATENATE (URL "/Drafts;UIDVALIDITY=%[1]s/;UID=%[2]s/;section=HEADER" TEXT ` + lit(boundary) +
				` URL "/Drafts;UIDVALIDITY=%[1]s/;UID=%[2]s/;section=1.MIME" URL "/Drafts;UIDVALIDITY=%[1]s/;UID=%[2]s/;section=1" TEXT ` + lit(boundary) +
				` URL "/Drafts;UIDVALIDITY=%[1]s/;UID=%[2]s" TEXT ` + lit("\r\n--------------030308070208000400050907--\r\n") + `)`,
			status: "OK [APPENDUID ",
			stored: []string{catHeader + boundary + catPart1MIME + catPart1 + boundary + catSource + "\r\n--------------030308070208000400050907--\r\n"}},
		{name: "relative URL without UIDVALIDITY, TEXT section, partial",
			cmd:    `INBOX CATENATE (URL "/Drafts/;UID=%[2]s/;SECTION=2" TEXT ` + lit("|") + ` URL "/Drafts/;UID=%[2]s/;SECTION=1/;PARTIAL=6.3")`,
			status: "OK [APPENDUID ", stored: []string{catPart2 + "|" + "Joe"}},
		{name: "percent-encoded section",
			cmd:    `INBOX CATENATE (URL "/Drafts/;UID=%[2]s/;SECTION=HEADER.FIELDS%%20(Subject)")`,
			status: "OK [APPENDUID ", stored: []string{"Subject: afternoon meeting\r\n\r\n"}},
		{name: "absolute URL of this user and a configured host", hosts: []string{"mail.example.test"},
			cmd:    `INBOX CATENATE (URL "imap://alice@MAIL.example.test/Drafts;UIDVALIDITY=%[1]s/;UID=%[2]s/;SECTION=2")`,
			status: "OK [APPENDUID ", stored: []string{catPart2}},
		{name: "absolute URL of another user", hosts: []string{"mail.example.test"},
			cmd:    `INBOX CATENATE (URL "imap://bob@mail.example.test/INBOX/;UID=1")`,
			status: "NO [BADURL imap://bob@mail.example.test/INBOX/;UID=1]"},
		{name: "absolute URL of another host", hosts: []string{"mail.example.test"},
			cmd:    `INBOX CATENATE (URL "imap://alice@other.example/Drafts/;UID=%[2]s")`,
			status: "NO [BADURL "},
		{name: "absolute URL without configured hosts",
			cmd:    `INBOX CATENATE (URL "imap://alice@localhost/Drafts/;UID=%[2]s")`,
			status: "NO [BADURL "},
		{name: "UIDVALIDITY mismatch",
			cmd:    `INBOX CATENATE (TEXT ` + lit("x") + ` URL "/Drafts;UIDVALIDITY=1/;UID=%[2]s")`,
			status: "NO [BADURL /Drafts;UIDVALIDITY=1/;UID="},
		{name: "no such message", cmd: `INBOX CATENATE (URL "/Drafts/;UID=999")`, status: "NO [BADURL /Drafts/;UID=999]"},
		{name: "no such mailbox in the URL", cmd: `INBOX CATENATE (URL "/Nope/;UID=1")`, status: "NO [BADURL "},
		{name: "no such section", cmd: `INBOX CATENATE (URL "/Drafts/;UID=%[2]s/;SECTION=7")`, status: "NO [BADURL "},
		{name: "invalid URL", cmd: `INBOX CATENATE (URL "/Drafts/;UID=0")`, status: "NO [BADURL "},
		{name: "brackets are dropped from the BADURL code", cmd: `INBOX CATENATE (URL "/x]y/;UID=1")`, status: "NO [BADURL /xy/;UID=1]"},
		{name: "NUL in a TEXT literal", cmd: `INBOX CATENATE (TEXT ` + lit("a\x00b") + `)`, status: "BAD"},
		{name: "NUL in a TEXT literal8",
			cmd: `INBOX CATENATE (TEXT ~` + lit("Content-Type: application/octet-stream\r\n\r\na\x00b") + `)`, status: "OK [APPENDUID ",
			stored: []string{"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nYQBi\r\n"}},
		{name: "unknown part", cmd: `INBOX CATENATE (FOO "x")`, status: "BAD"},
		{name: "empty list", cmd: `INBOX CATENATE ()`, status: "BAD"},
		{name: "URL data over the message size limit", limits: imapserver.Limits{MaxMessageSize: int64(len(catSource) + 4)},
			cmd: `INBOX CATENATE (TEXT ` + lit("small") + ` URL "/Drafts/;UID=%[2]s")`, status: "NO [TOOBIG]"},
		{name: "TEXT literals together over the message size limit", limits: imapserver.Limits{MaxMessageSize: int64(len(catSource) + 4)},
			cmd: `INBOX CATENATE (TEXT ` + lit(strings.Repeat("a", len(catSource)/2+3)) + ` TEXT ` + lit(strings.Repeat("b", len(catSource)/2+3)) + `)`, status: "NO [TOOBIG]"},
		{name: "MULTIAPPEND with CATENATE and a plain message",
			cmd:    `INBOX CATENATE (URL "/Drafts/;UID=%[2]s/;SECTION=2") (\Seen) ` + lit("plain") + ` CATENATE (TEXT ` + lit("t") + `)`,
			status: "OK [APPENDUID ", stored: []string{catPart2, "plain", "t"}},
		{name: "MULTIAPPEND all or none",
			cmd:    `INBOX CATENATE (URL "/Drafts/;UID=%[2]s/;SECTION=2") CATENATE (URL "/Drafts/;UID=998")`,
			status: "NO [BADURL /Drafts/;UID=998]"},
		{name: "target mailbox missing", cmd: `Nope CATENATE (URL "/Drafts/;UID=%[2]s")`, status: "NO [TRYCREATE]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, r, uv, uid := catenateEnv(t, func(s *imapserver.Server) {
				s.Limits = tt.limits
				s.Backend.(*imapmem.Backend).URLHosts = tt.hosts
			})
			cmd := tt.cmd
			if strings.Contains(cmd, "%[") {
				cmd = fmt.Sprintf(cmd, uv, uid)
			}
			r.sendRaw("a APPEND " + cmd + "\r\n")
			lines := r.until("a ")
			assert.True(t, strings.HasPrefix(last(lines), "a "+tt.status), "%q", lines)
			// The connection is still in sync.
			assert.True(t, strings.HasPrefix(last(r.cmd("n", "NOOP")), "n OK"))
			msgs, err := env.be.Messages("alice", "INBOX")
			require.NoError(t, err)
			var got []string
			for _, m := range msgs {
				got = append(got, string(m.Raw))
			}
			assert.Equal(t, tt.stored, got)
		})
	}
}

// TestCatenateSynchronising sends the TEXT parts as synchronising
// literals, each after a continuation; a failed URL ends the command
// before the next literal is asked for.
func TestCatenateSynchronising(t *testing.T) {
	t.Parallel()
	env, r, _, uid := catenateEnv(t, nil)
	r.send("a APPEND INBOX CATENATE (TEXT {4}")
	assert.True(t, strings.HasPrefix(r.line(), "+ "))
	r.send(`head URL "/Drafts/;UID=` + uid + `/;SECTION=2" TEXT {4}`)
	assert.True(t, strings.HasPrefix(r.line(), "+ "))
	r.send("tail)")
	assert.True(t, strings.HasPrefix(last(r.until("a ")), "a OK [APPENDUID "))

	r.send(`b APPEND INBOX CATENATE (URL "/Drafts/;UID=77" TEXT {4}`)
	assert.True(t, strings.HasPrefix(r.line(), "b NO [BADURL /Drafts/;UID=77]"))
	assert.True(t, strings.HasPrefix(last(r.cmd("n", "NOOP")), "n OK"))

	msgs, err := env.be.Messages("alice", "INBOX")
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Equal(t, "head"+catPart2+"tail", string(msgs[0].Raw))
}
