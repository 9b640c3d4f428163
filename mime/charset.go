package mime

import (
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/transform"
)

// Charset decoding: every charset known to golang.org/x/text (WHATWG labels
// first, then IANA MIME and IANA names) plus UTF-7, which x/text lacks.

// identityCharset reports charsets that x/text does not convert: UTF-8,
// US-ASCII and unlabelled text, checked by textDecoder instead (see
// text.go).
func identityCharset(cs string) bool { return checkedCharset(cs) != textNone }

func normCharset(cs string) string {
	cs = strings.TrimSpace(cs)
	cs = strings.Trim(cs, "\"'")
	return strings.ToLower(cs)
}

// lookupCharset returns the decoder for cs; nil with ok=true means no
// conversion is needed.
func lookupCharset(cs string) (t transform.Transformer, ok bool) {
	cs = normCharset(cs)
	if identityCharset(cs) {
		return nil, true
	}
	if cs == "utf-7" || cs == "utf7" || cs == "unicode-1-1-utf-7" {
		return &utf7Decoder{}, true
	}
	var enc encoding.Encoding
	if e, err := htmlindex.Get(cs); err == nil && e != nil {
		enc = e
	} else if e, err := ianaindex.MIME.Encoding(cs); err == nil && e != nil {
		enc = e
	} else if e, err := ianaindex.IANA.Encoding(cs); err == nil && e != nil {
		enc = e
	} else if strings.HasPrefix(cs, "cp") || strings.HasPrefix(cs, "x-") {
		return lookupCharsetAlias(cs)
	} else {
		return nil, false
	}
	if enc == encoding.Replacement {
		return nil, false
	}
	return enc.NewDecoder(), true
}

func lookupCharsetAlias(cs string) (transform.Transformer, bool) {
	switch {
	case strings.HasPrefix(cs, "cp") && len(cs) > 2:
		return lookupCharset("windows-" + cs[2:])
	case strings.HasPrefix(cs, "x-") && len(cs) > 2:
		return lookupCharset(cs[2:])
	}
	return nil, false
}

// KnownCharset reports whether DecodeCharset can convert charset cs.
func KnownCharset(cs string) bool {
	_, ok := lookupCharset(cs)
	return ok
}

// DecodeCharset converts b from charset cs to UTF-8. The result is valid
// UTF-8: for utf-8 invalid sequences become U+FFFD, for us-ascii and an
// empty charset 8-bit bytes are read as Windows-1252 (see [Reader] for the
// details). For an unknown charset it returns b unchanged with a
// [*CharsetError] holding b.
func DecodeCharset(cs string, b []byte) ([]byte, error) {
	t, ok := lookupCharset(cs)
	if !ok {
		return b, &CharsetError{Charset: cs, Raw: b}
	}
	if t == nil {
		return sanitizeText(checkedCharset(normCharset(cs)), b), nil
	}
	out, _, err := transform.Bytes(t, b)
	if err != nil {
		return b, err
	}
	return out, nil
}

// NewCharsetReader returns a reader converting r from charset cs to UTF-8
// (valid UTF-8, as [DecodeCharset]). For an unknown charset it returns r
// itself and a [*CharsetError].
func NewCharsetReader(cs string, r io.Reader) (io.Reader, error) {
	t, ok := lookupCharset(cs)
	if !ok {
		return r, &CharsetError{Charset: cs}
	}
	if t == nil {
		td := &textDecoder{}
		td.reset(&readerBlocks{r: r}, checkedCharset(normCharset(cs)), nil)
		dr := &decodedReader{dec: td, limit: 1<<63 - 1}
		dr.used = &dr.own
		return dr, nil
	}
	return transform.NewReader(r, t), nil
}

// latin1OrUTF8 returns b as a string when it is valid UTF-8 and decodes it
// as Windows-1252 otherwise (RFC 6532 headers vs. legacy raw 8-bit).
func latin1OrUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out, err := DecodeCharset("windows-1252", b)
	if err != nil {
		return string(b)
	}
	return string(out)
}

// utf7Decoder implements RFC 2152 UTF-7 decoding as a transformer.
type utf7Decoder struct {
	inB64   bool
	started bool // just saw '+'
	bits    uint32
	nbits   uint
	high    uint16 // pending high surrogate
}

func (d *utf7Decoder) Reset() { *d = utf7Decoder{} }

func b64val(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}

func (d *utf7Decoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		if len(dst)-nDst < utf8.UTFMax*2 {
			return nDst, nSrc, transform.ErrShortDst
		}
		c := src[nSrc]
		if !d.inB64 {
			if c == '+' {
				d.inB64, d.started, d.bits, d.nbits = true, true, 0, 0
			} else if c >= 0x80 { // not UTF-7: never emit invalid UTF-8
				nDst += utf8.EncodeRune(dst[nDst:], utf8.RuneError)
			} else {
				dst[nDst] = c
				nDst++
			}
			nSrc++
			continue
		}
		v := b64val(c)
		if v < 0 {
			if c == '-' && d.started {
				dst[nDst] = '+'
				nDst++
				nSrc++
			} else if c == '-' {
				nSrc++
			}
			d.inB64, d.started = false, false
			if d.high != 0 {
				nDst += utf8.EncodeRune(dst[nDst:], utf8.RuneError)
				d.high = 0
			}
			continue
		}
		d.started = false
		nSrc++
		d.bits = d.bits<<6 | uint32(v)
		d.nbits += 6
		if d.nbits >= 16 {
			d.nbits -= 16
			u := uint16(d.bits >> d.nbits)
			d.bits &= 1<<d.nbits - 1
			switch {
			case d.high != 0:
				r := utf16.DecodeRune(rune(d.high), rune(u))
				d.high = 0
				nDst += utf8.EncodeRune(dst[nDst:], r)
			case utf16.IsSurrogate(rune(u)):
				d.high = u
			default:
				nDst += utf8.EncodeRune(dst[nDst:], rune(u))
			}
		}
	}
	return nDst, nSrc, nil
}

// readerBlocks adapts an io.Reader to a blockDecoder.
type readerBlocks struct {
	r   io.Reader
	buf []byte
}

func (b *readerBlocks) next() ([]byte, error) {
	if b.buf == nil {
		b.buf = make([]byte, 8<<10)
	}
	n, err := b.r.Read(b.buf)
	return b.buf[:n], err
}
