package mime

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package wrap one of these (or are
// one of the typed errors below), so callers can use [errors.Is] and
// [errors.As].
var (
	// ErrLimit is wrapped by every [*LimitError].
	ErrLimit = errors.New("mime: limit exceeded")
	// ErrUnknownCharset is wrapped by every [*CharsetError].
	ErrUnknownCharset = errors.New("mime: unknown charset")
	// ErrSyntax is wrapped by parse errors of header values (addresses,
	// dates, media types, message IDs, Received fields).
	ErrSyntax = errors.New("mime: syntax error")
	// ErrHeaderTooLong is returned by the encoder when a header value
	// cannot be folded into lines of at most 998 octets.
	ErrHeaderTooLong = errors.New("mime: header line cannot be folded below 998 octets")
	// ErrBoundary is wrapped by every [*BoundaryError].
	ErrBoundary = errors.New("mime: unusable multipart boundary")
)

// BoundaryError reports a multipart boundary given to the [Encoder] (the
// "boundary" of [Node].Params) that it cannot use. It wraps [ErrBoundary].
type BoundaryError struct {
	// Boundary is the rejected boundary parameter value.
	Boundary string
	// Part is the index of the first child whose encoded form contains
	// "--" followed by Boundary, or -1 when Boundary is not valid RFC 2046
	// syntax (see [ValidBoundary]).
	Part int
}

// Error describes the boundary and why it is unusable.
func (e *BoundaryError) Error() string {
	if e.Part < 0 {
		return fmt.Sprintf("mime: boundary %q is not valid (RFC 2046 section 5.1.1)", e.Boundary)
	}
	return fmt.Sprintf("mime: boundary %q occurs in body part %d", e.Boundary, e.Part+1)
}

// Unwrap returns [ErrBoundary].
func (e *BoundaryError) Unwrap() error { return ErrBoundary }

// LimitKind names the limit a [*LimitError] reports.
type LimitKind int

// The limits of [Limits].
const (
	LimitHeaderBytes LimitKind = iota + 1
	LimitHeaderFields
	LimitLineLength
	LimitDepth
	LimitParts
	LimitDecodedSize
	LimitMessageSize
)

var limitNames = map[LimitKind]string{
	LimitHeaderBytes:  "header bytes",
	LimitHeaderFields: "header fields",
	LimitLineLength:   "line length",
	LimitDepth:        "nesting depth",
	LimitParts:        "number of parts",
	LimitDecodedSize:  "decoded size",
	LimitMessageSize:  "message size",
}

// String returns a short English name of the limit.
func (k LimitKind) String() string {
	if s, ok := limitNames[k]; ok {
		return s
	}
	return fmt.Sprintf("limit(%d)", int(k))
}

// LimitError reports that input exceeded one of the [Limits]. It wraps
// [ErrLimit].
type LimitError struct {
	// Kind says which of the [Limits] was exceeded.
	Kind   LimitKind
	Limit  int64 // the limit in force
	Offset int64 // byte offset in the input where the limit was hit (-1 if unknown)
}

// Error names the limit, its value and the offset.
func (e *LimitError) Error() string {
	return fmt.Sprintf("mime: %s limit %d exceeded at offset %d", e.Kind, e.Limit, e.Offset)
}

// Unwrap returns [ErrLimit].
func (e *LimitError) Unwrap() error { return ErrLimit }

// CharsetError reports a charset this package cannot convert to UTF-8. The
// bytes that could not be converted are in Raw (for body readers, the raw
// bytes were already delivered by Read; Raw is then nil). It wraps
// [ErrUnknownCharset].
type CharsetError struct {
	// Charset is the charset label as it appeared in the input.
	Charset string
	// Raw holds the unconverted bytes, or nil (see above).
	Raw []byte
}

// Error names the unknown charset.
func (e *CharsetError) Error() string {
	return fmt.Sprintf("mime: unknown charset %q", e.Charset)
}

// Unwrap returns [ErrUnknownCharset].
func (e *CharsetError) Unwrap() error { return ErrUnknownCharset }

// SyntaxError reports a malformed header value. It wraps [ErrSyntax].
type SyntaxError struct {
	What  string // "address", "date", "media type", ...
	Input string // the header value that failed to parse
	Pos   int    // byte position in Input, -1 if unknown
	Msg   string // what was wrong, in English
}

// Error names what was parsed, the input (cut to 80 bytes), the position
// and the reason.
func (e *SyntaxError) Error() string {
	in := e.Input
	if len(in) > 80 {
		in = in[:80] + "..."
	}
	return fmt.Sprintf("mime: bad %s %q at %d: %s", e.What, in, e.Pos, e.Msg)
}

// Unwrap returns [ErrSyntax].
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

func syntaxErr(what, in string, pos int, msg string) error {
	return &SyntaxError{What: what, Input: in, Pos: pos, Msg: msg}
}

// DefectKind classifies a [Defect].
type DefectKind int

// Defects the decoder records instead of failing.
const (
	DefectMalformedHeaderLine     DefectKind = iota + 1 // a header line without a colon, skipped
	DefectMissingHeaderBody                             // the header section did not end with an empty line
	DefectBase64Whitespace                              // spaces, tabs or stray CRs inside base64
	DefectBase64InvalidChar                             // bytes outside the base64 alphabet, skipped
	DefectBase64Padding                                 // missing or misplaced padding
	DefectQPBadSoftBreak                                // "=" followed by whitespace before the line end
	DefectQPBadEscape                                   // "=" not followed by two hex digits, kept literally
	DefectQPLongLine                                    // encoded line longer than 76 characters
	DefectMissingBoundaryParam                          // multipart without boundary parameter, treated as text
	DefectStartBoundaryNotFound                         // no delimiter line found in a multipart body
	DefectCloseBoundaryNotFound                         // multipart ended without its close delimiter
	DefectUnknownTransferEncoding                       // Content-Transfer-Encoding not understood, body left encoded
	DefectBadContentType                                // Content-Type could not be parsed; defaults applied
	DefectUnknownCharset                                // a charset could not be converted, raw bytes kept
	DefectEightBitHeader                                // raw 8-bit bytes in a header that are not UTF-8
	DefectEncodedMessage                                // message/rfc822 with base64/QP encoding (decoded and parsed)
	DefectInvalidUTF8                                   // invalid UTF-8 in a utf-8 text body, replaced by U+FFFD
	DefectEightBitText                                  // 8-bit bytes in a us-ascii or unlabelled text body, read as Windows-1252
)

var defectNames = map[DefectKind]string{
	DefectMalformedHeaderLine:     "malformed header line",
	DefectMissingHeaderBody:       "missing header/body separator",
	DefectBase64Whitespace:        "whitespace in base64",
	DefectBase64InvalidChar:       "invalid base64 character",
	DefectBase64Padding:           "bad base64 padding",
	DefectQPBadSoftBreak:          "bad quoted-printable soft line break",
	DefectQPBadEscape:             "bad quoted-printable escape",
	DefectQPLongLine:              "quoted-printable line too long",
	DefectMissingBoundaryParam:    "multipart without boundary",
	DefectStartBoundaryNotFound:   "start boundary not found",
	DefectCloseBoundaryNotFound:   "close boundary not found",
	DefectUnknownTransferEncoding: "unknown transfer encoding",
	DefectBadContentType:          "bad content type",
	DefectUnknownCharset:          "unknown charset",
	DefectEightBitHeader:          "8-bit header bytes",
	DefectEncodedMessage:          "encoded message/rfc822",
	DefectInvalidUTF8:             "invalid UTF-8 in text",
	DefectEightBitText:            "8-bit bytes in us-ascii text",
}

// String returns a short English name of the defect kind.
func (k DefectKind) String() string {
	if s, ok := defectNames[k]; ok {
		return s
	}
	return fmt.Sprintf("defect(%d)", int(k))
}

// Defect records one leniency the decoder applied to broken input.
type Defect struct {
	// Kind classifies the defect.
	Kind   DefectKind
	Offset int64  // byte offset in the message where it was noticed (-1 if unknown)
	Detail string // free text, may be empty
}

// String formats the defect as "kind at offset[: detail]".
func (d Defect) String() string {
	if d.Detail == "" {
		return fmt.Sprintf("%s at %d", d.Kind, d.Offset)
	}
	return fmt.Sprintf("%s at %d: %s", d.Kind, d.Offset, d.Detail)
}
