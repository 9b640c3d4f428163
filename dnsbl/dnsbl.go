package dnsbl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// Resolver is the part of *net.Resolver the package needs; *net.Resolver,
// dnsutil.Resolver and dnstest.Zone satisfy it. Errors should be
// *net.DNSError: IsNotFound (NXDOMAIN or NODATA) means "not listed".
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Kind says what a list is keyed on.
type Kind int

const (
	// IPList is keyed on client addresses: reversed IPv4 octets or
	// reversed IPv6 nibbles (RFC 5782 §2.1, §2.4). The zero value.
	IPList Kind = iota
	// DomainList is keyed on domain names (RFC 5782 §2.2).
	DomainList
)

// Code gives a meaning and a weight to the answers of a list that fall in
// Match.
type Code struct {
	// Match selects answers, e.g. 127.0.0.2/32 or 127.0.0.0/24.
	Match netip.Prefix
	// Weight is added to the score when any answer falls in Match (once
	// per Code, whatever the number of matching answers).
	Weight int
	// Meaning is a label for logs and results, e.g. "SBL".
	Meaning string
}

// List describes one DNS list.
type List struct {
	// Zone is the list's zone, e.g. "zen.spamhaus.org".
	Zone string
	// Kind says whether the list is keyed on IPs or domains.
	Kind Kind
	// IPv4Only skips IPv6 clients (lists that do not publish IPv6 data).
	IPv4Only bool
	// Allow marks an allowlist (DNSWL): its weights count negatively.
	Allow bool
	// Weight is the score of a listing when Codes is empty (default 1).
	Weight int
	// Codes, when not empty, are the only answers that count; answers in
	// 127.0.0.0/8 that match no Code are ignored.
	Codes []Code
	// Timeout bounds this list's queries (default Limits.Timeout).
	Timeout time.Duration
}

// Errors.
var (
	// ErrBadAnswer means a list answered outside 127.0.0.0/8: a broken
	// or hijacked list, never a listing.
	ErrBadAnswer = errors.New("dnsbl: answer outside 127.0.0.0/8")
	// ErrRefused means a list answered 127.255.255.x: query refused or
	// rate limited (Spamhaus), never a listing.
	ErrRefused = errors.New("dnsbl: query refused by list")
	// ErrBadQuery means the address or domain cannot be queried.
	ErrBadQuery = errors.New("dnsbl: invalid query")
	// ErrTooMany means the check needs more queries than Limits.MaxQueries.
	ErrTooMany = errors.New("dnsbl: too many queries")
	// ErrUnhealthy means a list failed its RFC 5782 §5 health check.
	ErrUnhealthy = errors.New("dnsbl: list failed health check")
)

var refusedNet = netip.MustParsePrefix("127.255.255.0/24")
var loopNet = netip.MustParsePrefix("127.0.0.0/8")

// Listing is the interpretation of a list's answer.
type Listing struct {
	// Listed reports that the answer counts as a listing.
	Listed bool
	// Weight is the signed score contribution (negative for allowlists).
	Weight int
	// Meanings are the labels of the matched Codes.
	Meanings []string
}

// Interpret turns the A records a list returned into a listing. Answers
// outside 127.0.0.0/8 yield [ErrBadAnswer], answers in 127.255.255.0/24
// [ErrRefused]; either makes the whole answer an error, never a listing.
// An empty answer is "not listed".
func Interpret(l *List, addrs []netip.Addr) (Listing, error) {
	for _, a := range addrs {
		a = a.Unmap()
		if !a.Is4() || !loopNet.Contains(a) {
			return Listing{}, fmt.Errorf("%w: %s answered %v", ErrBadAnswer, l.Zone, a)
		}
		if refusedNet.Contains(a) {
			return Listing{}, fmt.Errorf("%w: %s answered %v", ErrRefused, l.Zone, a)
		}
	}
	if len(addrs) == 0 {
		return Listing{}, nil
	}
	sign := 1
	if l.Allow {
		sign = -1
	}
	var res Listing
	if len(l.Codes) == 0 {
		w := l.Weight
		if w == 0 {
			w = 1
		}
		return Listing{Listed: true, Weight: sign * w}, nil
	}
	for _, c := range l.Codes {
		for _, a := range addrs {
			if c.Match.Contains(a.Unmap()) {
				res.Listed = true
				res.Weight += sign * c.Weight
				if c.Meaning != "" {
					res.Meanings = append(res.Meanings, c.Meaning)
				}
				break
			}
		}
	}
	return res, nil
}

