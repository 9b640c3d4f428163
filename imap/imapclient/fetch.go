package imapclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/imap"
)

// FetchMessage holds the items of one FETCH response.
//
// The fields are the msg-att items of RFC 3501 §7.4.2; an item the
// server did not send leaves its field zero.
type FetchMessage struct {
	// SeqNum is the message sequence number of the response.
	SeqNum uint32
	// UID is the UID item (0: not sent).
	UID uint32
	// Flags is the FLAGS item (nil: not sent).
	Flags []imap.Flag
	// InternalDate is the INTERNALDATE item (zero: not sent).
	InternalDate time.Time
	// RFC822Size is the RFC822.SIZE item, the message size in octets.
	RFC822Size int64
	// Envelope is the ENVELOPE item (nil: not sent).
	Envelope *imap.Envelope
	// BodyStructure is the BODYSTRUCTURE or BODY item (nil: not sent).
	BodyStructure *imap.BodyStructure
	// Sections holds the body sections that were not streamed to a
	// FetchHandler.Body function (BINARY[...] sections have
	// Section.Binary set).
	Sections []*SectionData
	// BinarySizes holds the BINARY.SIZE items (RFC 3516), in the order
	// sent; see [FetchMessage.BinarySize].
	BinarySizes []BinarySize
	// ModSeq is the MODSEQ item (RFC 7162 §3.1.4.1, CONDSTORE; 0: not
	// sent).
	ModSeq uint64
}

// SectionData is one body section of a FETCH response.
type SectionData struct {
	// Section is the section parsed from the reply item name, e.g.
	// BODY[1.TEXT]<0>; its Partial, if any, has Count 0 since only the
	// offset is sent.
	Section *imap.FetchSection
	// Data is nil when the server sent NIL.
	Data []byte
}

// Section returns the data of the first section with the given reply
// name (see imap.FetchSection.Name), or nil.
func (m *FetchMessage) Section(name string) []byte {
	for _, s := range m.Sections {
		if strings.EqualFold(s.Section.Name(), name) {
			return s.Data
		}
	}
	return nil
}

// FetchHandler receives FETCH results as they arrive.
type FetchHandler struct {
	// Body, if set, streams each body section: r yields size bytes and
	// is valid only during the call (unread data is discarded). Sections
	// passed to Body are not kept in FetchMessage.Sections.
	Body func(seq uint32, section *imap.FetchSection, size int64, r io.Reader) error
	// Message receives each message once all its items were read.
	Message func(m *FetchMessage) error
}

func (c *Client) readFetch(cmd *command, seq uint32) (*FetchMessage, error) {
	d := c.dec
	m := &FetchMessage{SeqNum: seq}
	err := d.List(func() error {
		v, err := d.ReadValue()
		if err != nil {
			return err
		}
		a, ok := v.(imap.Atom)
		if !ok {
			return fmt.Errorf("%w: bad FETCH item", ErrProtocol)
		}
		name := strings.ToUpper(string(a))
		if err := d.SP(); err != nil {
			return err
		}
		if strings.HasPrefix(name, "BODY[") || strings.HasPrefix(name, "BINARY[") ||
			name == "RFC822" || name == "RFC822.HEADER" || name == "RFC822.TEXT" {
			sec, err := imap.ParseFetchSectionName(string(a))
			if err != nil {
				return err
			}
			return c.readSection(cmd, m, sec)
		}
		val, err := d.ReadValue()
		if err != nil {
			return err
		}
		if strings.HasPrefix(name, "BINARY.SIZE[") {
			return m.addBinarySize(name, val)
		}
		switch name {
		case "UID":
			m.UID = uint32(atoi(val))
		case "MODSEQ":
			l, _ := val.([]imap.Value)
			if len(l) != 1 {
				return fmt.Errorf("%w: bad MODSEQ item", ErrProtocol)
			}
			n, ok := parseModSeq(l[0])
			if !ok {
				return fmt.Errorf("%w: bad MODSEQ item", ErrProtocol)
			}
			m.ModSeq = n
		case "RFC822.SIZE":
			m.RFC822Size = atoi(val)
		case "FLAGS":
			l, _ := val.([]imap.Value)
			m.Flags = make([]imap.Flag, 0, len(l))
			for _, f := range l {
				if s, ok := f.(imap.Atom); ok {
					m.Flags = append(m.Flags, imap.CanonicalFlag(imap.Flag(s)))
				}
			}
		case "INTERNALDATE":
			s, _ := val.(string)
			t, err := time.Parse(imap.DateTimeLayout, s)
			if err != nil {
				return fmt.Errorf("%w: bad INTERNALDATE %q", ErrProtocol, s)
			}
			m.InternalDate = t
		case "ENVELOPE":
			env, err := imap.EnvelopeFromValue(val)
			if err != nil {
				return err
			}
			m.Envelope = env
		case "BODYSTRUCTURE", "BODY":
			bs, err := imap.BodyStructureFromValue(val)
			if err != nil {
				return err
			}
			m.BodyStructure = bs
		}
		return nil
	})
	return m, err
}

