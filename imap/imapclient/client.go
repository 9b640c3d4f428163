package imapclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// ErrClosed is returned for commands on a closed client.
var ErrClosed = errors.New("imapclient: connection closed")

// ErrProtocol wraps responses the client cannot make sense of.
var ErrProtocol = errors.New("imapclient: protocol error")

// StatusError is a NO or BAD tagged reply (or a BYE).
type StatusError struct {
	Type string // "NO", "BAD" or "BYE"
	Code string // response code with arguments, e.g. "TRYCREATE"
	// Text is the human-readable text of the reply.
	Text string
}

// Error formats the reply as "imapclient: TYPE [CODE] text" (the code
// only when set).
func (e *StatusError) Error() string {
	s := "imapclient: " + e.Type
	if e.Code != "" {
		s += " [" + e.Code + "]"
	}
	return s + " " + e.Text
}

// Options configure a client; nil means the defaults.
type Options struct {
	// TLSConfig is used by DialTLS and DialStartTLS (ServerName defaults
	// to the host of the address).
	TLSConfig *tls.Config
	// OnUpdate receives untagged responses that no command asked for:
	// EXISTS, EXPUNGE, RECENT, FETCH updates, alerts. It is called from
	// the goroutine reading the connection and must not call the client.
	OnUpdate func(u *Update)
	// Limits bounds what the server may send (zero: imap defaults).
	Limits imap.Limits
	// Logger receives protocol errors (nil discards).
	Logger *slog.Logger
	// MaxResponses bounds the replies that List, Lsub, Expunge,
	// UIDExpunge, Store and UIDStore collect for one command, and the
	// numbers ESort and UIDESort expand from an ALL (default
	// 1,000,000). A server sending more gets the command failed with
	// [ErrProtocol] and the connection closed, so an endless response
	// cannot exhaust memory. FETCH through a [FetchHandler] streams and is
	// not bounded (FetchAll collects: bound the set you ask for).
	MaxResponses int
}

func (c *Client) maxResponses() int {
	if c.opts.MaxResponses <= 0 {
		return 1000000
	}
	return c.opts.MaxResponses
}

// errTooManyResponses fails a command whose collected replies exceed
// Options.MaxResponses.
var errTooManyResponses = fmt.Errorf("%w: too many responses for one command", ErrProtocol)

// Update is an untagged response delivered to Options.OnUpdate.
type Update struct {
	// Name is the response name in upper case: "EXISTS", "EXPUNGE",
	// "RECENT", "FETCH", "OK", "NO", "BAD", "BYE", "FLAGS", ...
	Name string
	// Num is the number of EXISTS, EXPUNGE, RECENT and FETCH.
	Num uint32
	// Message holds the items of a FETCH.
	Message *FetchMessage
	// Code and Text are those of a status response.
	Code, Text string
	// Values are the data of other responses.
	Values []imap.Value
}

// Client is an IMAP client connection. Commands are sent one at a time;
// a Client is safe for concurrent use (commands wait for each other).
type Client struct {
	opts Options

	mu      sync.Mutex // one command at a time
	conn    net.Conn
	br      *bufio.Reader
	bw      *bufio.Writer
	dec     *imap.Decoder
	enc     *imap.Encoder
	tag     int
	caps    map[string]bool
	closed  bool
	greeted bool
	isTLS   bool

	cur *command // command being run
}

// command collects the untagged responses of one command.
type command struct {
	tag        string
	onUntagged func(name string, num uint32, vals []imap.Value) (handled bool)
	onFetch    func(m *FetchMessage) error
	onBody     func(seq uint32, s *imap.FetchSection, size int64, r io.Reader) error
	onCode     func(code string)
	onContinue func(text string) error
	err        error // set by onUntagged to fail the command
	status     *StatusError
	okCode     string
}

// Dial connects without TLS (use StartTLS before logging in).
func Dial(ctx context.Context, addr string, opts *Options) (*Client, error) {
	nc, err := tlsutil.Dial(ctx, "tcp", addr, tlsutil.ModePlain, nil)
	if err != nil {
		return nil, err
	}
	return newClient(ctx, nc, opts, false)
}

