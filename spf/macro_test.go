package spf_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/spf"
)

// TestExpandMacroRFC7208Examples checks the examples of RFC 7208 §7.4.
func TestExpandMacroRFC7208Examples(t *testing.T) {
	t.Parallel()
	env4 := spf.MacroEnv{Sender: "strong-bad@email.example.com", Domain: "email.example.com", IP: netip.MustParseAddr("192.0.2.3"),
		Helo: "mx.example.org", Receiver: "rcv.example.net", Timestamp: 1700000000, Validated: "mx.example.org"}
	env6 := env4
	env6.IP = netip.MustParseAddr("2001:db8::cb01")
	tests := []struct {
		in   string
		exp  bool
		env  spf.MacroEnv
		want string
	}{
		{"%{s}", false, env4, "strong-bad@email.example.com"},
		{"%{o}", false, env4, "email.example.com"},
		{"%{d}", false, env4, "email.example.com"},
		{"%{d4}", false, env4, "email.example.com"},
		{"%{d3}", false, env4, "email.example.com"},
		{"%{d2}", false, env4, "example.com"},
		{"%{d1}", false, env4, "com"},
		{"%{dr}", false, env4, "com.example.email"},
		{"%{d2r}", false, env4, "example.email"},
		{"%{l}", false, env4, "strong-bad"},
		{"%{l-}", false, env4, "strong.bad"},
		{"%{lr}", false, env4, "strong-bad"},
		{"%{lr-}", false, env4, "bad.strong"},
		{"%{l1r-}", false, env4, "strong"},
		{"%{ir}.%{v}._spf.%{d2}", false, env4, "3.2.0.192.in-addr._spf.example.com"},
		{"%{lr-}.lp._spf.%{d2}", false, env4, "bad.strong.lp._spf.example.com"},
		{"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", false, env4, "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
		{"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", false, env4, "3.2.0.192.in-addr.strong.lp._spf.example.com"},
		{"%{d2}.trusted-domains.example.net", false, env4, "example.com.trusted-domains.example.net"},
		// RFC 7208 shows lower-case nibbles; this package emits upper case
		// like the openspf suite expects (DNS is case-insensitive).
		{"%{ir}.%{v}._spf.%{d2}", false, env6, "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com"},
		{"%{h} %{p}", true, env4, "mx.example.org mx.example.org"},
		{"%%%_%-", false, env4, "% %20"},
		{"%{S}", false, env4, "strong-bad%40email.example.com"},
		{"%{c} %{r} %{t}", true, env4, "192.0.2.3 rcv.example.net 1700000000"},
		{"%{c}", true, env6, "2001:db8::cb01"},
		{"%{d200}", false, env4, "email.example.com"},
		{"%{l+=}", false, spf.MacroEnv{Sender: "a+b=c@x"}, "a.b.c"},
		{"%{l}", false, spf.MacroEnv{Sender: "@x.example"}, "postmaster"},
		{"%{p}", false, spf.MacroEnv{}, "unknown"},
		{"%{r}", true, spf.MacroEnv{}, "unknown"},
		// Transformed values are rewritten in place after earlier output.
		{"pre.%{DR}.%{d1}.post", false, env4, "pre.com.example.email.com.post"},
		{"x.%{Lr-}", false, spf.MacroEnv{Sender: "a~b-c d@x"}, "x.c%20d.a~b"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := spf.ExpandMacro(tc.in, tc.exp, tc.env)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestExpandMacroErrors(t *testing.T) {
	t.Parallel()
	env := spf.MacroEnv{Sender: "a@b.example", Domain: "b.example", IP: netip.MustParseAddr("192.0.2.1")}
	for _, in := range []string{"%", "%x", "%{", "%{d", "%{x}", "%{d0}", "%{c}", "%{r}", "%{t}", "%{d2r-x}", "a b", "é"} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			_, err := spf.ExpandMacro(in, false, env)
			assert.ErrorIs(t, err, spf.ErrMacro)
		})
	}
	_, err := spf.ExpandMacro("%{i}", false, spf.MacroEnv{})
	assert.ErrorIs(t, err, spf.ErrMacro)
}
