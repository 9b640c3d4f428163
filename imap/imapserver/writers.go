package imapserver

import (
	"io"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/imap"
)

// UpdateWriter writes untagged mailbox updates (EXISTS, EXPUNGE, FETCH
// FLAGS). It is safe to use from the goroutine running [Session.Idle].
type UpdateWriter struct {
	c *conn
	// uid is set during UID commands: flag updates then carry the UID.
	uid bool
}

// WriteExists writes "* n EXISTS".
func (w *UpdateWriter) WriteExists(n uint32) error {
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	w.c.enc.Raw("* ").Number(n).Raw(" EXISTS").CRLF()
	return w.c.flushIfIdle()
}

// WriteRecent writes "* n RECENT".
func (w *UpdateWriter) WriteRecent(n uint32) error {
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	w.c.enc.Raw("* ").Number(n).Raw(" RECENT").CRLF()
	return w.c.flushIfIdle()
}

// WriteExpunge writes "* seq EXPUNGE".
func (w *UpdateWriter) WriteExpunge(seq uint32) error {
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	w.c.contextExpunged(seq) // REMOVEFROM first (RFC 5267 §4.3, context.go)
	w.c.enc.Raw("* ").Number(seq).Raw(" EXPUNGE").CRLF()
	return w.c.flushIfIdle()
}

// WriteMessageFlags writes "* seq FETCH (FLAGS (...))", with the UID when
// uid is not 0 (always include it; it is sent during UID commands and
// IDLE).
func (w *UpdateWriter) WriteMessageFlags(seq, uid uint32, flags []imap.Flag) error {
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	e := w.c.enc
	e.Raw("* ").Number(seq).Raw(" FETCH (")
	if uid != 0 {
		e.Raw("UID ").Number(uid).SP()
	}
	e.Raw("FLAGS ").Flags(flags).Raw(")").CRLF()
	return w.c.flushIfIdle()
}

// writeFlagsModSeq writes a flag update with MODSEQ once CONDSTORE is
// enabled (RFC 7162 §3.1.12) and modseq is known.
func (w *UpdateWriter) writeFlagsModSeq(seq, uid uint32, flags []imap.Flag, modseq uint64) error {
	if modseq == 0 || !w.c.condStore.Load() {
		return w.WriteMessageFlags(seq, uid, flags)
	}
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	e := w.c.enc
	e.Raw("* ").Number(seq).Raw(" FETCH (")
	if uid != 0 {
		e.Raw("UID ").Number(uid).SP()
	}
	e.Raw("FLAGS ").Flags(flags).Raw(" MODSEQ (").Number64(int64(modseq)).Raw("))").CRLF()
	return w.c.flushIfIdle()
}

// MoveWriter writes the replies of MOVE: an untagged OK with COPYUID
// (RFC 4315, RFC 6851 §4.3) and the EXPUNGE responses.
type MoveWriter struct {
	// UpdateWriter writes the EXPUNGE responses of the moved messages.
	UpdateWriter
}

// WriteCopyData writes "* OK [COPYUID ...]"; call it before the EXPUNGE
// responses.
func (w *MoveWriter) WriteCopyData(d *imap.CopyData) error {
	if d == nil || len(d.SourceUIDs) == 0 {
		return nil
	}
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	w.c.enc.Raw("* OK [COPYUID ").Number(d.UIDValidity).SP().Raw(d.SourceUIDs.String()).SP().Raw(d.DestUIDs.String()).Raw("] Moved").CRLF()
	return w.c.enc.Err()
}

// ListWriter writes LIST or LSUB replies.
type ListWriter struct {
	c    *conn
	lsub bool
}

// WriteList writes one mailbox.
func (w *ListWriter) WriteList(d *imap.ListData) error {
	e := w.c.enc
	if w.lsub {
		e.Raw("* LSUB (")
	} else {
		e.Raw("* LIST (")
	}
	for i, a := range d.Attrs {
		if i > 0 {
			e.SP()
		}
		e.Raw(string(a))
	}
	e.Raw(") ")
	if d.Delim == 0 {
		e.Nil()
	} else {
		e.Quoted(string(d.Delim))
	}
	e.SP().Mailbox(d.Mailbox, false).CRLF()
	return e.Err()
}

// FetchWriter writes FETCH replies.
type FetchWriter struct {
	c      *conn
	uid    bool
	silent bool // STORE with FLAGS.SILENT
}

// CreateMessage starts the FETCH reply of message seq; finish it with
// [FetchResponseWriter.Close]. "* seq FETCH (" is written with the first
// item (or by Close), so that a reply failed before its first item
// ([FetchResponseWriter.Fail]) leaves nothing on the wire.
func (w *FetchWriter) CreateMessage(seq uint32) *FetchResponseWriter {
	return &FetchResponseWriter{c: w.c, seq: seq}
}

