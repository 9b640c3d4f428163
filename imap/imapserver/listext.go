package imapserver

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

// This file holds LIST-EXTENDED (RFC 5258), SPECIAL-USE and
// CREATE-SPECIAL-USE (RFC 6154) and LIST-STATUS (RFC 5819).

// MailboxInfo describes one existing mailbox for LIST-EXTENDED
// ([ListExtendedSession]).
type MailboxInfo struct {
	// Name is the UTF-8 name ("INBOX" for the inbox), "/" separating
	// the levels of the hierarchy.
	Name string
	// NoSelect reports a name that exists but cannot be selected, e.g.
	// one kept for its children after DELETE (RFC 3501 §6.3.4).
	NoSelect bool
	// NoInferiors reports that no child can be created under the name.
	NoInferiors bool
	// SpecialUse are the mailbox's special-use attributes (RFC 6154),
	// e.g. [imap.AttrSent]; nil: none.
	SpecialUse []imap.MailboxAttr
}

// Mailboxes is what a [ListExtendedSession] reports: the user's
// mailboxes and subscriptions at one moment.
type Mailboxes struct {
	// List holds every existing mailbox, in any order. Hierarchy levels
	// without a mailbox of their own are not listed: the server derives
	// them from the names.
	List []MailboxInfo
	// Subscribed are the UTF-8 names the user is subscribed to, whether
	// the mailboxes exist or not.
	Subscribed []string
}

// ListExtendedSession is the optional interface for LIST-EXTENDED (RFC
// 5258), SPECIAL-USE (RFC 6154) and LIST-STATUS (RFC 5819). With it the
// server announces the three capabilities and answers every LIST (not
// LSUB, which still goes to [Session.List]) from the snapshot Mailboxes
// returns: pattern matching, selection options (SUBSCRIBED, REMOTE,
// RECURSIVEMATCH, SPECIAL-USE), return options (SUBSCRIBED, CHILDREN,
// SPECIAL-USE, STATUS), \NonExistent, \Subscribed, \HasChildren,
// \HasNoChildren and CHILDINFO are computed by the server. The STATUS
// replies of "RETURN (STATUS (...))" come from [Session.Status], called
// once per selectable mailbox listed, after Mailboxes returned.
type ListExtendedSession interface {
	// Mailboxes returns the user's mailboxes and subscriptions.
	Mailboxes(ctx context.Context) (*Mailboxes, error)
}

// CreateSpecialUseSession is the optional CREATE-SPECIAL-USE extension
// (RFC 6154 §3): "CREATE name (USE (\Sent))". With it the server
// announces CREATE-SPECIAL-USE and calls CreateSpecialUse for a CREATE
// with special-use attributes (a plain CREATE still calls
// [Session.Create]). The server refuses attributes that are not
// special-use ones with [ErrUseAttr] before calling it.
type CreateSpecialUseSession interface {
	// CreateSpecialUse creates mailbox with the special-use attributes
	// of opts. If the mailbox cannot get them it must not be created:
	// return [ErrUseAttr] (NO [USEATTR]) when the attributes are the
	// reason.
	CreateSpecialUse(ctx context.Context, mailbox string, opts *imap.CreateOptions) error
}

// ErrUseAttr is the reply to a CREATE whose special-use attributes are
// not supported or cannot be given to that mailbox (RFC 6154 §3, NO
// [USEATTR]).
var ErrUseAttr = &Error{Type: StatusNO, Code: "USEATTR", Text: "Special-use attribute not supported for this mailbox"}

// listExtended answers LIST through a ListExtendedSession.
func (c *conn) listExtended(ctx context.Context, les ListExtendedSession) error {
	cmd, err := c.dec.ListCommand()
	if err != nil {
		return err
	}
	if err := c.endLine(); err != nil {
		return err
	}
	ref, err := mailboxName(cmd.Ref)
	if err != nil {
		ref = cmd.Ref
	}
	var pats []string
	delimDone := false
	for _, p := range cmd.Patterns {
		if p == "" {
			// The hierarchy delimiter (RFC 3501 §6.3.8), for extended
			// LIST too (RFC 5258 §3).
			if !delimDone {
				c.enc.Raw(`* LIST (\Noselect) "/" ""`).CRLF()
				delimDone = true
			}
			continue
		}
		d, err := imap.DecodeMailbox(p)
		if err != nil {
			d = p
		}
		pats = append(pats, d)
	}
	if len(pats) == 0 {
		return nil
	}
	opts := cmd.Options.Implied()
	mbs, err := les.Mailboxes(ctx)
	if err != nil {
		return err
	}
	for _, d := range computeList(mbs, ref, pats, &opts, cmd.Extended) {
		writeListData(c.enc, d)
		if opts.ReturnStatus == nil || !selectable(d) {
			continue
		}
		st, err := c.sess.Status(ctx, d.Mailbox, opts.ReturnStatus)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			// The mailbox went away or cannot be read: RFC 5819 §2
			// lets the server leave its STATUS out.
			if !isReply(err) {
				c.log.Warn("imapserver: LIST-STATUS", "mailbox", d.Mailbox, "err", err)
			}
			continue
		}
		c.writeStatus(d.Mailbox, opts.ReturnStatus, st)
	}
	return c.enc.Err()
}

