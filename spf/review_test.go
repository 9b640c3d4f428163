package spf_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
	"github.com/mailkit-go/mailkit/spf"
)

func queried(z *dnstest.Zone, name string) bool {
	name = strings.ToLower(dns.Fqdn(name))
	for _, q := range z.Queries() {
		if strings.ReplaceAll(q.Name, `\`, "") == name {
			return true
		}
	}
	return false
}

// TestExplanationFetchedOnlyOnFail: RFC 7208 §6.2, the exp= TXT record is
// looked up only when the result is fail.
func TestExplanationFetchedOnlyOnFail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ip      string
		want    spf.Status
		fetched bool
	}{
		{"192.0.2.1", spf.Pass, false},
		{"198.51.100.1", spf.SoftFail, false},
		{"203.0.113.1", spf.Neutral, false},
		{"2001:db8::1", spf.Fail, true},
	}
	for _, tc := range tests {
		t.Run(string(tc.want), func(t *testing.T) {
			t.Parallel()
			z := dnstest.NewZone().MustAdd(
				`x.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 ~ip4:198.51.100.0/24 ?ip4:203.0.113.0/24 -all exp=why.x.example"`,
				`why.x.example. 300 IN TXT "not you, %{i}"`,
			)
			c := spf.Checker{Resolver: z}
			res, err := c.Check(context.Background(), spf.Input{IP: ip(tc.ip), MailFrom: "u@x.example"})
			require.NoError(t, err)
			assert.Equal(t, tc.want, res.Result)
			assert.Equal(t, tc.fetched, queried(z, "why.x.example"), "exp TXT queried")
			if tc.fetched {
				assert.Equal(t, "not you, 2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1", res.Explanation)
			} else {
				assert.Empty(t, res.Explanation)
			}
		})
	}
}

// longSender has many short labels, so a truncated expansion stays a
// valid DNS name.
func longSender(n int) string {
	return strings.Repeat("ab.", n) + "x@s.example"
}

// truncateLeft is RFC 7208 §7.3: drop leading labels until the name has at
// most 253 octets.
func truncateLeft(s string) string {
	for len(s) > 253 {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return s
		}
		s = s[i+1:]
	}
	return s
}

// TestMacroDomainTruncation checks that an expanded domain-spec longer
// than 253 octets is truncated from the left (RFC 7208 §7.3), also when
// the expansion is far larger than the kept tail.
func TestMacroDomainTruncation(t *testing.T) {
	t.Parallel()
	spec := strings.Repeat("%{s}.", 40) + "t.example"
	sender := longSender(300)
	z := dnstest.NewZone().MustAdd(
		`s.example. 300 IN TXT "v=spf1 redirect=big.example"`,
		`big.example. 300 IN TXT "v=spf1 exists:`+spec+` -all"`)
	c := spf.Checker{Resolver: z}
	res, err := c.Check(context.Background(), spf.Input{IP: ip("192.0.2.1"), MailFrom: sender, Helo: "h.example"})
	require.NoError(t, err)
	assert.Equal(t, spf.Fail, res.Result)
	full, err := spf.ExpandMacro(spec, false, spf.MacroEnv{Sender: sender, Domain: "big.example"})
	require.NoError(t, err)
	want := truncateLeft(full)
	require.LessOrEqual(t, len(want), 253)
	assert.True(t, queried(z, want), "expected a query for %q, got %v", want, z.Queries())
}

// TestMacroExpansionMemoryBounded: a record of 64 KiB of %{s} macros and a
// long sender must not build the whole multi-megabyte expansion.
func TestMacroExpansionMemoryBounded(t *testing.T) {
	// Not parallel: measures the allocations of this goroutine's work.
	spec := strings.Repeat("%{s}", 14000) + ".t.example"
	rec := "v=spf1 exists:" + spec + " -all"
	z := dnstest.NewZone()
	z.AddRR(&dns.TXT{Hdr: dns.RR_Header{Name: "s.example.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: splitTXT(rec)})
	sender := longSender(600) // 1800 octets: the full expansion is ~25 MB
	c := spf.Checker{Resolver: z}
	in := spf.Input{IP: ip("192.0.2.1"), MailFrom: sender}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := c.Check(context.Background(), in)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, spf.Fail, res.Result, "err=%v", res.Err)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8<<20), "bytes allocated by one check")
}

