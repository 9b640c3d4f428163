package imap

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ErrBadURL is wrapped by the errors of [ParseURL].
var ErrBadURL = errors.New("imap: invalid IMAP URL")

// maxURLLen bounds the length of an IMAP URL [ParseURL] accepts.
const maxURLLen = 8192

// URL is an IMAP URL naming a message or a part of one (RFC 5092), as
// CATENATE (RFC 4469) uses it: the absolute form
// "imap://user@host:port/mailbox;UIDVALIDITY=n/;UID=m/;SECTION=s/;PARTIAL=o.l"
// or the relative form "/mailbox;UIDVALIDITY=n/;UID=m/;SECTION=s", the
// UIDVALIDITY, SECTION and PARTIAL parts being optional.
type URL struct {
	// Host, Port and User are those of an absolute URL (empty in a
	// relative one); Port is empty when the URL has none.
	Host, Port, User string
	// Mailbox is the mailbox name (UTF-8, percent-decoded).
	Mailbox string
	// UIDValidity is 0 when the URL has none.
	UIDValidity uint32
	// UID is the message's UID (never 0).
	UID uint32
	// Section is the section spec as in BODY[section] ("HEADER", "1.2",
	// "1.MIME"; empty: the whole message), percent-decoded.
	Section string
	// Partial is the ";PARTIAL=offset.length" range (nil: none; a Count
	// of 0 means to the end).
	Partial *Partial
}

// Absolute reports whether u was an absolute URL ("imap://...").
func (u *URL) Absolute() bool { return u.Host != "" }

func badURL(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadURL}, args...)...)
}

// ParseURL parses an IMAP URL naming a message by UID (RFC 5092 §3,
// imessagepart), absolute or relative to the server ("/mailbox/;UID=n").
// URLAUTH parts (";EXPIRE=", ";URLAUTH=", RFC 4467) and ";AUTH=" are
// not supported and give an error.
func ParseURL(s string) (*URL, error) {
	if len(s) > maxURLLen {
		return nil, badURL("longer than %d octets", maxURLLen)
	}
	u := &URL{}
	rest := s
	if len(s) >= 7 && strings.EqualFold(s[:7], "imap://") {
		rest = s[7:]
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return nil, badURL("no mailbox")
		}
		server := rest[:i]
		rest = rest[i:]
		if at := strings.LastIndexByte(server, '@'); at >= 0 {
			user := server[:at]
			server = server[at+1:]
			if strings.Contains(user, ";") {
				return nil, badURL(";AUTH= not supported")
			}
			dec, err := pctDecode(user)
			if err != nil || dec == "" {
				return nil, badURL("invalid user")
			}
			u.User = dec
		}
		host, port := server, ""
		if strings.HasPrefix(host, "[") {
			j := strings.IndexByte(host, ']')
			if j < 0 {
				return nil, badURL("invalid host")
			}
			host, port = host[:j+1], host[j+1:]
			if port != "" && port[0] != ':' {
				return nil, badURL("invalid host")
			}
			port = strings.TrimPrefix(port, ":")
		} else if j := strings.LastIndexByte(host, ':'); j >= 0 {
			host, port = host[:j], host[j+1:]
		}
		if host == "" {
			return nil, badURL("no host")
		}
		for _, b := range []byte(port) {
			if b < '0' || b > '9' {
				return nil, badURL("invalid port")
			}
		}
		inner := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if inner == "" || strings.IndexFunc(inner, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~:", r))
		}) >= 0 || strings.Contains(inner, ":") != (len(inner) != len(host)) {
			return nil, badURL("invalid host")
		}
		u.Host, u.Port = strings.ToLower(host), port
	}
	if !strings.HasPrefix(rest, "/") {
		return nil, badURL("not an absolute path")
	}
	segs := strings.Split(rest[1:], "/")
	if len(segs) < 2 || len(segs) > 4 {
		return nil, badURL("not a message URL")
	}
	mbox := segs[0]
	if i := strings.IndexByte(mbox, ';'); i >= 0 {
		v, ok := cutParam(mbox[i:], "UIDVALIDITY")
		if !ok {
			return nil, badURL("unknown mailbox parameter")
		}
		n, err := nzNumber(v)
		if err != nil {
			return nil, err
		}
		u.UIDValidity = n
		mbox = mbox[:i]
	}
	name, err := pctDecode(mbox)
	if err != nil || name == "" {
		return nil, badURL("invalid mailbox")
	}
	u.Mailbox = name
	v, ok := cutParam(segs[1], "UID")
	if !ok {
		return nil, badURL("no UID")
	}
	if u.UID, err = nzNumber(v); err != nil {
		return nil, err
	}
	for _, seg := range segs[2:] {
		if v, ok := cutParam(seg, "SECTION"); ok && u.Section == "" && u.Partial == nil {
			sec, err := pctDecode(v)
			if err != nil || sec == "" {
				return nil, badURL("invalid section")
			}
			u.Section = sec
			continue
		}
		if v, ok := cutParam(seg, "PARTIAL"); ok && u.Partial == nil {
			p, err := parseURLPartial(v)
			if err != nil {
				return nil, err
			}
			u.Partial = p
			continue
		}
		return nil, badURL("unexpected %q", seg)
	}
	return u, nil
}

