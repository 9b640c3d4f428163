package imapmaildir

import (
	"context"
	"errors"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// errNoURLMessage: a CATENATE URL names a UID not in its mailbox.
var errNoURLMessage = errors.New("imapmaildir: no message with the URL's UID")

// errForeignURL: a CATENATE URL of another user or server.
var errForeignURL = errors.New("imapmaildir: IMAP URL of another user or server")

// CatenateMessage implements [imapserver.CatenateSession]: it reads the
// message u names from the user's own folders. An absolute URL must
// name this user and one of Backend.URLHosts.
func (s *session) CatenateMessage(ctx context.Context, u *imap.URL) (uint32, []byte, error) {
	if u.Absolute() && (u.User != s.user || !hostIn(u.Host, s.b.URLHosts)) {
		return 0, nil, errForeignURL
	}
	if s.user == "" {
		return 0, nil, imapserver.ErrNoSuchMailbox
	}
	f, err := s.folderByName(u.Mailbox)
	if err != nil {
		return 0, nil, err
	}
	f.mu.Lock()
	if err := f.sync(ctx); err != nil {
		f.mu.Unlock()
		return 0, nil, err
	}
	uv := f.uidValidity
	m := f.byUID[u.UID]
	var path string
	if m != nil {
		path = m.path(f.dir)
	}
	f.mu.Unlock()
	if m == nil {
		return 0, nil, errNoURLMessage
	}
	raw, err := f.readMessage(ctx, m, path)
	if err != nil {
		return 0, nil, err
	}
	return uv, raw, nil
}

// hostIn reports whether host is one of hosts (case-insensitive).
func hostIn(host string, hosts []string) bool {
	for _, h := range hosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}
