package greylist

import (
	"context"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		ck, err := tc.c.clientKey(ip, tc.tr.SPFDomain)
		if err != nil {
			t.Fatal(err)
		}
		tk, err := tc.c.tripletKey(ip, tc.tr.SPFDomain, tc.tr.Sender, tc.tr.Recipient)
		if err != nil {
			t.Fatal(err)
		}
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
		_, _ = c.tripletKey(ip, "", long, "<Bob@Example.COM>")
		_, _ = c.clientKey(ip, "Example.org")
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

// countingStore is a MemoryStore that counts the updates it is asked for.
type countingStore struct {
	*MemoryStore
	updates int
}

func (s *countingStore) Update(ctx context.Context, k Key, fn UpdateFunc) error {
	s.updates++
	return s.MemoryStore.Update(ctx, k, fn)
}

// collidingTriplets returns two different triplets whose keys collided
// while key fields carried their length in 16 bits without a bound: long's
// SPF domain is 64 KiB + 9 bytes, so its length wrapped to 10 and the rest
// of it was read as short's sender and recipient fields. Every field of
// short is below 64 KiB.
func collidingTriplets() (long, short Triplet) {
	ip := netip.MustParseAddr("192.0.2.1")
	spf := strings.Repeat("b", 9)         // origin field "d"+spf: 10 bytes
	sender := strings.Repeat("s", 0x6161) // its length is "aa" in the encoding
	tail := "\x00\x05a@b.c\x00\x05r@x.y"  // long's sender and recipient fields
	filler := strings.Repeat("r", 0x1000a-(10+2+len(sender)+2))
	rcpt := filler + tail
	n := len(rcpt)
	longSPF := spf + "aa" + sender + string([]byte{byte(n >> 8), byte(n)}) + filler
	return Triplet{IP: ip, SPFDomain: longSPF, Sender: "a@b.c", Recipient: "r@x.y"},
		Triplet{IP: ip, SPFDomain: spf, Sender: sender, Recipient: rcpt}
}

// TestLongFieldRejected: a triplet with a key field longer than 64 KiB is
// refused with a FieldTooLongError (an ErrBadTriplet) before the store is
// touched, so it cannot share a key with another triplet; the triplet it
// used to collide with is unaffected.
func TestLongFieldRejected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(1_717_243_200, 0)
	st := &countingStore{MemoryStore: NewMemoryStore(nil)}
	c := &Checker{Store: st, KeyBySPF: true, Now: func() time.Time { return now }, SweepInterval: -1}
	long, short := collidingTriplets()

	d, err := c.Check(ctx, long)
	require.Error(t, err, "decision %+v", d)
	assert.ErrorIs(t, err, ErrBadTriplet)
	var fe *FieldTooLongError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "spf domain", fe.Field)
	assert.Equal(t, len(long.SPFDomain)+1, fe.Len)
	assert.Equal(t, 0, st.updates, "the store was updated for a rejected triplet")
	assert.ErrorIs(t, c.Delivered(ctx, long), ErrBadTriplet)
	assert.Equal(t, 0, st.updates, "the store was updated for a rejected triplet")

	now = now.Add(DefaultDelay + time.Second)
	d, err = c.Check(ctx, short)
	require.NoError(t, err)
	assert.Equal(t, Decision{Action: Defer, Reason: ReasonNew, Remaining: DefaultDelay}, d,
		"a never-seen triplet must be new")
}

// TestLongFieldLimit pins the boundary: every field up to 65535 bytes in
// its key encoding is keyed as before, one byte more is rejected.
func TestLongFieldLimit(t *testing.T) {
	t.Parallel()
	ip := netip.MustParseAddr("192.0.2.1")
	c := &Checker{KeyBySPF: true}
	full := strings.Repeat("a", 0xffff)
	tests := []struct {
		name, field       string
		spf, sender, rcpt string
		wantErr           bool
	}{
		{"spf at limit", "", full[1:], "a@b", "c@d", false},
		{"spf over limit", "spf domain", full, "a@b", "c@d", true},
		{"sender at limit", "", "", full, "c@d", false},
		{"sender over limit", "sender", "", full + "a", "c@d", true},
		{"sender normalised under limit", "", "", full[:0xfffa] + "+" + full[:100] + "@b", "c@d", false},
		{"recipient at limit", "", "", "a@b", full, false},
		{"recipient over limit", "recipient", "", "a@b", "<" + full + "b>", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.tripletKey(ip, tc.spf, tc.sender, tc.rcpt)
			if !tc.wantErr {
				require.NoError(t, err)
				return
			}
			var fe *FieldTooLongError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.field, fe.Field)
			assert.Equal(t, 0x10000, fe.Len)
			assert.ErrorIs(t, err, ErrBadTriplet)
		})
	}
}

