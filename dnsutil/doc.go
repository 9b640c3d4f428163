// Package dnsutil is mailkit's concrete DNS stub resolver, built on
// github.com/miekg/dns.
//
// [Resolver] implements the lookup methods of *net.Resolver (LookupTXT,
// LookupMX, LookupNetIP, LookupIPAddr, LookupHost, LookupAddr,
// LookupCNAME), so it plugs into every mailkit engine whose resolver
// interface uses those signatures, plus [Resolver.Query], which returns
// the raw *dns.Msg for callers that need the RCODE, TTLs or the AD bit.
//
// # Behaviour
//
//   - Servers come from [Resolver.Servers] or the nameserver lines of
//     /etc/resolv.conf; "127.0.0.1:5353", "192.0.2.1" (port 53) and IPv6
//     forms are accepted. resolv.conf is read once, at the first query.
//   - Queries go over UDP with an EDNS0 OPT record advertising a 4096-byte
//     payload (RFC 6891), the RD and AD bits set. A truncated answer (TC
//     bit) is asked again over TCP on the same server (RFC 7766), so large
//     TXT RRsets such as SPF records are not lost.
//   - Each exchange with one server is bounded by [Resolver.Timeout];
//     on timeout, network error, SERVFAIL or REFUSED the next server is
//     tried; [Resolver.Attempts] rounds are made through the list.
//   - The context bounds and cancels every call; an error caused by it
//     unwraps to ctx.Err().
//   - Names may be internationalized; non-ASCII labels are converted to
//     A-labels with golang.org/x/net/idna (Lookup profile), ASCII labels
//     are left alone so "_dmarc" style names work.
//   - Names are sent with their label bytes as given: a name without a
//     backslash is taken byte for byte, and bytes presentation form can
//     not carry as they are (a space, '@', '"', control bytes, ...) are
//     escaped as miekg/dns writes them (\X, \DDD) so the packed
//     question holds the raw bytes; SPF macro expansion can produce such
//     names. A name with a backslash is taken as already escaped (\DDD
//     decimal or \X). Replies are matched to the question by label
//     bytes, ASCII letters without case. Labels
//     longer than 63 octets, names longer than 255 octets (after
//     unescaping), empty labels and bad escapes are refused without a
//     query: like *net.Resolver the lookup methods report "no such host"
//     with IsNotFound; the error unwraps to [ErrInvalidName].
//   - TXT strings are returned as raw bytes, as *net.Resolver returns
//     them: the escapes miekg/dns puts in its presentation form
//     (\DDD for bytes outside printable ASCII, \" and \\) are decoded.
//   - CNAME chains are followed, at most 8 links, with further queries
//     when a server did not resolve the target.
//   - An optional [Cache] honours TTLs and caches NXDOMAIN and NODATA per
//     RFC 2308 using the SOA of the authority section; its size is bounded
//     and its clock injectable.
//
// Errors are *net.DNSError: NXDOMAIN and NODATA have IsNotFound set,
// SERVFAIL and REFUSED IsTemporary, timeouts IsTimeout (and IsTemporary).
// As with *net.Resolver, an invalid name is IsNotFound, and errors caused
// by the context unwrap to ctx.Err(); configuration errors unwrap to
// [ErrNoServers] or the address error.
//
// The Server field of an error names, as "host:port" like *net.Resolver
// ("127.0.0.1:53", "[2001:db8::53]:53"), the server whose answer the error
// reports (NXDOMAIN, NODATA, SERVFAIL, REFUSED, a CNAME chain too long), or
// the server the exchange timed out or failed on. After fail-over it is the
// server that gave the reported answer: when every server failed, the last
// one that answered SERVFAIL or REFUSED, else the last one tried. A negative
// answer served from the [Cache] names the server that gave it originally
// (the source of the information, which may be a server of another
// Resolver sharing the cache). Server is empty when no server was involved:
// an invalid name, a configuration error, or a context that was already
// done before a query was sent.
//
// # Deviations
//
// LookupTXT joins the strings of each record like *net.Resolver. LookupMX
// sorts by preference but does not shuffle equal preferences (RFC 5321
// section 5.1 randomization is the mx package's job). LookupCNAME asks
// for type A (then AAAA) and reports the end of the chain. There is no
// search-list or ndots handling: every name is treated as fully
// qualified. DNSSEC is not validated; the AD bit of the upstream is
// passed through in [Resolver.Query] results only.
//
// # Limits and defaults
//
// Timeout 2s per exchange and 2 attempts (or the timeout:n and attempts:n
// options of resolv.conf when the servers come from it), EDNS0 payload
// 4096, UDP replies read into a buffer of that size (a larger one is
// treated as truncated), TCP replies at most 65535 bytes by their length
// prefix. The cache holds at most 10000 entries and 32 MiB of messages;
// positive TTLs are capped at 24h and negative ones at 3h.
//
// # Concurrency
//
// Resolver and Cache are safe for concurrent use; a Cache may be shared.
// The package's tests use dnsutil/dnstest, which users can use as well.
package dnsutil
