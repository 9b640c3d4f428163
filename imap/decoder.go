package imap

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// Limits bounds what a [Decoder] accepts. Zero fields mean the defaults.
type Limits struct {
	// MaxLineLength bounds the bytes of one command or response line
	// outside literals, counted over the whole command or response when
	// literals split it into several lines (default 64 KiB; RFC 7162
	// recommends at least 8000).
	MaxLineLength int
	// MaxLiteralSize bounds a streamed literal such as an APPEND message
	// (default 64 MiB).
	MaxLiteralSize int64
	// MaxStringSize bounds a literal read into memory as a string, e.g. a
	// mailbox name or a search key (default 64 KiB).
	MaxStringSize int
	// MaxDepth bounds the nesting of parenthesised lists (default 32).
	MaxDepth int
	// MaxLineLiterals bounds the total size of the literals of one line
	// read into memory (default 8 MiB), so that a line of many literals,
	// each within MaxStringSize, cannot exhaust memory. Streamed literals
	// ([Decoder.Literal]) do not count.
	MaxLineLiterals int64
}

func (l Limits) lineLiterals() int64 {
	if l.MaxLineLiterals <= 0 {
		return 8 << 20
	}
	return l.MaxLineLiterals
}

func (l Limits) lineLen() int {
	if l.MaxLineLength <= 0 {
		return 64 << 10
	}
	return l.MaxLineLength
}

func (l Limits) literalSize() int64 {
	if l.MaxLiteralSize <= 0 {
		return 64 << 20
	}
	return l.MaxLiteralSize
}

func (l Limits) stringSize() int {
	if l.MaxStringSize <= 0 {
		return 64 << 10
	}
	return l.MaxStringSize
}

func (l Limits) depth() int {
	if l.MaxDepth <= 0 {
		return 32
	}
	return l.MaxDepth
}

// Decoder is a streaming tokenizer for IMAP commands and responses. Callers
// read one line element by element with the typed methods and finish it
// with [Decoder.CRLF]; after an error that is not fatal ([IsFatal]),
// [Decoder.DiscardLine] skips to the start of the next line.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	r      *bufio.Reader
	lim    Limits
	n      int   // non-literal bytes of the current line
	litMem int64 // bytes of in-memory literals of the current line
	depth  int

	// Continue, if set, is called when a synchronising literal {n} has been
	// announced and before its data is read: a server sends its "+"
	// continuation request there. It is not called for {n+} literals.
	Continue func(size int64) error
	// CheckLiteral, if set, is called with the size of every literal
	// before it is read (and before Continue): an error refuses it.
	CheckLiteral func(size int64, sync bool) error

	lit *literalReader
	// lit8 records whether the last literal header was a literal8.
	lit8 bool
}

// NewDecoder returns a decoder reading r with the given limits (nil: defaults).
func NewDecoder(r *bufio.Reader, lim *Limits) *Decoder {
	d := &Decoder{r: r}
	if lim != nil {
		d.lim = *lim
	}
	return d
}

// Reader returns the underlying buffered reader.
func (d *Decoder) Reader() *bufio.Reader { return d.r }

// Reset makes the decoder read from r and forgets the current line.
func (d *Decoder) Reset(r *bufio.Reader) {
	d.r = r
	d.n = 0
	d.litMem = 0
	d.depth = 0
	d.lit = nil
}

// Limits returns the limits in effect (zero fields replaced by defaults).
func (d *Decoder) Limits() Limits {
	return Limits{
		MaxLineLength:   d.lim.lineLen(),
		MaxLiteralSize:  d.lim.literalSize(),
		MaxStringSize:   d.lim.stringSize(),
		MaxDepth:        d.lim.depth(),
		MaxLineLiterals: d.lim.lineLiterals(),
	}
}

func (d *Decoder) eof(err error) error {
	if err == io.EOF {
		return ErrUnexpectedEOF
	}
	return err
}

func (d *Decoder) drainLiteral() error {
	if d.lit != nil {
		if d.lit.n > 0 {
			if _, err := io.Copy(io.Discard, d.lit); err != nil {
				return err
			}
		}
		d.lit = nil
	}
	return nil
}

