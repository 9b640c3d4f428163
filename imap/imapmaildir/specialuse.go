package imapmaildir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// LIST-EXTENDED, LIST-STATUS, SPECIAL-USE and CREATE-SPECIAL-USE.

var (
	_ imapserver.ListExtendedSession     = (*session)(nil)
	_ imapserver.CreateSpecialUseSession = (*session)(nil)
)

// specialUseName is the per-folder file holding the folder's special-use
// attributes, one per line; when present it overrides the conventional
// names.
const specialUseName = "mailkit-specialuse"

// conventionalUses are the special uses of the top-level folder names
// Dovecot's default configuration gives them (Maildir++ .Sent, .Drafts,
// .Trash, .Junk, .Archive).
var conventionalUses = map[string]imap.MailboxAttr{
	"Sent":    imap.AttrSent,
	"Drafts":  imap.AttrDrafts,
	"Trash":   imap.AttrTrash,
	"Junk":    imap.AttrJunk,
	"Archive": imap.AttrArchive,
}

// creatableUses are the special uses CREATE can give: \All and \Flagged
// name virtual mailboxes, which Maildir does not have.
var creatableUses = []imap.MailboxAttr{imap.AttrArchive, imap.AttrDrafts, imap.AttrJunk, imap.AttrSent, imap.AttrTrash}

// maxSpecialUseFile bounds the special-use file read.
const maxSpecialUseFile = 4096

// specialUses returns the special-use attributes of the mailbox in dir:
// those of its mailkit-specialuse file, else the conventional ones of
// its name.
func specialUses(name, dir string) ([]imap.MailboxAttr, error) {
	f, err := os.Open(filepath.Join(dir, specialUseName))
	if errors.Is(err, os.ErrNotExist) {
		if a, ok := conventionalUses[name]; ok {
			return []imap.MailboxAttr{a}, nil
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("imapmaildir: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSpecialUseFile))
	if err != nil {
		return nil, fmt.Errorf("imapmaildir: %w", err)
	}
	var out []imap.MailboxAttr
	for _, l := range strings.Split(string(data), "\n") {
		if a, ok := imap.SpecialUseAttr(imap.MailboxAttr(strings.TrimSpace(l))); ok && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// Mailboxes implements [imapserver.ListExtendedSession]: the folders,
// their special uses and the subscriptions.
func (s *session) Mailboxes(ctx context.Context) (*imapserver.Mailboxes, error) {
	if s.root == nil {
		return nil, imapserver.ErrNoPerm
	}
	all, err := s.mailboxes(ctx)
	if err != nil {
		return nil, err
	}
	out := &imapserver.Mailboxes{List: make([]imapserver.MailboxInfo, 0, len(all))}
	for n := range all {
		var uses []imap.MailboxAttr
		if dir, err := s.dirOf(n); err == nil {
			if uses, err = specialUses(n, dir); err != nil {
				s.b.logger().Warn("imapmaildir: reading special use", "mailbox", n, "err", err)
			}
		}
		out.List = append(out.List, imapserver.MailboxInfo{Name: n, SpecialUse: uses})
	}
	subs, err := s.subscriptions()
	if err != nil {
		return nil, err
	}
	for n := range subs {
		out.Subscribed = append(out.Subscribed, n)
	}
	return out, nil
}

// CreateSpecialUse implements [imapserver.CreateSpecialUseSession]: the
// folder is created and its special uses written to its
// mailkit-specialuse file; if that fails the folder is removed again.
// \All and \Flagged are refused (NO [USEATTR]).
func (s *session) CreateSpecialUse(ctx context.Context, name string, opts *imap.CreateOptions) error {
	var uses []string
	for _, a := range opts.SpecialUse {
		c, ok := imap.SpecialUseAttr(a)
		if !ok || !slices.Contains(creatableUses, c) {
			return imapserver.ErrUseAttr
		}
		if !slices.Contains(uses, string(c)) {
			uses = append(uses, string(c))
		}
	}
	if strings.EqualFold(name, "INBOX") {
		return imapserver.ErrMailboxExists
	}
	if err := s.Create(ctx, name); err != nil {
		return err
	}
	dir, err := s.dirOf(name)
	if err == nil {
		err = writeFileAtomic(filepath.Join(dir, specialUseName), []byte(strings.Join(uses, "\n")+"\n"), s.b.fileMode())
	}
	if err != nil {
		if derr := s.Delete(ctx, name); derr != nil {
			s.b.logger().Warn("imapmaildir: removing folder after failed CREATE", "mailbox", name, "err", derr)
		}
		return err
	}
	return nil
}
