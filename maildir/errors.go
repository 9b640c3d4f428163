package maildir

import "errors"

// Errors returned by this package, found with errors.Is. They are wrapped
// with context (the key, the path, the underlying *os.PathError).
var (
	// ErrNotFound: no message with that key, or no such folder.
	ErrNotFound = errors.New("maildir: not found")
	// ErrExists: the directory or message file already exists.
	ErrExists = errors.New("maildir: already exists")
	// ErrNotMaildir: a directory lacks tmp/, new/ or cur/.
	ErrNotMaildir = errors.New("maildir: not a Maildir")
	// ErrTooLarge: a message exceeded Limits.MaxMessageSize; nothing was
	// stored.
	ErrTooLarge = errors.New("maildir: message too large")
	// ErrTooMany: a listing exceeded Limits.MaxList.
	ErrTooMany = errors.New("maildir: too many messages")
	// ErrInvalidKey: a message key that cannot be a file name prefix.
	ErrInvalidKey = errors.New("maildir: invalid message key")
	// ErrInvalidInfo: a malformed ":2," info part or flag letter.
	ErrInvalidInfo = errors.New("maildir: invalid info")
	// ErrInvalidName: a malformed folder or mailbox name.
	ErrInvalidName = errors.New("maildir: invalid folder name")
)
