package mx

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeDNS is a hand-written resolver: MX and address records by name, and
// per-name errors.
type fakeDNS struct {
	mx    map[string][]*net.MX
	addrs map[string][]netip.Addr
	fail  map[string]error // name -> error for every query type
	mxq   atomic.Int32
}

func (f *fakeDNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	f.mxq.Add(1)
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if err := f.fail[name]; err != nil {
		return f.mx[name], err
	}
	if m, ok := f.mx[name]; ok {
		return m, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeDNS) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if err := f.fail[host]; err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range f.addrs[host] {
		if network == "ip" || (network == "ip4") == a.Is4() {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

func servfail(name string) error {
	return &net.DNSError{Err: "server misbehaving", Name: name, IsTemporary: true}
}

// uncc reproduces SCENARIOS.md §3: records in the order they arrived.
func uncc() *fakeDNS {
	return &fakeDNS{mx: map[string][]*net.MX{"uncc.edu": {
		{Host: "mxb-00108101.gslb.pphosted.com.", Pref: 10},
		{Host: "ironhost1.uncc.edu.", Pref: 40},
		{Host: "ironhost2.uncc.edu.", Pref: 40},
		{Host: "mxa-00108101.gslb.pphosted.com.", Pref: 10},
	}}}
}

func hosts(ts []Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Host
	}
	return out
}

// noShuffle leaves equal-preference groups in name order.
func noShuffle(n int) int { return n - 1 }

func TestLookupOrder(t *testing.T) {
	t.Parallel()
	r := &Router{Resolver: uncc(), IntN: noShuffle}
	ts, err := r.Lookup(context.Background(), "UNCC.edu.")
	require.NoError(t, err)
	assert.Equal(t, []string{
		"mxa-00108101.gslb.pphosted.com", "mxb-00108101.gslb.pphosted.com",
		"ironhost1.uncc.edu", "ironhost2.uncc.edu",
	}, hosts(ts))
	assert.Equal(t, []uint16{10, 10, 40, 40}, []uint16{ts[0].Pref, ts[1].Pref, ts[2].Pref, ts[3].Pref})
}

func TestLookupShufflesEqualPreferences(t *testing.T) {
	t.Parallel()
	// IntN returning 0 swaps each element with the first: a different
	// permutation from name order, but preferences are never mixed.
	r := &Router{Resolver: uncc(), IntN: func(int) int { return 0 }}
	ts, err := r.Lookup(context.Background(), "uncc.edu")
	require.NoError(t, err)
	assert.Equal(t, []string{
		"mxb-00108101.gslb.pphosted.com", "mxa-00108101.gslb.pphosted.com",
		"ironhost2.uncc.edu", "ironhost1.uncc.edu",
	}, hosts(ts))

	// The default source yields both orders of the 10-preference pair.
	seen := map[string]bool{}
	d := &Router{Resolver: uncc()}
	for i := 0; i < 200 && len(seen) < 2; i++ {
		ts, err := d.Lookup(context.Background(), "uncc.edu")
		require.NoError(t, err)
		require.Equal(t, uint16(10), ts[1].Pref)
		require.Equal(t, uint16(40), ts[2].Pref)
		seen[ts[0].Host] = true
	}
	assert.Len(t, seen, 2)
}

func TestLookupCases(t *testing.T) {
	t.Parallel()
	v4 := netip.MustParseAddr("192.0.2.1")
	v6 := netip.MustParseAddr("2001:db8::1")
	dns := &fakeDNS{
		mx: map[string][]*net.MX{
			"null.test":  {{Host: ".", Pref: 0}},
			"mixed.test": {{Host: ".", Pref: 0}, {Host: "mx.mixed.test.", Pref: 10}},
			"dup.test": {
				{Host: "b.dup.test.", Pref: 20}, {Host: "A.dup.test.", Pref: 30},
				{Host: "a.dup.test.", Pref: 10}, {Host: "b.dup.test", Pref: 20},
			},
			"iptarget.test":      {{Host: "192.0.2.7.", Pref: 10}},
			"xn--bcher-kva.test": {{Host: "mx.xn--bcher-kva.test.", Pref: 5}},
			"empty.test":         {},
		},
		addrs: map[string][]netip.Addr{
			"implicit.test": {v4, v6},
			"tempaddr.test": {v4},
		},
		fail: map[string]error{
			"temp.test": servfail("temp.test"),
			"addrfail.test": &net.DNSError{Err: "timeout", Name: "addrfail.test",
				IsTimeout: true, IsTemporary: true},
		},
	}
	tests := []struct {
		name     string
		domain   string
		want     []string
		implicit bool
		err      error
		perm     bool
		code     int
		enh      string
	}{
		{name: "null MX", domain: "null.test", err: ErrNullMX, perm: true, code: 556, enh: "5.1.10"},
		{name: "null MX mixed with others is ignored", domain: "mixed.test", want: []string{"mx.mixed.test"}},
		{name: "dedup keeps lowest preference", domain: "dup.test", want: []string{"a.dup.test", "b.dup.test"}},
		{name: "IP target skipped", domain: "iptarget.test", err: ErrNoTargets, perm: true, code: 550, enh: "5.4.4"},
		{name: "implicit MX", domain: "implicit.test", want: []string{"implicit.test"}, implicit: true},
		{name: "empty MX answer is implicit MX", domain: "empty.test", err: ErrNoDomain, perm: true},
		{name: "no such domain", domain: "nx.test", err: ErrNoDomain, perm: true, code: 550, enh: "5.1.2"},
		{name: "temporary MX failure never implicit", domain: "temp.test", err: ErrTemporary, code: 451, enh: "4.4.3"},
		{name: "temporary address failure", domain: "addrfail.test", err: ErrTemporary},
		{name: "IDN", domain: "Bücher.test", want: []string{"mx.xn--bcher-kva.test"}},
		{name: "bad IDN", domain: "a..b", err: ErrBadDomain, perm: true},
		{name: "empty domain", domain: "", err: ErrBadDomain, perm: true},
		{name: "IPv4 literal", domain: "[192.0.2.9]", want: []string{"192.0.2.9"}, implicit: true},
		{name: "IPv6 literal", domain: "[IPv6:2001:db8::9]", want: []string{"2001:db8::9"}, implicit: true},
		{name: "bad literal", domain: "[2001:db8::9]", err: ErrBadDomain, perm: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &Router{Resolver: dns, IntN: noShuffle}
			ts, err := r.Lookup(context.Background(), tc.domain)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				var e *Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, tc.perm, e.Permanent)
				if tc.code != 0 {
					code, enh, text := e.Reply()
					assert.Equal(t, tc.code, code)
					assert.Equal(t, tc.enh, enh)
					assert.True(t, strings.HasPrefix(text, "mx: "), text)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, hosts(ts))
			assert.Equal(t, tc.implicit, ts[0].Implicit)
		})
	}
}

