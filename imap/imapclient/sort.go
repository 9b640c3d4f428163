package imapclient

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

// sortCharset is the charset named in SORT and THREAD commands; search
// strings are sent as they are (UTF-8).
const sortCharset = "UTF-8"

func (c *Client) sort(ctx context.Context, name string, keys []imap.SortCriterion, crit *imap.SearchCriteria) ([]uint32, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("imapclient: %s without sort criteria", name)
	}
	out := []uint32{}
	cmd := &command{}
	cmd.onUntagged = func(n string, _ uint32, vals []imap.Value) bool {
		if n != "SORT" {
			return false
		}
		for _, v := range vals {
			num := atoi(v)
			if num <= 0 || num > 1<<32-1 {
				cmd.err = fmt.Errorf("%w: bad number in SORT response", ErrProtocol)
				return true
			}
			out = append(out, uint32(num))
		}
		return true
	}
	err := c.execute(ctx, cmd, name, func(e *imap.Encoder) {
		e.SP().Raw(imap.FormatSortCriteria(keys)).SP().Raw(sortCharset).SP().Raw(searchString(crit))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Sort returns the sequence numbers of the messages matching crit (nil:
// all) ordered by keys (SORT, RFC 5256; DISPLAYFROM and DISPLAYTO need
// SORT=DISPLAY, RFC 5957). The server must announce SORT.
func (c *Client) Sort(ctx context.Context, keys []imap.SortCriterion, crit *imap.SearchCriteria) ([]uint32, error) {
	return c.sort(ctx, "SORT", keys, crit)
}

// UIDSort is Sort returning UIDs (UID SORT).
func (c *Client) UIDSort(ctx context.Context, keys []imap.SortCriterion, crit *imap.SearchCriteria) ([]uint32, error) {
	return c.sort(ctx, "UID SORT", keys, crit)
}

// SortReturn selects the results of an extended SORT (ESORT, RFC 5267
// §3). All false means ALL.
type SortReturn struct {
	// Min, Max, All and Count ask for the first message in sort order,
	// the last one, all of them in sort order, and their number.
	Min, Max, All, Count bool
	// Save keeps the result as "$" (SEARCHRES, RFC 5182; see
	// [SearchOptions].Save); with Min and/or Max alone only the first
	// and/or last message. Save alone gets no ESEARCH reply.
	Save bool
	// Update and Partial are those of [SearchOptions] (RFC 5267 §4; the
	// server must announce CONTEXT=SORT).
	Update  bool
	Partial *PartialRange
}

// SortResult is the reply to an extended SORT (an ESEARCH response).
// Fields not asked for, and Min and Max when nothing matched, are zero.
type SortResult struct {
	// UID is true when the numbers are UIDs (UID SORT).
	UID bool
	// Min and Max are the first and last message in sort order.
	Min, Max uint32
	// All lists the matching messages in sort order.
	All []uint32
	// Count is the number of matching messages.
	Count uint32
	// Partial is the PARTIAL result (when asked for), in sort order.
	Partial *PartialResult
	// Tag is the command's tag, which names the update context of
	// [SortReturn].Update (empty without Update).
	Tag string
}

// String formats r as the RETURN option of SORT, e.g. "RETURN (MIN
// COUNT)"; "RETURN ()" asks for ALL.
func (r SortReturn) String() string {
	var opts []string
	for _, o := range []struct {
		on   bool
		name string
	}{{r.Min, "MIN"}, {r.Max, "MAX"}, {r.All, "ALL"}, {r.Count, "COUNT"}, {r.Save, "SAVE"}, {r.Update, "UPDATE"}} {
		if o.on {
			opts = append(opts, o.name)
		}
	}
	if r.Partial != nil {
		opts = append(opts, fmt.Sprintf("PARTIAL %d:%d", r.Partial.First, r.Partial.Last))
	}
	return "RETURN (" + strings.Join(opts, " ") + ")"
}

func (c *Client) esort(ctx context.Context, name string, ret SortReturn, keys []imap.SortCriterion, crit *imap.SearchCriteria) (*SortResult, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("imapclient: %s without sort criteria", name)
	}
	if err := ret.Partial.valid(); err != nil {
		return nil, err
	}
	res := &SortResult{}
	cmd := &command{}
	cmd.onUntagged = func(n string, _ uint32, vals []imap.Value) bool {
		if n != "ESEARCH" || !esearchFor(vals, cmd.tag) {
			return false
		}
		if err := c.parseESort(res, vals[1:]); err != nil {
			cmd.err = err
		}
		return true
	}
	err := c.execute(ctx, cmd, name, func(e *imap.Encoder) {
		e.SP().Raw(ret.String()).SP().Raw(imap.FormatSortCriteria(keys)).SP().Raw(sortCharset).SP().Raw(searchString(crit))
	})
	if err != nil {
		return nil, err
	}
	if ret.Update {
		res.Tag = cmd.tag
	}
	return res, nil
}

// esearchFor reports whether ESEARCH data starts with (TAG tag).
func esearchFor(vals []imap.Value, tag string) bool {
	if len(vals) == 0 {
		return false
	}
	l, ok := vals[0].([]imap.Value)
	if !ok || len(l) != 2 {
		return false
	}
	k, _ := l[0].(imap.Atom)
	var t string
	switch v := l[1].(type) {
	case string:
		t = v
	case imap.Atom:
		t = string(v)
	}
	return strings.EqualFold(string(k), "TAG") && t == tag
}

// parseESort reads the result items of an ESEARCH response to SORT.
func (c *Client) parseESort(res *SortResult, vals []imap.Value) error {
	bad := fmt.Errorf("%w: bad ESEARCH response", ErrProtocol)
	num := func(v imap.Value) (uint32, error) {
		n := atoi(v)
		if n < 0 || n > 1<<32-1 || (n == 0 && v != imap.Atom("0")) {
			return 0, bad
		}
		return uint32(n), nil
	}
	for i := 0; i < len(vals); i++ {
		a, _ := vals[i].(imap.Atom)
		name := strings.ToUpper(string(a))
		if name == "UID" {
			res.UID = true
			continue
		}
		if i+1 >= len(vals) {
			return bad
		}
		i++
		var err error
		switch name {
		case "MIN":
			res.Min, err = num(vals[i])
		case "MAX":
			res.Max, err = num(vals[i])
		case "COUNT":
			res.Count, err = num(vals[i])
		case "ALL":
			set, _ := vals[i].(imap.Atom)
			res.All, err = orderedSet(string(set), c.maxResponses())
		case "PARTIAL":
			res.Partial, err = c.parsePartial(vals[i])
		default:
			// An extension's item: its value is skipped.
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// orderedSet expands a sequence set whose order matters (RFC 5267 §3.2):
// "5,3:4,1" is 5 3 4 1; "4:2" runs downwards. At most limit numbers.
func orderedSet(s string, limit int) ([]uint32, error) {
	bad := fmt.Errorf("%w: bad sequence set in ESEARCH ALL", ErrProtocol)
	if s == "" {
		return nil, bad
	}
	var out []uint32
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil || a == 0 {
			return nil, bad
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 32); err != nil || b == 0 {
				return nil, bad
			}
		}
		n := b - a
		if a > b {
			n = a - b
		}
		if uint64(len(out))+n+1 > uint64(limit) {
			return nil, errTooManyResponses
		}
		for x := a; ; {
			out = append(out, uint32(x))
			if x == b {
				break
			}
			if a < b {
				x++
			} else {
				x--
			}
		}
	}
	return out, nil
}

// ESort is an extended SORT (ESORT, RFC 5267 §3: "SORT RETURN (...)"):
// it returns the results selected by ret for the messages matching crit
// (nil: all) ordered by keys. The server must announce ESORT.
func (c *Client) ESort(ctx context.Context, ret SortReturn, keys []imap.SortCriterion, crit *imap.SearchCriteria) (*SortResult, error) {
	return c.esort(ctx, "SORT", ret, keys, crit)
}

// UIDESort is ESort with UIDs (UID SORT RETURN).
func (c *Client) UIDESort(ctx context.Context, ret SortReturn, keys []imap.SortCriterion, crit *imap.SearchCriteria) (*SortResult, error) {
	return c.esort(ctx, "UID SORT", ret, keys, crit)
}

func (c *Client) thread(ctx context.Context, name string, alg imap.ThreadAlgorithm, crit *imap.SearchCriteria) ([]imap.Thread, error) {
	if !imap.IsAtom(string(alg)) {
		return nil, fmt.Errorf("imapclient: bad thread algorithm %q", alg)
	}
	out := []imap.Thread{}
	cmd := &command{}
	cmd.onUntagged = func(n string, _ uint32, vals []imap.Value) bool {
		if n != "THREAD" {
			return false
		}
		ts, err := threadsFromValues(vals)
		if err != nil {
			cmd.err = err
			return true
		}
		out = append(out, ts...)
		return true
	}
	err := c.execute(ctx, cmd, name, func(e *imap.Encoder) {
		e.SP().Raw(string(alg)).SP().Raw(sortCharset).SP().Raw(searchString(crit))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Thread returns the threads of the messages matching crit (nil: all),
// numbered with sequence numbers (THREAD, RFC 5256). alg is usually
// [imap.ThreadReferences] or [imap.ThreadOrderedSubject]; the server must
// announce THREAD=alg. A [imap.Thread] with Num 0 groups messages whose
// common parent is not in the mailbox.
func (c *Client) Thread(ctx context.Context, alg imap.ThreadAlgorithm, crit *imap.SearchCriteria) ([]imap.Thread, error) {
	return c.thread(ctx, "THREAD", alg, crit)
}

// UIDThread is Thread numbered with UIDs (UID THREAD).
func (c *Client) UIDThread(ctx context.Context, alg imap.ThreadAlgorithm, crit *imap.SearchCriteria) ([]imap.Thread, error) {
	return c.thread(ctx, "UID THREAD", alg, crit)
}

// threadsFromValues converts the thread lists of a THREAD response, read
// as generic values, following RFC 5256 §5:
//
//	thread-list    = "(" (thread-members / thread-nested) ")"
//	thread-members = nz-number *(SP nz-number) [SP thread-nested]
//	thread-nested  = 2*thread-list
func threadsFromValues(vals []imap.Value) ([]imap.Thread, error) {
	out := make([]imap.Thread, 0, len(vals))
	for _, v := range vals {
		t, err := threadFromValue(v)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

var errBadThread = fmt.Errorf("%w: bad THREAD response", ErrProtocol)

func threadFromValue(v imap.Value) (imap.Thread, error) {
	l, ok := v.([]imap.Value)
	if !ok || len(l) == 0 {
		return imap.Thread{}, errBadThread
	}
	if _, nested := l[0].([]imap.Value); nested {
		kids, err := nestedThreads(l)
		return imap.Thread{Children: kids}, err
	}
	var root imap.Thread
	cur := &root
	for i, x := range l {
		if _, isList := x.([]imap.Value); isList {
			kids, err := nestedThreads(l[i:])
			if err != nil {
				return imap.Thread{}, err
			}
			cur.Children = kids
			return root, nil
		}
		n := atoi(x)
		if n <= 0 || n > 1<<32-1 {
			return imap.Thread{}, errBadThread
		}
		if i > 0 {
			cur.Children = []imap.Thread{{}}
			cur = &cur.Children[0]
		}
		cur.Num = uint32(n)
	}
	return root, nil
}

// nestedThreads converts thread-nested: two or more thread lists.
func nestedThreads(l []imap.Value) ([]imap.Thread, error) {
	if len(l) < 2 {
		return nil, errBadThread
	}
	kids := make([]imap.Thread, 0, len(l))
	for _, x := range l {
		if _, ok := x.([]imap.Value); !ok {
			return nil, errBadThread
		}
		t, err := threadFromValue(x)
		if err != nil {
			return nil, err
		}
		kids = append(kids, t)
	}
	return kids, nil
}
