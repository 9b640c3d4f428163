package pop3

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// DialOptions configures Dial and NewClient. nil means plaintext with the
// defaults below.
type DialOptions struct {
	// TLS is the connection mode: tlsutil.ModePlain (default),
	// tlsutil.ModeStartTLS (STLS right after the greeting; failure is an
	// error) or tlsutil.ModeImplicit (TLS from the first byte, port 995).
	TLS tlsutil.Mode
	// TLSConfig verifies the server (nil: system roots). An empty
	// ServerName is taken from the host part of the address.
	TLSConfig *tls.Config
	// Dialer makes the TCP connection (nil: a zero net.Dialer).
	Dialer *net.Dialer
	// MaxLineLength bounds every response line in octets (default 8192).
	// Message bodies read with Retr and Top are not bound by it.
	MaxLineLength int
	// MaxListLines bounds the lines of LIST, UIDL and CAPA listings
	// (default 1,000,000).
	MaxListLines int
	// MaxListBytes bounds the total octets of one LIST, UIDL or CAPA
	// listing (default 128 MiB, room for a million UIDL lines), so a
	// hostile server cannot make the client hold MaxListLines lines of
	// MaxLineLength each. Exceeding it is ErrTooManyLines.
	MaxListBytes int64
}

// Client is a POP3 client connection. Its methods must be called from one
// goroutine at a time; every network call takes a context whose deadline
// and cancellation apply to that exchange. After a network or protocol
// error the connection is unusable and every later call returns that
// error.
type Client struct {
	nc         net.Conn
	r          *bufio.Reader
	w          *bufio.Writer
	maxLine    int
	maxLines   int
	maxBytes   int64
	serverName string
	greeting   string
	timestamp  string
	body       *bodyReader // unread RETR/TOP body
	err        error       // sticky connection error
}

// Dial connects to addr ("host:port") and reads the greeting; with
// ModeStartTLS it also negotiates STLS, with ModeImplicit the TLS handshake
// comes first.
func Dial(ctx context.Context, addr string, opts *DialOptions) (*Client, error) {
	var o DialOptions
	if opts != nil {
		o = *opts
	}
	d := o.Dialer
	if d == nil {
		d = &net.Dialer{}
	}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pop3: dial %s: %w", addr, err)
	}
	host, _, _ := net.SplitHostPort(addr)
	cfg := o.TLSConfig
	if cfg == nil {
		cfg = tlsutil.ClientConfig(host, nil)
	} else if cfg.ServerName == "" {
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	o.TLSConfig = cfg
	if o.TLS == tlsutil.ModeImplicit {
		tc := tls.Client(nc, cfg.Clone())
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, fmt.Errorf("pop3: TLS handshake with %s: %w", addr, err)
		}
		nc = tc
		o.TLS = tlsutil.ModePlain
	}
	c, err := NewClient(ctx, nc, &o)
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	return c, nil
}

