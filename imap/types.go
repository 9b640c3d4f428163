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
	Attrs []MailboxAttr
	// Delim is the hierarchy delimiter (0: none, written as NIL).
	Delim rune
	// Mailbox is the UTF-8 name.
	Mailbox string
}

// StatusOptions says which STATUS items are asked for.
type StatusOptions struct {
	NumMessages bool
	UIDNext     bool
	UIDValidity bool
	NumUnseen   bool
	NumRecent   bool
	Size        bool
	NumDeleted  bool
}

// StatusData is a STATUS reply; nil fields were not asked for.
type StatusData struct {
	Mailbox     string
	NumMessages *uint32
	UIDNext     uint32
	UIDValidity uint32
	NumUnseen   *uint32
	NumRecent   *uint32
	Size        *int64
	NumDeleted  *uint32
}

// SelectOptions are the options of SELECT and EXAMINE.
type SelectOptions struct {
	ReadOnly bool
}

// SelectData is what SELECT reports.
type SelectData struct {
	Flags          []Flag
	PermanentFlags []Flag
	NumMessages    uint32
	NumRecent      uint32
	// FirstUnseen is the sequence number of the first unseen message (0:
	// none).
	FirstUnseen uint32
	UIDNext     uint32
	UIDValidity uint32
	ReadOnly    bool
}

// AppendOptions are the options of APPEND.
type AppendOptions struct {
	Flags []Flag
	// Time is the internal date (zero: now).
	Time time.Time
}

// AppendData is the result of APPEND (RFC 4315 APPENDUID).
type AppendData struct {
	UIDValidity uint32
	UID         uint32
}

// CopyData is the result of COPY and MOVE (RFC 4315 COPYUID).
type CopyData struct {
	UIDValidity uint32
	SourceUIDs  SeqSet
	DestUIDs    SeqSet
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
type StoreFlags struct {
	Action StoreAction
	Silent bool
	Flags  []Flag
}

// NumKind says whether numbers in a command are sequence numbers or UIDs.
type NumKind int

// Number kinds.
const (
	NumSeq NumKind = iota
	NumUID
)
