package mbox

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// DefaultSpoolDir is where most Unix systems keep users' system mailboxes
// (/var/mail is often a link to it).
const DefaultSpoolDir = "/var/spool/mail"

// Spool maps user names to system mailboxes, /var/spool/mail/$USER style.
// The zero value uses DefaultSpoolDir.
type Spool struct {
	// Dir holds the mailboxes (default DefaultSpoolDir).
	Dir string
	// Locking for the mailboxes (default LockFcntl|LockDotlock, the
	// combination Postfix's local(8), procmail and mutt agree on).
	Locking LockMethod
	// Now is passed to each Mailbox (default time.Now).
	Now func() time.Time
	// Limits is passed to each Mailbox.
	Limits Limits
	// Format is passed to each Mailbox (default FormatMboxrd).
	Format Format
}

// Path returns the mailbox path of user. A user name that is empty, "."
// or "..", longer than 255 bytes, or that contains '/', control characters
// or white space is an [ErrInvalidUser].
func (s *Spool) Path(user string) (string, error) {
	if user == "" || user == "." || user == ".." || len(user) > 255 || strings.HasPrefix(user, "-") {
		return "", fmt.Errorf("%w: %q", ErrInvalidUser, user)
	}
	for i := 0; i < len(user); i++ {
		if c := user[i]; c <= ' ' || c == '/' || c == 0x7f {
			return "", fmt.Errorf("%w: %q", ErrInvalidUser, user)
		}
	}
	dir := s.Dir
	if dir == "" {
		dir = DefaultSpoolDir
	}
	return filepath.Join(dir, user), nil
}

// Mailbox returns the system mailbox of user. Each call returns a new
// Mailbox; the default dot-lock makes concurrent ones safe.
//
// Append creates a missing mailbox file owned by the calling process with
// mode 0600: a delivery agent running as root must create it for the user
// (or deliver as the user), as Postfix's local(8) does.
func (s *Spool) Mailbox(user string) (*Mailbox, error) {
	p, err := s.Path(user)
	if err != nil {
		return nil, err
	}
	locking := s.Locking
	if locking == 0 {
		locking = LockFcntl | LockDotlock
	}
	return &Mailbox{Path: p, Locking: locking, Now: s.Now, Limits: s.Limits, Format: s.Format}, nil
}
