package imap

import "math"

// savedRange is the one range of the set [SavedResult] returns. As a
// plain range it would mean "*:4294967295"; [ParseSeqSet] never returns
// it for that text (it writes the range the other way round), so the
// value is free to stand for "$".
var savedRange = SeqRange{Start: 0, Stop: math.MaxUint32}

// SavedResult returns the sequence set "$" of RFC 5182 (SEARCHRES): the
// result of the last SEARCH RETURN (SAVE) in the selected mailbox, kept
// by the server. [SeqSet.String] writes it as "$", [ParseSeqSet] and
// [Decoder.SeqSet] read "$" as it, and [SeqSet.IsSavedResult] tells it
// apart. It holds no numbers a client or backend could resolve: the
// server replaces it by the saved messages before a session sees a
// command (see package imapserver), and [SeqSet.Contains],
// [SeqSet.Resolve] and [SeqSet.SeqNums] must not be given it.
func SavedResult() SeqSet { return SeqSet{savedRange} }

// IsSavedResult reports whether s is the set "$" ([SavedResult]).
func (s SeqSet) IsSavedResult() bool { return len(s) == 1 && s[0] == savedRange }

// ContainsSavedResult reports whether any SeqNum or UID key of c, also
// inside NOT and OR, is "$" ([SavedResult]).
func (c *SearchCriteria) ContainsSavedResult() bool {
	for _, s := range c.SeqNum {
		if s.IsSavedResult() {
			return true
		}
	}
	for _, s := range c.UID {
		if s.IsSavedResult() {
			return true
		}
	}
	for i := range c.Not {
		if c.Not[i].ContainsSavedResult() {
			return true
		}
	}
	for i := range c.Or {
		if c.Or[i][0].ContainsSavedResult() || c.Or[i][1].ContainsSavedResult() {
			return true
		}
	}
	return false
}

// ReplaceSavedResult replaces every "$" key of c, also inside NOT and
// OR, by a UID key holding uids (which must not be "$" and should not
// use "*"): RFC 5182 makes "$" the same messages in a sequence-number
// key and in a UID key. An empty uids matches no message.
func (c *SearchCriteria) ReplaceSavedResult(uids SeqSet) {
	if uids == nil {
		uids = SeqSet{}
	}
	var seq []SeqSet
	for _, s := range c.SeqNum {
		if s.IsSavedResult() {
			c.UID = append(c.UID, uids)
			continue
		}
		seq = append(seq, s)
	}
	c.SeqNum = seq
	for i, s := range c.UID {
		if s.IsSavedResult() {
			c.UID[i] = uids
		}
	}
	for i := range c.Not {
		c.Not[i].ReplaceSavedResult(uids)
	}
	for i := range c.Or {
		c.Or[i][0].ReplaceSavedResult(uids)
		c.Or[i][1].ReplaceSavedResult(uids)
	}
}
