package imap

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	"github.com/mailkit-go/mailkit/mime"
)

// ErrUnknownCTE is returned by [Message.BinarySection] for a part whose
// Content-Transfer-Encoding is not one of 7bit, 8bit, binary, base64 and
// quoted-printable; a server answers NO [UNKNOWN-CTE] (RFC 3516 §4.3).
var ErrUnknownCTE = errors.New("imap: unknown content transfer encoding")

// ErrNoSuchPart is returned by [Message.BinarySection] for a part path
// that does not exist in the message.
var ErrNoSuchPart = errors.New("imap: no such body part")

// maxBinarySizeItems bounds the BINARY.SIZE items of one FETCH.
const maxBinarySizeItems = 1000

// BinarySizeName returns the item name "BINARY.SIZE[1.2]" of a part path.
func BinarySizeName(part []int) string {
	var sb strings.Builder
	sb.WriteString("BINARY.SIZE[")
	for i, p := range part {
		if i > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(strconv.Itoa(p))
	}
	sb.WriteByte(']')
	return sb.String()
}

// ParseBinarySizeName parses a "BINARY.SIZE[1.2]" item name of a FETCH
// reply and returns its part path.
func ParseBinarySizeName(name string) ([]int, error) {
	const prefix = "BINARY.SIZE["
	if len(name) < len(prefix) || !strings.EqualFold(name[:len(prefix)], prefix) {
		return nil, syntaxErr("not a BINARY.SIZE item: %q", name)
	}
	d := NewDecoder(newStringReader(name[len(prefix):]+"\r\n"), nil)
	s, err := d.section()
	if err != nil {
		return nil, err
	}
	if s.Specifier != SpecifierNone || s.Partial != nil || !d.AtEOL() {
		return nil, syntaxErr("bad BINARY.SIZE item %q", name)
	}
	return s.Part, nil
}

// NeedsLiteral8 reports whether data must be sent as a literal8 ("~{n}",
// RFC 3516 §4.2): it contains a NUL octet, which a literal may not.
func NeedsLiteral8(data []byte) bool { return bytes.IndexByte(data, 0) >= 0 }

// Literal8 writes b as a literal8 "~{n}" (RFC 3516), which may hold any
// octet including NUL.
func (e *Encoder) Literal8(b []byte) *Encoder {
	e.Byte('~')
	return e.Literal(b)
}

// BinarySection returns a part of the message with its content transfer
// encoding removed (RFC 3516 BINARY[part]): base64 and quoted-printable
// are decoded with package mime, 7bit, 8bit and binary are returned as
// they are. The charset is not converted. An empty path is the whole
// message, returned as it is; so are multipart bodies, which have no
// transfer encoding of their own. A message/rfc822 part is the embedded
// message, decoded if it was encoded. Errors: [ErrNoSuchPart],
// [ErrUnknownCTE].
func (m *Message) BinarySection(part []int) ([]byte, error) {
	if len(part) == 0 {
		return m.raw, nil
	}
	if m.root == nil {
		if len(part) != 1 || part[0] != 1 {
			return nil, ErrNoSuchPart
		}
		_, body := splitHeader(m.raw)
		return body, nil
	}
	p := m.part(part)
	if p == nil {
		return nil, ErrNoSuchPart
	}
	body := p.RawBody()
	if p == m.root {
		body = m.Body()
	}
	if p.IsMultipart() {
		return body, nil
	}
	switch p.TransferEncoding {
	case "7bit", "8bit", "binary", "":
		return body, nil
	case "base64", "quoted-printable":
		return decodeTransfer(p.TransferEncoding, body)
	}
	return nil, ErrUnknownCTE
}

// decodeTransfer removes a base64 or quoted-printable encoding with the
// decoders of package mime: body is wrapped in a single
// application/octet-stream part, whose body mime decodes without
// touching the charset.
func decodeTransfer(cte string, body []byte) ([]byte, error) {
	hdr := "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: " + cte + "\r\n\r\n"
	buf := make([]byte, 0, len(hdr)+len(body))
	buf = append(append(buf, hdr...), body...)
	p, err := mime.ParseBytes(buf, &mime.Options{RawCharset: true})
	if err != nil {
		return nil, err
	}
	out, err := p.Bytes()
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []byte{}
	}
	return out, nil
}

