package imapserver

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

// This file is CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 §4): SEARCH or
// SORT with RETURN (UPDATE ...) keeps the search (criteria, sort keys
// and current result) as an update context of the connection. After
// every command in the selected state the server runs each kept search
// again and sends the difference as "* ESEARCH (TAG ...) ADDTO/REMOVEFROM"
// before the tagged reply; EXPUNGEs of messages in a sequence-number
// result are announced with REMOVEFROM just before the EXPUNGE response
// (RFC 5267 §4.3: the number is only valid until then). CANCELUPDATE
// ends contexts; SELECT, EXAMINE, CLOSE and UNSELECT end them all.
//
// Positions: SORT contexts carry the 1-based position in the sort order;
// SEARCH results are unordered and use position 0.
//
// PARTIAL (RFC 5267 §4.4) returns the messages at positions lo..hi of
// the (sorted, for SORT) result. Negative ranges of RFC 9394 are not
// supported, so the "PARTIAL" capability is not announced.

// partialRange is RETURN (PARTIAL lo:hi), with lo <= hi.
type partialRange struct{ lo, hi uint32 }

// searchContext is one RETURN (UPDATE) search.
type searchContext struct {
	tag  string
	uid  bool
	sort []imap.SortCriterion // nil: SEARCH, ascending result
	crit *imap.SearchCriteria
	nums []uint32 // current result (ascending, or in sort order)
}

// errUpdatePartial refuses UPDATE together with PARTIAL.
var errUpdatePartial = bad("RETURN (UPDATE) with PARTIAL is not supported")

// readContextReturn reads the RETURN options of RFC 5267 (UPDATE,
// PARTIAL lo:hi) after their name; ok is false for any other name.
func (c *conn) readContextReturn(ret *searchReturn, name string) (ok bool, err error) {
	switch strings.ToUpper(name) {
	case "UPDATE":
		ret.update = true
		return true, nil
	case "PARTIAL":
		if err := c.dec.SP(); err != nil {
			return true, err
		}
		a, err := c.dec.Atom()
		if err != nil {
			return true, err
		}
		r, perr := parsePartial(a)
		if perr != nil {
			return true, perr
		}
		ret.partial = r
		return true, nil
	}
	return false, nil
}

// parsePartial parses "lo:hi" (two non-zero numbers, either order).
func parsePartial(s string) (*partialRange, error) {
	a, b, found := strings.Cut(s, ":")
	if !found {
		return nil, bad("PARTIAL needs a range n:m")
	}
	lo, err1 := parseNZ(a)
	hi, err2 := parseNZ(b)
	if err1 != nil || err2 != nil {
		return nil, bad("bad PARTIAL range " + sanitize(s))
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	return &partialRange{lo, hi}, nil
}

func parseNZ(s string) (uint32, error) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, errors.New("not a number")
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		return 0, errors.New("not a non-zero number")
	}
	return uint32(n), nil
}

// writePartial writes " PARTIAL (lo:hi set)", or NIL for the set when
// no message is in the range.
func (c *conn) writePartial(r *partialRange, nums []uint32, ordered bool) {
	list := nums
	if !ordered {
		list = slices.Compact(slices.Sorted(slices.Values(nums)))
	}
	e := c.enc
	e.Raw(" PARTIAL (").Number(r.lo).Raw(":").Number(r.hi).SP()
	if int64(r.lo) > int64(len(list)) {
		e.Raw("NIL)")
		return
	}
	hi := min(int64(r.hi), int64(len(list)))
	e.Raw(imap.SeqSetOf(list[r.lo-1 : hi]...).String()).Raw(")")
}

