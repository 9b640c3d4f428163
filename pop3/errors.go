package pop3

import (
	"errors"
	"strings"
)

// Response codes (RFC 2449 §8, RFC 3206). They appear in square brackets at
// the start of the text of a negative response, e.g. "-ERR [IN-USE] mailbox
// locked".
const (
	// CodeInUse: the mailbox is locked by another session (RFC 2449 §8.1.2).
	CodeInUse = "IN-USE"
	// CodeLoginDelay: the user logged in too recently (RFC 2449 §8.1.1).
	CodeLoginDelay = "LOGIN-DELAY"
	// CodeSysTemp: a temporary system problem (RFC 3206 §4).
	CodeSysTemp = "SYS/TEMP"
	// CodeSysPerm: a permanent system problem (RFC 3206 §4).
	CodeSysPerm = "SYS/PERM"
	// CodeAuth: the credentials were wrong or may not be used (RFC 3206 §5).
	CodeAuth = "AUTH"
	// CodeUTF8: the mailbox needs UTF-8 support (RFC 6856 §2).
	CodeUTF8 = "UTF8"
)

// Error is a negative ("-ERR") POP3 response. A server sends an *Error
// returned by a Backend, Session or Mailbox (found with errors.As through
// wrapping) as it is; a client returns one for every -ERR it receives.
type Error struct {
	// Code is the response code without brackets (CodeInUse, ...), or ""
	// for none. A code may have several "/"-separated levels.
	Code string
	// Message is the human-readable text after the code. A server sends
	// "error" when it is empty.
	Message string
	// Err is an underlying cause for errors.Is/As; it is never sent.
	Err error
}

// Error formats the response as "pop3: -ERR [CODE] message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("pop3: -ERR")
	if e.Code != "" {
		b.WriteString(" [")
		b.WriteString(e.Code)
		b.WriteString("]")
	}
	if e.Message != "" {
		b.WriteString(" ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is one of the sentinels matching e's code:
// ErrInUse for [IN-USE], ErrAuth for [AUTH], ErrLoginDelay for [LOGIN-DELAY].
func (e *Error) Is(target error) bool {
	switch target {
	case ErrInUse:
		return e.Code == CodeInUse
	case ErrAuth:
		return e.Code == CodeAuth
	case ErrLoginDelay:
		return e.Code == CodeLoginDelay
	}
	return false
}

// Temporary reports whether the response code says the failure is
// temporary ([SYS/TEMP], [IN-USE], [LOGIN-DELAY]).
func (e *Error) Temporary() bool {
	switch strings.ToUpper(e.Code) {
	case CodeSysTemp, CodeInUse, CodeLoginDelay:
		return true
	}
	return false
}

// Sentinel errors. A backend may return ErrInUse, ErrAuth or ErrLoginDelay
// (possibly wrapped) instead of building an *Error; the server then sends
// the matching response code. A client's *Error matches them with errors.Is
// when the server sent the code.
var (
	// ErrInUse: the mailbox is locked by another session ([IN-USE]).
	ErrInUse = errors.New("pop3: mailbox in use")
	// ErrAuth: bad credentials ([AUTH]).
	ErrAuth = errors.New("pop3: authentication failed")
	// ErrLoginDelay: logging in again too soon ([LOGIN-DELAY]).
	ErrLoginDelay = errors.New("pop3: login delay")
)

// Errors of the wire codec and the client.
var (
	// ErrLineTooLong: a command or response line exceeded its limit.
	ErrLineTooLong = errors.New("pop3: line too long")
	// ErrBadResponse: a response line that starts with neither "+OK" nor
	// "-ERR" (or, in SASL, "+ ").
	ErrBadResponse = errors.New("pop3: malformed response")
	// ErrBadCommand: a command line that is not a keyword with arguments.
	ErrBadCommand = errors.New("pop3: malformed command")
	// ErrTooManyLines: a multi-line listing exceeded the client's limit.
	ErrTooManyLines = errors.New("pop3: too many lines in response")
	// ErrBusy: a command was issued while the body of RETR or TOP was
	// still unread.
	ErrBusy = errors.New("pop3: previous message body not closed")
	// ErrClosed: the client was closed or QUIT already.
	ErrClosed = errors.New("pop3: client closed")
	// ErrSTLSUnavailable: the server did not offer STLS or refused it.
	ErrSTLSUnavailable = errors.New("pop3: STLS not available")
	// ErrNoAPOP: the greeting carried no APOP timestamp.
	ErrNoAPOP = errors.New("pop3: server does not offer APOP")
	// ErrServerClosed is returned by Server.Serve after Shutdown or Close.
	ErrServerClosed = errors.New("pop3: server closed")
)
