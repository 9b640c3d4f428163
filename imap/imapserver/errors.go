package imapserver

import "fmt"

// StatusType is the status of a reply.
type StatusType string

// Reply statuses.
const (
	StatusOK  StatusType = "OK"
	StatusNO  StatusType = "NO"
	StatusBAD StatusType = "BAD"
	StatusBYE StatusType = "BYE"
)

// Error is a reply chosen by a backend: the status (NO or BAD; BYE closes
// the connection), an optional response code such as "TRYCREATE" (RFC
// 5530) and human-readable text. Err is for the log only.
type Error struct {
	// Type is the status of the tagged reply; empty means [StatusNO].
	// [StatusBYE] sends "* BYE Text", answers the command NO and ends the
	// connection.
	Type StatusType
	// Code is the response code without brackets (RFC 3501 §7.1, RFC
	// 5530), e.g. "TRYCREATE"; empty: none.
	Code string
	// Text is the human-readable text of the reply; empty: "<command>
	// completed". Control characters are removed before it is sent.
	Text string
	// Err is the underlying cause, logged and returned by [Error.Unwrap]
	// but never sent to the client; may be nil.
	Err error
}

// Error formats the reply as "imapserver: TYPE [CODE] text: err" (the
// code and cause only when set).
func (e *Error) Error() string {
	s := "imapserver: " + string(e.Type)
	if e.Code != "" {
		s += " [" + e.Code + "]"
	}
	s += " " + e.Text
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Is matches errors with the same type and code, so that errors.Is(err,
// ErrNoSuchMailbox) holds for any NO [NONEXISTENT].
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Type == e.Type && t.Code == e.Code && t.Code != ""
}

// Errorf returns a NO reply with a response code.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Type: StatusNO, Code: code, Text: fmt.Sprintf(format, args...)}
}

// Common replies for backends (RFC 5530 response codes).
var (
	ErrNoSuchMailbox  = &Error{Type: StatusNO, Code: "NONEXISTENT", Text: "No such mailbox"}
	ErrMailboxExists  = &Error{Type: StatusNO, Code: "ALREADYEXISTS", Text: "Mailbox already exists"}
	ErrAuthFailed     = &Error{Type: StatusNO, Code: "AUTHENTICATIONFAILED", Text: "Authentication failed"}
	ErrReadOnly       = &Error{Type: StatusNO, Code: "READ-ONLY", Text: "Mailbox is read-only"}
	ErrNoPerm         = &Error{Type: StatusNO, Code: "NOPERM", Text: "Permission denied"}
	ErrCannot         = &Error{Type: StatusNO, Code: "CANNOT", Text: "Operation not permitted"}
	ErrTooBig         = &Error{Type: StatusNO, Code: "TOOBIG", Text: "Message too big"}
	ErrOverQuota      = &Error{Type: StatusNO, Code: "OVERQUOTA", Text: "Quota exceeded"}
	ErrInUse          = &Error{Type: StatusNO, Code: "INUSE", Text: "Mailbox in use"}
	ErrNoSuchMessages = &Error{Type: StatusNO, Code: "NONEXISTENT", Text: "No matching messages"}
)
