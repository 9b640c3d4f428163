package maildirbackend

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/maildir"
)

// The listed size is exactly what RETR delivers after unstuffing, also for
// messages with bare LFs, a missing final line end, a trailing lone CR, or
// a name without Dovecot's W= field.
func TestSizesMatchRetr(t *testing.T) {
	t.Parallel()
	md, addr := setup(t)
	ctx := context.Background()
	bodies := []string{
		"Subject: lf\n\nbody\n",
		"Subject: no final newline\n\nlast line",
		"Subject: crlf\r\n\r\nbody\r\n",
		"Subject: lone cr at end\n\nx\r",
		".dot first\n..two\n",
		"",
	}
	for _, b := range bodies {
		_, err := md.Deliver(ctx, strings.NewReader(b))
		require.NoError(t, err)
	}
	// One file placed by other software, without S= or W=.
	require.NoError(t, os.WriteFile(filepath.Join(md.Dir(), "new", "1.M2P3.other"), []byte("Subject: plain\n\nend"), 0o600))

	c, cctx := login(t, addr)
	list, err := c.List(cctx)
	require.NoError(t, err)
	require.Len(t, list, len(bodies)+1)
	for _, it := range list {
		rc, err := c.Retr(cctx, it.Number)
		require.NoError(t, err)
		got, err := io.ReadAll(rc)
		require.NoError(t, err)
		assert.Equal(t, it.Size, int64(len(got)), "message %d: %q", it.Number, got)
	}
}

// A delivering goroutine and a POP3 session work on one Maildir at once:
// the session sees the messages present at login, deletes exactly those
// it marked, and every message delivered meanwhile survives for the next
// session.
func TestDeliveryDuringSession(t *testing.T) {
	t.Parallel()
	md, addr := setup(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		_, err := md.Deliver(ctx, strings.NewReader(fmt.Sprintf("Subject: before %d\n\nx\n", i)))
		require.NoError(t, err)
	}

	c, cctx := login(t, addr)
	stop := make(chan struct{})
	var delivered atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := md.Deliver(ctx, strings.NewReader(fmt.Sprintf("Subject: during %d\n\ny\n", i))); err != nil {
				t.Error(err)
				return
			}
			delivered.Add(1)
		}
	}()

	// Wait until deliveries happened during the session.
	require.Eventually(t, func() bool { return delivered.Load() >= 10 }, 10e9, 1e6)
	n, _, err := c.Stat(cctx)
	require.NoError(t, err)
	assert.Equal(t, 5, n, "the listing is the snapshot taken at login")
	uids, err := c.UIDL(cctx)
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, it := range uids {
		assert.False(t, seen[it.UID], "duplicate UID %s", it.UID)
		seen[it.UID] = true
		rc, err := c.Retr(cctx, it.Number)
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		assert.Contains(t, string(b), "Subject: before")
		require.NoError(t, c.Dele(cctx, it.Number))
	}
	require.NoError(t, c.Quit(cctx))
	close(stop)
	wg.Wait()

	msgs, err := md.List(ctx)
	require.NoError(t, err)
	assert.Len(t, msgs, int(delivered.Load()), "every message delivered during the session is kept")
	for _, m := range msgs {
		rc, err := md.Open(ctx, m.Key)
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, rc.Close())
		require.NoError(t, err)
		assert.Contains(t, string(b), "Subject: during")
	}

	// The next session sees them, with stable UIDs across sessions.
	c2, cctx2 := login(t, addr)
	u1, err := c2.UIDL(cctx2)
	require.NoError(t, err)
	require.NoError(t, c2.Quit(cctx2))
	c3, cctx3 := login(t, addr)
	u2, err := c3.UIDL(cctx3)
	require.NoError(t, err)
	require.NoError(t, c3.Quit(cctx3))
	assert.Len(t, u1, len(msgs))
	assert.Equal(t, u1, u2, "UIDs persist across sessions")
}

// Another reader moving a message from new/ to cur/ (setting flags) during
// the session does not lose it: RETR finds it under its new name and DELE
// removes it.
func TestRenamedDuringSession(t *testing.T) {
	t.Parallel()
	md, addr := setup(t)
	ctx := context.Background()
	m, err := md.Deliver(ctx, strings.NewReader("Subject: moved\n\nbody\n"))
	require.NoError(t, err)
	c, cctx := login(t, addr)
	_, err = md.SetFlags(ctx, m.Key, maildir.FlagSeen)
	require.NoError(t, err)
	rc, err := c.Retr(cctx, 1)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Contains(t, string(b), "Subject: moved")
	require.NoError(t, c.Dele(cctx, 1))
	require.NoError(t, c.Quit(cctx))
	msgs, err := md.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, msgs)
}
