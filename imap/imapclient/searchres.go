package imapclient

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

// SearchOptions are the RETURN options of an extended SEARCH (ESEARCH,
// RFC 4731) with SAVE (SEARCHRES, RFC 5182). A nil or zero
// SearchOptions asks for ALL.
type SearchOptions struct {
	// Min, Max, All and Count ask for the lowest matching number, the
	// highest, all of them, and their number.
	Min, Max, All, Count bool
	// Save asks the server to keep the result as "$" ([imap.SavedResult]),
	// usable as the set of a later FETCH, STORE, COPY, MOVE, UID EXPUNGE
	// or SEARCH in the same selected mailbox (the server must announce
	// SEARCHRES). With Min and/or Max and neither All nor Count only
	// those messages are kept. Save alone gets no ESEARCH reply: the
	// [SearchResult] is then empty.
	Save bool
	// Update keeps the search as a context whose changes the server
	// reports until [Client.CancelUpdate] (RFC 5267 §4; the server must
	// announce CONTEXT=SEARCH): see [ParseContextUpdate].
	Update bool
	// Partial asks for a range of positions of the result (RFC 5267
	// §4.4, CONTEXT=SEARCH); nil: none.
	Partial *PartialRange
}

// String formats o as the RETURN option of SEARCH, e.g. "RETURN (MIN
// SAVE)"; "RETURN ()" asks for ALL.
func (o *SearchOptions) String() string {
	if o == nil {
		return "RETURN ()"
	}
	var opts []string
	for _, x := range []struct {
		on   bool
		name string
	}{{o.Min, "MIN"}, {o.Max, "MAX"}, {o.All, "ALL"}, {o.Count, "COUNT"}, {o.Save, "SAVE"}, {o.Update, "UPDATE"}} {
		if x.on {
			opts = append(opts, x.name)
		}
	}
	if o.Partial != nil {
		opts = append(opts, fmt.Sprintf("PARTIAL %d:%d", o.Partial.First, o.Partial.Last))
	}
	return "RETURN (" + strings.Join(opts, " ") + ")"
}

// SearchResult is the reply to an extended SEARCH (an ESEARCH response).
// Fields not asked for, and Min and Max when nothing matched, are zero.
type SearchResult struct {
	// UID is true when the numbers are UIDs (UID SEARCH).
	UID bool
	// Min and Max are the lowest and highest matching number.
	Min, Max uint32
	// All lists the matching numbers in ascending order.
	All []uint32
	// Count is the number of matching messages.
	Count uint32
	// Partial is the PARTIAL result (when asked for).
	Partial *PartialResult
	// Tag is the command's tag, which names the update context of
	// [SearchOptions].Update (empty without Update).
	Tag string
}

// ESearch is an extended SEARCH (RFC 4731: "SEARCH RETURN (...)", or UID
// SEARCH when kind is [imap.NumUID]) for the messages matching crit (nil:
// all). The server must announce ESEARCH, and SEARCHRES for opts.Save.
// crit may use "$" ([imap.SavedResult]) as a sequence-number or UID key.
func (c *Client) ESearch(ctx context.Context, kind imap.NumKind, opts *SearchOptions, crit *imap.SearchCriteria) (*SearchResult, error) {
	if opts != nil {
		if err := opts.Partial.valid(); err != nil {
			return nil, err
		}
	}
	name := "SEARCH"
	if kind == imap.NumUID {
		name = "UID SEARCH"
	}
	var res SortResult
	cmd := &command{}
	cmd.onUntagged = func(n string, _ uint32, vals []imap.Value) bool {
		if n != "ESEARCH" || !esearchFor(vals, cmd.tag) {
			return false
		}
		if err := c.parseESort(&res, vals[1:]); err != nil {
			cmd.err = err
		}
		return true
	}
	err := c.execute(ctx, cmd, name, func(e *imap.Encoder) {
		e.SP().Raw(opts.String()).SP().Raw(searchString(crit))
	})
	if err != nil {
		return nil, err
	}
	out := &SearchResult{UID: res.UID, Min: res.Min, Max: res.Max, All: res.All, Count: res.Count, Partial: res.Partial}
	if opts != nil && opts.Update {
		out.Tag = cmd.tag
	}
	return out, nil
}
