package imap

import (
	"bufio"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzSortCriteria checks that parsed sort criteria format and parse to
// the same criteria.
func FuzzSortCriteria(f *testing.F) {
	for _, s := range []string{
		"(DATE)\r\n", "(REVERSE ARRIVAL SIZE)\r\n", "(displayfrom reverse displayto cc to from subject)\r\n",
		"()\r\n", "(REVERSE)\r\n", "(DATE\r\n", "(FOO BAR)\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := NewDecoder(bufio.NewReader(strings.NewReader(s)), smallLimits())
		c, err := d.SortCriteria()
		if err != nil {
			return
		}
		if len(c) == 0 || len(c) > MaxSortCriteria {
			t.Fatalf("%q: %d criteria", s, len(c))
		}
		text := FormatSortCriteria(c)
		again, err := NewDecoder(bufio.NewReader(strings.NewReader(text+"\r\n")), nil).SortCriteria()
		if err != nil || !reflect.DeepEqual(c, again) {
			t.Fatalf("%q -> %q -> %v %v", s, text, again, err)
		}
	})
}

// FuzzBaseSubject checks base-subject extraction (RFC 5256 §2.1): no
// white space at the ends or doubled, never longer than the normalised
// input, and, for ASCII input without encoded words, idempotent.
func FuzzBaseSubject(f *testing.F) {
	for _, s := range []string{
		"Re: hello", "[foo] Fwd: [bar] Re: fw: b (fWd)  (fwd)", "Re: [FWD: c]", "[xyz]",
		"re: [fwd: [fwd: re: [fwd: babylon]]]", "=?iso-8859-1?q?RE:_C?=", "=?us-ascii?b?UmU6IGM=?=",
		"Ad: Re: Ad: Re: Ad: x", "[a][b]", "re [2] : x", "\t(fwd)\r\n", "[fwd: ]", "[fwd:]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, _ := BaseSubject(s)
		if strings.HasPrefix(b, " ") || strings.HasSuffix(b, " ") || strings.Contains(b, "  ") {
			t.Fatalf("%q -> %q: white space left", s, b)
		}
		if len(b) > len(normalizeSubject(s)) {
			t.Fatalf("%q -> %q: longer", s, b)
		}
		ascii := !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 || r == 0 })
		if ascii && !strings.Contains(s, "=?") {
			if again, _ := BaseSubject(b); again != b {
				t.Fatalf("%q -> %q -> %q", s, b, again)
			}
		}
		_ = CompareCasemap(b, s)
	})
}

// FuzzThreads checks that parsed THREAD data formats and parses to the
// same threads.
func FuzzThreads(f *testing.F) {
	for _, s := range []string{
		"(2)(3 6 (4 23)(44 7 96))\r\n", "((1)(2))(3)\r\n", "\r\n", "(1 (2))\r\n", "(0)\r\n", "(((1)(2))(3 4))\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := NewDecoder(bufio.NewReader(strings.NewReader(s)), smallLimits()).Threads()
		if err != nil {
			return
		}
		text := FormatThreads(ts)
		again, err := NewDecoder(bufio.NewReader(strings.NewReader(text+"\r\n")), &Limits{MaxLineLength: 1 << 20}).Threads()
		if err != nil || FormatThreads(again) != text || !reflect.DeepEqual(ts, again) {
			t.Fatalf("%q -> %q -> %v %v", s, text, again, err)
		}
	})
}

// FuzzThreadAlgorithms threads arbitrary messages, one per line of
// "Message-ID|References|In-Reply-To|Subject", with both algorithms:
// every message appears exactly once and the result parses.
func FuzzThreadAlgorithms(f *testing.F) {
	f.Add("<a@b>|||foo\n<b@b>|<a@b> <c@b>||Re: foo\n<c@b>|<b@b>||\n")
	f.Add("|<x>||a\n|<x>||a\n<a>|||[fwd: a]\n<a>|<a>||re: a\n")
	f.Add("<1>||<0>|x\n<0>|<1>||y\n<2>|<0> <1> <2>||")
	f.Fuzz(func(t *testing.T, s string) {
		lines := strings.Split(s, "\n")
		if len(lines) > 200 {
			lines = lines[:200]
		}
		var msgs []SortData
		for i, l := range lines {
			p := strings.SplitN(l, "|", 4)
			for len(p) < 4 {
				p = append(p, "")
			}
			msgs = append(msgs, SortData{SeqNum: uint32(i + 1), UID: uint32(i + 1), MessageID: p[0], References: p[1], InReplyTo: p[2], Subject: p[3]})
		}
		for _, alg := range []ThreadAlgorithm{ThreadReferences, ThreadOrderedSubject} {
			ts, err := Threads(alg, msgs, NumSeq)
			if err != nil {
				t.Fatal(err)
			}
			var nums []uint32
			var walk func([]Thread)
			walk = func(ts []Thread) {
				for _, th := range ts {
					if th.Num != 0 {
						nums = append(nums, th.Num)
					}
					walk(th.Children)
				}
			}
			walk(ts)
			slices.Sort(nums)
			if len(nums) != len(msgs) || (len(nums) > 0 && (nums[0] != 1 || nums[len(nums)-1] != uint32(len(msgs)) || len(slices.Compact(nums)) != len(msgs))) {
				t.Fatalf("%s: messages lost or doubled: %v", alg, nums)
			}
			text := FormatThreads(ts)
			if _, err := NewDecoder(bufio.NewReader(strings.NewReader(text+"\r\n")), &Limits{MaxLineLength: 1 << 20, MaxDepth: 1000}).Threads(); err != nil {
				t.Fatalf("%s: %q does not parse: %v", alg, text, err)
			}
		}
	})
}
