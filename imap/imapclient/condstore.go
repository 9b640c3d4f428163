package imapclient

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

// This file is the client side of CONDSTORE (RFC 7162 §3.1). The rest is
// in the ordinary commands: [imap.FetchOptions.ModSeq] and
// [imap.FetchOptions.ChangedSince] for FETCH ([FetchMessage.ModSeq]),
// [imap.StoreFlags.UnchangedSince] for STORE ([ModifiedError]),
// [imap.SelectOptions.CondStore] for SELECT and EXAMINE
// ([imap.SelectData.HighestModSeq]), [imap.StatusOptions.HighestModSeq]
// for STATUS and [imap.SearchCriteria.ModSeq] for SEARCH
// ([Client.SearchModSeq]).

// ModifiedError is returned by [Client.Store] and [Client.UIDStore] when a
// STORE with UNCHANGEDSINCE completed but left some messages alone
// because they changed since (RFC 7162 §3.1.3: "OK [MODIFIED set]"). The
// other messages were stored and their FETCH responses are returned
// with it.
type ModifiedError struct {
	// Modified are the sequence numbers (UIDs for UID STORE) of the
	// messages that were not changed.
	Modified imap.SeqSet
}

func (e *ModifiedError) Error() string {
	return "imapclient: conditional STORE failed for " + e.Modified.String()
}

// parseModSeq reads a mod-sequence value (1 to 2^63-1, RFC 7162 §7).
func parseModSeq(v imap.Value) (uint64, bool) {
	a, ok := v.(imap.Atom)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(string(a), 10, 63)
	return n, err == nil
}

// Enable sends ENABLE (RFC 5161) and returns the capabilities the server
// enabled, e.g. Enable(ctx, "CONDSTORE"). Enabling CONDSTORE makes the
// server add MODSEQ to the flag updates it sends
// ([FetchMessage.ModSeq]).
func (c *Client) Enable(ctx context.Context, caps ...string) ([]string, error) {
	if len(caps) == 0 {
		return nil, fmt.Errorf("imapclient: ENABLE needs a capability")
	}
	for _, s := range caps {
		if !imap.IsAtom(s) {
			return nil, fmt.Errorf("imapclient: invalid capability %q", s)
		}
	}
	if !c.Has("ENABLE") {
		return nil, fmt.Errorf("%w: ENABLE", ErrNotSupported)
	}
	var enabled []string
	cmd := &command{}
	cmd.onUntagged = func(n string, _ uint32, vals []imap.Value) bool {
		if n != "ENABLED" {
			return false
		}
		for _, v := range vals {
			if a, ok := v.(imap.Atom); ok {
				enabled = append(enabled, strings.ToUpper(string(a)))
			}
		}
		return true
	}
	err := c.execute(ctx, cmd, "ENABLE", func(e *imap.Encoder) {
		for _, s := range caps {
			e.SP().Raw(s)
		}
	})
	return enabled, err
}

// SearchModSeq runs SEARCH (UID SEARCH for kind [imap.NumUID]) with
// criteria that use MODSEQ and returns the numbers found and the highest
// mod-sequence among them (RFC 7162 §3.1.5; 0 when nothing matched).
func (c *Client) SearchModSeq(ctx context.Context, kind imap.NumKind, crit *imap.SearchCriteria) ([]uint32, uint64, error) {
	name := "SEARCH"
	if kind == imap.NumUID {
		name = "UID SEARCH"
	}
	return c.searchModSeq(ctx, name, crit)
}
