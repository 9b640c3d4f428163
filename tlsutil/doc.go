// Package tlsutil holds the TLS plumbing shared by mailkit's protocol
// engines (smtp, pop3, imap): connection modes, safe configurations,
// certificates for tests and production, chain verification, a STARTTLS
// client and connection summaries.
//
// # Modes
//
// [Mode] distinguishes plaintext, implicit TLS (TLS from the first byte, as
// on ports 465, 993 and 995; RFC 8314) and explicit TLS negotiated with
// STARTTLS (RFC 3207 for SMTP, RFC 2595 for IMAP and POP3). [Listen] and
// [Dial] open connections in either mode; [StartTLS] performs the client side
// of the upgrade dialogue for SMTP, IMAP, POP3, FTP (RFC 4217 AUTH TLS) and
// LDAP (RFC 4511 StartTLS extended operation), like `openssl s_client
// -starttls`.
//
// # Configurations
//
// [ServerConfig] and [ClientConfig] return new *tls.Config values with TLS 1.2
// as the minimum version and, for TLS 1.2, only ECDHE key exchange with AEAD
// ciphers (TLS 1.3 suites are not configurable in crypto/tls and are all
// safe). Every function here returns a fresh or cloned config; none keeps a
// reference a caller could mutate behind another user's back.
// [RequireClientCert] turns on client-certificate authentication. Server
// cipher preference needs no setting: since Go 1.18 crypto/tls chooses the
// suite itself (preferring AES-GCM when both sides have AES hardware,
// ChaCha20-Poly1305 otherwise) and ignores PreferServerCipherSuites.
// [Listen], [Dial], [ServerHandshake] and [StartTLS] use the config they
// are given as is (cloned); pass it through [Harden] to impose these
// minimums on a config built elsewhere.
//
// # Certificates
//
// [CA] is an in-memory certificate authority for tests and development: one
// line gives every test real TLS ([NewCA], [CA.ServerConfig],
// [CA.ClientConfig]). Leaves use ECDSA P-256 unless RSA or Ed25519 is
// requested, and can be written as PEM files. [LoadKeyPair] loads PEM
// certificate and key files with typed errors for a missing block, a key that
// does not match, or a certificate outside its validity period. [Reloader]
// serves the current certificate through tls.Config.GetCertificate and picks
// up renewed files (detected by content, checked every 30s by default,
// files of at most 1 MiB) without a restart. [VerifyChain] checks a chain against
// given roots (or the system pool) and a host name and describes the chain
// ([ChainInfo]) for diagnostics.
//
// # STARTTLS and pre-handshake data
//
// [StartTLS] never lets bytes that arrived before the TLS handshake be read
// as if they came over TLS: whatever the server pipelined after its "ready
// to start TLS" reply is discarded (the client side of CVE-2011-0411), and
// bytes that arrive later make the handshake fail instead of being accepted.
//
// # Summaries and secrets
//
// [Summary] formats a connection state for Received headers and logs, e.g.
// "TLS1.3 TLS_AES_128_GCM_SHA256". [Wipe] clears secret byte slices; package
// sasl uses it for passwords.
//
// # Deviations and limits
//
// The STARTTLS client reads at most [StartTLSOptions.MaxLineLength] bytes per
// reply line (default 4096) and 100 lines per reply; an LDAP response may be
// at most 64 KiB. A cancelled or expired context makes StartTLS fail with
// an error that unwraps to ctx.Err(). Channel bindings other than
// tls-exporter (RFC 9266) are not provided. TLS 1.0 and 1.1 are refused even for opportunistic SMTP.
//
// # Concurrency
//
// All functions are safe for concurrent use. A [CA] and a [Reloader] may be
// used from many goroutines. A StartTLS call owns its connection.
package tlsutil
