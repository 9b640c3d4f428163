package imap

import (
	"bytes"
	stdmime "mime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailkit-go/mailkit/mime"
)

// Message gives FETCH and SEARCH what they need from a raw RFC 5322
// message: ENVELOPE, BODYSTRUCTURE and body sections, computed with package
// mime. Backends that store raw messages can use it directly.
type Message struct {
	raw  []byte
	root *mime.Part // bodies of a parsed tree may be decoded concurrently
}

// ParseMessage parses raw (which must stay unchanged while the Message is
// used). A message the MIME parser cannot read at all (beyond its
// leniencies) is treated as a single text/plain part.
func ParseMessage(raw []byte) *Message {
	m := &Message{raw: raw}
	p, err := mime.ParseBytes(raw, nil)
	if err == nil {
		m.root = p
	}
	return m
}

// Raw returns the message bytes.
func (m *Message) Raw() []byte { return m.raw }

// splitHeader returns the header section (with its empty line) and body of raw.
func splitHeader(raw []byte) (hdr, body []byte) {
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return raw, nil
		}
		line := raw[i : i+j+1]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return raw[:i+j+1], raw[i+j+1:]
		}
		i += j + 1
	}
	return raw, nil
}

// Header returns the raw header section including the empty line.
func (m *Message) Header() []byte {
	if m.root != nil {
		return m.root.RawHeader()
	}
	h, _ := splitHeader(m.raw)
	return h
}

// Body returns the raw body.
func (m *Message) Body() []byte {
	if m.root != nil {
		return m.raw[len(m.root.RawHeader()):]
	}
	_, b := splitHeader(m.raw)
	return b
}

// SentDate returns the parsed Date header, zero if missing or invalid.
func (m *Message) SentDate() (t time.Time) {
	if m.root == nil {
		return
	}
	d, err := m.root.Header.Date()
	if err != nil {
		return
	}
	return d
}

// Envelope returns the ENVELOPE of the message.
func (m *Message) Envelope() *Envelope {
	if m.root == nil {
		return &Envelope{}
	}
	return envelopeOf(&m.root.Header)
}

func encodeWordIfNeeded(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			if utf8.ValidString(s) {
				return stdmime.BEncoding.Encode("utf-8", s)
			}
			return strings.ToValidUTF8(s, "?")
		}
	}
	return s
}

func addressesOf(h *mime.Header, name string) []Address {
	v := h.Get(name)
	if v == "" {
		return nil
	}
	groups, err := mime.ParseAddressGroups(v)
	if err != nil {
		return nil
	}
	var out []Address
	// Package mime drops obsolete source routes; find them in the raw
	// value and give each to the mailbox its angle-addr produced.
	angles := angleAddrs(v)
	conv := func(a mime.Address) Address {
		local, host := a.Address, ""
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 {
			local, host = a.Address[:i], a.Address[i+1:]
		}
		route := ""
		for k, an := range angles {
			if an.addr == a.Address {
				route = an.route
				angles = angles[k+1:]
				break
			}
		}
		return Address{Name: encodeWordIfNeeded(a.Name), Route: route, Mailbox: local, Host: host}
	}
	for _, g := range groups {
		if g.NotGroup {
			for _, a := range g.Members {
				out = append(out, conv(a))
			}
			continue
		}
		out = append(out, Address{Mailbox: g.Name})
		for _, a := range g.Members {
			out = append(out, conv(a))
		}
		out = append(out, Address{})
	}
	return out
}

// angleAddr is one "<...>" of an address header value: the addr-spec
// with white space and comments removed, and the obsolete route before it.
type angleAddr struct {
	route, addr string
}

// maxAngleAddrs bounds the angle-addrs looked at in one header value.
const maxAngleAddrs = 1000

