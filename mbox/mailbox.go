package mbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// LockMethod is a set of locking methods; every method in the set is taken
// (dot-lock first, then the kernel locks).
type LockMethod uint8

const (
	// LockFcntl is a POSIX record lock (fcntl F_SETLK) on the whole file:
	// what Postfix, mutt and Dovecot use by default on Linux and the only
	// one that works over NFS. It does not exclude other goroutines of the
	// same process; a Mailbox serialises its own calls.
	LockFcntl LockMethod = 1 << iota
	// LockFlock is a BSD flock(2) lock; it also excludes other Mailbox
	// values for the same file in this process.
	LockFlock
	// LockDotlock creates "<path>.lock" with O_EXCL, the traditional spool
	// lock. It needs write permission on the directory (on many systems
	// /var/spool/mail is group "mail" with mode 2775 or 1777).
	LockDotlock
	// LockNone takes no lock; only for files no one else touches.
	LockNone LockMethod = 1 << 7
)

// Defaults of [Mailbox].
const (
	DefaultLockTimeout  = 30 * time.Second
	DefaultDotlockStale = 5 * time.Minute
	DefaultLocking      = LockFcntl | LockFlock
)

// Mailbox is an mbox file that messages are appended to and read from
// with locking. The zero value with Path set works. A Mailbox is safe for
// concurrent use: its own calls are serialised, and the locks exclude
// other processes. It must not be copied after first use.
type Mailbox struct {
	// Path of the mbox file; Append creates it (mode Perm) if missing.
	Path string
	// Locking selects the locks (default DefaultLocking).
	Locking LockMethod
	// LockTimeout bounds waiting for locks (default DefaultLockTimeout;
	// ctx may end the wait earlier). Timing out is ErrLocked.
	LockTimeout time.Duration
	// DotlockStale is the age after which someone else's dot-lock is
	// considered abandoned and removed (default DefaultDotlockStale); a
	// dot-lock held by a live Mailbox is never removed (see the package
	// documentation).
	DotlockStale time.Duration
	// Perm is the mode of a newly created mailbox (default 0600).
	Perm fs.FileMode
	// Now is the clock for From_ dates and dot-lock ages (default time.Now).
	Now func() time.Time
	// Format is how Read unquotes (default FormatMboxrd).
	Format Format
	// Limits bound messages, lines and the mailbox size.
	Limits Limits
	// Logger receives debug messages (nil discards).
	Logger *slog.Logger

	mu sync.Mutex

	// breakHook, when set (tests only), is called at each stage of
	// breaking a stale dot-lock, so tests can interleave other lockers.
	breakHook func(breakStage)
}

func (m *Mailbox) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Mailbox) log() *slog.Logger {
	if m.Logger != nil {
		return m.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (m *Mailbox) locking() LockMethod {
	if m.Locking == 0 {
		return DefaultLocking
	}
	return m.Locking
}

// Append appends one message with mboxrd quoting (see
// [Writer.WriteMessage]) under the mailbox locks, and fsyncs the file
// (and its directory when the file was empty, as after creating it)
// before returning: a nil error means the message is on disk.
//
// Appending is truncation-safe: the size of the file is noted once the
// locks are held, and if anything fails (ctx done, r failing, a limit, a
// write error such as a full disk) the file is truncated back to that size
// and synced, so a failed append leaves the mailbox as it was. Should even
// the truncation fail, the error also wraps [ErrRollback].
//
// If the existing file does not end with an empty line (a torn append by a
// process killed part way, or another program's sloppiness), Append first
// completes it, so a new message is never glued onto a broken one.
func (m *Mailbox) Append(ctx context.Context, env Envelope, r io.Reader) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mbox: %w", err)
	}
	if env.Date.IsZero() {
		env.Date = m.now()
	}
	if _, err := FromLine(env); err != nil {
		return err
	}
	perm := m.Perm
	if perm == 0 {
		perm = 0o600
	}
	unlock, f, err := m.lockAndOpen(ctx, os.O_RDWR|os.O_CREATE|os.O_APPEND, perm, true)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("mbox: %w", err)
	}
	orig := st.Size()
	prefix, err := separatorPrefix(f, orig)
	if err != nil {
		return err
	}
	lw := &limitWriter{w: f, left: -1}
	if max := m.Limits.MaxMailboxSize; max > 0 {
		lw.left = max - orig
	}
	_, werr := lw.Write(prefix)
	if werr == nil {
		wr := NewWriter(lw, &WriterOptions{Now: m.Now, Limits: m.Limits})
		_, werr = wr.WriteMessage(ctx, env, r)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if werr == nil && orig == 0 {
		// The file may have just been created: its directory entry must
		// be durable too, or a crash could lose the whole mailbox.
		werr = syncDir(filepath.Dir(m.Path))
	}
	if werr == nil {
		m.log().Debug("mbox: appended", "path", m.Path, "bytes", lw.n)
		return nil
	}
	// Roll back to the size before this append.
	if terr := f.Truncate(orig); terr != nil {
		return errors.Join(werr, fmt.Errorf("%w: %s: %w", ErrRollback, m.Path, terr))
	}
	if serr := f.Sync(); serr != nil {
		return errors.Join(werr, fmt.Errorf("%w: %s: %w", ErrRollback, m.Path, serr))
	}
	m.log().Debug("mbox: append rolled back", "path", m.Path, "err", werr)
	if errors.Is(werr, ErrTooLarge) || errors.Is(werr, ErrLineTooLong) || errors.Is(werr, ErrMailboxFull) ||
		errors.Is(werr, ctx.Err()) || errors.Is(werr, ErrInvalidSender) {
		return werr
	}
	return fmt.Errorf("mbox: append to %s: %w", m.Path, werr)
}

