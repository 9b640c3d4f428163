package greylist_test

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/greylist"
	"github.com/mailkit-go/mailkit/greylist/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func newChecker(clk *clock) *greylist.Checker {
	return &greylist.Checker{Store: greylist.NewMemoryStore(nil), Now: clk.Now}
}

// TestScenario7 is the greylisting story of SCENARIOS.md §7.
func TestScenario7(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	c := newChecker(clk)
	tr := greylist.Triplet{IP: addr("198.51.100.7"), Sender: "alice@example.org", Recipient: "bob@example.com"}

	d, err := c.Check(ctx, tr)
	require.NoError(t, err)
	assert.Equal(t, greylist.Defer, d.Action, "unknown triplet is deferred")
	assert.Equal(t, greylist.ReasonNew, d.Reason)
	assert.Equal(t, 300*time.Second, d.Remaining)
	code, enh, text := d.Reply()
	assert.Equal(t, 451, code)
	assert.Equal(t, "4.7.1", enh)
	assert.Equal(t, "greylisted, please try again in 300 seconds", text)

	clk.Advance(2 * time.Minute)
	d, err = c.Check(ctx, tr)
	require.NoError(t, err)
	assert.Equal(t, greylist.Defer, d.Action, "retry before the delay is still deferred")
	assert.Equal(t, greylist.ReasonEarly, d.Reason)
	assert.Equal(t, 180*time.Second, d.Remaining)
	_, _, text = d.Reply()
	assert.Equal(t, "greylisted, please try again in 180 seconds", text)

	clk.Advance(3 * time.Minute)
	d, err = c.Check(ctx, tr)
	require.NoError(t, err)
	assert.Equal(t, greylist.Accept, d.Action, "retry after the delay is accepted")
	assert.Equal(t, greylist.ReasonPassed, d.Reason)
	code, enh, text = d.Reply()
	assert.Equal(t, 0, code)
	assert.Empty(t, enh)
	assert.Empty(t, text)

	clk.Advance(10 * 24 * time.Hour)
	d, err = c.Check(ctx, tr)
	require.NoError(t, err)
	assert.Equal(t, greylist.Accept, d.Action, "later mail from the same triplet is accepted at once")

	other := tr
	other.Recipient = "carol@example.com"
	d, err = c.Check(ctx, other)
	require.NoError(t, err)
	assert.Equal(t, greylist.Defer, d.Action, "another recipient is another triplet")
}

func TestRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := greylist.Triplet{IP: addr("192.0.2.10"), Sender: "a@example.org", Recipient: "b@example.com"}

	with := func(edit func(*greylist.Triplet)) greylist.Triplet {
		tr := base
		edit(&tr)
		return tr
	}
	fromIP := func(ip string) greylist.Triplet {
		return with(func(tr *greylist.Triplet) { tr.IP = addr(ip) })
	}

	// step advances the clock, checks tr and compares the decision; reason
	// and remaining are compared when set.
	type step struct {
		advance   time.Duration
		tr        greylist.Triplet
		action    greylist.Action
		reason    greylist.Reason
		remaining time.Duration
		msg       string
	}
	tests := []struct {
		name    string
		checker func(*clock) *greylist.Checker // nil: newChecker
		steps   []step
	}{
		{name: "retry window passed starts over", steps: []step{
			{tr: base, action: greylist.Defer},
			{advance: 48*time.Hour + time.Second, tr: base, action: greylist.Defer, reason: greylist.ReasonNew},
			{advance: 300 * time.Second, tr: base, action: greylist.Accept},
		}},
		{name: "retry at the end of the window is accepted", steps: []step{
			{tr: base, action: greylist.Defer},
			{advance: 48 * time.Hour, tr: base, action: greylist.Accept},
		}},
		{name: "passed triplet expires after 35 days unseen", steps: []step{
			{tr: base, action: greylist.Defer},
			{advance: 5 * time.Minute, tr: base, action: greylist.Accept},
			{advance: 34 * 24 * time.Hour, tr: base, action: greylist.Accept, msg: "seen within 35 days"},
			{advance: 35*24*time.Hour + time.Second, tr: base, action: greylist.Defer, reason: greylist.ReasonNew},
		}},
		{name: "same /24 is the same client", steps: []step{
			{tr: base, action: greylist.Defer},
			{advance: 5 * time.Minute, tr: fromIP("192.0.2.200"), action: greylist.Accept},
			{tr: fromIP("192.0.3.10"), action: greylist.Defer},
		}},
		{name: "same IPv6 /64 is the same client; mapped IPv4 is IPv4", steps: []step{
			{tr: fromIP("2001:db8:1:2::1"), action: greylist.Defer},
			{tr: fromIP("::ffff:192.0.2.10"), action: greylist.Defer},
			{advance: 5 * time.Minute, tr: fromIP("2001:db8:1:2:ffff::9"), action: greylist.Accept},
			{tr: base, action: greylist.Accept},
			{tr: fromIP("2001:db8:1:3::1"), action: greylist.Defer},
		}},
		{
			name: "configurable delay and prefixes",
			checker: func(clk *clock) *greylist.Checker {
				return &greylist.Checker{Store: greylist.NewMemoryStore(nil), Now: clk.Now,
					Delay: time.Minute, IPv4Prefix: 32}
			},
			steps: []step{
				{tr: base, action: greylist.Defer, remaining: time.Minute},
				{advance: time.Minute, tr: fromIP("192.0.2.11"), action: greylist.Defer, msg: "/32: another address is another client"},
				{tr: base, action: greylist.Accept},
			},
		},
		{name: "sender tags are normalised", steps: []step{
			{tr: with(func(tr *greylist.Triplet) { tr.Sender = "prvs=1234abcdef=Bounce-1234@Example.ORG" }), action: greylist.Defer},
			{advance: 5 * time.Minute, tr: with(func(tr *greylist.Triplet) {
				tr.Sender = "bounce-98765@example.org"
				tr.Recipient = "B@EXAMPLE.COM"
			}), action: greylist.Accept},
		}},
		{name: "clock going backwards", steps: []step{
			{tr: base, action: greylist.Defer},
			{advance: -time.Hour, tr: base, action: greylist.Defer, remaining: 300 * time.Second},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			c := newChecker(clk)
			if tc.checker != nil {
				c = tc.checker(clk)
			}
			for i, st := range tc.steps {
				clk.Advance(st.advance)
				d, err := c.Check(ctx, st.tr)
				require.NoError(t, err, "step %d", i)
				require.Equal(t, st.action, d.Action, "step %d: %s", i, st.msg)
				if st.reason != "" {
					assert.Equal(t, st.reason, d.Reason, "step %d", i)
				}
				if st.remaining != 0 {
					assert.Equal(t, st.remaining, d.Remaining, "step %d", i)
				}
			}
		})
	}

	t.Run("invalid triplet", func(t *testing.T) {
		t.Parallel()
		c := newChecker(newClock())
		_, err := c.Check(ctx, greylist.Triplet{Sender: "a@b"})
		require.ErrorIs(t, err, greylist.ErrBadTriplet)
		require.ErrorIs(t, c.Delivered(ctx, greylist.Triplet{}), greylist.ErrBadTriplet)
		_, err = (&greylist.Checker{}).Check(ctx, base)
		require.ErrorIs(t, err, greylist.ErrNoStore)
	})

	t.Run("canceled context", func(t *testing.T) {
		t.Parallel()
		c := newChecker(newClock())
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := c.Check(cctx, base)
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestAutoAllowlist(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	c := newChecker(clk)
	tr := greylist.Triplet{IP: addr("203.0.113.5"), Sender: "a@example.org", Recipient: "b@example.com"}
	for i := range 5 {
		fresh := tr
		fresh.Recipient = "r" + string(rune('0'+i)) + "@example.com"
		d, err := c.Check(ctx, fresh)
		require.NoError(t, err)
		require.Equal(t, greylist.Defer, d.Action, "delivery %d", i)
		require.NoError(t, c.Delivered(ctx, fresh))
	}
	neighbour := tr
	neighbour.IP = addr("203.0.113.77")
	neighbour.Recipient = "new@example.com"
	d, err := c.Check(ctx, neighbour)
	require.NoError(t, err)
	assert.Equal(t, greylist.Accept, d.Action)
	assert.Equal(t, greylist.ReasonAutoAllowed, d.Reason)

	// The counter expires like triplets.
	clk.Advance(36 * 24 * time.Hour)
	d, _ = c.Check(ctx, neighbour)
	assert.Equal(t, greylist.Defer, d.Action)

	t.Run("disabled", func(t *testing.T) {
		c := &greylist.Checker{Store: greylist.NewMemoryStore(nil), Now: clk.Now, AutoAllowlist: -1}
		for range 10 {
			require.NoError(t, c.Delivered(ctx, tr))
		}
		d, _ := c.Check(ctx, tr)
		assert.Equal(t, greylist.Defer, d.Action)
	})
	t.Run("threshold 1", func(t *testing.T) {
		c := &greylist.Checker{Store: greylist.NewMemoryStore(nil), Now: clk.Now, AutoAllowlist: 1}
		require.NoError(t, c.Delivered(ctx, tr))
		d, _ := c.Check(ctx, tr)
		assert.Equal(t, greylist.ReasonAutoAllowed, d.Reason)
	})
}

func TestKeyBySPF(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	c := &greylist.Checker{Store: greylist.NewMemoryStore(nil), Now: clk.Now, KeyBySPF: true}
	tr := greylist.Triplet{IP: addr("192.0.2.1"), Sender: "news@bigsender.example", Recipient: "b@example.com",
		SPFDomain: "BigSender.example"}
	d, _ := c.Check(ctx, tr)
	require.Equal(t, greylist.Defer, d.Action)
	clk.Advance(5 * time.Minute)
	tr.IP = addr("2001:db8:ffff::25") // the retry comes from elsewhere in the pool
	tr.SPFDomain = "bigsender.example."
	d, _ = c.Check(ctx, tr)
	assert.Equal(t, greylist.Accept, d.Action)

	// Without KeyBySPF the retry from another network is a new triplet.
	c2 := &greylist.Checker{Store: greylist.NewMemoryStore(nil), Now: clk.Now}
	tr.IP = addr("192.0.2.1")
	c2.Check(ctx, tr)
	clk.Advance(5 * time.Minute)
	tr.IP = addr("2001:db8:ffff::25")
	d, _ = c2.Check(ctx, tr)
	assert.Equal(t, greylist.Defer, d.Action)
}

func TestStaticAllowlists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &greylist.Checker{
		Store:           greylist.NewMemoryStore(nil),
		AllowClients:    []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")},
		AllowSenders:    []string{"boss@partner.example", "@trusted.example"},
		AllowRecipients: []string{"postmaster@example.com", "abuse.example"},
	}
	tests := []struct {
		name string
		tr   greylist.Triplet
		want greylist.Action
	}{
		{"client prefix", greylist.Triplet{IP: addr("10.1.2.3"), Sender: "x@y.z", Recipient: "u@example.com"}, greylist.Accept},
		{"mapped client", greylist.Triplet{IP: addr("::ffff:10.1.2.3"), Sender: "x@y.z", Recipient: "u@example.com"}, greylist.Accept},
		{"v6 client", greylist.Triplet{IP: addr("2001:db8::5"), Recipient: "u@example.com"}, greylist.Accept},
		{"sender address", greylist.Triplet{IP: addr("192.0.2.1"), Sender: "<Boss@Partner.Example>", Recipient: "u@example.com"}, greylist.Accept},
		{"other sender same domain", greylist.Triplet{IP: addr("192.0.2.1"), Sender: "intern@partner.example", Recipient: "u@example.com"}, greylist.Defer},
		{"sender domain", greylist.Triplet{IP: addr("192.0.2.1"), Sender: "a@TRUSTED.example", Recipient: "u@example.com"}, greylist.Accept},
		{"sender subdomain", greylist.Triplet{IP: addr("192.0.2.1"), Sender: "a@mail.trusted.example", Recipient: "u@example.com"}, greylist.Accept},
		{"lookalike domain", greylist.Triplet{IP: addr("192.0.2.1"), Sender: "a@untrusted.example", Recipient: "u@example.com"}, greylist.Defer},
		{"recipient", greylist.Triplet{IP: addr("192.0.2.1"), Sender: "a@b.c", Recipient: "PostMaster@example.com"}, greylist.Accept},
		{"recipient domain", greylist.Triplet{IP: addr("192.0.2.1"), Sender: "a@b.c", Recipient: "x@abuse.example"}, greylist.Accept},
		{"nothing", greylist.Triplet{IP: addr("192.0.2.1"), Sender: "a@b.c", Recipient: "x@example.com"}, greylist.Defer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := c.Check(ctx, tc.tr)
			require.NoError(t, err)
			assert.Equal(t, tc.want, d.Action)
			if tc.want == greylist.Accept {
				assert.Equal(t, greylist.ReasonAllowlisted, d.Reason)
			}
		})
	}
}