func tlsConfigFor(addr string, opts *Options) *tls.Config {
	var cfg *tls.Config
	if opts != nil && opts.TLSConfig != nil {
		cfg = opts.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.ServerName == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			cfg.ServerName = host
		}
	}
	return cfg
}

// DialTLS connects with implicit TLS (port 993).
func DialTLS(ctx context.Context, addr string, opts *Options) (*Client, error) {
	nc, err := tlsutil.Dial(ctx, "tcp", addr, tlsutil.ModeImplicit, tlsConfigFor(addr, opts))
	if err != nil {
		return nil, err
	}
	return newClient(ctx, nc, opts, true)
}

// DialStartTLS connects without TLS and upgrades with STARTTLS at once
// (port 143); it fails if the server does not offer STARTTLS.
func DialStartTLS(ctx context.Context, addr string, opts *Options) (*Client, error) {
	c, err := Dial(ctx, addr, opts)
	if err != nil {
		return nil, err
	}
	if err := c.StartTLS(ctx, tlsConfigFor(addr, opts)); err != nil {
		c.conn.Close()
		return nil, err
	}
	return c, nil
}

// New runs a client on an established connection (reading the greeting).
func New(ctx context.Context, conn net.Conn, opts *Options) (*Client, error) {
	_, isTLS := conn.(*tls.Conn)
	return newClient(ctx, conn, opts, isTLS)
}

func newClient(ctx context.Context, nc net.Conn, opts *Options, isTLS bool) (*Client, error) {
	c := &Client{conn: nc, isTLS: isTLS}
	if opts != nil {
		c.opts = *opts
	}
	c.setStreams(nc)
	stop := c.watch(ctx)
	defer stop()
	// Greeting.
	cmd := &command{}
	c.cur = cmd
	for !c.greeted {
		if err := c.readResponse(cmd); err != nil {
			nc.Close()
			return nil, err
		}
		if cmd.status != nil {
			nc.Close()
			return nil, cmd.status
		}
	}
	c.cur = nil
	return c, nil
}

func (c *Client) setStreams(nc net.Conn) {
	c.br = bufio.NewReaderSize(nc, 8192)
	c.bw = bufio.NewWriterSize(nc, 8192)
	lim := c.opts.Limits
	c.dec = imap.NewDecoder(c.br, &lim)
	c.enc = imap.NewEncoder(c.bw)
	c.enc.WaitContinue = c.waitContinue
	c.enc.LiteralPlus = c.caps["LITERAL+"]
}

func (c *Client) logger() *slog.Logger {
	if c.opts.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.opts.Logger
}

// watch applies ctx's deadline and cancellation to the connection.
func (c *Client) watch(ctx context.Context) func() {
	if d, ok := ctx.Deadline(); ok {
		_ = c.conn.SetDeadline(d)
	} else {
		_ = c.conn.SetDeadline(time.Time{})
	}
	conn := c.conn
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	return func() { stop() }
}

// Caps returns the capabilities last announced by the server.
func (c *Client) Caps() map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]bool, len(c.caps))
	for k, v := range c.caps {
		m[k] = v
	}
	return m
}

// Has reports whether the server announced capability name.
func (c *Client) Has(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.caps[strings.ToUpper(name)]
}

// Close closes the connection without LOGOUT.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return c.conn.Close()
}

// execute sends one command and reads until its tagged reply. write
// writes the arguments after the command name.
func (c *Client) execute(ctx context.Context, cmd *command, name string, write func(e *imap.Encoder)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.executeLocked(ctx, cmd, name, write)
}