// FetchResponseWriter writes the items of one FETCH reply.
type FetchResponseWriter struct {
	c       *conn
	seq     uint32
	started bool
	n       int
	hasUID  bool
	err     error
	modseq  uint64 // MODSEQ item to write at Close (0: none)
}

func (w *FetchResponseWriter) start() {
	if !w.started {
		w.started = true
		w.c.enc.Raw("* ").Number(w.seq).Raw(" FETCH (")
	}
}

func (w *FetchResponseWriter) item(name string) *imap.Encoder {
	w.start()
	if w.n > 0 {
		w.c.enc.SP()
	}
	w.n++
	return w.c.enc.Raw(name).SP()
}

// WriteUID writes the UID item.
func (w *FetchResponseWriter) WriteUID(uid uint32) {
	if w.hasUID {
		return
	}
	w.hasUID = true
	w.item("UID").Number(uid)
}

// WriteFlags writes the FLAGS item.
func (w *FetchResponseWriter) WriteFlags(flags []imap.Flag) { w.item("FLAGS").Flags(flags) }

// WriteInternalDate writes the INTERNALDATE item.
func (w *FetchResponseWriter) WriteInternalDate(t time.Time) { w.item("INTERNALDATE").DateTime(t) }

// WriteRFC822Size writes the RFC822.SIZE item.
func (w *FetchResponseWriter) WriteRFC822Size(n int64) { w.item("RFC822.SIZE").Number64(n) }

// WriteEnvelope writes the ENVELOPE item.
func (w *FetchResponseWriter) WriteEnvelope(env *imap.Envelope) { w.item("ENVELOPE").Envelope(env) }

// WriteBodyStructure writes BODYSTRUCTURE (extended) or BODY.
func (w *FetchResponseWriter) WriteBodyStructure(bs *imap.BodyStructure, extended bool) {
	name := "BODY"
	if extended {
		name = "BODYSTRUCTURE"
	}
	w.item(name).BodyStructure(bs, extended)
}

// WriteBodySection writes a body section item; data is the whole section,
// the partial range of s is applied here.
func (w *FetchResponseWriter) WriteBodySection(s *imap.FetchSection, data []byte) {
	data = imap.ApplyPartial(data, s.Partial)
	w.item(s.Name()).Literal(data)
}

// BodySectionWriter starts a body section item of size bytes (after any
// partial range) and returns the writer for its data.
func (w *FetchResponseWriter) BodySectionWriter(s *imap.FetchSection, size int64) io.Writer {
	return w.item(s.Name()).LiteralWriter(size)
}

// Close ends the FETCH reply. It returns the error given to
// [FetchResponseWriter.Fail], if any, or the connection's write error.
func (w *FetchResponseWriter) Close() error {
	if w.err != nil && !w.started {
		return w.err
	}
	if w.modseq != 0 && w.err == nil {
		w.item("MODSEQ").Raw("(").Number64(int64(w.modseq)).Raw(")")
	}
	w.start()
	w.c.enc.Raw(")").CRLF()
	if w.err != nil {
		return w.err
	}
	return w.c.enc.Err()
}

// WriteFetch answers the items of opts for one message from its raw bytes
// and metadata: a helper for backends that keep raw messages.
//
// BINARY and BINARY.SIZE items (RFC 3516) are decoded first: when a part
// cannot be decoded ([imap.ErrUnknownCTE]) nothing is written and the
// reply fails with [ErrUnknownCTE], which [FetchResponseWriter.Close]
// returns for the session to return from [Session.Fetch].
func WriteFetch(w *FetchResponseWriter, opts *imap.FetchOptions, uid uint32, flags []imap.Flag, internalDate time.Time, msg *imap.Message) {
	binary, sizes, err := binaryItems(opts, msg)
	if err != nil {
		w.Fail(err)
		return
	}
	if opts.UID {
		w.WriteUID(uid)
	}
	if opts.Flags {
		w.WriteFlags(flags)
	}
	if opts.InternalDate {
		w.WriteInternalDate(internalDate)
	}
	if opts.RFC822Size {
		w.WriteRFC822Size(int64(len(msg.Raw())))
	}
	if opts.Envelope {
		w.WriteEnvelope(msg.Envelope())
	}
	if opts.BodyStructure {
		w.WriteBodyStructure(msg.BodyStructure(), true)
	}
	if opts.Body {
		w.WriteBodyStructure(msg.BodyStructure(), false)
	}
	for i, s := range opts.Sections {
		if s.Binary {
			w.WriteBinarySection(s, binary[i])
			continue
		}
		data, _ := msg.Section(s)
		w.WriteBodySection(s, data)
	}
	for i, p := range opts.BinarySize {
		w.WriteBinarySize(p, int64(len(sizes[i])))
	}
}

// normalizeFlags puts system flags in canonical case.
func normalizeFlags(flags []imap.Flag) []imap.Flag {
	for i, f := range flags {
		if strings.HasPrefix(string(f), `\`) {
			flags[i] = imap.CanonicalFlag(f)
		}
	}
	return flags
}
