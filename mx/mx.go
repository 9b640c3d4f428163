package mx

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// Resolver is the part of *net.Resolver the package needs. *net.Resolver,
// dnsutil.Resolver and dnstest.Zone satisfy it. Errors should be
// *net.DNSError so that NXDOMAIN/NODATA (IsNotFound) can be told from
// temporary failures.
type Resolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Limits bounds the work and output of a [Router] and a [Selector]. The zero
// value selects the defaults.
type Limits struct {
	// MaxHosts caps the number of targets Lookup returns (default 10).
	MaxHosts int
	// MaxAddrs caps the number of addresses Addrs returns per target
	// (default 10).
	MaxAddrs int
	// MaxTracked caps the hosts and host groups a Selector remembers
	// (default 10000).
	MaxTracked int
	// AllowIPTargets accepts MX targets written as IP addresses instead of
	// skipping them.
	AllowIPTargets bool
}

func (l Limits) maxHosts() int   { return defInt(l.MaxHosts, 10) }
func (l Limits) maxAddrs() int   { return defInt(l.MaxAddrs, 10) }
func (l Limits) maxTracked() int { return defInt(l.MaxTracked, 10000) }

func defInt(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// Family selects which address families [Router.Addrs] returns and in which
// order.
type Family int

const (
	// FamilyAny keeps the resolver's order (the zero value).
	FamilyAny Family = iota
	// PreferIPv4 returns IPv4 addresses before IPv6 addresses.
	PreferIPv4
	// PreferIPv6 returns IPv6 addresses before IPv4 addresses.
	PreferIPv6
	// OnlyIPv4 returns IPv4 addresses only.
	OnlyIPv4
	// OnlyIPv6 returns IPv6 addresses only.
	OnlyIPv6
)

// Target is one delivery destination.
type Target struct {
	// Host is the host name in ASCII, lower case, without trailing dot. For
	// an address target it is the address in text form.
	Host string
	// Pref is the MX preference (0 for implicit MX and smart hosts).
	Pref uint16
	// Port is the TCP port; 0 means the SMTP default, 25.
	Port int
	// Addr is set when the target is an IP address (domain literal, IP MX
	// target allowed by Limits.AllowIPTargets, or an IP smart host).
	Addr netip.Addr
	// Implicit reports that the domain has no MX and the target is the
	// domain itself (RFC 5321 §5.1).
	Implicit bool
	// Smart reports that the target is the configured smart host.
	Smart bool
}

// HostPort returns "host:port" for dialing, port 25 when Port is 0.
func (t Target) HostPort() string {
	p := t.Port
	if p == 0 {
		p = 25
	}
	h := t.Host
	if t.Addr.IsValid() {
		h = t.Addr.String()
	}
	return net.JoinHostPort(h, strconv.Itoa(p))
}

// Errors wrapped by [*Error].
var (
	// ErrNullMX means the domain publishes a null MX (RFC 7505): it
	// accepts no mail.
	ErrNullMX = errors.New("mx: domain accepts no mail (null MX)")
	// ErrNoDomain means the domain does not exist (NXDOMAIN) or has
	// neither MX nor address records.
	ErrNoDomain = errors.New("mx: no such domain")
	// ErrNoTargets means every MX target was unusable.
	ErrNoTargets = errors.New("mx: no usable MX targets")
	// ErrBadDomain means the domain is syntactically invalid.
	ErrBadDomain = errors.New("mx: invalid domain")
	// ErrTemporary means a DNS lookup failed temporarily.
	ErrTemporary = errors.New("mx: temporary DNS failure")
	// ErrBadSmartHost means Router.SmartHost cannot be parsed.
	ErrBadSmartHost = errors.New("mx: invalid smart host")
)

// Error is the error returned by [Router.Lookup] and [Router.Addrs]. It
// suggests an SMTP reply (without importing a protocol package).
type Error struct {
	Domain    string // the domain that was looked up
	Permanent bool   // true for a permanent failure (5xx), false for a temporary one (4xx)
	Code      int    // suggested SMTP reply code, e.g. 556
	Enhanced  string // suggested enhanced status code, e.g. "5.1.10"
	Err       error  // one of the ErrXxx sentinels, possibly wrapping the DNS error
}

// Error returns the underlying error's text followed by the domain.
func (e *Error) Error() string {
	return fmt.Sprintf("%v (domain %q)", e.Err, e.Domain)
}

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// Reply returns the suggested SMTP reply for a failed delivery.
func (e *Error) Reply() (code int, enhanced, text string) {
	return e.Code, e.Enhanced, e.Err.Error()
}

func newErr(domain string, sentinel error, cause error) *Error {
	e := &Error{Domain: domain, Err: sentinel}
	if cause != nil {
		e.Err = fmt.Errorf("%w: %w", sentinel, cause)
	}
	switch sentinel {
	case ErrNullMX:
		e.Permanent, e.Code, e.Enhanced = true, 556, "5.1.10"
	case ErrNoDomain, ErrBadDomain:
		e.Permanent, e.Code, e.Enhanced = true, 550, "5.1.2"
	case ErrNoTargets:
		e.Permanent, e.Code, e.Enhanced = true, 550, "5.4.4"
	case ErrBadSmartHost:
		e.Permanent, e.Code, e.Enhanced = false, 451, "4.3.5"
	default:
		e.Permanent, e.Code, e.Enhanced = false, 451, "4.4.3"
	}
	return e
}

// Router resolves recipient domains to delivery targets. The zero value is
// not usable: Resolver must be set unless SmartHost is.
type Router struct {
	// Resolver answers MX and address queries.
	Resolver Resolver
	// SmartHost, when not empty, routes all mail to this host, bypassing
	// MX resolution: "host", "host:port", "[host]:port", "192.0.2.1:587" or
	// "[2001:db8::1]:587". The default port is 25.
	SmartHost string
	// Family orders or filters the addresses returned by Addrs.
	Family Family
	// Limits bounds lookups; zero values select defaults.
	Limits Limits
	// IntN returns a pseudo-random number in [0, n); it shuffles targets
	// of equal preference. Nil uses math/rand/v2.IntN.
	IntN func(n int) int
	// Logger receives debug messages; nil discards.
	Logger *slog.Logger
}

func (r *Router) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

// ParseSmartHost parses a smart-host specification (see
// [Router.SmartHost]) into a target.
func ParseSmartHost(s string) (Target, error) {
	bad := func(why string) (Target, error) {
		return Target{}, newErr(s, ErrBadSmartHost, errors.New(why))
	}
	host, port := s, 0
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad("bad port")
		}
		host, port = h, n
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" {
		return bad("empty host")
	}
	t := Target{Host: host, Port: port, Smart: true}
	if a, err := netip.ParseAddr(host); err == nil {
		t.Addr = a.Unmap()
		t.Host = t.Addr.String()
		return t, nil
	}
	a, err := toASCII(host)
	if err != nil {
		return bad(err.Error())
	}
	t.Host = a
	return t, nil
}

