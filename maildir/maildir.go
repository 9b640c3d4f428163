package maildir

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Default limits.
const (
	DefaultMaxMessageSize = 64 << 20 // 64 MiB
	DefaultMaxList        = 1_000_000
	// DefaultTmpAge is how old a file in tmp/ must be before CleanTmp
	// removes it: 36 hours, as the Maildir specification recommends.
	DefaultTmpAge = 36 * time.Hour
)

// Limits bound what a Maildir accepts. Zero fields take the defaults.
type Limits struct {
	// MaxMessageSize is the largest message Deliver and Append store, in
	// bytes (default DefaultMaxMessageSize). Larger ones fail with
	// ErrTooLarge and leave nothing behind.
	MaxMessageSize int64
	// MaxList is the most messages List returns (default DefaultMaxList);
	// more is ErrTooMany. It also bounds the directory scan of key lookups.
	MaxList int
}

func (l Limits) maxMessageSize() int64 {
	if l.MaxMessageSize > 0 {
		return l.MaxMessageSize
	}
	return DefaultMaxMessageSize
}

func (l Limits) maxList() int {
	if l.MaxList > 0 {
		return l.MaxList
	}
	return DefaultMaxList
}

// Options configure a [Maildir]. The zero value (or nil) works.
type Options struct {
	// Now is the clock used for unique names (default time.Now).
	Now func() time.Time
	// Hostname goes into unique names (default os.Hostname, "localhost"
	// if that fails). '/', ':' and ',' are escaped as \057, \072 and \054.
	Hostname string
	// PID goes into unique names (default os.Getpid()).
	PID int
	// Rand supplies the random part of unique names (default crypto/rand).
	Rand io.Reader
	// FileMode is the permission of message files (default 0600) and,
	// with the execute bits added for each read bit, of directories
	// created by Create and CreateFolder (default 0700).
	FileMode fs.FileMode
	// Limits bound message sizes and listings.
	Limits Limits
	// Logger receives debug messages (nil discards).
	Logger *slog.Logger
}

// Maildir is one Maildir directory (the INBOX or a Maildir++ folder) with
// tmp/, new/ and cur/ below it. It is safe for concurrent use by many
// goroutines, and other processes may deliver into and rename in the same
// directory at the same time (see the package documentation).
type Maildir struct {
	dir  string
	root string // the Maildir++ root (== dir for the INBOX)
	opts Options
	host string
	pid  int
	seq  atomic.Uint64
	log  *slog.Logger
}

// Open opens an existing Maildir: dir must hold the tmp, new and cur
// directories, or the error wraps ErrNotMaildir. A Maildir++ folder (a
// directory with a "maildirfolder" file) may be opened directly; its
// [Maildir.Folder] and [Maildir.Folders] then refer to its parent's folders.
func Open(dir string, opts *Options) (*Maildir, error) {
	for _, sub := range []string{"tmp", "new", "cur"} {
		st, err := os.Stat(filepath.Join(dir, sub))
		if err != nil || !st.IsDir() {
			return nil, fmt.Errorf("%w: %s: missing %s/", ErrNotMaildir, dir, sub)
		}
	}
	root := dir
	if _, err := os.Stat(filepath.Join(dir, "maildirfolder")); err == nil {
		// A Maildir++ folder opened directly: its folders are the root's.
		root = filepath.Dir(filepath.Clean(dir))
	}
	return newMaildir(dir, root, opts), nil
}

// Create creates the Maildir dir (and its parents) with tmp, new and cur,
// and fsyncs the new directories. An existing complete Maildir is opened
// as is; existing parts are kept.
func Create(dir string, opts *Options) (*Maildir, error) {
	m := newMaildir(dir, dir, opts)
	if err := m.makeDirs(); err != nil {
		return nil, err
	}
	return m, nil
}

func newMaildir(dir, root string, opts *Options) *Maildir {
	m := &Maildir{dir: filepath.Clean(dir), root: filepath.Clean(root)}
	if opts != nil {
		m.opts = *opts
	}
	if m.opts.Now == nil {
		m.opts.Now = time.Now
	}
	if m.opts.Rand == nil {
		m.opts.Rand = rand.Reader
	}
	if m.opts.FileMode == 0 {
		m.opts.FileMode = 0o600
	}
	m.host = m.opts.Hostname
	if m.host == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "localhost"
		}
		m.host = h
	}
	m.host = escapeHost(m.host)
	m.pid = m.opts.PID
	if m.pid == 0 {
		m.pid = os.Getpid()
	}
	m.log = m.opts.Logger
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	return m
}

