package esmtp

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// EHLO keywords of the extensions this package knows.
const (
	SIZE                = "SIZE"                // RFC 1870
	EightBitMIME        = "8BITMIME"            // RFC 6152
	BINARYMIME          = "BINARYMIME"          // RFC 3030
	CHUNKING            = "CHUNKING"            // RFC 3030
	PIPELINING          = "PIPELINING"          // RFC 2920
	DSN                 = "DSN"                 // RFC 3461
	SMTPUTF8            = "SMTPUTF8"            // RFC 6531
	AUTH                = "AUTH"                // RFC 4954
	STARTTLS            = "STARTTLS"            // RFC 3207
	ENHANCEDSTATUSCODES = "ENHANCEDSTATUSCODES" // RFC 2034
	REQUIRETLS          = "REQUIRETLS"          // RFC 8689
	HELP                = "HELP"                // RFC 5321 §4.1.1.8
)

// ExtensionSpec describes a known extension: its EHLO keyword, the
// commands it adds and the MAIL and RCPT parameters it allows.
type ExtensionSpec struct {
	Keyword    string   // EHLO keyword, upper case
	RFC        string   // defining document, e.g. "RFC 1870"
	Title      string   // short descriptive title of the extension
	Commands   []string // commands the extension adds
	MailParams []string // MAIL parameters it allows
	RcptParams []string // RCPT parameters it allows
	// Requires lists keywords that must be offered too (BINARYMIME needs
	// CHUNKING, RFC 3030 §3).
	Requires []string
}

// registry is the table behind [Registry] and the parameter parser.
var registry = [...]ExtensionSpec{
	{Keyword: SIZE, RFC: "RFC 1870", Title: "Message Size Declaration", MailParams: []string{"SIZE"}},
	{Keyword: EightBitMIME, RFC: "RFC 6152", Title: "8-bit MIME transport", MailParams: []string{"BODY"}},
	{Keyword: BINARYMIME, RFC: "RFC 3030", Title: "Binary MIME", MailParams: []string{"BODY"}, Requires: []string{CHUNKING}},
	{Keyword: CHUNKING, RFC: "RFC 3030", Title: "Transmission of large and binary MIME messages", Commands: []string{"BDAT"}},
	{Keyword: PIPELINING, RFC: "RFC 2920", Title: "Command pipelining"},
	{Keyword: DSN, RFC: "RFC 3461", Title: "Delivery Status Notifications", MailParams: []string{"RET", "ENVID"}, RcptParams: []string{"NOTIFY", "ORCPT"}},
	{Keyword: SMTPUTF8, RFC: "RFC 6531", Title: "Internationalized email", MailParams: []string{"SMTPUTF8"}},
	{Keyword: AUTH, RFC: "RFC 4954", Title: "Authentication", Commands: []string{"AUTH"}, MailParams: []string{"AUTH"}},
	{Keyword: STARTTLS, RFC: "RFC 3207", Title: "Secure SMTP over TLS", Commands: []string{"STARTTLS"}},
	{Keyword: ENHANCEDSTATUSCODES, RFC: "RFC 2034", Title: "Enhanced error codes"},
	{Keyword: REQUIRETLS, RFC: "RFC 8689", Title: "Require TLS", MailParams: []string{"REQUIRETLS"}},
	{Keyword: HELP, RFC: "RFC 5321", Title: "Help", Commands: []string{"HELP"}},
}

// Registry returns the known extensions, in a fixed order. The slices are
// copies; changing them does not affect the package.
func Registry() []ExtensionSpec {
	out := make([]ExtensionSpec, len(registry))
	for i, s := range registry {
		s.Commands = append([]string(nil), s.Commands...)
		s.MailParams = append([]string(nil), s.MailParams...)
		s.RcptParams = append([]string(nil), s.RcptParams...)
		s.Requires = append([]string(nil), s.Requires...)
		out[i] = s
	}
	return out
}

// Lookup returns the specification of a known EHLO keyword
// (case-insensitive).
func Lookup(keyword string) (ExtensionSpec, bool) {
	for _, s := range registry {
		if strings.EqualFold(s.Keyword, keyword) {
			return s, true
		}
	}
	return ExtensionSpec{}, false
}

const (
	cmdMail = 1
	cmdRcpt = 2
)

// paramSpec links a parameter to the extensions that allow it.
type paramSpec struct {
	cmd  int
	exts []string // any one of these offered allows the parameter
	flag bool     // takes no value
	bit  uint16   // for duplicate detection
}

