package imapserver

import (
	"context"
	"errors"
	"slices"

	"github.com/mailkit-go/mailkit/imap"
)

// This file is SEARCHRES (RFC 5182): SEARCH RETURN (SAVE ...) keeps the
// result as the UIDs of the messages found (c.searchRes), and "$" in a
// command's sequence set or search keys is replaced by them before the
// session is called, so sessions only ever see ordinary UID sets. Since
// UIDs are never reused, a message expunged later simply drops out of
// "$" (RFC 5182 §2.1) without any bookkeeping.

// saveOnly reports whether RETURN held SAVE and nothing else: no
// ESEARCH reply then (RFC 5182 §2.4).
func (r searchReturn) saveOnly() bool {
	return r.save && !r.min && !r.max && !r.all && !r.count && r.partial == nil
}

// resetSearchRes empties "$" (SELECT, EXAMINE, UNSELECT, CLOSE; RFC
// 5182 §2.1).
func (c *conn) resetSearchRes() { c.searchRes = nil }

// saveFailed is deferred by a SEARCH or SORT with SAVE: RFC 5182 §2.1
// empties "$" when such a command gets NO, and leaves it alone when it
// gets BAD (a line that could not be read, or a BAD reply).
func (c *conn) saveFailed(err error) {
	if err == nil {
		return
	}
	var e *Error
	if !c.lineDone || (errors.As(err, &e) && e.Type == StatusBAD) {
		return
	}
	c.resetSearchRes()
}

// savedSet resolves a command's set: "$" becomes the saved UIDs (kind
// NumUID, whatever the command), anything else is returned as read.
// empty reports a "$" with nothing saved: RFC 5182 §2.1 makes it a
// valid set that matches no message, so the command succeeds without
// calling the session.
func (c *conn) savedSet(uid bool, set imap.SeqSet) (kind imap.NumKind, out imap.SeqSet, empty bool) {
	if !set.IsSavedResult() {
		return kindOf(uid), set, false
	}
	return imap.NumUID, c.searchRes, len(c.searchRes) == 0
}

// savedCriteria replaces "$" keys of crit by saved (the UIDs saved
// before the command began: a SEARCH RETURN (SAVE) may use "$").
func (c *conn) savedCriteria(crit *imap.SearchCriteria, saved imap.SeqSet) {
	if crit != nil && crit.ContainsSavedResult() {
		crit.ReplaceSavedResult(saved)
	}
}

// checkNoSaved refuses "$" in SELECT (QRESYNC ...): "$" is emptied by
// the SELECT itself, so it can only be a mistake.
func checkNoSaved(q *imap.QResyncParams) error {
	if q == nil {
		return nil
	}
	for _, s := range []imap.SeqSet{q.KnownUIDs, q.SeqMatchSeqs, q.SeqMatchUIDs} {
		if s.IsSavedResult() {
			return bad("$ is not allowed in SELECT")
		}
	}
	return nil
}

// saveSearch stores the result of a SEARCH RETURN (SAVE ...): with MIN
// and/or MAX and neither ALL nor COUNT only those messages, otherwise
// all of them (RFC 5182 §2.4). nums are of kind; sequence numbers are
// turned into UIDs with a second search by those numbers.
func (c *conn) saveSearch(ctx context.Context, kind imap.NumKind, ret searchReturn, nums []uint32) error {
	if len(nums) == 0 || !minMaxOnly(ret) {
		return c.saveNums(ctx, kind, nums)
	}
	var keep []uint32
	if ret.min {
		keep = append(keep, slices.Min(nums))
	}
	if ret.max {
		keep = append(keep, slices.Max(nums))
	}
	return c.saveNums(ctx, kind, keep)
}

// saveSort is saveSearch for SORT RETURN (SAVE ...) (RFC 5182 §1 lets
// commands based on SEARCH save too): MIN and MAX are the first and last
// message in sort order, as in the ESORT reply; "$" itself is a set,
// without order.
func (c *conn) saveSort(ctx context.Context, kind imap.NumKind, ret searchReturn, nums []uint32) error {
	if len(nums) == 0 || !minMaxOnly(ret) {
		return c.saveNums(ctx, kind, nums)
	}
	var keep []uint32
	if ret.min {
		keep = append(keep, nums[0])
	}
	if ret.max {
		keep = append(keep, nums[len(nums)-1])
	}
	return c.saveNums(ctx, kind, keep)
}

func minMaxOnly(r searchReturn) bool { return (r.min || r.max) && !r.all && !r.count }

// saveNums makes nums (of kind) the new "$".
func (c *conn) saveNums(ctx context.Context, kind imap.NumKind, nums []uint32) error {
	c.resetSearchRes()
	if len(nums) == 0 {
		return nil
	}
	keep := slices.Compact(slices.Sorted(slices.Values(nums)))
	if kind == imap.NumSeq {
		uids, err := c.sess.Search(ctx, imap.NumUID, &imap.SearchCriteria{SeqNum: []imap.SeqSet{imap.SeqSetOf(keep...)}})
		if err != nil {
			return err
		}
		keep = slices.Compact(slices.Sorted(slices.Values(uids)))
	}
	c.searchRes = imap.SeqSetOf(keep...)
	return nil
}

// seqsOfUIDs turns UIDs into the sequence numbers of the session's view
// (for OK [MODIFIED] of a non-UID STORE on "$").
func (c *conn) seqsOfUIDs(ctx context.Context, uids []uint32) ([]uint32, error) {
	if len(uids) == 0 {
		return nil, nil
	}
	return c.sess.Search(ctx, imap.NumSeq, &imap.SearchCriteria{UID: []imap.SeqSet{imap.SeqSetOf(uids...)}})
}
