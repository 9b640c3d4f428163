package imap

import "time"

// Flag is a message flag, e.g. \Seen or a keyword.
type Flag string

// System flags (RFC 3501 §2.3.2).
const (
	FlagSeen     Flag = `\Seen`
	FlagAnswered Flag = `\Answered`
	FlagFlagged  Flag = `\Flagged`
	FlagDeleted  Flag = `\Deleted`
	FlagDraft    Flag = `\Draft`
	FlagRecent   Flag = `\Recent`
	// FlagWildcard in PERMANENTFLAGS means clients may create keywords.
	FlagWildcard Flag = `\*`
)

// CanonicalFlag returns the flag with system flags in canonical case
// (flags compare case-insensitively).
func CanonicalFlag(f Flag) Flag {
	for _, s := range []Flag{FlagSeen, FlagAnswered, FlagFlagged, FlagDeleted, FlagDraft, FlagRecent, FlagWildcard} {
		if len(f) == len(s) && equalFold(string(f), string(s)) {
			return s
		}
	}
	return f
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// MailboxAttr is a LIST attribute such as \Noselect.
type MailboxAttr string

// Mailbox attributes (RFC 3501, RFC 9051, RFC 6154 special use).
const (
	AttrNoInferiors   MailboxAttr = `\Noinferiors`
	AttrNoSelect      MailboxAttr = `\Noselect`
	AttrMarked        MailboxAttr = `\Marked`
	AttrUnmarked      MailboxAttr = `\Unmarked`
	AttrHasChildren   MailboxAttr = `\HasChildren`
	AttrHasNoChildren MailboxAttr = `\HasNoChildren`
	AttrNonExistent   MailboxAttr = `\NonExistent`
	AttrSubscribed    MailboxAttr = `\Subscribed`
	AttrAll           MailboxAttr = `\All`
	AttrArchive       MailboxAttr = `\Archive`
	AttrDrafts        MailboxAttr = `\Drafts`
	AttrFlagged       MailboxAttr = `\Flagged`
	AttrJunk          MailboxAttr = `\Junk`
	AttrSent          MailboxAttr = `\Sent`
	AttrTrash         MailboxAttr = `\Trash`
)

// ListData is one LIST or LSUB reply.
type ListData struct {
	// Attrs are the mailbox attributes (RFC 3501 §7.2.2 mbx-list-flags,
	// RFC 6154 special-use), e.g. [AttrNoSelect]; nil: none.
	Attrs []MailboxAttr
	// Delim is the hierarchy delimiter (0: none, written as NIL).
	Delim rune
	// Mailbox is the UTF-8 name.
	Mailbox string
	// ChildInfo is the CHILDINFO extended data item (RFC 5258 §3.5): the
	// selection criteria, e.g. "SUBSCRIBED", that descendants of the
	// mailbox meet; nil: none.
	ChildInfo []string
}

// StatusOptions says which STATUS items are asked for.
//
// Each field asks for the status item of the same meaning (RFC 3501
// §6.3.10, RFC 9051 §6.3.11); false: not asked for.
type StatusOptions struct {
	// NumMessages asks for MESSAGES.
	NumMessages bool
	// UIDNext asks for UIDNEXT.
	UIDNext bool
	// UIDValidity asks for UIDVALIDITY.
	UIDValidity bool
	// NumUnseen asks for UNSEEN.
	NumUnseen bool
	// NumRecent asks for RECENT (IMAP4rev1 only).
	NumRecent bool
	// Size asks for SIZE (RFC 8438, RFC 9051).
	Size bool
	// NumDeleted asks for DELETED (RFC 9051).
	NumDeleted bool
	// HighestModSeq asks for HIGHESTMODSEQ (RFC 7162 §3.1.6, CONDSTORE).
	HighestModSeq bool
}

// StatusData is a STATUS reply; nil fields were not asked for.
//
// The items are those of RFC 3501 §7.2.4 and RFC 9051 §7.2.4. UIDNext and
// UIDValidity are not pointers: 0 there means not asked for or not sent.
type StatusData struct {
	// Mailbox is the UTF-8 mailbox name.
	Mailbox string
	// NumMessages is MESSAGES, the number of messages in the mailbox.
	NumMessages *uint32
	// UIDNext is UIDNEXT, the UID the next message will get (at least).
	UIDNext uint32
	// UIDValidity is UIDVALIDITY, the mailbox's UID validity value.
	UIDValidity uint32
	// NumUnseen is UNSEEN, the number of messages without \Seen.
	NumUnseen *uint32
	// NumRecent is RECENT, the number of messages with \Recent.
	NumRecent *uint32
	// Size is SIZE (RFC 8438), the total size of the mailbox in octets.
	Size *int64
	// NumDeleted is DELETED (RFC 9051), the number of messages with
	// \Deleted.
	NumDeleted *uint32
	// HighestModSeq is HIGHESTMODSEQ (RFC 7162 §3.1.6); 0: not asked
	// for, or the mailbox has no mod-sequences.
	HighestModSeq uint64
}

// SelectOptions are the options of SELECT and EXAMINE.
type SelectOptions struct {
	// ReadOnly is set for EXAMINE: the mailbox is opened read-only
	// (RFC 3501 §6.3.2). False: SELECT.
	ReadOnly bool
	// CondStore is the CONDSTORE parameter of SELECT and EXAMINE (RFC
	// 7162 §3.1.8): it enables CONDSTORE on the connection.
	CondStore bool
	// QResync is the QRESYNC parameter (RFC 7162 §3.2.5); nil: none.
	QResync *QResyncParams
}

// QResyncParams is the QRESYNC parameter of SELECT and EXAMINE (RFC 7162
// §3.2.5): what the client knew of the mailbox when it last had it open.
type QResyncParams struct {
	// UIDValidity and ModSeq are the UIDVALIDITY and HIGHESTMODSEQ the
	// client last saw.
	UIDValidity uint32
	ModSeq      uint64
	// KnownUIDs are the UIDs the client knows (nil: all).
	KnownUIDs SeqSet
	// SeqMatchSeqs and SeqMatchUIDs are the optional sequence match data
	// (nil: none): message sequence numbers and the UIDs they had.
	SeqMatchSeqs, SeqMatchUIDs SeqSet
}

// SelectData is what SELECT reports.
//
// The fields are the untagged responses of RFC 3501 §6.3.1.
type SelectData struct {
	// Flags are the flags defined in the mailbox (FLAGS response).
	Flags []Flag
	// PermanentFlags are the flags the client can change permanently
	// (PERMANENTFLAGS response code), including `\*` when new keywords
	// can be created. The server sends an empty list for a read-only
	// mailbox whatever this holds.
	PermanentFlags []Flag
	// NumMessages is the number of messages (EXISTS response).
	NumMessages uint32
	// NumRecent is the number of messages with \Recent (RECENT
	// response).
	NumRecent uint32
	// FirstUnseen is the sequence number of the first unseen message (0:
	// none).
	FirstUnseen uint32
	// UIDNext is the predicted next UID (UIDNEXT response code).
	UIDNext uint32
	// UIDValidity is the UID validity value (UIDVALIDITY response code).
	UIDValidity uint32
	// ReadOnly reports that the mailbox was opened read-only
	// ([READ-ONLY] response code) even if SELECT asked for read-write.
	ReadOnly bool
	// HighestModSeq is the HIGHESTMODSEQ response code (RFC 7162
	// §3.1.2.1) of a session that implements CONDSTORE; 0 means the
	// mailbox has no persistent mod-sequences (NOMODSEQ response code).
	HighestModSeq uint64
}

// AppendOptions are the options of APPEND.
type AppendOptions struct {
	// Flags are the flags to set on the new message (RFC 3501 §6.3.11);
	// nil: none.
	Flags []Flag
	// Time is the internal date (zero: now).
	Time time.Time
}

// AppendData is the result of APPEND (RFC 4315 APPENDUID).
type AppendData struct {
	// UIDValidity is the UID validity value of the destination mailbox.
	UIDValidity uint32
	// UID is the UID of the new message; 0: unknown, and the server sends
	// no APPENDUID response code.
	UID uint32
}

// CopyData is the result of COPY and MOVE (RFC 4315 COPYUID).
type CopyData struct {
	// UIDValidity is the UID validity value of the destination mailbox.
	UIDValidity uint32
	// SourceUIDs are the UIDs of the copied messages in the source
	// mailbox; empty: unknown, and the server sends no COPYUID response
	// code.
	SourceUIDs SeqSet
	// DestUIDs are the UIDs of the copies in the destination mailbox, in
	// the same order as SourceUIDs.
	DestUIDs SeqSet
}

// StoreAction is the operation of STORE.
type StoreAction int

// STORE actions.
const (
	StoreSet    StoreAction = iota // FLAGS
	StoreAdd                       // +FLAGS
	StoreRemove                    // -FLAGS
)

// StoreFlags is the flag change of a STORE command.
//
// It mirrors the store-att-flags of RFC 3501 §6.4.6.
type StoreFlags struct {
	// Action says whether Flags replace, are added to or are removed from
	// the message's flags (FLAGS, +FLAGS, -FLAGS).
	Action StoreAction
	// Silent is set for the .SILENT forms: the server sends no untagged
	// FETCH with the new flags.
	Silent bool
	// Flags are the flags to set, add or remove.
	Flags []Flag
	// UnchangedSince is the UNCHANGEDSINCE modifier (RFC 7162 §3.1.3):
	// a message whose mod-sequence is greater is not changed and is
	// reported in the MODIFIED response code. nil: no modifier (0 is a
	// valid value that fails for every message).
	UnchangedSince *uint64
}

// NumKind says whether numbers in a command are sequence numbers or UIDs.
type NumKind int

// Number kinds.
const (
	NumSeq NumKind = iota
	NumUID
)
