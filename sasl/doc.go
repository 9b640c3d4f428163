// Package sasl implements SASL (RFC 4422) mechanisms, client and server
// side, for the protocol engines of mailkit (smtp AUTH, RFC 4954; imap
// AUTHENTICATE, RFC 9051; pop3 AUTH, RFC 5034). It does no I/O: a protocol
// drives a [Client] or [Server] by passing base64-decoded challenges and
// responses.
//
// Mechanisms: PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login, still
// used by Outlook and many small clients), CRAM-MD5 (RFC 2195),
// SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677) with their -PLUS
// variants using tls-exporter channel binding (RFC 9266), XOAUTH2 (Google
// and Microsoft), OAUTHBEARER (RFC 7628), EXTERNAL (RFC 4422 appendix A)
// and ANONYMOUS (RFC 4505).
//
// # Server side
//
// A [Registry] holds the server policy: a [Credentials] lookup (which may
// return stored [SCRAMKeys] instead of a plaintext password), an optional
// [TokenVerifier] for the OAuth mechanisms, and an Authorize hook for
// authorization identities distinct from the authentication identity.
// [Registry.Mechanisms] lists what a [Channel] may use (PLAIN, LOGIN,
// XOAUTH2 and OAUTHBEARER only on TLS or otherwise secure channels by
// default) and [Registry.NewServer] starts a [ServerSession], whose
// [ServerSession.Identity] reports the authenticated and authorization
// identities after success.
//
// Unknown users and wrong passwords fail the same way
// ([ErrBadCredentials]); SCRAM gives unknown users a stable fake salt so
// the exchange does not reveal who exists. Passwords returned by the
// lookup, and response buffers that carried a password (PLAIN, LOGIN), are
// cleared with tlsutil.Wipe after use. The LOGIN, CRAM-MD5 and SCRAM
// clients clear their copy of the password once it has been used; the
// PLAIN, XOAUTH2 and OAUTHBEARER clients keep the secret only in the
// response they return, which is the caller's to wipe once it has been
// sent. Go strings passed to the client constructors cannot be cleared.
//
// SCRAM salts: users with stored [SCRAMKeys] get their own salt; every
// other user name, known (keys derived on the fly from a plaintext
// password) or not, gets a stable salt derived from
// [Registry.FakeSaltKey], so the server-first-message does not reveal
// which users exist.
//
// # Deviations
//
//   - No SASLprep (RFC 4013) normalisation: user names and passwords are
//     compared as the UTF-8 bytes received. ASCII credentials, by far the
//     common case, are unaffected.
//   - SCRAM channel binding supports tls-exporter only (not tls-unique or
//     tls-server-end-point); -PLUS is offered only when the TLS connection
//     can export keying material (TLS 1.3, or TLS 1.2 with extended master
//     secret).
//   - SCRAM's final server message is sent as a challenge that the client
//     answers with an empty response (as SMTP requires anyway), never as
//     "success with additional data"; on failure the server returns an
//     error rather than an "e=" message.
//   - OAUTHBEARER channel binding is not supported.
//
// # Limits
//
// Client responses are limited to [Limits].MaxResponse bytes (default
// 16 KiB); PLAIN and LOGIN fields to 255 bytes; OAUTHBEARER messages to 32
// key/value pairs. SCRAM clients refuse iteration counts outside
// [4096, 600000] by default.
//
// # Concurrency
//
// A Registry is safe for concurrent use once configured. Clients and
// ServerSessions belong to one exchange and one goroutine.
package sasl
