// Package imap holds the types and the wire codec shared by
// [github.com/mailkit-go/mailkit/imap/imapserver] and
// [github.com/mailkit-go/mailkit/imap/imapclient]: IMAP4rev1 (RFC 3501)
// with the basics of IMAP4rev2 (RFC 9051) and LITERAL+ (RFC 7888).
//
// # Codec
//
// [Decoder] is a streaming tokenizer: callers read a command or a response
// element by element (atoms, quoted strings, literals {n}, {n+} and ~{n},
// lists, sequence sets, NIL, numbers, flags) and finish each line with
// [Decoder.CRLF]. Literals are either read into memory (bounded by
// Limits.MaxStringSize) or streamed ([Decoder.Literal], bounded by
// Limits.MaxLiteralSize); a server sets [Decoder.Continue] to send its "+"
// continuation request before a synchronising literal is read.
// [Decoder.ReadValue] reads any datum into a generic [Value] tree.
// [Encoder] writes responses and commands with sticky errors.
//
// Errors are typed: [*SyntaxError] (the line is bad, the stream can go
// on after [Decoder.DiscardLine]), [*LimitError] (a limit was hit; Fatal
// says the stream cannot be resynchronised) and I/O errors. [IsFatal] tells
// them apart.
//
// # Types
//
// [SeqSet] (sequence sets and UID sets), [Flag], [Address], [Envelope],
// [BodyStructure], [FetchOptions] with [FetchSection], [SearchCriteria]
// (parsing, formatting, and evaluation with [SearchCriteria.Match]),
// mailbox data ([ListData], [StatusData], [SelectData]). [Message] computes
// ENVELOPE, BODYSTRUCTURE and body sections of a raw message with package
// [github.com/mailkit-go/mailkit/mime]. [EncodeMailbox] and
// [DecodeMailbox] convert modified UTF-7 mailbox names (RFC 3501 §5.1.3).
//
// SORT and THREAD (RFC 5256, RFC 5957): [SortCriterion] lists
// ([Decoder.SortCriteria], [FormatSortCriteria]), [BaseSubject] (§2.1),
// [Sort] and [Threads] (ORDEREDSUBJECT and REFERENCES, §4) over the
// [SortData] that [Message.SortData] fills from a message, [Thread] trees
// written by [Encoder.WriteThreads] and read by [Decoder.Threads], and
// [CompareCasemap] (i;ascii-casemap).
//
// # Deviations
//
//   - SEARCH compares text as case-insensitive substrings after decoding
//     (RFC 3501 §6.4.4): RFC 2047 encoded words in header values, and for
//     BODY and TEXT the text/* parts with transfer encoding removed and
//     charset converted to UTF-8 (plus the headers of embedded messages).
//     Non-text parts (attachments) are not searched; at most
//     [MaxSearchText] bytes of decoded text per message are. Case folding
//     is Unicode lower-casing ("ß" does not match "SS").
//   - ENVELOPE keeps obsolete source routes ([Address.Route]); encoded
//     words in names and subjects are passed on undecoded, as RFC 3501
//     asks.
//   - Binary fetch (RFC 3516 BINARY[]) is refused; ~{n} literals are read
//     as ordinary literals.
//   - DecodeMailbox is strict: non-canonical modified UTF-7 is rejected.
//   - SORT and THREAD (RFC 5256) compare strings with i;ascii-casemap:
//     octets after mapping a-z to A-Z, so non-ASCII text sorts by its
//     UTF-8 bytes. Sent dates are compared as instants; a missing or
//     unparsable Date uses the internal date (§2.2). FROM, TO and CC
//     sort by the local part of the first address (RFC 3501
//     addr-mailbox), or the group name when the field starts with a
//     group; DISPLAYFROM and DISPLAYTO (RFC 5957) by the decoded display
//     name, else the addr-spec, else the group name. Base subjects also
//     count a "[fwd: ...]" wrapper as a forward when THREAD=REFERENCES
//     asks whether a subject is a reply or forward. A message's
//     references are the message IDs of References, or else the first of
//     In-Reply-To; only "<...>" counts as a message ID (not the words of
//     an old "In-Reply-To: Your message of ..."). Duplicate Message-IDs
//     after the first and missing ones get unique IDs. Equal dates order
//     by sequence number.
//
// # Limits
//
// Defaults ([Limits]): 64 KiB per line outside literals, 64 MiB per
// streamed literal, 64 KiB per in-memory literal, list nesting 32,
// [MaxSeqSetRanges] ranges per sequence set, [MaxSearchKeys] search keys,
// [MaxSortCriteria] sort criteria. [Sort] and [Threads] take memory
// linear in the number of messages; REFERENCES links each message in time
// proportional to its references and, when a reference already has
// replies, the depth of its thread.
//
// # Concurrency
//
// Decoders and Encoders belong to one goroutine. The other types are
// plain values.
package imap
