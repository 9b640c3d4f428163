// Package imapmaildir is an [imapserver] backend that serves each user's
// Maildir (package [maildir]): the INBOX is the Maildir root and the other
// mailboxes are its Maildir++ folders, so Postfix, Dovecot, mutt and this
// server can work on the same mail at once. Mail stays on the server; its
// state (\Seen, \Flagged, ...) is kept in the message file names, where
// every Maildir program reads it.
//
// # Users
//
// [Backend.Root] maps a user name to a Maildir root (created on first
// login). LOGIN and AUTHENTICATE PLAIN check the password that
// [Backend.Credentials] returns (Secret.Password only); for other SASL
// mechanisms give the same Credentials to a sasl.Registry in
// imapserver.Server.SASL and the session is opened for the authorization
// identity.
//
// # On-disk format
//
// Per Maildir (INBOX root and each folder), besides tmp/, new/ and cur/:
//
//   - mailkit-uidlist: the persistent UIDs and mod-sequences (CONDSTORE,
//     RFC 7162). First line "mailkit-uidlist 2 <UIDVALIDITY> <UIDNEXT>
//     <HIGHESTMODSEQ>", then one line "<uid> <modseq> <info> <key>" per
//     message, key being the stable unique part of the file name
//     (maildir.Name.Key) and info the info part ("2,FS", "2," for none)
//     the message had when it got that mod-sequence, in ascending UID
//     order. Version 1 files ("mailkit-uidlist 1 <UIDVALIDITY> <UIDNEXT>",
//     lines "<uid> <key>"), written before CONDSTORE, are read with the
//     same UIDs and UIDVALIDITY, HIGHESTMODSEQ 1 and mod-sequence 1 for
//     every message, and rewritten in version 2 by the first rescan (older
//     versions of this package cannot read version 2: they treat it as
//     unreadable and assign a new UIDVALIDITY, so clients resync rather
//     than see wrong data). It is replaced
//     atomically (written to mailkit-uidlist.tmp, fsynced, renamed, the
//     directory fsynced). A leftover .tmp file from a crash is never read
//     and is overwritten by the next write. An unreadable uidlist is
//     replaced and the folder gets a new UIDVALIDITY (clients then resync),
//     as RFC 3501 requires when UIDs cannot be kept.
//   - mailkit-uidlist.lock: the lock file. Every rescan takes an exclusive
//     flock(2) on it (plus an in-process mutex), so several sessions, several
//     Backends and several processes using this package assign each new
//     message exactly one UID, strictly ascending.
//   - dovecot-keywords: IMAP keywords, in Dovecot's format ("<index> <name>"
//     lines) with the keyword letters a-z in the file names' info part, so
//     keywords are shared with Dovecot. At most 26 keywords per mailbox
//     (more: NO [LIMIT]). PERMANENTFLAGS includes \*.
//   - mailkit-specialuse (optional): the folder's special-use attributes
//     (RFC 6154), one per line, e.g. "\Sent". CREATE with "(USE (...))"
//     writes it (atomically, after creating the folder; if it cannot be
//     written the folder is removed and CREATE fails). It moves with the
//     folder on RENAME and goes with it on DELETE. Unknown lines are
//     ignored.
//
// Per user root: mailkit-subscriptions (one mailbox name per line, replaced
// atomically), mailkit-uidvalidity (the last UIDVALIDITY handed out, so a
// mailbox re-created within the same second still gets a new one) and
// mailkit.lock (serialises CREATE, DELETE, RENAME and the files above).
//
// Flags map to the Maildir info letters: \Seen S, \Answered R, \Flagged F,
// \Deleted T, \Draft D; the P (passed) flag and unknown letters are kept
// untouched. The internal date is the file's modification time (set by
// APPEND and kept by COPY and MOVE), as Dovecot reads it.
//
// # Changes made elsewhere
//
// A rescan (after every command through Session.Poll, and every
// [Backend.PollInterval] during IDLE) lists new/ and cur/: files that
// appeared (a Postfix delivery into new/, another program's APPEND) get
// the next UIDs; files that disappeared become EXPUNGE responses; renamed
// files with a different info part become FETCH FLAGS responses. Changes
// made by other sessions of the same Backend are reported at once, also
// during IDLE. A file renamed by another program between the reads of new/
// and cur/ is confirmed with a second listing before it is taken as gone.
//
// Mod-sequences (CONDSTORE, RFC 7162 §3.1; sessions implement
// [imapserver.CondStoreSession]): a rescan gives the next mod-sequence
// to each new message, to each message whose info part differs from the
// one recorded in the uidlist (a flag change by this Backend or any
// other program, also one made while no server ran), and raises
// HIGHESTMODSEQ once when messages vanished; the uidlist is written
// before any of it is reported. STORE and FETCH that set \Seen rename
// the files and then rescan, so their replies carry the new
// mod-sequences, which are on disk already. STORE with UNCHANGEDSINCE
// rescans first, so changes made by other programs count.
//
// QRESYNC (RFC 7162 §3.2; sessions implement
// [imapserver.QResyncSession]): the UIDs expunged (or removed by other
// programs) are kept in memory in an [imapserver.ExpungeLog] per folder,
// not on disk, from the time this process first loaded the folder; a
// resync from a mod-sequence older than that (for instance after a
// restart) gets every UID below UIDNEXT that is no longer there, a
// superset RFC 7162 §3.2.5.1 allows.
//
// \Recent (RFC 3501): a message found in new/, or appended, copied or
// moved through this Backend, is recent for the first read-write session
// that sees it; SELECT (or the poll that reports it) moves it from new/ to
// cur/. EXAMINE shows \Recent without taking it.
//
// # Durability
//
// APPEND, COPY and MOVE answer OK only after the message files and their
// directories are fsynced and the UIDs recorded. Sessions implement
// MULTIAPPEND (RFC 3502; every APPEND goes through it): the messages are
// staged in files "mailkit-multiappend-*" in the folder's tmp/ (removed
// when the command ends; maildir.Maildir.CleanTmp removes any a crash
// leaves), then stored one by one while the folder's lock is held, so
// other sessions of the Backend see all of them or none; when one fails
// (e.g. over maildir.Limits.MaxMessageSize) the ones already stored are
// removed before the NO. Other processes may briefly see the first
// files of a MULTIAPPEND that is then taken back. Sessions implement
// CATENATE (RFC 4469) too: IMAP URLs name the user's own messages
// (absolute ones need the user's name and one of Backend.URLHosts), read
// whole into memory (bounded by the maildir MaxMessageSize). COPY writes new files
// (maildir.Maildir.Append); MOVE renames the files into the target folder
// (a copy and removal across file systems). DELETE renames the folder out
// of the way atomically before removing it. EXPUNGE fsyncs new/ and cur/
// after removing files.
//
// # Deviations and limits
//
//   - Messages are served with CRLF line ends: files with bare LF (as Postfix
//     writes them) are converted on the fly, and RFC822.SIZE and STATUS SIZE
//     count the converted size (computed once per message and process).
//     STATUS SIZE (RFC 8438) takes it from the ",W=" field of the file
//     name when the size is not known yet (our names and Dovecot's carry
//     it), so it opens no file then; without ",W=" the file is read once.
//     ",S=" and stat are not used: they give the size with bare LFs,
//     below RFC822.SIZE, and RFC 8438 wants at least the sum of those. A
//     ",W=" that lies is believed by STATUS (not by FETCH). STATUS DELETED
//     counts the files with the T (trashed) flag.
//     BINARY[] and BINARY.SIZE[] see the converted message too: a part
//     with Content-Transfer-Encoding binary stored with bare LF comes back
//     with CRLF (APPEND with literal8 stores binary parts in base64, which
//     the conversion does not touch).
//   - BODY[]/RFC822 (whole message, with or without a partial range) is
//     streamed from the file; ENVELOPE, BODYSTRUCTURE, part and header
//     sections and text SEARCH read the message into memory (bounded by
//     maildir's MaxMessageSize).
//   - SORT (with ESORT and SORT=DISPLAY) and THREAD (ORDEREDSUBJECT,
//     REFERENCES) use [imap.Sort] and [imap.Threads], and SEARCH
//     [imap.SearchCriteria.Match]: strings compare with i;unicode-casemap
//     (RFC 5051), as the I18NLEVEL=1 that imapserver announces asks.
//     SORT and THREAD read every matching message, one at a time, to take
//     the keys from its header (nothing is cached or indexed), except
//     SORT by ARRIVAL and SIZE only, which reads no message file. An
//     update context (SEARCH or SORT RETURN (UPDATE), RFC 5267, kept
//     by imapserver) repeats its search or sort after every command
//     while it lasts.
//   - A rescan costs one listing of new/ and cur/ (O(messages)); the uidlist is
//     reread only when its inode, size or modification time changed, and
//     rewritten (O(messages), with fsync) only when messages appeared or
//     vanished or flags changed: a STORE that changes flags costs a
//     listing and a rewrite of the uidlist.
//   - \Recent is process-local for messages appended through the Backend;
//     after a restart only messages still in new/ are recent.
//   - Keywords are written to dovecot-keywords under this package's lock, not
//     Dovecot's dotlock; two programs adding new keywords at the very same
//     moment may conflict.
//   - On systems without flock(2) (Windows, Solaris) only the in-process
//     locks apply: run a single Backend per Maildir there.
//   - The hierarchy delimiter is "/"; names containing "." are refused
//     (Maildir++'s own separator). Parents of nested folders created by
//     CREATE are created too; levels without a directory of their own
//     (made by other programs) are listed as \Noselect.
//   - A mailbox renamed or deleted while another session has it selected
//     looks empty (every message expunged) to that session.
//   - Special use (SPECIAL-USE, LIST-EXTENDED, LIST-STATUS and
//     CREATE-SPECIAL-USE are offered): a folder with a mailkit-specialuse
//     file has the attributes it lists (none if it lists none); a folder
//     without one gets the attribute of its name when that is one of the
//     top-level names Dovecot's default configuration uses: "Sent"
//     (\Sent), "Drafts" (\Drafts), "Trash" (\Trash), "Junk" (\Junk),
//     "Archive" (\Archive), i.e. Maildir++ folders .Sent, .Drafts, .Trash,
//     .Junk, .Archive; names compare case-sensitively, so ".sent" gets
//     none. CREATE may give \Archive, \Drafts, \Junk, \Sent and \Trash;
//     \All and \Flagged (virtual mailboxes) get NO [USEATTR] and nothing
//     is created. Each LIST reads one small file per folder. A LIST
//     running while a "CREATE name (USE ...)" is between creating the
//     folder and writing its file may show the folder without them.
//
// # Concurrency
//
// A Backend is safe for concurrent use by any number of sessions. Each
// folder's shared state is guarded by a mutex; file I/O for FETCH, SEARCH,
// SORT, THREAD, APPEND and COPY runs outside it. Other processes may deliver into,
// rename in and remove from the Maildirs at any time.
package imapmaildir
