package mbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"
)

// Envelope is what goes into a message's From_ line.
type Envelope struct {
	// From is the envelope sender (the SMTP MAIL FROM address, without
	// angle brackets). Empty means a bounce and is written as
	// "MAILER-DAEMON", as Postfix and sendmail do.
	From string
	// Date is the delivery time, written in UTC asctime form; zero means
	// WriterOptions.Now.
	Date time.Time
}

// WriterOptions configure a [Writer]. Nil or zero values take defaults.
type WriterOptions struct {
	// Now supplies the date of envelopes without one (default time.Now).
	Now func() time.Time
	// Limits bound the messages written (zero fields take the defaults).
	Limits Limits
}

// Writer writes messages in mboxrd format to an io.Writer. It neither locks
// nor syncs; [Mailbox] does that for files. A Writer is not safe for
// concurrent use.
type Writer struct {
	w      io.Writer
	now    func() time.Time
	limits Limits
}

// NewWriter returns a Writer appending to w.
func NewWriter(w io.Writer, opts *WriterOptions) *Writer {
	wr := &Writer{w: w, now: time.Now}
	if opts != nil {
		if opts.Now != nil {
			wr.now = opts.Now
		}
		wr.limits = opts.Limits
	}
	return wr
}

// maxSenderLen bounds the envelope sender in a From_ line (RFC 5321 path
// limit).
const maxSenderLen = 256

// FromLine formats the From_ line of env (without line end): "From " +
// sender + " " + UTC asctime date, e.g.
// "From alice@example.org Thu Nov 29 17:22:41 2026". A sender containing
// white space, control characters or invalid UTF-8 is an
// [ErrInvalidSender].
func FromLine(env Envelope) (string, error) {
	s := env.From
	if s == "" {
		s = "MAILER-DAEMON"
	}
	if len(s) > maxSenderLen || !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: %q", ErrInvalidSender, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return "", fmt.Errorf("%w: %q", ErrInvalidSender, s)
		}
	}
	return "From " + s + " " + env.Date.UTC().Format("Mon Jan _2 15:04:05 2006"), nil
}

// WriteMessage writes one message: the From_ line, the message from r with
// every line matching ">*From " prefixed by one more '>' (mboxrd quoting),
// a line end if the message lacks a final one, and the empty separator
// line. Line ends are kept as they are (LF or CRLF). It returns the number
// of bytes written to the underlying writer.
//
// A message larger than Limits.MaxMessageSize ([ErrTooLarge]), a line
// longer than Limits.MaxLineLength or a line starting with 16 KiB of '>'
// ([ErrLineTooLong]), a failing r or a done ctx stop the write part way:
// what was written is then garbage that the caller must discard ([Mailbox]
// truncates it away).
func (w *Writer) WriteMessage(ctx context.Context, env Envelope, r io.Reader) (int64, error) {
	if env.Date.IsZero() {
		env.Date = w.now()
	}
	from, err := FromLine(env)
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("mbox: %w", err)
	}
	cw := &countWriter{w: w.w}
	bw := bufio.NewWriterSize(cw, 32<<10)
	_, _ = bw.WriteString(from)
	_ = bw.WriteByte('\n')
	if err := w.copyQuoted(ctx, bw, r); err != nil {
		_ = bw.Flush()
		return cw.n, err
	}
	if err := bw.Flush(); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

func (w *Writer) copyQuoted(ctx context.Context, bw *bufio.Writer, r io.Reader) error {
	br := bufio.NewReaderSize(&ctxReader{ctx: ctx, r: r}, readerBufSize)
	maxLine := w.limits.maxLineLength()
	maxSize := w.limits.maxMessageSize()
	var (
		size        int64
		lineLen     int
		atLineStart      = true
		last        byte = '\n'
	)
	for {
		frag, err := br.ReadSlice('\n')
		partial := errors.Is(err, bufio.ErrBufferFull)
		if err != nil && err != io.EOF && !partial {
			var ce ctxError
			if errors.As(err, &ce) {
				return ce.err
			}
			return fmt.Errorf("mbox: reading message: %w", err)
		}
		if len(frag) > 0 {
			if atLineStart {
				lineLen = 0
				i := 0
				for i < len(frag) && frag[i] == '>' {
					i++
				}
				if i == len(frag) && partial {
					return fmt.Errorf("%w: a line starts with more than %d '>' characters", ErrLineTooLong, readerBufSize-1)
				}
				if bytes.HasPrefix(frag[i:], []byte("From ")) {
					if werr := bw.WriteByte('>'); werr != nil {
						return werr
					}
				}
			}
			lineLen += len(frag)
			size += int64(len(frag))
			if lineLen > maxLine {
				return fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, maxLine)
			}
			if size > maxSize {
				return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxSize)
			}
			if _, werr := bw.Write(frag); werr != nil {
				return werr
			}
			last = frag[len(frag)-1]
			atLineStart = err == nil
		}
		if err == io.EOF {
			break
		}
	}
	if last != '\n' {
		if err := bw.WriteByte('\n'); err != nil {
			return err
		}
	}
	return bw.WriteByte('\n')
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ctxReader fails with the context's error once it is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

type ctxError struct{ err error }

func (e ctxError) Error() string { return e.err.Error() }
func (e ctxError) Unwrap() error { return e.err }

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, ctxError{fmt.Errorf("mbox: %w", err)}
	}
	return c.r.Read(p)
}
