package mime

import (
	"bytes"
	"io"
	"strings"
)

// Part is one MIME entity: the message itself, a body part of a multipart,
// or a message embedded in a message/rfc822 or message/global part.
//
// Parts returned by [Reader.NextPart] carry their header and a Body reader
// valid until the next call; the part itself stays valid until
// [Reader.Reset], which reuses its storage. Parts in a tree from [Parse] also keep their
// Children and their raw bytes, and can be re-serialised with
// [Part.WriteTo].
type Part struct {
	// Header holds the fields in input order with their raw bytes.
	Header Header
	// MediaType is the lower-cased type/subtype in effect: from
	// Content-Type, or the default (text/plain, or message/rfc822 inside
	// multipart/digest) when the field is absent or unparsable.
	MediaType string
	// TransferEncoding is the lower-cased Content-Transfer-Encoding ("7bit"
	// when absent).
	TransferEncoding string
	// Depth is 0 for the message, 1 for its body parts or embedded
	// message, and so on.
	Depth int
	// Parent is the enclosing multipart or message part (nil for the root).
	Parent *Part
	// Children holds the body parts of a multipart, or the single embedded
	// message of a message/rfc822 part (tree mode only: [Parse]).
	Children []*Part
	// Defects lists the leniencies applied to this part (at most one per
	// kind for body decoding defects).
	Defects []Defect
	// Body reads the decoded body: transfer encoding removed and, for text
	// parts, the charset converted to UTF-8 (unless Options.RawCharset). For
	// an unknown charset Body delivers the bytes unconverted and ends with a
	// [*CharsetError] instead of io.EOF. Multipart and embedded-message parts
	// have an empty Body.
	Body io.Reader

	// Byte offsets into the input (into the decoded body of the enclosing
	// part for messages embedded with base64/quoted-printable, see
	// Encapsulated). [Start, BodyStart) is the header section, [BodyStart,
	// BodyEnd) the body content, [BodyEnd, End) the line break that belongs
	// to the following boundary delimiter.
	Start, BodyStart, BodyEnd, End int64
	// Encapsulated reports a part inside a transfer-encoded
	// message/rfc822 part: its offsets are relative to the decoded body.
	Encapsulated bool

	// Content-Type details: the parameters are parsed on demand (Params)
	params     map[string]string
	paramsDone bool
	charset    string // normalised charset parameter
	bnd        []byte // multipart boundary (in the Reader's raw slab or the input)

	// multipart bookkeeping
	preambleEnd  int64 // end of preamble content (multipart)
	epilogueFrom int64 // start of epilogue (after the close delimiter); -1 if no close delimiter
	closed       bool

	stream partBody // streaming mode: what Body reads through

	src    []byte   // tree mode: the bytes offsets refer to
	opts   *Options // tree mode: options for decoding
	shared *shared
}

func (p *Part) addDefect(k DefectKind, off int64, detail string) {
	if len(p.Defects) < 64 {
		p.Defects = append(p.Defects, Defect{Kind: k, Offset: off, Detail: detail})
	}
}

// HasDefect reports whether a defect of kind k was recorded on p. In a
// parsed tree it may be called while bodies are read concurrently (reading
// a body can add defects; read the Defects field itself only when no body
// of the tree is being read).
func (p *Part) HasDefect(k DefectKind) bool {
	if p.src != nil && p.shared != nil {
		p.shared.mu.Lock()
		defer p.shared.mu.Unlock()
	}
	return p.hasDefect(k)
}

func (p *Part) hasDefect(k DefectKind) bool {
	for _, d := range p.Defects {
		if d.Kind == k {
			return true
		}
	}
	return false
}

// IsMultipart reports whether p is a multipart with a boundary (its children
// are body parts).
func (p *Part) IsMultipart() bool { return len(p.bnd) > 0 }

// IsMessage reports whether p embeds a message (message/rfc822 or
// message/global) parsed as a child.
func (p *Part) IsMessage() bool {
	return !p.IsMultipart() && isMessageType(p.MediaType)
}

func isMessageType(mt string) bool {
	return mt == "message/rfc822" || mt == "message/global"
}

// Boundary returns the multipart boundary ("" for other parts).
func (p *Part) Boundary() string { return string(p.bnd) }

// Params returns the Content-Type parameters (lower-case names, RFC 2231
// and RFC 2047 decoded; nil when there are none). A streamed part parses
// them from its Content-Type field on the first call (the decoder itself
// needs only the charset and boundary, which it reads without building the
// map); a part of a parsed tree has them ready. The map is shared by all
// callers: do not modify it.
func (p *Part) Params() map[string]string {
	if !p.paramsDone {
		p.paramsDone = true
		if i := p.Header.index("Content-Type", 0); i >= 0 {
			_, p.params, _ = ParseMediaType(p.Header.fields[i].Value())
		}
	}
	return p.params
}