func TestLookupIPTargetsAllowed(t *testing.T) {
	t.Parallel()
	dns := &fakeDNS{mx: map[string][]*net.MX{"ip.test": {{Host: "192.0.2.7.", Pref: 10}}}}
	r := &Router{Resolver: dns, Limits: Limits{AllowIPTargets: true}}
	ts, err := r.Lookup(context.Background(), "ip.test")
	require.NoError(t, err)
	require.Len(t, ts, 1)
	assert.Equal(t, netip.MustParseAddr("192.0.2.7"), ts[0].Addr)
	assert.Equal(t, "192.0.2.7:25", ts[0].HostPort())
}

func TestLookupCap(t *testing.T) {
	t.Parallel()
	var mxs []*net.MX
	for i := range 50 {
		mxs = append(mxs, &net.MX{Host: "mx" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".big.test.", Pref: uint16(i)})
	}
	dns := &fakeDNS{mx: map[string][]*net.MX{"big.test": mxs}}
	ts, err := (&Router{Resolver: dns}).Lookup(context.Background(), "big.test")
	require.NoError(t, err)
	assert.Len(t, ts, 10)
	assert.Equal(t, uint16(0), ts[0].Pref)
	assert.Equal(t, uint16(9), ts[9].Pref)
	ts, err = (&Router{Resolver: dns, Limits: Limits{MaxHosts: 3}}).Lookup(context.Background(), "big.test")
	require.NoError(t, err)
	assert.Len(t, ts, 3)
}

func TestLookupCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dns := uncc()
	_, err := (&Router{Resolver: dns}).Lookup(ctx, "uncc.edu")
	require.ErrorIs(t, err, ErrTemporary)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int32(0), dns.mxq.Load())
}

func TestSmartHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec string
		host string
		port int
		addr string
		dial string
		bad  bool
	}{
		{spec: "relay.example.net", host: "relay.example.net", dial: "relay.example.net:25"},
		{spec: "relay.example.net:587", host: "relay.example.net", port: 587, dial: "relay.example.net:587"},
		{spec: "[Relay.Example.net]:2525", host: "relay.example.net", port: 2525, dial: "relay.example.net:2525"},
		{spec: "[relay.example.net]", host: "relay.example.net", dial: "relay.example.net:25"},
		{spec: "192.0.2.1:587", host: "192.0.2.1", port: 587, addr: "192.0.2.1", dial: "192.0.2.1:587"},
		{spec: "[2001:db8::1]:587", host: "2001:db8::1", port: 587, addr: "2001:db8::1", dial: "[2001:db8::1]:587"},
		{spec: "relay:0", bad: true},
		{spec: "relay:99999", bad: true},
		{spec: "relay:smtp", bad: true},
		{spec: ":25", bad: true},
		{spec: "bad..name", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			t.Parallel()
			dns := uncc()
			r := &Router{Resolver: dns, SmartHost: tc.spec}
			ts, err := r.Lookup(context.Background(), "uncc.edu")
			assert.Equal(t, int32(0), dns.mxq.Load(), "smart host must bypass MX")
			if tc.bad {
				require.ErrorIs(t, err, ErrBadSmartHost)
				return
			}
			require.NoError(t, err)
			require.Len(t, ts, 1)
			assert.True(t, ts[0].Smart)
			assert.Equal(t, tc.host, ts[0].Host)
			assert.Equal(t, tc.port, ts[0].Port)
			assert.Equal(t, tc.dial, ts[0].HostPort())
			if tc.addr != "" {
				assert.Equal(t, tc.addr, ts[0].Addr.String())
			}
		})
	}
}

