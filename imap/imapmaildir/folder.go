package imapmaildir

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/maildir"
)

// File names kept in every Maildir (the INBOX root and each folder).
const (
	uidlistName  = "mailkit-uidlist"
	lockName     = "mailkit-uidlist.lock"
	keywordsName = "dovecot-keywords"
	uidlistMagic = "mailkit-uidlist 1" // version 1: no mod-sequences
	// uidlistMagic2 is version 2, with mod-sequences (RFC 7162).
	uidlistMagic2 = "mailkit-uidlist 2"
	maxKeywords   = 26 // Dovecot's letters a-z
)

// message is the cached state of one message file of a folder.
type message struct {
	uid      uint32
	key      string
	filename string
	isNew    bool
	info     maildir.Info
	// date is the internal date (file modification time), zero until
	// first needed.
	date time.Time
	// vsize is the size with CRLF line ends (-1: not computed yet).
	vsize atomic.Int64
	// claimable: \Recent not yet given to any session of this process.
	claimable bool
	// modseq is the mod-sequence (RFC 7162) of the last change.
	modseq uint64
}

func (m *message) path(dir string) string {
	sub := "cur"
	if m.isNew {
		sub = "new"
	}
	return filepath.Join(dir, sub, m.filename)
}

// folder is the shared in-process state of one Maildir directory. All
// fields below mu are guarded by it; the on-disk uidlist and keywords files
// are additionally guarded by an flock on the lock file during sync.
type folder struct {
	b    *Backend
	dir  string
	root string // the user's Maildir root (holds mailkit-uidvalidity)
	md   *maildir.Maildir

	mu          sync.Mutex
	gone        bool // deleted or renamed away: sync is a no-op
	loaded      bool
	uidValidity uint32
	uidNext     uint32
	listID      fileID            // the uidlist version fileUIDs reflects
	fileUIDs    map[string]uint32 // key -> UID as in the uidlist file
	fileMods    map[string]modRec // key -> mod-sequence as in the uidlist file
	// highestModSeq is HIGHESTMODSEQ (RFC 7162) as in the uidlist file.
	highestModSeq uint64
	// expungeLog remembers the UIDs expunged since this process loaded
	// the folder (QRESYNC); its Floor is the HIGHESTMODSEQ at load.
	expungeLog imapserver.ExpungeLog
	msgs       []*message // ascending UIDs
	byUID      map[uint32]*message
	byKey      map[string]*message
	keywords   []string // index i is the letter 'a'+i (dovecot-keywords)
	kwID       fileID
	sessions   map[*session]struct{}
}

func newFolder(b *Backend, root, dir string, md *maildir.Maildir) *folder {
	return &folder{b: b, dir: dir, root: root, md: md,
		byUID: map[uint32]*message{}, byKey: map[string]*message{}, sessions: map[*session]struct{}{}}
}

// errCorrupt marks an unreadable uidlist; the folder gets a new
// UIDVALIDITY.
var errCorrupt = errors.New("imapmaildir: corrupt uidlist")

// modRec is the recorded mod-sequence of a message and the info part
// (flags) it had then; a different info part in the directory is a flag
// change and gets a new mod-sequence.
type modRec struct {
	modseq uint64
	info   maildir.Info
	// known is false for messages of a version 1 uidlist, whose flags
	// were not recorded: their current flags are taken as they are.
	known bool
}

// uidList is the content of a uidlist file.
type uidList struct {
	validity, next uint32
	highest        uint64
	uids           map[string]uint32
	mods           map[string]modRec
}

// maxModSeq bounds mod-sequences (RFC 7162: 63 bits).
const maxModSeq = 1<<63 - 1

