package dnsutil

import (
	"container/list"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Cache defaults.
const (
	DefaultCacheEntries = 10000
	DefaultCacheBytes   = 32 << 20 // 32 MiB of DNS messages
	DefaultMaxTTL       = 24 * time.Hour
	DefaultMaxNegTTL    = 3 * time.Hour // RFC 2308 section 5 suggests 1-3 hours
)

// Cache stores DNS responses for [Resolver] honouring their TTLs. Positive
// answers live for the smallest TTL of their answer records; negative
// answers (NXDOMAIN and NODATA) for min(SOA TTL, SOA MINIMUM) of the SOA
// in the authority section, per RFC 2308 section 5. Negative answers
// without SOA, answers with TTL 0, truncated answers and failures
// (SERVFAIL, REFUSED, ...) are not stored. When full (by entry count or
// by the total size of the stored messages), the least recently used
// entries are evicted.
//
// The zero value is ready to use. A Cache is safe for concurrent use and
// may be shared by several resolvers (entries are keyed by name, type
// and class only, not by server; each remembers the server that gave it,
// which errors built from a cached answer report as their Server).
type Cache struct {
	// MaxEntries bounds the number of stored responses
	// (0 = DefaultCacheEntries).
	MaxEntries int
	// MaxBytes bounds the total size of the stored responses, counted
	// as their uncompressed wire length (0 = DefaultCacheBytes). A
	// response larger than MaxBytes is not stored. The memory used is a
	// small multiple of this figure.
	MaxBytes int
	// MaxTTL caps positive TTLs (0 = DefaultMaxTTL).
	MaxTTL time.Duration
	// MaxNegativeTTL caps negative TTLs (0 = DefaultMaxNegTTL).
	MaxNegativeTTL time.Duration
	// Now is the clock (nil = time.Now).
	Now func() time.Time

	mu      sync.Mutex
	entries map[cacheKey]*list.Element
	lru     list.List // front = most recently used; values *cacheEntry
	bytes   int       // sum of the entries' size
	hits    uint64
	misses  uint64
}

type cacheKey struct {
	name  string
	qtype uint16
}

type cacheEntry struct {
	key     cacheKey
	size    int // wire length of msg
	msg     *dns.Msg
	server  string // that gave msg
	stored  time.Time
	expires time.Time
}

// CacheStats are counters of a [Cache].
type CacheStats struct {
	Entries      int    // responses currently stored (expired ones not yet evicted included)
	Bytes        int    // total wire length of the stored responses
	Hits, Misses uint64 // lookups answered from the cache / not (absent or expired), since creation
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Len returns the number of stored responses, expired ones included
// until they are looked up or evicted.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// Stats returns the counters.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Entries: c.lru.Len(), Bytes: c.bytes, Hits: c.hits, Misses: c.misses}
}

// Flush removes every entry.
func (c *Cache) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
	c.lru.Init()
	c.bytes = 0
}

func keyFor(name string, qtype uint16) cacheKey {
	return cacheKey{strings.ToLower(name), qtype}
}

// get returns a copy of a live entry with TTLs reduced by its age, and the
// server that gave it.
func (c *Cache) get(name string, qtype uint16) (*dns.Msg, string) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[keyFor(name, qtype)]
	if !ok {
		c.misses++
		return nil, ""
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.removeLocked(el)
		c.misses++
		return nil, ""
	}
	c.hits++
	c.lru.MoveToFront(el)
	m := e.msg.Copy()
	age := uint32(0)
	if d := now.Sub(e.stored); d > 0 { // a clock set back counts as no age
		age = uint32(d / time.Second)
	}
	for _, sec := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			h := rr.Header()
			if h.Rrtype == dns.TypeOPT {
				continue
			}
			if h.Ttl > age {
				h.Ttl -= age
			} else {
				h.Ttl = 0
			}
		}
	}
	return m, e.server
}

func (c *Cache) removeLocked(el *list.Element) {
	e := el.Value.(*cacheEntry)
	delete(c.entries, e.key)
	c.bytes -= e.size
	c.lru.Remove(el)
}

// ttlFor returns how long m may be cached; 0 means not at all.
func (c *Cache) ttlFor(m *dns.Msg, qtype uint16) time.Duration {
	if m.Truncated {
		return 0
	}
	maxTTL, maxNeg := c.MaxTTL, c.MaxNegativeTTL
	if maxTTL <= 0 {
		maxTTL = DefaultMaxTTL
	}
	if maxNeg <= 0 {
		maxNeg = DefaultMaxNegTTL
	}
	negative := m.Rcode == dns.RcodeNameError
	if m.Rcode == dns.RcodeSuccess {
		negative = true
		for _, rr := range m.Answer {
			if t := rr.Header().Rrtype; t == qtype || t == dns.TypeCNAME || qtype == dns.TypeANY {
				negative = false
				break
			}
		}
	} else if !negative {
		return 0
	}
	if negative {
		for _, rr := range m.Ns {
			if s, ok := rr.(*dns.SOA); ok {
				return min(time.Duration(min(s.Hdr.Ttl, s.Minttl))*time.Second, maxNeg)
			}
		}
		return 0
	}
	ttl := uint32(0)
	first := true
	for _, rr := range m.Answer {
		if t := rr.Header().Ttl; first || t < ttl {
			ttl, first = t, false
		}
	}
	return min(time.Duration(ttl)*time.Second, maxTTL)
}

// put stores m, given by server, for name/qtype if cacheable.
func (c *Cache) put(name string, qtype uint16, m *dns.Msg, server string) {
	ttl := c.ttlFor(m, qtype)
	if ttl <= 0 {
		return
	}
	maxN := c.MaxEntries
	if maxN <= 0 {
		maxN = DefaultCacheEntries
	}
	maxB := c.MaxBytes
	if maxB <= 0 {
		maxB = DefaultCacheBytes
	}
	size := m.Len()
	if size > maxB {
		return
	}
	now := c.now()
	k := keyFor(name, qtype)
	e := &cacheEntry{key: k, size: size, msg: m.Copy(), server: server, stored: now, expires: now.Add(ttl)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[cacheKey]*list.Element)
	}
	if el, ok := c.entries[k]; ok {
		c.removeLocked(el)
	}
	c.entries[k] = c.lru.PushFront(e)
	c.bytes += size
	for c.lru.Len() > maxN || c.bytes > maxB {
		c.removeLocked(c.lru.Back())
	}
}
