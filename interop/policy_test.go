package interop

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/dnsbl"
	"github.com/mailkit-go/mailkit/dnsutil"
	"github.com/mailkit-go/mailkit/mx"
)

// mx and dnsbl through dnsutil.Resolver against NSD serving
// interop/zones/ (example.test, zen.test, dbl.test).

func policyResolver() *dnsutil.Resolver {
	return &dnsutil.Resolver{Servers: []string{peerAddr(portDNS)}}
}

func policyCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mxHosts(ts []mx.Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Host
	}
	return out
}

func TestMXAgainstNSD(t *testing.T) {
	requireInterop(t)
	ctx := policyCtx(t)
	r := &mx.Router{Resolver: policyResolver()}

	t.Run("preference order with equal pair", func(t *testing.T) {
		ts, err := r.Lookup(ctx, "example.test")
		require.NoError(t, err)
		require.Len(t, ts, 4)
		assert.ElementsMatch(t, []string{"mx1.example.test", "mx2.example.test"}, mxHosts(ts[:2]))
		assert.Equal(t, []string{"mx3.example.test", "backup.other.test"}, mxHosts(ts[2:]))
	})

	t.Run("equal preferences are shuffled", func(t *testing.T) {
		firsts := map[string]bool{}
		for range 40 {
			ts, err := r.Lookup(ctx, "equal.example.test")
			require.NoError(t, err)
			require.Len(t, ts, 4)
			firsts[ts[0].Host] = true
		}
		assert.Greater(t, len(firsts), 1)
	})

	t.Run("selector alternates between the equal pair", func(t *testing.T) {
		s := &mx.Selector{}
		var got []string
		for range 4 {
			ts, err := r.Lookup(ctx, "example.test")
			require.NoError(t, err)
			p, ok := s.Pick(ts)
			require.True(t, ok)
			got = append(got, p.Host)
		}
		assert.Equal(t, []string{"mx1.example.test", "mx2.example.test", "mx1.example.test", "mx2.example.test"}, got)
		s.MarkDown("mx1.example.test")
		s.MarkDown("mx2.example.test")
		ts, _ := r.Lookup(ctx, "example.test")
		p, _ := s.Pick(ts)
		assert.Equal(t, "mx3.example.test", p.Host)
	})

	t.Run("spread out of order", func(t *testing.T) {
		ts, err := r.Lookup(ctx, "spread.example.test")
		require.NoError(t, err)
		require.Len(t, ts, 5)
		assert.Equal(t, "mx1.example.test", ts[0].Host)
		assert.ElementsMatch(t, []string{"mx2.example.test", "mx6.example.test"}, mxHosts(ts[1:3]))
		assert.Equal(t, []string{"mx3.example.test", "mx4.example.test"}, mxHosts(ts[3:]))
		assert.Equal(t, uint16(65535), ts[4].Pref)
	})

	t.Run("null MX", func(t *testing.T) {
		_, err := r.Lookup(ctx, "nullmx.example.test")
		require.ErrorIs(t, err, mx.ErrNullMX)
		var e *mx.Error
		require.ErrorAs(t, err, &e)
		code, enh, _ := e.Reply()
		assert.Equal(t, 556, code)
		assert.Equal(t, "5.1.10", enh)
	})

	t.Run("implicit MX", func(t *testing.T) {
		ts, err := r.Lookup(ctx, "implicit.example.test")
		require.NoError(t, err)
		require.Len(t, ts, 1)
		assert.True(t, ts[0].Implicit)
		addrs, err := (&mx.Router{Resolver: policyResolver(), Family: mx.PreferIPv4}).Addrs(ctx, ts[0])
		require.NoError(t, err)
		assert.Equal(t, []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}, addrs)
	})

	t.Run("no MX and no address", func(t *testing.T) {
		_, err := r.Lookup(ctx, "nodata.example.test")
		require.ErrorIs(t, err, mx.ErrNoDomain)
		_, err = r.Lookup(ctx, "nonexistent.example.test")
		require.ErrorIs(t, err, mx.ErrNoDomain)
	})

	t.Run("CNAME target followed", func(t *testing.T) {
		ts, err := r.Lookup(ctx, "cnamemx.example.test")
		require.NoError(t, err)
		addrs, err := r.Addrs(ctx, ts[0])
		require.NoError(t, err)
		assert.Contains(t, addrs, netip.MustParseAddr("127.0.0.1"))
	})

	t.Run("IPv6-only target", func(t *testing.T) {
		ts, err := r.Lookup(ctx, "v6only.example.test")
		require.NoError(t, err)
		_, err = (&mx.Router{Resolver: policyResolver(), Family: mx.OnlyIPv4}).Addrs(ctx, ts[0])
		require.ErrorIs(t, err, mx.ErrNoDomain)
		addrs, err := (&mx.Router{Resolver: policyResolver(), Family: mx.OnlyIPv6}).Addrs(ctx, ts[0])
		require.NoError(t, err)
		assert.Equal(t, []netip.Addr{netip.MustParseAddr("::1")}, addrs)
	})

	t.Run("dangling target", func(t *testing.T) {
		ts, err := r.Lookup(ctx, "halfdangling.example.test")
		require.NoError(t, err)
		require.Len(t, ts, 2)
		_, err = r.Addrs(ctx, ts[0])
		require.ErrorIs(t, err, mx.ErrNoDomain)
		_, err = r.Addrs(ctx, ts[1])
		require.NoError(t, err)
	})

	t.Run("40 MX records over TCP, capped", func(t *testing.T) {
		ts, err := r.Lookup(ctx, "bigmx.example.test")
		require.NoError(t, err)
		assert.Len(t, ts, 10)
		assert.Equal(t, uint16(10), ts[0].Pref)
	})
}

