package dnsutil_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/dnsutil"
	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
)

// lookupCall is one lookup method, reduced to its error.
type lookupCall func(r *dnsutil.Resolver, ctx context.Context, name string) error

var (
	callTXT = func(r *dnsutil.Resolver, ctx context.Context, name string) error {
		_, err := r.LookupTXT(ctx, name)
		return err
	}
	callMX = func(r *dnsutil.Resolver, ctx context.Context, name string) error {
		_, err := r.LookupMX(ctx, name)
		return err
	}
	callNetIP = func(r *dnsutil.Resolver, ctx context.Context, name string) error {
		_, err := r.LookupNetIP(ctx, "ip", name)
		return err
	}
	callHost = func(r *dnsutil.Resolver, ctx context.Context, name string) error {
		_, err := r.LookupHost(ctx, name)
		return err
	}
	callAddr = func(r *dnsutil.Resolver, ctx context.Context, name string) error {
		_, err := r.LookupAddr(ctx, name)
		return err
	}
	callCNAME = func(r *dnsutil.Resolver, ctx context.Context, name string) error {
		_, err := r.LookupCNAME(ctx, name)
		return err
	}
)

// TestErrorServer: every *net.DNSError that comes from a server's answer
// (NXDOMAIN, NODATA, SERVFAIL, REFUSED, a CNAME chain too long) or from
// timing out on a server names that server as host:port in Server, as
// *net.Resolver does.
func TestErrorServer(t *testing.T) {
	t.Parallel()
	z := newZone(t)
	z.SetFault("servfail.example.com", dns.TypeANY, dnstest.FaultServFail)
	z.SetFault("refused.example.com", dns.TypeANY, dnstest.FaultRefused)
	z.SetFault("timeout.example.com", dns.TypeANY, dnstest.FaultTimeout)
	z.SetFault("nx.example.com", dns.TypeANY, dnstest.FaultNXDomain)
	for i := range 10 {
		z.MustAdd("loop" + string(rune('0'+i)) + ".example.com. 300 IN CNAME loop" + string(rune('0'+i+1)) + ".example.com.")
	}
	s := newServer(t, z)
	tests := []struct {
		name   string
		call   lookupCall
		qname  string
		check  func(*net.DNSError) bool
		expect string
	}{
		{"TXT NXDOMAIN", callTXT, "nope.example.com", isNotFound, "not found"},
		{"TXT NXDOMAIN fault", callTXT, "nx.example.com", isNotFound, "not found"},
		{"MX NODATA", callMX, "mx1.example.com", isNotFound, "not found"},
		{"NetIP NODATA", callNetIP, "example.com", isNotFound, "not found"},
		{"NetIP NXDOMAIN", callNetIP, "nope.example.com", isNotFound, "not found"},
		{"Host NODATA", callHost, "example.com", isNotFound, "not found"},
		{"Addr NXDOMAIN", callAddr, "192.0.2.99", isNotFound, "not found"},
		{"CNAME NODATA", callCNAME, "example.com", isNotFound, "not found"},
		{"CNAME NXDOMAIN", callCNAME, "nope.example.com", isNotFound, "not found"},
		{"TXT SERVFAIL", callTXT, "servfail.example.com", isTemporary, "temporary"},
		{"NetIP SERVFAIL", callNetIP, "servfail.example.com", isTemporary, "temporary"},
		{"MX REFUSED", callMX, "refused.example.com", isTemporary, "temporary"},
		{"TXT timeout", callTXT, "timeout.example.com", isTimeout, "timeout"},
		{"CNAME loop", callTXT, "loop0.example.com", func(*net.DNSError) bool { return true }, "any"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &dnsutil.Resolver{Servers: []string{s.Addr()}, Timeout: 200 * time.Millisecond, Attempts: 1}
			de := dnsErr(t, tc.call(r, context.Background(), tc.qname))
			assert.True(t, tc.check(de), "%+v: want %s", de, tc.expect)
			assert.Equal(t, s.Addr(), de.Server, "%+v", de)
		})
	}
}

func isNotFound(de *net.DNSError) bool  { return de.IsNotFound && !de.IsTemporary }
func isTemporary(de *net.DNSError) bool { return de.IsTemporary && !de.IsNotFound && !de.IsTimeout }
func isTimeout(de *net.DNSError) bool   { return de.IsTimeout }

// TestErrorServerFailover: with two servers, Server names the one whose
// answer (or timeout) the error reports, not merely the last one tried.
func TestErrorServerFailover(t *testing.T) {
	t.Parallel()
	hole, _ := blackhole(t)
	failing := newZone(t)
	failing.SetFault("nope.example.com", dns.TypeANY, dnstest.FaultServFail)
	sFail := newServer(t, failing)
	sGood := newServer(t, newZone(t))
	sFail2 := newServer(t, failing)

	tests := []struct {
		name    string
		servers []string
		want    string
		check   func(*net.DNSError) bool
	}{
		{"SERVFAIL then NXDOMAIN", []string{sFail.Addr(), sGood.Addr()}, sGood.Addr(), isNotFound},
		{"timeout then NXDOMAIN", []string{hole, sGood.Addr()}, sGood.Addr(), isNotFound},
		{"SERVFAIL then timeout", []string{sFail.Addr(), hole}, sFail.Addr(), isTemporary},
		{"timeout then SERVFAIL", []string{hole, sFail.Addr()}, sFail.Addr(), isTemporary},
		{"SERVFAIL twice", []string{sFail.Addr(), sFail2.Addr()}, sFail2.Addr(), isTemporary},
		{"timeout only", []string{hole}, hole, isTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The timeout applies to the answering servers too: generous
			// enough for a loaded machine, short enough for the hole.
			r := &dnsutil.Resolver{Servers: tc.servers, Timeout: 300 * time.Millisecond, Attempts: 1}
			_, err := r.LookupTXT(context.Background(), "nope.example.com")
			de := dnsErr(t, err)
			assert.True(t, tc.check(de), "%+v", de)
			assert.Equal(t, tc.want, de.Server, "%+v", de)
		})
	}
}

// TestErrorServerCached: a negative answer served from the cache names the
// server that gave it originally, even to a resolver sharing the cache
// that asks other servers.
func TestErrorServerCached(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	za, zb := newZone(t), newZone(t)
	sa, sb := newServer(t, za), newServer(t, zb)
	cache := &dnsutil.Cache{}
	ra := &dnsutil.Resolver{Servers: []string{sa.Addr()}, Cache: cache}
	rb := &dnsutil.Resolver{Servers: []string{sb.Addr()}, Cache: cache}

	for _, tc := range []struct {
		name  string
		call  lookupCall
		qname string
	}{
		{"NXDOMAIN", callTXT, "nope.example.com"},
		{"NODATA", callMX, "mx1.example.com"},
	} {
		de := dnsErr(t, tc.call(ra, ctx, tc.qname))
		require.True(t, de.IsNotFound, tc.name)
		assert.Equal(t, sa.Addr(), de.Server, tc.name)
		for _, r := range []*dnsutil.Resolver{ra, rb} {
			de = dnsErr(t, tc.call(r, ctx, tc.qname))
			require.True(t, de.IsNotFound, tc.name)
			assert.Equal(t, sa.Addr(), de.Server, "%s from the cache", tc.name)
		}
	}
	assert.Len(t, za.Queries(), 2)
	assert.Empty(t, zb.Queries(), "answers came from the cache")
}
