package spf

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

var ipSeeds = []string{
	"0.0.0.0", "192.0.2.1", "255.255.255.255", "256.0.0.1", "1.2.3", "1.2.3.4.5",
	"01.2.3.4", "1.2.3.04", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4a", "1.2.3.-4",
	"", "1", "::1", "::ffff:1.2.3.4", "1.2.3.4%eth0", "999.1.1.1", "1.2.3.0000",
	"1.2.3.00", "10.0.0.10", "100.200.250.199",
	"::", ":::", "1::", "::1:2", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::",
	"::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1::2::3", ":1::2", "1::2:",
	"2001:DB8::1", "2001:0db8:0000::00001", "fe80::1%eth0", "1:2:3:4:5:6:1.2.3.4",
	"1:2:3:4:5:1.2.3.4", "::1.2.3.4", "1::1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::ffff:01.2.3.4",
	"2a01:111:f403:8000::", "g::1", "1:2:3:4:5:6:7:8%", "::1.2.3", "::1.2.3.4:5",
}

// TestParseIP checks the hand-written IPv4 and IPv6 parsers against netip.
func TestParseIP(t *testing.T) {
	t.Parallel()
	for _, s := range ipSeeds {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			checkIP(t, s)
		})
	}
}

func checkIP(t *testing.T, s string) {
	t.Helper()
	want, err := netip.ParseAddr(s)
	got, ok := parseIPv4(s)
	wantOK := err == nil && want.Is4()
	if assert.Equal(t, wantOK, ok, "IPv4 %q accepted", s) && ok {
		assert.Equal(t, want, got, "IPv4 %q", s)
	}
	got, ok = parseIPv6(s)
	wantOK = err == nil && want.Is6() && want.Zone() == ""
	if assert.Equal(t, wantOK, ok, "IPv6 %q accepted", s) && ok {
		assert.Equal(t, want, got, "IPv6 %q", s)
	}
}

func FuzzParseIP(f *testing.F) {
	for _, s := range ipSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkIP(t, s) })
}

// TestLookupMechanism checks the packed-key name lookup, in any case, and
// near misses.
func TestLookupMechanism(t *testing.T) {
	t.Parallel()
	for m := MechanismAll; m <= MechanismExists; m++ {
		name := m.String()
		assert.Equal(t, m, lookupMechanism(name), name)
		upper := []byte(name)
		for i := range upper {
			if i%2 == 0 && upper[i] >= 'a' && upper[i] <= 'z' {
				upper[i] -= 'a' - 'A'
			}
		}
		assert.Equal(t, m, lookupMechanism(string(upper)), string(upper))
		assert.Equal(t, MechanismNone, lookupMechanism(name+"x"), name+"x")
		assert.Equal(t, MechanismNone, lookupMechanism(name[:len(name)-1]+"_"), name)
	}
	for _, s := range []string{"", "ip5", "ip", "includes", "exist", "IP4.", "a-", "m_x", "alL1", "\x01", "ptr\x00"} {
		assert.Equal(t, MechanismNone, lookupMechanism(s), "%q", s)
	}
}
