package maildir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fixedClock() func() time.Time {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 678_000, time.UTC)
	return func() time.Time { return t0 }
}

func newTestMaildir(t *testing.T, opts *Options) *Maildir {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	if opts.Now == nil {
		opts.Now = fixedClock()
	}
	if opts.Hostname == "" {
		opts.Hostname = "mx.example.test"
	}
	m, err := Create(filepath.Join(t.TempDir(), "Maildir"), opts)
	require.NoError(t, err)
	return m
}

func readAll(t *testing.T, m *Maildir, key string) string {
	t.Helper()
	rc, err := m.Open(context.Background(), key)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestCreateOpen(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", "Maildir")
	_, err := Open(dir, nil)
	require.ErrorIs(t, err, ErrNotMaildir)
	m, err := Create(dir, nil)
	require.NoError(t, err)
	assert.Equal(t, dir, m.Dir())
	for _, sub := range []string{"tmp", "new", "cur"} {
		st, err := os.Stat(filepath.Join(dir, sub))
		require.NoError(t, err)
		assert.True(t, st.IsDir())
		assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	}
	_, err = Create(dir, nil) // idempotent
	require.NoError(t, err)
	_, err = Open(dir, nil)
	require.NoError(t, err)
}

func TestDeliverRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newTestMaildir(t, &Options{PID: 4242})
	body := "From: a@example.test\nSubject: hi\n\nline 1\r\nline 2\n"
	msg, err := m.Deliver(ctx, strings.NewReader(body))
	require.NoError(t, err)
	assert.True(t, msg.New)
	assert.Equal(t, int64(len(body)), msg.Size)
	assert.True(t, strings.HasPrefix(msg.Key, "1767323045.M678P4242Q1R"), msg.Key)
	assert.True(t, strings.HasSuffix(msg.Key, ".mx.example.test"), msg.Key)
	// 4 bare LFs counted twice for W=.
	assert.Equal(t, fmt.Sprintf("%s,S=%d,W=%d", msg.Key, len(body), len(body)+4), msg.Filename)
	assert.Empty(t, dirNames(t, filepath.Join(m.Dir(), "tmp")))
	assert.Equal(t, []string{msg.Filename}, dirNames(t, filepath.Join(m.Dir(), "new")))
	st, err := os.Stat(msg.Path(m.Dir()))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	assert.Equal(t, body, readAll(t, m, msg.Key))
	size, err := m.Size(ctx, msg.Key)
	require.NoError(t, err)
	assert.Equal(t, int64(len(body)), size)

	list, err := m.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, msg, list[0])

	// new -> cur
	moved, err := m.MarkRead(ctx, msg.Key)
	require.NoError(t, err)
	assert.False(t, moved.New)
	assert.Equal(t, msg.Filename+":2,", moved.Filename)
	// flags
	flagged, err := m.SetFlags(ctx, msg.Key, FlagSeen|FlagFlagged)
	require.NoError(t, err)
	assert.Equal(t, msg.Filename+":2,FS", flagged.Filename)
	st2, err := m.Stat(ctx, msg.Key)
	require.NoError(t, err)
	assert.Equal(t, FlagSeen|FlagFlagged, st2.Info.Flags)
	assert.Equal(t, []string{msg.Filename + ":2,FS"}, dirNames(t, filepath.Join(m.Dir(), "cur")))
	assert.Empty(t, dirNames(t, filepath.Join(m.Dir(), "new")))
	assert.Equal(t, body, readAll(t, m, msg.Key))

	// keywords set by someone else survive SetFlags
	require.NoError(t, os.Rename(flagged.Path(m.Dir()), filepath.Join(m.Dir(), "cur", msg.Filename+":2,FSac")))
	kw, err := m.SetFlags(ctx, msg.Key, FlagReplied)
	require.NoError(t, err)
	assert.Equal(t, msg.Filename+":2,Rac", kw.Filename)
	info, err := m.SetInfo(ctx, msg.Key, Info{Flags: FlagTrashed})
	require.NoError(t, err)
	assert.Equal(t, msg.Filename+":2,T", info.Filename)

	require.NoError(t, m.Remove(ctx, msg.Key))
	_, err = m.Stat(ctx, msg.Key)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, m.Remove(ctx, msg.Key), ErrNotFound)
	_, err = m.Open(ctx, msg.Key)
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestAppendWithFlags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newTestMaildir(t, nil)
	msg, err := m.Append(ctx, strings.NewReader("Subject: x\r\n\r\n"), Info{Flags: FlagSeen | FlagDraft})
	require.NoError(t, err)
	assert.False(t, msg.New)
	assert.True(t, strings.HasSuffix(msg.Filename, ",S=14,W=14:2,DS"), msg.Filename)
	list, err := m.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, FlagSeen|FlagDraft, list[0].Info.Flags)
}

