package dnstest_test

import (
	"context"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
)

// Owner names are keyed by their label bytes: raw, escaped in either
// form, or in another case, a name is one node; an escaped dot belongs to
// its label and does not make a parent.
func TestZoneNameForms(t *testing.T) {
	t.Parallel()
	z := dnstest.MustParseZone(`
$ORIGIN n.test.
$TTL 60
@        IN SOA ns hostmaster ( 1 3600 600 86400 60 )
x\.y     IN TXT "escaped dot"
a\032b   IN TXT "decimal"
`)
	z.AddRR(&dns.TXT{Hdr: dns.RR_Header{Name: "A B.n.test", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{"raw"}})
	ctx := context.Background()
	got, err := z.LookupTXT(ctx, `a\ b.N.TEST`)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"decimal", "raw"}, got)

	got, err = z.LookupTXT(ctx, `X\.Y.n.test`)
	require.NoError(t, err)
	assert.Equal(t, []string{"escaped dot"}, got)
	// y.n.test does not exist: x\.y is one label under n.test.
	m, err := z.Exchange(ctx, new(dns.Msg).SetQuestion("y.n.test.", dns.TypeTXT))
	require.NoError(t, err)
	assert.Equal(t, dns.RcodeNameError, m.Rcode)
	require.Len(t, m.Ns, 1, "negative answer carries the SOA of n.test")

	// Records keep their case and are written in presentation form, so
	// the zone text reads back to the same zone.
	var names []string
	for _, rr := range z.Records() {
		names = append(names, rr.Header().Name)
	}
	assert.Contains(t, names, `A\ B.n.test.`)
	back, err := dnstest.ParseZone(z.String())
	require.NoError(t, err)
	got, err = back.LookupTXT(ctx, "a b.n.test")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"decimal", "raw"}, got)
}

// Zone and Server give the same TXT answers for non-ASCII bytes, quotes
// and backslashes, added as master-file text or as dns.TXT records.
func TestZoneAndServerTXTAgree(t *testing.T) {
	t.Parallel()
	z := dnstest.MustParseZone(`$ORIGIN q.test.
t1 60 IN TXT "\195\175 \"quoted\" a\\b" "\000\127"
`)
	z.AddRR(&dns.TXT{Hdr: dns.RR_Header{Name: "t2.q.test.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
		Txt: []string{"\xc3\xaf \"quoted\" a\\\\b", "\x00\x7f"}})
	z.AddRR(&dns.TXT{Hdr: dns.RR_Header{Name: "t3 x.q.test.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
		Txt: []string{`\195\175 "quoted" a\\b`, `\000\127`}})
	s := startServer(t, z)
	std := goResolver(s.Addr())
	ctx := context.Background()
	want := []string{"\xc3\xaf \"quoted\" a\\b\x00\x7f"}
	for _, name := range []string{"t1.q.test", "t2.q.test"} {
		got, err := z.LookupTXT(ctx, name)
		require.NoError(t, err)
		assert.Equal(t, want, got, name)
		got, err = std.LookupTXT(ctx, name)
		require.NoError(t, err)
		assert.Equal(t, want, got, name)
	}
	got, err := z.LookupTXT(ctx, "t3 x.q.test")
	require.NoError(t, err)
	assert.Equal(t, want, got)
	// The stock resolver can not ask for a name with a space; ask the
	// server with a raw exchange instead.
	c := new(dns.Client)
	resp, _, err := c.Exchange(new(dns.Msg).SetQuestion(`t3\032x.q.test.`, dns.TypeTXT), s.Addr())
	require.NoError(t, err)
	require.Len(t, resp.Answer, 1)
	direct, err := z.Exchange(ctx, new(dns.Msg).SetQuestion("t3 x.q.test.", dns.TypeTXT))
	require.NoError(t, err)
	require.Len(t, direct.Answer, 1)
	var a, b [1024]byte
	na, err := dns.PackRR(resp.Answer[0], a[:], 0, nil, false)
	require.NoError(t, err)
	nb, err := dns.PackRR(direct.Answer[0], b[:], 0, nil, false)
	require.NoError(t, err)
	assert.Equal(t, b[:nb], a[:na], "same record on the wire")
}
