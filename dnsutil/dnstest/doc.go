// Package dnstest provides an in-memory DNS zone and a loopback DNS server
// for testing mail logic without a network.
//
// A [Zone] holds resource records of any type (A, AAAA, MX, TXT, PTR,
// CNAME, NS, SOA, ...) added as master-file lines ([Zone.Add]), as
// miekg/dns records ([Zone.AddRR]) or loaded from RFC 1035 master-file
// text ([ParseZone]). It implements the lookup methods of *net.Resolver
// (LookupTXT, LookupMX, LookupNetIP, LookupIPAddr, LookupHost, LookupAddr,
// LookupCNAME) directly, with no network, so it can be passed wherever a
// consumer-side resolver interface is expected. Faults (SERVFAIL,
// REFUSED, NXDOMAIN, timeout, truncation) are injected per name and type
// with [Zone.SetFault]; every question answered is recorded and returned
// by [Zone.Queries] so tests can assert lookup counts.
//
// A [Server] serves a Zone over UDP and TCP on 127.0.0.1 with an
// ephemeral port, so dnsutil.Resolver, a net.Resolver with a custom Dial,
// or third-party software can be pointed at it.
//
// # Semantics
//
// Names are case-insensitive and the trailing dot is optional. Lookup
// methods return *net.DNSError: NXDOMAIN and NODATA have IsNotFound set;
// SERVFAIL and REFUSED have IsTemporary; [FaultTimeout] has IsTimeout and
// returns at once instead of sleeping. A cancelled context yields an error
// that unwraps to the context's error. CNAME chains inside the zone are
// followed (at most 8 links); negative answers carry the closest enclosing
// SOA of the zone with TTL min(SOA TTL, MINIMUM) as RFC 2308 describes, so
// resolvers can cache them. LookupMX returns records in zone order, not
// sorted, so callers can test their own ordering.
//
// # Names and TXT strings
//
// Records hold miekg/dns presentation form: a backslash in a name or a
// TXT string starts an escape, \DDD (a decimal byte value) or \X (the
// byte X), so a literal backslash inside a TXT string added with
// [Zone.AddRR] is "\\" (as for dns.TXT.Txt everywhere in miekg/dns). A
// name or string without a backslash is taken byte for byte. Lookup
// methods, directly and through a [Server] with dnsutil.Resolver, return
// TXT data as raw bytes like *net.Resolver: "caf\195\169" and "café"
// give the same answer. Owner names may hold any byte in a label (a
// space, as SPF macro expansion can produce); every name, whether stored,
// asked directly or received over the wire, is compared by its label
// bytes with ASCII letters case-folded, so "a b.example.",
// "A\032b.example." and "a\ b.example." are the same node.
//
// # Deviations and limits
//
// This is not a full authoritative server: there is no wildcard
// expansion, no delegation (NS records are plain data), no DNSSEC, no
// zone transfers. Master files are read with the miekg/dns zone parser;
// $INCLUDE is refused and at most [MaxZoneRecords] records are accepted.
// The query log keeps at most [MaxQueryLog] entries and the server's
// request log [MaxRequestLog].
//
// # Concurrency
//
// Zone and Server are safe for concurrent use; records and faults may be
// changed while a Server is running.
package dnstest
