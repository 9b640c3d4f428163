package mime

import (
	"strings"
)

// Address is one mailbox: an optional display name and an addr-spec. Both
// are UTF-8 (RFC 6532); the name has RFC 2047 encoded words decoded.
type Address struct {
	// Name is the display name, decoded to UTF-8; empty when the mailbox
	// had none.
	Name    string
	Address string // local@domain, or whatever stood in angle brackets
}

// String formats a as it would appear in a header field (see
// [FormatAddress]).
func (a Address) String() string { return FormatAddress(a) }

// Group is an RFC 5322 group ("name: a, b;"). Mailboxes that are not in a
// group are returned by [ParseAddressGroups] as a Group with an empty Name
// and NotGroup set.
type Group struct {
	// Name is the group's display name (the phrase before ':'); empty
	// for mailboxes outside any group.
	Name string
	// NotGroup is true when Members are consecutive mailboxes that stood
	// outside any group syntax, false for a real RFC 5322 group.
	NotGroup bool
	// Members are the group's mailboxes in order; an empty group
	// ("undisclosed-recipients:;") has none.
	Members []Address
}

// ParseAddressList parses an address-list (From, To, Cc, Reply-To, ...)
// and returns every mailbox, group members flattened in order. It follows
// RFC 5322 section 3.4 including the obsolete syntax (routes, comments
// anywhere, empty list elements), RFC 6532 UTF-8 and RFC 2047 names, and is
// lenient: an addr-spec followed by a comment takes the comment as its name
// ("a@b (Name)"), and a missing ">" or closing quote runs to the end.
// An input without any mailbox returns a [*SyntaxError].
func ParseAddressList(s string) ([]Address, error) {
	gs, err := ParseAddressGroups(s)
	var out []Address
	for _, g := range gs {
		out = append(out, g.Members...)
	}
	if err != nil {
		return out, err
	}
	if len(out) == 0 && !hasGroup(gs) {
		return nil, syntaxErr("address list", s, 0, "no address")
	}
	return out, nil
}

func hasGroup(gs []Group) bool {
	for _, g := range gs {
		if !g.NotGroup {
			return true
		}
	}
	return false
}

// ParseAddress parses a single mailbox.
func ParseAddress(s string) (Address, error) {
	l, err := ParseAddressList(s)
	if err != nil {
		return Address{}, err
	}
	if len(l) != 1 {
		return Address{}, syntaxErr("address", s, 0, "expected exactly one mailbox")
	}
	return l[0], nil
}

// ParseAddressGroups is [ParseAddressList] keeping the group structure.
func ParseAddressGroups(s string) ([]Group, error) {
	p := &addrParser{s: s}
	var gs []Group
	addPlain := func(a Address) {
		if n := len(gs); n > 0 && gs[n-1].NotGroup {
			gs[n-1].Members = append(gs[n-1].Members, a)
			return
		}
		gs = append(gs, Group{NotGroup: true, Members: []Address{a}})
	}
	for guard := 0; p.i < len(p.s) && guard < len(s)+1; guard++ {
		p.skipCFWS()
		if p.i >= len(p.s) {
			break
		}
		if p.s[p.i] == ',' || p.s[p.i] == ';' {
			p.i++
			continue
		}
		a, groupName, isGroup, ok := p.mailboxOrGroup()
		if isGroup {
			g := Group{Name: groupName}
			for p.i < len(p.s) {
				p.skipCFWS()
				if p.i >= len(p.s) {
					break
				}
				if p.s[p.i] == ';' {
					p.i++
					break
				}
				if p.s[p.i] == ',' {
					p.i++
					continue
				}
				m, _, _, ok := p.mailboxOrGroup()
				if ok {
					g.Members = append(g.Members, m)
				}
			}
			gs = append(gs, g)
			continue
		}
		if ok {
			addPlain(a)
		}
	}
	return gs, nil
}

type addrParser struct {
	s        string
	i        int
	comments []string
}

