package mbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Format selects how a [Reader] undoes From_ quoting in message bodies.
type Format int

const (
	// FormatMboxrd (the default) removes one '>' from every line matching
	// ">+From ": the inverse of mboxrd quoting, which this package writes.
	FormatMboxrd Format = iota
	// FormatMboxo removes the '>' from lines starting ">From " only. mboxo
	// quoting is ambiguous: an original ">From " line comes back as
	// "From ".
	FormatMboxo
	// FormatRaw leaves bodies exactly as stored (what Python's mailbox
	// module returns).
	FormatRaw
)

// ReaderOptions configure a [Reader]. Nil or zero values take defaults.
type ReaderOptions struct {
	// Format is how bodies are unquoted (default FormatMboxrd).
	Format Format
	// Limits bound lines and messages (zero fields take the defaults).
	Limits Limits
}

// Message is one message of an mbox.
type Message struct {
	// From is the envelope sender of the From_ line ("MAILER-DAEMON" for
	// bounces by convention).
	From string
	// Date is the From_ line's delivery time; zero when it does not parse
	// as asctime.
	Date time.Time
	// FromLine is the whole From_ line without its line end.
	FromLine string
	// Body streams the message (header and body) with the From_ quoting
	// removed as ReaderOptions.Format says, and without the blank line that
	// separates it from the next message. It is valid until the next call
	// of [Reader.Next].
	Body io.Reader
}

// Reader iterates over the messages of an mbox stream. Messages start at
// lines beginning with "From " (RFC 4155); the blank line before each
// From_ line and at the very end is the separator, not message content.
// Content-Length header fields (mboxcl/mboxcl2) are ignored: they are
// unreliable in practice and mboxrd quoting makes them unnecessary, so a
// message is always split at the next From_ line.
//
// Memory use is bounded by Limits.MaxLineLength for From_ lines and a small
// fixed buffer otherwise; bodies are streamed. A Reader is not safe for
// concurrent use.
type Reader struct {
	br       *bufio.Reader
	format   Format
	limits   Limits
	fromLine []byte // From_ line of the next message, nil if none
	started  bool
	eof      bool
	cur      *body
	err      error
}

// readerBufSize is the line fragment size of readers and writers. A line
// whose first fragment consists only of '>' characters is not unquoted or
// quoted (see Writer).
const readerBufSize = 16 << 10

// NewReader returns a Reader reading the mbox r.
func NewReader(r io.Reader, opts *ReaderOptions) *Reader {
	rd := &Reader{br: bufio.NewReaderSize(r, readerBufSize)}
	if opts != nil {
		rd.format = opts.Format
		rd.limits = opts.Limits
	}
	return rd
}

// Next returns the next message, skipping whatever of the previous one was
// not read, or io.EOF after the last. Input that does not start with a
// From_ line (after optional empty lines) is an [ErrFormat]; a From_ line
// longer than Limits.MaxLineLength is an [ErrLineTooLong]. Errors other than
// the limits of a single message's body are permanent.
func (r *Reader) Next() (*Message, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.cur != nil {
		r.cur.skip()
		r.cur = nil
		if r.err != nil {
			return nil, r.err
		}
	}
	if !r.started {
		r.started = true
		if err := r.readFirst(); err != nil {
			r.err = err
			return nil, err
		}
	}
	if r.fromLine == nil {
		return nil, io.EOF
	}
	line := string(r.fromLine)
	r.fromLine = nil
	msg := parseFromLine(line)
	r.cur = &body{r: r, atLineStart: true}
	msg.Body = r.cur
	return msg, nil
}

// readFirst skips leading empty lines and reads the first From_ line.
func (r *Reader) readFirst() error {
	for {
		frag, err := r.br.ReadSlice('\n')
		if len(frag) == 0 && err == io.EOF {
			r.eof = true
			return nil
		}
		if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("mbox: %w", err)
		}
		if err == nil && (string(frag) == "\n" || string(frag) == "\r\n") {
			continue
		}
		if !bytes.HasPrefix(frag, []byte("From ")) {
			return fmt.Errorf("%w: data before the first From_ line", ErrFormat)
		}
		return r.readFromLine(frag, err)
	}
}