func splitTXT(s string) []string {
	var out []string
	for len(s) > 255 {
		out = append(out, s[:255])
		s = s[255:]
	}
	return append(out, s)
}

// TestExplanationBounded: explanations are cut at MaxExplanationLen.
func TestExplanationBounded(t *testing.T) {
	t.Parallel()
	exp := strings.Repeat("%{s} ", 2000)
	z := dnstest.NewZone().MustAdd(`s.example. 300 IN TXT "v=spf1 -all exp=e.s.example"`)
	z.AddRR(&dns.TXT{Hdr: dns.RR_Header{Name: "e.s.example.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: splitTXT(exp)})
	c := spf.Checker{Resolver: z}
	res, err := c.Check(context.Background(), spf.Input{IP: ip("192.0.2.1"), MailFrom: longSender(50)})
	require.NoError(t, err)
	require.Equal(t, spf.Fail, res.Result)
	assert.Equal(t, spf.MaxExplanationLen, len(res.Explanation))
	assert.True(t, strings.HasPrefix(res.Explanation, longSender(50)+" "+longSender(50)))

	// The default explanation is bounded the same way.
	c = spf.Checker{Resolver: dnstest.NewZone().MustAdd(`s.example. 300 IN TXT "v=spf1 -all"`), DefaultExplanation: strings.Repeat("%{s}", 100)}
	res, err = c.Check(context.Background(), spf.Input{IP: ip("192.0.2.1"), MailFrom: longSender(50)})
	require.NoError(t, err)
	assert.Equal(t, spf.MaxExplanationLen, len(res.Explanation))
}

// TestValidatedDomainPerFrame: %{p} prefers the validated name matching
// the current <domain>, which changes across include.
func TestValidatedDomainPerFrame(t *testing.T) {
	t.Parallel()
	z := dnstest.NewZone().MustAdd(
		`a.example. 300 IN TXT "v=spf1 exists:%{p}.ok.test include:b.example -all"`,
		`b.example. 300 IN TXT "v=spf1 exists:%{p}.ok.test -all"`,
		`10.2.0.192.in-addr.arpa. 300 IN PTR mail.a.example.`,
		`10.2.0.192.in-addr.arpa. 300 IN PTR mail.b.example.`,
		`mail.a.example. 300 IN A 192.0.2.10`,
		`mail.b.example. 300 IN A 192.0.2.10`,
		`mail.b.example.ok.test. 300 IN A 127.0.0.2`,
	)
	c := spf.Checker{Resolver: z}
	res, err := c.Check(context.Background(), spf.Input{IP: ip("192.0.2.10"), MailFrom: "u@a.example"})
	require.NoError(t, err)
	assert.True(t, queried(z, "mail.a.example.ok.test"))
	assert.True(t, queried(z, "mail.b.example.ok.test"))
	assert.Equal(t, spf.Pass, res.Result, "include:b.example matches through mail.b.example")
	assert.Equal(t, "include:b.example", res.Matched.String())
}

// cancelResolver cancels the check's context after the first TXT lookup
// and counts the lookups made after that.
type cancelResolver struct {
	*dnstest.Zone
	cancel context.CancelFunc
	after  atomic.Int32
	done   atomic.Bool
}

func (r *cancelResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if r.done.Load() {
		r.after.Add(1)
	}
	txt, err := r.Zone.LookupTXT(ctx, name)
	r.cancel()
	r.done.Store(true)
	return txt, err
}

func (r *cancelResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if r.done.Load() {
		r.after.Add(1)
	}
	return r.Zone.LookupNetIP(ctx, network, host)
}

func TestCheckCancelledMidEvaluation(t *testing.T) {
	t.Parallel()
	z := dnstest.NewZone().MustAdd(
		`c.example. 300 IN TXT "v=spf1 a:one.example a:two.example include:three.example -all"`,
		`one.example. 300 IN A 198.51.100.1`,
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &cancelResolver{Zone: z, cancel: cancel}
	c := spf.Checker{Resolver: r}
	res, err := c.Check(ctx, spf.Input{IP: ip("192.0.2.1"), MailFrom: "u@c.example"})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.True(t, strings.HasPrefix(err.Error(), "spf: "), err.Error())
	assert.Equal(t, spf.TempError, res.Result)
	assert.ErrorIs(t, res.Err, context.Canceled)
	assert.True(t, strings.HasPrefix(res.Err.Error(), "spf: "), res.Err.Error())
	assert.Zero(t, r.after.Load(), "no DNS lookup after the context ended")
}

func TestIncludeRedirectMapping(t *testing.T) {
	t.Parallel()
	z := dnstest.NewZone().MustAdd(
		`inc-none.example. 300 IN TXT "v=spf1 include:nothing.example +all"`,
		`inc-perm.example. 300 IN TXT "v=spf1 include:broken.example +all"`,
		`inc-temp.example. 300 IN TXT "v=spf1 include:down.example +all"`,
		`inc-fail.example. 300 IN TXT "v=spf1 include:deny.example ?all"`,
		`inc-soft.example. 300 IN TXT "v=spf1 include:soft.example ?all"`,
		`inc-pass.example. 300 IN TXT "v=spf1 include:allow.example -all"`,
		`red-none.example. 300 IN TXT "v=spf1 redirect=nothing.example"`,
		`red-fail.example. 300 IN TXT "v=spf1 redirect=deny.example"`,
		`red-after-all.example. 300 IN TXT "v=spf1 ?all redirect=deny.example"`,
		`red-bad.example. 300 IN TXT "v=spf1 redirect=%{l}.example"`,
		`broken.example. 300 IN TXT "v=spf1 ip4:1.2.3.4/40"`,
		`down.example. 300 IN TXT "v=spf1 +all"`,
		`deny.example. 300 IN TXT "v=spf1 -all exp=why.deny.example"`,
		`why.deny.example. 300 IN TXT "deny says no to %{d}"`,
		`soft.example. 300 IN TXT "v=spf1 ~all"`,
		`allow.example. 300 IN TXT "v=spf1 +all"`,
	)
	z.SetFault("down.example", dns.TypeTXT, dnstest.FaultServFail)
	c := spf.Checker{Resolver: z, DefaultExplanation: "DEFAULT"}
	tests := []struct {
		domain string
		want   spf.Status
		err    error
		exp    string
	}{
		{"inc-none.example", spf.PermError, spf.ErrIncludeNone, ""},
		{"inc-perm.example", spf.PermError, spf.ErrSyntax, ""},
		{"inc-temp.example", spf.TempError, spf.ErrDNS, ""},
		{"inc-fail.example", spf.Neutral, nil, ""},
		{"inc-soft.example", spf.Neutral, nil, ""},
		{"inc-pass.example", spf.Pass, nil, ""},
		{"red-none.example", spf.PermError, spf.ErrRedirectNone, ""},
		// The explanation of a redirect target is its own exp=, expanded
		// with %{d} = the target domain (RFC 7208 §6.1, §6.2).
		{"red-fail.example", spf.Fail, nil, "deny says no to deny.example"},
		{"red-after-all.example", spf.Neutral, nil, ""},
		{"red-bad.example", spf.PermError, spf.ErrRedirectNone, ""},
	}
	for _, tc := range tests {
		t.Run(tc.domain, func(t *testing.T) {
			t.Parallel()
			res, err := c.Check(context.Background(), spf.Input{IP: ip("192.0.2.1"), MailFrom: "a..b@" + tc.domain})
			require.NoError(t, err)
			assert.Equal(t, tc.want, res.Result, "err=%v", res.Err)
			if tc.err != nil {
				assert.ErrorIs(t, res.Err, tc.err)
			} else {
				assert.NoError(t, res.Err)
			}
			if tc.exp != "" {
				assert.Equal(t, tc.exp, res.Explanation)
			}
		})
	}
}

// TestDualCIDRAndIPv6 covers dual-cidr-length on a and mx for IPv4, IPv6
// and IPv4-mapped clients.
func TestDualCIDRAndIPv6(t *testing.T) {
	t.Parallel()
	z := dnstest.NewZone().MustAdd(
		`d.example. 300 IN TXT "v=spf1 a:h.d.example/24//64 mx/30//120 -all"`,
		`h.d.example. 300 IN A 192.0.2.1`,
		`h.d.example. 300 IN AAAA 2001:db8:1:2::1`,
		`d.example. 300 IN MX 10 mx.d.example.`,
		`mx.d.example. 300 IN A 198.51.100.4`,
		`mx.d.example. 300 IN AAAA 2001:db8:9::100`,
	)
	c := spf.Checker{Resolver: z}
	tests := []struct {
		ip      string
		want    spf.Status
		matched string
	}{
		{"192.0.2.200", spf.Pass, "a:h.d.example/24//64"},
		{"::ffff:192.0.2.200", spf.Pass, "a:h.d.example/24//64"},
		{"192.0.3.1", spf.Fail, "-all"},
		{"2001:db8:1:2:ffff::1", spf.Pass, "a:h.d.example/24//64"},
		{"2001:db8:1:3::1", spf.Fail, "-all"},
		{"198.51.100.7", spf.Pass, "mx/30//120"},
		{"198.51.100.8", spf.Fail, "-all"},
		{"2001:db8:9::1ff", spf.Pass, "mx/30//120"},
		{"2001:db8:9::200", spf.Fail, "-all"},
	}
	for _, tc := range tests {
		t.Run(tc.ip, func(t *testing.T) {
			t.Parallel()
			res, err := c.Check(context.Background(), spf.Input{IP: ip(tc.ip), MailFrom: "u@d.example"})
			require.NoError(t, err)
			assert.Equal(t, tc.want, res.Result, "err=%v", res.Err)
			require.NotNil(t, res.Matched)
			assert.Equal(t, tc.matched, res.Matched.String())
		})
	}
}

// TestCheckerConcurrentSharedCache runs one Checker with a Cache, one
// without and one with Select from many goroutines at once, all over the
// same zone, so that the race detector sees any shared parse arena or
// cache state.
func TestCheckerConcurrentSharedCache(t *testing.T) {
	t.Parallel()
	zone := checkZone()
	cache := spf.NewCache(3) // small: entries are dropped while in use
	checkers := []*spf.Checker{
		{Resolver: zone, Cache: cache},
		{Resolver: zone, Cache: cache, Limits: spf.Limits{MaxLookups: 20}},
		{Resolver: zone},
		{Resolver: zone, Select: func(_ string, txts []string) (*spf.Record, error) {
			for _, s := range txts {
				if spf.IsRecord(s) {
					return spf.Parse(s)
				}
			}
			return nil, nil
		}},
	}
	type job struct {
		in      spf.Input
		want    spf.Status
		matched string
	}
	jobs := []job{
		{spf.Input{IP: ip("192.0.2.7"), MailFrom: "a@example.com"}, spf.Pass, "ip4:192.0.2.0/24"},
		{spf.Input{IP: ip("198.51.100.7"), MailFrom: "a@chain.example"}, spf.Pass, "include:l1.example"},
		{spf.Input{IP: ip("198.51.100.8"), MailFrom: "a@chain.example"}, spf.SoftFail, "~all"},
		{spf.Input{IP: ip("192.0.2.10"), MailFrom: "a@ptr.example"}, spf.Pass, "ptr"},
		{spf.Input{IP: ip("192.0.2.11"), Helo: "mail.example.com", Identity: spf.IdentityHelo}, spf.Fail, "-all"},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var kept []*spf.Term
			var keptWant []string
			for r := 0; r < 30; r++ {
				c := checkers[(g+r)%len(checkers)]
				j := jobs[(g*7+r)%len(jobs)]
				res, err := c.Check(context.Background(), j.in)
				if err != nil || res.Result != j.want || res.Matched == nil || res.Matched.String() != j.matched {
					errs <- fmt.Errorf("%s: %v %v %v", j.in.MailFrom, res.Result, res.Matched, err)
					return
				}
				kept = append(kept, res.Matched)
				keptWant = append(keptWant, j.matched)
			}
			for i, m := range kept {
				if m.String() != keptWant[i] {
					errs <- errors.New("matched term changed after the check: " + m.String())
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// headerPairs splits the key=value list of a Received-SPF value that
// follows the comment, honouring quoted-strings, and returns the keys in
// order. It fails the test on anything a header parser would choke on.
func receivedKeys(t *testing.T, v string) []string {
	t.Helper()
	require.NotContains(t, v, "\r")
	require.NotContains(t, v, "\n")
	// Skip result word and comment (with quoted-pairs and nesting).
	i := strings.IndexByte(v, '(')
	require.GreaterOrEqual(t, i, 0)
	depth := 0
	for ; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
			continue
		case '(':
			depth++
		case ')':
			depth--
		}
		if depth == 0 {
			break
		}
	}
	require.Zero(t, depth, "unbalanced comment in %q", v)
	rest := v[i+1:]
	var keys []string
	for {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			return keys
		}
		eq := strings.IndexByte(rest, '=')
		require.Greater(t, eq, 0, "no key in %q", rest)
		key := rest[:eq]
		require.NotContains(t, key, ";", rest)
		require.NotContains(t, key, " ", rest)
		keys = append(keys, key)
		rest = rest[eq+1:]
		if strings.HasPrefix(rest, `"`) {
			k := 1
			for ; k < len(rest) && rest[k] != '"'; k++ {
				if rest[k] == '\\' {
					k++
				}
			}
			require.Less(t, k, len(rest), "unterminated quoted-string")
			rest = rest[k+1:]
		} else {
			k := strings.IndexAny(rest, "; ")
			require.GreaterOrEqual(t, k, 0)
			rest = rest[k:]
		}
		require.True(t, strings.HasPrefix(rest, ";"), "pair not ended by ';' in %q", rest)
		rest = rest[1:]
	}
}

// TestReceivedSPFHostileInput: a HELO or MAIL FROM with CR/LF, ';', '(',
// '"' or '\' can neither add header lines nor key=value pairs nor end
// the comment early.
func TestReceivedSPFHostileInput(t *testing.T) {
	t.Parallel()
	z := dnstest.NewZone().MustAdd(`x.example. 300 IN TXT "v=spf1 -all"`)
	c := spf.Checker{Resolver: z}
	hostile := []spf.Input{
		{Helo: "evil.example\r\nX-Injected: yes", MailFrom: "a@x.example"},
		{Helo: "h.example; receiver=forged.example", MailFrom: "a;identity=helo@x.example"},
		{Helo: "h.example) pass (", MailFrom: `a(b)\)c@x.example`},
		{Helo: `h"; helo="x`, MailFrom: "x\"@x.example\r\n\r\nbody"},
		{Helo: "h.example\x00\x7f\xff", MailFrom: "\xc3(@x.example"},
		{Helo: "h.example", MailFrom: "a>; helo=x <b@x.example"},
	}
	for i, in := range hostile {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			in.IP = ip("192.0.2.1")
			res, err := c.Check(context.Background(), in)
			require.NoError(t, err)
			for _, id := range []spf.Identity{spf.IdentityMailFrom, spf.IdentityHelo} {
				res.Identity = id
				h := spf.NewReceivedSPF(res, in, "mx.example")
				h.Problem = "bad \"record\"\r\n(x)"
				v := h.Value()
				want := []string{"receiver", "identity", "client-ip", "envelope-from", "helo", "problem"}
				if res.Matched != nil {
					want = append(want, "mechanism")
				}
				assert.Equal(t, want, receivedKeys(t, v), v)
				assert.True(t, strings.ToValidUTF8(v, "") == v, "invalid UTF-8 in %q", v)

				ar := spf.AuthResult(res)
				assert.NotContains(t, ar, "\r")
				assert.NotContains(t, ar, "\n")
				props := arProps(t, ar)
				if id == spf.IdentityHelo {
					assert.Equal(t, []string{"smtp.helo"}, props, ar)
				} else {
					assert.Equal(t, []string{"smtp.mailfrom"}, props, ar)
				}
			}
		})
	}
}

// arProps returns the property names of an spf= resinfo, skipping quoted
// values.
func arProps(t *testing.T, s string) []string {
	t.Helper()
	var props []string
	require.True(t, strings.HasPrefix(s, "spf="))
	i := strings.IndexByte(s, ' ')
	for i >= 0 && i < len(s) {
		s = strings.TrimLeft(s[i:], " ")
		eq := strings.IndexByte(s, '=')
		require.Greater(t, eq, 0, s)
		if name := s[:eq]; name != "reason" {
			props = append(props, name)
		}
		s = s[eq+1:]
		if strings.HasPrefix(s, `"`) {
			k := 1
			for ; k < len(s) && s[k] != '"'; k++ {
				if s[k] == '\\' {
					k++
				}
			}
			require.Less(t, k, len(s), "unterminated quoted-string")
			s = s[k+1:]
			i = 0
			if s == "" {
				break
			}
			require.True(t, s[0] == ' ', "garbage after quoted value: %q", s)
			continue
		}
		for k := 0; k < len(s); k++ {
			require.NotContains(t, "()<>,;:\\\"/[]?= \t", string(s[k]), "unquoted special in value %q", s)
		}
		break
	}
	return props
}

func TestAuthResultReasonAndQuoting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		res  spf.Result
		want string
	}{
		{spf.Result{Result: spf.Pass, Sender: "user@example.com"}, "spf=pass smtp.mailfrom=user@example.com"},
		{spf.Result{Result: spf.Pass, Sender: "postmaster@mail.example.com"}, "spf=pass smtp.mailfrom=postmaster@mail.example.com"},
		{spf.Result{Result: spf.PermError, Sender: "a@b.example", Err: spf.ErrTooManyLookups}, `spf=permerror reason="spf: too many DNS lookups" smtp.mailfrom=a@b.example`},
		{spf.Result{Result: spf.TempError, Identity: spf.IdentityHelo, Helo: "[192.0.2.1]", Err: spf.ErrDNS}, `spf=temperror reason="spf: DNS lookup failed" smtp.helo="[192.0.2.1]"`},
		{spf.Result{Result: spf.Fail, Sender: "<a>@b.example"}, `spf=fail smtp.mailfrom="<a>@b.example"`},
		{spf.Result{Result: spf.Fail, Sender: "a.@b.example"}, `spf=fail smtp.mailfrom="a.@b.example"`},
		{spf.Result{Result: spf.None, Identity: spf.IdentityHelo, Helo: "h\r\n.example"}, `spf=none smtp.helo="h  .example"`},
		{spf.Result{}, `spf=none smtp.mailfrom=""`},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, spf.AuthResult(tc.res))
		})
	}
}

