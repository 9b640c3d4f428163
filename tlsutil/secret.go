package tlsutil

import "runtime"

// Wipe overwrites b with zeros. Use it on buffers that held passwords, keys
// or other secrets as soon as they are no longer needed, so the secret does
// not linger in memory (and in core dumps) until the garbage collector
// reuses the memory. Wipe cannot clear copies the caller made elsewhere, nor
// Go strings, which are immutable.
func Wipe(b []byte) {
	clear(b)
	// Keep the write from being optimised away as a dead store.
	runtime.KeepAlive(b)
}
