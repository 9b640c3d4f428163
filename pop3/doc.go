// Package pop3 implements a POP3 server and client (RFC 1939) with the
// extension mechanism CAPA (RFC 2449), STLS (RFC 2595), SASL AUTH (RFC 5034,
// RFC 1734), extended response codes (RFC 2449 §8, RFC 3206) and, optionally,
// the UTF8 command (RFC 6856).
//
// POP3 is the "download and delete" mail access protocol: one client of one
// user fetches the messages of a maildrop and, after QUIT, the server removes
// those the client marked with DELE. A connection that ends without QUIT
// removes nothing.
//
// # Server
//
// Server serves POP3 to a Backend, which creates one Session per connection
// (NewSession gets a context and a ConnInfo with the addresses, the TLS state
// and, after login, the user). Session methods are called sequentially, never
// concurrently. A user logs in with USER and PASS (Session.Login), APOP
// (when the session implements APOPSession; the greeting then carries a
// fresh timestamp) or AUTH with the mechanisms of Server.SASL, a sasl.Registry.
// The server then calls Session.Open, which locks the user's Mailbox for the
// session: a second concurrent login gets "-ERR [IN-USE]". The Mailbox lists
// its messages once (unique ids and exact sizes), opens them one at a time as
// streams, and deletes the marked ones in a single Mailbox.Delete call in the
// UPDATE state after QUIT; MemoryBackend implements all of it in memory.
//
// Commands: USER, PASS, APOP, AUTH, STLS, CAPA, UTF8 (if enabled), QUIT in the
// AUTHORIZATION state; STAT, LIST, RETR, DELE, NOOP, RSET, TOP, UIDL, CAPA and
// QUIT in the TRANSACTION state. CAPA lists TOP, UIDL, RESP-CODES,
// AUTH-RESP-CODE, PIPELINING, and before login USER (only where it is
// allowed), SASL (mechanisms allowed on the channel), STLS (when TLS is
// configured and not yet active), UTF8 and IMPLEMENTATION when configured.
//
// Security defaults: USER/PASS is refused without TLS ("-ERR [AUTH]")
// unless Server.AllowInsecureAuth is set; PLAIN and LOGIN are offered only
// under TLS unless the registry allows otherwise. STLS followed by pipelined
// data is refused and the connection closed (the server side of
// CVE-2011-0411). Server.ImplicitTLS serves TLS from the first byte (port
// 995) through tlsutil. Unknown users and wrong passwords get the same
// "-ERR [AUTH]" response.
//
// Messages are sent byte-stuffed (a line starting with "." gets another one),
// with every line ending in CRLF (a bare LF in the stored message is sent as
// CRLF, a missing final line ending is added); sizes in STAT, LIST and the
// RETR status are the MessageInfo sizes, which the backend must compute the
// same way. Responses to pipelined commands (RFC 2449 PIPELINING) are written
// together when the client's batch has been read; a command that has only
// partly arrived does not hold back the answers to the complete ones.
//
// Errors: a *Error returned by the backend (found with errors.As) is sent as
// it is; ErrInUse, ErrAuth and ErrLoginDelay become [IN-USE], [AUTH] and
// [LOGIN-DELAY]; any other error becomes "-ERR [SYS/TEMP] internal server
// error, try again later" and its text goes only to the log. If
// Mailbox.Delete fails, QUIT gets "-ERR [SYS/TEMP] some deleted messages not
// removed". A panic in a session is recovered: the client gets
// "-ERR [SYS/TEMP]" and the connection is closed without deleting anything.
//
// Limits and defaults (Limits): command line 512 octets, AUTH lines 12288,
// 10 bad commands and 3 failed logins before disconnection, 10 minutes idle
// timeout (the RFC 1939 §3 minimum autologout timer), 2 minutes per write,
// 30 s TLS handshake, 1000 connections in total and 20 per client IP,
// 1,000,000 messages per mailbox. Server.Shutdown stops accepting, tells
// idle clients "-ERR [SYS/TEMP] server shutting down" and waits for commands
// in progress; Server.Close drops everything at once.
//
// # Client
//
// Dial connects plain, with STLS (tlsutil.ModeStartTLS) or with implicit TLS
// (tlsutil.ModeImplicit); every call takes a context. Client offers
// Capabilities (CAPA), Login (USER/PASS), APOP, Auth with any sasl.Client,
// Stat, List, UIDL, Retr and Top (streaming dot-unstuffing readers), Dele,
// Rset, Noop and Quit. Negative responses are *Error values carrying the
// response code (errors.Is(err, ErrInUse) and friends). Response lines are
// bounded by DialOptions.MaxLineLength (a longer line ends the connection
// at the limit, it is not read to its end), listings by MaxListLines and
// MaxListBytes; message bodies are streamed. A context deadline or
// cancellation ends the exchange in progress and leaves the connection
// unusable (the reply would arrive out of step).
//
// # Deviations
//
//   - The server accepts a bare LF as the end of a command line and AUTH
//     without arguments (which lists the mechanisms, as many clients expect).
//   - UTF8 (RFC 6856) only records that the client asked for it; messages are
//     never downgraded and LANG is not implemented.
//   - No EXPIRE or LOGIN-DELAY capability is advertised; a backend may still
//     return [LOGIN-DELAY] errors.
//   - The default command line limit (512) is above the 255 octets of RFC
//     2449 §4 to accommodate long user names and passwords.
//
// # Concurrency
//
// A Server serves each connection in its own goroutine; Backend.NewSession
// and the methods of different sessions run concurrently, those of one
// session sequentially. A Client belongs to one goroutine at a time.
package pop3
