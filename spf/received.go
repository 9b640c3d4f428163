package spf

import (
	"net/netip"
	"strings"
)

// ReceivedSPF is a Received-SPF header field (RFC 7208 §9.1). Empty
// fields are left out of the key=value list, so a caller chooses which
// pairs to record. [NewReceivedSPF] fills it from a [Result].
type ReceivedSPF struct {
	Result Status // the result, written capitalised ("Pass")
	// Comment is the parenthesised comment; when empty it is generated
	// from Reporter, the sender and ClientIP ("<Reporter>: domain of
	// <sender> designates <ip> as permitted sender" for pass).
	Comment  string
	Reporter string // host named at the start of a generated comment
	Sender   string // <sender> named in a generated comment

	Receiver     string     // receiver=
	Identity     Identity   // identity=
	ClientIP     netip.Addr // client-ip=
	EnvelopeFrom string     // envelope-from=<...>; set NullSender for "<>"
	NullSender   bool       // the envelope sender was null
	Helo         string     // helo=
	Problem      string     // problem=
	Mechanism    string     // mechanism=
}

// NewReceivedSPF returns the header for res with every key filled in:
// receiver (and the comment's reporter) from receiver, identity,
// client-ip, envelope-from, helo, mechanism, and problem for errors.
func NewReceivedSPF(res Result, in Input, receiver string) ReceivedSPF {
	h := ReceivedSPF{
		Result:       res.Result,
		Reporter:     receiver,
		Sender:       res.Sender,
		Receiver:     receiver,
		Identity:     res.Identity,
		ClientIP:     res.IP,
		EnvelopeFrom: in.MailFrom,
		NullSender:   in.MailFrom == "",
		Helo:         in.Helo,
	}
	if res.Matched != nil {
		h.Mechanism = res.Matched.String()
	}
	if res.Err != nil && (res.Result == PermError || res.Result == TempError) {
		h.Problem = res.Err.Error()
	}
	return h
}

// resultWord is the capitalised result used in Received-SPF.
func resultWord(s Status) string {
	switch s {
	case Pass:
		return "Pass"
	case Fail:
		return "Fail"
	case SoftFail:
		return "SoftFail"
	case Neutral:
		return "Neutral"
	case TempError:
		return "TempError"
	case PermError:
		return "PermError"
	}
	return "None"
}

// GeneratedComment returns the comment String uses when Comment is empty.
func (h ReceivedSPF) GeneratedComment() string {
	ip := "unknown"
	if h.ClientIP.IsValid() {
		ip = h.ClientIP.String()
	}
	var b strings.Builder
	if h.Reporter != "" {
		b.WriteString(h.Reporter)
		b.WriteString(": ")
	}
	s := h.Sender
	switch h.Result {
	case Pass:
		b.WriteString("domain of " + s + " designates " + ip + " as permitted sender")
	case Fail:
		b.WriteString("domain of " + s + " does not designate " + ip + " as permitted sender")
	case SoftFail:
		b.WriteString("domain of transitioning " + s + " does not designate " + ip + " as permitted sender")
	case Neutral:
		b.WriteString(ip + " is neither permitted nor denied by domain of " + s)
	case TempError:
		b.WriteString("temporary error checking the domain of " + s)
	case PermError:
		b.WriteString("permanent error in the SPF record of the domain of " + s)
	default:
		b.WriteString("domain of " + s + " does not publish an SPF record")
	}
	return b.String()
}

// Value returns the field body (everything after "Received-SPF: ").
func (h ReceivedSPF) Value() string {
	var b strings.Builder
	b.WriteString(resultWord(h.Result))
	b.WriteString(" (")
	c := h.Comment
	if c == "" {
		c = h.GeneratedComment()
	}
	writeCommentText(&b, c)
	b.WriteByte(')')
	kv := func(k, v string) {
		b.WriteByte(' ')
		b.WriteString(k)
		b.WriteByte('=')
		writeValue(&b, v)
		b.WriteByte(';')
	}
	if h.Receiver != "" {
		kv("receiver", h.Receiver)
	}
	if h.Identity != "" {
		kv("identity", string(h.Identity))
	}
	if h.ClientIP.IsValid() {
		kv("client-ip", h.ClientIP.String())
	}
	if h.EnvelopeFrom != "" || h.NullSender {
		kv("envelope-from", "<"+h.EnvelopeFrom+">")
	}
	if h.Helo != "" {
		kv("helo", h.Helo)
	}
	if h.Problem != "" {
		kv("problem", h.Problem)
	}
	if h.Mechanism != "" {
		kv("mechanism", h.Mechanism)
	}
	return b.String()
}

