package redisstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"

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
	if err == nil {
		t.Fatal("a corrupt value was accepted")
	}
}
