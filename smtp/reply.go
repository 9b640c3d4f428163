package smtp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mailkit-go/mailkit/esmtp"
)

// ErrMalformedReply is wrapped by [ReadReply] errors for input that is not a
// well-formed SMTP reply (RFC 5321 §4.2).
var ErrMalformedReply = errors.New("smtp: malformed reply")

// Error is an SMTP reply used as an error: a server Session returns one to
// choose the reply sent to the client, and the client returns one for every
// 4xx/5xx reply it receives. It is found through wrapping with errors.As.
type Error struct {
	// Code is the three-digit reply code (RFC 5321 §4.2).
	Code int
	// Enhanced is the RFC 3463 enhanced status code; zero when absent.
	Enhanced EnhancedCode
	// Message is the reply text without code and enhanced code; lines of a
	// multiline reply are joined with "\n".
	Message string
	// Err is the underlying cause, if any. It is never sent to the peer.
	Err error
}

// Error returns "smtp: <code> <enhanced> <message>".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("smtp: ")
	b.WriteString(strconv.Itoa(e.Code))
	if !e.Enhanced.IsZero() {
		b.WriteByte(' ')
		b.WriteString(e.Enhanced.String())
	}
	if e.Message != "" {
		b.WriteByte(' ')
		b.WriteString(e.Message)
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether the reply is a transient failure (4xx).
func (e *Error) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// Permanent reports whether the reply is a permanent failure (5xx).
func (e *Error) Permanent() bool { return e.Code >= 500 && e.Code < 600 }

// Lines splits Message into reply lines.
func (e *Error) Lines() []string {
	if e.Message == "" {
		return nil
	}
	return strings.Split(e.Message, "\n")
}

// Reply is a parsed SMTP reply.
type Reply struct {
	// Code is the three-digit reply code, the same on every line.
	Code int
	// Enhanced is the RFC 2034 enhanced status code when every line of the
	// reply starts with the same one, whose class matches the first digit
	// of Code; otherwise zero and the codes stay in Lines.
	Enhanced EnhancedCode
	// Lines are the texts of the reply lines, without the code, the
	// separator, the enhanced code and CRLF. A reply line without text
	// yields "".
	Lines []string
}

// Message returns Lines joined with "\n".
func (r *Reply) Message() string { return strings.Join(r.Lines, "\n") }

// Positive reports whether the code is 2xx or 3xx.
func (r *Reply) Positive() bool { return r.Code >= 200 && r.Code < 400 }

// Err returns nil for a 1xx, 2xx or 3xx reply, and an [*Error] otherwise.
func (r *Reply) Err() error {
	if r.Code < 400 {
		return nil
	}
	return &Error{Code: r.Code, Enhanced: r.Enhanced, Message: r.Message()}
}

// String returns the reply in wire form, with CRLF line endings.
func (r *Reply) String() string {
	return string(AppendReply(nil, r.Code, r.Enhanced, r.Lines...))
}

// ReadReply reads one (possibly multiline) reply. Every line must be
// "ddd-text" except the last, "ddd text" or just "ddd"; all codes must be
// equal and in 200-599 (or 1xx, which RFC 5321 reserves but allows to be
// parsed). Lines are at most [MaxReplyLine] octets and a reply at most
// [MaxReplyLines] lines. Line endings follow [LineEndingsNormalize]: a reply line
// ending in a bare LF is accepted (the client side is lenient), a bare CR
// is not.
//
// Errors wrap [ErrMalformedReply], [ErrLineTooLong] or [ErrUnexpectedEOF];
// io.EOF is returned as is when the connection closes before a reply
// starts.
func ReadReply(r *bufio.Reader) (*Reply, error) {
	var (
		rep   Reply
		codes []string
		texts []string
	)
	for n := 0; ; n++ {
		if n >= MaxReplyLines {
			return nil, fmt.Errorf("%w: more than %d lines", ErrMalformedReply, MaxReplyLines)
		}
		line, err := ReadLine(r, MaxReplyLine, LineEndingsNormalize)
		if err != nil {
			if n > 0 && err == io.EOF {
				return nil, ErrUnexpectedEOF
			}
			if errors.Is(err, ErrBareCR) {
				return nil, fmt.Errorf("%w: %w", ErrMalformedReply, err)
			}
			return nil, err
		}
		line = trimEOL(line)
		code, last, text, err := parseReplyLine(line)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			rep.Code = code
		} else if code != rep.Code {
			return nil, fmt.Errorf("%w: code %d on a continuation of %d", ErrMalformedReply, code, rep.Code)
		}
		texts = append(texts, text)
		if last {
			break
		}
	}
	// Enhanced status codes: only when every line has the same one and its
	// class matches the reply (RFC 3463 §2, RFC 2034 §4).
	var enh EnhancedCode
	ok := rep.Code >= 200
	codes = make([]string, len(texts))
	for i, t := range texts {
		c, rest, has := esmtp.SplitEnhancedCode(t)
		if !has || c.Class != rep.Code/100 || (i > 0 && c != enh) {
			ok = false
			break
		}
		enh = c
		codes[i] = rest
	}
	if ok {
		rep.Enhanced = enh
		rep.Lines = codes
	} else {
		rep.Lines = texts
	}
	return &rep, nil
}