func TestSizeFromStat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newTestMaildir(t, nil)
	// A message delivered by software that writes no S= field (qmail style).
	require.NoError(t, os.WriteFile(filepath.Join(m.Dir(), "new", "1000.123_4.host"), []byte("12345"), 0o600))
	size, err := m.Size(ctx, "1000.123_4.host")
	require.NoError(t, err)
	assert.Equal(t, int64(5), size)
	list, err := m.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, int64(-1), list[0].Size)
}

func TestKeyLookupIsExact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newTestMaildir(t, nil)
	require.NoError(t, os.WriteFile(filepath.Join(m.Dir(), "cur", "100.a.h2,S=1:2,S"), []byte("a"), 0o600))
	_, err := m.Stat(ctx, "100.a.h")
	assert.ErrorIs(t, err, ErrNotFound, "a prefix of another key must not match")
	for _, bad := range []string{"", "../x", ".x", "a/b", "a:2,S"} {
		_, err := m.Stat(ctx, bad)
		assert.ErrorIs(t, err, ErrInvalidKey, "%q", bad)
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newTestMaildir(t, &Options{Limits: Limits{MaxMessageSize: 10, MaxList: 2}})
	_, err := m.Deliver(ctx, strings.NewReader("0123456789"))
	require.NoError(t, err)
	_, err = m.Deliver(ctx, strings.NewReader("0123456789A"))
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Empty(t, dirNames(t, filepath.Join(m.Dir(), "tmp")), "rejected message must leave nothing in tmp")
	_, err = m.Deliver(ctx, strings.NewReader("x"))
	require.NoError(t, err)
	_, err = m.List(ctx)
	require.NoError(t, err)
	_, err = m.Deliver(ctx, strings.NewReader("y"))
	require.NoError(t, err)
	_, err = m.List(ctx)
	assert.ErrorIs(t, err, ErrTooMany)
}

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

func TestDeliverFailuresLeaveNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newTestMaildir(t, nil)
	boom := errors.New("connection reset")
	_, err := m.Deliver(ctx, &failingReader{data: []byte("Subject: half\n\nhalf a mess"), err: boom})
	require.ErrorIs(t, err, boom)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = m.Deliver(cctx, strings.NewReader("x"))
	require.ErrorIs(t, err, context.Canceled)

	list, err := m.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, list)
	assert.Empty(t, dirNames(t, filepath.Join(m.Dir(), "tmp")))
}

func TestHostileContent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newTestMaildir(t, nil)
	huge := strings.Repeat("x", 3<<20) // one 3 MiB line
	cases := map[string]string{
		"bare CR":   "Subject: a\r\rbody\r",
		"bare LF":   "Subject: a\n\nbody\n",
		"NUL bytes": "a\x00b\x00",
		"huge line": huge,
		"empty":     "",
	}
	for name, body := range cases {
		msg, err := m.Deliver(ctx, strings.NewReader(body))
		require.NoError(t, err, name)
		assert.Equal(t, body, readAll(t, m, msg.Key), name)
		assert.Equal(t, int64(len(body)), msg.Size, name)
	}
}

func TestHostName(t *testing.T) {
	t.Parallel()
	m := newTestMaildir(t, &Options{Hostname: "a/b:c,d"})
	msg, err := m.Deliver(context.Background(), strings.NewReader("x"))
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(msg.Key, `.a\057b\072c\054d`), msg.Key)
}

func TestFolders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newTestMaildir(t, nil)
	_, err := m.Folder("Archiv/Über")
	require.ErrorIs(t, err, ErrNotFound)
	f, err := m.CreateFolder(ctx, "Archiv/Über")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(m.Dir(), ".Archiv.&ANw-ber"), f.Dir())
	_, err = os.Stat(filepath.Join(f.Dir(), "maildirfolder"))
	require.NoError(t, err)
	_, err = m.CreateFolder(ctx, "Archiv/Über")
	require.ErrorIs(t, err, ErrExists)
	_, err = m.CreateFolder(ctx, "Sent")
	require.NoError(t, err)
	_, err = m.CreateFolder(ctx, "bad.name")
	require.ErrorIs(t, err, ErrInvalidName)
	names, err := m.Folders(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"Archiv/Über", "Sent"}, names)

	msg, err := f.Deliver(ctx, strings.NewReader("in a folder"))
	require.NoError(t, err)
	// A folder opened from another folder resolves against the root.
	sent, err := f.Folder("Sent")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(m.Dir(), ".Sent"), sent.Dir())
	again, err := sent.Folder("Archiv/Über")
	require.NoError(t, err)
	assert.Equal(t, "in a folder", readAll(t, again, msg.Key))
	inbox, err := m.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, inbox)
}

