// Package mailstore holds the conformance test every durable mail store of
// mailkit (maildir, mbox) runs: what the house rule "Nothing lost" means
// for a store. A store's test file wraps it in a [Store] and calls [Run].
package mailstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Store is the view of a mail store the conformance test needs.
type Store interface {
	// Deliver stores one message read from r. A nil error means the message
	// is durable; an error means nothing of it is visible.
	Deliver(ctx context.Context, r io.Reader) error
	// Messages returns every stored message, oldest first.
	Messages(ctx context.Context) ([][]byte, error)
}

// Options describe the store under test.
type Options struct {
	// MaxMessageSize is the limit the store was configured with; Run
	// delivers a message one byte larger and expects ErrTooLarge.
	MaxMessageSize int64
	// ErrTooLarge is the store's error for that.
	ErrTooLarge error
}

// Run runs the conformance tests. newStore returns a new, empty store
// configured with opts.MaxMessageSize (at least 2 MiB).
func Run(t *testing.T, opts Options, newStore func(t *testing.T) Store) {
	t.Helper()
	t.Run("RoundTrip", func(t *testing.T) { t.Parallel(); roundTrip(t, newStore(t)) })
	t.Run("FailedDeliveriesLeaveNothing", func(t *testing.T) { t.Parallel(); failures(t, opts, newStore(t)) })
	t.Run("ConcurrentDeliveries", func(t *testing.T) { t.Parallel(); concurrent(t, newStore(t)) })
}

// bodies are stored and read back byte for byte. Each ends with a line
// end: mbox adds a missing one, which is the format's only change.
func bodies() []string {
	return []string{
		"Subject: plain\n\nHello,\nThis is a test.\nGoodbye.\n",
		"Subject: from lines\n\nFrom the start of a line\n>From quoted once\n>>From twice\n From indented\n",
		"Subject: crlf\r\n\r\nline one\r\nline two\r\n",
		"Subject: bare cr\r\rbody\rmore\n",
		"Subject: nul\n\na\x00b\n",
		"Subject: blank lines at the end\n\nx\n\n\n",
		"\n",
		"Subject: long line\n\n" + strings.Repeat("0123456789", 100_000) + "\n",
		"Subject: 8bit\n\nGrüße, 日本語\n",
	}
}

func messages(t *testing.T, s Store) []string {
	t.Helper()
	msgs, err := s.Messages(context.Background())
	require.NoError(t, err)
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m)
	}
	return out
}

func roundTrip(t *testing.T, s Store) {
	ctx := context.Background()
	assert.Empty(t, messages(t, s))
	want := bodies()
	for _, b := range want {
		require.NoError(t, s.Deliver(ctx, strings.NewReader(b)))
	}
	got := messages(t, s)
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i], got[i], "message %d", i)
	}
}

// failingReader yields data, then fails.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func failures(t *testing.T, opts Options, s Store) {
	ctx := context.Background()
	require.NoError(t, s.Deliver(ctx, strings.NewReader("Subject: kept\n\nfirst\n")))
	before := messages(t, s)

	boom := errors.New("connection lost")
	err := s.Deliver(ctx, &failingReader{data: []byte("Subject: half\n\n" + strings.Repeat("x\n", 50_000)), err: boom})
	assert.ErrorIs(t, err, boom, "reader failure")
	assert.Equal(t, before, messages(t, s))

	big := bytes.Repeat([]byte("y\n"), int(opts.MaxMessageSize/2)+1)
	err = s.Deliver(ctx, bytes.NewReader(big))
	assert.ErrorIs(t, err, opts.ErrTooLarge, "message over the limit")
	assert.Equal(t, before, messages(t, s))

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err = s.Deliver(cctx, strings.NewReader("Subject: cancelled\n\n"))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, before, messages(t, s))

	require.NoError(t, s.Deliver(ctx, strings.NewReader("Subject: after\n\nsecond\n")))
	assert.Equal(t, append(before, "Subject: after\n\nsecond\n"), messages(t, s))
}

func concurrent(t *testing.T, s Store) {
	ctx := context.Background()
	const workers, per = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*per)
	want := map[string]bool{}
	for w := 0; w < workers; w++ {
		for i := 0; i < per; i++ {
			want[fmt.Sprintf("Subject: %d/%d\n\nFrom worker %d\n%s\n", w, i, w, strings.Repeat("z", 1000*i))] = true
		}
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				body := fmt.Sprintf("Subject: %d/%d\n\nFrom worker %d\n%s\n", w, i, w, strings.Repeat("z", 1000*i))
				errs <- s.Deliver(ctx, strings.NewReader(body))
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got := messages(t, s)
	require.Len(t, got, workers*per)
	for _, m := range got {
		assert.True(t, want[m], "unexpected message %.40q", m)
		delete(want, m)
	}
	assert.Empty(t, want, "messages lost")
}