// EncodeBinaryParts prepares a message received as a literal8 (APPEND
// ~{n}, RFC 3516 §4.4) for storage: every leaf part whose
// Content-Transfer-Encoding is binary, or whose 7bit or 8bit body holds a
// NUL octet, gets its body encoded as base64 (CRLF lines of 76
// characters) and its Content-Transfer-Encoding field replaced by
// "base64". BODY[] then never carries a NUL, while BINARY[] (see
// [Message.BinarySection]) still returns the original octets. Other parts
// and the rest of the message are kept byte for byte. changed is false
// (and out is raw) when nothing needed converting or the message cannot
// be parsed. Parts inside a base64 or quoted-printable message/rfc822
// part are left alone. The output is at most about 4/3 of the input.
func EncodeBinaryParts(raw []byte) (out []byte, changed bool) {
	root, err := mime.ParseBytes(raw, &mime.Options{RawCharset: true})
	if err != nil {
		return raw, false
	}
	var leaves []*mime.Part
	_ = root.Walk(func(p *mime.Part) error {
		if p.Encapsulated || p.IsMultipart() || (p.IsMessage() && len(p.Children) > 0) {
			return nil
		}
		if p.Start < 0 || p.BodyStart < p.Start || p.BodyEnd < p.BodyStart || p.BodyEnd > int64(len(raw)) {
			return nil
		}
		body := raw[p.BodyStart:p.BodyEnd]
		switch p.TransferEncoding {
		case "binary":
		case "7bit", "8bit", "":
			if bytes.IndexByte(body, 0) < 0 {
				return nil
			}
		default:
			return nil
		}
		leaves = append(leaves, p)
		return nil
	})
	if len(leaves) == 0 {
		return raw, false
	}
	var buf bytes.Buffer
	buf.Grow(len(raw) + len(raw)/3 + 64*len(leaves))
	pos := int64(0)
	for _, p := range leaves {
		if p.Start < pos {
			return raw, false // overlapping parts: not expected, keep the message
		}
		buf.Write(raw[pos:p.Start])
		writeBase64Header(&buf, raw[p.Start:p.BodyStart])
		var enc bytes.Buffer
		_ = mime.EncodeBase64(&enc, raw[p.BodyStart:p.BodyEnd])
		b := enc.Bytes()
		if p.BodyEnd < int64(len(raw)) {
			// The line break before the next boundary follows.
			b = bytes.TrimSuffix(b, []byte("\r\n"))
		}
		buf.Write(b)
		pos = p.BodyEnd
	}
	buf.Write(raw[pos:])
	return buf.Bytes(), true
}

// writeBase64Header writes a part's header without its
// Content-Transfer-Encoding fields and with "Content-Transfer-Encoding:
// base64" before the empty line that ends it.
func writeBase64Header(buf *bytes.Buffer, hdr []byte) {
	const cte = "Content-Transfer-Encoding: base64\r\n"
	skip := false
	for i := 0; i < len(hdr); {
		j := bytes.IndexByte(hdr[i:], '\n')
		end := len(hdr)
		if j >= 0 {
			end = i + j + 1
		}
		line := hdr[i:end]
		i = end
		trimmed := bytes.TrimRight(line, "\r\n")
		if len(trimmed) == 0 {
			buf.WriteString(cte)
			buf.Write(line)
			buf.Write(hdr[i:])
			return
		}
		if trimmed[0] != ' ' && trimmed[0] != '\t' {
			name, _, _ := bytes.Cut(trimmed, []byte(":"))
			skip = equalFold(string(bytes.TrimSpace(name)), "Content-Transfer-Encoding")
		}
		if !skip {
			buf.Write(line)
			if !bytes.HasSuffix(line, []byte("\n")) {
				buf.WriteString("\r\n")
			}
		}
	}
	// No empty line: the header ran to the end of the part.
	buf.WriteString(cte)
	buf.WriteString("\r\n")
}
