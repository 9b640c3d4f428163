package greylist

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults, from postgrey.
const (
	DefaultDelay         = 300 * time.Second
	DefaultRetryWindow   = 48 * time.Hour
	DefaultExpiry        = 35 * 24 * time.Hour
	DefaultAutoAllowlist = 5
	DefaultIPv4Prefix    = 24
	DefaultIPv6Prefix    = 64
	DefaultSweepInterval = time.Hour
)

// Errors.
var (
	// ErrBadTriplet means the triplet has no valid client address.
	ErrBadTriplet = errors.New("greylist: invalid triplet")
	// ErrNoStore means Checker.Store is nil.
	ErrNoStore = errors.New("greylist: no store")
)

// MaxFieldLen is the longest a triplet field may be in its key encoding
// (after normalisation; the SPF domain counts with a one-byte tag): keys
// store each field's length in 16 bits. Longer fields are refused with a
// [FieldTooLongError].
const MaxFieldLen = 0xffff

// FieldTooLongError reports a triplet with a field longer than
// [MaxFieldLen]. It matches [ErrBadTriplet] with errors.Is.
type FieldTooLongError struct {
	// Field is "spf domain", "sender" or "recipient".
	Field string
	// Len is the field's length in the key encoding.
	Len int
}

// Error returns e.g. "greylist: invalid triplet: sender is 70000 bytes
// (limit 65535)".
func (e *FieldTooLongError) Error() string {
	return fmt.Sprintf("%v: %s is %d bytes (limit %d)", ErrBadTriplet, e.Field, e.Len, MaxFieldLen)
}

// Is reports whether target is [ErrBadTriplet].
func (e *FieldTooLongError) Is(target error) bool { return target == ErrBadTriplet }

// Triplet is what greylisting keys on: the client, the envelope sender and
// the recipient.
type Triplet struct {
	// IP is the SMTP client's address.
	IP netip.Addr
	// Sender is the envelope sender (MAIL FROM), "" for bounces.
	Sender string
	// Recipient is one envelope recipient (RCPT TO).
	Recipient string
	// SPFDomain, when not empty, is the sender domain whose SPF check
	// passed for IP. With Checker.KeyBySPF it replaces the client network
	// in the key, so senders that retry from another address of their
	// pool are recognised. Set it only for an SPF "pass".
	SPFDomain string
}

// Action is the outcome of a check.
type Action int

const (
	// Accept lets the message through.
	Accept Action = iota + 1
	// Defer rejects it temporarily (451 4.7.1).
	Defer
)

