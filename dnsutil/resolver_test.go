package dnsutil_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/dnsutil"
	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
)

const zoneText = `
$ORIGIN example.com.
$TTL 300
@        IN SOA ns1 hostmaster ( 1 3600 600 86400 60 )
         IN MX  20 mx2
         IN MX  10 mx1
         IN TXT "v=spf1 " "-all"
mx1      IN A    192.0.2.1
         IN AAAA 2001:db8::1
mx2  30  IN A    192.0.2.2
www      IN CNAME mx1
1.2.0.192.in-addr.arpa. IN PTR mx1.example.com.
xn--bcher-kva IN TXT "idn"
`

func newZone(t *testing.T) *dnstest.Zone {
	t.Helper()
	z, err := dnstest.ParseZone(zoneText)
	require.NoError(t, err)
	return z
}

func newServer(t *testing.T, z *dnstest.Zone) *dnstest.Server {
	t.Helper()
	s, err := dnstest.NewServer(z)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// blackhole is a UDP socket that reads queries and never answers. Each
// received packet is signalled on the returned channel.
func blackhole(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	got := make(chan struct{}, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			select {
			case got <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().String(), got
}

func dnsErr(t *testing.T, err error) *net.DNSError {
	t.Helper()
	var de *net.DNSError
	require.ErrorAs(t, err, &de)
	return de
}

func TestResolverLookups(t *testing.T) {
	t.Parallel()
	s := newServer(t, newZone(t))
	r := &dnsutil.Resolver{Servers: []string{s.Addr()}}
	ctx := context.Background()

	t.Run("TXT", func(t *testing.T) {
		txt, err := r.LookupTXT(ctx, "example.com")
		require.NoError(t, err)
		assert.Equal(t, []string{"v=spf1 -all"}, txt)
	})
	t.Run("MX sorted", func(t *testing.T) {
		mx, err := r.LookupMX(ctx, "example.com.")
		require.NoError(t, err)
		require.Len(t, mx, 2)
		assert.Equal(t, []net.MX{{Host: "mx1.example.com.", Pref: 10}, {Host: "mx2.example.com.", Pref: 20}}, []net.MX{*mx[0], *mx[1]})
	})
	t.Run("NetIP", func(t *testing.T) {
		addrs, err := r.LookupNetIP(ctx, "ip", "MX1.example.com")
		require.NoError(t, err)
		assert.Equal(t, []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}, addrs)
		ips, err := r.LookupIPAddr(ctx, "mx2.example.com")
		require.NoError(t, err)
		require.Len(t, ips, 1)
		assert.True(t, ips[0].IP.Equal(net.ParseIP("192.0.2.2")))
		hosts, err := r.LookupHost(ctx, "mx2.example.com")
		require.NoError(t, err)
		assert.Equal(t, []string{"192.0.2.2"}, hosts)
	})
	t.Run("PTR", func(t *testing.T) {
		names, err := r.LookupAddr(ctx, "192.0.2.1")
		require.NoError(t, err)
		assert.Equal(t, []string{"mx1.example.com."}, names)
	})
	t.Run("CNAME", func(t *testing.T) {
		c, err := r.LookupCNAME(ctx, "www.example.com")
		require.NoError(t, err)
		assert.Equal(t, "mx1.example.com.", c)
		addrs, err := r.LookupNetIP(ctx, "ip4", "www.example.com")
		require.NoError(t, err)
		assert.Equal(t, []netip.Addr{netip.MustParseAddr("192.0.2.1")}, addrs)
	})
	t.Run("IDN", func(t *testing.T) {
		txt, err := r.LookupTXT(ctx, "bücher.example.com")
		require.NoError(t, err)
		assert.Equal(t, []string{"idn"}, txt)
	})
	t.Run("invalid name", func(t *testing.T) {
		_, err := r.LookupTXT(ctx, strings.Repeat("a", 64)+".example.com")
		assert.True(t, dnsErr(t, err).IsNotFound)
	})
	t.Run("NXDOMAIN is not found", func(t *testing.T) {
		_, err := r.LookupTXT(ctx, "nope.example.com")
		de := dnsErr(t, err)
		assert.True(t, de.IsNotFound)
		assert.False(t, de.IsTemporary)
	})
	t.Run("NODATA is not found", func(t *testing.T) {
		_, err := r.LookupMX(ctx, "mx1.example.com")
		de := dnsErr(t, err)
		assert.True(t, de.IsNotFound)
		assert.False(t, de.IsTemporary)
	})
}

func TestResolverQueryRaw(t *testing.T) {
	t.Parallel()
	s := newServer(t, newZone(t))
	r := &dnsutil.Resolver{Servers: []string{s.Addr()}}
	m, err := r.Query(context.Background(), "nope.example.com", dns.TypeA)
	require.NoError(t, err, "NXDOMAIN is a response, not an error, for Query")
	assert.Equal(t, dns.RcodeNameError, m.Rcode)
	require.Len(t, m.Ns, 1)

	reqs := s.Requests()
	require.Len(t, reqs, 1)
	q := reqs[0].Msg
	assert.Equal(t, "udp", reqs[0].Network)
	opt := q.IsEdns0()
	require.NotNil(t, opt, "EDNS0 OPT record present")
	assert.Equal(t, uint16(4096), opt.UDPSize())
	assert.True(t, q.RecursionDesired)
	assert.True(t, q.AuthenticatedData)
}

func TestResolverTruncationRetriesTCP(t *testing.T) {
	t.Parallel()
	z := newZone(t)
	big := &dns.TXT{Hdr: dns.RR_Header{Name: "big.example.com.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}}
	for range 4 {
		big.Txt = append(big.Txt, strings.Repeat("y", 250))
	}
	z.AddRR(big)
	s := newServer(t, z)

	t.Run("FaultTruncate", func(t *testing.T) {
		z.SetFault("example.com", dns.TypeMX, dnstest.FaultTruncate)
		s.ResetRequests()
		r := &dnsutil.Resolver{Servers: []string{s.Addr()}}
		mx, err := r.LookupMX(context.Background(), "example.com")
		require.NoError(t, err)
		assert.Len(t, mx, 2)
		reqs := s.Requests()
		require.Len(t, reqs, 2)
		assert.Equal(t, "udp", reqs[0].Network)
		assert.Equal(t, "tcp", reqs[1].Network)
	})
	t.Run("answer larger than payload size", func(t *testing.T) {
		s.ResetRequests()
		r := &dnsutil.Resolver{Servers: []string{s.Addr()}, UDPSize: 512}
		txt, err := r.LookupTXT(context.Background(), "big.example.com")
		require.NoError(t, err)
		assert.Equal(t, []string{strings.Repeat("y", 1000)}, txt)
		reqs := s.Requests()
		require.Len(t, reqs, 2)
		assert.Equal(t, "tcp", reqs[1].Network)
	})
	t.Run("fits in 4096 without TCP", func(t *testing.T) {
		s.ResetRequests()
		r := &dnsutil.Resolver{Servers: []string{s.Addr()}}
		_, err := r.LookupTXT(context.Background(), "big.example.com")
		require.NoError(t, err)
		assert.Len(t, s.Requests(), 1)
	})
}

func TestResolverTimeoutThenNextServer(t *testing.T) {
	t.Parallel()
	hole, got := blackhole(t)
	s := newServer(t, newZone(t))

	// The timeout applies to the answering server as well: keep it
	// generous so a loaded machine does not fail the good exchange.
	r := &dnsutil.Resolver{Servers: []string{hole, s.Addr()}, Timeout: time.Second, Attempts: 1}
	txt, err := r.LookupTXT(context.Background(), "example.com")
	require.NoError(t, err)
	assert.Equal(t, []string{"v=spf1 -all"}, txt)
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the first server was not asked")
	}

	r = &dnsutil.Resolver{Servers: []string{hole}, Timeout: 100 * time.Millisecond, Attempts: 2}
	_, err = r.LookupTXT(context.Background(), "example.com")
	de := dnsErr(t, err)
	assert.True(t, de.IsTimeout)
	assert.True(t, de.IsTemporary)
	assert.False(t, de.IsNotFound)

	// A server-side FaultTimeout behaves the same.
	z := newZone(t)
	z.SetFault("example.com", dns.TypeANY, dnstest.FaultTimeout)
	s2 := newServer(t, z)
	r = &dnsutil.Resolver{Servers: []string{s2.Addr()}, Timeout: 100 * time.Millisecond, Attempts: 1}
	_, err = r.LookupMX(context.Background(), "example.com")
	assert.True(t, dnsErr(t, err).IsTimeout)
}

func TestResolverServerFailures(t *testing.T) {
	t.Parallel()
	for _, f := range []dnstest.Fault{dnstest.FaultServFail, dnstest.FaultRefused} {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			bad := newZone(t)
			bad.SetFault("example.com", dns.TypeTXT, f)
			sBad := newServer(t, bad)
			good := newZone(t)
			sGood := newServer(t, good)

			r := &dnsutil.Resolver{Servers: []string{sBad.Addr()}, Attempts: 1}
			_, err := r.LookupTXT(context.Background(), "example.com")
			de := dnsErr(t, err)
			assert.True(t, de.IsTemporary)
			assert.False(t, de.IsNotFound)

			r = &dnsutil.Resolver{Servers: []string{sBad.Addr(), sGood.Addr()}, Attempts: 1}
			txt, err := r.LookupTXT(context.Background(), "example.com")
			require.NoError(t, err, "next server answers")
			assert.Equal(t, []string{"v=spf1 -all"}, txt)
		})
	}
	t.Run("connection refused moves on", func(t *testing.T) {
		t.Parallel()
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		dead := pc.LocalAddr().String()
		pc.Close()
		s := newServer(t, newZone(t))
		r := &dnsutil.Resolver{Servers: []string{dead, s.Addr()}, Attempts: 1}
		_, err = r.LookupTXT(context.Background(), "example.com")
		require.NoError(t, err)
	})
}

func TestResolverContext(t *testing.T) {
	t.Parallel()
	hole, got := blackhole(t)
	r := &dnsutil.Resolver{Servers: []string{hole}, Timeout: time.Minute, Attempts: 1}

	t.Run("cancelled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-got; cancel() }()
		_, err := r.LookupTXT(ctx, "example.com")
		require.Error(t, err)
		assert.ErrorIs(t, err, context.Canceled)
		dnsErr(t, err)
	})
	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := r.Query(ctx, "example.com", dns.TypeA)
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := r.LookupMX(ctx, "example.com")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.True(t, dnsErr(t, err).IsTimeout)
	})
}