// addContext keeps a RETURN (UPDATE) search (sort nil) or sort; nums is
// the result just computed. It refuses with NO [NOUPDATE "tag"] past
// [Limits.MaxUpdateContexts]. A context with the same tag is replaced.
func (c *conn) addContext(tag string, uid bool, sort []imap.SortCriterion, crit *imap.SearchCriteria, nums []uint32) error {
	sc := &searchContext{tag: tag, uid: uid, sort: sort, crit: crit}
	if sort == nil {
		sc.nums = slices.Compact(slices.Sorted(slices.Values(nums)))
	} else {
		sc.nums = slices.Clone(nums)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for i, old := range c.contexts {
		if old.tag == tag {
			c.contexts[i] = sc
			return nil
		}
	}
	if len(c.contexts) >= c.lim.MaxUpdateContexts {
		return &Error{Type: StatusNO, Code: `NOUPDATE "` + sanitizeQuoted(tag) + `"`, Text: "Too many update contexts"}
	}
	c.contexts = append(c.contexts, sc)
	return nil
}

// sanitizeQuoted drops what cannot appear in a quoted string.
func sanitizeQuoted(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// resetContexts ends every update context (the mailbox is left).
func (c *conn) resetContexts() {
	c.wmu.Lock()
	c.contexts = nil
	c.wmu.Unlock()
}

// cmdCancelUpdate is CANCELUPDATE (RFC 5267 §4.2): "CANCELUPDATE" 1*(SP
// quoted). Unknown tags are ignored.
func cmdCancelUpdate(ctx context.Context, c *conn, tag string, uid bool) error {
	var tags []string
	for {
		if err := c.dec.SP(); err != nil {
			return err
		}
		t, err := c.dec.Quoted()
		if err != nil {
			return err
		}
		tags = append(tags, t)
		if b, err := c.dec.Peek(); err != nil || b != ' ' {
			break
		}
	}
	if err := c.endLine(); err != nil {
		return err
	}
	c.wmu.Lock()
	c.contexts = slices.DeleteFunc(c.contexts, func(sc *searchContext) bool {
		return slices.Contains(tags, sc.tag)
	})
	c.wmu.Unlock()
	return nil
}

// contextExpunged is called (c.wmu held) before "* seq EXPUNGE" is
// written: sequence-number contexts holding seq send REMOVEFROM first,
// and every later number moves down by one.
func (c *conn) contextExpunged(seq uint32) {
	for _, sc := range c.contexts {
		if sc.uid {
			continue // UIDs stay valid; the next update removes it
		}
		for i := 0; i < len(sc.nums); i++ {
			n := sc.nums[i]
			switch {
			case n == seq:
				pos := uint32(0)
				if sc.sort != nil {
					pos = uint32(i + 1)
				}
				c.writeUpdate(sc, "REMOVEFROM", pos, []uint32{n})
				sc.nums = slices.Delete(sc.nums, i, i+1)
				i--
			case n > seq:
				sc.nums[i] = n - 1
			}
		}
	}
}

// writeUpdate writes "* ESEARCH (TAG t) [UID] item (pos set)".
func (c *conn) writeUpdate(sc *searchContext, item string, pos uint32, nums []uint32) {
	e := c.enc
	e.Raw("* ESEARCH (TAG ").Quoted(sc.tag).Raw(")")
	if sc.uid {
		e.Raw(" UID")
	}
	e.SP().Raw(item).Raw(" (").Number(pos).SP().Raw(imap.SeqSetOf(nums...).String()).Raw(")").CRLF()
}

// contextUpdates runs every context's search again and writes the
// differences (after a command, before its tagged reply). The work is
// one search (or sort) per context, bounded by
// [Limits.MaxUpdateContexts].
func (c *conn) contextUpdates(ctx context.Context) {
	c.wmu.Lock()
	ctxs := slices.Clone(c.contexts)
	c.wmu.Unlock()
	for _, sc := range ctxs {
		nums, err := c.rerun(ctx, sc)
		if err != nil {
			c.log.Warn("imapserver: search context update", "tag", sc.tag, "err", err)
			continue
		}
		c.wmu.Lock()
		if sc.sort == nil {
			c.diffSearch(sc, slices.Compact(slices.Sorted(slices.Values(nums))))
		} else {
			c.diffSort(sc, nums)
		}
		c.wmu.Unlock()
	}
}

// rerun runs sc's search or sort again.
func (c *conn) rerun(ctx context.Context, sc *searchContext) ([]uint32, error) {
	kind := kindOf(sc.uid)
	if sc.sort != nil {
		if c.sortSess == nil {
			return nil, errors.New("imapserver: SORT context without SortSession")
		}
		return c.sortSess.Sort(ctx, kind, sc.sort, sc.crit)
	}
	if sc.crit.HasModSeq() && c.csSess != nil {
		nums, _, err := c.csSess.SearchModSeq(ctx, kind, sc.crit)
		return nums, err
	}
	return c.sess.Search(ctx, kind, sc.crit)
}

// diffSearch sends REMOVEFROM and ADDTO (position 0) for the ascending
// results old (sc.nums) and now.
func (c *conn) diffSearch(sc *searchContext, now []uint32) {
	var added, removed []uint32
	i, j := 0, 0
	for i < len(sc.nums) || j < len(now) {
		switch {
		case j == len(now) || (i < len(sc.nums) && sc.nums[i] < now[j]):
			removed = append(removed, sc.nums[i])
			i++
		case i == len(sc.nums) || now[j] < sc.nums[i]:
			added = append(added, now[j])
			j++
		default:
			i++
			j++
		}
	}
	if len(removed) > 0 {
		c.writeUpdate(sc, "REMOVEFROM", 0, removed)
	}
	if len(added) > 0 {
		c.writeUpdate(sc, "ADDTO", 0, added)
	}
	sc.nums = now
}

// diffSort sends REMOVEFROM for the messages gone (from the last
// position down) and ADDTO for runs of new messages at their positions
// in now, so that applying them in order turns the old result into now.
func (c *conn) diffSort(sc *searchContext, now []uint32) {
	inNow := make(map[uint32]bool, len(now))
	for _, n := range now {
		inNow[n] = true
	}
	inOld := make(map[uint32]bool, len(sc.nums))
	for _, n := range sc.nums {
		inOld[n] = true
	}
	for i := len(sc.nums) - 1; i >= 0; i-- {
		if !inNow[sc.nums[i]] {
			c.writeUpdate(sc, "REMOVEFROM", uint32(i+1), sc.nums[i:i+1])
		}
	}
	for i := 0; i < len(now); {
		if inOld[now[i]] {
			i++
			continue
		}
		j := i
		for j < len(now) && !inOld[now[j]] {
			j++
		}
		c.writeUpdate(sc, "ADDTO", uint32(i+1), now[i:j])
		i = j
	}
	sc.nums = slices.Clone(now)
}
