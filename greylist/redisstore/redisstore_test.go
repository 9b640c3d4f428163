package redisstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailkit-go/mailkit/greylist"
	"github.com/mailkit-go/mailkit/greylist/redisstore"
	"github.com/mailkit-go/mailkit/greylist/storetest"
)

// redisAddr is MAILKIT_REDIS_ADDR, or with MAILKIT_INTEROP=1 the interop
// harness's redis-server (127.0.0.1:16379 shifted by
// MAILKIT_PEERS_PORT_OFFSET).
func redisAddr() string {
	if a := os.Getenv("MAILKIT_REDIS_ADDR"); a != "" {
		return a
	}
	if os.Getenv("MAILKIT_INTEROP") == "1" {
		off, _ := strconv.Atoi(os.Getenv("MAILKIT_PEERS_PORT_OFFSET"))
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(16379+off))
	}
	return ""
}

// newStore returns a store on the Redis server at redisAddr with a fresh
// key prefix, so tests never see each other's keys.
func newStore(t *testing.T) *redisstore.Store {
	t.Helper()
	addr := redisAddr()
	if addr == "" {
		t.Skip("MAILKIT_REDIS_ADDR not set (e.g. 127.0.0.1:16379) and MAILKIT_INTEROP != 1")
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", addr, err)
	}
	var b [6]byte
	rand.Read(b[:])
	prefix := fmt.Sprintf("mailkit-test:%x:", b)
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return &redisstore.Store{Client: c, Prefix: prefix}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) greylist.Store { return newStore(t) })
}

func TestTTLAndBadValue(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	var k greylist.Key
	k[0] = 1
	err := s.Update(ctx, k, func(greylist.Record, bool) (greylist.Record, greylist.Op) {
		return greylist.Record{First: 1, Last: 2, Count: 3}, greylist.OpPut
	})
	if err != nil {
		t.Fatal(err)
	}
	ttl, err := s.Client.TTL(ctx, s.Prefix+string(k[:])).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > greylist.DefaultExpiry {
		t.Fatalf("TTL = %v, want (0, %v]", ttl, greylist.DefaultExpiry)
	}
	if err := s.Client.Set(ctx, s.Prefix+string(k[:]), "junk", 0).Err(); err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, k, func(r greylist.Record, _ bool) (greylist.Record, greylist.Op) {
		return r, greylist.OpKeep
	})
	if !errors.Is(err, redisstore.ErrBadValue) {
		t.Fatalf("a corrupt value: err = %v, want ErrBadValue", err)
	}
	if strings.Count(err.Error(), "redisstore:") != 1 {
		t.Fatalf("error %q: want exactly one package prefix", err)
	}
}

// TestFleetSharesState: two MX hosts, each with its own client and Checker
// on the same Redis, share one greylist: the retry accepted by the second
// host was first deferred by the first.
func TestFleetSharesState(t *testing.T) {
	a := newStore(t)
	c2 := redis.NewClient(&redis.Options{Addr: redisAddr()})
	t.Cleanup(func() { c2.Close() })
	b := &redisstore.Store{Client: c2, Prefix: a.Prefix}
	ctx := context.Background()
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	mx1 := &greylist.Checker{Store: a, Now: clock}
	mx2 := &greylist.Checker{Store: b, Now: clock}
	tr := greylist.Triplet{IP: netip.MustParseAddr("192.0.2.1"), Sender: "a@example.org", Recipient: "b@example.com"}
	d, err := mx1.Check(ctx, tr)
	if err != nil || d.Action != greylist.Defer {
		t.Fatalf("first attempt on mx1: %+v %v", d, err)
	}
	now = now.Add(greylist.DefaultDelay)
	d, err = mx2.Check(ctx, tr)
	if err != nil || d.Action != greylist.Accept || d.Reason != greylist.ReasonPassed {
		t.Fatalf("retry on mx2: %+v %v", d, err)
	}
}
