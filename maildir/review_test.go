package maildir

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A key present in both new/ and cur/ (what a reader sees when another
// process moves the message between the two directory reads) is listed
// once, under its cur/ name.
func TestListSameKeyInNewAndCur(t *testing.T) {
	t.Parallel()
	m := newTestMaildir(t, nil)
	ctx := context.Background()
	a, err := m.Deliver(ctx, strings.NewReader("Subject: a\n\n"))
	require.NoError(t, err)
	b, err := m.Deliver(ctx, strings.NewReader("Subject: b\n\n"))
	require.NoError(t, err)
	// Simulate the snapshot: b in new/ and in cur/ at once.
	require.NoError(t, os.Link(b.Path(m.Dir()), filepath.Join(m.Dir(), "cur", b.Filename+":2,S")))
	// And a key twice in cur/ (a rename seen half way by readdir).
	require.NoError(t, os.Link(b.Path(m.Dir()), filepath.Join(m.Dir(), "cur", b.Filename+":2,RS")))

	msgs, err := m.List(ctx)
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	assert.Equal(t, a.Key, msgs[0].Key)
	assert.True(t, msgs[0].New)
	assert.Equal(t, b.Key, msgs[1].Key)
	assert.False(t, msgs[1].New, "the cur/ name wins")
}

// Listing while other goroutines deliver and move messages never shows a
// partial message, a key twice, or loses a message that was listed before.
func TestListDuringDeliveriesAndRenames(t *testing.T) {
	t.Parallel()
	m := newTestMaildir(t, &Options{Now: nil})
	ctx := context.Background()
	body := func(i int) string {
		return fmt.Sprintf("Subject: %d\n\n%s\nend\n", i, strings.Repeat("x", 1000*(i%7)))
	}
	const n = 60
	var wg sync.WaitGroup
	keys := make(chan string, n)
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(keys)
		for i := 0; i < n; i++ {
			msg, err := m.Deliver(ctx, strings.NewReader(body(i)))
			if !assert.NoError(t, err) {
				return
			}
			keys <- msg.Key
		}
	}()
	go func() {
		defer wg.Done()
		for k := range keys {
			_, err := m.SetFlags(ctx, k, FlagSeen)
			assert.NoError(t, err)
		}
	}()
	prev := map[string]bool{}
	for round := 0; round < 40; round++ {
		msgs, err := m.List(ctx)
		require.NoError(t, err)
		seen := map[string]bool{}
		for _, msg := range msgs {
			require.False(t, seen[msg.Key], "key %s listed twice", msg.Key)
			seen[msg.Key] = true
			rc, err := m.Open(ctx, msg.Key)
			require.NoError(t, err)
			data, err := io.ReadAll(rc)
			require.NoError(t, rc.Close())
			require.NoError(t, err)
			assert.True(t, strings.HasSuffix(string(data), "end\n"), "partial message %q", data)
			assert.Equal(t, msg.Size, int64(len(data)))
		}
		for k := range prev {
			assert.True(t, seen[k], "message %s vanished from the listing", k)
		}
		prev = seen
	}
	wg.Wait()
	msgs, err := m.List(ctx)
	require.NoError(t, err)
	assert.Len(t, msgs, n)
}
