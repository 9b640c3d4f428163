package imapmaildir

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/maildir"
	"github.com/mailkit-go/mailkit/sasl"
)

// Files kept in a user's Maildir root besides the INBOX's own.
const (
	rootLockName      = "mailkit.lock"
	uidValidityName   = "mailkit-uidvalidity"
	subscriptionsName = "mailkit-subscriptions"
	deletedPrefix     = "mailkit-deleted-"
)

// errTooManyKeywords: Dovecot's keyword letters a-z are all taken.
var errTooManyKeywords = imapserver.Errorf("LIMIT", "Too many keywords (at most %d per mailbox)", maxKeywords)

// DefaultPollInterval is how often an IDLE session looks for changes
// made outside this Backend (other processes, deliveries into new/).
const DefaultPollInterval = 2 * time.Second

// Backend serves users' Maildirs over IMAP. Set the fields before the
// first session; they must not change afterwards. Root is required.
type Backend struct {
	// Root returns the Maildir root directory of a user (required). The
	// directory is created on first login if missing.
	Root func(user string) (string, error)
	// Credentials checks LOGIN and AUTHENTICATE PLAIN passwords (through
	// Session.Login; only Secret.Password is compared) and can be given to
	// a sasl.Registry for the other mechanisms. Nil: every login fails.
	Credentials sasl.Credentials
	// PollInterval is how often IDLE rescans the selected folder for
	// changes by other processes (default DefaultPollInterval). Changes by
	// other sessions of this Backend are reported at once.
	PollInterval time.Duration
	// Now is the clock for internal dates and UIDVALIDITY (nil: time.Now).
	Now func() time.Time
	// Maildir configures the Maildirs (file modes, unique-name sources,
	// MaxMessageSize). Nil: maildir defaults.
	Maildir *maildir.Options
	// Logger receives warnings such as a corrupt uidlist (nil discards).
	Logger *slog.Logger
	// URLHosts are the host names by which absolute IMAP URLs of
	// CATENATE (RFC 4469) may name this server; empty: only relative
	// URLs ("/mailbox/;UID=n") are resolved.
	URLHosts []string

	mu      sync.Mutex
	folders map[string]*folder
	rootMu  sync.Mutex // root files: uidvalidity, subscriptions, folder tree changes
}

