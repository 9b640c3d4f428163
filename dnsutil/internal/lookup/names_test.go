package lookup

import (
	"errors"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeEscapes(t *testing.T) {
	t.Parallel()
	l63 := strings.Repeat("a", 63)
	ddd63 := strings.Repeat(`\195`, 63)
	// 4 labels of 63 plus their length octets and the root: 257 > 255;
	// three of 63 and one of 61 make exactly 255.
	name255 := l63 + "." + l63 + "." + l63 + "." + strings.Repeat("b", 61)
	for _, tc := range []struct{ name, in, want string }{
		{"spaces and percents", "macro%percent  space%20url-space.example.com", `macro%percent\ \ space%20url-space.example.com.`},
		{"special bytes", `a@b;c(d)e"f'g.example`, `a\@b\;c\(d\)e\"f\'g.example.`},
		{"control and high bytes escaped with \\DDD", "a\tb\x7f.example", `a\009b\127.example.`},
		{"already escaped decimal", `a\032b.Example`, `a\ b.Example.`},
		{"already escaped char", `a\ b.example.`, `a\ b.example.`},
		{"escaped letter written plain", `\065\066.example`, `AB.example.`},
		{"escaped dot stays in the label", `a\.b.example`, `a\.b.example.`},
		{"escaped backslash", `a\\b.example`, `a\\b.example.`},
		{"escaped non-ASCII bytes", `caf\195\169.example`, `caf\195\169.example.`},
		{"case kept", "_DMARC.Example.COM", "_DMARC.Example.COM."},
		{"root", ".", "."},
		{"label of 63", l63 + ".example", l63 + ".example."},
		{"escaped label of 63 octets", ddd63 + ".example", ddd63 + ".example."},
		{"name of 255 octets", name255, name255 + "."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			_, ok := dns.IsDomainName(got)
			assert.True(t, ok, "miekg accepts %q", got)
		})
	}
}

