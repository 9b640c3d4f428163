package mime

import (
	"bytes"
	"strings"
)

// A Content-Type value of the usual shape (type/subtype, then ";
// name=value" or name="value" parameters, folding whitespace between) is
// read straight from the raw header bytes without building the parameter
// map: the media type and the charset are interned when common, and the
// boundary stays a slice of the header. Anything else (comments, RFC 2231
// sections, encoded words, escapes, 8-bit bytes, missing ';', duplicates
// of boundary or charset) goes through ParseMediaType.

var commonMediaTypes = []string{
	"text/plain", "text/html", "multipart/mixed", "multipart/alternative", "multipart/related",
	"multipart/signed", "multipart/report", "multipart/digest", "message/rfc822", "message/global",
	"message/delivery-status", "application/octet-stream", "application/pdf", "application/zip",
	"application/pkcs7-signature", "application/pgp-signature", "application/ms-tnef", "image/png", "image/jpeg",
	"image/gif", "text/calendar", "text/rfc822-headers", "text/csv", "text/enriched",
}

var commonCharsets = []string{"utf-8", "us-ascii", "iso-8859-1", "iso-8859-15", "windows-1252", "iso-8859-2",
	"windows-1251", "koi8-r", "iso-2022-jp", "shift_jis", "gb2312", "gbk", "big5", "euc-kr", "utf-16"}

// internFold returns the entry of list equal to b ignoring case, or the
// lower-cased b.
func internFold(list []string, b []byte) string {
	for _, s := range list {
		if len(s) == len(b) && bytes.EqualFold(b, []byte(s)) {
			return s
		}
	}
	return strings.ToLower(string(b))
}

func isFWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func skipFWS(v []byte, i int) int {
	for i < len(v) && isFWS(v[i]) {
		i++
	}
	return i
}

// isTokenByte reports an RFC 2045 token character.
func isTokenByte(c byte) bool {
	return c > ' ' && c < 0x7f && strings.IndexByte("()<>@,;:\\\"/[]?=", c) < 0
}

func scanToken(v []byte, i int) int {
	for i < len(v) && isTokenByte(v[i]) {
		i++
	}
	return i
}

// fastContentType parses the raw value of a Content-Type field of the usual
// shape. ok is false when ParseMediaType must decide; empty reports a
// value with nothing in it.
func fastContentType(v []byte) (mt string, charset string, boundary []byte, empty, ok bool) {
	i := skipFWS(v, 0)
	if i == len(v) {
		return "", "", nil, true, true
	}
	ts := i
	i = scanToken(v, i)
	if i == ts || i >= len(v) || v[i] != '/' {
		return "", "", nil, false, false
	}
	ss := i + 1
	i = scanToken(v, ss)
	if i == ss {
		return "", "", nil, false, false
	}
	mtb := v[ts:i]
	var hasCS, hasB bool
	var csb []byte
	for {
		i = skipFWS(v, i)
		if i == len(v) {
			break
		}
		if v[i] != ';' {
			return "", "", nil, false, false
		}
		i = skipFWS(v, i+1)
		if i == len(v) {
			break
		}
		ns := i
		i = scanToken(v, i)
		name := v[ns:i]
		if len(name) == 0 || bytes.IndexByte(name, '*') >= 0 {
			return "", "", nil, false, false
		}
		i = skipFWS(v, i)
		if i == len(v) || v[i] != '=' {
			return "", "", nil, false, false
		}
		i = skipFWS(v, i+1)
		var val []byte
		if i < len(v) && v[i] == '"' {
			e := i + 1
			for e < len(v) && v[e] != '"' {
				if c := v[e]; c == '\\' || c == '\r' || c == '\n' || c >= 0x80 {
					return "", "", nil, false, false
				}
				e++
			}
			if e == len(v) {
				return "", "", nil, false, false
			}
			val = v[i+1 : e]
			i = e + 1
		} else {
			e := i
			for e < len(v) {
				c := v[e]
				if c == ';' || isFWS(c) {
					break
				}
				if c <= ' ' || c >= 0x7f || c == '(' || c == '"' || c == '\\' {
					return "", "", nil, false, false
				}
				e++
			}
			val = v[i:e]
			i = e
			if len(val) == 0 {
				return "", "", nil, false, false
			}
		}
		if bytes.Contains(val, []byte("=?")) {
			return "", "", nil, false, false
		}
		switch {
		case len(name) == 7 && bytes.EqualFold(name, []byte("charset")):
			if hasCS {
				return "", "", nil, false, false
			}
			hasCS, csb = true, val
		case len(name) == 8 && bytes.EqualFold(name, []byte("boundary")):
			if hasB {
				return "", "", nil, false, false
			}
			hasB, boundary = true, val
		}
	}
	mt = internFold(commonMediaTypes, mtb)
	if hasCS {
		charset = internFold(commonCharsets, bytes.TrimSpace(csb))
		if strings.ContainsAny(charset, "\"'") {
			charset = normCharset(charset)
		}
	}
	return mt, charset, boundary, false, true
}