// parseReplyLine parses "ddd[-| ]text" or "ddd".
func parseReplyLine(line []byte) (code int, last bool, text string, err error) {
	if len(line) < 3 {
		return 0, false, "", fmt.Errorf("%w: short line %q", ErrMalformedReply, line)
	}
	for _, c := range line[:3] {
		if c < '0' || c > '9' {
			return 0, false, "", fmt.Errorf("%w: bad code in %q", ErrMalformedReply, truncate(line))
		}
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if line[0] < '1' || line[0] > '5' || line[1] > '5' {
		return 0, false, "", fmt.Errorf("%w: code %d out of range", ErrMalformedReply, code)
	}
	if len(line) == 3 {
		return code, true, "", nil
	}
	switch line[3] {
	case ' ':
		last = true
	case '-':
	default:
		return 0, false, "", fmt.Errorf("%w: bad separator in %q", ErrMalformedReply, truncate(line))
	}
	for _, c := range line[4:] {
		if c == 0 {
			return 0, false, "", fmt.Errorf("%w: NUL in reply", ErrMalformedReply)
		}
	}
	return code, last, string(line[4:]), nil
}

func truncate(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// WriteReply writes a reply to w: every line but the last as
// "code-enhanced text", the last as "code enhanced text", each ended with
// CRLF. A zero enh is omitted. With no lines it writes "code enhanced" (or
// just "code"). CR and LF inside a line are replaced by spaces, so a reply
// text can never inject a line. WriteReply does not flush w.
func WriteReply(w *bufio.Writer, code int, enh EnhancedCode, lines ...string) error {
	var buf [256]byte
	b := AppendReply(buf[:0], code, enh, lines...)
	_, err := w.Write(b)
	return err
}

// AppendReply appends the wire form of a reply to b; see [WriteReply].
func AppendReply(b []byte, code int, enh EnhancedCode, lines ...string) []byte {
	if len(lines) == 0 {
		lines = []string{""}
	}
	for i, l := range lines {
		b = appendCode(b, code)
		if i < len(lines)-1 {
			b = append(b, '-')
		} else {
			b = append(b, ' ')
		}
		if !enh.IsZero() {
			b = enh.Append(b)
			if l != "" {
				b = append(b, ' ')
			}
		}
		for j := 0; j < len(l); j++ {
			c := l[j]
			if c == '\r' || c == '\n' {
				c = ' '
			}
			b = append(b, c)
		}
		if l == "" && enh.IsZero() && i == len(lines)-1 {
			b = b[:len(b)-1] // "250" without trailing space
		}
		b = append(b, '\r', '\n')
	}
	return b
}

func appendCode(b []byte, code int) []byte {
	if code < 100 || code > 999 {
		return strconv.AppendInt(b, int64(code), 10)
	}
	return append(b, byte('0'+code/100), byte('0'+code/10%10), byte('0'+code%10))
}
