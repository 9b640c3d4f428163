//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package mbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testDate = time.Date(2026, 11, 29, 17, 22, 41, 0, time.UTC)

func readMailbox(t *testing.T, m *Mailbox) []readMsg {
	t.Helper()
	var got []readMsg
	err := m.Read(context.Background(), func(r *Reader) error {
		var err error
		got, err = readAllMessages(t, r)
		return err
	})
	require.NoError(t, err)
	return got
}

func TestMailboxAppendRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := &Mailbox{Path: filepath.Join(t.TempDir(), "alice")}
	assert.Empty(t, readMailbox(t, m), "a missing mailbox reads as empty")
	require.NoError(t, m.Append(ctx, Envelope{From: "bob@example.org", Date: testDate}, strings.NewReader("Subject: 1\n\nFrom here\n")))
	require.NoError(t, m.Append(ctx, Envelope{Date: testDate}, strings.NewReader("Subject: bounce\n\n")))
	data, err := os.ReadFile(m.Path)
	require.NoError(t, err)
	assert.Equal(t, "From bob@example.org Sun Nov 29 17:22:41 2026\nSubject: 1\n\n>From here\n\n"+
		"From MAILER-DAEMON Sun Nov 29 17:22:41 2026\nSubject: bounce\n\n\n", string(data))
	st, err := os.Stat(m.Path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	assert.Equal(t, []readMsg{
		{from: "bob@example.org", body: "Subject: 1\n\nFrom here\n"},
		{from: "MAILER-DAEMON", body: "Subject: bounce\n\n"},
	}, readMailbox(t, m))
}

type failAfter struct {
	data string
	err  error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// TestMailboxRollback: every way an append can fail leaves the file
// byte-for-byte as it was.
func TestMailboxRollback(t *testing.T) {
	t.Parallel()
	boom := errors.New("client went away")
	big := strings.Repeat("0123456789\n", 20000) // 220 kB
	cases := []struct {
		name   string
		limits Limits
		ctx    func() (context.Context, context.CancelFunc)
		r      func() io.Reader
		want   error
	}{
		{name: "reader error", r: func() io.Reader { return &failAfter{data: big, err: boom} }, want: boom},
		{name: "too large", limits: Limits{MaxMessageSize: 100_000}, r: func() io.Reader { return strings.NewReader(big) }, want: ErrTooLarge},
		{name: "line too long", limits: Limits{MaxLineLength: 50}, r: func() io.Reader { return strings.NewReader("ok\n" + strings.Repeat("x", 60)) }, want: ErrLineTooLong},
		{name: "mailbox full", limits: Limits{MaxMailboxSize: 150_000}, r: func() io.Reader { return strings.NewReader(big) }, want: ErrMailboxFull},
		{name: "context cancelled mid-message", ctx: func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, want: context.Canceled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := &Mailbox{Path: filepath.Join(t.TempDir(), "mbox"), Limits: tc.limits}
			require.NoError(t, m.Append(context.Background(), Envelope{From: "a", Date: testDate}, strings.NewReader("first\n")))
			before, err := os.ReadFile(m.Path)
			require.NoError(t, err)
			ctx := context.Background()
			r := io.Reader(nil)
			if tc.ctx != nil {
				var cancel context.CancelFunc
				ctx, cancel = tc.ctx()
				// cancel once part of the message has been read
				r = &cancelAfter{r: strings.NewReader(big), cancel: cancel, after: 50_000}
			} else {
				r = tc.r()
			}
			err = m.Append(ctx, Envelope{From: "b", Date: testDate}, r)
			require.ErrorIs(t, err, tc.want)
			after, err := os.ReadFile(m.Path)
			require.NoError(t, err)
			assert.Equal(t, string(before), string(after))
			// and the mailbox still takes mail
			require.NoError(t, m.Append(context.Background(), Envelope{From: "c", Date: testDate}, strings.NewReader("third\n")))
			assert.Equal(t, []readMsg{{from: "a", body: "first\n"}, {from: "c", body: "third\n"}}, readMailbox(t, m))
		})
	}
}

