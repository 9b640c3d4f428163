package imapmaildir

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/maildir"
)

type session struct {
	b       *Backend
	user    string
	rootDir string
	root    *maildir.Maildir
	notify  chan struct{}

	// The selected folder and this session's view of it (guarded by f.mu
	// while f is set).
	f        *folder
	ro       bool
	view     []uint32 // UIDs by sequence number - 1
	expunged map[uint32]bool
	changed  map[uint32]bool
	recent   map[uint32]bool
}

func (s *session) signal() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *session) Close() error {
	s.unselect()
	return nil
}

func (s *session) unselect() {
	if f := s.f; f != nil {
		f.mu.Lock()
		delete(f.sessions, s)
		s.f, s.view, s.expunged, s.changed, s.recent = nil, nil, nil, nil, nil
		f.mu.Unlock()
	}
}

func (s *session) Unselect(ctx context.Context) error {
	s.unselect()
	return nil
}

// claimLocked gives \Recent of m to this session: the first read-write
// session to see a message in new/ (or one appended through this Backend)
// claims it, and a message in new/ moves to cur/.
func (s *session) claimLocked(ctx context.Context, m *message) {
	if !m.claimable {
		return
	}
	s.recent[m.uid] = true
	if s.ro {
		return // EXAMINE shows \Recent without taking it (RFC 3501 §6.3.2)
	}
	m.claimable = false
	if m.isNew {
		if nm, err := s.f.md.MarkRead(ctx, m.key); err == nil {
			m.filename, m.isNew, m.info = nm.Filename, nm.New, nm.Info
		}
	}
}

var systemFlags = []imap.Flag{imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted, imap.FlagSeen, imap.FlagDraft}

func (s *session) Select(ctx context.Context, name string, opts *imap.SelectOptions) (*imap.SelectData, error) {
	s.unselect()
	f, err := s.folderByName(name)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.sync(ctx); err != nil {
		return nil, err
	}
	if f.gone {
		return nil, imapserver.ErrNoSuchMailbox
	}
	s.f, s.ro = f, opts != nil && opts.ReadOnly
	s.view = make([]uint32, 0, len(f.msgs))
	s.expunged, s.changed, s.recent = map[uint32]bool{}, map[uint32]bool{}, map[uint32]bool{}
	f.sessions[s] = struct{}{}
	flags := append([]imap.Flag(nil), systemFlags...)
	for _, k := range f.keywords {
		if k != "" {
			flags = append(flags, imap.Flag(k))
		}
	}
	data := &imap.SelectData{
		Flags:          flags,
		PermanentFlags: append(append([]imap.Flag(nil), flags...), imap.FlagWildcard),
		UIDNext:        f.uidNext,
		UIDValidity:    f.uidValidity,
		ReadOnly:       s.ro,
		HighestModSeq:  f.highestModSeq,
	}
	for i, m := range f.msgs {
		s.view = append(s.view, m.uid)
		s.claimLocked(ctx, m)
		if data.FirstUnseen == 0 && !m.info.Flags.Has(maildir.FlagSeen) {
			data.FirstUnseen = uint32(i + 1)
		}
	}
	data.NumRecent = uint32(len(s.recent))
	data.NumMessages = uint32(len(s.view))
	return data, nil
}

func (s *session) flagsOf(m *message) []imap.Flag {
	fl := s.f.flagsOf(m)
	if s.recent[m.uid] {
		fl = append(fl, imap.FlagRecent)
	}
	return fl
}

// expungesLocked removes the pending expunged messages from the view and
// returns their EXPUNGE updates.
func (s *session) expungesLocked() []imapserver.Update {
	if len(s.expunged) == 0 {
		return nil
	}
	var ups []imapserver.Update
	kept := s.view[:0]
	for i, uid := range s.view {
		if s.expunged[uid] {
			// Sequence numbers shift down after each EXPUNGE.
			ups = append(ups, imapserver.Update{Kind: imapserver.UpdateExpunge, Seq: uint32(i+1) - uint32(len(ups)), UID: uid})
			delete(s.recent, uid)
			delete(s.changed, uid)
			continue
		}
		kept = append(kept, uid)
	}
	s.view = kept
	s.expunged = map[uint32]bool{}
	return ups
}

