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
	// RemoteAddr is the client's address (net.Conn.RemoteAddr).
	RemoteAddr net.Addr
	// LocalAddr is the server address the client connected to
	// (net.Conn.LocalAddr).
	LocalAddr net.Addr
	// TLS is the TLS state (nil while the connection is plaintext). The
	// pointer is replaced, not mutated, after STARTTLS.
	TLS *tls.ConnectionState
}

// Backend creates one Session per connection.
type Backend interface {
	// NewSession is called once per connection before the greeting. On
	// error the server logs it, sends "* BYE Service unavailable" and
	// closes the connection. c stays valid for the connection's life.
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

	// Select opens mailbox (SELECT, or EXAMINE when opts.ReadOnly; RFC
	// 3501 §6.3.1-2) and returns what the server reports about it. A
	// previously selected mailbox has been closed by the server first.
	Select(ctx context.Context, mailbox string, opts *imap.SelectOptions) (*imap.SelectData, error)
	// Unselect leaves the selected mailbox without expunging.
	Unselect(ctx context.Context) error
	// Create creates mailbox (CREATE, RFC 3501 §6.3.3).
	Create(ctx context.Context, mailbox string) error
	// Delete deletes mailbox (DELETE, RFC 3501 §6.3.4).
	Delete(ctx context.Context, mailbox string) error
	// Rename renames mailbox from to to (RENAME, RFC 3501 §6.3.5).
	Rename(ctx context.Context, from, to string) error
	// Subscribe adds mailbox to the subscriptions (SUBSCRIBE, RFC 3501
	// §6.3.6).
	Subscribe(ctx context.Context, mailbox string) error
	// Unsubscribe removes mailbox from the subscriptions (UNSUBSCRIBE,
	// RFC 3501 §6.3.7).
	Unsubscribe(ctx context.Context, mailbox string) error
	// List writes the mailboxes matching any of patterns (relative to
	// ref; RFC 3501 §6.3.8 wildcards). The empty pattern is handled by the
	// server.
	List(ctx context.Context, w *ListWriter, ref string, patterns []string, opts *ListOptions) error
	// Status returns the items of opts for mailbox (STATUS, RFC 3501
	// §6.3.10); the server writes only the items asked for.
	Status(ctx context.Context, mailbox string, opts *imap.StatusOptions) (*imap.StatusData, error)
	// Append stores a message read from r (exactly size bytes). The
	// server acknowledges the APPEND only after Append returned nil, so
	// Append must return only once the message is stored. A session that
	// implements [MultiAppendSession] gets every APPEND there instead.
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
	// Search returns the matching numbers (of kind). Strings match as
	// substrings under i;unicode-casemap, as the announced I18NLEVEL=1
	// asks ([imap.SearchCriteria.Match] does).
	Search(ctx context.Context, kind imap.NumKind, criteria *imap.SearchCriteria) ([]uint32, error)
	// Fetch writes the items of opts for the messages in set through w
	// (FETCH, RFC 3501 §6.4.5). Setting \Seen for non-peek sections
	// ([imap.FetchOptions.SetsSeen]) is up to the session.
	Fetch(ctx context.Context, w *FetchWriter, kind imap.NumKind, set imap.SeqSet, opts *imap.FetchOptions) error
	// Store changes flags and writes the new flags (unless flags.Silent)
	// through w.
	Store(ctx context.Context, w *FetchWriter, kind imap.NumKind, set imap.SeqSet, flags *imap.StoreFlags) error
	// Copy copies the messages in set to the mailbox dest (COPY, RFC 3501
	// §6.4.7). Return [ErrNoSuchMailbox] when dest does not exist (the
	// reply gets TRYCREATE). The returned data, if not nil and with
	// SourceUIDs, becomes a COPYUID response code.
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
	// Move moves the messages in set to the mailbox dest (MOVE, UID MOVE);
	// the server refuses it in a read-only mailbox before calling Move.
	Move(ctx context.Context, w *MoveWriter, kind imap.NumKind, set imap.SeqSet, dest string) error
}

// SortSession is the optional SORT extension (RFC 5256 §3) with the
// DISPLAYFROM and DISPLAYTO keys (RFC 5957, SORT=DISPLAY) and SORT RETURN
// (RFC 5267 §3, ESORT), which the server computes from the result. With
// it the server announces SORT, SORT=DISPLAY and ESORT. [imap.Sort]
// implements the ordering over [imap.SortData], comparing strings with
// i;unicode-casemap as RFC 5256 and the announced I18NLEVEL=1 ask.
type SortSession interface {
	// Sort returns the numbers (of kind) of the messages of the selected
	// mailbox that match criteria, ordered by keys (SORT, UID SORT).
	Sort(ctx context.Context, kind imap.NumKind, keys []imap.SortCriterion, criteria *imap.SearchCriteria) ([]uint32, error)
}

// ThreadSession is the optional THREAD extension (RFC 5256 §3) with the
// algorithms ORDEREDSUBJECT and REFERENCES, which the server announces
// as THREAD=ORDEREDSUBJECT and THREAD=REFERENCES. [imap.Threads]
// implements both over [imap.SortData], comparing base subjects with
// i;unicode-casemap.
type ThreadSession interface {
	// Thread returns the threads (numbered by kind) of the messages of
	// the selected mailbox that match criteria (THREAD, UID THREAD). alg
	// is [imap.ThreadOrderedSubject] or [imap.ThreadReferences].
	Thread(ctx context.Context, kind imap.NumKind, alg imap.ThreadAlgorithm, criteria *imap.SearchCriteria) ([]imap.Thread, error)
}

// SASLSession is needed when [Server.SASL] is set: after a successful
// AUTHENTICATE exchange the server tells the session who logged in.
type SASLSession interface {
	// AuthenticateIdentity is called once the SASL exchange succeeded,
	// with the authenticated and authorization identities; an error
	// fails the AUTHENTICATE command.
	AuthenticateIdentity(ctx context.Context, id sasl.Identity) error
}

// NamespaceSession is the optional NAMESPACE extension (RFC 2342); without
// it the server answers one personal namespace "" with delimiter "/".
type NamespaceSession interface {
	// Namespace returns the namespaces to announce (NAMESPACE, RFC 2342).
	Namespace(ctx context.Context) (*NamespaceData, error)
}

// NamespaceDescriptor is one namespace: a prefix and a delimiter.
type NamespaceDescriptor struct {
	// Prefix is the string mailbox names of the namespace start with,
	// e.g. "" or "Other Users/".
	Prefix string
	// Delim is the hierarchy delimiter (0: none, written as NIL).
	Delim rune
}

// NamespaceData is the NAMESPACE reply.
type NamespaceData struct {
	// Personal, Other and Shared are the personal namespaces, other
	// users' namespaces and shared namespaces (RFC 2342 §5); an empty
	// list is written as NIL.
	Personal, Other, Shared []NamespaceDescriptor
}
