// Package mime decodes and encodes Internet messages: RFC 5322 header
// fields, MIME entities (RFC 2045-2049), RFC 2047 encoded words, RFC 2231
// parameters and RFC 6532 UTF-8 headers. It is a codec: it does no network
// I/O.
//
// # Decoding
//
// [NewReader] streams a message from an io.Reader as a sequence of parts in
// depth-first order ([Reader.NextPart]); each [Part] carries its [Header]
// and a Body reader yielding the decoded content. [Reader.Reset] reuses a
// Reader for the next message: the usual message then costs no allocation
// (Content-Type parameters are parsed only when [Part.Params] is called). [Parse] and [ParseBytes]
// build a tree over the same parser and keep the raw bytes, so that
// [Part.WriteTo] re-serialises an unmodified message byte for byte.
//
// Bodies are transfer-decoded (7bit, 8bit, binary, quoted-printable,
// base64) and text/* bodies are converted to UTF-8 by default with
// golang.org/x/text (WHATWG and IANA charset names, plus UTF-7). Decoded
// text is always valid UTF-8: in a utf-8 part invalid sequences become
// U+FFFD (one per maximal subpart, as the WHATWG Encoding Standard says;
// [DefectInvalidUTF8]); in a us-ascii part 8-bit bytes are read as
// Windows-1252 (the WHATWG meaning of the label "us-ascii";
// [DefectEightBitText]); in a text part without charset (or x-unknown,
// unknown-8bit) valid UTF-8 sequences are kept and other 8-bit bytes are
// read as Windows-1252 (also [DefectEightBitText]). Options.RawCharset
// turns all of this off. An unknown charset is not fatal: the body yields
// the bytes unconverted and then a [*CharsetError] instead of io.EOF.
//
// The decoder is lenient with broken mail and records each leniency as a
// [Defect] on the part: whitespace, invalid bytes and missing padding in
// base64; bad soft line breaks and escapes in quoted-printable; header
// lines without a colon; multiparts without a boundary parameter, without
// any delimiter or without the close delimiter (the outer delimiter or the
// end of input closes them); unknown transfer encodings (body left as is);
// message/rfc822 parts encoded with base64 or quoted-printable (decoded
// and parsed).
//
// # Deviations from the RFCs (deliberate)
//
//   - Boundary delimiters are matched as RFC 2046 section 5.1.1 says (the
//     boundary at the start of the line, the rest of the line ignored);
//     when boundaries of nested multiparts are prefixes of each other (which
//     the RFC forbids), the longest matching boundary wins.
//   - Line breaks may be CRLF or bare LF, in headers and bodies.
//   - Encoded words are recognised inside words and quoted strings, Q text
//     may contain spaces, and B text may lack padding.
//   - Parameters may lack the ';' separator, values may hold unquoted
//     specials, and RFC 2231 extended values may be quoted.
//   - Raw 8-bit header text that is not valid UTF-8 is read as
//     Windows-1252.
//   - Military single-letter time zones are read as +0000.
//
// # Limits
//
// [Limits] bounds every resource; the zero value means: 1 MiB of header
// per entity, 10000 header fields, 256 KiB per header line or delimiter
// line (a body line starting with an open boundary is read whole),
// nesting depth 64, 10000 parts, 1 GiB decoded in total (per message when
// streaming, per body reader in a tree), and 256 MiB read into memory by
// [Parse]. Exceeding one returns a
// [*LimitError] (wrapping [ErrLimit]).
//
// # Encoding
//
// [Encoder] writes a [Node] tree or a [Message] (text, HTML alternative,
// inline parts by Content-ID, attachments) with CRLF line breaks, lines of
// at most 998 octets, automatic transfer encodings (7bit for ASCII text
// with lines of at most 78 octets; 8bit or binary only when
// [Transport] allows; quoted-printable for mostly-ASCII text; base64
// otherwise), RFC 2047 encoded-word headers folded at 78 columns, RFC 2231
// file names, random boundaries checked against the content, and generated
// Date and Message-ID fields (clock and randomness are Encoder fields). A
// boundary given in a [Node]'s Params is kept when it is valid RFC 2046
// syntax ([ValidBoundary]) and absent from the encoded body parts; else
// encoding fails with a [*BoundaryError] rather than replacing it.
//
// # Concurrency
//
// A [Reader] and the parts it returns belong to one goroutine;
// [Reader.Reset] reuses a Reader (and the storage of its parts) for the
// next message. The bodies of a parsed tree may be read concurrently and
// repeatedly if nobody modifies the tree: each body reader has its own
// decoded-size budget, and the defects reading a body finds are added to
// its part once, under a lock ([Part.HasDefect] takes it; read the Defects
// field only while no body of the tree is being read). An [Encoder] may
// be used concurrently if its Now and Rand may.
package mime
