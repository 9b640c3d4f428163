package spf_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/spf"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=spf1", "v=spf1 -all", "v=spf1 a mx/24//64 ptr:%{d} ip4:192.0.2.0/24 ip6:2001:db8::/32 include:x.example exists:%{ir}.y.example ~all",
		"v=spf1 redirect=_spf.google.com", "v=spf1 exp=%{l1r-}.e.example foo=bar ?all", "V=SPF1 A:%{H} -ALL", "v=spf1 a:%{d}.",
		"v=spf1 ip4:1.2.3.4/32 ip6:::ffff:1.2.3.4/128", "v=spf1 mx:a-b.example//0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := spf.Parse(s)
		if err != nil {
			return
		}
		for i := 0; i < len(s); i++ {
			require.True(t, s[i] >= 0x20 && s[i] <= 0x7e, "accepted byte %#x in %q", s[i], s)
		}
		out := r.String()
		r2, err := spf.Parse(out)
		require.NoError(t, err, "reparse of %q (from %q)", out, s)
		require.Equal(t, r, r2, "round trip of %q via %q", s, out)
		require.Equal(t, out, r2.String())
	})
}

func FuzzMacro(f *testing.F) {
	for _, s := range []string{"%{s}", "%{ir}.%{v}._spf.%{d2}", "%{l1r-+=}", "%{D200R}", "%%%_%-", "%{c} %{r} %{t}", "%{", "a%{x}b"} {
		f.Add(s, true, "a-b+c@d.example", "2001:db8::1")
		f.Add(s, false, "@x", "192.0.2.1")
	}
	f.Fuzz(func(t *testing.T, s string, exp bool, sender, ipText string) {
		a, err := netip.ParseAddr(ipText)
		if err != nil {
			a = netip.MustParseAddr("192.0.2.1")
		}
		env := spf.MacroEnv{Sender: sender, Domain: "d.example", IP: a, Helo: "h.example", Timestamp: 1}
		out, err := spf.ExpandMacro(s, exp, env)
		if err != nil {
			return
		}
		// Expansion can only grow by bounded factors (URL escaping
		// triples, letters expand to bounded values).
		require.LessOrEqual(t, len(out), 3*len(s)*(len(sender)+80)+3*len(s))
	})
}
