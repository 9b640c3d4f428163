package mbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"time"
)

// Dot-locks follow liblockfile (mutt, procmail) and Postfix local: the lock
// is the file Path+".lock", created with O_EXCL, holding the holder's PID,
// and a lock whose modification time is older than DotlockStale is taken
// to be abandoned and removed.
//
// Removing a stale lock by name races: A and B both find L stale; A
// removes it and creates its own lock; B, acting on its earlier judgment,
// removes A's fresh lock and creates its own, and both hold the lock.
// Unix cannot remove a name only if it still refers to a given file, so
// breaking works like this:
//
//  1. The holder of a lock keeps the lock file open with an exclusive
//     flock(2) on it until it has removed the file. The kernel drops the
//     flock when the holder dies, so a lock whose flock is held belongs to
//     a live process and is never broken, however old.
//  2. A breaker opens L, judges the file it opened (fstat) stale, and
//     takes the flock of that file without waiting. Holding the flock
//     excludes the holder (if alive) and every other breaker of that same
//     file. It then checks that L still names the file it opened; if not
//     (A already broke it and L is A's new lock), it starts over.
//  3. It renames L to a unique name, "<L>.stale.<pid>.<random>", and
//     checks that what it moved is the file it judged (same device and
//     inode, exact because the open file keeps the inode from being
//     reused). If so, it removes it and creates its own lock with O_EXCL
//     as usual. If not, a process that does not follow these rules
//     replaced L in between: the file is put back with link(2), which
//     fails rather than replace a lock created meanwhile, and the breaker
//     waits.
//
// Releasing removes L only if it still names the holder's file, then
// closes it (dropping the flock). Crashes: a holder that dies leaves a
// lock that becomes stale and is broken; a breaker that dies between its
// steps leaves nothing, except between the rename and the removal, when
// the stale lock stays behind under its unique name (harmless litter; the
// lock itself is gone, as intended).
//
// Among processes that use this package, two can therefore never hold the
// lock at once, except around a stale lock that cannot be opened (a
// symbolic link, no read permission): breakUnopened renames it by its
// lstat judgment without a flock, which narrows the race but cannot close
// it. Other dot-lock users do not take the flock and remove
// stale locks by name; against them the check in step 3 narrows the race
// to the link back, and a Mailbox holding a lock longer than their stale
// age (liblockfile 5 minutes, Postfix 500 s) may still lose it to them.
// Where flock is not available (or fails, as on some network file
// systems), locks are judged by age alone, as other dot-lock users do.

// breakStage names the points where breakHook is called.
type breakStage int

const (
	// stageJudged: the lock file was opened and found stale; nothing has
	// been claimed yet.
	stageJudged breakStage = iota
	// stageClaimed: the breaker holds the flock of the stale file and has
	// checked that L still names it; next it renames it away.
	stageClaimed
)

func (m *Mailbox) hook(s breakStage) {
	if m.breakHook != nil {
		m.breakHook(s)
	}
}

