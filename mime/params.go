package mime

import (
	"sort"
	"strconv"
	"strings"
)

// ParseMediaType parses a Content-Type or Content-Disposition value into a
// lower-cased media type (or disposition) and its parameters, with lower-
// cased names. It implements RFC 2045 section 5.1 and RFC 2231 (parameter
// continuations name*0, name*1, ..., in any order; charset and language in
// name*= / name*0*=; percent-decoding; charset conversion to UTF-8), and is
// lenient with real-world mail: values with unquoted special characters run
// to the next ';', a missing closing quote runs to the end, duplicate
// parameters keep the first, RFC 2047 encoded words inside values are
// decoded, raw 8-bit values are read as UTF-8 (or Windows-1252 if invalid).
//
// If the media type itself is malformed, it returns what it could parse
// together with a [*SyntaxError]. An unknown RFC 2231 charset leaves the
// percent-decoded bytes in the value and returns a [*CharsetError].
func ParseMediaType(v string) (mediatype string, params map[string]string, err error) {
	i := 0
	for i < len(v) && v[i] != ';' && !paramStartsAt(v, i) {
		i++
	}
	mediatype = strings.ToLower(stripWS(stripComments(v[:i])))
	if mediatype != "" && !validMediaType(mediatype) {
		err = syntaxErr("media type", v, 0, "invalid type/subtype")
	}
	if i >= len(v) {
		return mediatype, nil, err
	}
	params, perr := parseParams(v[i:])
	if err == nil {
		err = perr
	}
	return mediatype, params, err
}

// paramStartsAt reports whitespace at s[i] followed by "token=" (a
// parameter after a missing ';', which real mail has).
func paramStartsAt(s string, i int) bool {
	if s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n' {
		return false
	}
	j := i
	for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n') {
		j++
	}
	k := j
	for k < len(s) && s[k] > ' ' && s[k] < 0x7f && strings.IndexByte("()<>@,;:\\\"/[]?=", s[k]) < 0 {
		k++
	}
	return k > j && k < len(s) && s[k] == '='
}

func validMediaType(mt string) bool {
	slash := strings.IndexByte(mt, '/')
	if slash < 0 {
		return isToken(mt) // disposition types have no slash
	}
	return slash > 0 && slash < len(mt)-1 && isToken(mt[:slash]) && isToken(mt[slash+1:])
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?=", c) >= 0 {
			return false
		}
	}
	return true
}

type section struct {
	idx  int
	ext  bool
	text string
}

func parseParams(s string) (map[string]string, error) {
	params := map[string]string{}
	var conts map[string][]section
	i := 0
	for i < len(s) {
		// skip separators and whitespace
		for i < len(s) && (s[i] == ';' || s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] == '(' {
			i = skipComment(s, i)
			continue
		}
		ns := i
		for i < len(s) && s[i] != '=' && s[i] != ';' {
			i++
		}
		name := strings.ToLower(strings.TrimSpace(s[ns:i]))
		if i >= len(s) || s[i] == ';' {
			continue // attribute without value: ignored
		}
		i++ // '='
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			i++
		}
		var val string
		if i < len(s) && s[i] == '"' {
			val, i = readQuoted(s, i)
		} else {
			vs := i
			for i < len(s) && s[i] != ';' && !paramStartsAt(s, i) {
				i++
			}
			val = strings.TrimSpace(stripComments(s[vs:i]))
			if val == "" {
				continue
			}
		}
		if name == "" {
			continue
		}
		if star := strings.IndexByte(name, '*'); star >= 0 {
			base := strings.TrimSpace(name[:star])
			rest := strings.TrimSpace(name[star+1:])
			if base == "" {
				continue
			}
			sec := section{text: val}
			switch {
			case rest == "":
				sec.ext = true // quoted extended values occur in real mail
			default:
				if strings.HasSuffix(rest, "*") {
					sec.ext = true
					rest = rest[:len(rest)-1]
				}
				n, err := strconv.Atoi(rest)
				if err != nil || n < 0 || n > 99999 {
					continue
				}
				sec.idx = n
			}
			if conts == nil {
				conts = map[string][]section{}
			}
			conts[base] = append(conts[base], sec)
			continue
		}
		if _, dup := params[name]; dup {
			continue
		}
		if strings.Contains(val, "=?") {
			if d, err := DecodeHeader(val); err == nil {
				val = d
			}
		} else if !isASCII(val) {
			val = latin1OrUTF8([]byte(val))
		}
		params[name] = val
	}
	var firstErr error
	for base, secs := range conts {
		v, err := joinSections(secs)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		params[base] = v // extended value overrides a plain one (RFC 2231 section 4.1)
	}
	return params, firstErr
}