func (c *Client) executeLocked(ctx context.Context, cmd *command, name string, write func(e *imap.Encoder)) error {
	if c.closed {
		return ErrClosed
	}
	stop := c.watch(ctx)
	defer stop()
	c.tag++
	cmd.tag = "T" + strconv.Itoa(c.tag)
	c.cur = cmd
	defer func() { c.cur = nil }()
	c.enc.Raw(cmd.tag).SP().Raw(name)
	if write != nil {
		write(c.enc)
	}
	c.enc.CRLF()
	if err := c.enc.Flush(); err != nil {
		if cmd.status != nil { // refused literal
			return cmd.status
		}
		return c.fail(ctx, err)
	}
	return c.wait(ctx, cmd)
}

// wait reads responses until the tagged reply of cmd.
func (c *Client) wait(ctx context.Context, cmd *command) error {
	for cmd.status == nil && cmd.okCode == "" {
		if err := c.readResponse(cmd); err != nil {
			return c.fail(ctx, err)
		}
	}
	if cmd.status != nil && (cmd.status.Type != "OK") {
		return cmd.status
	}
	return nil
}

func (c *Client) fail(ctx context.Context, err error) error {
	if imap.IsFatal(err) {
		c.closed = true
		_ = c.conn.Close()
	}
	if ctx.Err() != nil {
		return fmt.Errorf("imapclient: %w", ctx.Err())
	}
	return err
}

// waitContinue reads responses until a continuation request (for a
// synchronising literal).
func (c *Client) waitContinue() error {
	cmd := c.cur
	saved := cmd.onContinue
	got := false
	cmd.onContinue = func(string) error { got = true; return nil }
	defer func() { cmd.onContinue = saved }()
	for !got {
		if err := c.readResponse(cmd); err != nil {
			return err
		}
		if cmd.status != nil {
			return cmd.status
		}
		if cmd.okCode != "" {
			return fmt.Errorf("%w: tagged OK before literal data", ErrProtocol)
		}
	}
	return nil
}

func isTextChar(b byte) bool { return b != '\r' && b != '\n' }

// readResponse reads one response line (with its literals).
func (c *Client) readResponse(cmd *command) error {
	d := c.dec
	if d.Accept('+') {
		text := ""
		if d.Accept(' ') {
			text, _ = d.Word(isTextChar)
		}
		if err := d.CRLF(); err != nil {
			return err
		}
		if cmd.onContinue == nil {
			return fmt.Errorf("%w: unexpected continuation request", ErrProtocol)
		}
		return cmd.onContinue(text)
	}
	if d.Accept('*') {
		if err := d.SP(); err != nil {
			return err
		}
		return c.readUntagged(cmd)
	}
	tag, err := d.Tag()
	if err != nil {
		return err
	}
	if err := d.SP(); err != nil {
		return err
	}
	typ, code, text, err := c.readStatus()
	if err != nil {
		return err
	}
	if tag != cmd.tag {
		return fmt.Errorf("%w: reply with unknown tag %q", ErrProtocol, tag)
	}
	if code != "" {
		c.handleCode(cmd, code)
	}
	switch typ {
	case "OK":
		cmd.okCode = code
		if code == "" {
			cmd.okCode = " "
		}
	case "NO", "BAD":
		cmd.status = &StatusError{Type: typ, Code: code, Text: text}
	default:
		return fmt.Errorf("%w: bad status %q", ErrProtocol, typ)
	}
	return nil
}

// readStatus reads "TYPE [code] text" and the line break.
func (c *Client) readStatus() (typ, code, text string, err error) {
	d := c.dec
	typ, err = d.Atom()
	if err != nil {
		return
	}
	typ = strings.ToUpper(typ)
	if d.Accept(' ') {
		if d.Accept('[') {
			code, err = d.Word(func(b byte) bool { return b != ']' && isTextChar(b) })
			if err != nil {
				return
			}
			if err = d.Expect(']'); err != nil {
				return
			}
			d.Accept(' ')
		}
		text, err = d.Word(isTextChar)
		if err != nil {
			return
		}
	}
	err = d.CRLF()
	return
}