// dotlock creates Path+".lock" exclusively, breaking a stale one, and
// returns the function that releases it.
func (m *Mailbox) dotlock(ctx context.Context) (func(), error) {
	lock := m.Path + ".lock"
	stale := m.DotlockStale
	if stale <= 0 {
		stale = DefaultDotlockStale
	}
	var held *os.File
	err := waitLock(ctx, func() (bool, error) {
		// A stale lock just broken is followed by a new attempt at
		// once; a few rounds, since others compete for it too.
		for range 3 {
			f, err := m.createLock(lock)
			if err == nil {
				held = f
				return false, nil
			}
			if !errors.Is(err, fs.ErrExist) {
				return false, err
			}
			if !m.breakStale(lock, stale) {
				break
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return func() { m.releaseLock(lock, held) }, nil
}

// createLock creates lock with O_EXCL, takes its flock and writes the PID
// into it. The file stays open while the lock is held.
func (m *Mailbox) createLock(lock string) (*os.File, error) {
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL|openNoFollow, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("mbox: dot-lock %s: %w", lock, err)
	}
	// Nobody else can have the flock of a file this new; without flock
	// (an unsupported platform or file system) the lock is judged by its
	// age alone.
	if busy, err := tryKernelLock(f, LockFlock, true); busy || err != nil {
		m.log().Debug("mbox: no flock on the dot-lock", "path", lock, "busy", busy, "err", err)
	}
	_, _ = f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
	return f, nil
}

// releaseLock removes lock if it is still the file f, then closes f.
func (m *Mailbox) releaseLock(lock string, f *os.File) {
	defer f.Close() // last: the flock keeps breakers off until the name is gone
	mine, err := f.Stat()
	if err != nil {
		m.log().Warn("mbox: dot-lock not removed", "path", lock, "err", err)
		return
	}
	if cur, err := os.Lstat(lock); err != nil || !os.SameFile(mine, cur) {
		m.log().Warn("mbox: dot-lock was taken over by another process; left in place", "path", lock)
		return
	}
	_ = os.Remove(lock)
}

func (m *Mailbox) isStale(st fs.FileInfo, stale time.Duration) bool {
	return m.now().Sub(st.ModTime()) > stale
}

// breakStale removes lock if it is stale, safely against other breakers
// (see the comment at the top of this file). It reports whether the lock
// may be free now, so that creating it is worth trying at once.
func (m *Mailbox) breakStale(lock string, stale time.Duration) bool {
	f, err := os.OpenFile(lock, os.O_RDWR|openNoFollow|openNonblock, 0)
	if errors.Is(err, fs.ErrPermission) {
		f, err = os.OpenFile(lock, os.O_RDONLY|openNoFollow|openNonblock, 0)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	if err != nil {
		return m.breakUnopened(lock, stale) // a symlink, no permission, ...
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return m.breakUnopened(lock, stale)
	}
	if !m.isStale(st, stale) {
		return false
	}
	m.hook(stageJudged)
	busy, err := tryKernelLock(f, LockFlock, true)
	if busy {
		return false // its holder is alive, or another breaker is at work
	}
	if err != nil {
		m.log().Debug("mbox: no flock on a stale dot-lock; breaking it by age", "path", lock, "err", err)
	}
	if cur, err := os.Lstat(lock); err != nil || !os.SameFile(st, cur) {
		return true // already broken (and maybe taken again): start over
	}
	m.hook(stageClaimed)
	return m.renameAway(lock, func(got fs.FileInfo) bool { return os.SameFile(st, got) })
}

// breakUnopened breaks a stale lock that cannot be opened (a symbolic
// link, a file without read permission, ...) judging it by lstat; the
// renamed file must match that judgment in inode and modification time.
func (m *Mailbox) breakUnopened(lock string, stale time.Duration) bool {
	st, err := os.Lstat(lock)
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	if !m.isStale(st, stale) {
		return false
	}
	m.hook(stageJudged)
	return m.renameAway(lock, func(got fs.FileInfo) bool {
		return os.SameFile(st, got) && got.ModTime().Equal(st.ModTime())
	})
}

// renameAway renames lock to a unique name and removes what it moved if
// same says it is the stale file; otherwise it puts it back. It reports
// whether the lock may be free now.
func (m *Mailbox) renameAway(lock string, same func(fs.FileInfo) bool) bool {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := lock + ".stale." + strconv.Itoa(os.Getpid()) + "." + hex.EncodeToString(rnd[:])
	if err := os.Rename(lock, tmp); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			m.log().Debug("mbox: cannot break stale dot-lock", "path", lock, "err", err)
		}
		return errors.Is(err, fs.ErrNotExist)
	}
	if got, err := os.Lstat(tmp); err == nil && same(got) {
		m.log().Debug("mbox: removed stale dot-lock", "path", lock)
		_ = os.Remove(tmp)
		return true
	}
	// Someone replaced the lock since it was judged stale: put their file
	// back. link fails rather than replace a lock created meanwhile.
	if err := os.Link(tmp, lock); err != nil {
		m.log().Warn("mbox: could not restore a dot-lock moved by mistake", "path", lock, "err", err)
	}
	_ = os.Remove(tmp)
	return false
}
