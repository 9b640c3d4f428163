// Package deflate is the connection wrapper of IMAP COMPRESS=DEFLATE
// (RFC 4978) shared by imapserver and imapclient: raw DEFLATE (RFC 1951,
// no zlib header) in both directions over an existing net.Conn.
//
// Output: every Write is deflated and sync-flushed at once, so nothing
// waits in the compressor. A compressor is not kept per connection: a
// flate.Writer is 0.8 to 1.2 MiB of tables whatever the level, so each
// Write borrows one from a pool (level BestSpeed, whose Reset is cheap;
// other levels clear 640 KiB of hash tables on each Reset) and gives it
// back after the flush. Each Write is thus compressed without the
// history of the earlier ones, which costs some ratio; the stream stays
// a single valid DEFLATE stream.
//
// Input: the peer's stream has a history the connection must keep, so
// each Conn owns one flate reader (a 32 KiB window plus Huffman tables).
package deflate

import (
	"bufio"
	"compress/flate"
	"errors"
	"io"
	"net"
	"sync"
)

// writers pools DEFLATE writers, borrowed for the time of one Write.
var writers = sync.Pool{New: func() any {
	w, err := flate.NewWriter(io.Discard, flate.BestSpeed)
	if err != nil {
		panic(err) // BestSpeed is a valid level
	}
	return w
}}

// Conn is a net.Conn whose reads inflate and whose writes deflate;
// deadlines and addresses are those of the wrapped stream (the socket or
// TLS over it).
type Conn struct {
	net.Conn
	in  io.ReadCloser // inflates what the peer sent
	out *bufio.Writer // collects one Write's compressed output
	mu  sync.Mutex    // guards out
}

// NewConn wraps nc. src is where compressed input is read from: the
// connection's old buffered reader, so that anything the peer sent right
// after the switch (and that was already buffered) is read as
// compressed data, as it is on the wire.
func NewConn(nc net.Conn, src io.Reader) *Conn {
	return &Conn{Conn: nc, in: flate.NewReader(src), out: bufio.NewWriterSize(nc, 4096)}
}

// Read inflates. A peer that closes the connection ends the DEFLATE
// stream without a final block; that is reported as io.EOF, as on an
// uncompressed connection, not as io.ErrUnexpectedEOF.
func (d *Conn) Read(p []byte) (int, error) {
	n, err := d.in.Read(p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

// Write deflates p and sync-flushes it to the wrapped stream.
func (d *Conn) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fw := writers.Get().(*flate.Writer)
	fw.Reset(d.out)
	n, err := fw.Write(p)
	if err == nil {
		err = fw.Flush()
	}
	fw.Reset(io.Discard) // drop the reference to this connection
	writers.Put(fw)
	if err == nil {
		err = d.out.Flush()
	}
	if err != nil {
		return n, err
	}
	return len(p), nil
}

// Close closes the inflater and the wrapped connection.
func (d *Conn) Close() error {
	_ = d.in.Close()
	return d.Conn.Close()
}

// IsCorrupt reports whether err is invalid DEFLATE input from the peer.
func IsCorrupt(err error) bool {
	var ce flate.CorruptInputError
	return errors.As(err, &ce)
}
