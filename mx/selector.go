package mx

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Selector orders delivery attempts for a running MTA. It keeps, across
// messages, a round-robin position per group of equal-preference hosts and
// the hosts currently marked down.
//
// For each message call [Selector.Order] with the targets of
// [Router.Lookup]; try them in the returned order; call [Selector.MarkDown]
// for a host that failed (connection refused, timeout, 4xx greeting) and
// [Selector.MarkUp] for a host that worked.
//
// The zero value is ready to use.
type Selector struct {
	// Now returns the current time; nil uses time.Now.
	Now func() time.Time
	// Backoff is how long a host stays down after its first failure
	// (default 1 minute). Each further consecutive failure doubles it, up
	// to MaxBackoff.
	Backoff time.Duration
	// MaxBackoff caps the back-off (default 30 minutes).
	MaxBackoff time.Duration
	// Limits bounds the state kept (Limits.MaxTracked).
	Limits Limits

	mu   sync.Mutex
	rr   map[string]uint64    // group key -> messages sent to the group
	down map[string]downState // host -> state
}

type downState struct {
	until    time.Time
	failures int
}

func (s *Selector) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Selector) backoff(failures int) time.Duration {
	b := s.Backoff
	if b <= 0 {
		b = time.Minute
	}
	mx := s.MaxBackoff
	if mx <= 0 {
		mx = 30 * time.Minute
	}
	for i := 1; i < failures && b < mx; i++ {
		b *= 2
	}
	return min(b, mx)
}

// MarkDown records a failed attempt to host: it is skipped until its
// back-off has passed. Consecutive failures double the back-off.
func (s *Selector) MarkDown(host string) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down == nil {
		s.down = make(map[string]downState)
	}
	st := s.down[host]
	st.failures++
	st.until = now.Add(s.backoff(st.failures))
	if _, ok := s.down[host]; !ok && len(s.down) >= s.Limits.maxTracked() {
		s.pruneDown(now)
		if len(s.down) >= s.Limits.maxTracked() {
			return // full of live entries: forget this one
		}
	}
	s.down[host] = st
}

// pruneDown drops hosts whose back-off ended long ago. s.mu is held.
func (s *Selector) pruneDown(now time.Time) {
	for h, st := range s.down {
		if now.After(st.until) {
			delete(s.down, h)
		}
	}
}

// MarkUp records a successful attempt to host and forgets its failures.
func (s *Selector) MarkUp(host string) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	s.mu.Lock()
	delete(s.down, host)
	s.mu.Unlock()
}

// IsDown reports whether host is currently marked down.
func (s *Selector) IsDown(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isDown(host, now)
}

func (s *Selector) isDown(host string, now time.Time) bool {
	st, ok := s.down[host]
	return ok && now.Before(st.until)
}

// Order returns the targets in the order to try them for the next message
// and advances the round-robin position of the group that receives it.
//
// Targets are grouped by preference, lowest first. Within a group the hosts
// are taken in name order rotated by the number of messages the group has
// already received, so consecutive messages alternate between equal hosts
// whatever order DNS returned them in. Hosts marked down are left out of
// the rotation; a preference is skipped entirely only when all its hosts are
// down. The hosts that are down come last (soonest retry first), so the
// caller always has something to try.
func (s *Selector) Order(targets []Target) []Target {
	ts := slices.Clone(targets)
	slices.SortStableFunc(ts, func(a, b Target) int {
		return cmp.Or(cmp.Compare(a.Pref, b.Pref), strings.Compare(a.Host, b.Host))
	})
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Target, 0, len(ts))
	var downs []Target
	advanced := false
	for i := 0; i < len(ts); {
		j := i + 1
		for j < len(ts) && ts[j].Pref == ts[i].Pref {
			j++
		}
		group := ts[i:j]
		i = j
		var up []Target
		for _, t := range group {
			if s.isDown(t.Host, now) {
				downs = append(downs, t)
			} else {
				up = append(up, t)
			}
		}
		if len(up) == 0 {
			continue
		}
		key := groupKey(group)
		n := s.rr[key]
		start := int(n % uint64(len(up)))
		out = append(out, up[start:]...)
		out = append(out, up[:start]...)
		if !advanced {
			advanced = true
			if s.rr == nil {
				s.rr = make(map[string]uint64)
			}
			if _, ok := s.rr[key]; !ok && len(s.rr) >= s.Limits.maxTracked() {
				clear(s.rr) // bounded: forget all positions
			}
			s.rr[key] = n + 1
		}
	}
	slices.SortStableFunc(downs, func(a, b Target) int {
		return s.down[a.Host].until.Compare(s.down[b.Host].until)
	})
	return append(out, downs...)
}

// Pick returns the first target of [Selector.Order], or false if targets is
// empty.
func (s *Selector) Pick(targets []Target) (Target, bool) {
	o := s.Order(targets)
	if len(o) == 0 {
		return Target{}, false
	}
	return o[0], true
}

func groupKey(group []Target) string {
	var b strings.Builder
	for i, t := range group {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.Host)
	}
	return b.String()
}
