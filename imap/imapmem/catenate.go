package imapmem

import (
	"context"
	"errors"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

var (
	// errForeignURL: a CATENATE URL of another user or server.
	errForeignURL = errors.New("imapmem: IMAP URL of another user or server")
	// errNoURLMessage: a CATENATE URL names a UID not in its mailbox.
	errNoURLMessage = errors.New("imapmem: no message with the URL's UID")
)

// CatenateMessage implements [imapserver.CatenateSession]: it returns the
// message u names in the user's own mailboxes. An absolute URL must name
// this user and one of Backend.URLHosts.
func (s *session) CatenateMessage(ctx context.Context, u *imap.URL) (uint32, []byte, error) {
	if s.u == nil {
		return 0, nil, errForeignURL
	}
	if u.Absolute() && (u.User != s.u.name || !hostIn(u.Host, s.b.URLHosts)) {
		return 0, nil, errForeignURL
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	mb, err := s.mailboxLocked(u.Mailbox)
	if err != nil {
		return 0, nil, err
	}
	m := mb.byUID[u.UID]
	if m == nil {
		return 0, nil, errNoURLMessage
	}
	return mb.uidValidity, m.raw, nil // raw is never modified
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