// Verdict is the outcome of a check.
type Verdict int

const (
	// Neutral: the score is between the thresholds.
	Neutral Verdict = iota
	// Block: the score reached Checker.Threshold or a local blocklist
	// matched.
	Block
	// Allow: the score fell to Checker.AllowThreshold or a local allowlist
	// matched.
	Allow
)

// String returns the lower-case name of the verdict, "Verdict(n)" if unknown.
func (v Verdict) String() string {
	switch v {
	case Neutral:
		return "neutral"
	case Block:
		return "block"
	case Allow:
		return "allow"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// Limits bounds a check. Zero values select the defaults.
type Limits struct {
	// Timeout bounds each list's query (default 5 s).
	Timeout time.Duration
	// MaxQueries caps the queries of one check (lists x subjects,
	// default 64).
	MaxQueries int
	// MaxAnswers caps the A records interpreted per answer (default 32).
	MaxAnswers int
}

// Checker queries DNS lists and local lists and scores the result the way
// Postfix postscreen does. The zero value (with a Resolver) checks nothing
// and returns Neutral.
type Checker struct {
	// Resolver answers the list queries.
	Resolver Resolver
	// Lists are queried concurrently.
	Lists []List
	// LocalAllow and LocalBlock are consulted first (allow wins); a match
	// decides without DNS queries.
	LocalAllow, LocalBlock *LocalList
	// Threshold is the score from which the verdict is Block (default 1).
	Threshold int
	// AllowThreshold is the score at or under which the verdict is Allow
	// (default -1).
	AllowThreshold int
	// Limits bounds the work.
	Limits Limits
	// Logger receives debug messages; nil discards.
	Logger *slog.Logger
}

// Query is what one check is about.
type Query struct {
	// IP is the client address, checked against IP lists (optional).
	IP netip.Addr
	// Domains are checked against domain lists: sender domain, HELO name,
	// hosts of URLs in the message (optional).
	Domains []string
	// Sender is the envelope sender, checked against local lists only.
	Sender string
}

// ListResult is one list's answer for one subject.
type ListResult struct {
	// List is the list queried.
	List *List
	// Subject is the IP address or domain checked.
	Subject string
	// Name is the DNS name queried.
	Name string
	// Addrs are the A records returned.
	Addrs []netip.Addr
	Listing
	// Err is set when the query failed or the answer was invalid.
	Err error
}

// Result is the outcome of [Checker.Check].
type Result struct {
	// Verdict is Score compared with the Checker's thresholds (or the
	// local list's decision when Local is set).
	Verdict Verdict
	// Score is the weighted sum of listings.
	Score int
	// Local is the local-list entry that decided, if any.
	Local string
	// Results has one element per query made, in list order.
	Results []ListResult
}

// Listed returns the results that are listings.
func (r *Result) Listed() []ListResult {
	var out []ListResult
	for _, lr := range r.Results {
		if lr.Err == nil && lr.Listed {
			out = append(out, lr)
		}
	}
	return out
}

// Errors returns the results that failed.
func (r *Result) Errors() []ListResult {
	var out []ListResult
	for _, lr := range r.Results {
		if lr.Err != nil {
			out = append(out, lr)
		}
	}
	return out
}

func (c *Checker) thresholds() (block, allow int) {
	block, allow = c.Threshold, c.AllowThreshold
	if block == 0 {
		block = 1
	}
	if allow == 0 {
		allow = -1
	}
	return block, allow
}

// Check consults the local lists, then queries every applicable list
// concurrently, each with its own timeout, and returns the verdict. Failed
// queries are reported in Result.Results and do not count. The error is
// only for a bad query or ctx being done.
func (c *Checker) Check(ctx context.Context, q Query) (Result, error) {
	if m, ok := c.matchLocal(c.LocalAllow, q); ok {
		return Result{Verdict: Allow, Local: m}, nil
	}
	if m, ok := c.matchLocal(c.LocalBlock, q); ok {
		return Result{Verdict: Block, Local: m}, nil
	}
	maxQ := c.Limits.MaxQueries
	if maxQ <= 0 {
		maxQ = 64
	}
	tooMany := func() error { return fmt.Errorf("%w: more than %d", ErrTooMany, maxQ) }
	domainLists := 0
	for i := range c.Lists {
		if c.Lists[i].Kind == DomainList {
			domainLists++
		}
	}
	var jobs []job
	var errs []ListResult
	// Subjects are bounded before any per-subject work: a message can name
	// any number of URL hosts.
	var domains []string
	if domainLists > 0 {
		seen := make(map[string]bool, len(q.Domains))
		for _, d := range q.Domains {
			if (len(domains)+1)*domainLists+len(errs) > maxQ {
				return Result{}, tooMany()
			}
			a, err := toASCII(d)
			if err != nil {
				errs = append(errs, ListResult{Subject: d, Err: err})
				continue
			}
			if !seen[a] {
				seen[a] = true
				domains = append(domains, a)
			}
		}
	}
	for i := range c.Lists {
		l := &c.Lists[i]
		switch l.Kind {
		case IPList:
			if !q.IP.IsValid() {
				continue
			}
			ip := q.IP.Unmap()
			if ip.Is6() && l.IPv4Only {
				continue
			}
			jobs = append(jobs, job{l, ip.String(), IPName(ip, l.Zone)})
		case DomainList:
			for _, d := range domains {
				name, err := DomainName(d, l.Zone)
				if err != nil {
					errs = append(errs, ListResult{List: l, Subject: d, Err: err})
					continue
				}
				jobs = append(jobs, job{l, d, name})
			}
		}
		if len(jobs)+len(errs) > maxQ {
			return Result{}, tooMany()
		}
	}
	results, err := c.run(ctx, jobs)
	if err != nil {
		return Result{}, err
	}
	res := Result{Results: append(results, errs...)}
	for _, lr := range results {
		if lr.Err == nil && lr.Listed {
			res.Score += lr.Weight
		}
	}
	block, allow := c.thresholds()
	switch {
	case res.Score >= block:
		res.Verdict = Block
	case res.Score <= allow:
		res.Verdict = Allow
	}
	if c.Logger != nil {
		c.Logger.DebugContext(ctx, "dnsbl: checked", "ip", q.IP, "score", res.Score, "verdict", res.Verdict)
	}
	return res, nil
}

// job is one query of a check: a list and a subject.
type job struct {
	list    *List
	subject string
	name    string
}

// runGrace is how long run waits past the longest list timeout for a
// resolver that does not give up when its context is done.
const runGrace = 250 * time.Millisecond

// run queries every job concurrently, each with its list's timeout, and
// returns one result per job. It returns when every query has answered or
// timed out, or at once when ctx is done. A resolver that ignores the
// query's context cannot hold run past the longest timeout (plus
// runGrace): the query is then reported as timed out, and its goroutine
// ends whenever the resolver returns.
func (c *Checker) run(ctx context.Context, jobs []job) ([]ListResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dnsbl: %w", err)
	}
	results := make([]ListResult, len(jobs))
	if len(jobs) == 0 {
		return results, nil
	}
	type answer struct {
		i  int
		lr ListResult
	}
	ch := make(chan answer, len(jobs)) // buffered: late senders never block
	var longest time.Duration
	for i, j := range jobs {
		longest = max(longest, c.timeout(j.list))
		go func() { ch <- answer{i, c.query(ctx, j.list, j.subject, j.name)} }()
	}
	timer := time.NewTimer(longest + runGrace)
	defer timer.Stop()
	done := make([]bool, len(jobs))
	for pending := len(jobs); pending > 0; {
		select {
		case a := <-ch:
			results[a.i], done[a.i] = a.lr, true
			pending--
		case <-ctx.Done():
			return nil, fmt.Errorf("dnsbl: %w", ctx.Err())
		case <-timer.C:
			for i, j := range jobs {
				if !done[i] {
					results[i] = ListResult{List: j.list, Subject: j.subject, Name: j.name,
						Err: fmt.Errorf("dnsbl: %s: %w", j.list.Zone, &net.DNSError{
							Err: "resolver ignored the query timeout", Name: j.name,
							IsTimeout: true, IsTemporary: true})}
				}
			}
			pending = 0
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dnsbl: %w", err)
	}
	return results, nil
}

func (c *Checker) timeout(l *List) time.Duration {
	if l.Timeout > 0 {
		return l.Timeout
	}
	if c.Limits.Timeout > 0 {
		return c.Limits.Timeout
	}
	return 5 * time.Second
}

// query asks one list about one subject.
func (c *Checker) query(ctx context.Context, l *List, subject, name string) ListResult {
	lr := ListResult{List: l, Subject: subject, Name: name}
	qctx, cancel := context.WithTimeout(ctx, c.timeout(l))
	defer cancel()
	addrs, err := c.Resolver.LookupNetIP(qctx, "ip4", name)
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return lr // not listed
		}
		lr.Err = fmt.Errorf("dnsbl: %s: %w", l.Zone, err)
		return lr
	}
	maxA := c.Limits.MaxAnswers
	if maxA <= 0 {
		maxA = 32
	}
	if len(addrs) > maxA {
		addrs = addrs[:maxA]
	}
	lr.Addrs = addrs
	lr.Listing, lr.Err = Interpret(l, addrs)
	return lr
}

