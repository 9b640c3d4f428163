package mime

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// Options configures the decoder. A nil *Options means all defaults.
type Options struct {
	// Limits bounds resources; the zero value applies safe defaults.
	Limits Limits
	// RawCharset disables the conversion of text bodies to UTF-8: Body then
	// yields the transfer-decoded bytes in their declared charset.
	RawCharset bool
	// MalformedHeaderStartsBody makes a header line without a colon end the
	// header section and start the body (as some mail software does).
	// By default such a line is kept as a malformed field (a defect) and
	// the header section continues.
	MalformedHeaderStartsBody bool
}

// shared holds counters common to a message and messages embedded in it.
type shared struct {
	parts   int
	decoded int64
	mu      sync.Mutex // tree mode: guards defects added while bodies are read
}

// frame is an open multipart.
type frame struct {
	part  *Part
	delim []byte // "--" + boundary
	n     int    // children seen
}

type nextKind int

const (
	nextRoot nextKind = iota
	nextEmbedded
	nextBody
	nextDone
)

// Reader parses a message as a stream of parts in depth-first order: the
// message itself, then each body part of a multipart (preceded by the
// multipart part), each embedded message, and so on. Bodies are not held
// in memory. A Reader is not safe for concurrent use.
type Reader struct {
	s     *scanner
	opts  Options
	lim   Limits
	sh    *shared
	tree  bool
	next  nextKind
	cur   *Part   // part whose body segment is pending
	open  []*Part // entities not yet ended, outermost first
	frms  []frame
	atLS  bool
	seg   bool // a raw body segment is active
	segDn bool // the active segment has ended
	// end of the last segment
	endFrame     int // -1 = EOF
	endClose     bool
	endContent   int64
	endLineStart int64
	endLineEnd   int64
	// endBreak is where the line break before the last delimiter line
	// starts when a header section consumed it (a header directly followed
	// by the delimiter); otherwise it equals endContent.
	endBreak int64
	// hdrEnd is the offset after the last header section and hdrBrk the
	// length of the line break ending it (0: it did not end in one).
	hdrEnd int64
	hdrBrk int
	gen    int
	err    error
	// encoded embedded message
	sub        *Reader
	depthBase  int
	encap      bool
	rootParent *Part
	// st holds the per-part decoder states and header scratch, reused by
	// successive parts and returned to a pool when the Reader is done.
	st *readerState
	// slabs the parts, fields and raw header bytes of streamed parts are
	// carved from (fewer allocations; reused only after Reset)
	partSlab  []Part
	fieldSlab []Field
	rawSlab   []byte
	sl        slabs
	scan      scanner
	shv       shared
}

// readerState is the reusable scratch of a Reader.
type readerState struct {
	b64  base64Reader
	qp   qpReader
	id   identityDecoder
	txt  textDecoder
	dr   decodedReader
	ds   defectSink
	bsrc bodySource
	open []*Part
	frms []frame
	// header scratch
	hb     []byte
	spans  [][2]int
	names  []string
	colons []int
	bad    []bool
}

var statePool = sync.Pool{New: func() any { return new(readerState) }}

func getState() *readerState { return statePool.Get().(*readerState) }

func (st *readerState) release() {
	st.b64.reset(nil, nil)
	st.qp.reset(nil, nil)
	st.id = identityDecoder{}
	st.txt.reset(nil, textNone, nil)
	st.dr = decodedReader{}
	st.ds = defectSink{}
	st.bsrc = bodySource{}
	clear(st.names)
	clear(st.open[:cap(st.open)])
	clear(st.frms[:cap(st.frms)])
	st.open, st.frms = st.open[:0], st.frms[:0]
	if cap(st.hb) > 64<<10 {
		st.hb = nil
	}
	statePool.Put(st)
}

// partBody is the Body of a streamed part: it reads through the Reader's
// decoder while the part is current and reports io.EOF afterwards.
type partBody struct {
	r   *Reader
	gen int
}

func (b *partBody) Read(p []byte) (int, error) {
	if b.r == nil || b.r.gen != b.gen || b.r.st == nil {
		return 0, io.EOF
	}
	return b.r.st.dr.Read(p)
}

// WriteTo lets io.Copy write decoded blocks without a copy buffer.
func (b *partBody) WriteTo(w io.Writer) (int64, error) {
	if b.r == nil || b.r.gen != b.gen || b.r.st == nil {
		return 0, nil
	}
	return b.r.st.dr.WriteTo(w)
}

