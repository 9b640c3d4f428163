package spf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Resolver is the DNS subset the evaluator needs. *net.Resolver,
// dnsutil.Resolver and dnstest.Zone satisfy it. Failures must be
// *net.DNSError: IsNotFound for NXDOMAIN and NODATA (a "void lookup"),
// anything else is a temporary error.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// Status is an SPF result (RFC 7208 §2.6), in its lower-case token form.
type Status string

// The results of check_host().
const (
	None      Status = "none"
	Neutral   Status = "neutral"
	Pass      Status = "pass"
	Fail      Status = "fail"
	SoftFail  Status = "softfail"
	TempError Status = "temperror"
	PermError Status = "permerror"
)

// Identity names the identity being authorized (RFC 7208 §2.3, §2.4).
type Identity string

// Identities.
const (
	IdentityMailFrom Identity = "mailfrom"
	IdentityHelo     Identity = "helo"
)

// Errors found in [Result.Err] (with errors.Is) for permerror and temperror
// results.
var (
	ErrSyntax             = errors.New("spf: syntax error")
	ErrMultipleRecords    = errors.New("spf: multiple SPF records")
	ErrTooManyLookups     = errors.New("spf: too many DNS lookups")
	ErrTooManyVoidLookups = errors.New("spf: too many void DNS lookups")
	ErrTooManyMXNames     = errors.New("spf: too many MX names")
	ErrIncludeNone        = errors.New("spf: include target has no SPF record")
	ErrRedirectNone       = errors.New("spf: redirect target has no SPF record")
	ErrDNS                = errors.New("spf: DNS lookup failed")
	ErrInvalidInput       = errors.New("spf: invalid input")
	ErrTooDeep            = errors.New("spf: include/redirect nesting too deep")
)

// DefaultExplanation is the explanation macro-string used for fail results
// when the record has no usable exp= modifier and
// [Checker.DefaultExplanation] is empty.
const DefaultExplanation = "%{d} does not designate %{c} as permitted sender for %{s}"

// Limits bounds the work of one check. Zero fields take the RFC 7208 §4.6.4
// defaults.
type Limits struct {
	MaxLookups     int // DNS-querying terms (include, a, mx, ptr, exists, redirect); default 10
	MaxVoidLookups int // lookups answered NXDOMAIN or with no records; default 2
	MaxMXNames     int // MX names looked up per mx term, more is a permerror; default 10
	MaxPTRNames    int // PTR names validated per ptr term or %{p}, extra names ignored; default 10
}

func (l Limits) withDefaults() Limits {
	if l.MaxLookups <= 0 {
		l.MaxLookups = 10
	}
	if l.MaxVoidLookups <= 0 {
		l.MaxVoidLookups = 2
	}
	if l.MaxMXNames <= 0 {
		l.MaxMXNames = 10
	}
	if l.MaxPTRNames <= 0 {
		l.MaxPTRNames = 10
	}
	return l
}

// RecordSelector picks the policy record of domain among its TXT strings.
// It returns (nil, nil) when the domain has no applicable record, an error
// wrapping [ErrMultipleRecords] or [ErrSyntax] for a permerror. The default
// selects the single "v=spf1" record (RFC 7208 §4.5).
type RecordSelector func(domain string, txts []string) (*Record, error)

// TraceEvent is passed to [Checker.Trace] during evaluation.
type TraceEvent struct {
	Depth  int     // 0 for the checked domain, +1 per include/redirect
	Domain string  // the domain whose record is evaluated
	Record *Record // set once the record was selected
	Term   *Term   // set for a term evaluation
	Target string  // the expanded domain a term or redirect queried
	Match  bool    // the term matched
	Status Status  // set at the end of a check_host() frame
	Err    error   // the cause of a temperror or permerror, if any
}

// Checker evaluates SPF policies. The zero value is usable (it resolves
// through net.DefaultResolver). A Checker is safe for concurrent use as
// long as its fields are not modified.
type Checker struct {
	Resolver Resolver     // nil: net.DefaultResolver
	Limits   Limits       // zero: RFC defaults
	Logger   *slog.Logger // nil: no logging
	// Now is the clock of the %{t} macro (explanations only); nil means
	// time.Now.
	Now func() time.Time
	// Trace, when set, is called synchronously at each evaluation step.
	Trace func(TraceEvent)
	// Receiver is the receiving host's domain, the %{r} macro ("unknown"
	// when empty).
	Receiver string
	// DefaultExplanation is the explanation macro-string used when the
	// record has no usable exp=; "" means [DefaultExplanation].
	DefaultExplanation string
	// Cache, when set, memoizes parsed records by their TXT text.
	Cache *Cache
	// Select, when set, replaces the v=spf1 record selection; package
	// senderid uses it to evaluate spf2.0 records.
	Select RecordSelector
}

