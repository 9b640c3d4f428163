package imapmaildir_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/maildir"
)

// startLimited serves a Backend whose Maildirs refuse messages over
// maxSize octets, on plain TCP.
func startLimited(t *testing.T, dir string, maxSize int64) *imapclient.Client {
	t.Helper()
	be := newBackend(dir)
	be.Maildir = &maildir.Options{Limits: maildir.Limits{MaxMessageSize: maxSize}}
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
	return c
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func multi(msgs ...string) []imapclient.AppendMessage {
	var out []imapclient.AppendMessage
	for _, m := range msgs {
		out = append(out, imapclient.AppendMessage{Body: strings.NewReader(m), Size: int64(len(m))})
	}
	return out
}

func TestMultiAppendAllOrNone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := startLimited(t, dir, 60)
	ctx := context.Background()
	small := "Subject: small\r\n\r\nhello\r\n"
	big := "Subject: big\r\n\r\n" + strings.Repeat("x", 80) + "\r\n"
	require.True(t, c.Has("MULTIAPPEND"))

	// The second message is refused by the Maildir after the first was
	// stored: the first is removed again.
	_, err := c.AppendMulti(ctx, "INBOX", multi(small, big, small))
	var se *imapclient.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "TOOBIG", se.Code)
	inbox := filepath.Join(dir, "alice")
	assert.Empty(t, files(t, filepath.Join(inbox, "cur")))
	assert.Empty(t, files(t, filepath.Join(inbox, "new")))
	assert.Empty(t, files(t, filepath.Join(inbox, "tmp")), "staging files left behind")
	sel, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(0), sel.NumMessages)
	require.NoError(t, c.Unselect(ctx))

	// Within the limits all are stored, in order, with their flags.
	msgs := multi(small, "Subject: two\r\n\r\n2\r\n", small)
	msgs[1].Options = &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen, "$Label"}}
	d, err := c.AppendMulti(ctx, "INBOX", msgs)
	require.NoError(t, err)
	require.Len(t, d.UIDs, 3)
	assert.Less(t, d.UIDs[0], d.UIDs[1])
	assert.Less(t, d.UIDs[1], d.UIDs[2])
	assert.Len(t, files(t, filepath.Join(inbox, "cur")), 3)
	assert.Empty(t, files(t, filepath.Join(inbox, "tmp")))
	sel, err = c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(3), sel.NumMessages)
	got, err := c.FetchAll(ctx, imap.NumUID, imap.SeqSetOf(d.UIDs[1]), &imap.FetchOptions{Flags: true,
		Sections: []*imap.FetchSection{{Peek: true}}})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.ElementsMatch(t, []imap.Flag{imap.FlagSeen, "$Label", imap.FlagRecent}, got[0].Flags)
	assert.Equal(t, "Subject: two\r\n\r\n2\r\n", string(got[0].Section("BODY[]")))

	// A missing mailbox is refused before any message is sent.
	_, err = c.AppendMulti(ctx, "Nope", multi(small, small))
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "TRYCREATE", se.Code)
}