type cancelAfter struct {
	r      io.Reader
	cancel func()
	after  int
	n      int
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n >= c.after {
		c.cancel()
	}
	if len(p) > 4096 {
		p = p[:4096]
	}
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestMailboxRepairsTornEnd(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"no newline":      "From a Mon Jan  1 00:00:00 2024\npartial mess",
		"one newline":     "From a Mon Jan  1 00:00:00 2024\npartial\n",
		"complete":        "From a Mon Jan  1 00:00:00 2024\nfull\n\n",
		"just an newline": "\n",
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := &Mailbox{Path: filepath.Join(t.TempDir(), "mbox")}
			require.NoError(t, os.WriteFile(m.Path, []byte(content), 0o600))
			require.NoError(t, m.Append(context.Background(), Envelope{From: "new", Date: testDate}, strings.NewReader("intact\n")))
			got := readMailbox(t, m)
			require.NotEmpty(t, got)
			assert.Equal(t, readMsg{from: "new", body: "intact\n"}, got[len(got)-1])
		})
	}
}

func TestMailboxConcurrentAppends(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mbox")
	shared := &Mailbox{Path: path}
	const workers, per = 6, 20
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			m := shared
			switch w % 3 {
			case 1: // a separate value: excluded by flock
				m = &Mailbox{Path: path}
			case 2: // a separate value, also dot-locking (fcntl alone would not exclude goroutines)
				m = &Mailbox{Path: path, Locking: LockFcntl | LockFlock | LockDotlock}
			}
			for i := 0; i < per; i++ {
				body := fmt.Sprintf("Subject: %d-%d\n\n%s\nFrom inside\n", w, i, strings.Repeat("b", 100*i))
				assert.NoError(t, m.Append(ctx, Envelope{From: fmt.Sprintf("w%d", w), Date: testDate}, strings.NewReader(body)))
			}
		}(w)
	}
	wg.Wait()
	got := readMailbox(t, shared)
	require.Len(t, got, workers*per)
	seen := map[string]bool{}
	for _, m := range got {
		require.NoError(t, m.err)
		var w, i int
		_, err := fmt.Sscanf(m.body, "Subject: %d-%d\n", &w, &i)
		require.NoError(t, err, m.body[:20])
		assert.Equal(t, fmt.Sprintf("w%d", w), m.from)
		assert.Equal(t, fmt.Sprintf("Subject: %d-%d\n\n%s\nFrom inside\n", w, i, strings.Repeat("b", 100*i)), m.body)
		key := fmt.Sprint(w, "-", i)
		assert.False(t, seen[key])
		seen[key] = true
	}
	_, err := os.Stat(path + ".lock")
	assert.ErrorIs(t, err, os.ErrNotExist, "dot-lock removed")
}

func TestMailboxLockTimeout(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mbox")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	// Another holder of the flock (a separate open file description).
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX))
	m := &Mailbox{Path: path, LockTimeout: 50 * time.Millisecond}
	err = m.Append(context.Background(), Envelope{From: "a"}, strings.NewReader("x"))
	require.ErrorIs(t, err, ErrLocked)
	require.NoError(t, syscall.Flock(int(f.Fd()), syscall.LOCK_UN))
	require.NoError(t, m.Append(context.Background(), Envelope{From: "a"}, strings.NewReader("x")))

	// A fresh dot-lock blocks; a stale one is removed.
	d := &Mailbox{Path: path, Locking: LockDotlock, LockTimeout: 50 * time.Millisecond}
	require.NoError(t, os.WriteFile(path+".lock", []byte("1\n"), 0o644))
	err = d.Append(context.Background(), Envelope{From: "a"}, strings.NewReader("x"))
	require.ErrorIs(t, err, ErrLocked)
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(path+".lock", old, old))
	require.NoError(t, d.Append(context.Background(), Envelope{From: "a"}, strings.NewReader("x")))
}

func TestMailboxRefusesLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	require.NoError(t, os.WriteFile(target, nil, 0o600))
	sym := &Mailbox{Path: filepath.Join(dir, "sym")}
	require.NoError(t, os.Symlink(target, sym.Path))
	err := sym.Append(context.Background(), Envelope{From: "a"}, strings.NewReader("x"))
	require.ErrorIs(t, err, ErrNotRegular)
	hard := &Mailbox{Path: filepath.Join(dir, "hard")}
	require.NoError(t, os.Link(target, hard.Path))
	err = hard.Append(context.Background(), Envelope{From: "a"}, strings.NewReader("x"))
	require.ErrorIs(t, err, ErrNotRegular)
	st, err := os.Stat(target)
	require.NoError(t, err)
	assert.Zero(t, st.Size())
	err = (&Mailbox{Path: dir}).Append(context.Background(), Envelope{From: "a"}, strings.NewReader("x"))
	require.ErrorIs(t, err, ErrNotRegular)
}

