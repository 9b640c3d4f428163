package smtp

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type testCtxKey struct{}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestConnCtx(t *testing.T) {
	t.Parallel()
	future := time.Now().Add(time.Hour)
	past := time.Now().Add(-time.Second)

	t.Run("live, Err without Done", func(t *testing.T) {
		t.Parallel()
		c := &connCtx{deadline: future}
		assert.NoError(t, c.Err())
		assert.Nil(t, c.inner, "Err must not create the inner context")
		d, ok := c.Deadline()
		assert.True(t, ok)
		assert.Equal(t, future, d)
		assert.Nil(t, c.Value("k"))
	})
	t.Run("canceled before Done", func(t *testing.T) {
		t.Parallel()
		c := &connCtx{deadline: future}
		c.cancel()
		assert.ErrorIs(t, c.Err(), context.Canceled)
		assert.True(t, isClosed(c.Done()))
		assert.ErrorIs(t, c.Err(), context.Canceled)
	})
	t.Run("canceled after Done", func(t *testing.T) {
		t.Parallel()
		c := &connCtx{deadline: future}
		done := c.Done()
		assert.False(t, isClosed(done))
		assert.NoError(t, c.Err())
		c.cancel()
		assert.True(t, isClosed(done))
		assert.ErrorIs(t, c.Err(), context.Canceled)
	})
	t.Run("deadline passed, no Done", func(t *testing.T) {
		t.Parallel()
		c := &connCtx{deadline: past}
		assert.ErrorIs(t, c.Err(), context.DeadlineExceeded)
		c.cancel()
		assert.ErrorIs(t, c.Err(), context.DeadlineExceeded)
		assert.True(t, isClosed(c.Done()))
		assert.ErrorIs(t, c.Err(), context.DeadlineExceeded)
	})
	t.Run("deadline fires", func(t *testing.T) {
		t.Parallel()
		c := &connCtx{deadline: time.Now().Add(20 * time.Millisecond)}
		<-c.Done()
		assert.ErrorIs(t, c.Err(), context.DeadlineExceeded)
	})
	t.Run("derived contexts follow cancel", func(t *testing.T) {
		t.Parallel()
		c := &connCtx{deadline: future}
		child, stop := context.WithCancel(c)
		defer stop()
		fired := make(chan struct{})
		context.AfterFunc(c, func() { close(fired) })
		vctx := context.WithValue(c, testCtxKey{}, 1)
		assert.NoError(t, child.Err())
		c.cancel()
		<-child.Done()
		<-fired
		<-vctx.Done()
		require.ErrorIs(t, child.Err(), context.Canceled)
		assert.ErrorIs(t, vctx.Err(), context.Canceled)
	})
}

func TestMailboxString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path string
		rcpt       bool
	}{
		{"plain", "<alice@example.test>", false},
		{"null", "<>", false},
		{"postmaster", "<Postmaster>", true},
		{"quoted needed", `<"a b"@example.test>`, false},
		{"quoted not needed", `<"alice"@example.test>`, false},
		{"source route", "<@relay.example:alice@example.test>", true},
		{"upper domain", "<alice@EXAMPLE.test>", false},
		{"literal", "<alice@[192.0.2.1]>", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parse := ParseReversePath
			if tt.rcpt {
				parse = ParseForwardPath
			}
			p, err := parse(tt.path, false)
			require.NoError(t, err)
			assert.Equal(t, p.Mailbox.String(), mailboxString(p.Mailbox, tt.path))
		})
	}
}

// TestMailboxStringNoAlloc: the usual form is returned as a substring
// (not parallel: AllocsPerRun).
func TestMailboxStringNoAlloc(t *testing.T) {
	p, err := ParseForwardPath("<alice@example.test>", false)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(100, func() { _ = mailboxString(p.Mailbox, "<alice@example.test>") })
	assert.Zero(t, allocs)
}
