package mime

import (
	"bytes"
	"encoding/binary"
	"io"
)

// chunkSource yields raw body bytes as slices that stay valid until the
// next call; io.EOF ends the body.
type chunkSource interface {
	chunk() ([]byte, error)
}

type bytesSource struct {
	b    []byte
	done bool
}

func (s *bytesSource) chunk() ([]byte, error) {
	if s.done || len(s.b) == 0 {
		s.done = true
		return nil, io.EOF
	}
	s.done = true
	return s.b, nil
}

// defectSink records defects, at most one per kind. A locked sink (bodies
// of a parsed tree, which may be read concurrently and repeatedly) adds
// under the tree's lock and only kinds the part does not have yet.
type defectSink struct {
	p      *Part
	seen   uint64
	locked bool
}

// has reports whether a defect of kind k was added through d.
func (d *defectSink) has(k DefectKind) bool {
	return d != nil && d.seen&(1<<uint(k)) != 0
}

func (d *defectSink) add(k DefectKind, detail string) {
	if d == nil || d.p == nil {
		return
	}
	if d.seen&(1<<uint(k)) != 0 {
		return
	}
	d.seen |= 1 << uint(k)
	if d.locked && d.p.shared != nil {
		mu := &d.p.shared.mu
		mu.Lock()
		defer mu.Unlock()
		if d.p.hasDefect(k) {
			return
		}
	}
	d.p.addDefect(k, -1, detail)
}

// blockDecoder yields decoded body bytes in blocks that stay valid until
// the next call; io.EOF (or another error) ends the body.
type blockDecoder interface {
	next() ([]byte, error)
}

// identityDecoder passes raw chunks through (7bit, 8bit, binary).
type identityDecoder struct {
	src chunkSource
}

func (d *identityDecoder) next() ([]byte, error) { return d.src.chunk() }

// decodedReader turns a blockDecoder into an io.Reader with a WriteTo
// method (so io.Copy needs no buffer) and enforces the decoded-size limit
// shared by all parts of a message.
type decodedReader struct {
	dec   blockDecoder
	pend  []byte
	err   error
	used  *int64
	own   int64 // the counter used points to for a reader of its own
	limit int64
	empty int // consecutive empty blocks without an error
}

func (d *decodedReader) more() {
	b, err := d.dec.next()
	if len(b) == 0 && err == nil {
		// A decoder must yield bytes or an error; never spin on one
		// that does neither.
		if d.empty++; d.empty >= maxEmptyReads {
			d.pend, d.err = nil, io.ErrNoProgress
		}
		return
	}
	d.empty = 0
	if len(b) > 0 {
		*d.used += int64(len(b))
		if *d.used > d.limit {
			d.pend, d.err = nil, &LimitError{Kind: LimitDecodedSize, Limit: d.limit, Offset: -1}
			return
		}
	}
	d.pend, d.err = b, err
}

func (d *decodedReader) Read(p []byte) (int, error) {
	for len(d.pend) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		d.more()
	}
	n := copy(p, d.pend)
	d.pend = d.pend[n:]
	return n, nil
}

// WriteTo writes the decoded blocks as they come (no copy buffer).
func (d *decodedReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(d.pend) > 0 {
			n, err := w.Write(d.pend)
			total += int64(n)
			d.pend = d.pend[n:]
			if err != nil {
				return total, err
			}
			continue
		}
		if d.err != nil {
			if d.err == io.EOF {
				return total, nil
			}
			return total, d.err
		}
		d.more()
	}
}

// maxEmptyReads is how many empty results without an error a decoding
// loop accepts before it fails with io.ErrNoProgress (as bufio does).
const maxEmptyReads = 100

// b64tab maps a character to its 6-bit value pre-shifted for each position
// of a quantum; anything else maps to b64bad, so OR-ing the four entries of
// a quantum gives the 24 decoded bits or a value with b64bad set.
var b64tab = func() (t [4][256]uint32) {
	for c := 0; c < 256; c++ {
		v := b64val(byte(c))
		for i := 0; i < 4; i++ {
			if v < 0 {
				t[i][c] = b64bad
			} else {
				t[i][c] = uint32(v) << (18 - 6*uint(i))
			}
		}
	}
	return t
}()

