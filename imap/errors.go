package imap

import (
	"errors"
	"fmt"
)

// ErrUnexpectedEOF is returned when the input ends inside a command or a
// response.
var ErrUnexpectedEOF = errors.New("imap: unexpected end of input")

// SyntaxError reports input that does not follow the IMAP grammar. The
// server answers it with a tagged BAD; the connection survives.
type SyntaxError struct {
	// Msg says what was expected.
	Msg string
}

// Error returns "imap: syntax error: " followed by Msg.
func (e *SyntaxError) Error() string { return "imap: syntax error: " + e.Msg }

func syntaxErr(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...)}
}

// LimitKind names the limit a [LimitError] reports.
type LimitKind int

// Limits a decoder enforces.
const (
	LimitLineLength LimitKind = iota + 1
	LimitLiteralSize
	LimitDepth
	LimitStringSize
	LimitLineLiterals
)

// String returns a short description of the limit, e.g. "line length",
// or "unknown limit" for a value that is not one of the Limit* constants.
func (k LimitKind) String() string {
	switch k {
	case LimitLineLength:
		return "line length"
	case LimitLiteralSize:
		return "literal size"
	case LimitDepth:
		return "nesting depth"
	case LimitStringSize:
		return "string size"
	case LimitLineLiterals:
		return "literals per line"
	}
	return "unknown limit"
}

// LimitError reports input exceeding one of the [Limits]. When Fatal is
// true the stream can no longer be resynchronised (for instance a
// non-synchronising literal that is too large to skip) and the connection
// must be closed.
type LimitError struct {
	// Kind is the limit that was exceeded.
	Kind LimitKind
	// Limit is its configured value.
	Limit int64
	// Fatal means the connection must be closed (see above).
	Fatal bool
}

// Error names the limit and its configured value.
func (e *LimitError) Error() string {
	return fmt.Sprintf("imap: %s exceeds the limit of %d", e.Kind, e.Limit)
}

// IsFatal reports whether err means the input stream cannot be resumed:
// an I/O error or a fatal [LimitError]. Syntax errors and non-fatal limit
// errors are not fatal.
func IsFatal(err error) bool {
	if err == nil {
		return false
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		return false
	}
	var le *LimitError
	if errors.As(err, &le) {
		return le.Fatal
	}
	return true
}
