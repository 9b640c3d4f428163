package imapclient_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

func appendMessages(msgs ...string) []imapclient.AppendMessage {
	var out []imapclient.AppendMessage
	for _, m := range msgs {
		out = append(out, imapclient.AppendMessage{Body: strings.NewReader(m), Size: int64(len(m))})
	}
	return out
}

func TestAppendMulti(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial(t, nil)
	ctx := ctxT(t)
	assert.True(t, c.Has("MULTIAPPEND"))
	assert.True(t, c.Has("BINARY"))

	msgs := appendMessages(msg1, msg2, msg1)
	when := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	msgs[1].Options = &imap.AppendOptions{Flags: []imap.Flag{imap.FlagFlagged}, Time: when}
	d, err := c.AppendMulti(ctx, "INBOX", msgs)
	require.NoError(t, err)
	require.Len(t, d.UIDs, 3)
	assert.NotZero(t, d.UIDValidity)
	assert.Equal(t, []uint32{1, 2, 3}, d.UIDs)

	stored, err := e.be.Messages("alice", "INBOX")
	require.NoError(t, err)
	require.Len(t, stored, 3)
	assert.Equal(t, msg2, string(stored[1].Raw))
	assert.Equal(t, []imap.Flag{imap.FlagFlagged}, stored[1].Flags)
	assert.True(t, when.Equal(stored[1].Date))

	// A missing mailbox: nothing stored, TRYCREATE.
	_, err = c.AppendMulti(ctx, "Nope", appendMessages(msg1, msg2))
	var se *imapclient.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "TRYCREATE", se.Code)

	// The connection is still usable.
	_, err = c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
}

func TestAppendMultiTooBig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(s *imapserver.Server, _ *imapmem.Backend) {
		s.Limits.MaxMessageSize = int64(len(msg2))
		s.Limits.MaxMultiAppendSize = int64(len(msg2) + len(msg1))
	})
	c := e.dial(t, nil)
	ctx := ctxT(t)
	_, err := c.AppendMulti(ctx, "INBOX", appendMessages(msg1, msg2, msg1))
	var se *imapclient.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "TOOBIG", se.Code)
	stored, err := e.be.Messages("alice", "INBOX")
	require.NoError(t, err)
	assert.Empty(t, stored)
	d, err := c.AppendMulti(ctx, "INBOX", appendMessages(msg1, msg2))
	require.NoError(t, err)
	assert.Len(t, d.UIDs, 2)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestAppendMultiBodyError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial(t, nil)
	msgs := appendMessages(msg1)
	msgs = append(msgs, imapclient.AppendMessage{Body: io.MultiReader(strings.NewReader("Subj"), failingReader{}), Size: 100})
	_, err := c.AppendMulti(ctxT(t), "INBOX", msgs)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk on fire")
	require.ErrorIs(t, c.Noop(ctxT(t)), imapclient.ErrClosed)
	stored, err := e.be.Messages("alice", "INBOX")
	require.NoError(t, err)
	assert.Empty(t, stored)
}

func TestFetchBinary(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial(t, nil)
	ctx := ctxT(t)
	raw := "Subject: b\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n"
	_, err := c.AppendMulti(ctx, "INBOX", []imapclient.AppendMessage{{Body: strings.NewReader(raw), Size: int64(len(raw)), Binary: true}})
	require.NoError(t, err)
	_, err = c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	opts := &imap.FetchOptions{
		Sections:   []*imap.FetchSection{{Part: []int{1}, Binary: true, Peek: true}},
		BinarySize: [][]int{{1}, nil},
	}
	msgs, err := c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(1), opts)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Equal(t, []byte{0, 1, 2, 3}, msgs[0].Section("BINARY[1]"))
	assert.True(t, msgs[0].Sections[0].Section.Binary)
	n, ok := msgs[0].BinarySize(1)
	assert.True(t, ok)
	assert.Equal(t, int64(4), n)
	n, ok = msgs[0].BinarySize()
	assert.True(t, ok)
	assert.Equal(t, int64(len(raw)), n)
	_, ok = msgs[0].BinarySize(2)
	assert.False(t, ok)
}

func TestAppendMultiNeedsCapabilities(t *testing.T) {
	t.Parallel()
	addr := hostileServer(t, "", "* OK\r\n") // announces IMAP4rev1 only
	c, err := imapclient.Dial(ctxT(t), addr, nil)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.AppendMulti(ctxT(t), "INBOX", appendMessages(msg1, msg2))
	assert.ErrorIs(t, err, imapclient.ErrNoMultiAppend)
	_, err = c.AppendMulti(ctxT(t), "INBOX", []imapclient.AppendMessage{{Body: strings.NewReader("x"), Size: 1, Binary: true}})
	assert.ErrorIs(t, err, imapclient.ErrNoBinary)
	_, err = c.AppendMulti(ctxT(t), "INBOX", nil)
	assert.Error(t, err)
}

// TestAppendBodyError: a plain Append whose reader fails before the
// literal is complete returns that error at once (the server would wait
// for the rest of the literal), closes the connection and stores nothing.
func TestAppendBodyError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.Append(ctx, "INBOX", io.MultiReader(strings.NewReader("Subj"), failingReader{}), 100, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk on fire")
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	assert.NoError(t, ctx.Err(), "Append returned before its context ended")
	require.ErrorIs(t, c.Noop(ctxT(t)), imapclient.ErrClosed)
	stored, err := e.be.Messages("alice", "INBOX")
	require.NoError(t, err)
	assert.Empty(t, stored)
}
