package pop3

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/netip"
)

// ConnInfo describes a client connection. The server owns it and updates it
// (TLS state after STLS, user after login) between calls into the Session;
// a session may read it from its own methods but must not modify it.
type ConnInfo struct {
	// LocalAddr and RemoteAddr are the socket's addresses.
	LocalAddr, RemoteAddr net.Addr
	// RemoteIP is RemoteAddr's IP, unmapped (zero if unknown).
	RemoteIP netip.Addr
	// TLS is non-nil once the connection is encrypted (implicit TLS or
	// after STLS).
	TLS *tls.ConnectionState
	// User is the logged-in user (the SASL authorization identity), ""
	// before login.
	User string
	// AuthMethod is how User logged in: "USER", "APOP" or "SASL <MECH>".
	AuthMethod string
	// UTF8 is true after the client sent the UTF8 command (RFC 6856).
	UTF8 bool
}

// Backend creates a Session for every accepted connection.
type Backend interface {
	// NewSession is called once per connection, after the TLS handshake
	// for implicit TLS and before the greeting. A returned *Error is sent
	// in place of the greeting and the connection is closed; any other
	// error becomes "-ERR [SYS/TEMP]" with the details only in the log.
	NewSession(ctx context.Context, c *ConnInfo) (Session, error)
}

// Session is one connection's view of the backend. The server calls its
// methods sequentially, never concurrently, and always calls Close last.
type Session interface {
	// Login checks a user name and password given with USER and PASS.
	// Return ErrAuth (or an *Error with CodeAuth) for wrong credentials;
	// the server answers every failure the same way so a client cannot
	// tell unknown users from wrong passwords. The server does not keep
	// password; the session must not retain it either.
	Login(ctx context.Context, username string, password []byte) error
	// Open opens and locks the mailbox of an authenticated user (after
	// USER/PASS, APOP or AUTH). It returns ErrInUse while another session
	// holds the lock, so a second concurrent login gets "-ERR [IN-USE]".
	Open(ctx context.Context, username string) (Mailbox, error)
	// Close ends the session. It is called once, after the mailbox (if
	// any) was closed.
	Close() error
}

// APOPSession is an optional interface of a Session enabling the APOP
// command (RFC 1939 §7). When the session implements it the greeting
// carries a timestamp.
type APOPSession interface {
	Session
	// APOPSecret returns the shared secret (the plaintext password) of
	// username, or ErrAuth if there is none. The server compares digests in
	// constant time and wipes the returned slice, so return a fresh copy.
	APOPSecret(ctx context.Context, username string) ([]byte, error)
}

// MessageInfo describes one message of a mailbox.
type MessageInfo struct {
	// UID is the unique-id listing (RFC 1939 §7 UIDL): 1 to 70 characters
	// in the range 0x21 to 0x7E, stable across sessions and never reused
	// for another message of the mailbox.
	UID string
	// Size is the exact size of the message in octets with every line
	// ending in CRLF, before byte-stuffing: what a client counts after
	// unstuffing RETR.
	Size int64
}

// Mailbox is a locked maildrop of one user for the duration of a session
// (RFC 1939 §8: the server acquires an exclusive-access lock).
type Mailbox interface {
	// List returns the messages present when the mailbox was opened; the
	// server calls it once, right after Open. Message number n of the
	// protocol is List()[n-1].
	List(ctx context.Context) ([]MessageInfo, error)
	// Open returns the content of message i (0-based index into List).
	// The server reads it to the end (or, for TOP, as far as needed) and
	// closes it. Bare LF line endings are sent as CRLF.
	Open(ctx context.Context, i int) (io.ReadCloser, error)
	// Delete removes the messages with the given unique ids, all or none,
	// durably, before it returns. The server calls it at most once, in the
	// UPDATE state after QUIT, and only with messages marked by DELE.
	Delete(ctx context.Context, uids []string) error
	// Close releases the lock. It is called once, whether or not Delete
	// was called (a connection dropped without QUIT deletes nothing).
	Close() error
}
