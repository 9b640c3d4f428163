package dnstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/mailkit-go/mailkit/dnsutil/internal/lookup"
)

// MaxQueryLog is how many entries [Zone.Queries] keeps; beyond it the
// oldest half is dropped so that long benchmarks stay bounded.
const MaxQueryLog = 100000

// ServerName is reported as the Server of errors returned by [Zone]'s
// lookup methods.
const ServerName = "dnstest"

// Fault is an injected failure for a name and type, set with
// [Zone.SetFault].
type Fault int

const (
	// FaultNone removes a fault.
	FaultNone Fault = iota
	// FaultServFail answers with RCODE SERVFAIL.
	FaultServFail
	// FaultTimeout does not answer. Lookup methods and [Zone.Exchange]
	// return a timeout error at once; [Server] drops the query.
	FaultTimeout
	// FaultNXDomain answers NXDOMAIN even if the name has records.
	FaultNXDomain
	// FaultRefused answers with RCODE REFUSED.
	FaultRefused
	// FaultTruncate makes [Server] answer over UDP with the TC bit set and
	// no records, so the client must retry over TCP. TCP answers, lookup
	// methods and [Zone.Exchange] are unaffected.
	FaultTruncate
)

var faultNames = [...]string{"none", "servfail", "timeout", "nxdomain", "refused", "truncate"}

// String returns the lower-case name of f.
func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// Query is one question the zone answered (or, for [FaultTimeout],
// received). Name is fully qualified with ASCII letters lower-cased
// ("example.com."), in the presentation form miekg/dns uses: label bytes
// such as a space or '@' escaped as "\ " and "\@", bytes outside
// printable ASCII as \DDD ("a\ b\195\175.example.").
type Query struct {
	Name string // queried name, fully qualified, in the form described above
	Type uint16 // query type, a dns.TypeXxx value
}

// String renders q as "example.com. MX".
func (q Query) String() string { return q.Name + " " + dns.TypeToString[q.Type] }

type faultKey struct {
	name  string
	qtype uint16
}

// Zone is an in-memory set of resource records with injectable faults. It
// answers questions directly (lookup methods with the signatures of
// *net.Resolver, and [Zone.Exchange]) or through a [Server]. The zero
// value is not usable; call [NewZone] or [ParseZone]. A Zone is safe for
// concurrent use.
type Zone struct {
	mu      sync.Mutex
	names   map[string][]dns.RR // lower-case FQDN -> records in insertion order
	order   []string            // names in first-insertion order
	faults  map[faultKey]Fault
	queries []Query
}

// NewZone returns an empty zone.
func NewZone() *Zone {
	return &Zone{names: make(map[string][]dns.RR), faults: make(map[faultKey]Fault)}
}

// Add parses each string as one master-file record with an absolute owner
// name, e.g. "example.com. 300 IN MX 10 mx.example.com.", and adds it. On
// error nothing is added.
func (z *Zone) Add(rrs ...string) error {
	parsed := make([]dns.RR, 0, len(rrs))
	for i, s := range rrs {
		rr, err := newRR(s)
		if err != nil {
			return fmt.Errorf("dnstest: record %d %q: %w", i+1, s, err)
		}
		if rr == nil {
			return fmt.Errorf("dnstest: record %d: %w", i+1, ErrEmptyRecord)
		}
		if emptyRdata(rr) {
			return fmt.Errorf("dnstest: record %d %q: %w", i+1, s, ErrEmptyRdata)
		}
		parsed = append(parsed, rr)
	}
	z.AddRR(parsed...)
	return nil
}

// ErrEmptyRecord is returned by [Zone.Add] for a blank or comment-only
// string.
var ErrEmptyRecord = errors.New("dnstest: empty record")

// ErrEmptyRdata reports a record without data (such as "x. IN CNAME"),
// which the master-file syntax only allows for dynamic updates.
var ErrEmptyRdata = errors.New("dnstest: record has no data")

// emptyRdata reports whether rr's data equals the zero value of its type.
func emptyRdata(rr dns.RR) bool {
	mk, ok := dns.TypeToRR[rr.Header().Rrtype]
	if !ok {
		return false
	}
	zero := mk()
	*zero.Header() = *rr.Header()
	return dns.IsDuplicate(zero, rr)
}

func newRR(s string) (rr dns.RR, err error) {
	defer func() {
		if p := recover(); p != nil {
			rr, err = nil, fmt.Errorf("dnstest: parser panic: %v", p)
		}
	}()
	return dns.NewRR(s)
}

// MustAdd is [Zone.Add] that panics on error; meant for tests. It returns
// z for chaining.
func (z *Zone) MustAdd(rrs ...string) *Zone {
	if err := z.Add(rrs...); err != nil {
		panic(err)
	}
	return z
}

