package imapmem

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/sasl"
)

// Backend is an in-memory mail store. The zero value is not usable; call
// New.
type Backend struct {
	// Now is the clock for internal dates and UIDVALIDITY (nil: time.Now).
	Now func() time.Time
	// URLHosts are the host names by which absolute IMAP URLs of
	// CATENATE (RFC 4469) may name this server; empty: only relative
	// URLs ("/mailbox/;UID=n") are resolved.
	URLHosts []string

	mu          sync.Mutex
	users       map[string]*user
	uidValidity uint32
}

type user struct {
	name       string
	password   string
	mailboxes  map[string]*mailbox
	subscribed map[string]bool
}

type mailbox struct {
	name        string
	uidValidity uint32
	uidNext     uint32
	noSelect    bool
	specialUse  []imap.MailboxAttr // RFC 6154; see SetSpecialUse
	msgs        []*message
	byUID       map[uint32]*message
	// highestModSeq is HIGHESTMODSEQ (RFC 7162): raised by every append,
	// flag change and expunge.
	highestModSeq uint64
	// expungeLog remembers expunged UIDs for QRESYNC (bounded).
	expungeLog imapserver.ExpungeLog
	sessions   map[*session]struct{}
}

type message struct {
	uid     uint32
	modseq  uint64 // mod-sequence of the last change (RFC 7162)
	flags   []imap.Flag
	date    time.Time
	raw     []byte
	claimed bool // \Recent given to a session

	once   sync.Once
	parsed *imap.Message
}

func (m *message) msg() *imap.Message {
	m.once.Do(func() { m.parsed = imap.ParseMessage(m.raw) })
	return m.parsed
}

// New returns an empty backend.
func New() *Backend {
	return &Backend{users: make(map[string]*user)}
}

func (b *Backend) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// ErrUserExists is returned by AddUser for a name already taken.
var ErrUserExists = errors.New("imapmem: user already exists")

// AddUser creates a user with an empty INBOX.
func (b *Backend) AddUser(name, password string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.users[name]; ok {
		return ErrUserExists
	}
	u := &user{name: name, password: password, mailboxes: make(map[string]*mailbox), subscribed: make(map[string]bool)}
	b.users[name] = u
	b.newMailbox(u, "INBOX")
	return nil
}

func (b *Backend) newMailbox(u *user, name string) *mailbox {
	if b.uidValidity == 0 {
		b.uidValidity = uint32(b.now().Unix())
	} else {
		b.uidValidity++
	}
	mb := &mailbox{name: name, uidValidity: b.uidValidity, uidNext: 1, highestModSeq: 1, byUID: make(map[uint32]*message), sessions: make(map[*session]struct{})}
	u.mailboxes[name] = mb
	return mb
}

// Credentials returns a sasl.Credentials lookup over the users, for a
// [sasl.Registry].
func (b *Backend) Credentials() sasl.Credentials {
	return sasl.CredentialsFunc(func(ctx context.Context, username string) (*sasl.Secret, error) {
		b.mu.Lock()
		defer b.mu.Unlock()
		u, ok := b.users[username]
		if !ok {
			return nil, sasl.ErrUnknownUser
		}
		return &sasl.Secret{Password: []byte(u.password)}, nil
	})
}

// Deliver appends a message to a user's mailbox as a local delivery agent
// would (for tests and examples).
func (b *Backend) Deliver(username, mailbox string, raw []byte, flags []imap.Flag) (uid uint32, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.users[username]
	if !ok {
		return 0, fmt.Errorf("imapmem: no user %q", username)
	}
	mb := u.mailboxes[mailbox]
	if mb == nil || mb.noSelect {
		return 0, imapserver.ErrNoSuchMailbox
	}
	return b.appendLocked(mb, append([]byte(nil), raw...), flags, b.now()), nil
}

func (b *Backend) appendLocked(mb *mailbox, raw []byte, flags []imap.Flag, date time.Time) uint32 {
	mb.highestModSeq++
	m := &message{uid: mb.uidNext, modseq: mb.highestModSeq, flags: dedupFlags(flags), date: date, raw: raw}
	mb.uidNext++
	mb.msgs = append(mb.msgs, m)
	mb.byUID[m.uid] = m
	for s := range mb.sessions {
		s.signal()
	}
	return m.uid
}

