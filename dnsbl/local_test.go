package dnsbl

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleList = `# local blocklist
192.0.2.1            # one address
198.51.100.0/24
2001:db8:bad::/48
::ffff:203.0.113.7
example.com
.sub-only.example
Spammer@Example.NET
@bulk.example

   # indented comment
Bücher.example
`

func TestParseLocalList(t *testing.T) {
	t.Parallel()
	l, err := ParseLocalList(strings.NewReader(sampleList), nil)
	require.NoError(t, err)
	assert.Equal(t, 9, l.Len())

	ips := []struct {
		ip    string
		entry string
	}{
		{"192.0.2.1", "192.0.2.1"},
		{"192.0.2.2", ""},
		{"198.51.100.200", "198.51.100.0/24"},
		{"::ffff:198.51.100.1", "198.51.100.0/24"},
		{"2001:db8:bad:1::1", "2001:db8:bad::/48"},
		{"2001:db8:bae::1", ""},
		{"203.0.113.7", "::ffff:203.0.113.7"},
	}
	for _, tc := range ips {
		e, ok := l.MatchIP(netip.MustParseAddr(tc.ip))
		assert.Equal(t, tc.entry != "", ok, tc.ip)
		assert.Equal(t, tc.entry, e, tc.ip)
	}
	_, ok := l.MatchIP(netip.Addr{})
	assert.False(t, ok)

	domains := []struct {
		d     string
		entry string
	}{
		{"example.com", "example.com"},
		{"Mail.EXAMPLE.com.", "example.com"},
		{"a.b.example.com", "example.com"},
		{"notexample.com", ""},
		{"sub-only.example", ""},
		{"x.sub-only.example", ".sub-only.example"},
		{"xn--bcher-kva.example", "Bücher.example"},
		{"com", ""},
		{"a..b", ""},
	}
	for _, tc := range domains {
		e, ok := l.MatchDomain(tc.d)
		assert.Equal(t, tc.entry != "", ok, tc.d)
		assert.Equal(t, tc.entry, e, tc.d)
	}

	addrs := []struct {
		a     string
		entry string
	}{
		{"spammer@example.net", "Spammer@Example.NET"},
		{"<SPAMMER@example.NET>", "Spammer@Example.NET"},
		{"other@example.net", ""},
		{"anyone@bulk.example", "@bulk.example"},
		{"anyone@x.bulk.example", ""},
		{"user@mail.example.com", "example.com"},
		{"nodomain", ""},
		{"trailing@", ""},
	}
	for _, tc := range addrs {
		e, ok := l.MatchAddress(tc.a)
		assert.Equal(t, tc.entry != "", ok, tc.a)
		assert.Equal(t, tc.entry, e, tc.a)
	}

	var nilList *LocalList
	_, ok = nilList.MatchIP(netip.MustParseAddr("192.0.2.1"))
	assert.False(t, ok)
}

func TestParseLocalListErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		line int
		msg  string
	}{
		{"bad CIDR", "192.0.2.1\n# ok\n192.0.2.0/33\n", 3, "bad network"},
		{"host bits", "192.0.2.1/24", 1, "192.0.2.0/24"},
		{"two entries", "\n192.0.2.1 192.0.2.2", 2, "one entry per line"},
		{"garbage", "example.com\n!!!", 2, "not an address"},
		{"bad address domain", "user@exa mple.com", 1, "one entry per line"},
		{"empty domain", "user@", 1, "bad domain"},
		{"all digits", "1.2.3", 1, "not an address"},
		{"zone", "fe80::1%eth0", 1, "address with zone"},
		{"long line", "#" + strings.Repeat("x", 2000) + "\n", 1, "longer than"},
		{"bad local", "a<b@example.com", 1, "bad local part"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseLocalList(strings.NewReader(tc.text), nil)
			require.ErrorIs(t, err, ErrLocalList)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.line, pe.Line)
			assert.Contains(t, err.Error(), tc.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "dnsbl: local list line "), err.Error())
		})
	}
	t.Run("max entries", func(t *testing.T) {
		t.Parallel()
		_, err := ParseLocalList(strings.NewReader("a.example\nb.example\nc.example\n"), &LocalLimits{MaxEntries: 2})
		var pe *ParseError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, 3, pe.Line)
	})
	t.Run("CRLF and no final newline", func(t *testing.T) {
		t.Parallel()
		l, err := ParseLocalList(strings.NewReader("192.0.2.1\r\nexample.org"), nil)
		require.NoError(t, err)
		assert.Equal(t, 2, l.Len())
		_, ok := l.MatchDomain("example.org")
		assert.True(t, ok)
	})
}
