package spf

import "sync"

// Cache memoizes parsed records by their exact TXT text, so that hot
// records are parsed once. Parsed records are immutable, so sharing them
// is safe. When the cache holds Max entries it is emptied before the next
// insertion (bounded memory, no bookkeeping per hit). Safe for concurrent
// use; the zero value is not usable, call [NewCache].
type Cache struct {
	mu  sync.RWMutex
	m   map[string]cacheEntry
	max int
}

type cacheEntry struct {
	rec *Record
	err error
}

// NewCache returns a Cache holding at most max records (max <= 0 means
// 1024).
func NewCache(max int) *Cache {
	if max <= 0 {
		max = 1024
	}
	return &Cache{m: make(map[string]cacheEntry), max: max}
}

// Len returns the number of cached records.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

func (c *Cache) parse(txt string) (*Record, error) {
	c.mu.RLock()
	e, ok := c.m[txt]
	c.mu.RUnlock()
	if ok {
		return e.rec, e.err
	}
	rec, err := Parse(txt)
	if len(txt) > 4096 {
		return rec, err // do not pin huge strings
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[txt] = cacheEntry{rec, err}
	c.mu.Unlock()
	return rec, err
}
