package spf_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/spf"
)

func TestParseValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, out string
	}{
		{"v=spf1", "v=spf1"},
		{"v=spf1 ", "v=spf1"},
		{"V=SpF1  -ALL", "v=spf1 -all"},
		{"v=spf1 a mx ptr", "v=spf1 a mx ptr"},
		{"v=spf1 a/24 mx//64 a/0//0 mx:example.com/16//48", "v=spf1 a/24 mx//64 a/0//0 mx:example.com/16//48"},
		{"v=spf1 ip4:192.0.2.1 ip4:192.0.2.0/24 ip6:2001:DB8::/32 ip6:::ffff:1.2.3.4", "v=spf1 ip4:192.0.2.1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ip6:::ffff:1.2.3.4"},
		{"v=spf1 include:_spf.example.com ~all", "v=spf1 include:_spf.example.com ~all"},
		{"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} ?all", "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} ?all"},
		{"v=spf1 redirect=_spf.example.com", "v=spf1 redirect=_spf.example.com"},
		{"v=spf1 -all exp=explain._spf.%{d} foo.bar_x-y=%{s}", "v=spf1 -all exp=explain._spf.%{d} foo.bar_x-y=%{s}"},
		{"v=spf1 Redirect=example.com EXP=x.example.com", "v=spf1 redirect=example.com exp=x.example.com"},
		{"v=spf1 a:example.com. a:1-2.example", "v=spf1 a:example.com. a:1-2.example"},
		{"v=spf1 a:foo%%.%{d}", "v=spf1 a:foo%%.%{d}"},
		{"v=spf1 unknown=", "v=spf1 unknown="},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			r, err := spf.Parse(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.out, r.String())
			r2, err := spf.Parse(r.String())
			require.NoError(t, err)
			assert.Equal(t, r, r2)
		})
	}
}

func TestParseInvalid(t *testing.T) {
	t.Parallel()
	tests := []string{
		"", "v=spf", "v=spf10", "v=spf1-all", "spf2.0/pra -all",
		"v=spf1 all.", "v=spf1 all:x", "v=spf1 -all/8", "v=spf1 foo", "v=spf1 a:", "v=spf1 mx:",
		"v=spf1 a:example", "v=spf1 a:example.", "v=spf1 a:example.123", "v=spf1 a:example.-com", "v=spf1 a:example.com-",
		"v=spf1 a/33", "v=spf1 a//129", "v=spf1 a/024", "v=spf1 a/24/64", "v=spf1 ptr/24", "v=spf1 exists", "v=spf1 exists:example.com/24",
		"v=spf1 include", "v=spf1 include:example.com/24", "v=spf1 ip4", "v=spf1 ip4:", "v=spf1 ip4:1.2.3", "v=spf1 ip4:1.2.3.4:25",
		"v=spf1 ip4:1.2.3.4/33", "v=spf1 ip4:1.2.3.4/032", "v=spf1 ip4:1.2.3.4//64", "v=spf1 ip4:2001:db8::1", "v=spf1 ip6:1.2.3.4",
		"v=spf1 ip6:2001:db8::/129", "v=spf1 ip6:2001:db8::1%eth0", "v=spf1 ip6", "v=spf1 redirect=", "v=spf1 exp=",
		"v=spf1 redirect=a.example.com redirect=b.example.com", "v=spf1 exp=a.example.com exp=b.example.com",
		"v=spf1 -redirect=example.com", "v=spf1 =foo", "v=spf1 1x=foo", "v=spf1 a:%{x}.example.com", "v=spf1 a:%{d0}",
		"v=spf1 a:%{c}.example.com", "v=spf1 exists:%(ir).example.com", "v=spf1 exists:foo%.example.com", "v=spf1 x=%{",
		"v=spf1 a:ex\tample.com", "v=spf1 a:exämple.com", "v=spf1 -all\x00", "v=spf1 a:%{d}.",
	}
	for _, in := range tests {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			_, err := spf.Parse(in)
			require.Error(t, err)
			assert.True(t, errors.Is(err, spf.ErrSyntax), "%v", err)
		})
	}
}

func TestParseTerms(t *testing.T) {
	t.Parallel()
	r, err := spf.Parse("v=spf1 -a:mail.example.com/24//64 ?ip6:2001:db8::/32 redirect=x.example.com ~all")
	require.NoError(t, err)
	require.Len(t, r.Terms, 4)
	a := r.Terms[0]
	assert.Equal(t, spf.MechanismA, a.Mechanism)
	assert.Equal(t, spf.QualifierFail, a.Qualifier)
	assert.Equal(t, spf.Fail, a.Qualifier.Status())
	assert.Equal(t, "mail.example.com", a.Domain)
	assert.Equal(t, 24, a.CIDR4)
	assert.Equal(t, 64, a.CIDR6)
	assert.Equal(t, netip.MustParsePrefix("2001:db8::/32"), r.Terms[1].Prefix)
	assert.True(t, r.Terms[2].IsModifier())
	red, ok := r.Redirect()
	assert.True(t, ok)
	assert.Equal(t, "x.example.com", red)
	_, ok = r.Explanation()
	assert.False(t, ok)
	assert.Equal(t, spf.Pass, spf.QualifierNone.Status())

	rec, err := spf.ParseTerms("spf2.0/pra", " mx -all")
	require.NoError(t, err)
	assert.Equal(t, "spf2.0/pra mx -all", rec.String())
	assert.True(t, spf.IsRecord("v=spf1"))
	assert.False(t, spf.IsRecord("v=spf1x"))
}