// fakeClock is a manually advanced clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newCachedResolver(t *testing.T, z *dnstest.Zone) (*dnsutil.Resolver, *fakeClock) {
	t.Helper()
	s := newServer(t, z)
	clk := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	return &dnsutil.Resolver{Servers: []string{s.Addr()}, Cache: &dnsutil.Cache{Now: clk.Now}}, clk
}

func TestCacheExpiry(t *testing.T) {
	t.Parallel()
	z := newZone(t)
	r, clk := newCachedResolver(t, z)
	ctx := context.Background()

	m, err := r.Query(ctx, "mx2.example.com", dns.TypeA) // TTL 30
	require.NoError(t, err)
	require.Len(t, m.Answer, 1)
	assert.Equal(t, uint32(30), m.Answer[0].Header().Ttl)

	clk.Advance(10 * time.Second)
	m, err = r.Query(ctx, "MX2.example.com.", dns.TypeA)
	require.NoError(t, err)
	assert.Equal(t, uint32(20), m.Answer[0].Header().Ttl, "TTL reduced by age")
	addrs, err := r.LookupNetIP(ctx, "ip4", "mx2.example.com")
	require.NoError(t, err)
	assert.Len(t, addrs, 1)
	assert.Len(t, z.Queries(), 1, "served from cache")

	clk.Advance(20 * time.Second)
	_, err = r.Query(ctx, "mx2.example.com", dns.TypeA)
	require.NoError(t, err)
	assert.Len(t, z.Queries(), 2, "expired entry re-asked")
	st := r.Cache.Stats()
	assert.Equal(t, uint64(2), st.Hits)
	assert.Equal(t, uint64(2), st.Misses)
}