// selectable reports whether a listed mailbox can get a STATUS.
func selectable(d *imap.ListData) bool {
	for _, a := range d.Attrs {
		if a == imap.AttrNoSelect || a == imap.AttrNonExistent {
			return false
		}
	}
	return true
}

// writeListData writes "* LIST (attrs) "/" name" with the CHILDINFO
// extended data item when d has one.
func writeListData(e *imap.Encoder, d *imap.ListData) {
	e.Raw("* LIST (")
	for i, a := range d.Attrs {
		if i > 0 {
			e.SP()
		}
		e.Raw(string(a))
	}
	e.Raw(") ")
	if d.Delim == 0 {
		e.Nil()
	} else {
		e.Quoted(string(d.Delim))
	}
	e.SP().Mailbox(d.Mailbox, false)
	if len(d.ChildInfo) > 0 {
		e.Raw(` ("CHILDINFO" (`)
		for i, ci := range d.ChildInfo {
			if i > 0 {
				e.SP()
			}
			e.Quoted(ci)
		}
		e.Raw("))")
	}
	e.CRLF()
}

// writeStatus writes "* STATUS name (items)": the items of opts that d
// holds.
func (c *conn) writeStatus(name string, opts *imap.StatusOptions, d *imap.StatusData) {
	e := c.enc
	e.Raw("* STATUS ").Mailbox(name, false).Raw(" (")
	n := 0
	item := func(k string) *imap.Encoder {
		if n > 0 {
			e.SP()
		}
		n++
		return e.Raw(k).SP()
	}
	if opts.NumMessages && d.NumMessages != nil {
		item("MESSAGES").Number(*d.NumMessages)
	}
	if opts.NumRecent && d.NumRecent != nil {
		item("RECENT").Number(*d.NumRecent)
	}
	if opts.UIDNext {
		item("UIDNEXT").Number(d.UIDNext)
	}
	if opts.UIDValidity {
		item("UIDVALIDITY").Number(d.UIDValidity)
	}
	if opts.NumUnseen && d.NumUnseen != nil {
		item("UNSEEN").Number(*d.NumUnseen)
	}
	if opts.Size && d.Size != nil {
		item("SIZE").Number64(*d.Size)
	}
	if opts.NumDeleted && d.NumDeleted != nil {
		item("DELETED").Number(*d.NumDeleted)
	}
	if opts.HighestModSeq && d.HighestModSeq != 0 {
		item("HIGHESTMODSEQ").Number64(int64(d.HighestModSeq))
	}
	e.Raw(")").CRLF()
}

