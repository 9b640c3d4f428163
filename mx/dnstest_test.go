package mx

import (
	"context"
	"net/netip"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
)

// TestWithZone runs the rules against dnstest.Zone (real *net.DNSError
// semantics for NXDOMAIN, NODATA and faults).
func TestWithZone(t *testing.T) {
	t.Parallel()
	z, err := dnstest.ParseZone(`$ORIGIN example.test.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 86400 300
@            IN MX 10 mx1
@            IN MX 10 mx2
@            IN MX 20 mx3
mx1          IN A  127.0.0.1
mx2          IN A  127.0.0.2
mx3          IN A  127.0.0.3
implicit     IN A  127.0.0.1
implicit     IN AAAA ::1
nullmx       IN MX 0 .
nodata       IN TXT "no MX, no address"
tempfail     IN MX 10 mx1
tempaddr     IN A  127.0.0.9
alias        IN CNAME mx1
cnamemx      IN MX 10 alias
`)
	require.NoError(t, err)
	z.SetFault("tempfail.example.test", dns.TypeMX, dnstest.FaultServFail)
	z.SetFault("tempaddr.example.test", dns.TypeMX, dnstest.FaultTimeout)
	ctx := context.Background()
	r := &Router{Resolver: z, IntN: noShuffle}

	ts, err := r.Lookup(ctx, "example.test")
	require.NoError(t, err)
	assert.Equal(t, []string{"mx1.example.test", "mx2.example.test", "mx3.example.test"}, hosts(ts))

	ts, err = r.Lookup(ctx, "implicit.example.test")
	require.NoError(t, err)
	require.Len(t, ts, 1)
	assert.True(t, ts[0].Implicit)

	_, err = r.Lookup(ctx, "nullmx.example.test")
	assert.ErrorIs(t, err, ErrNullMX)
	_, err = r.Lookup(ctx, "nodata.example.test")
	assert.ErrorIs(t, err, ErrNoDomain)
	_, err = r.Lookup(ctx, "nonexistent.example.test")
	assert.ErrorIs(t, err, ErrNoDomain)

	// Temporary failures never fall back to the implicit MX, even when
	// the name has addresses.
	z.ResetQueries()
	_, err = r.Lookup(ctx, "tempaddr.example.test")
	assert.ErrorIs(t, err, ErrTemporary)
	for _, q := range z.Queries() {
		assert.Equal(t, dns.TypeMX, q.Type, "no address query after a temporary MX failure")
	}
	_, err = r.Lookup(ctx, "tempfail.example.test")
	assert.ErrorIs(t, err, ErrTemporary)

	ts, err = r.Lookup(ctx, "cnamemx.example.test")
	require.NoError(t, err)
	addrs, err := r.Addrs(ctx, ts[0])
	require.NoError(t, err)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, addrs)
}
