package dnsbl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miekg/dns"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
)

// zenZone mirrors the zen.test / dbl.test zones the interop harness serves.
const zenZone = `$ORIGIN zen.test.
$TTL 300
@ IN SOA ns1.example.test. hostmaster.example.test. ( 1 3600 600 86400 300 )
2.0.0.127       IN A    127.0.0.2
2.0.0.127       IN TXT  "127.0.0.2 is listed: RFC 5782 test point"
3.0.0.127       IN A    127.0.0.2
3.0.0.127       IN A    127.0.0.4
3.0.0.127       IN A    127.0.0.10
4.0.0.127       IN A    127.0.0.4
10.0.0.127      IN A    127.0.0.10
254.0.0.127     IN A    127.255.255.254
99.2.0.192      IN A    127.0.0.2
99.2.0.192      IN TXT  "192.0.2.99 listed: https://zen.test/query/ip/192.0.2.99"
5.2.0.192       IN A    192.0.2.1
2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN A 127.0.0.2
2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2 IN A 127.0.0.3
$ORIGIN dbl.test.
@ IN SOA ns1.example.test. hostmaster.example.test. ( 1 3600 600 86400 300 )
test                 IN A   127.0.1.2
test                 IN TXT "TEST is listed: RFC 5782 test point"
spammer.example.test IN A   127.0.1.2
x.bad.example.test   IN A   127.0.1.4
$ORIGIN wl.test.
@ IN SOA ns1.example.test. hostmaster.example.test. ( 1 3600 600 86400 300 )
2.0.0.127       IN A    127.0.10.2
1.2.0.192       IN A    127.0.10.3
$ORIGIN dead.test.
@ IN SOA ns1.example.test. hostmaster.example.test. ( 1 3600 600 86400 300 )
$ORIGIN all.test.
@ IN SOA ns1.example.test. hostmaster.example.test. ( 1 3600 600 86400 300 )
; dnstest has no wildcards: list the test points that must not be listed.
1.0.0.127       IN A    127.0.0.2
2.0.0.127       IN A    127.0.0.2
2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN A 127.0.0.2
1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN A 127.0.0.2
test            IN A    127.0.0.2
invalid         IN A    127.0.0.2
`

func zone(t *testing.T) *dnstest.Zone {
	t.Helper()
	z, err := dnstest.ParseZone(zenZone)
	require.NoError(t, err)
	return z
}

var zenCodes = []Code{
	{Match: netip.MustParsePrefix("127.0.0.2/32"), Weight: 3, Meaning: "SBL"},
	{Match: netip.MustParsePrefix("127.0.0.4/30"), Weight: 2, Meaning: "XBL"},
	{Match: netip.MustParsePrefix("127.0.0.10/31"), Weight: 1, Meaning: "PBL"},
}

func TestIPName(t *testing.T) {
	t.Parallel()
	tests := []struct{ ip, zone, want string }{
		// SCENARIOS.md §6.
		{"127.0.0.2", "zen.spamhaus.org", "2.0.0.127.zen.spamhaus.org"},
		{"192.0.2.99", "zen.test.", "99.2.0.192.zen.test"},
		{"2001:db8::2", "zen.test", "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.test"},
		{"::ffff:7f00:2", "zen.test", "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.zen.test"},
	}
	for _, tc := range tests {
		t.Run(tc.ip, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, IPName(netip.MustParseAddr(tc.ip), tc.zone))
		})
	}
	n, err := DomainName("Bücher.example", "dbl.test")
	require.NoError(t, err)
	assert.Equal(t, "xn--bcher-kva.example.dbl.test", n)
	_, err = DomainName(strings.Repeat("a.", 125)+"example", "dbl.test")
	require.ErrorIs(t, err, ErrBadQuery)
	_, err = DomainName("a..b", "dbl.test")
	require.ErrorIs(t, err, ErrBadQuery)
}

