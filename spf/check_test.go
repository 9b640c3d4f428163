package spf_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
	"github.com/mailkit-go/mailkit/spf"
)

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func checkZone() *dnstest.Zone {
	return dnstest.NewZone().MustAdd(
		`example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"`,
		`mail.example.com. 300 IN TXT "v=spf1 a -all"`,
		`mail.example.com. 300 IN A 192.0.2.10`,
		`chain.example. 300 IN TXT "v=spf1 include:l1.example ~all"`,
		`l1.example. 300 IN TXT "v=spf1 include:l2.example -all"`,
		`l2.example. 300 IN TXT "v=spf1 include:l3.example -all"`,
		`l3.example. 300 IN TXT "v=spf1 mx -all"`,
		`l3.example. 300 IN MX 10 mx.l3.example.`,
		`mx.l3.example. 300 IN A 198.51.100.7`,
		`many.example. 300 IN TXT "v=spf1 a:a1.example a:a2.example a:a3.example a:a4.example a:a5.example a:a6.example a:a7.example a:a8.example a:a9.example a:a10.example a:a11.example -all"`,
		`a1.example. 300 IN A 203.0.113.1`, `a2.example. 300 IN A 203.0.113.1`, `a3.example. 300 IN A 203.0.113.1`,
		`a4.example. 300 IN A 203.0.113.1`, `a5.example. 300 IN A 203.0.113.1`, `a6.example. 300 IN A 203.0.113.1`,
		`a7.example. 300 IN A 203.0.113.1`, `a8.example. 300 IN A 203.0.113.1`, `a9.example. 300 IN A 203.0.113.1`,
		`a10.example. 300 IN A 203.0.113.1`, `a11.example. 300 IN A 198.51.100.1`,
		`void.example. 300 IN TXT "v=spf1 a:n1.example a:n2.example a:n3.example +all"`,
		`two.example. 300 IN TXT "v=spf1 -all"`, `two.example. 300 IN TXT "v=spf1 +all"`,
		`other.example. 300 IN TXT "google-site-verification=x"`, `other.example. 300 IN TXT "v=spf1 +all"`,
		`aftermatch.example. 300 IN TXT "v=spf1 +all include:broken.example"`,
		`badafter.example. 300 IN TXT "v=spf1 +all ip4:1.2.3.4/99"`,
		`tmp.example. 300 IN TXT "v=spf1 a:down.example -all"`,
		`ptr.example. 300 IN TXT "v=spf1 ptr -all"`,
		`10.2.0.192.in-addr.arpa. 300 IN PTR mail.ptr.example.`,
		`mail.ptr.example. 300 IN A 192.0.2.10`,
	)
}