func TestCacheNegative(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		qname string
		qtype uint16
	}{
		{"NXDOMAIN", "nope.example.com", dns.TypeTXT},
		{"NODATA", "mx1.example.com", dns.TypeMX},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			z := newZone(t)
			r, clk := newCachedResolver(t, z)
			for range 3 {
				var err error
				if tc.qtype == dns.TypeMX {
					_, err = r.LookupMX(ctx, tc.qname)
				} else {
					_, err = r.LookupTXT(ctx, tc.qname)
				}
				assert.True(t, dnsErr(t, err).IsNotFound)
			}
			assert.Len(t, z.Queries(), 1, "negative answer cached")
			clk.Advance(59 * time.Second)
			m, err := r.Query(ctx, tc.qname, tc.qtype)
			require.NoError(t, err)
			require.Len(t, m.Ns, 1)
			assert.Equal(t, uint32(1), m.Ns[0].Header().Ttl)
			assert.Len(t, z.Queries(), 1)
			clk.Advance(time.Second) // SOA MINIMUM is 60
			_, _ = r.Query(ctx, tc.qname, tc.qtype)
			assert.Len(t, z.Queries(), 2)
		})
	}
	t.Run("no SOA, no negative caching", func(t *testing.T) {
		t.Parallel()
		z := dnstest.NewZone().MustAdd("a.example. 60 IN A 192.0.2.1")
		r, _ := newCachedResolver(t, z)
		for range 2 {
			_, err := r.LookupTXT(ctx, "nope.example")
			assert.True(t, dnsErr(t, err).IsNotFound)
		}
		assert.Len(t, z.Queries(), 2)
	})
	t.Run("SERVFAIL not cached", func(t *testing.T) {
		t.Parallel()
		z := newZone(t)
		z.SetFault("example.com", dns.TypeTXT, dnstest.FaultServFail)
		r, _ := newCachedResolver(t, z)
		r.Attempts = 1
		for range 2 {
			_, err := r.LookupTXT(ctx, "example.com")
			assert.True(t, dnsErr(t, err).IsTemporary)
		}
		assert.Len(t, z.Queries(), 2)
		assert.Equal(t, 0, r.Cache.Len())
	})
}