const b64bad = 1 << 31

// b64fast decodes the complete quanta of src into dst as long as they hold
// only alphabet characters (no padding, whitespace or junk). It returns the
// bytes written and the characters consumed (a multiple of 4).
func b64fast(dst, src []byte) (n, i int) {
	t := &b64tab
	for len(src)-i >= 16 && len(dst)-n >= 14 {
		s := src[i : i+16 : i+16]
		x0 := t[0][s[0]] | t[1][s[1]] | t[2][s[2]] | t[3][s[3]]
		x1 := t[0][s[4]] | t[1][s[5]] | t[2][s[6]] | t[3][s[7]]
		x2 := t[0][s[8]] | t[1][s[9]] | t[2][s[10]] | t[3][s[11]]
		x3 := t[0][s[12]] | t[1][s[13]] | t[2][s[14]] | t[3][s[15]]
		if (x0|x1|x2|x3)&b64bad != 0 {
			break
		}
		binary.BigEndian.PutUint64(dst[n:], uint64(x0)<<40|uint64(x1)<<16)
		binary.BigEndian.PutUint64(dst[n+6:], uint64(x2)<<40|uint64(x3)<<16)
		n += 12
		i += 16
	}
	for len(src)-i >= 4 && len(dst)-n >= 3 {
		s := src[i : i+4 : i+4]
		x := t[0][s[0]] | t[1][s[1]] | t[2][s[2]] | t[3][s[3]]
		if x&b64bad != 0 {
			break
		}
		d := dst[n : n+3 : n+3]
		d[0], d[1], d[2] = byte(x>>16), byte(x>>8), byte(x)
		n += 3
		i += 4
	}
	return n, i
}

const b64OutSize = 48 << 10

// base64Reader decodes base64 leniently and without copying the input:
// each line of a raw chunk (CR LF stripped) is decoded in place with a
// table-driven decoder in 16-character steps; a line with anything else
// than alphabet characters (padding, whitespace, junk), a quantum split
// over a line break and the line ends go through a byte-by-byte path that
// skips what is not base64 and records defects.
type base64Reader struct {
	src    chunkSource
	pend   []byte // undecoded rest of the current chunk
	out    []byte
	srcErr error // from src, returned once everything is decoded
	defect *defectSink
	// slow-path quantum state
	acc     uint32
	nacc    int
	ended   bool // saw padding: further data is a defect
	flushed bool // the end of input was handled
	// length of the last complete line (without its CRLF or LF, whose
	// length is eolLen) when it was a multiple of 4, else 0
	lineLen, eolLen int
}

func newBase64Reader(src chunkSource, d *defectSink) *base64Reader {
	return &base64Reader{src: src, defect: d}
}

// reset prepares r for a new body, keeping its output buffer.
func (r *base64Reader) reset(src chunkSource, d *defectSink) {
	*r = base64Reader{src: src, defect: d, out: r.out}
}

func (r *base64Reader) next() ([]byte, error) {
	if cap(r.out) == 0 {
		r.out = make([]byte, b64OutSize)
	}
	out := r.out[:cap(r.out)]
	for {
		if len(r.pend) == 0 && r.srcErr == nil {
			r.pend, r.srcErr = r.src.chunk()
		}
		n := 0
		if len(r.pend) > 0 {
			n = r.decode(out)
		}
		if len(r.pend) == 0 && r.srcErr != nil && !r.flushed {
			r.flushed = true
			if r.nacc > 0 && r.defect.has(DefectBase64InvalidChar) {
				// After junk (text that is not base64, such as an
				// epilogue leaking into a body whose boundary is
				// broken) a partial final quantum is junk too: drop it.
				r.defect.add(DefectBase64Padding, "partial quantum after invalid characters dropped")
				r.acc, r.nacc = 0, 0
			} else if r.nacc > 0 {
				r.defect.add(DefectBase64Padding, "missing padding")
				n += r.flushQuantum(out[n:])
			}
		}
		if n > 0 {
			return out[:n], nil
		}
		if len(r.pend) == 0 && r.srcErr != nil {
			return nil, r.srcErr
		}
	}
}