// Peek returns the next byte without consuming it.
func (d *Decoder) Peek() (byte, error) {
	if err := d.drainLiteral(); err != nil {
		return 0, err
	}
	if d.n >= d.lim.lineLen() {
		// Nothing more fits on this line: report the limit here rather
		// than let a look-ahead turn it into a syntax error.
		return 0, &LimitError{Kind: LimitLineLength, Limit: int64(d.lim.lineLen())}
	}
	b, err := d.r.Peek(1)
	if err != nil {
		return 0, d.eof(err)
	}
	return b[0], nil
}

func (d *Decoder) readByte() (byte, error) {
	if err := d.drainLiteral(); err != nil {
		return 0, err
	}
	if d.n >= d.lim.lineLen() {
		return 0, &LimitError{Kind: LimitLineLength, Limit: int64(d.lim.lineLen())}
	}
	b, err := d.r.ReadByte()
	if err != nil {
		return 0, d.eof(err)
	}
	d.n++
	return b, nil
}

// atLiteral reports whether a literal ({ or ~{) starts here.
func (d *Decoder) atLiteral() bool {
	b, err := d.r.Peek(2)
	if len(b) == 0 || (err != nil && len(b) < 1) {
		return false
	}
	if b[0] == '{' {
		return true
	}
	return b[0] == '~' && len(b) == 2 && b[1] == '{'
}

func (d *Decoder) unread() {
	_ = d.r.UnreadByte()
	d.n--
}

// Expect consumes byte c or fails with a syntax error.
func (d *Decoder) Expect(c byte) error {
	b, err := d.readByte()
	if err != nil {
		return err
	}
	if b != c {
		d.unread()
		return syntaxErr("expected %q, got %q", c, b)
	}
	return nil
}

// Accept consumes byte c if it comes next and reports whether it did.
func (d *Decoder) Accept(c byte) bool {
	b, err := d.Peek()
	if err != nil || b != c {
		return false
	}
	_, err = d.readByte()
	return err == nil
}

// SP consumes one space.
func (d *Decoder) SP() error { return d.Expect(' ') }

// CRLF consumes the end of the line (a bare LF is tolerated) and resets
// the per-line counters.
func (d *Decoder) CRLF() error {
	b, err := d.readByte()
	if err != nil {
		return err
	}
	if b == '\r' {
		b, err = d.readByte()
		if err != nil {
			return err
		}
	}
	if b != '\n' {
		d.unread()
		return syntaxErr("expected end of line, got %q", b)
	}
	d.n = 0
	d.litMem = 0
	d.depth = 0
	return nil
}

// HasPrefixFold reports whether the next bytes are s (ASCII
// case-insensitive) without consuming them. It reads ahead only while the
// bytes seen so far match, so it does not wait for input past a line end
// that comes before len(s) bytes.
func (d *Decoder) HasPrefixFold(s string) bool {
	if d.drainLiteral() != nil {
		return false
	}
	for k := 1; k <= len(s); k++ {
		b, err := d.r.Peek(k)
		if err != nil || len(b) < k {
			return false
		}
		if !equalFold(string(b[k-1:k]), s[k-1:k]) {
			return false
		}
	}
	return true
}

// AtEOL reports whether the next bytes end the line.
func (d *Decoder) AtEOL() bool {
	b, err := d.Peek()
	return err == nil && (b == '\r' || b == '\n')
}

// DiscardLine skips the rest of the current line, including the data of
// non-synchronising literals announced on it (at most MaxLiteralSize
// bytes each). Synchronising literals were never sent by a peer waiting
// for a continuation, so they are not skipped.
func (d *Decoder) DiscardLine() error {
	if err := d.drainLiteral(); err != nil {
		return err
	}
	var tail []byte
	total := 0
	for {
		b, err := d.r.ReadByte()
		if err != nil {
			return d.eof(err)
		}
		total++
		if total > d.lim.lineLen()*4 {
			return &LimitError{Kind: LimitLineLength, Limit: int64(d.lim.lineLen()), Fatal: true}
		}
		if b != '\n' {
			tail = append(tail, b)
			if len(tail) > 32 {
				tail = tail[len(tail)-32:]
			}
			continue
		}
		// A line ending in {n+}: skip the literal and go on.
		t := strings.TrimSuffix(string(tail), "\r")
		if strings.HasSuffix(t, "+}") {
			if i := strings.LastIndexByte(t, '{'); i >= 0 {
				if n, err := strconv.ParseInt(t[i+1:len(t)-2], 10, 64); err == nil && n >= 0 {
					if n > d.lim.literalSize() {
						return &LimitError{Kind: LimitLiteralSize, Limit: d.lim.literalSize(), Fatal: true}
					}
					if _, err := io.CopyN(io.Discard, d.r, n); err != nil {
						return d.eof(err)
					}
					tail = tail[:0]
					continue
				}
			}
		}
		d.n = 0
		d.litMem = 0
		d.depth = 0
		return nil
	}
}

