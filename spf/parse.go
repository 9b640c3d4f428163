package spf

import (
	"net/netip"
	"strings"
)

// SyntaxError describes why a record does not conform to RFC 7208 §12.
// It matches [ErrSyntax] with errors.Is.
type SyntaxError struct {
	Term string // the offending term ("" for record-level problems)
	Msg  string // what is wrong with it
}

// Error returns "spf: syntax error ..." with the term and the problem.
func (e *SyntaxError) Error() string {
	if e.Term == "" {
		return "spf: syntax error: " + e.Msg
	}
	return "spf: syntax error in " + quoteTerm(e.Term) + ": " + e.Msg
}

// Is makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

func quoteTerm(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return "\"" + s + "\""
}

func synErr(term, msg string) error { return &SyntaxError{Term: term, Msg: msg} }

// maxRecordLen bounds the input of Parse. DNS TXT data of one RR can not
// exceed 64 KiB, so this never rejects a record that could be served.
const maxRecordLen = 1 << 16

// Parse parses an SPF record ("v=spf1 ..."), case-insensitively, following
// the ABNF of RFC 7208 §12. The whole record is checked, so an error
// anywhere makes it invalid (a permerror at evaluation).
func Parse(s string) (*Record, error) {
	if !hasVersion(s) {
		return nil, synErr("", "record does not start with \"v=spf1\"")
	}
	return parseTerms("v=spf1", s[6:])
}

// IsRecord reports whether a TXT string is an SPF version 1 record, that is,
// starts with "v=spf1" followed by a space or the end (RFC 7208 §4.5).
func IsRecord(txt string) bool { return hasVersion(txt) }

func hasVersion(s string) bool {
	if len(s) < 6 {
		return false
	}
	if !asciiEqualFold(s[:6], "v=spf1") {
		return false
	}
	return len(s) == 6 || s[6] == ' '
}

// ParseTerms parses the terms that follow a version section, with the
// syntax of RFC 7208 §12, and stores version in the Record. It exists for
// record variants with the same term syntax, such as the Sender ID
// "spf2.0/<scopes>" records of RFC 4406 (package senderid).
func ParseTerms(version, terms string) (*Record, error) {
	return parseTerms(version, terms)
}

func parseTerms(version, s string) (*Record, error) {
	r := &Record{}
	if err := parseTermsInto(r, version, s, nil); err != nil {
		return nil, err
	}
	return r, nil
}

// termArena hands out Term slices from reusable chunks, so that records
// parsed during one check cost no allocation once the arena is warm. A
// chunk is never reallocated in place: a full chunk is replaced by a new
// one and slices handed out earlier stay valid.
type termArena struct {
	terms []Term
	recs  []Record
}

const arenaChunk = 64

func (a *termArena) record() *Record {
	if len(a.recs) == cap(a.recs) {
		a.recs = make([]Record, 0, 8)
	}
	a.recs = a.recs[:len(a.recs)+1]
	return &a.recs[len(a.recs)-1]
}

func (a *termArena) alloc(n int) []Term {
	if cap(a.terms)-len(a.terms) < n {
		a.terms = make([]Term, 0, max(arenaChunk, n))
	}
	k := len(a.terms)
	a.terms = a.terms[:k+n]
	return a.terms[k : k+n : k+n]
}

// giveBack returns the last n Terms of the latest alloc to the arena.
func (a *termArena) giveBack(n int) {
	a.terms = a.terms[:len(a.terms)-n]
}

// reset drops the references held by the records of the last check and
// keeps the current chunks for the next one (replaced chunks are garbage
// once the check's records are gone).
func (a *termArena) reset() {
	clear(a.terms)
	a.terms = a.terms[:0]
	clear(a.recs)
	a.recs = a.recs[:0]
}

