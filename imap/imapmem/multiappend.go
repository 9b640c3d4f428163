package imapmem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// stagedMessage is a message of a MULTIAPPEND read but not stored yet.
type stagedMessage struct {
	raw   []byte
	flags []imap.Flag
	date  time.Time
}

// AppendMulti implements [imapserver.MultiAppendSession]: it reads every
// message first and stores them all under one lock, so other sessions
// see all of them or none.
func (s *session) AppendMulti(ctx context.Context, name string, next func() (*imapserver.AppendMessage, error)) (*imapserver.MultiAppendData, error) {
	s.b.mu.Lock()
	_, err := s.mailboxLocked(name)
	s.b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var staged []stagedMessage
	for {
		m, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		raw := make([]byte, m.Size)
		if _, err := io.ReadFull(m.Body, raw); err != nil {
			return nil, fmt.Errorf("imapmem: reading message %d: %w", len(staged)+1, err)
		}
		staged = append(staged, stagedMessage{raw: raw, flags: m.Options.Flags, date: m.Options.Time})
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	mb, err := s.mailboxLocked(name)
	if err != nil {
		return nil, err // deleted meanwhile: nothing stored
	}
	data := &imapserver.MultiAppendData{UIDValidity: mb.uidValidity}
	for _, m := range staged {
		date := m.date
		if date.IsZero() {
			date = s.b.now()
		}
		data.UIDs = append(data.UIDs, s.b.appendLocked(mb, m.raw, m.flags, date))
	}
	return data, nil
}
