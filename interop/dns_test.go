package interop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/dnsutil"
)

// dnsutil.Resolver against NSD serving interop/zones/ (authoritative only).

func nsdResolver() *dnsutil.Resolver {
	return &dnsutil.Resolver{Servers: []string{peerAddr(portDNS)}}
}

// stdResolver is the Go resolver pointed at the same NSD, as a reference.
func stdResolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, peerAddr(portDNS))
		},
	}
}

func dnsCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mxStrings(mxs []*net.MX) []string {
	out := make([]string, 0, len(mxs))
	for _, mx := range mxs {
		out = append(out, fmt.Sprintf("%d %s", mx.Pref, mx.Host))
	}
	slices.Sort(out)
	return out
}

func TestDNSMX(t *testing.T) {
	requireInterop(t)
	cases := []struct {
		name string
		want []string // "pref host", sorted as strings
	}{
		{"example.test", []string{"10 mx1.example.test.", "10 mx2.example.test.", "20 mx3.example.test.", "30 backup.other.test."}},
		{"spread.example.test", []string{"0 mx1.example.test.", "20 mx3.example.test.", "5 mx2.example.test.", "5 mx6.example.test.", "65535 mx4.example.test."}},
		{"nullmx.example.test", []string{"0 ."}},
		{"other.test", []string{"10 backup.other.test."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := dnsCtx(t)
			got, err := nsdResolver().LookupMX(ctx, tc.name)
			require.NoError(t, err)
			assert.Equal(t, tc.want, mxStrings(got))
			for i := 1; i < len(got); i++ {
				assert.LessOrEqual(t, got[i-1].Pref, got[i].Pref, "MX not in preference order: %v", mxStrings(got))
			}
			// Same set as the Go resolver gets from the same server.
			ref, err := stdResolver().LookupMX(ctx, tc.name)
			if err == nil {
				assert.Equal(t, mxStrings(ref), mxStrings(got), "differs from net.Resolver")
			}
		})
	}
	t.Run("40 records", func(t *testing.T) {
		t.Parallel()
		got, err := nsdResolver().LookupMX(dnsCtx(t), "bigmx.example.test")
		require.NoError(t, err)
		require.Len(t, got, 40)
		assert.Equal(t, uint16(10), got[0].Pref)
		assert.Equal(t, "mailhost-number-00.example.test.", got[0].Host)
		assert.Equal(t, uint16(49), got[39].Pref)
	})
}

func TestDNSNotFound(t *testing.T) {
	requireInterop(t)
	r := nsdResolver()
	cases := []struct {
		name  string
		qname string
		rcode int
	}{
		{"NXDOMAIN", "nonexistent.example.test", dns.RcodeNameError},
		{"NXDOMAIN deep", "a.b.c.nonexistent.example.test", dns.RcodeNameError},
		{"NODATA", "nodata.example.test", dns.RcodeSuccess},                    // has TXT, no MX
		{"NODATA empty non-terminal", "_allow.example.test", dns.RcodeSuccess}, // only 127.0.0.1._allow below it
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := dnsCtx(t)
			mxs, err := r.LookupMX(ctx, tc.qname)
			assert.Empty(t, mxs)
			var de *net.DNSError
			require.True(t, errors.As(err, &de), "want *net.DNSError, got %T %v", err, err)
			assert.True(t, de.IsNotFound, "IsNotFound: %+v", de)
			assert.False(t, de.IsTemporary, "IsTemporary: %+v", de)
			assert.False(t, de.IsTimeout, "IsTimeout: %+v", de)

			_, err = r.LookupNetIP(ctx, "ip4", tc.qname)
			require.True(t, errors.As(err, &de), "LookupNetIP: want *net.DNSError, got %T %v", err, err)
			assert.True(t, de.IsNotFound)

			// The raw message tells the two apart: RCODE 3 versus NOERROR
			// with an empty answer, both with the zone's SOA for negative caching.
			msg, err := r.Query(ctx, tc.qname, dns.TypeMX)
			require.NoError(t, err)
			assert.Equal(t, dns.RcodeToString[tc.rcode], dns.RcodeToString[msg.Rcode])
			assert.Empty(t, msg.Answer)
			require.NotEmpty(t, msg.Ns, "no SOA in the authority section")
			_, isSOA := msg.Ns[0].(*dns.SOA)
			assert.True(t, isSOA, "authority: %v", msg.Ns)
		})
	}
	t.Run("NODATA name still has its TXT", func(t *testing.T) {
		t.Parallel()
		txt, err := r.LookupTXT(dnsCtx(t), "nodata.example.test")
		require.NoError(t, err)
		assert.Equal(t, []string{"this name has no MX and no address"}, txt)
	})
	t.Run("REFUSED outside the zones is temporary", func(t *testing.T) {
		t.Parallel()
		_, err := r.LookupTXT(dnsCtx(t), "mailkit.invalid")
		var de *net.DNSError
		require.True(t, errors.As(err, &de), "want *net.DNSError, got %T %v", err, err)
		assert.False(t, de.IsNotFound, "REFUSED reported as not found: %+v", de)
		assert.True(t, de.IsTemporary, "REFUSED not temporary: %+v", de)
	})
}

