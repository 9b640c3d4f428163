package bench

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/dnsbl"
	"github.com/mailkit-go/mailkit/greylist"
)

// greyTriplets returns n distinct triplets from distinct /24s.
func greyTriplets(n int) []greylist.Triplet {
	ts := make([]greylist.Triplet, n)
	for i := range ts {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), 1})
		ts[i] = greylist.Triplet{
			IP:        ip,
			Sender:    "newsletter@sender" + strconv.Itoa(i%97) + ".example",
			Recipient: "user" + strconv.Itoa(i) + "@example.com",
		}
	}
	return ts
}

// BenchmarkGreylistKnown measures decisions per second for known (passed)
// triplets on the memory store. Goal: >= 1,000,000/s per core (-cpu 1).
func BenchmarkGreylistKnown(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	c := &greylist.Checker{Store: greylist.NewMemoryStore(nil), Now: func() time.Time { return now }}
	ts := greyTriplets(4096)
	for _, t := range ts {
		if _, err := c.Check(ctx, t); err != nil {
			b.Fatal(err)
		}
	}
	now = now.Add(10 * time.Minute)
	for _, t := range ts {
		if d, err := c.Check(ctx, t); err != nil || d.Action != greylist.Accept {
			b.Fatalf("setup: %v %v", d, err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	i := 0
	for b.Loop() {
		d, err := c.Check(ctx, ts[i&4095])
		if err != nil || d.Action != greylist.Accept {
			b.Fatalf("%v %v", d, err)
		}
		i++
	}
	if el := time.Since(start).Seconds(); el > 0 {
		b.ReportMetric(float64(i)/el, "decisions/s")
	}
}

// BenchmarkGreylistMemoryPerTriplet stores 1,000,000 triplets in the memory
// store and reports the heap growth per triplet. Goal: <= 100 bytes.
func BenchmarkGreylistMemoryPerTriplet(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	for b.Loop() {
		b.StopTimer()
		ts := greyTriplets(n) // allocated before the baseline
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		s := greylist.NewMemoryStore(nil)
		c := &greylist.Checker{Store: s, Now: func() time.Time { return now }, SweepInterval: -1}
		for _, t := range ts {
			if _, err := c.Check(ctx, t); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		if s.Len() != n {
			b.Fatalf("stored %d, want %d", s.Len(), n)
		}
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "bytes/triplet")
		runtime.KeepAlive(s)
		runtime.KeepAlive(ts)
		b.StartTimer()
	}
}

// slowListResolver answers every list at once, except the list "slow.bench"
// which takes 50 ms.
type slowListResolver struct{ delay time.Duration }

func (r slowListResolver) LookupNetIP(ctx context.Context, _, host string) ([]netip.Addr, error) {
	if strings.HasSuffix(host, ".slow.bench") {
		t := time.NewTimer(r.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, &net.DNSError{Err: "i/o timeout", Name: host, IsTimeout: true}
		}
	}
	if strings.HasPrefix(host, "2.0.0.127.") {
		return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (slowListResolver) LookupTXT(context.Context, string) ([]string, error) { return nil, nil }

// BenchmarkDNSBLSlowList checks one address against 10 lists, one of which
// takes 50 ms: a check takes about 50 ms (concurrent), not the sum.
func BenchmarkDNSBLSlowList(b *testing.B) {
	lists := []dnsbl.List{{Zone: "slow.bench"}}
	for i := range 9 {
		lists = append(lists, dnsbl.List{Zone: "fast" + strconv.Itoa(i) + ".bench"})
	}
	c := &dnsbl.Checker{Resolver: slowListResolver{delay: 50 * time.Millisecond}, Lists: lists}
	ctx := context.Background()
	ip := netip.MustParseAddr("127.0.0.2")
	start := time.Now()
	n := 0
	for b.Loop() {
		res, err := c.Check(ctx, dnsbl.Query{IP: ip})
		if err != nil || res.Score != 10 {
			b.Fatalf("score %d err %v", res.Score, err)
		}
		n++
	}
	if n > 0 {
		b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(n), "ms/check")
		b.ReportMetric(50, "ms-slowest-list")
	}
}