// decode decodes as much of r.pend as fits into dst.
func (r *base64Reader) decode(dst []byte) int {
	n := 0
	c := r.pend
	for len(c) > 0 {
		room := len(dst) - n
		if room < 32 {
			break
		}
		maxChars := (room - 8) / 3 * 4
		// Fast path: the next line is as long as the previous one and
		// ends the same way; b64fast rejects it if it holds anything
		// else than complete quanta of alphabet characters (a line break
		// included), and what it decoded before stopping stays valid.
		if L, e := r.lineLen, r.eolLen; L > 0 && L+e <= len(c) && L <= maxChars && r.nacc == 0 && !r.ended &&
			c[L+e-1] == '\n' && (e == 1 || c[L] == '\r') {
			m, used := b64fast(dst[n:], c[:L])
			n += m
			if used == L {
				c = c[L+e:]
				continue
			}
			c = c[used:]
			r.lineLen = 0 // take the general path for the rest
			continue
		}
		end, adv := len(c), len(c)
		if j := bytes.IndexByte(c, '\n'); j >= 0 {
			end, adv = j, j+1
		}
		seg := c[:end]
		if end > maxChars {
			seg, adv = c[:maxChars], maxChars
		} else if end > 0 && seg[end-1] == '\r' {
			seg = seg[:end-1]
		}
		if adv == end+1 && len(seg)%4 == 0 {
			r.lineLen, r.eolLen = len(seg), adv-len(seg)
		} else {
			r.lineLen = 0
		}
		c = c[adv:]
		k := 0
		for k < len(seg) && (r.nacc != 0 || r.ended) {
			n += r.slow(dst[n:], seg[k:k+1])
			k++
		}
		rest := seg[k:]
		m, used := b64fast(dst[n:], rest[:len(rest)&^3])
		n += m
		if used < len(rest) {
			n += r.slow(dst[n:], rest[used:])
		}
	}
	r.pend = c
	return n
}

// slow decodes byte by byte with defects.
func (r *base64Reader) slow(dst, block []byte) int {
	n := 0
	for _, c := range block {
		v := b64val(c)
		if v < 0 {
			switch c {
			case '=':
				n += r.flushQuantum(dst[n:])
				r.ended = true
			case ' ', '\t', '\r', '\n', '\f', '\v':
				r.defect.add(DefectBase64Whitespace, "")
			default:
				r.defect.add(DefectBase64InvalidChar, "")
			}
			continue
		}
		if r.ended {
			r.defect.add(DefectBase64Padding, "data after padding")
			r.ended = false
		}
		r.acc = r.acc<<6 | uint32(v)
		r.nacc++
		if r.nacc == 4 {
			dst[n] = byte(r.acc >> 16)
			dst[n+1] = byte(r.acc >> 8)
			dst[n+2] = byte(r.acc)
			n += 3
			r.acc, r.nacc = 0, 0
		}
	}
	return n
}

func (r *base64Reader) flushQuantum(dst []byte) int {
	n := 0
	switch r.nacc {
	case 1:
		r.defect.add(DefectBase64Padding, "dangling character")
	case 2:
		dst[0] = byte(r.acc >> 4)
		n = 1
	case 3:
		dst[0] = byte(r.acc >> 10)
		dst[1] = byte(r.acc >> 2)
		n = 2
	}
	r.acc, r.nacc = 0, 0
	return n
}

// qpMaxCarry bounds the undecided tail (trailing whitespace) a qpReader
// holds between chunks.
const qpMaxCarry = 64 << 10