func atoi(v imap.Value) int64 {
	var n int64
	a, _ := v.(imap.Atom)
	for _, ch := range []byte(a) {
		if ch < '0' || ch > '9' || n > 1<<53 {
			return 0
		}
		n = n*10 + int64(ch-'0')
	}
	return n
}

func (c *Client) readSection(cmd *command, m *FetchMessage, sec *imap.FetchSection) error {
	d := c.dec
	b, err := d.Peek()
	if err != nil {
		return err
	}
	if b != '{' && b != '~' {
		s, ok, err := d.NString()
		if err != nil {
			return err
		}
		var data []byte
		if ok {
			data = []byte(s)
		}
		if cmd.onBody != nil {
			return cmd.onBody(m.SeqNum, sec, int64(len(data)), bytes.NewReader(data))
		}
		m.Sections = append(m.Sections, &SectionData{Section: sec, Data: data})
		return nil
	}
	r, size, err := d.Literal()
	if err != nil {
		return err
	}
	if cmd.onBody != nil {
		if err := cmd.onBody(m.SeqNum, sec, size, r); err != nil {
			return err
		}
		_, err := io.Copy(io.Discard, r)
		return err
	}
	data := make([]byte, 0, min(size, 1<<20))
	buf := bytes.NewBuffer(data)
	if _, err := io.Copy(buf, r); err != nil {
		return err
	}
	m.Sections = append(m.Sections, &SectionData{Section: sec, Data: buf.Bytes()})
	return nil
}

func (c *Client) fetch(ctx context.Context, name string, set imap.SeqSet, opts *imap.FetchOptions, h *FetchHandler) error {
	cmd := &command{}
	if h != nil {
		cmd.onBody = h.Body
		cmd.onFetch = h.Message
	}
	if cmd.onFetch == nil {
		cmd.onFetch = func(*FetchMessage) error { return nil }
	}
	return c.execute(ctx, cmd, name, func(e *imap.Encoder) {
		e.SP().Raw(set.String()).SP().Raw(opts.String()).Raw(opts.FetchModifiersString())
	})
}

// Fetch sends FETCH for sequence numbers and passes the results to h.
func (c *Client) Fetch(ctx context.Context, set imap.SeqSet, opts *imap.FetchOptions, h *FetchHandler) error {
	return c.fetch(ctx, "FETCH", set, opts, h)
}

// UIDFetch sends UID FETCH.
func (c *Client) UIDFetch(ctx context.Context, set imap.SeqSet, opts *imap.FetchOptions, h *FetchHandler) error {
	return c.fetch(ctx, "UID FETCH", set, opts, h)
}

// FetchAll runs FETCH (UID FETCH for kind imap.NumUID) and collects the
// messages, bodies included, in memory.
func (c *Client) FetchAll(ctx context.Context, kind imap.NumKind, set imap.SeqSet, opts *imap.FetchOptions) ([]*FetchMessage, error) {
	var out []*FetchMessage
	h := &FetchHandler{Message: func(m *FetchMessage) error { out = append(out, m); return nil }}
	name := "FETCH"
	if kind == imap.NumUID {
		name = "UID FETCH"
	}
	err := c.fetch(ctx, name, set, opts, h)
	return out, err
}