func TestCacheBounded(t *testing.T) {
	t.Parallel()
	z := dnstest.NewZone().MustAdd(
		"a.example. 300 IN A 192.0.2.1",
		"b.example. 300 IN A 192.0.2.2",
		"c.example. 300 IN A 192.0.2.3",
	)
	r, _ := newCachedResolver(t, z)
	r.Cache.MaxEntries = 2
	ctx := context.Background()
	for _, n := range []string{"a.example", "b.example", "a.example", "c.example"} {
		_, err := r.LookupNetIP(ctx, "ip4", n)
		require.NoError(t, err)
	}
	assert.Equal(t, 2, r.Cache.Len())
	z.ResetQueries()
	_, _ = r.LookupNetIP(ctx, "ip4", "a.example") // recently used: kept
	assert.Empty(t, z.Queries())
	_, _ = r.LookupNetIP(ctx, "ip4", "b.example") // least recently used: evicted
	assert.Len(t, z.Queries(), 1)
	r.Cache.Flush()
	assert.Equal(t, 0, r.Cache.Len())
}

func TestCacheBytesBounded(t *testing.T) {
	t.Parallel()
	z := dnstest.NewZone()
	for _, n := range []string{"a", "b", "c", "d"} {
		big := &dns.TXT{Hdr: dns.RR_Header{Name: n + ".example.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}}
		big.Txt = []string{strings.Repeat("x", 250), strings.Repeat("y", 250)}
		z.AddRR(big)
	}
	huge := &dns.TXT{Hdr: dns.RR_Header{Name: "huge.example.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}}
	for range 12 {
		huge.Txt = append(huge.Txt, strings.Repeat("z", 250))
	}
	z.AddRR(huge)
	r, _ := newCachedResolver(t, z)
	r.Cache.MaxBytes = 1800 // room for three ~540-byte answers, not four
	ctx := context.Background()
	for _, n := range []string{"a", "b", "c", "d"} {
		_, err := r.LookupTXT(ctx, n+".example")
		require.NoError(t, err)
	}
	st := r.Cache.Stats()
	assert.Equal(t, 3, st.Entries, "the oldest entry was evicted by size")
	assert.LessOrEqual(t, st.Bytes, 1800)
	assert.Greater(t, st.Bytes, 1000)
	z.ResetQueries()
	_, _ = r.LookupTXT(ctx, "d.example")
	assert.Empty(t, z.Queries(), "d is cached")
	_, _ = r.LookupTXT(ctx, "a.example")
	assert.Len(t, z.Queries(), 1, "a was evicted")

	// An answer larger than the whole budget is not stored and evicts
	// nothing.
	before := r.Cache.Stats()
	z.ResetQueries()
	for range 2 {
		txt, err := r.LookupTXT(ctx, "huge.example")
		require.NoError(t, err)
		require.Len(t, txt, 1)
	}
	assert.Len(t, z.Queries(), 2, "huge answer not cached")
	assert.Equal(t, before.Entries, r.Cache.Stats().Entries)
	r.Cache.Flush()
	assert.Equal(t, dnsutil.CacheStats{Hits: r.Cache.Stats().Hits, Misses: r.Cache.Stats().Misses}, r.Cache.Stats())
}

func TestCacheClockSetBack(t *testing.T) {
	t.Parallel()
	z := newZone(t)
	r, clk := newCachedResolver(t, z)
	ctx := context.Background()
	_, err := r.Query(ctx, "mx2.example.com", dns.TypeA) // TTL 30
	require.NoError(t, err)
	clk.Advance(-time.Hour)
	m, err := r.Query(ctx, "mx2.example.com", dns.TypeA)
	require.NoError(t, err)
	require.Len(t, m.Answer, 1)
	assert.Equal(t, uint32(30), m.Answer[0].Header().Ttl, "a clock set back does not wrap the TTL")
	assert.Len(t, z.Queries(), 1)
}

// listenUDPAndTCP opens a UDP socket and a TCP listener on the same
// loopback port (retrying when the TCP port is taken) and fails the test
// when it cannot.
func listenUDPAndTCP(t *testing.T) (net.PacketConn, net.Listener) {
	t.Helper()
	for range 20 {
		p, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		l, err := net.Listen("tcp", p.LocalAddr().String())
		if err == nil {
			return p, l
		}
		p.Close()
	}
	require.FailNow(t, "no port free for both UDP and TCP")
	return nil, nil
}

// hangingTCPServer answers every UDP query with TC set and accepts TCP
// connections that it never answers; each accepted connection is
// signalled on the returned channel.
func hangingTCPServer(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	pc, ln := listenUDPAndTCP(t)
	accepted := make(chan struct{}, 10)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		buf := make([]byte, 4096)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := new(dns.Msg)
			if q.Unpack(buf[:n]) != nil {
				continue
			}
			resp := new(dns.Msg).SetReply(q)
			resp.Truncated = true
			b, _ := resp.Pack()
			_, _ = pc.WriteTo(b, from)
		}
	}()
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			accepted <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		ln.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return pc.LocalAddr().String(), accepted
}

func TestResolverContextCancelledDuringTCP(t *testing.T) {
	t.Parallel()
	addr, accepted := hangingTCPServer(t)
	// Only the cancellation can end this call: without it the test hangs
	// until go test's -timeout fails it.
	r := &dnsutil.Resolver{Servers: []string{addr}, Timeout: time.Hour, Attempts: 1}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-accepted
		cancel()
	}()
	_, err := r.LookupTXT(ctx, "example.com")
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled, "the TCP retry stops when ctx is cancelled")
	assert.False(t, dnsErr(t, err).IsNotFound)
}

