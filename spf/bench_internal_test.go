package spf

import (
	"net/netip"
	"testing"
)

var sinkAddr netip.Addr

// BenchmarkParseIPv4 compares the hand-written parser with netip.
func BenchmarkParseIPv4(b *testing.B) {
	b.Run("hand", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sinkAddr, _ = parseIPv4("172.217.128.0")
		}
	})
	b.Run("netip", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sinkAddr, _ = netip.ParseAddr("172.217.128.0")
		}
	})
}

// BenchmarkParseIPv6 compares the hand-written parser with netip.
func BenchmarkParseIPv6(b *testing.B) {
	b.Run("hand", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sinkAddr, _ = parseIPv6("2a01:111:f403:8000::")
		}
	})
	b.Run("netip", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sinkAddr, _ = netip.ParseAddr("2a01:111:f403:8000::")
		}
	})
}

// BenchmarkParseArena parses a long ip4 list into a reused arena, as an
// uncached check does.
func BenchmarkParseArena(b *testing.B) {
	b.ReportAllocs()
	var ar termArena
	var r Record
	s := " ip4:35.190.247.0/24 ip4:64.233.160.0/19 ip4:66.102.0.0/20 ip4:66.249.80.0/20 ip4:72.14.192.0/18 ip4:74.125.0.0/16 ip4:108.177.8.0/21 ip4:173.194.0.0/16 ip4:209.85.128.0/17 ip4:216.58.192.0/19 ip4:216.239.32.0/19 ip6:2001:4860:4000::/36 ~all"
	for i := 0; i < b.N; i++ {
		ar.reset()
		if err := parseTermsInto(&r, "v=spf1", s, &ar); err != nil {
			b.Fatal(err)
		}
	}
}