// String returns the lower-case name of the action, "Action(n)" if unknown.
func (a Action) String() string {
	switch a {
	case Accept:
		return "accept"
	case Defer:
		return "defer"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Reason explains a decision.
type Reason string

// Reasons.
const (
	ReasonNew         Reason = "new"              // first time seen (or expired): defer
	ReasonEarly       Reason = "early"            // retried before the delay: defer
	ReasonPassed      Reason = "passed"           // retried after the delay: accept
	ReasonAllowlisted Reason = "allowlisted"      // static allowlist: accept
	ReasonAutoAllowed Reason = "auto-allowlisted" // client delivered often enough: accept
)

// Decision is the result of [Checker.Check].
type Decision struct {
	// Action says whether to accept the recipient now or defer it.
	Action Action
	// Reason says which rule decided (new triplet, too early, allowlisted...).
	Reason Reason
	// Remaining is how long until a retry would be accepted (Defer only).
	Remaining time.Duration
}

// Reply returns the SMTP reply to send for a Defer decision, e.g.
// 451, "4.7.1", "greylisted, please try again in 300 seconds". It returns
// 0, "", "" for Accept: there is nothing to say.
func (d Decision) Reply() (code int, enhanced, text string) {
	if d.Action != Defer {
		return 0, "", ""
	}
	secs := int64((d.Remaining + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return 451, "4.7.1", fmt.Sprintf("greylisted, please try again in %d seconds", secs)
}

// Checker is the greylisting policy. Fields other than Store are optional;
// zero values select postgrey's defaults. A Checker must not be copied after
// first use.
type Checker struct {
	// Store keeps the state (required). See NewMemoryStore and
	// OpenFileStore.
	Store Store
	// Delay is how long a new triplet is deferred (default 300 s).
	Delay time.Duration
	// RetryWindow is how long after the first attempt a retry is still
	// accepted (default 2 days); later, the triplet starts over.
	RetryWindow time.Duration
	// Expiry forgets triplets and clients not seen for that long (default
	// 35 days).
	Expiry time.Duration
	// AutoAllowlist is the number of successful deliveries (see
	// Checker.Delivered) after which a client is no longer greylisted
	// (default 5; negative disables auto-allowlisting).
	AutoAllowlist int
	// IPv4Prefix and IPv6Prefix group clients into networks (defaults 24
	// and 64), since big senders retry from neighbouring addresses.
	IPv4Prefix, IPv6Prefix int
	// KeyBySPF keys triplets and client counters on Triplet.SPFDomain
	// instead of the client network when SPFDomain is set.
	KeyBySPF bool
	// AllowClients are never greylisted.
	AllowClients []netip.Prefix
	// AllowSenders and AllowRecipients are never greylisted. Entries are
	// addresses ("user@example.com", case-insensitive) or domains
	// ("example.com" or "@example.com"), which also cover subdomains.
	AllowSenders, AllowRecipients []string
	// SweepInterval is how often Check sweeps expired records from a store
	// that implements Sweeper (default 1 hour; negative disables; the sweep
	// runs inside the Check call that finds it due).
	SweepInterval time.Duration
	// Now returns the current time; nil uses time.Now.
	Now func() time.Time
	// Logger receives debug messages; nil discards.
	Logger *slog.Logger

	nextSweep atomic.Int64
	states    sync.Pool // *checkState
}

func durOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (c *Checker) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c *Checker) autoN() int {
	if c.AutoAllowlist < 0 {
		return 0
	}
	if c.AutoAllowlist == 0 {
		return DefaultAutoAllowlist
	}
	return c.AutoAllowlist
}

func secs(d time.Duration) uint32 {
	s := int64(d / time.Second)
	if s > int64(^uint32(0)) {
		return ^uint32(0)
	}
	return uint32(s)
}

// age returns now-then in seconds, 0 if the clock went backwards.
func age(now, then uint32) uint32 {
	if now < then {
		return 0
	}
	return now - then
}

// checkState is the working state of one Check or Delivered call. Its
// update functions are bound once, when the state is created, and states
// are pooled: a decision on a known triplet allocates nothing.
type checkState struct {
	n, expiry, delay, window, auto uint32

	ok bool
	d  Decision

	autoFn, tripletFn, deliveredFn UpdateFunc
}

func (c *Checker) getState() *checkState {
	if st, ok := c.states.Get().(*checkState); ok {
		return st
	}
	st := &checkState{}
	st.autoFn = st.autoUpdate
	st.tripletFn = st.tripletUpdate
	st.deliveredFn = st.deliveredUpdate
	return st
}

func (c *Checker) putState(st *checkState) {
	st.ok, st.d = false, Decision{}
	c.states.Put(st)
}

// autoUpdate reads a client counter: is the client auto-allowlisted?
func (st *checkState) autoUpdate(cur Record, found bool) (Record, Op) {
	st.ok = found && cur.Count >= st.auto && age(st.n, cur.Last) <= st.expiry
	return cur, OpKeep
}

// tripletUpdate is the greylisting rule for one triplet.
func (st *checkState) tripletUpdate(cur Record, found bool) (Record, Op) {
	n := st.n
	switch {
	case !found || age(n, cur.Last) > st.expiry ||
		(cur.Count == 0 && age(n, cur.First) > st.window):
		st.d = Decision{Action: Defer, Reason: ReasonNew, Remaining: time.Duration(st.delay) * time.Second}
		return Record{First: n, Last: n}, OpPut
	case cur.Count == 0 && age(n, cur.First) < st.delay:
		st.d = Decision{Action: Defer, Reason: ReasonEarly,
			Remaining: time.Duration(st.delay-age(n, cur.First)) * time.Second}
		return Record{First: cur.First, Last: n}, OpPut
	default:
		st.d = Decision{Action: Accept, Reason: ReasonPassed}
		if cur.Count == 1 && cur.Last == n {
			return cur, OpKeep
		}
		return Record{First: cur.First, Last: n, Count: 1}, OpPut
	}
}

// deliveredUpdate counts a successful delivery from a client.
func (st *checkState) deliveredUpdate(cur Record, found bool) (Record, Op) {
	if !found || age(st.n, cur.Last) > st.expiry {
		return Record{First: st.n, Last: st.n, Count: 1}, OpPut
	}
	if cur.Count < ^uint32(0) {
		cur.Count++
	}
	cur.Last = st.n
	return cur, OpPut
}

// Check decides whether the message for t is accepted now or deferred, and
// records the attempt.
func (c *Checker) Check(ctx context.Context, t Triplet) (Decision, error) {
	if c.Store == nil {
		return Decision{}, ErrNoStore
	}
	if !t.IP.IsValid() {
		return Decision{}, fmt.Errorf("%w: no client address", ErrBadTriplet)
	}
	ip := t.IP.Unmap()
	now := c.now()
	c.maybeSweep(ctx, now)
	if c.allowed(ip, t.Sender, t.Recipient) {
		return Decision{Action: Accept, Reason: ReasonAllowlisted}, nil
	}
	// Both keys are computed before the store is touched: a triplet that
	// has no key (a field too long) changes no state.
	tk, err := c.tripletKey(ip, t.SPFDomain, t.Sender, t.Recipient)
	if err != nil {
		return Decision{}, err
	}
	ck, err := c.clientKey(ip, t.SPFDomain)
	if err != nil {
		return Decision{}, err
	}
	st := c.getState()
	defer c.putState(st)
	st.n = unix(now)
	st.expiry = secs(durOr(c.Expiry, DefaultExpiry))
	st.delay = secs(durOr(c.Delay, DefaultDelay))
	st.window = secs(durOr(c.RetryWindow, DefaultRetryWindow))

	if auto := c.autoN(); auto > 0 {
		st.auto = uint32(auto)
		if err := c.Store.Update(ctx, ck, st.autoFn); err != nil {
			return Decision{}, err
		}
		if st.ok {
			return Decision{Action: Accept, Reason: ReasonAutoAllowed}, nil
		}
	}
	if err := c.Store.Update(ctx, tk, st.tripletFn); err != nil {
		return Decision{}, err
	}
	d := st.d
	if c.Logger != nil {
		c.Logger.DebugContext(ctx, "greylist: decision", "client", ip, "action", d.Action, "reason", d.Reason)
	}
	return d, nil
}

// Delivered records a successful delivery from t's client (its network, or
// its SPF domain with KeyBySPF) for auto-allowlisting. Call it once per
// accepted message.
func (c *Checker) Delivered(ctx context.Context, t Triplet) error {
	if c.Store == nil {
		return ErrNoStore
	}
	if !t.IP.IsValid() {
		return fmt.Errorf("%w: no client address", ErrBadTriplet)
	}
	if c.autoN() == 0 {
		return nil
	}
	ck, err := c.clientKey(t.IP.Unmap(), t.SPFDomain)
	if err != nil {
		return err
	}
	st := c.getState()
	defer c.putState(st)
	st.n = unix(c.now())
	st.expiry = secs(durOr(c.Expiry, DefaultExpiry))
	return c.Store.Update(ctx, ck, st.deliveredFn)
}

// Sweep deletes records not seen within the expiry period, if the store
// implements [Sweeper]; otherwise it does nothing.
func (c *Checker) Sweep(ctx context.Context) (int, error) {
	sw, ok := c.Store.(Sweeper)
	if !ok {
		return 0, nil
	}
	return sw.Sweep(ctx, c.now().Add(-durOr(c.Expiry, DefaultExpiry)))
}

func (c *Checker) maybeSweep(ctx context.Context, now time.Time) {
	if c.SweepInterval < 0 {
		return
	}
	if _, ok := c.Store.(Sweeper); !ok {
		return
	}
	next := c.nextSweep.Load()
	ns := now.UnixNano()
	if next == 0 {
		c.nextSweep.CompareAndSwap(0, ns+int64(durOr(c.SweepInterval, DefaultSweepInterval)))
		return
	}
	if ns < next || !c.nextSweep.CompareAndSwap(next, ns+int64(durOr(c.SweepInterval, DefaultSweepInterval))) {
		return
	}
	n, err := c.Sweep(ctx)
	if c.Logger != nil {
		c.Logger.DebugContext(ctx, "greylist: swept", "deleted", n, "err", err)
	}
}

// Keys are the first 16 bytes of the SHA-256 of
//
//	't' field(origin) field(normalised sender) field(normalised recipient)
//	'c' field(origin)
//
// where field(x) is x's length as 2 big-endian bytes followed by x, and
// origin is 'd' + the lower-cased SPF domain (KeyBySPF) or 'n', the prefix
// length as one byte and the network address in text form. The bytes are
// written into a stack buffer straight from the triplet's parts: computing a
// key allocates nothing. Stored keys depend on this layout: do not change
// it (TestKeysStable pins it).
//
// A 2-byte length cannot describe a field longer than MaxFieldLen: its
// length used to wrap, and the rest of the field was then read as the
// following fields, so a hostile triplet could take over the key of another
// one. Such triplets now have no key (FieldTooLongError); every other
// triplet keeps the key it always had.

// keyBufSize holds a triplet of SMTP-sized addresses (RFC 5321 §4.5.3.1:
// 64-byte local part, 255-byte domain) without growing onto the heap.
const keyBufSize = 1 + 2 + 256 + 2 + 320 + 2 + 320

// appendOrigin appends the client identity used in keys: the SPF domain with
// KeyBySPF, else the client network.
func (c *Checker) appendOrigin(b []byte, ip netip.Addr, spfDomain string) []byte {
	if c.KeyBySPF && spfDomain != "" {
		b = append(b, 'd')
		return appendLower(b, strings.TrimSuffix(spfDomain, "."))
	}
	bits := c.IPv4Prefix
	if ip.Is4() {
		if bits <= 0 || bits > 32 {
			bits = DefaultIPv4Prefix
		}
	} else if bits = c.IPv6Prefix; bits <= 0 || bits > 128 {
		bits = DefaultIPv6Prefix
	}
	p, _ := ip.Prefix(bits) // cannot fail: bits is in range for ip
	b = append(b, 'n', byte(bits))
	return p.Addr().AppendTo(b)
}

// beginField reserves the 2-byte length of a field; endField fills it in,
// or reports the field (named name) too long for it.
func beginField(b []byte) ([]byte, int) { return append(b, 0, 0), len(b) }

func endField(b []byte, at int, name string) ([]byte, error) {
	n := len(b) - at - 2
	if n > MaxFieldLen {
		return b, &FieldTooLongError{Field: name, Len: n}
	}
	b[at], b[at+1] = byte(n>>8), byte(n)
	return b, nil
}

// Field names in FieldTooLongError.
const (
	fieldOrigin    = "spf domain" // only an SPF domain can make the origin long
	fieldSender    = "sender"
	fieldRecipient = "recipient"
)

// appendTripletKey appends the bytes a triplet key is hashed from.
func (c *Checker) appendTripletKey(b []byte, ip netip.Addr, spfDomain, sender, rcpt string) ([]byte, error) {
	b = append(b, 't')
	b, at := beginField(b)
	b, err := endField(c.appendOrigin(b, ip, spfDomain), at, fieldOrigin)
	if err != nil {
		return nil, err
	}
	b, at = beginField(b)
	if b, err = endField(appendNormalizedSender(b, trimAngle(sender)), at, fieldSender); err != nil {
		return nil, err
	}
	b, at = beginField(b)
	if b, err = endField(appendLower(b, trimAngle(rcpt)), at, fieldRecipient); err != nil {
		return nil, err
	}
	return b, nil
}

// appendClientKey appends the bytes a client key is hashed from.
func (c *Checker) appendClientKey(b []byte, ip netip.Addr, spfDomain string) ([]byte, error) {
	b = append(b, 'c')
	b, at := beginField(b)
	return endField(c.appendOrigin(b, ip, spfDomain), at, fieldOrigin)
}

func (c *Checker) tripletKey(ip netip.Addr, spfDomain, sender, rcpt string) (Key, error) {
	var buf [keyBufSize]byte
	b, err := c.appendTripletKey(buf[:0], ip, spfDomain, sender, rcpt)
	if err != nil {
		return Key{}, err
	}
	return hashKey(b), nil
}

func (c *Checker) clientKey(ip netip.Addr, spfDomain string) (Key, error) {
	var buf [1 + 2 + 256]byte
	b, err := c.appendClientKey(buf[:0], ip, spfDomain)
	if err != nil {
		return Key{}, err
	}
	return hashKey(b), nil
}

func hashKey(b []byte) Key {
	sum := sha256.Sum256(b)
	return Key(sum[:16])
}

func (c *Checker) allowed(ip netip.Addr, sender, rcpt string) bool {
	for _, p := range c.AllowClients {
		if p.Contains(ip) {
			return true
		}
	}
	return matchAddr(c.AllowSenders, trimAngle(sender)) ||
		matchAddr(c.AllowRecipients, trimAngle(rcpt))
}

// matchAddr matches an address against address and domain entries.
func matchAddr(entries []string, addr string) bool {
	if len(entries) == 0 || addr == "" {
		return false
	}
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	for _, e := range entries {
		if e == "" {
			continue
		}
		if e[0] != '@' && strings.IndexByte(e, '@') >= 0 {
			if strings.EqualFold(e, addr) {
				return true
			}
			continue
		}
		d := strings.TrimSuffix(strings.TrimPrefix(e, "@"), ".")
		if strings.EqualFold(domain, d) {
			return true
		}
		if len(domain) > len(d) && domain[len(domain)-len(d)-1] == '.' &&
			strings.EqualFold(domain[len(domain)-len(d):], d) {
			return true
		}
	}
	return false
}