// NewReader returns a streaming parser reading the message from r.
func NewReader(r io.Reader, opts *Options) *Reader {
	rd := &Reader{}
	rd.sh = &rd.shv
	if opts != nil {
		rd.opts = *opts
	}
	rd.lim = rd.opts.Limits.effective()
	rd.scan.init(r, rd.lim.MaxLineLength)
	rd.s = &rd.scan
	rd.st = getState()
	rd.open, rd.frms = rd.st.open, rd.st.frms
	return rd
}

// Reset makes r parse a new message from src with the same options,
// reusing its buffers and the storage of the previous message's parts:
// parts, header fields and byte slices obtained for the previous message
// must not be used after Reset (strings such as MediaType stay valid).
// Reset may be called at any point, also on a zero Reader (default
// options).
func (r *Reader) Reset(src io.Reader) {
	if r.s != nil && !r.s.fixed {
		r.s.release()
	}
	st := r.st
	open, frms := r.open, r.frms
	if st == nil { // released at the end of the last message
		st = getState()
		open, frms = st.open, st.frms
	}
	clear(open[:cap(open)])
	clear(frms[:cap(frms)])
	sl := r.sl
	*r = Reader{opts: r.opts, st: st, frms: frms[:0], open: open[:0], gen: r.gen + 1, sl: sl}
	r.lim = r.opts.Limits.effective()
	r.sh = &r.shv
	r.rewindSlabs()
	r.scan.init(src, r.lim.MaxLineLength)
	r.s = &r.scan
}

// NextPart returns the next part. The previous part's Body is drained and
// invalidated. At the end of the message it returns io.EOF; limit
// violations return a [*LimitError] and stop the Reader.
func (r *Reader) NextPart() (*Part, error) {
	if r.err != nil {
		return nil, r.err
	}
	p, err := r.nextPart()
	if err != nil {
		r.err = err
		r.gen++ // bodies of earlier parts are invalid from here on
		if !r.s.fixed {
			r.s.release()
		}
		if r.st != nil {
			r.st.open, r.st.frms = r.open, r.frms
			r.open, r.frms = nil, nil
			r.st.release()
			r.st = nil
		}
		if err != io.EOF {
			return nil, err
		}
		return nil, io.EOF
	}
	return p, nil
}

func (r *Reader) nextPart() (*Part, error) {
	if r.sub != nil {
		p, err := r.sub.NextPart()
		if err == nil {
			return p, nil
		}
		r.sub = nil
		if err != io.EOF {
			return nil, err
		}
	}
	r.gen++
	for {
		switch r.next {
		case nextRoot:
			return r.entity(r.rootParent, r.depthBase)
		case nextEmbedded:
			return r.entity(r.cur, r.cur.Depth+1)
		case nextDone:
			return nil, io.EOF
		}
		// nextBody: drain the segment, then act on how it ended.
		for {
			_, err := r.chunk()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
		}
		r.seg = false
		if r.endFrame < 0 {
			r.closeAll()
			r.next = nextDone
			return nil, io.EOF
		}
		k := r.endFrame
		f := &r.frms[k]
		r.closeDeeper(f.part)
		if len(r.frms) > k+1 {
			r.frms = r.frms[:k+1]
		}
		if f.n == 0 {
			f.part.preambleEnd = r.endContent
		}
		if !r.endClose {
			f.n++
			return r.entity(f.part, f.part.Depth+1)
		}
		// close delimiter: the epilogue follows, scanned with outer frames.
		f.part.closed = true
		f.part.epilogueFrom = r.endLineEnd
		r.frms = r.frms[:k]
		r.startSegment(f.part)
	}
}

// closeDeeper ends every open entity nested inside p at the current
// delimiter.
func (r *Reader) closeDeeper(p *Part) {
	for len(r.open) > 0 {
		q := r.open[len(r.open)-1]
		if q == p {
			return
		}
		r.endEntity(q, r.contentEnd(q), r.endLineStart)
		r.open = r.open[:len(r.open)-1]
	}
}

// contentEnd returns where q's body content ends at the current delimiter.
// The line break before a delimiter line belongs to the delimiter (RFC 2046
// section 5.1.1). When a header section nested in q (an embedded message
// with an empty body, or one without the empty line after its header)
// consumed that line break, q's content still ends before it; the nested
// entity keeps it in its header and its own body is empty.
func (r *Reader) contentEnd(q *Part) int64 {
	if r.endBreak < r.endContent {
		return max(q.BodyStart, r.endBreak)
	}
	return r.endContent
}

