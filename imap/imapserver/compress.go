package imapserver

import (
	"bufio"
	"compress/flate"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
)

// COMPRESS=DEFLATE (RFC 4978).
//
// Output: every time the connection's bufio.Writer hands data to the
// compressing layer (when the server flushes a reply, or when 4 KiB of
// output have accumulated) the data is deflated and sync-flushed at once,
// so no reply ever waits in the compressor. The compressor is not kept
// per connection: a flate.Writer is 0.8 to 1.2 MiB of tables whatever
// the level, so the connection borrows one from a pool (level BestSpeed,
// whose Reset is cheap; other levels clear 640 KiB of hash tables on
// each Reset) for each such write and gives it back after the sync
// flush. Each flush (at most 4 KiB, or one large write) is thus
// compressed without the history of the earlier ones, which costs some
// ratio (17:1 measured on a text FETCH); the stream stays a single valid
// DEFLATE stream.
//
// Input: the client's stream has a history the connection must keep,
// so each compressed connection owns one flate reader (a 32 KiB window
// plus Huffman tables). Decompressed input goes through the same
// bufio.Reader and imap.Decoder as before, so the line, literal and
// nesting limits bound what a small compressed input can inflate to.

// compressWriters pools DEFLATE writers for compressed connections.
var compressWriters = sync.Pool{New: func() any {
	w, err := flate.NewWriter(io.Discard, flate.BestSpeed)
	if err != nil {
		panic(err) // BestSpeed is a valid level
	}
	return w
}}

// deflateConn is a net.Conn whose reads inflate and whose writes
// deflate; deadlines and addresses are those of the wrapped stream
// (the socket or TLS over it).
type deflateConn struct {
	net.Conn
	in  io.ReadCloser // inflates what the client sent
	out *bufio.Writer // collects one flush of compressed output
	mu  sync.Mutex    // guards out (writes come from one goroutine at a time anyway)
}

// newDeflateConn wraps nc. src is where compressed input is read from:
// the connection's old reader, so that anything the client sent after
// the COMPRESS command line (before seeing the OK) is read as compressed
// data, as it is on the wire after the switch.
func newDeflateConn(nc net.Conn, src io.Reader) *deflateConn {
	return &deflateConn{
		Conn: nc,
		in:   flate.NewReader(src),
		out:  bufio.NewWriterSize(nc, 4096),
	}
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

// Write deflates p and sync-flushes it to the wrapped stream.
func (d *deflateConn) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fw := compressWriters.Get().(*flate.Writer)
	fw.Reset(d.out)
	n, err := fw.Write(p)
	if err == nil {
		err = fw.Flush()
	}
	fw.Reset(io.Discard) // drop the reference to this connection
	compressWriters.Put(fw)
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

// isCorruptDeflate reports whether err is invalid DEFLATE input from
// the client (the connection then says BYE).
func isCorruptDeflate(err error) bool {
	var ce flate.CorruptInputError
	return errors.As(err, &ce)
}

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
	dc := newDeflateConn(c.nc, c.br)
	c.nc = dc
	c.compressed = true
	c.setStreams(dc)
	return errReplied
}
