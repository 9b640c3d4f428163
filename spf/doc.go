// Package spf implements the Sender Policy Framework, version 1
// (RFC 7208): a record parser and the check_host() evaluator, macro
// expansion, and the Received-SPF and Authentication-Results (RFC 8601)
// header fragments.
//
// Parsing is separate from evaluation: [Parse] turns a "v=spf1" TXT string
// into a [Record] of [Term] values following the ABNF of RFC 7208 §12
// (case-insensitive names, domain-spec/toplabel rules, dual-cidr-length),
// and [Record.String] prints a record that parses back to the same value.
// A [Checker] evaluates a policy for an [Input] (client IP, HELO, MAIL
// FROM):
//
//	c := spf.Checker{Resolver: net.DefaultResolver}
//	res, err := c.Check(ctx, spf.Input{IP: ip, Helo: helo, MailFrom: from})
//	// res.Result is always set ("pass", "fail", ...). A pass is never an error.
//
// Both identities of RFC 7208 §2.3/§2.4 are supported through
// [Input.Identity]: MAIL FROM (postmaster@<helo> for the null sender) and
// HELO. The [Result] carries the result token, the matched term, the
// explanation of a fail (exp= or [Checker.DefaultExplanation]), the number
// of DNS-querying terms and void lookups, and for temperror/permerror the
// cause in Result.Err (errors.Is with [ErrTooManyLookups], [ErrSyntax],
// [ErrDNS], ...). The error returned by [Checker.Check] is reserved for
// unusable input and a context that ended during the check (the result
// is then temperror and the error wraps ctx.Err()). Every error message
// starts with "spf: ".
//
// [NewReceivedSPF] builds the Received-SPF field and [AuthResult] the
// spf= part of Authentication-Results (with reason= for errors). Values
// taken from the SMTP session (HELO, MAIL FROM) are quoted when they are
// not plain tokens and control characters are replaced, so a hostile
// client can not add header lines, key=value pairs or properties.
//
// # DNS
//
// All DNS goes through [Resolver], which has the method signatures of
// *net.Resolver, so net.Resolver, dnsutil.Resolver and dnstest.Zone plug
// in. Only TXT records are queried for policies (type 99 is obsolete).
// NXDOMAIN and NODATA must be *net.DNSError with IsNotFound; every other
// failure is a temperror.
//
// # Limits and defaults
//
// [Limits] (zero = RFC 7208 §4.6.4 values): 10 DNS-querying terms
// (include, a, mx, ptr, exists, redirect), 2 void lookups, 10 MX names per
// mx term (more is a permerror) and 10 PTR names per ptr term or %{p}
// (extra names are ignored). Include/redirect nesting is additionally
// capped at 64 levels. Expanded domain names longer than 253 octets are
// truncated from the left (§7.3); the expansion keeps only a short tail
// while it is built, so a record full of %{s} macros and a long sender
// cost no more memory than the inputs. Explanations are cut at
// [MaxExplanationLen] octets. Parse rejects input over 64 KiB.
//
// %{p} looks up the client's PTR names and validates up to MaxPTRNames
// of them once per check; the name chosen depends on the current domain
// (it changes with include and redirect).
//
// # Deviations and choices
//
//   - %{i} of an IPv6 client expands to upper-case hexadecimal nibbles, as
//     the openspf.org test suite (and pyspf) expect; RFC 7208 §7.4 shows
//     lower case. DNS names are case-insensitive, so only explanation text
//     can tell the difference.
//   - A record with a syntax error anywhere is a permerror even when an
//     earlier mechanism would match (§4.6); run-time errors in terms after
//     a match are never reached.
//   - A domain that expands to an invalid DNS name (empty or over-long
//     label) in a, mx or exists is treated like NXDOMAIN (a void lookup);
//     as include or redirect target it yields none and thus permerror.
//   - The suite test "mx-limit" is met by refusing MX sets larger than
//     the limit before any address lookup.
//
// The openspf.org RFC 7208 suite (203 tests) and RFC 4408 suite (191
// tests) run as ordinary tests in suite_test.go against dnstest.Zone and
// pass in full.
//
// # Concurrency
//
// A [Checker] and a [Cache] are safe for concurrent use; records returned
// by [Parse] and referenced by [Result.Matched] must not be modified.
// [Checker.Trace] is called synchronously from the checking goroutine.
//
// # Performance
//
// Without a [Cache], a check parses each record it fetches into a term
// arena that is recycled between checks (a sync.Pool of evaluation
// states), so parsing allocates nothing once warm; [Result.Matched] is
// then a copy of the matching term. With [Checker.Trace] or
// [Checker.Select] set, records are allocated normally, since the trace
// hook or selector may keep them. ip4 and ip6 networks are parsed by hand
// (checked against net/netip by tests and fuzzing). bench/spf_test.go
// compares the engine with blitiri.com.ar/go/spf.
package spf