// String returns the complete header field, "Received-SPF: ...", without
// line folding or CRLF.
func (h ReceivedSPF) String() string { return "Received-SPF: " + h.Value() }

// writeCommentText writes s as ctext, escaping parentheses and
// backslashes and replacing control characters (CR and LF included) and
// invalid UTF-8 with a space, so that no input can end the comment or the
// header field.
func writeCommentText(b *strings.Builder, s string) {
	s = strings.ToValidUTF8(s, " ")
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
}

// isAtextish reports whether c may appear unquoted in a key=value value:
// RFC 5322 atext plus the characters of dot-atoms, addresses and IPv6
// literals (". @ : < > [ ]") as in the RFC 7208 examples.
func isAtextish(c byte) bool {
	if isAlpha(c) || isDigit(c) {
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~.@:<>[]", c) >= 0
}

// writeValue writes v bare when possible, else as a quoted-string.
func writeValue(b *strings.Builder, v string) {
	bare := v != ""
	for i := 0; i < len(v); i++ {
		if !isAtextish(v[i]) {
			bare = false
			break
		}
	}
	if bare {
		b.WriteString(v)
		return
	}
	writeQuoted(b, v)
}

// writeQuoted writes v as a quoted-string: '"' and '\' are escaped,
// control characters (CR and LF included) and invalid UTF-8 become
// spaces.
func writeQuoted(b *strings.Builder, v string) {
	v = strings.ToValidUTF8(v, " ")
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// writeARValue writes a property value of Authentication-Results (RFC
// 8601 §2.2 pvalue): bare when it is a dot-atom local-part "@" domain
// name, a domain name, or an RFC 2045 token, else a quoted-string.
func writeARValue(b *strings.Builder, v string) {
	if arBare(v) {
		b.WriteString(v)
		return
	}
	writeQuoted(b, v)
}

func arBare(v string) bool {
	if v == "" {
		return false
	}
	local, domain := "", v
	if at := strings.LastIndexByte(v, '@'); at >= 0 {
		local, domain = v[:at], v[at+1:]
		if local != "" && !dotAtom(local) {
			return false
		}
		if domain == "" {
			return false
		}
	}
	for i := 0; i < len(domain); i++ {
		c := domain[i]
		if !isAlpha(c) && !isDigit(c) && c != '-' && c != '.' && c != '_' {
			return false
		}
	}
	return true
}

// dotAtom reports whether s is an RFC 5322 dot-atom-text.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '.' && !(isAtextish(c) && strings.IndexByte("@:<>[]", c) < 0) {
			return false
		}
	}
	return true
}

// AuthResult returns the spf method of an Authentication-Results field
// (RFC 8601 §2.7.2), e.g. "spf=pass smtp.mailfrom=user@example.com", with
// smtp.helo for the HELO identity. The result is the lower-case token.
// For temperror and permerror the cause in res.Err is added as
// reason="..." (RFC 8601 §2.2). Values that are not a plain address or
// domain name are written as quoted-strings, so hostile input can not add
// properties or end the field.
func AuthResult(res Result) string {
	var b strings.Builder
	b.WriteString("spf=")
	if res.Result == "" {
		b.WriteString(string(None))
	} else {
		b.WriteString(string(res.Result))
	}
	if res.Err != nil && (res.Result == TempError || res.Result == PermError) {
		b.WriteString(" reason=")
		writeQuoted(&b, res.Err.Error())
	}
	if res.Identity == IdentityHelo {
		b.WriteString(" smtp.helo=")
		writeARValue(&b, res.Helo)
		return b.String()
	}
	b.WriteString(" smtp.mailfrom=")
	writeARValue(&b, res.Sender)
	return b.String()
}
