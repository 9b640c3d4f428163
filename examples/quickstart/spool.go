package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailkit-go/mailkit/esmtp"
)

// The spool keeps one file per queued message in Config.SpoolDir, named
// "q-<queue id>". A file holds a small header of "key: value" lines, a
// blank line, then the message data exactly as the SMTP server passed it
// on (CRLF line endings, Received field included):
//
//	quickstart-spool: 1
//	id: 0006278a1c2e5f01
//	from: <alice@example.test>
//	rcpt: <dave@remote.test>
//	arrived: 2026-11-29T19:30:00.123456789Z
//	attempts: 1
//	next: 2026-11-29T19:31:00.123456789Z
//	size: 1000
//
//	Received: from laptop.example.test ...
//
// Version 2 adds the DSN parameters of RFC 3461 and the link between a
// delivery status notification and the message it reports on, all as
// optional lines (a version-2 file without them is written as version 1,
// so that it stays readable by a version-1 reader):
//
//	quickstart-spool: 2
//	id: 0006278a1c2e5f01
//	from: <alice@example.test>
//	ret: HDRS
//	envid: QQ+2B4711
//	rcpt: <dave@remote.test>
//	rcpt-params: NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;dave@remote.test
//	rcpt: <erin@remote.test>
//	...
//
// ret is MAIL's RET (FULL or HDRS) and envid MAIL's ENVID, xtext-encoded
// as on the wire. rcpt-params, at most once and only right after the rcpt
// line it belongs to, holds that recipient's NOTIFY and ORCPT in RCPT
// parameter syntax (read with esmtp.ParseRcptParams). A notification the
// MTA generated (null sender) carries "dsn-for: <queue id>" and one
// "dsn-rcpt: <address>" line per recipient it reports on: if the MTA
// stops after writing the notification but before rewriting the original
// without those recipients, the next start finishes the rewrite instead
// of reporting (and sending) them again (see queue).
//
// The first line names the format and its version; a reader takes
// versions 1 and 2 and refuses any other rather than guess. A version-1
// file with a version-2 line is malformed. Header lines end in LF, keys appear
// once each except rcpt (one line per recipient still to deliver, at least
// one), and addresses sit in angle brackets ("<>" is the null sender) so
// that a quoted local part with spaces survives. size is the exact length
// of the data after the blank line, which lets a reader notice a truncated
// file. Times are RFC 3339 in UTC.
//
// Files are only ever replaced whole: written to a "tmp-*" file in the
// same directory, fsynced, renamed over the old name, and the directory
// fsynced. A "tmp-*" file found at start is the remains of a write that
// never completed (the old file, if any, is still intact) and is removed.
// A "q-*" file that does not parse (at start, or when an attempt opens
// it) is moved to the "corrupt" subdirectory for a human to look at;
// nothing in the spool is ever deleted unread. Limits: a header of at
// most 64 KiB and 1000 recipients, addresses of at most 1024 bytes
// without control characters, and data no larger than
// QueueLimits.MessageBytes; anything else is a *SpoolError.
//
// The file "idmark" holds 16 hex digits and a newline: a queue id at or
// above every id handed out, moved ahead (atomically, like the message
// files) before an id passes it, so that ids stay unique across restarts
// even on an empty spool. Other files are logged and left alone.

const (
	spoolMagic        = "quickstart-spool"
	spoolVersion      = 2 // the newest version read and written
	spoolPrefix       = "q-"
	spoolTempPrefix   = "tmp-"
	spoolCorruptDir   = "corrupt"
	maxSpoolHeader    = 64 << 10 // bytes of header, blank line included
	maxSpoolRcpts     = 1000     // recipients in one file
	maxSpoolAddress   = 1024     // bytes of one address
	maxSpoolAttempts  = 1 << 20  // sanity bound on the attempts counter
	maxSpoolEnvID     = 100      // octets of a decoded ENVID (RFC 3461 §4.4)
	defaultQueueMsgs  = 10000
	defaultQueueBytes = 1 << 30                 // 1 GiB of message data
	defaultQueueMsg   = 32<<20 + maxSpoolHeader // the smtp default plus room for prepended fields
)

