// Package lookup turns raw DNS answers into the results and errors of the
// *net.Resolver method set. It is shared by dnsutil.Resolver and
// dnstest.Zone so both behave identically.
package lookup

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/miekg/dns"
	"golang.org/x/net/idna"
)

// MaxCNAMEs bounds how many CNAME records are followed for one lookup.
const MaxCNAMEs = 8

// Error texts, the same as the standard library's resolver uses.
const (
	ErrTextNotFound   = "no such host"
	ErrTextServFail   = "server misbehaving"
	ErrTextRefused    = "query refused"
	ErrTextTimeout    = "i/o timeout"
	ErrTextCNAMELoop  = "too many CNAME records"
	ErrTextBadAddress = "unrecognized address"
	ErrTextBadName    = "invalid domain name"
	ErrTextBadNetwork = "unsupported network"
)

// QueryFunc sends one question and returns the response whatever its
// RCODE, and the server that gave it ("host:port"; "" for the Lookuper's
// Server). Transport failures are returned as *net.DNSError.
type QueryFunc func(ctx context.Context, name string, qtype uint16) (msg *dns.Msg, server string, err error)

// Lookuper implements the *net.Resolver lookups over a QueryFunc.
type Lookuper struct {
	Query QueryFunc // sends one query; required
	// Server is reported in errors that no server's answer caused (a bad
	// address or network), and in those built from answers for which
	// Query named no server.
	Server string
	// SortMX sorts MX answers by preference (stable) like *net.Resolver.
	SortMX bool
}

// Normalize validates name, converts internationalized labels to A-labels
// and returns the fully qualified presentation form that is sent in the
// question. Labels that are already ASCII are left alone so that names
// such as "_dmarc.example.com" stay valid.
//
// A name without a backslash is taken byte for byte: bytes that
// presentation form can not carry as they are (space, '@', '"', control
// and other non-printable bytes, ...) are escaped as miekg/dns writes
// them (\X or \DDD), so the packed question carries the label bytes as
// given; SPF macro expansion, for one, can produce such labels. A name
// with a backslash is taken as already in presentation form and its
// escapes are decoded and written again in that one form. Letter case is
// kept. Labels longer than 63 octets and names longer than 255 octets
// (after unescaping, in wire form) are rejected; errors wrap
// ErrInvalidName.
func Normalize(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: empty name", ErrInvalidName)
	}
	if !isASCII(name) {
		if !utf8.ValidString(name) {
			return "", fmt.Errorf("%w: not valid UTF-8", ErrInvalidName)
		}
		labels := strings.Split(strings.TrimSuffix(name, "."), ".")
		for i, l := range labels {
			if isASCII(l) {
				continue
			}
			a, err := idna.Lookup.ToASCII(l)
			if err != nil {
				return "", fmt.Errorf("%w: %w", ErrInvalidName, err)
			}
			if !isASCII(a) {
				return "", fmt.Errorf("%w: label cannot be converted to ASCII", ErrInvalidName)
			}
			labels[i] = a
		}
		name = strings.Join(labels, ".")
	}
	return present(name, false)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// NewError builds a *net.DNSError.
func NewError(text, name, server string) *net.DNSError {
	e := &net.DNSError{Err: text, Name: name, Server: server}
	switch text {
	case ErrTextNotFound:
		e.IsNotFound = true
	case ErrTextServFail, ErrTextRefused:
		e.IsTemporary = true
	case ErrTextTimeout:
		e.IsTimeout = true
		e.IsTemporary = true
	}
	return e
}

// ContextError maps a context error to a *net.DNSError that unwraps to it.
func ContextError(err error, name, server string) *net.DNSError {
	e := &net.DNSError{Err: err.Error(), Name: name, Server: server, UnwrapErr: err}
	if errors.Is(err, context.DeadlineExceeded) {
		e.Err = ErrTextTimeout
		e.IsTimeout = true
		e.IsTemporary = true
	}
	return e
}

// RcodeError maps a non-success RCODE to an error; nil for NOERROR.
func RcodeError(rcode int, name, server string) error {
	switch rcode {
	case dns.RcodeSuccess:
		return nil
	case dns.RcodeNameError:
		return NewError(ErrTextNotFound, name, server)
	case dns.RcodeServerFailure:
		return NewError(ErrTextServFail, name, server)
	case dns.RcodeRefused:
		return NewError(ErrTextRefused, name, server)
	default:
		return &net.DNSError{Err: ErrTextServFail + ": rcode " + dns.RcodeToString[rcode], Name: name, Server: server}
	}
}

