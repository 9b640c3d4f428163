package imapmaildir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// writeFileAtomic replaces path with data: it writes path+".tmp", fsyncs
// it, renames it over path and fsyncs the directory. The caller holds the
// lock that serialises writers of path, so the fixed temporary name is
// safe; a temporary file left by a crash is simply overwritten later and
// never read.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return fmt.Errorf("imapmaildir: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("imapmaildir: write %s: %w", filepath.Base(path), err)
	}
	return syncDir(filepath.Dir(path))
}

// syncDir fsyncs a directory so that renames and new entries in it are
// durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("imapmaildir: sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("imapmaildir: sync %s: %w", dir, err)
	}
	return nil
}

// fileLock is an exclusive lock on a lock file shared by processes
// (flock) and, through the caller's mutex, by goroutines.
type fileLock struct{ f *os.File }

func acquireFileLock(path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("imapmaildir: lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("imapmaildir: lock %s: %w", path, err)
	}
	return &fileLock{f: f}, nil
}

func (l *fileLock) release() {
	_ = unlockFile(l.f)
	_ = l.f.Close()
}

// fileID identifies a version of a file that is only ever replaced by
// rename: a new inode, size or modification time means new content.
type fileID struct {
	ok    bool
	ino   uint64
	size  int64
	mtime int64
}

func statID(path string) (fileID, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileID{}, err
	}
	id := fileID{ok: true, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	id.ino = inodeOf(fi)
	return id, nil
}