// Errors of the spool format; a *SpoolError wraps one of them.
var (
	ErrSpoolSyntax   = errors.New("quickstart: malformed spool file")
	ErrSpoolVersion  = errors.New("quickstart: unsupported spool file version")
	ErrSpoolTooLarge = errors.New("quickstart: spool file over the size limit")
	ErrSpoolSize     = errors.New("quickstart: spool file data does not match its size")
)

// SpoolError describes a spool file that cannot be read back.
type SpoolError struct {
	Line   int    // 1-based header line, 0 when the problem is not one line
	Reason string // what is wrong
	Err    error  // one of the ErrSpool* sentinels
}

// Error implements error.
func (e *SpoolError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%v: line %d: %s", e.Err, e.Line, e.Reason)
	}
	return fmt.Sprintf("%v: %s", e.Err, e.Reason)
}

// Unwrap returns the sentinel.
func (e *SpoolError) Unwrap() error { return e.Err }

// QueueLimits bound the forwarding queue. Zero fields take the defaults.
type QueueLimits struct {
	// Messages is the maximum number of queued messages (default 10000).
	Messages int
	// Bytes is the maximum total size of queued message data (default
	// 1 GiB).
	Bytes int64
	// MessageBytes is the largest message the queue takes and the largest
	// data section a spool file may declare (default 32 MiB plus 64 KiB,
	// the smtp server's default limit plus room for prepended fields).
	MessageBytes int64
}

// A spool found over the limits at start is loaded whole; new mail is
// refused until it drains below them.

func (l QueueLimits) withDefaults() QueueLimits {
	if l.Messages <= 0 {
		l.Messages = defaultQueueMsgs
	}
	if l.Bytes <= 0 {
		l.Bytes = defaultQueueBytes
	}
	if l.MessageBytes <= 0 {
		l.MessageBytes = defaultQueueMsg
	}
	return l
}

// spoolEnvelope is the header of a spool file.
type spoolEnvelope struct {
	ID       string
	From     string   // "" for the null sender
	Rcpts    []string // recipients still to deliver
	Arrived  time.Time
	Attempts int
	Next     time.Time
	Size     int64 // length of the message data

	// Version 2 (DSN) fields; all optional.
	Ret     esmtp.Ret          // MAIL RET, "" when not given
	EnvID   string             // MAIL ENVID, decoded; "" when not given
	RcptDSN map[string]rcptDSN // NOTIFY and ORCPT by recipient address
	DSNFor  string             // queue id of the message this notification reports on
	DSNRcpt []string           // the recipients of DSNFor it reports on
}

// rcptDSN holds the RFC 3461 parameters of one recipient.
type rcptDSN struct {
	Notify esmtp.Notify // 0 when NOTIFY was not given
	ORcpt  *esmtp.ORcpt // nil when ORCPT was not given
}

func (d rcptDSN) isZero() bool { return d.Notify == 0 && d.ORcpt == nil }

// check reports why d cannot go into a spool header, "" when it can.
func (d rcptDSN) check() string {
	if d.ORcpt != nil && (d.ORcpt.Addr == "" || checkAddress(d.ORcpt.Addr) != "" || !validAddrType(d.ORcpt.AddrType)) {
		return "bad ORCPT"
	}
	if d.Notify&esmtp.NotifyNever != 0 && d.Notify != esmtp.NotifyNever ||
		d.Notify&^(esmtp.NotifyNever|esmtp.NotifySuccess|esmtp.NotifyFailure|esmtp.NotifyDelay) != 0 {
		return "bad NOTIFY"
	}
	return ""
}

// params returns d as RCPT parameters for the spool ("NOTIFY=... ORCPT=...").
func (d rcptDSN) params() string {
	p := esmtp.RcptParams{Notify: d.Notify, ORcpt: d.ORcpt}
	return strings.TrimPrefix(p.String(), " ")
}