func TestResolverConfigErrors(t *testing.T) {
	t.Parallel()
	r := &dnsutil.Resolver{Servers: []string{"[bad"}}
	_, err := r.LookupMX(context.Background(), "example.com")
	de := dnsErr(t, err)
	assert.Contains(t, de.Err, "dnsutil: bad server address")
	assert.NotNil(t, errors.Unwrap(err), "the configuration error is wrapped")
	assert.False(t, de.IsNotFound)
}

func TestResolverConcurrent(t *testing.T) {
	t.Parallel()
	z := newZone(t)
	s := newServer(t, z)
	r := &dnsutil.Resolver{Servers: []string{s.Addr()}, Cache: &dnsutil.Cache{}}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 8 {
				if _, err := r.LookupMX(context.Background(), "example.com"); err != nil {
					errs <- err
				}
				if _, err := r.LookupHost(context.Background(), "mx1.example.com"); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// brokenUDPServer answers UDP with raw bytes built by reply and serves TCP
// on the same port from z.
func brokenUDPServer(t *testing.T, z *dnstest.Zone, reply func(q *dns.Msg) []byte) string {
	t.Helper()
	pc, ln := listenUDPAndTCP(t)
	tcp := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		r, err := z.Exchange(context.Background(), q)
		if err == nil {
			_ = w.WriteMsg(r)
		}
	})}
	go func() { _ = tcp.ActivateAndServe() }()
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := new(dns.Msg)
			if q.Unpack(buf[:n]) == nil {
				_, _ = pc.WriteTo(reply(q), from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done; _ = tcp.Shutdown() })
	return pc.LocalAddr().String()
}