func TestCheckResults(t *testing.T) {
	t.Parallel()
	zone := checkZone()
	zone.SetFault("down.example", dns.TypeANY, dnstest.FaultServFail)
	c := spf.Checker{Resolver: zone}
	tests := []struct {
		name    string
		in      spf.Input
		want    spf.Status
		matched string
		lookups int
		voids   int
		err     error
	}{
		{"ip4 pass", spf.Input{IP: ip("192.0.2.7"), MailFrom: "a@example.com"}, spf.Pass, "ip4:192.0.2.0/24", 0, 0, nil},
		{"ip6 pass", spf.Input{IP: ip("2001:db8::25"), MailFrom: "a@example.com"}, spf.Pass, "ip6:2001:db8::/32", 0, 0, nil},
		{"ip4-mapped client", spf.Input{IP: ip("::ffff:192.0.2.7"), MailFrom: "a@example.com"}, spf.Pass, "ip4:192.0.2.0/24", 0, 0, nil},
		{"fail", spf.Input{IP: ip("198.51.100.1"), MailFrom: "a@EXAMPLE.com"}, spf.Fail, "-all", 0, 0, nil},
		{"null sender uses helo", spf.Input{IP: ip("192.0.2.10"), Helo: "mail.example.com"}, spf.Pass, "a", 1, 0, nil},
		{"helo identity", spf.Input{IP: ip("192.0.2.11"), Helo: "mail.example.com", MailFrom: "x@example.com", Identity: spf.IdentityHelo}, spf.Fail, "-all", 1, 0, nil},
		{"no record", spf.Input{IP: ip("192.0.2.1"), MailFrom: "a@nothing.example"}, spf.None, "", 0, 0, nil},
		{"no local part", spf.Input{IP: ip("192.0.2.1"), MailFrom: "@example.com"}, spf.Pass, "ip4:192.0.2.0/24", 0, 0, nil},
		{"include chain three deep", spf.Input{IP: ip("198.51.100.7"), MailFrom: "a@chain.example"}, spf.Pass, "include:l1.example", 4, 0, nil},
		{"include chain miss", spf.Input{IP: ip("198.51.100.8"), MailFrom: "a@chain.example"}, spf.SoftFail, "~all", 4, 0, nil},
		{"lookup limit", spf.Input{IP: ip("198.51.100.1"), MailFrom: "a@many.example"}, spf.PermError, "", 11, 0, spf.ErrTooManyLookups},
		{"void limit", spf.Input{IP: ip("198.51.100.1"), MailFrom: "a@void.example"}, spf.PermError, "", 3, 3, spf.ErrTooManyVoidLookups},
		{"multiple records", spf.Input{IP: ip("198.51.100.1"), MailFrom: "a@two.example"}, spf.PermError, "", 0, 0, spf.ErrMultipleRecords},
		{"non-spf txt ignored", spf.Input{IP: ip("198.51.100.1"), MailFrom: "a@other.example"}, spf.Pass, "+all", 0, 0, nil},
		{"error after match not evaluated", spf.Input{IP: ip("198.51.100.1"), MailFrom: "a@aftermatch.example"}, spf.Pass, "+all", 0, 0, nil},
		{"syntax error after match", spf.Input{IP: ip("198.51.100.1"), MailFrom: "a@badafter.example"}, spf.PermError, "", 0, 0, spf.ErrSyntax},
		{"servfail", spf.Input{IP: ip("198.51.100.1"), MailFrom: "a@tmp.example"}, spf.TempError, "", 1, 0, spf.ErrDNS},
		{"ptr", spf.Input{IP: ip("192.0.2.10"), MailFrom: "a@ptr.example"}, spf.Pass, "ptr", 1, 0, nil},
		{"ptr miss", spf.Input{IP: ip("192.0.2.11"), MailFrom: "a@ptr.example"}, spf.Fail, "-all", 1, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := c.Check(context.Background(), tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, res.Result, "err=%v", res.Err)
			if tc.matched == "" {
				assert.Nil(t, res.Matched)
			} else if assert.NotNil(t, res.Matched) {
				assert.Equal(t, tc.matched, res.Matched.String())
			}
			assert.Equal(t, tc.lookups, res.Lookups, "lookups")
			assert.Equal(t, tc.voids, res.VoidLookups, "voids")
			if tc.err != nil {
				assert.ErrorIs(t, res.Err, tc.err)
			} else {
				assert.NoError(t, res.Err)
			}
			if tc.want == spf.Fail {
				assert.NotEmpty(t, res.Explanation)
			} else {
				assert.Empty(t, res.Explanation)
			}
		})
	}
}

func TestCheckConfigurableLimits(t *testing.T) {
	t.Parallel()
	zone := checkZone()
	in := spf.Input{IP: ip("198.51.100.7"), MailFrom: "a@chain.example"}
	c := spf.Checker{Resolver: zone, Limits: spf.Limits{MaxLookups: 3}}
	res, err := c.Check(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, spf.PermError, res.Result)
	assert.ErrorIs(t, res.Err, spf.ErrTooManyLookups)

	c = spf.Checker{Resolver: zone, Limits: spf.Limits{MaxVoidLookups: 3}}
	res, err = c.Check(context.Background(), spf.Input{IP: ip("198.51.100.1"), MailFrom: "a@void.example"})
	require.NoError(t, err)
	assert.Equal(t, spf.Pass, res.Result)
	assert.Equal(t, 3, res.VoidLookups)

	mxZone := dnstest.NewZone().MustAdd(`mx.example. 300 IN TXT "v=spf1 mx -all"`,
		`mx.example. 300 IN MX 10 a.mx.example.`, `mx.example. 300 IN MX 20 b.mx.example.`, `mx.example. 300 IN MX 30 c.mx.example.`,
		`c.mx.example. 300 IN A 192.0.2.3`)
	c = spf.Checker{Resolver: mxZone, Limits: spf.Limits{MaxMXNames: 2}}
	res, _ = c.Check(context.Background(), spf.Input{IP: ip("192.0.2.3"), MailFrom: "a@mx.example"})
	assert.Equal(t, spf.PermError, res.Result)
	assert.ErrorIs(t, res.Err, spf.ErrTooManyMXNames)
	c.Limits = spf.Limits{}
	res, _ = c.Check(context.Background(), spf.Input{IP: ip("192.0.2.3"), MailFrom: "a@mx.example"})
	assert.Equal(t, spf.Pass, res.Result)
}