func TestCleanTmp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now()
	m := newTestMaildir(t, &Options{Now: func() time.Time { return now }})
	old := filepath.Join(m.Dir(), "tmp", "old.M1P1.host")
	fresh := filepath.Join(m.Dir(), "tmp", "fresh.M1P1.host")
	require.NoError(t, os.WriteFile(old, []byte("partial"), 0o600))
	require.NoError(t, os.WriteFile(fresh, []byte("partial"), 0o600))
	require.NoError(t, os.Chtimes(old, now.Add(-37*time.Hour), now.Add(-37*time.Hour)))
	n, err := m.CleanTmp(ctx, 0)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, []string{"fresh.M1P1.host"}, dirNames(t, filepath.Join(m.Dir(), "tmp")))
}

func TestConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A fixed clock and PID make every name differ only by counter and
	// random part; two Maildir values stand in for two processes.
	dir := filepath.Join(t.TempDir(), "Maildir")
	a, err := Create(dir, &Options{Now: fixedClock(), PID: 7, Hostname: "h"})
	require.NoError(t, err)
	b, err := Open(dir, &Options{Now: fixedClock(), PID: 7, Hostname: "h"})
	require.NoError(t, err)
	const workers, per = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*per)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			m := a
			if w%2 == 1 {
				m = b
			}
			for i := 0; i < per; i++ {
				body := fmt.Sprintf("Subject: %d-%d\n\n%s\n", w, i, strings.Repeat("z", w*i))
				msg, err := m.Deliver(ctx, strings.NewReader(body))
				if err != nil {
					errs <- err
					continue
				}
				// Concurrently flag half of them while others deliver.
				if i%2 == 0 {
					if _, err := m.SetFlags(ctx, msg.Key, FlagSeen); err != nil {
						errs <- err
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	list, err := a.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, workers*per)
	seen := map[string]bool{}
	flagged := 0
	for _, msg := range list {
		assert.False(t, seen[msg.Key], "duplicate key %s", msg.Key)
		seen[msg.Key] = true
		if msg.Info.Flags.Has(FlagSeen) {
			flagged++
		}
		body := readAll(t, a, msg.Key)
		assert.Equal(t, msg.Size, int64(len(body)))
		assert.True(t, strings.HasPrefix(body, "Subject: "))
	}
	assert.Equal(t, workers*((per+1)/2), flagged)
}

func TestConcurrentRenames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newTestMaildir(t, nil)
	msg, err := m.Deliver(ctx, strings.NewReader("x"))
	require.NoError(t, err)
	flags := []Flags{FlagSeen, FlagFlagged, FlagReplied, FlagSeen | FlagFlagged}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				_, err := m.SetFlags(ctx, msg.Key, flags[(w+i)%len(flags)])
				assert.NoError(t, err)
				rc, err := m.Open(ctx, msg.Key)
				if assert.NoError(t, err) {
					_ = rc.Close()
				}
			}
		}(w)
	}
	wg.Wait()
	list, err := m.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "x", readAll(t, m, msg.Key))
}

// TestCrashMidDelivery kills a process (this test binary, re-executed) while
// it is writing a message: the half-written file stays in tmp/, is never
// listed, and deliveries continue.
func TestCrashMidDelivery(t *testing.T) {
	if os.Getenv("MAILDIR_CRASH_CHILD") != "" {
		crashChild()
		return
	}
	t.Parallel()
	ctx := context.Background()
	m := newTestMaildir(t, nil)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMidDelivery$")
	cmd.Env = append(os.Environ(), "MAILDIR_CRASH_CHILD="+m.Dir())
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	// The child prints a line once it has written half the message.
	buf := make([]byte, 64)
	n, err := stdout.Read(buf)
	require.NoError(t, err, "child output")
	require.Contains(t, string(buf[:n]), "half written")
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	tmp := dirNames(t, filepath.Join(m.Dir(), "tmp"))
	require.Len(t, tmp, 1, "the killed delivery leaves its tmp file")
	data, err := os.ReadFile(filepath.Join(m.Dir(), "tmp", tmp[0]))
	require.NoError(t, err)
	assert.Equal(t, "Subject: crash\n\nfirst half\n", string(data))
	list, err := m.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, list, "a half-written message must never be listed")

	msg, err := m.Deliver(ctx, strings.NewReader("after the crash"))
	require.NoError(t, err)
	list, err = m.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, msg.Key, list[0].Key)
}

