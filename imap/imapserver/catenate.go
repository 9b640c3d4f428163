package imapserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

// CatenateSession is the optional CATENATE extension (RFC 4469): an
// APPEND message built from literal text and parts of messages already
// stored, named by IMAP URLs (RFC 5092). The server announces CATENATE
// when the session implements both CatenateSession and
// [MultiAppendSession]; the assembled message reaches
// [MultiAppendSession.AppendMulti] like any other, so a MULTIAPPEND with
// CATENATE stores all its messages or none.
type CatenateSession interface {
	// CatenateMessage returns the whole message that u names (u.Mailbox,
	// u.UID; the server checks u.UIDValidity and cuts u.Section and
	// u.Partial) and the UIDVALIDITY of its mailbox. It must refuse (any
	// error; the server answers NO [BADURL]) a URL of another user or
	// another server (an absolute URL whose User or Host is not this
	// session's), a missing mailbox or message, and a mailbox the user may
	// not read. It is called while [MultiAppendSession.AppendMulti] runs
	// (from its next function), so AppendMulti must not hold locks that
	// CatenateMessage takes while it calls next.
	CatenateMessage(ctx context.Context, u *imap.URL) (uidValidity uint32, raw []byte, err error)
}

// catenateMemMax is how much of an assembled CATENATE message is held
// in memory before it spills to a temporary file.
const catenateMemMax = 256 << 10

// errTextNUL is the reply to a CATENATE TEXT part sent as a literal (not
// a literal8) that holds a NUL octet (RFC 4469 §5, RFC 3516 §4.4).
var errTextNUL = bad("NUL octet in a TEXT literal: use a literal8 (BINARY)")

// badURL is the NO [BADURL url] reply (RFC 4469 §6).
func badURL(url, text string) error {
	clean := strings.Map(func(r rune) rune {
		if r < 0x20 || r == '[' || r == '\\' || r == ']' || r == 0x7f {
			return -1
		}
		return r
	}, url)
	if len(clean) > 1024 {
		clean = clean[:1024]
	}
	return &Error{Type: StatusNO, Code: "BADURL " + clean, Text: text}
}

// spill collects an assembled message: in memory up to catenateMemMax,
// then in a temporary file; never more than max octets.
type spill struct {
	max  int64
	n    int64
	mem  bytes.Buffer
	file *os.File
}

// errSpillTooBig: the assembled message passed max.
var errSpillTooBig = errors.New("imapserver: catenated message too big")

func (s *spill) Write(p []byte) (int, error) {
	if s.n+int64(len(p)) > s.max {
		return 0, errSpillTooBig
	}
	if s.file == nil && s.mem.Len()+len(p) > catenateMemMax {
		f, err := os.CreateTemp("", "mailkit-catenate-*")
		if err != nil {
			return 0, fmt.Errorf("imapserver: catenate: %w", err)
		}
		s.file = f // close removes it
		if _, err := f.Write(s.mem.Bytes()); err != nil {
			return 0, fmt.Errorf("imapserver: catenate: %w", err)
		}
		s.mem = bytes.Buffer{}
	}
	var n int
	var err error
	if s.file != nil {
		n, err = s.file.Write(p)
	} else {
		n, err = s.mem.Write(p)
	}
	s.n += int64(n)
	return n, err
}

// reader returns a reader of everything written.
func (s *spill) reader() (io.Reader, error) {
	if s.file == nil {
		return bytes.NewReader(s.mem.Bytes()), nil
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("imapserver: catenate: %w", err)
	}
	return io.LimitReader(s.file, s.n), nil
}

func (s *spill) close() {
	if s == nil {
		return
	}
	if s.file != nil {
		name := s.file.Name()
		_ = s.file.Close()
		_ = os.Remove(name)
		s.file = nil
	}
	s.mem = bytes.Buffer{}
}

// nulCheck fails a write holding a NUL octet.
type nulCheck struct{ w io.Writer }

func (n nulCheck) Write(p []byte) (int, error) {
	if bytes.IndexByte(p, 0) >= 0 {
		return 0, errTextNUL
	}
	return n.w.Write(p)
}