// readUIDList parses the uidlist file, version 2:
//
//	mailkit-uidlist 2 <uidvalidity> <uidnext> <highestmodseq>
//	<uid> <modseq> <info> <key>
//	...
//
// or version 1 (written before CONDSTORE), whose messages all get
// mod-sequence 1:
//
//	mailkit-uidlist 1 <uidvalidity> <uidnext>
//	<uid> <key>
//	...
func readUIDList(data []byte) (*uidList, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	if !sc.Scan() {
		return nil, errCorrupt
	}
	head := sc.Text()
	v2 := strings.HasPrefix(head, uidlistMagic2+" ")
	if !v2 && !strings.HasPrefix(head, uidlistMagic+" ") {
		return nil, errCorrupt
	}
	f := strings.Fields(head[len(uidlistMagic)+1:])
	if v2 && len(f) != 3 || !v2 && len(f) != 2 {
		return nil, errCorrupt
	}
	v, err1 := strconv.ParseUint(f[0], 10, 32)
	n, err2 := strconv.ParseUint(f[1], 10, 32)
	if err1 != nil || err2 != nil || v == 0 || n == 0 {
		return nil, errCorrupt
	}
	l := &uidList{validity: uint32(v), next: uint32(n), highest: 1, uids: map[string]uint32{}, mods: map[string]modRec{}}
	if v2 {
		h, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil || h == 0 || h > maxModSeq {
			return nil, errCorrupt
		}
		l.highest = h
	}
	seen := map[uint32]bool{}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		us, rest, ok := strings.Cut(line, " ")
		u, err := strconv.ParseUint(us, 10, 32)
		if !ok || err != nil || u == 0 || u >= n || seen[uint32(u)] {
			return nil, errCorrupt
		}
		rec := modRec{modseq: 1}
		key := rest
		if v2 {
			ms, rest2, ok1 := strings.Cut(rest, " ")
			is, k, ok2 := strings.Cut(rest2, " ")
			m, err := strconv.ParseUint(ms, 10, 64)
			if !ok1 || !ok2 || err != nil || m == 0 || m > l.highest {
				return nil, errCorrupt
			}
			in, err := maildir.ParseInfo(is)
			if err != nil {
				return nil, errCorrupt
			}
			rec, key = modRec{modseq: m, info: in, known: true}, k
		}
		if nm, err := maildir.ParseName(key); err != nil || nm.Key != key {
			return nil, errCorrupt
		}
		if _, dup := l.uids[key]; dup {
			return nil, errCorrupt
		}
		seen[uint32(u)] = true
		l.uids[key] = uint32(u)
		l.mods[key] = rec
	}
	if sc.Err() != nil {
		return nil, errCorrupt
	}
	return l, nil
}

