package mime

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

const foldWidth = 78

// EncodeHeader returns value ready to follow "name: " in a header field:
// ASCII text folded at whitespace so that lines stay within 78 columns where
// possible, and text with non-ASCII characters (or words too long to fold
// below 998 octets, or text that would otherwise look like an encoded word)
// as RFC 2047 UTF-8 encoded words (Q or B, whichever is shorter), each at
// most 75 characters, folded at 78 columns. Line breaks are CRLF followed
// by a space; there is no final CRLF.
func EncodeHeader(name, value string) string {
	return strings.TrimSuffix(formatUnstructured(name, value), "\r\n")
}

func formatUnstructured(name, value string) string {
	value = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, value)
	col := len(name) + 2
	if isASCII(value) && !strings.Contains(value, "=?") && !hasLongWord(value, 998-col) {
		return foldASCII(value, col)
	}
	return encodeWords(value, col)
}

func hasLongWord(s string, max int) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			n = 0
			continue
		}
		n++
		if n > max {
			return true
		}
	}
	return false
}

// foldASCII folds at spaces (the space stays as folding whitespace).
func foldASCII(s string, col int) string {
	if col+len(s) <= foldWidth {
		return s
	}
	var b strings.Builder
	first := true
	for len(s) > 0 {
		// next token: leading spaces + word
		i := 0
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		tok := s[:j]
		s = s[j:]
		if !first && col+len(tok) > foldWidth && i > 0 {
			b.WriteString("\r\n")
			col = 0
		}
		b.WriteString(tok)
		col += len(tok)
		first = false
	}
	return b.String()
}

func qLen(r rune, buf []byte) int {
	if r < 0x80 {
		c := byte(r)
		if c == ' ' || (c > ' ' && c < 0x7f && c != '=' && c != '?' && c != '_' && c != '"' && c != '(' && c != ')' && c != ',' && c != ':' && c != ';' && c != '<' && c != '>' && c != '@' && c != '[' && c != ']' && c != '\\' && c != '.') {
			return 1
		}
		return 3
	}
	return 3 * utf8.EncodeRune(buf, r)
}

func appendQ(dst []byte, r rune) []byte {
	var buf [4]byte
	if qLen(r, buf[:]) == 1 {
		if r == ' ' {
			return append(dst, '_')
		}
		return append(dst, byte(r))
	}
	n := utf8.EncodeRune(buf[:], r)
	for _, c := range buf[:n] {
		dst = append(dst, '=', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
	}
	return dst
}

// encodeWords encodes all of s as UTF-8 encoded words folded at 78 columns.
func encodeWords(s string, col int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var buf [4]byte
	ql := 0
	for _, r := range s {
		ql += qLen(r, buf[:])
	}
	useB := base64.StdEncoding.EncodedLen(len(s)) < ql
	const pre, post = "=?utf-8?q?", "?="
	var b strings.Builder
	var word []byte
	var raw []byte
	flush := func() {
		if len(word) == 0 && len(raw) == 0 {
			return
		}
		if b.Len() > 0 {
			b.WriteString("\r\n ")
			col = 1
		}
		if useB {
			b.WriteString("=?utf-8?b?")
			b.WriteString(base64.StdEncoding.EncodeToString(raw))
		} else {
			b.WriteString(pre)
			b.Write(word)
		}
		b.WriteString(post)
		word, raw = word[:0], raw[:0]
	}
	for _, r := range s {
		budget := foldWidth - col - len(pre) - len(post)
		if b.Len() > 0 || col > foldWidth-len(pre)-len(post)-8 {
			budget = foldWidth - 1 - len(pre) - len(post)
		}
		if useB {
			n := utf8.EncodeRune(buf[:], r)
			if base64.StdEncoding.EncodedLen(len(raw)+n) > budget && len(raw) > 0 {
				flush()
			}
			raw = append(raw, buf[:n]...)
		} else {
			if len(word)+qLen(r, buf[:]) > budget && len(word) > 0 {
				flush()
			}
			word = appendQ(word, r)
		}
	}
	flush()
	return b.String()
}