// Reason fetches the TXT record explaining a listing (on demand: Check does
// not fetch it). Several TXT records are joined with "; ".
func (c *Checker) Reason(ctx context.Context, lr ListResult) (string, error) {
	if lr.Name == "" || lr.List == nil {
		return "", fmt.Errorf("%w: no query name", ErrBadQuery)
	}
	qctx, cancel := context.WithTimeout(ctx, c.timeout(lr.List))
	defer cancel()
	txt, err := c.Resolver.LookupTXT(qctx, lr.Name)
	if err != nil {
		return "", fmt.Errorf("dnsbl: %s: %w", lr.List.Zone, err)
	}
	const maxLen = 4096
	s := strings.Join(txt, "; ")
	if len(s) > maxLen {
		s = s[:maxLen]
	}
	return s, nil
}

func (c *Checker) matchLocal(l *LocalList, q Query) (string, bool) {
	if l == nil {
		return "", false
	}
	if q.IP.IsValid() {
		if m, ok := l.MatchIP(q.IP); ok {
			return m, true
		}
	}
	if q.Sender != "" {
		if m, ok := l.MatchAddress(q.Sender); ok {
			return m, true
		}
	}
	for _, d := range q.Domains {
		if m, ok := l.MatchDomain(d); ok {
			return m, true
		}
	}
	return "", false
}

