package dnstest_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
)

const testZone = `
$ORIGIN example.com.
$TTL 300
@        IN SOA ns1 hostmaster ( 1 3600 600 86400 60 )
         IN NS  ns1
         IN MX  20 mx2
         IN MX  10 mx1
         IN TXT "v=spf1 " "-all"
         IN TXT "second"
mx1      IN A    192.0.2.1
         IN AAAA 2001:db8::1
mx2      IN A    192.0.2.2
www      IN CNAME alias
alias    IN CNAME mx1
ext      IN CNAME mail.other.test.
loop1    IN CNAME loop2
loop2    IN CNAME loop1
dangling IN CNAME nothere
a.b.c    IN TXT "deep"
1.2.0.192.in-addr.arpa. IN PTR mx1.example.com.
`

func newTestZone(t *testing.T) *dnstest.Zone {
	t.Helper()
	z, err := dnstest.ParseZone(testZone)
	require.NoError(t, err)
	return z
}

func dnsErr(t *testing.T, err error) *net.DNSError {
	t.Helper()
	var de *net.DNSError
	require.ErrorAs(t, err, &de)
	return de
}

func TestZoneLookups(t *testing.T) {
	t.Parallel()
	z := newTestZone(t)
	ctx := context.Background()

	t.Run("TXT joined per record", func(t *testing.T) {
		txt, err := z.LookupTXT(ctx, "example.com")
		require.NoError(t, err)
		assert.Equal(t, []string{"v=spf1 -all", "second"}, txt)
	})
	t.Run("MX in zone order", func(t *testing.T) {
		mx, err := z.LookupMX(ctx, "EXAMPLE.com.")
		require.NoError(t, err)
		require.Len(t, mx, 2)
		assert.Equal(t, net.MX{Host: "mx2.example.com.", Pref: 20}, *mx[0])
		assert.Equal(t, net.MX{Host: "mx1.example.com.", Pref: 10}, *mx[1])
	})
	t.Run("NetIP", func(t *testing.T) {
		for _, tc := range []struct {
			network string
			want    []netip.Addr
		}{
			{"ip", []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}},
			{"ip4", []netip.Addr{netip.MustParseAddr("192.0.2.1")}},
			{"ip6", []netip.Addr{netip.MustParseAddr("2001:db8::1")}},
		} {
			got, err := z.LookupNetIP(ctx, tc.network, "mx1.example.com")
			require.NoError(t, err, tc.network)
			assert.Equal(t, tc.want, got, tc.network)
		}
		_, err := z.LookupNetIP(ctx, "tcp", "mx1.example.com")
		require.Error(t, err)
	})
	t.Run("IP literal", func(t *testing.T) {
		got, err := z.LookupNetIP(ctx, "ip", "198.51.100.7")
		require.NoError(t, err)
		assert.Equal(t, []netip.Addr{netip.MustParseAddr("198.51.100.7")}, got)
	})
	t.Run("IPAddr and Host", func(t *testing.T) {
		ips, err := z.LookupIPAddr(ctx, "mx2.example.com")
		require.NoError(t, err)
		require.Len(t, ips, 1)
		assert.Equal(t, "192.0.2.2", ips[0].IP.String())
		hosts, err := z.LookupHost(ctx, "mx1.example.com")
		require.NoError(t, err)
		assert.Equal(t, []string{"192.0.2.1", "2001:db8::1"}, hosts)
	})
	t.Run("PTR", func(t *testing.T) {
		names, err := z.LookupAddr(ctx, "192.0.2.1")
		require.NoError(t, err)
		assert.Equal(t, []string{"mx1.example.com."}, names)
		_, err = z.LookupAddr(ctx, "not-an-ip")
		require.Error(t, err)
	})
	t.Run("CNAME chain followed", func(t *testing.T) {
		addrs, err := z.LookupNetIP(ctx, "ip4", "www.example.com")
		require.NoError(t, err)
		assert.Equal(t, []netip.Addr{netip.MustParseAddr("192.0.2.1")}, addrs)
		c, err := z.LookupCNAME(ctx, "www.example.com")
		require.NoError(t, err)
		assert.Equal(t, "mx1.example.com.", c)
		c, err = z.LookupCNAME(ctx, "mx2.example.com")
		require.NoError(t, err)
		assert.Equal(t, "mx2.example.com.", c)
	})
	t.Run("CNAME loop is an error", func(t *testing.T) {
		_, err := z.LookupTXT(ctx, "loop1.example.com")
		require.Error(t, err)
		assert.False(t, dnsErr(t, err).IsNotFound)
	})
	t.Run("dangling CNAME is not found", func(t *testing.T) {
		_, err := z.LookupTXT(ctx, "dangling.example.com")
		assert.True(t, dnsErr(t, err).IsNotFound)
	})
	t.Run("NXDOMAIN", func(t *testing.T) {
		_, err := z.LookupTXT(ctx, "nope.example.com")
		de := dnsErr(t, err)
		assert.True(t, de.IsNotFound)
		assert.False(t, de.IsTemporary)
		assert.Equal(t, "nope.example.com", de.Name)
	})
	t.Run("NODATA", func(t *testing.T) {
		_, err := z.LookupMX(ctx, "mx1.example.com")
		assert.True(t, dnsErr(t, err).IsNotFound)
		// empty non-terminal exists but has no data
		_, err = z.LookupTXT(ctx, "b.c.example.com")
		assert.True(t, dnsErr(t, err).IsNotFound)
	})
	t.Run("IDN name", func(t *testing.T) {
		zz := dnstest.NewZone().MustAdd("xn--bcher-kva.example. 60 IN TXT \"idn\"")
		txt, err := zz.LookupTXT(ctx, "bücher.example")
		require.NoError(t, err)
		assert.Equal(t, []string{"idn"}, txt)
	})
}

