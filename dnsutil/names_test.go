package dnsutil_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/dnsutil"
	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
)

// goResolver is a stock pure-Go net.Resolver talking to addr only.
func goResolver(addr string) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
}

type txtLookuper interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// TXT data with non-ASCII bytes, quotes and backslashes comes back as raw
// bytes from the zone directly, from dnsutil.Resolver through the
// server, and from net.Resolver through the server, whether the record
// was loaded from master-file text or added as a dns.TXT.
func TestTXTRawBytes(t *testing.T) {
	t.Parallel()
	z, err := dnstest.ParseZone(`
$ORIGIN t.test.
$TTL 300
text     IN TXT "caf\195\169 \"q\" back\\slash" "\255end"
ascii    IN TXT "v=spf1 " "-all"
`)
	require.NoError(t, err)
	owner := func(n string) dns.RR_Header {
		return dns.RR_Header{Name: n, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}
	}
	// miekg/dns convention for dns.TXT.Txt: a literal backslash is "\\",
	// other bytes may be given raw or escaped.
	z.AddRR(
		&dns.TXT{Hdr: owner("rr.t.test."), Txt: []string{"café \"q\" back\\\\slash", "\xffend"}},
		&dns.TXT{Hdr: owner("rr-escaped.t.test."), Txt: []string{`caf\195\169 \"q\" back\\slash`, `\255end`}},
		&dns.TXT{Hdr: owner("suite.t.test."), Txt: []string{"v=spf1 a:\xef\xbb\xbfgarbage.example.net -all"}},
	)
	s := newServer(t, z)
	want := "café \"q\" back\\slash\xffend"
	resolvers := map[string]txtLookuper{
		"zone":         z,
		"dnsutil":      &dnsutil.Resolver{Servers: []string{s.Addr()}},
		"net.Resolver": goResolver(s.Addr()),
	}
	for rname, r := range resolvers {
		t.Run(rname, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			for _, n := range []string{"text.t.test", "rr.t.test", "rr-escaped.t.test"} {
				got, err := r.LookupTXT(ctx, n)
				require.NoError(t, err, n)
				assert.Equal(t, []string{want}, got, n)
			}
			got, err := r.LookupTXT(ctx, "ascii.t.test")
			require.NoError(t, err)
			assert.Equal(t, []string{"v=spf1 -all"}, got)
			got, err = r.LookupTXT(ctx, "suite.t.test")
			require.NoError(t, err)
			assert.Equal(t, []string{"v=spf1 a:\xef\xbb\xbfgarbage.example.net -all"}, got)
		})
	}
}

