package spf

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

var ipv4Seeds = []string{
	"0.0.0.0", "192.0.2.1", "255.255.255.255", "256.0.0.1", "1.2.3", "1.2.3.4.5",
	"01.2.3.4", "1.2.3.04", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4a", "1.2.3.-4",
	"", "1", "::1", "::ffff:1.2.3.4", "1.2.3.4%eth0", "999.1.1.1", "1.2.3.0000",
	"1.2.3.00", "10.0.0.10", "100.200.250.199",
}

// TestParseIPv4 checks the hand-written IPv4 parser against netip.
func TestParseIPv4(t *testing.T) {
	t.Parallel()
	for _, s := range ipv4Seeds {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			checkIPv4(t, s)
		})
	}
}

func checkIPv4(t *testing.T, s string) {
	t.Helper()
	got, ok := parseIPv4(s)
	want, err := netip.ParseAddr(s)
	wantOK := err == nil && want.Is4()
	if assert.Equal(t, wantOK, ok, "%q accepted", s) && ok {
		assert.Equal(t, want, got, "%q", s)
	}
}

func FuzzParseIPv4(f *testing.F) {
	for _, s := range ipv4Seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkIPv4(t, s) })
}
