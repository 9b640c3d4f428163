package maildir

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseInfo: parse -> String -> parse must agree, and String must be
// canonical (sorted, no duplicates).
func FuzzParseInfo(f *testing.F) {
	for _, s := range []string{"2,", "2,S", "2,DFPRST", "2,SRF", "2,Sabz", "1,x", "2,S,", "2,\xff", "2,ZZa~!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in, err := ParseInfo(s)
		if err != nil {
			return
		}
		out := in.String()
		in2, err := ParseInfo(out)
		if err != nil {
			t.Fatalf("ParseInfo(%q) -> %q does not parse: %v", s, out, err)
		}
		if in2 != in || in2.String() != out {
			t.Fatalf("round trip %q -> %+v -> %q -> %+v", s, in, out, in2)
		}
		for i := 3; i < len(out); i++ {
			if out[i-1] >= out[i] {
				t.Fatalf("info %q not strictly sorted", out)
			}
		}
	})
}

// FuzzParseName: never panics; a parsed key is a valid key and a prefix
// of the name.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"1.M2P3.h,S=12,W=13:2,RS", "k", "k:2,", ",S=1", "a,S=99999999999999999999", "a,,S=1,:", ".x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(s, n.Key) || checkKey(n.Key) != nil {
			t.Fatalf("ParseName(%q) key %q", s, n.Key)
		}
		if n.Size < -1 || n.VSize < -1 {
			t.Fatalf("negative size %d/%d", n.Size, n.VSize)
		}
	})
}

// FuzzMailboxName: decode -> encode returns the input; encode -> decode
// returns valid UTF-8 input.
func FuzzMailboxName(f *testing.F) {
	for _, s := range []string{"Entw&APw-rfe", "&-", "&U,BTFw-/&ZeVnLIqe-", "&2D3eAA-", "&", "&AGE-", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := DecodeMailboxName(s); err == nil {
			if e := EncodeMailboxName(d); e != s {
				t.Fatalf("decode(%q) = %q, encodes to %q", s, d, e)
			}
		}
		if utf8.ValidString(s) {
			e := EncodeMailboxName(s)
			d, err := DecodeMailboxName(e)
			if err != nil || d != s {
				t.Fatalf("encode(%q) = %q decodes to %q, %v", s, e, d, err)
			}
		}
	})
}
