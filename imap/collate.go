package imap

import (
	"cmp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// i;unicode-casemap (RFC 5051 §2). Every string is prepared into its
// "titlecased canonicalized UTF-8" form and the prepared forms compare as
// octets (i;octet): equality, substring and ordering. Preparation, one
// character at a time:
//
//   - a string that is not valid UTF-8 is not prepared at all: it is used
//     as it is and compared as octets (RFC 5051 §2 step 1b);
//   - otherwise each character is replaced by its simple titlecase
//     mapping (UnicodeData.txt, [unicode.ToTitle]), and the result by its
//     full compatibility decomposition (NFKD data of
//     golang.org/x/text/unicode/norm); the characters of a decomposition
//     are not titlecased again (RFC 5051's own example: U+01C4 becomes
//     U+0044 U+007A U+030C, with a small z);
//   - Hangul syllables are decomposed into their jamo as NFKD does;
//   - combining marks are not reordered: the steps work on one character
//     at a time and append their results.
//
// ASCII letters titlecase to A-Z and no ASCII character has a
// decomposition, so on ASCII text the collation is i;ascii-casemap with
// a-z mapped to A-Z; the code below uses that as a fast path.

// UnicodeCasemap returns the "titlecased canonicalized UTF-8" form of s
// that the i;unicode-casemap collation (RFC 5051 §2) compares as octets:
// each character replaced by its titlecase mapping and that by its full
// compatibility decomposition (NFKD), "é" and "É" becoming "E" U+0301.
// Decomposed characters are not titlecased again ("ﬁ" becomes "fi", not
// "FI", as the RFC's example of U+01C4 shows). A string that is not valid
// UTF-8 is returned unchanged (RFC 5051 §2 step 1b: it is compared as
// octets). A pure-ASCII string only has a-z mapped to A-Z, and is
// returned without copying when it has no lower-case letter.
func UnicodeCasemap(s string) string {
	if i := firstNonASCII(s); i == len(s) {
		return casemapKey(s)
	}
	if !utf8.ValidString(s) {
		return s
	}
	return string(appendCasemapString(make([]byte, 0, len(s)+len(s)/2), s, -1))
}

// CompareUnicodeCasemap compares a and b with the i;unicode-casemap
// collation (RFC 5051): their [UnicodeCasemap] forms as octets. It
// returns -1, 0 or +1. It is the collation of SORT, THREAD and SEARCH
// (the server announces I18NLEVEL=1, RFC 5255). Two ASCII strings compare
// as with [CompareCasemap] and without allocating.
func CompareUnicodeCasemap(a, b string) int {
	return newCollationKey(a).compare(newCollationKey(b))
}

// ContainsUnicodeCasemap reports whether substr is a substring of s
// under the i;unicode-casemap collation (RFC 5051): whether the
// [UnicodeCasemap] form of substr occurs in that of s. "émile" is in
// "ÉMILE", "Émile" and "e\u0301mile"; "emile" is not, as the accent,
// a combining mark of its own after decomposition, stands between "E"
// and "M" (but "mile" and "e" are). An empty substr is in every s.
func ContainsUnicodeCasemap(s, substr string) bool {
	if substr == "" {
		return true
	}
	if firstNonASCII(s) == len(s) && firstNonASCII(substr) == len(substr) {
		return indexFoldASCII(s, substr) >= 0
	}
	return strings.Contains(UnicodeCasemap(s), UnicodeCasemap(substr))
}

// collationKey is a string prepared for i;unicode-casemap, computed once
// per string so that sorting does not prepare at every comparison. An
// ASCII string is kept as it is with fold set (its prepared form is s
// with a-z mapped to A-Z, applied while comparing), so preparing it
// allocates nothing.
type collationKey struct {
	s    string
	fold bool // s is ASCII; compare it with a-z mapped to A-Z
}

func newCollationKey(s string) collationKey {
	if firstNonASCII(s) == len(s) {
		return collationKey{s: s, fold: true}
	}
	return collationKey{s: UnicodeCasemap(s)}
}

// compare compares the prepared forms as octets.
func (a collationKey) compare(b collationKey) int {
	n := min(len(a.s), len(b.s))
	for i := 0; i < n; i++ {
		ca, cb := a.s[i], b.s[i]
		if a.fold {
			ca = upperASCII(ca)
		}
		if b.fold {
			cb = upperASCII(cb)
		}
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	return cmp.Compare(len(a.s), len(b.s))
}

// firstNonASCII returns the index of the first byte of s at or above
// 0x80, or len(s).
func firstNonASCII(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return i
		}
	}
	return len(s)
}

// indexFoldASCII is the index of the first occurrence of substr in s with
// a-z and A-Z equal, or -1.
func indexFoldASCII(s, substr string) int {
	n := len(substr)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for j < n && upperASCII(s[i+j]) == upperASCII(substr[j]) {
			j++
		}
		if j == n {
			return i
		}
	}
	return -1
}

// appendCasemapString appends the prepared form of the valid UTF-8
// string s to dst, stopping once dst holds limit bytes or more (limit <
// 0: no limit).
func appendCasemapString(dst []byte, s string, limit int) []byte {
	for _, r := range s {
		if limit >= 0 && len(dst) >= limit {
			break
		}
		dst = appendCasemapRune(dst, r)
	}
	return dst
}

// appendCasemap appends the prepared form of b to dst (b itself when it
// is not valid UTF-8), stopping once dst holds limit bytes or more (limit
// < 0: no limit). Searching prepares each header field and each text part
// with it.
func appendCasemap(dst, b []byte, limit int) []byte {
	if !utf8.Valid(b) {
		if limit >= 0 && len(b) > limit-len(dst) {
			b = b[:max(limit-len(dst), 0)]
		}
		return append(dst, b...)
	}
	for _, r := range string(b) { // no copy: the compiler ranges over b
		if limit >= 0 && len(dst) >= limit {
			break
		}
		dst = appendCasemapRune(dst, r)
	}
	return dst
}

// Hangul syllable decomposition (Unicode §3.12).
const (
	hangulSBase  = 0xAC00
	hangulLBase  = 0x1100
	hangulVBase  = 0x1161
	hangulTBase  = 0x11A7
	hangulVCount = 21
	hangulTCount = 28
	hangulNCount = hangulVCount * hangulTCount
	hangulSCount = 19 * hangulNCount
)

// appendCasemapRune appends the titlecased, decomposed form of r.
func appendCasemapRune(dst []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		return append(dst, upperASCII(byte(r)))
	}
	t := unicode.ToTitle(r)
	if t >= hangulSBase && t < hangulSBase+hangulSCount {
		i := t - hangulSBase
		dst = utf8.AppendRune(dst, hangulLBase+i/hangulNCount)
		dst = utf8.AppendRune(dst, hangulVBase+(i%hangulNCount)/hangulTCount)
		if i%hangulTCount != 0 {
			dst = utf8.AppendRune(dst, hangulTBase+i%hangulTCount)
		}
		return dst
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], t)
	if d := norm.NFKD.Properties(buf[:n]).Decomposition(); d != nil {
		return append(dst, d...)
	}
	return append(dst, buf[:n]...)
}
