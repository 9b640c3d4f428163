// Package imapserver implements an IMAP4rev1 server (RFC 3501) with the
// extensions most clients expect: LITERAL+ (RFC 7888), SASL-IR (RFC
// 4959), IDLE (RFC 2177), NAMESPACE (RFC 2342), UNSELECT (RFC 3691),
// UIDPLUS (RFC 4315), MOVE (RFC 6851), ID (RFC 2971), ENABLE (RFC 5161),
// ESEARCH (RFC 4731: SEARCH RETURN with MIN, MAX, ALL, COUNT),
// SEARCHRES (RFC 5182: RETURN (SAVE) and "$", see below),
// CONTEXT=SEARCH (RFC 5267 §4: RETURN (UPDATE), CANCELUPDATE, PARTIAL;
// see below), STATUS=SIZE
// (RFC 8438; also the DELETED item of RFC 9051),
// CHILDREN (RFC 3348), APPENDLIMIT (RFC 7889), BINARY (RFC 3516: FETCH
// BINARY[], BINARY.PEEK[], BINARY.SIZE[], replies in literal8 "~{n}" when
// the data holds a NUL, APPEND with literal8, whose binary parts are
// stored in base64, see [imap.EncodeBinaryParts]: such a message is read
// into memory, at most Limits.MaxMessageSize, and BINARY[] returns the
// octets as sent; a part whose transfer encoding is unknown gets NO
// [UNKNOWN-CTE]), STARTTLS/LOGINDISABLED
// (RFC 2595, RFC 8314 implicit TLS), and, when the session implements
// them, SORT and THREAD=ORDEREDSUBJECT/THREAD=REFERENCES (RFC 5256),
// SORT=DISPLAY (RFC 5957) and ESORT (RFC 5267 §3: SORT RETURN with MIN,
// MAX, ALL, COUNT) with CONTEXT=SORT (§4), MULTIAPPEND (RFC 3502: one
// APPEND with several
// messages, stored all or none, APPENDUID with a UID set), CATENATE (RFC
// 4469, with MULTIAPPEND; see below), LIST-EXTENDED
// (RFC 5258) with SPECIAL-USE (RFC 6154) and LIST-STATUS (RFC 5819),
// CREATE-SPECIAL-USE (RFC 6154 §3), CONDSTORE and QRESYNC (RFC 7162),
// and COMPRESS=DEFLATE (RFC 4978, see below).
//
// # Backend and sessions
//
// A [Backend] creates one [Session] per connection. Sessions are called
// sequentially from the connection's goroutine; only [Session.Idle] runs
// beside the goroutine that waits for the client's DONE. Optional
// interfaces add extensions: [MoveSession] (MOVE), [SortSession] (SORT,
// SORT=DISPLAY, ESORT), [ThreadSession] (THREAD), [ListExtendedSession]
// (LIST-EXTENDED, SPECIAL-USE, LIST-STATUS), [CreateSpecialUseSession]
// (CREATE-SPECIAL-USE), [CondStoreSession] (CONDSTORE), [QResyncSession]
// (QRESYNC), [MultiAppendSession]
// (MULTIAPPEND; every APPEND then goes through it), [CatenateSession]
// (CATENATE, with MultiAppendSession), [SASLSession] (needed
// with [Server.SASL]), [NamespaceSession]. They are checked once per
// connection, when its session is created, never by a failing type
// assertion later: a missing MoveSession means MOVE is not announced and
// "MOVE" gets BAD (likewise SORT and THREAD); a missing NamespaceSession
// gives the default namespace. A missing SASLSession while Server.SASL is set is a
// configuration error ([ErrNoSASLSession]): [Server.Serve] returns it at
// start when the Backend implements [SASLBackend], otherwise each
// connection is refused with "* BYE [UNAVAILABLE]" and the error logged. Replies go through writers
// ([FetchWriter], [UpdateWriter], [ListWriter]) rather than slices, so a
// FETCH of many messages is streamed. Package
// [github.com/mailkit-go/mailkit/imap/imapmem] is an in-memory backend.
//
// After every command in the selected state the server calls
// [Session.Poll] so that changes made by other sessions of the same user
// (new messages, flag changes, expunges) reach the client as untagged
// EXISTS, FETCH and EXPUNGE responses; EXPUNGE is not allowed during
// FETCH, STORE and SEARCH (RFC 3501 §7.4.1).
//
// Backends share a small kit: [MatchList] and [SubscribedParents] for
// LIST and LSUB, [Update] with [UpdateWriter.WriteUpdates] for the
// changes a session computes under its lock and reports after, and
// [FetchWriter.WriteStoreResults] for STORE replies; in package imap,
// [imap.SeqSet.SeqNums] resolves a command's set against a session's view,
// [imap.SearchCriteria.NeedsMessage] tells whether a SEARCH needs
// the message text, and [imap.Sort] and [imap.Threads] order and thread
// the [imap.SortData] a session collects ([imap.Message.SortData]) for
// SORT and THREAD. imapmem and imapmaildir use them.
//
// # Collation
//
// The server announces I18NLEVEL=1 (RFC 5255 §4) in every state: the
// default comparator of SEARCH, and of SORT and THREAD where a session
// offers them, is i;unicode-casemap (RFC 5051; see package imap,
// [imap.CompareUnicodeCasemap]). RFC 5256 asks SORT and THREAD to collate
// as I18NLEVEL=1 does, and RFC 5255 makes the level cover SEARCH too;
// since SEARCH is always there, the capability does not depend on SORT.
// [imap.SearchCriteria.Match], [imap.Sort] and [imap.Threads] compare
// that way; a session that implements [Session.Search], [SortSession]
// or [ThreadSession] by other means must too. I18NLEVEL=2 (COMPARATOR
// command, other collations) is not offered.
//
// # CONDSTORE
//
// With a [CondStoreSession] the server announces CONDSTORE (RFC 7162
// §3.1). CONDSTORE is enabled on the connection by ENABLE CONDSTORE,
// SELECT or EXAMINE with (CONDSTORE), or the first command that uses
// it (FETCH with MODSEQ or CHANGEDSINCE, STORE with UNCHANGEDSINCE,
// SEARCH with MODSEQ, STATUS with HIGHESTMODSEQ; §3.1.2); when that
// happens with a mailbox selected the server sends "* OK
// [HIGHESTMODSEQ n]" ([CondStoreSession.HighestModSeq]). Once enabled,
// SELECT and EXAMINE report HIGHESTMODSEQ (NOMODSEQ when the session
// reports 0), and every untagged FETCH for a flag change carries MODSEQ
// ([Update.ModSeq]), also the replies to STORE, where FLAGS.SILENT still
// sends "* n FETCH (MODSEQ (m))" (§3.1.3). STORE with UNCHANGEDSINCE goes
// to [CondStoreSession.StoreUnchangedSince]; the messages it leaves
// alone are listed in "OK [MODIFIED set]". SEARCH with MODSEQ goes to
// [CondStoreSession.SearchModSeq] and its reply ends with "(MODSEQ n)",
// the highest mod-sequence found; an ESEARCH reply ends with "MODSEQ n"
// (§3.1.10: of the MIN and/or MAX message when only they are asked
// for). [FetchResponseWriter.WriteModSeq] writes the MODSEQ item last.
// Without a CondStoreSession, CONDSTORE is not announced, ENABLE
// CONDSTORE enables nothing and the syntax above gets BAD.
//
// With a [QResyncSession] the server announces QRESYNC (RFC 7162 §3.2).
// ENABLE QRESYNC enables CONDSTORE too; after it, SELECT and EXAMINE take
// (QRESYNC (uidvalidity modseq [known-uids [(seqs uids)]])): when the
// UIDVALIDITY matches, the reply holds "* VANISHED (EARLIER) uids"
// ([QResyncSession.Vanished]) and a FETCH (UID, FLAGS, MODSEQ) for each
// message changed since ([Session.Fetch] with CHANGEDSINCE); the
// sequence match data is read and not used (the answer is already
// exact or a superset). UID FETCH takes (CHANGEDSINCE n VANISHED). Expunges
// are written as "* VANISHED uids" instead of "* n EXPUNGE" (consecutive
// ones in one response), so the session's expunge [Update]s carry UIDs.
// QRESYNC syntax before ENABLE QRESYNC gets BAD. [ExpungeLog] is the
// bounded record of expunged UIDs both backends keep: by default 10000
// UIDs per mailbox; when it is full the older half is forgotten, and a
// resync from before what it remembers gets every UID below UIDNEXT (or
// among the known UIDs) that is no longer in the mailbox, which RFC 7162
// §3.2.5.1 allows (clients ignore UIDs they do not have).
//
// # COMPRESS
//
// COMPRESS=DEFLATE (RFC 4978) is announced in the authenticated and
// selected states while the connection is not compressed. "COMPRESS
// DEFLATE" gets OK and, from the next octet on, both directions are raw
// DEFLATE (RFC 1951, no zlib header), inside TLS when TLS is used. A
// second COMPRESS gets NO [COMPRESSIONACTIVE] (RFC 5530), another
// mechanism BAD. Octets the client sent behind the COMPRESS line before
// seeing the OK are read as compressed input (that is what they are
// after the switch; plaintext sent there is invalid DEFLATE). Invalid
// DEFLATE input gets "* BYE Invalid compressed data" and the connection
// is closed. Output is sync-flushed whenever the server flushes (and
// at least every 4 KiB), so no reply waits in the compressor.
//
// Memory: a flate compressor is large (about 1.2 MiB at BestSpeed, 0.8
// MiB at the default level), so connections do not own one: each flush
// borrows a BestSpeed writer from a pool shared by all connections and
// returns it, which costs some ratio on small replies (no history
// across flushes; about 17:1 measured on a large text FETCH). What a
// compressed idle connection keeps is its inflater and buffers, about
// 47 KiB measured on the heap (TestCompressIdleMemory). Inflated input
// goes through the same decoder as before, so the line, literal and
// nesting [Limits] bound it: 64 KiB of compressed input inflating to 64
// MiB without a line end gets "* BYE Input exceeds line limit" and
// about 1.2 MiB was allocated meanwhile (TestCompressBomb).
//
// # CONTEXT=SEARCH and CONTEXT=SORT
//
// SEARCH and SORT (with or without UID) take RETURN (UPDATE) and RETURN
// (PARTIAL lo:hi) of RFC 5267 §4. An UPDATE search is kept as a context
// of the connection (at most [Limits.MaxUpdateContexts], default 8; one
// more gets NO [NOUPDATE "tag"]); after every command in the selected
// state, once [Session.Poll] has run, the server runs each kept search
// again (one [Session.Search] or [SortSession.Sort] per context: that is
// the work per update) and sends the difference as ESEARCH ADDTO and
// REMOVEFROM before the tagged reply. A sequence-number context hears of
// an expunged message just before its EXPUNGE response (RFC 5267 §4.3);
// UID contexts on the next update. SEARCH contexts use position 0,
// SORT contexts the 1-based position in sort order. CANCELUPDATE ends
// contexts; SELECT, EXAMINE, UNSELECT and CLOSE end them all. Changes
// reported during IDLE reach the contexts when IDLE ends. With QRESYNC
// enabled the REMOVEFROM comes before the VANISHED response, provided
// the session's [Update] carries the expunged message's sequence number
// besides its UID (imapmem and imapmaildir do); otherwise use UID
// contexts with QRESYNC.
//
// # SEARCHRES
//
// SEARCH and UID SEARCH RETURN (SAVE ...), and SORT RETURN (SAVE ...)
// (RFC 5182 §1 lets commands based on SEARCH save), keep their result in
// the connection as the UIDs of the messages found (with MIN and/or MAX
// and neither ALL nor COUNT, only those: for SORT the first and last in
// sort order; RETURN (SAVE) alone sends no ESEARCH). "$" ([imap.SavedResult]) in FETCH, STORE, COPY, MOVE, UID
// EXPUNGE and in the keys of SEARCH, SORT and THREAD, with or without
// UID, is replaced by those UIDs before the session is called: sessions
// only see ordinary UID sets (of kind [imap.NumUID] even in a non-UID
// command, whose replies then carry UID items; OK [MODIFIED] of a
// non-UID STORE is turned back into sequence numbers). A non-UID SEARCH
// with SAVE costs a second [Session.Search] to turn its numbers into
// UIDs. Since UIDs are never reused, an expunged message leaves "$"
// without any bookkeeping (RFC 5182 §2.1). "$" is emptied by SELECT,
// EXAMINE, UNSELECT and CLOSE and by a SEARCH or SORT with SAVE that
// gets NO; one that gets BAD leaves it as it was (§2.1). An empty "$" matches no message: FETCH, STORE, COPY,
// MOVE and UID EXPUNGE on it answer OK without calling the session, and
// SEARCH $ finds nothing.
//
// STATUS=SIZE is announced with every session: [Session.Status] must
// fill [imap.StatusData].Size (and NumDeleted for DELETED) when asked;
// an item left nil is not sent. imapmem and imapmaildir fill both.
//
// # Security
//
// LOGIN and AUTHENTICATE PLAIN are refused without TLS (LOGINDISABLED is
// announced) unless [Server.AllowInsecureAuth]. STARTTLS with further
// commands pipelined behind it is refused and the connection closed
// (CVE-2011-0411). AUTHENTICATE uses a [sasl.Registry] when
// [Server.SASL] is set, otherwise PLAIN through [Session.Login].
//
// # Errors
//
// [WriteFetch] answers BINARY items from an [imap.Message]; a session that
// writes FETCH replies by other means must answer [imap.FetchSection.Binary]
// sections and [imap.FetchOptions.BinarySize] itself
// ([FetchResponseWriter.WriteBinarySection], [ErrUnknownCTE]). BODY[]
// sections return the stored octets: a message appended with a plain
// literal (or delivered by other means) that holds a NUL is sent with it
// in a plain literal, not re-encoded; only literal8 APPENDs are converted.
//
// A backend returns an [*Error] (e.g. [ErrNoSuchMailbox]) to choose the
// reply; NONEXISTENT becomes TRYCREATE for APPEND, COPY and MOVE. Any
// other error becomes "NO [SERVERBUG] Internal server error" (or
// [UNAVAILABLE] for a cancelled or timed-out context) and its text goes
// to the log only. A panic in a session is recovered: the client gets
// "* BYE Internal server error" and the connection is closed. An APPEND is
// acknowledged only after [Session.Append] returned nil.
//
// # Limits and defaults
//
// [Limits]: 64 KiB command lines, 64 MiB messages (larger synchronising
// literals get NO [TOOBIG]; larger non-synchronising literals close the
// connection), 8 MiB of in-memory literals per command line, nesting
// 32, 20 BAD replies before BYE, 30 minutes of
// inactivity (also in IDLE), 5 minutes per command, 1000 connections
// (and, if [Limits.MaxConnectionsPerIP] is set, that many per client
// address). A client over a connection limit gets "* BYE Too many
// connections" (after the TLS handshake on an implicit-TLS listener,
// both bounded by 5 seconds) and is closed; it is never counted.
//
// A MULTIAPPEND is bounded per message by MaxMessageSize and in total by
// [Limits.MaxMultiAppendSize] (256 MiB): the literal that would pass the
// total gets NO [TOOBIG] ([ErrMultiAppendTooBig]; a synchronising one is
// never asked for, a non-synchronising one is skipped) and nothing of the
// command is stored. The messages are not buffered by the server: the
// session reads each from the connection in turn
// ([MultiAppendSession.AppendMulti]) and stages it (imapmem in memory,
// imapmaildir in files under the folder's tmp/). A syntax error in a later
// message gets BAD and stores nothing either.
//
// # CATENATE
//
// An APPEND message may be "CATENATE (TEXT literal URL "imap-url" ...)"
// (RFC 4469), also as one message of a MULTIAPPEND. The server assembles
// it before the session reads it: TEXT literals (a literal8 "~{n}" where
// the text holds NUL, otherwise BAD; binary parts are then stored base64
// as for an APPEND literal8) and IMAP URLs (RFC 5092, [imap.ParseURL]),
// which [CatenateSession.CatenateMessage] resolves to a stored message of
// the same user on this server; the server checks UIDVALIDITY and cuts
// SECTION (through [imap.Message.Section], as for FETCH BODY[section])
// and PARTIAL. A URL that cannot be resolved (syntax, another user or
// server, UIDVALIDITY, a missing message or section) gets NO [BADURL url]
// at once (url without the characters a resp-text-code cannot hold) and
// stores nothing of the command. The assembled message is bounded by
// MaxMessageSize (past it: NO [TOOBIG]) and held in memory up to 256 KiB,
// beyond that in a temporary file (os.TempDir) removed once the session
// has read the message or the command ends. URLAUTH (RFC 4467) is not
// supported.
//
// # Serve, Shutdown and Close
//
// [Server.Serve] may run on several listeners at once; it closes its
// listener when it returns, also when it refuses to start (no Backend,
// [ErrNoSASLSession], or after Shutdown or Close, when it returns
// [ErrServerClosed]). [Server.Shutdown] stops accepting, says "* BYE
// Server shutting down" to clients waiting for a command or in IDLE and
// closes them, lets commands in progress finish (their connection then
// says BYE and closes), and waits for all connections; when its context
// ends it closes the rest. [Server.Close] closes the listeners and every
// connection at once and returns only after the connections' goroutines
// (and the refusals of clients over a limit) have ended, so no session
// method runs after it. A client accepted while the server shuts down is
// told "* BYE Server shutting down" (closed without a word on an
// implicit-TLS listener). Earlier versions returned from Close without
// waiting and left the listener open when Serve failed.
//
// # Deviations
//
//   - The server speaks IMAP4rev1; IMAP4rev2 is not announced, and ENABLE
//     enables only CONDSTORE and QRESYNC (with the sessions that offer
//     them).
//   - CONDSTORE: SORT and THREAD accept the MODSEQ search key but their
//     replies carry no MODSEQ (and do not enable CONDSTORE). A FETCH of
//     non-peek body sections gets MODSEQ in its replies once CONDSTORE is
//     enabled, whether or not \Seen was set by it.
//   - LIST-EXTENDED needs a [ListExtendedSession]; without one LIST takes
//     a parenthesised list of patterns but no options. With one, the
//     server answers every LIST (LSUB still goes to [Session.List]) from
//     the session's snapshot of mailboxes and subscriptions: REMOTE is
//     accepted and changes nothing (there are no remote mailboxes, RFC
//     2193); \Marked and \Unmarked are never sent; \HasChildren and
//     \HasNoChildren are always sent (CHILDREN is announced), and so are
//     the special-use attributes (RFC 6154 §2 allows them without the
//     SPECIAL-USE return option); names that are not mailboxes (missing
//     hierarchy levels, subscribed names whose mailbox is gone) are
//     \Noselect in a basic LIST and \NonExistent in an extended one.
//     RECURSIVEMATCH gives CHILDINFO to a name matching a pattern when a
//     descendant that matches no pattern meets the selection criteria
//     (RFC 5258 §3.4 and example 9); with SPECIAL-USE RECURSIVEMATCH the
//     CHILDINFO item says "SPECIAL-USE", which RFC 6154 does not define.
//   - LIST-STATUS: the STATUS reply follows the LIST reply of its mailbox
//     and comes from [Session.Status], called after the snapshot was
//     taken; a mailbox whose Status fails (gone meanwhile, or any other
//     error, which is logged) gets no STATUS reply, as RFC 5819 §2
//     allows, and the LIST still completes. \Noselect and \NonExistent
//     names get none either.
//   - CREATE-SPECIAL-USE: attributes that are not special-use ones get NO
//     [USEATTR] before the session is called ([ErrUseAttr]); which of the
//     others a mailbox can get is the session's choice.
//   - SEARCH, SORT and THREAD accept the charsets US-ASCII and UTF-8 (others
//     get NO [BADCHARSET (US-ASCII UTF-8)]).
//   - "$" in SELECT (QRESYNC ...) gets BAD (SELECT empties it anyway).
//     THREAD has no RETURN option, so it cannot save (it can use "$").
//     The NOTSAVED refusal (RFC 5182 §2.5) is never sent: one saved
//     result per connection is kept, bounded by what a SEARCH returns.
//   - PARTIAL is RFC 5267 §4.4's (positive ranges); RFC 9394's negative
//     ranges are not supported and its PARTIAL capability is not
//     announced. UPDATE with PARTIAL gets BAD. MIN and MAX of a SORT
//     RETURN are the first and last message in sort order, and ALL keeps
//     the sort order (ranges only for ascending runs).
//
// # Concurrency
//
// A Server serves any number of connections, each in its own goroutine.
// Its fields must not change once Serve was called.
package imapserver