func TestInterpret(t *testing.T) {
	t.Parallel()
	a := func(ss ...string) []netip.Addr {
		var out []netip.Addr
		for _, s := range ss {
			out = append(out, netip.MustParseAddr(s))
		}
		return out
	}
	zen := &List{Zone: "zen.test", Codes: zenCodes}
	plain := &List{Zone: "plain.test", Weight: 2}
	allow := &List{Zone: "wl.test", Allow: true, Codes: []Code{
		{Match: netip.MustParsePrefix("127.0.10.2/32"), Weight: 1, Meaning: "low"},
		{Match: netip.MustParsePrefix("127.0.10.3/32"), Weight: 3, Meaning: "high"},
	}}
	tests := []struct {
		name     string
		list     *List
		addrs    []netip.Addr
		listed   bool
		weight   int
		meanings []string
		err      error
	}{
		{name: "no answer", list: zen, listed: false},
		{name: "one code", list: zen, addrs: a("127.0.0.2"), listed: true, weight: 3, meanings: []string{"SBL"}},
		{name: "several codes", list: zen, addrs: a("127.0.0.2", "127.0.0.4", "127.0.0.10"), listed: true, weight: 6, meanings: []string{"SBL", "XBL", "PBL"}},
		{name: "code counted once", list: zen, addrs: a("127.0.0.4", "127.0.0.5"), listed: true, weight: 2, meanings: []string{"XBL"}},
		{name: "unknown code ignored", list: zen, addrs: a("127.0.0.99"), listed: false},
		{name: "no codes: any answer", list: plain, addrs: a("127.0.0.99"), listed: true, weight: 2},
		{name: "default weight 1", list: &List{Zone: "x"}, addrs: a("127.0.0.2"), listed: true, weight: 1},
		{name: "allowlist negative", list: allow, addrs: a("127.0.10.3"), listed: true, weight: -3, meanings: []string{"high"}},
		{name: "outside 127/8", list: zen, addrs: a("192.0.2.1"), err: ErrBadAnswer},
		{name: "outside 127/8 mixed", list: zen, addrs: a("127.0.0.2", "10.0.0.1"), err: ErrBadAnswer},
		{name: "IPv6 answer", list: zen, addrs: a("::1"), err: ErrBadAnswer},
		{name: "mapped loopback is IPv4", list: plain, addrs: a("::ffff:127.0.0.2"), listed: true, weight: 2},
		{name: "refused", list: zen, addrs: a("127.255.255.254"), err: ErrRefused},
		{name: "rate limited", list: plain, addrs: a("127.255.255.255"), err: ErrRefused},
		{name: "typo domain", list: plain, addrs: a("127.0.0.2", "127.255.255.252"), err: ErrRefused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, err := Interpret(tc.list, tc.addrs)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.False(t, l.Listed)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.listed, l.Listed)
			assert.Equal(t, tc.weight, l.Weight)
			assert.Equal(t, tc.meanings, l.Meanings)
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	z := zone(t)
	lists := []List{
		{Zone: "zen.test", Codes: zenCodes},
		{Zone: "dbl.test", Kind: DomainList, Weight: 2},
		{Zone: "wl.test", Allow: true, IPv4Only: true, Codes: []Code{
			{Match: netip.MustParsePrefix("127.0.10.0/24"), Weight: 5, Meaning: "dnswl"},
		}},
	}
	tests := []struct {
		name    string
		q       Query
		verdict Verdict
		score   int
		queries int
		errs    []error
	}{
		{name: "test point listed", q: Query{IP: netip.MustParseAddr("127.0.0.2")}, verdict: Allow, score: 3 - 5, queries: 2},
		{name: "not listed", q: Query{IP: netip.MustParseAddr("127.0.0.1")}, verdict: Neutral, score: 0, queries: 2},
		{name: "several return codes", q: Query{IP: netip.MustParseAddr("127.0.0.3")}, verdict: Block, score: 6, queries: 2},
		{name: "PBL only", q: Query{IP: netip.MustParseAddr("127.0.0.10")}, verdict: Block, score: 1, queries: 2},
		{name: "refused is an error, not a listing", q: Query{IP: netip.MustParseAddr("127.0.0.254")}, verdict: Neutral, queries: 2, errs: []error{ErrRefused}},
		{name: "bad answer is an error", q: Query{IP: netip.MustParseAddr("192.0.2.5")}, verdict: Neutral, queries: 2, errs: []error{ErrBadAnswer}},
		{name: "allowlisted", q: Query{IP: netip.MustParseAddr("192.0.2.1")}, verdict: Allow, score: -5, queries: 2},
		{name: "mapped IPv4 queried as IPv4", q: Query{IP: netip.MustParseAddr("::ffff:192.0.2.99")}, verdict: Block, score: 3, queries: 2},
		{name: "IPv6 nibbles; v4-only list skipped", q: Query{IP: netip.MustParseAddr("2001:db8::2")}, verdict: Neutral, score: 0, queries: 1},
		{name: "domains", q: Query{Domains: []string{"spammer.example.test", "x.bad.example.test", "good.example.test", "SPAMMER.example.test."}}, verdict: Block, score: 4, queries: 3},
		{name: "bad domain", q: Query{Domains: []string{"a..b"}}, verdict: Neutral, errs: []error{ErrBadQuery}},
		{name: "nothing to check", q: Query{}, verdict: Neutral},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &Checker{Resolver: z, Lists: lists}
			res, err := c.Check(context.Background(), tc.q)
			require.NoError(t, err)
			assert.Equal(t, tc.verdict, res.Verdict)
			assert.Equal(t, tc.score, res.Score)
			errs := res.Errors()
			require.Len(t, errs, len(tc.errs))
			for i, e := range tc.errs {
				assert.ErrorIs(t, errs[i].Err, e)
			}
			assert.Len(t, res.Results, tc.queries+len(tc.errs)-countNamed(errs))
		})
	}
}