func dedupFlags(flags []imap.Flag) []imap.Flag {
	out := make([]imap.Flag, 0, len(flags))
	for _, f := range flags {
		f = imap.CanonicalFlag(f)
		if f == imap.FlagRecent || hasFlag(out, f) {
			continue
		}
		out = append(out, f)
	}
	return out
}

func hasFlag(flags []imap.Flag, f imap.Flag) bool {
	for _, g := range flags {
		if strings.EqualFold(string(g), string(f)) {
			return true
		}
	}
	return false
}

// SupportsSASL reports true: sessions implement
// [imapserver.SASLSession] (see [imapserver.SASLBackend]).
func (b *Backend) SupportsSASL() bool { return true }

// NewSession implements imapserver.Backend.
func (b *Backend) NewSession(ctx context.Context, c *imapserver.ConnInfo) (imapserver.Session, error) {
	return &session{b: b, notify: make(chan struct{}, 1)}, nil
}

type session struct {
	b      *Backend
	u      *user
	mb     *mailbox
	ro     bool
	notify chan struct{}

	// The session's view of the selected mailbox.
	view     []uint32
	expunged map[uint32]bool
	changed  map[uint32]bool
	recent   map[uint32]bool
}

var (
	_ imapserver.Session          = (*session)(nil)
	_ imapserver.MoveSession      = (*session)(nil)
	_ imapserver.SASLSession      = (*session)(nil)
	_ imapserver.NamespaceSession = (*session)(nil)
	_ imapserver.SortSession      = (*session)(nil)
	_ imapserver.ThreadSession    = (*session)(nil)
	_ imapserver.CondStoreSession = (*session)(nil)
	_ imapserver.QResyncSession   = (*session)(nil)
)

func (s *session) signal() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *session) Close() error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.unselectLocked()
	return nil
}

func (s *session) Login(ctx context.Context, username, password string) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	u, ok := s.b.users[username]
	if !ok || subtle.ConstantTimeCompare([]byte(u.password), []byte(password)) != 1 {
		return imapserver.ErrAuthFailed
	}
	s.u = u
	return nil
}

func (s *session) AuthenticateIdentity(ctx context.Context, id sasl.Identity) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	u, ok := s.b.users[id.Authzid]
	if !ok {
		return imapserver.ErrAuthFailed
	}
	s.u = u
	return nil
}

func (s *session) Namespace(ctx context.Context) (*imapserver.NamespaceData, error) {
	return &imapserver.NamespaceData{Personal: []imapserver.NamespaceDescriptor{{Prefix: "", Delim: '/'}}}, nil
}

func (s *session) mailboxLocked(name string) (*mailbox, error) {
	mb := s.u.mailboxes[name]
	if mb == nil || mb.noSelect {
		return nil, imapserver.ErrNoSuchMailbox
	}
	return mb, nil
}

func (s *session) unselectLocked() {
	if s.mb != nil {
		delete(s.mb.sessions, s)
	}
	s.mb, s.view, s.expunged, s.changed, s.recent = nil, nil, nil, nil, nil
}

func (s *session) Select(ctx context.Context, name string, opts *imap.SelectOptions) (*imap.SelectData, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.unselectLocked()
	mb, err := s.mailboxLocked(name)
	if err != nil {
		return nil, err
	}
	s.mb, s.ro = mb, opts.ReadOnly
	s.expunged, s.changed, s.recent = map[uint32]bool{}, map[uint32]bool{}, map[uint32]bool{}
	mb.sessions[s] = struct{}{}
	data := &imap.SelectData{
		Flags:          []imap.Flag{imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted, imap.FlagSeen, imap.FlagDraft},
		PermanentFlags: []imap.Flag{imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted, imap.FlagSeen, imap.FlagDraft, imap.FlagWildcard},
		UIDNext:        mb.uidNext,
		UIDValidity:    mb.uidValidity,
		ReadOnly:       opts.ReadOnly,
		HighestModSeq:  mb.highestModSeq,
	}
	for i, m := range mb.msgs {
		s.view = append(s.view, m.uid)
		if !m.claimed {
			// EXAMINE shows \Recent without taking it (RFC 3501 §6.3.2).
			m.claimed = !opts.ReadOnly
			s.recent[m.uid] = true
		}
		if s.recent[m.uid] {
			data.NumRecent++
		}
		if data.FirstUnseen == 0 && !hasFlag(m.flags, imap.FlagSeen) {
			data.FirstUnseen = uint32(i + 1)
		}
	}
	data.NumMessages = uint32(len(s.view))
	return data, nil
}