// TestParseEdgeCases adds RFC 7208 §12 corner cases to TestParseValid and
// TestParseInvalid.
func TestParseEdgeCases(t *testing.T) {
	t.Parallel()
	valid := []string{
		"v=spf1 a:foo.1com",             // toplabel: alphanum with one ALPHA
		"v=spf1 a:foo.1-2",              // toplabel: alphanum "-" alphanum
		"v=spf1 a:foo.x-y-z.",           // trailing dot
		"v=spf1 include:%{d}",           // ends with a macro-expand
		"v=spf1 exists:%{i}.%{d2}",      // macro-expand domain-end
		"v=spf1 a:%{l}.x.%{o}.com",      // macros before the toplabel
		"v=spf1 mx:%{d}/24//64",         // macro domain with dual cidr
		"v=spf1 x-y.z_1=%{s}%%%_%-",     // unknown modifier, kept
		"v=spf1 ip6:::/0 ip4:0.0.0.0/0", // zero-length prefixes
	}
	for _, s := range valid {
		r, err := spf.Parse(s)
		if assert.NoError(t, err, s) {
			r2, err := spf.Parse(r.String())
			require.NoError(t, err, s)
			assert.Equal(t, r, r2, s)
		}
	}
	invalid := []string{
		"v=spf1 a:foo.-1", "v=spf1 a:foo.1-", "v=spf1 a:foo..", "v=spf1 a:foo.com..", "v=spf1 a:.",
		"v=spf1 a:%{d}x", "v=spf1 a:foo.%{d}x", "v=spf1 ip4:01.2.3.4", "v=spf1 ip6:::1::1",
		"v=spf1 exp=a.example exp=a.example", "v=spf1 REDIRECT=a.example redirect=b.example",
		"v=spf1 ?exp=a.example", "v=spf1 +all extra:x",
	}
	for _, s := range invalid {
		_, err := spf.Parse(s)
		assert.ErrorIs(t, err, spf.ErrSyntax, s)
	}
	r, err := spf.Parse("v=spf1 Foo=bar -all")
	require.NoError(t, err)
	assert.Equal(t, spf.Modifier{Name: "Foo", Value: "bar"}, r.Terms[0].Modifier)
}