// countNamed counts the failed results that were actual queries.
func countNamed(errs []ListResult) int {
	n := 0
	for _, e := range errs {
		if e.Name != "" {
			n++
		}
	}
	return n
}

func TestThresholds(t *testing.T) {
	t.Parallel()
	z := zone(t)
	c := &Checker{Resolver: z, Lists: []List{{Zone: "zen.test", Codes: zenCodes}}, Threshold: 4}
	res, err := c.Check(context.Background(), Query{IP: netip.MustParseAddr("127.0.0.2")})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Score)
	assert.Equal(t, Neutral, res.Verdict)
	res, err = c.Check(context.Background(), Query{IP: netip.MustParseAddr("127.0.0.3")})
	require.NoError(t, err)
	assert.Equal(t, Block, res.Verdict)
	require.Len(t, res.Listed(), 1)
	assert.Equal(t, []string{"SBL", "XBL", "PBL"}, res.Listed()[0].Meanings)
}

func TestReason(t *testing.T) {
	t.Parallel()
	z := zone(t)
	c := &Checker{Resolver: z, Lists: []List{{Zone: "zen.test"}}}
	res, err := c.Check(context.Background(), Query{IP: netip.MustParseAddr("127.0.0.2")})
	require.NoError(t, err)
	for _, q := range z.Queries() {
		assert.NotEqual(t, "TXT", strings.Fields(q.String())[1], "TXT is fetched on demand only")
	}
	l := res.Listed()
	require.Len(t, l, 1)
	txt, err := c.Reason(context.Background(), l[0])
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.2 is listed: RFC 5782 test point", txt)

	res, err = c.Check(context.Background(), Query{IP: netip.MustParseAddr("127.0.0.4")})
	require.NoError(t, err)
	_, err = c.Reason(context.Background(), res.Results[0])
	var de *net.DNSError
	require.ErrorAs(t, err, &de)
	assert.True(t, de.IsNotFound)
	_, err = c.Reason(context.Background(), ListResult{})
	require.ErrorIs(t, err, ErrBadQuery)
}

