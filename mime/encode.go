package mime

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Transport says which content the path to the recipient accepts.
type Transport struct {
	// Allow8Bit: the transport accepts 8-bit text lines (SMTP 8BITMIME,
	// RFC 6152); text with non-ASCII is then sent as 8bit.
	Allow8Bit bool
	// AllowBinary: the transport accepts binary content (SMTP BINARYMIME,
	// RFC 3030); non-text parts are then sent unencoded.
	AllowBinary bool
}

// Node is one entity to encode: a leaf with a Body, or a multipart with
// Children. The encoder adds Content-Type (from MediaType and Params),
// Content-Transfer-Encoding (chosen automatically unless Encoding is set)
// and, for multiparts, the boundary: the "boundary" parameter when Params
// has a non-empty one, otherwise a random one that occurs in no body part.
type Node struct {
	// Header holds extra fields (Content-ID, Content-Disposition, ...).
	Header Header
	// MediaType is "type/subtype"; "" means text/plain.
	MediaType string
	// Params are Content-Type parameters; non-ASCII values are written in
	// RFC 2231 form. A "charset" of utf-8 is added to text parts. A
	// multipart's "boundary" is used as given when it is valid (see
	// [ValidBoundary]) and "--" followed by it occurs in none of the encoded
	// body parts; otherwise encoding fails with a [*BoundaryError]. Params
	// is not modified.
	Params map[string]string
	// Encoding forces a transfer encoding ("7bit", "8bit", "binary",
	// "quoted-printable", "base64"); "" chooses automatically.
	Encoding string
	// Body is the content of a leaf (for text, UTF-8 with any line breaks:
	// they are written as CRLF).
	Body []byte
	// Children are the body parts of a multipart.
	Children []*Node
}

// Encoder writes [Node] trees and messages. The zero value works: time from
// time.Now, randomness from crypto/rand, a 7-bit transport.
type Encoder struct {
	// Transport says what the message's transport accepts; the zero
	// value is a 7-bit transport (every non-ASCII body is base64 or
	// quoted-printable encoded).
	Transport Transport
	// Now returns the time for the Date field; nil means time.Now.
	Now func() time.Time
	// Rand supplies randomness for boundaries and Message-IDs; nil means
	// crypto/rand.
	Rand io.Reader
}

func (e *Encoder) now() time.Time {
	if e != nil && e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Encoder) random(n int) (string, error) {
	b := make([]byte, n)
	r := io.Reader(rand.Reader)
	if e != nil && e.Rand != nil {
		r = e.Rand
	}
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Encode writes n (header fields then body) to w.
func (e *Encoder) Encode(w io.Writer, n *Node) error {
	var buf bytes.Buffer
	if err := e.encodeNode(&buf, n, nil); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// encodeNode writes the node; top holds extra header fields written first
// (the message header).
func (e *Encoder) encodeNode(buf *bytes.Buffer, n *Node, top *Header) error {
	mt := strings.ToLower(n.MediaType)
	if mt == "" {
		mt = "text/plain"
	}
	params := map[string]string{}
	for k, v := range n.Params {
		params[strings.ToLower(k)] = v
	}
	var body bytes.Buffer
	var cte string
	if len(n.Children) > 0 || strings.HasPrefix(mt, "multipart/") {
		var kids [][]byte
		for _, c := range n.Children {
			var kb bytes.Buffer
			if err := e.encodeNode(&kb, c, nil); err != nil {
				return err
			}
			kids = append(kids, kb.Bytes())
		}
		boundary := params["boundary"]
		if boundary != "" {
			if err := checkBoundary(boundary, kids); err != nil {
				return err
			}
		} else {
			b, err := e.boundary(kids)
			if err != nil {
				return err
			}
			boundary = b
		}
		params["boundary"] = boundary
		for _, k := range kids {
			body.WriteString("--" + boundary + "\r\n")
			body.Write(k)
			body.WriteString("\r\n")
		}
		body.WriteString("--" + boundary + "--\r\n")
		if !strings.HasPrefix(mt, "multipart/") {
			mt = "multipart/mixed"
		}
	} else {
		text := strings.HasPrefix(mt, "text/")
		data := n.Body
		if text {
			data = toCRLFLines(data)
			if _, ok := params["charset"]; !ok {
				if isASCII(string(data)) {
					params["charset"] = "us-ascii"
				} else {
					params["charset"] = "utf-8"
				}
			}
		}
		cte = strings.ToLower(n.Encoding)
		if cte == "" {
			cte = e.chooseEncoding(data, text)
		}
		switch cte {
		case "base64":
			encodeBase64Lines(&body, data)
		case "quoted-printable":
			encodeQP(&body, data, text)
		case "7bit", "8bit", "binary":
			body.Write(data)
		default:
			return errors.New("mime: unknown transfer encoding " + cte)
		}
	}
	if top != nil {
		for _, f := range top.fields {
			buf.Write(f.Raw)
		}
	}
	writeField(buf, "Content-Type", formatMediaType(mt, params))
	if cte != "" && cte != "7bit" {
		writeField(buf, "Content-Transfer-Encoding", cte)
	}
	for _, f := range n.Header.fields {
		buf.Write(f.Raw)
	}
	buf.WriteString("\r\n")
	buf.Write(body.Bytes())
	return nil
}

func writeField(buf *bytes.Buffer, name, value string) {
	buf.WriteString(name)
	buf.WriteString(": ")
	buf.WriteString(value)
	buf.WriteString("\r\n")
}

// ValidBoundary reports whether s is a multipart boundary RFC 2046 section
// 5.1.1 allows: 1 to 70 characters from bcharsnospace and space (letters,
// digits and '()+_,-./:=?), not ending in a space.
func ValidBoundary(s string) bool {
	if s == "" || len(s) > 70 || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("'()+_,-./:=? ", c) >= 0) {
			return false
		}
	}
	return true
}

