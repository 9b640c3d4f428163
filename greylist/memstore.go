package greylist

import (
	"context"
	"fmt"
	"sync"
	"time"
)

const memShards = 64

// DefaultMaxEntries bounds a [MemoryStore] when MemoryOptions.MaxEntries is
// zero: 10 million records, about 0.5 GiB.
const DefaultMaxEntries = 10_000_000

// MemoryOptions configures [NewMemoryStore]. A nil *MemoryOptions selects
// the defaults.
type MemoryOptions struct {
	// MaxEntries bounds the number of records (default
	// DefaultMaxEntries). When full, inserting evicts the least recently
	// seen of a few sampled records.
	MaxEntries int
}

// MemoryStore is an in-memory [Store] and [Sweeper]: sharded maps from the
// 16-byte key to a 12-byte record (about 40-60 bytes per record including
// map overhead). It is safe for concurrent use.
type MemoryStore struct {
	shards   [memShards]memShard
	perShard int
}

type memShard struct {
	mu sync.Mutex
	m  map[Key]Record
	_  [48]byte // keep shards on separate cache lines
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore(opts *MemoryOptions) *MemoryStore {
	max := DefaultMaxEntries
	if opts != nil && opts.MaxEntries > 0 {
		max = opts.MaxEntries
	}
	s := &MemoryStore{perShard: (max + memShards - 1) / memShards}
	for i := range s.shards {
		s.shards[i].m = make(map[Key]Record)
	}
	return s
}

func (s *MemoryStore) shard(k Key) *memShard { return &s.shards[k[0]%memShards] }

// Update implements [Store].
func (s *MemoryStore) Update(ctx context.Context, key Key, fn UpdateFunc) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("greylist: %w", err)
	}
	sh := s.shard(key)
	sh.mu.Lock()
	cur, found := sh.m[key]
	next, op := fn(cur, found)
	switch op {
	case OpPut:
		if !found && len(sh.m) >= s.perShard {
			sh.evict()
		}
		sh.m[key] = next
	case OpDelete:
		delete(sh.m, key)
	}
	sh.mu.Unlock()
	return nil
}

// evict removes the least recently seen of up to 8 records sampled by map
// iteration. sh.mu is held.
func (sh *memShard) evict() {
	var victim Key
	var oldest uint32
	n := 0
	for k, r := range sh.m {
		if n == 0 || r.Last < oldest {
			victim, oldest = k, r.Last
		}
		if n++; n == 8 {
			break
		}
	}
	if n > 0 {
		delete(sh.m, victim)
	}
}

// Get returns the record of key (for tests and tools).
func (s *MemoryStore) Get(key Key) (Record, bool) {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	r, ok := sh.m[key]
	return r, ok
}

// Len returns the number of records.
func (s *MemoryStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// Sweep implements [Sweeper]. It locks one shard at a time.
func (s *MemoryStore) Sweep(ctx context.Context, cutoff time.Time) (int, error) {
	c := unix(cutoff)
	n := 0
	for i := range s.shards {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("greylist: %w", err)
		}
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, r := range sh.m {
			if r.Last < c {
				delete(sh.m, k)
				n++
			}
		}
		sh.mu.Unlock()
	}
	return n, nil
}