func TestNormalizeErrors(t *testing.T) {
	t.Parallel()
	l63 := strings.Repeat("a", 63)
	for _, tc := range []struct{ name, in, msg string }{
		{"empty", "", "empty name"},
		{"empty label", "a..b", "empty label"},
		{"leading dot", ".a", "empty label"},
		{"label of 64", strings.Repeat("a", 64) + ".example", "label longer than 63 octets"},
		{"escaped label of 64 octets", strings.Repeat(`\195`, 64) + ".example", "label longer than 63 octets"},
		{"label of 64 with a space", strings.Repeat("a", 62) + "  .example", "label longer than 63 octets"},
		{"name of 257 octets", l63 + "." + l63 + "." + l63 + "." + l63, "name longer than 255 octets"},
		{"name of 256 octets with escapes", l63 + "." + l63 + "." + l63 + "." + strings.Repeat(`\032`, 62), "name longer than 255 octets"},
		{"dangling backslash", `ab\`, "dangling backslash"},
		{"short decimal escape", `a\25`, "bad \\DDD escape"},
		{"decimal escape over 255", `a\256.example`, "out of range"},
		{"invalid UTF-8", "\xff.example", "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Normalize(tc.in)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrInvalidName))
			assert.Contains(t, err.Error(), tc.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "invalid domain name: "), err.Error())
		})
	}
}

// The packed question carries the label bytes as given, and miekg/dns
// unpacks it to a name equal to the one asked.
func TestNormalizedNameOnTheWire(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"macro%percent  space%20url-space.example.com",
		"a\x01b\x7fc.Example",
		`x\195\175y.example`,
		`a\.b.example`,
	} {
		t.Run(in, func(t *testing.T) {
			q, err := Normalize(in)
			require.NoError(t, err)
			wire, err := new(dns.Msg).SetQuestion(q, dns.TypeTXT).Pack()
			require.NoError(t, err)
			if !strings.Contains(in, `\`) {
				first := strings.SplitN(in, ".", 2)[0]
				assert.Contains(t, string(wire), string([]byte{byte(len(first))})+first, "raw label bytes on the wire")
			}
			var m dns.Msg
			require.NoError(t, m.Unpack(wire))
			assert.True(t, SameName(m.Question[0].Name, in), "%q vs %q", m.Question[0].Name, in)
			assert.Equal(t, q, m.Question[0].Name)
		})
	}
}

func TestCanonicalAndSameName(t *testing.T) {
	t.Parallel()
	same := [][]string{
		{"a b.example.", `A\032B.Example`, `a\ b.EXAMPLE.`, "A B.example"},
		{`caf\195\169.example`, "caf\xc3\xa9.example."}, // byte for byte, no IDNA: Canonical only
		{"_spf.Example.com", "_SPF.example.com."},
	}
	for _, group := range same[:1] {
		for _, n := range group {
			assert.Equal(t, `a\ b.example.`, CanonicalKey(n), n)
		}
	}
	for _, group := range same {
		for _, a := range group {
			for _, b := range group {
				assert.True(t, SameName(a, b), "%q %q", a, b)
			}
		}
	}
	// Only ASCII letters fold: other bytes, and invalid UTF-8 in
	// particular, are compared exactly.
	assert.False(t, SameName("\xff.example", "\xfe.example"))
	assert.False(t, SameName("K.example", "\u212a.example")) // Kelvin sign
	assert.False(t, SameName(`a\.b.example`, "a.b.example"))
	assert.False(t, SameName("ab.example", "a b.example"))
	c, err := Canonical(`\195\128B.example`)
	require.NoError(t, err)
	assert.Equal(t, `\195\128b.example.`, c, "high bytes are not case-folded")
	// Malformed names still make a key.
	assert.Equal(t, "a..b.", CanonicalKey("A..b"))
}

func TestDecodeTXT(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"v=spf1 -all", "v=spf1 -all"},
		{`\195\175`, "\xc3\xaf"},
		{`say \"hi\"`, `say "hi"`},
		{`back\\slash`, `back\slash`},
		{`\a\b`, "ab"},
		{`\000\255`, "\x00\xff"},
		{`\12`, "12"}, // not three digits: the digits are taken literally
		{`end\`, "end"},
		{`\999`, string([]byte{byte(999 % 256)})},
	} {
		assert.Equal(t, tc.want, DecodeTXT(tc.in), tc.in)
	}
}

// Not parallel: testing.AllocsPerRun refuses parallel tests.
func TestDecodeTXTNoBackslashNoAlloc(t *testing.T) {
	s := "v=spf1 include:_spf.example.com ~all"
	allocs := testing.AllocsPerRun(100, func() { _ = DecodeTXT(s) })
	assert.Zero(t, allocs, "no backslash: no allocation")
	allocs = testing.AllocsPerRun(100, func() { _ = joinTXT([]string{s}) })
	assert.Zero(t, allocs, "one string without backslash: no allocation")
}

// DecodeTXT agrees with what miekg/dns puts on the wire: a string read
// back from a packed and unpacked message decodes to the same bytes as
// the string it was packed from. This is why dnstest.Zone (no packing)
// and dnstest.Server (packing) give the same LookupTXT answers.
func TestDecodeTXTMatchesWire(t *testing.T) {
	t.Parallel()
	all := make([]byte, 0, 128)
	for b := 0; b < 256; b += 2 {
		all = append(all, byte(b))
	}
	for _, s := range []string{string(all), `a"b\\c`, `caf\195\169 \"x\"`, "plain", `\x\`, ""} {
		checkTXTWire(t, s)
	}
}

func checkTXTWire(t *testing.T, s string) {
	t.Helper()
	m := new(dns.Msg).SetQuestion("x.example.", dns.TypeTXT)
	m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: "x.example.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{s}}}
	wire, err := m.Pack()
	if err != nil {
		return // not packable (too long): nothing to compare
	}
	var back dns.Msg
	require.NoError(t, back.Unpack(wire))
	got := back.Answer[0].(*dns.TXT).Txt[0]
	assert.Equal(t, DecodeTXT(s), DecodeTXT(got), "%q came back as %q", s, got)
}

func FuzzDecodeTXT(f *testing.F) {
	for _, s := range []string{"v=spf1 -all", `\195\175`, `a\"b`, `\\`, `x\`, `\25`, `\999`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1024 {
			return
		}
		checkTXTWire(t, s)
	})
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"a b.example", `a\032b.example.`, `a\.b`, `\\`, `x\`, `A\256`, "..", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		c, err := Canonical(name)
		if err != nil {
			return
		}
		if _, ok := dns.IsDomainName(c); !ok {
			t.Fatalf("Canonical(%q) = %q: not a domain name for miekg/dns", name, c)
		}
		c2, err := Canonical(c)
		if err != nil || c2 != c {
			t.Fatalf("Canonical not idempotent: %q -> %q -> %q (%v)", name, c, c2, err)
		}
		wire, err := new(dns.Msg).SetQuestion(c, dns.TypeA).Pack()
		if err != nil {
			t.Fatalf("pack %q: %v", c, err)
		}
		var m dns.Msg
		if err := m.Unpack(wire); err != nil {
			t.Fatalf("unpack %q: %v", c, err)
		}
		if !SameName(m.Question[0].Name, name) {
			t.Fatalf("%q came back as %q", name, m.Question[0].Name)
		}
	})
}
