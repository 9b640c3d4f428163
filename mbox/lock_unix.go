//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package mbox

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// openNoFollow refuses to open a symbolic link as the mailbox.
const openNoFollow = syscall.O_NOFOLLOW

// openNonblock keeps opening a dot-lock that is a FIFO from blocking.
const openNonblock = syscall.O_NONBLOCK

// tryKernelLock makes one non-blocking attempt at the kernel lock; busy
// reports that another holder has it.
func tryKernelLock(f *os.File, method LockMethod, exclusive bool) (busy bool, err error) {
	switch method {
	case LockFcntl:
		typ := int16(syscall.F_RDLCK)
		if exclusive {
			typ = syscall.F_WRLCK
		}
		lk := syscall.Flock_t{Type: typ, Whence: io.SeekStart}
		err = syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk)
	case LockFlock:
		how := syscall.LOCK_SH
		if exclusive {
			how = syscall.LOCK_EX
		}
		err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
	default:
		return false, fmt.Errorf("%w: lock method %d", ErrUnsupported, method)
	}
	if err == nil {
		return false, nil
	}
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EINTR) {
		return true, nil
	}
	return false, fmt.Errorf("mbox: lock %s: %w", f.Name(), err)
}

// kernelUnlock releases a kernel lock (closing the file would too).
func kernelUnlock(f *os.File, method LockMethod) {
	switch method {
	case LockFcntl:
		lk := syscall.Flock_t{Type: syscall.F_UNLCK, Whence: io.SeekStart}
		_ = syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk)
	case LockFlock:
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}
}

// checkLinks refuses a mailbox file with more than one hard link (a link
// planted in the spool directory to make the deliverer write elsewhere).
func checkLinks(st fs.FileInfo) error {
	if s, ok := st.Sys().(*syscall.Stat_t); ok && s.Nlink > 1 {
		return fmt.Errorf("%w: %d hard links", ErrNotRegular, s.Nlink)
	}
	return nil
}