func TestCheckExplanationAndMacros(t *testing.T) {
	t.Parallel()
	zone := dnstest.NewZone().MustAdd(
		`e.example. 300 IN TXT "v=spf1 -all exp=why.%{d}"`,
		`why.e.example. 300 IN TXT "%{c} may not send for %{o} (%{r}, t=%{t})"`,
	)
	c := spf.Checker{Resolver: zone, Receiver: "mx.receiver.example", Now: func() time.Time { return time.Unix(1234, 0) }}
	res, err := c.Check(context.Background(), spf.Input{IP: ip("2001:db8::1"), MailFrom: "u@e.example"})
	require.NoError(t, err)
	assert.Equal(t, spf.Fail, res.Result)
	assert.Equal(t, "2001:db8::1 may not send for e.example (mx.receiver.example, t=1234)", res.Explanation)

	c = spf.Checker{Resolver: dnstest.NewZone().MustAdd(`d.example. 300 IN TXT "v=spf1 -all"`)}
	res, _ = c.Check(context.Background(), spf.Input{IP: ip("192.0.2.1"), MailFrom: "u@d.example"})
	assert.Equal(t, "d.example does not designate 192.0.2.1 as permitted sender for u@d.example", res.Explanation)
}

func TestCheckTraceAndCache(t *testing.T) {
	t.Parallel()
	cache := spf.NewCache(2)
	var events []spf.TraceEvent
	c := spf.Checker{Resolver: checkZone(), Cache: cache, Trace: func(ev spf.TraceEvent) { events = append(events, ev) }}
	in := spf.Input{IP: ip("198.51.100.7"), MailFrom: "a@chain.example"}
	for i := 0; i < 3; i++ {
		events = events[:0]
		res, err := c.Check(context.Background(), in)
		require.NoError(t, err)
		assert.Equal(t, spf.Pass, res.Result)
	}
	assert.LessOrEqual(t, cache.Len(), 2)
	var depths, records, terms, ends int
	for _, ev := range events {
		if ev.Depth > depths {
			depths = ev.Depth
		}
		switch {
		case ev.Record != nil:
			records++
		case ev.Term != nil:
			terms++
		case ev.Status != "":
			ends++
		}
	}
	assert.Equal(t, 3, depths)
	assert.Equal(t, 4, records)
	assert.Equal(t, 4, terms)
	assert.Equal(t, 4, ends)
}

func TestCheckInputErrors(t *testing.T) {
	t.Parallel()
	c := spf.Checker{Resolver: checkZone()}
	res, err := c.Check(context.Background(), spf.Input{MailFrom: "a@example.com"})
	assert.ErrorIs(t, err, spf.ErrInvalidInput)
	assert.Equal(t, spf.None, res.Result)
	_, err = c.Check(context.Background(), spf.Input{IP: ip("192.0.2.1"), Identity: "pra"})
	assert.ErrorIs(t, err, spf.ErrInvalidInput)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err = c.Check(ctx, spf.Input{IP: ip("192.0.2.1"), MailFrom: "a@chain.example"})
	assert.Error(t, err)
	assert.Equal(t, spf.TempError, res.Result)
}

// TestCheckConcurrentNoCache runs checks without a Cache (records parsed
// into pooled per-check arenas) from several goroutines and makes sure
// that the Matched terms handed out stay intact while the arenas are
// reused by later checks.
func TestCheckConcurrentNoCache(t *testing.T) {
	t.Parallel()
	c := spf.Checker{Resolver: checkZone()}
	type job struct {
		in      spf.Input
		want    spf.Status
		matched string
	}
	jobs := []job{
		{spf.Input{IP: ip("192.0.2.7"), MailFrom: "a@example.com"}, spf.Pass, "ip4:192.0.2.0/24"},
		{spf.Input{IP: ip("2001:db8::7"), MailFrom: "a@example.com"}, spf.Pass, "ip6:2001:db8::/32"},
		{spf.Input{IP: ip("198.51.100.7"), MailFrom: "a@chain.example"}, spf.Pass, "include:l1.example"},
		{spf.Input{IP: ip("198.51.100.8"), MailFrom: "a@chain.example"}, spf.SoftFail, "~all"},
		{spf.Input{IP: ip("198.51.100.1"), MailFrom: "a@many.example"}, spf.PermError, ""},
		{spf.Input{IP: ip("192.0.2.10"), MailFrom: "a@ptr.example"}, spf.Pass, "ptr"},
	}
	const workers, rounds = 4, 50
	errs := make(chan string, workers)
	for w := 0; w < workers; w++ {
		go func() {
			var kept []*spf.Term
			var want []string
			msg := ""
			for r := 0; r < rounds && msg == ""; r++ {
				for _, j := range jobs {
					res, err := c.Check(context.Background(), j.in)
					if err != nil || res.Result != j.want {
						msg = j.in.MailFrom + ": got " + string(res.Result)
						break
					}
					got := ""
					if res.Matched != nil {
						got = res.Matched.String()
						kept = append(kept, res.Matched)
						want = append(want, j.matched)
					}
					if got != j.matched {
						msg = j.in.MailFrom + ": matched " + got
						break
					}
				}
			}
			for i, m := range kept {
				if msg == "" && m.String() != want[i] {
					msg = "kept term changed to " + m.String()
				}
			}
			errs <- msg
		}()
	}
	for w := 0; w < workers; w++ {
		assert.Empty(t, <-errs)
	}
}