func lookupParam(key string) (paramSpec, bool) {
	switch key {
	case "SIZE":
		return paramSpec{cmd: cmdMail, exts: []string{SIZE}, bit: 1 << 0}, true
	case "BODY":
		return paramSpec{cmd: cmdMail, exts: []string{EightBitMIME, BINARYMIME}, bit: 1 << 1}, true
	case "RET":
		return paramSpec{cmd: cmdMail, exts: []string{DSN}, bit: 1 << 2}, true
	case "ENVID":
		return paramSpec{cmd: cmdMail, exts: []string{DSN}, bit: 1 << 3}, true
	case "SMTPUTF8":
		return paramSpec{cmd: cmdMail, exts: []string{SMTPUTF8}, flag: true, bit: 1 << 4}, true
	case "AUTH":
		return paramSpec{cmd: cmdMail, exts: []string{AUTH}, bit: 1 << 5}, true
	case "REQUIRETLS":
		return paramSpec{cmd: cmdMail, exts: []string{REQUIRETLS}, flag: true, bit: 1 << 6}, true
	case "NOTIFY":
		return paramSpec{cmd: cmdRcpt, exts: []string{DSN}, bit: 1 << 0}, true
	case "ORCPT":
		return paramSpec{cmd: cmdRcpt, exts: []string{DSN}, bit: 1 << 1}, true
	}
	return paramSpec{}, false
}

func offered(c *Capabilities, s paramSpec) bool {
	if c == nil {
		return true
	}
	for _, k := range s.exts {
		if c.Has(k) {
			return true
		}
	}
	return false
}

// Extension is one EHLO reply line after the first: a keyword and its
// parameters.
type Extension struct {
	// Keyword is the EHLO keyword in upper case.
	Keyword string
	// Params are the space-separated parameters as sent.
	Params []string
}

// String returns the EHLO line, "KEYWORD param param".
func (e Extension) String() string {
	if len(e.Params) == 0 {
		return e.Keyword
	}
	return e.Keyword + " " + strings.Join(e.Params, " ")
}

// Capabilities is what a server announces in its EHLO reply (RFC 5321
// §4.1.1.1): its domain, a greeting, and the extensions in the order sent.
// Keywords of unknown extensions are kept. The zero value announces no
// extension.
type Capabilities struct {
	// Domain is the first word of the first reply line.
	Domain string
	// Greeting is the rest of the first line ("at your service, [1.2.3.4]").
	Greeting string
	// Extensions are the extension lines in order.
	Extensions []Extension
}

// ErrEHLOSyntax is wrapped by the errors of [ParseEHLOReply].
var ErrEHLOSyntax = errors.New("esmtp: malformed EHLO reply")

// ParseEHLO builds Capabilities from the text of an EHLO reply's lines
// (without code, separator or CRLF), as smtp.ReadReply returns them. The
// first line is "domain [greeting]", each further line "keyword *(SP
// param)". Keywords are upper-cased; a repeated keyword keeps its first
// line; empty lines are skipped. ParseEHLO is tolerant and returns an
// error only for no lines at all.
func ParseEHLO(lines []string) (*Capabilities, error) {
	if len(lines) == 0 {
		return nil, fmt.Errorf("%w: no lines", ErrEHLOSyntax)
	}
	c := &Capabilities{}
	first := strings.TrimSpace(lines[0])
	c.Domain, c.Greeting, _ = strings.Cut(first, " ")
	c.Greeting = strings.TrimLeft(c.Greeting, " ")
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		kw := strings.ToUpper(f[0])
		if c.Has(kw) {
			continue
		}
		var params []string
		if len(f) > 1 {
			params = f[1:]
		}
		c.Extensions = append(c.Extensions, Extension{Keyword: kw, Params: params})
	}
	return c, nil
}

// ParseEHLOReply parses a complete EHLO reply as received, such as
// "250-mx.example.com Hello\r\n250-SIZE 1000\r\n250 HELP\r\n". Every line
// must carry code 250, all but the last with "-"; lines may end in CRLF or
// LF. Enhanced status codes are not expected (RFC 2034 §3 exempts EHLO).
func ParseEHLOReply(raw []byte) (*Capabilities, error) {
	var lines []string
	rest := raw
	for len(rest) > 0 {
		if len(lines) == 1024 {
			return nil, fmt.Errorf("%w: too many lines", ErrEHLOSyntax)
		}
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return nil, fmt.Errorf("%w: unterminated line", ErrEHLOSyntax)
		}
		line := rest[:i]
		rest = rest[i+1:]
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if bytes.IndexByte(line, '\r') >= 0 || bytes.IndexByte(line, 0) >= 0 {
			return nil, fmt.Errorf("%w: control character", ErrEHLOSyntax)
		}
		if len(line) < 3 || string(line[:3]) != "250" {
			return nil, fmt.Errorf("%w: line %d is not 250", ErrEHLOSyntax, len(lines)+1)
		}
		last := true
		text := ""
		if len(line) > 3 {
			switch line[3] {
			case '-':
				last = false
			case ' ':
			default:
				return nil, fmt.Errorf("%w: bad separator", ErrEHLOSyntax)
			}
			text = string(line[4:])
		}
		lines = append(lines, text)
		if last {
			if len(rest) > 0 {
				return nil, fmt.Errorf("%w: data after the last line", ErrEHLOSyntax)
			}
			return ParseEHLO(lines)
		}
	}
	return nil, fmt.Errorf("%w: missing last line", ErrEHLOSyntax)
}