func TestZoneExchangeNegativeHasSOA(t *testing.T) {
	t.Parallel()
	z := newTestZone(t)
	for _, tc := range []struct {
		name  string
		qname string
		qtype uint16
		rcode int
	}{
		{"NXDOMAIN", "nope.example.com.", dns.TypeA, dns.RcodeNameError},
		{"NODATA", "mx1.example.com.", dns.TypeMX, dns.RcodeSuccess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := new(dns.Msg).SetQuestion(tc.qname, tc.qtype)
			r, err := z.Exchange(context.Background(), m)
			require.NoError(t, err)
			assert.Equal(t, tc.rcode, r.Rcode)
			assert.Empty(t, r.Answer)
			require.Len(t, r.Ns, 1)
			soa, ok := r.Ns[0].(*dns.SOA)
			require.True(t, ok)
			assert.Equal(t, uint32(60), soa.Hdr.Ttl, "min(TTL, MINIMUM)")
		})
	}
	t.Run("CNAME to outside target stops", func(t *testing.T) {
		m := new(dns.Msg).SetQuestion("ext.example.com.", dns.TypeA)
		r, err := z.Exchange(context.Background(), m)
		require.NoError(t, err)
		assert.Equal(t, dns.RcodeSuccess, r.Rcode)
		require.Len(t, r.Answer, 1)
		assert.Equal(t, dns.TypeCNAME, r.Answer[0].Header().Rrtype)
	})
	t.Run("bad query", func(t *testing.T) {
		_, err := z.Exchange(context.Background(), new(dns.Msg))
		require.Error(t, err)
	})
}

func TestZoneFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		fault               dnstest.Fault
		notFound, temporary bool
		timeout             bool
	}{
		{dnstest.FaultServFail, false, true, false},
		{dnstest.FaultRefused, false, true, false},
		{dnstest.FaultNXDomain, true, false, false},
		{dnstest.FaultTimeout, false, true, true},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			t.Parallel()
			z := newTestZone(t)
			z.SetFault("Example.COM", dns.TypeTXT, tc.fault)
			_, err := z.LookupTXT(ctx, "example.com")
			de := dnsErr(t, err)
			assert.Equal(t, tc.notFound, de.IsNotFound, "IsNotFound")
			assert.Equal(t, tc.temporary, de.IsTemporary, "IsTemporary")
			assert.Equal(t, tc.timeout, de.IsTimeout, "IsTimeout")
			// other types unaffected
			_, err = z.LookupMX(ctx, "example.com")
			require.NoError(t, err)
			// ANY applies to every type
			z.SetFault("example.com", dns.TypeANY, tc.fault)
			_, err = z.LookupMX(ctx, "example.com")
			require.Error(t, err)
			z.SetFault("example.com", dns.TypeANY, dnstest.FaultNone)
			z.SetFault("example.com", dns.TypeTXT, dnstest.FaultNone)
			_, err = z.LookupTXT(ctx, "example.com")
			require.NoError(t, err)
		})
	}
	t.Run("truncate has no effect without network", func(t *testing.T) {
		t.Parallel()
		z := newTestZone(t)
		z.SetFault("example.com", dns.TypeTXT, dnstest.FaultTruncate)
		txt, err := z.LookupTXT(ctx, "example.com")
		require.NoError(t, err)
		assert.Len(t, txt, 2)
	})
	t.Run("fault on CNAME target", func(t *testing.T) {
		t.Parallel()
		z := newTestZone(t)
		z.SetFault("mx1.example.com", dns.TypeA, dnstest.FaultServFail)
		_, err := z.LookupNetIP(ctx, "ip4", "www.example.com")
		assert.True(t, dnsErr(t, err).IsTemporary)
	})
	assert.Equal(t, "Fault(42)", dnstest.Fault(42).String())
}