func TestLocalListsDecideFirst(t *testing.T) {
	t.Parallel()
	z := zone(t)
	allow, err := ParseLocalList(strings.NewReader("127.0.0.2\npartner.example\n"), nil)
	require.NoError(t, err)
	block, err := ParseLocalList(strings.NewReader("203.0.113.0/24\nspam@bad.example\n"), nil)
	require.NoError(t, err)
	c := &Checker{Resolver: z, Lists: []List{{Zone: "zen.test", Weight: 10}}, LocalAllow: allow, LocalBlock: block}
	tests := []struct {
		q     Query
		want  Verdict
		local string
	}{
		{Query{IP: netip.MustParseAddr("127.0.0.2")}, Allow, "127.0.0.2"},
		{Query{IP: netip.MustParseAddr("203.0.113.9")}, Block, "203.0.113.0/24"},
		{Query{IP: netip.MustParseAddr("192.0.2.99"), Sender: "Spam@Bad.Example"}, Block, "spam@bad.example"},
		{Query{IP: netip.MustParseAddr("203.0.113.9"), Domains: []string{"mx.partner.example"}}, Allow, "partner.example"},
		{Query{IP: netip.MustParseAddr("192.0.2.99")}, Block, ""},
	}
	for _, tc := range tests {
		z.ResetQueries()
		res, err := c.Check(context.Background(), tc.q)
		require.NoError(t, err)
		assert.Equal(t, tc.want, res.Verdict, "%+v", tc.q)
		assert.Equal(t, tc.local, res.Local)
		if tc.local != "" {
			assert.Empty(t, z.Queries(), "a local match needs no DNS")
		}
	}
}

// slowResolver blocks on one zone until the query's context is done.
type slowResolver struct {
	inner   Resolver
	slow    string
	pending atomic.Int32
}

func (s *slowResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if strings.HasSuffix(host, "."+s.slow) {
		s.pending.Add(1)
		<-ctx.Done()
		return nil, &net.DNSError{Err: "i/o timeout", Name: host, IsTimeout: true, IsTemporary: true}
	}
	return s.inner.LookupNetIP(ctx, network, host)
}

func (s *slowResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return s.inner.LookupTXT(ctx, name)
}

func TestPerListTimeout(t *testing.T) {
	t.Parallel()
	r := &slowResolver{inner: zone(t), slow: "dead.test"}
	c := &Checker{Resolver: r, Lists: []List{
		{Zone: "dead.test", Timeout: 20 * time.Millisecond},
		{Zone: "zen.test", Weight: 2},
	}}
	res, err := c.Check(context.Background(), Query{IP: netip.MustParseAddr("127.0.0.2")})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Score, "the hanging list does not stop the others")
	assert.Equal(t, Block, res.Verdict)
	errs := res.Errors()
	require.Len(t, errs, 1)
	assert.Equal(t, "dead.test", errs[0].List.Zone)
	var de *net.DNSError
	require.ErrorAs(t, errs[0].Err, &de)
	assert.True(t, de.IsTimeout)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Check(ctx, Query{IP: netip.MustParseAddr("127.0.0.2")})
	require.ErrorIs(t, err, context.Canceled)
}

func TestTooManyQueries(t *testing.T) {
	t.Parallel()
	var lists []List
	for range 5 {
		lists = append(lists, List{Zone: "dbl.test", Kind: DomainList})
	}
	c := &Checker{Resolver: zone(t), Lists: lists, Limits: Limits{MaxQueries: 8}}
	_, err := c.Check(context.Background(), Query{Domains: []string{"a.test", "b.test"}})
	require.ErrorIs(t, err, ErrTooMany)
}

