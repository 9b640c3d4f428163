package mime

import (
	"encoding/binary"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Text bodies in charsets that need no conversion are still checked, so
// that the decoded text is always valid UTF-8:
//
//   - utf-8: invalid sequences become U+FFFD, one per maximal subpart
//     (WHATWG Encoding Standard, "UTF-8 decode"); DefectInvalidUTF8.
//   - us-ascii and its aliases: 8-bit bytes are decoded as Windows-1252,
//     which is what the WHATWG Encoding Standard maps the label
//     "us-ascii" to; DefectEightBitText.
//   - no charset, x-unknown, unknown-8bit: valid UTF-8 sequences are
//     kept (unlabelled 8-bit mail is mostly UTF-8 today) and any other
//     8-bit byte is decoded as Windows-1252; DefectEightBitText.

type textMode uint8

const (
	textNone   textMode = iota // no check (converted by x/text, or raw)
	textUTF8                   // utf-8: U+FFFD for invalid sequences
	textASCII                  // us-ascii: 8-bit bytes as Windows-1252
	textHybrid                 // unlabelled: UTF-8 when valid, else Windows-1252
)

// checkedCharset returns the check for a charset that needs no x/text
// conversion (cs normalised); textNone for the others.
func checkedCharset(cs string) textMode {
	switch cs {
	case "utf-8", "utf8":
		return textUTF8
	case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "cs-ascii", "csascii", "iso-ir-6":
		return textASCII
	case "", "x-unknown", "unknown-8bit":
		return textHybrid
	}
	return textNone
}

// cp1252 holds the UTF-8 encodings of bytes 0x80-0xFF in Windows-1252 as
// the WHATWG Encoding Standard defines it.
var cp1252 = func() (t [128]string) {
	for i := range t {
		r := charmap.Windows1252.DecodeByte(byte(0x80 + i))
		if r == utf8.RuneError { // 0x81, 0x8D, 0x8F, 0x90, 0x9D: C1 controls in WHATWG's index
			r = rune(0x80 + i)
		}
		t[i] = string(r)
	}
	return t
}()

// asciiOnly reports whether b holds no byte >= 0x80.
func asciiOnly(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// textClean reports whether b passes mode unchanged.
func textClean(mode textMode, b []byte) bool {
	if mode == textASCII {
		return asciiOnly(b)
	}
	return utf8.Valid(b)
}

// utf8SeqLen returns the length of the UTF-8 sequence at the start of b
// when it is valid and complete (n > 0); otherwise n == 0 and bad is the
// length of the maximal subpart to replace, or 0 when b ends before the
// sequence is known to be invalid (more input needed).
func utf8SeqLen(b []byte) (n, bad int) {
	c := b[0]
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		n = 2
	case c == 0xE0:
		n, lo = 3, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		n = 3
	case c == 0xED:
		n, hi = 3, 0x9F
	case c == 0xF0:
		n, lo = 4, 0x90
	case c >= 0xF1 && c <= 0xF3:
		n = 4
	case c == 0xF4:
		n, hi = 4, 0x8F
	default:
		return 0, 1
	}
	for k := 1; k < n; k++ {
		if k >= len(b) {
			return 0, 0
		}
		if b[k] < lo || b[k] > hi {
			return 0, k
		}
		lo, hi = 0x80, 0xBF
	}
	return n, 0
}

// convertText appends src converted by mode to dst. Without atEOF an
// incomplete sequence at the end is left unconsumed (at most 3 bytes).
// dirty reports whether anything was replaced.
func convertText(dst, src []byte, mode textMode, atEOF bool) (out []byte, used int, dirty bool) {
	i := 0
	for i < len(src) {
		j := i
		for j < len(src) && src[j] < 0x80 {
			j++
		}
		dst = append(dst, src[i:j]...)
		i = j
		if i == len(src) {
			break
		}
		if mode == textASCII {
			dst = append(dst, cp1252[src[i]-0x80]...)
			dirty = true
			i++
			continue
		}
		n, bad := utf8SeqLen(src[i:])
		switch {
		case n > 0:
			dst = append(dst, src[i:i+n]...)
			i += n
			continue
		case bad == 0 && !atEOF:
			return dst, i, dirty
		case bad == 0:
			bad = len(src) - i
		}
		dirty = true
		if mode == textHybrid {
			dst = append(dst, cp1252[src[i]-0x80]...)
			i++
			continue
		}
		dst = append(dst, "\uFFFD"...)
		i += bad
	}
	return dst, i, dirty
}

// sanitizeText returns b converted by mode (b itself when clean).
func sanitizeText(mode textMode, b []byte) []byte {
	if mode == textNone || textClean(mode, b) {
		return b
	}
	out, _, _ := convertText(make([]byte, 0, len(b)+len(b)/4), b, mode, true)
	return out
}

// textDecoder applies a text check to the blocks of a decoder; clean
// blocks pass through without a copy.
type textDecoder struct {
	in    blockDecoder
	mode  textMode
	def   *defectSink
	carry []byte // incomplete sequence from the previous block
	out   []byte
	err   error
}

func (t *textDecoder) reset(in blockDecoder, mode textMode, def *defectSink) {
	*t = textDecoder{in: in, mode: mode, def: def, carry: t.carry[:0], out: t.out[:0]}
}

func (t *textDecoder) next() ([]byte, error) {
	for {
		if t.err != nil {
			if len(t.carry) > 0 {
				t.out, _, _ = convertText(t.out[:0], t.carry, t.mode, true)
				t.carry = t.carry[:0]
				t.defect()
				return t.out, nil
			}
			return nil, t.err
		}
		b, err := t.in.next()
		if err != nil {
			t.err = err
		}
		if len(t.carry) == 0 && textClean(t.mode, b) {
			if len(b) > 0 {
				return b, nil
			}
			continue
		}
		src := b
		if len(t.carry) > 0 {
			t.carry = append(t.carry, b...)
			src = t.carry
		}
		out, used, dirty := convertText(t.out[:0], src, t.mode, t.err != nil)
		if dirty {
			t.defect()
		}
		t.out = out
		t.carry = append(t.carry[:0], src[used:]...)
		if len(out) > 0 {
			return out, nil
		}
	}
}

func (t *textDecoder) defect() {
	if t.mode == textUTF8 {
		t.def.add(DefectInvalidUTF8, "")
	} else {
		t.def.add(DefectEightBitText, "")
	}
}
