// Package imapclient is an IMAP4rev1 client (RFC 3501) for the commands
// of [github.com/mailkit-go/mailkit/imap/imapserver]: STARTTLS, LOGIN,
// AUTHENTICATE with any [sasl.Client] (SASL-IR when offered), CAPABILITY,
// SELECT/EXAMINE, CREATE (with special-use attributes,
// CREATE-SPECIAL-USE, RFC 6154: [Client.CreateWithOptions]), DELETE,
// RENAME, SUBSCRIBE, LIST, LSUB, STATUS, extended LIST
// ([Client.ListExtended]: the selection and return options of
// LIST-EXTENDED, RFC 5258, several patterns, SPECIAL-USE, and the STATUS
// of every mailbox in the same round trip with LIST-STATUS, RFC 5819),
// APPEND (LITERAL+ when offered; several messages at once with
// [Client.AppendMulti], MULTIAPPEND, RFC 3502, literal8 for binary
// messages, and messages the server assembles from text and IMAP URLs,
// [AppendMessage].Catenate, CATENATE, RFC 4469), FETCH with streamed body sections (BINARY[], BINARY.PEEK[]
// and BINARY.SIZE[] of RFC 3516 too: [imap.FetchSection].Binary,
// [imap.FetchOptions].BinarySize, [FetchMessage.BinarySize]),
// STORE, SEARCH, SORT and THREAD (RFC 5256, with typed results: sequence
// numbers or UIDs in sort order, [imap.Thread] trees), SORT RETURN (ESORT,
// RFC 5267 §3, [Client.ESort]), SEARCH RETURN (ESEARCH, RFC 4731,
// [Client.ESearch]) with SAVE (SEARCHRES, RFC 5182,
// [SearchOptions].Save; [imap.SavedResult] is "$" wherever a command
// takes an [imap.SeqSet] or a search key), CONTEXT=SEARCH and
// CONTEXT=SORT (RFC 5267 §4: [SearchOptions] and [SortReturn] Partial
// and Update; the ADDTO/REMOVEFROM updates arrive through
// [Options.OnUpdate] and [ParseContextUpdate] reads them;
// [Client.CancelUpdate]), STATUS SIZE and DELETED
// (RFC 8438, RFC 9051: [imap.StatusOptions]), EXPUNGE, COPY, MOVE,
// their UID variants, IDLE, CLOSE, UNSELECT, NOOP and LOGOUT, ENABLE
// ([Client.Enable]) and CONDSTORE (RFC 7162 §3.1: MODSEQ and CHANGEDSINCE
// in FETCH, [FetchMessage.ModSeq]; UNCHANGEDSINCE in STORE, with the
// messages left alone in a [*ModifiedError]; SELECT (CONDSTORE) and
// HIGHESTMODSEQ in [imap.SelectData] and [imap.StatusData];
// [Client.SearchModSeq]); SELECT (QRESYNC ...) ([imap.SelectOptions]
// QResync, RFC 7162 §3.2.5, after [Client.Enable] "QRESYNC": the
// VANISHED (EARLIER) and FETCH replies go to [Options.OnUpdate], like
// every VANISHED; once QRESYNC is enabled the server reports expunges
// as VANISHED, so [Client.Expunge] returns no sequence numbers),
// COMPRESS=DEFLATE (RFC 4978, [Client.Compress]).
//
// [Dial] connects in plaintext, [DialStartTLS] upgrades at once with
// STARTTLS (whatever the server sent before the handshake is discarded,
// CVE-2011-0411) and [DialTLS] uses implicit TLS (port 993). Every network
// call takes a context whose deadline and cancellation apply to the
// connection; a command interrupted that way leaves the connection closed.
//
// Responses the current command did not ask for (EXISTS, EXPUNGE, FETCH
// flag updates, alerts) go to [Options.OnUpdate], also during IDLE.
// FETCH results arrive through a [FetchHandler]: its Body function gets
// each body section as an io.Reader over the literal, so large messages
// are never held in memory unless [Client.FetchAll] is used.
//
// Limits: responses are read with the [imap.Limits] of Options (64 KiB
// per response outside literals, 64 MiB per streamed literal, 8 MiB of
// in-memory literals per response by default); List, ListExtended,
// Expunge and Store
// collect at most Options.MaxResponses replies, and ESort as many numbers
// from its ALL. A response over a limit
// fails the command and closes the connection.
//
// Concurrency: a Client may be used from several goroutines; commands
// are sent one at a time (no pipelining). During IDLE other commands wait
// until [IdleCommand.Done].
package imapclient
