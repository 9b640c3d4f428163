package imapclient

import (
	"bufio"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/mailkit-go/mailkit/imap"
)

// ErrCompressed is returned by [Client.Compress] when the connection is
// compressed already.
var ErrCompressed = errors.New("imapclient: compression is active already")

// deflateWriters pools DEFLATE writers: a flate.Writer holds about 1.2 MiB
// of tables at BestSpeed, borrowed only for the time one command is compressed.
var deflateWriters = sync.Pool{New: func() any {
	w, err := flate.NewWriter(io.Discard, flate.BestSpeed)
	if err != nil {
		panic(err) // BestSpeed is a valid level
	}
	return w
}}

// deflateConn inflates reads and deflates writes (RFC 4978: raw DEFLATE,
// RFC 1951, no zlib header); each Write is sync-flushed, so a command is
// on the wire once the client's buffer is flushed. Deadlines are those
// of the wrapped connection.
type deflateConn struct {
	net.Conn
	in  io.ReadCloser
	out *bufio.Writer
	mu  sync.Mutex
}

func newDeflateConn(nc net.Conn, src io.Reader) *deflateConn {
	return &deflateConn{Conn: nc, in: flate.NewReader(src), out: bufio.NewWriterSize(nc, 4096)}
}

// Read inflates. A peer that closes the connection ends the DEFLATE
// stream without a final block; that is reported as io.EOF, as on an
// uncompressed connection, not as io.ErrUnexpectedEOF.
func (d *deflateConn) Read(p []byte) (int, error) {
	n, err := d.in.Read(p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

func (d *deflateConn) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fw := deflateWriters.Get().(*flate.Writer)
	fw.Reset(d.out)
	n, err := fw.Write(p)
	if err == nil {
		err = fw.Flush()
	}
	fw.Reset(io.Discard)
	deflateWriters.Put(fw)
	if err == nil {
		err = d.out.Flush()
	}
	if err != nil {
		return n, err
	}
	return len(p), nil
}

func (d *deflateConn) Close() error {
	_ = d.in.Close()
	return d.Conn.Close()
}

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
	if _, ok := c.conn.(*deflateConn); ok {
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
	dc := newDeflateConn(c.conn, c.br)
	c.conn = dc
	c.setStreams(dc)
	return nil
}
