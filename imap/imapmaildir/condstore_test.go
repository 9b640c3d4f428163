package imapmaildir_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
	"github.com/mailkit-go/mailkit/maildir"
)

// modseqsOf selects INBOX with CONDSTORE and returns HIGHESTMODSEQ,
// UIDVALIDITY and the mod-sequence of each UID.
func modseqsOf(t *testing.T, c *imapclient.Client) (uint64, uint32, map[uint32]uint64) {
	t.Helper()
	ctx := context.Background()
	sd, err := c.Select(ctx, "INBOX", &imap.SelectOptions{CondStore: true})
	require.NoError(t, err)
	out := map[uint32]uint64{}
	if sd.NumMessages > 0 {
		msgs, err := c.FetchAll(ctx, imap.NumUID, imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, ModSeq: true})
		require.NoError(t, err)
		for _, m := range msgs {
			out[m.UID] = m.ModSeq
		}
	}
	return sd.HighestModSeq, sd.UIDValidity, out
}

// TestCondStoreRestart: mod-sequences survive restarts, flag changes made
// while the server was down get new ones, and a uidlist of version 1
// (written before CONDSTORE) loads with mod-sequence 1 and the same UIDs.
func TestCondStoreRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	e := startServer(t, dir)
	c, _ := e.dial(t, "alice")
	for _, m := range []string{msg1, msg2, msg1} {
		appendMsg(t, c, "INBOX", m)
	}
	_, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	_, err = c.Store(ctx, imap.SeqSetOf(2), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagSeen}})
	require.NoError(t, err)
	_, err = c.Store(ctx, imap.SeqSetOf(1), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagDeleted}})
	require.NoError(t, err)
	_, err = c.Expunge(ctx)
	require.NoError(t, err)
	h1, v1, ms1 := modseqsOf(t, c)
	assert.Equal(t, uint64(7), h1, "1, +3 appends, +2 stores, +1 expunge")
	assert.Equal(t, map[uint32]uint64{2: 5, 3: 4}, ms1)
	e.stop()

	e2 := startServer(t, dir)
	c2, _ := e2.dial(t, "alice")
	h2, v2, ms2 := modseqsOf(t, c2)
	assert.Equal(t, h1, h2, "HIGHESTMODSEQ persisted")
	assert.Equal(t, v1, v2)
	assert.Equal(t, ms1, ms2, "per-message mod-sequences persisted")
	e2.stop()

	// Another program flags message 3 while no server runs.
	md, err := maildir.Open(filepath.Join(dir, "alice"), nil)
	require.NoError(t, err)
	list, err := md.List(ctx)
	require.NoError(t, err)
	key3 := keyOfUID(t, dir, 3)
	for _, m := range list {
		if m.Key == key3 {
			in := m.Info
			in.Flags |= maildir.FlagFlagged
			_, err := md.SetInfo(ctx, m.Key, in)
			require.NoError(t, err)
		}
	}
	e3 := startServer(t, dir)
	c3, _ := e3.dial(t, "alice")
	h3, v3, ms3 := modseqsOf(t, c3)
	assert.Equal(t, v1, v3)
	assert.Equal(t, uint64(8), h3, "the change made elsewhere raised HIGHESTMODSEQ")
	assert.Equal(t, map[uint32]uint64{2: 5, 3: 8}, ms3)
	msgs, err := c3.FetchAll(ctx, imap.NumUID, imap.SeqSetOf(3), &imap.FetchOptions{Flags: true, ChangedSince: 7})
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0].Flags, imap.FlagFlagged)
	e3.stop()

	// Downgrade the uidlist to version 1, as older versions wrote it.
	path := filepath.Join(dir, "alice", "mailkit-uidlist")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	head := strings.Fields(lines[0])
	require.Len(t, head, 5)
	v1list := fmt.Sprintf("mailkit-uidlist 1 %s %s\n", head[2], head[3])
	for _, l := range lines[1:] {
		f := strings.SplitN(l, " ", 4)
		v1list += f[0] + " " + f[3] + "\n"
	}
	require.NoError(t, os.WriteFile(path, []byte(v1list), 0o600))
	e4 := startServer(t, dir)
	c4, _ := e4.dial(t, "alice")
	h4, v4, ms4 := modseqsOf(t, c4)
	assert.Equal(t, v1, v4, "a version 1 uidlist keeps its UIDVALIDITY")
	assert.Equal(t, uint64(1), h4)
	assert.Equal(t, map[uint32]uint64{2: 1, 3: 1}, ms4, "same UIDs, starting mod-sequence 1")
	_, err = c4.Store(ctx, imap.SeqSetOf(1), &imap.StoreFlags{Action: imap.StoreRemove, Flags: []imap.Flag{imap.FlagSeen}})
	require.NoError(t, err)
	h5, _, ms5 := modseqsOf(t, c4)
	assert.Equal(t, uint64(2), h5)
	assert.Equal(t, map[uint32]uint64{2: 2, 3: 1}, ms5)
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), "mailkit-uidlist 2 "), "rewritten as version 2")
}

// keyOfUID reads the key of a UID from INBOX's uidlist.
func keyOfUID(t *testing.T, dir string, uid uint32) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "alice", "mailkit-uidlist"))
	require.NoError(t, err)
	for _, l := range strings.Split(string(data), "\n")[1:] {
		f := strings.SplitN(l, " ", 4)
		if len(f) == 4 && f[0] == fmt.Sprint(uid) {
			return f[3]
		}
	}
	t.Fatalf("uid %d not in uidlist", uid)
	return ""
}

// TestCondStoreExternalChange: a flag change made by another program
// while a CONDSTORE client has the mailbox selected reaches it with a new
// MODSEQ.
func TestCondStoreExternalChange(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	e := startServer(t, dir)
	c, ups := e.dial(t, "alice")
	appendMsg(t, c, "INBOX", msg1)
	h, _, _ := modseqsOf(t, c)
	require.Equal(t, uint64(2), h)
	md, err := maildir.Open(filepath.Join(dir, "alice"), nil)
	require.NoError(t, err)
	list, err := md.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	in := list[0].Info
	in.Flags |= maildir.FlagReplied
	_, err = md.SetInfo(ctx, list[0].Key, in)
	require.NoError(t, err)
	ups.take()
	require.NoError(t, c.Noop(ctx))
	u := ups.waitFor(t, func(u imapclient.Update) bool { return u.Name == "FETCH" })
	assert.Equal(t, uint64(3), u.Message.ModSeq)
	assert.Contains(t, u.Message.Flags, imap.FlagAnswered)
}

// removeUID deletes the file of INBOX's message uid, as another program
// would.
func removeUID(t *testing.T, dir string, uid uint32) error {
	t.Helper()
	md, err := maildir.Open(filepath.Join(dir, "alice"), nil)
	require.NoError(t, err)
	return md.Remove(context.Background(), keyOfUID(t, dir, uid))
}
