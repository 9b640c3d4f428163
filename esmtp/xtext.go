package esmtp

import (
	"errors"
	"strings"
)

// ErrXtext is returned by [DecodeXtext] for malformed xtext.
var ErrXtext = errors.New("esmtp: malformed xtext")

const hexUpper = "0123456789ABCDEF"

// EncodeXtext encodes s as RFC 3461 §4 xtext: octets 33-126 except "+" and
// "=" stay as they are, every other octet becomes "+" and two upper-case
// hex digits.
func EncodeXtext(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isXchar(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isXchar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('+')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
	}
	return b.String()
}

// DecodeXtext decodes RFC 3461 §4 xtext. Lower-case hex digits after "+"
// are accepted (QUIRK: some clients send them); anything outside the xtext
// alphabet is an error wrapping [ErrXtext].
func DecodeXtext(s string) (string, error) {
	if strings.IndexByte(s, '+') < 0 {
		for i := 0; i < len(s); i++ {
			if !isXchar(s[i]) {
				return "", ErrXtext
			}
		}
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			if i+2 >= len(s) {
				return "", ErrXtext
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", ErrXtext
			}
			b.WriteByte(hi<<4 | lo)
			i += 2
		case isXchar(c):
			b.WriteByte(c)
		default:
			return "", ErrXtext
		}
	}
	return b.String(), nil
}

func isXchar(c byte) bool { return c >= 33 && c <= 126 && c != '+' && c != '=' }

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