// checkBoundary checks a caller-given boundary b: valid syntax, and
// "--"+b in none of the encoded body parts (where it could start a line
// that a reader takes for a delimiter).
func checkBoundary(b string, kids [][]byte) error {
	if !ValidBoundary(b) {
		return &BoundaryError{Boundary: b, Part: -1}
	}
	d := []byte("--" + b)
	for i, k := range kids {
		if bytes.Contains(k, d) {
			return &BoundaryError{Boundary: b, Part: i}
		}
	}
	return nil
}

// boundary returns a random boundary that occurs in none of the parts.
func (e *Encoder) boundary(kids [][]byte) (string, error) {
	for {
		r, err := e.random(12)
		if err != nil {
			return "", err
		}
		b := "mk_" + r
		clash := false
		for _, k := range kids {
			if bytes.Contains(k, []byte("--"+b)) {
				clash = true
				break
			}
		}
		if !clash {
			return b, nil
		}
	}
}

// chooseEncoding: 7bit for ASCII with lines of at most 78 octets; 8bit
// (text) or binary (other) when the transport allows; quoted-printable for
// text that is mostly ASCII; base64 otherwise.
func (e *Encoder) chooseEncoding(data []byte, text bool) string {
	nonASCII, longest, cur, ctl := 0, 0, 0, 0
	for i, c := range data {
		switch {
		case c == '\n':
			if cur > longest {
				longest = cur
			}
			cur = 0
			continue
		case c == '\r' && i+1 < len(data) && data[i+1] == '\n':
			continue
		case c >= 0x80:
			nonASCII++
		case c == 0 || c == '\r' || (c < ' ' && c != '\t'):
			ctl++
		}
		cur++
	}
	if cur > longest {
		longest = cur
	}
	if text && nonASCII == 0 && ctl == 0 && longest <= 78 {
		return "7bit"
	}
	if text && e.Transport.Allow8Bit && ctl == 0 && longest <= 998 && utf8.Valid(data) {
		return "8bit"
	}
	if !text && e.Transport.AllowBinary {
		return "binary"
	}
	if text && ctl == 0 && nonASCII*4 < len(data) {
		return "quoted-printable"
	}
	return "base64"
}

func toCRLFLines(b []byte) []byte {
	if !bytes.Contains(b, []byte("\n")) && !bytes.Contains(b, []byte("\r")) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/32)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '\r':
			out = append(out, '\r', '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
		case '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	return out
}

// encodeBase64Lines writes data as base64 in lines of 76 characters, CRLF.
func encodeBase64Lines(buf *bytes.Buffer, data []byte) {
	const in, outLine = 57, 76
	lines := (len(data) + in - 1) / in
	buf.Grow(lines*(outLine+2) + 4)
	out := buf.AvailableBuffer()[:lines*(outLine+2)]
	pos := 0
	for len(data) >= in {
		base64.StdEncoding.Encode(out[pos:pos+outLine], data[:in])
		out[pos+outLine], out[pos+outLine+1] = '\r', '\n'
		pos += outLine + 2
		data = data[in:]
	}
	if len(data) > 0 {
		n := base64.StdEncoding.EncodedLen(len(data))
		base64.StdEncoding.Encode(out[pos:pos+n], data)
		out[pos+n], out[pos+n+1] = '\r', '\n'
		pos += n + 2
	}
	buf.Write(out[:pos])
}

