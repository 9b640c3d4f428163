package smtp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// DataOptions configures a [DataReader]. The zero value is strict: bare CR,
// bare LF and NUL are errors, text lines are limited to [MaxTextLine]
// octets, and there is no size limit.
type DataOptions struct {
	// LineEndings is the policy for bare CR and bare LF; see [LineEndings].
	LineEndings LineEndings
	// MaxLineLength is the longest text line in octets including CRLF and
	// excluding a transparency dot; 0 means [MaxTextLine] (1000), a
	// negative value means no limit.
	MaxLineLength int
	// MaxSize is the largest message in octets (after dot-unstuffing, with
	// CRLF line endings); 0 or negative means no limit.
	MaxSize int64
	// AllowNUL lets NUL octets through as data. By default a NUL is an
	// error ([ErrNUL]); it is never silently dropped.
	AllowNUL bool
}

// reader states
const (
	stBOL   uint8 = iota // at the beginning of a line
	stDot                // BOL, read "." (not yet delivered)
	stDotCR              // BOL, read ".\r"
	stMid                // inside a line
	stCR                 // inside a line, read "\r" (not yet delivered)
	stEOD                // end of data seen
)

// DataReader reads the message data that follows a DATA command (RFC 5321
// §4.1.1.4, §4.5.2). It removes the transparency dot from lines that start
// with ".", and ends at the line "." preceded by CRLF and followed by CRLF;
// nothing else ends the data. Read returns io.EOF after that line has been
// consumed from the underlying reader, leaving any pipelined command behind
// it unread. Errors are sticky, except that after [ErrTooLarge] or
// [ErrLineTooLong] the caller may call [DataReader.Discard] to skip to the
// end of the data and stay in sync with the client.
//
// Under [LineEndingsNormalize] a bare LF is delivered as CRLF and a bare CR
// is delivered as is (as data, never as a line break); under
// [LineEndingsStrict] either is an error. Read works directly on the bufio.Reader's
// buffer and does not allocate. A DataReader is not safe for concurrent use.
type DataReader struct {
	r        *bufio.Reader
	opts     DataOptions
	maxLine  int   // <0: none
	state    uint8 // stXxx
	crlfBOL  bool  // the current line started after a real CRLF (or at the start)
	lineLen  int   // octets of the current line delivered so far
	size     int64 // octets delivered
	pend     [3]byte
	npend    int // pending octets still to deliver, at pend[3-npend:]
	err      error
	noLimits bool // set by Discard
	slowOnly bool // tests: never take the fast path (lines)
}

// NewDataReader returns a reader for the data that follows "354" on r.
func NewDataReader(r *bufio.Reader, opts DataOptions) *DataReader {
	d := &DataReader{}
	d.reset(r, opts)
	return d
}

// reset prepares d for reading a new message from r.
func (d *DataReader) reset(r *bufio.Reader, opts DataOptions) {
	*d = DataReader{r: r, opts: opts, crlfBOL: true}
	switch {
	case opts.MaxLineLength == 0:
		d.maxLine = MaxTextLine
	case opts.MaxLineLength < 0:
		d.maxLine = -1
	default:
		d.maxLine = opts.MaxLineLength
	}
}

// Size returns the number of octets delivered so far.
func (d *DataReader) Size() int64 { return d.size }

// Done reports whether the end of data has been read.
func (d *DataReader) Done() bool { return d.state == stEOD }

