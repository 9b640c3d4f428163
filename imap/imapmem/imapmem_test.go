package imapmem

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/sasl"
)

func newSession(t *testing.T, b *Backend) *session {
	t.Helper()
	s, err := b.NewSession(context.Background(), &imapserver.ConnInfo{})
	require.NoError(t, err)
	require.NoError(t, s.Login(context.Background(), "u", "p"))
	return s.(*session)
}

func TestMailboxManagement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := New()
	require.NoError(t, b.AddUser("u", "p"))
	require.ErrorIs(t, b.AddUser("u", "p"), ErrUserExists)
	s := newSession(t, b)
	require.ErrorIs(t, s.Login(ctx, "u", "wrong"), imapserver.ErrAuthFailed)
	require.NoError(t, s.Create(ctx, "a/b/c"))
	for _, n := range []string{"a", "a/b", "a/b/c"} {
		_, err := b.Messages("u", n)
		require.NoError(t, err, n)
	}
	require.ErrorIs(t, s.Create(ctx, "a"), imapserver.ErrMailboxExists)
	require.Error(t, s.Create(ctx, "bad*name"))

	// Deleting a parent keeps it as \Noselect.
	require.NoError(t, s.Delete(ctx, "a"))
	_, err := b.Messages("u", "a")
	require.ErrorIs(t, err, imapserver.ErrNoSuchMailbox)
	_, err = s.Select(ctx, "a", &imap.SelectOptions{})
	require.ErrorIs(t, err, imapserver.ErrNoSuchMailbox)
	require.Error(t, s.Delete(ctx, "a"), "deleting a \\Noselect name with children")

	// Renaming moves the children.
	require.NoError(t, s.Rename(ctx, "a/b", "x/y"))
	_, err = b.Messages("u", "x/y/c")
	require.NoError(t, err)
	require.Error(t, s.Rename(ctx, "x", "x/z"))

	// Renaming INBOX moves its messages.
	_, err = b.Deliver("u", "INBOX", []byte("Subject: a\r\n\r\n"), []imap.Flag{imap.FlagSeen})
	require.NoError(t, err)
	require.NoError(t, s.Rename(ctx, "INBOX", "Old"))
	in, err := b.Messages("u", "INBOX")
	require.NoError(t, err)
	assert.Empty(t, in)
	old, err := b.Messages("u", "Old")
	require.NoError(t, err)
	require.Len(t, old, 1)
	assert.Equal(t, []imap.Flag{imap.FlagSeen}, old[0].Flags)

	// Subscriptions.
	require.NoError(t, s.Subscribe(ctx, "Old"))
	require.ErrorIs(t, s.Subscribe(ctx, "nope"), imapserver.ErrNoSuchMailbox)
	require.NoError(t, s.Unsubscribe(ctx, "Old"))
	require.Error(t, s.Unsubscribe(ctx, "Old"))
}

func TestRecentAndStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := New()
	require.NoError(t, b.AddUser("u", "p"))
	for i := 0; i < 3; i++ {
		_, err := b.Deliver("u", "INBOX", []byte("Subject: x\r\n\r\nbody\r\n"), nil)
		require.NoError(t, err)
	}
	s1, s2 := newSession(t, b), newSession(t, b)
	st, err := s2.Status(ctx, "INBOX", &imap.StatusOptions{NumRecent: true})
	require.NoError(t, err)
	assert.Equal(t, uint32(3), *st.NumRecent)
	d1, err := s1.Select(ctx, "INBOX", &imap.SelectOptions{})
	require.NoError(t, err)
	assert.Equal(t, uint32(3), d1.NumRecent)
	d2, err := s2.Select(ctx, "INBOX", &imap.SelectOptions{})
	require.NoError(t, err)
	assert.Equal(t, uint32(0), d2.NumRecent, "\\Recent belongs to the first session")
	assert.Equal(t, uint32(1), d2.FirstUnseen)
	assert.NotZero(t, d2.UIDValidity)
	assert.Equal(t, uint32(4), d2.UIDNext)
	require.NoError(t, s1.Close())
	require.NoError(t, s2.Close())
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	b := New()
	require.NoError(t, b.AddUser("u", "p"))
	sec, err := b.Credentials().LookupCredentials(context.Background(), "u")
	require.NoError(t, err)
	assert.Equal(t, "p", string(sec.Password))
	_, err = b.Credentials().LookupCredentials(context.Background(), "nobody")
	require.ErrorIs(t, err, sasl.ErrUnknownUser)
	s := newSession(t, b)
	require.NoError(t, s.AuthenticateIdentity(context.Background(), sasl.Identity{Username: "u", Authzid: "u"}))
	require.Error(t, s.AuthenticateIdentity(context.Background(), sasl.Identity{Username: "x", Authzid: "x"}))
}
