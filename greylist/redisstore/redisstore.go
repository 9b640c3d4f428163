package redisstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailkit-go/mailkit/greylist"
)

// ErrConflict means the key kept changing under the transaction.
var ErrConflict = errors.New("redisstore: too many conflicting updates")

// ErrBadValue means a stored value is not a record.
var ErrBadValue = errors.New("redisstore: stored value is not a greylist record")

// Store is a greylist.Store on Redis.
type Store struct {
	// Client is the Redis client (a *redis.Client, *redis.ClusterClient or
	// *redis.Ring).
	Client redis.UniversalClient
	// Prefix is prepended to keys (default "mailkit:greylist:").
	Prefix string
	// TTL is the lifetime of a record after its last write (default
	// greylist.DefaultExpiry).
	TTL time.Duration
	// MaxRetries bounds the optimistic-transaction retries (default 32),
	// with a random back-off of up to 10 ms between them.
	MaxRetries int
}

// New returns a store on client with the defaults.
func New(client redis.UniversalClient) *Store { return &Store{Client: client} }

func (s *Store) key(k greylist.Key) string {
	p := s.Prefix
	if p == "" {
		p = "mailkit:greylist:"
	}
	return p + string(k[:])
}

// Update implements greylist.Store.
func (s *Store) Update(ctx context.Context, key greylist.Key, fn greylist.UpdateFunc) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: %w", err)
	}
	k := s.key(key)
	ttl := s.TTL
	if ttl <= 0 {
		ttl = greylist.DefaultExpiry
	}
	tries := s.MaxRetries
	if tries <= 0 {
		tries = 32
	}
	txf := func(tx *redis.Tx) error {
		var cur greylist.Record
		found := false
		b, err := tx.Get(ctx, k).Bytes()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return err
		case len(b) != 12:
			return fmt.Errorf("%w: %d bytes", ErrBadValue, len(b))
		default:
			found = true
			cur = greylist.Record{
				First: binary.BigEndian.Uint32(b[0:]),
				Last:  binary.BigEndian.Uint32(b[4:]),
				Count: binary.BigEndian.Uint32(b[8:]),
			}
		}
		next, op := fn(cur, found)
		switch op {
		case greylist.OpKeep:
			return nil
		case greylist.OpPut:
			var v [12]byte
			binary.BigEndian.PutUint32(v[0:], next.First)
			binary.BigEndian.PutUint32(v[4:], next.Last)
			binary.BigEndian.PutUint32(v[8:], next.Count)
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, k, v[:], ttl)
				return nil
			})
			return err
		case greylist.OpDelete:
			if !found {
				return nil
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Del(ctx, k)
				return nil
			})
			return err
		default:
			return fmt.Errorf("unknown op %d", op)
		}
	}
	for i := range tries {
		err := s.Client.Watch(ctx, txf, k)
		if errors.Is(err, redis.TxFailedErr) {
			// Back off a random while, growing with the attempts, so
			// contending writers spread out.
			d := time.Duration(rand.Int64N(int64(min(i+1, 10)) * int64(time.Millisecond)))
			select {
			case <-ctx.Done():
				return fmt.Errorf("redisstore: %w", ctx.Err())
			case <-time.After(d):
			}
			continue
		}
		if errors.Is(err, ErrBadValue) {
			return err // already prefixed
		}
		if err != nil {
			return fmt.Errorf("redisstore: %w", err)
		}
		return nil
	}
	return ErrConflict
}
