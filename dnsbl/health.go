package dnsbl

import (
	"context"
	"fmt"
	"net/netip"
)

// HealthError describes a failed RFC 5782 §5 health check.
type HealthError struct {
	// Zone is the list checked.
	Zone string
	// Name is the test point queried, e.g. "2.0.0.127.zen.example".
	Name string
	// Problem says what was wrong: "test point not listed" (the list is
	// dead, misconfigured or not answering), "everything listed" (the list
	// lists a must-not-list test point: shut down by answering everything,
	// or hijacked), or a lookup failure.
	Problem string
	// Err is the underlying error, if any.
	Err error
}

// Error names the list, the problem, the probed name and the underlying
// error, if any.
func (e *HealthError) Error() string {
	s := fmt.Sprintf("dnsbl: list %s failed health check: %s (%s)", e.Zone, e.Problem, e.Name)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns [ErrUnhealthy] and the underlying error.
func (e *HealthError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrUnhealthy}
	}
	return []error{ErrUnhealthy, e.Err}
}

// Health runs the RFC 5782 §5 test points against l: for IP lists
// 127.0.0.2 must be listed and 127.0.0.1 must not (plus ::FFFF:7F00:2 and
// ::FFFF:7F00:1 unless IPv4Only); for domain lists TEST must be listed and
// INVALID must not. It returns nil for a healthy list, a [*HealthError] for
// the first failed test point otherwise. Test points are queried one by one
// with the list's timeout.
func (c *Checker) Health(ctx context.Context, l List) error {
	type point struct {
		name   string
		listed bool
	}
	var pts []point
	switch l.Kind {
	case IPList:
		pts = []point{
			{IPName(netip.MustParseAddr("127.0.0.2"), l.Zone), true},
			{IPName(netip.MustParseAddr("127.0.0.1"), l.Zone), false},
		}
		if !l.IPv4Only {
			pts = append(pts,
				point{IPName(netip.AddrFrom16(netip.MustParseAddr("::ffff:7f00:2").As16()), l.Zone), true},
				point{IPName(netip.AddrFrom16(netip.MustParseAddr("::ffff:7f00:1").As16()), l.Zone), false})
		}
	case DomainList:
		t, _ := DomainName("test", l.Zone)
		inv, _ := DomainName("invalid", l.Zone)
		pts = []point{{t, true}, {inv, false}}
	}
	for _, p := range pts {
		fail := func(problem string, err error) error {
			return &HealthError{Zone: l.Zone, Name: p.name, Problem: problem, Err: err}
		}
		rs, err := c.run(ctx, []job{{&l, p.name, p.name}})
		if err != nil {
			return fail("lookup failed", err)
		}
		lr := rs[0]
		if lr.Err != nil {
			return fail("lookup failed", lr.Err)
		}
		switch {
		case p.listed && len(lr.Addrs) == 0:
			return fail("test point not listed", nil)
		case !p.listed && len(lr.Addrs) > 0:
			return fail("everything listed", nil)
		}
	}
	return nil
}
