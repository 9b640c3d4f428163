// Package netserver is the connection plumbing shared by mailkit's
// protocol servers (smtp, pop3, imap/imapserver): the accept loop, the
// limits on concurrent connections in total and per client address, the
// tracking of listeners and connections for Shutdown and Close, and the
// goroutines that answer refused clients.
//
// It knows nothing of any protocol. A protocol server embeds a
// [Server], passes a [Handler] to [Server.Serve] that creates and runs
// its connections and words the refusals, and implements [Conn] on its
// connection type so that [Server.Shutdown] and [Server.Close] can stop
// them.
//
// # Behaviour
//
//   - Accept errors that are timeouts (for example EMFILE surfaced as a
//     temporary error) are retried after a pause that doubles from 5ms up
//     to 1s; any other error ends Serve. After Shutdown or Close, Serve
//     returns [ErrServerClosed]. Serve closes its listener when it returns.
//   - A client over [Limits.Conns] or [Limits.ConnsPerIP] is refused: the
//     text of [Handler.Refusal] is written with a 5 second write deadline
//     by a goroutine that Shutdown and Close wait for, then the connection
//     is closed. A client accepted while the server shuts down is refused
//     the same way, but from the accepting goroutine (Serve returns right
//     after), since Shutdown may already be waiting.
//   - Shutdown marks the server closed, closes the listeners and calls
//     [Conn.InterruptIdle] once on every connection; connections must
//     check [Server.Closed] before they wait for the next command so that
//     a Shutdown racing with them is not missed. If ctx ends first,
//     [Conn.ForceClose] is called on the rest.
//   - A panic in [Handler.Serve] is not recovered here: protocol servers
//     recover in their connection code, where they can answer the client.
//     The connection is untracked either way.
//
// # Concurrency
//
// All methods of [Server] are safe for concurrent use, and Serve may run
// on several listeners at once with the same Handler. The zero value is
// ready to use.
//
// # Adopting it in other servers
//
// A server whose connection limit is checked inside the connection (a
// counter incremented when the connection starts) can move the limit into
// [Limits] and the refusal line into [Handler.Refusal]. A server whose
// Shutdown interrupts repeatedly (on a ticker, for connections that may
// become idle later) can keep doing so with [Server.Range] while it waits.
package netserver
