package imapmaildir_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

func attrsOf(t *testing.T, c *imapclient.Client, opts *imap.ListOptions, patterns ...string) map[string]string {
	t.Helper()
	ms, err := c.ListExtended(context.Background(), "", patterns, opts)
	require.NoError(t, err)
	out := map[string]string{}
	for _, m := range ms {
		var s []string
		for _, a := range m.Attrs {
			s = append(s, string(a))
		}
		v := strings.Join(s, " ")
		if m.Status != nil && m.Status.NumMessages != nil {
			v += " messages=" + strings.Repeat("I", int(*m.Status.NumMessages))
		}
		out[m.Mailbox] = v
	}
	return out
}

func TestSpecialUse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := startServer(t, dir)
	c, _ := e.dial(t, "alice")
	ctx := context.Background()

	// Folders another program (Dovecot) made, with its conventional names.
	for _, f := range []string{".Junk", ".Archive", ".Archive.2024", ".sent"} {
		for _, sub := range []string{"cur", "new", "tmp"} {
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "alice", f, sub), 0o700))
		}
	}
	require.NoError(t, c.Create(ctx, "Trash"))
	require.NoError(t, c.CreateWithOptions(ctx, "Sent Messages", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.AttrSent}}))
	require.NoError(t, c.CreateWithOptions(ctx, "Work/Drafts", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{`\drafts`, imap.AttrArchive}}))
	err := c.CreateWithOptions(ctx, "Flagged", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.AttrFlagged}})
	var se *imapclient.StatusError
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, "USEATTR", se.Code)
	appendMsg(t, c, "Sent Messages", "Subject: s\r\n\r\nx\r\n")

	assert.Equal(t, map[string]string{
		"INBOX":         `\HasNoChildren`,
		"Junk":          `\HasNoChildren \Junk`,
		"Archive":       `\HasChildren \Archive`,
		"Archive/2024":  `\HasNoChildren`,
		"sent":          `\HasNoChildren`,
		"Trash":         `\HasNoChildren \Trash`,
		"Sent Messages": `\HasNoChildren \Sent`,
		"Work":          `\HasChildren`,
		"Work/Drafts":   `\HasNoChildren \Drafts \Archive`,
	}, attrsOf(t, c, nil, "*"))
	_, err = os.Stat(filepath.Join(dir, "alice", ".Flagged"))
	assert.True(t, os.IsNotExist(err), "refused CREATE left a folder: %v", err)

	assert.Equal(t, map[string]string{
		"Junk":          `\HasNoChildren \Junk messages=`,
		"Archive":       `\HasChildren \Archive messages=`,
		"Trash":         `\HasNoChildren \Trash messages=`,
		"Sent Messages": `\HasNoChildren \Sent messages=I`,
		"Work/Drafts":   `\HasNoChildren \Drafts \Archive messages=`,
	}, attrsOf(t, c, &imap.ListOptions{SelectSpecialUse: true, ReturnStatus: &imap.StatusOptions{NumMessages: true}}, "*"))

	t.Run("the metadata file overrides the name and follows RENAME", func(t *testing.T) {
		require.NoError(t, c.Rename(ctx, "Sent Messages", "Old Sent"))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "alice", ".Junk", "mailkit-specialuse"), []byte("\\Trash\n\\Bogus\n"), 0o600))
		got := attrsOf(t, c, nil, "Old Sent", "Junk")
		assert.Equal(t, map[string]string{"Old Sent": `\HasNoChildren \Sent`, "Junk": `\HasNoChildren \Trash`}, got)
	})
	t.Run("a new Backend reads the same special uses", func(t *testing.T) {
		e2 := startServer(t, dir)
		c2, _ := e2.dial(t, "alice")
		got := attrsOf(t, c2, &imap.ListOptions{SelectSpecialUse: true}, "*")
		assert.Equal(t, `\HasNoChildren \Drafts \Archive`, got["Work/Drafts"])
		assert.Equal(t, `\HasNoChildren \Sent`, got["Old Sent"])
	})
	t.Run("subscriptions and RECURSIVEMATCH", func(t *testing.T) {
		require.NoError(t, c.Subscribe(ctx, "Work/Drafts"))
		ms, err := c.ListExtended(ctx, "", []string{"%"}, &imap.ListOptions{SelectSubscribed: true, SelectRecursiveMatch: true})
		require.NoError(t, err)
		require.Len(t, ms, 1)
		assert.Equal(t, "Work", ms[0].Mailbox)
		assert.Equal(t, []string{"SUBSCRIBED"}, ms[0].ChildInfo)
		require.NoError(t, c.Delete(ctx, "Work/Drafts"))
		got := attrsOf(t, c, &imap.ListOptions{SelectSubscribed: true}, "*")
		assert.Equal(t, map[string]string{"Work/Drafts": `\NonExistent \Subscribed`}, got)
	})
}