// Character classes of RFC 3501 §9.

func isAtomChar(b byte) bool {
	if b <= 0x1f || b >= 0x7f {
		return false
	}
	switch b {
	case '(', ')', '{', ' ', '%', '*', '"', '\\', ']':
		return false
	}
	return true
}

func isAStringChar(b byte) bool { return isAtomChar(b) || b == ']' }

func isTagChar(b byte) bool { return isAStringChar(b) && b != '+' }

func isListChar(b byte) bool { return isAStringChar(b) || b == '%' || b == '*' }

func (d *Decoder) readWhile(pred func(byte) bool) (string, error) {
	var sb strings.Builder
	for {
		b, err := d.Peek()
		if err != nil {
			if sb.Len() > 0 && err == ErrUnexpectedEOF {
				return sb.String(), nil
			}
			return sb.String(), err
		}
		if !pred(b) {
			return sb.String(), nil
		}
		if _, err := d.readByte(); err != nil {
			return "", err
		}
		sb.WriteByte(b)
	}
}

// Atom reads an atom (at least one ATOM-CHAR).
func (d *Decoder) Atom() (string, error) {
	s, err := d.readWhile(isAtomChar)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", d.unexpected("atom")
	}
	return s, nil
}

// Tag reads a command tag.
func (d *Decoder) Tag() (string, error) {
	s, err := d.readWhile(isTagChar)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", d.unexpected("tag")
	}
	return s, nil
}

// Word reads the longest run of bytes satisfying pred (possibly empty).
func (d *Decoder) Word(pred func(byte) bool) (string, error) { return d.readWhile(pred) }

func (d *Decoder) unexpected(what string) error {
	b, err := d.Peek()
	if err != nil {
		return err
	}
	return syntaxErr("expected %s, got %q", what, b)
}

// Number reads an unsigned 32-bit number.
func (d *Decoder) Number() (uint32, error) {
	n, err := d.Number64()
	if err != nil {
		return 0, err
	}
	if n > 0xffffffff {
		return 0, syntaxErr("number %d out of range", n)
	}
	return uint32(n), nil
}

// Number64 reads an unsigned 63-bit number.
func (d *Decoder) Number64() (int64, error) {
	s, err := d.readWhile(func(b byte) bool { return b >= '0' && b <= '9' })
	if err != nil {
		return 0, err
	}
	if s == "" {
		return 0, d.unexpected("number")
	}
	n, perr := strconv.ParseInt(s, 10, 64)
	if perr != nil {
		return 0, syntaxErr("number %q out of range", s)
	}
	return n, nil
}

// Quoted reads a quoted string. UTF-8 is accepted (RFC 9051).
func (d *Decoder) Quoted() (string, error) {
	if err := d.Expect('"'); err != nil {
		return "", err
	}
	var sb strings.Builder
	for {
		b, err := d.readByte()
		if err != nil {
			return "", err
		}
		switch b {
		case '"':
			return sb.String(), nil
		case '\\':
			b, err = d.readByte()
			if err != nil {
				return "", err
			}
			if b != '"' && b != '\\' {
				return "", syntaxErr("bad escape %q in quoted string", b)
			}
		case '\r', '\n', 0:
			d.unread()
			return "", syntaxErr("%q in quoted string", b)
		}
		sb.WriteByte(b)
	}
}

