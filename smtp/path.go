package smtp

import (
	"errors"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// Length limits of RFC 5321 §4.5.3.1 enforced by the path parsers.
const (
	// MaxPathLength is the longest reverse- or forward-path, including the
	// angle brackets (RFC 5321 §4.5.3.1.3: 256 octets).
	MaxPathLength = 256
	// MaxDomainLength is the longest domain (RFC 5321 §4.5.3.1.2).
	MaxDomainLength = 255
	// MaxLocalPartLength is the longest local part (RFC 5321 §4.5.3.1.1).
	MaxLocalPartLength = 64
)

// ErrPathSyntax is wrapped by every [*PathError].
var ErrPathSyntax = errors.New("smtp: bad address syntax")

// PathError reports a malformed MAIL or RCPT argument. Code and Enhanced
// are the reply a server sends for it: 501 5.1.7 (sender) or 501 5.1.3
// (recipient) for bad syntax, 553 5.6.7 for a non-ASCII address without
// SMTPUTF8 (RFC 6531 §3.5), 501 5.5.4 for a MAIL/RCPT argument without
// "FROM:"/"TO:" or without angle brackets.
type PathError struct {
	Code     int          // suggested reply code, 501 or 553 (see above)
	Enhanced EnhancedCode // suggested enhanced status code (RFC 3463)
	// Reason is a short description, such as "unbalanced quote".
	Reason string
}

// Error returns "smtp: bad address syntax: <reason>".
func (e *PathError) Error() string { return "smtp: bad address syntax: " + e.Reason }

// Unwrap returns [ErrPathSyntax].
func (e *PathError) Unwrap() error { return ErrPathSyntax }

// Message returns the reply text a server sends for e.
func (e *PathError) Message() string {
	switch e.Enhanced {
	case ecode(5, 1, 7):
		return "Bad sender address syntax: " + e.Reason
	case ecode(5, 1, 3):
		return "Bad recipient address syntax: " + e.Reason
	case ecode(5, 6, 7):
		return "Non-ASCII address not permitted without SMTPUTF8"
	}
	return "Syntax error: " + e.Reason
}

// Address is a mailbox "local-part@domain".
type Address struct {
	// LocalPart is the local part with quoting removed: for
	// "\"john doe\"@example.com" it is `john doe`. It is case-sensitive
	// (RFC 5321 §2.4).
	LocalPart string
	// Domain is the domain as given, or an address literal with its
	// brackets ("[192.0.2.1]", "[IPv6:2001:db8::1]"). It is "" only for the
	// special recipient <Postmaster> (RFC 5321 §4.1.1.3).
	Domain string
}

// String returns the address in RFC 5321 form, quoting the local part when
// it is not a dot-string. The zero Address yields "".
func (a Address) String() string {
	if a.LocalPart == "" && a.Domain == "" {
		return ""
	}
	lp := quoteLocalPart(a.LocalPart)
	if a.Domain == "" {
		return lp
	}
	return lp + "@" + a.Domain
}

// IsASCII reports whether the address is all ASCII, i.e. needs no SMTPUTF8.
func (a Address) IsASCII() bool { return isASCII(a.LocalPart) && isASCII(a.Domain) }

// IsPostmaster reports whether a is the domain-less <Postmaster> recipient.
func (a Address) IsPostmaster() bool {
	return a.Domain == "" && strings.EqualFold(a.LocalPart, "postmaster")
}

// AddressLiteral returns the IP address of a domain that is an IPv4 or IPv6
// address literal; ok is false for a domain name or a general literal.
func (a Address) AddressLiteral() (ip netip.Addr, ok bool) {
	d := a.Domain
	if len(d) < 2 || d[0] != '[' || d[len(d)-1] != ']' {
		return netip.Addr{}, false
	}
	d = d[1 : len(d)-1]
	if len(d) > 5 && strings.EqualFold(d[:5], "IPv6:") {
		ip, err := netip.ParseAddr(d[5:])
		return ip, err == nil && ip.Is6()
	}
	ip, err := netip.ParseAddr(d)
	return ip, err == nil && ip.Is4()
}

// Path is a reverse-path or forward-path.
type Path struct {
	// Route is the obsolete source route ("@a,@b:"), domains without "@".
	// RFC 5321 §C says to accept and ignore it; it is kept for logging.
	Route []string
	// Mailbox is the address; zero for the null reverse-path "<>".
	Mailbox Address
}

// IsNull reports whether p is the null reverse-path "<>".
func (p Path) IsNull() bool { return p.Mailbox == Address{} }

// String returns "<mailbox>" (the route is dropped, as RFC 5321 §C lets a
// relay do) or "<>".
func (p Path) String() string { return "<" + p.Mailbox.String() + ">" }

// ParseReversePath parses the path of MAIL FROM ("<>" or "<mailbox>").
// utf8 says whether SMTPUTF8 was given on this MAIL command (RFC 6531):
// without it, non-ASCII octets yield a 553 5.6.7 error.
func ParseReversePath(s string, utf8 bool) (Path, error) {
	if s == "<>" {
		return Path{}, nil
	}
	return parsePath(s, utf8, ecode(5, 1, 7))
}

// ParseForwardPath parses the path of RCPT TO ("<mailbox>", or the special
// "<Postmaster>" in any case, which yields an [Address] without domain).
// The null path "<>" is refused.
func ParseForwardPath(s string, utf8 bool) (Path, error) {
	if len(s) == len("<postmaster>") && strings.EqualFold(s, "<postmaster>") {
		return Path{Mailbox: Address{LocalPart: s[1 : len(s)-1]}}, nil
	}
	return parsePath(s, utf8, ecode(5, 1, 3))
}

// ParseAddress parses a bare mailbox "local-part@domain" (no angle
// brackets, no route) with the same rules as the path parsers.
func ParseAddress(s string, utf8 bool) (Address, error) {
	p, err := parsePath("<"+s+">", utf8, ecode(5, 1, 3))
	if err != nil {
		return Address{}, err
	}
	if p.Route != nil {
		return Address{}, pathErr(ecode(5, 1, 3), "unexpected source route")
	}
	return p.Mailbox, nil
}

func pathErr(enh EnhancedCode, reason string) *PathError {
	return &PathError{Code: 501, Enhanced: enh, Reason: reason}
}

func parsePath(s string, allowUTF8 bool, enh EnhancedCode) (Path, error) {
	if len(s) > MaxPathLength {
		return Path{}, pathErr(enh, "path too long")
	}
	if len(s) < 2 || s[0] != '<' || s[len(s)-1] != '>' {
		return Path{}, pathErr(enh, "missing angle brackets")
	}
	if !isASCII(s) {
		if !allowUTF8 {
			return Path{}, &PathError{Code: 553, Enhanced: ecode(5, 6, 7), Reason: "non-ASCII address without SMTPUTF8"}
		}
		if !utf8.ValidString(s) {
			return Path{}, pathErr(enh, "invalid UTF-8")
		}
	}
	s = s[1 : len(s)-1]
	var p Path
	if len(s) > 0 && s[0] == '@' {
		colon := strings.IndexByte(s, ':')
		if colon < 0 {
			return Path{}, pathErr(enh, "source route without ':'")
		}
		for _, hop := range strings.Split(s[:colon], ",") {
			if len(hop) < 2 || hop[0] != '@' || !validDomain(hop[1:]) {
				return Path{}, pathErr(enh, "bad source route")
			}
			p.Route = append(p.Route, hop[1:])
		}
		s = s[colon+1:]
	}
	at, err := localPartEnd(s)
	if err != "" {
		return Path{}, pathErr(enh, err)
	}
	if at >= len(s) || s[at] != '@' {
		return Path{}, pathErr(enh, "missing domain")
	}
	lp, dom := s[:at], s[at+1:]
	if lp[0] == '"' {
		p.Mailbox.LocalPart = unquote(lp)
	} else {
		p.Mailbox.LocalPart = lp
	}
	if len(lp) > MaxLocalPartLength {
		return Path{}, pathErr(enh, "local part too long")
	}
	switch {
	case dom == "":
		return Path{}, pathErr(enh, "missing domain")
	case dom[0] == '[':
		if !validAddressLiteral(dom) {
			return Path{}, pathErr(enh, "bad address literal")
		}
	default:
		if !validDomain(dom) {
			return Path{}, pathErr(enh, "bad domain")
		}
	}
	p.Mailbox.Domain = dom
	return p, nil
}

// localPartEnd validates the local part at the start of s and returns the
// index just after it, or a reason.
func localPartEnd(s string) (int, string) {
	if s == "" {
		return 0, "empty address"
	}
	if s[0] == '"' {
		i := 1
		for i < len(s) {
			c := s[i]
			switch {
			case c == '"':
				if i == 1 {
					return 0, "empty quoted local part"
				}
				return i + 1, ""
			case c == '\\':
				if i+1 >= len(s) || s[i+1] < 32 || s[i+1] > 126 {
					return 0, "bad quoted pair"
				}
				i += 2
			case c >= 32 && c <= 126 || c >= 0x80:
				i++
			default:
				return 0, "control character in quoted local part"
			}
		}
		return 0, "unbalanced quote"
	}
	i := 0
	prevDot := true
	for i < len(s) && s[i] != '@' {
		c := s[i]
		switch {
		case c == '.':
			if prevDot {
				return 0, "empty atom in local part"
			}
			prevDot = true
		case isAtext(c) || c >= 0x80:
			prevDot = false
		default:
			return 0, "invalid character in local part"
		}
		i++
	}
	if i == 0 {
		return 0, "empty local part"
	}
	if prevDot {
		return 0, "local part ends with '.'"
	}
	return i, ""
}

// isAtext reports whether c is an RFC 5322 atext character.
func isAtext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func unquote(q string) string {
	q = q[1 : len(q)-1]
	if strings.IndexByte(q, '\\') < 0 {
		return q
	}
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if q[i] == '\\' && i+1 < len(q) {
			i++
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// quoteLocalPart returns lp as a dot-string when it is one, else as a
// quoted string.
func quoteLocalPart(lp string) string {
	if isDotString(lp) {
		return lp
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(lp); i++ {
		c := lp[i]
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

func isDotString(s string) bool {
	if s == "" {
		return false
	}
	prevDot := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if prevDot {
				return false
			}
			prevDot = true
		case isAtext(c) || c >= 0x80:
			prevDot = false
		default:
			return false
		}
	}
	return !prevDot
}

// validDomain checks Domain = sub-domain *("." sub-domain), where a
// sub-domain is an LDH label (letter or digit first and last) of at most 63
// octets or, with UTF-8 already validated by the caller, a U-label.
func validDomain(d string) bool {
	if d == "" || len(d) > MaxDomainLength {
		return false
	}
	for len(d) > 0 {
		i := strings.IndexByte(d, '.')
		label := d
		if i >= 0 {
			label, d = d[:i], d[i+1:]
			if d == "" {
				return false // trailing dot
			}
		} else {
			d = ""
		}
		if label == "" || len(label) > 63 {
			return false
		}
		for j := 0; j < len(label); j++ {
			c := label[j]
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
			case c == '-' && j > 0 && j < len(label)-1:
			default:
				return false
			}
		}
	}
	return true
}

// validAddressLiteral checks "[IPv4]", "[IPv6:...]" or "[tag:dcontent]".
func validAddressLiteral(d string) bool {
	if len(d) < 3 || d[0] != '[' || d[len(d)-1] != ']' {
		return false
	}
	in := d[1 : len(d)-1]
	if len(in) > 5 && strings.EqualFold(in[:5], "IPv6:") {
		ip, err := netip.ParseAddr(in[5:])
		return err == nil && ip.Is6() && ip.Zone() == ""
	}
	colon := strings.IndexByte(in, ':')
	if colon < 0 {
		ip, err := netip.ParseAddr(in)
		return err == nil && ip.Is4()
	}
	tag, content := in[:colon], in[colon+1:]
	if tag == "" || content == "" || !validDomain(tag) || strings.IndexByte(tag, '.') >= 0 {
		return false
	}
	for i := 0; i < len(content); i++ {
		c := content[i]
		if c < 33 || c > 126 || c == '[' || c == '\\' || c == ']' {
			return false
		}
	}
	return true
}

// SplitMailArg splits the argument of MAIL ("FROM:<path> params") into the
// path text (with its angle brackets) and the parameter text. "FROM:" is
// matched case-insensitively; spaces after the colon are tolerated (QUIRK:
// several clients send "MAIL FROM: <a@b>"). The path must be in angle
// brackets; a ">" inside a quoted local part does not end it.
func SplitMailArg(arg string) (path, params string, err error) {
	return splitPathArg(arg, "FROM:")
}

// SplitRcptArg is [SplitMailArg] for RCPT ("TO:<path> params").
func SplitRcptArg(arg string) (path, params string, err error) {
	return splitPathArg(arg, "TO:")
}

func splitPathArg(arg, prefix string) (string, string, error) {
	syntax := func(reason string) error {
		return &PathError{Code: 501, Enhanced: ecode(5, 5, 4), Reason: reason}
	}
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", "", syntax("expected " + prefix + "<address>")
	}
	s := strings.TrimLeft(arg[len(prefix):], " ")
	if s == "" || s[0] != '<' {
		return "", "", syntax("address must be in angle brackets")
	}
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == '>' && !inQuote:
			path, rest := s[:i+1], s[i+1:]
			if rest != "" && rest[0] != ' ' {
				return "", "", syntax("garbage after address")
			}
			return path, strings.TrimLeft(rest, " "), nil
		}
	}
	return "", "", syntax("missing '>'")
}
