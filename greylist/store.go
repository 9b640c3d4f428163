package greylist

import (
	"context"
	"time"
)

// Key identifies a stored record: a 16-byte hash of the greylisting triplet
// (or of the client, for auto-allowlist counters). Fixed-size keys keep the
// stores compact and never reveal addresses.
type Key [16]byte

// Record is the state stored per key. Times are Unix seconds (uint32 lasts
// until 2106).
type Record struct {
	// First is when the triplet was first seen (or the counter created).
	First uint32
	// Last is when the key was last seen.
	Last uint32
	// Count is 0 for a triplet still waiting, 1 once it passed; for a
	// client counter, the number of successful deliveries.
	Count uint32
}

// Op tells a store what to do with the record returned by an update
// function.
type Op int

const (
	// OpKeep leaves the stored state as it was.
	OpKeep Op = iota
	// OpPut stores the returned record.
	OpPut
	// OpDelete removes the key.
	OpDelete
)

// UpdateFunc computes the new state of a key from its current state. It may
// be called more than once per Update (optimistic stores retry on conflict),
// so it must have no side effects.
type UpdateFunc func(cur Record, found bool) (next Record, op Op)

// Store holds greylisting state. Implementations must be safe for
// concurrent use and apply each Update atomically: no other update of the
// same key may interleave between reading cur and writing next. A store
// must not keep fn, or call it, after Update has returned ([Checker]
// reuses its update functions).
type Store interface {
	// Update reads the record of key, calls fn and applies its result.
	// It returns ctx.Err() (wrapped) without calling fn when ctx is done.
	Update(ctx context.Context, key Key, fn UpdateFunc) error
}

// Sweeper is implemented by stores that expire records on request (stores
// with native expiry, such as Redis, need not implement it).
type Sweeper interface {
	// Sweep deletes every record whose Last is before cutoff and returns
	// how many it deleted.
	Sweep(ctx context.Context, cutoff time.Time) (int, error)
}

// unix converts t to the stored uint32 seconds, clamped.
func unix(t time.Time) uint32 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	if s > int64(^uint32(0)) {
		return ^uint32(0)
	}
	return uint32(s)
}