// catenate reads "CATENATE (part ...)" of one APPEND message (the
// decoder is at "CATENATE") and assembles the message.
func (m *multiAppend) catenate(opts *imap.AppendOptions) (*AppendMessage, error) {
	c, d := m.c, m.c.dec
	if _, err := d.Atom(); err != nil { // CATENATE, checked by the caller
		return nil, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	if err := d.Expect('('); err != nil {
		return nil, err
	}
	s := &spill{max: c.lim.MaxMessageSize}
	m.cat = s
	binary := false
	prevCheck := d.CheckLiteral
	d.CheckLiteral = func(size int64, sync bool) error {
		if s.n+size > s.max {
			m.tooBig, m.tooBigSync = true, sync
			return ErrTooBig
		}
		if prevCheck != nil {
			return prevCheck(size, sync)
		}
		return nil
	}
	defer func() { d.CheckLiteral = prevCheck }()
	for first := true; ; first = false {
		if d.Accept(')') {
			if first {
				return nil, bad("empty CATENATE list")
			}
			break
		}
		if !first {
			if err := d.SP(); err != nil {
				return nil, err
			}
		}
		kind, err := d.Atom()
		if err != nil {
			return nil, err
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
		switch strings.ToUpper(kind) {
		case "TEXT":
			r, size, err := d.Literal()
			if err != nil {
				return nil, err
			}
			m.total += size
			var w io.Writer = s
			if d.LiteralBinary() {
				binary = true
			} else {
				w = nulCheck{s}
			}
			if _, err := io.Copy(w, r); err != nil {
				if errors.Is(err, errSpillTooBig) {
					return nil, ErrTooBig
				}
				return nil, err
			}
		case "URL":
			raw, err := d.AString()
			if err != nil {
				return nil, err
			}
			data, err := m.resolveURL(raw)
			if err != nil {
				return nil, err
			}
			if _, err := s.Write(data); err != nil {
				if errors.Is(err, errSpillTooBig) {
					return nil, ErrTooBig
				}
				return nil, err
			}
		default:
			return nil, bad("unknown CATENATE part " + kind)
		}
	}
	var r io.Reader
	size := s.n
	if binary {
		// As for an APPEND literal8: binary parts are stored base64.
		rd, err := s.reader()
		if err != nil {
			return nil, err
		}
		if r, size, err = readBinaryLiteral(rd, s.n); err != nil {
			return nil, err
		}
	} else {
		var err error
		if r, err = s.reader(); err != nil {
			return nil, err
		}
	}
	m.prevSize = size
	m.count++
	m.prev = &countReader{r: r}
	return &AppendMessage{Body: m.prev, Size: size, Options: opts}, nil
}

// resolveURL returns the octets an IMAP URL of a CATENATE names.
func (m *multiAppend) resolveURL(raw string) ([]byte, error) {
	u, err := imap.ParseURL(raw)
	if err != nil {
		return nil, badURL(raw, "Invalid URL")
	}
	if name, err := mailboxName(imap.EncodeMailbox(u.Mailbox)); err == nil {
		u.Mailbox = name // INBOX in any case
	}
	var sec *imap.FetchSection
	if u.Section != "" {
		if sec, err = imap.ParseFetchSectionName("BODY[" + u.Section + "]"); err != nil || sec.Partial != nil {
			return nil, badURL(raw, "Invalid section")
		}
	}
	uv, msg, err := m.c.ctSess.CatenateMessage(m.ctx, u)
	if err != nil {
		if ctxErr := m.ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, badURL(raw, "Cannot resolve URL")
	}
	if u.UIDValidity != 0 && u.UIDValidity != uv {
		return nil, badURL(raw, "UIDVALIDITY mismatch")
	}
	data := msg
	if sec != nil {
		var ok bool
		if data, ok = imap.ParseMessage(msg).Section(sec); !ok {
			return nil, badURL(raw, "No such section")
		}
	}
	if p := u.Partial; p != nil {
		q := *p
		if q.Count == 0 {
			q.Count = int64(len(data))
		}
		data = imap.ApplyPartial(data, &q)
	}
	return data, nil
}