func TestNormalizeSender(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"<>", ""},
		{"Alice@Example.ORG", "alice@example.org"},
		{"alice+newsletter@example.org", "alice@example.org"},
		{"prvs=0123456789=alice@example.org", "alice@example.org"},
		{"btv1==0123456789a==alice@example.org", "alice@example.org"},
		{"SRS0=HHH=TT=orig.example=alice@forwarder.example", "alice@orig.example"},
		{"SRS1=HHH=forwarder.example==HHH=TT=orig.example=alice@fwd2.example", "alice@orig.example"},
		{"bounce-12345-678@list.example", "bounce-#-#@list.example"},
		{"user42@example.org", "user42@example.org"},
		{"42@example.org", "#@example.org"},
		{"noatsign", "noatsign"},
		{"srs0=broken@x.example", "srs0=broken@x.example"},
		{"+tag@example.org", "+tag@example.org"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, greylist.NormalizeSender(tc.in))
		})
	}
	assert.Equal(t, "bob+x@example.com", greylist.NormalizeRecipient("<Bob+X@Example.com>"))
}

func TestAutomaticSweep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	s := greylist.NewMemoryStore(nil)
	c := &greylist.Checker{Store: s, Now: clk.Now}
	c.Check(ctx, greylist.Triplet{IP: addr("192.0.2.1"), Sender: "a@b.c", Recipient: "d@e.f"})
	require.Equal(t, 1, s.Len())
	clk.Advance(36 * 24 * time.Hour)
	c.Check(ctx, greylist.Triplet{IP: addr("192.0.2.99"), Sender: "x@b.c", Recipient: "d@e.f"})
	assert.Equal(t, 1, s.Len(), "the expired triplet was swept, the new one stored")
	n, err := c.Sweep(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, n)
}

func TestMemoryStoreBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := greylist.NewMemoryStore(&greylist.MemoryOptions{MaxEntries: 128})
	for i := range 2000 {
		var k greylist.Key
		k[0], k[1] = byte(i), byte(i>>8)
		require.NoError(t, s.Update(ctx, k, func(greylist.Record, bool) (greylist.Record, greylist.Op) {
			return greylist.Record{First: uint32(i), Last: uint32(i)}, greylist.OpPut
		}))
	}
	assert.LessOrEqual(t, s.Len(), 128)
	assert.Greater(t, s.Len(), 64)
}

func TestConformanceMemory(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) greylist.Store { return greylist.NewMemoryStore(nil) })
}

func TestConformanceFile(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) greylist.Store {
		s, err := greylist.OpenFileStore(filepath.Join(t.TempDir(), "grey.db"), &greylist.FileOptions{CompactAfter: 16})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func put(t *testing.T, s greylist.Store, k greylist.Key, r greylist.Record) {
	t.Helper()
	require.NoError(t, s.Update(context.Background(), k, func(greylist.Record, bool) (greylist.Record, greylist.Op) {
		return r, greylist.OpPut
	}))
}

func get(t *testing.T, s greylist.Store, k greylist.Key) (greylist.Record, bool) {
	t.Helper()
	var got greylist.Record
	var found bool
	require.NoError(t, s.Update(context.Background(), k, func(cur greylist.Record, f bool) (greylist.Record, greylist.Op) {
		got, found = cur, f
		return cur, greylist.OpKeep
	}))
	return got, found
}

func key(i int) greylist.Key {
	var k greylist.Key
	k[0], k[1], k[2] = byte(i), byte(i>>8), 0xAB
	return k
}

func TestFileStoreRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "grey.db")
	s, err := greylist.OpenFileStore(path, &greylist.FileOptions{CompactAfter: 50})
	require.NoError(t, err)
	for i := range 200 {
		put(t, s, key(i%60), greylist.Record{First: uint32(i), Last: uint32(i), Count: uint32(i)})
	}
	require.NoError(t, s.Update(context.Background(), key(0), func(greylist.Record, bool) (greylist.Record, greylist.Op) {
		return greylist.Record{}, greylist.OpDelete
	}))
	require.NoError(t, s.Close())
	require.ErrorIs(t, s.Update(context.Background(), key(1), func(r greylist.Record, _ bool) (greylist.Record, greylist.Op) {
		return r, greylist.OpPut
	}), greylist.ErrClosed)

	s, err = greylist.OpenFileStore(path, nil)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, 59, s.Len())
	_, ok := get(t, s, key(0))
	assert.False(t, ok)
	for i := 1; i < 60; i++ {
		r, ok := get(t, s, key(i))
		require.True(t, ok, "key %d", i)
		last := 180 + i // the last write to key i%60
		if i >= 20 {
			last = 120 + i
		}
		assert.Equal(t, uint32(last), r.Count, "key %d", i)
	}
}

