package senderid

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailkit-go/mailkit/spf"
)

// Checker evaluates Sender ID policies on the package spf engine: the
// record selection of RFC 4406 §3.4 is plugged into [spf.Checker.Select],
// everything else (mechanisms, macros, limits, explanations) is
// check_host() of RFC 7208 as RFC 4406 §4 prescribes. The zero value is
// usable; a Checker is safe for concurrent use.
type Checker struct {
	// SPF configures the engine (Resolver, Limits, Logger, ...). Its
	// Select field is ignored: Checker installs the scope's selector.
	SPF spf.Checker
}

// Result is the outcome of a Sender ID check. The results are those of
// RFC 4406 §4 (none, neutral, pass, fail, softfail, temperror, permerror),
// which are the SPF ones.
type Result struct {
	spf.Result
	Scope Scope // the scope checked (mfrom or pra)
	// PRA is the address checked in the pra scope (from the headers or
	// the SUBMITTER parameter).
	PRA PRAResult
}

// CheckMFrom checks the MAIL FROM identity in the mfrom scope
// (postmaster@helo for the null sender).
func (c *Checker) CheckMFrom(ctx context.Context, ip netip.Addr, helo, mailFrom string) (Result, error) {
	return c.check(ctx, ScopeMFrom, spf.Input{IP: ip, Helo: helo, MailFrom: mailFrom})
}

// CheckPRA determines the Purported Responsible Address of a message from
// its header fields (RFC 4407 §2) and checks it in the pra scope. When no
// PRA can be determined the message is ill-formed for Sender ID: the
// result is permerror with Err wrapping [ErrNoPRA] (and no DNS query).
func (c *Checker) CheckPRA(ctx context.Context, ip netip.Addr, helo string, fields []Field) (Result, error) {
	pra, err := PRA(fields)
	if err != nil {
		r := Result{Scope: ScopePRA}
		r.Result.Result, r.Result.Err = spf.PermError, err
		r.Result.Identity, r.Result.IP, r.Result.Helo = spf.Identity(ScopePRA), ip.Unmap(), helo
		if !ip.IsValid() {
			return r, fmt.Errorf("%w: client IP not set", spf.ErrInvalidInput)
		}
		return r, nil
	}
	r, err := c.check(ctx, ScopePRA, spf.Input{IP: ip, Helo: helo, MailFrom: pra.Address})
	r.PRA = pra
	return r, err
}

// CheckSubmitter checks the address of an RFC 4405 SUBMITTER parameter
// (already decoded with [ParseSubmitter]) in the pra scope, before the
// message is received. After DATA the receiver should compare it with the
// PRA of the headers ([SubmitterMatches]).
//
// A submitter that is not local-part@domain is not checked (an empty one
// would otherwise be taken for the null sender and check the HELO
// domain): the result is none and the error wraps [ErrSubmitter].
func (c *Checker) CheckSubmitter(ctx context.Context, ip netip.Addr, helo, submitter string) (Result, error) {
	at := strings.LastIndexByte(submitter, '@')
	if at <= 0 || at == len(submitter)-1 {
		r := Result{Scope: ScopePRA}
		r.Result.Result, r.Result.Err = spf.None, fmt.Errorf("%w: %q is not a mailbox", ErrSubmitter, submitter)
		r.Result.Identity, r.Result.IP, r.Result.Helo = spf.Identity(ScopePRA), ip.Unmap(), helo
		return r, r.Result.Err
	}
	r, err := c.check(ctx, ScopePRA, spf.Input{IP: ip, Helo: helo, MailFrom: submitter})
	r.PRA = PRAResult{Address: submitter, Domain: submitter[at+1:], Field: "SUBMITTER", Index: -1}
	return r, err
}

func (c *Checker) check(ctx context.Context, scope Scope, in spf.Input) (Result, error) {
	sc := c.SPF
	sc.Select = func(_ string, txts []string) (*spf.Record, error) {
		rec, err := Select(scope, txts)
		if rec == nil || err != nil {
			return nil, err
		}
		return rec.Policy, nil
	}
	res, err := sc.Check(ctx, in)
	res.Identity = spf.Identity(scope)
	return Result{Result: res, Scope: scope}, err
}

// ParseSubmitter decodes the value of a SUBMITTER parameter (RFC 4405
// §4.2: an xtext-encoded mailbox, RFC 3461 §4) and checks that it is a
// local-part@domain address.
func ParseSubmitter(value string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch {
		case c == '+':
			if i+2 >= len(value) || !isUpperHex(value[i+1]) || !isUpperHex(value[i+2]) {
				return "", fmt.Errorf("%w: bad xtext escape", ErrSubmitter)
			}
			b.WriteByte(unhex(value[i+1])<<4 | unhex(value[i+2]))
			i += 2
		case c < '!' || c > '~' || c == '=':
			return "", fmt.Errorf("%w: invalid xtext character", ErrSubmitter)
		default:
			b.WriteByte(c)
		}
	}
	addr := b.String()
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 || len(addr) > 320 {
		return "", fmt.Errorf("%w: not a mailbox", ErrSubmitter)
	}
	if _, err := singleMailbox(addr); err != nil {
		return "", fmt.Errorf("%w: %v", ErrSubmitter, err)
	}
	return addr, nil
}

// FormatSubmitter returns the MAIL FROM parameter "SUBMITTER=<xtext>" for
// mailbox (RFC 4405 §4.2).
func FormatSubmitter(mailbox string) string {
	var b strings.Builder
	b.WriteString("SUBMITTER=")
	for i := 0; i < len(mailbox); i++ {
		c := mailbox[i]
		if c < '!' || c > '~' || c == '+' || c == '=' {
			b.WriteByte('+')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// SubmitterMatches reports whether the SUBMITTER address equals the PRA
// of the message (local part exact, domain case-insensitive), as RFC 4405
// §4.2 requires the receiver to verify once the headers are known.
func SubmitterMatches(submitter string, pra PRAResult) bool {
	a, b := submitter, pra.Address
	i, j := strings.LastIndexByte(a, '@'), strings.LastIndexByte(b, '@')
	if i < 0 || j < 0 {
		return false
	}
	return a[:i] == b[:j] && strings.EqualFold(a[i+1:], b[j+1:])
}

func isUpperHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'A' + 10
}