// NewClient reads the greeting on an established connection (plain or
// already TLS) and, with opts.TLS == ModeStartTLS, negotiates STLS. On
// error the caller closes conn.
func NewClient(ctx context.Context, conn net.Conn, opts *DialOptions) (*Client, error) {
	var o DialOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxLineLength <= 0 {
		o.MaxLineLength = 8192
	}
	if o.MaxListLines <= 0 {
		o.MaxListLines = 1000000
	}
	if o.MaxListBytes <= 0 {
		o.MaxListBytes = 128 << 20
	}
	c := &Client{
		nc:       conn,
		r:        bufio.NewReaderSize(conn, 4096),
		w:        bufio.NewWriterSize(conn, 1024),
		maxLine:  o.MaxLineLength,
		maxLines: o.MaxListLines,
		maxBytes: o.MaxListBytes,
	}
	if o.TLSConfig != nil {
		c.serverName = o.TLSConfig.ServerName
	}
	if o.TLS == tlsutil.ModeImplicit {
		return nil, errors.New("pop3: NewClient: implicit TLS must be established on conn by the caller")
	}
	done := c.watch(ctx)
	resp, err := c.readResponse()
	done(&err)
	if err != nil {
		return nil, fmt.Errorf("pop3: greeting: %w", err)
	}
	c.greeting = resp.Text
	if i := strings.IndexByte(resp.Text, '<'); i >= 0 {
		if j := strings.IndexByte(resp.Text[i:], '>'); j > 0 {
			c.timestamp = resp.Text[i : i+j+1]
		}
	}
	if o.TLS == tlsutil.ModeStartTLS {
		if err := c.StartTLS(ctx, o.TLSConfig); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Greeting returns the text of the server's +OK greeting.
func (c *Client) Greeting() string { return c.greeting }

// TLSConnectionState returns the TLS state, ok false on a plaintext
// connection.
func (c *Client) TLSConnectionState() (tls.ConnectionState, bool) {
	if tc, ok := c.nc.(*tls.Conn); ok {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

// watch applies ctx to the connection until the returned function is
// called with the exchange's error (which it replaces by ctx's error when
// ctx ended the exchange, and records as sticky when it broke the
// connection).
func (c *Client) watch(ctx context.Context) func(*error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.nc.SetDeadline(dl)
	} else {
		_ = c.nc.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	return func(errp *error) {
		stop()
		if errp == nil || *errp == nil {
			return
		}
		var pe *Error
		if errors.As(*errp, &pe) {
			return // a -ERR leaves the connection usable
		}
		if isTimeout(*errp) {
			// The socket deadline may fire a moment before ctx's own
			// timer: a timeout at or after ctx's deadline is ctx's.
			if cerr := ctx.Err(); cerr != nil {
				*errp = fmt.Errorf("pop3: %w", cerr)
			} else if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
				*errp = fmt.Errorf("pop3: %w", context.DeadlineExceeded)
			}
		}
		if c.err == nil {
			c.err = *errp
		}
	}
}

func (c *Client) ready() error {
	if c.err != nil {
		return c.err
	}
	if c.body != nil {
		return ErrBusy
	}
	return nil
}

func (c *Client) readResponse() (Response, error) {
	line, err := readLine(c.r, c.maxLine, false)
	if err != nil {
		return Response{}, err
	}
	resp, err := ParseResponse(line)
	if err != nil {
		return resp, err
	}
	if !resp.OK {
		return resp, &Error{Code: resp.Code, Message: resp.Text}
	}
	return resp, nil
}

func (c *Client) send(line string) error {
	if strings.ContainsAny(line, "\r\n\x00") {
		return fmt.Errorf("%w: CR, LF or NUL in an argument", ErrBadCommand)
	}
	_, _ = c.w.WriteString(line)
	_, _ = c.w.WriteString("\r\n")
	return c.w.Flush()
}

// cmd sends one command line and reads its status response.
func (c *Client) cmd(ctx context.Context, line string) (resp Response, err error) {
	if err := c.ready(); err != nil {
		return Response{}, err
	}
	if strings.ContainsAny(line, "\r\n\x00") {
		return Response{}, fmt.Errorf("%w: CR, LF or NUL in an argument", ErrBadCommand)
	}
	done := c.watch(ctx)
	defer done(&err)
	if err := c.send(line); err != nil {
		return Response{}, err
	}
	return c.readResponse()
}

// listing sends a command with a multi-line response and returns its
// lines (unstuffed, without the terminator).
func (c *Client) listing(ctx context.Context, line string) (lines []string, err error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	done := c.watch(ctx)
	defer done(&err)
	if err := c.send(line); err != nil {
		return nil, err
	}
	if _, err := c.readResponse(); err != nil {
		return nil, err
	}
	var total int64
	for {
		l, err := readLine(c.r, c.maxLine, false)
		if err != nil {
			return nil, err
		}
		if l == "." {
			return lines, nil
		}
		// Each line costs its octets plus a string header in memory.
		total += int64(len(l)) + 16
		if len(lines) >= c.maxLines || total > c.maxBytes {
			return nil, ErrTooManyLines
		}
		lines = append(lines, strings.TrimPrefix(l, "."))
	}
}

// Capabilities is the result of CAPA: capability name (upper case) to its
// arguments.
type Capabilities map[string][]string

// Has reports whether the capability name is present.
func (c Capabilities) Has(name string) bool {
	_, ok := c[strings.ToUpper(name)]
	return ok
}

// Capabilities sends CAPA (RFC 2449). A server without CAPA answers -ERR,
// returned as an *Error.
func (c *Client) Capabilities(ctx context.Context) (Capabilities, error) {
	lines, err := c.listing(ctx, "CAPA")
	if err != nil {
		return nil, err
	}
	caps := make(Capabilities, len(lines))
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		caps[strings.ToUpper(f[0])] = f[1:]
	}
	return caps, nil
}

// StartTLS sends STLS (RFC 2595) and performs the TLS handshake with cfg
// (nil: system roots and the dialled host name). Bytes the server sent
// after its +OK and before the handshake are discarded, never read as if
// they came over TLS. Capabilities should be asked again afterwards.
func (c *Client) StartTLS(ctx context.Context, cfg *tls.Config) (err error) {
	if _, ok := c.nc.(*tls.Conn); ok {
		return fmt.Errorf("%w: connection already uses TLS", ErrSTLSUnavailable)
	}
	if _, err := c.cmd(ctx, "STLS"); err != nil {
		var pe *Error
		if errors.As(err, &pe) {
			return fmt.Errorf("%w: %w", ErrSTLSUnavailable, err)
		}
		return err
	}
	if cfg == nil {
		cfg = tlsutil.ClientConfig(c.serverName, nil)
	} else if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
		cfg = cfg.Clone()
		cfg.ServerName = c.serverName
	}
	done := c.watch(ctx)
	defer done(&err)
	if n := c.r.Buffered(); n > 0 {
		_, _ = c.r.Discard(n)
	}
	tc := tls.Client(c.nc, cfg.Clone())
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("pop3: TLS handshake: %w", err)
	}
	c.nc = tc
	c.r.Reset(tc)
	c.w.Reset(tc)
	return nil
}