func TestZoneQueriesRecorded(t *testing.T) {
	t.Parallel()
	z := newTestZone(t)
	ctx := context.Background()
	_, _ = z.LookupMX(ctx, "Example.Com")
	_, _ = z.LookupIPAddr(ctx, "mx1.example.com.")
	_, _ = z.LookupTXT(ctx, "nope.example.com")
	z.SetFault("slow.example.com", dns.TypeANY, dnstest.FaultTimeout)
	_, _ = z.LookupTXT(ctx, "slow.example.com")
	assert.Equal(t, []dnstest.Query{
		{Name: "example.com.", Type: dns.TypeMX},
		{Name: "mx1.example.com.", Type: dns.TypeA},
		{Name: "mx1.example.com.", Type: dns.TypeAAAA},
		{Name: "nope.example.com.", Type: dns.TypeTXT},
		{Name: "slow.example.com.", Type: dns.TypeTXT},
	}, z.Queries())
	assert.Equal(t, "example.com. MX", z.Queries()[0].String())
	z.ResetQueries()
	assert.Empty(t, z.Queries())
}

func TestZoneContextCancelled(t *testing.T) {
	t.Parallel()
	z := newTestZone(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := z.LookupTXT(ctx, "example.com")
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, z.Queries())
}

func TestZoneAdd(t *testing.T) {
	t.Parallel()
	t.Run("errors leave zone untouched", func(t *testing.T) {
		z := dnstest.NewZone()
		err := z.Add("a.example. 60 IN A 192.0.2.1", "b.example. 60 IN A not-an-ip")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "dnstest:")
		assert.Empty(t, z.Records())
		require.ErrorIs(t, z.Add("; just a comment"), dnstest.ErrEmptyRecord)
		require.ErrorIs(t, z.Add("x.example. 60 IN CNAME"), dnstest.ErrEmptyRdata)
		_, err = dnstest.ParseZone("x.example. 60 IN MX\n")
		require.ErrorIs(t, err, dnstest.ErrEmptyRdata)
	})
	t.Run("MustAdd panics", func(t *testing.T) {
		assert.Panics(t, func() { dnstest.NewZone().MustAdd("garbage here") })
	})
	t.Run("duplicates ignored and AddRR multi-string TXT", func(t *testing.T) {
		z := dnstest.NewZone()
		z.MustAdd("a.example. 60 IN A 192.0.2.1", "A.EXAMPLE. 60 IN A 192.0.2.1")
		z.AddRR(&dns.TXT{
			Hdr: dns.RR_Header{Name: "t.example", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
			Txt: []string{"part1", "part2"},
		}, nil)
		assert.Len(t, z.Records(), 2)
		txt, err := z.LookupTXT(context.Background(), "t.example.")
		require.NoError(t, err)
		assert.Equal(t, []string{"part1part2"}, txt)
	})
	t.Run("String round-trips", func(t *testing.T) {
		z := newTestZone(t)
		z2, err := dnstest.ParseZone(z.String())
		require.NoError(t, err)
		assert.Equal(t, z.String(), z2.String())
	})
}

func TestParseZoneErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		text string
		line int
	}{
		{"bad address", "$ORIGIN example.com.\n$TTL 60\nok IN A 192.0.2.1\nbad IN A 300.1.1.1\n", 4},
		{"relative name without origin", "\n\nwww IN A 192.0.2.1\n", 3},
		{"unknown type", "$ORIGIN example.com.\nx IN BOGUS foo\n", 2},
		{"bad TTL directive", "$TTL forever\n", 1},
		{"include refused", "$ORIGIN example.com.\n\n$INCLUDE /etc/passwd\n", 3},
		{"unbalanced paren", "$ORIGIN example.com.\n@ IN SOA ns hm ( 1 2 3 4 5\n", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := dnstest.ParseZone(tc.text)
			require.Error(t, err)
			var pe *dnstest.ParseError
			require.True(t, errors.As(err, &pe), "%T", err)
			assert.Equal(t, tc.line, pe.Line, err.Error())
			assert.Contains(t, err.Error(), "dnstest: zone line")
		})
	}
	assert.Panics(t, func() { dnstest.MustParseZone("x IN A 1.2.3.4") })
}

func TestZoneConcurrent(t *testing.T) {
	t.Parallel()
	z := newTestZone(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				if i%2 == 0 {
					z.MustAdd("c.example.com. 60 IN TXT \"x\"")
					z.SetFault("d.example.com", dns.TypeA, dnstest.Fault(j%3))
				}
				_, _ = z.LookupTXT(context.Background(), "example.com")
				_ = z.Queries()
			}
		}()
	}
	wg.Wait()
	assert.Len(t, z.Queries(), 8*50)
}
