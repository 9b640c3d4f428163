package mime

import (
	"bytes"
	"encoding/base64"
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

// defectSink records defects, at most one per kind.
type defectSink struct {
	p    *Part
	seen uint64
}

func (d *defectSink) add(k DefectKind, detail string) {
	if d == nil || d.p == nil {
		return
	}
	if d.seen&(1<<uint(k)) != 0 {
		return
	}
	d.seen |= 1 << uint(k)
	d.p.addDefect(k, -1, detail)
}

// identityReader copies chunks out.
type identityReader struct {
	src  chunkSource
	pend []byte
	err  error
}

func (r *identityReader) Read(p []byte) (int, error) {
	for len(r.pend) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.pend, r.err = r.src.chunk()
	}
	n := copy(p, r.pend)
	r.pend = r.pend[n:]
	return n, nil
}

// WriteTo lets io.Copy skip an intermediate buffer.
func (r *identityReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(r.pend) > 0 {
			n, err := w.Write(r.pend)
			total += int64(n)
			r.pend = r.pend[n:]
			if err != nil {
				return total, err
			}
		}
		if r.err != nil {
			if r.err == io.EOF {
				return total, nil
			}
			return total, r.err
		}
		r.pend, r.err = r.src.chunk()
	}
}

// base64Reader decodes base64 leniently: line breaks are stripped in
// chunks and big blocks go through base64.StdEncoding.Decode; blocks that
// fail (other whitespace, invalid bytes, padding in the middle) are decoded
// byte by byte, skipping what is not base64 and recording defects.
type base64Reader struct {
	src    chunkSource
	q      []byte // compacted alphabet bytes not yet decoded (len%4 leftover first)
	out    []byte
	outPos int
	err    error
	defect *defectSink
	// slow-path quantum state
	acc   uint32
	nacc  int
	ended bool // saw padding: further data is a defect
}

func newBase64Reader(src chunkSource, d *defectSink) *base64Reader {
	return &base64Reader{src: src, defect: d}
}

func (r *base64Reader) Read(p []byte) (int, error) {
	for {
		if r.outPos < len(r.out) {
			n := copy(p, r.out[r.outPos:])
			r.outPos += n
			return n, nil
		}
		if r.err != nil {
			return 0, r.err
		}
		n, err := r.step(p)
		if n > 0 || err != nil {
			if err != nil && n == 0 {
				return 0, err
			}
			return n, nil
		}
	}
}

// WriteTo decodes chunk by chunk into the reusable output buffer and
// writes it out (no per-call allocation).
func (r *base64Reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if r.outPos < len(r.out) {
			n, err := w.Write(r.out[r.outPos:])
			total += int64(n)
			r.outPos += n
			if err != nil {
				return total, err
			}
			continue
		}
		if r.err != nil {
			if r.err == io.EOF {
				return total, nil
			}
			return total, r.err
		}
		if _, err := r.step(nil); err != nil && err != io.EOF {
			return total, err
		}
	}
}

// step reads one chunk and decodes what it can into p (if large enough) or
// r.out. It returns bytes written into p.
func (r *base64Reader) step(p []byte) (int, error) {
	c, err := r.src.chunk()
	if len(c) > 0 {
		r.compact(c)
	}
	if err != nil {
		n := r.decodeQ(p, true)
		r.err = err
		return n, nil
	}
	return r.decodeQ(p, false), nil
}

// compact appends the alphabet bytes of c to r.q, dropping CR LF.
func (r *base64Reader) compact(c []byte) {
	for len(c) > 0 {
		i := bytes.IndexByte(c, '\n')
		var seg []byte
		if i < 0 {
			seg, c = c, nil
		} else {
			seg, c = c[:i], c[i+1:]
		}
		if n := len(seg); n > 0 && seg[n-1] == '\r' {
			seg = seg[:n-1]
		}
		r.q = append(r.q, seg...)
	}
}