// version returns the lowest format version that can hold e.
func (e *spoolEnvelope) version() int {
	if e.Ret != "" || e.EnvID != "" || e.DSNFor != "" || len(e.DSNRcpt) > 0 {
		return 2
	}
	for _, r := range e.Rcpts {
		if !e.RcptDSN[r].isZero() {
			return 2
		}
	}
	return 1
}

// validQueueID reports whether id is 16 lower-case hex digits, the form
// newQueueID produces.
func validQueueID(id string) bool {
	if len(id) != 16 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// checkAddress reports why an address cannot go into a header line.
func checkAddress(a string) string {
	if len(a) > maxSpoolAddress {
		return "address too long"
	}
	if !utf8.ValidString(a) {
		return "address is not UTF-8"
	}
	for _, r := range a {
		if r < 0x20 || r == 0x7f {
			return "control character in address"
		}
	}
	return ""
}

// encodeHeader renders the header, blank line included. It refuses
// values that could not be read back.
func (e *spoolEnvelope) encodeHeader() ([]byte, error) {
	bad := func(why string) error {
		return &SpoolError{Reason: why, Err: ErrSpoolSyntax}
	}
	if !validQueueID(e.ID) {
		return nil, bad("invalid queue id")
	}
	if len(e.Rcpts) == 0 || len(e.Rcpts) > maxSpoolRcpts {
		return nil, bad("need 1 to " + strconv.Itoa(maxSpoolRcpts) + " recipients")
	}
	if why := checkAddress(e.From); why != "" {
		return nil, bad(why)
	}
	if e.Attempts < 0 || e.Attempts > maxSpoolAttempts || e.Size < 0 {
		return nil, bad("attempts or size out of range")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s: %d\nid: %s\nfrom: <%s>\n", spoolMagic, e.version(), e.ID, e.From)
	switch e.Ret {
	case "":
	case esmtp.RetFull, esmtp.RetHdrs:
		fmt.Fprintf(&b, "ret: %s\n", e.Ret)
	default:
		return nil, bad("bad RET")
	}
	if e.EnvID != "" {
		if len(e.EnvID) > maxSpoolEnvID {
			return nil, bad("ENVID too long")
		}
		fmt.Fprintf(&b, "envid: %s\n", esmtp.EncodeXtext(e.EnvID))
	}
	for _, r := range e.Rcpts {
		if r == "" {
			return nil, bad("empty recipient")
		}
		if why := checkAddress(r); why != "" {
			return nil, bad(why)
		}
		fmt.Fprintf(&b, "rcpt: <%s>\n", r)
		if d := e.RcptDSN[r]; !d.isZero() {
			if why := d.check(); why != "" {
				return nil, bad(why)
			}
			fmt.Fprintf(&b, "rcpt-params: %s\n", d.params())
		}
	}
	if e.DSNFor != "" {
		if !validQueueID(e.DSNFor) {
			return nil, bad("invalid dsn-for queue id")
		}
		fmt.Fprintf(&b, "dsn-for: %s\n", e.DSNFor)
	}
	if len(e.DSNRcpt) > maxSpoolRcpts {
		return nil, bad("too many dsn-rcpt lines")
	}
	for _, r := range e.DSNRcpt {
		if r == "" || checkAddress(r) != "" {
			return nil, bad("bad dsn-rcpt address")
		}
		fmt.Fprintf(&b, "dsn-rcpt: <%s>\n", r)
	}
	for _, t := range []time.Time{e.Arrived, e.Next} {
		if y := t.UTC().Year(); y < 0 || y > 9999 {
			return nil, bad("time out of range")
		}
	}
	fmt.Fprintf(&b, "arrived: %s\nattempts: %d\nnext: %s\nsize: %d\n\n",
		e.Arrived.UTC().Format(time.RFC3339Nano), e.Attempts, e.Next.UTC().Format(time.RFC3339Nano), e.Size)
	if b.Len() > maxSpoolHeader {
		return nil, &SpoolError{Reason: "header over 64 KiB", Err: ErrSpoolTooLarge}
	}
	return b.Bytes(), nil
}

// parseSpoolHeader parses the header at the start of b and returns the
// envelope and the offset of the message data. b need not hold more
// than the first maxSpoolHeader bytes of the file; the data's length is
// the caller's to check against Size. maxMessage bounds Size.
func parseSpoolHeader(b []byte, maxMessage int64) (*spoolEnvelope, int, error) {
	if len(b) > maxSpoolHeader {
		b = b[:maxSpoolHeader]
	}
	end := bytes.Index(b, []byte("\n\n"))
	if end < 0 {
		if len(b) == maxSpoolHeader {
			return nil, 0, &SpoolError{Reason: "no end of header within 64 KiB", Err: ErrSpoolTooLarge}
		}
		return nil, 0, &SpoolError{Reason: "no end of header (truncated file?)", Err: ErrSpoolSyntax}
	}
	lines := strings.Split(string(b[:end]), "\n")
	syntax := func(i int, why string) error {
		return &SpoolError{Line: i + 1, Reason: why, Err: ErrSpoolSyntax}
	}
	magic, ver, ok := strings.Cut(lines[0], ": ")
	if !ok || magic != spoolMagic {
		return nil, 0, syntax(0, "not a quickstart spool file")
	}
	version := 0
	switch ver {
	case "1":
		version = 1
	case "2":
		version = 2
	default:
		return nil, 0, &SpoolError{Line: 1, Reason: fmt.Sprintf("version %.20q, want 1 to %d", ver, spoolVersion), Err: ErrSpoolVersion}
	}
	e := &spoolEnvelope{}
	seen := map[string]bool{}
	prevKey := ""
	for i := 1; i < len(lines); i++ {
		line := lines[i]
		key, val, ok := strings.Cut(line, ": ")
		if !ok {
			return nil, 0, syntax(i, "want \"key: value\"")
		}
		if !utf8.ValidString(val) {
			return nil, 0, syntax(i, "value is not UTF-8")
		}
		thisKey := key
		if key != "rcpt" && key != "rcpt-params" && key != "dsn-rcpt" {
			if seen[key] {
				return nil, 0, syntax(i, "duplicate "+strconv.Quote(key))
			}
			seen[key] = true
		}
		if version < 2 {
			switch key {
			case "ret", "envid", "rcpt-params", "dsn-for", "dsn-rcpt":
				return nil, 0, syntax(i, strconv.Quote(key)+" needs version 2")
			}
		}
		switch key {
		case "ret":
			switch r := esmtp.Ret(val); r {
			case esmtp.RetFull, esmtp.RetHdrs:
				e.Ret = r
			default:
				return nil, 0, syntax(i, "bad ret")
			}
		case "envid":
			id, err := esmtp.DecodeXtext(val)
			if err != nil || id == "" || len(id) > maxSpoolEnvID || esmtp.EncodeXtext(id) != val {
				return nil, 0, syntax(i, "bad envid")
			}
			e.EnvID = id
		case "rcpt-params":
			if prevKey != "rcpt" {
				return nil, 0, syntax(i, "rcpt-params must follow its rcpt line")
			}
			rp, err := esmtp.ParseRcptParams(val, nil, nil)
			if err != nil || len(rp.Extra) > 0 || (rp.Notify == 0 && rp.ORcpt == nil) {
				return nil, 0, syntax(i, "bad rcpt-params")
			}
			if rp.ORcpt != nil && (rp.ORcpt.Addr == "" || checkAddress(rp.ORcpt.Addr) != "" || !validAddrType(rp.ORcpt.AddrType)) {
				return nil, 0, syntax(i, "bad ORCPT")
			}
			if e.RcptDSN == nil {
				e.RcptDSN = map[string]rcptDSN{}
			}
			e.RcptDSN[e.Rcpts[len(e.Rcpts)-1]] = rcptDSN{Notify: rp.Notify, ORcpt: rp.ORcpt}
		case "dsn-for":
			if !validQueueID(val) {
				return nil, 0, syntax(i, "invalid dsn-for queue id")
			}
			e.DSNFor = val
		case "dsn-rcpt":
			if len(val) < 3 || val[0] != '<' || val[len(val)-1] != '>' || checkAddress(val[1:len(val)-1]) != "" {
				return nil, 0, syntax(i, "bad dsn-rcpt address")
			}
			if len(e.DSNRcpt) == maxSpoolRcpts {
				return nil, 0, &SpoolError{Line: i + 1, Reason: "too many dsn-rcpt lines", Err: ErrSpoolTooLarge}
			}
			e.DSNRcpt = append(e.DSNRcpt, val[1:len(val)-1])
		case "id":
			if !validQueueID(val) {
				return nil, 0, syntax(i, "invalid queue id")
			}
			e.ID = val
		case "from", "rcpt":
			if len(val) < 2 || val[0] != '<' || val[len(val)-1] != '>' {
				return nil, 0, syntax(i, "address not in angle brackets")
			}
			addr := val[1 : len(val)-1]
			if why := checkAddress(addr); why != "" {
				return nil, 0, syntax(i, why)
			}
			if key == "from" {
				e.From = addr
				break
			}
			if addr == "" {
				return nil, 0, syntax(i, "empty recipient")
			}
			if len(e.Rcpts) == maxSpoolRcpts {
				return nil, 0, &SpoolError{Line: i + 1, Reason: "too many recipients", Err: ErrSpoolTooLarge}
			}
			e.Rcpts = append(e.Rcpts, addr)
		case "arrived", "next":
			t, err := time.Parse(time.RFC3339Nano, val)
			if err != nil {
				return nil, 0, syntax(i, "bad time")
			}
			if y := t.UTC().Year(); y < 0 || y > 9999 {
				return nil, 0, syntax(i, "time out of range")
			}
			if key == "arrived" {
				e.Arrived = t.UTC()
			} else {
				e.Next = t.UTC()
			}
		case "attempts":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > maxSpoolAttempts || strconv.Itoa(n) != val {
				return nil, 0, syntax(i, "bad attempts")
			}
			e.Attempts = n
		case "size":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < 0 || strconv.FormatInt(n, 10) != val {
				return nil, 0, syntax(i, "bad size")
			}
			if n > maxMessage {
				return nil, 0, &SpoolError{Line: i + 1, Reason: "message larger than the queue's limit", Err: ErrSpoolTooLarge}
			}
			e.Size = n
		default:
			return nil, 0, syntax(i, "unknown key "+strconv.Quote(truncate(key, 40)))
		}
		prevKey = thisKey
	}
	for _, k := range []string{"id", "from", "arrived", "attempts", "next", "size"} {
		if !seen[k] {
			return nil, 0, &SpoolError{Reason: "missing " + k, Err: ErrSpoolSyntax}
		}
	}
	if len(e.Rcpts) == 0 {
		return nil, 0, &SpoolError{Reason: "no recipients", Err: ErrSpoolSyntax}
	}
	return e, end + 2, nil
}

// parseSpool parses a whole spool file held in memory and returns its
// envelope and message data.
func parseSpool(b []byte, maxMessage int64) (*spoolEnvelope, []byte, error) {
	e, off, err := parseSpoolHeader(b, maxMessage)
	if err != nil {
		return nil, nil, err
	}
	if int64(len(b)-off) != e.Size {
		return nil, nil, &SpoolError{Reason: fmt.Sprintf("%d bytes of data, header says %d", len(b)-off, e.Size), Err: ErrSpoolSize}
	}
	return e, b[off:], nil
}

// validAddrType reports whether t is an RFC 3461 addr-type: an atom of
// letters, digits and hyphens, as esmtp parses ORCPT.
func validAddrType(t string) bool {
	if t == "" || len(t) > 64 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// spool does the file work of the queue. It has no locking of its own:
// the queue serializes writes to one file, and different files do not
// interfere.
type spool struct {
	dir        string
	maxMessage int64
	logger     *slog.Logger
}

func (s *spool) path(id string) string { return filepath.Join(s.dir, spoolPrefix+id) }

// write stores e and size bytes of data from body as the file of e.ID,
// atomically: the old file, if any, stays whole until the new one is
// complete and synced. It returns the offset of the data in the new file.
func (s *spool) write(e *spoolEnvelope, body io.Reader) (off int64, err error) {
	hdr, err := e.encodeHeader()
	if err != nil {
		return 0, err
	}
	err = s.atomicWrite(spoolPrefix+e.ID, func(w io.Writer) error {
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		n, err := io.Copy(w, io.LimitReader(body, e.Size))
		if err != nil {
			return err
		}
		if n != e.Size {
			return fmt.Errorf("quickstart: spool: message data ended after %d of %d bytes", n, e.Size)
		}
		return nil
	})
	return int64(len(hdr)), err
}

// atomicWrite replaces the file name in the spool with what fill writes:
// to a temporary file, fsynced, renamed over name, directory fsynced.
// When it returns nil the new content is durable; on an error the old
// file, if any, is still whole (or already the new one, when only the
// directory sync failed).
func (s *spool) atomicWrite(name string, fill func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(s.dir, spoolTempPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err = fill(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(s.dir, name)); err != nil {
		return err
	}
	return syncDir(s.dir)
}

// The id mark file holds a queue id (16 hex digits and LF) at or above
// every id handed out so far, so that ids stay unique across restarts
// even when the spool is empty and the clock went back.
const spoolIDMark = "idmark"

// readMark returns the id mark, 0 when there is none.
func (s *spool) readMark() (uint64, error) {
	f, err := os.Open(filepath.Join(s.dir, spoolIDMark))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64))
	if err != nil {
		return 0, err
	}
	v := strings.TrimSuffix(string(b), "\n")
	if !validQueueID(v) || len(b) != len(v)+1 {
		return 0, &SpoolError{Reason: "id mark is not 16 hex digits and a newline", Err: ErrSpoolSyntax}
	}
	return strconv.ParseUint(v, 16, 64)
}

// writeMark stores the id mark durably.
func (s *spool) writeMark(n uint64) error {
	return s.atomicWrite(spoolIDMark, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%016x\n", n)
		return err
	})
}

// remove deletes the file of id, durably.
func (s *spool) remove(id string) error {
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return syncDir(s.dir)
}

// loadedItem is one file found by load.
type loadedItem struct {
	env *spoolEnvelope
	off int64
}

// loadReport says what load did besides finding items.
type loadReport struct {
	IDMark  uint64   // the id mark, 0 when missing or corrupt
	Corrupt []string // files moved to the corrupt subdirectory, with the reason
	Removed []string // leftover temporary files deleted
}

// load creates the spool directory if needed, removes leftover
// temporary files, quarantines files that do not parse and returns the
// others, oldest first. Only a failure to read or change the directory
// is an error.
func (s *spool) load() ([]loadedItem, loadReport, error) {
	var rep loadReport
	_, statErr := os.Stat(s.dir)
	if err := os.MkdirAll(filepath.Join(s.dir, spoolCorruptDir), 0o700); err != nil {
		return nil, rep, err
	}
	if errors.Is(statErr, os.ErrNotExist) {
		// A new spool directory: make its own entry durable too.
		if err := syncDir(filepath.Dir(filepath.Clean(s.dir))); err != nil {
			return nil, rep, err
		}
	}
	if err := syncDir(s.dir); err != nil { // the corrupt entry, if new
		return nil, rep, err
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, rep, err
	}
	var items []loadedItem
	changed := false
	for _, de := range entries {
		name := de.Name()
		switch {
		case de.IsDir():
			continue
		case name == spoolIDMark:
			mark, merr := s.readMark()
			if merr == nil {
				rep.IDMark = mark
				continue
			}
			var se *SpoolError
			if !errors.As(merr, &se) {
				return nil, rep, merr
			}
			dst, err := s.quarantine(name)
			if err != nil {
				return nil, rep, fmt.Errorf("quickstart: quarantining %s (%v): %w", name, merr, err)
			}
			changed = true
			rep.Corrupt = append(rep.Corrupt, fmt.Sprintf("%s -> %s: %v", name, dst, merr))
			s.logger.Error("quickstart: corrupt spool id mark quarantined", "file", name, "moved_to", dst, "err", merr)
		case strings.HasPrefix(name, spoolTempPrefix):
			if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, rep, err
			}
			changed = true
			rep.Removed = append(rep.Removed, name)
			s.logger.Info("quickstart: removed leftover spool temp file", "file", name)
		case strings.HasPrefix(name, spoolPrefix):
			it, perr := s.read(name)
			if perr == nil {
				items = append(items, it)
				continue
			}
			dst, err := s.quarantine(name)
			if err != nil {
				return nil, rep, fmt.Errorf("quickstart: quarantining %s (%v): %w", name, perr, err)
			}
			changed = true
			rep.Corrupt = append(rep.Corrupt, fmt.Sprintf("%s -> %s: %v", name, dst, perr))
			s.logger.Error("quickstart: corrupt spool file quarantined", "file", name, "moved_to", dst, "err", perr)
		default:
			s.logger.Warn("quickstart: ignoring unknown file in the spool", "file", name)
		}
	}
	if changed {
		if err := syncDir(s.dir); err != nil {
			return nil, rep, err
		}
	}
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i].env, items[j].env
		if !a.Arrived.Equal(b.Arrived) {
			return a.Arrived.Before(b.Arrived)
		}
		return a.ID < b.ID
	})
	return items, rep, nil
}