// Charset returns the lower-cased charset parameter, "" if absent.
func (p *Part) Charset() string { return p.charset }

// IsText reports whether p is a text/* leaf.
func (p *Part) IsText() bool { return strings.HasPrefix(p.MediaType, "text/") }

// Disposition returns the lower-cased Content-Disposition type
// ("inline", "attachment", or "") and its parameters.
func (p *Part) Disposition() (string, map[string]string) {
	v := p.Header.Get("Content-Disposition")
	if v == "" {
		return "", nil
	}
	d, params, _ := ParseMediaType(v)
	return d, params
}

// FileName returns the attachment file name: the Content-Disposition
// filename parameter, else the Content-Type name parameter (both RFC 2231 /
// RFC 2047 decoded).
func (p *Part) FileName() string {
	if _, params := p.Disposition(); params["filename"] != "" {
		return params["filename"]
	}
	return p.Params()["name"]
}

// ContentID returns the Content-ID without angle brackets.
func (p *Part) ContentID() string {
	v := strings.TrimSpace(p.Header.Get("Content-ID"))
	v = strings.TrimPrefix(v, "<")
	return strings.TrimSuffix(v, ">")
}

// Walk calls fn for p and every descendant in depth-first order (tree
// mode). If fn returns an error, Walk stops and returns it.
func (p *Part) Walk(fn func(*Part) error) error {
	if err := fn(p); err != nil {
		return err
	}
	for _, c := range p.Children {
		if err := c.Walk(fn); err != nil {
			return err
		}
	}
	return nil
}

// RawHeader returns the raw header section including the empty line (tree
// mode).
func (p *Part) RawHeader() []byte { return p.slice(p.Start, p.BodyStart) }

// RawBody returns the body still transfer-encoded, without the line break
// belonging to the following delimiter (tree mode).
func (p *Part) RawBody() []byte { return p.slice(p.BodyStart, p.BodyEnd) }

// Preamble returns the raw preamble of a multipart (tree mode), without the
// line break before the first delimiter.
func (p *Part) Preamble() []byte {
	if !p.IsMultipart() {
		return nil
	}
	return p.slice(p.BodyStart, p.preambleEnd)
}

// Epilogue returns the raw epilogue of a multipart (tree mode): the bytes
// after the close delimiter line; nil when the close delimiter is missing.
func (p *Part) Epilogue() []byte {
	if !p.IsMultipart() || p.epilogueFrom < 0 {
		return nil
	}
	return p.slice(p.epilogueFrom, p.BodyEnd)
}

func (p *Part) slice(a, b int64) []byte {
	if p.src == nil || a < 0 || b > int64(len(p.src)) || a > b {
		return nil
	}
	return p.src[a:b]
}

// NewBodyReader returns a fresh reader of the decoded body (tree mode), as
// described for Body.
func (p *Part) NewBodyReader() io.Reader {
	if p.src == nil || p.IsMultipart() || (p.IsMessage() && len(p.Children) > 0 && !p.Children[0].Encapsulated) {
		return bytes.NewReader(nil)
	}
	return p.decoderChain(&bytesSource{b: p.RawBody()}, p.opts)
}

// Bytes returns the decoded body (tree mode). For an unknown charset it
// returns the unconverted bytes and a [*CharsetError] with Raw set.
func (p *Part) Bytes() ([]byte, error) {
	b, err := io.ReadAll(p.NewBodyReader())
	if ce, ok := err.(*CharsetError); ok {
		ce.Raw = b
	}
	return b, err
}

// Text returns the decoded body as a string (see [Part.Bytes]).
func (p *Part) Text() (string, error) {
	b, err := p.Bytes()
	return string(b), err
}

// WriteTo re-serialises the part (tree mode). Unmodified parts are written
// byte for byte as they were parsed; headers changed with [Header.Set] and
// friends are written with their new fields.
func (p *Part) WriteTo(w io.Writer) (int64, error) {
	var n int64
	m, err := p.Header.WriteTo(w)
	n += m
	if err != nil {
		return n, err
	}
	cur := p.BodyStart
	if len(p.Children) > 0 && !p.Children[0].Encapsulated {
		for _, c := range p.Children {
			k, err := w.Write(p.slice(cur, c.Start))
			n += int64(k)
			if err != nil {
				return n, err
			}
			m, err := c.WriteTo(w)
			n += m
			if err != nil {
				return n, err
			}
			cur = c.End
		}
	}
	k, err := w.Write(p.slice(cur, p.End))
	n += int64(k)
	return n, err
}