// Records asks name/qtype and returns the answer records of type qtype at
// the end of the CNAME chain, and that final (canonical) name. CNAMEs not
// resolved inside one answer are chased with further queries, at most
// MaxCNAMEs in all. NODATA and NXDOMAIN are IsNotFound errors.
func (l Lookuper) Records(ctx context.Context, name string, qtype uint16) ([]dns.RR, string, error) {
	rrs, canon, server, err := l.records(ctx, name, qtype)
	if err != nil {
		return nil, canon, err
	}
	if len(rrs) == 0 {
		return nil, canon, NewError(ErrTextNotFound, name, server)
	}
	return rrs, canon, nil
}

// records is Records but returns an empty slice and no error for NODATA,
// and the server that gave the last answer (l.Server if none did).
func (l Lookuper) records(ctx context.Context, name string, qtype uint16) (rrs []dns.RR, canon, server string, err error) {
	server = l.Server
	qname, err := Normalize(name)
	if err != nil {
		// Like *net.Resolver: an invalid name is "no such host"; the
		// reason is kept in UnwrapErr (it wraps ErrInvalidName). No
		// server was asked: Server is l.Server.
		e := NewError(ErrTextNotFound, name, l.Server)
		e.UnwrapErr = err
		return nil, "", server, e
	}
	cur := qname
	hops := 0
	for {
		msg, srv, err := l.Query(ctx, cur, qtype)
		if err != nil {
			return nil, cur, server, relabel(err, name)
		}
		if srv != "" {
			server = srv
		} else {
			server = l.Server
		}
		var rrs []dns.RR
		var followed bool
		// Walk the chain inside this answer.
		for {
			found := false
			for _, rr := range msg.Answer {
				h := rr.Header()
				if !SameName(h.Name, cur) {
					continue
				}
				if h.Rrtype == qtype || qtype == dns.TypeANY {
					rrs = append(rrs, rr)
				}
			}
			if len(rrs) > 0 || qtype == dns.TypeCNAME {
				break
			}
			for _, rr := range msg.Answer {
				if c, ok := rr.(*dns.CNAME); ok && SameName(c.Hdr.Name, cur) {
					hops++
					if hops > MaxCNAMEs {
						return nil, cur, server, &net.DNSError{Err: ErrTextCNAMELoop, Name: name, Server: server}
					}
					cur = dns.Fqdn(c.Target)
					found = true
					followed = true
					break
				}
			}
			if !found {
				break
			}
		}
		if len(rrs) > 0 {
			return rrs, cur, server, nil
		}
		if followed && chainEndsOutside(msg, cur) {
			continue // the chain left this answer: ask for its target
		}
		if err := RcodeError(msg.Rcode, name, server); err != nil {
			return nil, cur, server, err
		}
		return nil, cur, server, nil
	}
}

// chainEndsOutside reports whether no record at all for cur is present in
// msg, meaning the server did not resolve the CNAME target for us.
func chainEndsOutside(msg *dns.Msg, cur string) bool {
	if msg.Rcode != dns.RcodeSuccess {
		return false
	}
	for _, rr := range msg.Answer {
		if SameName(rr.Header().Name, cur) {
			return false
		}
	}
	for _, rr := range msg.Ns {
		if _, ok := rr.(*dns.SOA); ok {
			return false // a negative answer about the target
		}
	}
	return true
}

func relabel(err error, name string) error {
	var de *net.DNSError
	if errors.As(err, &de) {
		c := *de
		c.Name = name
		return &c
	}
	return err
}

// TXT implements LookupTXT: the strings of each record are joined.
func (l Lookuper) TXT(ctx context.Context, name string) ([]string, error) {
	rrs, _, err := l.Records(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, joinTXT(t.Txt))
		}
	}
	return out, nil
}

