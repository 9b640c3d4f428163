package imap

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrBadMailboxName is returned by [DecodeMailbox] for a name that is not
// valid modified UTF-7.
var ErrBadMailboxName = errors.New("imap: invalid modified UTF-7 mailbox name")

var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

// EncodeMailbox encodes a UTF-8 mailbox name in modified UTF-7 (RFC 3501
// §5.1.3). Invalid UTF-8 bytes are encoded as U+FFFD.
func EncodeMailbox(s string) string {
	var sb strings.Builder
	var run []rune
	flush := func() {
		if len(run) == 0 {
			return
		}
		u := utf16.Encode(run)
		b := make([]byte, 2*len(u))
		for i, c := range u {
			b[2*i] = byte(c >> 8)
			b[2*i+1] = byte(c)
		}
		sb.WriteByte('&')
		sb.WriteString(mutf7.EncodeToString(b))
		sb.WriteByte('-')
		run = run[:0]
	}
	for _, r := range s {
		if r >= 0x20 && r <= 0x7e {
			flush()
			if r == '&' {
				sb.WriteString("&-")
			} else {
				sb.WriteRune(r)
			}
			continue
		}
		run = append(run, r)
	}
	flush()
	return sb.String()
}

// DecodeMailbox decodes a modified UTF-7 mailbox name to UTF-8. It
// rejects names that are not in the canonical form RFC 3501 requires
// (printable ASCII encoded in base64, adjacent encoded runs, bad padding
// bits, unpaired surrogates, raw 8-bit bytes).
func DecodeMailbox(s string) (string, error) {
	var sb strings.Builder
	lastEncodedEnd := -1
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return "", ErrBadMailboxName
		}
		if c != '&' {
			sb.WriteByte(c)
			i++
			continue
		}
		j := strings.IndexByte(s[i+1:], '-')
		if j < 0 {
			return "", ErrBadMailboxName
		}
		enc := s[i+1 : i+1+j]
		if enc == "" {
			sb.WriteByte('&')
			i += 2
			continue
		}
		if lastEncodedEnd == i {
			return "", ErrBadMailboxName // "&AGE-&AGE-" must be one run
		}
		b, err := mutf7.DecodeString(enc)
		if err != nil || len(b)%2 != 0 || len(b) == 0 {
			return "", ErrBadMailboxName
		}
		// Non-zero padding bits are not canonical.
		if mutf7.EncodeToString(b) != enc {
			return "", ErrBadMailboxName
		}
		u := make([]uint16, len(b)/2)
		for k := range u {
			u[k] = uint16(b[2*k])<<8 | uint16(b[2*k+1])
		}
		for k := 0; k < len(u); k++ {
			c := u[k]
			var r rune
			switch {
			case utf16.IsSurrogate(rune(c)):
				if c >= 0xdc00 || k+1 >= len(u) || u[k+1] < 0xdc00 || u[k+1] > 0xdfff {
					return "", ErrBadMailboxName
				}
				r = utf16.DecodeRune(rune(c), rune(u[k+1]))
				k++
			default:
				r = rune(c)
				if r <= 0x7f { // printable ASCII must not be encoded; controls are refused

					return "", ErrBadMailboxName
				}
			}
			sb.WriteRune(r)
		}
		i += 1 + j + 1
		lastEncodedEnd = i
	}
	out := sb.String()
	if !utf8.ValidString(out) {
		return "", ErrBadMailboxName
	}
	return out, nil
}
