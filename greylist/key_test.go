package greylist

import (
	"context"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestKeysStable pins the key derivation: records already in a FileStore or
// in Redis are found only if the same triplet still hashes to the same key.
// The expected values were computed by the first implementation.
func TestKeysStable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c               *Checker
		tr              Triplet
		client, triplet string
	}{
		{&Checker{}, Triplet{IP: netip.MustParseAddr("192.0.2.77"), Sender: "a@example.org", Recipient: "b@example.com"},
			"e347ba300aa45f2cfb37b6b34cd80c6d", "1afa0ee1d1fac6daf35658ee47f86493"},
		{&Checker{}, Triplet{IP: netip.MustParseAddr("::ffff:192.0.2.77"), Sender: "<Bounce-123-456+tag@Lists.Example.ORG>", Recipient: "<Bob@Example.COM>"},
			"e347ba300aa45f2cfb37b6b34cd80c6d", "3093512772f5d08c861662763ad6405f"},
		{&Checker{}, Triplet{IP: netip.MustParseAddr("2001:db8:1:2:3::9"), Sender: "SRS0=HHH=TT=Orig.example=Alice@fwd.example", Recipient: "x@y"},
			"21eaba0a0b7061fefdcc6114851b28ee", "264cf5817cd14a92bb3c463206f4427c"},
		{&Checker{KeyBySPF: true}, Triplet{IP: netip.MustParseAddr("198.51.100.1"), Sender: "prvs=0123abcd=Newsletter@Big.example", Recipient: "r@example.com", SPFDomain: "Big.Example."},
			"596e8a982bf1b5abb3dee522cd7131c0", "df4c82e98ae41138b6caf536eed08146"},
		{&Checker{IPv4Prefix: 32, IPv6Prefix: 48}, Triplet{IP: netip.MustParseAddr("2001:db8:1:2:3::9"), Sender: "", Recipient: "postmaster@example.com"},
			"f33b093ec80a5a0c8a201ce1a54a3eed", "1b00ecd457ff4bd77135a2a399ce3417"},
	}
	for _, tc := range tests {
		ip := tc.tr.IP.Unmap()
		ck := tc.c.clientKey(ip, tc.tr.SPFDomain)
		tk := tc.c.tripletKey(ip, tc.tr.SPFDomain, tc.tr.Sender, tc.tr.Recipient)
		if got := hex.EncodeToString(ck[:]); got != tc.client {
			t.Errorf("%+v: client key %s, want %s", tc.tr, got, tc.client)
		}
		if got := hex.EncodeToString(tk[:]); got != tc.triplet {
			t.Errorf("%+v: triplet key %s, want %s", tc.tr, got, tc.triplet)
		}
	}
}

// TestKeysAllocationFree checks that computing keys and normalising an
// already normal sender allocate nothing.
func TestKeysAllocationFree(t *testing.T) {
	c := &Checker{KeyBySPF: true}
	ip := netip.MustParseAddr("192.0.2.1")
	long := strings.Repeat("x", 64) + "+Tag@" + strings.Repeat("Sub.", 40) + "Example.org"
	allocs := testing.AllocsPerRun(100, func() {
		_ = c.tripletKey(ip, "", long, "<Bob@Example.COM>")
		_ = c.clientKey(ip, "Example.org")
		_ = NormalizeSender("alice@example.org")
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per key computation, want 0", allocs)
	}
}

// TestCheckAllocationFree checks the known-triplet path of Check on a
// MemoryStore: no allocation per decision.
func TestCheckAllocationFree(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	ctx := context.Background()
	now := time.Unix(1_717_243_200, 0)
	c := &Checker{Store: NewMemoryStore(&MemoryOptions{MaxEntries: 1024}), Now: func() time.Time { return now }, SweepInterval: -1}
	tr := Triplet{IP: netip.MustParseAddr("192.0.2.1"), Sender: "Newsletter+id@Example.org", Recipient: "Bob@Example.com"}
	if _, err := c.Check(ctx, tr); err != nil {
		t.Fatal(err)
	}
	now = now.Add(DefaultDelay + 1)
	allocs := testing.AllocsPerRun(200, func() {
		d, err := c.Check(ctx, tr)
		if err != nil || d.Action != Accept {
			t.Fatalf("%+v %v", d, err)
		}
	})
	if allocs > 0 {
		t.Fatalf("%v allocations per known-triplet decision, want 0", allocs)
	}
}
