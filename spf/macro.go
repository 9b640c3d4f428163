package spf

import (
	"errors"
	"net/netip"
	"strconv"
	"unicode/utf8"
)

// ErrMacro is returned (wrapped) when a macro-string can not be expanded.
var ErrMacro = errors.New("spf: invalid macro")

// scanMacroString validates macro-string syntax (RFC 7208 §7.1). exp
// allows the explanation-only letters c, r and t. It returns the end
// offset of the last macro-expand (len(s) when s ends with one, -1 when
// there is none).
func scanMacroString(s string, exp bool) (lastMacroEnd int, ok bool) {
	lastMacroEnd = -1
	for i := 0; i < len(s); {
		c := s[i]
		if c != '%' {
			if c < 0x21 || c > 0x7e {
				if !(exp && c == ' ') {
					return 0, false
				}
			}
			i++
			continue
		}
		if i+1 >= len(s) {
			return 0, false
		}
		switch s[i+1] {
		case '%', '_', '-':
			i += 2
			lastMacroEnd = i
			continue
		case '{':
		default:
			return 0, false
		}
		n, ok := scanMacroExpand(s[i:], exp)
		if !ok {
			return 0, false
		}
		i += n
		lastMacroEnd = i
	}
	return lastMacroEnd, true
}

// macroSpec is a parsed "%{" letter digits [r] delimiters "}".
type macroSpec struct {
	letter  byte // lower case
	upper   bool // URL-escape the result
	digits  int  // 0 = all parts
	reverse bool
	delims  string // "" means "."
}

// scanMacroExpand parses a "%{...}" at the start of s and returns its
// length.
func scanMacroExpand(s string, exp bool) (int, bool) {
	_, n, ok := parseMacroExpand(s, exp)
	return n, ok
}

func parseMacroExpand(s string, exp bool) (macroSpec, int, bool) {
	var m macroSpec
	// s[0:2] == "%{"
	i := 2
	if i >= len(s) {
		return m, 0, false
	}
	c := s[i]
	lc := c | 0x20
	switch lc {
	case 's', 'l', 'o', 'd', 'i', 'p', 'h', 'v':
	case 'c', 'r', 't':
		if !exp {
			return m, 0, false
		}
	default:
		return m, 0, false
	}
	if !isAlpha(c) {
		return m, 0, false
	}
	m.letter = lc
	m.upper = c != lc
	i++
	start := i
	for i < len(s) && isDigit(s[i]) {
		if i-start < 4 {
			m.digits = m.digits*10 + int(s[i]-'0')
		}
		i++
	}
	if i > start {
		if m.digits == 0 {
			return m, 0, false // "If a DIGIT is specified, the value MUST be nonzero"
		}
	}
	if i < len(s) && (s[i]|0x20) == 'r' {
		m.reverse = true
		i++
	}
	ds := i
	for i < len(s) && isDelimiter(s[i]) {
		i++
	}
	m.delims = s[ds:i]
	if i >= len(s) || s[i] != '}' {
		return m, 0, false
	}
	return m, i + 1, true
}

func isDelimiter(c byte) bool {
	switch c {
	case '.', '-', '+', ',', '/', '_', '=':
		return true
	}
	return false
}

// macroEnv supplies the values of the macro letters.
type macroEnv interface {
	macroValue(letter byte, buf []byte) ([]byte, error)
}

// expandLimits bounds the memory of one expansion. A macro-string of a
// 64 KiB record can hold some 16000 macros, each expanding to a value as
// long as the caller's input (e.g. %{s}), so the output is not bounded by
// the record alone.
type expandLimits struct {
	// keepTail > 0 keeps only (about) the last keepTail bytes: enough for
	// a domain name, which RFC 7208 §7.3 truncates from the left to 253
	// octets anyway. The kept tail is never shorter than keepTail.
	keepTail int
	// maxLen > 0 cuts the output at maxLen bytes and stops expanding
	// (explanations).
	maxLen int
}

var (
	domainLimits = expandLimits{keepTail: 512}
	expLimits    = expandLimits{maxLen: MaxExplanationLen}
)

// MaxExplanationLen is the longest explanation (exp= text or default
// explanation after macro expansion) a check returns; longer expansions
// are cut at this many octets (fewer when the cut would split a UTF-8
// character).
const MaxExplanationLen = 1024