// Input is what the SMTP server knows about the message.
type Input struct {
	IP       netip.Addr // client address (IPv4-mapped IPv6 is treated as IPv4)
	Helo     string     // HELO/EHLO argument
	MailFrom string     // reverse-path without <>; "" is the null sender
	// Identity selects the identity to check: IdentityMailFrom (the
	// default; postmaster@Helo for the null sender) or IdentityHelo.
	Identity Identity
}

// Result is the outcome of a check. Result is always set; Err holds the
// cause of a temperror or permerror.
type Result struct {
	Result   Status     // the result token, never ""
	Identity Identity   // the identity checked
	Domain   string     // the <domain> argument of check_host()
	Sender   string     // the <sender> argument of check_host()
	IP       netip.Addr // the client address as evaluated (unmapped)
	Helo     string     // the HELO/EHLO argument of the input
	// Matched is the term that decided the result (in the checked record
	// or in the record reached by redirect), nil if none matched.
	// MatchedDomain is the domain of the record holding it. Do not
	// modify the term.
	Matched       *Term
	MatchedDomain string // see Matched; empty when nothing matched
	// Explanation is set for fail results: exp= text or the default.
	Explanation string
	Lookups     int   // DNS-querying terms evaluated (and redirects followed)
	VoidLookups int   // lookups answered NXDOMAIN or with no records
	Err         error // the cause of a temperror or permerror; nil otherwise
}

// Check runs check_host() (RFC 7208 §4) for the identity selected by in.
// The error is non-nil only when the input is unusable (invalid IP) or ctx
// ended; an SPF result, including temperror and permerror, is not an
// error.
func (c *Checker) Check(ctx context.Context, in Input) (Result, error) {
	ip := in.IP.Unmap()
	res := Result{IP: ip, Helo: in.Helo, Identity: in.Identity}
	if res.Identity == "" {
		res.Identity = IdentityMailFrom
	}
	if !ip.IsValid() {
		res.Result = None
		res.Err = fmt.Errorf("%w: client IP not set", ErrInvalidInput)
		return res, res.Err
	}
	var sender string
	switch {
	case res.Identity == IdentityHelo:
		sender = "postmaster@" + in.Helo
	case res.Identity != IdentityMailFrom:
		res.Result = None
		res.Err = fmt.Errorf("%w: unknown identity %q", ErrInvalidInput, in.Identity)
		return res, res.Err
	case in.MailFrom == "":
		sender = "postmaster@" + in.Helo
	default:
		sender = in.MailFrom
	}
	local, domain := splitSender(sender)
	res.Sender, res.Domain = sender, domain

	st := statePool.Get().(*state)
	ar := st.arena
	*st = state{
		c:            c,
		ctx:          ctx,
		r:            c.Resolver,
		ip:           ip,
		is4:          ip.Is4(),
		sender:       sender,
		local:        local,
		senderDomain: domain,
		helo:         in.Helo,
		lim:          c.Limits.withDefaults(),
		arena:        ar,
		useArena:     c.Cache == nil && c.Trace == nil && c.Select == nil,
	}
	if st.r == nil {
		st.r = net.DefaultResolver
	}
	st.buf = st.scratch[:0]
	hr := st.checkHost(domain, 0)
	res.Result = hr.status
	res.Matched = hr.matched
	if hr.matched != nil {
		if st.useArena {
			// The term lives in the pooled arena: hand out a copy.
			m := *hr.matched
			res.Matched = &m
		}
		res.MatchedDomain = hr.domain
	}
	res.Err = hr.err
	if hr.status == Fail {
		res.Explanation = st.explain(hr)
	}
	res.Lookups, res.VoidLookups = st.lookups, st.voids
	st.release()
	if c.Logger != nil && c.Logger.Enabled(ctx, slog.LevelDebug) {
		c.Logger.LogAttrs(ctx, slog.LevelDebug, "spf check",
			slog.String("identity", string(res.Identity)),
			slog.String("domain", domain),
			slog.String("ip", ip.String()),
			slog.String("result", string(res.Result)),
			slog.Int("lookups", res.Lookups),
			slog.Any("err", res.Err))
	}
	if err := ctx.Err(); err != nil && res.Result == TempError {
		return res, fmt.Errorf("spf: check aborted: %w", err)
	}
	return res, nil
}

