package greylist

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// File format: a header line, then fixed-size records appended in order:
//
//	crc32c(4, of the next 29 bytes) op(1: 1=put 2=delete) key(16)
//	first(4) last(4) count(4)       (big endian)
//
// Loading replays the records; the first record that is short or fails its
// checksum ends the log (a torn write from a crash) and is cut off.
const (
	fileHeader  = "mailkit-greylist v1\n"
	fileRecSize = 4 + 1 + 16 + 12
	fileOpPut   = 1
	fileOpDel   = 2
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrNotStoreFile means the file is not a greylist store.
var ErrNotStoreFile = errors.New("greylist: not a greylist store file")

// ErrStoreLocked means another [FileStore] (in this or another process)
// has the store open.
var ErrStoreLocked = errors.New("greylist: store is in use by another FileStore")

// ErrClosed means the store was closed.
var ErrClosed = errors.New("greylist: store closed")

// FileOptions configures [OpenFileStore]. A nil *FileOptions selects the
// defaults.
type FileOptions struct {
	// NoSync skips the fsync after each write. Records then survive a
	// process crash (they are in the kernel) but maybe not a power loss.
	NoSync bool
	// MaxEntries bounds the number of records (default DefaultMaxEntries).
	MaxEntries int
	// CompactAfter is the minimum number of appended records before the
	// log is compacted (default 4096); compaction also waits until the log
	// holds twice as many records as there are live keys.
	CompactAfter int
}

// FileStore is a durable [Store] and [Sweeper] on local disk: an in-memory
// map backed by an append-only log with a CRC per record, compacted
// atomically (temporary file, fsync, rename, fsync of the directory). It
// survives restarts and crashes mid-write: a torn last record is ignored on
// load. It is safe for concurrent use within one process. Only one
// FileStore may have a path open at a time: [OpenFileStore] takes an
// exclusive lock on path+".lock" (flock, on Unix systems) and fails with
// [ErrStoreLocked] while another holder, in this or another process, has it.
type FileStore struct {
	path string
	opts FileOptions

	mu       sync.Mutex
	f        *os.File
	lock     *os.File // holds the flock on path+".lock"
	m        map[Key]Record
	appended int   // records in the log
	size     int64 // bytes in the log
	closed   bool

	retryCompact int   // no automatic compaction before this many records
	compactErr   error // of the last automatic compaction
}

// OpenFileStore opens (or creates) the store at path.
func OpenFileStore(path string, opts *FileOptions) (*FileStore, error) {
	s := &FileStore{path: path, m: make(map[Key]Record)}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.MaxEntries <= 0 {
		s.opts.MaxEntries = DefaultMaxEntries
	}
	if s.opts.CompactAfter <= 0 {
		s.opts.CompactAfter = 4096
	}
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	st, err := s.open(path)
	if err != nil {
		lock.Close()
		return nil, err
	}
	st.lock = lock
	return st, nil
}

// open loads the log; the caller holds the lock.
func (s *FileStore) open(path string) (*FileStore, error) {
	_ = os.Remove(path + ".tmp") // a compaction interrupted by a crash
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("greylist: open store: %w", err)
	}
	good, err := s.load(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	// Cut off a torn tail so new records start on a record boundary.
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, fmt.Errorf("greylist: open store: %w", err)
	}
	if good == 0 {
		if _, err := f.WriteAt([]byte(fileHeader), 0); err != nil {
			f.Close()
			return nil, fmt.Errorf("greylist: open store: %w", err)
		}
		good = int64(len(fileHeader))
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("greylist: open store: %w", err)
		}
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("greylist: open store: %w", err)
	}
	s.f = f
	s.size = good
	return s, nil
}

// load replays the log and returns the offset after the last good record.
func (s *FileStore) load(f *os.File) (int64, error) {
	r := bufio.NewReaderSize(f, 64<<10)
	hdr := make([]byte, len(fileHeader))
	n, err := io.ReadFull(r, hdr)
	if err != nil {
		// Empty, or a header torn while the file was created.
		if string(hdr[:n]) == fileHeader[:n] {
			return 0, nil
		}
		return 0, fmt.Errorf("%w: %s", ErrNotStoreFile, s.path)
	}
	if string(hdr) != fileHeader {
		return 0, fmt.Errorf("%w: %s", ErrNotStoreFile, s.path)
	}
	off := int64(len(fileHeader))
	var rec [fileRecSize]byte
	for {
		if _, err := io.ReadFull(r, rec[:]); err != nil {
			return off, nil // EOF or torn record
		}
		if crc32.Checksum(rec[4:], crcTable) != binary.BigEndian.Uint32(rec[:4]) {
			return off, nil // torn or corrupt: the log ends here
		}
		var k Key
		copy(k[:], rec[5:21])
		switch rec[4] {
		case fileOpPut:
			s.m[k] = Record{
				First: binary.BigEndian.Uint32(rec[21:]),
				Last:  binary.BigEndian.Uint32(rec[25:]),
				Count: binary.BigEndian.Uint32(rec[29:]),
			}
		case fileOpDel:
			delete(s.m, k)
		default:
			return off, nil
		}
		s.appended++
		off += fileRecSize
	}
}

