package imapclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

// ErrNoMultiAppend is returned by [Client.AppendMulti] for more than one
// message when the server did not announce MULTIAPPEND (RFC 3502).
var ErrNoMultiAppend = errors.New("imapclient: server does not support MULTIAPPEND")

// ErrNoBinary is returned by [Client.AppendMulti] for a message with
// Binary set when the server did not announce BINARY (RFC 3516).
var ErrNoBinary = errors.New("imapclient: server does not support BINARY (literal8)")

// AppendMessage is one message of [Client.AppendMulti].
type AppendMessage struct {
	// Body yields the message: Size octets are read from it.
	Body io.Reader
	// Size is the message size in octets.
	Size int64
	// Options are the flags and internal date (nil: none, now).
	Options *imap.AppendOptions
	// Binary sends the message as a literal8 "~{n}" (RFC 3516), which
	// may hold NUL octets; the server must announce BINARY.
	Binary bool
	// Catenate, when set, has the server build the message from these
	// parts (CATENATE, RFC 4469; the server must announce it,
	// [ErrNoCatenate]); Body, Size and Binary are then ignored.
	Catenate []CatenatePart
}

// AppendMultiData is the result of [Client.AppendMulti].
type AppendMultiData struct {
	// UIDValidity is that of the destination mailbox (0: the server sent
	// no APPENDUID).
	UIDValidity uint32
	// UIDs are the UIDs of the new messages in the order they were
	// given; nil when the server sent no APPENDUID, or one whose UID set
	// does not hold exactly one UID per message.
	UIDs []uint32
}

// AppendMulti appends msgs to mailbox with one APPEND command
// (MULTIAPPEND, RFC 3502): the server stores all of them or, if it
// fails, none. With a single message it is a plain APPEND; with several
// the server must announce MULTIAPPEND ([ErrNoMultiAppend]), and BINARY
// for a message with Binary set ([ErrNoBinary]). A refusal
// (for instance NO [TOOBIG] or NO [TRYCREATE]) is a [*StatusError].
// Failing to read a Body closes the connection, as [Client.Append] does.
func (c *Client) AppendMulti(ctx context.Context, mailbox string, msgs []AppendMessage) (*AppendMultiData, error) {
	if len(msgs) == 0 {
		return nil, errors.New("imapclient: AppendMulti needs a message")
	}
	if len(msgs) > 1 && !c.Has("MULTIAPPEND") {
		return nil, ErrNoMultiAppend
	}
	for _, m := range msgs {
		if err := c.checkCatenate(&m); err != nil {
			return nil, err
		}
		if len(m.Catenate) > 0 {
			continue
		}
		if m.Binary && !c.Has("BINARY") {
			return nil, ErrNoBinary
		}
		if m.Size < 0 {
			return nil, errors.New("imapclient: negative message size")
		}
	}
	cmd := &command{}
	var copyErr error
	err := c.execute(ctx, cmd, "APPEND", func(e *imap.Encoder) {
		e.SP().Mailbox(mailbox, false)
		for i, m := range msgs {
			if opts := m.Options; opts != nil {
				if len(opts.Flags) > 0 {
					e.SP().Flags(opts.Flags)
				}
				if !opts.Time.IsZero() {
					e.SP().DateTime(opts.Time)
				}
			}
			e.SP()
			if len(m.Catenate) > 0 {
				if err := writeCatenate(e, m.Catenate); err != nil {
					copyErr = fmt.Errorf("imapclient: reading message %d: %w", i+1, err)
					c.closed = true
					_ = c.conn.Close()
					return
				}
				continue
			}
			if m.Binary {
				e.Byte('~')
			}
			w := e.LiteralWriter(m.Size)
			if e.Err() != nil {
				return
			}
			n, err := io.CopyN(w, m.Body, m.Size)
			if err == nil && n != m.Size {
				err = io.ErrUnexpectedEOF
			}
			if err != nil {
				// The literal cannot be completed: give up the
				// connection at once (c.mu is held by execute).
				copyErr = fmt.Errorf("imapclient: reading message %d: %w", i+1, err)
				c.closed = true
				_ = c.conn.Close()
				return
			}
		}
	})
	if copyErr != nil {
		return nil, copyErr
	}
	if err != nil {
		return nil, err
	}
	data := &AppendMultiData{}
	if name, args, _ := strings.Cut(cmd.okCode, " "); strings.EqualFold(name, "APPENDUID") {
		f := strings.Fields(args)
		if len(f) == 2 {
			v, _ := strconv.ParseUint(f[0], 10, 32)
			data.UIDValidity = uint32(v)
			data.UIDs = expandUIDSet(f[1], len(msgs))
		}
	}
	return data, nil
}

// expandUIDSet expands a uid-set in its order ("4,7:9") if it holds
// exactly n UIDs; otherwise it returns nil. It never expands more than n.
func expandUIDSet(s string, n int) []uint32 {
	out := make([]uint32, 0, n)
	for _, r := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(r, ":")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil || a == 0 {
			return nil
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 32); err != nil || b == 0 {
				return nil
			}
		}
		step := uint64(1)
		if b < a {
			step = ^uint64(0) // descending range
		}
		for u := a; ; u += step {
			if len(out) == n {
				return nil
			}
			out = append(out, uint32(u))
			if u == b {
				break
			}
		}
	}
	if len(out) != n {
		return nil
	}
	return out
}
