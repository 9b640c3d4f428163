package imapclient

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

// ErrNotSupported is returned, wrapped with the capability's name, when a
// command needs a capability the server did not announce (e.g.
// LIST-EXTENDED, LIST-STATUS, SPECIAL-USE, CREATE-SPECIAL-USE). Nothing
// was sent.
var ErrNotSupported = errors.New("imapclient: not supported by the server")

// ListMailbox is one mailbox of a [Client.ListExtended] reply.
type ListMailbox struct {
	// ListData holds the attributes (with \Subscribed, \NonExistent,
	// \HasChildren and special-use attributes such as \Sent), the
	// delimiter, the name and the CHILDINFO extended data.
	imap.ListData
	// Status is the STATUS reply the server sent for the mailbox with
	// "RETURN (STATUS (...))" (LIST-STATUS, RFC 5819); nil when not
	// asked for or not sent (e.g. for a \Noselect mailbox).
	Status *imap.StatusData
}

// listCaps returns the capabilities a LIST with patterns and opts needs.
func listCaps(patterns []string, o *imap.ListOptions) []string {
	var caps []string
	if len(patterns) != 1 || o.SelectSubscribed || o.SelectRemote || o.SelectRecursiveMatch ||
		o.SelectSpecialUse || o.ReturnSubscribed || o.ReturnChildren || o.ReturnSpecialUse {
		caps = append(caps, "LIST-EXTENDED")
	}
	if o.SelectSpecialUse || o.ReturnSpecialUse {
		caps = append(caps, "SPECIAL-USE")
	}
	if o.ReturnStatus != nil {
		caps = append(caps, "LIST-STATUS")
	}
	return caps
}

// ListExtended lists the mailboxes matching any of patterns (UTF-8, with
// the * and % wildcards) under ref, with the selection and return options
// of LIST-EXTENDED (RFC 5258), SPECIAL-USE (RFC 6154) and LIST-STATUS
// (RFC 5819); nil opts means none. Options the server does not announce
// fail with [ErrNotSupported] before anything is sent. With
// opts.ReturnStatus, each selectable mailbox listed gets its STATUS in
// [ListMailbox.Status], in one round trip. Selection options imply
// their return options on the server (SUBSCRIBED gives \Subscribed).
func (c *Client) ListExtended(ctx context.Context, ref string, patterns []string, opts *imap.ListOptions) ([]*ListMailbox, error) {
	if opts == nil {
		opts = &imap.ListOptions{}
	}
	if len(patterns) == 0 {
		return nil, errors.New("imapclient: LIST without a pattern")
	}
	if opts.SelectRecursiveMatch && !opts.Selective() {
		return nil, errors.New("imapclient: RECURSIVEMATCH needs SUBSCRIBED or SPECIAL-USE")
	}
	if opts.ReturnStatus != nil && len(opts.ReturnStatus.Items()) == 0 {
		return nil, errors.New("imapclient: LIST RETURN (STATUS) without items")
	}
	for _, cp := range listCaps(patterns, opts) {
		if !c.Has(cp) {
			return nil, fmt.Errorf("%w: %s", ErrNotSupported, cp)
		}
	}
	lc := &imap.ListCommand{Ref: imap.EncodeMailbox(ref), Options: *opts, Extended: len(patterns) > 1}
	for _, p := range patterns {
		lc.Patterns = append(lc.Patterns, imap.EncodeMailbox(p))
	}
	var out []*ListMailbox
	byName := map[string]*ListMailbox{}
	cmd := &command{}
	cmd.onUntagged = func(n string, _ uint32, vals []imap.Value) bool {
		switch n {
		case "LIST":
			d, ok := listDataFromValues(vals)
			if !ok {
				return false
			}
			if len(vals) > 3 {
				d.ChildInfo = childInfo(vals[3])
			}
			if len(out) >= c.maxResponses() {
				cmd.err = errTooManyResponses
				return true
			}
			m := &ListMailbox{ListData: *d}
			out = append(out, m)
			byName[d.Mailbox] = m
			return true
		case "STATUS":
			name, l, ok := statusValues(vals)
			if !ok {
				return false
			}
			m := byName[name]
			if m == nil {
				return false // unsolicited: an update
			}
			m.Status = &imap.StatusData{Mailbox: name}
			statusFromValues(m.Status, l)
			return true
		}
		return false
	}
	err := c.execute(ctx, cmd, "LIST", lc.Encode)
	return out, err
}