// Login authenticates with USER and PASS (RFC 1939 §7). Send it only over
// TLS: the password travels in the clear.
func (c *Client) Login(ctx context.Context, user, pass string) error {
	if _, err := c.cmd(ctx, "USER "+user); err != nil {
		return err
	}
	_, err := c.cmd(ctx, "PASS "+pass)
	return err
}

// APOP authenticates with the APOP command (RFC 1939 §7) using the
// timestamp of the greeting; ErrNoAPOP if the greeting had none.
func (c *Client) APOP(ctx context.Context, user, secret string) error {
	if c.timestamp == "" {
		return ErrNoAPOP
	}
	sum := md5.Sum([]byte(c.timestamp + secret))
	_, err := c.cmd(ctx, "APOP "+user+" "+hex.EncodeToString(sum[:]))
	return err
}

// Auth authenticates with a SASL client (RFC 5034), sending the initial
// response with the command when the mechanism has one. If the client
// fails mid-exchange the exchange is cancelled with "*".
func (c *Client) Auth(ctx context.Context, sc sasl.Client) (err error) {
	if err := c.ready(); err != nil {
		return err
	}
	mech, ir, err := sc.Start()
	if err != nil {
		return err
	}
	line := "AUTH " + mech
	if ir != nil {
		if len(ir) == 0 {
			line += " ="
		} else {
			line += " " + base64.StdEncoding.EncodeToString(ir)
		}
	}
	done := c.watch(ctx)
	defer done(&err)
	if err := c.send(line); err != nil {
		return err
	}
	for {
		l, err := readLine(c.r, c.maxLine, false)
		if err != nil {
			return err
		}
		if l != "+" && !strings.HasPrefix(l, "+ ") {
			resp, err := ParseResponse(l)
			if err != nil {
				return err
			}
			if !resp.OK {
				return &Error{Code: resp.Code, Message: resp.Text}
			}
			return nil
		}
		chal, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.TrimPrefix(l, "+")))
		var answer []byte
		if derr == nil {
			answer, derr = sc.Next(chal)
		}
		if derr != nil {
			if err := c.send("*"); err != nil {
				return err
			}
			if _, err := c.readResponse(); err != nil {
				var pe *Error
				if !errors.As(err, &pe) {
					return err
				}
			}
			return fmt.Errorf("pop3: AUTH %s: %w", mech, derr)
		}
		if err := c.send(base64.StdEncoding.EncodeToString(answer)); err != nil {
			return err
		}
	}
}

// Stat returns the number of messages and their total size (STAT).
func (c *Client) Stat(ctx context.Context) (count int, size int64, err error) {
	resp, err := c.cmd(ctx, "STAT")
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(resp.Text)
	if len(f) < 2 {
		return 0, 0, fmt.Errorf("%w: STAT %q", ErrBadResponse, resp.Text)
	}
	count, err1 := strconv.Atoi(f[0])
	size, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || count < 0 || size < 0 {
		return 0, 0, fmt.Errorf("%w: STAT %q", ErrBadResponse, resp.Text)
	}
	return count, size, nil
}

// ListItem is one entry of a LIST or UIDL response.
type ListItem struct {
	// Number is the message number (1-based).
	Number int
	// Size in octets (LIST) or 0 (UIDL).
	Size int64
	// UID is the unique id (UIDL) or "" (LIST).
	UID string
}

func parseItem(s string, uidl bool) (ListItem, error) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return ListItem{}, fmt.Errorf("%w: listing %q", ErrBadResponse, truncate(s, 64))
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 {
		return ListItem{}, fmt.Errorf("%w: listing %q", ErrBadResponse, truncate(s, 64))
	}
	it := ListItem{Number: n}
	if uidl {
		it.UID = f[1]
		return it, nil
	}
	if it.Size, err = strconv.ParseInt(f[1], 10, 64); err != nil || it.Size < 0 {
		return ListItem{}, fmt.Errorf("%w: listing %q", ErrBadResponse, truncate(s, 64))
	}
	return it, nil
}