// Discard reads and drops the rest of the data up to and including the end
// of data, without size or line-length limits, so that the server can
// answer a too-large message after the client has finished sending it
// (RFC 1870 §6.3). It returns nil once the end of data was consumed, or
// the line-ending, NUL or read error that stopped it (after which the
// connection cannot be resynchronised and should be closed).
func (d *DataReader) Discard() error {
	if errors.Is(d.err, ErrTooLarge) || errors.Is(d.err, ErrLineTooLong) {
		d.err = nil
	}
	d.noLimits = true
	var buf [512]byte
	for {
		_, err := d.Read(buf[:])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Read implements io.Reader.
func (d *DataReader) Read(p []byte) (n int, err error) {
	if d.err != nil {
		return 0, d.err
	}
	if d.state == stEOD {
		return 0, io.EOF
	}
	for n < len(p) {
		if d.npend > 0 {
			k := copy(p[n:], d.pend[len(d.pend)-d.npend:])
			d.npend -= k
			n += k
			continue
		}
		if d.state == stEOD {
			if n > 0 {
				return n, nil
			}
			return 0, io.EOF
		}
		// Look at buffered input; block only when nothing was delivered yet.
		if d.r.Buffered() == 0 && n > 0 {
			return n, nil
		}
		buf, rerr := d.r.Peek(1)
		if len(buf) == 0 {
			if isEOF(rerr) {
				rerr = ErrUnexpectedEOF
			}
			d.err = rerr
			return n, rerr
		}
		buf, _ = d.r.Peek(d.r.Buffered())
		if d.state == stBOL && !d.slowOnly {
			// Whole ordinary lines go out in one copy each.
			if k := d.lines(buf, p[n:]); k > 0 {
				d.r.Discard(k) //nolint:errcheck // k <= Buffered, cannot fail
				n += k
				continue
			}
		}
		k, m, err := d.step(buf, p[n:])
		d.r.Discard(k) //nolint:errcheck // k <= Buffered, cannot fail
		n += m
		if err != nil {
			d.err = err
			return n, err
		}
	}
	return n, nil
}

// step consumes input from in (returning how much) and delivers output to
// out (returning how much), for one state transition or one run of line
// content.
func (d *DataReader) step(in, out []byte) (consumed, delivered int, err error) {
	c := in[0]
	switch d.state {
	case stBOL:
		d.lineLen = 0
		if c == '.' {
			d.state = stDot
			return 1, 0, nil
		}
		d.state = stMid
		return 0, 0, nil
	case stDot:
		switch c {
		case '\r':
			d.state = stDotCR
			return 1, 0, nil
		case '\n':
			// "." ended by a bare LF: never the end of data.
			if d.opts.LineEndings != LineEndingsNormalize {
				return 0, 0, ErrBareLF
			}
			if err := d.account(3, true); err != nil {
				return 0, 0, err
			}
			d.emit(".\r\n")
			d.endLine(false)
			return 1, 0, nil
		}
		// A transparency dot: drop it and go on with the line.
		d.state = stMid
		return 0, 0, nil
	case stDotCR:
		if c == '\n' {
			if d.crlfBOL {
				d.state = stEOD
				return 1, 0, nil
			}
			// Normalize only: "." after a bare LF is data, never the end.
			if err := d.account(3, true); err != nil {
				return 0, 0, err
			}
			d.emit(".\r\n")
			d.endLine(true)
			return 1, 0, nil
		}
		// Normalize: a bare CR is data, so the dot was a transparency dot
		// on a line that goes on with "\r".
		return d.bareCR()
	case stCR:
		if c == '\n' {
			if err := d.account(2, true); err != nil {
				return 0, 0, err
			}
			d.emit("\r\n")
			d.endLine(true)
			return 1, 0, nil
		}
		return d.bareCR()
	}
	// stMid: deliver a run of ordinary octets, up to the next CR or LF.
	switch c {
	case '\r':
		d.state = stCR
		return 1, 0, nil
	case '\n':
		if d.opts.LineEndings != LineEndingsNormalize {
			return 0, 0, ErrBareLF
		}
		if err := d.account(2, true); err != nil {
			return 0, 0, err
		}
		d.emit("\r\n")
		d.endLine(false)
		return 1, 0, nil
	}
	run := in
	if i := bytes.IndexByte(run, '\n'); i >= 0 {
		run = run[:i]
	}
	if i := bytes.IndexByte(run, '\r'); i >= 0 {
		run = run[:i]
	}
	if len(run) > len(out) {
		run = run[:len(out)]
	}
	if !d.opts.AllowNUL {
		if i := bytes.IndexByte(run, 0); i >= 0 {
			if i == 0 {
				return 0, 0, ErrNUL
			}
			run = run[:i]
		}
	}
	if err := d.account(len(run), false); err != nil {
		return 0, 0, err
	}
	copy(out, run)
	return len(run), len(run), nil
}

// lines is the fast path for the common case: it copies complete lines
// from in to out, each ended by CRLF, not starting with a dot, holding no
// other CR (and no NUL unless allowed) and within the limits, and returns
// how many octets it copied (the same count is consumed). It stops at the
// first line that does not qualify or does not fit, which step then
// handles octet by octet with the full rules (and errors).
func (d *DataReader) lines(in, out []byte) int {
	if d.npend > 0 {
		return 0
	}
	n := 0
	for n < len(in) {
		line := in[n:]
		if line[0] == '.' {
			break
		}
		i := bytes.IndexByte(line, '\n')
		if i < 1 || line[i-1] != '\r' {
			break
		}
		l := i + 1
		if n+l > len(out) || (d.maxLine >= 0 && !d.noLimits && l > d.maxLine) ||
			(d.opts.MaxSize > 0 && !d.noLimits && d.size+int64(l) > d.opts.MaxSize) {
			break
		}
		text := line[:i-1]
		if bytes.IndexByte(text, '\r') >= 0 || (!d.opts.AllowNUL && bytes.IndexByte(text, 0) >= 0) {
			break
		}
		copy(out[n:], line[:l])
		n += l
		d.size += int64(l)
	}
	if n > 0 {
		d.lineLen = 0
		d.crlfBOL = true
	}
	return n
}

// account checks the limits before n more octets are delivered; eol says
// whether they end the line (their CRLF counts towards the line length).
func (d *DataReader) account(n int, eol bool) error {
	if !d.noLimits {
		if d.maxLine >= 0 {
			ll := d.lineLen + n
			if !eol {
				ll += 2 // the line's CRLF is still to come
			}
			if ll > d.maxLine {
				return ErrLineTooLong
			}
		}
		if d.opts.MaxSize > 0 && d.size+int64(n) > d.opts.MaxSize {
			return ErrTooLarge
		}
	}
	d.lineLen += n
	d.size += int64(n)
	return nil
}

// emit queues s (at most 3 octets) for delivery.
func (d *DataReader) emit(s string) {
	d.npend = copy(d.pend[len(d.pend)-len(s):], s)
}

func (d *DataReader) endLine(realCRLF bool) {
	d.state = stBOL
	d.crlfBOL = realCRLF
}

func isEOF(err error) bool {
	return err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF)
}

// dotWriter implements [NewDotWriter].
type dotWriter struct {
	w      *bufio.Writer
	own    bool // w was created by NewDotWriter
	bol    bool // at the beginning of a line
	cr     bool // last octet written was a CR whose LF is still to come
	closed bool
}

// NewDotWriter returns a writer that sends message data after a "354"
// reply: it converts every bare CR and bare LF to CRLF (RFC 5321 §2.3.8),
// then doubles a "." at the start of every line (§4.5.2), so the data can
// contain neither a bare line ending nor an early end of data. Close ends
// the last line with CRLF if needed, writes "." CRLF and flushes. If w is a
// *bufio.Writer it is used directly; otherwise writes are buffered.
func NewDotWriter(w io.Writer) io.WriteCloser {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriter(w)
	}
	return &dotWriter{w: bw, own: !ok, bol: true}
}

