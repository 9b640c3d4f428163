package mbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A reader's shared locks keep an appender of another Mailbox value (as
// another process would be) out until the read ends.
func TestReadExcludesAppend(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mbox")
	reader := &Mailbox{Path: path}
	writer := &Mailbox{Path: path, LockTimeout: 100 * time.Millisecond}
	require.NoError(t, writer.Append(context.Background(), Envelope{From: "a", Date: testDate}, strings.NewReader("one\n")))
	err := reader.Read(context.Background(), func(r *Reader) error {
		err := writer.Append(context.Background(), Envelope{From: "b", Date: testDate}, strings.NewReader("two\n"))
		require.ErrorIs(t, err, ErrLocked)
		return nil
	})
	require.NoError(t, err)
	writer.LockTimeout = 0
	require.NoError(t, writer.Append(context.Background(), Envelope{From: "b", Date: testDate}, strings.NewReader("two\n")))
	assert.Equal(t, []readMsg{{from: "a", body: "one\n"}, {from: "b", body: "two\n"}}, readMailbox(t, reader))
}

// A failed first append into a new mailbox file leaves it empty, and the
// mailbox takes mail afterwards.
func TestFailedFirstAppendLeavesEmptyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mbox")
	m := &Mailbox{Path: path}
	boom := errors.New("peer reset")
	err := m.Append(context.Background(), Envelope{From: "a", Date: testDate}, &failAfter{data: strings.Repeat("x\n", 10000), err: boom})
	require.ErrorIs(t, err, boom)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Empty(t, b)
	require.NoError(t, m.Append(context.Background(), Envelope{From: "a", Date: testDate}, strings.NewReader("ok\n")))
	assert.Equal(t, []readMsg{{from: "a", body: "ok\n"}}, readMailbox(t, m))
}
