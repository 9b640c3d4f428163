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
	s = asciiLower(trimAngle(s))
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s
	}
	local, domain := s[:at], s[at+1:]
	// SRS: the original address is in the last fields.
	if strings.HasPrefix(local, "srs0=") || strings.HasPrefix(local, "srs1=") {
		f := strings.Split(local, "=")
		// SRS0=HHH=TT=domain=local; SRS1=HHH=fwd==HHH=TT=domain=local.
		if n := len(f); n >= 5 && f[n-2] != "" && f[n-1] != "" {
			local, domain = f[n-1], f[n-2]
		}
	}
	// BATV.
	for _, p := range []string{"prvs=", "btv1="} {
		if strings.HasPrefix(local, p) {
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
	local = hashNumbers(local)
	if len(local)+1+len(domain) == len(s) && s[:len(local)] == local && s[len(local)+1:] == domain {
		return s // unchanged: no allocation
	}
	return local + "@" + domain
}

// hashNumbers replaces every maximal run of digits that is not part of a
// larger alphanumeric word with "#".
func hashNumbers(s string) string {
	if !hasNumberWord(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && isAlnum(s[j]) {
			j++
		}
		if j == i {
			b.WriteByte(s[i])
			i++
			continue
		}
		word := s[i:j]
		if strings.Trim(word, "0123456789") == "" {
			b.WriteByte('#')
		} else {
			b.WriteString(word)
		}
		i = j
	}
	return b.String()
}

// NormalizeRecipient lower-cases a recipient address.
func NormalizeRecipient(s string) string {
	return asciiLower(trimAngle(s))
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// hasNumberWord reports whether s has an alphanumeric word made of digits
// only.
func hasNumberWord(s string) bool {
	for i := 0; i < len(s); {
		if !isAlnum(s[i]) {
			i++
			continue
		}
		digits := true
		for ; i < len(s) && isAlnum(s[i]); i++ {
			if s[i] < '0' || s[i] > '9' {
				digits = false
			}
		}
		if digits {
			return true
		}
	}
	return false
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