// escapeHost makes a host name safe inside a unique name.
func escapeHost(h string) string {
	r := strings.NewReplacer("/", `\057`, ":", `\072`, ",", `\054`, "\x00", "")
	return r.Replace(h)
}

func (m *Maildir) dirMode() fs.FileMode {
	p := m.opts.FileMode.Perm()
	return p | (p&0o444)>>2 | fs.ModeDir
}

func (m *Maildir) makeDirs() error {
	if err := os.MkdirAll(m.dir, m.dirMode().Perm()); err != nil {
		return fmt.Errorf("maildir: create %s: %w", m.dir, err)
	}
	for _, sub := range []string{"tmp", "new", "cur"} {
		p := filepath.Join(m.dir, sub)
		if err := os.Mkdir(p, m.dirMode().Perm()); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("maildir: create %s: %w", p, err)
		}
	}
	if err := syncDir(m.dir); err != nil {
		return err
	}
	return syncDir(filepath.Dir(m.dir))
}

// Dir returns the Maildir's directory.
func (m *Maildir) Dir() string { return m.dir }

// Message describes one message file.
type Message struct {
	// Key is the stable unique part of the file name (see [Name.Key]).
	Key string
	// Filename is the current file name inside new/ or cur/.
	Filename string
	// New reports whether the file is in new/ (not yet seen by a reader).
	New bool
	// Info is the parsed info part (zero for new/ and unparsable names).
	Info Info
	// Size is the physical size from the ",S=" field, or -1 when the name
	// carries none (List does not stat files; use [Maildir.Size]).
	Size int64
}

// Path returns the message file's path below dir.
func (msg Message) Path(dir string) string {
	sub := "cur"
	if msg.New {
		sub = "new"
	}
	return filepath.Join(dir, sub, msg.Filename)
}

// uniqueName returns a new unique base name:
// <seconds>.M<micros>P<pid>Q<seq>R<random>.<host>, Dovecot's layout plus a
// random part, so that names stay unique with an injected fixed clock and
// across processes sharing a PID namespace badly (containers).
func (m *Maildir) uniqueName() (string, error) {
	now := m.opts.Now()
	var rnd [8]byte
	if _, err := io.ReadFull(m.opts.Rand, rnd[:]); err != nil {
		return "", fmt.Errorf("maildir: random: %w", err)
	}
	var b strings.Builder
	b.Grow(64 + len(m.host))
	b.WriteString(strconv.FormatInt(now.Unix(), 10))
	b.WriteString(".M")
	b.WriteString(strconv.Itoa(now.Nanosecond() / 1000))
	b.WriteString("P")
	b.WriteString(strconv.Itoa(m.pid))
	b.WriteString("Q")
	b.WriteString(strconv.FormatUint(m.seq.Add(1), 10))
	b.WriteString("R")
	b.WriteString(hex.EncodeToString(rnd[:]))
	b.WriteByte('.')
	b.WriteString(m.host)
	return b.String(), nil
}

// Deliver stores a message in new/ the way the Maildir specification
// prescribes: it writes the message to a uniquely named file in tmp/,
// fsyncs it, hard-links it into new/ under its final name (with Dovecot's
// ",S=<size>,W=<vsize>" fields), removes the tmp/ name and fsyncs new/.
// Only then does it return, so a nil error means the message is on disk;
// a reader never sees a partial message in new/. On any error (ctx done,
// r failing, ErrTooLarge) the tmp/ file is removed and nothing is stored.
func (m *Maildir) Deliver(ctx context.Context, r io.Reader) (Message, error) {
	return m.store(ctx, r, false, Info{})
}

// Append stores a message directly in cur/ with the given flags, as an IMAP
// server does for APPEND; otherwise like [Maildir.Deliver].
func (m *Maildir) Append(ctx context.Context, r io.Reader, info Info) (Message, error) {
	return m.store(ctx, r, true, info)
}

