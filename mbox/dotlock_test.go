//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package mbox

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// staleLock creates a dot-lock at path+".lock" last modified an hour ago,
// as a crashed holder leaves it, and returns its path.
func staleLock(t *testing.T, path string) string {
	t.Helper()
	lock := path + ".lock"
	require.NoError(t, os.WriteFile(lock, []byte("99999\n"), 0o644))
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(lock, old, old))
	return lock
}

// dirNames lists dir, to check that no temporary file is left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestDotlockStaleBreakRace reproduces the race of two processes breaking
// one stale dot-lock: A and B both judge L stale; A breaks it and creates
// its own fresh lock; only then does B go on to break "the stale lock".
// B must notice that L is no longer the file it judged and leave A's lock
// alone: exactly one of them holds the lock.
func TestDotlockStaleBreakRace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "mbox")
	lock := staleLock(t, path)
	ctx := context.Background()
	a := &Mailbox{Path: path, Locking: LockDotlock}
	b := &Mailbox{Path: path, Locking: LockDotlock}
	bctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond) // B gives up waiting
	defer cancel()

	var relA func()
	var errA error
	ran := false
	b.breakHook = func(s breakStage) {
		if s != stageJudged || ran {
			return
		}
		ran = true
		// B has judged L stale and is about to break it: A breaks it
		// first and takes the lock.
		relA, errA = a.dotlock(ctx)
	}
	relB, errB := b.dotlock(bctx)
	require.True(t, ran, "B never judged the lock stale")
	require.NoError(t, errA, "A breaks the stale lock")
	if errB == nil {
		relB()
		relA()
		t.Fatal("A and B both hold the dot-lock")
	}
	assert.ErrorIs(t, errB, ErrLocked)

	// L is A's lock, and A's release removes it.
	_, err := os.Lstat(lock)
	require.NoError(t, err, "A's lock is gone")
	relA()
	_, err = os.Lstat(lock)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Equal(t, []string{}, append([]string{}, dirNames(t, dir)...), "files left behind")
}

// TestDotlockBreaking covers the other interleavings and holders.
func TestDotlockBreaking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// short is the context of a locker expected to give up.
	short := func(t *testing.T) context.Context {
		c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		t.Cleanup(cancel)
		return c
	}
	setup := func(t *testing.T) (dir, path, lock string) {
		dir = t.TempDir()
		path = filepath.Join(dir, "mbox")
		return dir, path, path + ".lock"
	}

	t.Run("second breaker waits while the first claims", func(t *testing.T) {
		t.Parallel()
		dir, path, _ := setup(t)
		staleLock(t, path)
		a := &Mailbox{Path: path}
		b := &Mailbox{Path: path}
		var errA error
		ran := false
		b.breakHook = func(s breakStage) {
			if s == stageClaimed && !ran {
				ran = true
				// A judges the same file stale, but B has claimed it.
				var rel func()
				rel, errA = a.dotlock(short(t))
				if rel != nil {
					rel()
				}
			}
		}
		relB, err := b.dotlock(ctx)
		require.NoError(t, err)
		require.True(t, ran)
		assert.ErrorIs(t, errA, ErrLocked)
		relB()
		assert.Equal(t, []string{}, append([]string{}, dirNames(t, dir)...))
	})

	t.Run("a live holder's lock is not broken however old", func(t *testing.T) {
		t.Parallel()
		_, path, lock := setup(t)
		a := &Mailbox{Path: path}
		relA, err := a.dotlock(ctx)
		require.NoError(t, err)
		old := time.Now().Add(-time.Hour)
		require.NoError(t, os.Chtimes(lock, old, old))
		b := &Mailbox{Path: path}
		_, err = b.dotlock(short(t))
		assert.ErrorIs(t, err, ErrLocked)
		relA()
		_, err = os.Lstat(lock)
		assert.ErrorIs(t, err, os.ErrNotExist)
		relB, err := b.dotlock(ctx)
		require.NoError(t, err)
		relB()
	})

	t.Run("a lock replaced by another program is put back", func(t *testing.T) {
		t.Parallel()
		dir, path, lock := setup(t)
		staleLock(t, path)
		var foreign os.FileInfo
		b := &Mailbox{Path: path}
		b.breakHook = func(s breakStage) {
			if s == stageClaimed && foreign == nil {
				// A program that does not take the flock breaks the
				// stale lock by name and creates its own.
				require.NoError(t, os.Remove(lock))
				require.NoError(t, os.WriteFile(lock, []byte("4242\n"), 0o644))
				var err error
				foreign, err = os.Lstat(lock)
				require.NoError(t, err)
			}
		}
		_, err := b.dotlock(short(t))
		require.NotNil(t, foreign)
		assert.ErrorIs(t, err, ErrLocked)
		cur, err := os.Lstat(lock)
		require.NoError(t, err)
		assert.True(t, os.SameFile(foreign, cur), "the other program's lock was not put back")
		assert.Equal(t, []string{"mbox.lock"}, dirNames(t, dir))
	})

	t.Run("release leaves a lock that is no longer ours", func(t *testing.T) {
		t.Parallel()
		_, path, lock := setup(t)
		a := &Mailbox{Path: path}
		relA, err := a.dotlock(ctx)
		require.NoError(t, err)
		require.NoError(t, os.Remove(lock)) // another program broke it
		require.NoError(t, os.WriteFile(lock, []byte("4242\n"), 0o644))
		relA()
		b, err := os.ReadFile(lock)
		require.NoError(t, err)
		assert.Equal(t, "4242\n", string(b))
	})

	t.Run("a stale symbolic link is broken by lstat", func(t *testing.T) {
		t.Parallel()
		dir, path, lock := setup(t)
		require.NoError(t, os.Symlink("nowhere", lock))
		later := time.Now().Add(time.Hour) // the link looks an hour old
		b := &Mailbox{Path: path, Now: func() time.Time { return later }}
		relB, err := b.dotlock(short(t))
		require.NoError(t, err)
		st, err := os.Lstat(lock)
		require.NoError(t, err)
		assert.True(t, st.Mode().IsRegular(), "B's lock replaced the link")
		assert.Equal(t, []string{"mbox.lock"}, dirNames(t, dir))
		relB()
		assert.Equal(t, []string{}, append([]string{}, dirNames(t, dir)...))
	})
}
