package imapmaildir_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// TestCatenate assembles messages from parts of stored ones (CATENATE,
// RFC 4469) over TCP: relative and absolute URLs of the user's own
// folders, refusals for other users, hosts and UIDVALIDITY, and all or
// none with MULTIAPPEND.
func TestCatenate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	be := newBackend(dir)
	be.URLHosts = []string{"mail.example.test"}
	srv := &imapserver.Server{Backend: be, AllowInsecureAuth: true}
	l := listen(t)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	ctx := context.Background()
	c, err := imapclient.Dial(ctx, l.Addr().String(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Login(ctx, "alice", "secret"))
	require.True(t, c.Has("CATENATE"))
	require.NoError(t, c.Create(ctx, "Drafts"))

	src := "Subject: draft\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\npart one\r\n--b--\r\n"
	d := appendMsg(t, c, "Drafts", src)
	url := fmt.Sprintf("/Drafts;UIDVALIDITY=%d/;UID=%d", d.UIDValidity, d.UID)
	abs := fmt.Sprintf("imap://alice@mail.example.test/Drafts;UIDVALIDITY=%d/;UID=%d", d.UIDValidity, d.UID)
	text := func(s string) imapclient.CatenatePart {
		return imapclient.CatenatePart{Text: strings.NewReader(s), Size: int64(len(s))}
	}
	cat := func(parts ...imapclient.CatenatePart) imapclient.AppendMessage {
		return imapclient.AppendMessage{Catenate: parts}
	}

	res, err := c.AppendMulti(ctx, "INBOX", []imapclient.AppendMessage{
		cat(imapclient.CatenatePart{URL: url + "/;SECTION=HEADER"}, text("new\r\n")),
		cat(text("Subject: x\r\n\r\n"), imapclient.CatenatePart{URL: abs + "/;SECTION=1"}),
	})
	require.NoError(t, err)
	require.Len(t, res.UIDs, 2)

	for _, bad := range []string{
		fmt.Sprintf("imap://bob@mail.example.test/INBOX/;UID=%d", d.UID),
		fmt.Sprintf("imap://alice@other.example/Drafts/;UID=%d", d.UID),
		fmt.Sprintf("/Drafts;UIDVALIDITY=%d/;UID=%d", d.UIDValidity+1, d.UID),
		"/Drafts/;UID=999", "/Nope/;UID=1", url + "/;SECTION=4",
	} {
		_, err := c.AppendMulti(ctx, "INBOX", []imapclient.AppendMessage{cat(text("ok\r\n")), cat(imapclient.CatenatePart{URL: bad})})
		var se *imapclient.StatusError
		require.ErrorAs(t, err, &se, bad)
		assert.True(t, strings.HasPrefix(se.Code, "BADURL"), "%s: %s", bad, se.Code)
	}

	sel, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(2), sel.NumMessages, "the refused commands stored nothing")
	sec, err := imap.ParseFetchSectionName("BODY[]")
	require.NoError(t, err)
	sec.Peek = true
	msgs, err := c.FetchAll(ctx, imap.NumSeq, imap.SeqSet{{Start: 1, Stop: 2}}, &imap.FetchOptions{Sections: []*imap.FetchSection{sec}})
	require.NoError(t, err)
	var got []string
	for _, m := range msgs {
		got = append(got, string(m.Section("BODY[]")))
	}
	assert.Equal(t, []string{
		"Subject: draft\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\nnew\r\n",
		"Subject: x\r\n\r\npart one",
	}, got)
}