func (b *Backend) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *Backend) logger() *slog.Logger {
	if b.Logger != nil {
		return b.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (b *Backend) pollInterval() time.Duration {
	if b.PollInterval > 0 {
		return b.PollInterval
	}
	return DefaultPollInterval
}

func (b *Backend) fileMode() os.FileMode {
	if b.Maildir != nil && b.Maildir.FileMode != 0 {
		return b.Maildir.FileMode.Perm()
	}
	return 0o600
}

// folderFor returns the shared state of the Maildir dir, opening it.
// ErrNoSuchMailbox if dir is not a Maildir.
func (b *Backend) folderFor(root, dir string) (*folder, error) {
	dir = filepath.Clean(dir)
	b.mu.Lock()
	defer b.mu.Unlock()
	if f := b.folders[dir]; f != nil {
		return f, nil
	}
	md, err := maildir.Open(dir, b.Maildir)
	if err != nil {
		if errors.Is(err, maildir.ErrNotMaildir) || errors.Is(err, os.ErrNotExist) {
			return nil, imapserver.ErrNoSuchMailbox
		}
		return nil, err
	}
	if b.folders == nil {
		b.folders = map[string]*folder{}
	}
	f := newFolder(b, filepath.Clean(root), dir, md)
	b.folders[dir] = f
	return f, nil
}

// forget drops the folders at dir and below it from the registry and
// invalidates them (after DELETE or RENAME).
func (b *Backend) forget(dirs ...string) {
	b.mu.Lock()
	var fs []*folder
	for _, d := range dirs {
		d = filepath.Clean(d)
		if f := b.folders[d]; f != nil {
			fs = append(fs, f)
			delete(b.folders, d)
		}
	}
	b.mu.Unlock()
	for _, f := range fs {
		f.invalidate()
	}
}

// NewSession implements imapserver.Backend.
func (b *Backend) NewSession(ctx context.Context, c *imapserver.ConnInfo) (imapserver.Session, error) {
	return &session{b: b, notify: make(chan struct{}, 1)}, nil
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

func (s *session) Login(ctx context.Context, username, password string) error {
	if s.b.Credentials == nil {
		return imapserver.ErrAuthFailed
	}
	sec, err := s.b.Credentials.LookupCredentials(ctx, username)
	if err != nil {
		if errors.Is(err, sasl.ErrUnknownUser) {
			return imapserver.ErrAuthFailed
		}
		return err
	}
	ok := sec != nil && len(sec.Password) > 0 && subtle.ConstantTimeCompare(sec.Password, []byte(password)) == 1
	if sec != nil {
		for i := range sec.Password {
			sec.Password[i] = 0
		}
	}
	if !ok {
		return imapserver.ErrAuthFailed
	}
	return s.openUser(username)
}

func (s *session) AuthenticateIdentity(ctx context.Context, id sasl.Identity) error {
	if id.Authzid == "" {
		return imapserver.ErrAuthFailed
	}
	return s.openUser(id.Authzid)
}

func (s *session) openUser(user string) error {
	if s.b.Root == nil {
		return errors.New("imapmaildir: Backend.Root is not set")
	}
	dir, err := s.b.Root(user)
	if err != nil {
		return err
	}
	md, err := maildir.Create(dir, s.b.Maildir)
	if err != nil {
		return err
	}
	s.user, s.rootDir, s.root = user, filepath.Clean(dir), md
	return nil
}

func (s *session) Namespace(ctx context.Context) (*imapserver.NamespaceData, error) {
	return &imapserver.NamespaceData{Personal: []imapserver.NamespaceDescriptor{{Prefix: "", Delim: '/'}}}, nil
}

// dirOf maps a mailbox name to its directory.
func (s *session) dirOf(name string) (string, error) {
	if s.root == nil {
		return "", imapserver.ErrNoPerm
	}
	if strings.EqualFold(name, "INBOX") {
		return s.rootDir, nil
	}
	d, err := maildir.FolderDir(name)
	if err != nil {
		return "", imapserver.Errorf("CANNOT", "Invalid mailbox name")
	}
	return filepath.Join(s.rootDir, d), nil
}

func (s *session) folderByName(name string) (*folder, error) {
	dir, err := s.dirOf(name)
	if err != nil {
		var ie *imapserver.Error
		if errors.As(err, &ie) && ie.Code == "CANNOT" {
			return nil, imapserver.ErrNoSuchMailbox
		}
		return nil, err
	}
	return s.b.folderFor(s.rootDir, dir)
}

// mailboxes returns the existing mailboxes (INBOX and folders).
func (s *session) mailboxes(ctx context.Context) (map[string]bool, error) {
	names, err := s.root.Folders(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{"INBOX": true}
	for _, n := range names {
		if strings.EqualFold(n, "INBOX") {
			continue
		}
		out[n] = true
	}
	return out, nil
}

func validName(name string) bool {
	return name != "" && !strings.HasPrefix(name, "/") && !strings.HasSuffix(name, "/") &&
		!strings.Contains(name, "//") && !strings.ContainsAny(name, "*%\r\n\x00")
}

func (s *session) lockRoot() (func(), error) {
	s.b.rootMu.Lock()
	lk, err := acquireFileLock(filepath.Join(s.rootDir, rootLockName))
	if err != nil {
		s.b.rootMu.Unlock()
		return nil, err
	}
	return func() { lk.release(); s.b.rootMu.Unlock() }, nil
}

func (s *session) Create(ctx context.Context, name string) error {
	if s.root == nil {
		return imapserver.ErrNoPerm
	}
	if strings.EqualFold(name, "INBOX") {
		return imapserver.ErrMailboxExists
	}
	if !validName(name) {
		return imapserver.Errorf("CANNOT", "Invalid mailbox name")
	}
	if _, err := maildir.FolderDir(name); err != nil {
		return imapserver.Errorf("CANNOT", "Invalid mailbox name")
	}
	unlock, err := s.lockRoot()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := s.root.Folder(name); err == nil {
		return imapserver.ErrMailboxExists
	}
	// Create the superior levels too (RFC 3501 §6.3.3).
	parts := strings.Split(name, "/")
	for i := 1; i <= len(parts); i++ {
		p := strings.Join(parts[:i], "/")
		if strings.EqualFold(p, "INBOX") {
			continue
		}
		if _, err := s.root.CreateFolder(ctx, p); err != nil && !errors.Is(err, maildir.ErrExists) {
			if errors.Is(err, maildir.ErrInvalidName) {
				return imapserver.Errorf("CANNOT", "Invalid mailbox name")
			}
			return err
		}
	}
	// maildir.CreateFolder fsyncs the new folder but not the root entry.
	return syncDir(s.rootDir)
}

func hasChildren(all map[string]bool, name string) bool {
	for n := range all {
		if strings.HasPrefix(n, name+"/") {
			return true
		}
	}
	return false
}

func (s *session) Delete(ctx context.Context, name string) error {
	if s.root == nil {
		return imapserver.ErrNoPerm
	}
	if strings.EqualFold(name, "INBOX") {
		return imapserver.Errorf("CANNOT", "INBOX cannot be deleted")
	}
	dir, err := s.dirOf(name)
	if err != nil {
		return imapserver.ErrNoSuchMailbox
	}
	trash, err := s.deleteDir(ctx, name, dir)
	if err != nil {
		return err
	}
	// Invalidate after the root lock is released (lock order: folder
	// before root).
	s.b.forget(dir)
	if err := os.RemoveAll(trash); err != nil {
		s.b.logger().Warn("imapmaildir: removing a deleted folder", "dir", trash, "error", err)
	}
	return nil
}

func (s *session) deleteDir(ctx context.Context, name, dir string) (string, error) {
	unlock, err := s.lockRoot()
	if err != nil {
		return "", err
	}
	defer unlock()
	all, err := s.mailboxes(ctx)
	if err != nil {
		return "", err
	}
	if !all[name] {
		if hasChildren(all, name) {
			return "", imapserver.Errorf("HASCHILDREN", "Mailbox has children")
		}
		return "", imapserver.ErrNoSuchMailbox
	}
	// Rename out of the way first (atomic: the folder is gone at once,
	// even if the removal is interrupted), then remove.
	trash := filepath.Join(s.rootDir, deletedPrefix+strings.TrimPrefix(filepath.Base(dir), ".")+"-"+fmt.Sprint(s.b.now().UnixNano()))
	if err := os.Rename(dir, trash); err != nil {
		return "", fmt.Errorf("imapmaildir: delete: %w", err)
	}
	return trash, syncDir(s.rootDir)
}

func (s *session) Rename(ctx context.Context, from, to string) error {
	if s.root == nil {
		return imapserver.ErrNoPerm
	}
	if !validName(to) || strings.EqualFold(to, "INBOX") {
		return imapserver.Errorf("CANNOT", "Invalid mailbox name")
	}
	if _, err := s.dirOf(to); err != nil {
		return err
	}
	if _, err := s.dirOf(from); err != nil {
		return imapserver.ErrNoSuchMailbox
	}
	if strings.EqualFold(from, "INBOX") {
		return s.renameInbox(ctx, to)
	}
	if from == to || strings.HasPrefix(to, from+"/") {
		return imapserver.Errorf("CANNOT", "Cannot rename a mailbox into itself")
	}
	olds, err := s.renameDirs(ctx, from, to)
	// Invalidate after the root lock is released (lock order: folder
	// before root), also after a partial failure.
	s.b.forget(olds...)
	return err
}

func (s *session) renameDirs(ctx context.Context, from, to string) (olds []string, err error) {
	unlock, err := s.lockRoot()
	if err != nil {
		return nil, err
	}
	defer unlock()
	all, err := s.mailboxes(ctx)
	if err != nil {
		return nil, err
	}
	if !all[from] {
		return nil, imapserver.ErrNoSuchMailbox
	}
	if all[to] {
		return nil, imapserver.ErrMailboxExists
	}
	var names []string
	for n := range all {
		if n == from || strings.HasPrefix(n, from+"/") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		od, err := s.dirOf(n)
		if err != nil {
			return olds, err
		}
		nd, err := s.dirOf(to + strings.TrimPrefix(n, from))
		if err != nil {
			return olds, err
		}
		if _, err := os.Stat(nd); err == nil {
			return olds, imapserver.ErrMailboxExists
		}
		if err := os.Rename(od, nd); err != nil {
			return olds, fmt.Errorf("imapmaildir: rename: %w", err)
		}
		olds = append(olds, od, nd)
	}
	// Superior levels of the new name (as CREATE does).
	parts := strings.Split(to, "/")
	for i := 1; i < len(parts); i++ {
		p := strings.Join(parts[:i], "/")
		if _, err := s.root.CreateFolder(ctx, p); err != nil && !errors.Is(err, maildir.ErrExists) {
			return olds, err
		}
	}
	return olds, syncDir(s.rootDir)
}

// renameInbox moves every INBOX message into a new folder to and leaves
// INBOX empty (RFC 3501 §6.3.5).
func (s *session) renameInbox(ctx context.Context, to string) error {
	if err := s.Create(ctx, to); err != nil {
		return err
	}
	src, err := s.folderByName("INBOX")
	if err != nil {
		return err
	}
	dst, err := s.folderByName(to)
	if err != nil {
		return err
	}
	src.mu.Lock()
	if err := src.sync(ctx); err != nil {
		src.mu.Unlock()
		return err
	}
	items := make([]moveItem, 0, len(src.msgs))
	for _, m := range src.msgs {
		items = append(items, moveItem{uid: m.uid, key: m.key, path: m.path(src.dir), isNew: m.isNew, filename: m.filename})
	}
	src.mu.Unlock()
	_, err = s.moveFiles(ctx, src, dst, items)
	return err
}

func (s *session) Subscribe(ctx context.Context, name string) error {
	if s.root == nil {
		return imapserver.ErrNoPerm
	}
	all, err := s.mailboxes(ctx)
	if err != nil {
		return err
	}
	if strings.EqualFold(name, "INBOX") {
		name = "INBOX"
	}
	if !all[name] {
		return imapserver.ErrNoSuchMailbox
	}
	return s.editSubscriptions(func(m map[string]bool) error { m[name] = true; return nil })
}

func (s *session) Unsubscribe(ctx context.Context, name string) error {
	if s.root == nil {
		return imapserver.ErrNoPerm
	}
	if strings.EqualFold(name, "INBOX") {
		name = "INBOX"
	}
	return s.editSubscriptions(func(m map[string]bool) error {
		if !m[name] {
			return imapserver.Errorf("NONEXISTENT", "Not subscribed")
		}
		delete(m, name)
		return nil
	})
}

// subscriptions reads the subscription file: one UTF-8 mailbox name per
// line.
func (s *session) subscriptions() (map[string]bool, error) {
	data, err := os.ReadFile(filepath.Join(s.rootDir, subscriptionsName))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("imapmaildir: %w", err)
	}
	m := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" {
			m[l] = true
		}
	}
	return m, nil
}

func (s *session) editSubscriptions(edit func(map[string]bool) error) error {
	unlock, err := s.lockRoot()
	if err != nil {
		return err
	}
	defer unlock()
	m, err := s.subscriptions()
	if err != nil {
		return err
	}
	if err := edit(m); err != nil {
		return err
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var sb strings.Builder
	for _, n := range names {
		sb.WriteString(n)
		sb.WriteByte('\n')
	}
	return writeFileAtomic(filepath.Join(s.rootDir, subscriptionsName), []byte(sb.String()), s.b.fileMode())
}

func (s *session) List(ctx context.Context, w *imapserver.ListWriter, ref string, patterns []string, opts *imapserver.ListOptions) error {
	if s.root == nil {
		return imapserver.ErrNoPerm
	}
	all, err := s.mailboxes(ctx)
	if err != nil {
		return err
	}
	// Levels implied by nested folders without a directory of their own
	// are listed as \Noselect.
	implied := map[string]bool{}
	for n := range all {
		parts := strings.Split(n, "/")
		for i := 1; i < len(parts); i++ {
			if p := strings.Join(parts[:i], "/"); !all[p] {
				implied[p] = true
			}
		}
	}
	matches := func(n string) bool { return imapserver.MatchListAny(ref, patterns, n, '/') }
	var out []*imap.ListData
	if opts != nil && opts.SubscribedOnly {
		subs, err := s.subscriptions()
		if err != nil {
			return err
		}
		parentOnly := map[string]bool{}
		names := make([]string, 0, len(subs))
		for n := range subs {
			names = append(names, n)
		}
		for _, p := range imapserver.SubscribedParents(subs, ref, patterns, '/') {
			parentOnly[p] = true
			names = append(names, p)
		}
		sort.Strings(names)
		for _, n := range names {
			if !matches(n) {
				continue
			}
			d := &imap.ListData{Mailbox: n, Delim: '/'}
			if parentOnly[n] || !all[n] {
				d.Attrs = append(d.Attrs, imap.AttrNoSelect)
			}
			out = append(out, d)
		}
	} else {
		names := make([]string, 0, len(all)+len(implied))
		for n := range all {
			names = append(names, n)
		}
		for n := range implied {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if !matches(n) {
				continue
			}
			d := &imap.ListData{Mailbox: n, Delim: '/'}
			if implied[n] {
				d.Attrs = append(d.Attrs, imap.AttrNoSelect)
			}
			if hasChildren(all, n) {
				d.Attrs = append(d.Attrs, imap.AttrHasChildren)
			} else {
				d.Attrs = append(d.Attrs, imap.AttrHasNoChildren)
			}
			out = append(out, d)
		}
	}
	for _, d := range out {
		if err := w.WriteList(d); err != nil {
			return err
		}
	}
	return nil
}

func u32(n int) *uint32 { v := uint32(n); return &v }

func (s *session) Status(ctx context.Context, name string, opts *imap.StatusOptions) (*imap.StatusData, error) {
	f, err := s.folderByName(name)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if err := f.sync(ctx); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	if f.gone {
		f.mu.Unlock()
		return nil, imapserver.ErrNoSuchMailbox
	}
	d := &imap.StatusData{Mailbox: name, UIDNext: f.uidNext, UIDValidity: f.uidValidity, HighestModSeq: f.highestModSeq}
	var unseen, recent, deleted int
	var sizeOf []*message
	for _, m := range f.msgs {
		if !m.info.Flags.Has(maildir.FlagSeen) {
			unseen++
		}
		if m.info.Flags.Has(maildir.FlagTrashed) {
			deleted++
		}
		if m.claimable || (s.f == f && s.recent[m.uid]) {
			recent++
		}
		if opts != nil && opts.Size {
			sizeOf = append(sizeOf, m)
		}
	}
	d.NumMessages, d.NumUnseen, d.NumRecent, d.NumDeleted = u32(len(f.msgs)), u32(unseen), u32(recent), u32(deleted)
	paths := make([]string, len(sizeOf))
	for i, m := range sizeOf {
		paths[i] = m.path(f.dir)
	}
	f.mu.Unlock()
	if opts != nil && opts.Size {
		var total int64
		for i, m := range sizeOf {
			n, err := f.statusSize(ctx, m, paths[i])
			if err != nil {
				continue // vanished meanwhile
			}
			total += n
		}
		d.Size = &total
	}
	return d, nil
}

// Append stores the message with maildir.Maildir.Append (written to tmp/,
// fsynced, linked into cur/, directory fsynced) and records its UID before
// it returns.
func (s *session) Append(ctx context.Context, name string, r io.Reader, size int64, opts *imap.AppendOptions) (*imap.AppendData, error) {
	f, err := s.folderByName(name)
	if err != nil {
		return nil, err
	}
	var flags []imap.Flag
	date := s.b.now()
	if opts != nil {
		flags = opts.Flags
		if !opts.Time.IsZero() {
			date = opts.Time
		}
	}
	f.mu.Lock()
	err = f.ensureKeywords(flags)
	bits, letters := f.toInfo(flags)
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	cr := &countingReader{r: io.LimitReader(r, size)}
	msg, err := f.md.Append(ctx, cr, maildir.Info{Flags: bits, Extra: letters})
	if err != nil {
		if errors.Is(err, maildir.ErrTooLarge) {
			return nil, imapserver.ErrTooBig
		}
		return nil, err
	}
	path := msg.Path(f.md.Dir())
	if cr.n != size {
		_ = os.Remove(path)
		return nil, fmt.Errorf("imapmaildir: short message: %d of %d bytes", cr.n, size)
	}
	if err := setDate(path, date); err != nil {
		_ = os.Remove(path)
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.sync(ctx); err != nil {
		return nil, err
	}
	m := f.byKey[msg.Key]
	if m == nil {
		return nil, imapserver.Errorf("", "Message vanished right after APPEND")
	}
	m.date = date
	m.claimable = true
	m.vsize.Store(-1)
	return &imap.AppendData{UIDValidity: f.uidValidity, UID: m.uid}, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// setDate sets a message file's modification time (its internal date, as
// Dovecot reads it) and fsyncs the file so the date is durable too.
func setDate(path string, date time.Time) error {
	if err := os.Chtimes(path, date, date); err != nil {
		return fmt.Errorf("imapmaildir: %w", err)
	}
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("imapmaildir: %w", err)
	}
	err = fh.Sync()
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("imapmaildir: %w", err)
	}
	return nil
}
