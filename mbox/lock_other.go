//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package mbox

import (
	"fmt"
	"io/fs"
	"os"
)

const openNoFollow = 0

const openNonblock = 0

func tryKernelLock(_ *os.File, method LockMethod, _ bool) (bool, error) {
	return false, fmt.Errorf("%w: kernel lock method %d (use LockDotlock or LockNone)", ErrUnsupported, method)
}

func kernelUnlock(*os.File, LockMethod) {}

func checkLinks(fs.FileInfo) error { return nil }
