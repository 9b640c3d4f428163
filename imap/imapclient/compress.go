package imapclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/internal/deflate"
)

// ErrCompressed is returned by [Client.Compress] when the connection is
// compressed already.
var ErrCompressed = errors.New("imapclient: compression is active already")

// Compress sends COMPRESS DEFLATE (RFC 4978) and, after the server's
// tagged OK, compresses both directions of the connection. It fails with
// [ErrNotSupported] before sending anything when the server did not
// announce COMPRESS=DEFLATE, and with [ErrCompressed] when the connection
// is compressed already. Nothing else is sent between the command and
// its reply (commands are never pipelined); data the server sent after
// its OK is read as compressed, as RFC 4978 §3 says it is.
//
// Servers announce COMPRESS only after authentication; with TLS,
// compression runs inside it. Compression helps with large FETCH and
// APPEND traffic; it costs about 50 KiB per connection for the
// decompressor and buffers and, for the time of each write, a pooled
// compressor. After Compress, a connection ended by the server reads as
// io.EOF, as without compression.
func (c *Client) Compress(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if _, ok := c.conn.(*deflate.Conn); ok {
		return ErrCompressed
	}
	if !c.caps["COMPRESS=DEFLATE"] {
		return fmt.Errorf("%w: COMPRESS=DEFLATE", ErrNotSupported)
	}
	if err := c.executeLocked(ctx, &command{}, "COMPRESS", func(e *imap.Encoder) {
		e.SP().Raw("DEFLATE")
	}); err != nil {
		return err
	}
	dc := deflate.NewConn(c.conn, c.br)
	c.conn = dc
	c.setStreams(dc)
	return nil
}
