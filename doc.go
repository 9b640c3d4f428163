// Package mailkit is an embeddable Go SDK for building mail systems.
//
// mailkit ships no binaries. It is a set of focused packages, each a pure
// protocol or policy engine, that other programs import to compose a custom
// MTA, a submission service, a mailbox server or a spam-policy daemon, or to
// unit-test the mail logic of their own services. This package holds only
// this overview; README.md has the same map.
//
// # Packages
//
// Foundation:
//
//   - dnsutil: a stub resolver on miekg/dns (EDNS0, TCP retry on
//     truncation, per-server timeouts and retries, TTL and negative cache)
//     with the lookup methods of *net.Resolver.
//   - dnsutil/dnstest: in-memory zones with injectable faults and a
//     loopback DNS server, for tests (yours too).
//   - tlsutil: implicit TLS and STARTTLS, safe configs, a test CA,
//     certificate loading and reloading, chain diagnostics, summaries.
//   - sasl: SASL mechanisms, client and server, and the registry that
//     decides what a channel may use.
//   - mime: header fields, MIME entities, encoded words and parameters,
//     decoding and encoding.
//
// Policy engines:
//
//   - spf: SPF records and check_host() (RFC 7208).
//   - senderid: Sender ID and the Purported Responsible Address (RFC 4406,
//     4407) on the spf engine.
//   - mx: MX resolution and delivery-target selection (RFC 5321, 7505).
//   - dnsbl: DNS block and allow lists, scoring, health checks (RFC 5782).
//   - greylist: greylisting over a pluggable store; greylist/storetest is
//     the conformance test of stores.
//
// Protocols and storage:
//
//   - esmtp: the typed registry of SMTP extensions, their EHLO keywords and
//     MAIL/RCPT parameters, DSN.
//   - smtp: SMTP and LMTP server and client on a shared wire codec;
//     smtp/smtptest captures mail in tests.
//   - pop3, pop3/maildirbackend: POP3 server and client, and a Maildir
//     backend.
//   - imap, imap/imapserver, imap/imapclient, imap/imapmem,
//     imap/imapmaildir: the IMAP codec, server, client, an in-memory
//     backend and a Maildir backend with persistent UIDs.
//   - maildir, mbox: mailbox storage formats.
//
// # How they compose
//
// Policy engines take DNS through small interfaces with the method
// signatures of *net.Resolver, so the standard resolver, dnsutil.Resolver
// and dnstest.Zone all plug in; they return results and suggested replies
// without importing the protocol packages. Protocol servers call user
// backends (Backend.NewSession, Session) and use tlsutil for STARTTLS and
// implicit TLS and sasl for AUTH; clients take the same building blocks.
// An MTA is then a smtp.Server whose Session consults spf, dnsbl and
// greylist, and whose client side delivers through mx and smtp.Client.
// examples/quickstart shows the pieces working together on loopback.
//
// Every engine takes a context.Context on blocking calls, works with its
// zero-value configuration, bounds its input with a Limits struct, and is
// documented in its own doc.go: RFCs, deviations, limits and defaults,
// concurrency.
package mailkit