func (p *addrParser) skipCFWS() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		case '(':
			j := skipComment(p.s, p.i)
			c := p.s[p.i:j]
			c = strings.TrimSuffix(strings.TrimPrefix(c, "("), ")")
			p.comments = append(p.comments, strings.TrimSpace(c))
			p.i = j
		default:
			return
		}
	}
}

// mailboxOrGroup parses a mailbox, or the "name:" start of a group.
func (p *addrParser) mailboxOrGroup() (a Address, group string, isGroup, ok bool) {
	p.comments = p.comments[:0]
	var words []string // display-name words (decoded later)
	var raw strings.Builder
	for p.i < len(p.s) {
		p.skipCFWS()
		if p.i >= len(p.s) {
			break
		}
		c := p.s[p.i]
		switch c {
		case '<':
			p.i++
			addr := p.angle()
			name := p.phrase(words)
			p.skipCFWS()
			if name == "" {
				// lenient: "<a@b> Name" (name after the address)
				j := p.i
				for j < len(p.s) && p.s[j] != ',' && p.s[j] != ';' && p.s[j] != '(' {
					j++
				}
				if t := strings.TrimSpace(p.s[p.i:j]); t != "" {
					name = decodePhraseWord(t)
					p.i = j
					p.skipCFWS()
				}
			}
			if name == "" && len(p.comments) > 0 {
				name = decodePhraseWord(strings.Join(p.comments, " "))
			}
			return Address{Name: name, Address: addr}, "", false, true
		case ':':
			p.i++
			return Address{}, p.phrase(words), true, false
		case ',', ';':
			return p.bare(raw.String(), words)
		case '"':
			q, j := readQuoted(p.s, p.i)
			p.i = j
			words = append(words, "\x00"+q)
			raw.WriteString(q)
		case '@':
			if k := strings.IndexAny(p.s[p.i:], ",;<"); k >= 0 && p.s[p.i+k] == '<' {
				// lenient: an unquoted display name containing '@'
				j := p.i + 1
				for j < len(p.s) && !strings.ContainsRune(" \t\r\n()<>,;:\"", rune(p.s[j])) {
					j++
				}
				w := p.s[p.i:j]
				if n := len(words); n > 0 {
					words[n-1] += w
				} else {
					words = append(words, w)
				}
				raw.WriteString(w)
				p.i = j
				continue
			}
			// addr-spec without angle brackets: local part is what we have
			p.i++
			dom := p.domain()
			local := raw.String()
			name := ""
			p.skipCFWS()
			if len(p.comments) > 0 {
				name = decodePhraseWord(strings.Join(p.comments, " "))
			}
			return Address{Name: name, Address: local + "@" + dom}, "", false, true
		case '>':
			p.i++
		default:
			j := p.i
			for j < len(p.s) && !strings.ContainsRune(" \t\r\n()<>,;:\"@", rune(p.s[j])) {
				j++
			}
			if j == p.i {
				j++
			}
			w := p.s[p.i:j]
			words = append(words, w)
			raw.WriteString(w)
			p.i = j
		}
	}
	return p.bare(raw.String(), words)
}

// bare handles an element without "@" or angle brackets (e.g. "NO" in a
// List-Post, or "undisclosed-recipients").
func (p *addrParser) bare(raw string, words []string) (Address, string, bool, bool) {
	if raw == "" && len(words) == 0 {
		return Address{}, "", false, false
	}
	name := ""
	if len(p.comments) > 0 {
		name = decodePhraseWord(strings.Join(p.comments, " "))
	}
	return Address{Name: name, Address: strings.Join(stripMarks(words), "")}, "", false, true
}

func stripMarks(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = strings.TrimPrefix(w, "\x00")
	}
	return out
}