// AddRR adds copies of records of any type. Exact duplicates are ignored.
//
// Fields hold miekg/dns presentation form, as they do after dns.NewRR or
// [ParseZone]: a backslash starts an escape (\DDD decimal or \X). In
// TXT strings a literal backslash is therefore written "\\\\" in Go
// source ("\\" in the string); a quote or a non-ASCII byte may be given
// as is or escaped (\" or \195 in the string). LookupTXT, here and through
// [Server], returns the raw bytes. An owner name without a backslash is
// taken byte for byte (a space or '@' in a label is allowed); one with a
// backslash is read as escaped.
func (z *Zone) AddRR(rrs ...dns.RR) {
	z.mu.Lock()
	defer z.mu.Unlock()
	for _, rr := range rrs {
		if rr == nil {
			continue
		}
		rr = dns.Copy(rr)
		name := canon(rr.Header().Name)
		if n, err := lookup.Normalize(rr.Header().Name); err == nil {
			rr.Header().Name = n // presentation form, case kept
		} else {
			rr.Header().Name = dns.Fqdn(rr.Header().Name)
		}
		list, seen := z.names[name]
		dup := false
		for _, old := range list {
			if dns.IsDuplicate(old, rr) {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		if !seen {
			z.order = append(z.order, name)
		}
		z.names[name] = append(list, rr)
	}
}

// Records returns copies of all records in insertion order.
func (z *Zone) Records() []dns.RR {
	z.mu.Lock()
	defer z.mu.Unlock()
	var out []dns.RR
	for _, n := range z.order {
		for _, rr := range z.names[n] {
			out = append(out, dns.Copy(rr))
		}
	}
	return out
}

// String renders the zone as master-file text with absolute names; it can
// be read back with [ParseZone].
func (z *Zone) String() string {
	var b strings.Builder
	for _, rr := range z.Records() {
		b.WriteString(rr.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// SetFault injects f for questions about name and qtype; qtype
// dns.TypeANY applies f to every type of name. FaultNone clears it.
// A fault for a specific type wins over one for TypeANY.
func (z *Zone) SetFault(name string, qtype uint16, f Fault) {
	z.mu.Lock()
	defer z.mu.Unlock()
	k := faultKey{canon(name), qtype}
	if f == FaultNone {
		delete(z.faults, k)
		return
	}
	z.faults[k] = f
}

// Queries returns the questions answered so far, in order (bounded by
// [MaxQueryLog]).
func (z *Zone) Queries() []Query {
	z.mu.Lock()
	defer z.mu.Unlock()
	return append([]Query(nil), z.queries...)
}

// ResetQueries clears the query log.
func (z *Zone) ResetQueries() {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.queries = nil
}

// canon is the key of a name in the zone, used both when records and
// faults are stored and when questions are answered, whichever way the
// name arrived: raw bytes ("a b.example."), presentation form with
// escapes ("a\032b.example.", "a\ b.example."), as miekg/dns unpacks it
// from a query over the wire, or in another letter case. See
// lookup.Canonical.
func canon(name string) string { return lookup.CanonicalKey(name) }

// parentName returns the name one label up ("." for a TLD), skipping
// escaped dots.
func parentName(n string) string {
	for i := 0; i < len(n); i++ {
		switch n[i] {
		case '\\':
			i++
		case '.':
			if i+1 >= len(n) {
				return "."
			}
			return n[i+1:]
		}
	}
	return "."
}

// isSubName reports whether n is a proper subdomain of parent (both
// canonical).
func isSubName(n, parent string) bool {
	if parent == "." {
		return n != "."
	}
	if len(n) <= len(parent) || !strings.HasSuffix(n, parent) {
		return false
	}
	i := len(n) - len(parent) - 1 // must be an unescaped dot
	if n[i] != '.' {
		return false
	}
	bs := 0
	for j := i - 1; j >= 0 && n[j] == '\\'; j-- {
		bs++
	}
	return bs%2 == 0
}

// ParseError is a master-file syntax error.
type ParseError struct {
	// Line is 1-based. It is 0 for errors found after a record was read
	// (e.g. [ErrEmptyRdata]); the message then names the record.
	Line   int
	Column int   // 1-based column as reported by the miekg/dns parser; 0 when unknown
	Err    error // the underlying error (from miekg/dns, or wrapping e.g. ErrEmptyRdata)
}

// Error formats the error with its line number when known.
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("dnstest: zone line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("dnstest: zone: %v", e.Err)
}

// Unwrap returns the underlying parser error.
func (e *ParseError) Unwrap() error { return e.Err }

var lineRE = regexp.MustCompile(`at line: (\d+):(\d+)$`)

// MaxZoneRecords bounds how many records [ParseZone] accepts.
const MaxZoneRecords = 100000

// ParseZone reads RFC 1035 master-file text: $ORIGIN, $TTL, relative
// names, blank owners (previous owner), parentheses and comments.
// $INCLUDE is refused. Relative names without an $ORIGIN are an error.
// Records without a TTL and no $TTL get 3600. Errors are *[ParseError]
// carrying the line number.
func ParseZone(text string) (z *Zone, err error) {
	defer func() {
		if p := recover(); p != nil {
			z, err = nil, &ParseError{Err: fmt.Errorf("parser panic: %v", p)}
		}
	}()
	zp := dns.NewZoneParser(strings.NewReader(text), "", "")
	zp.SetIncludeAllowed(false)
	zp.SetDefaultTTL(3600)
	z = NewZone()
	n := 0
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		n++
		if n > MaxZoneRecords {
			return nil, &ParseError{Err: fmt.Errorf("more than %d records", MaxZoneRecords)}
		}
		if emptyRdata(rr) {
			return nil, &ParseError{Err: fmt.Errorf("record %d (%s %s): %w", n,
				rr.Header().Name, dns.TypeToString[rr.Header().Rrtype], ErrEmptyRdata)}
		}
		z.AddRR(rr)
	}
	if err := zp.Err(); err != nil {
		pe := &ParseError{Err: err}
		if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
			pe.Line, _ = strconv.Atoi(m[1])
			pe.Column, _ = strconv.Atoi(m[2])
		}
		return nil, pe
	}
	return z, nil
}

// MustParseZone is [ParseZone] that panics on error; meant for tests.
func MustParseZone(text string) *Zone {
	z, err := ParseZone(text)
	if err != nil {
		panic(err)
	}
	return z
}

// Exchange answers the question in q directly, as an authoritative and
// recursive server holding only this zone would over TCP: CNAME chains
// inside the zone are followed, negative answers carry the closest SOA
// of the zone in the authority section (when the zone has one).
// [FaultTimeout] yields a *net.DNSError with IsTimeout; [FaultTruncate]
// has no effect. The query is recorded in [Zone.Queries].
func (z *Zone) Exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	if q == nil || len(q.Question) != 1 {
		return nil, errors.New("dnstest: query must have exactly one question")
	}
	name := q.Question[0].Name
	if err := ctx.Err(); err != nil {
		return nil, lookup.ContextError(err, name, ServerName)
	}
	resp, f := z.respond(q)
	if f == FaultTimeout {
		return nil, lookup.NewError(lookup.ErrTextTimeout, name, ServerName)
	}
	return resp, nil
}

// query is the lookup.QueryFunc of the zone.
func (z *Zone) query(ctx context.Context, name string, qtype uint16) (*dns.Msg, string, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	resp, err := z.Exchange(ctx, m)
	return resp, ServerName, err
}

func (z *Zone) lookuper() lookup.Lookuper {
	return lookup.Lookuper{Query: z.query, Server: ServerName}
}

// respond builds the answer to req, records the query and reports the
// fault that applies (FaultTimeout and FaultTruncate are for the caller
// to act on; the others are already reflected in the RCODE).
func (z *Zone) respond(req *dns.Msg) (*dns.Msg, Fault) {
	resp := new(dns.Msg)
	resp.SetReply(req)
	resp.Authoritative = true
	resp.RecursionAvailable = true
	if req.Opcode != dns.OpcodeQuery {
		resp.Rcode = dns.RcodeNotImplemented
		return resp, FaultNone
	}
	if len(req.Question) != 1 {
		resp.Rcode = dns.RcodeFormatError
		return resp, FaultNone
	}
	q := req.Question[0]
	name := canon(q.Name)

	z.mu.Lock()
	defer z.mu.Unlock()
	if len(z.queries) >= MaxQueryLog {
		z.queries = append(z.queries[:0], z.queries[len(z.queries)/2:]...)
	}
	z.queries = append(z.queries, Query{Name: name, Type: q.Qtype})

	if q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY {
		resp.Rcode = dns.RcodeRefused
		return resp, FaultNone
	}
	// The fault of the question itself decides timeout and truncation.
	if f := z.faultLocked(name, q.Qtype); f == FaultTimeout || f == FaultTruncate {
		if f == FaultTruncate {
			z.answerLocked(resp, name, q.Qtype)
		}
		return resp, f
	}
	f := z.answerLocked(resp, name, q.Qtype)
	return resp, f
}

func (z *Zone) faultLocked(name string, qtype uint16) Fault {
	if f, ok := z.faults[faultKey{name, qtype}]; ok {
		return f
	}
	return z.faults[faultKey{name, dns.TypeANY}]
}

// answerLocked fills resp for name/qtype, following CNAMEs in the zone.
func (z *Zone) answerLocked(resp *dns.Msg, name string, qtype uint16) Fault {
	cur := name
	for hop := 0; ; hop++ {
		switch f := z.faultLocked(cur, qtype); f {
		case FaultServFail:
			resp.Answer = nil
			resp.Rcode = dns.RcodeServerFailure
			return f
		case FaultRefused:
			resp.Answer = nil
			resp.Rcode = dns.RcodeRefused
			return f
		case FaultNXDomain:
			resp.Rcode = dns.RcodeNameError
			z.addSOALocked(resp, cur)
			return f
		case FaultTimeout:
			if hop > 0 {
				resp.Answer = nil
				resp.Rcode = dns.RcodeServerFailure
				return FaultServFail
			}
		}
		rrs, exists := z.names[cur]
		if !exists && !z.hasDescendantLocked(cur) {
			resp.Rcode = dns.RcodeNameError
			z.addSOALocked(resp, cur)
			return FaultNone
		}
		var cname *dns.CNAME
		matched := false
		for _, rr := range rrs {
			t := rr.Header().Rrtype
			if t == qtype || qtype == dns.TypeANY {
				resp.Answer = append(resp.Answer, dns.Copy(rr))
				matched = true
			} else if c, ok := rr.(*dns.CNAME); ok && cname == nil {
				cname = c
			}
		}
		if matched || cname == nil {
			if !matched {
				z.addSOALocked(resp, cur)
			}
			return FaultNone
		}
		if hop >= lookup.MaxCNAMEs {
			resp.Answer = nil
			resp.Rcode = dns.RcodeServerFailure
			return FaultServFail
		}
		resp.Answer = append(resp.Answer, dns.Copy(cname))
		cur = canon(cname.Target)
		if !z.inZoneLocked(cur) {
			return FaultNone // target elsewhere: the client must chase it
		}
	}
}

func (z *Zone) hasDescendantLocked(name string) bool {
	if name == "." {
		return len(z.names) > 0
	}
	for n := range z.names {
		if isSubName(n, name) {
			return true
		}
	}
	return false
}

// inZoneLocked reports whether name falls under a SOA of the zone, or,
// for zones without SOA, whether it shares a parent with any record.
func (z *Zone) inZoneLocked(name string) bool {
	if _, ok := z.names[name]; ok {
		return true
	}
	if z.findSOALocked(name) != nil {
		return true
	}
	return z.hasDescendantLocked(name)
}

func (z *Zone) findSOALocked(name string) *dns.SOA {
	for n := name; ; {
		for _, rr := range z.names[n] {
			if s, ok := rr.(*dns.SOA); ok {
				return s
			}
		}
		if n == "." {
			return nil
		}
		n = parentName(n)
	}
}

// addSOALocked puts the closest enclosing SOA into the authority section,
// with the TTL RFC 2308 section 3 asks for: min(SOA TTL, SOA MINIMUM).
func (z *Zone) addSOALocked(resp *dns.Msg, name string) {
	s := z.findSOALocked(name)
	if s == nil {
		return
	}
	c := dns.Copy(s).(*dns.SOA)
	c.Hdr.Ttl = min(c.Hdr.Ttl, c.Minttl)
	resp.Ns = append(resp.Ns, c)
}

// LookupTXT returns the TXT records of name, the strings of each record
// joined.
func (z *Zone) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return z.lookuper().TXT(ctx, name)
}

// LookupMX returns the MX records of name in zone order (not sorted).
func (z *Zone) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	return z.lookuper().MX(ctx, name)
}

// LookupNetIP returns the addresses of host; network is "ip", "ip4" or
// "ip6". An IP literal is returned as is.
func (z *Zone) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return z.lookuper().NetIP(ctx, network, host)
}

// LookupIPAddr returns the A and AAAA addresses of host.
func (z *Zone) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	return z.lookuper().IPAddr(ctx, host)
}

// LookupHost returns the addresses of host as strings.
func (z *Zone) LookupHost(ctx context.Context, host string) ([]string, error) {
	return z.lookuper().Host(ctx, host)
}

// LookupAddr returns the PTR names of addr.
func (z *Zone) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	return z.lookuper().Addr(ctx, addr)
}

// LookupCNAME returns the canonical name of host after following CNAMEs.
func (z *Zone) LookupCNAME(ctx context.Context, host string) (string, error) {
	return z.lookuper().CNAME(ctx, host)
}