func TestResolverBrokenUDPReplies(t *testing.T) {
	t.Parallel()
	z := newZone(t)
	for _, tc := range []struct {
		name  string
		reply func(q *dns.Msg) []byte
	}{
		{"TC reply cut mid-record", func(q *dns.Msg) []byte {
			r, _ := z.Exchange(context.Background(), q)
			r.Truncated = true
			b, _ := r.Pack()
			return b[:len(b)-3]
		}},
		{"oversized reply without TC", func(q *dns.Msg) []byte {
			r := new(dns.Msg).SetReply(q)
			for i := range 40 {
				r.Answer = append(r.Answer, &dns.TXT{
					Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 1},
					Txt: []string{strings.Repeat("z", 200), string(rune('a' + i%26))},
				})
			}
			b, _ := r.Pack()
			return b
		}},
		{"garbage then nothing", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.reply == nil {
				addr := brokenUDPServer(t, z, func(*dns.Msg) []byte { return []byte("garbage") })
				r := &dnsutil.Resolver{Servers: []string{addr}, Timeout: 100 * time.Millisecond, Attempts: 1}
				_, err := r.LookupMX(context.Background(), "example.com")
				assert.True(t, dnsErr(t, err).IsTimeout, "garbage ignored, then timeout")
				return
			}
			addr := brokenUDPServer(t, z, tc.reply)
			r := &dnsutil.Resolver{Servers: []string{addr}}
			mx, err := r.LookupMX(context.Background(), "example.com")
			require.NoError(t, err, "retried over TCP")
			assert.Len(t, mx, 2)
		})
	}
}

// TestCacheTTLCaps: MaxTTL and MaxNegativeTTL cap how long answers stay
// cached, whatever TTL the server gave.
func TestCacheTTLCaps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		qname string
		qtype uint16
		cache func(*dnsutil.Cache)
	}{
		{"positive", "mx2.example.com", dns.TypeA, func(c *dnsutil.Cache) { c.MaxTTL = 5 * time.Second }},            // zone TTL 30
		{"negative", "nope.example.com", dns.TypeTXT, func(c *dnsutil.Cache) { c.MaxNegativeTTL = 5 * time.Second }}, // NXDOMAIN
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			z := newZone(t)
			r, clk := newCachedResolver(t, z)
			tc.cache(r.Cache)
			_, _ = r.Query(ctx, tc.qname, tc.qtype)
			clk.Advance(4 * time.Second)
			_, _ = r.Query(ctx, tc.qname, tc.qtype)
			require.Len(t, z.Queries(), 1, "still cached within the cap")
			clk.Advance(2 * time.Second)
			_, _ = r.Query(ctx, tc.qname, tc.qtype)
			assert.Len(t, z.Queries(), 2, "expired at the cap, before the server's TTL")
		})
	}
}
