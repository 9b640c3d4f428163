package imapserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/imap"
)

// MultiAppendSession is the optional MULTIAPPEND extension (RFC 3502):
// one APPEND command with several messages, stored all or none. With it
// the server announces MULTIAPPEND and sends every APPEND, also one of a
// single message, through AppendMulti instead of [Session.Append].
type MultiAppendSession interface {
	// AppendMulti stores the messages that next returns, in order, in
	// mailbox, and returns their UIDs only once all of them are stored.
	// If it fails, none of them may remain (all or none, RFC 3502 §3).
	//
	// next reads the next message's flags and date from the command and
	// returns a reader of its data (exactly Size octets, which must be
	// read, or staged, before next is called again); after the last
	// message it returns io.EOF. Any other error from next (a syntax
	// error, a size limit, the connection failing) means the command
	// failed: discard what was staged and return (that error, or any
	// other; the server replies with the one from next). next must be
	// called from the goroutine running AppendMulti. Check that mailbox
	// exists before calling next, so that a missing mailbox is refused
	// ([ErrNoSuchMailbox], answered NO [TRYCREATE]) before the client
	// sends its messages.
	AppendMulti(ctx context.Context, mailbox string, next func() (*AppendMessage, error)) (*MultiAppendData, error)
}

// AppendMessage is one message of an APPEND given to
// [MultiAppendSession.AppendMulti].
type AppendMessage struct {
	// Body reads the message from the connection; it holds exactly Size
	// octets.
	Body io.Reader
	// Size is the message size in octets (at most Limits.MaxMessageSize).
	Size int64
	// Options are the flags and internal date given with the message
	// (never nil).
	Options *imap.AppendOptions
}

// MultiAppendData is the result of [MultiAppendSession.AppendMulti]: the
// APPENDUID response code (RFC 4315) with a UID set.
type MultiAppendData struct {
	// UIDValidity is that of the destination mailbox.
	UIDValidity uint32
	// UIDs are the UIDs of the new messages in the order they were sent;
	// empty: no APPENDUID is sent.
	UIDs []uint32
}

// ErrMultiAppendTooBig is the reply to a MULTIAPPEND whose messages
// together exceed Limits.MaxMultiAppendSize.
var ErrMultiAppendTooBig = &Error{Type: StatusNO, Code: "TOOBIG", Text: "Messages too big together"}

// errUnreadMessage: a MultiAppendSession asked for the next message
// before reading the previous one (a bug in the session).
var errUnreadMessage = errors.New("imapserver: AppendMulti called next before reading the previous message to its end")

