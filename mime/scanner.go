package mime

import (
	"bytes"
	"io"
	"sync"
)

// bufPool recycles the initial 64 KiB buffers of streaming scanners.
var bufPool = sync.Pool{New: func() any { b := make([]byte, scanInitial); return &b }}

// scanner is a buffered reader over []byte slices: lines are found with
// bytes.IndexByte and handed out as sub-slices of one buffer (no per-line
// allocation). A scanner built over an in-memory message uses it directly
// as the buffer.
type scanner struct {
	rd     io.Reader
	buf    []byte
	r, w   int
	base   int64 // absolute offset of buf[0]
	err    error // sticky; io.EOF at the end of input
	maxBuf int
	fixed  bool // buf is the whole input (no reads)
	pooled bool // buf came from bufPool
	bp     *[]byte
}

const scanInitial = 64 << 10

// init makes s read from rd with a pooled buffer.
func (s *scanner) init(rd io.Reader, maxLine int) {
	bp := bufPool.Get().(*[]byte)
	*s = scanner{rd: rd, buf: *bp, maxBuf: maxLine + 4096, pooled: true, bp: bp}
}

// release returns a pooled buffer; the scanner must not be used again.
func (s *scanner) release() {
	if s.pooled && len(s.buf) == scanInitial {
		bufPool.Put(s.bp)
	}
	s.pooled = false
	s.buf, s.r, s.w = nil, 0, 0
}

func newBytesScanner(b []byte) *scanner {
	return &scanner{buf: b, w: len(b), err: io.EOF, fixed: true, maxBuf: len(b)}
}

// off returns the absolute offset of the next unread byte.
func (s *scanner) off() int64 { return s.base + int64(s.r) }

func (s *scanner) data() []byte { return s.buf[s.r:s.w] }

func (s *scanner) eof() bool { return s.err != nil }

// fill reads more input, compacting or growing the buffer (up to maxBuf
// unless grow is set). It reports whether new bytes arrived.
func (s *scanner) fill(grow bool) bool {
	if s.err != nil {
		return false
	}
	if s.r > 0 && (s.w == len(s.buf) || s.r >= len(s.buf)/2) {
		copy(s.buf, s.buf[s.r:s.w])
		s.w -= s.r
		s.base += int64(s.r)
		s.r = 0
	}
	if s.w == len(s.buf) {
		if !grow && len(s.buf) >= s.maxBuf {
			return false
		}
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.w])
		if s.pooled {
			bufPool.Put(s.bp)
			s.pooled = false
		}
		s.buf = nb
	}
	for tries := 0; tries < 100; tries++ {
		n, err := s.rd.Read(s.buf[s.w:])
		s.w += n
		if err != nil {
			s.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	s.err = io.ErrNoProgress
	return false
}

// peekLine returns the next line including its terminator without
// consuming it; at EOF the last line may lack a terminator. A nil line with
// a nil error means end of input. It fails with a LimitError when a line
// exceeds max bytes.
func (s *scanner) peekLine(max int) ([]byte, error) {
	from := 0
	for {
		d := s.buf[s.r:s.w]
		if i := bytes.IndexByte(d[from:], '\n'); i >= 0 {
			if from+i+1 > max {
				return nil, &LimitError{Kind: LimitLineLength, Limit: int64(max), Offset: s.off()}
			}
			return d[:from+i+1], nil
		}
		from = len(d)
		if from > max {
			return nil, &LimitError{Kind: LimitLineLength, Limit: int64(max), Offset: s.off()}
		}
		if !s.fill(false) {
			if s.err == nil || s.err == io.EOF {
				if s.err == nil { // buffer full
					return nil, &LimitError{Kind: LimitLineLength, Limit: int64(max), Offset: s.off()}
				}
				if len(d) == 0 {
					return nil, nil
				}
				return s.buf[s.r:s.w], nil
			}
			return nil, s.err
		}
	}
}

func (s *scanner) advance(n int) { s.r += n }

// readErr returns the sticky error unless it is io.EOF.
func (s *scanner) readErr() error {
	if s.err == io.EOF {
		return nil
	}
	return s.err
}
