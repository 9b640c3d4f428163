package imapclient

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

// This file is the client side of CONTEXT=SEARCH and CONTEXT=SORT (RFC
// 5267 §4): RETURN (PARTIAL ...) and RETURN (UPDATE) through
// [SearchOptions] and [SortReturn], the ADDTO/REMOVEFROM updates that
// arrive through [Options.OnUpdate] ([ParseContextUpdate]) and
// [Client.CancelUpdate].

// PartialRange asks for the messages at positions First to Last
// (1-based, in ascending order for SEARCH and in sort order for SORT) of
// a result: RETURN (PARTIAL First:Last), RFC 5267 §4.4. Both must be
// non-zero.
type PartialRange struct{ First, Last uint32 }

func (r *PartialRange) valid() error {
	if r != nil && (r.First == 0 || r.Last == 0) {
		return fmt.Errorf("imapclient: PARTIAL range %d:%d: positions start at 1", r.First, r.Last)
	}
	return nil
}

// PartialResult is the PARTIAL item of an ESEARCH reply: the range (as
// the server echoes it, First <= Last) and the messages in it.
type PartialResult struct {
	First, Last uint32
	// Nums are the messages at those positions (empty: none there).
	Nums []uint32
}

// ContextChange is one ADDTO or REMOVEFROM item of a context update.
type ContextChange struct {
	// Remove is true for REMOVEFROM, false for ADDTO.
	Remove bool
	// Position is the 1-based position in the sort order of a SORT
	// context where Nums go (or went); servers may send 0 for SEARCH
	// contexts, whose results are unordered.
	Position uint32
	// Nums are the messages added or removed (in sort order for SORT).
	Nums []uint32
}

// ContextUpdate is an ESEARCH response that updates the result of an
// earlier SEARCH or SORT with RETURN (UPDATE) (RFC 5267 §4.3).
type ContextUpdate struct {
	// Tag is the tag of the command that created the context
	// ([SearchResult].Tag, [SortResult].Tag).
	Tag string
	// UID is true for the contexts of UID SEARCH and UID SORT.
	UID bool
	// Changes are in the order the server sent them; apply them in that
	// order.
	Changes []ContextChange
}

// ParseContextUpdate reads a context update from u, an untagged
// response given to [Options.OnUpdate]: ok is false when u is not an
// ESEARCH with ADDTO or REMOVEFROM. A malformed one, or a set of more
// than 1<<20 numbers, gets an error wrapping [ErrProtocol].
func ParseContextUpdate(u *Update) (cu *ContextUpdate, ok bool, err error) {
	if u == nil || u.Name != "ESEARCH" || len(u.Values) == 0 {
		return nil, false, nil
	}
	bad := fmt.Errorf("%w: bad ESEARCH context update", ErrProtocol)
	l, isList := u.Values[0].([]imap.Value)
	if !isList || len(l) != 2 {
		return nil, false, nil
	}
	if k, _ := l[0].(imap.Atom); !strings.EqualFold(string(k), "TAG") {
		return nil, false, nil
	}
	cu = &ContextUpdate{}
	switch t := l[1].(type) {
	case string:
		cu.Tag = t
	case imap.Atom:
		cu.Tag = string(t)
	}
	vals := u.Values[1:]
	for i := 0; i < len(vals); i++ {
		a, _ := vals[i].(imap.Atom)
		name := strings.ToUpper(string(a))
		if name == "UID" {
			cu.UID = true
			continue
		}
		if i+1 >= len(vals) {
			return nil, true, bad
		}
		i++
		if name != "ADDTO" && name != "REMOVEFROM" {
			continue // another item (e.g. ALL in the same response)
		}
		item, _ := vals[i].([]imap.Value)
		if len(item) != 2 {
			return nil, true, bad
		}
		pa, _ := item[0].(imap.Atom)
		pos, perr := strconv.ParseUint(string(pa), 10, 32)
		set, _ := item[1].(imap.Atom)
		nums, serr := orderedSet(string(set), 1<<20)
		if perr != nil || serr != nil {
			return nil, true, bad
		}
		cu.Changes = append(cu.Changes, ContextChange{Remove: name == "REMOVEFROM", Position: uint32(pos), Nums: nums})
	}
	if len(cu.Changes) == 0 {
		return nil, false, nil
	}
	return cu, true, nil
}

// parsePartial reads the value of a PARTIAL item: "(first:last set)",
// the set being NIL when no message is in the range.
func (c *Client) parsePartial(v imap.Value) (*PartialResult, error) {
	bad := fmt.Errorf("%w: bad ESEARCH PARTIAL", ErrProtocol)
	l, _ := v.([]imap.Value)
	if len(l) != 2 {
		return nil, bad
	}
	r, _ := l[0].(imap.Atom)
	lo, hi, found := strings.Cut(string(r), ":")
	first, err1 := strconv.ParseUint(lo, 10, 32)
	last, err2 := strconv.ParseUint(hi, 10, 32)
	if !found || err1 != nil || err2 != nil {
		return nil, bad
	}
	res := &PartialResult{First: uint32(first), Last: uint32(last)}
	if l[1] == nil {
		return res, nil
	}
	set, _ := l[1].(imap.Atom)
	nums, err := orderedSet(string(set), c.maxResponses())
	if err != nil {
		return nil, err
	}
	res.Nums = nums
	return res, nil
}

// CancelUpdate ends the update contexts named by tags (CANCELUPDATE,
// RFC 5267 §4.2); the server must announce CONTEXT=SEARCH.
func (c *Client) CancelUpdate(ctx context.Context, tags ...string) error {
	if len(tags) == 0 {
		return fmt.Errorf("imapclient: CANCELUPDATE without a tag")
	}
	return c.execute(ctx, &command{}, "CANCELUPDATE", func(e *imap.Encoder) {
		for _, t := range tags {
			e.SP().Quoted(t)
		}
	})
}
