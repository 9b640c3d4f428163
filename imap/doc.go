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
// mailbox data ([ListData], [StatusData], [SelectData]), IMAP URLs of
// messages and parts ([URL], [ParseURL], RFC 5092, for CATENATE, RFC
// 4469). [Message] computes
// ENVELOPE, BODYSTRUCTURE and body sections of a raw message with package
// [github.com/mailkit-go/mailkit/mime]. [EncodeMailbox] and
// [DecodeMailbox] convert modified UTF-7 mailbox names (RFC 3501 §5.1.3).
//
// SORT and THREAD (RFC 5256, RFC 5957): [SortCriterion] lists
// ([Decoder.SortCriteria], [FormatSortCriteria]), [BaseSubject] (§2.1),
// [Sort] and [Threads] (ORDEREDSUBJECT and REFERENCES, §4) over the
// [SortData] that [Message.SortData] fills from a message, [Thread] trees
// written by [Encoder.WriteThreads] and read by [Decoder.Threads].
//
// LIST-EXTENDED (RFC 5258), SPECIAL-USE (RFC 6154) and LIST-STATUS (RFC
// 5819): [Decoder.ListCommand] reads the arguments of LIST in the
// extended syntax into a [ListCommand] (reference, one or more patterns,
// [ListOptions] with the selection and return options, STATUS items as
// [StatusOptions], read alone by [Decoder.StatusItems]) that
// [ListCommand.Encode] writes back; [ListData.ChildInfo] is the CHILDINFO
// extended data item. [SpecialUseAttrs] are the special-use attributes
// (\All, \Archive, \Drafts, \Flagged, \Junk, \Sent, \Trash),
// [SpecialUseAttr] canonicalises one, and [Decoder.CreateOptions] reads
// the "(USE (...))" parameter of CREATE-SPECIAL-USE into [CreateOptions].
//
// CONDSTORE (RFC 7162 §3.1): [FetchOptions.ModSeq] (the MODSEQ fetch
// item) and [FetchOptions.ChangedSince] ([Decoder.FetchModifiers],
// [FetchOptions.FetchModifiersString]), [StoreFlags.UnchangedSince]
// ([Decoder.StoreModifiers]), [SelectOptions.CondStore]
// ([Decoder.SelectParams]), the MODSEQ search key
// ([SearchCriteria.ModSeq], matched against [SearchTarget.ModSeq],
// [SearchCriteria.HasModSeq]; the optional entry name and type are read
// and ignored, since every flag shares the message's mod-sequence), the
// HIGHESTMODSEQ status item ([StatusOptions.HighestModSeq],
// [StatusData.HighestModSeq]) and [SelectData.HighestModSeq].
// Mod-sequences are 63-bit: larger numbers are a syntax error. QRESYNC
// (RFC 7162 §3.2): [SelectOptions.QResync] ([QResyncParams], read by
// [Decoder.SelectParams]) and the VANISHED fetch modifier
// ([FetchOptions.Vanished]).
//
// SEARCHRES (RFC 5182): the sequence set "$", the saved result of a
// SEARCH RETURN (SAVE), is [SavedResult]; [ParseSeqSet] and
// [Decoder.SeqSet] read "$" (alone, not inside a list) as it, also as a
// search key, [SeqSet.String] writes it back, and
// [SeqSet.IsSavedResult] tells it apart. It is a one-range SeqSet
// ("*:4294967295" as numbers, which ParseSeqSet returns the other way
// round, so no text but "$" gives it); it stands for no numbers, so
// [SeqSet.Contains], [SeqSet.Resolve] and [SeqSet.SeqNums] must not be
// given it: a server replaces it first ([SearchCriteria.ReplaceSavedResult],
// [SearchCriteria.ContainsSavedResult]). STATUS=SIZE (RFC 8438) and the
// DELETED item (RFC 9051) are [StatusOptions.Size] and
// [StatusOptions.NumDeleted].
//
// # Collation
//
// SORT, THREAD and SEARCH compare strings with i;unicode-casemap (RFC
// 5051), the collation that I18NLEVEL=1 (RFC 5255 §4) makes the default
// and that RFC 5256 asks SORT and THREAD to use: [UnicodeCasemap]
// prepares a string (each character replaced by its simple titlecase
// mapping, then by its full compatibility decomposition, NFKD, from
// golang.org/x/text/unicode/norm), and the prepared forms compare as
// octets: [CompareUnicodeCasemap] orders, [ContainsUnicodeCasemap] finds
// substrings. So "Émile" sorts as "E" U+0301 "MILE", between "dave" and
// "yann", and SEARCH SUBJECT "émile" finds "ÉMILE" and "e"+U+0301+"mile".
// As RFC 5051 §2 says:
//
//   - a string that is not valid UTF-8 is not prepared: it compares as
//     its octets, without case folding (a SEARCH prepares each header
//     field and each text part on its own, so one bad part does not
//     affect the others);
//   - the characters of a decomposition are not titlecased again: "ﬁ"
//     prepares to "fi" and so equals neither "fi" nor "FI" typed in
//     ASCII (both prepare to "FI"), and U+01C4 to "D" "z" U+030C;
//   - characters are prepared one at a time, so combining marks are not
//     reordered as NFKD would; titlecase is the simple mapping of
//     UnicodeData.txt, without SpecialCasing ("ß" stays "ß").
//
// Hangul syllables, for which UnicodeData.txt lists no decomposition,
// are decomposed into their jamo as NFKD does (RFC 5051 calls its
// decomposition step effectively NFKD); that is our reading, not the
// RFC's letter. Unicode data is that of the Go release (unicode) and of
// golang.org/x/text (norm).
//
// On ASCII text the collation is i;ascii-casemap (a-z mapped to A-Z,
// [CompareCasemap]); ASCII strings take a fast path that does not
// allocate. [Sort] prepares each message's keys once per call, not per
// comparison.
//
// # Deviations
//
//   - SEARCH compares text as case-insensitive substrings after decoding
//     (RFC 3501 §6.4.4): RFC 2047 encoded words in header values, and for
//     BODY and TEXT the text/* parts with transfer encoding removed and
//     charset converted to UTF-8 (plus the headers of embedded messages).
//     Non-text parts (attachments) are not searched; at most
//     [MaxSearchText] bytes of decoded text per message are. Text compares
//     with i;unicode-casemap (see Collation; "ß" does not match "SS").
//   - ENVELOPE keeps obsolete source routes ([Address.Route]); encoded
//     words in names and subjects are passed on undecoded, as RFC 3501
//     asks.
//   - BINARY (RFC 3516): [Message.BinarySection] removes base64 and
//     quoted-printable with package mime's decoders and returns 7bit, 8bit
//     and binary parts as they are; BINARY[] (the whole message) and
//     multipart bodies are returned as stored, headers are not rewritten.
//     ~{n} literals (literal8) are read like ordinary literals
//     ([Decoder.LiteralBinary] tells them apart); [Encoder.Literal8]
//     writes them, [NeedsLiteral8] says when (a NUL).
//     [EncodeBinaryParts] re-encodes the binary parts of a message
//     appended as a literal8 in base64, as RFC 3516 §4.4 allows, so that
//     BODY[] never carries a NUL.
//   - DecodeMailbox is strict: non-canonical modified UTF-7 is rejected.
//   - SORT and THREAD (RFC 5256): sent dates are compared as instants; a missing or
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
// [MaxSortCriteria] sort criteria, [MaxListPatterns] LIST patterns. [Sort] and [Threads] take memory
// linear in the number of messages; REFERENCES links each message in time
// proportional to its references and, when a reference already has
// replies, the depth of its thread.
//
// # Concurrency
//
// Decoders and Encoders belong to one goroutine. The other types are
// plain values.
package imap
