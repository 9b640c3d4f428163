package imapmaildir_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

func statusOf(t *testing.T, c *imapclient.Client, mbox string) (size int64, deleted, messages uint32) {
	t.Helper()
	d, err := c.Status(context.Background(), mbox, &imap.StatusOptions{Size: true, NumDeleted: true, NumMessages: true})
	require.NoError(t, err)
	require.NotNil(t, d.Size)
	require.NotNil(t, d.NumDeleted)
	require.NotNil(t, d.NumMessages)
	return *d.Size, *d.NumDeleted, *d.NumMessages
}

// TestStatusSizeDeleted checks STATUS SIZE (RFC 8438) and DELETED (RFC
// 9051) after APPEND, STORE \Deleted and EXPUNGE, in LIST-STATUS too,
// and for files other programs delivered: with bare LF line ends and no
// ",W=" (scanned: CRLF size), and with a ",W=" field (taken from the
// name, the file is not read).
func TestStatusSizeDeleted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := startServer(t, dir)
	c, _ := e.dial(t, "alice")
	ctx := context.Background()
	require.True(t, c.Caps()["STATUS=SIZE"], "%v", c.Caps())

	size, del, n := statusOf(t, c, "INBOX")
	assert.Equal(t, []any{int64(0), uint32(0), uint32(0)}, []any{size, del, n})

	m1 := "Subject: one\r\n\r\nfirst\r\n"
	m2 := "Subject: two\r\n\r\nthe second message\r\n"
	appendMsg(t, c, "INBOX", m1)
	appendMsg(t, c, "INBOX", m2, imap.FlagDeleted)
	size, del, n = statusOf(t, c, "INBOX")
	assert.Equal(t, []any{int64(len(m1) + len(m2)), uint32(1), uint32(2)}, []any{size, del, n})

	_, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	_, err = c.Store(ctx, imap.SeqSetOf(1), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true})
	require.NoError(t, err)
	_, _, n = statusOf(t, c, "INBOX")
	require.Equal(t, uint32(2), n)
	_, err = c.Store(ctx, imap.SeqSetOf(2), &imap.StoreFlags{Action: imap.StoreRemove, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true})
	require.NoError(t, err)
	_, err = c.Expunge(ctx)
	require.NoError(t, err)
	size, del, n = statusOf(t, c, "INBOX")
	assert.Equal(t, []any{int64(len(m2)), uint32(0), uint32(1)}, []any{size, del, n})

	lf := "Subject: lf\n\nbare\n" // 18 octets, 21 with CRLF
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alice", "new", "1700000000.lf.host"), []byte(lf), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alice", "new", "1700000001.w.host,S=5,W=1000"), []byte("abcde"), 0o600))
	size, _, n = statusOf(t, c, "INBOX")
	assert.Equal(t, uint32(3), n)
	assert.Equal(t, int64(len(m2)+21+1000), size)

	l, err := c.ListExtended(ctx, "", []string{"INBOX"}, &imap.ListOptions{ReturnStatus: &imap.StatusOptions{Size: true, NumDeleted: true}})
	require.NoError(t, err)
	require.Len(t, l, 1)
	require.NotNil(t, l[0].Status)
	require.NotNil(t, l[0].Status.Size)
	require.NotNil(t, l[0].Status.NumDeleted)
	assert.Equal(t, int64(len(m2)+21+1000), *l[0].Status.Size)
	assert.Equal(t, uint32(0), *l[0].Status.NumDeleted)
}