// computeList answers an (extended) LIST from a snapshot of the
// mailboxes: patterns are decoded and ref is the decoded reference, o
// holds the options with their implied return options. Extended says the
// command used the RFC 5258 syntax (names that do not exist are then
// \NonExistent rather than \Noselect). The result is sorted by name.
//
// The rules are those of RFC 5258 §3: with SUBSCRIBED (and/or
// SPECIAL-USE, RFC 6154 §3) only the names meeting the selection
// criteria are listed (subscribed names whether they exist or not);
// RECURSIVEMATCH adds, with CHILDINFO, every name matching a pattern that
// has a descendant meeting the criteria which matches no pattern (§3.5,
// example 9: a parent whose matching descendants are all listed
// themselves gets no CHILDINFO). Children attributes are always
// computed from existing mailboxes (CHILDREN is announced); special-use
// attributes are always given (RFC 6154 §2 allows them without the
// SPECIAL-USE return option).
func computeList(m *Mailboxes, ref string, patterns []string, o *imap.ListOptions, extended bool) []*imap.ListData {
	info := make(map[string]*MailboxInfo, len(m.List))
	for i := range m.List {
		info[m.List[i].Name] = &m.List[i]
	}
	subs := make(map[string]bool, len(m.Subscribed))
	for _, n := range m.Subscribed {
		subs[n] = true
	}
	// hasKids holds every name with an existing descendant; those that
	// are not mailboxes themselves are the implied hierarchy levels.
	hasKids := map[string]bool{}
	for n := range info {
		for i := 1; i < len(n); i++ {
			if n[i] == '/' {
				hasKids[n[:i]] = true
			}
		}
	}
	meets := func(n string) bool {
		if o.SelectSubscribed && !subs[n] {
			return false
		}
		if o.SelectSpecialUse {
			if mi := info[n]; mi == nil || len(mi.SpecialUse) == 0 {
				return false
			}
		}
		return true
	}
	matches := func(n string) bool { return MatchListAny(ref, patterns, n, '/') }

	var candidates []string
	switch {
	case o.SelectSubscribed:
		for n := range subs {
			candidates = append(candidates, n)
		}
	case o.SelectSpecialUse:
		for n, mi := range info {
			if len(mi.SpecialUse) > 0 {
				candidates = append(candidates, n)
			}
		}
	default:
		for n := range info {
			candidates = append(candidates, n)
		}
		for n := range hasKids {
			if info[n] == nil {
				candidates = append(candidates, n)
			}
		}
	}
	listed := map[string]bool{}
	childInfo := map[string]bool{}
	for _, n := range candidates {
		if !meets(n) {
			continue
		}
		if matches(n) {
			listed[n] = true
			continue
		}
		if o.SelectRecursiveMatch {
			for i := len(n) - 1; i > 0; i-- {
				if n[i] == '/' && matches(n[:i]) {
					childInfo[n[:i]] = true
				}
			}
		}
	}
	names := make([]string, 0, len(listed)+len(childInfo))
	for n := range listed {
		names = append(names, n)
	}
	for n := range childInfo {
		if !listed[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var criteria []string
	if o.SelectSubscribed {
		criteria = append(criteria, "SUBSCRIBED")
	}
	if o.SelectSpecialUse {
		criteria = append(criteria, "SPECIAL-USE")
	}
	out := make([]*imap.ListData, 0, len(names))
	for _, n := range names {
		d := &imap.ListData{Mailbox: n, Delim: '/'}
		mi := info[n]
		switch {
		case mi == nil && extended:
			d.Attrs = append(d.Attrs, imap.AttrNonExistent)
		case mi == nil:
			d.Attrs = append(d.Attrs, imap.AttrNoSelect)
		default:
			if mi.NoSelect {
				d.Attrs = append(d.Attrs, imap.AttrNoSelect)
			}
			if mi.NoInferiors {
				d.Attrs = append(d.Attrs, imap.AttrNoInferiors)
			}
		}
		if hasKids[n] {
			d.Attrs = append(d.Attrs, imap.AttrHasChildren)
		} else if mi != nil && !mi.NoInferiors {
			d.Attrs = append(d.Attrs, imap.AttrHasNoChildren)
		}
		if o.ReturnSubscribed && subs[n] {
			d.Attrs = append(d.Attrs, imap.AttrSubscribed)
		}
		if mi != nil {
			for _, a := range mi.SpecialUse {
				if a, ok := imap.SpecialUseAttr(a); ok && !slices.Contains(d.Attrs, a) {
					d.Attrs = append(d.Attrs, a)
				}
			}
		}
		if childInfo[n] {
			d.ChildInfo = criteria
		}
		out = append(out, d)
	}
	return out
}

// createSpecialUse answers "CREATE name (USE (...))".
func (c *conn) createSpecialUse(ctx context.Context, name string, opts *imap.CreateOptions) error {
	for i, a := range opts.SpecialUse {
		ca, ok := imap.SpecialUseAttr(a)
		if !ok {
			return ErrUseAttr
		}
		opts.SpecialUse[i] = ca
	}
	cs, ok := c.sess.(CreateSpecialUseSession)
	if !ok {
		return ErrUseAttr
	}
	return cs.CreateSpecialUse(ctx, name, opts)
}

// listExtCaps returns the capabilities of this file the session offers.
func (c *conn) listExtCaps() []string {
	var caps []string
	if _, ok := c.sess.(ListExtendedSession); ok {
		caps = append(caps, "LIST-EXTENDED", "SPECIAL-USE", "LIST-STATUS")
	}
	if _, ok := c.sess.(CreateSpecialUseSession); ok {
		caps = append(caps, "CREATE-SPECIAL-USE")
	}
	return caps
}

// trimMailboxName removes trailing delimiters from a name to create and
// refuses empty levels.
func trimMailboxName(name string) (string, error) {
	name = strings.TrimRight(name, "/")
	if name == "" || strings.Contains(name, "//") {
		return "", &Error{Type: StatusNO, Code: "CANNOT", Text: "Invalid mailbox name"}
	}
	return name, nil
}
