package main

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mailkit-go/mailkit/maildir"
	"github.com/mailkit-go/mailkit/pop3"
	"github.com/mailkit-go/mailkit/sasl"
)

// mailstore keeps the local users, their passwords and one Maildir each
// (<root>/<domain>/<local-part>/Maildir). Messages are stored exactly as
// the SMTP server passed them on, with CRLF line endings, so the size in a
// Maildir file name is also the size POP3 announces.
type mailstore struct {
	root     string
	hostname string
	users    map[string]string // lower-case address -> password

	mu     sync.Mutex
	boxes  map[string]*maildir.Maildir
	locked map[string]bool // POP3 sessions holding a mailbox (RFC 1939 §8)
}

func newMailstore(root, hostname string, users map[string]string) *mailstore {
	s := &mailstore{root: root, hostname: hostname, users: map[string]string{},
		boxes: map[string]*maildir.Maildir{}, locked: map[string]bool{}}
	for u, p := range users {
		s.users[strings.ToLower(u)] = p
	}
	return s
}

// exists reports whether addr is a local user.
func (s *mailstore) exists(addr string) bool {
	_, ok := s.users[strings.ToLower(addr)]
	return ok
}

// checkPassword compares in constant time.
func (s *mailstore) checkPassword(user string, pass []byte) bool {
	want, ok := s.users[strings.ToLower(user)]
	return ok && subtle.ConstantTimeCompare([]byte(want), pass) == 1
}

// box opens (creating on first use) the Maildir of a local user.
func (s *mailstore) box(addr string) (*maildir.Maildir, error) {
	addr = strings.ToLower(addr)
	if !s.exists(addr) {
		return nil, fmt.Errorf("quickstart: no such user %q", addr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if md := s.boxes[addr]; md != nil {
		return md, nil
	}
	local, domain, _ := strings.Cut(addr, "@")
	md, err := maildir.Create(filepath.Join(s.root, domain, local, "Maildir"), &maildir.Options{Hostname: s.hostname})
	if err != nil {
		return nil, err
	}
	s.boxes[addr] = md
	return md, nil
}

// deliver stores msg for a local user; it returns once the message is on
// disk (maildir fsyncs before it returns).
func (s *mailstore) deliver(ctx context.Context, addr string, msg []byte) (maildir.Message, error) {
	md, err := s.box(addr)
	if err != nil {
		return maildir.Message{}, err
	}
	return md.Deliver(ctx, bytes.NewReader(msg))
}

// LookupCredentials implements sasl.Credentials for the submission server.
func (s *mailstore) LookupCredentials(_ context.Context, user string) (*sasl.Secret, error) {
	p, ok := s.users[strings.ToLower(user)]
	if !ok {
		return nil, sasl.ErrUnknownUser
	}
	return &sasl.Secret{Password: []byte(p)}, nil
}

// pop3Backend serves the Maildirs over POP3. It is the adapter between the
// storage package and the protocol package, which is why it lives here.
type pop3Backend struct {
	store  *mailstore
	events *eventLog
}

// NewSession implements pop3.Backend.
func (b *pop3Backend) NewSession(context.Context, *pop3.ConnInfo) (pop3.Session, error) {
	return &pop3Session{b: b}, nil
}

type pop3Session struct{ b *pop3Backend }

func (s *pop3Session) Login(_ context.Context, user string, pass []byte) error {
	if !s.b.store.checkPassword(user, pass) {
		return pop3.ErrAuth
	}
	return nil
}

func (s *pop3Session) Open(ctx context.Context, user string) (pop3.Mailbox, error) {
	st := s.b.store
	md, err := st.box(user)
	if err != nil {
		return nil, err
	}
	key := strings.ToLower(user)
	st.mu.Lock()
	if st.locked[key] {
		st.mu.Unlock()
		return nil, pop3.ErrInUse
	}
	st.locked[key] = true
	st.mu.Unlock()
	mb := &pop3Mailbox{b: s.b, user: key, md: md}
	msgs, err := md.List(ctx)
	if err == nil {
		for _, m := range msgs {
			size := m.Size
			if size < 0 {
				if size, err = md.Size(ctx, m.Key); err != nil {
					break
				}
			}
			mb.msgs = append(mb.msgs, pop3.MessageInfo{UID: m.Key, Size: size})
		}
	}
	if err != nil {
		_ = mb.Close()
		return nil, err
	}
	s.b.events.add(Event{Hop: "pop3", Kind: KindPOP3Login, To: user,
		Result: fmt.Sprintf("%d message(s) in %s", len(mb.msgs), md.Dir())})
	return mb, nil
}

func (s *pop3Session) Close() error { return nil }

type pop3Mailbox struct {
	b    *pop3Backend
	user string
	md   *maildir.Maildir
	msgs []pop3.MessageInfo
}

func (m *pop3Mailbox) List(context.Context) ([]pop3.MessageInfo, error) { return m.msgs, nil }

func (m *pop3Mailbox) Open(ctx context.Context, i int) (io.ReadCloser, error) {
	if i < 0 || i >= len(m.msgs) {
		return nil, fmt.Errorf("quickstart: message index %d out of range", i)
	}
	return m.md.Open(ctx, m.msgs[i].UID)
}

// Delete removes the messages one by one. Maildir has no multi-file
// transaction, so unlike pop3.Mailbox's "all or none" a failure part way
// leaves the earlier ones removed; the error is still reported.
func (m *pop3Mailbox) Delete(ctx context.Context, uids []string) error {
	for _, uid := range uids {
		if err := m.md.Remove(ctx, uid); err != nil {
			return err
		}
	}
	m.b.events.add(Event{Hop: "pop3", Kind: KindPOP3Deleted, To: m.user,
		Result: fmt.Sprintf("%d message(s) removed from the Maildir", len(uids))})
	return nil
}

func (m *pop3Mailbox) Close() error {
	m.b.store.mu.Lock()
	defer m.b.store.mu.Unlock()
	delete(m.b.store.locked, m.user)
	return nil
}
