package dnsbl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
)

// ErrLocalList is wrapped by every [*ParseError].
var ErrLocalList = errors.New("dnsbl: bad local list")

// ParseError reports a bad line of a local list.
type ParseError struct {
	Line int    // 1-based line number
	Text string // the offending entry (truncated to 100 bytes)
	Err  error  // what is wrong; wraps ErrLocalList or a parse error of the entry
}

// Error names the line number, the entry and the reason.
func (e *ParseError) Error() string {
	return fmt.Sprintf("dnsbl: local list line %d: %q: %v", e.Line, e.Text, e.Err)
}

// Unwrap returns the cause, which wraps [ErrLocalList].
func (e *ParseError) Unwrap() error { return e.Err }

// LocalLimits bounds [ParseLocalList]. Zero values select the defaults.
type LocalLimits struct {
	// MaxEntries caps the entries (default 1,000,000).
	MaxEntries int
	// MaxLineLength caps a line (default 1024 bytes).
	MaxLineLength int
}

// LocalList is a parsed local allow- or blocklist. It is immutable after
// parsing and safe for concurrent use.
//
// Syntax, one entry per line, "#" starts a comment, blank lines ignored:
//
//	192.0.2.1                 a single address (IPv4 or IPv6)
//	198.51.100.0/24           a network (CIDR), host bits must be zero
//	example.com               the domain and all its subdomains
//	.example.com              subdomains only
//	user@example.com          one e-mail address (case-insensitive)
//	@example.com              every address at example.com exactly
type LocalList struct {
	prefixes map[int]map[netip.Prefix]string // bits -> network -> entry
	bits     []int                           // keys of prefixes, longest first
	domains  map[string]string               // domain -> entry (with subdomains)
	subs     map[string]string               // domain -> entry (subdomains only)
	addrs    map[string]string               // address -> entry
	atDoms   map[string]string               // "@domain" entries
	n        int
}

// Len returns the number of entries.
func (l *LocalList) Len() int { return l.n }