// tcptxtWant is the content of tcptxt.example.test (interop/zones/tcptxt.inc):
// six records of three 255-octet strings, joined by LookupTXT.
func tcptxtWant() []string {
	var want []string
	for i := 0; i < 6; i++ {
		var b strings.Builder
		for j := 0; j < 3; j++ {
			p := fmt.Sprintf("r%ds%d-", i, j)
			b.WriteString(p + strings.Repeat(string(rune('a'+i)), 255-len(p)))
		}
		want = append(want, b.String())
	}
	return want
}

func TestDNSTruncatedTXTRetriesOverTCP(t *testing.T) {
	requireInterop(t)
	ctx := dnsCtx(t)

	// Precondition: over UDP, even with EDNS0 and a 4096-byte buffer, NSD
	// answers these names truncated, so only a TCP retry gets the records.
	for _, name := range []string{"tcptxt.example.test.", "bigtxt.example.test."} {
		q := new(dns.Msg)
		q.SetQuestion(name, dns.TypeTXT)
		q.SetEdns0(4096, false)
		c := &dns.Client{Net: "udp", Timeout: 10 * time.Second}
		resp, _, err := c.ExchangeContext(ctx, q, peerAddr(portDNS))
		require.NoError(t, err)
		require.True(t, resp.Truncated, "%s: UDP answer not truncated (%d answers); the test would not exercise TCP", name, len(resp.Answer))
	}

	r := nsdResolver()
	t.Run("multi-string records joined", func(t *testing.T) {
		got, err := r.LookupTXT(ctx, "tcptxt.example.test")
		require.NoError(t, err)
		want := tcptxtWant()
		slices.Sort(got)
		assert.Equal(t, want, got)
	})
	t.Run("30 records over 4 KiB", func(t *testing.T) {
		got, err := r.LookupTXT(ctx, "bigtxt.example.test")
		require.NoError(t, err)
		require.Len(t, got, 30)
		slices.Sort(got)
		for i, s := range got {
			assert.Len(t, s, 200)
			assert.True(t, strings.HasPrefix(s, fmt.Sprintf("%02dx", i)), "record %d: %.10q", i, s)
		}
	})
	t.Run("raw query not truncated", func(t *testing.T) {
		msg, err := r.Query(ctx, "tcptxt.example.test", dns.TypeTXT)
		require.NoError(t, err)
		assert.False(t, msg.Truncated)
		assert.Len(t, msg.Answer, 6)
	})
}

func TestDNSOtherLookups(t *testing.T) {
	requireInterop(t)
	r := nsdResolver()
	t.Run("split SPF record joined", func(t *testing.T) {
		t.Parallel()
		got, err := r.LookupTXT(dnsCtx(t), "spf-split.example.test")
		require.NoError(t, err)
		assert.Equal(t, []string{"v=spf1 ip4:127.0.0.1 -all"}, got)
	})
	t.Run("addresses", func(t *testing.T) {
		t.Parallel()
		got, err := r.LookupNetIP(dnsCtx(t), "ip", "dual.example.test")
		require.NoError(t, err)
		slices.SortFunc(got, netip.Addr.Compare)
		assert.Equal(t, []netip.Addr{
			netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("::1"),
		}, got)
	})
	t.Run("CNAME", func(t *testing.T) {
		t.Parallel()
		got, err := r.LookupCNAME(dnsCtx(t), "www.example.test")
		require.NoError(t, err)
		assert.Equal(t, "mail.example.test.", got)
	})
	t.Run("PTR", func(t *testing.T) {
		t.Parallel()
		got, err := r.LookupAddr(dnsCtx(t), "127.0.0.2")
		require.NoError(t, err)
		assert.Equal(t, []string{"mx2.example.test."}, got)
	})
}