// cutParam returns v of ";NAME=v" (NAME case-insensitive).
func cutParam(s, name string) (string, bool) {
	p := ";" + name + "="
	if len(s) < len(p) || !strings.EqualFold(s[:len(p)], p) {
		return "", false
	}
	return s[len(p):], true
}

func nzNumber(s string) (uint32, error) {
	if s == "" || s[0] == '0' || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, badURL("invalid number %q", s)
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, badURL("invalid number %q", s)
	}
	return uint32(n), nil
}

func parseURLPartial(s string) (*Partial, error) {
	off, cnt, hasCnt := strings.Cut(s, ".")
	if off == "" || strings.IndexFunc(off, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return nil, badURL("invalid partial %q", s)
	}
	o, err := strconv.ParseUint(off, 10, 32)
	if err != nil {
		return nil, badURL("invalid partial %q", s)
	}
	p := &Partial{Offset: int64(o)}
	if hasCnt {
		n, err := nzNumber(cnt)
		if err != nil {
			return nil, badURL("invalid partial %q", s)
		}
		p.Count = int64(n)
	}
	return p, nil
}

// pctDecode undoes the %XX escapes of an URL part (RFC 3986); the result
// must be valid UTF-8 without control characters.
func pctDecode(s string) (string, error) {
	d, err := url.PathUnescape(s)
	if err != nil {
		return "", err
	}
	for _, r := range d {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return "", badURL("invalid character")
		}
	}
	return d, nil
}

// String returns u as an URL: relative when it has no host.
func (u *URL) String() string {
	var sb strings.Builder
	if u.Host != "" {
		sb.WriteString("imap://")
		if u.User != "" {
			sb.WriteString(url.PathEscape(u.User))
			sb.WriteByte('@')
		}
		sb.WriteString(u.Host)
		if u.Port != "" {
			sb.WriteByte(':')
			sb.WriteString(u.Port)
		}
	}
	sb.WriteByte('/')
	sb.WriteString(urlEscape(u.Mailbox))
	if u.UIDValidity != 0 {
		sb.WriteString(";UIDVALIDITY=")
		sb.WriteString(strconv.FormatUint(uint64(u.UIDValidity), 10))
	}
	sb.WriteString("/;UID=")
	sb.WriteString(strconv.FormatUint(uint64(u.UID), 10))
	if u.Section != "" {
		sb.WriteString("/;SECTION=")
		sb.WriteString(urlEscape(u.Section))
	}
	if u.Partial != nil {
		sb.WriteString("/;PARTIAL=")
		sb.WriteString(strconv.FormatInt(u.Partial.Offset, 10))
		if u.Partial.Count > 0 {
			sb.WriteByte('.')
			sb.WriteString(strconv.FormatInt(u.Partial.Count, 10))
		}
	}
	return sb.String()
}

// urlEscape escapes s for a path segment, also ";" and "/".
func urlEscape(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("-._~!$'()*+,=:@&", b) >= 0 {
			sb.WriteByte(b)
			continue
		}
		fmt.Fprintf(&sb, "%%%02X", b)
	}
	return sb.String()
}