// angleAddrs lists the angle-addrs of a raw address header value in
// order, skipping quoted strings and comments outside them.
func angleAddrs(v string) []angleAddr {
	var out []angleAddr
	for i := 0; i < len(v) && len(out) < maxAngleAddrs; i++ {
		switch v[i] {
		case '"':
			i = skipQuoted(v, i)
		case '(':
			i = skipComment(v, i)
		case '<':
			var b strings.Builder
			j := i + 1
			for ; j < len(v) && v[j] != '>'; j++ {
				switch v[j] {
				case ' ', '\t', '\r', '\n':
				case '(':
					j = skipComment(v, j)
				case '"':
					k := skipQuoted(v, j)
					if k >= len(v) {
						k = len(v) - 1
					}
					b.WriteString(v[j : k+1])
					j = k
				default:
					b.WriteByte(v[j])
				}
			}
			i = j
			s := b.String()
			a := angleAddr{addr: s}
			if strings.HasPrefix(s, "@") {
				if k := strings.IndexByte(s, ':'); k >= 0 {
					a = angleAddr{route: s[:k], addr: s[k+1:]}
				}
			}
			out = append(out, a)
		}
	}
	return out
}

// skipQuoted returns the index of the quote closing the quoted string
// that starts at v[i] (len(v) if unterminated).
func skipQuoted(v string, i int) int {
	for i++; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return len(v)
}

// skipComment returns the index of the parenthesis closing the (nested)
// comment that starts at v[i] (len(v) if unterminated).
func skipComment(v string, i int) int {
	depth := 0
	for ; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(v)
}

func envelopeOf(h *mime.Header) *Envelope {
	env := &Envelope{
		Date:      h.Get("Date"),
		Subject:   h.Get("Subject"),
		From:      addressesOf(h, "From"),
		Sender:    addressesOf(h, "Sender"),
		ReplyTo:   addressesOf(h, "Reply-To"),
		To:        addressesOf(h, "To"),
		Cc:        addressesOf(h, "Cc"),
		Bcc:       addressesOf(h, "Bcc"),
		InReplyTo: h.Get("In-Reply-To"),
		MessageID: h.Get("Message-Id"),
	}
	// RFC 3501: Sender and Reply-To default to From.
	if len(env.Sender) == 0 {
		env.Sender = env.From
	}
	if len(env.ReplyTo) == 0 {
		env.ReplyTo = env.From
	}
	return env
}

// BodyStructure returns the BODYSTRUCTURE of the message.
func (m *Message) BodyStructure() *BodyStructure {
	if m.root == nil {
		_, body := splitHeader(m.raw)
		return &BodyStructure{Type: "text", Subtype: "plain", Params: map[string]string{"charset": "us-ascii"},
			Encoding: "7bit", Size: uint32(len(body)), Lines: int64(bytes.Count(body, []byte("\n")))}
	}
	return bodyStructureOf(m.root)
}

