package imap

import (
	"strings"

	"github.com/mailkit-go/mailkit/mime"
)

// BaseSubject extracts the base subject of a Subject header field value
// as RFC 5256 §2.1 defines it, for SORT (SUBJECT) and THREAD. subject is
// the raw (unfolded) field value; its RFC 2047 encoded words are decoded
// first (words in unknown charsets stay as they are). Then:
//
//  1. tabs and line breaks become spaces and runs of spaces one space;
//  2. trailing "(fwd)" and white space are removed, repeatedly;
//  3. leading "Re:", "Fw:", "Fwd:" (each with an optional "[blob]"
//     before the colon, and any "[blob]"s before it) and white space are
//     removed;
//  4. one leading "[blob]" is removed if text remains after it;
//  5. steps 3 and 4 repeat while they remove something;
//  6. a subject of the form "[fwd: ...]" is unwrapped and the steps
//     repeat from 2.
//
// Keywords match case-insensitively. isReplyOrForward reports whether a
// "Re:"/"Fw:"/"Fwd:" leader, a "(fwd)" trailer or a "[fwd: ...]" wrapper
// was removed (step 5 of THREAD=REFERENCES asks for the first two; the
// wrapper is a forward too). The result keeps its letter case: compare
// base subjects with [CompareUnicodeCasemap] (i;unicode-casemap), as
// [Sort] and [Threads] do.
//
// BaseSubject runs in time linear in the length of subject, up to the
// number of "[fwd:" wrappers.
func BaseSubject(subject string) (base string, isReplyOrForward bool) {
	s := normalizeSubject(subject)
	for {
		// Step 2: trailers.
		for {
			if n := len(s); n > 0 && s[n-1] == ' ' {
				s = s[:n-1]
				continue
			}
			if n := len(s); n >= 5 && strings.EqualFold(s[n-5:], "(fwd)") {
				s = s[:n-5]
				isReplyOrForward = true
				continue
			}
			break
		}
		// Steps 3 to 5: leaders and blobs.
		skipLeader := false
		for {
			// Step 3.
			for !skipLeader {
				if len(s) > 0 && s[0] == ' ' {
					s = s[1:]
					continue
				}
				n, blobs := leaderLen(s)
				if n > 0 {
					s = s[n:]
					isReplyOrForward = true
					continue
				}
				// The run of blobs that led to no leader stays a run
				// that leads to none while step 4 removes its blobs, so
				// step 3 need not look at it again.
				skipLeader = blobs > 0
				break
			}
			// Step 4.
			if n := blobLen(s); n > 0 && strings.Trim(s[n:], " ") != "" {
				s = s[n:]
				continue
			}
			break
		}
		// Step 6.
		if len(s) >= 6 && strings.EqualFold(s[:5], "[fwd:") && s[len(s)-1] == ']' {
			s = s[5 : len(s)-1]
			isReplyOrForward = true
			continue
		}
		return s, isReplyOrForward
	}
}

// normalizeSubject is step 1 of RFC 5256 §2.1: encoded words decoded,
// tabs and line breaks turned into spaces, runs of spaces into one.
func normalizeSubject(subject string) string {
	s, _ := mime.DecodeHeader(subject) // unknown charsets stay literal
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(c)
	}
	return b.String()
}

// blobLen returns the length of the subj-blob ("[" *BLOBCHAR "]" *WSP)
// at the start of s, 0 if there is none.
func blobLen(s string) int {
	if len(s) == 0 || s[0] != '[' {
		return 0
	}
	i := 1
	for i < len(s) && s[i] != '[' && s[i] != ']' {
		i++
	}
	if i >= len(s) || s[i] != ']' {
		return 0
	}
	i++
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// leaderLen returns the length of the subj-leader "*subj-blob subj-refwd"
// at the start of s (0: none) and how many blobs it looked at.
func leaderLen(s string) (n, blobs int) {
	i := 0
	for {
		k := blobLen(s[i:])
		if k == 0 {
			break
		}
		i += k
		blobs++
	}
	k := refwdLen(s[i:])
	if k == 0 {
		return 0, blobs
	}
	return i + k, blobs
}

// refwdLen returns the length of the subj-refwd
// (("re" / ("fw" ["d"])) *WSP [subj-blob] ":") at the start of s, 0 if
// there is none.
func refwdLen(s string) int {
	var i int
	switch {
	case hasPrefixFold(s, "re"):
		i = 2
	case hasPrefixFold(s, "fwd"):
		i = 3
	case hasPrefixFold(s, "fw"):
		i = 2
	default:
		return 0
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	i += blobLen(s[i:])
	if i < len(s) && s[i] == ':' {
		return i + 1
	}
	return 0
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// CompareCasemap compares a and b with the i;ascii-casemap collation (RFC
// 4790 §9.2): octet by octet after mapping a-z to A-Z. It returns -1, 0
// or +1. SORT, THREAD and SEARCH use [CompareUnicodeCasemap] instead,
// which orders ASCII strings exactly as this does.
func CompareCasemap(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := upperASCII(a[i]), upperASCII(b[i])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

func upperASCII(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// casemapKey returns s with a-z mapped to A-Z, so that comparing keys
// octet by octet is [CompareCasemap].
func casemapKey(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'a' && s[i] <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = upperASCII(b[j])
			}
			return string(b)
		}
	}
	return s
}