func TestDNSBLAgainstNSD(t *testing.T) {
	requireInterop(t)
	ctx := policyCtx(t)
	zen := dnsbl.List{Zone: "zen.test", Codes: []dnsbl.Code{
		{Match: netip.MustParsePrefix("127.0.0.2/32"), Weight: 3, Meaning: "SBL"},
		{Match: netip.MustParsePrefix("127.0.0.4/30"), Weight: 2, Meaning: "XBL"},
		{Match: netip.MustParsePrefix("127.0.0.10/31"), Weight: 1, Meaning: "PBL"},
	}}
	dbl := dnsbl.List{Zone: "dbl.test", Kind: dnsbl.DomainList, Weight: 2}
	c := &dnsbl.Checker{Resolver: policyResolver(), Lists: []dnsbl.List{zen, dbl}}

	t.Run("health", func(t *testing.T) {
		require.NoError(t, c.Health(ctx, zen))
		require.NoError(t, c.Health(ctx, dbl))
		err := c.Health(ctx, dnsbl.List{Zone: "example.test"})
		require.ErrorIs(t, err, dnsbl.ErrUnhealthy)
	})

	tests := []struct {
		name     string
		q        dnsbl.Query
		score    int
		verdict  dnsbl.Verdict
		meanings []string
		errs     int
	}{
		{name: "127.0.0.2 listed", q: dnsbl.Query{IP: netip.MustParseAddr("127.0.0.2")}, score: 3, verdict: dnsbl.Block, meanings: []string{"SBL"}},
		{name: "127.0.0.1 not listed", q: dnsbl.Query{IP: netip.MustParseAddr("127.0.0.1")}, verdict: dnsbl.Neutral},
		{name: "several codes", q: dnsbl.Query{IP: netip.MustParseAddr("127.0.0.3")}, score: 6, verdict: dnsbl.Block, meanings: []string{"SBL", "XBL", "PBL"}},
		{name: "refused code", q: dnsbl.Query{IP: netip.MustParseAddr("127.0.0.254")}, verdict: dnsbl.Neutral, errs: 1},
		{name: "IPv6 nibbles", q: dnsbl.Query{IP: netip.MustParseAddr("2001:db8::2")}, verdict: dnsbl.Neutral, score: 0},
		{name: "IPv6 test point not listed", q: dnsbl.Query{IP: netip.MustParseAddr("::1")}, verdict: dnsbl.Neutral},
		{name: "domain list wildcard", q: dnsbl.Query{Domains: []string{"host.bad.example.test"}}, score: 2, verdict: dnsbl.Block},
		{name: "domain not listed", q: dnsbl.Query{Domains: []string{"good.example.test"}}, verdict: dnsbl.Neutral},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.Check(ctx, tc.q)
			require.NoError(t, err)
			assert.Equal(t, tc.score, res.Score)
			assert.Equal(t, tc.verdict, res.Verdict)
			assert.Len(t, res.Errors(), tc.errs)
			if tc.meanings != nil {
				require.Len(t, res.Listed(), 1)
				assert.Equal(t, tc.meanings, res.Listed()[0].Meanings)
			}
		})
	}

	t.Run("IPv6 listing counts with codes", func(t *testing.T) {
		any := &dnsbl.Checker{Resolver: policyResolver(), Lists: []dnsbl.List{{Zone: "zen.test"}}}
		res, err := any.Check(ctx, dnsbl.Query{IP: netip.MustParseAddr("2001:db8::2")})
		require.NoError(t, err)
		assert.Equal(t, 1, res.Score)
	})

	t.Run("TXT reason on demand", func(t *testing.T) {
		res, err := c.Check(ctx, dnsbl.Query{IP: netip.MustParseAddr("192.0.2.99")})
		require.NoError(t, err)
		l := res.Listed()
		require.Len(t, l, 1)
		txt, err := c.Reason(ctx, l[0])
		require.NoError(t, err)
		assert.Equal(t, "192.0.2.99 listed: https://zen.test/query/ip/192.0.2.99", txt)
	})
}
