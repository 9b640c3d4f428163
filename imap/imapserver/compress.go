package imapserver

import (
	"context"
	"strings"

	"github.com/mailkit-go/mailkit/imap/internal/deflate"
)

// COMPRESS=DEFLATE (RFC 4978): the connection wrapper lives in
// imap/internal/deflate (shared with imapclient; its doc says how output
// is flushed and what a compressed connection costs). Decompressed input
// goes through the same bufio.Reader and imap.Decoder as before, so the
// line, literal and nesting limits bound what a small compressed input
// can inflate to.

// isCorruptDeflate reports whether err is invalid DEFLATE input from
// the client (the connection then says BYE).
func isCorruptDeflate(err error) bool { return deflate.IsCorrupt(err) }

// cmdCompress implements COMPRESS (RFC 4978 §3).
func cmdCompress(ctx context.Context, c *conn, tag string, uid bool) error {
	if err := c.dec.SP(); err != nil {
		return err
	}
	mech, err := c.dec.Atom()
	if err != nil {
		return err
	}
	if err := c.endLine(); err != nil {
		return err
	}
	if c.compressed {
		// RFC 4978 §3 with the response code of RFC 5530 §3.
		return &Error{Type: StatusNO, Code: "COMPRESSIONACTIVE", Text: "DEFLATE active already"}
	}
	if !strings.EqualFold(mech, "DEFLATE") {
		return bad("Unknown compression mechanism")
	}
	c.enc.Raw(tag).Raw(" OK DEFLATE active").CRLF()
	if err := c.enc.Flush(); err != nil {
		return err
	}
	// From the next octet on both directions are compressed. Bytes the
	// client pipelined behind the command are already in c.br; they are
	// read through it, as compressed input.
	dc := deflate.NewConn(c.nc, c.br)
	c.nc = dc
	c.compressed = true
	c.setStreams(dc)
	return errReplied
}