func (m *Maildir) store(ctx context.Context, r io.Reader, cur bool, info Info) (Message, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, fmt.Errorf("maildir: %w", err)
	}
	var (
		f    *os.File
		base string
		tmp  string
		err  error
	)
	for attempt := 0; ; attempt++ {
		base, err = m.uniqueName()
		if err != nil {
			return Message{}, err
		}
		tmp = filepath.Join(m.dir, "tmp", base)
		f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, m.opts.FileMode.Perm())
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || attempt >= 5 {
			return Message{}, fmt.Errorf("maildir: create %s: %w", tmp, err)
		}
	}
	size, vsize, err := copyMessage(ctx, f, r, m.opts.Limits.maxMessageSize())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		m.log.Debug("maildir: delivery failed", "dir", m.dir, "err", err)
		if errors.Is(err, ErrTooLarge) || errors.Is(err, ctx.Err()) {
			return Message{}, err
		}
		return Message{}, fmt.Errorf("maildir: write %s: %w", tmp, err)
	}
	name := base + ",S=" + strconv.FormatInt(size, 10) + ",W=" + strconv.FormatInt(vsize, 10)
	sub := "new"
	if cur {
		sub = "cur"
		name += ":" + info.String()
	}
	final := filepath.Join(m.dir, sub, name)
	if err := publish(tmp, final); err != nil {
		_ = os.Remove(tmp)
		return Message{}, err
	}
	if err := syncDir(filepath.Join(m.dir, sub)); err != nil {
		// Not known to be durable: take it back so that an error keeps
		// meaning "not stored" (the sender will retry).
		_ = os.Remove(final)
		return Message{}, err
	}
	m.log.Debug("maildir: delivered", "dir", m.dir, "file", name, "size", size)
	msg := Message{Key: base, Filename: name, New: !cur, Size: size}
	if cur {
		msg.Info, _ = ParseInfo(info.String())
	}
	return msg, nil
}

// publish moves a finished tmp file to its final name without ever
// replacing an existing file: link + unlink, or, on file systems without
// hard links, a rename after checking the target is absent.
func publish(tmp, final string) error {
	err := os.Link(tmp, final)
	switch {
	case err == nil:
		_ = os.Remove(tmp)
		return nil
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%w: %s", ErrExists, final)
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.ENOTSUP), errors.Is(err, syscall.ENOSYS),
		errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.EMLINK):
		// No hard links here (some FUSE and SMB mounts): rename instead.
		if _, serr := os.Lstat(final); serr == nil {
			return fmt.Errorf("%w: %s", ErrExists, final)
		}
		if rerr := os.Rename(tmp, final); rerr != nil {
			return fmt.Errorf("maildir: rename %s: %w", tmp, rerr)
		}
		return nil
	default:
		return fmt.Errorf("maildir: link %s: %w", final, err)
	}
}

// copyMessage copies r to w, checking ctx between reads, and returns the
// size and the size with every bare LF counted as CRLF.
func copyMessage(ctx context.Context, w io.Writer, r io.Reader, max int64) (size, vsize int64, err error) {
	buf := make([]byte, 32<<10)
	prevCR := false
	for {
		if err := ctx.Err(); err != nil {
			return size, vsize, fmt.Errorf("maildir: %w", err)
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			size += int64(n)
			if size > max {
				return size, vsize, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
			}
			vsize += int64(n)
			for _, c := range buf[:n] {
				if c == '\n' && !prevCR {
					vsize++
				}
				prevCR = c == '\r'
			}
			if _, werr := w.Write(buf[:n]); werr != nil {
				return size, vsize, werr
			}
		}
		if rerr == io.EOF {
			return size, vsize, nil
		}
		if rerr != nil {
			return size, vsize, fmt.Errorf("maildir: reading message: %w", rerr)
		}
	}
}

// syncDir fsyncs a directory so that entries created or renamed in it are
// durable. Windows cannot open directories for syncing; there it is a
// no-op.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("maildir: sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) { // some file systems refuse fsync on directories
		return fmt.Errorf("maildir: sync %s: %w", dir, err)
	}
	return nil
}