func (s *session) Unselect(ctx context.Context) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.unselectLocked()
	return nil
}

func validName(name string) bool {
	return name != "" && !strings.HasPrefix(name, "/") && !strings.Contains(name, "//") && !strings.ContainsAny(name, "*%\r\n\x00")
}

func (s *session) Create(ctx context.Context, name string) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	_, err := s.createLocked(name)
	return err
}

// createLocked creates name and its missing parents; it returns the new
// mailbox (or the \Noselect one made selectable again).
func (s *session) createLocked(name string) (*mailbox, error) {
	if !validName(name) {
		return nil, imapserver.Errorf("CANNOT", "Invalid mailbox name")
	}
	if mb := s.u.mailboxes[name]; mb != nil {
		if mb.noSelect {
			mb.noSelect, mb.specialUse = false, nil
			return mb, nil
		}
		return nil, imapserver.ErrMailboxExists
	}
	// Create the superior hierarchy too (RFC 3501 §6.3.3).
	parts := strings.Split(name, "/")
	for i := 1; i < len(parts); i++ {
		p := strings.Join(parts[:i], "/")
		if s.u.mailboxes[p] == nil {
			s.b.newMailbox(s.u, p)
		}
	}
	return s.b.newMailbox(s.u, name), nil
}

func (s *session) hasChildrenLocked(name string) bool {
	for n := range s.u.mailboxes {
		if strings.HasPrefix(n, name+"/") {
			return true
		}
	}
	return false
}

func (s *session) Delete(ctx context.Context, name string) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	mb := s.u.mailboxes[name]
	if mb == nil {
		return imapserver.ErrNoSuchMailbox
	}
	if s.hasChildrenLocked(name) {
		if mb.noSelect {
			return imapserver.Errorf("HASCHILDREN", "Mailbox has children")
		}
		// Keep the name as \Noselect for its children (RFC 3501 §6.3.4).
		s.expungeAllLocked(mb)
		mb.noSelect = true
		return nil
	}
	s.expungeAllLocked(mb)
	delete(s.u.mailboxes, name)
	return nil
}

func (s *session) expungeAllLocked(mb *mailbox) {
	for o := range mb.sessions {
		for _, m := range mb.msgs {
			o.expunged[m.uid] = true
		}
		o.signal()
	}
	if len(mb.msgs) > 0 {
		// The mailbox may live on (INBOX after RENAME, a \Noselect
		// parent): its expunges count for CONDSTORE and QRESYNC.
		mb.highestModSeq++
		uids := make([]uint32, len(mb.msgs))
		for i, m := range mb.msgs {
			uids[i] = m.uid
		}
		mb.expungeLog.Add(mb.highestModSeq, uids...)
	}
	mb.msgs = nil
	mb.byUID = map[uint32]*message{}
}

func (s *session) Rename(ctx context.Context, from, to string) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	mb := s.u.mailboxes[from]
	if mb == nil {
		return imapserver.ErrNoSuchMailbox
	}
	if !validName(to) {
		return imapserver.Errorf("CANNOT", "Invalid mailbox name")
	}
	if s.u.mailboxes[to] != nil {
		return imapserver.ErrMailboxExists
	}
	if from == to || strings.HasPrefix(to, from+"/") {
		return imapserver.Errorf("CANNOT", "Cannot rename a mailbox into itself")
	}
	if from == "INBOX" {
		// Renaming INBOX moves its messages and leaves it empty.
		nb := s.b.newMailbox(s.u, to)
		for _, m := range mb.msgs {
			s.b.appendLocked(nb, m.raw, m.flags, m.date)
		}
		s.expungeAllLocked(mb)
		return nil
	}
	parts := strings.Split(to, "/")
	for i := 1; i < len(parts); i++ {
		if p := strings.Join(parts[:i], "/"); s.u.mailboxes[p] == nil {
			s.b.newMailbox(s.u, p)
		}
	}
	var names []string
	for n := range s.u.mailboxes {
		if n == from || strings.HasPrefix(n, from+"/") {
			names = append(names, n)
		}
	}
	for _, n := range names {
		m := s.u.mailboxes[n]
		delete(s.u.mailboxes, n)
		m.name = to + strings.TrimPrefix(n, from)
		s.u.mailboxes[m.name] = m
	}
	return nil
}