type state struct {
	c            *Checker
	ctx          context.Context
	r            Resolver
	ip           netip.Addr
	is4          bool
	sender       string
	local        string
	senderDomain string
	helo         string
	lim          Limits
	lookups      int
	voids        int
	cur          string   // current <domain> for %{d}
	validNames   []string // validated names of the client, for %{p}
	hasValid     bool     // validNames computed
	buf          []byte
	scratch      [256]byte
	// arena holds the records parsed during the check when useArena is
	// set (no Cache, Trace or Select: no record escapes the check).
	arena    termArena
	useArena bool
}

// statePool recycles evaluation states, with their term arenas, between
// checks: a check without a Cache then parses records without allocating.
var statePool = sync.Pool{New: func() any { return new(state) }}

// release returns st to the pool, dropping every reference it holds.
func (st *state) release() {
	ar := st.arena
	ar.reset()
	if cap(ar.terms) > 4*arenaChunk {
		ar.terms = nil // do not keep a huge arena after an odd record
	}
	*st = state{arena: ar}
	statePool.Put(st)
}

type hostResult struct {
	status  Status
	matched *Term
	domain  string
	rec     *Record
	err     error
}

const maxDepth = 64

func (st *state) trace(ev TraceEvent) {
	if st.c.Trace != nil {
		st.c.Trace(ev)
	}
}

func (st *state) checkHost(domain string, depth int) hostResult {
	if depth > maxDepth {
		return hostResult{status: PermError, err: ErrTooDeep}
	}
	if !validHostDomain(domain) {
		return hostResult{status: None, domain: domain}
	}
	txts, err := st.r.LookupTXT(st.ctx, domain)
	if err != nil {
		if isNotFound(err) {
			return hostResult{status: None, domain: domain}
		}
		return hostResult{status: TempError, domain: domain, err: dnsErr("TXT", domain, err)}
	}
	rec, err := st.selectRecord(domain, txts)
	if err != nil {
		st.trace(TraceEvent{Depth: depth, Domain: domain, Status: PermError, Err: err})
		return hostResult{status: PermError, domain: domain, err: err}
	}
	if rec == nil {
		return hostResult{status: None, domain: domain}
	}
	if st.c.Trace != nil {
		st.trace(TraceEvent{Depth: depth, Domain: domain, Record: rec})
	}
	for i := range rec.Terms {
		t := &rec.Terms[i]
		if t.Mechanism == MechanismNone {
			continue
		}
		match, status, err := st.evalMech(t, domain, depth)
		if st.c.Trace != nil {
			st.trace(TraceEvent{Depth: depth, Domain: domain, Term: t, Match: match, Err: err})
		}
		if err != nil {
			return hostResult{status: status, domain: domain, rec: rec, err: err}
		}
		if match {
			hr := hostResult{status: t.Qualifier.Status(), matched: t, domain: domain, rec: rec}
			st.traceEnd(depth, domain, hr)
			return hr
		}
	}
	if rec.redirect != 0 {
		if err := st.countLookup(); err != nil {
			return hostResult{status: PermError, domain: domain, rec: rec, err: err}
		}
		target, err := st.target(rec.Terms[rec.redirect-1].Modifier.Value, domain)
		if err != nil {
			return hostResult{status: PermError, domain: domain, rec: rec, err: err}
		}
		sub := st.checkHost(target, depth+1)
		if sub.status == None {
			sub = hostResult{status: PermError, domain: domain, rec: rec,
				err: fmt.Errorf("%w: %s", ErrRedirectNone, target)}
		}
		st.traceEnd(depth, domain, sub)
		return sub
	}
	hr := hostResult{status: Neutral, domain: domain, rec: rec}
	st.traceEnd(depth, domain, hr)
	return hr
}

