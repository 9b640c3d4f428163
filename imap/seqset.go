package imap

import (
	"sort"
	"strconv"
	"strings"
)

// SeqRange is an inclusive range of message sequence numbers or UIDs.
// A bound of 0 stands for "*", the largest number in use.
type SeqRange struct {
	// Start and Stop are the bounds as written, in either order ("4:1"
	// is the same set as "1:4"); a single number has Start == Stop.
	Start, Stop uint32
}

// SeqSet is a set of message sequence numbers or UIDs (RFC 3501
// sequence-set), such as "1:4,7,10:*". Whether the numbers are sequence
// numbers or UIDs depends on the command.
type SeqSet []SeqRange

// MaxSeqSetRanges bounds the ranges [ParseSeqSet] accepts.
const MaxSeqSetRanges = 10000

// ParseSeqSet parses a sequence set; "$" alone is the RFC 5182 saved
// result ([SavedResult]).
func ParseSeqSet(s string) (SeqSet, error) {
	if s == "" {
		return nil, syntaxErr("empty sequence set")
	}
	if s == "$" {
		return SavedResult(), nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > MaxSeqSetRanges {
		return nil, syntaxErr("sequence set with more than %d ranges", MaxSeqSetRanges)
	}
	set := make(SeqSet, 0, len(parts))
	for _, p := range parts {
		lo, hi, isRange := strings.Cut(p, ":")
		a, err := parseSeqNum(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parseSeqNum(hi); err != nil {
				return nil, err
			}
		}
		r := SeqRange{Start: a, Stop: b}
		if r == savedRange {
			r.Start, r.Stop = b, a // "*:4294967295" is not "$"
		}
		set = append(set, r)
	}
	return set, nil
}

func parseSeqNum(s string) (uint32, error) {
	if s == "*" {
		return 0, nil
	}
	if s == "" || s[0] == '0' || len(s) > 10 {
		return 0, syntaxErr("bad sequence number %q", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, syntaxErr("bad sequence number %q", s)
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, syntaxErr("bad sequence number %q", s)
	}
	return uint32(n), nil
}

func isSeqSetChar(b byte) bool { return (b >= '0' && b <= '9') || b == ':' || b == ',' || b == '*' }

// SeqSet reads a sequence set, or "$" ([SavedResult], RFC 5182).
func (d *Decoder) SeqSet() (SeqSet, error) {
	if d.Accept('$') {
		if b, err := d.Peek(); err == nil && (isSeqSetChar(b) || b == '$') {
			return nil, d.unexpected("sequence set")
		}
		return SavedResult(), nil
	}
	s, err := d.readWhile(isSeqSetChar)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, d.unexpected("sequence set")
	}
	return ParseSeqSet(s)
}

// SeqSetOf returns the set holding the given numbers.
func SeqSetOf(nums ...uint32) SeqSet {
	var s SeqSet
	for _, n := range nums {
		s.AddNum(n)
	}
	return s
}

// AddNum adds one number.
func (s *SeqSet) AddNum(n uint32) {
	if k := len(*s); k > 0 {
		last := &(*s)[k-1]
		if last.Start != 0 && last.Stop != 0 && last.Start <= last.Stop && last.Stop+1 == n {
			last.Stop = n
			return
		}
	}
	*s = append(*s, SeqRange{Start: n, Stop: n})
}

// AddRange adds the range start:stop.
func (s *SeqSet) AddRange(start, stop uint32) { *s = append(*s, SeqRange{start, stop}) }

func fmtNum(n uint32) string {
	if n == 0 {
		return "*"
	}
	return strconv.FormatUint(uint64(n), 10)
}

// String formats the set in IMAP syntax ("$" for [SavedResult]).
func (s SeqSet) String() string {
	if s.IsSavedResult() {
		return "$"
	}
	var sb strings.Builder
	for i, r := range s {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(fmtNum(r.Start))
		if r.Stop != r.Start {
			sb.WriteByte(':')
			sb.WriteString(fmtNum(r.Stop))
		}
	}
	return sb.String()
}

// Dynamic reports whether the set uses "*".
func (s SeqSet) Dynamic() bool {
	for _, r := range s {
		if r.Start == 0 || r.Stop == 0 {
			return true
		}
	}
	return false
}

// bounds returns the range ordered, with * replaced by max.
func (r SeqRange) bounds(max uint32) (lo, hi uint32) {
	lo, hi = r.Start, r.Stop
	if lo == 0 {
		lo = max
	}
	if hi == 0 {
		hi = max
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	return lo, hi
}

// Contains reports whether n is in the set, "*" standing for max.
func (s SeqSet) Contains(n, max uint32) bool {
	for _, r := range s {
		lo, hi := r.bounds(max)
		if n >= lo && n <= hi {
			return true
		}
	}
	return false
}

// Resolve returns the set with "*" replaced by max, ranges ordered, sorted
// and merged.
func (s SeqSet) Resolve(max uint32) SeqSet {
	out := make(SeqSet, 0, len(s))
	for _, r := range s {
		lo, hi := r.bounds(max)
		out = append(out, SeqRange{lo, hi})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	merged := out[:0]
	for _, r := range out {
		if k := len(merged); k > 0 && uint64(r.Start) <= uint64(merged[k-1].Stop)+1 {
			if r.Stop > merged[k-1].Stop {
				merged[k-1].Stop = r.Stop
			}
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// SeqNums returns the 1-based sequence numbers, ascending, of the messages
// of a mailbox view that s selects. view holds the UIDs of the view in
// ascending order (view[i] is message i+1); kind says whether s holds
// sequence numbers or UIDs, "*" standing for the last of the view. It is
// a helper for server backends resolving a command's set.
func (s SeqSet) SeqNums(kind NumKind, view []uint32) []uint32 {
	if len(view) == 0 {
		return nil
	}
	var seqs []uint32
	if kind == NumSeq {
		last := uint32(len(view))
		for _, r := range s.Resolve(last) {
			for n := r.Start; n <= r.Stop && n <= last; n++ {
				seqs = append(seqs, n)
				if n == last {
					break // also keeps n++ from wrapping at 2^32-1
				}
			}
		}
		return seqs
	}
	maxUID := view[len(view)-1]
	for i, uid := range view {
		if s.Contains(uid, maxUID) {
			seqs = append(seqs, uint32(i+1))
		}
	}
	return seqs
}
