package imapmem

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// LIST-EXTENDED, LIST-STATUS, SPECIAL-USE and CREATE-SPECIAL-USE.

var (
	_ imapserver.ListExtendedSession     = (*session)(nil)
	_ imapserver.CreateSpecialUseSession = (*session)(nil)
)

// creatableUses are the special uses a mailbox can be created with or
// given: \All and \Flagged name virtual mailboxes, which this backend
// does not have.
var creatableUses = []imap.MailboxAttr{imap.AttrArchive, imap.AttrDrafts, imap.AttrJunk, imap.AttrSent, imap.AttrTrash}

// ErrUnsupportedUse is returned by [Backend.SetSpecialUse] for an
// attribute that is not one of \Archive, \Drafts, \Junk, \Sent, \Trash.
var ErrUnsupportedUse = errors.New("imapmem: unsupported special-use attribute")

// canonicalUses returns attrs in canonical spelling without duplicates,
// or false when one is not a supported special use.
func canonicalUses(attrs []imap.MailboxAttr) ([]imap.MailboxAttr, bool) {
	var out []imap.MailboxAttr
	for _, a := range attrs {
		c, ok := imap.SpecialUseAttr(a)
		if !ok || !slices.Contains(creatableUses, c) {
			return nil, false
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, true
}

// SetSpecialUse sets the special-use attributes (RFC 6154) of a user's
// mailbox, replacing the previous ones (none: clear them). Supported are
// \Archive, \Drafts, \Junk, \Sent and \Trash; several mailboxes may have
// the same one. They follow the mailbox through RENAME and go with
// DELETE.
func (b *Backend) SetSpecialUse(username, mailbox string, attrs ...imap.MailboxAttr) error {
	uses, ok := canonicalUses(attrs)
	if !ok {
		return ErrUnsupportedUse
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.users[username]
	if !ok {
		return fmt.Errorf("imapmem: no user %q", username)
	}
	mb := u.mailboxes[mailbox]
	if mb == nil || mb.noSelect {
		return imapserver.ErrNoSuchMailbox
	}
	mb.specialUse = uses
	return nil
}

// Mailboxes implements [imapserver.ListExtendedSession].
func (s *session) Mailboxes(ctx context.Context) (*imapserver.Mailboxes, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	out := &imapserver.Mailboxes{List: make([]imapserver.MailboxInfo, 0, len(s.u.mailboxes))}
	for n, mb := range s.u.mailboxes {
		out.List = append(out.List, imapserver.MailboxInfo{Name: n, NoSelect: mb.noSelect, SpecialUse: slices.Clone(mb.specialUse)})
	}
	for n := range s.u.subscribed {
		out.Subscribed = append(out.Subscribed, n)
	}
	return out, nil
}

// CreateSpecialUse implements [imapserver.CreateSpecialUseSession]: the
// mailbox is created with the attributes or, for \All or \Flagged, not
// at all (NO [USEATTR]).
func (s *session) CreateSpecialUse(ctx context.Context, name string, opts *imap.CreateOptions) error {
	uses, ok := canonicalUses(opts.SpecialUse)
	if !ok {
		return imapserver.ErrUseAttr
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	mb, err := s.createLocked(name)
	if err != nil {
		return err
	}
	mb.specialUse = uses
	return nil
}