// joinTXT joins the character-strings of one TXT record, each decoded
// from miekg/dns presentation form to its raw bytes (see DecodeTXT), as
// *net.Resolver returns them.
func joinTXT(txt []string) string {
	if len(txt) == 1 {
		return DecodeTXT(txt[0])
	}
	var n int
	for _, s := range txt {
		n += len(s)
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range txt {
		b.WriteString(DecodeTXT(s))
	}
	return b.String()
}

// MX implements LookupMX.
func (l Lookuper) MX(ctx context.Context, name string) ([]*net.MX, error) {
	rrs, _, err := l.Records(ctx, name, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	out := make([]*net.MX, 0, len(rrs))
	for _, rr := range rrs {
		if m, ok := rr.(*dns.MX); ok {
			out = append(out, &net.MX{Host: m.Mx, Pref: m.Preference})
		}
	}
	if l.SortMX {
		slices.SortStableFunc(out, func(a, b *net.MX) int { return cmp.Compare(a.Pref, b.Pref) })
	}
	return out, nil
}

// NetIP implements LookupNetIP.
func (l Lookuper) NetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	var types []uint16
	switch network {
	case "ip":
		types = []uint16{dns.TypeA, dns.TypeAAAA}
	case "ip4":
		types = []uint16{dns.TypeA}
	case "ip6":
		types = []uint16{dns.TypeAAAA}
	default:
		return nil, &net.DNSError{Err: ErrTextBadNetwork + " " + network, Name: host, Server: l.Server}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if (network == "ip4" && !a.Unmap().Is4()) || (network == "ip6" && !a.Is6()) {
			return nil, NewError(ErrTextNotFound, host, l.Server)
		}
		return []netip.Addr{a}, nil
	}
	var addrs []netip.Addr
	var firstErr error
	server := l.Server // of the last answer
	for _, t := range types {
		rrs, _, srv, err := l.records(ctx, host, t)
		server = srv
		if err != nil {
			if firstErr == nil || isNotFound(firstErr) && !isNotFound(err) {
				firstErr = err
			}
			var de *net.DNSError
			if errors.As(err, &de) && de.UnwrapErr != nil {
				return nil, err // context done: stop
			}
			continue
		}
		for _, rr := range rrs {
			switch v := rr.(type) {
			case *dns.A:
				if a, ok := netip.AddrFromSlice(v.A); ok {
					addrs = append(addrs, a.Unmap())
				}
			case *dns.AAAA:
				if a, ok := netip.AddrFromSlice(v.AAAA); ok {
					addrs = append(addrs, a)
				}
			}
		}
	}
	if len(addrs) == 0 {
		if firstErr != nil {
			return nil, firstErr
		}
		return nil, NewError(ErrTextNotFound, host, server)
	}
	return addrs, nil
}

func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// IPAddr implements LookupIPAddr.
func (l Lookuper) IPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	addrs, err := l.NetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	out := make([]net.IPAddr, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, net.IPAddr{IP: net.IP(a.AsSlice()), Zone: a.Zone()})
	}
	return out, nil
}

// Host implements LookupHost.
func (l Lookuper) Host(ctx context.Context, host string) ([]string, error) {
	addrs, err := l.NetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.String())
	}
	return out, nil
}

// Addr implements LookupAddr (PTR).
func (l Lookuper) Addr(ctx context.Context, addr string) ([]string, error) {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: ErrTextBadAddress, Name: addr, Server: l.Server}
	}
	arpa, err := dns.ReverseAddr(ip.Unmap().WithZone("").String())
	if err != nil {
		return nil, &net.DNSError{Err: ErrTextBadAddress, Name: addr, Server: l.Server}
	}
	rrs, _, err := l.Records(ctx, arpa, dns.TypePTR)
	if err != nil {
		return nil, relabel(err, addr)
	}
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		if p, ok := rr.(*dns.PTR); ok {
			out = append(out, p.Ptr)
		}
	}
	return out, nil
}

// CNAME implements LookupCNAME: the canonical name after following CNAME
// records, asked with type A (then AAAA when A has no data). A name
// without CNAME that has addresses is its own canonical name.
func (l Lookuper) CNAME(ctx context.Context, host string) (string, error) {
	var lastErr error
	server := l.Server // of the last answer
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		rrs, canon, srv, err := l.records(ctx, host, t)
		server = srv
		if err != nil {
			var de *net.DNSError
			if errors.As(err, &de) && de.UnwrapErr != nil {
				return "", err
			}
			lastErr = err
			if isNotFound(err) && canon != "" && !SameName(canon, host) {
				// The chain ended at a name that does not exist; the
				// standard library reports not found as well.
				return "", err
			}
			continue
		}
		qname, _ := Normalize(host)
		if len(rrs) > 0 || !SameName(canon, qname) {
			return canon, nil
		}
	}
	if lastErr == nil {
		lastErr = NewError(ErrTextNotFound, host, server)
	}
	return "", lastErr
}