var errDotWriterClosed = errors.New("smtp: write to closed data writer")

// Write implements io.Writer.
func (d *dotWriter) Write(p []byte) (int, error) {
	if d.closed {
		return 0, errDotWriterClosed
	}
	for i := 0; i < len(p); {
		c := p[i]
		if d.cr {
			d.cr = false
			d.bol = true
			if err := d.w.WriteByte('\n'); err != nil {
				return i, err
			}
			if c == '\n' {
				i++
				continue
			}
			// bare CR: the LF was supplied; reprocess c at BOL.
		}
		if d.bol && c == '.' {
			if _, err := d.w.WriteString(".."); err != nil {
				return i, err
			}
			d.bol = false
			i++
			continue
		}
		switch c {
		case '\r':
			d.cr = true
			if err := d.w.WriteByte('\r'); err != nil {
				return i, err
			}
			i++
			continue
		case '\n':
			d.bol = true
			if _, err := d.w.WriteString("\r\n"); err != nil {
				return i, err
			}
			i++
			continue
		}
		// A run of ordinary octets.
		d.bol = false
		j := i + 1
		for j < len(p) && p[j] != '\r' && p[j] != '\n' {
			j++
		}
		if _, err := d.w.Write(p[i:j]); err != nil {
			return i, err
		}
		i = j
	}
	return len(p), nil
}

// Close implements io.Closer.
func (d *dotWriter) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	var err error
	switch {
	case d.cr:
		_, err = d.w.WriteString("\n.\r\n")
	case d.bol:
		_, err = d.w.WriteString(".\r\n")
	default:
		_, err = d.w.WriteString("\r\n.\r\n")
	}
	if err != nil {
		return err
	}
	return d.w.Flush()
}

// LineChecker finds bare CR and bare LF in data that arrives in pieces of
// any size, such as BDAT chunks (RFC 3030), where no dot-unstuffing
// applies but the same line-ending policy should (Postfix's
// smtpd_forbid_bare_newline = reject also covers BDAT). The zero value is
// ready to use; call [LineChecker.Check] on each piece in order and
// [LineChecker.End] after the last. It does not allocate.
type LineChecker struct {
	cr bool // the previous piece ended in CR
}

// Check reports [ErrBareLF] or [ErrBareCR] for the first bare line ending
// in p, taking the end of the previous piece into account.
func (c *LineChecker) Check(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if c.cr {
		c.cr = false
		if p[0] != '\n' {
			return ErrBareCR
		}
		p = p[1:]
	} else if p[0] == '\n' {
		return ErrBareLF
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		if j := bytes.IndexByte(seg, '\r'); j >= 0 && j != len(seg)-1 {
			return ErrBareCR
		}
		if i < 0 {
			c.cr = len(seg) > 0 && seg[len(seg)-1] == '\r'
			return nil
		}
		if i == 0 || p[i-1] != '\r' {
			return ErrBareLF
		}
		p = p[i+1:]
	}
	return nil
}

// End reports [ErrBareCR] when the data ended in a CR.
func (c *LineChecker) End() error {
	if c.cr {
		c.cr = false
		return ErrBareCR
	}
	return nil
}

// bareCR handles a CR not followed by LF: an error unless the policy is
// LineEndingsNormalize, which keeps it as data (Postfix does the same).
func (d *DataReader) bareCR() (int, int, error) {
	if d.opts.LineEndings != LineEndingsNormalize {
		return 0, 0, ErrBareCR
	}
	if err := d.account(1, false); err != nil {
		return 0, 0, err
	}
	d.emit("\r")
	d.state = stMid
	return 0, 0, nil
}
