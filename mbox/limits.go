package mbox

// Default limits.
const (
	DefaultMaxMessageSize = 64 << 20 // 64 MiB
	DefaultMaxLineLength  = 1 << 20  // 1 MiB
)

// Limits bound what readers accept and writers store. Zero fields take the
// defaults.
type Limits struct {
	// MaxMessageSize is the largest message body in bytes (default
	// DefaultMaxMessageSize): a Reader's message body fails with
	// ErrTooLarge past it; a Writer refuses the message.
	MaxMessageSize int64
	// MaxLineLength is the longest line in bytes, line end included
	// (default DefaultMaxLineLength, far above RFC 5322's 1000 because real
	// mail breaks that), ErrLineTooLong. Lines are streamed, so memory use
	// does not grow with it, except for From_ lines which are kept.
	MaxLineLength int
	// MaxMailboxSize, when positive, is the largest mailbox file an append
	// may produce (like Postfix's mailbox_size_limit), ErrMailboxFull.
	// Zero means no limit.
	MaxMailboxSize int64
}

func (l Limits) maxMessageSize() int64 {
	if l.MaxMessageSize > 0 {
		return l.MaxMessageSize
	}
	return DefaultMaxMessageSize
}

func (l Limits) maxLineLength() int {
	if l.MaxLineLength > 0 {
		return l.MaxLineLength
	}
	return DefaultMaxLineLength
}