// parseTermsInto parses the terms of s into r, taking the Term slice from
// ar (from the heap when ar is nil).
func parseTermsInto(r *Record, version, s string, ar *termArena) error {
	if len(s) > maxRecordLen {
		return synErr("", "record too long")
	}
	if len(s) > 0 && s[0] != ' ' {
		return synErr("", "missing space after version")
	}
	// Terms are separated by one or more SP, and each follows one: the
	// number of spaces (and half the length) bounds the number of terms,
	// so the slice is allocated once. Every byte of a term is checked by parseTerm.
	n := min(strings.Count(s, " "), len(s)/2)
	*r = Record{Version: version}
	var terms []Term
	if n > 0 {
		if ar != nil {
			terms = ar.alloc(n)
		} else {
			terms = make([]Term, n)
		}
	}
	k := 0
	for i := 0; i < len(s); {
		if s[i] == ' ' {
			i++
			continue
		}
		j := strings.IndexByte(s[i:], ' ')
		if j < 0 {
			j = len(s)
		} else {
			j += i
		}
		t := &terms[k]
		if err := parseTerm(s[i:j], t); err != nil {
			if !printable(s[i:j]) {
				return synErr("", "record contains a byte outside printable ASCII")
			}
			return err
		}
		if t.Mechanism == MechanismNone {
			switch t.Modifier.Name {
			case "redirect":
				if r.redirect != 0 {
					return synErr(s[i:j], "redirect modifier appears twice")
				}
				r.redirect = k + 1
			case "exp":
				if r.exp != 0 {
					return synErr(s[i:j], "exp modifier appears twice")
				}
				r.exp = k + 1
			}
		}
		k++
		i = j
	}
	if ar != nil {
		ar.giveBack(n - k)
	}
	if k > 0 {
		r.Terms = terms[:k:k]
	}
	return nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseTerm parses one term into t, which must be the zero Term (fresh
// from make or from a reset arena), so that only the fields the term sets
// are written.
func parseTerm(s string, t *Term) error {
	t.CIDR4, t.CIDR6 = -1, -1
	q := QualifierNone
	rest := s
	switch rest[0] {
	case '+', '-', '~', '?':
		q = Qualifier(rest[0])
		rest = rest[1:]
	}
	// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
	i := 0
	if i < len(rest) && isAlpha(rest[i]) {
		i++
		for i < len(rest) {
			c := rest[i]
			if isAlpha(c) || isDigit(c) || c == '-' || c == '_' || c == '.' {
				i++
				continue
			}
			break
		}
	}
	if i == 0 {
		return synErr(s, "term does not start with a name")
	}
	name := rest[:i]
	rest = rest[i:]
	if len(rest) > 0 && rest[0] == '=' {
		if q != QualifierNone {
			return synErr(s, "qualifier on a modifier")
		}
		val := rest[1:]
		switch {
		case asciiEqualFold(name, "redirect"):
			t.Modifier = Modifier{Name: "redirect", Value: val}
			if !validDomainSpec(val) {
				return synErr(s, "invalid domain-spec")
			}
		case asciiEqualFold(name, "exp"):
			t.Modifier = Modifier{Name: "exp", Value: val}
			if !validDomainSpec(val) {
				return synErr(s, "invalid domain-spec")
			}
		default:
			t.Modifier = Modifier{Name: name, Value: val}
			if _, ok := scanMacroString(val, false); !ok {
				return synErr(s, "invalid macro-string")
			}
		}
		return nil
	}
	t.Qualifier = q
	m := lookupMechanism(name)
	if m == MechanismNone {
		return synErr(s, "unknown mechanism")
	}
	t.Mechanism = m
	switch m {
	case MechanismAll:
		if rest != "" {
			return synErr(s, "all takes no argument")
		}
	case MechanismInclude, MechanismExists:
		if len(rest) < 2 || rest[0] != ':' || !validDomainSpec(rest[1:]) {
			return synErr(s, "missing or invalid domain-spec")
		}
		t.Domain = rest[1:]
	case MechanismPTR:
		if rest == "" {
			return nil
		}
		if rest[0] != ':' || !validDomainSpec(rest[1:]) {
			return synErr(s, "invalid domain-spec")
		}
		t.Domain = rest[1:]
	case MechanismA, MechanismMX:
		if rest == "" {
			return nil
		}
		if rest[0] != ':' && rest[0] != '/' {
			return synErr(s, "unexpected characters after mechanism name")
		}
		dom, c4, c6, ok := splitDualCIDR(rest)
		if !ok {
			return synErr(s, "invalid cidr-length")
		}
		t.CIDR4, t.CIDR6 = c4, c6
		if dom != "" {
			if dom[0] != ':' || !validDomainSpec(dom[1:]) {
				return synErr(s, "invalid domain-spec")
			}
			t.Domain = dom[1:]
		}
	case MechanismIP4, MechanismIP6:
		if len(rest) < 2 || rest[0] != ':' {
			return synErr(s, "missing address")
		}
		addrText := rest[1:]
		bits := -1
		for k := len(addrText) - 1; k >= 0; k-- {
			if addrText[k] == '/' {
				max := 32
				if m == MechanismIP6 {
					max = 128
				}
				var ok bool
				bits, ok = parseCIDR(addrText[k+1:], max)
				if !ok {
					return synErr(s, "invalid cidr-length")
				}
				addrText = addrText[:k]
				break
			}
		}
		if m == MechanismIP4 {
			a, ok := parseIPv4(addrText)
			if !ok {
				return synErr(s, "invalid IPv4 address")
			}
			if bits < 0 {
				bits = 32
			}
			t.Prefix = netip.PrefixFrom(a, bits)
			return nil
		}
		a, ok := parseIPv6(addrText)
		if !ok {
			return synErr(s, "invalid IPv6 address")
		}
		if bits < 0 {
			bits = 128
		}
		t.Prefix = netip.PrefixFrom(a, bits)
	}
	return nil
}

// parseIPv4 parses dotted-quad notation (four decimal fields of 0..255
// without leading zeros, as netip.ParseAddr accepts) without the generic
// parser's IPv6 dispatch.
func parseIPv4(s string) (netip.Addr, bool) {
	var b [4]byte
	f, v, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if digits == 0 || f == 3 {
				return netip.Addr{}, false
			}
			b[f] = byte(v)
			f, v, digits = f+1, 0, 0
			continue
		}
		if !isDigit(c) || (digits == 1 && v == 0) {
			return netip.Addr{}, false
		}
		v = v*10 + int(c-'0')
		digits++
		if v > 255 {
			return netip.Addr{}, false
		}
	}
	if f != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	b[3] = byte(v)
	return netip.AddrFrom4(b), true
}