func TestFileStoreTornWrite(t *testing.T) {
	t.Parallel()
	for _, cut := range []int{1, 5, 17, 32} {
		t.Run("cut"+string(rune('0'+cut/10))+string(rune('0'+cut%10)), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "grey.db")
			s, err := greylist.OpenFileStore(path, nil)
			require.NoError(t, err)
			for i := range 10 {
				put(t, s, key(i), greylist.Record{First: 1, Last: 2, Count: uint32(i)})
			}
			require.NoError(t, s.Close())
			// Simulate a crash in the middle of writing the last record.
			fi, err := os.Stat(path)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(path, fi.Size()-int64(cut)))

			s, err = greylist.OpenFileStore(path, nil)
			require.NoError(t, err)
			assert.Equal(t, 9, s.Len(), "the torn record is ignored")
			_, ok := get(t, s, key(9))
			assert.False(t, ok)
			r, ok := get(t, s, key(8))
			require.True(t, ok)
			assert.Equal(t, uint32(8), r.Count)
			// New writes after the torn tail are readable after another restart.
			put(t, s, key(100), greylist.Record{First: 7, Last: 8, Count: 9})
			require.NoError(t, s.Close())
			s, err = greylist.OpenFileStore(path, nil)
			require.NoError(t, err)
			defer s.Close()
			assert.Equal(t, 10, s.Len())
			r, ok = get(t, s, key(100))
			require.True(t, ok)
			assert.Equal(t, greylist.Record{First: 7, Last: 8, Count: 9}, r)
		})
	}
}

func TestFileStoreCorruptRecord(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "grey.db")
	s, err := greylist.OpenFileStore(path, nil)
	require.NoError(t, err)
	for i := range 3 {
		put(t, s, key(i), greylist.Record{First: 1, Last: 2, Count: 3})
	}
	require.NoError(t, s.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[len(b)-3] ^= 0xFF // flip bits in the last record
	require.NoError(t, os.WriteFile(path, b, 0o600))
	s, err = greylist.OpenFileStore(path, nil)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, 2, s.Len())
}

func TestFileStoreCompactionAndSweep(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "grey.db")
	// A stale temporary file from an interrupted compaction is discarded.
	require.NoError(t, os.WriteFile(path+".tmp", []byte("garbage"), 0o600))
	s, err := greylist.OpenFileStore(path, &greylist.FileOptions{CompactAfter: 10, NoSync: true})
	require.NoError(t, err)
	for i := range 500 {
		put(t, s, key(i%5), greylist.Record{First: 1, Last: uint32(1000 + i%5), Count: uint32(i)})
	}
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Less(t, fi.Size(), int64(100*33), "the log was compacted")
	_, err = os.Stat(path + ".tmp")
	assert.True(t, os.IsNotExist(err))

	n, err := s.Sweep(context.Background(), time.Unix(1003, 0))
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	require.NoError(t, s.Close())
	s, err = greylist.OpenFileStore(path, nil)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, 2, s.Len())
	r, ok := get(t, s, key(4))
	require.True(t, ok)
	assert.Equal(t, uint32(499), r.Count)
}

func TestFileStoreBadFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "grey.db")
	require.NoError(t, os.WriteFile(path, []byte("this is not a greylist store at all"), 0o600))
	_, err := greylist.OpenFileStore(path, nil)
	require.ErrorIs(t, err, greylist.ErrNotStoreFile)

	// A header torn at creation is an empty store.
	path2 := filepath.Join(t.TempDir(), "grey.db")
	require.NoError(t, os.WriteFile(path2, []byte("mailkit-gr"), 0o600))
	s, err := greylist.OpenFileStore(path2, nil)
	require.NoError(t, err)
	put(t, s, key(1), greylist.Record{Count: 1})
	require.NoError(t, s.Close())
	s, err = greylist.OpenFileStore(path2, nil)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, 1, s.Len())
}

