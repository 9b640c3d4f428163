package maildirbackend

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/mailkit-go/mailkit/maildir"
	"github.com/mailkit-go/mailkit/pop3"
)

// Backend is a pop3.Backend over Maildirs. Dir and Login are required.
type Backend struct {
	// Dir returns the Maildir directory of an authenticated user; an error
	// becomes "-ERR [SYS/TEMP]" (or is sent as is if it is a *pop3.Error).
	Dir func(user string) (string, error)
	// Login checks USER/PASS credentials; return pop3.ErrAuth for wrong
	// ones. AUTH goes through the server's sasl.Registry instead.
	Login func(ctx context.Context, user string, password []byte) error
	// Options are passed to maildir.Open (nil: defaults).
	Options *maildir.Options

	mu     sync.Mutex
	locked map[string]bool
}

// NewSession implements pop3.Backend.
func (b *Backend) NewSession(context.Context, *pop3.ConnInfo) (pop3.Session, error) {
	if b.Dir == nil || b.Login == nil {
		return nil, errors.New("pop3/maildirbackend: Backend.Dir and Backend.Login are required")
	}
	return &session{b: b}, nil
}

type session struct{ b *Backend }

func (s *session) Login(ctx context.Context, user string, password []byte) error {
	return s.b.Login(ctx, user, password)
}

func (s *session) Close() error { return nil }

func (s *session) Open(ctx context.Context, user string) (pop3.Mailbox, error) {
	dir, err := s.b.Dir(user)
	if err != nil {
		return nil, err
	}
	md, err := maildir.Open(dir, s.b.Options)
	if err != nil {
		return nil, fmt.Errorf("pop3/maildirbackend: %w", err)
	}
	s.b.mu.Lock()
	if s.b.locked[user] {
		s.b.mu.Unlock()
		return nil, pop3.ErrInUse
	}
	if s.b.locked == nil {
		s.b.locked = make(map[string]bool)
	}
	s.b.locked[user] = true
	s.b.mu.Unlock()
	return &mailbox{b: s.b, user: user, md: md}, nil
}

type mailbox struct {
	b      *Backend
	user   string
	md     *maildir.Maildir
	keys   []string
	paths  []string          // file paths at List time, tried before a key lookup
	uids   map[string]string // POP3 uid -> maildir key
	closed bool
}

func (m *mailbox) List(ctx context.Context) ([]pop3.MessageInfo, error) {
	msgs, err := m.md.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("pop3/maildirbackend: %w", err)
	}
	out := make([]pop3.MessageInfo, 0, len(msgs))
	m.keys, m.paths = m.keys[:0], m.paths[:0]
	m.uids = make(map[string]string, len(msgs))
	for _, msg := range msgs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("pop3/maildirbackend: %w", err)
		}
		uid := uidFor(msg.Key)
		if _, dup := m.uids[uid]; dup {
			continue // never list one unique-id twice
		}
		path := msg.Path(m.md.Dir())
		size, err := m.wireSize(ctx, msg, path)
		if errors.Is(err, maildir.ErrNotFound) {
			continue // removed by another reader meanwhile
		}
		if err != nil {
			return nil, err
		}
		m.keys = append(m.keys, msg.Key)
		m.paths = append(m.paths, path)
		m.uids[uid] = msg.Key
		out = append(out, pop3.MessageInfo{UID: uid, Size: size})
	}
	return out, nil
}

// open opens a listed message file by its path, or by a key lookup when
// another reader renamed it meanwhile (a flag change, new/ -> cur/). The
// path avoids the directory scan of a key lookup for every message.
func (m *mailbox) open(ctx context.Context, key, path string) (*os.File, error) {
	f, err := os.Open(path)
	if err == nil {
		return f, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("pop3/maildirbackend: %w", err)
	}
	rc, err := m.md.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	if f, ok := rc.(*os.File); ok {
		return f, nil
	}
	_ = rc.Close()
	return nil, fmt.Errorf("pop3/maildirbackend: unexpected reader for %s", key)
}

// wireSize is the size of a message as POP3 sends it: every LF preceded by
// CR, and a final CRLF added when the last line has none. With Dovecot's
// S= and W= fields in the name only the last byte is read (W= counts the
// CRs but not the line end the server adds to an unterminated last line);
// otherwise the whole file is.
func (m *mailbox) wireSize(ctx context.Context, msg maildir.Message, path string) (int64, error) {
	f, err := m.open(ctx, msg.Key, path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if n, err := maildir.ParseName(msg.Filename); err == nil && n.VSize >= 0 && n.Size >= 0 {
		if n.Size == 0 {
			return 0, nil
		}
		var last [1]byte
		if _, err := f.ReadAt(last[:], n.Size-1); err == nil {
			if last[0] != '\n' {
				return n.VSize + 2, nil
			}
			return n.VSize, nil
		}
		// A file shorter than its S= field: count it.
	}
	key := msg.Key
	br := bufio.NewReader(f)
	var n int64
	var prev, last byte
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("pop3/maildirbackend: reading %s: %w", key, err)
		}
		n++
		if c == '\n' && prev != '\r' {
			n++
		}
		prev, last = c, c
	}
	if n > 0 && last != '\n' {
		n += 2
	}
	return n, nil
}

// uidFor maps a maildir key to a valid POP3 unique-id (RFC 1939 §7).
func uidFor(key string) string {
	ok := len(key) > 0 && len(key) <= 70
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] >= 0x21 && key[i] <= 0x7e
	}
	if ok {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "h" + hex.EncodeToString(sum[:])[:63]
}

func (m *mailbox) Open(ctx context.Context, i int) (io.ReadCloser, error) {
	if i < 0 || i >= len(m.keys) {
		return nil, fmt.Errorf("pop3/maildirbackend: no message %d", i)
	}
	f, err := m.open(ctx, m.keys[i], m.paths[i])
	if errors.Is(err, maildir.ErrNotFound) {
		return nil, &pop3.Error{Message: "message was removed by another client", Err: err}
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (m *mailbox) Delete(ctx context.Context, uids []string) error {
	var errs []error
	for _, uid := range uids {
		key, ok := m.uids[uid]
		if !ok {
			errs = append(errs, fmt.Errorf("pop3/maildirbackend: unknown uid %q", uid))
			continue
		}
		if err := m.md.Remove(ctx, key); err != nil && !errors.Is(err, maildir.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (m *mailbox) Close() error {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	if !m.closed {
		m.closed = true
		delete(m.b.locked, m.user)
	}
	return nil
}