func encodeRec(b *[fileRecSize]byte, op byte, k Key, r Record) {
	b[4] = op
	copy(b[5:21], k[:])
	binary.BigEndian.PutUint32(b[21:], r.First)
	binary.BigEndian.PutUint32(b[25:], r.Last)
	binary.BigEndian.PutUint32(b[29:], r.Count)
	binary.BigEndian.PutUint32(b[:4], crc32.Checksum(b[4:], crcTable))
}

// appendRecs writes records and syncs. s.mu is held.
func (s *FileStore) appendRecs(buf []byte) error {
	if _, err := s.f.Write(buf); err != nil {
		// Undo a partial write so the next record starts on a boundary.
		_ = s.f.Truncate(s.size)
		_, _ = s.f.Seek(s.size, io.SeekStart)
		return fmt.Errorf("greylist: write store: %w", err)
	}
	s.size += int64(len(buf))
	if !s.opts.NoSync {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("greylist: sync store: %w", err)
		}
	}
	s.appended += len(buf) / fileRecSize
	return nil
}

// Update implements [Store]. The record is on disk (fsynced unless NoSync)
// before Update returns.
func (s *FileStore) Update(ctx context.Context, key Key, fn UpdateFunc) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("greylist: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	cur, found := s.m[key]
	next, op := fn(cur, found)
	var buf [2 * fileRecSize]byte
	var rec [fileRecSize]byte
	b := buf[:0]
	var victim Key
	evict := false
	switch op {
	case OpKeep:
		return nil
	case OpPut:
		if next == cur && found {
			return nil
		}
		if !found && len(s.m) >= s.opts.MaxEntries {
			victim, evict = s.victim()
			if evict {
				encodeRec(&rec, fileOpDel, victim, Record{})
				b = append(b, rec[:]...)
			}
		}
		encodeRec(&rec, fileOpPut, key, next)
		b = append(b, rec[:]...)
	case OpDelete:
		if !found {
			return nil
		}
		encodeRec(&rec, fileOpDel, key, Record{})
		b = append(b, rec[:]...)
	default:
		return fmt.Errorf("greylist: unknown op %d", op)
	}
	if err := s.appendRecs(b); err != nil {
		return err
	}
	if evict {
		delete(s.m, victim)
	}
	if op == OpPut {
		s.m[key] = next
	} else {
		delete(s.m, key)
	}
	if s.appended >= s.opts.CompactAfter && s.appended >= 2*len(s.m) && s.appended >= s.retryCompact {
		// The update is on disk: a failed compaction (disk full, say)
		// does not fail it. The log keeps growing until a later
		// compaction, tried after another CompactAfter records, works.
		if err := s.compact(); err != nil {
			s.compactErr = err
			s.retryCompact = s.appended + s.opts.CompactAfter
		}
	}
	return nil
}

// CompactErr returns the error of the last failed automatic compaction, or
// nil if the last one succeeded.
func (s *FileStore) CompactErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.compactErr
}

func (s *FileStore) victim() (Key, bool) {
	var victim Key
	var oldest uint32
	n := 0
	for k, r := range s.m {
		if n == 0 || r.Last < oldest {
			victim, oldest = k, r.Last
		}
		if n++; n == 8 {
			break
		}
	}
	return victim, n > 0
}

// compact rewrites the log with one record per live key. s.mu is held.
func (s *FileStore) compact() error {
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("greylist: compact: %w", err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("greylist: compact: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	w.WriteString(fileHeader)
	var rec [fileRecSize]byte
	for k, r := range s.m {
		encodeRec(&rec, fileOpPut, k, r)
		w.Write(rec[:])
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fail(err)
	}
	syncDir(filepath.Dir(s.path))
	s.f.Close()
	s.f = f // already positioned at the end
	s.appended = len(s.m)
	s.size = int64(len(fileHeader) + len(s.m)*fileRecSize)
	s.retryCompact, s.compactErr = 0, nil
	return nil
}

func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync() // best effort: not supported everywhere
	d.Close()
}

// Sweep implements [Sweeper]: it drops old records and compacts the log.
func (s *FileStore) Sweep(ctx context.Context, cutoff time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("greylist: %w", err)
	}
	c := unix(cutoff)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	n := 0
	for k, r := range s.m {
		if r.Last < c {
			delete(s.m, k)
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	return n, s.compact()
}

// Compact rewrites the log now.
func (s *FileStore) Compact() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.compact()
}

// Len returns the number of records.
func (s *FileStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// Close syncs and closes the file. Further calls fail with [ErrClosed].
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	// Closing the lock file releases the flock.
	if cerr := s.lock.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("greylist: close store: %w", err)
	}
	return nil
}
