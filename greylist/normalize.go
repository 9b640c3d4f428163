package greylist

import (
	"strings"
)

// NormalizeSender reduces an envelope sender to the form greylisting keys on,
// so that per-message tags do not make every retry a new triplet:
//
//   - ASCII lower case (non-ASCII bytes are kept as they are);
//   - SRS (SRS0=hash=tt=domain=local@fwd, SRS1=...==hash=tt=domain=local@fwd)
//     is unwrapped to local@domain;
//   - BATV (prvs=tag=local@domain, btv1==tag==local@domain) tags are removed;
//   - sub-address tags (local+tag@domain) are removed;
//   - VERP-style numbers (runs of digits delimited by non-alphanumerics,
//     as in bounce-12345-678@list.example) become "#", as postgrey does.
//
// The null sender "" (bounces) stays "". A string without "@" is only lower
// cased.
func NormalizeSender(s string) string {
	t := trimAngle(s)
	if len(t) <= 256 {
		var buf [256]byte
		b := appendNormalizedSender(buf[:0], t)
		if string(b) == t {
			return t // unchanged: no allocation
		}
		return string(b)
	}
	return string(appendNormalizedSender(nil, t))
}

// appendNormalizedSender appends the normalised form of s (see
// [NormalizeSender]; surrounding angle brackets already removed) to b. It is
// the allocation-free core that keys are hashed from.
func appendNormalizedSender(b []byte, s string) []byte {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return appendLower(b, s)
	}
	local, domain := s[:at], s[at+1:]
	// SRS: the original address is in the last two "=" fields:
	// SRS0=HHH=TT=domain=local, SRS1=HHH=fwd==HHH=TT=domain=local.
	if hasPrefixFold(local, "srs0=") || hasPrefixFold(local, "srs1=") {
		if strings.Count(local, "=") >= 4 {
			i := strings.LastIndexByte(local, '=')
			j := strings.LastIndexByte(local[:i], '=')
			if j+1 < i && i+1 < len(local) {
				local, domain = local[i+1:], local[j+1:i]
			}
		}
	}
	// BATV: prvs=tag=local, btv1==tag==local.
	for _, p := range [...]string{"prvs=", "btv1="} {
		if hasPrefixFold(local, p) {
			rest := local[len(p):]
			if i := strings.LastIndexByte(rest, '='); i >= 0 && i+1 < len(rest) {
				local = rest[i+1:]
			}
		}
	}
	// Sub-address tag.
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	b = appendHashNumbers(b, local)
	b = append(b, '@')
	return appendLower(b, domain)
}

// appendHashNumbers appends s lower-cased, with every maximal run of digits
// that is not part of a larger alphanumeric word replaced by "#".
func appendHashNumbers(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		j := i
		digits := true
		for j < len(s) && isAlnum(s[j]) {
			if s[j] < '0' || s[j] > '9' {
				digits = false
			}
			j++
		}
		if j == i {
			b = append(b, s[i])
			i++
			continue
		}
		if digits {
			b = append(b, '#')
		} else {
			b = appendLower(b, s[i:j])
		}
		i = j
	}
	return b
}

// appendLower appends s with ASCII letters lower-cased.
func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// hasPrefixFold reports whether s starts with the lower-case ASCII prefix,
// ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// NormalizeRecipient lower-cases a recipient address.
func NormalizeRecipient(s string) string {
	return asciiLower(trimAngle(s))
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// trimAngle removes surrounding "<", ">" and spaces.
func trimAngle(s string) string {
	for len(s) > 0 && (s[0] == '<' || s[0] == ' ') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == '>' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}

// asciiLower lower-cases ASCII letters only, without allocating when there
// is nothing to change.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