func TestAddrs(t *testing.T) {
	t.Parallel()
	a4 := netip.MustParseAddr("192.0.2.1")
	b4 := netip.MustParseAddr("192.0.2.2")
	a6 := netip.MustParseAddr("2001:db8::1")
	mapped := netip.MustParseAddr("::ffff:192.0.2.1")
	dns := &fakeDNS{
		addrs: map[string][]netip.Addr{
			"dual.test":   {a6, a4, mapped, b4},
			"v6only.test": {a6},
		},
		fail: map[string]error{"temp.test": servfail("temp.test")},
	}
	tests := []struct {
		name string
		fam  Family
		host string
		want []netip.Addr
		err  error
	}{
		{name: "any keeps order and dedups mapped", fam: FamilyAny, host: "dual.test", want: []netip.Addr{a6, a4, b4}},
		{name: "prefer IPv4", fam: PreferIPv4, host: "dual.test", want: []netip.Addr{a4, b4, a6}},
		{name: "prefer IPv6", fam: PreferIPv6, host: "dual.test", want: []netip.Addr{a6, a4, b4}},
		{name: "only IPv4", fam: OnlyIPv4, host: "dual.test", want: []netip.Addr{a4, b4}},
		{name: "only IPv6", fam: OnlyIPv6, host: "dual.test", want: []netip.Addr{a6}},
		{name: "only IPv4 of v6-only host", fam: OnlyIPv4, host: "v6only.test", err: ErrNoDomain},
		{name: "dangling target", fam: FamilyAny, host: "nosuch.test", err: ErrNoDomain},
		{name: "temporary", fam: FamilyAny, host: "temp.test", err: ErrTemporary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &Router{Resolver: dns, Family: tc.fam}
			got, err := r.Addrs(context.Background(), Target{Host: tc.host})
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	t.Run("literal target needs no lookup", func(t *testing.T) {
		t.Parallel()
		r := &Router{Resolver: &fakeDNS{}}
		got, err := r.Addrs(context.Background(), Target{Host: "192.0.2.5", Addr: netip.MustParseAddr("192.0.2.5")})
		require.NoError(t, err)
		assert.Equal(t, []netip.Addr{netip.MustParseAddr("192.0.2.5")}, got)
	})
	t.Run("cap", func(t *testing.T) {
		t.Parallel()
		r := &Router{Resolver: dns, Limits: Limits{MaxAddrs: 1}}
		got, err := r.Addrs(context.Background(), Target{Host: "dual.test"})
		require.NoError(t, err)
		assert.Equal(t, []netip.Addr{a6}, got)
	})
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// TestScenario3 answers the quiz of SCENARIOS.md §3.
func TestScenario3(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := &Router{Resolver: uncc()} // real shuffling: the selector must not care
	lookup := func() []Target {
		ts, err := r.Lookup(ctx, "uncc.edu")
		require.NoError(t, err)
		return ts
	}
	const mxa, mxb = "mxa-00108101.gslb.pphosted.com", "mxb-00108101.gslb.pphosted.com"

	t.Run("lower numbers first, equal numbers alternate", func(t *testing.T) {
		s := &Selector{}
		first := s.Order(lookup())
		require.Len(t, first, 4)
		assert.Equal(t, []uint16{10, 10, 40, 40}, []uint16{first[0].Pref, first[1].Pref, first[2].Pref, first[3].Pref})
		second := s.Order(lookup())
		assert.ElementsMatch(t, []string{mxa, mxb}, []string{first[0].Host, second[0].Host},
			"the second mail goes to the other 10-preference host")
		third := s.Order(lookup())
		assert.Equal(t, first[0].Host, third[0].Host)
	})

	t.Run("gslb unreachable: ironhosts alternate", func(t *testing.T) {
		clk := &fakeClock{t: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
		s := &Selector{Now: clk.Now}
		s.MarkDown(mxa)
		s.MarkDown(mxb + ".")
		var got []string
		for range 3 {
			o := s.Order(lookup())
			require.Len(t, o, 4)
			got = append(got, o[0].Host)
			// The down hosts are still listed, after the live ones.
			assert.ElementsMatch(t, []string{mxa, mxb}, []string{o[2].Host, o[3].Host})
		}
		assert.Equal(t, []string{"ironhost1.uncc.edu", "ironhost2.uncc.edu", "ironhost1.uncc.edu"}, got)

		// After the back-off the 10-preference hosts are tried again.
		clk.Advance(time.Minute + time.Second)
		p, ok := s.Pick(lookup())
		require.True(t, ok)
		assert.Equal(t, uint16(10), p.Pref)
	})

	t.Run("one 10-preference host down: no fallback", func(t *testing.T) {
		s := &Selector{}
		s.MarkDown(mxa)
		for range 3 {
			p, ok := s.Pick(lookup())
			require.True(t, ok)
			assert.Equal(t, mxb, p.Host)
		}
	})
}

func TestSelectorBackoff(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	s := &Selector{Now: clk.Now, Backoff: 10 * time.Second, MaxBackoff: 35 * time.Second}
	steps := []time.Duration{10 * time.Second, 20 * time.Second, 35 * time.Second, 35 * time.Second}
	for i, want := range steps {
		s.MarkDown("h.test")
		clk.Advance(want - time.Second)
		assert.True(t, s.IsDown("h.test"), "failure %d", i+1)
		clk.Advance(time.Second)
		assert.False(t, s.IsDown("H.test"), "failure %d", i+1)
	}
	s.MarkDown("h.test")
	s.MarkUp("h.test")
	assert.False(t, s.IsDown("h.test"))
	s.MarkDown("h.test")
	clk.Advance(10 * time.Second)
	assert.False(t, s.IsDown("h.test"), "MarkUp resets the failure count")
}

func TestSelectorBounded(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	s := &Selector{Now: clk.Now, Limits: Limits{MaxTracked: 4}}
	for i := range 10 {
		s.MarkDown(string(rune('a'+i)) + ".test")
		s.Order([]Target{{Host: string(rune('a'+i)) + ".test"}, {Host: "z.test"}})
	}
	assert.Empty(t, s.Order(nil))
	_, ok := s.Pick(nil)
	assert.False(t, ok)
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.LessOrEqual(t, len(s.down), 4)
	assert.LessOrEqual(t, len(s.rr), 4)
}

func TestErrorWrapsDNSError(t *testing.T) {
	t.Parallel()
	dns := &fakeDNS{fail: map[string]error{"temp.test": servfail("temp.test")}}
	_, err := (&Router{Resolver: dns}).Lookup(context.Background(), "temp.test")
	var de *net.DNSError
	require.True(t, errors.As(err, &de))
	assert.True(t, de.IsTemporary)
}

// TestLookupPartialAnswer: *net.Resolver returns the valid records and an
// error when some MX targets were malformed; a temporary error with records
// is still temporary.
func TestLookupPartialAnswer(t *testing.T) {
	t.Parallel()
	dns := &fakeDNS{
		mx: map[string][]*net.MX{
			"partial.test":  {{Host: "mx.partial.test.", Pref: 10}},
			"partialt.test": {{Host: "mx.partialt.test.", Pref: 10}},
		},
		fail: map[string]error{
			"partial.test":  &net.DNSError{Err: "DNS response contained records which contain invalid names", Name: "partial.test"},
			"partialt.test": servfail("partialt.test"),
		},
	}
	r := &Router{Resolver: dns}
	ts, err := r.Lookup(context.Background(), "partial.test")
	require.NoError(t, err)
	assert.Equal(t, []string{"mx.partial.test"}, hosts(ts))
	_, err = r.Lookup(context.Background(), "partialt.test")
	require.ErrorIs(t, err, ErrTemporary)
}