// IPName returns the DNS name that looks ip up in zone: the IPv4 octets
// reversed (127.0.0.2 in zen.example -> 2.0.0.127.zen.example) or the 32
// IPv6 nibbles reversed. An IPv4-mapped IPv6 address is written as IPv6
// (RFC 5782 §5 uses ::FFFF:7F00:2 as the IPv6 test point); unmap the address
// first to query it as IPv4.
func IPName(ip netip.Addr, zone string) string {
	zone = strings.TrimSuffix(zone, ".")
	var b strings.Builder
	if ip.Is4() {
		a := ip.As4()
		fmt.Fprintf(&b, "%d.%d.%d.%d.%s", a[3], a[2], a[1], a[0], zone)
		return b.String()
	}
	const hex = "0123456789abcdef"
	a := ip.As16()
	b.Grow(64 + len(zone))
	for i := 15; i >= 0; i-- {
		b.WriteByte(hex[a[i]&0xf])
		b.WriteByte('.')
		b.WriteByte(hex[a[i]>>4])
		b.WriteByte('.')
	}
	b.WriteString(zone)
	return b.String()
}

// DomainName returns the DNS name that looks domain up in zone, with
// domain converted to ASCII (IDNA).
func DomainName(domain, zone string) (string, error) {
	a, err := toASCII(domain)
	if err != nil {
		return "", err
	}
	name := a + "." + strings.TrimSuffix(zone, ".")
	if len(name) > 253 {
		return "", fmt.Errorf("%w: %q too long for zone %s", ErrBadQuery, a, zone)
	}
	return name, nil
}

var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true))

func toASCII(d string) (string, error) {
	d = strings.TrimSuffix(d, ".")
	a, err := idnaProfile.ToASCII(d)
	if err != nil || a == "" {
		return "", fmt.Errorf("%w: domain %q", ErrBadQuery, d)
	}
	return strings.ToLower(a), nil
}