func (r *Reader) closeAll() {
	end := r.s.off()
	for i := len(r.open) - 1; i >= 0; i-- {
		r.endEntity(r.open[i], end, end)
	}
	r.open = r.open[:0]
	r.frms = r.frms[:0]
}

func (r *Reader) endEntity(q *Part, contentEnd, end int64) {
	q.BodyEnd, q.End = contentEnd, end
	if q.IsMultipart() {
		if !q.closed {
			q.addDefect(DefectCloseBoundaryNotFound, contentEnd, "")
			q.epilogueFrom = -1
		}
		if q.preambleEnd < q.BodyStart {
			// no delimiter at all
			q.preambleEnd = contentEnd
			q.addDefect(DefectStartBoundaryNotFound, q.BodyStart, "")
		}
	}
}

func (r *Reader) startSegment(p *Part) {
	r.cur = p
	r.seg = true
	r.segDn = false
	r.next = nextBody
}

// entity parses a header section and sets up what follows it.
func (r *Reader) entity(parent *Part, depth int) (*Part, error) {
	if depth > r.lim.MaxDepth {
		return nil, &LimitError{Kind: LimitDepth, Limit: int64(r.lim.MaxDepth), Offset: r.s.off()}
	}
	r.sh.parts++
	if r.sh.parts > r.lim.MaxParts {
		return nil, &LimitError{Kind: LimitParts, Limit: int64(r.lim.MaxParts), Offset: r.s.off()}
	}
	p := r.newPart()
	*p = Part{Parent: parent, Depth: depth, Start: r.s.off(), shared: r.sh, epilogueFrom: -1, preambleEnd: -1, Encapsulated: r.encap}
	if r.tree && parent != nil {
		parent.Children = append(parent.Children, p)
	}
	if err := r.header(p); err != nil {
		return nil, err
	}
	p.BodyStart = r.s.off()
	r.atLS = true
	r.open = append(r.open, p)
	var d []byte // the delimiter "--" + boundary of a multipart
	if bnd, bnds := r.classify(p); len(bnd)+len(bnds) > 0 {
		d = r.carveRaw(2 + len(bnd) + len(bnds))
		copy(d, "--")
		copy(d[2:], bnd)
		copy(d[2:], bnds)
		p.bnd = d[2:]
	}
	r.startSegment(p)
	switch {
	case p.IsMultipart():
		r.frms = append(r.frms, frame{part: p, delim: d})
		p.Body = eofReader{}
	case isMessageType(p.MediaType) && !isEncodedCTE(p.TransferEncoding):
		r.next = nextEmbedded
		r.cur = p
		r.seg = false
		p.Body = eofReader{}
	case isMessageType(p.MediaType):
		p.addDefect(DefectEncodedMessage, p.BodyStart, p.TransferEncoding)
		if !r.tree {
			if depth+1 > r.lim.MaxDepth {
				return nil, &LimitError{Kind: LimitDepth, Limit: int64(r.lim.MaxDepth), Offset: r.s.off()}
			}
			src := &bodySource{r: r, gen: r.gen}
			sub := &Reader{sh: r.sh, opts: r.opts, lim: r.lim, depthBase: depth + 1, rootParent: p, encap: true, st: getState()}
			sub.scan.init(p.decoderChainTransfer(src, &r.opts), r.lim.MaxLineLength)
			sub.s = &sub.scan
			r.sub = sub
			p.Body = eofReader{}
		}
	default:
		if !r.tree {
			p.Body = r.streamBody(p)
		}
	}
	return p, nil
}