// syncDir fsyncs a directory so that a file created in it is durable.
// Windows cannot open directories for syncing; there it is a no-op, as is
// a file system that refuses fsync on directories (EINVAL).
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("mbox: sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("mbox: sync %s: %w", dir, err)
	}
	return nil
}

// separatorPrefix returns what must precede a new message so the file
// ends with an empty line first.
func separatorPrefix(f *os.File, size int64) ([]byte, error) {
	if size == 0 {
		return nil, nil
	}
	var tail [2]byte
	n := int64(2)
	if size < 2 {
		n = size
	}
	if _, err := f.ReadAt(tail[:n], size-n); err != nil {
		return nil, fmt.Errorf("mbox: %w", err)
	}
	switch {
	case n == 2 && tail[0] == '\n' && tail[1] == '\n':
		return nil, nil
	case n == 1 && tail[0] == '\n': // a file holding only an empty line
		return nil, nil
	case tail[n-1] == '\n':
		return []byte("\n"), nil
	default:
		return []byte("\n\n"), nil
	}
}

type limitWriter struct {
	w    io.Writer
	left int64 // -1: unlimited
	n    int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.left >= 0 {
		if int64(len(p)) > l.left {
			return 0, fmt.Errorf("%w", ErrMailboxFull)
		}
		l.left -= int64(len(p))
	}
	n, err := l.w.Write(p)
	l.n += int64(n)
	return n, err
}

// Read opens the mailbox for reading under shared locks (an exclusive
// dot-lock, if configured) and calls fn with a [Reader] over it; the locks
// are held until fn returns, so fn must not call methods of m (they would
// wait for the Read to end). A missing file reads as an empty mailbox.
func (m *Mailbox) Read(ctx context.Context, fn func(*Reader) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mbox: %w", err)
	}
	unlock, f, err := m.lockAndOpen(ctx, os.O_RDONLY, 0, false)
	if errors.Is(err, fs.ErrNotExist) {
		return fn(NewReader(bytes.NewReader(nil), &ReaderOptions{Format: m.Format, Limits: m.Limits}))
	}
	if err != nil {
		return err
	}
	defer unlock()
	return fn(NewReader(f, &ReaderOptions{Format: m.Format, Limits: m.Limits}))
}

// lockAndOpen takes the dot-lock, opens the file and takes the kernel
// locks; unlock releases everything and closes the file.
func (m *Mailbox) lockAndOpen(ctx context.Context, flag int, perm fs.FileMode, exclusive bool) (unlock func(), f *os.File, err error) {
	methods := m.locking()
	timeout := m.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var releases []func()
	release := func() {
		for i := len(releases) - 1; i >= 0; i-- {
			releases[i]()
		}
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	if methods&LockDotlock != 0 && methods&LockNone == 0 {
		rel, err := m.dotlock(ctx)
		if err != nil {
			return nil, nil, err
		}
		releases = append(releases, rel)
	}
	f, err = os.OpenFile(m.Path, flag|openNoFollow, perm)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrNotRegular, m.Path, err)
	}
	releases = append(releases, func() { _ = f.Close() })
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("mbox: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%w: %s", ErrNotRegular, m.Path)
	}
	if err := checkLinks(st); err != nil {
		return nil, nil, err
	}
	if methods&LockNone == 0 {
		for _, method := range []LockMethod{LockFcntl, LockFlock} {
			if methods&method == 0 {
				continue
			}
			if err := waitLock(ctx, func() (bool, error) { return tryKernelLock(f, method, exclusive) }); err != nil {
				return nil, nil, fmt.Errorf("%w (%s)", err, m.Path)
			}
			method := method
			releases = append(releases, func() { kernelUnlock(f, method) })
		}
	}
	return release, f, nil
}

// waitLock retries try with growing pauses until it succeeds, fails, or
// ctx ends (ErrLocked).
func waitLock(ctx context.Context, try func() (busy bool, err error)) error {
	pause := time.Millisecond
	for {
		busy, err := try()
		if err != nil {
			return err
		}
		if !busy {
			return nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: %w", ErrLocked, ctx.Err())
		case <-t.C:
		}
		if pause < 100*time.Millisecond {
			pause *= 2
		}
	}
}