// pendingLocked computes this session's updates and applies them to its
// view. The caller holds s.f.mu and has synced.
func (s *session) pendingLocked(ctx context.Context, allowExpunge bool) []imapserver.Update {
	if s.f == nil {
		return nil
	}
	var ups []imapserver.Update
	if allowExpunge {
		ups = s.expungesLocked()
	}
	var last uint32
	if len(s.view) > 0 {
		last = s.view[len(s.view)-1]
	}
	added, before := 0, len(s.recent)
	for _, m := range s.f.msgs {
		if m.uid > last {
			s.view = append(s.view, m.uid)
			added++
			s.claimLocked(ctx, m)
		}
	}
	if added > 0 {
		ups = append(ups, imapserver.Update{Kind: imapserver.UpdateExists, Seq: uint32(len(s.view))})
		if len(s.recent) != before {
			ups = append(ups, imapserver.Update{Kind: imapserver.UpdateRecent, Seq: uint32(len(s.recent))})
		}
	}
	if len(s.changed) > 0 {
		for i, uid := range s.view {
			if s.changed[uid] {
				if m := s.f.byUID[uid]; m != nil {
					ups = append(ups, imapserver.Update{Kind: imapserver.UpdateFlags, Seq: uint32(i + 1), UID: uid, Flags: s.flagsOf(m), ModSeq: m.modseq})
				}
			}
		}
		s.changed = map[uint32]bool{}
	}
	return ups
}

// Poll rescans the selected folder (a directory listing; the uidlist is
// read only when it changed) and reports what changed.
func (s *session) Poll(ctx context.Context, w *imapserver.UpdateWriter, allowExpunge bool) error {
	f := s.f
	if f == nil {
		return nil
	}
	f.mu.Lock()
	err := f.sync(ctx)
	ups := s.pendingLocked(ctx, allowExpunge)
	f.mu.Unlock()
	if werr := w.WriteUpdates(ups); werr != nil {
		return werr
	}
	return err
}

func (s *session) Idle(ctx context.Context, w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	t := time.NewTicker(s.b.pollInterval())
	defer t.Stop()
	for {
		if err := s.Poll(ctx, w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-s.notify:
		case <-t.C:
		}
	}
}

// resolveLocked returns the sequence numbers of the view selected by set.
func (s *session) resolveLocked(kind imap.NumKind, set imap.SeqSet) []uint32 {
	return set.SeqNums(kind, s.view)
}

func (s *session) notifyOthersLocked(uid uint32) {
	for o := range s.f.sessions {
		if o != s {
			o.changed[uid] = true
			o.signal()
		}
	}
}

// item is a snapshot of one message taken under the folder lock, used
// after it is released.
type item struct {
	seq    uint32
	m      *message
	path   string
	flags  []imap.Flag
	date   time.Time
	modseq uint64
}

func (s *session) selected() (*folder, error) {
	if s.f == nil {
		return nil, imapserver.ErrNoSuchMailbox
	}
	return s.f, nil
}

// needsParse reports whether FETCH items need the parsed message rather
// than a stream of the file.
func needsParse(opts *imap.FetchOptions) bool {
	if opts.Envelope || opts.BodyStructure || opts.Body || len(opts.BinarySize) > 0 {
		return true
	}
	for _, sec := range opts.Sections {
		if len(sec.Part) > 0 || sec.Specifier != imap.SpecifierNone || sec.Binary {
			return true
		}
	}
	return false
}