func (s *session) Subscribe(ctx context.Context, name string) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.u.mailboxes[name] == nil {
		return imapserver.ErrNoSuchMailbox
	}
	s.u.subscribed[name] = true
	return nil
}

func (s *session) Unsubscribe(ctx context.Context, name string) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if !s.u.subscribed[name] {
		return imapserver.Errorf("NONEXISTENT", "Not subscribed")
	}
	delete(s.u.subscribed, name)
	return nil
}

func (s *session) List(ctx context.Context, w *imapserver.ListWriter, ref string, patterns []string, opts *imapserver.ListOptions) error {
	s.b.mu.Lock()
	var out []*imap.ListData
	names := make([]string, 0, len(s.u.mailboxes))
	for n := range s.u.mailboxes {
		names = append(names, n)
	}
	parentOnly := map[string]bool{}
	if opts.SubscribedOnly {
		names = names[:0]
		for n := range s.u.subscribed {
			names = append(names, n)
		}
		for _, p := range imapserver.SubscribedParents(s.u.subscribed, ref, patterns, '/') {
			parentOnly[p] = true
			names = append(names, p)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if !imapserver.MatchListAny(ref, patterns, n, '/') {
			continue
		}
		d := &imap.ListData{Mailbox: n, Delim: '/'}
		mb := s.u.mailboxes[n]
		if mb == nil || parentOnly[n] {
			d.Attrs = append(d.Attrs, imap.AttrNoSelect)
		} else {
			if mb.noSelect {
				d.Attrs = append(d.Attrs, imap.AttrNoSelect)
			}
			if !opts.SubscribedOnly {
				if s.hasChildrenLocked(n) {
					d.Attrs = append(d.Attrs, imap.AttrHasChildren)
				} else {
					d.Attrs = append(d.Attrs, imap.AttrHasNoChildren)
				}
			}
		}
		out = append(out, d)
	}
	s.b.mu.Unlock()
	for _, d := range out {
		if err := w.WriteList(d); err != nil {
			return err
		}
	}
	return nil
}

func u32(n int) *uint32 { v := uint32(n); return &v }

func (s *session) Status(ctx context.Context, name string, opts *imap.StatusOptions) (*imap.StatusData, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	mb, err := s.mailboxLocked(name)
	if err != nil {
		return nil, err
	}
	d := &imap.StatusData{Mailbox: name, UIDNext: mb.uidNext, UIDValidity: mb.uidValidity, HighestModSeq: mb.highestModSeq}
	var unseen, recent, deleted int
	var size int64
	for _, m := range mb.msgs {
		if !hasFlag(m.flags, imap.FlagSeen) {
			unseen++
		}
		if hasFlag(m.flags, imap.FlagDeleted) {
			deleted++
		}
		if !m.claimed || (mb == s.mb && s.recent[m.uid]) {
			recent++
		}
		size += int64(len(m.raw))
	}
	d.NumMessages, d.NumUnseen, d.NumRecent, d.NumDeleted = u32(len(mb.msgs)), u32(unseen), u32(recent), u32(deleted)
	d.Size = &size
	return d, nil
}

func (s *session) Append(ctx context.Context, name string, r io.Reader, size int64, opts *imap.AppendOptions) (*imap.AppendData, error) {
	var buf bytes.Buffer
	buf.Grow(int(min(size, 1<<20)))
	if _, err := io.Copy(&buf, r); err != nil {
		return nil, err
	}
	if int64(buf.Len()) != size {
		return nil, fmt.Errorf("imapmem: short literal")
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	mb, err := s.mailboxLocked(name)
	if err != nil {
		return nil, err
	}
	date := opts.Time
	if date.IsZero() {
		date = s.b.now()
	}
	uid := s.b.appendLocked(mb, buf.Bytes(), opts.Flags, date)
	return &imap.AppendData{UIDValidity: mb.uidValidity, UID: uid}, nil
}

func (s *session) flagsOf(m *message) []imap.Flag {
	f := append([]imap.Flag(nil), m.flags...)
	if s.recent[m.uid] {
		f = append(f, imap.FlagRecent)
	}
	return f
}

// pendingLocked computes the updates for this session and applies them
// to its view.
func (s *session) pendingLocked(allowExpunge bool) []imapserver.Update {
	if s.mb == nil {
		return nil
	}
	var ups []imapserver.Update
	if allowExpunge && len(s.expunged) > 0 {
		for i := len(s.view) - 1; i >= 0; i-- {
			if s.expunged[s.view[i]] {
				ups = append(ups, imapserver.Update{Kind: imapserver.UpdateExpunge, Seq: uint32(i + 1), UID: s.view[i]})
				delete(s.recent, s.view[i])
				s.view = append(s.view[:i], s.view[i+1:]...)
			}
		}
		s.expunged = map[uint32]bool{}
	}
	var last uint32
	if len(s.view) > 0 {
		last = s.view[len(s.view)-1]
	}
	added, recent := 0, 0
	for _, m := range s.mb.msgs {
		if m.uid > last {
			s.view = append(s.view, m.uid)
			added++
			if !m.claimed && !s.ro {
				m.claimed = true
				s.recent[m.uid] = true
				recent++
			}
		}
	}
	if added > 0 {
		ups = append(ups, imapserver.Update{Kind: imapserver.UpdateExists, Seq: uint32(len(s.view))})
		if recent > 0 {
			ups = append(ups, imapserver.Update{Kind: imapserver.UpdateRecent, Seq: uint32(len(s.recent))})
		}
	}
	if len(s.changed) > 0 {
		for i, uid := range s.view {
			if s.changed[uid] {
				if m := s.mb.byUID[uid]; m != nil {
					ups = append(ups, imapserver.Update{Kind: imapserver.UpdateFlags, Seq: uint32(i + 1), UID: uid, Flags: s.flagsOf(m), ModSeq: m.modseq})
				}
			}
		}
		s.changed = map[uint32]bool{}
	}
	return ups
}

func (s *session) Poll(ctx context.Context, w *imapserver.UpdateWriter, allowExpunge bool) error {
	s.b.mu.Lock()
	ups := s.pendingLocked(allowExpunge)
	s.b.mu.Unlock()
	return w.WriteUpdates(ups)
}

func (s *session) Idle(ctx context.Context, w *imapserver.UpdateWriter, stop <-chan struct{}) error {
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
		}
	}
}