func TestHealth(t *testing.T) {
	t.Parallel()
	z := zone(t)
	c := &Checker{Resolver: z}
	tests := []struct {
		name    string
		list    List
		problem string
		err     error
	}{
		{name: "healthy IP list", list: List{Zone: "zen.test"}},
		{name: "healthy domain list", list: List{Zone: "dbl.test", Kind: DomainList}},
		{name: "dead list", list: List{Zone: "dead.test", IPv4Only: true}, problem: "test point not listed"},
		{name: "lists everything", list: List{Zone: "all.test"}, problem: "everything listed"},
		{name: "domain list lists everything", list: List{Zone: "all.test", Kind: DomainList}, problem: "everything listed"},
		{name: "IP list missing IPv6 test point", list: List{Zone: "wl.test"}, problem: "test point not listed"},
		{name: "list answering garbage", list: List{Zone: "nx.invalid"}, problem: "test point not listed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := c.Health(context.Background(), tc.list)
			if tc.problem == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrUnhealthy)
			var he *HealthError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, tc.problem, he.Problem)
			assert.Contains(t, err.Error(), tc.list.Zone)
		})
	}
	t.Run("lookup failure", func(t *testing.T) {
		t.Parallel()
		z := zone(t)
		z.SetFault("2.0.0.127.zen.test", dns.TypeANY, dnstest.FaultServFail)
		err := (&Checker{Resolver: z}).Health(context.Background(), List{Zone: "zen.test"})
		var he *HealthError
		require.ErrorAs(t, err, &he)
		assert.Equal(t, "lookup failed", he.Problem)
		var de *net.DNSError
		assert.True(t, errors.As(err, &de))
	})
}

// barrierResolver holds every query until n queries are in flight at once
// (or the query's context is done): lists queried one after the other would
// all time out.
type barrierResolver struct {
	n       int32
	arrived atomic.Int32
	all     chan struct{}
}

func (b *barrierResolver) LookupNetIP(ctx context.Context, _, host string) ([]netip.Addr, error) {
	if b.arrived.Add(1) == b.n {
		close(b.all)
	}
	select {
	case <-b.all:
		return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil
	case <-ctx.Done():
		return nil, &net.DNSError{Err: "i/o timeout", Name: host, IsTimeout: true, IsTemporary: true}
	}
}

func (b *barrierResolver) LookupTXT(context.Context, string) ([]string, error) { return nil, nil }

func TestListsQueriedConcurrently(t *testing.T) {
	t.Parallel()
	const n = 6
	r := &barrierResolver{n: n, all: make(chan struct{})}
	var lists []List
	for i := range n {
		// Generous timeouts: only a sequential implementation hits them.
		lists = append(lists, List{Zone: "l" + string(rune('a'+i)) + ".test", Timeout: 10 * time.Second})
	}
	c := &Checker{Resolver: r, Lists: lists}
	res, err := c.Check(context.Background(), Query{IP: netip.MustParseAddr("127.0.0.2")})
	require.NoError(t, err)
	assert.Empty(t, res.Errors(), "every list must be in flight at the same time")
	assert.Equal(t, n, res.Score)
}

// stuckResolver ignores contexts: queries to zone stuck.test block until
// release is closed.
type stuckResolver struct {
	inner   Resolver
	release chan struct{}
	arrived chan struct{}
	active  atomic.Int32
}

func (s *stuckResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if strings.HasSuffix(host, ".stuck.test") {
		s.active.Add(1)
		defer s.active.Add(-1)
		select {
		case s.arrived <- struct{}{}:
		default:
		}
		<-s.release
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return s.inner.LookupNetIP(ctx, network, host)
}

func (s *stuckResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return s.inner.LookupTXT(ctx, name)
}

// checkAsync runs Check in a goroutine; the test fails (instead of hanging)
// if it does not return within a generous bound.
func checkAsync(t *testing.T, ctx context.Context, c *Checker, q Query) (Result, error) {
	t.Helper()
	type out struct {
		res Result
		err error
	}
	ch := make(chan out, 1)
	go func() {
		res, err := c.Check(ctx, q)
		ch <- out{res, err}
	}()
	select {
	case o := <-ch:
		return o.res, o.err
	case <-time.After(30 * time.Second):
		t.Fatal("Check did not return")
		return Result{}, nil
	}
}

func TestResolverIgnoringContext(t *testing.T) {
	t.Parallel()
	r := &stuckResolver{inner: zone(t), release: make(chan struct{}), arrived: make(chan struct{}, 1)}
	c := &Checker{Resolver: r, Lists: []List{
		{Zone: "stuck.test", Timeout: 10 * time.Millisecond},
		{Zone: "zen.test", Weight: 2, Timeout: 10 * time.Millisecond},
	}}
	res, err := checkAsync(t, context.Background(), c, Query{IP: netip.MustParseAddr("127.0.0.2")})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Score)
	errs := res.Errors()
	require.Len(t, errs, 1)
	assert.Equal(t, "stuck.test", errs[0].List.Zone)
	var de *net.DNSError
	require.ErrorAs(t, errs[0].Err, &de)
	assert.True(t, de.IsTimeout)
	assert.True(t, strings.HasPrefix(errs[0].Err.Error(), "dnsbl: "), errs[0].Err.Error())

	// The query goroutine ends when the resolver finally returns.
	close(r.release)
	require.Eventually(t, func() bool { return r.active.Load() == 0 }, 20*time.Second, 5*time.Millisecond)
}

