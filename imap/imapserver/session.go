package imapserver

import (
	"context"
	"crypto/tls"
	"io"
	"net"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/sasl"
)

// ConnInfo describes a client connection.
type ConnInfo struct {
	RemoteAddr net.Addr
	LocalAddr  net.Addr
	// TLS is the TLS state (nil while the connection is plaintext). The
	// pointer is replaced, not mutated, after STARTTLS.
	TLS *tls.ConnectionState
}

// Backend creates one Session per connection.
type Backend interface {
	NewSession(ctx context.Context, c *ConnInfo) (Session, error)
}

// Session is the state of one connection in the backend. The server calls
// its methods sequentially (never concurrently) from the connection's
// goroutine, except that [Session.Idle] runs while the connection reads
// the client's DONE.
//
// Numbers are sequence numbers or UIDs according to the [imap.NumKind]
// argument; sequence numbers are those of this session's view of the
// mailbox, which changes only through the updates the session reports
// through [UpdateWriter] (EXISTS, EXPUNGE).
//
// Errors: return an *[Error] (for instance [ErrNoSuchMailbox]) to choose the
// reply; any other error becomes "NO [SERVERBUG]" and is logged only.
type Session interface {
	// Close releases the session when the connection ends.
	Close() error

	// Login checks a user name and password (LOGIN, AUTHENTICATE PLAIN
	// without a [sasl.Registry]); return [ErrAuthFailed] for bad
	// credentials.
	Login(ctx context.Context, username, password string) error

	Select(ctx context.Context, mailbox string, opts *imap.SelectOptions) (*imap.SelectData, error)
	// Unselect leaves the selected mailbox without expunging.
	Unselect(ctx context.Context) error
	Create(ctx context.Context, mailbox string) error
	Delete(ctx context.Context, mailbox string) error
	Rename(ctx context.Context, from, to string) error
	Subscribe(ctx context.Context, mailbox string) error
	Unsubscribe(ctx context.Context, mailbox string) error
	// List writes the mailboxes matching any of patterns (relative to
	// ref; RFC 3501 §6.3.8 wildcards). The empty pattern is handled by the
	// server.
	List(ctx context.Context, w *ListWriter, ref string, patterns []string, opts *ListOptions) error
	Status(ctx context.Context, mailbox string, opts *imap.StatusOptions) (*imap.StatusData, error)
	// Append stores a message read from r (exactly size bytes). The
	// server acknowledges the APPEND only after Append returned nil, so
	// Append must return only once the message is stored.
	Append(ctx context.Context, mailbox string, r io.Reader, size int64, opts *imap.AppendOptions) (*imap.AppendData, error)

	// Poll reports pending changes of the selected mailbox made by other
	// sessions (EXISTS, flag FETCHes, and EXPUNGE when allowExpunge).
	Poll(ctx context.Context, w *UpdateWriter, allowExpunge bool) error
	// Idle reports changes as they happen until stop is closed or ctx is
	// done.
	Idle(ctx context.Context, w *UpdateWriter, stop <-chan struct{}) error

	// Expunge removes the messages marked \Deleted (only those in uids
	// when not nil) and writes EXPUNGE responses (w may be nil: silent).
	Expunge(ctx context.Context, w *UpdateWriter, uids imap.SeqSet) error
	// Search returns the matching numbers (of kind).
	Search(ctx context.Context, kind imap.NumKind, criteria *imap.SearchCriteria) ([]uint32, error)
	Fetch(ctx context.Context, w *FetchWriter, kind imap.NumKind, set imap.SeqSet, opts *imap.FetchOptions) error
	// Store changes flags and writes the new flags (unless flags.Silent)
	// through w.
	Store(ctx context.Context, w *FetchWriter, kind imap.NumKind, set imap.SeqSet, flags *imap.StoreFlags) error
	Copy(ctx context.Context, kind imap.NumKind, set imap.SeqSet, dest string) (*imap.CopyData, error)
}

// ListOptions are the options of LIST and LSUB.
type ListOptions struct {
	// SubscribedOnly selects subscribed mailboxes (LSUB).
	SubscribedOnly bool
}

// MoveSession is the optional MOVE extension (RFC 6851). Move writes the
// COPYUID data first ([MoveWriter.WriteCopyData]) and then the EXPUNGE
// responses of the moved messages.
type MoveSession interface {
	Move(ctx context.Context, w *MoveWriter, kind imap.NumKind, set imap.SeqSet, dest string) error
}

// SASLSession is needed when [Server.SASL] is set: after a successful
// AUTHENTICATE exchange the server tells the session who logged in.
type SASLSession interface {
	AuthenticateIdentity(ctx context.Context, id sasl.Identity) error
}

// NamespaceSession is the optional NAMESPACE extension (RFC 2342); without
// it the server answers one personal namespace "" with delimiter "/".
type NamespaceSession interface {
	Namespace(ctx context.Context) (*NamespaceData, error)
}

// NamespaceDescriptor is one namespace: a prefix and a delimiter.
type NamespaceDescriptor struct {
	Prefix string
	Delim  rune
}

// NamespaceData is the NAMESPACE reply.
type NamespaceData struct {
	Personal, Other, Shared []NamespaceDescriptor
}