// Lines returns the reply lines of c: "domain greeting", then one line per
// extension.
func (c *Capabilities) Lines() []string {
	out := make([]string, 0, 1+len(c.Extensions))
	first := c.Domain
	if c.Greeting != "" {
		first += " " + c.Greeting
	}
	out = append(out, first)
	for _, e := range c.Extensions {
		out = append(out, e.String())
	}
	return out
}

// AppendReply appends the complete 250 reply to EHLO in wire form (CRLF
// line endings) to b.
func (c *Capabilities) AppendReply(b []byte) []byte {
	lines := c.Lines()
	for i, l := range lines {
		if i < len(lines)-1 {
			b = append(b, "250-"...)
		} else {
			b = append(b, "250 "...)
		}
		b = append(b, l...)
		b = append(b, '\r', '\n')
	}
	return b
}

// Has reports whether keyword (case-insensitive) is announced.
func (c *Capabilities) Has(keyword string) bool {
	_, ok := c.Get(keyword)
	return ok
}

// Get returns the announced extension with the given keyword
// (case-insensitive).
func (c *Capabilities) Get(keyword string) (Extension, bool) {
	if c == nil {
		return Extension{}, false
	}
	for _, e := range c.Extensions {
		if strings.EqualFold(e.Keyword, keyword) {
			return e, true
		}
	}
	return Extension{}, false
}

// Add announces an extension, replacing an earlier line with the same
// keyword in place, or appending it. The keyword is upper-cased.
func (c *Capabilities) Add(keyword string, params ...string) {
	e := Extension{Keyword: strings.ToUpper(keyword), Params: params}
	for i := range c.Extensions {
		if c.Extensions[i].Keyword == e.Keyword {
			c.Extensions[i] = e
			return
		}
	}
	c.Extensions = append(c.Extensions, e)
}

// Remove withdraws an extension (case-insensitive keyword).
func (c *Capabilities) Remove(keyword string) {
	out := c.Extensions[:0]
	for _, e := range c.Extensions {
		if !strings.EqualFold(e.Keyword, keyword) {
			out = append(out, e)
		}
	}
	c.Extensions = out
}

// Clone returns a deep copy of c.
func (c *Capabilities) Clone() *Capabilities {
	n := &Capabilities{Domain: c.Domain, Greeting: c.Greeting}
	for _, e := range c.Extensions {
		n.Extensions = append(n.Extensions, Extension{Keyword: e.Keyword, Params: append([]string(nil), e.Params...)})
	}
	return n
}

// Size returns the SIZE limit (RFC 1870 §4): ok reports whether SIZE is
// announced; limit is 0 when it is announced without a (valid) number,
// meaning no fixed maximum.
func (c *Capabilities) Size() (limit int64, ok bool) {
	e, ok := c.Get(SIZE)
	if !ok {
		return 0, false
	}
	if len(e.Params) > 0 {
		if n, err := strconv.ParseInt(e.Params[0], 10, 64); err == nil && n > 0 {
			return n, true
		}
	}
	return 0, true
}

// AuthMechanisms returns the SASL mechanisms of the AUTH line in upper
// case, or, when there is none, of the pre-standard "AUTH=MECH ..." line
// some servers still send.
func (c *Capabilities) AuthMechanisms() []string {
	e, ok := c.Get(AUTH)
	if !ok {
		for _, x := range c.extensionsOrNil() {
			if len(x.Keyword) > 5 && x.Keyword[:5] == "AUTH=" {
				e = Extension{Keyword: AUTH, Params: append([]string{x.Keyword[5:]}, x.Params...)}
				ok = true
				break
			}
		}
	}
	if !ok {
		return nil
	}
	out := make([]string, 0, len(e.Params))
	for _, p := range e.Params {
		out = append(out, strings.ToUpper(p))
	}
	return out
}

func (c *Capabilities) extensionsOrNil() []Extension {
	if c == nil {
		return nil
	}
	return c.Extensions
}

// Validate checks a capability set a server is about to announce: every
// keyword is a valid ehlo-keyword, parameters are printable, and required
// companions are present (BINARYMIME needs CHUNKING).
func (c *Capabilities) Validate() error {
	if c.Domain == "" {
		return fmt.Errorf("%w: empty domain", ErrEHLOSyntax)
	}
	for _, e := range c.Extensions {
		if !validKeyword(e.Keyword) {
			return fmt.Errorf("%w: bad keyword %q", ErrEHLOSyntax, e.Keyword)
		}
		for _, p := range e.Params {
			if p == "" || !printableASCII(p) || strings.IndexByte(p, ' ') >= 0 {
				return fmt.Errorf("%w: bad parameter %q of %s", ErrEHLOSyntax, p, e.Keyword)
			}
		}
		if s, ok := Lookup(e.Keyword); ok {
			for _, r := range s.Requires {
				if !c.Has(r) {
					return fmt.Errorf("%w: %s requires %s", ErrEHLOSyntax, e.Keyword, r)
				}
			}
		}
	}
	return nil
}