// qpReader decodes quoted-printable (RFC 2045 section 6.7) leniently:
// trailing whitespace is removed, "=" + whitespace before the line end is
// taken as a soft break (defect), an "=" not followed by two hex digits is
// kept literally (defect), lower-case hex is accepted.
type qpReader struct {
	src   chunkSource
	carry []byte // unfinished line tail from the previous chunk
	out   []byte
	err   error
	def   *defectSink
}

// reset prepares r for a new body, keeping its buffers.
func (r *qpReader) reset(src chunkSource, d *defectSink) {
	*r = qpReader{src: src, def: d, carry: r.carry[:0], out: r.out[:0]}
}

func (r *qpReader) next() ([]byte, error) {
	for {
		if r.err != nil {
			return nil, r.err
		}
		r.fillOut()
		if len(r.out) > 0 {
			return r.out, nil
		}
	}
}

func (r *qpReader) fillOut() {
	r.out = r.out[:0]
	c, err := r.src.chunk()
	final := err != nil
	var data []byte
	if len(r.carry) > 0 {
		r.carry = append(r.carry, c...)
		data = r.carry
	} else {
		data = c
	}
	rest := r.decode(data, final)
	if len(r.carry) > 0 {
		r.carry = append(r.carry[:0], rest...)
	} else {
		r.carry = append(r.carry, rest...)
	}
	if final {
		r.err = err
	}
}

// decode decodes complete lines of data into r.out; without final, the
// unfinished last line is decoded up to its possibly-significant tail,
// which is returned.
func (r *qpReader) decode(data []byte, final bool) []byte {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if final {
				r.line(data, nil)
				return nil
			}
			// keep trailing whitespace and a possible "=XX" for later
			cut := len(data)
			for cut > 0 && (data[cut-1] == ' ' || data[cut-1] == '\t' || data[cut-1] == '\r') {
				cut--
			}
			if e := bytes.LastIndexByte(data[:cut], '='); e >= 0 && e >= cut-2 {
				cut = e
			}
			if len(data)-cut > qpMaxCarry {
				// A run of whitespace this long is no line end to
				// strip (RFC 2045 lines hold 76 characters): emit it
				// rather than hold it without bound.
				r.def.add(DefectQPLongLine, "")
				cut = len(data) - 3
			}
			if cut > 0 {
				r.segment(data[:cut])
			}
			return data[cut:]
		}
		eol := data[i : i+1]
		line := data[:i]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
			eol = data[i-1 : i+1]
		}
		r.line(line, eol)
		data = data[i+1:]
	}
	return nil
}

// line decodes one complete line (without its break) followed by eol
// (nil at the end of input).
func (r *qpReader) line(line, eol []byte) {
	if len(line) > 76 {
		r.def.add(DefectQPLongLine, "")
	}
	t := len(line)
	for t > 0 && (line[t-1] == ' ' || line[t-1] == '\t') {
		t--
	}
	soft := false
	if t > 0 && line[t-1] == '=' {
		soft = true
		if t < len(line) {
			r.def.add(DefectQPBadSoftBreak, "")
		}
		t--
	}
	r.segment(line[:t])
	if !soft && eol != nil {
		r.out = append(r.out, eol...)
	}
}

func (r *qpReader) segment(s []byte) {
	for len(s) > 0 {
		e := bytes.IndexByte(s, '=')
		if e < 0 {
			r.out = append(r.out, s...)
			return
		}
		r.out = append(r.out, s[:e]...)
		if e+2 < len(s) && ishex(s[e+1]) && ishex(s[e+2]) {
			r.out = append(r.out, unhex(s[e+1])<<4|unhex(s[e+2]))
			s = s[e+3:]
			continue
		}
		r.def.add(DefectQPBadEscape, "")
		r.out = append(r.out, '=')
		s = s[e+1:]
	}
}

// charsetErrReader returns the raw bytes and then a CharsetError instead of
// io.EOF.
type charsetErrReader struct {
	r  io.Reader
	cs string
}

func (c *charsetErrReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		return n, &CharsetError{Charset: c.cs}
	}
	return n, err
}