// parseIPv6 parses an IPv6 address in the text forms netip.ParseAddr
// accepts (hex groups of 1..4 digits, one "::", a trailing dotted IPv4
// part), without a zone.
func parseIPv6(s string) (netip.Addr, bool) {
	var ip [16]byte
	ellipsis := -1 // byte offset of "::"
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis = 0
		s = s[2:]
		if s == "" {
			return netip.IPv6Unspecified(), true
		}
	}
	i := 0
	for i < 16 {
		off, acc := 0, 0
		for off < len(s) {
			v := hexValue(s[off])
			if v < 0 {
				break
			}
			if off == 4 {
				return netip.Addr{}, false
			}
			acc = acc<<4 | v
			off++
		}
		if off == 0 {
			return netip.Addr{}, false
		}
		if off < len(s) && s[off] == '.' {
			// Trailing IPv4 part: the last 32 bits, or before an ellipsis.
			if (ellipsis < 0 && i != 12) || i+4 > 16 {
				return netip.Addr{}, false
			}
			a4, ok := parseIPv4(s)
			if !ok {
				return netip.Addr{}, false
			}
			b := a4.As4()
			copy(ip[i:], b[:])
			i += 4
			s = ""
			break
		}
		ip[i], ip[i+1] = byte(acc>>8), byte(acc)
		i += 2
		s = s[off:]
		if s == "" {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return netip.Addr{}, false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false
			}
			ellipsis = i
			s = s[1:]
			if s == "" {
				break
			}
		}
	}
	if s != "" {
		return netip.Addr{}, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return netip.Addr{}, false
		}
		n := 16 - i
		copy(ip[ellipsis+n:], ip[ellipsis:i])
		clear(ip[ellipsis : ellipsis+n])
	} else if ellipsis >= 0 {
		return netip.Addr{}, false // "::" must stand for at least one group
	}
	return netip.AddrFrom16(ip), true
}

func hexValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// mechKey packs up to 7 bytes of a name, each OR 0x20 (which lower-cases
// letters and maps no other name byte to a letter), into an integer.
func mechKey(name string) uint64 {
	var k uint64
	for i := 0; i < len(name); i++ {
		k = k<<8 | uint64(name[i]|0x20)
	}
	return k
}

const (
	keyA       = uint64('a')
	keyMX      = uint64('m')<<8 | 'x'
	keyAll     = uint64('a')<<16 | 'l'<<8 | 'l'
	keyPTR     = uint64('p')<<16 | 't'<<8 | 'r'
	keyIP4     = uint64('i')<<16 | 'p'<<8 | '4'
	keyIP6     = uint64('i')<<16 | 'p'<<8 | '6'
	keyExists  = uint64('e')<<40 | 'x'<<32 | 'i'<<24 | 's'<<16 | 't'<<8 | 's'
	keyInclude = uint64('i')<<48 | 'n'<<40 | 'c'<<32 | 'l'<<24 | 'u'<<16 | 'd'<<8 | 'e'
)

func lookupMechanism(name string) Mechanism {
	if len(name) > 7 {
		return MechanismNone
	}
	switch mechKey(name) {
	case keyA:
		return MechanismA
	case keyMX:
		return MechanismMX
	case keyAll:
		return MechanismAll
	case keyPTR:
		return MechanismPTR
	case keyIP4:
		return MechanismIP4
	case keyIP6:
		return MechanismIP6
	case keyExists:
		return MechanismExists
	case keyInclude:
		return MechanismInclude
	}
	return MechanismNone
}

// parseCIDR parses a cidr-length without leading zeros, at most max.
func parseCIDR(s string, max int) (int, bool) {
	if s == "" || len(s) > 3 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	if n > max {
		return 0, false
	}
	return n, true
}

// splitDualCIDR strips a trailing dual-cidr-length ("/n", "//n", "/n//m")
// from s. A trailing "/" group that is not all digits is left in place
// (the domain-spec check then rejects it); digits out of range are an
// error.
func splitDualCIDR(s string) (rest string, c4, c6 int, ok bool) {
	c4, c6 = -1, -1
	slash := lastDigitGroup(s)
	if slash < 0 {
		return s, c4, c6, true
	}
	if slash > 0 && s[slash-1] == '/' {
		if c6, ok = parseCIDR(s[slash+1:], 128); !ok {
			return "", 0, 0, false
		}
		s = s[:slash-1]
		slash = lastDigitGroup(s)
		if slash < 0 {
			return s, c4, c6, true
		}
	}
	if c4, ok = parseCIDR(s[slash+1:], 32); !ok {
		return "", 0, 0, false
	}
	return s[:slash], c4, c6, true
}

// lastDigitGroup returns the index of the '/' that starts a trailing
// "/DIGITS" group of s, or -1.
func lastDigitGroup(s string) int {
	i := len(s)
	for i > 0 && isDigit(s[i-1]) {
		i--
	}
	if i == len(s) || i == 0 || s[i-1] != '/' {
		return -1
	}
	return i - 1
}

// validDomainSpec checks domain-spec = macro-string domain-end with
// domain-end = ( "." toplabel [ "." ] ) / macro-expand.
func validDomainSpec(s string) bool {
	lastMacro, ok := scanMacroString(s, false)
	if !ok || s == "" {
		return false
	}
	if lastMacro == len(s) {
		return true // ends with a macro-expand
	}
	end := len(s)
	if s[end-1] == '.' {
		end--
	}
	dot := -1
	for i := end - 1; i >= 0; i-- {
		if s[i] == '.' {
			dot = i
			break
		}
	}
	if dot < 0 || dot < lastMacro {
		return false
	}
	return validTopLabel(s[dot+1 : end])
}

// validTopLabel: toplabel = ( *alphanum ALPHA *alphanum ) /
// ( 1*alphanum "-" *( alphanum / "-" ) alphanum ).
func validTopLabel(s string) bool {
	if s == "" {
		return false
	}
	alpha, hyphen := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlpha(c):
			alpha = true
		case isDigit(c):
		case c == '-':
			hyphen = true
		default:
			return false
		}
	}
	if !hyphen {
		return alpha
	}
	return s[0] != '-' && s[len(s)-1] != '-'
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
