package imap

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnicodeCasemapForm(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"ascii lower to upper", "hello, World 1!", "HELLO, WORLD 1!"},
		{"ascii upper unchanged", "ABC_[]", "ABC_[]"},
		{"precomposed e acute", "é", "E\u0301"},
		{"capital E acute", "É", "E\u0301"},
		{"decomposed e acute", "e\u0301", "E\u0301"},
		{"Émile", "Émile", "E\u0301MILE"},
		{"non-ascii case folding", "straße ÇA", "STRAßE C\u0327A"},
		{"greek final sigma", "ς", "Σ"},
		{"cyrillic", "жёлтый", "ЖЕ\u0308ЛТЫИ\u0306"},
		// RFC 5051 §2 example: U+01C4 titlecases to U+01C5, which
		// decomposes to "D" U+017E and that to "z" U+030C: the z stays
		// small.
		{"rfc 5051 example DŽ", "\u01C4", "Dz\u030C"},
		{"dž lower", "\u01C6", "Dz\u030C"},
		{"dž title", "\u01C5", "Dz\u030C"},
		// The ligature has no simple titlecase mapping and decomposes to
		// small letters, which are not titlecased again.
		{"ligature fi", "ﬁ", "fi"},
		{"ligature ffi", "ﬃ", "ffi"},
		{"roman numeral", "Ⅻ", "XII"},
		{"circled digit", "①", "1"},
		{"fullwidth", "ｆｏｏ", "FOO"},
		{"micro sign", "µ", "Μ"},
		{"hangul syllable LV", "가", "\u1100\u1161"},
		{"hangul syllable LVT", "각", "\u1100\u1161\u11A8"},
		{"combining marks keep their order", "a\u0323\u0301", "A\u0323\u0301"},
		{"combining marks keep their order 2", "a\u0301\u0323", "A\u0301\u0323"},
		// RFC 5051 §2 step 1b: not UTF-8, so not prepared at all.
		{"invalid utf-8 unchanged", "abc\xffé", "abc\xffé"},
		{"lone continuation byte", "\x80", "\x80"},
		{"surrogate is invalid", "a\xed\xa0\x80", "a\xed\xa0\x80"},
		{"truncated sequence", "É\xc3", "É\xc3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, c.want, UnicodeCasemap(c.in))
			// appendCasemap prepares []byte input the same way.
			assert.Equal(t, c.want, string(appendCasemap(nil, []byte(c.in), -1)))
		})
	}
}

func TestCompareUnicodeCasemap(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		a, b string
		want int
	}{
		{"equal ascii case", "abc", "ABC", 0},
		{"ascii order", "a", "B", -1},
		{"ascii prefix", "ab", "ABC", -1},
		{"ascii upper case before underscore", "z", "_", -1},
		{"ascii letters before bracket", "Z", "[", -1},
		{"é equals e+U+0301", "é", "e\u0301", 0},
		{"É equals é", "É", "é", 0},
		{"émile equals ÉMILE", "émile", "ÉMILE", 0},
		{"non-ascii case", "ÇA", "ça", 0},
		{"greek case", "ΣΟΦΊΑ", "σοφία", 0},
		{"Émile after dave", "Émile", "dave@example.test", 1},
		{"Émile before yann", "Émile", "yann@example.test", -1},
		{"Émile before Zoe", "Émile", "Zoe", -1},
		{"É after plain E", "É", "E", 1},
		{"É before F", "É", "f", -1},
		{"ligature equals itself decomposed in small letters", "ﬁ", "ﬁ", 0},
		{"ligature is not ascii FI", "ﬁ", "FI", 1},
		{"ligature is not ascii fi", "ﬁ", "fi", 1},
		{"DŽ forms equal", "\u01C4", "\u01C6", 0},
		{"hangul syllable equals its jamo", "각", "\u1100\u1161\u11A8", 0},
		{"roman numeral equals ascii", "Ⅻ", "xii", 0},
		{"invalid utf-8 compares as octets", "ABC\xff", "abc\xff", -1},
		{"invalid utf-8 is not case folded", "abc\xff", "abc\xff", 0},
		{"invalid against prepared", "\xff", "é", 1},
		{"empty", "", "", 0},
		{"empty first", "", "a", -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, c.want, CompareUnicodeCasemap(c.a, c.b))
			assert.Equal(t, -c.want, CompareUnicodeCasemap(c.b, c.a), "antisymmetric")
			assert.Equal(t, c.want, strings.Compare(UnicodeCasemap(c.a), UnicodeCasemap(c.b)), "as the prepared forms")
		})
	}
}

// TestCompareUnicodeCasemapASCII checks that on ASCII strings the
// collation orders exactly as i;ascii-casemap.
func TestCompareUnicodeCasemapASCII(t *testing.T) {
	t.Parallel()
	var words []string
	for c := byte(0); c < utf8.RuneSelf; c++ {
		words = append(words, string([]byte{c}), "a"+string([]byte{c}), string([]byte{c})+"Z")
	}
	words = append(words, "", "abc", "ABD", "ab", "Zoe", "zoe", "yann@example.test", "_x", "[x")
	for _, a := range words {
		for _, b := range words {
			require.Equal(t, CompareCasemap(a, b), CompareUnicodeCasemap(a, b), "%q %q", a, b)
		}
	}
}