// format writes the uidlist in version 2.
func (l *uidList) format() []byte {
	type ent struct {
		uid uint32
		key string
	}
	ents := make([]ent, 0, len(l.uids))
	for k, u := range l.uids {
		ents = append(ents, ent{u, k})
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].uid < ents[j].uid })
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%s %d %d %d\n", uidlistMagic2, l.validity, l.next, l.highest)
	for _, e := range ents {
		rec := l.mods[e.key]
		buf.WriteString(strconv.FormatUint(uint64(e.uid), 10))
		buf.WriteByte(' ')
		buf.WriteString(strconv.FormatUint(max(rec.modseq, 1), 10))
		buf.WriteByte(' ')
		buf.WriteString(rec.info.String())
		buf.WriteByte(' ')
		buf.WriteString(e.key)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// readKeywords parses Dovecot's dovecot-keywords file: "<index> <name>"
// lines, index 0-25 standing for the letters a-z.
func readKeywords(data []byte) []string {
	var kw []string
	for _, l := range strings.Split(string(data), "\n") {
		is, name, ok := strings.Cut(strings.TrimRight(l, "\r"), " ")
		i, err := strconv.Atoi(is)
		if !ok || err != nil || i < 0 || i >= maxKeywords || name == "" {
			continue
		}
		for len(kw) <= i {
			kw = append(kw, "")
		}
		kw[i] = name
	}
	return kw
}

func (f *folder) lock() (*fileLock, error) {
	return acquireFileLock(filepath.Join(f.dir, lockName))
}

// loadKeywordsLocked rereads dovecot-keywords when it changed. The caller
// holds f.mu and the file lock.
func (f *folder) loadKeywordsLocked() {
	path := filepath.Join(f.dir, keywordsName)
	id, err := statID(path)
	if err != nil {
		id = fileID{}
	}
	if id == f.kwID && f.loaded {
		return
	}
	f.kwID = id
	data, err := os.ReadFile(path)
	if err != nil {
		f.keywords = nil
		return
	}
	f.keywords = readKeywords(data)
}

// ensureKeywords makes sure every keyword of flags has a letter, adding
// new ones to dovecot-keywords. The caller holds f.mu.
func (f *folder) ensureKeywords(flags []imap.Flag) error {
	var missing []string
	for _, fl := range flags {
		if isSystemFlag(fl) {
			continue
		}
		if f.keywordIndex(string(fl)) < 0 {
			missing = append(missing, string(fl))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	lk, err := f.lock()
	if err != nil {
		return err
	}
	defer lk.release()
	f.loadKeywordsLocked()
	changed := false
	for _, name := range missing {
		if f.keywordIndex(name) >= 0 {
			continue
		}
		slot := -1
		for i, k := range f.keywords {
			if k == "" {
				slot = i
				break
			}
		}
		if slot < 0 {
			if len(f.keywords) >= maxKeywords {
				return errTooManyKeywords
			}
			f.keywords = append(f.keywords, "")
			slot = len(f.keywords) - 1
		}
		f.keywords[slot] = name
		changed = true
	}
	if !changed {
		return nil
	}
	var buf bytes.Buffer
	for i, k := range f.keywords {
		if k != "" {
			fmt.Fprintf(&buf, "%d %s\n", i, k)
		}
	}
	path := filepath.Join(f.dir, keywordsName)
	if err := writeFileAtomic(path, buf.Bytes(), f.b.fileMode()); err != nil {
		return err
	}
	f.kwID, _ = statID(path)
	return nil
}

func (f *folder) keywordIndex(name string) int {
	for i, k := range f.keywords {
		if k != "" && strings.EqualFold(k, name) {
			return i
		}
	}
	return -1
}

func isSystemFlag(fl imap.Flag) bool { return strings.HasPrefix(string(fl), `\`) }

// flagsOf returns the IMAP flags of a message (without \Recent).
func (f *folder) flagsOf(m *message) []imap.Flag {
	var out []imap.Flag
	fl := m.info.Flags
	if fl.Has(maildir.FlagReplied) {
		out = append(out, imap.FlagAnswered)
	}
	if fl.Has(maildir.FlagFlagged) {
		out = append(out, imap.FlagFlagged)
	}
	if fl.Has(maildir.FlagTrashed) {
		out = append(out, imap.FlagDeleted)
	}
	if fl.Has(maildir.FlagSeen) {
		out = append(out, imap.FlagSeen)
	}
	if fl.Has(maildir.FlagDraft) {
		out = append(out, imap.FlagDraft)
	}
	for i := 0; i < len(m.info.Extra); i++ {
		c := m.info.Extra[i]
		if c >= 'a' && c <= 'z' && int(c-'a') < len(f.keywords) && f.keywords[c-'a'] != "" {
			out = append(out, imap.Flag(f.keywords[c-'a']))
		}
	}
	return out
}

var systemLetters = []struct {
	flag imap.Flag
	bit  maildir.Flags
}{
	{imap.FlagAnswered, maildir.FlagReplied},
	{imap.FlagFlagged, maildir.FlagFlagged},
	{imap.FlagDeleted, maildir.FlagTrashed},
	{imap.FlagSeen, maildir.FlagSeen},
	{imap.FlagDraft, maildir.FlagDraft},
}

// toInfo converts IMAP flags to standard flag bits and keyword letters
// (after ensureKeywords). \Recent and unknown system flags are ignored.
func (f *folder) toInfo(flags []imap.Flag) (maildir.Flags, string) {
	var bits maildir.Flags
	var letters []byte
	for _, fl := range flags {
		if isSystemFlag(fl) {
			for _, sl := range systemLetters {
				if strings.EqualFold(string(fl), string(sl.flag)) {
					bits |= sl.bit
				}
			}
			continue
		}
		if i := f.keywordIndex(string(fl)); i >= 0 {
			letters = append(letters, byte('a'+i))
		}
	}
	return bits, string(letters)
}

// applyStore computes the new info of a message for a STORE action,
// keeping flag characters it does not manage (P, unknown letters).
func (f *folder) applyStore(old maildir.Info, action imap.StoreAction, flags []imap.Flag) maildir.Info {
	bits, letters := f.toInfo(flags)
	in := old
	switch action {
	case imap.StoreSet:
		in.Flags = (old.Flags & maildir.FlagPassed) | bits
		var extra []byte
		for i := 0; i < len(old.Extra); i++ {
			c := old.Extra[i]
			if c >= 'a' && c <= 'z' && int(c-'a') < len(f.keywords) && f.keywords[c-'a'] != "" {
				continue // a keyword we manage: replaced below
			}
			extra = append(extra, c)
		}
		in.Extra = normExtra(string(extra) + letters)
	case imap.StoreAdd:
		in.Flags |= bits
		in.Extra = normExtra(old.Extra + letters)
	case imap.StoreRemove:
		in.Flags &^= bits
		var extra []byte
		for i := 0; i < len(old.Extra); i++ {
			if !strings.ContainsRune(letters, rune(old.Extra[i])) {
				extra = append(extra, old.Extra[i])
			}
		}
		in.Extra = string(extra)
	}
	return in
}

// normExtra sorts and deduplicates flag characters as maildir.Info keeps
// them, so that Infos compare equal.
func normExtra(s string) string {
	b := []byte(s)
	sort.Slice(b, func(i, j int) bool { return b[i] < b[j] })
	out := b[:0]
	for i, c := range b {
		if i == 0 || c != b[i-1] {
			out = append(out, c)
		}
	}
	return string(out)
}

// newUIDValidity returns a fresh UIDVALIDITY for a folder of root: the
// current time in seconds, but always above the last value handed out for
// this root (kept in the root's mailkit-uidvalidity file), so a mailbox
// deleted and re-created in the same second still changes UIDVALIDITY.
func (b *Backend) newUIDValidity(root string) (uint32, error) {
	b.rootMu.Lock()
	defer b.rootMu.Unlock()
	lk, err := acquireFileLock(filepath.Join(root, rootLockName))
	if err != nil {
		return 0, err
	}
	defer lk.release()
	path := filepath.Join(root, uidValidityName)
	var last uint64
	if data, err := os.ReadFile(path); err == nil {
		last, _ = strconv.ParseUint(strings.TrimSpace(string(data)), 10, 32)
	}
	v := uint64(uint32(b.now().Unix()))
	if v <= last {
		v = last + 1
	}
	if v > 0xffffffff || v == 0 {
		v = 1
	}
	if err := writeFileAtomic(path, []byte(strconv.FormatUint(v, 10)+"\n"), b.fileMode()); err != nil {
		return 0, err
	}
	return uint32(v), nil
}

// sync brings the folder's cache up to date with the directory: new files
// get the next UIDs (recorded in the uidlist before anything is reported),
// vanished files become expunges and renamed files flag changes, all
// queued for the sessions that have the folder selected. The caller holds
// f.mu.
func (f *folder) sync(ctx context.Context) error {
	if f.gone {
		return nil
	}
	lk, err := f.lock()
	if err != nil {
		return err
	}
	defer lk.release()

	path := filepath.Join(f.dir, uidlistName)
	ul := &uidList{validity: f.uidValidity, next: f.uidNext, highest: f.highestModSeq, uids: f.fileUIDs, mods: f.fileMods}
	dirty := false
	id, err := statID(path)
	switch {
	case err == nil && f.loaded && id == f.listID:
		// Unchanged since we last read or wrote it.
	case err == nil:
		data, rerr := os.ReadFile(path)
		if rerr != nil {
			return fmt.Errorf("imapmaildir: %w", rerr)
		}
		var perr error
		ul, perr = readUIDList(data)
		if perr != nil {
			f.b.logger().Warn("imapmaildir: unreadable uidlist, assigning a new UIDVALIDITY", "dir", f.dir, "error", perr)
			ul = &uidList{}
		}
	case errors.Is(err, fs.ErrNotExist):
		ul.validity = 0
	default:
		return fmt.Errorf("imapmaildir: %w", err)
	}
	if ul.validity == 0 {
		v, err := f.b.newUIDValidity(f.root)
		if err != nil {
			return err
		}
		ul, dirty = &uidList{validity: v, next: 1, highest: 1}, true
	} else if id != f.listID || !f.loaded {
		f.listID = id
	}
	validity, next := ul.validity, ul.next
	uids := copyUIDs(ul.uids)
	mods := make(map[string]modRec, len(ul.mods))
	for k, r := range ul.mods {
		mods[k] = r
	}
	highest := max(ul.highest, 1)
	if !f.loaded || ul.validity != f.uidValidity {
		// Expunges before now are unknown to this process.
		f.expungeLog = imapserver.ExpungeLog{Floor: highest}
	}
	bump := func() uint64 {
		if highest < maxModSeq {
			highest++
		}
		return highest
	}

	list, err := f.md.List(ctx)
	if err != nil {
		return fmt.Errorf("imapmaildir: %w", err)
	}
	present := make(map[string]bool, len(list))
	for _, m := range list {
		present[m.Key] = true
	}
	missing := false
	for k := range uids {
		if !present[k] {
			missing = true
			break
		}
	}
	if missing {
		// A file renamed by another process between the reads of new/
		// and cur/ can be missed; one more listing tells a rename from
		// a removal.
		again, err := f.md.List(ctx)
		if err != nil {
			return fmt.Errorf("imapmaildir: %w", err)
		}
		for _, m := range again {
			if !present[m.Key] && uids[m.Key] != 0 {
				present[m.Key] = true
				list = append(list, m)
			}
		}
		var gone []uint32
		for k, u := range uids {
			if !present[k] {
				delete(uids, k)
				delete(mods, k)
				dirty = true
				gone = append(gone, u)
			}
		}
		if len(gone) > 0 {
			// An expunge raises HIGHESTMODSEQ (RFC 7162 §3.1.2.1).
			bump()
		}
	}
	listed := make(map[string]bool, len(list))
	kept := list[:0]
	for _, m := range list {
		if listed[m.Key] {
			continue // the same key twice: keep the first
		}
		listed[m.Key] = true
		kept = append(kept, m)
		if _, ok := uids[m.Key]; !ok {
			if next == 0xffffffff {
				return errors.New("imapmaildir: UID space exhausted")
			}
			uids[m.Key] = next
			next++
			dirty = true
		}
		switch rec, ok := mods[m.Key]; {
		case !ok:
			mods[m.Key] = modRec{modseq: bump(), info: m.Info, known: true}
			dirty = true
		case !rec.known:
			mods[m.Key] = modRec{modseq: rec.modseq, info: m.Info, known: true}
			dirty = true
		case rec.info != m.Info:
			// Flags changed (by this Backend or another program).
			mods[m.Key] = modRec{modseq: bump(), info: m.Info, known: true}
			dirty = true
		}
	}
	list = kept
	if dirty {
		nl := &uidList{validity: validity, next: next, highest: highest, uids: uids, mods: mods}
		if err := writeFileAtomic(path, nl.format(), f.b.fileMode()); err != nil {
			return err
		}
		if f.listID, err = statID(path); err != nil {
			return fmt.Errorf("imapmaildir: %w", err)
		}
	}
	if f.loaded && validity == f.uidValidity {
		// Every UID known before or handed out since (also by another
		// process, between two rescans of this one) that is no longer
		// listed was expunged: the expunge log gets them at the current
		// HIGHESTMODSEQ, which is not below the expunge's own.
		now := make(map[uint32]bool, len(uids))
		for _, u := range uids {
			now[u] = true
		}
		var gone []uint32
		for _, u := range f.fileUIDs {
			if !now[u] {
				gone = append(gone, u)
			}
		}
		for u := f.uidNext; u < next; u++ {
			if !now[u] {
				gone = append(gone, u)
			}
		}
		if len(gone) > 0 {
			f.expungeLog.Add(highest, gone...)
		}
	}
	reset := f.loaded && validity != f.uidValidity
	f.uidValidity, f.uidNext, f.fileUIDs, f.fileMods, f.highestModSeq = validity, next, uids, mods, highest
	f.loadKeywordsLocked()
	f.loaded = true

	// Compare with the cache and queue the updates.
	if reset {
		f.dropAllLocked()
	}
	msgs := make([]*message, 0, len(list))
	byKey := make(map[string]*message, len(list))
	var changed []uint32
	added := false
	for _, lm := range list {
		uid := uids[lm.Key]
		m := f.byKey[lm.Key]
		if m != nil && m.uid == uid {
			if m.filename != lm.Filename || m.isNew != lm.New {
				if m.info != lm.Info {
					changed = append(changed, uid)
				}
				m.filename, m.isNew, m.info = lm.Filename, lm.New, lm.Info
			}
		} else {
			m = &message{uid: uid, key: lm.Key, filename: lm.Filename, isNew: lm.New, info: lm.Info, claimable: lm.New}
			m.vsize.Store(-1)
			added = true
		}
		m.modseq = mods[lm.Key].modseq
		msgs = append(msgs, m)
		byKey[lm.Key] = m
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].uid < msgs[j].uid })
	var expunged []uint32
	for _, m := range f.msgs {
		if byKey[m.key] != m {
			expunged = append(expunged, m.uid)
		}
	}
	f.msgs, f.byKey = msgs, byKey
	f.byUID = make(map[uint32]*message, len(msgs))
	for _, m := range msgs {
		f.byUID[m.uid] = m
	}
	if len(expunged) > 0 || len(changed) > 0 || added {
		for s := range f.sessions {
			for _, u := range expunged {
				s.expunged[u] = true
			}
			for _, u := range changed {
				s.changed[u] = true
			}
			s.signal()
		}
	}
	return nil
}

func copyUIDs(m map[string]uint32) map[string]uint32 {
	c := make(map[string]uint32, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// dropAllLocked reports every cached message as expunged to the sessions
// and empties the cache.
func (f *folder) dropAllLocked() {
	for s := range f.sessions {
		for _, m := range f.msgs {
			s.expunged[m.uid] = true
		}
		s.signal()
	}
	f.msgs = nil
	f.byUID = map[uint32]*message{}
	f.byKey = map[string]*message{}
}

// invalidate marks the folder as deleted or renamed away: its sessions see
// every message expunged, and the registry forgets it.
func (f *folder) invalidate() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropAllLocked()
	f.gone = true
}

// dateOf returns the internal date (the file's modification time). The
// caller holds f.mu.
func (f *folder) dateOf(m *message) time.Time {
	if m.date.IsZero() {
		if fi, err := os.Stat(m.path(f.dir)); err == nil {
			m.date = fi.ModTime()
		} else if st, err := f.md.Stat(context.Background(), m.key); err == nil {
			m.filename, m.isNew = st.Filename, st.New
			if fi, err := os.Stat(m.path(f.dir)); err == nil {
				m.date = fi.ModTime()
			}
		}
	}
	return m.date
}

// setInfo renames a message file to carry info, following a concurrent
// rename by another process. The caller holds f.mu.
func (f *folder) setInfo(ctx context.Context, m *message, in maildir.Info) error {
	if m.info == in {
		return nil // unchanged; a message in new/ stays there
	}
	nm, err := f.md.SetInfo(ctx, m.key, in)
	if err != nil {
		return err
	}
	m.filename, m.isNew, m.info = nm.Filename, nm.New, nm.Info
	return nil
}