func TestCheckCanceledWhileWaiting(t *testing.T) {
	t.Parallel()
	r := &stuckResolver{inner: zone(t), release: make(chan struct{}), arrived: make(chan struct{}, 1)}
	defer close(r.release)
	c := &Checker{Resolver: r, Lists: []List{{Zone: "stuck.test", Timeout: time.Hour}}}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-r.arrived
		cancel()
	}()
	_, err := checkAsync(t, ctx, c, Query{IP: netip.MustParseAddr("127.0.0.2")})
	require.ErrorIs(t, err, context.Canceled)

	err = c.Health(ctx, List{Zone: "stuck.test"})
	require.ErrorIs(t, err, ErrUnhealthy)
	require.ErrorIs(t, err, context.Canceled)
}

func TestTooManyDomains(t *testing.T) {
	t.Parallel()
	z := zone(t)
	c := &Checker{Resolver: z, Lists: []List{{Zone: "dbl.test", Kind: DomainList}}}
	many := make([]string, 100_000)
	for i := range many {
		many[i] = "host" + strings.Repeat("x", i%50) + ".example"
		if i%2 == 0 {
			many[i] = "bad..name"
		}
	}
	_, err := c.Check(context.Background(), Query{Domains: many})
	require.ErrorIs(t, err, ErrTooMany)
	assert.Empty(t, z.Queries(), "nothing is queried when the check is too large")

	// Duplicates count once.
	dup := make([]string, 1000)
	for i := range dup {
		dup[i] = "spammer.example.test"
	}
	res, err := c.Check(context.Background(), Query{Domains: dup})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Score)
	assert.Len(t, res.Results, 1)
}

// TestMaxAnswers checks that only Limits.MaxAnswers A records (default 32)
// of an answer are kept and interpreted.
func TestMaxAnswers(t *testing.T) {
	t.Parallel()
	z := zone(t)
	for i := 1; i <= 40; i++ {
		require.NoError(t, z.Add(fmt.Sprintf("6.0.0.127.zen.test. 300 IN A 127.0.0.%d", i)))
	}
	lists := []List{{Zone: "zen.test"}}
	tests := []struct {
		name  string
		limit int
		ip    string
		want  int
	}{
		{name: "default caps a large answer", ip: "127.0.0.6", want: 32},
		{name: "explicit limit", limit: 1, ip: "127.0.0.3", want: 1},
		{name: "under the limit", limit: 5, ip: "127.0.0.3", want: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &Checker{Resolver: z, Lists: lists, Limits: Limits{MaxAnswers: tc.limit}}
			res, err := c.Check(context.Background(), Query{IP: netip.MustParseAddr(tc.ip)})
			require.NoError(t, err)
			require.Len(t, res.Results, 1)
			assert.NoError(t, res.Results[0].Err)
			assert.Len(t, res.Results[0].Addrs, tc.want)
			assert.True(t, res.Results[0].Listed)
		})
	}
}