// ParseLocalList parses a local list (see [LocalList]). Errors are
// [*ParseError] with the line number; the first bad line stops parsing.
func ParseLocalList(r io.Reader, lim *LocalLimits) (*LocalList, error) {
	maxE, maxL := 1_000_000, 1024
	if lim != nil {
		if lim.MaxEntries > 0 {
			maxE = lim.MaxEntries
		}
		if lim.MaxLineLength > 0 {
			maxL = lim.MaxLineLength
		}
	}
	l := &LocalList{
		prefixes: map[int]map[netip.Prefix]string{},
		domains:  map[string]string{}, subs: map[string]string{},
		addrs: map[string]string{}, atDoms: map[string]string{},
	}
	br := bufio.NewReaderSize(r, 4096)
	for line := 1; ; line++ {
		raw, err := readLine(br, maxL)
		if err == io.EOF && raw == "" {
			return l, nil
		}
		if errors.Is(err, errLineTooLong) {
			return nil, &ParseError{Line: line, Text: trunc(raw), Err: fmt.Errorf("%w: line longer than %d bytes", ErrLocalList, maxL)}
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("dnsbl: reading local list: %w", err)
		}
		text := raw
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		text = strings.TrimSpace(text)
		if text != "" {
			if l.n >= maxE {
				return nil, &ParseError{Line: line, Text: trunc(text), Err: fmt.Errorf("%w: more than %d entries", ErrLocalList, maxE)}
			}
			if perr := l.add(text); perr != nil {
				return nil, &ParseError{Line: line, Text: trunc(text), Err: perr}
			}
			l.n++
		}
		if err == io.EOF {
			return l, nil
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line without its terminator, bounded by max.
func readLine(br *bufio.Reader, max int) (string, error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\n')
		b = append(b, chunk...)
		if len(b) > max+2 {
			return string(b[:max]), errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		s := strings.TrimRight(string(b), "\r\n")
		if len(s) > max {
			return s[:max], errLineTooLong
		}
		return s, err
	}
}

func trunc(s string) string {
	if len(s) > 100 {
		return s[:100]
	}
	return s
}

func (l *LocalList) add(e string) error {
	if strings.ContainsAny(e, " \t") {
		return fmt.Errorf("%w: one entry per line", ErrLocalList)
	}
	if strings.Contains(e, "/") {
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return fmt.Errorf("%w: bad network: %w", ErrLocalList, err)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		if p.Masked() != p {
			return fmt.Errorf("%w: network has host bits set (did you mean %v?)", ErrLocalList, p.Masked())
		}
		l.addPrefix(p, e)
		return nil
	}
	if a, err := netip.ParseAddr(e); err == nil {
		if a.Zone() != "" {
			return fmt.Errorf("%w: address with zone", ErrLocalList)
		}
		a = a.Unmap()
		l.addPrefix(netip.PrefixFrom(a, a.BitLen()), e)
		return nil
	}
	if at := strings.LastIndexByte(e, '@'); at >= 0 {
		local, dom := e[:at], e[at+1:]
		d, err := toASCII(dom)
		if err != nil || strings.IndexByte(dom, '@') >= 0 {
			return fmt.Errorf("%w: bad domain in address", ErrLocalList)
		}
		if local == "" {
			l.atDoms[d] = e
			return nil
		}
		if strings.ContainsAny(local, "@<>\"") {
			return fmt.Errorf("%w: bad local part", ErrLocalList)
		}
		l.addrs[strings.ToLower(local)+"@"+d] = e
		return nil
	}
	subOnly := strings.HasPrefix(e, ".")
	d, err := toASCII(strings.TrimPrefix(e, "."))
	if err != nil || strings.Trim(d, "0123456789.") == "" {
		return fmt.Errorf("%w: not an address, network, domain or e-mail address", ErrLocalList)
	}
	if subOnly {
		l.subs[d] = e
	} else {
		l.domains[d] = e
	}
	return nil
}

func (l *LocalList) addPrefix(p netip.Prefix, e string) {
	m := l.prefixes[p.Bits()]
	if m == nil {
		m = map[netip.Prefix]string{}
		l.prefixes[p.Bits()] = m
		l.bits = append(l.bits, p.Bits())
		slices.SortFunc(l.bits, func(a, b int) int { return b - a })
	}
	m[p] = e
}

// MatchIP reports whether ip is listed and returns the matching entry.
func (l *LocalList) MatchIP(ip netip.Addr) (string, bool) {
	if l == nil || !ip.IsValid() {
		return "", false
	}
	ip = ip.Unmap().WithZone("")
	for _, bits := range l.bits {
		m := l.prefixes[bits]
		if bits > ip.BitLen() {
			continue
		}
		p, err := ip.Prefix(bits)
		if err != nil {
			continue
		}
		if e, ok := m[p]; ok {
			return e, true
		}
	}
	return "", false
}

// MatchDomain reports whether domain (or a parent domain entry) is listed.
func (l *LocalList) MatchDomain(domain string) (string, bool) {
	if l == nil {
		return "", false
	}
	d, err := toASCII(domain)
	if err != nil {
		return "", false
	}
	if e, ok := l.domains[d]; ok {
		return e, true
	}
	for i := strings.IndexByte(d, '.'); i >= 0; {
		parent := d[i+1:]
		if e, ok := l.domains[parent]; ok {
			return e, true
		}
		if e, ok := l.subs[parent]; ok {
			return e, true
		}
		j := strings.IndexByte(parent, '.')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return "", false
}

// MatchAddress reports whether an e-mail address is listed: the exact
// address, "@domain", or its domain per [LocalList.MatchDomain].
func (l *LocalList) MatchAddress(addr string) (string, bool) {
	if l == nil {
		return "", false
	}
	addr = strings.Trim(addr, "<> ")
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", false
	}
	d, err := toASCII(addr[at+1:])
	if err != nil {
		return "", false
	}
	if e, ok := l.addrs[strings.ToLower(addr[:at])+"@"+d]; ok {
		return e, true
	}
	if e, ok := l.atDoms[d]; ok {
		return e, true
	}
	return l.MatchDomain(d)
}