func (s *session) Fetch(ctx context.Context, w *imapserver.FetchWriter, kind imap.NumKind, set imap.SeqSet, opts *imap.FetchOptions) error {
	f, err := s.selected()
	if err != nil {
		return err
	}
	setSeen := opts.SetsSeen() && !s.ro
	f.mu.Lock()
	seqs := s.resolveLocked(kind, set)
	if setSeen {
		seen := false
		for _, seq := range seqs {
			m := f.byUID[s.view[seq-1]]
			if m == nil || m.info.Flags.Has(maildir.FlagSeen) {
				continue
			}
			in := m.info
			in.Flags |= maildir.FlagSeen
			if err := f.setInfo(ctx, m, in); err == nil {
				seen = true
				s.notifyOthersLocked(m.uid)
			} else if !errors.Is(err, maildir.ErrNotFound) {
				f.mu.Unlock()
				return err
			}
		}
		if seen {
			// Record the new mod-sequences before they are reported.
			if err := f.sync(ctx); err != nil {
				f.mu.Unlock()
				return err
			}
		}
	}
	var items []item
	for _, seq := range seqs {
		m := f.byUID[s.view[seq-1]]
		if m == nil {
			continue // expunged, not yet reported
		}
		if opts.ChangedSince != 0 && m.modseq <= opts.ChangedSince {
			continue
		}
		it := item{seq: seq, m: m, path: m.path(f.dir), flags: s.flagsOf(m), modseq: m.modseq}
		if opts.InternalDate {
			it.date = f.dateOf(m)
		}
		items = append(items, it)
	}
	f.mu.Unlock()
	if setSeen && !opts.Flags {
		o := *opts
		o.Flags = true
		opts = &o
	}
	parse := needsParse(opts)
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if parse {
			err = s.fetchParsed(ctx, w, opts, it)
		} else {
			err = s.fetchStream(ctx, w, opts, it)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// openMessage opens a message file at its last known path, looking it up
// again when another process renamed it. os.ErrNotExist: it is gone.
func (f *folder) openMessage(ctx context.Context, m *message, path string) (*os.File, error) {
	fh, err := os.Open(path)
	if err == nil {
		return fh, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	st, serr := f.md.Stat(ctx, m.key)
	if serr != nil {
		if errors.Is(serr, maildir.ErrNotFound) {
			return nil, os.ErrNotExist
		}
		return nil, serr
	}
	return os.Open(st.Path(f.dir))
}

func (f *folder) maxSize() int64 {
	if f.b.Maildir != nil && f.b.Maildir.Limits.MaxMessageSize > 0 {
		return f.b.Maildir.Limits.MaxMessageSize
	}
	return maildir.DefaultMaxMessageSize
}

// readMessage reads a whole message with CRLF line ends.
func (f *folder) readMessage(ctx context.Context, m *message, path string) ([]byte, error) {
	fh, err := f.openMessage(ctx, m, path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	raw, err := io.ReadAll(io.LimitReader(fh, f.maxSize()*2+1))
	if err != nil {
		return nil, fmt.Errorf("imapmaildir: %w", err)
	}
	if int64(len(raw)) > f.maxSize()*2 {
		return nil, fmt.Errorf("imapmaildir: message %s too large", m.key)
	}
	raw = toCRLF(raw)
	m.vsize.Store(int64(len(raw)))
	return raw, nil
}

// toCRLF turns bare LF line ends (as Postfix writes them) into CRLF.
func toCRLF(raw []byte) []byte {
	n := 0
	for i, c := range raw {
		if c == '\n' && (i == 0 || raw[i-1] != '\r') {
			n++
		}
	}
	if n == 0 {
		return raw
	}
	out := make([]byte, 0, len(raw)+n)
	for i, c := range raw {
		if c == '\n' && (i == 0 || raw[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// vsizeOf returns the size of a message with CRLF line ends, scanning the
// file once and caching the result.
func (f *folder) vsizeOf(ctx context.Context, m *message, path string) (int64, error) {
	if n := m.vsize.Load(); n >= 0 {
		return n, nil
	}
	fh, err := f.openMessage(ctx, m, path)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	n, err := io.Copy(io.Discard, &crlfReader{r: bufio.NewReader(fh)})
	if err != nil {
		return 0, fmt.Errorf("imapmaildir: %w", err)
	}
	m.vsize.Store(n)
	return n, nil
}

// crlfReader converts bare LF to CRLF while reading.
type crlfReader struct {
	r       *bufio.Reader
	prevCR  bool
	pending bool // an LF is owed after an inserted CR
}

func (c *crlfReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if c.pending {
			p[n] = '\n'
			n++
			c.pending, c.prevCR = false, false
			continue
		}
		b, err := c.r.ReadByte()
		if err != nil {
			if n > 0 && err == io.EOF {
				return n, nil
			}
			return n, err
		}
		if b == '\n' && !c.prevCR {
			p[n] = '\r'
			n++
			c.pending = true
			continue
		}
		p[n] = b
		n++
		c.prevCR = b == '\r'
	}
	return n, nil
}

func (s *session) fetchParsed(ctx context.Context, w *imapserver.FetchWriter, opts *imap.FetchOptions, it item) error {
	raw, err := s.f.readMessage(ctx, it.m, it.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // removed by another process; the EXPUNGE follows
	}
	if err != nil {
		return err
	}
	rw := w.CreateMessage(it.seq)
	if opts.ModSeq {
		rw.WriteModSeq(it.modseq)
	}
	imapserver.WriteFetch(rw, opts, it.m.uid, it.flags, it.date, imap.ParseMessage(raw))
	return rw.Close()
}

// fetchStream answers FETCH items that need no parsing (flags, sizes,
// whole-message sections) streaming the body from the file.
func (s *session) fetchStream(ctx context.Context, w *imapserver.FetchWriter, opts *imap.FetchOptions, it item) error {
	f := s.f
	var vsize int64
	if opts.RFC822Size || len(opts.Sections) > 0 {
		n, err := f.vsizeOf(ctx, it.m, it.path)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		vsize = n
	}
	var files []*os.File
	for range opts.Sections {
		fh, err := f.openMessage(ctx, it.m, it.path)
		if err != nil {
			for _, o := range files {
				o.Close()
			}
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		files = append(files, fh)
	}
	defer func() {
		for _, o := range files {
			o.Close()
		}
	}()
	rw := w.CreateMessage(it.seq)
	if opts.UID {
		rw.WriteUID(it.m.uid)
	}
	if opts.ModSeq {
		rw.WriteModSeq(it.modseq)
	}
	if opts.Flags {
		rw.WriteFlags(it.flags)
	}
	if opts.InternalDate {
		rw.WriteInternalDate(it.date)
	}
	if opts.RFC822Size {
		rw.WriteRFC822Size(vsize)
	}
	for i, sec := range opts.Sections {
		off, n := int64(0), vsize
		if p := sec.Partial; p != nil {
			off = min(p.Offset, vsize)
			n = min(p.Count, vsize-off)
		}
		dst := rw.BodySectionWriter(sec, n)
		src := io.Reader(&crlfReader{r: bufio.NewReader(files[i])})
		if off > 0 {
			if _, err := io.CopyN(io.Discard, src, off); err != nil {
				return fmt.Errorf("imapmaildir: %w", err)
			}
		}
		written, err := io.CopyN(dst, src, n)
		if err != nil && written < n {
			// The file changed size under us (it must not): keep the
			// protocol in sync with padding, and log.
			f.b.logger().Warn("imapmaildir: message shorter than its size", "key", it.m.key, "error", err)
			if _, err := dst.Write(bytes.Repeat([]byte{' '}, int(n-written))); err != nil {
				return err
			}
		}
	}
	return rw.Close()
}

func (s *session) Store(ctx context.Context, w *imapserver.FetchWriter, kind imap.NumKind, set imap.SeqSet, sf *imap.StoreFlags) error {
	_, err := s.store(ctx, w, kind, set, sf)
	return err
}

// StoreUnchangedSince implements [imapserver.CondStoreSession].
func (s *session) StoreUnchangedSince(ctx context.Context, w *imapserver.FetchWriter, kind imap.NumKind, set imap.SeqSet, sf *imap.StoreFlags) ([]uint32, error) {
	return s.store(ctx, w, kind, set, sf)
}

// store changes flags (renaming the files) and records the new
// mod-sequences in the uidlist before it answers; with sf.UnchangedSince
// it first rescans, so that changes made by other programs count, and
// leaves the messages changed since then alone, returning their numbers
// (of kind).
func (s *session) store(ctx context.Context, w *imapserver.FetchWriter, kind imap.NumKind, set imap.SeqSet, sf *imap.StoreFlags) ([]uint32, error) {
	f, err := s.selected()
	if err != nil {
		return nil, err
	}
	if s.ro {
		return nil, imapserver.ErrReadOnly
	}
	f.mu.Lock()
	if sf.UnchangedSince != nil {
		if err := f.sync(ctx); err != nil {
			f.mu.Unlock()
			return nil, err
		}
	}
	if sf.Action != imap.StoreRemove {
		if err := f.ensureKeywords(sf.Flags); err != nil {
			f.mu.Unlock()
			return nil, err
		}
	}
	type change struct {
		seq uint32
		m   *message
	}
	var changes []change
	var modified []uint32
	for _, seq := range s.resolveLocked(kind, set) {
		m := f.byUID[s.view[seq-1]]
		if m == nil {
			continue
		}
		if sf.UnchangedSince != nil && m.modseq > *sf.UnchangedSince {
			if kind == imap.NumUID {
				modified = append(modified, m.uid)
			} else {
				modified = append(modified, seq)
			}
			continue
		}
		in := f.applyStore(m.info, sf.Action, sf.Flags)
		if in == m.info {
			// Like Dovecot and imapmem: no FETCH for unchanged flags.
			continue
		}
		if err := f.setInfo(ctx, m, in); err != nil {
			if errors.Is(err, maildir.ErrNotFound) {
				continue // removed by another process
			}
			f.mu.Unlock()
			return nil, err
		}
		s.notifyOthersLocked(m.uid)
		changes = append(changes, change{seq, m})
	}
	if len(changes) > 0 {
		// The rescan gives the renamed files their new mod-sequences and
		// writes them to the uidlist.
		if err := f.sync(ctx); err != nil {
			f.mu.Unlock()
			return nil, err
		}
	}
	var ups []imapserver.Update
	for _, c := range changes {
		ups = append(ups, imapserver.Update{Kind: imapserver.UpdateFlags, Seq: c.seq, UID: c.m.uid, Flags: s.flagsOf(c.m), ModSeq: c.m.modseq})
	}
	f.mu.Unlock()
	return modified, w.WriteStoreResults(kind, ups)
}

// HighestModSeq implements [imapserver.CondStoreSession].
func (s *session) HighestModSeq(ctx context.Context) (uint64, error) {
	f, err := s.selected()
	if err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.highestModSeq, nil
}

// Vanished implements [imapserver.QResyncSession].
func (s *session) Vanished(ctx context.Context, since uint64, within imap.SeqSet) (imap.SeqSet, error) {
	f, err := s.selected()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	existing := make([]uint32, len(f.msgs))
	for i, m := range f.msgs {
		existing[i] = m.uid
	}
	return f.expungeLog.Vanished(since, within, f.uidNext, existing), nil
}

// SearchModSeq implements [imapserver.CondStoreSession].
func (s *session) SearchModSeq(ctx context.Context, kind imap.NumKind, c *imap.SearchCriteria) ([]uint32, []uint64, error) {
	found, err := s.search(ctx, c, false, false)
	if err != nil {
		return nil, nil, err
	}
	nums := make([]uint32, len(found))
	modseqs := make([]uint64, len(found))
	for i, f := range found {
		nums[i] = f.t.SeqNum
		if kind == imap.NumUID {
			nums[i] = f.t.UID
		}
		modseqs[i] = f.t.ModSeq
	}
	return nums, modseqs, nil
}

// removeFiles deletes message files and fsyncs their directories.
func (f *folder) removeFiles(ctx context.Context, ms []*message) error {
	for _, m := range ms {
		err := os.Remove(m.path(f.dir))
		if errors.Is(err, os.ErrNotExist) {
			err = f.md.Remove(ctx, m.key)
			if errors.Is(err, maildir.ErrNotFound) {
				err = nil
			}
		}
		if err != nil {
			return fmt.Errorf("imapmaildir: expunge: %w", err)
		}
	}
	if len(ms) == 0 {
		return nil
	}
	if err := syncDir(filepath.Join(f.dir, "cur")); err != nil {
		return err
	}
	return syncDir(filepath.Join(f.dir, "new"))
}

func (s *session) Expunge(ctx context.Context, w *imapserver.UpdateWriter, uids imap.SeqSet) error {
	f, err := s.selected()
	if err != nil {
		return err
	}
	if s.ro {
		return imapserver.ErrReadOnly
	}
	f.mu.Lock()
	if err := f.sync(ctx); err != nil {
		f.mu.Unlock()
		return err
	}
	var maxUID uint32
	if n := len(f.msgs); n > 0 {
		maxUID = f.msgs[n-1].uid
	}
	var remove []*message
	for _, m := range f.msgs {
		if m.info.Flags.Has(maildir.FlagTrashed) && (uids == nil || uids.Contains(m.uid, maxUID)) {
			remove = append(remove, m)
		}
	}
	err = f.removeFiles(ctx, remove)
	if serr := f.sync(ctx); err == nil {
		err = serr
	}
	ups := s.expungesLocked()
	f.mu.Unlock()
	if w != nil {
		if werr := w.WriteUpdates(ups); werr != nil {
			return werr
		}
	}
	return err
}

func (s *session) Search(ctx context.Context, kind imap.NumKind, c *imap.SearchCriteria) ([]uint32, error) {
	found, err := s.search(ctx, c, false, false)
	if err != nil {
		return nil, err
	}
	out := make([]uint32, len(found))
	for i, f := range found {
		if kind == imap.NumUID {
			out[i] = f.t.UID
		} else {
			out[i] = f.t.SeqNum
		}
	}
	return out, nil
}

// found is a message that matched a search; msg is set when the message
// was read.
type found struct {
	t   imap.SearchTarget
	msg *imap.Message
}

// search returns the messages of the session's view that match c, in
// sequence order. It reads a message file only when c needs it or
// parse is set (then found.msg is set), and its size only when c or
// needSize needs it (found.t.Size is -1 otherwise).
func (s *session) search(ctx context.Context, c *imap.SearchCriteria, parse, needSize bool) ([]found, error) {
	f, err := s.selected()
	if err != nil {
		return nil, err
	}
	type cand struct {
		t    imap.SearchTarget
		m    *message
		path string
	}
	f.mu.Lock()
	var cands []cand
	var maxUID uint32
	if len(s.view) > 0 {
		maxUID = s.view[len(s.view)-1]
	}
	for i, uid := range s.view {
		m := f.byUID[uid]
		if m == nil {
			continue
		}
		cands = append(cands, cand{t: imap.SearchTarget{SeqNum: uint32(i + 1), UID: uid, MaxSeqNum: uint32(len(s.view)), MaxUID: maxUID,
			Flags: s.flagsOf(m), InternalDate: f.dateOf(m), Size: -1, ModSeq: m.modseq}, m: m, path: m.path(f.dir)})
	}
	f.mu.Unlock()
	content, size := parse || c.NeedsMessage(), needSize || c.NeedsSize()
	var out []found
	for i := range cands {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cd := &cands[i]
		var msg *imap.Message
		switch {
		case content:
			raw, err := f.readMessage(ctx, cd.m, cd.path)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			msg = imap.ParseMessage(raw)
			msg.SearchTarget(&cd.t)
			cd.t.Size = int64(len(raw))
		case size:
			n, err := f.vsizeOf(ctx, cd.m, cd.path)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			cd.t.Size = n
		}
		if c.Match(&cd.t) {
			out = append(out, found{t: cd.t, msg: msg})
		}
	}
	return out, nil
}

// sortData returns what SORT and THREAD need of the messages matching c.
// The messages are read when parse is set (keys from the header), their
// sizes when needSize is.
func (s *session) sortData(ctx context.Context, c *imap.SearchCriteria, parse, needSize bool) ([]imap.SortData, error) {
	fs, err := s.search(ctx, c, parse, needSize)
	if err != nil {
		return nil, err
	}
	out := make([]imap.SortData, len(fs))
	for i, f := range fs {
		out[i] = imap.SortData{SeqNum: f.t.SeqNum, UID: f.t.UID, InternalDate: f.t.InternalDate, Size: f.t.Size}
		if f.msg != nil {
			f.msg.SortData(&out[i])
		}
	}
	return out, nil
}

// Sort implements [imapserver.SortSession] with [imap.Sort]. Sorting
// only by ARRIVAL and SIZE reads no message file.
func (s *session) Sort(ctx context.Context, kind imap.NumKind, keys []imap.SortCriterion, c *imap.SearchCriteria) ([]uint32, error) {
	parse, size := false, false
	for _, k := range keys {
		switch k.Key {
		case imap.SortArrival:
		case imap.SortSize:
			size = true
		default:
			parse = true
		}
	}
	data, err := s.sortData(ctx, c, parse, size)
	if err != nil {
		return nil, err
	}
	return imap.Sort(data, keys, kind), nil
}

// Thread implements [imapserver.ThreadSession] with [imap.Threads].
func (s *session) Thread(ctx context.Context, kind imap.NumKind, alg imap.ThreadAlgorithm, c *imap.SearchCriteria) ([]imap.Thread, error) {
	data, err := s.sortData(ctx, c, true, false)
	if err != nil {
		return nil, err
	}
	return imap.Threads(alg, data, kind)
}

// copyItems snapshots the messages of set.
func (s *session) copyItems(kind imap.NumKind, set imap.SeqSet) []moveItem {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	var items []moveItem
	for _, seq := range s.resolveLocked(kind, set) {
		m := f.byUID[s.view[seq-1]]
		if m == nil {
			continue
		}
		items = append(items, moveItem{uid: m.uid, key: m.key, path: m.path(f.dir), isNew: m.isNew, filename: m.filename,
			info: m.info, flags: f.flagsOf(m), date: f.dateOf(m)})
	}
	return items
}

type moveItem struct {
	uid      uint32
	key      string
	path     string
	filename string
	isNew    bool
	info     maildir.Info
	flags    []imap.Flag
	date     time.Time
}

func (s *session) Copy(ctx context.Context, kind imap.NumKind, set imap.SeqSet, dest string) (*imap.CopyData, error) {
	f, err := s.selected()
	if err != nil {
		return nil, err
	}
	df, err := s.folderByName(dest)
	if err != nil {
		return nil, err
	}
	return s.copyFiles(ctx, f, df, s.copyItems(kind, set))
}

// copyFiles appends copies of items to dst (each fsynced, with the same
// flags and internal date) and returns the COPYUID data.
func (s *session) copyFiles(ctx context.Context, src, dst *folder, items []moveItem) (*imap.CopyData, error) {
	var flags []imap.Flag
	for _, it := range items {
		flags = append(flags, it.flags...)
	}
	dst.mu.Lock()
	err := dst.ensureKeywords(flags)
	infos := make([]maildir.Info, len(items))
	for i, it := range items {
		bits, letters := dst.toInfo(it.flags)
		infos[i] = maildir.Info{Flags: bits | it.info.Flags&maildir.FlagPassed, Extra: letters}
	}
	dst.mu.Unlock()
	if err != nil {
		return nil, err
	}
	type copied struct {
		src uint32
		key string
	}
	var done []copied
	var dates []time.Time
	for i, it := range items {
		fh, err := src.openMessage(ctx, &message{key: it.key}, it.path)
		if errors.Is(err, os.ErrNotExist) {
			continue // expunged meanwhile
		}
		if err != nil {
			return nil, err
		}
		nm, err := dst.md.Append(ctx, fh, infos[i])
		fh.Close()
		if err != nil {
			return nil, err
		}
		if !it.date.IsZero() {
			if err := setDate(nm.Path(dst.dir), it.date); err != nil {
				return nil, err
			}
		}
		done = append(done, copied{it.uid, nm.Key})
		dates = append(dates, it.date)
	}
	dst.mu.Lock()
	defer dst.mu.Unlock()
	if err := dst.sync(ctx); err != nil {
		return nil, err
	}
	data := &imap.CopyData{UIDValidity: dst.uidValidity}
	for i, c := range done {
		m := dst.byKey[c.key]
		if m == nil {
			continue
		}
		m.claimable = true
		if !dates[i].IsZero() {
			m.date = dates[i]
		}
		data.SourceUIDs.AddNum(c.src)
		data.DestUIDs.AddNum(m.uid)
	}
	return data, nil
}

// moveFiles renames items into dst (same file name and subdirectory, so
// flags and internal date travel along), falling back to copy and remove
// across file systems, and returns the COPYUID data.
func (s *session) moveFiles(ctx context.Context, src, dst *folder, items []moveItem) (*imap.CopyData, error) {
	if src == dst {
		data, err := s.copyFiles(ctx, src, dst, items)
		if err != nil {
			return nil, err
		}
		src.mu.Lock()
		defer src.mu.Unlock()
		var ms []*message
		for _, it := range items {
			if m := src.byKey[it.key]; m != nil {
				ms = append(ms, m)
			}
		}
		return data, src.removeFiles(ctx, ms)
	}
	type moved struct {
		src uint32
		key string
	}
	var done []moved
	var copyBack []moveItem
	for _, it := range items {
		sub := "cur"
		if it.isNew {
			sub = "new"
		}
		target := filepath.Join(dst.dir, sub, it.filename)
		err := renameNoReplace(it.path, target)
		if errors.Is(err, os.ErrNotExist) {
			// Renamed by another process (flag change): look it up.
			st, serr := src.md.Stat(ctx, it.key)
			if serr != nil {
				continue // removed meanwhile
			}
			sub = "cur"
			if st.New {
				sub = "new"
			}
			target = filepath.Join(dst.dir, sub, st.Filename)
			err = renameNoReplace(st.Path(src.dir), target)
		}
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			// Cross-device, or the name exists in dst: copy instead.
			copyBack = append(copyBack, it)
			continue
		}
		done = append(done, moved{it.uid, it.key})
	}
	for _, d := range []string{filepath.Join(dst.dir, "cur"), filepath.Join(dst.dir, "new"), filepath.Join(src.dir, "cur"), filepath.Join(src.dir, "new")} {
		if err := syncDir(d); err != nil {
			return nil, err
		}
	}
	data := &imap.CopyData{}
	if len(copyBack) > 0 {
		cd, err := s.copyFiles(ctx, src, dst, copyBack)
		if err != nil {
			return nil, err
		}
		data.SourceUIDs, data.DestUIDs = cd.SourceUIDs, cd.DestUIDs
		src.mu.Lock()
		var ms []*message
		for _, it := range copyBack {
			if m := src.byKey[it.key]; m != nil {
				ms = append(ms, m)
			}
		}
		err = src.removeFiles(ctx, ms)
		src.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	dst.mu.Lock()
	err := dst.sync(ctx)
	if err == nil {
		data.UIDValidity = dst.uidValidity
		for _, d := range done {
			if m := dst.byKey[d.key]; m != nil {
				m.claimable = true
				data.SourceUIDs.AddNum(d.src)
				data.DestUIDs.AddNum(m.uid)
			}
		}
	}
	dst.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return data, nil
}

// renameNoReplace renames old to new unless new exists (message names are
// unique, so an existing target means a copy of the same file).
func renameNoReplace(oldPath, newPath string) error {
	if _, err := os.Lstat(newPath); err == nil {
		return os.ErrExist
	}
	return os.Rename(oldPath, newPath)
}

func (s *session) Move(ctx context.Context, w *imapserver.MoveWriter, kind imap.NumKind, set imap.SeqSet, dest string) error {
	f, err := s.selected()
	if err != nil {
		return err
	}
	if s.ro {
		return imapserver.ErrReadOnly
	}
	df, err := s.folderByName(dest)
	if err != nil {
		return err
	}
	data, err := s.moveFiles(ctx, f, df, s.copyItems(kind, set))
	if err != nil {
		return err
	}
	f.mu.Lock()
	err = f.sync(ctx)
	ups := s.expungesLocked()
	f.mu.Unlock()
	if werr := w.WriteCopyData(data); werr != nil {
		return werr
	}
	if werr := w.UpdateWriter.WriteUpdates(ups); werr != nil {
		return werr
	}
	return err
}