func TestContainsUnicodeCasemap(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		s, sub string
		want   bool
	}{
		{"empty needle", "anything", "", true},
		{"empty both", "", "", true},
		{"empty hay", "", "a", false},
		{"ascii case", "Hello World", "o wOR", true},
		{"ascii miss", "Hello", "help", false},
		{"émile in ÉMILE", "ÉMILE", "émile", true},
		{"ÉMILE in émile", "Dear émile!", "ÉMILE", true},
		{"precomposed in decomposed", "e\u0301mile", "émile", true},
		{"base letter and tail", "Émile", "mile", true},
		{"accentless word across the accent", "Émile", "emile", false},
		{"greek", "ΚΑΛΗΜΈΡΑ", "καλημέρα", true},
		{"ligature in itself", "ﬁle", "ﬁ", true},
		{"ascii not in ligature", "ﬁle", "fi", false},
		// The hay is not prepared; the needle is ("hello" is "HELLO").
		{"invalid hay as octets", "\xffHELLO", "hello", true},
		{"invalid hay not folded", "\xffHello", "hello", false},
		{"invalid needle as octets", "ab\xff", "b\xff", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, c.want, ContainsUnicodeCasemap(c.s, c.sub))
		})
	}
}

// TestCollationNoAllocASCII checks the ASCII fast path: preparing and
// comparing ASCII strings allocates nothing.
func TestCollationNoAllocASCII(t *testing.T) {
	a, b := "dave@example.test", "Dave@Example.Test!"
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = CompareUnicodeCasemap(a, b) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = newCollationKey(a).compare(newCollationKey(b)) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = ContainsUnicodeCasemap(b, "EXAMPLE") }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = UnicodeCasemap("ALREADY UPPER") }))
}

// TestSortKeysPreparedOnce checks that Sort prepares each message's key
// once, not per comparison: with ASCII display names, sorting allocates
// the same small number of times whatever the number of messages.
func TestSortKeysPreparedOnce(t *testing.T) {
	mk := func(n int) []SortData {
		out := make([]SortData, n)
		for i := range out {
			out[i] = SortData{SeqNum: uint32(i + 1), DisplayFrom: string(rune('z' - i%26)), DisplayTo: "x"}
		}
		return out
	}
	crit := []SortCriterion{{Key: SortDisplayFrom}, {Key: SortDisplayTo, Reverse: true}}
	small, large := mk(10), mk(1000)
	a := testing.AllocsPerRun(10, func() { Sort(small, crit, NumSeq) })
	b := testing.AllocsPerRun(10, func() { Sort(large, crit, NumSeq) })
	assert.Equal(t, a, b)
	assert.LessOrEqual(t, b, 4.0)
}

func TestSortDisplayFromUnicode(t *testing.T) {
	t.Parallel()
	names := []string{"Carol", "bob@example.test", "Alice", "Émile", "dave@example.test", "Carol", "Zoe", "bob@example.test", "yann@example.test"}
	msgs := make([]SortData, len(names))
	for i, n := range names {
		msgs[i] = SortData{SeqNum: uint32(i + 1), UID: uint32(i + 11), DisplayFrom: n}
	}
	// Dovecot's order (I18NLEVEL=1).
	assert.Equal(t, []uint32{3, 2, 8, 1, 6, 5, 4, 9, 7}, Sort(msgs, []SortCriterion{{Key: SortDisplayFrom}}, NumSeq))
	assert.Equal(t, []uint32{17, 19, 14, 15, 11, 16, 12, 18, 13}, Sort(msgs, []SortCriterion{{Key: SortDisplayFrom, Reverse: true}}, NumUID))
}

func TestThreadSubjectUnicodeCasemap(t *testing.T) {
	t.Parallel()
	msgs := []SortData{
		{SeqNum: 1, UID: 1, Subject: "Émile"},
		{SeqNum: 2, UID: 2, Subject: "Re: =?UTF-8?Q?=C3=A9MILE?="},
		{SeqNum: 3, UID: 3, Subject: "Re: e\u0301mile"},
		{SeqNum: 4, UID: 4, Subject: "Emile"},
	}
	for i := range msgs {
		msgs[i].SentDate = msgs[i].SentDate.AddDate(2000, 0, i)
	}
	threads, err := Threads(ThreadOrderedSubject, msgs, NumSeq)
	require.NoError(t, err)
	assert.Equal(t, "(1 (2)(3))(4)", FormatThreads(threads))
}

func TestAppendCasemapLimit(t *testing.T) {
	t.Parallel()
	// U+FDFA decomposes to 18 characters (33 octets): the limit bounds
	// the output to itself plus one character's decomposition.
	in := []byte(strings.Repeat("\uFDFA", 10000))
	out := appendCasemap(nil, in, 1000)
	assert.GreaterOrEqual(t, len(out), 1000)
	assert.Less(t, len(out), 1000+64)
	out = appendCasemap(nil, append([]byte("\xff"), in...), 1000)
	assert.Len(t, out, 1000)
}
