package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/greylist"
)

// Run runs the conformance tests against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) greylist.Store) {
	t.Helper()
	ctx := context.Background()

	t.Run("missing key", func(t *testing.T) {
		s := newStore(t)
		k := randKey(t)
		called := 0
		err := s.Update(ctx, k, func(cur greylist.Record, found bool) (greylist.Record, greylist.Op) {
			called++
			if found || cur != (greylist.Record{}) {
				t.Errorf("missing key: found=%v cur=%+v", found, cur)
			}
			return cur, greylist.OpKeep
		})
		noErr(t, err)
		if called == 0 {
			t.Fatal("update function not called")
		}
		if _, ok := get(t, s, k); ok {
			t.Fatal("OpKeep on a missing key stored something")
		}
	})

	t.Run("put get delete", func(t *testing.T) {
		s := newStore(t)
		k1, k2 := randKey(t), randKey(t)
		r1 := greylist.Record{First: 1_700_000_000, Last: 1_700_000_300, Count: 1}
		r2 := greylist.Record{First: 4_000_000_000, Last: 4_294_967_295, Count: 4_294_967_295}
		put(t, s, k1, r1)
		put(t, s, k2, r2)
		if got, ok := get(t, s, k1); !ok || got != r1 {
			t.Fatalf("get k1 = %+v, %v; want %+v", got, ok, r1)
		}
		if got, ok := get(t, s, k2); !ok || got != r2 {
			t.Fatalf("get k2 = %+v, %v; want %+v (full uint32 range)", got, ok, r2)
		}
		r1b := greylist.Record{First: 1_700_000_000, Last: 1_700_000_900, Count: 2}
		put(t, s, k1, r1b)
		if got, ok := get(t, s, k1); !ok || got != r1b {
			t.Fatalf("overwrite: get = %+v, %v; want %+v", got, ok, r1b)
		}
		noErr(t, s.Update(ctx, k1, func(greylist.Record, bool) (greylist.Record, greylist.Op) {
			return greylist.Record{}, greylist.OpDelete
		}))
		if _, ok := get(t, s, k1); ok {
			t.Fatal("deleted key still found")
		}
		if got, ok := get(t, s, k2); !ok || got != r2 {
			t.Fatalf("delete touched another key: %+v, %v", got, ok)
		}
		// Deleting a missing key is not an error.
		noErr(t, s.Update(ctx, k1, func(greylist.Record, bool) (greylist.Record, greylist.Op) {
			return greylist.Record{}, greylist.OpDelete
		}))
	})

	t.Run("keys differing in one byte are distinct", func(t *testing.T) {
		s := newStore(t)
		var a, b greylist.Key
		b[15] = 1
		put(t, s, a, greylist.Record{First: 1, Last: 1})
		put(t, s, b, greylist.Record{First: 2, Last: 2})
		ga, _ := get(t, s, a)
		gb, _ := get(t, s, b)
		if ga.First != 1 || gb.First != 2 {
			t.Fatalf("got %+v and %+v", ga, gb)
		}
	})

	t.Run("canceled context", func(t *testing.T) {
		s := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		err := s.Update(cctx, randKey(t), func(cur greylist.Record, _ bool) (greylist.Record, greylist.Op) {
			t.Error("update function called with a canceled context")
			return cur, greylist.OpKeep
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})

	t.Run("atomic increments", func(t *testing.T) {
		s := newStore(t)
		k := randKey(t)
		const workers, each = 4, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					err := s.Update(ctx, k, func(cur greylist.Record, _ bool) (greylist.Record, greylist.Op) {
						cur.Count++
						return cur, greylist.OpPut
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got, _ := get(t, s, k); got.Count != workers*each {
			t.Fatalf("count = %d, want %d: updates were not atomic", got.Count, workers*each)
		}
	})

	t.Run("greylisting story", func(t *testing.T) {
		s := newStore(t)
		now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
		c := &greylist.Checker{Store: s, Now: func() time.Time { return now }, SweepInterval: -1}
		tr := greylist.Triplet{IP: netip.MustParseAddr("192.0.2.1"), Sender: "a@example.org", Recipient: "b@example.com"}
		steps := []struct {
			after time.Duration
			want  greylist.Action
		}{{0, greylist.Defer}, {time.Minute, greylist.Defer}, {5 * time.Minute, greylist.Accept}, {time.Hour, greylist.Accept}}
		for i, st := range steps {
			now = now.Add(st.after)
			d, err := c.Check(ctx, tr)
			noErr(t, err)
			if d.Action != st.want {
				t.Fatalf("step %d: %v, want %v", i, d.Action, st.want)
			}
		}
	})

	t.Run("sweep", func(t *testing.T) {
		s := newStore(t)
		sw, ok := s.(greylist.Sweeper)
		if !ok {
			t.Skip("store does not implement greylist.Sweeper")
		}
		old, fresh := randKey(t), randKey(t)
		put(t, s, old, greylist.Record{First: 1000, Last: 1000})
		put(t, s, fresh, greylist.Record{First: 1000, Last: 3000})
		n, err := sw.Sweep(ctx, time.Unix(2000, 0))
		noErr(t, err)
		if n != 1 {
			t.Fatalf("swept %d, want 1", n)
		}
		if _, ok := get(t, s, old); ok {
			t.Fatal("old record survived the sweep")
		}
		if _, ok := get(t, s, fresh); !ok {
			t.Fatal("fresh record swept")
		}
	})
}

func randKey(t *testing.T) greylist.Key {
	var k greylist.Key
	if _, err := rand.Read(k[:]); err != nil {
		t.Fatal(err)
	}
	return k
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func put(t *testing.T, s greylist.Store, k greylist.Key, r greylist.Record) {
	t.Helper()
	noErr(t, s.Update(context.Background(), k, func(greylist.Record, bool) (greylist.Record, greylist.Op) {
		return r, greylist.OpPut
	}))
}

func get(t *testing.T, s greylist.Store, k greylist.Key) (greylist.Record, bool) {
	t.Helper()
	var got greylist.Record
	var found bool
	noErr(t, s.Update(context.Background(), k, func(cur greylist.Record, f bool) (greylist.Record, greylist.Op) {
		got, found = cur, f
		return cur, greylist.OpKeep
	}))
	return got, found
}