// A TXT record with every byte value gives the same answer directly and
// over the wire (UDP and, for the large one, TCP after truncation).
func TestTXTAllBytesZoneAndServerAgree(t *testing.T) {
	t.Parallel()
	var strs []string
	for start := 0; start < 256; start += 64 {
		b := make([]byte, 0, 64)
		for c := start; c < start+64; c++ {
			b = append(b, byte(c))
		}
		strs = append(strs, escapeTXT(b))
	}
	z := dnstest.NewZone()
	z.AddRR(&dns.TXT{Hdr: dns.RR_Header{Name: "all.test.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: strs})
	s := newServer(t, z)
	ctx := context.Background()
	direct, err := z.LookupTXT(ctx, "all.test")
	require.NoError(t, err)
	require.Len(t, direct, 1)
	raw := make([]byte, 256)
	for i := range raw {
		raw[i] = byte(i)
	}
	assert.Equal(t, string(raw), direct[0])
	for _, r := range []txtLookuper{&dnsutil.Resolver{Servers: []string{s.Addr()}}, goResolver(s.Addr())} {
		got, err := r.LookupTXT(ctx, "all.test")
		require.NoError(t, err)
		assert.Equal(t, direct, got)
	}
}

// escapeTXT writes b in miekg/dns presentation form, as a test oracle
// independent of the code under test.
func escapeTXT(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c < ' ' || c > '~':
			sb.WriteByte('\\')
			sb.WriteByte('0' + c/100)
			sb.WriteByte('0' + c/10%10)
			sb.WriteByte('0' + c%10)
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// A name whose labels hold a space (SPF macro expansion can produce one)
// is asked with its bytes as they are and answered, however the owner was
// written in the zone.
func TestNameWithSpaces(t *testing.T) {
	t.Parallel()
	const spf = "macro%percent  space%20url-space.example.com"
	z := dnstest.MustParseZone(`
$ORIGIN example.com.
$TTL 300
a\032b IN TXT "from master file, decimal escape"
c\ d   IN A 192.0.2.7
`)
	z.AddRR(&dns.A{Hdr: dns.RR_Header{Name: spf + ".", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(192, 0, 2, 1)})
	z.AddRR(&dns.TXT{Hdr: dns.RR_Header{Name: "Mixed Case.example.com.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{"raw owner"}})
	s := newServer(t, z)
	r := &dnsutil.Resolver{Servers: []string{s.Addr()}}
	ctx := context.Background()

	for _, tc := range []struct{ name, host, ip string }{
		{"raw spaces", spf, "192.0.2.1"},
		{"upper case, escaped", `MACRO%PERCENT\032\032SPACE%20URL-SPACE.example.com.`, "192.0.2.1"},
		{"escaped space in the zone", "c d.example.com", "192.0.2.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for rname, lookup := range map[string]func(context.Context, string, string) ([]string, error){
				"zone":    func(ctx context.Context, _, h string) ([]string, error) { return z.LookupHost(ctx, h) },
				"dnsutil": func(ctx context.Context, _, h string) ([]string, error) { return r.LookupHost(ctx, h) },
			} {
				got, err := lookup(ctx, "", tc.host)
				require.NoError(t, err, rname)
				assert.Equal(t, []string{tc.ip}, got, rname)
			}
		})
	}
	for _, host := range []string{"a b.example.com", `A\ B.example.com`, "mixed case.EXAMPLE.com"} {
		got, err := r.LookupTXT(ctx, host)
		require.NoError(t, err, host)
		want, err := z.LookupTXT(ctx, host)
		require.NoError(t, err, host)
		assert.Equal(t, want, got, host)
	}

	// The question on the wire holds the raw label bytes.
	s.ResetRequests()
	_, err := r.Query(ctx, spf, dns.TypeTXT)
	require.NoError(t, err)
	reqs := s.Requests()
	require.NotEmpty(t, reqs)
	wire, err := reqs[0].Msg.Pack()
	require.NoError(t, err)
	label := strings.SplitN(spf, ".", 2)[0]
	assert.Contains(t, string(wire), string(rune(len(label)))+label)
	// The zone's query log uses one form for all of them.
	z.ResetQueries()
	_, err = r.LookupTXT(ctx, "a b.example.com")
	require.NoError(t, err)
	_, err = z.LookupTXT(ctx, `a\032B.example.com`)
	require.NoError(t, err)
	assert.Equal(t, []dnstest.Query{
		{Name: `a\ b.example.com.`, Type: dns.TypeTXT},
		{Name: `a\ b.example.com.`, Type: dns.TypeTXT},
	}, z.Queries())

	// Faults set under one spelling apply to the others.
	z.SetFault("A\\032B.example.com", dns.TypeTXT, dnstest.FaultServFail)
	_, err = r.LookupTXT(ctx, "a b.example.com")
	assert.True(t, dnsErr(t, err).IsTemporary)
	_, err = z.LookupTXT(ctx, "a b.example.com")
	assert.True(t, dnsErr(t, err).IsTemporary)
}

// Over-long labels and names are refused without a query, as
// *net.Resolver refuses them: "no such host", IsNotFound. The error says
// why through ErrInvalidName and, for Query, in its text.
func TestInvalidNames(t *testing.T) {
	t.Parallel()
	z := newZone(t)
	s := newServer(t, z)
	r := &dnsutil.Resolver{Servers: []string{s.Addr()}}
	std := goResolver(s.Addr())
	ctx := context.Background()
	l63 := strings.Repeat("a", 63)
	for _, tc := range []struct{ name, host, why string }{
		{"label of 64", strings.Repeat("a", 64) + ".example.com", "label longer than 63 octets"},
		{"name of 257 octets", l63 + "." + l63 + "." + l63 + "." + l63, "name longer than 255 octets"},
		{"empty label", "a..example.com", "empty label"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.ResetRequests()
			_, err := r.LookupTXT(ctx, tc.host)
			de := dnsErr(t, err)
			assert.True(t, de.IsNotFound)
			assert.False(t, de.IsTemporary || de.IsTimeout)
			assert.Equal(t, "no such host", de.Err)
			assert.True(t, errors.Is(err, dnsutil.ErrInvalidName))

			_, stdErr := std.LookupTXT(ctx, tc.host)
			sde := dnsErr(t, stdErr)
			assert.Equal(t, sde.Err, de.Err, "same text as net.Resolver")
			assert.Equal(t, sde.IsNotFound, de.IsNotFound, "same class as net.Resolver")

			_, err = z.LookupTXT(ctx, tc.host)
			zde := dnsErr(t, err)
			assert.True(t, zde.IsNotFound)
			assert.True(t, errors.Is(err, dnsutil.ErrInvalidName))

			_, err = r.Query(ctx, tc.host, dns.TypeA)
			qde := dnsErr(t, err)
			assert.True(t, qde.IsNotFound)
			assert.Contains(t, qde.Err, tc.why)
			assert.True(t, errors.Is(err, dnsutil.ErrInvalidName))
			assert.Empty(t, s.Requests(), "nothing was sent")
		})
	}
	// At the limits the names are asked (and do not exist).
	for _, host := range []string{l63 + ".example.com", l63 + "." + l63 + "." + l63 + "." + strings.Repeat("b", 61)} {
		s.ResetRequests()
		_, err := r.LookupTXT(ctx, host)
		de := dnsErr(t, err)
		assert.True(t, de.IsNotFound)
		assert.False(t, errors.Is(err, dnsutil.ErrInvalidName))
		assert.NotEmpty(t, s.Requests())
	}
}