func TestSpool(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := &Spool{Dir: dir, Now: func() time.Time { return testDate }}
	p, err := s.Path("alice")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "alice"), p)
	for _, bad := range []string{"", ".", "..", "a/b", "../etc", "a b", "a\x00", "-rf"} {
		_, err := s.Path(bad)
		assert.ErrorIs(t, err, ErrInvalidUser, "%q", bad)
	}
	def, err := (&Spool{}).Path("bob")
	require.NoError(t, err)
	assert.Equal(t, "/var/spool/mail/bob", def)
	m, err := s.Mailbox("alice")
	require.NoError(t, err)
	assert.Equal(t, LockFcntl|LockDotlock, m.Locking)
	require.NoError(t, m.Append(context.Background(), Envelope{From: "x@y"}, strings.NewReader("hi\n")))
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "From x@y Sun Nov 29 17:22:41 2026\nhi\n\n", string(data))
}

// TestCrashMidAppend kills a process (this test binary, re-executed) in the
// middle of an append: the torn message stays, but the next append starts
// cleanly and both earlier and later messages read back intact.
func TestCrashMidAppend(t *testing.T) {
	if p := os.Getenv("MBOX_CRASH_CHILD"); p != "" {
		m := &Mailbox{Path: p}
		r := &blockAfter{data: "Subject: torn\n\nhalf of it\n" + strings.Repeat("x", 80<<10)}
		_ = m.Append(context.Background(), Envelope{From: "crash", Date: testDate}, r)
		os.Exit(2)
	}
	t.Parallel()
	ctx := context.Background()
	m := &Mailbox{Path: filepath.Join(t.TempDir(), "mbox")}
	require.NoError(t, m.Append(ctx, Envelope{From: "before", Date: testDate}, strings.NewReader("one\n")))
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMidAppend$")
	cmd.Env = append(os.Environ(), "MBOX_CRASH_CHILD="+m.Path)
	require.NoError(t, cmd.Start())
	// Wait (bounded) until the child's partial write reached the file.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := os.Stat(m.Path)
		require.NoError(t, err)
		if st.Size() > 20<<10 {
			break
		}
		require.True(t, time.Now().Before(deadline), "child never wrote")
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.NoError(t, m.Append(ctx, Envelope{From: "after", Date: testDate}, strings.NewReader("two\n")))
	got := readMailbox(t, m)
	require.Len(t, got, 3)
	assert.Equal(t, readMsg{from: "before", body: "one\n"}, got[0])
	assert.Equal(t, "crash", got[1].from)
	assert.True(t, strings.HasPrefix(got[1].body, "Subject: torn\n\nhalf of it\n"))
	assert.Equal(t, readMsg{from: "after", body: "two\n"}, got[2])
}

// blockAfter returns its data, then blocks forever.
type blockAfter struct{ data string }

func (b *blockAfter) Read(p []byte) (int, error) {
	if b.data == "" {
		select {}
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

// TestScenario8LocalSpoolReader: SCENARIOS §8, "a local reader may read the
// spool /var/spool/mail/$USER (mbox) directly". The MTA side appends to the
// user's spool file; a local mail reader opens the same path and reads
// every message, with the spool's own locks.
func TestScenario8LocalSpoolReader(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	spool := &Spool{Dir: t.TempDir(), Now: func() time.Time { return testDate }}
	mta, err := spool.Mailbox("alice")
	require.NoError(t, err)
	require.NoError(t, mta.Append(ctx, Envelope{From: "sender@mydomain.com"},
		strings.NewReader("Subject: test message\nFrom: sender@mydomain.com\nTo: friend@example.com\n\nHello,\nThis is a test.\nGoodbye.\n")))
	require.NoError(t, mta.Append(ctx, Envelope{From: "bob@example.org"}, strings.NewReader("Subject: second\n\nFrom Bob, hi.\n")))

	// The reader knows only the user name and the spool convention.
	path, err := spool.Path("alice")
	require.NoError(t, err)
	reader := &Mailbox{Path: path, Locking: LockFcntl | LockDotlock}
	got := readMailbox(t, reader)
	assert.Equal(t, []readMsg{
		{from: "sender@mydomain.com", body: "Subject: test message\nFrom: sender@mydomain.com\nTo: friend@example.com\n\nHello,\nThis is a test.\nGoodbye.\n"},
		{from: "bob@example.org", body: "Subject: second\n\nFrom Bob, hi.\n"},
	}, got)
}