// resolveLocked returns the sequence numbers (1-based) in the view
// selected by set.
func (s *session) resolveLocked(kind imap.NumKind, set imap.SeqSet) []uint32 {
	return set.SeqNums(kind, s.view)
}

func (s *session) notifyOthersLocked(uid uint32) {
	for o := range s.mb.sessions {
		if o != s {
			o.changed[uid] = true
			o.signal()
		}
	}
}

type fetchItem struct {
	seq    uint32
	m      *message
	flags  []imap.Flag
	modseq uint64
}

func (s *session) Fetch(ctx context.Context, w *imapserver.FetchWriter, kind imap.NumKind, set imap.SeqSet, opts *imap.FetchOptions) error {
	s.b.mu.Lock()
	if s.mb == nil {
		s.b.mu.Unlock()
		return imapserver.ErrNoSuchMailbox
	}
	setSeen := opts.SetsSeen() && !s.ro
	var items []fetchItem
	for _, seq := range s.resolveLocked(kind, set) {
		m := s.mb.byUID[s.view[seq-1]]
		if m == nil {
			continue // expunged by another session, not yet reported
		}
		if opts.ChangedSince != 0 && m.modseq <= opts.ChangedSince {
			continue
		}
		if setSeen && !hasFlag(m.flags, imap.FlagSeen) {
			m.flags = append(m.flags, imap.FlagSeen)
			s.touchLocked(m)
			s.notifyOthersLocked(m.uid)
		}
		items = append(items, fetchItem{seq: seq, m: m, flags: s.flagsOf(m), modseq: m.modseq})
	}
	s.b.mu.Unlock()
	if setSeen && !opts.Flags {
		o := *opts
		o.Flags = true
		opts = &o
	}
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return err
		}
		rw := w.CreateMessage(it.seq)
		if opts.ModSeq {
			rw.WriteModSeq(it.modseq)
		}
		imapserver.WriteFetch(rw, opts, it.m.uid, it.flags, it.m.date, it.m.msg())
		if err := rw.Close(); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) Store(ctx context.Context, w *imapserver.FetchWriter, kind imap.NumKind, set imap.SeqSet, sf *imap.StoreFlags) error {
	_, err := s.store(w, kind, set, sf)
	return err
}

