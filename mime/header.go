package mime

import (
	"bytes"
	"io"
	"strings"
)

// Field is one header field. Raw holds the field exactly as it appeared in
// the input (name, colon, value, folding and the final line break), so an
// unmodified header re-serialises byte for byte.
type Field struct {
	// Name is the field name as written (case preserved, surrounding
	// whitespace removed). Empty for a malformed line.
	Name string
	// Raw is the whole field including its final line break (CRLF or LF;
	// no line break if the input ended inside the field).
	Raw []byte
	// Malformed reports a line that is not a field (no colon, or an
	// invalid name). It is kept in Raw for round trips but ignored by
	// lookups.
	Malformed bool
	colon     int // index of ':' in Raw
}

// RawValue returns the bytes after the colon, including folding, without the
// final line break.
func (f *Field) RawValue() []byte {
	if f.Malformed || f.colon >= len(f.Raw) {
		return nil
	}
	return trimEOL(f.Raw[f.colon+1:])
}

// Value returns the unfolded value: line breaks in folding removed, leading
// and trailing whitespace trimmed. Encoded words are not decoded (see
// [Field.Text]).
func (f *Field) Value() string {
	return unfold(f.RawValue())
}

// Text returns the value with RFC 2047 encoded words decoded and charsets
// converted to UTF-8 (raw 8-bit text is taken as UTF-8 when valid and as
// Windows-1252 otherwise). On an unknown charset the undecodable words are
// kept literally and a [*CharsetError] is returned with the text.
func (f *Field) Text() (string, error) {
	return DecodeHeader(f.Value())
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// unfold removes CRLF/LF line breaks (RFC 5322 section 2.2.3) and trims
// leading and trailing whitespace.
func unfold(b []byte) string {
	b = bytes.TrimLeft(b, " \t")
	if bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0 {
		return string(bytes.TrimRight(b, " \t"))
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			continue
		}
		if c == '\n' {
			continue
		}
		out = append(out, c)
	}
	return string(bytes.TrimRight(out, " \t\r"))
}

// Header is an ordered list of header fields. The zero value is an empty
// header ready to use.
type Header struct {
	fields []Field
	// sep is the raw empty line ending the section ("\r\n", "\n", or
	// empty when the input had none).
	sep []byte
}

// Len returns the number of fields, malformed lines included.
func (h *Header) Len() int { return len(h.fields) }

// Fields returns the fields in order. The slice is shared with h; do not
// modify it, use [Header.Add], [Header.Set] and [Header.Del].
func (h *Header) Fields() []Field { return h.fields }

// Separator returns the raw empty line that ended the header section, or nil
// if there was none.
func (h *Header) Separator() []byte { return h.sep }

func (h *Header) index(name string, from int) int {
	for i := from; i < len(h.fields); i++ {
		f := &h.fields[i]
		if !f.Malformed && strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

// Has reports whether a field named name (case-insensitive) exists.
func (h *Header) Has(name string) bool { return h.index(name, 0) >= 0 }

// Get returns the unfolded value of the first field named name
// (case-insensitive), or "".
func (h *Header) Get(name string) string {
	if i := h.index(name, 0); i >= 0 {
		return h.fields[i].Value()
	}
	return ""
}

// Field returns the first field named name, or nil.
func (h *Header) Field(name string) *Field {
	if i := h.index(name, 0); i >= 0 {
		return &h.fields[i]
	}
	return nil
}

// Values returns the unfolded values of every field named name, in order.
func (h *Header) Values(name string) []string {
	var vs []string
	for i := h.index(name, 0); i >= 0; i = h.index(name, i+1) {
		vs = append(vs, h.fields[i].Value())
	}
	return vs
}

// Text returns the first field named name with encoded words decoded (see
// [Field.Text]); "" and nil if absent.
func (h *Header) Text(name string) (string, error) {
	if f := h.Field(name); f != nil {
		return f.Text()
	}
	return "", nil
}

// Add appends a field. value is unstructured text: if it contains non-ASCII
// characters they are written as RFC 2047 encoded words; long values are
// folded at 78 columns. Use [Header.AddRaw] to add a pre-formatted value.
func (h *Header) Add(name, value string) {
	h.fields = append(h.fields, newField(name, formatUnstructured(name, value)))
}

// AddRaw appends a field whose value is used as given (it must already be
// encoded and folded; a missing final CRLF is added).
func (h *Header) AddRaw(name, value string) {
	h.fields = append(h.fields, newField(name, value))
}

// Set replaces every field named name by one field with value (encoded as
// in [Header.Add]), at the position of the first one, or appends it.
func (h *Header) Set(name, value string) {
	h.setField(newField(name, formatUnstructured(name, value)))
}

// SetRaw is [Header.Set] with a pre-formatted value.
func (h *Header) SetRaw(name, value string) {
	h.setField(newField(name, value))
}

func (h *Header) setField(f Field) {
	i := h.index(f.Name, 0)
	if i < 0 {
		h.fields = append(h.fields, f)
		return
	}
	h.fields[i] = f
	for j := h.index(f.Name, i+1); j >= 0; j = h.index(f.Name, i+1) {
		h.fields = append(h.fields[:j], h.fields[j+1:]...)
	}
}

// Del removes every field named name.
func (h *Header) Del(name string) {
	out := h.fields[:0]
	for _, f := range h.fields {
		if f.Malformed || !strings.EqualFold(f.Name, name) {
			out = append(out, f)
		}
	}
	h.fields = out
}

func newField(name, value string) Field {
	raw := make([]byte, 0, len(name)+len(value)+4)
	raw = append(raw, name...)
	raw = append(raw, ':')
	if value != "" && value[0] != ' ' && value[0] != '\t' && value[0] != '\r' && value[0] != '\n' {
		raw = append(raw, ' ')
	}
	raw = append(raw, value...)
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		raw = append(raw, '\r', '\n')
	}
	return Field{Name: name, Raw: raw, colon: len(name)}
}

// WriteTo writes the fields' raw bytes followed by the separator line (CRLF
// if the header had none and is being written from scratch).
func (h *Header) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for i := range h.fields {
		m, err := w.Write(h.fields[i].Raw)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	if h.sep != nil {
		m, err := w.Write(h.sep)
		n += int64(m)
		return n, err
	}
	return n, nil
}

// parseFieldName classifies the first line of a field; it returns the
// name (a sub-slice of line) and the colon index, or ok=false for a
// malformed line.
func parseFieldName(line []byte) (name []byte, colon int, ok bool) {
	colon = bytes.IndexByte(line, ':')
	if colon <= 0 {
		return nil, -1, false
	}
	n := bytes.TrimRight(line[:colon], " \t")
	if len(n) == 0 {
		return nil, -1, false
	}
	for _, c := range n {
		if c <= ' ' || c >= 0x7f {
			return nil, -1, false
		}
	}
	return n, colon, true
}