// List returns the messages in new/ and cur/, new/ first, each sorted by
// file name with digit runs compared as numbers: for the names this
// package and Dovecot make, that is delivery order (seconds, microseconds,
// then the per-process counter). Files whose names start
// with "." or are not valid message names are skipped, as is everything in
// tmp/ (so half-written deliveries are never listed). Each key is listed
// once: a message another process moved from new/ to cur/ while the two
// directories were read is listed in cur/ only. More than Limits.MaxList
// messages is ErrTooMany.
func (m *Maildir) List(ctx context.Context) ([]Message, error) {
	max := m.opts.Limits.maxList()
	var lists [2][]Message
	inNew := make(map[string]int) // key -> index into lists[0]
	inCur := make(map[string]bool)
	for si, sub := range []string{"new", "cur"} {
		names, err := m.readNames(ctx, sub, max-len(lists[0]))
		if err != nil {
			return nil, err
		}
		sort.Slice(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
		for _, name := range names {
			n, err := ParseName(name)
			if err != nil {
				continue
			}
			msg := Message{Key: n.Key, Filename: name, New: sub == "new", Size: n.Size}
			if n.InfoErr == nil {
				msg.Info = n.Info
			}
			if si == 0 {
				if _, dup := inNew[n.Key]; dup {
					continue
				}
				inNew[n.Key] = len(lists[0])
			} else {
				if inCur[n.Key] {
					continue // renamed while the directory was read
				}
				inCur[n.Key] = true
				if i, ok := inNew[n.Key]; ok {
					// Moved from new/ while we read: keep the cur/ name.
					lists[0][i].Key = ""
				}
			}
			lists[si] = append(lists[si], msg)
		}
	}
	out := make([]Message, 0, len(lists[0])+len(lists[1]))
	for _, msg := range lists[0] {
		if msg.Key != "" {
			out = append(out, msg)
		}
	}
	return append(out, lists[1]...), nil
}

// readNames reads the names in a subdirectory, at most max of them.
func (m *Maildir) readNames(ctx context.Context, sub string, max int) ([]string, error) {
	d, err := os.Open(filepath.Join(m.dir, sub))
	if err != nil {
		return nil, fmt.Errorf("maildir: %w", err)
	}
	defer d.Close()
	var names []string
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("maildir: %w", err)
		}
		batch, err := d.Readdirnames(1024)
		for _, n := range batch {
			if strings.HasPrefix(n, ".") {
				continue
			}
			if len(names) >= max {
				return nil, fmt.Errorf("%w: more than %d in %s", ErrTooMany, m.opts.Limits.maxList(), m.dir)
			}
			names = append(names, n)
		}
		if err == io.EOF || (err == nil && len(batch) == 0) {
			return names, nil
		}
		if err != nil {
			return nil, fmt.Errorf("maildir: %w", err)
		}
	}
}

// find locates the file of key in new/ or cur/.
func (m *Maildir) find(ctx context.Context, key string) (Message, error) {
	if err := checkKey(key); err != nil {
		return Message{}, err
	}
	for _, sub := range []string{"new", "cur"} {
		names, err := m.readNames(ctx, sub, m.opts.Limits.maxList())
		if err != nil {
			return Message{}, err
		}
		for _, name := range names {
			if !strings.HasPrefix(name, key) {
				continue
			}
			if len(name) != len(key) && name[len(key)] != ',' && name[len(key)] != ':' {
				continue
			}
			n, err := ParseName(name)
			if err != nil {
				continue
			}
			msg := Message{Key: key, Filename: name, New: sub == "new", Size: n.Size}
			if n.InfoErr == nil {
				msg.Info = n.Info
			}
			return msg, nil
		}
	}
	return Message{}, fmt.Errorf("%w: message %s", ErrNotFound, key)
}

// retries bounds how often an operation looks a message up again when a
// concurrent rename (another process setting flags) moved it away.
const retries = 8

// Stat returns the current state of the message with the given key.
func (m *Maildir) Stat(ctx context.Context, key string) (Message, error) {
	return m.find(ctx, key)
}

// Open opens a message for reading. The file stays readable even if
// another process renames or deletes it meanwhile (POSIX semantics).
func (m *Maildir) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	for i := 0; ; i++ {
		msg, err := m.find(ctx, key)
		if err != nil {
			return nil, err
		}
		f, err := os.Open(msg.Path(m.dir))
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) || i >= retries {
			return nil, fmt.Errorf("maildir: %w", err)
		}
	}
}

// Size returns a message's size in bytes: from the ",S=" field when the
// name has one, without touching the file, otherwise from stat.
func (m *Maildir) Size(ctx context.Context, key string) (int64, error) {
	for i := 0; ; i++ {
		msg, err := m.find(ctx, key)
		if err != nil {
			return 0, err
		}
		if msg.Size >= 0 {
			return msg.Size, nil
		}
		st, err := os.Stat(msg.Path(m.dir))
		if err == nil {
			return st.Size(), nil
		}
		if !errors.Is(err, fs.ErrNotExist) || i >= retries {
			return 0, fmt.Errorf("maildir: %w", err)
		}
	}
}

