package greylist

import (
	"strings"
	"testing"
)

// The straightforward first implementation of NormalizeSender (string
// operations, allocating), kept as the reference the allocation-free
// appendNormalizedSender is checked against: keys depend on the exact
// output.

func refNormalizeSender(s string) string {
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
	local = refHashNumbers(local)
	if len(local)+1+len(domain) == len(s) && s[:len(local)] == local && s[len(local)+1:] == domain {
		return s // unchanged: no allocation
	}
	return local + "@" + domain
}

// hashNumbers replaces every maximal run of digits that is not part of a
// larger alphanumeric word with "#".
func refHashNumbers(s string) string {
	if !refHasNumberWord(s) {
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

// hasNumberWord reports whether s has an alphanumeric word made of digits
// only.
func refHasNumberWord(s string) bool {
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

// FuzzNormalizeSenderReference checks NormalizeSender against the
// reference implementation.
func FuzzNormalizeSenderReference(f *testing.F) {
	for _, s := range []string{"", "<>", "Alice+x@Example.org", "prvs=0123=a@b", "PRVS=0123=A@B", "SRS0=h=t=d.example=l@f.example",
		"SRS1=h=f==h=t=D=L@x", "srs0==t=d=@x", "bounce-123-456@list.example", "btv1==1==x@y", "@", "a@", "=@=",
		"B\xc3\x9cCHER-42@x", "a+b+c@d", "+@x", "1a2-3_4.5@d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := refNormalizeSender(s)
		if got := NormalizeSender(s); got != want {
			t.Fatalf("NormalizeSender(%q) = %q, reference %q", s, got, want)
		}
		if got := string(appendNormalizedSender([]byte("x"), trimAngle(s))); got != "x"+want {
			t.Fatalf("appendNormalizedSender(%q) = %q, reference %q", s, got, want)
		}
	})
}