// StoreUnchangedSince implements [imapserver.CondStoreSession].
func (s *session) StoreUnchangedSince(ctx context.Context, w *imapserver.FetchWriter, kind imap.NumKind, set imap.SeqSet, sf *imap.StoreFlags) ([]uint32, error) {
	return s.store(w, kind, set, sf)
}

// store changes flags; with sf.UnchangedSince it leaves the messages
// changed since then alone and returns their numbers (of kind).
func (s *session) store(w *imapserver.FetchWriter, kind imap.NumKind, set imap.SeqSet, sf *imap.StoreFlags) ([]uint32, error) {
	s.b.mu.Lock()
	if s.mb == nil {
		s.b.mu.Unlock()
		return nil, imapserver.ErrNoSuchMailbox
	}
	var ups []imapserver.Update
	var modified []uint32
	for _, seq := range s.resolveLocked(kind, set) {
		m := s.mb.byUID[s.view[seq-1]]
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
		before := append([]imap.Flag(nil), m.flags...)
		switch sf.Action {
		case imap.StoreSet:
			m.flags = dedupFlags(sf.Flags)
		case imap.StoreAdd:
			m.flags = dedupFlags(append(m.flags, sf.Flags...))
		case imap.StoreRemove:
			kept := m.flags[:0:0]
			for _, f := range m.flags {
				if !hasFlag(sf.Flags, f) {
					kept = append(kept, f)
				}
			}
			m.flags = kept
		}
		if sameFlags(before, m.flags) {
			// Like Dovecot, no FETCH reply for a message whose flags did
			// not change (RFC 3501 says SHOULD; clients' caches are
			// already right), and no new mod-sequence.
			continue
		}
		s.touchLocked(m)
		s.notifyOthersLocked(m.uid)
		ups = append(ups, imapserver.Update{Kind: imapserver.UpdateFlags, Seq: seq, UID: m.uid, Flags: s.flagsOf(m), ModSeq: m.modseq})
	}
	s.b.mu.Unlock()
	return modified, w.WriteStoreResults(kind, ups)
}

// touchLocked gives m the next mod-sequence of the selected mailbox.
func (s *session) touchLocked(m *message) {
	s.mb.highestModSeq++
	m.modseq = s.mb.highestModSeq
}

// HighestModSeq implements [imapserver.CondStoreSession].
func (s *session) HighestModSeq(ctx context.Context) (uint64, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.mb == nil {
		return 0, imapserver.ErrNoSuchMailbox
	}
	return s.mb.highestModSeq, nil
}

// Vanished implements [imapserver.QResyncSession].
func (s *session) Vanished(ctx context.Context, since uint64, within imap.SeqSet) (imap.SeqSet, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.mb == nil {
		return nil, imapserver.ErrNoSuchMailbox
	}
	existing := make([]uint32, len(s.mb.msgs))
	for i, m := range s.mb.msgs {
		existing[i] = m.uid
	}
	return s.mb.expungeLog.Vanished(since, within, s.mb.uidNext, existing), nil
}