func (c *Client) items(ctx context.Context, cmd string, uidl bool) ([]ListItem, error) {
	lines, err := c.listing(ctx, cmd)
	if err != nil {
		return nil, err
	}
	out := make([]ListItem, 0, len(lines))
	for _, l := range lines {
		it, err := parseItem(l, uidl)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

func (c *Client) item(ctx context.Context, cmd string, n int, uidl bool) (ListItem, error) {
	resp, err := c.cmd(ctx, cmd+" "+strconv.Itoa(n))
	if err != nil {
		return ListItem{}, err
	}
	return parseItem(resp.Text, uidl)
}

// List returns the size of every message not marked deleted (LIST).
func (c *Client) List(ctx context.Context) ([]ListItem, error) { return c.items(ctx, "LIST", false) }

// ListOne returns the size of message n (LIST n).
func (c *Client) ListOne(ctx context.Context, n int) (ListItem, error) {
	return c.item(ctx, "LIST", n, false)
}

// UIDL returns the unique id of every message not marked deleted.
func (c *Client) UIDL(ctx context.Context) ([]ListItem, error) { return c.items(ctx, "UIDL", true) }

// UIDLOne returns the unique id of message n (UIDL n).
func (c *Client) UIDLOne(ctx context.Context, n int) (ListItem, error) {
	return c.item(ctx, "UIDL", n, true)
}

// Retr retrieves message n (RETR). The returned reader streams the message
// with dot-unstuffing and CRLF line endings; it must be read to the end or
// closed before the next command (other calls return ErrBusy until then).
// ctx applies until the reader is closed.
func (c *Client) Retr(ctx context.Context, n int) (io.ReadCloser, error) {
	return c.multi(ctx, "RETR "+strconv.Itoa(n))
}

// Top retrieves the header and the first lines body lines of message n
// (TOP, RFC 1939 §7), like Retr.
func (c *Client) Top(ctx context.Context, n, lines int) (io.ReadCloser, error) {
	return c.multi(ctx, "TOP "+strconv.Itoa(n)+" "+strconv.Itoa(lines))
}

func (c *Client) multi(ctx context.Context, line string) (rc io.ReadCloser, err error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	done := c.watch(ctx)
	if err := c.send(line); err != nil {
		done(&err)
		return nil, err
	}
	if _, err := c.readResponse(); err != nil {
		done(&err)
		return nil, err
	}
	c.body = &bodyReader{c: c, d: newDotReader(c.r), done: done}
	return c.body, nil
}

type bodyReader struct {
	c      *Client
	d      *dotReader
	done   func(*error)
	closed bool
	eof    bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.closed {
		return 0, ErrClosed
	}
	if b.eof {
		return 0, io.EOF
	}
	n, err := b.d.Read(p)
	if err == io.EOF {
		b.finish(nil)
	} else if err != nil {
		b.finish(err)
		err = b.c.err
	}
	return n, err
}

func (b *bodyReader) finish(err error) {
	if b.eof {
		return
	}
	b.eof = true
	b.done(&err)
	if b.c.body == b {
		b.c.body = nil
	}
}

// Close discards the rest of the message so the connection can go on.
func (b *bodyReader) Close() error {
	if b.closed {
		return nil
	}
	var err error
	if !b.eof {
		_, err = io.Copy(io.Discard, b)
	}
	b.closed = true
	return err
}

// Dele marks message n deleted (DELE); the server removes it after Quit.
func (c *Client) Dele(ctx context.Context, n int) error {
	_, err := c.cmd(ctx, "DELE "+strconv.Itoa(n))
	return err
}

// Rset unmarks all messages marked deleted (RSET).
func (c *Client) Rset(ctx context.Context) error {
	_, err := c.cmd(ctx, "RSET")
	return err
}

// Noop does nothing but keep the connection alive (NOOP).
func (c *Client) Noop(ctx context.Context) error {
	_, err := c.cmd(ctx, "NOOP")
	return err
}

// Quit sends QUIT, which makes the server apply the deletions (UPDATE
// state), and closes the connection. A -ERR (some deletions failed) is
// returned as an *Error.
func (c *Client) Quit(ctx context.Context) error {
	if c.body != nil && c.err == nil {
		// Drain the unread body under this call's context, not the one
		// the body was opened with.
		done := c.watch(ctx)
		err := c.body.Close()
		done(&err)
		if err != nil {
			_ = c.Close()
			return err
		}
	}
	_, err := c.cmd(ctx, "QUIT")
	cerr := c.Close()
	if err != nil {
		return err
	}
	return cerr
}

// Close closes the connection without QUIT: the server applies no
// deletions.
func (c *Client) Close() error {
	if errors.Is(c.err, ErrClosed) {
		return nil
	}
	c.err = ErrClosed
	return c.nc.Close()
}
