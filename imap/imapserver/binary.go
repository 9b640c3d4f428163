package imapserver

import (
	"bytes"
	"errors"
	"io"

	"github.com/mailkit-go/mailkit/imap"
)

// ErrUnknownCTE is the reply to a BINARY fetch of a part whose content
// transfer encoding the server cannot decode (RFC 3516 §4.3).
var ErrUnknownCTE = &Error{Type: StatusNO, Code: "UNKNOWN-CTE", Text: "Cannot decode the content transfer encoding"}

// WriteBinarySection writes a BINARY[section] item (RFC 3516); data is the
// whole decoded part, the partial range of s is applied here. Data with a
// NUL octet is sent as a literal8 ("~{n}").
func (w *FetchResponseWriter) WriteBinarySection(s *imap.FetchSection, data []byte) {
	data = imap.ApplyPartial(data, s.Partial)
	e := w.item(s.Name())
	if imap.NeedsLiteral8(data) {
		e.Literal8(data)
		return
	}
	e.Literal(data)
}

// WriteBinarySize writes a BINARY.SIZE[part] item: the size of the part
// after its content transfer encoding is removed, which must be the size
// of the data a BINARY[part] item returns.
func (w *FetchResponseWriter) WriteBinarySize(part []int, size int64) {
	w.item(imap.BinarySizeName(part)).Number64(size)
}

// Fail fails the FETCH reply with err (for instance [ErrUnknownCTE]):
// [FetchResponseWriter.Close] returns it, and a session returns it from
// [Session.Fetch] to answer the command. Called before the first item,
// nothing of this message's reply is sent. The first error is kept.
func (w *FetchResponseWriter) Fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// binaryItems decodes the BINARY sections (indexed like opts.Sections)
// and BINARY.SIZE parts of opts. A part that does not exist reads as
// empty, as a BODY section does. Each part is decoded once, however
// often it is asked for, so memory stays within the parts' sizes.
func binaryItems(opts *imap.FetchOptions, msg *imap.Message) (sections, sizes [][]byte, err error) {
	var cache map[string][]byte
	get := func(part []int) ([]byte, error) {
		key := imap.BinarySizeName(part)
		if data, ok := cache[key]; ok {
			return data, nil
		}
		data, err := decodePart(msg, part)
		if err != nil {
			return nil, err
		}
		if cache == nil {
			cache = map[string][]byte{}
		}
		cache[key] = data
		return data, nil
	}
	for i, s := range opts.Sections {
		if !s.Binary {
			continue
		}
		if sections == nil {
			sections = make([][]byte, len(opts.Sections))
		}
		if sections[i], err = get(s.Part); err != nil {
			return nil, nil, err
		}
	}
	for _, p := range opts.BinarySize {
		data, err := get(p)
		if err != nil {
			return nil, nil, err
		}
		sizes = append(sizes, data)
	}
	return sections, sizes, nil
}

// decodePart returns BINARY[part] of msg, or the reply for a part that
// cannot be decoded.
func decodePart(msg *imap.Message, part []int) ([]byte, error) {
	data, err := msg.BinarySection(part)
	switch {
	case errors.Is(err, imap.ErrNoSuchPart):
		return nil, nil
	case errors.Is(err, imap.ErrUnknownCTE):
		return nil, ErrUnknownCTE
	case err != nil:
		return nil, err
	}
	return data, nil
}

// readBinaryLiteral reads a message sent as a literal8 (APPEND ~{n}, RFC
// 3516 §4.4) into memory (it is at most Limits.MaxMessageSize octets) and
// converts its binary parts to base64 for storage
// ([imap.EncodeBinaryParts]), so that BODY[] never sends a NUL while
// BINARY[] returns the octets as they were sent.
func readBinaryLiteral(r io.Reader, size int64) (io.Reader, int64, error) {
	raw := make([]byte, size)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, 0, err
	}
	out, _ := imap.EncodeBinaryParts(raw)
	return bytes.NewReader(out), int64(len(out)), nil
}