// readFromLine completes a From_ line whose first fragment is frag.
func (r *Reader) readFromLine(frag []byte, err error) error {
	max := r.limits.maxLineLength()
	line := append([]byte(nil), frag...)
	for errors.Is(err, bufio.ErrBufferFull) {
		if len(line) > max {
			return fmt.Errorf("%w: From_ line longer than %d bytes", ErrLineTooLong, max)
		}
		frag, err = r.br.ReadSlice('\n')
		line = append(line, frag...)
	}
	if err == io.EOF {
		r.eof = true
	} else if err != nil {
		return fmt.Errorf("mbox: %w", err)
	}
	if len(line) > max {
		return fmt.Errorf("%w: From_ line longer than %d bytes", ErrLineTooLong, max)
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	r.fromLine = line
	return nil
}

var nl = []byte("\n")

// body streams one message.
type body struct {
	r           *Reader
	out, next   []byte // bytes to hand out; next follows out
	atLineStart bool
	heldBlank   bool // an empty line not yet handed out: separator or content
	lineLen     int
	size        int64
	done        bool
	skipping    bool
	err         error // sticky error of this body
}

func (b *body) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.next != nil {
			b.out, b.next = b.next, nil
			continue
		}
		if b.err != nil {
			return 0, b.err
		}
		if b.done {
			return 0, io.EOF
		}
		b.fill()
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// skip discards the rest of the message without applying the limits.
func (b *body) skip() {
	b.skipping = true
	b.out, b.next = nil, nil
	if b.err != nil && !errors.Is(b.err, ErrTooLarge) && !errors.Is(b.err, ErrLineTooLong) {
		return // reader error already recorded
	}
	b.err = nil
	for !b.done && b.err == nil {
		b.fill()
		b.out, b.next = nil, nil
	}
}

// fill reads one line fragment and decides what to hand out.
func (b *body) fill() {
	r := b.r
	if r.eof {
		b.done = true
		return
	}
	frag, err := r.br.ReadSlice('\n')
	partial := errors.Is(err, bufio.ErrBufferFull)
	if err != nil && err != io.EOF && !partial {
		b.err = fmt.Errorf("mbox: %w", err)
		r.err = b.err
		return
	}
	if err == io.EOF {
		r.eof = true
		if len(frag) == 0 {
			b.heldBlank = false // the final separator
			b.done = true
			return
		}
	}
	if b.atLineStart {
		b.lineLen = 0
		if bytes.HasPrefix(frag, []byte("From ")) {
			b.heldBlank = false
			b.done = true
			if ferr := r.readFromLine(frag, err); ferr != nil {
				r.err = ferr
			}
			return
		}
		if err == nil && len(frag) == 1 { // an empty line
			if b.heldBlank {
				b.emit(nl, nil)
			}
			b.heldBlank = true
			return
		}
		frag = b.unquote(frag)
	}
	b.lineLen += len(frag)
	b.atLineStart = err == nil
	var held []byte
	if b.heldBlank {
		held = nl
		b.heldBlank = false
	}
	if held != nil {
		b.emit(held, frag)
	} else {
		b.emit(frag, nil)
	}
	if err == io.EOF {
		b.done = true
	}
	if b.skipping {
		return
	}
	if max := r.limits.maxLineLength(); b.lineLen > max {
		b.fail(fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, max))
	}
}

func (b *body) emit(first, second []byte) {
	b.size += int64(len(first) + len(second))
	b.out, b.next = first, second
	if b.skipping {
		return
	}
	if max := b.r.limits.maxMessageSize(); b.size > max {
		b.fail(fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max))
	}
}

// fail records a limit error; the bytes past the limit are not handed out.
func (b *body) fail(err error) {
	b.err = err
	b.out, b.next = nil, nil
}

// unquote removes From_ quoting from the first fragment of a line.
func (b *body) unquote(frag []byte) []byte {
	switch b.r.format {
	case FormatMboxrd:
		i := 0
		for i < len(frag) && frag[i] == '>' {
			i++
		}
		if i > 0 && bytes.HasPrefix(frag[i:], []byte("From ")) {
			return frag[1:]
		}
	case FormatMboxo:
		if bytes.HasPrefix(frag, []byte(">From ")) {
			return frag[1:]
		}
	}
	return frag
}

// asctime layouts seen in From_ lines.
var fromDateLayouts = []string{
	"Mon Jan _2 15:04:05 2006",
	"Mon Jan _2 15:04:05 MST 2006",
	"Mon Jan _2 15:04:05 -0700 2006",
	"Mon Jan _2 15:04 2006",
}

// parseFromLine splits "From sender date" (line without its line end).
func parseFromLine(line string) *Message {
	msg := &Message{FromLine: line}
	rest := strings.TrimLeft(strings.TrimPrefix(line, "From "), " ")
	sender, date, _ := strings.Cut(rest, " ")
	msg.From = sender
	date = strings.TrimSpace(date)
	for _, layout := range fromDateLayouts {
		if t, err := time.Parse(layout, date); err == nil {
			msg.Date = t
			return msg
		}
	}
	if len(date) > 24 { // trailing "remote from ..." and the like
		if t, err := time.Parse(fromDateLayouts[0], date[:24]); err == nil {
			msg.Date = t
		}
	}
	return msg
}