func (st *state) traceEnd(depth int, domain string, hr hostResult) {
	if st.c.Trace != nil {
		st.trace(TraceEvent{Depth: depth, Domain: domain, Status: hr.status, Err: hr.err})
	}
}

func (st *state) selectRecord(domain string, txts []string) (*Record, error) {
	if st.c.Select != nil {
		return st.c.Select(domain, txts)
	}
	found := -1
	for i, t := range txts {
		if hasVersion(t) {
			if found >= 0 {
				return nil, ErrMultipleRecords
			}
			found = i
		}
	}
	if found < 0 {
		return nil, nil
	}
	if st.c.Cache != nil {
		return st.c.Cache.parse(txts[found])
	}
	if !st.useArena {
		return Parse(txts[found])
	}
	r := st.arena.record()
	if err := parseTermsInto(r, "v=spf1", txts[found][6:], &st.arena); err != nil {
		return nil, err
	}
	return r, nil
}

func (st *state) countLookup() error {
	st.lookups++
	if st.lookups > st.lim.MaxLookups {
		return ErrTooManyLookups
	}
	return nil
}

func (st *state) countVoid() error {
	st.voids++
	if st.voids > st.lim.MaxVoidLookups {
		return ErrTooManyVoidLookups
	}
	return nil
}

// target expands a domain-spec ("" = the current domain) into the name to
// query.
func (st *state) target(spec, cur string) (string, error) {
	if spec == "" {
		return cur, nil
	}
	if strings.IndexByte(spec, '%') < 0 {
		return trimDot(spec), nil
	}
	st.cur = cur
	b, err := expandMacro(st.buf[:0], spec, false, st, domainLimits)
	if err != nil {
		return "", err
	}
	b = truncateDomain(b)
	st.buf = b[:0]
	return trimDot(string(b)), nil
}

func trimDot(s string) string {
	if len(s) > 1 && s[len(s)-1] == '.' {
		return s[:len(s)-1]
	}
	return s
}

// truncateDomain removes leading labels until the name fits in 253
// octets (RFC 7208 §7.3).
func truncateDomain(b []byte) []byte {
	for len(b) > 253 {
		i := 0
		for i < len(b) && b[i] != '.' {
			i++
		}
		if i == len(b) {
			return b
		}
		b = b[i+1:]
	}
	return b
}

// validHostDomain applies the <domain> checks of RFC 7208 §4.3: a
// multi-label name with labels of 1..63 octets.
func validHostDomain(d string) bool {
	d = trimDot(d)
	if len(d) == 0 || len(d) > 253 || d[0] == '[' {
		return false
	}
	dots := 0
	label := 0
	for i := 0; i < len(d); i++ {
		if d[i] == '.' {
			if label == 0 {
				return false
			}
			dots++
			label = 0
			continue
		}
		label++
		if label > 63 {
			return false
		}
	}
	return label > 0 && dots > 0
}

// validQueryName checks that a name can be queried: labels of 1..63
// octets (a trailing dot allowed).
func validQueryName(d string) bool {
	d = trimDot(d)
	if len(d) == 0 || len(d) > 253 {
		return false
	}
	label := 0
	for i := 0; i < len(d); i++ {
		if d[i] == '.' {
			if label == 0 {
				return false
			}
			label = 0
			continue
		}
		label++
		if label > 63 {
			return false
		}
	}
	return label > 0
}

