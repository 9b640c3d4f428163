package imapmaildir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/maildir"
)

// stagePrefix names the staging files of a MULTIAPPEND in a folder's
// tmp/ (removed when the command ends; maildir.Maildir.CleanTmp removes
// any a crash left behind).
const stagePrefix = "mailkit-multiappend-"

// stagedMessage is a message of a MULTIAPPEND written to a staging file.
type stagedMessage struct {
	path  string
	size  int64
	flags []imap.Flag
	date  time.Time
}

// AppendMulti implements [imapserver.MultiAppendSession]. The messages
// are first copied from the connection to staging files in the folder's
// tmp/ directory; once the command is read, they are stored one after the
// other with maildir.Maildir.Append (written to tmp/, fsynced, linked
// into cur/) while the folder's lock is held, so other sessions of this
// Backend see all of them or none. If one fails, the ones already stored
// are removed before the error is returned: the APPEND leaves nothing.
// Other processes scanning the Maildir meanwhile may briefly see the
// first messages.
func (s *session) AppendMulti(ctx context.Context, name string, next func() (*imapserver.AppendMessage, error)) (*imapserver.MultiAppendData, error) {
	f, err := s.folderByName(name)
	if err != nil {
		return nil, err
	}
	var staged []stagedMessage
	defer func() {
		for _, m := range staged {
			_ = os.Remove(m.path)
		}
	}()
	for {
		m, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		st, err := stage(ctx, f, m)
		if st.path != "" {
			staged = append(staged, st)
		}
		if err != nil {
			return nil, err
		}
	}
	return s.commitStaged(ctx, f, staged)
}

// stage copies one message to a staging file.
func stage(ctx context.Context, f *folder, m *imapserver.AppendMessage) (stagedMessage, error) {
	st := stagedMessage{size: m.Size, flags: m.Options.Flags, date: m.Options.Time}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	fh, err := os.CreateTemp(filepath.Join(f.dir, "tmp"), stagePrefix+"*")
	if err != nil {
		return st, fmt.Errorf("imapmaildir: %w", err)
	}
	st.path = fh.Name()
	n, err := io.Copy(fh, io.LimitReader(m.Body, m.Size))
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, fmt.Errorf("imapmaildir: staging a message: %w", err)
	}
	if n != m.Size {
		return st, fmt.Errorf("imapmaildir: short message: %d of %d bytes", n, m.Size)
	}
	return st, nil
}

// commitStaged stores the staged messages under the folder's lock, all
// or none.
func (s *session) commitStaged(ctx context.Context, f *folder, staged []stagedMessage) (data *imapserver.MultiAppendData, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var stored []maildir.Message
	defer func() {
		if err == nil {
			return
		}
		// All or none: take back what was stored.
		for _, msg := range stored {
			if rerr := os.Remove(msg.Path(f.md.Dir())); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				f.b.logger().Error("imapmaildir: removing a message of a failed MULTIAPPEND", "key", msg.Key, "error", rerr)
			}
		}
		if len(stored) > 0 {
			_ = syncDir(filepath.Join(f.dir, "cur"))
			if serr := f.sync(ctx); serr != nil {
				f.b.logger().Warn("imapmaildir: rescanning after a failed MULTIAPPEND", "dir", f.dir, "error", serr)
			}
		}
	}()
	dates := make([]time.Time, len(staged))
	for i, st := range staged {
		if err := f.ensureKeywords(st.flags); err != nil {
			return nil, err
		}
		bits, letters := f.toInfo(st.flags)
		fh, err := os.Open(st.path)
		if err != nil {
			return nil, fmt.Errorf("imapmaildir: %w", err)
		}
		msg, err := f.md.Append(ctx, io.LimitReader(fh, st.size), maildir.Info{Flags: bits, Extra: letters})
		fh.Close()
		if err != nil {
			if errors.Is(err, maildir.ErrTooLarge) {
				return nil, imapserver.ErrTooBig
			}
			return nil, err
		}
		stored = append(stored, msg)
		dates[i] = st.date
		if dates[i].IsZero() {
			dates[i] = s.b.now()
		}
		if err := setDate(msg.Path(f.md.Dir()), dates[i]); err != nil {
			return nil, err
		}
	}
	if err := f.sync(ctx); err != nil {
		return nil, err
	}
	data = &imapserver.MultiAppendData{UIDValidity: f.uidValidity}
	for i, msg := range stored {
		m := f.byKey[msg.Key]
		if m == nil {
			return nil, imapserver.Errorf("", "Message vanished right after APPEND")
		}
		m.date = dates[i]
		m.claimable = true
		m.vsize.Store(-1)
		data.UIDs = append(data.UIDs, m.uid)
	}
	return data, nil
}
