// Package mx finds where mail for a domain goes: MX resolution and
// delivery-target selection for an SMTP client (RFC 5321 §5.1, RFC 7505).
//
// [Router.Lookup] turns a recipient domain into an ordered list of
// [Target]s. Targets are sorted by preference, lowest first; targets of
// equal preference are shuffled with the router's injectable random source,
// as RFC 5321 §5.1 asks. When the domain exists but publishes no MX record
// the domain itself is the only target (the "implicit MX"); that fallback is
// never taken when the MX lookup failed temporarily. A null MX (RFC 7505,
// "MX 0 .") yields a permanent [*Error] wrapping [ErrNullMX] whose suggested
// reply is 556 5.1.10. With [Router.SmartHost] set, MX resolution is
// bypassed and every domain routes to that one host and port.
//
// [Router.Addrs] resolves a target to IP addresses, ordered or filtered by
// [Router.Family] (IPv4 first, IPv6 first, or one family only).
//
// [Selector] is the state a long-running MTA keeps between messages: it
// spreads consecutive messages round-robin across the hosts of the lowest
// preference, remembers hosts marked down after a failed attempt with an
// exponential back-off, and falls back to the next preference only when every
// host of the lower preference is down.
//
// # Policies and deviations
//
//   - Domains and MX targets are converted to ASCII with the IDNA lookup
//     profile (golang.org/x/net/idna), lower-cased, without trailing dot.
//   - A domain literal such as "[192.0.2.1]" or "[IPv6:2001:db8::1]" is a
//     single target with [Target.Addr] set; no DNS lookup is made.
//   - Duplicated targets are removed; the lowest preference of a host wins.
//   - MX targets that are aliases (CNAMEs, forbidden by RFC 2181 §10.3) are
//     accepted: the address lookup follows the alias like Postfix and
//     Sendmail do. No extra query is made to detect them.
//   - MX targets that are IP address literals (e.g. "MX 10 192.0.2.1.") are
//     not host names and are skipped unless [Limits.AllowIPTargets] is set,
//     in which case the target carries the address in [Target.Addr]. If every
//     target is skipped the lookup fails permanently ([ErrNoTargets]).
//   - A null MX mixed with other MX records violates RFC 7505 §3; the "."
//     record is then ignored and the other records are used.
//   - When the resolver returns some MX records together with a
//     non-temporary error (*net.Resolver does so when other records had
//     malformed target names), the records returned are used.
//   - An MX lookup answering NXDOMAIN is a permanent error (550 5.1.2); a
//     NODATA answer leads to the implicit MX if the domain has addresses.
//
// # Limits
//
// [Limits.MaxHosts] (default 10) caps the number of targets after sorting;
// [Limits.MaxAddrs] (default 10) caps the addresses returned per target;
// [Limits.MaxTracked] (default 10000) bounds the hosts and host groups a
// [Selector] remembers.
//
// # Concurrency
//
// A [Router] is safe for concurrent use if its Resolver and Rand are; the
// default random source is. A [Selector] is safe for concurrent use.
package mx