// EncodeBase64 writes data to w as base64 in CRLF lines of 76 characters.
// It encodes blocks of 1024 lines in one call to base64.StdEncoding.Encode
// and then spreads the lines out with CRLF, through two reused buffers.
func EncodeBase64(w io.Writer, data []byte) error {
	const in, lineOut, block = 57, 78, 1024
	out := make([]byte, lineOut*block+8)
	for len(data) > 0 {
		n := len(data)
		if n > in*block {
			n = in * block
		}
		pos := 0
		for d := data[:n]; len(d) > 0; {
			l := in
			if l > len(d) {
				l = len(d)
			}
			k := l / 3 * 3
			m := b64encodeQuanta(out[pos:], d[:k])
			if k < l {
				base64.StdEncoding.Encode(out[pos+m:], d[k:l])
				m += 4
			}
			out[pos+m], out[pos+m+1] = '\r', '\n'
			pos += m + 2
			d = d[l:]
		}
		if _, err := w.Write(out[:pos]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// b64pairs maps 12 bits to their two base64 characters (big-endian).
var b64pairs = func() (t [4096]uint16) {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range t {
		t[i] = uint16(alpha[i>>6])<<8 | uint16(alpha[i&63])
	}
	return t
}()

// b64encodeQuanta encodes src (a multiple of 3 bytes) into dst, which must
// have 4 bytes of room per 3 of src plus 8, and returns the length written.
func b64encodeQuanta(dst, src []byte) int {
	t := &b64pairs
	n, i := 0, 0
	for len(src)-i >= 8 && len(dst)-n >= 8 {
		v := binary.BigEndian.Uint64(src[i:]) >> 16 // 6 bytes
		binary.BigEndian.PutUint64(dst[n:], uint64(t[v>>36&0xfff])<<48|uint64(t[v>>24&0xfff])<<32|uint64(t[v>>12&0xfff])<<16|uint64(t[v&0xfff]))
		n += 8
		i += 6
	}
	for len(src)-i >= 3 && len(dst)-n >= 4 {
		s := src[i : i+3 : i+3]
		v := uint32(s[0])<<16 | uint32(s[1])<<8 | uint32(s[2])
		binary.BigEndian.PutUint32(dst[n:], uint32(t[v>>12])<<16|uint32(t[v&0xfff]))
		n += 4
		i += 3
	}
	return n
}

// encodeQP writes quoted-printable (RFC 2045 section 6.7) with lines of at
// most 76 characters; for text, CRLF are hard line breaks.
func encodeQP(buf *bytes.Buffer, data []byte, text bool) {
	const hexd = "0123456789ABCDEF"
	col := 0
	emit := func(s []byte) {
		if col+len(s) > 75 {
			buf.WriteString("=\r\n")
			col = 0
		}
		buf.Write(s)
		col += len(s)
	}
	var tmp [3]byte
	for i := 0; i < len(data); i++ {
		c := data[i]
		if text && c == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			buf.WriteString("\r\n")
			col = 0
			i++
			continue
		}
		lineEnd := i+1 == len(data) || (text && data[i+1] == '\r' && i+2 < len(data) && data[i+2] == '\n')
		switch {
		case (c == ' ' || c == '\t') && !lineEnd:
			emit([]byte{c})
		case c >= 33 && c <= 126 && c != '=' && !(c == '.' && col == 0) && !(c == 'F' && col == 0):
			emit([]byte{c})
		default:
			tmp[0], tmp[1], tmp[2] = '=', hexd[c>>4], hexd[c&15]
			emit(tmp[:])
		}
	}
	if col > 0 || len(data) == 0 {
		if !text || len(data) == 0 || !bytes.HasSuffix(data, []byte("\r\n")) {
			buf.WriteString("=\r\n")
		}
	}
}

// formatMediaType formats a Content-Type/Disposition value with parameters
// in sorted order: tokens bare, other ASCII quoted, non-ASCII in RFC 2231
// form (split into continuations to keep lines short); folded between
// parameters.
func formatMediaType(mt string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(mt)
	col := len("Content-Type: ") + len(mt)
	for _, k := range keys {
		for _, p := range formatParam(k, params[k]) {
			b.WriteByte(';')
			col++
			if col+len(p)+1 > foldWidth {
				b.WriteString("\r\n")
				col = 0
			}
			b.WriteByte(' ')
			b.WriteString(p)
			col += len(p) + 1
		}
	}
	return b.String()
}

func formatParam(k, v string) []string {
	if isASCII(v) && len(v) < 900 && !strings.ContainsAny(v, "\r\n") {
		if isToken(v) {
			return []string{k + "=" + v}
		}
		return []string{k + `="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`}
	}
	enc := pctEncode(v)
	if len(enc)+len(k)+10 <= 70 {
		return []string{k + "*=utf-8''" + enc}
	}
	var out []string
	for i := 0; len(enc) > 0; i++ {
		n := 60
		if n > len(enc) {
			n = len(enc)
		}
		for n < len(enc) && n > 0 && (enc[n-1] == '%' || (n >= 2 && enc[n-2] == '%')) {
			n-- // do not split a %XX escape
		}
		seg := enc[:n]
		enc = enc[n:]
		pre := ""
		if i == 0 {
			pre = "utf-8''"
		}
		out = append(out, k+"*"+itoa(i)+"*="+pre+seg)
	}
	return out
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func pctEncode(v string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c > ' ' && c < 0x7f && strings.IndexByte("()<>@,;:\\\"/[]?=%*'", c) < 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}