func joinSections(secs []section) (string, error) {
	sort.SliceStable(secs, func(a, b int) bool { return secs[a].idx < secs[b].idx })
	var raw []byte
	cs, lang := "", ""
	for k, sec := range secs {
		if k > 0 && sec.idx == secs[k-1].idx {
			continue // duplicate section
		}
		t := sec.text
		if sec.ext {
			if k == 0 {
				if a := strings.IndexByte(t, '\''); a >= 0 {
					if b := strings.IndexByte(t[a+1:], '\''); b >= 0 {
						cs, lang = t[:a], t[a+1:a+1+b]
						t = t[a+1+b+1:]
					}
				}
			} else if cs != "" {
				t = stripRepeatedCharset(t, cs, lang)
			}
			raw = append(raw, pctDecode(t)...)
		} else {
			raw = append(raw, t...)
		}
	}
	if cs == "" {
		return latin1OrUTF8(raw), nil
	}
	out, err := DecodeCharset(cs, raw)
	if err != nil {
		return latin1OrUTF8(raw), err
	}
	return latin1OrUTF8(out), nil
}

// stripRepeatedCharset removes a "charset'" or "charset'language'" prefix
// that some senders repeat in every section of an RFC 2231 continuation.
// RFC 2231 section 4.1 allows the prefix only in section 0, and "'" is not
// an attribute-char, so it cannot begin a legitimate later extended
// section: the prefix is only stripped when it names the charset of
// section 0.
func stripRepeatedCharset(t, cs, lang string) string {
	if len(t) <= len(cs) || t[len(cs)] != '\'' || !strings.EqualFold(t[:len(cs)], cs) {
		return t
	}
	t = t[len(cs)+1:]
	if len(t) > len(lang) && t[len(lang)] == '\'' && strings.EqualFold(t[:len(lang)], lang) {
		t = t[len(lang)+1:]
	}
	return t
}

func pctDecode(t string) []byte {
	out := make([]byte, 0, len(t))
	for i := 0; i < len(t); i++ {
		if t[i] == '%' && i+2 < len(t) && ishex(t[i+1]) && ishex(t[i+2]) {
			out = append(out, unhex(t[i+1])<<4|unhex(t[i+2]))
			i += 2
			continue
		}
		out = append(out, t[i])
	}
	return out
}

// readQuoted reads a quoted-string starting at s[i]=='"'; it returns the
// unescaped content and the index after the closing quote (or len(s) when
// the quote is missing). Folding line breaks inside are removed.
func readQuoted(s string, i int) (string, int) {
	i++
	var b strings.Builder
	for i < len(s) {
		c := s[i]
		switch c {
		case '"':
			return b.String(), i + 1
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '\r', '\n':
		default:
			b.WriteByte(c)
		}
		i++
	}
	return b.String(), i
}

// skipComment skips a (possibly nested) comment starting at s[i]=='('.
func skipComment(s string, i int) int {
	depth := 0
	for i < len(s) {
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return len(s)
}

func stripComments(s string) string {
	if strings.IndexByte(s, '(') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		switch s[i] {
		case '(':
			i = skipComment(s, i)
			continue
		case '"':
			_, j := readQuoted(s, i)
			b.WriteString(s[i:j])
			i = j
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}
