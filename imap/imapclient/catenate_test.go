package imapclient_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap/imapclient"
)

func TestAppendCatenate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial(t, nil)
	ctx := ctxT(t)
	require.True(t, c.Has("CATENATE"))
	src := "Subject: hello\r\n\r\nbody\r\n"
	d, err := c.AppendMulti(ctx, "INBOX", appendMessages(src))
	require.NoError(t, err)
	require.Len(t, d.UIDs, 1)
	url := "/INBOX;UIDVALIDITY=" + itoa(d.UIDValidity) + "/;UID=" + itoa(d.UIDs[0])

	text := func(s string) imapclient.CatenatePart {
		return imapclient.CatenatePart{Text: strings.NewReader(s), Size: int64(len(s))}
	}
	bin := "Content-Type: application/octet-stream\r\n\r\n\x00\x01"
	msgs := []imapclient.AppendMessage{
		{Catenate: []imapclient.CatenatePart{{URL: url + "/;SECTION=HEADER"}, text("new body\r\n")}},
		appendMessages("plain\r\n")[0],
		{Catenate: []imapclient.CatenatePart{{Text: strings.NewReader(bin), Size: int64(len(bin)), Binary: true}}},
	}
	d, err = c.AppendMulti(ctx, "INBOX", msgs)
	require.NoError(t, err)
	assert.Len(t, d.UIDs, 3)
	stored, err := e.be.Messages("alice", "INBOX")
	require.NoError(t, err)
	require.Len(t, stored, 4)
	assert.Equal(t, "Subject: hello\r\n\r\nnew body\r\n", string(stored[1].Raw))
	assert.Equal(t, "plain\r\n", string(stored[2].Raw))
	assert.NotContains(t, string(stored[3].Raw), "\x00")

	// A bad URL: NO [BADURL ...], nothing stored, the connection goes on.
	_, err = c.AppendMulti(ctx, "INBOX", []imapclient.AppendMessage{
		{Catenate: []imapclient.CatenatePart{text("x\r\n")}},
		{Catenate: []imapclient.CatenatePart{{URL: "/INBOX/;UID=99"}, text("x\r\n")}},
	})
	var se *imapclient.StatusError
	require.ErrorAs(t, err, &se)
	assert.True(t, strings.HasPrefix(se.Code, "BADURL"), se.Code)
	stored, err = e.be.Messages("alice", "INBOX")
	require.NoError(t, err)
	assert.Len(t, stored, 4)
	require.NoError(t, c.Noop(ctx))

	// Invalid parts are refused before anything is sent.
	_, err = c.AppendMulti(ctx, "INBOX", []imapclient.AppendMessage{{Catenate: []imapclient.CatenatePart{{URL: "/a\r\n"}}}})
	assert.Error(t, err)
	_, err = c.AppendMulti(ctx, "INBOX", []imapclient.AppendMessage{{Catenate: []imapclient.CatenatePart{{Size: 3}}}})
	assert.Error(t, err)
}
