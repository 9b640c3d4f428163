package maildir

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// mutf7 is the base64 alphabet of IMAP's modified UTF-7 (',' instead of '/'),
// without padding.
var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

// EncodeMailboxName encodes a UTF-8 mailbox name in IMAP's modified UTF-7
// (RFC 3501 section 5.1.3), the form Dovecot and Courier use for Maildir++
// folder directory names: printable ASCII stays as is, "&" becomes "&-",
// anything else is "&" + modified base64 of UTF-16BE + "-". Invalid UTF-8
// bytes are encoded as U+FFFD.
func EncodeMailboxName(s string) string {
	var b strings.Builder
	var run []uint16
	flush := func() {
		if len(run) == 0 {
			return
		}
		raw := make([]byte, 0, 2*len(run))
		for _, u := range run {
			raw = append(raw, byte(u>>8), byte(u))
		}
		b.WriteByte('&')
		b.WriteString(mutf7.EncodeToString(raw))
		b.WriteByte('-')
		run = run[:0]
	}
	for _, r := range s {
		if r >= 0x20 && r <= 0x7e {
			flush()
			if r == '&' {
				b.WriteString("&-")
			} else {
				b.WriteRune(r)
			}
			continue
		}
		run = utf16.AppendRune(run, r)
	}
	flush()
	return b.String()
}

// DecodeMailboxName decodes a modified UTF-7 mailbox name to UTF-8. It
// rejects what RFC 3501 forbids: non-ASCII or control bytes, unterminated or
// empty shifts other than "&-", printable ASCII inside a shift, non-zero
// padding bits, unpaired surrogates and adjacent shifts. The result
// re-encodes to the input.
func DecodeMailboxName(s string) (string, error) {
	var b strings.Builder
	prevShiftEnd := -1
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return "", fmt.Errorf("%w: byte %#x in modified UTF-7 name", ErrInvalidName, c)
		}
		if c != '&' {
			b.WriteByte(c)
			i++
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return "", fmt.Errorf("%w: unterminated modified UTF-7 shift", ErrInvalidName)
		}
		enc := s[i+1 : i+1+end]
		if enc == "" {
			b.WriteByte('&')
			i += 2
			continue
		}
		if prevShiftEnd == i {
			return "", fmt.Errorf("%w: adjacent modified UTF-7 shifts", ErrInvalidName)
		}
		raw, err := mutf7.Strict().DecodeString(enc)
		if err != nil || len(raw)%2 != 0 {
			return "", fmt.Errorf("%w: bad modified base64 %q", ErrInvalidName, enc)
		}
		units := make([]uint16, len(raw)/2)
		for k := range units {
			units[k] = uint16(raw[2*k])<<8 | uint16(raw[2*k+1])
		}
		for k := 0; k < len(units); k++ {
			u := units[k]
			var r rune
			switch {
			case utf16.IsSurrogate(rune(u)):
				if u >= 0xdc00 || k+1 >= len(units) {
					return "", fmt.Errorf("%w: unpaired surrogate", ErrInvalidName)
				}
				r = utf16.DecodeRune(rune(u), rune(units[k+1]))
				if r == utf8.RuneError {
					return "", fmt.Errorf("%w: unpaired surrogate", ErrInvalidName)
				}
				k++
			default:
				r = rune(u)
				if r >= 0x20 && r <= 0x7e {
					return "", fmt.Errorf("%w: printable ASCII %q inside a modified UTF-7 shift", ErrInvalidName, r)
				}
			}
			b.WriteRune(r)
		}
		i += end + 2
		prevShiftEnd = i
	}
	return b.String(), nil
}

// FolderSeparator separates hierarchy levels in the folder names this
// package takes and returns ("Lists/Go"), as in Dovecot's default namespace.
const FolderSeparator = "/"

// FolderDir returns the Maildir++ directory name of a folder: each level
// of name (levels separated by [FolderSeparator]) encoded with
// [EncodeMailboxName], joined with "." and prefixed with ".":
// "Lists/Über" -> ".Lists.&ANw-ber". Empty levels, levels containing "."
// (Maildir++'s own separator), control characters and the name "INBOX"
// (the root Maildir itself) are an [ErrInvalidName].
func FolderDir(name string) (string, error) {
	if name == "" || strings.EqualFold(name, "INBOX") {
		return "", fmt.Errorf("%w: %q is not a subfolder name", ErrInvalidName, name)
	}
	if len(name) > 1024 {
		return "", fmt.Errorf("%w: folder name too long", ErrInvalidName)
	}
	var b strings.Builder
	for _, level := range strings.Split(name, FolderSeparator) {
		if level == "" || strings.Contains(level, ".") || !utf8.ValidString(level) {
			return "", fmt.Errorf("%w: bad folder level %q in %q", ErrInvalidName, level, name)
		}
		for _, r := range level {
			if r < 0x20 || r == 0x7f {
				return "", fmt.Errorf("%w: control character in folder name %q", ErrInvalidName, name)
			}
		}
		b.WriteByte('.')
		b.WriteString(EncodeMailboxName(level))
	}
	if b.Len() > 255 {
		return "", fmt.Errorf("%w: folder directory name longer than 255 bytes", ErrInvalidName)
	}
	return b.String(), nil
}

// FolderName is the inverse of [FolderDir]: ".Lists.&ANw-ber" ->
// "Lists/Über".
func FolderName(dir string) (string, error) {
	if len(dir) < 2 || dir[0] != '.' || dir == ".." {
		return "", fmt.Errorf("%w: %q is not a Maildir++ folder directory", ErrInvalidName, dir)
	}
	levels := strings.Split(dir[1:], ".")
	for i, l := range levels {
		if l == "" {
			return "", fmt.Errorf("%w: empty level in %q", ErrInvalidName, dir)
		}
		d, err := DecodeMailboxName(l)
		if err != nil {
			return "", err
		}
		if strings.Contains(d, FolderSeparator) {
			return "", fmt.Errorf("%w: separator inside level of %q", ErrInvalidName, dir)
		}
		levels[i] = d
	}
	return strings.Join(levels, FolderSeparator), nil
}