func isNotFound(err error) bool {
	if de, ok := err.(*net.DNSError); ok {
		return de.IsNotFound
	}
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

func dnsErr(qtype, name string, err error) error {
	return fmt.Errorf("%w: %s %s: %w", ErrDNS, qtype, name, err)
}

func (st *state) network() string {
	if st.is4 {
		return "ip4"
	}
	return "ip6"
}

// evalMech evaluates one mechanism. On error the returned status is
// TempError or PermError.
func (st *state) evalMech(t *Term, domain string, depth int) (bool, Status, error) {
	switch t.Mechanism {
	case MechanismAll:
		return true, "", nil
	case MechanismIP4:
		return st.is4 && t.Prefix.Contains(st.ip), "", nil
	case MechanismIP6:
		return !st.is4 && t.Prefix.Contains(st.ip), "", nil
	}
	if err := st.countLookup(); err != nil {
		return false, PermError, err
	}
	if err := st.ctx.Err(); err != nil {
		return false, TempError, fmt.Errorf("spf: check aborted: %w", err)
	}
	target, err := st.target(t.Domain, domain)
	if err != nil {
		return false, PermError, err
	}
	switch t.Mechanism {
	case MechanismInclude:
		sub := st.checkHost(target, depth+1)
		switch sub.status {
		case Pass:
			return true, "", nil
		case Fail, SoftFail, Neutral:
			return false, "", nil
		case TempError:
			return false, TempError, sub.err
		case PermError:
			return false, PermError, sub.err
		default:
			return false, PermError, fmt.Errorf("%w: %s", ErrIncludeNone, target)
		}
	case MechanismA:
		addrs, status, err := st.lookupIP(st.network(), target, true)
		if err != nil {
			return false, status, err
		}
		return st.matchAddrs(addrs, t), "", nil
	case MechanismMX:
		return st.evalMX(t, target)
	case MechanismExists:
		addrs, status, err := st.lookupIP("ip4", target, true)
		if err != nil {
			return false, status, err
		}
		return len(addrs) > 0, "", nil
	case MechanismPTR:
		return st.evalPTR(target)
	}
	return false, PermError, ErrSyntax
}

// lookupIP queries addresses; not-found and empty answers count as void
// lookups when void is set.
func (st *state) lookupIP(network, name string, void bool) ([]netip.Addr, Status, error) {
	if !validQueryName(name) {
		if void {
			if err := st.countVoid(); err != nil {
				return nil, PermError, err
			}
		}
		return nil, "", nil
	}
	addrs, err := st.r.LookupNetIP(st.ctx, network, name)
	if err != nil {
		if !isNotFound(err) {
			return nil, TempError, dnsErr(network, name, err)
		}
		addrs = nil
	}
	if len(addrs) == 0 && void {
		if err := st.countVoid(); err != nil {
			return nil, PermError, err
		}
	}
	return addrs, "", nil
}

func (st *state) matchAddrs(addrs []netip.Addr, t *Term) bool {
	bits := t.CIDR4
	if !st.is4 {
		bits = t.CIDR6
	}
	for _, a := range addrs {
		a = a.Unmap()
		if a.Is4() != st.is4 {
			continue
		}
		if bits < 0 {
			if a == st.ip {
				return true
			}
			continue
		}
		p := netip.PrefixFrom(a, bits)
		if p.Contains(st.ip) {
			return true
		}
	}
	return false
}

func (st *state) evalMX(t *Term, target string) (bool, Status, error) {
	if !validQueryName(target) {
		if err := st.countVoid(); err != nil {
			return false, PermError, err
		}
		return false, "", nil
	}
	mxs, err := st.r.LookupMX(st.ctx, target)
	if err != nil {
		if !isNotFound(err) {
			return false, TempError, dnsErr("MX", target, err)
		}
		mxs = nil
	}
	if len(mxs) == 0 {
		if err := st.countVoid(); err != nil {
			return false, PermError, err
		}
		return false, "", nil
	}
	if len(mxs) > st.lim.MaxMXNames {
		return false, PermError, ErrTooManyMXNames
	}
	network := st.network()
	for _, mx := range mxs {
		host := trimDot(mx.Host)
		if host == "" || host == "." {
			continue
		}
		addrs, status, err := st.lookupIP(network, host, false)
		if err != nil {
			return false, status, err
		}
		if st.matchAddrs(addrs, t) {
			return true, "", nil
		}
	}
	return false, "", nil
}

// validatedNames calls fn for each validated name of the client address
// (RFC 7208 §5.5) until fn returns true. DNS errors skip names.
func (st *state) validatedNames(countVoid bool, fn func(name string) bool) (Status, error) {
	names, err := st.r.LookupAddr(st.ctx, st.ip.String())
	if err != nil {
		names = nil
	}
	if len(names) == 0 {
		if countVoid && (err == nil || isNotFound(err)) {
			if err := st.countVoid(); err != nil {
				return PermError, err
			}
		}
		return "", nil
	}
	network := st.network()
	for i, name := range names {
		if i >= st.lim.MaxPTRNames {
			break
		}
		name = trimDot(name)
		if !validQueryName(name) {
			continue
		}
		addrs, err := st.r.LookupNetIP(st.ctx, network, name)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if a.Unmap() == st.ip {
				if fn(name) {
					return "", nil
				}
				break
			}
		}
	}
	return "", nil
}