// TestMultipleRecordsAndNonASCII: RFC 7208 §4.5.
func TestMultipleRecordsAndNonASCII(t *testing.T) {
	t.Parallel()
	z := dnstest.NewZone().MustAdd(
		`m.example. 300 IN TXT "v=spf1 +all"`,
		`m.example. 300 IN TXT "V=SPF1 -all"`,
		`n.example. 300 IN TXT "v=spf10 +all"`,
		`n.example. 300 IN TXT "v=spf1 -all"`,
	)
	c := spf.Checker{Resolver: z}
	res, err := c.Check(context.Background(), spf.Input{IP: ip("192.0.2.1"), MailFrom: "a@m.example"})
	require.NoError(t, err)
	assert.Equal(t, spf.PermError, res.Result)
	assert.ErrorIs(t, res.Err, spf.ErrMultipleRecords)
	res, err = c.Check(context.Background(), spf.Input{IP: ip("192.0.2.1"), MailFrom: "a@n.example"})
	require.NoError(t, err)
	assert.Equal(t, spf.Fail, res.Result, "v=spf10 is not an SPF record")
}

// TestPTRNameLimit: only the first MaxPTRNames PTR names are validated
// (RFC 7208 §4.6.4), for the ptr mechanism and for %{p}.
func TestPTRNameLimit(t *testing.T) {
	t.Parallel()
	common := []string{
		`10.2.0.192.in-addr.arpa. 300 IN PTR one.other.example.`,
		`10.2.0.192.in-addr.arpa. 300 IN PTR two.other.example.`,
		`10.2.0.192.in-addr.arpa. 300 IN PTR mail.p.example.`,
		`one.other.example. 300 IN A 192.0.2.10`,
		`two.other.example. 300 IN A 192.0.2.99`,
		`mail.p.example. 300 IN A 192.0.2.10`,
		`mail.p.example.ok.test. 300 IN A 127.0.0.2`,
	}
	for _, rec := range []string{"ptr -all", "exists:%{p}.ok.test -all"} {
		z := dnstest.NewZone().MustAdd(common...).MustAdd(`p.example. 300 IN TXT "v=spf1 ` + rec + `"`)
		for _, tc := range []struct {
			max  int
			want spf.Status
		}{{0, spf.Pass}, {3, spf.Pass}, {2, spf.Fail}} {
			// With the limit at 2, mail.p.example is never validated:
			// ptr does not match and %{p} falls back to one.other.example.
			c := spf.Checker{Resolver: z, Limits: spf.Limits{MaxPTRNames: tc.max}}
			res, err := c.Check(context.Background(), spf.Input{IP: ip("192.0.2.10"), MailFrom: "u@p.example"})
			require.NoError(t, err)
			assert.Equal(t, tc.want, res.Result, "%s, MaxPTRNames=%d", rec, tc.max)
		}
	}
}

// TestExplanationCutOnRuneBoundary: the cut never splits a UTF-8 sequence.
func TestExplanationCutOnRuneBoundary(t *testing.T) {
	t.Parallel()
	c := spf.Checker{Resolver: dnstest.NewZone().MustAdd(`s.example. 300 IN TXT "v=spf1 -all"`), DefaultExplanation: "x%{l}"}
	// "x" then 2-byte characters: the 1024-byte bound falls in the middle
	// of one of them.
	res, err := c.Check(context.Background(), spf.Input{IP: ip("192.0.2.1"), MailFrom: strings.Repeat("é", 600) + "@s.example"})
	require.NoError(t, err)
	require.Equal(t, spf.Fail, res.Result)
	assert.True(t, utf8.ValidString(res.Explanation), "explanation must stay valid UTF-8")
	assert.Equal(t, spf.MaxExplanationLen-1, len(res.Explanation))
}