// idnaProfile is the lookup profile that also enforces DNS lengths (no
// empty labels, labels of at most 63 octets).
var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true))

func toASCII(domain string) (string, error) {
	d := strings.TrimSuffix(domain, ".")
	if d == "" || len(d) > 253 {
		return "", ErrBadDomain
	}
	a, err := idnaProfile.ToASCII(d)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadDomain, err)
	}
	return strings.ToLower(a), nil
}

// parseLiteral parses a domain literal: "[192.0.2.1]" or "[IPv6:2001:db8::1]".
func parseLiteral(d string) (netip.Addr, bool, error) {
	if !strings.HasPrefix(d, "[") {
		return netip.Addr{}, false, nil
	}
	if !strings.HasSuffix(d, "]") {
		return netip.Addr{}, true, ErrBadDomain
	}
	in := d[1 : len(d)-1]
	v6 := false
	if len(in) >= 5 && strings.EqualFold(in[:5], "IPv6:") {
		in, v6 = in[5:], true
	}
	a, err := netip.ParseAddr(in)
	if err != nil || a.Zone() != "" || a.Is6() != v6 || a.Is4In6() {
		return netip.Addr{}, true, ErrBadDomain
	}
	return a, true, nil
}

// Lookup returns the delivery targets for domain, in the order they should be
// tried. Errors are [*Error].
func (r *Router) Lookup(ctx context.Context, domain string) ([]Target, error) {
	if r.SmartHost != "" {
		t, err := ParseSmartHost(r.SmartHost)
		if err != nil {
			return nil, err
		}
		return []Target{t}, nil
	}
	if a, ok, err := parseLiteral(domain); ok {
		if err != nil {
			return nil, newErr(domain, ErrBadDomain, nil)
		}
		return []Target{{Host: a.String(), Addr: a, Implicit: true}}, nil
	}
	name, err := toASCII(domain)
	if err != nil {
		return nil, newErr(domain, ErrBadDomain, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, newErr(name, ErrTemporary, err)
	}
	mxs, err := r.Resolver.LookupMX(ctx, name)
	if err != nil && len(mxs) > 0 && !isTemporary(err) {
		// *net.Resolver returns the well-formed records together with an
		// error when some targets were not valid host names: use them.
		r.logger().DebugContext(ctx, "mx: some MX records ignored", "domain", name, "err", err)
		err = nil
	}
	if err != nil && !isNotFound(err) {
		// A temporary failure never leads to the implicit MX.
		return nil, newErr(name, ErrTemporary, err)
	}
	if len(mxs) == 0 {
		// NXDOMAIN and NODATA both carry IsNotFound; the address lookup
		// tells them apart (it fails with IsNotFound for NXDOMAIN too).
		return r.implicit(ctx, name)
	}
	return r.fromMX(name, mxs)
}

func isTemporary(err error) bool {
	var dnsErr *net.DNSError
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &dnsErr) && (dnsErr.IsTemporary || dnsErr.IsTimeout)
}

func isNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

func (r *Router) implicit(ctx context.Context, name string) ([]Target, error) {
	addrs, err := r.Resolver.LookupNetIP(ctx, "ip", name)
	if err != nil {
		if isNotFound(err) {
			return nil, newErr(name, ErrNoDomain, err)
		}
		return nil, newErr(name, ErrTemporary, err)
	}
	if len(addrs) == 0 {
		return nil, newErr(name, ErrNoDomain, nil)
	}
	r.logger().DebugContext(ctx, "mx: implicit MX", "domain", name)
	return []Target{{Host: name, Implicit: true}}, nil
}

func (r *Router) fromMX(name string, mxs []*net.MX) ([]Target, error) {
	log := r.logger()
	null := 0
	byHost := make(map[string]int, len(mxs))
	var ts []Target
	for _, m := range mxs {
		if m == nil {
			continue
		}
		h := strings.TrimSuffix(m.Host, ".")
		if h == "" {
			null++
			continue
		}
		t := Target{Pref: m.Pref}
		if a, err := netip.ParseAddr(h); err == nil {
			if !r.Limits.AllowIPTargets {
				log.Debug("mx: skipping IP address MX target", "domain", name, "target", h)
				continue
			}
			t.Addr = a.Unmap()
			t.Host = t.Addr.String()
		} else {
			a, err := toASCII(h)
			if err != nil {
				log.Debug("mx: skipping invalid MX target", "domain", name, "target", h, "err", err)
				continue
			}
			t.Host = a
		}
		if i, ok := byHost[t.Host]; ok {
			if t.Pref < ts[i].Pref {
				ts[i].Pref = t.Pref
			}
			continue
		}
		byHost[t.Host] = len(ts)
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		if null > 0 {
			return nil, newErr(name, ErrNullMX, nil)
		}
		return nil, newErr(name, ErrNoTargets, nil)
	}
	// Sort by preference, canonical by name within a preference, then
	// shuffle each group of equal preference.
	slices.SortFunc(ts, func(a, b Target) int {
		return cmp.Or(cmp.Compare(a.Pref, b.Pref), strings.Compare(a.Host, b.Host))
	})
	intn := r.IntN
	if intn == nil {
		intn = rand.IntN
	}
	for i := 0; i < len(ts); {
		j := i + 1
		for j < len(ts) && ts[j].Pref == ts[i].Pref {
			j++
		}
		g := ts[i:j]
		for k := len(g) - 1; k > 0; k-- {
			n := intn(k + 1)
			if n < 0 || n > k {
				n = k
			}
			g[k], g[n] = g[n], g[k]
		}
		i = j
	}
	if len(ts) > r.Limits.maxHosts() {
		ts = ts[:r.Limits.maxHosts()]
	}
	return ts, nil
}

// Addrs resolves t to IP addresses ordered and filtered by r.Family and
// capped by Limits.MaxAddrs. Errors are [*Error]: a host without addresses
// of the wanted family is [ErrNoDomain] (permanent for that target; try the
// next one), a lookup failure is [ErrTemporary].
func (r *Router) Addrs(ctx context.Context, t Target) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if t.Addr.IsValid() {
		addrs = []netip.Addr{t.Addr}
	} else {
		network := "ip"
		switch r.Family {
		case OnlyIPv4:
			network = "ip4"
		case OnlyIPv6:
			network = "ip6"
		}
		got, err := r.Resolver.LookupNetIP(ctx, network, t.Host)
		if err != nil {
			if isNotFound(err) {
				return nil, newErr(t.Host, ErrNoDomain, err)
			}
			return nil, newErr(t.Host, ErrTemporary, err)
		}
		addrs = got
	}
	out := make([]netip.Addr, 0, len(addrs))
	seen := make(map[netip.Addr]bool, len(addrs))
	for _, a := range addrs {
		a = a.Unmap()
		if !a.IsValid() || seen[a] {
			continue
		}
		if (r.Family == OnlyIPv4 && !a.Is4()) || (r.Family == OnlyIPv6 && !a.Is6()) {
			continue
		}
		seen[a] = true
		out = append(out, a)
	}
	switch r.Family {
	case PreferIPv4:
		slices.SortStableFunc(out, func(a, b netip.Addr) int { return cmp.Compare(a.BitLen(), b.BitLen()) })
	case PreferIPv6:
		slices.SortStableFunc(out, func(a, b netip.Addr) int { return cmp.Compare(b.BitLen(), a.BitLen()) })
	}
	if len(out) == 0 {
		return nil, newErr(t.Host, ErrNoDomain, nil)
	}
	if len(out) > r.Limits.maxAddrs() {
		out = out[:r.Limits.maxAddrs()]
	}
	return out, nil
}
