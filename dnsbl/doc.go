// Package dnsbl checks IP addresses and domain names against DNS lists
// (DNSBLs, DNSWLs, RFC 5782) and local allow- and blocklists, and scores the
// answers the way Postfix postscreen does.
//
// A [List] is an IP list (the address's IPv4 octets or IPv6 nibbles
// reversed and prepended to the list's zone: 127.0.0.2 in zen.spamhaus.org
// is 2.0.0.127.zen.spamhaus.org) or a domain list (sender domain, HELO
// name, hosts of URLs). Each list has per-return-code meanings and weights
// ([Code]) and is a blocklist or an allowlist (List.Allow: its weights count
// negatively, like DNSWL in postscreen_dnsbl_sites).
//
// [Checker.Check] consults the local lists first (LocalAllow wins over
// LocalBlock; a match decides without DNS), then queries every applicable
// list concurrently, each with its own timeout, so the latency of a check is
// that of the slowest list, not the sum. The verdict compares the weighted
// sum with Checker.Threshold (Block, default 1) and Checker.AllowThreshold
// (Allow, default -1). TXT reasons are fetched only on demand
// ([Checker.Reason]).
//
// [Interpret] is the pure interpretation of an answer: addresses outside
// 127.0.0.0/8 (a broken list, or a resolver rewriting NXDOMAIN) are
// [ErrBadAnswer], and 127.255.255.0/24 (Spamhaus: query refused, rate
// limited, typo) are [ErrRefused]. Either makes the whole answer an error,
// never a listing, and it does not count in the score.
//
// [Checker.Health] runs the RFC 5782 §5 test points: IP lists must list
// 127.0.0.2 and ::FFFF:7F00:2 and must not list 127.0.0.1 and
// ::FFFF:7F00:1; domain lists must list TEST and not INVALID. A dead list
// fails with "test point not listed", a list that lists everything (shut
// down that way, or hijacked) with "everything listed".
//
// [ParseLocalList] reads local lists: addresses, CIDR networks, domains
// (with subdomains, or ".domain" for subdomains only), e-mail addresses and
// "@domain", with "#" comments; errors are [*ParseError] with line numbers.
//
// # Deviations and limits
//
//   - An IPv4-mapped IPv6 client address is queried as IPv4.
//   - Duplicate domains in a query are queried once.
//   - Limits.Timeout (default 5 s, List.Timeout overrides) bounds each
//     query; Limits.MaxQueries (default 64) bounds lists x subjects per
//     check; Limits.MaxAnswers (default 32) bounds A records interpreted;
//     TXT reasons are cut at 4096 bytes; local lists are bounded by
//     [LocalLimits] (1,000,000 entries, 1024-byte lines by default).
//   - Check returns when every list has answered or timed out, at once
//     when ctx is done. A Resolver that ignores its context cannot hold a
//     check past the longest list timeout (plus 250 ms): that list is then
//     reported as timed out, and its query goroutine ends when the
//     Resolver returns.
//   - Subjects are bounded before any work is done for them: a query with
//     more domains than Limits.MaxQueries allows fails with [ErrTooMany]
//     without DNS traffic.
//   - A lookup failure (timeout, SERVFAIL) is reported per list in
//     [Result.Errors] and does not count; Check itself only fails when ctx
//     is done or the query is too large.
//
// # Concurrency
//
// A [Checker] is safe for concurrent use if its Resolver is; a [LocalList] is
// immutable after parsing.
package dnsbl
