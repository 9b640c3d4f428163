// Package imapmem is an in-memory backend for [imapserver]: users,
// mailboxes with UIDVALIDITY/UIDNEXT, flags, \Recent, and any number of
// concurrent sessions per user that see each other's changes (new
// messages, flag changes, expunges) through the untagged updates of
// [imapserver.Session.Poll] and [imapserver.Session.Idle].
//
// Sessions implement the optional MOVE, NAMESPACE, SORT (with ESORT and
// SORT=DISPLAY), THREAD (ORDEREDSUBJECT, REFERENCES) and MULTIAPPEND
// interfaces of imapserver (a MULTIAPPEND reads every message into memory,
// within the server's limits, and stores them under one lock: other
// sessions see all or none) and CATENATE (RFC 4469: IMAP URLs name the
// user's own messages; absolute ones need the user's name and one of
// Backend.URLHosts); SORT and THREAD run [imap.Sort] and [imap.Threads] over the
// messages that match the search keys. SEARCH, SORT and THREAD compare
// strings with i;unicode-casemap (RFC 5051), as the I18NLEVEL=1 that
// imapserver announces asks.
//
// LIST-EXTENDED, LIST-STATUS, SPECIAL-USE and CREATE-SPECIAL-USE: sessions
// implement [imapserver.ListExtendedSession] and
// [imapserver.CreateSpecialUseSession]. A mailbox gets special-use
// attributes from "CREATE name (USE (\Sent))" or
// [Backend.SetSpecialUse]; \Archive, \Drafts, \Junk, \Sent and \Trash
// are supported (\All and \Flagged name virtual mailboxes this backend
// does not have: NO [USEATTR]). They follow RENAME and go with DELETE.
//
// CONDSTORE (RFC 7162 §3.1): sessions implement
// [imapserver.CondStoreSession]. Each mailbox starts at HIGHESTMODSEQ 1;
// every appended message, every flag change (STORE, or \Seen set by a
// FETCH) and every EXPUNGE takes the next mod-sequence. A STORE that
// changes nothing gives none. QRESYNC (RFC 7162 §3.2): sessions implement
// [imapserver.QResyncSession] with an [imapserver.ExpungeLog] per
// mailbox (the last 10000 expunged UIDs at least; older resyncs get the
// UIDs missing below UIDNEXT).
//
// STORE answers with FETCH responses only for messages whose flags
// changed, as Dovecot does (QUIRK: interop scripts and clients written
// against Dovecot count these responses).
//
// Everything lives in memory and is lost when the process ends; it is
// meant for tests, examples and as the reference implementation of the
// backend contract. The hierarchy delimiter is "/". One mutex guards the
// whole backend; updates are computed under it and written to the client
// after it is released, so a slow client never blocks other sessions.
package imapmem
