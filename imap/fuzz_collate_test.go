package imap

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzUnicodeCasemap checks the i;unicode-casemap comparator on any two
// strings: it never panics, is antisymmetric, agrees with comparing the
// prepared forms (so it is a total preorder whose equality is equality
// of keys), agrees with i;ascii-casemap on ASCII, and its substring
// operation finds a string in itself and in a concatenation.
func FuzzUnicodeCasemap(f *testing.F) {
	for _, s := range [][2]string{
		{"Émile", "dave@example.test"}, {"é", "e\u0301"}, {"ﬁ", "FI"}, {"\u01C4", "\u01C6"},
		{"abc", "ABC"}, {"Z", "_"}, {"", ""}, {"\xff", "é"}, {"a\xc3", "A"}, {"가", "각"},
		{"\uFDFA", "\u0635"}, {"ς", "Σ"}, {"a\u0301\u0323", "a\u0323\u0301"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		c := CompareUnicodeCasemap(a, b)
		if c < -1 || c > 1 {
			t.Fatalf("%q %q: %d", a, b, c)
		}
		if r := CompareUnicodeCasemap(b, a); r != -c {
			t.Fatalf("not antisymmetric: %q %q: %d and %d", a, b, c, r)
		}
		ka, kb := UnicodeCasemap(a), UnicodeCasemap(b)
		if k := strings.Compare(ka, kb); k != c {
			t.Fatalf("%q %q: compare %d, keys %q %q compare %d", a, b, c, ka, kb, k)
		}
		if (c == 0) != (ka == kb) {
			t.Fatalf("%q %q: equal %v, keys equal %v", a, b, c == 0, ka == kb)
		}
		if k := newCollationKey(a).compare(newCollationKey(b)); k != c {
			t.Fatalf("%q %q: sort key compare %d, want %d", a, b, k, c)
		}
		if firstNonASCII(a) == len(a) && firstNonASCII(b) == len(b) {
			if k := CompareCasemap(a, b); k != c {
				t.Fatalf("ascii %q %q: %d, i;ascii-casemap %d", a, b, c, k)
			}
		}
		if !utf8.ValidString(a) && ka != a {
			t.Fatalf("invalid %q prepared to %q", a, ka)
		}
		if !ContainsUnicodeCasemap(a, a) {
			t.Fatalf("%q not in itself", a)
		}
		if utf8.ValidString(a) && !ContainsUnicodeCasemap(a+b, b) {
			t.Fatalf("%q not in %q", b, a+b)
		}
		if got, want := ContainsUnicodeCasemap(a, b), strings.Contains(ka, kb); got != want {
			t.Fatalf("contains %q %q: %v, keys say %v", a, b, got, want)
		}
	})
}