// childInfo returns the CHILDINFO item of LIST extended data ("(" tag SP
// value ... ")", RFC 5258 §3.5); other items are ignored.
func childInfo(v imap.Value) []string {
	l, _ := v.([]imap.Value)
	var out []string
	for i := 0; i+1 < len(l); i += 2 {
		tag, ok := valueText(l[i])
		if !ok || !strings.EqualFold(tag, "CHILDINFO") {
			continue
		}
		items, _ := l[i+1].([]imap.Value)
		for _, it := range items {
			if s, ok := valueText(it); ok {
				out = append(out, strings.ToUpper(s))
			}
		}
	}
	return out
}

func valueText(v imap.Value) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case imap.Atom:
		return string(x), true
	}
	return "", false
}

// statusValues splits a STATUS response into the decoded mailbox name and
// its item list.
func statusValues(vals []imap.Value) (string, []imap.Value, bool) {
	if len(vals) < 2 {
		return "", nil, false
	}
	raw, ok := valueText(vals[0])
	if !ok {
		return "", nil, false
	}
	l, ok := vals[1].([]imap.Value)
	if !ok {
		return "", nil, false
	}
	if strings.EqualFold(raw, "INBOX") {
		return "INBOX", l, true
	}
	name, err := imap.DecodeMailbox(raw)
	if err != nil {
		name = raw
	}
	return name, l, true
}

// statusFromValues fills data from the "(item value ...)" list of a
// STATUS response.
func statusFromValues(data *imap.StatusData, l []imap.Value) {
	for i := 0; i+1 < len(l); i += 2 {
		k, _ := l[i].(imap.Atom)
		v := uint32(atoi(l[i+1]))
		switch strings.ToUpper(string(k)) {
		case "MESSAGES":
			data.NumMessages = &v
		case "RECENT":
			data.NumRecent = &v
		case "UIDNEXT":
			data.UIDNext = v
		case "UIDVALIDITY":
			data.UIDValidity = v
		case "UNSEEN":
			data.NumUnseen = &v
		case "DELETED":
			data.NumDeleted = &v
		case "SIZE":
			sz := atoi(l[i+1])
			data.Size = &sz
		case "HIGHESTMODSEQ":
			data.HighestModSeq, _ = parseModSeq(l[i+1])
		}
	}
}

// CreateWithOptions creates a mailbox with options: special-use
// attributes (CREATE-SPECIAL-USE, RFC 6154 §3, "CREATE name (USE
// (\Sent))"). Without options it is [Client.Create]. A server that
// cannot give the attributes answers NO [USEATTR] (a [*StatusError] with
// Code "USEATTR") and creates nothing.
func (c *Client) CreateWithOptions(ctx context.Context, mailbox string, opts *imap.CreateOptions) error {
	if opts == nil || len(opts.SpecialUse) == 0 {
		return c.Create(ctx, mailbox)
	}
	for _, a := range opts.SpecialUse {
		if !strings.HasPrefix(string(a), `\`) || !imap.IsAtom(string(a[1:])) {
			return fmt.Errorf("imapclient: invalid special-use attribute %q", a)
		}
	}
	if !c.Has("CREATE-SPECIAL-USE") {
		return fmt.Errorf("%w: CREATE-SPECIAL-USE", ErrNotSupported)
	}
	return c.execute(ctx, &command{}, "CREATE", func(e *imap.Encoder) {
		e.SP().Mailbox(mailbox, false).Raw(" (USE (")
		for i, a := range opts.SpecialUse {
			if i > 0 {
				e.SP()
			}
			e.Raw(string(a))
		}
		e.Raw("))")
	})
}