func (st *state) evalPTR(target string) (bool, Status, error) {
	matched := false
	status, err := st.validatedNames(true, func(name string) bool {
		if isSubdomainOf(name, target) {
			matched = true
		}
		return matched
	})
	if err != nil {
		return false, status, err
	}
	return matched, "", nil
}

// isSubdomainOf reports whether name equals domain or ends with
// "."+domain, ignoring ASCII case.
func isSubdomainOf(name, domain string) bool {
	name, domain = trimDot(name), trimDot(domain)
	if len(name) < len(domain) {
		return false
	}
	if len(name) == len(domain) {
		return asciiEqualFold(name, domain)
	}
	return name[len(name)-len(domain)-1] == '.' && asciiEqualFold(name[len(name)-len(domain):], domain)
}

// validatedDomain computes %{p} (RFC 7208 §7.3) for the current domain
// st.cur: a validated name equal to it, else one that is a subdomain of
// it, else any validated name, else "unknown". The PTR and address
// lookups are made once per check; the choice depends on st.cur, which
// changes with include and redirect.
func (st *state) validatedDomain() string {
	if !st.hasValid {
		st.hasValid = true
		st.validatedNames(false, func(name string) bool {
			st.validNames = append(st.validNames, name)
			return false
		})
	}
	var sub, any string
	for _, name := range st.validNames {
		switch {
		case asciiEqualFold(name, st.cur):
			return name
		case sub == "" && isSubdomainOf(name, st.cur):
			sub = name
		case any == "":
			any = name
		}
	}
	switch {
	case sub != "":
		return sub
	case any != "":
		return any
	}
	return "unknown"
}

func (st *state) macroValue(letter byte, buf []byte) ([]byte, error) {
	switch letter {
	case 's':
		return append(buf, st.sender...), nil
	case 'l':
		return append(buf, st.local...), nil
	case 'o':
		return append(buf, st.senderDomain...), nil
	case 'd':
		return append(buf, st.cur...), nil
	case 'i':
		return appendIPMacro(buf, st.ip), nil
	case 'v':
		if st.is4 {
			return append(buf, "in-addr"...), nil
		}
		return append(buf, "ip6"...), nil
	case 'h':
		return append(buf, st.helo...), nil
	case 'p':
		return append(buf, st.validatedDomain()...), nil
	case 'c':
		return st.ip.AppendTo(buf), nil
	case 'r':
		if st.c.Receiver == "" {
			return append(buf, "unknown"...), nil
		}
		return append(buf, st.c.Receiver...), nil
	case 't':
		now := time.Now
		if st.c.Now != nil {
			now = st.c.Now
		}
		return fmt.Appendf(buf, "%d", now().Unix()), nil
	}
	return buf, ErrMacro
}

// explain computes the explanation of a fail result (RFC 7208 §6.2): the
// exp= TXT record of the deciding record, or the default.
func (st *state) explain(hr hostResult) string {
	if hr.rec != nil && hr.rec.exp != 0 {
		if s, ok := st.fetchExplanation(hr.rec.Terms[hr.rec.exp-1].Modifier.Value, hr.domain); ok {
			return s
		}
	}
	def := st.c.DefaultExplanation
	if def == "" {
		def = DefaultExplanation
	}
	st.cur = hr.domain
	if _, ok := scanMacroString(def, true); !ok {
		return def
	}
	out, err := expandMacro(st.buf[:0], def, true, st, expLimits)
	st.buf = out[:0]
	if err != nil {
		return def
	}
	return string(out)
}

func (st *state) fetchExplanation(spec, domain string) (string, bool) {
	name, err := st.target(spec, domain)
	if err != nil || !validQueryName(name) {
		return "", false
	}
	txts, err := st.r.LookupTXT(st.ctx, name)
	if err != nil || len(txts) != 1 {
		return "", false
	}
	text := txts[0]
	if _, ok := scanMacroString(text, true); !ok {
		return "", false
	}
	st.cur = domain
	out, err := expandMacro(st.buf[:0], text, true, st, expLimits)
	st.buf = out[:0]
	if err != nil {
		return "", false
	}
	return string(out), true
}