// decodeTripletKey splits the bytes a triplet key is hashed from into its
// three fields; ok is false unless they are exactly 't' and three
// length-prefixed fields.
func decodeTripletKey(b []byte) (fields [3]string, ok bool) {
	if len(b) == 0 || b[0] != 't' {
		return fields, false
	}
	b = b[1:]
	for i := range fields {
		if len(b) < 2 {
			return fields, false
		}
		n := int(b[0])<<8 | int(b[1])
		if len(b) < 2+n {
			return fields, false
		}
		fields[i], b = string(b[2:2+n]), b[2+n:]
	}
	return fields, len(b) == 0
}

// FuzzTripletKey checks that the key encoding is injective: the encoded
// bytes decode back to exactly the normalised triplet, so two triplets
// share encoded bytes (and so a key, barring a SHA-256 collision) only if
// they normalise alike. long pads one field to around MaxFieldLen, so the
// fuzzer also explores the fields that the 16-bit length cannot carry:
// those must be refused with a FieldTooLongError naming the field.
func FuzzTripletKey(f *testing.F) {
	long, short := collidingTriplets()
	f.Add(long.SPFDomain, long.Sender, long.Recipient, uint8(0), true)
	f.Add(short.SPFDomain, short.Sender, short.Recipient, uint8(0), true)
	f.Add("", "a@b.c", "r@x.y", uint8(1), false)
	f.Add("Example.ORG.", "<Bounce-1-2@x>", "<B@Y>", uint8(4<<2|1), true)
	f.Add("e.org", "a@b", "c@d", uint8(5<<2|2), true)
	f.Add("e.org", "a@b", "c@d", uint8(6<<2|3), false)
	f.Add("", "prvs=1=a@b", "c", uint8(63<<2|2), false)
	ip := netip.MustParseAddr("2001:db8::1")
	f.Fuzz(func(t *testing.T, spf, sender, rcpt string, long uint8, bySPF bool) {
		// pad makes s about MaxFieldLen bytes: 65530 to 65593.
		pad := func(s string) string { return s + strings.Repeat("x", max(0, 0xfffa+int(long>>2)-len(s))) }
		switch long & 3 {
		case 1:
			spf = pad(spf)
		case 2:
			sender = pad(sender)
		case 3:
			rcpt = pad(rcpt)
		}
		c := &Checker{KeyBySPF: bySPF}
		origin := c.appendOrigin(nil, ip, spf)
		want := [3]string{string(origin), NormalizeSender(sender), NormalizeRecipient(rcpt)}
		b, err := c.appendTripletKey(nil, ip, spf, sender, rcpt)
		if err != nil {
			var fe *FieldTooLongError
			if !errors.As(err, &fe) || !errors.Is(err, ErrBadTriplet) {
				t.Fatalf("error %v: want a FieldTooLongError", err)
			}
			i := map[string]int{"spf domain": 0, "sender": 1, "recipient": 2}[fe.Field]
			if len(want[i]) != fe.Len || fe.Len <= MaxFieldLen {
				t.Fatalf("%v: field %q is %d bytes", err, fe.Field, len(want[i]))
			}
			for _, w := range want[:i] {
				if len(w) > MaxFieldLen {
					t.Fatalf("%v: an earlier field is %d bytes", err, len(w))
				}
			}
			if _, err := c.tripletKey(ip, spf, sender, rcpt); err == nil {
				t.Fatal("tripletKey accepted what appendTripletKey refused")
			}
			return
		}
		got, ok := decodeTripletKey(b)
		if !ok || got != want {
			t.Fatalf("encoding of (%q, %q, %q) does not decode to its normalised fields (ok %v)",
				spf, sender, rcpt, ok)
		}
		if k, err := c.tripletKey(ip, spf, sender, rcpt); err != nil || k != hashKey(b) {
			t.Fatalf("tripletKey = %x, %v; want the hash of the encoding", k, err)
		}
	})
}