// angle reads an addr-spec up to '>' (route removed, CFWS dropped).
func (p *addrParser) angle() string {
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '>':
			p.i++
			return cleanAddr(b.String())
		case '(':
			p.i = skipComment(p.s, p.i)
		case ' ', '\t', '\r', '\n':
			p.i++
		case '"':
			q, j := readQuoted(p.s, p.i)
			b.WriteString(quoteLocal(q))
			p.i = j
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return cleanAddr(b.String())
}

func quoteLocal(q string) string {
	if q != "" && isDotAtom(q) {
		return q
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(q) + `"`
}

func isDotAtom(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || strings.IndexByte("()<>[]:;@\\,\"", c) >= 0 {
			return false
		}
	}
	return !strings.HasPrefix(s, ".") && !strings.HasSuffix(s, ".") && !strings.Contains(s, "..")
}

// cleanAddr removes an obsolete route ("@a,@b:").
func cleanAddr(a string) string {
	if strings.HasPrefix(a, "@") {
		if k := strings.IndexByte(a, ':'); k >= 0 {
			return a[k+1:]
		}
	}
	return a
}

func (p *addrParser) domain() string {
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case ',', ';', '>', '<':
			return b.String()
		case ' ', '\t', '\r', '\n', '(':
			// domain may continue after CFWS only with a '.'
			save := p.i
			p.skipCFWS()
			if p.i < len(p.s) && (p.s[p.i] == '.' || (b.Len() > 0 && b.String()[b.Len()-1] == '.')) {
				continue
			}
			if p.i == save {
				p.i++
			}
			return b.String()
		case '[':
			j := strings.IndexByte(p.s[p.i:], ']')
			if j < 0 {
				b.WriteString(p.s[p.i:])
				p.i = len(p.s)
				return b.String()
			}
			b.WriteString(p.s[p.i : p.i+j+1])
			p.i += j + 1
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return b.String()
}

// phrase joins display-name words, decoding encoded words (also inside
// quoted strings, as real mail does).
func (p *addrParser) phrase(words []string) string {
	if len(words) == 0 {
		return ""
	}
	var b strings.Builder
	prevEW := false
	for i, w := range words {
		quoted := strings.HasPrefix(w, "\x00")
		w = strings.TrimPrefix(w, "\x00")
		ew := !quoted && strings.HasPrefix(w, "=?") && strings.HasSuffix(w, "?=")
		// obs-phrase keeps "Q." together; whitespace between adjacent
		// encoded words is dropped by DecodeHeader anyway.
		if i > 0 && w != "." && !strings.HasSuffix(b.String(), " .") {
			b.WriteByte(' ')
		}
		b.WriteString(w)
		prevEW = ew
	}
	_ = prevEW
	return decodePhraseWord(b.String())
}

func decodePhraseWord(s string) string {
	d, _ := DecodeHeader(s)
	return d
}

// FormatAddress formats a mailbox for a header field: the display name as
// an atom phrase, a quoted string, or RFC 2047 encoded words when it is not
// ASCII; the address in angle brackets (bare when there is no name).
func FormatAddress(a Address) string {
	if a.Name == "" {
		return a.Address
	}
	return formatPhrase(a.Name) + " <" + a.Address + ">"
}

func formatPhrase(name string) string {
	if !isASCII(name) || strings.Contains(name, "=?") {
		return encodeWordsPhrase(name)
	}
	atoms := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < ' ' || c == 0x7f || strings.IndexByte("()<>[]:;@\\,.\"", c) >= 0 {
			atoms = false
			break
		}
	}
	if atoms && strings.TrimSpace(name) == name && !strings.Contains(name, "  ") {
		return name
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "").Replace(name) + `"`
}

// encodeWordsPhrase encodes a display name as encoded words allowed in a
// phrase (RFC 2047 section 5 (3)).
func encodeWordsPhrase(s string) string {
	return encodeWords(s, 0)
}

// FormatAddressList joins addresses with ", ".
func FormatAddressList(as []Address) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = FormatAddress(a)
	}
	return strings.Join(parts, ", ")
}