// isSyntaxError is errors.As(err, new(*SyntaxError)) without the
// allocation of the target.
func isSyntaxError(err error) bool {
	for err != nil {
		if _, ok := err.(*SyntaxError); ok {
			return true
		}
		switch e := err.(type) {
		case interface{ Unwrap() error }:
			err = e.Unwrap()
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				if isSyntaxError(x) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// transferEncoding returns the lower-cased Content-Transfer-Encoding value
// without comments; the usual values cost no allocation.
func (h *Header) transferEncoding() string {
	i := h.index("Content-Transfer-Encoding", 0)
	if i < 0 {
		return ""
	}
	v := bytes.TrimSpace(h.fields[i].RawValue())
	for _, k := range [...]string{"base64", "quoted-printable", "7bit", "8bit", "binary"} {
		if len(v) == len(k) && bytes.EqualFold(v, []byte(k)) {
			return k
		}
	}
	return strings.ToLower(strings.TrimSpace(stripComments(h.fields[i].Value())))
}

func isEncodedCTE(cte string) bool {
	return cte == "base64" || cte == "quoted-printable"
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// bodySource adapts the Reader's segment scanning to a chunkSource bound to
// one part.
type bodySource struct {
	r   *Reader
	gen int
}

func (b *bodySource) chunk() ([]byte, error) {
	if b.r.gen != b.gen {
		return nil, io.EOF
	}
	return b.r.chunk()
}

// classify sets p's media type, charset and transfer encoding and returns
// the boundary of a multipart (as bytes or as a string).
func (r *Reader) classify(p *Part) (bnd []byte, bnds string) {
	def := "text/plain"
	if p.Parent != nil && p.Parent.MediaType == "multipart/digest" && p.Parent.IsMultipart() && !p.Parent.IsMessage() && p.Depth == p.Parent.Depth+1 {
		def = "message/rfc822"
	}
	p.MediaType = def
	if i := p.Header.index("Content-Type", 0); i >= 0 {
		mt, cs, b, empty, ok := fastContentType(p.Header.fields[i].RawValue())
		switch {
		case ok && !empty:
			p.MediaType, p.charset, bnd = mt, cs, b
		case !ok:
			ct := p.Header.fields[i].Value()
			mt, params, err := ParseMediaType(ct)
			p.params, p.paramsDone = params, true
			if isSyntaxError(err) || mt == "" || !strings.Contains(mt, "/") {
				p.addDefect(DefectBadContentType, p.Start, ct)
				mt = "text/plain"
			}
			p.MediaType = mt
			p.charset = normCharset(params["charset"])
			bnds = params["boundary"]
		}
	}
	if r.tree {
		p.Params() // parsed now: tree parts may be read concurrently
	}
	cte := p.Header.transferEncoding()
	switch cte {
	case "", "7bit", "8bit", "binary", "base64", "quoted-printable":
	case "7-bit", "7_bit", "7 bit":
		cte = "7bit"
	case "8-bit", "8_bit", "8 bit":
		cte = "8bit"
	default:
		if strings.HasPrefix(cte, "quoted-printable") || cte == "qp" {
			cte = "quoted-printable"
		} else if strings.HasPrefix(cte, "base64") {
			cte = "base64"
		} else {
			p.addDefect(DefectUnknownTransferEncoding, p.Start, cte)
		}
	}
	if cte == "" {
		cte = "7bit"
	}
	p.TransferEncoding = cte
	if !strings.HasPrefix(p.MediaType, "multipart/") {
		return nil, ""
	}
	if len(bnd) == 0 && bnds == "" {
		p.addDefect(DefectMissingBoundaryParam, p.Start, "")
	}
	return bnd, bnds
}

// firstSlabs holds a Reader's first slabs, allocated together: enough for
// most messages.
type firstSlabs struct {
	parts  [6]Part
	fields [40]Field
	raw    [4 << 10]byte
}

// slabs is the storage a Reader carves parts, fields and raw bytes from;
// Reset rewinds it.
type slabs struct {
	first              *firstSlabs
	parts              [][]Part // further slabs, in order of use
	fields             [][]Field
	raw                [][]byte
	nparts, nfld, nraw int // further slabs in use
}

// initSlabs allocates the first slabs on the first use.
func (r *Reader) initSlabs() {
	if r.sl.first == nil {
		r.sl.first = new(firstSlabs)
		r.rewindSlabs()
	}
}

// rewindSlabs makes the slabs available again from their start.
func (r *Reader) rewindSlabs() {
	r.sl.nparts, r.sl.nfld, r.sl.nraw = 0, 0, 0
	if f := r.sl.first; f != nil {
		r.partSlab, r.fieldSlab, r.rawSlab = f.parts[:], f.fields[:], f.raw[:]
	} else {
		r.partSlab, r.fieldSlab, r.rawSlab = nil, nil, nil
	}
}

// newPart returns a part from the Reader's slab (the caller overwrites it).
func (r *Reader) newPart() *Part {
	r.initSlabs()
	if len(r.partSlab) == 0 {
		if r.sl.nparts < len(r.sl.parts) {
			r.partSlab = r.sl.parts[r.sl.nparts]
		} else {
			r.partSlab = make([]Part, 16)
			r.sl.parts = append(r.sl.parts, r.partSlab)
		}
		r.sl.nparts++
	}
	p := &r.partSlab[0]
	r.partSlab = r.partSlab[1:]
	return p
}

// streamBody sets up the Reader's reusable decoders for leaf p.
func (r *Reader) streamBody(p *Part) io.Reader {
	st := r.st
	st.ds = defectSink{p: p}
	st.bsrc = bodySource{r: r, gen: r.gen}
	var dec blockDecoder
	switch p.TransferEncoding {
	case "base64":
		st.b64.reset(&st.bsrc, &st.ds)
		dec = &st.b64
	case "quoted-printable":
		st.qp.reset(&st.bsrc, &st.ds)
		dec = &st.qp
	default:
		st.id = identityDecoder{src: &st.bsrc}
		dec = &st.id
	}
	if m := p.textMode(&r.opts); m != textNone {
		st.txt.reset(dec, m, &st.ds)
		dec = &st.txt
	}
	st.dr = decodedReader{dec: dec, used: &r.sh.decoded, limit: r.lim.MaxDecodedSize}
	p.stream = partBody{r: r, gen: r.gen}
	return p.withCharset(&p.stream, &r.opts, &st.ds)
}

// textMode returns the check applied to p's decoded body.
func (p *Part) textMode(o *Options) textMode {
	if !p.IsText() || (o != nil && o.RawCharset) {
		return textNone
	}
	return checkedCharset(p.Charset())
}

// transferDecoder returns a new transfer decoder for p's body.
func (p *Part) transferDecoder(src chunkSource, ds *defectSink) blockDecoder {
	switch p.TransferEncoding {
	case "base64":
		return newBase64Reader(src, ds)
	case "quoted-printable":
		return &qpReader{src: src, def: ds}
	}
	return &identityDecoder{src: src}
}

func decodedLimit(o *Options) int64 {
	if o != nil {
		return o.Limits.effective().MaxDecodedSize
	}
	return defMaxDecodedSize
}

// decoderChainTransfer builds the transfer decoder only, counting against
// the message's decoded-size budget (encoded embedded messages).
func (p *Part) decoderChainTransfer(src chunkSource, o *Options) io.Reader {
	ds := &defectSink{p: p}
	sh := p.shared
	if sh == nil {
		sh = &shared{}
		p.shared = sh
	}
	return &decodedReader{dec: p.transferDecoder(src, ds), used: &sh.decoded, limit: decodedLimit(o)}
}

// decoderChain builds transfer decoding, the text check and charset
// conversion for a body of a parsed tree. Each reader has its own
// decoded-size budget (reading a body again does not use up the limit) and
// records defects under the tree's lock, once per kind, so that bodies of
// one tree can be read concurrently.
func (p *Part) decoderChain(src chunkSource, o *Options) io.Reader {
	ds := &defectSink{p: p, locked: true}
	dec := p.transferDecoder(src, ds)
	if m := p.textMode(o); m != textNone {
		t := &textDecoder{}
		t.reset(dec, m, ds)
		dec = t
	}
	dr := &decodedReader{dec: dec, limit: decodedLimit(o)}
	dr.used = &dr.own
	return p.withCharset(dr, o, ds)
}

// withCharset adds the conversion of a text part's charset to UTF-8 (for
// charsets textMode does not handle).
func (p *Part) withCharset(rd io.Reader, o *Options, ds *defectSink) io.Reader {
	if !p.IsText() || (o != nil && o.RawCharset) {
		return rd
	}
	cs := p.Charset()
	if checkedCharset(cs) != textNone {
		return rd
	}
	cr, err := NewCharsetReader(cs, rd)
	if err != nil {
		ds.add(DefectUnknownCharset, cs)
		return &charsetErrReader{r: rd, cs: cs}
	}
	return cr
}

// header reads one header section into p.Header.
func (r *Reader) header(p *Part) error {
	s := r.s
	st := r.st
	hb, spans, names, colons, bad := st.hb[:0], st.spans[:0], st.names[:0], st.colons[:0], st.bad[:0]
	defer func() {
		st.hb, st.spans, st.names, st.colons, st.bad = hb[:0], spans[:0], names[:0], colons[:0], bad[:0]
	}()
	var total int64
	maxLine := r.lim.MaxLineLength
	lastBrk := 0 // length of the line break ending the last line consumed
	for {
		line, err := s.peekLine(maxLine)
		if err != nil {
			return err
		}
		if line == nil {
			break // EOF
		}
		if len(line) == 1 && line[0] == '\n' || len(line) == 2 && line[0] == '\r' && line[1] == '\n' {
			if s.fixed {
				p.Header.sep = line
			} else if line[0] == '\n' {
				p.Header.sep = sepLF
			} else {
				p.Header.sep = sepCRLF
			}
			lastBrk = len(line)
			s.advance(len(line))
			break
		}
		if line[0] == '-' && len(r.frms) > 0 && r.isDelimLine(line) {
			p.addDefect(DefectMissingHeaderBody, s.off(), "")
			break
		}
		total += int64(len(line))
		if total > r.lim.MaxHeaderBytes {
			return &LimitError{Kind: LimitHeaderBytes, Limit: r.lim.MaxHeaderBytes, Offset: s.off()}
		}
		if (line[0] == ' ' || line[0] == '\t') && len(spans) > 0 && !bad[len(bad)-1] {
			sp := &spans[len(spans)-1]
			if s.fixed {
				sp[1] = s.r + len(line)
			} else {
				hb = append(hb, line...)
				sp[1] = len(hb)
			}
			lastBrk = breakLen(line)
			s.advance(len(line))
			continue
		}
		nb, colon, ok := parseFieldName(line)
		name := ""
		if ok {
			name = internNameBytes(nb)
		}
		if !ok {
			if r.opts.MalformedHeaderStartsBody {
				p.addDefect(DefectMissingHeaderBody, s.off(), "")
				break
			}
			p.addDefect(DefectMalformedHeaderLine, s.off(), "")
		}
		if len(spans) >= r.lim.MaxHeaderFields {
			return &LimitError{Kind: LimitHeaderFields, Limit: int64(r.lim.MaxHeaderFields), Offset: s.off()}
		}
		if s.fixed {
			spans = append(spans, [2]int{s.r, s.r + len(line)})
		} else {
			spans = append(spans, [2]int{len(hb), len(hb) + len(line)})
			hb = append(hb, line...)
		}
		names = append(names, name)
		colons = append(colons, colon)
		bad = append(bad, !ok)
		lastBrk = breakLen(line)
		s.advance(len(line))
	}
	r.hdrEnd, r.hdrBrk = s.off(), lastBrk
	if len(spans) == 0 {
		return nil
	}
	var src []byte
	if s.fixed {
		src = s.buf
	} else {
		src = r.carveRaw(len(hb))
		copy(src, hb)
	}
	fields := r.carveFields(len(spans))
	for i, sp := range spans {
		fields[i] = Field{Name: names[i], Raw: src[sp[0]:sp[1]:sp[1]], Malformed: bad[i], colon: colons[i]}
	}
	p.Header.fields = fields
	return nil
}

var (
	sepCRLF = []byte("\r\n")
	sepLF   = []byte("\n")
)

// carveRaw returns n bytes from the Reader's raw-header slab.
func (r *Reader) carveRaw(n int) []byte {
	r.initSlabs()
	if len(r.rawSlab) < n {
		if n > 2<<10 {
			return make([]byte, n)
		}
		if r.sl.nraw < len(r.sl.raw) {
			r.rawSlab = r.sl.raw[r.sl.nraw]
		} else {
			r.rawSlab = make([]byte, 8<<10)
			r.sl.raw = append(r.sl.raw, r.rawSlab)
		}
		r.sl.nraw++
	}
	b := r.rawSlab[:n:n]
	r.rawSlab = r.rawSlab[n:]
	return b
}

// carveFields returns n fields from the Reader's field slab (capacity n,
// so that Header.Add reallocates instead of overwriting a neighbour).
func (r *Reader) carveFields(n int) []Field {
	r.initSlabs()
	if len(r.fieldSlab) < n {
		if n > 32 {
			return make([]Field, n)
		}
		if r.sl.nfld < len(r.sl.fields) {
			r.fieldSlab = r.sl.fields[r.sl.nfld]
		} else {
			r.fieldSlab = make([]Field, 64)
			r.sl.fields = append(r.sl.fields, r.fieldSlab)
		}
		r.sl.nfld++
	}
	f := r.fieldSlab[:n:n]
	r.fieldSlab = r.fieldSlab[n:]
	return f
}

var commonNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{"Received", "From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID", "Message-Id",
		"MIME-Version", "Mime-Version", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
		"Content-ID", "Content-Id", "Reply-To", "References", "In-Reply-To", "Return-Path", "DKIM-Signature",
		"X-Mailer", "Sender", "Content-Description", "Content-Language", "User-Agent", "List-Unsubscribe"} {
		m[n] = n
	}
	return m
}()

// internNameBytes returns a field name from the input as a string; common
// names cost no allocation.
func internNameBytes(n []byte) string {
	if s, ok := commonNames[string(n)]; ok {
		return s
	}
	return string(n)
}

// isDelimLine reports whether a complete line is a delimiter of an open
// multipart.
func (r *Reader) isDelimLine(line []byte) bool {
	_, _, st := r.matchDelim(line, true)
	return st == matchYes
}

const (
	matchNo = iota
	matchYes
	matchMore
)

// matchDelim checks line (starting at a line start with '-') against the
// open boundaries. When several match (one boundary a prefix of another,
// which RFC 2046 forbids but real mail has), the longest wins, then the
// innermost.
func (r *Reader) matchDelim(line []byte, complete bool) (k int, isClose bool, st int) {
	more := false
	best, bestLen := -1, -1
	for i := len(r.frms) - 1; i >= 0; i-- {
		b := r.frms[i].delim
		if len(line) < len(b) {
			if !complete && bytes.HasPrefix(b, line) {
				more = true
			}
			continue
		}
		if !bytes.Equal(line[:len(b)], b) {
			continue
		}
		// RFC 2046 section 5.1.1: the boundary must follow "--" at the
		// start of the line; the rest of the line need not match, but
		// the whole line is the delimiter: wait until it is complete
		// (a match on part of a line, with its rest and line break still
		// to come, left them to the next part's header).
		if !complete {
			more = true
			continue
		}
		if len(b) > bestLen {
			best, bestLen = i, len(b)
		}
	}
	if more {
		// a longer boundary might still match once the line is complete
		return -1, false, matchMore
	}
	if best >= 0 {
		rest := line[bestLen:]
		return best, len(rest) >= 2 && rest[0] == '-' && rest[1] == '-', matchYes
	}
	return -1, false, matchNo
}

// breakLen returns the length of the line break ending line (0, 1 or 2).
func breakLen(line []byte) int {
	n := len(line)
	switch {
	case n >= 2 && line[n-2] == '\r' && line[n-1] == '\n':
		return 2
	case n >= 1 && line[n-1] == '\n':
		return 1
	}
	return 0
}

// lineBreakStart returns the index where the line break ending at d[c-1]
// begins.
func lineBreakStart(d []byte, c int) int {
	if c == 0 {
		return 0
	}
	c-- // '\n'
	if c > 0 && d[c-1] == '\r' {
		c--
	}
	return c
}

// chunk returns the next slice of the active raw body segment (valid until
// the next call), or io.EOF when the segment has ended.
func (r *Reader) chunk() ([]byte, error) {
	if !r.seg || r.segDn {
		return nil, io.EOF
	}
	s := r.s
	for {
		d := s.data()
		if len(r.frms) == 0 {
			if len(d) > 0 {
				s.advance(len(d))
				return d, nil
			}
			if !s.fill(false) {
				if e := s.readErr(); e != nil {
					return nil, e
				}
				r.endSeg(-1, false, s.off(), s.off(), s.off())
				return nil, io.EOF
			}
			continue
		}
		cut, found, more := -1, false, false
		var k, lineLen int
		var cl bool
		c := -1
		if r.atLS && len(d) > 0 && d[0] == '-' {
			c = 0
		}
		from := 0
		for {
			if c < 0 {
				// '-' is rare in bodies (never in base64): find it
				// first, then check that it starts a line.
				i := bytes.IndexByte(d[from:], '-')
				if i < 0 {
					break
				}
				if j := from + i; j == 0 || d[j-1] != '\n' {
					from = j + 1
					continue
				}
				c = from + i
			}
			line := d[c:]
			complete := s.eof()
			if nl := bytes.IndexByte(line, '\n'); nl >= 0 {
				line = line[:nl+1]
				complete = true
			}
			var st int
			k, cl, st = r.matchDelim(line, complete)
			if st == matchNo {
				from = c + 1
				c = -1
				continue
			}
			cut = lineBreakStart(d, c)
			if st == matchYes {
				found = true
				lineLen = len(line)
			} else {
				more = true
				if len(line) > r.lim.MaxLineLength {
					return nil, &LimitError{Kind: LimitLineLength, Limit: int64(r.lim.MaxLineLength), Offset: s.off() + int64(c)}
				}
			}
			break
		}
		if found || more {
			if cut > 0 {
				s.advance(cut)
				r.atLS = d[cut-1] == '\n'
				return d[:cut], nil
			}
			if found {
				start := s.off()
				lineStart := start + int64(c)
				brk := start
				if c == 0 && start == r.hdrEnd && r.hdrBrk > 0 {
					// a header section ends right here: its last line
					// break is the one before the delimiter
					brk = start - int64(r.hdrBrk)
				}
				s.advance(c + lineLen)
				r.atLS = true
				r.endSeg(k, cl, start, lineStart, s.off())
				r.endBreak = brk
				return nil, io.EOF
			}
			if !s.fill(true) {
				if e := s.readErr(); e != nil {
					return nil, e
				}
			}
			continue
		}
		// no candidate: emit all but a trailing line break
		safe := len(d)
		if safe > 0 {
			switch d[safe-1] {
			case '\n':
				safe = lineBreakStart(d, safe)
			case '\r':
				safe--
			}
		}
		if safe > 0 && !s.eof() {
			s.advance(safe)
			r.atLS = d[safe-1] == '\n'
			return d[:safe], nil
		}
		if s.fill(false) {
			continue
		}
		if e := s.readErr(); e != nil {
			return nil, e
		}
		if !s.eof() { // buffer full of line breaks only; cannot happen with maxBuf >= 4 KiB
			s.advance(len(d))
			return d, nil
		}
		if len(d) > 0 {
			s.advance(len(d))
			r.atLS = d[len(d)-1] == '\n'
			return d, nil
		}
		r.endSeg(-1, false, s.off(), s.off(), s.off())
		return nil, io.EOF
	}
}

func (r *Reader) endSeg(k int, cl bool, contentEnd, lineStart, lineEnd int64) {
	r.segDn = true
	r.endFrame, r.endClose = k, cl
	r.endContent, r.endLineStart, r.endLineEnd = contentEnd, lineStart, lineEnd
	r.endBreak = contentEnd
}

// Parse reads a whole message (at most Limits.MaxMessageSize bytes) and
// returns its tree. Bodies are decoded on demand ([Part.Bytes],
// [Part.Text], [Part.NewBodyReader]); the raw bytes are kept so that
// [Part.WriteTo] re-serialises an unmodified message byte for byte.
func Parse(r io.Reader, opts *Options) (*Part, error) {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	lim := o.Limits.effective()
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxMessageSize+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > lim.MaxMessageSize {
		return nil, &LimitError{Kind: LimitMessageSize, Limit: lim.MaxMessageSize, Offset: lim.MaxMessageSize}
	}
	return parseBytes(data, &o, &shared{}, 0, nil, false)
}

// ParseBytes is [Parse] over an in-memory message; the tree refers to b
// (do not modify it afterwards).
func ParseBytes(b []byte, opts *Options) (*Part, error) {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	return parseBytes(b, &o, &shared{}, 0, nil, false)
}

func parseBytes(data []byte, o *Options, sh *shared, depth int, parent *Part, encap bool) (*Part, error) {
	rd := &Reader{sh: sh, opts: *o, tree: true, depthBase: depth, rootParent: parent, encap: encap, st: getState()}
	rd.lim = o.Limits.effective()
	rd.s = newBytesScanner(data)
	var root *Part
	var encoded []*Part
	for {
		p, err := rd.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		p.src, p.opts = data, o
		if root == nil {
			root = p
		}
		if isMessageType(p.MediaType) && isEncodedCTE(p.TransferEncoding) {
			encoded = append(encoded, p)
		}
	}
	if root == nil {
		return nil, io.ErrUnexpectedEOF
	}
	for _, p := range encoded {
		if p.Depth+1 > rd.lim.MaxDepth {
			return nil, &LimitError{Kind: LimitDepth, Limit: int64(rd.lim.MaxDepth), Offset: p.BodyStart}
		}
		dec, err := io.ReadAll(p.decoderChainTransfer(&bytesSource{b: p.RawBody()}, o))
		if err != nil {
			return nil, err
		}
		child, err := parseBytes(dec, o, sh, p.Depth+1, p, true)
		if err != nil {
			return nil, err
		}
		p.Children = []*Part{child}
	}
	for _, p := range encoded {
		_ = p
	}
	_ = root.Walk(func(q *Part) error {
		if q.Body == nil {
			q.Body = q.NewBodyReader()
		}
		return nil
	})
	return root, nil
}