// read parses one spool file without reading its message data.
func (s *spool) read(name string) (loadedItem, error) {
	f, li, err := s.open(name)
	if err != nil {
		return loadedItem{}, err
	}
	f.Close()
	return li, nil
}

// open opens a spool file and parses its header; the caller reads the
// data from the returned file at the returned offset and closes it.
// A file that does not parse gives a *SpoolError.
func (s *spool) open(name string) (_ *os.File, _ loadedItem, err error) {
	f, err := os.Open(filepath.Join(s.dir, name))
	if err != nil {
		return nil, loadedItem{}, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return nil, loadedItem{}, err
	}
	if !fi.Mode().IsRegular() {
		return nil, loadedItem{}, &SpoolError{Reason: "not a regular file", Err: ErrSpoolSyntax}
	}
	head := make([]byte, min(fi.Size(), maxSpoolHeader))
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, loadedItem{}, err
	}
	e, off, err := parseSpoolHeader(head, s.maxMessage)
	if err != nil {
		return nil, loadedItem{}, err
	}
	if spoolPrefix+e.ID != name {
		return nil, loadedItem{}, &SpoolError{Reason: "queue id " + e.ID + " does not match the file name", Err: ErrSpoolSyntax}
	}
	if fi.Size()-int64(off) != e.Size {
		return nil, loadedItem{}, &SpoolError{Reason: fmt.Sprintf("%d bytes of data, header says %d", fi.Size()-int64(off), e.Size), Err: ErrSpoolSize}
	}
	return f, loadedItem{env: e, off: int64(off)}, nil
}

// quarantine moves a spool file into the corrupt subdirectory, under a
// new name if one of that name is already there, and returns where it
// went.
func (s *spool) quarantine(name string) (string, error) {
	dir := filepath.Join(s.dir, spoolCorruptDir)
	dst := filepath.Join(dir, name)
	for n := 1; ; n++ {
		if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
			break
		} else if err != nil {
			return "", err
		}
		if n > 1000 {
			return "", errors.New("quickstart: too many quarantined files of that name")
		}
		dst = filepath.Join(dir, name+"."+strconv.Itoa(n))
	}
	if err := os.Rename(filepath.Join(s.dir, name), dst); err != nil {
		return "", err
	}
	return dst, syncDir(dir)
}

// syncDir makes the creation, renaming and removal of the directory's
// entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
