package bench

import (
	"context"
	"net"
	"testing"

	"github.com/mailkit-go/mailkit/dnsutil"
	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
)

const dnsBenchZone = `
$ORIGIN bench.test.
$TTL 300
@     IN SOA ns hostmaster ( 1 3600 600 86400 60 )
      IN MX  10 mx1
      IN MX  20 mx2
      IN TXT "v=spf1 ip4:192.0.2.0/24 include:_spf.bench.test -all"
mx1   IN A   192.0.2.10
mx2   IN A   192.0.2.20
`

// dnsBenchServer starts a dnstest.Server with the benchmark zone.
func dnsBenchServer(b *testing.B) (*dnstest.Zone, *dnstest.Server) {
	b.Helper()
	z, err := dnstest.ParseZone(dnsBenchZone)
	if err != nil {
		b.Fatal(err)
	}
	s, err := dnstest.NewServer(z)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return z, s
}

// dnsLookup is the part of the *net.Resolver method set the benchmark uses.
type dnsLookup interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// BenchmarkDNS compares dnsutil.Resolver (with and without its cache)
// with the standard library's pure-Go resolver (net.Resolver, PreferGo,
// Dial pointed at the same server), all asking a loopback dnstest.Server.
// Each iteration is one query (alternately MX and TXT). It reports
// queries/s and, for dnsutil, the ratio to net.Resolver in the same run.
func BenchmarkDNS(b *testing.B) {
	z, s := dnsBenchServer(b)
	addr := s.Addr()
	stdlib := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	var anchor float64
	cases := []struct {
		name string
		r    func() dnsLookup
	}{
		{"net.Resolver", func() dnsLookup { return stdlib }},
		{"dnsutil.Resolver", func() dnsLookup { return &dnsutil.Resolver{Servers: []string{addr}} }},
		{"dnsutil.Resolver+Cache", func() dnsLookup {
			return &dnsutil.Resolver{Servers: []string{addr}, Cache: &dnsutil.Cache{}}
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			r := tc.r()
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var err error
				if i%2 == 0 {
					_, err = r.LookupMX(ctx, "bench.test")
				} else {
					_, err = r.LookupTXT(ctx, "bench.test")
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			z.ResetQueries()
			s.ResetRequests()
			qps := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(qps, "queries/s")
			if tc.name == "net.Resolver" {
				anchor = qps
			} else if anchor > 0 {
				b.ReportMetric(qps/anchor, "x_net.Resolver")
			}
		})
	}
}