// literalHeader reads "{n}" / "{n+}" / "~{n}" and the line break after it.
func (d *Decoder) literalHeader() (size int64, sync bool, err error) {
	d.lit8 = d.Accept('~') // RFC 3516 literal8, read like a literal
	if err := d.Expect('{'); err != nil {
		return 0, false, err
	}
	size, err = d.Number64()
	if err != nil {
		return 0, false, err
	}
	sync = !d.Accept('+')
	if err := d.Expect('}'); err != nil {
		return 0, false, err
	}
	// The line break after a literal header does not end the command:
	// its length, nesting and literal budget carry on.
	n, depth, mem := d.n, d.depth, d.litMem
	if err := d.CRLF(); err != nil {
		return 0, false, err
	}
	d.n, d.depth, d.litMem = n+2, depth, mem
	return size, sync, nil
}

func (d *Decoder) startLiteral(size int64, sync bool, max int64, kind LimitKind) error {
	if size > max {
		// A synchronising literal was never sent; a non-synchronising one
		// is on its way and too big to skip safely.
		return &LimitError{Kind: kind, Limit: max, Fatal: !sync}
	}
	if d.CheckLiteral != nil {
		if err := d.CheckLiteral(size, sync); err != nil {
			if !sync {
				if _, derr := io.CopyN(io.Discard, d.r, size); derr != nil {
					return d.eof(derr)
				}
			}
			return err
		}
	}
	if sync && d.Continue != nil {
		if err := d.Continue(size); err != nil {
			return err
		}
	}
	return nil
}

// LiteralString reads a literal into memory (bounded by MaxStringSize).
func (d *Decoder) LiteralString() (string, error) {
	size, sync, err := d.literalHeader()
	if err != nil {
		return "", err
	}
	if d.litMem+size > d.lim.lineLiterals() && size <= int64(d.lim.stringSize()) {
		// A synchronising literal was never sent; a non-synchronising one
		// is on its way after others already held: give up.
		return "", &LimitError{Kind: LimitLineLiterals, Limit: d.lim.lineLiterals(), Fatal: !sync}
	}
	if err := d.startLiteral(size, sync, int64(d.lim.stringSize()), LimitStringSize); err != nil {
		return "", err
	}
	d.litMem += size
	buf := make([]byte, size)
	if _, err := io.ReadFull(d.r, buf); err != nil {
		return "", d.eof(err)
	}
	return string(buf), nil
}

// Literal reads a literal header and returns a reader for its data and
// its size (bounded by MaxLiteralSize). The data must be consumed before
// the next call on the decoder; anything left unread is discarded then.
func (d *Decoder) Literal() (io.Reader, int64, error) {
	size, sync, err := d.literalHeader()
	if err != nil {
		return nil, 0, err
	}
	if err := d.startLiteral(size, sync, d.lim.literalSize(), LimitLiteralSize); err != nil {
		return nil, 0, err
	}
	d.lit = &literalReader{r: d.r, n: size}
	return d.lit, size, nil
}

// LiteralBinary reports whether the last literal read was a literal8
// ("~{n}", RFC 3516), which may hold NUL octets.
func (d *Decoder) LiteralBinary() bool { return d.lit8 }

type literalReader struct {
	r *bufio.Reader
	n int64
}

func (l *literalReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if err == io.EOF {
		err = ErrUnexpectedEOF
	}
	return n, err
}

// String reads a quoted string or a literal.
func (d *Decoder) String() (string, error) {
	b, err := d.Peek()
	if err != nil {
		return "", err
	}
	if b == '"' {
		return d.Quoted()
	}
	if d.atLiteral() {
		return d.LiteralString()
	}
	return "", d.unexpected("string")
}

// AString reads an atom (ASTRING-CHAR, "]" allowed), a quoted string or a
// literal.
func (d *Decoder) AString() (string, error) {
	b, err := d.Peek()
	if err != nil {
		return "", err
	}
	if b == '"' || d.atLiteral() {
		return d.String()
	}
	s, err := d.readWhile(isAStringChar)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", d.unexpected("astring")
	}
	return s, nil
}