// MarkRead moves a message from new/ to cur/ (appending an empty ":2,"
// info), which is what a mail reader does when it first sees a message; it
// does not set the Seen flag. A message already in cur/ is left alone.
func (m *Maildir) MarkRead(ctx context.Context, key string) (Message, error) {
	return m.rename(ctx, key, func(msg Message) (Info, bool) { return msg.Info, !msg.New })
}

// SetFlags replaces a message's standard flags, keeping its other flag
// characters (Dovecot keywords), and moves it to cur/ if it is in new/.
func (m *Maildir) SetFlags(ctx context.Context, key string, flags Flags) (Message, error) {
	return m.rename(ctx, key, func(msg Message) (Info, bool) {
		in := Info{Flags: flags, Extra: msg.Info.Extra}
		return in, !msg.New && msg.Info == in
	})
}

// SetInfo replaces a message's whole info part and moves it to cur/ if it
// is in new/.
func (m *Maildir) SetInfo(ctx context.Context, key string, info Info) (Message, error) {
	info, err := ParseInfo(info.String()) // normalise Extra
	if err != nil {
		return Message{}, err
	}
	return m.rename(ctx, key, func(msg Message) (Info, bool) { return info, !msg.New && msg.Info == info })
}

// rename renames a message into cur/ with the info change computes; it
// retries when a concurrent rename moved the file first.
func (m *Maildir) rename(ctx context.Context, key string, change func(Message) (Info, bool)) (Message, error) {
	for i := 0; ; i++ {
		msg, err := m.find(ctx, key)
		if err != nil {
			return Message{}, err
		}
		info, same := change(msg)
		if same {
			return msg, nil
		}
		base := msg.Filename
		if j := strings.IndexByte(base, ':'); j >= 0 {
			base = base[:j]
		}
		newName := base + ":" + info.String()
		from := msg.Path(m.dir)
		to := filepath.Join(m.dir, "cur", newName)
		err = os.Rename(from, to)
		if err == nil {
			if msg.New {
				if err := syncDir(filepath.Join(m.dir, "new")); err != nil {
					return Message{}, err
				}
			}
			if err := syncDir(filepath.Join(m.dir, "cur")); err != nil {
				return Message{}, err
			}
			return Message{Key: key, Filename: newName, Info: info, Size: msg.Size}, nil
		}
		if !errors.Is(err, fs.ErrNotExist) || i >= retries {
			return Message{}, fmt.Errorf("maildir: rename %s: %w", from, err)
		}
	}
}

// Remove deletes a message and fsyncs its directory.
func (m *Maildir) Remove(ctx context.Context, key string) error {
	for i := 0; ; i++ {
		msg, err := m.find(ctx, key)
		if err != nil {
			return err
		}
		p := msg.Path(m.dir)
		err = os.Remove(p)
		if err == nil {
			return syncDir(filepath.Dir(p))
		}
		if !errors.Is(err, fs.ErrNotExist) || i >= retries {
			return fmt.Errorf("maildir: remove %s: %w", p, err)
		}
	}
}

// CleanTmp removes files in tmp/ last modified more than olderThan ago
// (DefaultTmpAge when zero): leftovers of deliveries that crashed. It
// returns how many it removed. Never call it with a small olderThan while
// deliveries may be running.
func (m *Maildir) CleanTmp(ctx context.Context, olderThan time.Duration) (int, error) {
	if olderThan <= 0 {
		olderThan = DefaultTmpAge
	}
	cut := m.opts.Now().Add(-olderThan)
	dir := filepath.Join(m.dir, "tmp")
	names, err := m.readNames(ctx, "tmp", m.opts.Limits.maxList())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, name := range names {
		p := filepath.Join(dir, name)
		st, err := os.Lstat(p)
		if err != nil || !st.Mode().IsRegular() || !st.ModTime().Before(cut) {
			continue
		}
		if err := os.Remove(p); err == nil {
			n++
		}
	}
	return n, nil
}

// naturalLess compares names with runs of digits compared by numeric
// value, so "1.M99P1" sorts before "1.M100P1".
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		if da && db {
			i, j := digitRun(a), digitRun(b)
			na, nb := strings.TrimLeft(a[:i], "0"), strings.TrimLeft(b[:j], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[i:], b[j:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitRun(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}