func (c *Client) handleCode(cmd *command, code string) {
	name, args, _ := strings.Cut(code, " ")
	if strings.EqualFold(name, "CAPABILITY") {
		c.setCaps(strings.Fields(args))
	}
	if cmd != nil && cmd.onCode != nil {
		cmd.onCode(code)
	}
}

func (c *Client) setCaps(caps []string) {
	c.caps = make(map[string]bool, len(caps))
	for _, s := range caps {
		c.caps[strings.ToUpper(s)] = true
	}
	c.enc.LiteralPlus = c.caps["LITERAL+"]
}

func (c *Client) update(u *Update) {
	if c.opts.OnUpdate != nil {
		c.opts.OnUpdate(u)
	}
}

func (c *Client) readUntagged(cmd *command) error {
	d := c.dec
	b, err := d.Peek()
	if err != nil {
		return err
	}
	if b >= '0' && b <= '9' {
		num, err := d.Number()
		if err != nil {
			return err
		}
		if err := d.SP(); err != nil {
			return err
		}
		name, err := d.Atom()
		if err != nil {
			return err
		}
		name = strings.ToUpper(name)
		if name == "FETCH" {
			if err := d.SP(); err != nil {
				return err
			}
			m, err := c.readFetch(cmd, num)
			if err != nil {
				return err
			}
			if err := d.CRLF(); err != nil {
				return err
			}
			if cmd.onFetch != nil {
				return cmd.onFetch(m)
			}
			c.update(&Update{Name: "FETCH", Num: num, Message: m})
			return nil
		}
		vals, err := readValues(d)
		if err != nil {
			return err
		}
		if cmd.onUntagged == nil || !cmd.onUntagged(name, num, vals) {
			c.update(&Update{Name: name, Num: num, Values: vals})
		}
		return cmd.err
	}
	name, err := d.Atom()
	if err != nil {
		return err
	}
	name = strings.ToUpper(name)
	switch name {
	case "OK", "NO", "BAD", "BYE", "PREAUTH":
		_, code, text, err := c.readStatusAfter(name)
		if err != nil {
			return err
		}
		if code != "" {
			c.handleCode(cmd, code)
		}
		if !c.greeted {
			c.greeted = true
			if name == "BYE" {
				cmd.status = &StatusError{Type: name, Code: code, Text: text}
			}
			return nil
		}
		if name == "BYE" {
			c.closed = true
		}
		c.update(&Update{Name: name, Code: code, Text: text})
		return nil
	case "CAPABILITY":
		vals, err := readValues(d)
		if err != nil {
			return err
		}
		var caps []string
		for _, v := range vals {
			if a, ok := v.(imap.Atom); ok {
				caps = append(caps, string(a))
			}
		}
		c.setCaps(caps)
		return nil
	}
	vals, err := readValues(d)
	if err != nil {
		return err
	}
	if cmd.onUntagged == nil || !cmd.onUntagged(name, 0, vals) {
		c.update(&Update{Name: name, Values: vals})
	}
	return cmd.err
}

// readStatusAfter reads "[code] text" after a status word already read.
func (c *Client) readStatusAfter(typ string) (string, string, string, error) {
	d := c.dec
	var code, text string
	var err error
	if d.Accept(' ') {
		if d.Accept('[') {
			if code, err = d.Word(func(b byte) bool { return b != ']' && isTextChar(b) }); err != nil {
				return "", "", "", err
			}
			if err = d.Expect(']'); err != nil {
				return "", "", "", err
			}
			d.Accept(' ')
		}
		if text, err = d.Word(isTextChar); err != nil {
			return "", "", "", err
		}
	}
	return typ, code, text, d.CRLF()
}

// readValues reads generic values up to the end of the line.
func readValues(d *imap.Decoder) ([]imap.Value, error) {
	var vals []imap.Value
	for !d.AtEOL() {
		d.Accept(' ')
		if d.AtEOL() {
			break
		}
		v, err := d.ReadValue()
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
		if len(vals) > 100000 {
			return nil, fmt.Errorf("%w: response too long", ErrProtocol)
		}
	}
	return vals, d.CRLF()
}