// SearchModSeq implements [imapserver.CondStoreSession].
func (s *session) SearchModSeq(ctx context.Context, kind imap.NumKind, c *imap.SearchCriteria) ([]uint32, []uint64, error) {
	found, err := s.search(ctx, c)
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

func sameFlags(a, b []imap.Flag) bool {
	if len(a) != len(b) {
		return false
	}
	for _, f := range a {
		if !hasFlag(b, f) {
			return false
		}
	}
	return true
}

// expungeLocked removes the given messages from the selected mailbox,
// marks them for other sessions and returns this session's EXPUNGE
// updates.
func (s *session) expungeLocked(remove map[uint32]bool) []imapserver.Update {
	kept := s.mb.msgs[:0]
	for _, m := range s.mb.msgs {
		if remove[m.uid] {
			delete(s.mb.byUID, m.uid)
			continue
		}
		kept = append(kept, m)
	}
	for i := len(kept); i < len(s.mb.msgs); i++ {
		s.mb.msgs[i] = nil
	}
	s.mb.msgs = kept
	if len(remove) > 0 {
		s.mb.highestModSeq++
		uids := make([]uint32, 0, len(remove))
		for uid := range remove {
			uids = append(uids, uid)
		}
		s.mb.expungeLog.Add(s.mb.highestModSeq, uids...)
	}
	for o := range s.mb.sessions {
		if o == s {
			continue
		}
		for uid := range remove {
			o.expunged[uid] = true
		}
		o.signal()
	}
	var ups []imapserver.Update
	for i := len(s.view) - 1; i >= 0; i-- {
		if remove[s.view[i]] {
			ups = append(ups, imapserver.Update{Kind: imapserver.UpdateExpunge, Seq: uint32(i + 1), UID: s.view[i]})
			delete(s.recent, s.view[i])
			s.view = append(s.view[:i], s.view[i+1:]...)
		}
	}
	return ups
}

func (s *session) Expunge(ctx context.Context, w *imapserver.UpdateWriter, uids imap.SeqSet) error {
	s.b.mu.Lock()
	if s.mb == nil {
		s.b.mu.Unlock()
		return imapserver.ErrNoSuchMailbox
	}
	remove := map[uint32]bool{}
	var maxUID uint32
	if n := len(s.mb.msgs); n > 0 {
		maxUID = s.mb.msgs[n-1].uid
	}
	for _, m := range s.mb.msgs {
		if hasFlag(m.flags, imap.FlagDeleted) && (uids == nil || uids.Contains(m.uid, maxUID)) {
			remove[m.uid] = true
		}
	}
	ups := s.expungeLocked(remove)
	s.b.mu.Unlock()
	if w == nil {
		return nil
	}
	return w.WriteUpdates(ups)
}

func (s *session) Search(ctx context.Context, kind imap.NumKind, c *imap.SearchCriteria) ([]uint32, error) {
	found, err := s.search(ctx, c)
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

// found is a message that matched a search.
type found struct {
	t imap.SearchTarget
	m *message
}

// search returns the messages of the session's view that match c, in
// sequence order.
func (s *session) search(ctx context.Context, c *imap.SearchCriteria) ([]found, error) {
	s.b.mu.Lock()
	if s.mb == nil {
		s.b.mu.Unlock()
		return nil, imapserver.ErrNoSuchMailbox
	}
	var cands []found
	var maxUID uint32
	if len(s.view) > 0 {
		maxUID = s.view[len(s.view)-1]
	}
	for i, uid := range s.view {
		m := s.mb.byUID[uid]
		if m == nil {
			continue
		}
		cands = append(cands, found{t: imap.SearchTarget{SeqNum: uint32(i + 1), UID: uid, MaxSeqNum: uint32(len(s.view)), MaxUID: maxUID,
			Flags: s.flagsOf(m), InternalDate: m.date, Size: int64(len(m.raw)), ModSeq: m.modseq}, m: m})
	}
	s.b.mu.Unlock()
	out := cands[:0]
	for i := range cands {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cands[i].m.msg().SearchTarget(&cands[i].t)
		if c.Match(&cands[i].t) {
			out = append(out, cands[i])
		}
	}
	return out, nil
}

// sortData returns what SORT and THREAD need of the messages matching c.
func (s *session) sortData(ctx context.Context, c *imap.SearchCriteria) ([]imap.SortData, error) {
	fs, err := s.search(ctx, c)
	if err != nil {
		return nil, err
	}
	out := make([]imap.SortData, len(fs))
	for i, f := range fs {
		out[i] = imap.SortData{SeqNum: f.t.SeqNum, UID: f.t.UID, InternalDate: f.t.InternalDate, Size: f.t.Size}
		f.m.msg().SortData(&out[i])
	}
	return out, nil
}

// Sort implements [imapserver.SortSession] with [imap.Sort].
func (s *session) Sort(ctx context.Context, kind imap.NumKind, keys []imap.SortCriterion, c *imap.SearchCriteria) ([]uint32, error) {
	data, err := s.sortData(ctx, c)
	if err != nil {
		return nil, err
	}
	return imap.Sort(data, keys, kind), nil
}

// Thread implements [imapserver.ThreadSession] with [imap.Threads].
func (s *session) Thread(ctx context.Context, kind imap.NumKind, alg imap.ThreadAlgorithm, c *imap.SearchCriteria) ([]imap.Thread, error) {
	data, err := s.sortData(ctx, c)
	if err != nil {
		return nil, err
	}
	return imap.Threads(alg, data, kind)
}

func (s *session) copyLocked(kind imap.NumKind, set imap.SeqSet, dest string) (*imap.CopyData, map[uint32]bool, error) {
	if s.mb == nil {
		return nil, nil, imapserver.ErrNoSuchMailbox
	}
	db, err := s.mailboxLocked(dest)
	if err != nil {
		return nil, nil, err
	}
	data := &imap.CopyData{UIDValidity: db.uidValidity}
	moved := map[uint32]bool{}
	for _, seq := range s.resolveLocked(kind, set) {
		m := s.mb.byUID[s.view[seq-1]]
		if m == nil {
			continue
		}
		uid := s.b.appendLocked(db, m.raw, m.flags, m.date)
		data.SourceUIDs.AddNum(m.uid)
		data.DestUIDs.AddNum(uid)
		moved[m.uid] = true
	}
	return data, moved, nil
}

func (s *session) Copy(ctx context.Context, kind imap.NumKind, set imap.SeqSet, dest string) (*imap.CopyData, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	data, _, err := s.copyLocked(kind, set, dest)
	return data, err
}

func (s *session) Move(ctx context.Context, w *imapserver.MoveWriter, kind imap.NumKind, set imap.SeqSet, dest string) error {
	s.b.mu.Lock()
	data, moved, err := s.copyLocked(kind, set, dest)
	if err != nil {
		s.b.mu.Unlock()
		return err
	}
	ups := s.expungeLocked(moved)
	s.b.mu.Unlock()
	if err := w.WriteCopyData(data); err != nil {
		return err
	}
	return w.UpdateWriter.WriteUpdates(ups)
}

// StoredMessage is a snapshot of one message (for tests and tools).
type StoredMessage struct {
	// UID is the message's UID in its mailbox.
	UID uint32
	// Flags is a copy of the message's flags.
	Flags []imap.Flag
	// Date is the internal date (INTERNALDATE).
	Date time.Time
	// Raw is the message as stored (header and body); it shares memory
	// with the store and must not be modified.
	Raw []byte
}

// Messages returns a snapshot of the messages of a user's mailbox.
func (b *Backend) Messages(username, mailbox string) ([]StoredMessage, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.users[username]
	if !ok {
		return nil, fmt.Errorf("imapmem: no user %q", username)
	}
	mb := u.mailboxes[mailbox]
	if mb == nil || mb.noSelect {
		return nil, imapserver.ErrNoSuchMailbox
	}
	out := make([]StoredMessage, 0, len(mb.msgs))
	for _, m := range mb.msgs {
		out = append(out, StoredMessage{UID: m.uid, Flags: append([]imap.Flag(nil), m.flags...), Date: m.date, Raw: m.raw})
	}
	return out, nil
}
