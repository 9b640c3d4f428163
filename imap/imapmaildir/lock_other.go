//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package imapmaildir

import "os"

// Without flock(2) only the in-process mutexes apply (see the package
// documentation).

func lockFile(f *os.File) error   { return nil }
func unlockFile(f *os.File) error { return nil }

func inodeOf(fi os.FileInfo) uint64 { return 0 }
