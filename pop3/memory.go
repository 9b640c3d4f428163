package pop3

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/mailkit-go/mailkit/sasl"
)

// MemoryBackend is an in-memory Backend for tests, examples and small
// embedded uses. The zero value is ready to use; add users with AddUser and
// mail with Deliver. It also implements sasl.Credentials, so it can serve as
// the Credentials of the Server's sasl.Registry, and APOPSession.
//
// Each user's mailbox is locked by at most one session at a time; deletions
// are applied atomically. It is safe for concurrent use.
type MemoryBackend struct {
	mu      sync.Mutex
	users   map[string]*memUser
	nextUID uint64
}

type memUser struct {
	password []byte
	msgs     []memMessage
	locked   bool
}

type memMessage struct {
	uid  string
	data []byte // CRLF line endings; never modified once stored
}

// AddUser creates user with password, or changes the password of an
// existing user. User names are case-sensitive.
func (b *MemoryBackend) AddUser(user, password string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.users == nil {
		b.users = make(map[string]*memUser)
	}
	if u, ok := b.users[user]; ok {
		u.password = []byte(password)
		return
	}
	b.users[user] = &memUser{password: []byte(password)}
}

// Deliver appends a message to user's mailbox and returns its unique id.
// Line endings are normalised to CRLF (and a final one added) so that the
// listed size is what a client receives. It fails for an unknown user.
func (b *MemoryBackend) Deliver(user string, msg []byte) (string, error) {
	data := normalizeCRLF(msg)
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.users[user]
	if !ok {
		return "", fmt.Errorf("pop3: memory backend: unknown user %q", user)
	}
	b.nextUID++
	uid := "m" + strconv.FormatUint(b.nextUID, 10)
	u.msgs = append(u.msgs, memMessage{uid: uid, data: data})
	return uid, nil
}

// Messages returns copies of user's messages in mailbox order (nil for an
// unknown user).
func (b *MemoryBackend) Messages(user string) [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.users[user]
	if !ok {
		return nil
	}
	out := make([][]byte, len(u.msgs))
	for i, m := range u.msgs {
		out[i] = bytes.Clone(m.data)
	}
	return out
}

// Locked reports whether a session holds user's mailbox.
func (b *MemoryBackend) Locked(user string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.users[user]
	return ok && u.locked
}

// LookupCredentials implements sasl.Credentials with the users' passwords.
func (b *MemoryBackend) LookupCredentials(_ context.Context, user string) (*sasl.Secret, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.users[user]
	if !ok {
		return nil, sasl.ErrUnknownUser
	}
	return &sasl.Secret{Password: bytes.Clone(u.password)}, nil
}

// NewSession implements Backend.
func (b *MemoryBackend) NewSession(context.Context, *ConnInfo) (Session, error) {
	return &memSession{b: b}, nil
}

type memSession struct{ b *MemoryBackend }

func (s *memSession) Login(_ context.Context, user string, password []byte) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	u, ok := s.b.users[user]
	if !ok || subtle.ConstantTimeCompare(u.password, password) != 1 {
		return ErrAuth
	}
	return nil
}

func (s *memSession) APOPSecret(_ context.Context, user string) ([]byte, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	u, ok := s.b.users[user]
	if !ok {
		return nil, ErrAuth
	}
	return bytes.Clone(u.password), nil
}

func (s *memSession) Open(_ context.Context, user string) (Mailbox, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	u, ok := s.b.users[user]
	if !ok {
		return nil, ErrAuth
	}
	if u.locked {
		return nil, ErrInUse
	}
	u.locked = true
	return &memMailbox{b: s.b, u: u, msgs: append([]memMessage(nil), u.msgs...)}, nil
}

func (s *memSession) Close() error { return nil }

type memMailbox struct {
	b      *MemoryBackend
	u      *memUser
	msgs   []memMessage // snapshot at Open
	closed bool
}

func (m *memMailbox) List(context.Context) ([]MessageInfo, error) {
	out := make([]MessageInfo, len(m.msgs))
	for i, msg := range m.msgs {
		out[i] = MessageInfo{UID: msg.uid, Size: int64(len(msg.data))}
	}
	return out, nil
}

func (m *memMailbox) Open(_ context.Context, i int) (io.ReadCloser, error) {
	if i < 0 || i >= len(m.msgs) {
		return nil, fmt.Errorf("pop3: memory backend: no message %d", i)
	}
	return io.NopCloser(bytes.NewReader(m.msgs[i].data)), nil
}

func (m *memMailbox) Delete(_ context.Context, uids []string) error {
	del := make(map[string]bool, len(uids))
	for _, u := range uids {
		del[u] = true
	}
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	kept := m.u.msgs[:0:0]
	for _, msg := range m.u.msgs {
		if !del[msg.uid] {
			kept = append(kept, msg)
		}
	}
	m.u.msgs = kept
	return nil
}

func (m *memMailbox) Close() error {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	if !m.closed {
		m.closed = true
		m.u.locked = false
	}
	return nil
}

// normalizeCRLF returns msg with every line ending (CRLF, bare LF) as CRLF
// and a final CRLF added if missing.
func normalizeCRLF(msg []byte) []byte {
	out := make([]byte, 0, len(msg)+len(msg)/32+2)
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\n' && (i == 0 || msg[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	if len(out) > 0 && !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, '\r', '\n')
	}
	return out
}
