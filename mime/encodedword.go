package mime

import (
	"encoding/base64"
	"strings"
)

// DecodeHeader decodes RFC 2047 encoded words in an unfolded header value
// and returns UTF-8 text. It is lenient: encoded words are recognised even
// when not separated from surrounding text, whitespace between adjacent
// encoded words is dropped (RFC 2047 section 6.2), adjacent words in the
// same charset are joined before charset conversion (so a multi-byte
// character split across words survives), base64 without padding and Q text
// with spaces are accepted, and raw 8-bit text is taken as UTF-8 when valid,
// Windows-1252 otherwise. A word in an unknown charset is kept literally and
// a [*CharsetError] (with the word's decoded bytes as Raw) is returned along
// with the text.
func DecodeHeader(s string) (string, error) {
	if !strings.Contains(s, "=?") {
		if isASCII(s) {
			return s, nil
		}
		return latin1OrUTF8([]byte(s)), nil
	}
	var (
		b       strings.Builder
		pendCS  string
		pend    []byte
		lastEW  bool
		cserr   error
		i       int
		litFrom int
	)
	flush := func() {
		if pend == nil {
			return
		}
		out, err := DecodeCharset(pendCS, pend)
		if err != nil {
			if cserr == nil {
				cserr = &CharsetError{Charset: pendCS, Raw: append([]byte(nil), pend...)}
			}
			b.WriteString(latin1OrUTF8(out))
		} else {
			b.WriteString(latin1OrUTF8(out))
		}
		pend = nil
	}
	writeLit := func(lit string) {
		if lit == "" {
			return
		}
		if lastEW && isWSP(lit) {
			return
		}
		flush()
		if isASCII(lit) {
			b.WriteString(lit)
		} else {
			b.WriteString(latin1OrUTF8([]byte(lit)))
		}
		lastEW = false
	}
	for i < len(s) {
		j := strings.Index(s[i:], "=?")
		if j < 0 {
			break
		}
		p := i + j
		cs, data, end, ok := parseEncodedWord(s, p)
		if !ok {
			i = p + 2
			continue
		}
		writeLit(s[litFrom:p])
		if pend != nil && !strings.EqualFold(cs, pendCS) {
			flush()
		}
		if pend == nil {
			pendCS = cs
			pend = []byte{}
		}
		pend = append(pend, data...)
		lastEW = true
		i, litFrom = end, end
	}
	writeLit(s[litFrom:])
	flush()
	return b.String(), cserr
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isWSP(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return false
		}
	}
	return true
}

// parseEncodedWord parses "=?charset[*lang]?E?text?=" at s[p:]. It returns
// the charset (language removed), the decoded bytes and the end offset.
func parseEncodedWord(s string, p int) (cs string, data []byte, end int, ok bool) {
	rest := s[p+2:]
	q := strings.IndexByte(rest, '?')
	if q <= 0 || q > 64 {
		return "", nil, 0, false
	}
	cs = rest[:q]
	if strings.ContainsAny(cs, " \t\r\n=") {
		return "", nil, 0, false
	}
	if k := strings.IndexByte(cs, '*'); k >= 0 { // RFC 2231 section 5 language
		cs = cs[:k]
	}
	rest = rest[q+1:]
	if len(rest) < 2 || rest[1] != '?' {
		return "", nil, 0, false
	}
	enc := rest[0] | 0x20
	if enc != 'b' && enc != 'q' {
		return "", nil, 0, false
	}
	rest = rest[2:]
	e := strings.Index(rest, "?=")
	if e < 0 {
		return "", nil, 0, false
	}
	text := rest[:e]
	end = p + 2 + q + 1 + 2 + e + 2
	if enc == 'b' {
		data, ok = decodeBase64Word(text)
		if !ok {
			return "", nil, 0, false
		}
	} else {
		data = decodeQWord(text)
	}
	return cs, data, end, true
}

func decodeQWord(t string) []byte {
	out := make([]byte, 0, len(t))
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(t) && ishex(t[i+1]) && ishex(t[i+2]):
			out = append(out, unhex(t[i+1])<<4|unhex(t[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}

func decodeBase64Word(t string) ([]byte, bool) {
	clean := make([]byte, 0, len(t))
	for i := 0; i < len(t); i++ {
		c := t[i]
		if b64val(c) >= 0 {
			clean = append(clean, c)
		} else if c != '=' && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return nil, false
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out, err := base64.RawStdEncoding.DecodeString(string(clean))
	if err != nil {
		return nil, false
	}
	return out, true
}

func ishex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}
