package imapclient

import (
	"errors"
	"io"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

// ErrNoCatenate is returned by [Client.AppendMulti] for a message with
// Catenate parts when the server did not announce CATENATE (RFC 4469).
var ErrNoCatenate = errors.New("imapclient: server does not support CATENATE")

// CatenatePart is one part of a message the server assembles (CATENATE,
// RFC 4469; [AppendMessage.Catenate]): either URL, an IMAP URL (RFC 5092)
// of a message or part the server holds, such as
// "/INBOX;UIDVALIDITY=5/;UID=20/;SECTION=1" (see [imap.URL]), or Size
// octets of text read from Text.
type CatenatePart struct {
	// URL, when set, makes this a URL part; Text, Size and Binary are
	// then ignored.
	URL string
	// Text yields the part's text: Size octets are read from it.
	Text io.Reader
	// Size is the text size in octets.
	Size int64
	// Binary sends the text as a literal8 "~{n}" (RFC 3516), needed when
	// it holds NUL octets; the server must announce BINARY.
	Binary bool
}

// checkCatenate checks the Catenate parts of m before anything is sent.
func (c *Client) checkCatenate(m *AppendMessage) error {
	if len(m.Catenate) == 0 {
		return nil
	}
	if !c.Has("CATENATE") {
		return ErrNoCatenate
	}
	for _, p := range m.Catenate {
		switch {
		case p.URL != "":
			if strings.ContainsAny(p.URL, "\r\n\x00") {
				return errors.New("imapclient: invalid CATENATE URL")
			}
		case p.Binary && !c.Has("BINARY"):
			return ErrNoBinary
		case p.Size < 0 || p.Text == nil && p.Size > 0:
			return errors.New("imapclient: invalid CATENATE text part")
		}
	}
	return nil
}

// writeCatenate writes "CATENATE (part ...)"; an error means a Text
// reader failed in the middle of its literal.
func writeCatenate(e *imap.Encoder, parts []CatenatePart) error {
	e.Raw("CATENATE (")
	for i, p := range parts {
		if i > 0 {
			e.SP()
		}
		if p.URL != "" {
			e.Raw("URL ").String(p.URL)
			continue
		}
		e.Raw("TEXT ")
		if p.Binary {
			e.Byte('~')
		}
		w := e.LiteralWriter(p.Size)
		if e.Err() != nil {
			return nil // the encoder's error ends the command
		}
		if p.Size > 0 {
			n, err := io.CopyN(w, p.Text, p.Size)
			if err == nil && n != p.Size {
				err = io.ErrUnexpectedEOF
			}
			if err != nil {
				return err
			}
		}
	}
	e.Byte(')')
	return nil
}
