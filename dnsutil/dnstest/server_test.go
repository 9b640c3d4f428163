package dnstest_test

import (
	"context"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
)

func startServer(t *testing.T, z *dnstest.Zone) *dnstest.Server {
	t.Helper()
	s, err := dnstest.NewServer(z)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// goResolver is a stock net.Resolver (pure Go) that talks to addr only.
func goResolver(addr string) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
}

func TestServerWithNetResolver(t *testing.T) {
	t.Parallel()
	z := newTestZone(t)
	s := startServer(t, z)
	r := goResolver(s.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	mx, err := r.LookupMX(ctx, "example.com")
	require.NoError(t, err)
	require.Len(t, mx, 2)
	assert.Equal(t, "mx1.example.com.", mx[0].Host) // net.Resolver sorts

	txt, err := r.LookupTXT(ctx, "example.com")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"v=spf1 -all", "second"}, txt)

	addrs, err := r.LookupNetIP(ctx, "ip4", "www.example.com")
	require.NoError(t, err)
	require.Len(t, addrs, 1)
	assert.Equal(t, "192.0.2.1", addrs[0].String())

	names, err := r.LookupAddr(ctx, "192.0.2.1")
	require.NoError(t, err)
	assert.Equal(t, []string{"mx1.example.com."}, names)

	_, err = r.LookupTXT(ctx, "nope.example.com")
	de := dnsErr(t, err)
	assert.True(t, de.IsNotFound)

	z.SetFault("example.com", dns.TypeMX, dnstest.FaultServFail)
	_, err = r.LookupMX(ctx, "example.com")
	require.Error(t, err)
	assert.False(t, dnsErr(t, err).IsNotFound)
}

func TestServerTruncation(t *testing.T) {
	t.Parallel()
	z := newTestZone(t)
	big := &dns.TXT{Hdr: dns.RR_Header{Name: "big.example.com.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}}
	for range 6 {
		big.Txt = append(big.Txt, strings.Repeat("x", 200))
	}
	z.AddRR(big)
	s := startServer(t, z)

	exchange := func(network, name string, qtype uint16, edns uint16) *dns.Msg {
		t.Helper()
		c := &dns.Client{Net: network, Timeout: 5 * time.Second}
		m := new(dns.Msg).SetQuestion(name, qtype)
		if edns > 0 {
			m.SetEdns0(edns, false)
		}
		r, _, err := c.Exchange(m, s.Addr())
		require.NoError(t, err)
		return r
	}

	t.Run("automatic when larger than 512 without EDNS0", func(t *testing.T) {
		r := exchange("udp", "big.example.com.", dns.TypeTXT, 0)
		assert.True(t, r.Truncated)
		assert.Empty(t, r.Answer)
		r = exchange("udp", "big.example.com.", dns.TypeTXT, 4096)
		assert.False(t, r.Truncated)
		require.Len(t, r.Answer, 1)
		require.NotNil(t, r.IsEdns0(), "EDNS0 echoed")
		r = exchange("tcp", "big.example.com.", dns.TypeTXT, 0)
		assert.False(t, r.Truncated)
		require.Len(t, r.Answer, 1)
	})
	t.Run("FaultTruncate", func(t *testing.T) {
		z.SetFault("example.com", dns.TypeMX, dnstest.FaultTruncate)
		r := exchange("udp", "example.com.", dns.TypeMX, 4096)
		assert.True(t, r.Truncated)
		assert.Empty(t, r.Answer)
		r = exchange("tcp", "example.com.", dns.TypeMX, 4096)
		assert.False(t, r.Truncated)
		assert.Len(t, r.Answer, 2)
	})
	t.Run("net.Resolver retries over TCP", func(t *testing.T) {
		txt, err := goResolver(s.Addr()).LookupTXT(context.Background(), "big.example.com")
		require.NoError(t, err)
		assert.Equal(t, []string{strings.Repeat("x", 1200)}, txt)
	})
}

func TestServerTimeoutAndRequests(t *testing.T) {
	t.Parallel()
	z := newTestZone(t)
	z.SetFault("example.com", dns.TypeANY, dnstest.FaultTimeout)
	s := startServer(t, z)
	c := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}
	m := new(dns.Msg).SetQuestion("example.com.", dns.TypeTXT).SetEdns0(1232, false)
	_, _, err := c.Exchange(m, s.Addr())
	require.Error(t, err, "no answer expected")

	// The client gave up; on a loaded machine the server may still be
	// about to log the query.
	require.Eventually(t, func() bool { return len(s.Requests()) == 1 }, 10*time.Second, 5*time.Millisecond)
	reqs := s.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "udp", reqs[0].Network)
	opt := reqs[0].Msg.IsEdns0()
	require.NotNil(t, opt)
	assert.Equal(t, uint16(1232), opt.UDPSize())
	assert.Equal(t, []dnstest.Query{{Name: "example.com.", Type: dns.TypeTXT}}, z.Queries())
	assert.Same(t, z, s.Zone())
	s.ResetRequests()
	assert.Empty(t, s.Requests())
}

func TestServerClose(t *testing.T) {
	t.Parallel()
	s, err := dnstest.NewServer(dnstest.NewZone())
	require.NoError(t, err)
	addr := s.Addr()
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	_, err = net.DialTimeout("tcp", addr, time.Second)
	require.Error(t, err, "TCP listener closed")
	_, err = dnstest.NewServer(nil)
	require.Error(t, err)
}

// serverGoroutines counts goroutines running code of miekg/dns or of
// this package's server.
func serverGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/miekg/dns.") || strings.Contains(g, "dnstest.(*Server)") {
			count++
		}
	}
	return count
}

// TestServerCloseLeavesNoGoroutines is deliberately not parallel: while it
// runs, the parallel tests of the package are paused, so every server
// goroutine seen belongs to it.
func TestServerCloseLeavesNoGoroutines(t *testing.T) {
	require.Eventually(t, func() bool { return serverGoroutines() == 0 }, 10*time.Second, 10*time.Millisecond,
		"no server goroutines before the test")
	z := newTestZone(t)
	z.SetFault("slow.example.com", dns.TypeANY, dnstest.FaultTimeout)
	s, err := dnstest.NewServer(z)
	require.NoError(t, err)

	// An answered UDP query, an answered TCP query on a connection that
	// stays open, and a TCP query that is never answered.
	u := &dns.Client{Net: "udp", Timeout: 10 * time.Second}
	_, _, err = u.Exchange(new(dns.Msg).SetQuestion("example.com.", dns.TypeMX), s.Addr())
	require.NoError(t, err)
	idle, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	defer idle.Close()
	dc := &dns.Conn{Conn: idle}
	require.NoError(t, dc.WriteMsg(new(dns.Msg).SetQuestion("example.com.", dns.TypeTXT)))
	_, err = dc.ReadMsg()
	require.NoError(t, err)
	hung, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	defer hung.Close()
	hc := &dns.Conn{Conn: hung}
	require.NoError(t, hc.WriteMsg(new(dns.Msg).SetQuestion("slow.example.com.", dns.TypeA)))
	require.Eventually(t, func() bool { return len(s.Requests()) == 3 }, 10*time.Second, 5*time.Millisecond)
	require.NotZero(t, serverGoroutines())

	require.NoError(t, s.Close())
	require.Eventually(t, func() bool { return serverGoroutines() == 0 }, 10*time.Second, 10*time.Millisecond,
		"server goroutines left after Close")
}