// decodeQ decodes complete quanta of r.q (all of it when final).
func (r *base64Reader) decodeQ(p []byte, final bool) int {
	k := len(r.q) &^ 3
	if final {
		k = len(r.q)
	}
	if k == 0 {
		return 0
	}
	block := r.q[:k]
	var dst []byte
	need := base64.StdEncoding.DecodedLen(k) + 3
	intoP := len(p) >= need && len(p) > 0
	if intoP {
		dst = p
	} else {
		if cap(r.out) < need {
			r.out = make([]byte, need)
		}
		dst = r.out[:cap(r.out)]
	}
	n := 0
	if !r.ended && r.nacc == 0 && len(block)%4 == 0 {
		m, err := base64.StdEncoding.Decode(dst, block)
		if err == nil {
			n = m
			if block[len(block)-1] == '=' {
				r.ended = true
			}
		} else {
			n = r.slow(dst, block, final)
		}
	} else {
		n = r.slow(dst, block, final)
	}
	rest := copy(r.q, r.q[k:])
	r.q = r.q[:rest]
	if intoP {
		return n
	}
	r.out = dst[:n]
	r.outPos = 0
	return 0
}

// slow decodes byte by byte with defects.
func (r *base64Reader) slow(dst, block []byte, final bool) int {
	n := 0
	for _, c := range block {
		v := b64val(c)
		if v < 0 {
			switch c {
			case '=':
				n += r.flushQuantum(dst[n:])
				if !r.ended {
					r.ended = true
				}
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
	if final && r.nacc > 0 {
		r.defect.add(DefectBase64Padding, "missing padding")
		n += r.flushQuantum(dst[n:])
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

// qpReader decodes quoted-printable (RFC 2045 section 6.7) leniently:
// trailing whitespace is removed, "=" + whitespace before the line end is
// taken as a soft break (defect), an "=" not followed by two hex digits is
// kept literally (defect), lower-case hex is accepted.
type qpReader struct {
	src   chunkSource
	carry []byte // unfinished line tail from the previous chunk
	out   []byte
	pos   int
	err   error
	def   *defectSink
}

// WriteTo writes decoded lines without an intermediate copy buffer.
func (r *qpReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if r.pos < len(r.out) {
			n, err := w.Write(r.out[r.pos:])
			total += int64(n)
			r.pos += n
			if err != nil {
				return total, err
			}
		}
		if r.err != nil {
			if r.err == io.EOF {
				return total, nil
			}
			return total, r.err
		}
		r.fillOut()
	}
}

func (r *qpReader) fillOut() {
	r.out, r.pos = r.out[:0], 0
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

func (r *qpReader) Read(p []byte) (int, error) {
	for r.pos >= len(r.out) {
		if r.err != nil {
			return 0, r.err
		}
		r.fillOut()
	}
	n := copy(p, r.out[r.pos:])
	r.pos += n
	return n, nil
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

// countingReader enforces the decoded-size limit.
type countingReader struct {
	r     io.Reader
	used  *int64
	limit int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.used += int64(n)
	if *c.used > c.limit {
		return n, &LimitError{Kind: LimitDecodedSize, Limit: c.limit, Offset: -1}
	}
	return n, err
}

type countingWriter struct {
	w     io.Writer
	used  *int64
	limit int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	*c.used += int64(len(p))
	if *c.used > c.limit {
		return 0, &LimitError{Kind: LimitDecodedSize, Limit: c.limit, Offset: -1}
	}
	return c.w.Write(p)
}

// WriteTo forwards to the inner reader's WriteTo when it has one.
func (c *countingReader) WriteTo(w io.Writer) (int64, error) {
	if wt, ok := c.r.(io.WriterTo); ok {
		return wt.WriteTo(&countingWriter{w: w, used: c.used, limit: c.limit})
	}
	return io.Copy(&countingWriter{w: w, used: c.used, limit: c.limit}, struct{ io.Reader }{c.r})
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
