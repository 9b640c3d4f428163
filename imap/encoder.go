package imap

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"
)

// Encoder writes IMAP syntax to a buffered writer. Errors are sticky: the
// first write error is kept and returned by [Encoder.Err] and
// [Encoder.Flush]; later writes do nothing. Methods return the encoder so
// calls can be chained.
//
// An Encoder is not safe for concurrent use.
type Encoder struct {
	w   *bufio.Writer
	err error

	// LiteralPlus makes Literal write non-synchronising literals {n+}
	// (RFC 7888); a client sets it when the server announced LITERAL+.
	LiteralPlus bool
	// WaitContinue, if set, is called after a synchronising literal's
	// header was flushed and before its data is written: a client waits
	// for the server's "+" there.
	WaitContinue func() error
}

// NewEncoder returns an encoder writing to w.
func NewEncoder(w *bufio.Writer) *Encoder { return &Encoder{w: w} }

// Writer returns the underlying writer.
func (e *Encoder) Writer() *bufio.Writer { return e.w }

// Reset makes the encoder write to w and clears any error.
func (e *Encoder) Reset(w *bufio.Writer) { e.w = w; e.err = nil }

// Err returns the first error encountered.
func (e *Encoder) Err() error { return e.err }

// Flush flushes the buffered writer.
func (e *Encoder) Flush() error {
	if e.err == nil {
		e.err = e.w.Flush()
	}
	return e.err
}

// Raw writes s verbatim.
func (e *Encoder) Raw(s string) *Encoder {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
	return e
}

// Byte writes one byte.
func (e *Encoder) Byte(b byte) *Encoder {
	if e.err == nil {
		e.err = e.w.WriteByte(b)
	}
	return e
}

// SP writes a space.
func (e *Encoder) SP() *Encoder { return e.Byte(' ') }

// CRLF ends a line.
func (e *Encoder) CRLF() *Encoder { return e.Raw("\r\n") }

// Atom writes s as an atom; the caller guarantees it is one.
func (e *Encoder) Atom(s string) *Encoder { return e.Raw(s) }

// Number writes a decimal number.
func (e *Encoder) Number(n uint32) *Encoder { return e.Raw(strconv.FormatUint(uint64(n), 10)) }

// Number64 writes a decimal number.
func (e *Encoder) Number64(n int64) *Encoder { return e.Raw(strconv.FormatInt(n, 10)) }

// Nil writes NIL.
func (e *Encoder) Nil() *Encoder { return e.Raw("NIL") }

func quotable(s string) bool {
	if len(s) > 1024 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 0, '\r', '\n':
			return false
		}
	}
	return true
}

// Quoted writes s as a quoted string; s must not contain CR, LF or NUL.
func (e *Encoder) Quoted(s string) *Encoder {
	e.Byte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			e.Byte('\\')
		}
		e.Byte(s[i])
	}
	return e.Byte('"')
}

// String writes s quoted when possible, otherwise as a literal.
func (e *Encoder) String(s string) *Encoder {
	if quotable(s) {
		return e.Quoted(s)
	}
	return e.Literal([]byte(s))
}

// NString writes NIL for an empty s, else String(s).
func (e *Encoder) NString(s string) *Encoder {
	if s == "" {
		return e.Nil()
	}
	return e.String(s)
}

// IsAtom reports whether s can be sent as an atom (ASTRING-CHARs, not
// "NIL").
func IsAtom(s string) bool {
	if s == "" || strings.EqualFold(s, "NIL") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAStringChar(s[i]) {
			return false
		}
	}
	return true
}

// AString writes s as an atom when possible, else as a string.
func (e *Encoder) AString(s string) *Encoder {
	if IsAtom(s) {
		return e.Raw(s)
	}
	return e.String(s)
}

// Mailbox writes a mailbox name (UTF-8) in modified UTF-7 (RFC 3501
// §5.1.3), or as UTF-8 when utf8 is true (RFC 9051 / UTF8=ACCEPT).
func (e *Encoder) Mailbox(name string, utf8 bool) *Encoder {
	if strings.EqualFold(name, "INBOX") {
		return e.Raw("INBOX")
	}
	if !utf8 {
		name = EncodeMailbox(name)
	}
	return e.AString(name)
}

// Literal writes b as a literal.
func (e *Encoder) Literal(b []byte) *Encoder {
	w := e.LiteralWriter(int64(len(b)))
	if e.err == nil {
		_, e.err = w.Write(b)
	}
	return e
}

// LiteralWriter writes the header of a literal of size bytes and returns
// the writer for its data; the caller writes exactly size bytes.
func (e *Encoder) LiteralWriter(size int64) io.Writer {
	e.Byte('{').Number64(size)
	sync := !e.LiteralPlus && e.WaitContinue != nil
	if !sync && e.WaitContinue != nil {
		e.Byte('+')
	}
	e.Raw("}\r\n")
	if sync && e.err == nil {
		if e.err = e.w.Flush(); e.err == nil {
			e.err = e.WaitContinue()
		}
	}
	return (*encWriter)(e)
}

type encWriter Encoder

func (w *encWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.w.Write(p)
	w.err = err
	return n, err
}

// List writes a parenthesised list of n elements, calling item for each.
func (e *Encoder) List(n int, item func(i int)) *Encoder {
	e.Byte('(')
	for i := 0; i < n; i++ {
		if i > 0 {
			e.SP()
		}
		item(i)
	}
	return e.Byte(')')
}

// Flags writes a flag list.
func (e *Encoder) Flags(flags []Flag) *Encoder {
	return e.List(len(flags), func(i int) { e.Raw(string(flags[i])) })
}

// DateTime writes a quoted date-time ("02-Jan-2006 15:04:05 -0700").
func (e *Encoder) DateTime(t time.Time) *Encoder {
	return e.Byte('"').Raw(t.Format(DateTimeLayout)).Byte('"')
}

// DateTimeLayout is the time layout of IMAP date-time values.
const DateTimeLayout = "_2-Jan-2006 15:04:05 -0700"

// DateLayout is the time layout of IMAP date values (SEARCH).
const DateLayout = "2-Jan-2006"
