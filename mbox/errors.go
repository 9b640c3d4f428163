package mbox

import "errors"

// Errors returned by this package, found with errors.Is.
var (
	// ErrTooLarge: a message exceeded Limits.MaxMessageSize.
	ErrTooLarge = errors.New("mbox: message too large")
	// ErrLineTooLong: a line exceeded Limits.MaxLineLength.
	ErrLineTooLong = errors.New("mbox: line too long")
	// ErrFormat: the input is not an mbox (data before the first From_ line).
	ErrFormat = errors.New("mbox: not an mbox")
	// ErrInvalidSender: an envelope sender that cannot go into a From_ line.
	ErrInvalidSender = errors.New("mbox: invalid envelope sender")
	// ErrLocked: the mailbox lock could not be taken in time.
	ErrLocked = errors.New("mbox: mailbox is locked")
	// ErrMailboxFull: appending would exceed Limits.MaxMailboxSize.
	ErrMailboxFull = errors.New("mbox: mailbox full")
	// ErrNotRegular: the mailbox path is a symbolic link or not a regular file.
	ErrNotRegular = errors.New("mbox: not a regular file")
	// ErrInvalidUser: a user name that cannot name a spool file.
	ErrInvalidUser = errors.New("mbox: invalid user name")
	// ErrUnsupported: a lock method this platform lacks.
	ErrUnsupported = errors.New("mbox: unsupported on this platform")
	// ErrRollback: an append failed and so did truncating the partial
	// message away; the mailbox may hold a partial last message.
	ErrRollback = errors.New("mbox: rollback of failed append failed")
)