// expandMacro appends the expansion of the macro-string s to dst, within
// the bounds of lim (the zero expandLimits means no bound).
func expandMacro(dst []byte, s string, exp bool, env macroEnv, lim expandLimits) ([]byte, error) {
	base := len(dst)
	bound := func() bool {
		if lim.maxLen > 0 && len(dst)-base >= lim.maxLen {
			// Cut at the bound, backing off to a character boundary
			// so a multi-byte UTF-8 sequence is never split.
			cut := base + lim.maxLen
			for k := 0; k < utf8.UTFMax-1 && cut > base && cut < len(dst) && !utf8.RuneStart(dst[cut]); k++ {
				cut--
			}
			dst = dst[:cut]
			return true
		}
		if lim.keepTail > 0 && len(dst)-base > 4*lim.keepTail {
			n := copy(dst[base:], dst[len(dst)-lim.keepTail:])
			dst = dst[:base+n]
		}
		return false
	}
	for i := 0; i < len(s); {
		if bound() {
			return dst, nil
		}
		c := s[i]
		if c != '%' {
			j := i + 1
			for j < len(s) && s[j] != '%' {
				j++
			}
			for k := i; k < j; k++ {
				if s[k] < 0x20 || s[k] > 0x7e || (s[k] == ' ' && !exp) {
					return dst, ErrMacro
				}
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(s) {
			return dst, ErrMacro
		}
		switch s[i+1] {
		case '%':
			dst = append(dst, '%')
			i += 2
			continue
		case '_':
			dst = append(dst, ' ')
			i += 2
			continue
		case '-':
			dst = append(dst, "%20"...)
			i += 2
			continue
		case '{':
		default:
			return dst, ErrMacro
		}
		m, n, ok := parseMacroExpand(s[i:], exp)
		if !ok {
			return dst, ErrMacro
		}
		i += n
		var err error
		dst, err = appendMacro(dst, m, env)
		if err != nil {
			return dst, err
		}
	}
	bound()
	return dst, nil
}

// appendMacro expands one macro: the value is split on the delimiters,
// optionally reversed, cut to the rightmost digits parts and joined with
// ".", then URL-escaped for an upper-case letter (RFC 7208 §7.3).
func appendMacro(dst []byte, m macroSpec, env macroEnv) ([]byte, error) {
	start := len(dst)
	dst, err := env.macroValue(m.letter, dst)
	if err != nil {
		return dst[:start], err
	}
	delims := m.delims
	if delims == "" {
		delims = "."
	}
	if m.reverse || m.digits != 0 || delims != "." {
		// The value is dst[start:mid]; the transformed parts are appended
		// after it and then moved down over it (no scratch allocation).
		mid := len(dst)
		val := dst[start:mid]
		// Part boundaries: part k is val[bounds[2k]:bounds[2k+1]].
		var sb [64]int
		bounds := sb[:0]
		p := 0
		for k := 0; k < len(val); k++ {
			if isDelimIn(val[k], delims) {
				bounds = append(bounds, p, k)
				p = k + 1
			}
		}
		bounds = append(bounds, p, len(val))
		np := len(bounds) / 2
		n := np
		if m.digits > 0 && m.digits < np {
			n = m.digits
		}
		from, to, step := np-n, np, 1
		if m.reverse {
			// reversed list r[j] = parts[np-1-j]; its rightmost n are
			// parts[n-1] ... parts[0].
			from, to, step = n-1, -1, -1
		}
		for k := from; k != to; k += step {
			if k != from {
				dst = append(dst, '.')
			}
			dst = append(dst, val[bounds[2*k]:bounds[2*k+1]]...)
		}
		// val may alias the old backing array if append reallocated; dst
		// holds both copies either way.
		w := copy(dst[start:], dst[mid:])
		dst = dst[:start+w]
	}
	if m.upper {
		dst = urlEscapeTail(dst, start)
	}
	return dst, nil
}

func isDelimIn(c byte, delims string) bool {
	for i := 0; i < len(delims); i++ {
		if delims[i] == c {
			return true
		}
	}
	return false
}

const upperHex = "0123456789ABCDEF"

// urlEscapeTail escapes dst[start:] in place: every byte outside the
// unreserved set of RFC 3986 becomes %XX.
func urlEscapeTail(dst []byte, start int) []byte {
	extra := 0
	for _, c := range dst[start:] {
		if !unreserved(c) {
			extra += 2
		}
	}
	if extra == 0 {
		return dst
	}
	end := len(dst)
	for i := 0; i < extra; i++ {
		dst = append(dst, 0)
	}
	w := len(dst)
	for r := end - 1; r >= start; r-- {
		c := dst[r]
		if unreserved(c) {
			w--
			dst[w] = c
			continue
		}
		w -= 3
		dst[w] = '%'
		dst[w+1] = upperHex[c>>4]
		dst[w+2] = upperHex[c&15]
	}
	return dst
}

func unreserved(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

// appendIPMacro appends the "i" form of ip: dotted decimal for IPv4, 32
// dot-separated hexadecimal nibbles for IPv6.
func appendIPMacro(dst []byte, ip netip.Addr) []byte {
	if ip.Is4() {
		b := ip.As4()
		for k := 0; k < 4; k++ {
			if k > 0 {
				dst = append(dst, '.')
			}
			dst = strconv.AppendUint(dst, uint64(b[k]), 10)
		}
		return dst
	}
	b := ip.As16()
	for k := 0; k < 16; k++ {
		if k > 0 {
			dst = append(dst, '.')
		}
		dst = append(dst, upperHex[b[k]>>4], '.', upperHex[b[k]&15])
	}
	return dst
}

// ExpandMacro expands an SPF macro-string (RFC 7208 §7) with the values in
// env. With exp set the explanation-only letters c, r and t are allowed.
// The letter p expands to env.Validated (or "unknown" when empty); no DNS
// query is made. It is meant for tools and tests; [Checker.Check] expands
// macros itself.
func ExpandMacro(s string, exp bool, env MacroEnv) (string, error) {
	if _, ok := scanMacroString(s, exp); !ok {
		return "", ErrMacro
	}
	out, err := expandMacro(nil, s, exp, &env, expandLimits{})
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// MacroEnv holds the values of the macro letters for [ExpandMacro].
type MacroEnv struct {
	Sender    string     // s; l and o are derived from it
	Domain    string     // d
	IP        netip.Addr // i, v, c
	Helo      string     // h
	Validated string     // p
	Receiver  string     // r ("unknown" when empty)
	Timestamp int64      // t
}

func (e *MacroEnv) macroValue(letter byte, buf []byte) ([]byte, error) {
	local, dom := splitSender(e.Sender)
	switch letter {
	case 's':
		return append(buf, e.Sender...), nil
	case 'l':
		return append(buf, local...), nil
	case 'o':
		return append(buf, dom...), nil
	case 'd':
		return append(buf, e.Domain...), nil
	case 'i':
		if !e.IP.IsValid() {
			return buf, ErrMacro
		}
		return appendIPMacro(buf, e.IP.Unmap()), nil
	case 'v':
		if e.IP.Unmap().Is4() {
			return append(buf, "in-addr"...), nil
		}
		return append(buf, "ip6"...), nil
	case 'h':
		return append(buf, e.Helo...), nil
	case 'p':
		if e.Validated == "" {
			return append(buf, "unknown"...), nil
		}
		return append(buf, e.Validated...), nil
	case 'c':
		if !e.IP.IsValid() {
			return buf, ErrMacro
		}
		return e.IP.Unmap().AppendTo(buf), nil
	case 'r':
		if e.Receiver == "" {
			return append(buf, "unknown"...), nil
		}
		return append(buf, e.Receiver...), nil
	case 't':
		return strconv.AppendInt(buf, e.Timestamp, 10), nil
	}
	return buf, ErrMacro
}

// splitSender splits <sender> at its last "@"; a missing local-part
// becomes "postmaster" (RFC 7208 §4.3).
func splitSender(s string) (local, domain string) {
	at := -1
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '@' {
			at = i
			break
		}
	}
	if at < 0 {
		return "postmaster", s
	}
	local, domain = s[:at], s[at+1:]
	if local == "" {
		local = "postmaster"
	}
	return local, domain
}