func TestFileStoreBounded(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "grey.db")
	s, err := greylist.OpenFileStore(path, &greylist.FileOptions{MaxEntries: 10, NoSync: true})
	require.NoError(t, err)
	for i := range 100 {
		put(t, s, key(i), greylist.Record{Last: uint32(i)})
	}
	assert.Equal(t, 10, s.Len())
	require.NoError(t, s.Close())
	s, err = greylist.OpenFileStore(path, nil)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, 10, s.Len(), "evictions are logged too")
}

func TestFileStoreCompactionFailure(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "grey.db")
	// A non-empty directory where the compaction's temporary file goes:
	// every compaction fails.
	require.NoError(t, os.MkdirAll(filepath.Join(path+".tmp", "x"), 0o700))
	s, err := greylist.OpenFileStore(path, &greylist.FileOptions{CompactAfter: 10, NoSync: true})
	require.NoError(t, err)
	for i := range 100 {
		put(t, s, key(i%3), greylist.Record{Last: uint32(i), Count: uint32(i)})
	}
	require.Error(t, s.CompactErr(), "compaction cannot have worked")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Greater(t, fi.Size(), int64(90*33), "the log kept every record")

	require.NoError(t, os.RemoveAll(path+".tmp"))
	for i := 100; i < 130; i++ {
		put(t, s, key(i%3), greylist.Record{Last: uint32(i), Count: uint32(i)})
	}
	require.NoError(t, s.CompactErr(), "a later compaction worked")
	fi, err = os.Stat(path)
	require.NoError(t, err)
	assert.Less(t, fi.Size(), int64(40*33))
	require.NoError(t, s.Close())

	s, err = greylist.OpenFileStore(path, nil)
	require.NoError(t, err)
	defer s.Close()
	for i := 127; i < 130; i++ {
		r, ok := get(t, s, key(i%3))
		require.True(t, ok)
		assert.Equal(t, uint32(i), r.Count)
	}
}

// TestFileStoreConcurrentCheckers runs checkers in several goroutines on one
// FileStore while it compacts, then reopens it: every triplet's state
// survived.
func TestFileStoreConcurrentCheckers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "grey.db")
	s, err := greylist.OpenFileStore(path, &greylist.FileOptions{CompactAfter: 16, NoSync: true})
	require.NoError(t, err)
	clk := newClock()
	c := &greylist.Checker{Store: s, Now: clk.Now, AutoAllowlist: -1}
	const workers, each = 6, 40
	triplet := func(w, i int) greylist.Triplet {
		return greylist.Triplet{IP: netip.AddrFrom4([4]byte{10, byte(w), byte(i), 1}),
			Sender: "s@example.org", Recipient: "r@example.com"}
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				d, err := c.Check(ctx, triplet(w, i))
				assert.NoError(t, err)
				assert.Equal(t, greylist.Defer, d.Action)
				// A second, early attempt rewrites the record.
				d, err = c.Check(ctx, triplet(w, i))
				assert.NoError(t, err)
				assert.Equal(t, greylist.ReasonEarly, d.Reason)
			}
		}()
	}
	wg.Wait()
	require.NoError(t, s.Close())

	s, err = greylist.OpenFileStore(path, nil)
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, workers*each, s.Len())
	c2 := &greylist.Checker{Store: s, Now: clk.Now, AutoAllowlist: -1}
	clk.Advance(greylist.DefaultDelay)
	for w := range workers {
		for i := range each {
			d, err := c2.Check(ctx, triplet(w, i))
			require.NoError(t, err)
			require.Equal(t, greylist.ReasonPassed, d.Reason, "worker %d triplet %d", w, i)
		}
	}
}

func TestFileStoreExclusive(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "grey.db")
	a, err := greylist.OpenFileStore(path, nil)
	require.NoError(t, err)
	_, err = greylist.OpenFileStore(path, nil)
	require.ErrorIs(t, err, greylist.ErrStoreLocked, "a second FileStore on the same path must be refused")
	require.NoError(t, a.Close())
	b, err := greylist.OpenFileStore(path, nil)
	require.NoError(t, err, "the lock is released by Close")
	require.NoError(t, b.Close())
}