// blockingReader returns data, then signals and blocks forever.
type blockingReader struct {
	data    []byte
	reached func()
}

func (r *blockingReader) Read(p []byte) (int, error) {
	if len(r.data) > 0 {
		n := copy(p, r.data)
		r.data = r.data[n:]
		return n, nil
	}
	r.reached()
	select {}
}

func crashChild() {
	m, err := Open(os.Getenv("MAILDIR_CRASH_CHILD"), nil)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	// copyMessage writes each chunk before reading the next, so by the
	// time the second Read blocks the first half is in the tmp file.
	r := &blockingReader{data: []byte("Subject: crash\n\nfirst half\n"), reached: func() {
		fmt.Println("half written")
	}}
	_, _ = m.Deliver(context.Background(), r)
	os.Exit(2)
}

func TestOpenSurvivesRename(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newTestMaildir(t, nil)
	msg, err := m.Deliver(ctx, bytes.NewReader([]byte("payload")))
	require.NoError(t, err)
	rc, err := m.Open(ctx, msg.Key)
	require.NoError(t, err)
	defer rc.Close()
	_, err = m.SetFlags(ctx, msg.Key, FlagSeen)
	require.NoError(t, err)
	require.NoError(t, m.Remove(ctx, msg.Key))
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Equal(t, "payload", string(b))
}

// TestScenario8IMAPStyleState: SCENARIOS §8, IMAP keeps mail on the server
// with its state (unread, flagged) and folders, and several clients of one
// user may work at once. Two Maildir handles stand for two clients (or a
// client and the delivering MTA) sharing one Maildir on the server.
func TestScenario8IMAPStyleState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "Maildir")
	mta, err := Create(dir, &Options{Hostname: "mx"})
	require.NoError(t, err)
	phone, err := Open(dir, nil)
	require.NoError(t, err)
	laptop, err := Open(dir, nil)
	require.NoError(t, err)

	msg, err := mta.Deliver(ctx, strings.NewReader("Subject: test message\n\nHello,\nThis is a test.\nGoodbye.\n"))
	require.NoError(t, err)
	// Both clients see it as new and unread.
	for _, c := range []*Maildir{phone, laptop} {
		list, err := c.List(ctx)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.True(t, list[0].New)
		assert.False(t, list[0].Info.Flags.Has(FlagSeen))
	}
	// The phone reads and flags it; the state lives on the server, so the
	// laptop sees it read and flagged, and the message stays stored.
	_, err = phone.SetFlags(ctx, msg.Key, FlagSeen|FlagFlagged)
	require.NoError(t, err)
	st, err := laptop.Stat(ctx, msg.Key)
	require.NoError(t, err)
	assert.Equal(t, FlagSeen|FlagFlagged, st.Info.Flags)
	assert.Equal(t, "Subject: test message\n\nHello,\nThis is a test.\nGoodbye.\n", readAll(t, laptop, msg.Key))
	// Folders: the laptop files it into Archive; the phone sees the folder.
	archive, err := laptop.CreateFolder(ctx, "Archive")
	require.NoError(t, err)
	rc, err := laptop.Open(ctx, msg.Key)
	require.NoError(t, err)
	moved, err := archive.Append(ctx, rc, st.Info)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.NoError(t, laptop.Remove(ctx, msg.Key))
	folders, err := phone.Folders(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"Archive"}, folders)
	pa, err := phone.Folder("Archive")
	require.NoError(t, err)
	st, err = pa.Stat(ctx, moved.Key)
	require.NoError(t, err)
	assert.Equal(t, FlagSeen|FlagFlagged, st.Info.Flags)
	inbox, err := phone.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, inbox)
}

func TestOpenFolderDirectly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newTestMaildir(t, nil)
	_, err := m.CreateFolder(ctx, "Sent")
	require.NoError(t, err)
	_, err = m.CreateFolder(ctx, "Drafts")
	require.NoError(t, err)
	sent, err := Open(filepath.Join(m.Dir(), ".Sent"), nil)
	require.NoError(t, err)
	names, err := sent.Folders(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"Drafts", "Sent"}, names)
	d, err := sent.Folder("Drafts")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(m.Dir(), ".Drafts"), d.Dir())
}