// multiAppend reads the messages of one APPEND for AppendMulti.
type multiAppend struct {
	c     *conn
	max   int64 // bound on the sum of the message sizes
	total int64
	count int
	prev  *countReader // the previous message's data
	// prevSize is the size of the previous message.
	prevSize int64
	done     bool  // the command line was read to its end
	err      error // the first error next returned
	// tooBig: a literal was refused by the total bound; sync tells whether
	// it was a synchronising one (then the client sent nothing more).
	tooBig, tooBigSync bool
	ctx                context.Context // the command's, for CATENATE URLs
	cat                *spill          // the last CATENATE message assembled
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (m *multiAppend) next() (*AppendMessage, error) {
	if m.err != nil {
		return nil, m.err
	}
	if m.done {
		return nil, io.EOF
	}
	m.cat.close()
	m.cat = nil
	msg, err := m.read()
	if err != nil && err != io.EOF {
		m.err = err
	}
	return msg, err
}

func (m *multiAppend) read() (*AppendMessage, error) {
	d := m.c.dec
	if m.prev != nil {
		if m.prev.n != m.prevSize {
			return nil, fmt.Errorf("%w (message %d)", errUnreadMessage, m.count)
		}
		if d.AtEOL() {
			if err := m.c.endLine(); err != nil {
				return nil, err
			}
			m.done = true
			return nil, io.EOF
		}
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	opts, err := m.c.appendArgs()
	if err != nil {
		return nil, err
	}
	if m.c.ctSess != nil && d.HasPrefixFold("CATENATE ") {
		return m.catenate(opts)
	}
	r, size, err := d.Literal()
	if err != nil {
		return nil, err
	}
	m.total += size // as sent; CheckLiteral bounds it
	if d.LiteralBinary() {
		if r, size, err = readBinaryLiteral(r, size); err != nil {
			return nil, err
		}
	}
	m.prevSize = size
	m.count++
	m.prev = &countReader{r: r}
	return &AppendMessage{Body: m.prev, Size: size, Options: opts}, nil
}

// appendArgs reads the optional "(flags) " and "date-time " before an
// APPEND message's literal.
func (c *conn) appendArgs() (*imap.AppendOptions, error) {
	opts := &imap.AppendOptions{}
	if b, _ := c.dec.Peek(); b == '(' {
		flags, err := c.dec.FlagList()
		if err != nil {
			return nil, err
		}
		for _, f := range flags {
			if f == imap.FlagWildcard || imap.CanonicalFlag(f) == imap.FlagRecent {
				return nil, bad("invalid flag in APPEND")
			}
		}
		opts.Flags = normalizeFlags(flags)
		if err := c.dec.SP(); err != nil {
			return nil, err
		}
	}
	if b, _ := c.dec.Peek(); b == '"' {
		s, err := c.dec.Quoted()
		if err != nil {
			return nil, err
		}
		t, perr := time.Parse(imap.DateTimeLayout, s)
		if perr != nil {
			return nil, bad("invalid date-time")
		}
		opts.Time = t
		if err := c.dec.SP(); err != nil {
			return nil, err
		}
	}
	return opts, nil
}

// cmdMultiAppend runs APPEND through a MultiAppendSession: any number of
// messages (RFC 3502), all stored or none.
func cmdMultiAppend(ctx context.Context, c *conn, ms MultiAppendSession) error {
	raw, err := c.mailboxArg()
	if err != nil {
		return err
	}
	name, err := mailboxName(raw)
	if err != nil {
		// Refused before any message is accepted; the server skips the
		// rest of the line.
		return err
	}
	m := &multiAppend{c: c, max: c.lim.MaxMultiAppendSize, ctx: ctx}
	defer func() { m.cat.close() }()
	c.dec.CheckLiteral = func(size int64, sync bool) error {
		if m.total+size > m.max {
			m.tooBig, m.tooBigSync = true, sync
			return ErrMultiAppendTooBig
		}
		return nil
	}
	data, err := ms.AppendMulti(ctx, name, m.next)
	c.dec.CheckLiteral = nil
	if m.err != nil {
		// Reading the command failed; AppendMulti stored nothing.
		// A synchronising literal refused by the total bound ends the
		// command: the client waits for a continuation it never gets.
		// Otherwise the server skips the rest of the line (a refused
		// non-synchronising literal was skipped already).
		switch {
		case m.tooBig && m.tooBigSync:
			c.lineDone = true
		case errors.Is(m.err, errUnreadMessage):
			// A session bug, not the client's: skip the rest of the
			// command and answer NO [SERVERBUG].
			if derr := c.dec.DiscardLine(); derr != nil {
				return derr
			}
			c.lineDone = true
		}
		return m.err
	}
	if !m.done {
		// AppendMulti gave up before the last message (or refused the
		// mailbox before the first): skip what the client still sends.
		if derr := c.dec.DiscardLine(); derr != nil {
			return derr
		}
		c.lineDone = true
		if err == nil {
			c.log.Error("imapserver: AppendMulti returned before reading every message")
			err = errors.New("imapserver: AppendMulti returned before reading every message")
		}
	}
	if err != nil {
		return tryCreate(err)
	}
	if data != nil && len(data.UIDs) > 0 {
		if len(data.UIDs) != m.count {
			c.log.Warn("imapserver: AppendMulti returned a UID count unlike the message count", "uids", len(data.UIDs), "messages", m.count)
			return nil
		}
		return ok("APPENDUID "+itoa(data.UIDValidity)+" "+compactUIDs(data.UIDs), "APPEND completed")
	}
	return nil
}

// compactUIDs writes uids (in order) as a uid-set: runs of consecutive
// ascending UIDs become ranges, the order is kept (RFC 4315 §3 asks the
// set to list the UIDs in the order of the messages).
func compactUIDs(uids []uint32) string {
	var sb strings.Builder
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		if sb.Len() > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(itoa(uids[i]))
		if j > i {
			sb.WriteByte(':')
			sb.WriteString(itoa(uids[j]))
		}
		i = j + 1
	}
	return sb.String()
}
