package lookup

import (
	"errors"
	"fmt"
	"strings"
)

// Name limits of RFC 1035 section 2.3.4, in wire octets.
const (
	MaxLabelLen = 63
	MaxNameLen  = 255
)

// ErrInvalidName is wrapped by the errors [Normalize] and [Canonical]
// return for names that can not be sent in a question.
var ErrInvalidName = errors.New(ErrTextBadName)

// presentation classes of a label byte in the form miekg/dns produces
// when it unpacks a name: plain bytes are written as they are, special
// ones with a backslash in front, the rest as \DDD.
const (
	bytePlain = iota
	byteSpecial
	byteDDD
)

// byteClass mirrors miekg/dns (isDomainNameLabelSpecial and escapeByte).
func byteClass(b byte) int {
	switch b {
	case '.', ' ', '\'', '@', ';', '(', ')', '"', '\\':
		return byteSpecial
	}
	if b < ' ' || b > '~' {
		return byteDDD
	}
	return bytePlain
}

// Canonical returns the key under which name is compared: fully
// qualified, ASCII letters lower-cased (other bytes are left alone), and
// escapes written in one form, that of miekg/dns when it unpacks a name
// (special bytes as \X, bytes outside printable ASCII as \DDD). A name
// with a backslash is read as presentation form (escapes decoded); one
// without is taken byte for byte, which is the same thing. The label and
// name lengths are checked after unescaping.
func Canonical(name string) (string, error) { return present(name, true) }

// SameName reports whether a and b name the same node: equal after
// unescaping, ASCII letters compared without case. Names that can not be
// parsed are compared as [Canonical] would with its fallback (byte for
// byte, ASCII case folded).
func SameName(a, b string) bool {
	if strings.IndexByte(a, '\\') < 0 && strings.IndexByte(b, '\\') < 0 {
		return asciiEqualFold(trimDot(a), trimDot(b))
	}
	return CanonicalKey(a) == CanonicalKey(b)
}

// CanonicalKey is [Canonical] for names that may be malformed: such a
// name is returned fully qualified with ASCII letters lower-cased, so it
// still works as a map key (it can never match a valid question).
func CanonicalKey(name string) string {
	if c, err := Canonical(name); err == nil {
		return c
	}
	return asciiLower(fqdn(name))
}

func trimDot(s string) string {
	if len(s) > 1 && s[len(s)-1] == '.' {
		return s[:len(s)-1]
	}
	return s
}

func fqdn(s string) string {
	if strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerByte(a[i]) != lowerByte(b[i]) {
			return false
		}
	}
	return true
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerByte(b[j])
			}
			return string(b)
		}
	}
	return s
}

// present validates name and writes it in canonical presentation form,
// lower-casing ASCII letters when lower is set.
func present(name string, lower bool) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: empty name", ErrInvalidName)
	}
	if name == "." {
		return name, nil
	}
	if name[0] == '.' {
		return "", fmt.Errorf("%w: empty label", ErrInvalidName)
	}
	// Fast path: nothing to escape or unescape.
	plain := true
	for i := 0; i < len(name); i++ {
		if c := name[i]; c != '.' && byteClass(c) != bytePlain {
			plain = false
			break
		}
	}
	if plain {
		if err := checkPlain(name); err != nil {
			return "", err
		}
		name = fqdn(name)
		if lower {
			name = asciiLower(name)
		}
		return name, nil
	}
	var b strings.Builder
	b.Grow(len(name) + 8)
	label, total := 0, 1 // total counts the root label's length octet
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch c {
		case '.':
			if label == 0 {
				return "", fmt.Errorf("%w: empty label", ErrInvalidName)
			}
			total += 1 + label
			label = 0
			b.WriteByte('.')
			continue
		case '\\':
			if i+1 >= len(name) {
				return "", fmt.Errorf("%w: dangling backslash", ErrInvalidName)
			}
			if isDigit(name[i+1]) {
				if i+3 >= len(name) || !isDigit(name[i+2]) || !isDigit(name[i+3]) {
					return "", fmt.Errorf("%w: bad \\DDD escape", ErrInvalidName)
				}
				v := int(name[i+1]-'0')*100 + int(name[i+2]-'0')*10 + int(name[i+3]-'0')
				if v > 255 {
					return "", fmt.Errorf("%w: escape \\%s out of range", ErrInvalidName, name[i+1:i+4])
				}
				c = byte(v)
				i += 3
			} else {
				c = name[i+1]
				i++
			}
		}
		label++
		if label > MaxLabelLen {
			return "", fmt.Errorf("%w: label longer than %d octets", ErrInvalidName, MaxLabelLen)
		}
		if lower {
			c = lowerByte(c)
		}
		writeLabelByte(&b, c)
	}
	if label > 0 {
		total += 1 + label
		b.WriteByte('.')
	}
	if total > MaxNameLen {
		return "", fmt.Errorf("%w: name longer than %d octets", ErrInvalidName, MaxNameLen)
	}
	return b.String(), nil
}

// checkPlain checks the label and name lengths of a name without escapes.
func checkPlain(name string) error {
	label, total := 0, 1
	for i := 0; i < len(name); i++ {
		if name[i] != '.' {
			label++
			if label > MaxLabelLen {
				return fmt.Errorf("%w: label longer than %d octets", ErrInvalidName, MaxLabelLen)
			}
			continue
		}
		if label == 0 {
			return fmt.Errorf("%w: empty label", ErrInvalidName)
		}
		total += 1 + label
		label = 0
	}
	if label > 0 {
		total += 1 + label
	}
	if total > MaxNameLen {
		return fmt.Errorf("%w: name longer than %d octets", ErrInvalidName, MaxNameLen)
	}
	return nil
}

func writeLabelByte(b *strings.Builder, c byte) {
	switch byteClass(c) {
	case bytePlain:
		b.WriteByte(c)
	case byteSpecial:
		b.WriteByte('\\')
		b.WriteByte(c)
	default:
		b.WriteByte('\\')
		b.WriteByte('0' + c/100)
		b.WriteByte('0' + c/10%10)
		b.WriteByte('0' + c%10)
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// DecodeTXT turns one TXT character-string in miekg/dns presentation form
// (the form of dns.TXT.Txt: \DDD decimal escapes and \X for any other
// byte X) into its raw bytes, as miekg/dns does when it packs the string:
// a trailing lone backslash is dropped and \DDD is taken modulo 256. A
// string without a backslash is returned as it is, without allocating.
func DecodeTXT(s string) string {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		if i == len(s) {
			break
		}
		if i+2 < len(s) && isDigit(s[i]) && isDigit(s[i+1]) && isDigit(s[i+2]) {
			// Byte arithmetic, wrapping like miekg/dns's dddToByte.
			b = append(b, (s[i]-'0')*100+(s[i+1]-'0')*10+(s[i+2]-'0'))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}