func countLines(b []byte) int64 {
	n := int64(bytes.Count(b, []byte("\n")))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

func bodyStructureOf(p *mime.Part) *BodyStructure {
	typ, sub, _ := strings.Cut(p.MediaType, "/")
	bs := &BodyStructure{
		Type:        typ,
		Subtype:     sub,
		Params:      p.Params(),
		ID:          p.Header.Get("Content-Id"),
		Description: p.Header.Get("Content-Description"),
		Encoding:    p.TransferEncoding,
		MD5:         p.Header.Get("Content-Md5"),
		Location:    p.Header.Get("Content-Location"),
	}
	if p.Header.Has("Content-Disposition") {
		bs.Disposition, bs.DispositionParams = p.Disposition()
	}
	if l := p.Header.Get("Content-Language"); l != "" {
		for _, x := range strings.Split(l, ",") {
			if x = strings.TrimSpace(x); x != "" {
				bs.Language = append(bs.Language, x)
			}
		}
	}
	if p.IsMultipart() {
		for _, c := range p.Children {
			bs.Children = append(bs.Children, bodyStructureOf(c))
		}
		return bs
	}
	if typ == "text" && bs.Params["charset"] == "" {
		params := map[string]string{"charset": "us-ascii"}
		for k, v := range bs.Params {
			params[k] = v
		}
		bs.Params = params
	}
	body := p.RawBody()
	bs.Size = uint32(len(body))
	switch {
	case p.IsMessage() && len(p.Children) == 1:
		bs.Envelope = envelopeOf(&p.Children[0].Header)
		bs.Body = bodyStructureOf(p.Children[0])
		bs.Lines = countLines(body)
	case typ == "text":
		bs.Lines = countLines(body)
	}
	return bs
}

// part resolves a section part path to a MIME part (nil: no such part).
func (m *Message) part(path []int) *mime.Part {
	cur := m.root
	for k, n := range path {
		if cur == nil {
			return nil
		}
		// Numbers after a message/rfc822 part refer to the embedded
		// message (the first number addresses the message's own body).
		if k > 0 && cur.IsMessage() && len(cur.Children) == 1 {
			cur = cur.Children[0]
		}
		switch {
		case cur.IsMultipart():
			if n > len(cur.Children) {
				return nil
			}
			cur = cur.Children[n-1]
		case n == 1:
			// Part 1 of a non-multipart message is its body.
		default:
			return nil
		}
	}
	return cur
}

// Section returns the bytes of a body section (before any partial range
// is applied); ok is false for a part that does not exist.
func (m *Message) Section(s *FetchSection) (data []byte, ok bool) {
	if m.root == nil {
		hdr, body := splitHeader(m.raw)
		if len(s.Part) > 0 && (len(s.Part) != 1 || s.Part[0] != 1) {
			return nil, false
		}
		switch s.Specifier {
		case SpecifierHeader, SpecifierMIME:
			return hdr, true
		case SpecifierText:
			return body, true
		case SpecifierHeaderFields, SpecifierHeaderFieldsNot:
			return filterHeader(hdr, s.Fields, s.Specifier == SpecifierHeaderFieldsNot), true
		}
		if len(s.Part) > 0 {
			return body, true
		}
		return m.raw, true
	}
	p := m.part(s.Part)
	if p == nil {
		return nil, false
	}
	if len(s.Part) == 0 {
		switch s.Specifier {
		case SpecifierNone:
			return m.raw, true
		case SpecifierText:
			return m.Body(), true
		}
	}
	if s.Specifier == SpecifierNone {
		if p == m.root && len(s.Part) > 0 {
			return m.Body(), true
		}
		return p.RawBody(), true
	}
	if s.Specifier == SpecifierMIME {
		if p == m.root {
			return m.Header(), true
		}
		return p.RawHeader(), true
	}
	// HEADER, HEADER.FIELDS and TEXT of a part refer to an embedded message.
	msg := p
	if len(s.Part) > 0 {
		if !p.IsMessage() || len(p.Children) != 1 {
			return nil, false
		}
		msg = p.Children[0]
	}
	hdr := msg.RawHeader()
	switch s.Specifier {
	case SpecifierHeader:
		return hdr, true
	case SpecifierText:
		if msg == m.root {
			return m.Body(), true
		}
		return msg.RawBody(), true
	default:
		return filterHeader(hdr, s.Fields, s.Specifier == SpecifierHeaderFieldsNot), true
	}
}

// filterHeader keeps (or drops, with not) the fields named in names and
// ends the result with an empty line.
func filterHeader(hdr []byte, names []string, not bool) []byte {
	var out []byte
	keep := false
	for i := 0; i < len(hdr); {
		j := bytes.IndexByte(hdr[i:], '\n')
		end := len(hdr)
		if j >= 0 {
			end = i + j + 1
		}
		line := hdr[i:end]
		i = end
		trimmed := bytes.TrimRight(line, "\r\n")
		if len(trimmed) == 0 {
			break
		}
		if trimmed[0] != ' ' && trimmed[0] != '\t' {
			name, _, _ := bytes.Cut(trimmed, []byte(":"))
			name = bytes.TrimSpace(name)
			match := false
			for _, n := range names {
				if equalFold(string(name), n) {
					match = true
					break
				}
			}
			keep = match != not
		}
		if keep {
			out = append(out, line...)
			if !bytes.HasSuffix(line, []byte("\n")) {
				out = append(out, '\r', '\n')
			}
		}
	}
	return append(out, '\r', '\n')
}

// ApplyPartial cuts data to the <offset.count> range of p (nil: all).
func ApplyPartial(data []byte, p *Partial) []byte {
	if p == nil {
		return data
	}
	if p.Offset >= int64(len(data)) {
		return nil
	}
	data = data[p.Offset:]
	if p.Count < int64(len(data)) {
		data = data[:p.Count]
	}
	return data
}

// SearchTarget fills the message-dependent fields of a SearchTarget.
func (m *Message) SearchTarget(t *SearchTarget) {
	t.Header = m.Header()
	t.Body = m.Body()
	t.SentDate = m.SentDate()
	t.msg = m
	t.decoded = false
	if t.Size == 0 {
		t.Size = int64(len(m.raw))
	}
}
