package imapmem_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

func TestSpecialUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	be := imapmem.New()
	require.NoError(t, be.AddUser("alice", "secret"))
	s, err := be.NewSession(ctx, &imapserver.ConnInfo{})
	require.NoError(t, err)
	require.NoError(t, s.Login(ctx, "alice", "secret"))
	require.NoError(t, s.Create(ctx, "Sent"))
	require.NoError(t, s.Create(ctx, "Bin"))
	require.NoError(t, s.Subscribe(ctx, "Sent"))

	require.NoError(t, be.SetSpecialUse("alice", "Sent", `\sent`, imap.AttrSent))
	require.NoError(t, be.SetSpecialUse("alice", "Bin", imap.AttrTrash, imap.AttrJunk))
	assert.True(t, errors.Is(be.SetSpecialUse("alice", "Sent", imap.AttrAll), imapmem.ErrUnsupportedUse))
	assert.True(t, errors.Is(be.SetSpecialUse("alice", "Nope", imap.AttrSent), imapserver.ErrNoSuchMailbox))
	assert.Error(t, be.SetSpecialUse("nobody", "Sent", imap.AttrSent))

	les, ok := s.(imapserver.ListExtendedSession)
	require.True(t, ok)
	mbs, err := les.Mailboxes(ctx)
	require.NoError(t, err)
	uses := map[string][]imap.MailboxAttr{}
	for _, m := range mbs.List {
		uses[m.Name] = m.SpecialUse
	}
	assert.Equal(t, map[string][]imap.MailboxAttr{"INBOX": nil, "Sent": {imap.AttrSent}, "Bin": {imap.AttrTrash, imap.AttrJunk}}, uses)
	assert.Equal(t, []string{"Sent"}, mbs.Subscribed)

	// Clearing, and DELETE then CREATE starts without special use.
	require.NoError(t, be.SetSpecialUse("alice", "Bin"))
	cs := s.(imapserver.CreateSpecialUseSession)
	assert.Equal(t, imapserver.ErrUseAttr, cs.CreateSpecialUse(ctx, "Flagged", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.AttrFlagged}}))
	require.NoError(t, cs.CreateSpecialUse(ctx, "Arch/2024", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.AttrArchive}}))
	require.NoError(t, be.SetSpecialUse("alice", "Arch", imap.AttrArchive))
	require.NoError(t, s.Delete(ctx, "Arch")) // kept as \Noselect for its child
	require.NoError(t, s.Create(ctx, "Arch"))
	mbs, err = les.Mailboxes(ctx)
	require.NoError(t, err)
	uses = map[string][]imap.MailboxAttr{}
	for _, m := range mbs.List {
		uses[m.Name] = m.SpecialUse
	}
	assert.Equal(t, map[string][]imap.MailboxAttr{"INBOX": nil, "Sent": {imap.AttrSent}, "Bin": nil, "Arch": nil, "Arch/2024": {imap.AttrArchive}}, uses)
}