// NString reads NIL (ok false) or a string.
func (d *Decoder) NString() (s string, ok bool, err error) {
	b, err := d.Peek()
	if err != nil {
		return "", false, err
	}
	if b == 'N' || b == 'n' {
		a, err := d.Atom()
		if err != nil {
			return "", false, err
		}
		if !strings.EqualFold(a, "NIL") {
			return "", false, syntaxErr("expected NIL or string, got %q", a)
		}
		return "", false, nil
	}
	s, err = d.String()
	return s, err == nil, err
}

// ListMailbox reads a LIST pattern: an astring that may contain % and *.
func (d *Decoder) ListMailbox() (string, error) {
	b, err := d.Peek()
	if err != nil {
		return "", err
	}
	if b == '"' || d.atLiteral() {
		return d.String()
	}
	s, err := d.readWhile(isListChar)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", d.unexpected("list-mailbox")
	}
	return s, nil
}

// List reads a parenthesised list, calling item for each element.
// item must consume exactly one element; the spaces between elements are
// handled here. An empty list is allowed.
func (d *Decoder) List(item func() error) error {
	if err := d.Expect('('); err != nil {
		return err
	}
	d.depth++
	if d.depth > d.lim.depth() {
		return &LimitError{Kind: LimitDepth, Limit: int64(d.lim.depth())}
	}
	if d.Accept(')') {
		d.depth--
		return nil
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if d.Accept(')') {
			d.depth--
			return nil
		}
		if b, err := d.Peek(); err == nil && b == '(' {
			continue // body-type-mpart: parts are not separated by spaces
		}
		if err := d.SP(); err != nil {
			return err
		}
	}
}

// Flag reads a flag: an atom or a system flag "\Atom" (or "\*" when
// wildcard is allowed, for PERMANENTFLAGS).
func (d *Decoder) Flag(wildcard bool) (Flag, error) {
	if d.Accept('\\') {
		if wildcard && d.Accept('*') {
			return FlagWildcard, nil
		}
		a, err := d.Atom()
		if err != nil {
			return "", err
		}
		return Flag("\\" + a), nil
	}
	a, err := d.Atom()
	return Flag(a), err
}

// FlagList reads "(flag flag ...)".
func (d *Decoder) FlagList() ([]Flag, error) {
	var flags []Flag
	err := d.List(func() error {
		f, err := d.Flag(true)
		flags = append(flags, f)
		return err
	})
	return flags, err
}

// Value is a generic parsed IMAP datum: string (atom text is an [Atom]),
// quoted or literal text a string, NIL a nil, and a parenthesised list a
// []Value.
type Value any

// Atom is an atom in a generic [Value].
type Atom string

// ReadValue reads one generic datum: an atom (which may include a
// bracketed section such as BODY[HEADER.FIELDS (A B)]<0.10>), a string,
// NIL, a number (as an Atom) or a list.
func (d *Decoder) ReadValue() (Value, error) {
	b, err := d.Peek()
	if err != nil {
		return nil, err
	}
	switch b {
	case '(':
		vals := []Value{}
		err := d.List(func() error {
			v, err := d.ReadValue()
			vals = append(vals, v)
			return err
		})
		return vals, err
	case '"':
		return d.String()
	}
	if d.atLiteral() {
		return d.String()
	}
	var sb strings.Builder
	if d.Accept('\\') {
		sb.WriteByte('\\')
		if d.Accept('*') {
			return Atom(`\*`), nil
		}
	}
	for {
		s, err := d.readWhile(func(c byte) bool { return isAtomChar(c) && c != '[' })
		if err != nil {
			return nil, err
		}
		sb.WriteString(s)
		if !d.Accept('[') {
			break
		}
		sb.WriteByte('[')
		// A bracketed section: copy everything up to the matching ']'.
		depth := 0
		for {
			c, err := d.readByte()
			if err != nil {
				return nil, err
			}
			if c == '\r' || c == '\n' {
				d.unread()
				return nil, syntaxErr("unterminated section")
			}
			sb.WriteByte(c)
			if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			} else if c == ']' && depth <= 0 {
				break
			}
		}
	}
	if sb.Len() == 0 {
		return nil, d.unexpected("value")
	}
	if strings.EqualFold(sb.String(), "NIL") {
		return nil, nil
	}
	return Atom(sb.String()), nil
}
