// Package smtp implements SMTP (RFC 5321) and LMTP (RFC 2033) servers and
// clients with their service extensions, and the wire codec they share
// (described in its own section).
//
// # Server
//
// [Server] serves SMTP (RFC 5321) or LMTP (RFC 2033) to a [Backend], which
// creates one [Session] per connection with a context and a [ConnInfo]
// (addresses, HELO name, TLS state, authenticated identity). Sessions are
// called sequentially. Extensions are optional interfaces checked when
// [Server.Serve] starts, with an error rather than a panic when one is
// missing: [LocalDomainBackend] (ProfileMX), [AuthBackend] (AUTH;
// [SASLAuth] builds it from a sasl.Registry), [LMTPSession] (per-recipient
// LMTP replies) and [QueueIDSession] (queue id in the 250 reply).
//
// Commands: HELO, EHLO (LHLO for LMTP), MAIL, RCPT, DATA, BDAT, RSET, NOOP,
// QUIT, VRFY (always 252), HELP, STARTTLS, AUTH and XCLIENT (trusted
// networks only). The greeting says ESMTP. Extensions advertised by
// default: PIPELINING, SIZE, STARTTLS, AUTH (after TLS), ENHANCEDSTATUSCODES,
// 8BITMIME, DSN, SMTPUTF8, CHUNKING, BINARYMIME, REQUIRETLS (after TLS),
// HELP, XCLIENT (trusted clients); [Server.Extensions] picks the exact
// list and order.
//
// Profiles ([Profile]): ProfileMX (the zero value) accepts recipients only
// for domains its backend calls local and refuses relaying with 550 5.7.1;
// ProfileSubmission (587 STARTTLS or 465 with ImplicitTLS, RFC 8314)
// requires TLS before AUTH and AUTH before MAIL, and relays for
// authenticated users; ProfileLMTP answers DATA per recipient. An open
// relay needs the explicit, documented [Server.OpenRelay].
//
// Reply batching (RFC 2920): replies are buffered and flushed exactly when
// the server needs more input, so a pipelined batch is answered in one
// write; 354 is flushed before the session sees the data. STARTTLS with
// anything buffered behind it is refused and the connection closed
// (CVE-2011-0411); after TLS the client must EHLO again and may get a
// different list.
//
// SMTP smuggling: with the default [LineEndingsStrict] a bare CR or LF in a
// command, in DATA, or in a non-BINARYMIME BDAT chunk gets "550 5.5.2
// <host> Error: bare <LF> received" (or <CR>) and the connection is closed,
// and a NUL gets 550 5.6.0; [LineEndingsNormalize] (or
// [Server.LineEndingExemptions] for legacy networks) accepts bare LF as a
// line end, while the end of data stays exactly CRLF "." CRLF. All 16
// variants of the project's smuggling list are tested over TCP.
//
// The session's reader starts with a Received header field (RFC 5321
// §4.4): from the HELO name and [address], by the server's name, with
// SMTP/ESMTP/ESMTPS/ESMTPA/ESMTPSA/LMTP... (RFC 3848) plus the TLS summary,
// id, and "for" when there is one recipient.
//
// Errors: a *Error returned by the session (found with errors.As through
// wrapping) is sent as is; any other error becomes "451 4.3.0 Requested
// action aborted: local error in processing" and goes only to the log. A
// panicking session gets the client a 421 and the connection is closed.
// 250 after DATA or BDAT LAST is sent only after Session.Data returned nil
// and the end of data was read.
//
// Limits and defaults ([Limits]): command line 512 octets (AUTH lines
// 12288), text line 1000, 100 recipients per message, 32 MiB per message
// (SIZE, enforced at MAIL and while reading), 20 bad commands, 5 minutes
// per command and per data read (RFC 5321 §4.5.3.2), 1 hour per
// connection (the final 421 may still take up to 5 seconds to write), 1000
// connections in total and 20 per client IP; connections over either
// limit get "421 4.7.0" and are closed.
// [Server.Shutdown] stops accepting, answers idle clients with 421 and
// waits for transactions in flight.
//
// Memory: a connection holds one goroutine, a 1 KiB read buffer and, only
// while replies are pending, a pooled 512-byte write buffer.
//
// # Client
//
// [Dial] and [NewClient] connect plain, with STARTTLS (opportunistic or
// required, [TLSPolicy]) or with implicit TLS; send EHLO, falling back to
// HELO when the greeting lacks "ESMTP" or EHLO is refused; EHLO again after
// STARTTLS; and authenticate with the strongest mechanism offered and
// allowed on the channel (SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, then PLAIN
// and LOGIN only over TLS). [Client.Send] pipelines MAIL, all RCPTs and
// DATA (or the first BDAT chunk) in one write when PIPELINING is offered,
// uses BDAT when CHUNKING is offered, sends MAIL/RCPT parameters (SIZE,
// BODY, SMTPUTF8, DSN, REQUIRETLS) the server supports, converts bare CR
// and LF to CRLF and dot-stuffs, and returns per-recipient results with
// typed errors ([Error.Temporary], [Error.Permanent], enhanced codes). The
// client timeouts are those of RFC 5321 §4.5.3.2 ([ClientTimeouts]: 5
// minutes for the greeting, MAIL and each RCPT reply, 2 for DATA
// initiation, 3 per data block, 10 for the reply to the end of data),
// applied to every reply, pipelined or not. With ClientOptions.LMTP it
// speaks LMTP and reads one reply per recipient. Errors that are not SMTP
// replies (I/O, TLS) carry the "smtp: " prefix and wrap the cause.
//
// AUTH responses that carry a secret (PLAIN's initial response, LOGIN's
// password, XOAUTH2 and OAUTHBEARER tokens) are the caller's to wipe
// according to package sasl: [Client.Auth] clears every response, and the
// base64 line it encoded, with tlsutil.Wipe right after sending, writing
// that line directly to the connection so no copy stays in its buffer.
//
// # Wire codec
//
// The codec in wire.go, reply.go, path.go and data.go does no network I/O
// of its own; it reads from a *bufio.Reader and writes to an io.Writer that
// the server or the client owns.
//
//   - Commands: [ReadLine] reads one line bounded by a length limit and the
//     line-ending policy ([LineEndings]); [ParseCommand] splits it into a
//     [Command] (verb and argument). Neither allocates for a known verb
//     without an argument.
//   - Paths: [ParseReversePath] and [ParseForwardPath] parse the angle-bracket
//     paths of MAIL and RCPT (RFC 5321 §4.1.2) with source routes (kept, and
//     to be ignored per RFC 5321 §C), quoted local parts, address literals
//     and, when SMTPUTF8 was given, UTF-8 mailboxes (RFC 6531 §3.3).
//     [SplitMailArg] and [SplitRcptArg] separate the path from the ESMTP
//     parameters, which package esmtp parses.
//   - Replies: [ReadReply] parses single and multiline replies, checking that
//     every line carries the same code, and splits off RFC 2034 enhanced
//     status codes; [WriteReply] and [AppendReply] format them. [*Error] is
//     the typed reply error used on both sides.
//   - Message data: [NewDataReader] returns the DATA reader (dot-unstuffing,
//     end of data only at CRLF "." CRLF), [NewDotWriter] the DATA writer
//     (CRLF normalisation and dot-stuffing).
//
// # Line endings and SMTP smuggling
//
// RFC 5321 §2.3.8 allows CR and LF only together as CRLF. By default
// ([LineEndingsStrict]) a bare LF or a bare CR in a command line or in DATA is an error
// ([ErrBareLF], [ErrBareCR]); [ReplyFor] maps it to the reply Postfix sends
// with smtpd_forbid_bare_newline = reject, "550 5.5.2 <host> Error: bare
// <LF> received" (Postfix's default smtpd_forbid_bare_newline_reject_code is
// 550), after which the server should close the connection.
// [LineEndingsNormalize] follows Postfix's "normalize": a bare LF ends a line as if it
// were CRLF, a bare CR in DATA is kept as data, and the end of data is still only
// the exact sequence CR LF "." CR LF. Under no policy is any other sequence
// (LF "." LF, CR "." CR, LF "." CRLF, NUL "." CRLF, ...) taken for the end of
// data. The DATA reader also refuses NUL by default (RFC 5321 §4.1.1.4 and
// RFC 6152 exclude it from text), so a hop that deletes NULs cannot turn
// the data into a different message.
//
// The DATA writer converts every bare CR and bare LF to CRLF before it
// dot-stuffs, so "\r." and "\n." can never reach the wire unstuffed, and the
// only CRLF "." CRLF it emits is the final one.
//
// Codec limits: command lines are limited to 512 octets including CRLF (RFC 5321
// §4.5.3.1.4), reply lines to 2048 (lenient: the RFC says 512) with at most
// 256 lines per reply, text lines in DATA to 1000 octets including CRLF
// (§4.5.3.1.6, not counting the dot added for transparency); the message
// size limit is the caller's (the server's Limits). Over-long input yields a
// typed error, never unbounded memory.
//
// # Deviations
//
// Replies before EHLO carry no enhanced status codes (RFC 2034 §3), unlike
// Postfix. VRFY never verifies. XCLIENT supports NAME, ADDR, PORT, PROTO,
// HELO and LOGIN. BDAT chunks are streamed to the session; a command other
// than BDAT before BDAT LAST aborts the transaction.
package smtp
