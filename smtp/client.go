package smtp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/esmtp"
	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// TLSPolicy selects how a [Client] uses TLS.
type TLSPolicy int

const (
	// TLSOpportunistic uses STARTTLS when the server offers it and goes on
	// in plaintext otherwise (RFC 3207 practice between MTAs). It is the
	// zero value. A failed handshake is an error, never a silent downgrade
	// on the same connection.
	TLSOpportunistic TLSPolicy = iota
	// TLSRequired fails unless STARTTLS succeeds (submission on 587,
	// MTA-STS/DANE/REQUIRETLS delivery).
	TLSRequired
	// TLSImplicit starts TLS right after connecting (RFC 8314, port 465).
	TLSImplicit
	// TLSNone never uses TLS.
	TLSNone
)

// ErrTLSRequired is returned when TLSRequired is set and the server does
// not offer STARTTLS.
var ErrTLSRequired = errors.New("smtp: server does not offer STARTTLS and TLS is required")

// ErrAuthUnavailable is returned when credentials are set but the server
// offers no mechanism allowed on the channel.
var ErrAuthUnavailable = errors.New("smtp: no usable AUTH mechanism offered")

// ErrExtensionMissing is returned when a message needs an extension the
// server does not offer (REQUIRETLS, SMTPUTF8, BINARYMIME, a SIZE over the
// server's limit is an *Error 552 instead).
var ErrExtensionMissing = errors.New("smtp: server lacks a required extension")

// ClientTimeouts are the RFC 5321 §4.5.3.2 client timeouts; zero fields
// take the RFC values.
type ClientTimeouts struct {
	Connect   time.Duration // dialing and the TLS handshake (default 1m)
	Greeting  time.Duration // initial 220 (5m)
	Command   time.Duration // EHLO, STARTTLS, AUTH, RSET, NOOP, QUIT (5m)
	Mail      time.Duration // MAIL (5m)
	Rcpt      time.Duration // RCPT (5m)
	DataInit  time.Duration // DATA until 354 (2m)
	DataBlock time.Duration // each write of data (3m)
	DataTerm  time.Duration // the final reply after "." or BDAT LAST (10m)
}

func (t ClientTimeouts) withDefaults() ClientTimeouts {
	d := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	d(&t.Connect, time.Minute)
	d(&t.Greeting, 5*time.Minute)
	d(&t.Command, 5*time.Minute)
	d(&t.Mail, 5*time.Minute)
	d(&t.Rcpt, 5*time.Minute)
	d(&t.DataInit, 2*time.Minute)
	d(&t.DataBlock, 3*time.Minute)
	d(&t.DataTerm, 10*time.Minute)
	return t
}

// ClientAuth holds credentials; the client picks the strongest mechanism
// the server offers among SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, PLAIN and
// LOGIN, and uses PLAIN and LOGIN only over TLS (unless
// ClientOptions.AllowInsecureAuth).
type ClientAuth struct {
	Username string // authentication identity (authcid)
	Password string // plaintext password, also used to compute SCRAM and CRAM-MD5 proofs
	// Authzid is the identity to act as; "" for Username.
	Authzid string
	// Mechanisms, when set, restricts and orders the candidates.
	Mechanisms []string
}

// ClientOptions configures [Dial] and [NewClient]. nil means defaults.
type ClientOptions struct {
	// LocalName is the name sent in EHLO/HELO/LHLO (default "localhost").
	LocalName string
	// TLS is the TLS policy (default TLSOpportunistic).
	TLS TLSPolicy
	// TLSConfig is used for STARTTLS and implicit TLS; ServerName defaults
	// to the host being dialed. nil means a default config that verifies
	// the server against the system roots.
	TLSConfig *tls.Config
	// Auth, when set, authenticates right after the (TLS) EHLO.
	Auth *ClientAuth
	// AllowInsecureAuth permits PLAIN and LOGIN without TLS.
	AllowInsecureAuth bool
	// DisableESMTP always sends HELO (plain RFC 821-style SMTP).
	DisableESMTP bool
	// LMTP speaks LMTP (RFC 2033): LHLO and one reply per recipient.
	LMTP bool
	// DisablePipelining and DisableChunking turn off the use of those
	// extensions even when offered.
	DisablePipelining bool
	DisableChunking   bool // see DisablePipelining
	// ChunkSize is the BDAT chunk size (default 64 KiB).
	ChunkSize int
	// Timeouts are the per-phase timeouts.
	Timeouts ClientTimeouts
	// Logger receives diagnostics (nil discards).
	Logger *slog.Logger
}

// Client is an SMTP or LMTP client connection. Its methods must not be
// called concurrently.
type Client struct {
	conn     net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	opts     ClientOptions
	host     string
	caps     *esmtp.Capabilities
	esmtp    bool
	tls      bool
	greeting *Reply
	stop     func() bool
	authed   string
	closed   bool

	pendingByte []byte // one octet read ahead by readChunk
	copyBuf     []byte // for message readers without WriteTo
}

// clientWriteBuf is the client's write buffer: large enough that an
// envelope, or a typical message body with its final ".", leaves in one
// write.
const clientWriteBuf = 16 << 10

// Dial connects to addr ("host:port") and runs the greeting, EHLO (or
// HELO), STARTTLS and AUTH according to opts.
func Dial(ctx context.Context, addr string, opts *ClientOptions) (*Client, error) {
	o := clientOpts(opts)
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	d := net.Dialer{Timeout: o.Timeouts.Connect}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, prefixErr(err)
	}
	c, err := NewClient(ctx, conn, host, &o)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

func clientOpts(opts *ClientOptions) ClientOptions {
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	o.Timeouts = o.Timeouts.withDefaults()
	if o.LocalName == "" {
		o.LocalName = "localhost"
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = 64 << 10
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// NewClient runs the SMTP session start on an established connection (the
// TLS handshake first for TLSImplicit). host is the server's name for
// certificate verification.
func NewClient(ctx context.Context, conn net.Conn, host string, opts *ClientOptions) (*Client, error) {
	c, err := newClient(ctx, conn, host, opts)
	return c, prefixErr(err)
}

// prefixErr gives I/O and other foreign errors the package prefix; *Error
// values and errors that already carry it are returned as they are.
func prefixErr(err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) || strings.HasPrefix(err.Error(), "smtp: ") {
		return err
	}
	return fmt.Errorf("smtp: %w", err)
}

func newClient(ctx context.Context, conn net.Conn, host string, opts *ClientOptions) (*Client, error) {
	o := clientOpts(opts)
	c := &Client{conn: conn, opts: o, host: host}
	c.stop = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		c.stop()
		c.stop = func() bool { return true }
	}()
	if o.TLS == TLSImplicit {
		tc := tls.Client(conn, c.tlsConfig())
		_ = conn.SetDeadline(time.Now().Add(o.Timeouts.Connect))
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("smtp: TLS handshake: %w", err)
		}
		c.conn = tc
		c.tls = true
	}
	c.br = bufio.NewReaderSize(c.conn, 4096)
	c.bw = bufio.NewWriterSize(c.conn, clientWriteBuf)
	c.deadline(o.Timeouts.Greeting)
	r, err := ReadReply(c.br)
	if err != nil {
		return nil, c.ioErr(ctx, err)
	}
	if r.Code != 220 {
		return nil, r.Err()
	}
	c.greeting = r
	if err := c.hello(ctx); err != nil {
		return nil, err
	}
	if o.TLS != TLSNone && o.TLS != TLSImplicit && !o.LMTP || o.LMTP && o.TLS == TLSRequired {
		if c.Has("STARTTLS") {
			if err := c.startTLS(ctx); err != nil {
				return nil, err
			}
		} else if o.TLS == TLSRequired {
			return nil, ErrTLSRequired
		}
	}
	if o.Auth != nil {
		if err := c.authenticate(ctx, o.Auth); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Client) tlsConfig() *tls.Config {
	cfg := c.opts.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	} else {
		cfg = cfg.Clone()
	}
	if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
		cfg.ServerName = c.host
	}
	return cfg
}

func (c *Client) deadline(d time.Duration) { _ = c.conn.SetDeadline(time.Now().Add(d)) }

// ioErr prefers the context's error over the deadline it caused.
func (c *Client) ioErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("smtp: %w (%v)", ctx.Err(), err)
	}
	return err
}

// cmd sends one command and reads its reply.
func (c *Client) cmd(ctx context.Context, timeout time.Duration, line string) (*Reply, error) {
	c.deadline(timeout)
	c.bw.WriteString(line)
	c.bw.WriteString("\r\n")
	if err := c.bw.Flush(); err != nil {
		return nil, c.ioErr(ctx, err)
	}
	r, err := ReadReply(c.br)
	if err != nil {
		return nil, c.ioErr(ctx, err)
	}
	return r, nil
}

// hello sends EHLO (LHLO), falling back to HELO when the greeting lacks
// "ESMTP" or EHLO is refused.
func (c *Client) hello(ctx context.Context) error {
	c.caps = &esmtp.Capabilities{}
	c.esmtp = false
	if c.opts.LMTP {
		r, err := c.cmd(ctx, c.opts.Timeouts.Command, "LHLO "+c.opts.LocalName)
		if err != nil {
			return err
		}
		if r.Code != 250 {
			return r.Err()
		}
		c.esmtp = true
		c.caps, err = esmtp.ParseEHLO(r.Lines)
		return err
	}
	if !c.opts.DisableESMTP && strings.Contains(strings.ToUpper(c.greeting.Message()), "ESMTP") {
		r, err := c.cmd(ctx, c.opts.Timeouts.Command, "EHLO "+c.opts.LocalName)
		if err != nil {
			return err
		}
		if r.Code == 250 {
			c.esmtp = true
			c.caps, err = esmtp.ParseEHLO(r.Lines)
			return err
		}
		if r.Code == 421 {
			return r.Err()
		}
	}
	r, err := c.cmd(ctx, c.opts.Timeouts.Command, "HELO "+c.opts.LocalName)
	if err != nil {
		return err
	}
	if r.Code != 250 {
		return r.Err()
	}
	return nil
}

func (c *Client) startTLS(ctx context.Context) error {
	r, err := c.cmd(ctx, c.opts.Timeouts.Command, "STARTTLS")
	if err != nil {
		return err
	}
	if r.Code != 220 {
		return r.Err()
	}
	tc := tls.Client(c.conn, c.tlsConfig())
	c.deadline(c.opts.Timeouts.Connect)
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("smtp: STARTTLS handshake: %w", err)
	}
	c.conn = tc
	c.tls = true
	c.br.Reset(tc)
	c.bw.Reset(tc)
	// RFC 3207 §4.2: discard what we knew and ask again.
	return c.hello(ctx)
}

var authPreference = []string{sasl.SCRAMSHA256, sasl.SCRAMSHA1, sasl.CRAMMD5, sasl.Plain, sasl.Login}

func (c *Client) authenticate(ctx context.Context, a *ClientAuth) error {
	offered := c.caps.AuthMechanisms()
	prefs := a.Mechanisms
	if prefs == nil {
		prefs = authPreference
	}
	for _, m := range prefs {
		m = strings.ToUpper(m)
		if (m == sasl.Plain || m == sasl.Login) && !c.tls && !c.opts.AllowInsecureAuth {
			continue
		}
		for _, o := range offered {
			if o != m {
				continue
			}
			var sc sasl.Client
			switch m {
			case sasl.SCRAMSHA256, sasl.SCRAMSHA1:
				sc = sasl.NewSCRAMClient(m, a.Authzid, a.Username, a.Password, nil)
			case sasl.CRAMMD5:
				sc = sasl.NewCRAMMD5Client(a.Username, a.Password)
			case sasl.Plain:
				sc = sasl.NewPlainClient(a.Authzid, a.Username, a.Password)
			case sasl.Login:
				sc = sasl.NewLoginClient(a.Username, a.Password)
			default:
				continue
			}
			return c.Auth(ctx, sc)
		}
	}
	return fmt.Errorf("%w (server offers %v)", ErrAuthUnavailable, offered)
}

// Auth runs a SASL exchange with the given client mechanism.
//
// Responses that carry a secret (the initial response of PLAIN, XOAUTH2
// and OAUTHBEARER, LOGIN's password, ...) are the caller's to wipe
// according to package sasl; Auth clears every response, and the base64
// line it encoded it into, with tlsutil.Wipe right after sending it. The
// line bypasses the client's write buffer so no copy of it stays there.
func (c *Client) Auth(ctx context.Context, sc sasl.Client) error {
	return prefixErr(c.auth(ctx, sc))
}

func (c *Client) auth(ctx context.Context, sc sasl.Client) error {
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	mech, ir, err := sc.Start()
	if err != nil {
		return err
	}
	prefix := "AUTH " + mech
	var r *Reply
	if ir != nil {
		r, err = c.secretCmd(ctx, prefix+" ", ir, true)
	} else {
		r, err = c.cmd(ctx, c.opts.Timeouts.Command, prefix)
	}
	for err == nil && r.Code == 334 {
		var chal []byte
		chal, err = base64.StdEncoding.DecodeString(r.Message())
		if err != nil {
			_, _ = c.cmd(ctx, c.opts.Timeouts.Command, "*")
			return fmt.Errorf("smtp: bad AUTH challenge: %w", err)
		}
		var resp []byte
		resp, err = sc.Next(chal)
		if err != nil {
			_, _ = c.cmd(ctx, c.opts.Timeouts.Command, "*")
			return err
		}
		r, err = c.secretCmd(ctx, "", resp, false)
	}
	if err != nil {
		return err
	}
	if r.Code != 235 {
		return r.Err()
	}
	c.authed = mech
	return nil
}

// secretCmd sends prefix followed by resp in base64 (an empty resp is
// "=" when emptyAsEquals, the RFC 4954 empty initial response) and reads
// the reply. resp and the encoded line are wiped once written; the line
// goes to the connection directly, not through the write buffer.
func (c *Client) secretCmd(ctx context.Context, prefix string, resp []byte, emptyAsEquals bool) (*Reply, error) {
	defer tlsutil.Wipe(resp)
	c.deadline(c.opts.Timeouts.Command)
	if err := c.bw.Flush(); err != nil {
		return nil, c.ioErr(ctx, err)
	}
	n := len(prefix) + base64.StdEncoding.EncodedLen(len(resp)) + 3
	line := make([]byte, 0, n)
	line = append(line, prefix...)
	if len(resp) == 0 && emptyAsEquals {
		line = append(line, '=')
	} else {
		line = base64.StdEncoding.AppendEncode(line, resp)
	}
	line = append(line, '\r', '\n')
	_, err := c.conn.Write(line)
	tlsutil.Wipe(line)
	if err != nil {
		return nil, c.ioErr(ctx, err)
	}
	r, err := ReadReply(c.br)
	if err != nil {
		return nil, c.ioErr(ctx, err)
	}
	return r, nil
}

// Has reports whether the server announced an EHLO keyword.
func (c *Client) Has(keyword string) bool { return c.caps.Has(strings.ToUpper(keyword)) }

// Capabilities returns the server's EHLO reply, parsed (empty after HELO).
func (c *Client) Capabilities() *esmtp.Capabilities { return c.caps }

// ESMTP reports whether the session runs in ESMTP mode (EHLO accepted).
func (c *Client) ESMTP() bool { return c.esmtp }

// TLSConnectionState returns the TLS state, ok=false without TLS.
func (c *Client) TLSConnectionState() (tls.ConnectionState, bool) {
	if tc, ok := c.conn.(*tls.Conn); ok {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

// Greeting returns the server's 220 greeting.
func (c *Client) Greeting() *Reply { return c.greeting }

// Envelope is what [Client.Send] sends besides the message.
type Envelope struct {
	// From is the reverse-path address without brackets ("" for <>).
	From string
	// To are the recipients.
	To []string
	// Mail are the MAIL parameters; each is sent only when the server
	// offers its extension (REQUIRETLS, SMTPUTF8 and BINARYMIME are
	// required: ErrExtensionMissing).
	Mail MailOptions
	// Rcpt, when non-nil, holds per-recipient DSN parameters (same
	// length as To).
	Rcpt []RcptOptions
}

// RcptResult is the outcome for one recipient.
type RcptResult struct {
	// Addr is the recipient.
	Addr string
	// Err is nil when the recipient was accepted (and, for LMTP, the
	// message delivered to it), else a *Error (or an I/O error).
	Err error
}

// Result is the outcome of [Client.Send].
type Result struct {
	// Rcpts has one entry per recipient, in order.
	Rcpts []RcptResult
	// Reply is the server's final reply text for the message (SMTP), e.g.
	// "Ok: queued as 12345"; empty when not accepted.
	Reply string
}

// Accepted returns the recipients the message was accepted for.
func (r *Result) Accepted() []string {
	var out []string
	for _, x := range r.Rcpts {
		if x.Err == nil {
			out = append(out, x.Addr)
		}
	}
	return out
}

// ErrNoRecipients is wrapped by Send's error when every recipient was
// refused; the Result holds the reasons.
var ErrNoRecipients = errors.New("smtp: all recipients refused")

// IsTemporary reports whether err is a transient SMTP failure (4xx) or a
// network problem worth retrying later; permanent (5xx) failures return
// false. The first error in err's chain that is an [*Error] or that
// suggests an SMTP reply through a method
//
//	Reply() (code int, enhanced, text string)
//
// (as a permanent *mx.Error for a null MX, or a greylist decision, do)
// decides: an *Error by [Error.Temporary] (4xx only), a reply suggestion
// by its code (5xx permanent, any other code temporary). Any other
// non-nil error (connection refused, timeout, TLS failure, ...) is
// temporary. IsTemporary(nil) is false.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	switch first := firstReplyError(err).(type) {
	case *Error:
		return first.Temporary()
	case replier:
		code, _, _ := first.Reply()
		return code < 500 || code > 599
	}
	return true
}

// replier is an error that suggests an SMTP reply (mx.Error,
// greylist.Decision and the like; smtp does not import them).
type replier interface {
	Reply() (code int, enhanced, text string)
}

// firstReplyError walks err's chain (depth first, as errors.As does) and
// returns the first *Error or replier in it, or nil. Like errors.As, it
// also asks an error's As method for either.
func firstReplyError(err error) any {
	switch x := err.(type) {
	case nil:
		return nil
	case *Error:
		return x
	case replier:
		return err
	}
	if x, ok := err.(interface{ As(any) bool }); ok {
		var e *Error
		if x.As(&e) && e != nil {
			return e
		}
		var r replier
		if x.As(&r) && r != nil {
			return r
		}
	}
	switch x := err.(type) {
	case interface{ Unwrap() error }:
		return firstReplyError(x.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range x.Unwrap() {
			if f := firstReplyError(e); f != nil {
				return f
			}
		}
	}
	return nil
}

func (c *Client) mailLine(env *Envelope) (string, error) {
	o := env.Mail
	var mp esmtp.MailParams
	if o.Size > 0 && c.Has("SIZE") {
		if limit, _ := c.caps.Size(); limit > 0 && o.Size > limit {
			return "", &Error{Code: 552, Enhanced: esmtp.EnhancedCode{Class: 5, Subject: 3, Detail: 4}, Message: "message size exceeds the server's SIZE limit " + strconv.FormatInt(limit, 10)}
		}
		mp.Size = o.Size
	}
	switch o.Body {
	case "", Body7Bit:
	case Body8BitMIME:
		if c.Has("8BITMIME") {
			mp.Body = esmtp.Body8BitMIME
		}
	case BodyBinaryMIME:
		if !c.Has("BINARYMIME") || !c.useChunking() {
			return "", fmt.Errorf("%w: BINARYMIME", ErrExtensionMissing)
		}
		mp.Body = esmtp.BodyBinaryMIME
	}
	if o.SMTPUTF8 || !isASCII(env.From) || !allASCII(env.To) {
		if !c.Has("SMTPUTF8") {
			return "", fmt.Errorf("%w: SMTPUTF8", ErrExtensionMissing)
		}
		mp.SMTPUTF8 = true
	}
	if o.RequireTLS {
		if !c.Has("REQUIRETLS") || !c.tls {
			return "", fmt.Errorf("%w: REQUIRETLS", ErrExtensionMissing)
		}
		mp.RequireTLS = true
	}
	if c.Has("DSN") {
		mp.Ret = esmtp.Ret(o.Return)
		mp.EnvID = o.EnvelopeID
	}
	if c.authed != "" {
		mp.Auth = o.Auth
	}
	return "MAIL FROM:<" + env.From + ">" + mp.String(), nil
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		if !isASCII(s) {
			return false
		}
	}
	return true
}

func (c *Client) rcptLine(env *Envelope, i int) string {
	line := "RCPT TO:<" + env.To[i] + ">"
	if env.Rcpt != nil && i < len(env.Rcpt) && c.Has("DSN") {
		o := env.Rcpt[i]
		var rp esmtp.RcptParams
		for _, n := range o.Notify {
			switch n {
			case NotifyNever:
				rp.Notify |= esmtp.NotifyNever
			case NotifySuccess:
				rp.Notify |= esmtp.NotifySuccess
			case NotifyFailure:
				rp.Notify |= esmtp.NotifyFailure
			case NotifyDelay:
				rp.Notify |= esmtp.NotifyDelay
			}
		}
		if o.OriginalRecipient != "" {
			typ := o.OriginalRecipientType
			if typ == "" {
				typ = "rfc822"
			}
			rp.ORcpt = &esmtp.ORcpt{AddrType: typ, Addr: o.OriginalRecipient}
		}
		line += rp.String()
	}
	return line
}

func (c *Client) useChunking() bool { return c.Has("CHUNKING") && !c.opts.DisableChunking }
func (c *Client) usePipelining() bool {
	return c.Has("PIPELINING") && !c.opts.DisablePipelining
}

// Send runs one mail transaction: MAIL, RCPT for every recipient and the
// message, pipelined (MAIL, all RCPTs and DATA or the first BDAT chunk in
// one write) when the server offers PIPELINING, with BDAT when it offers
// CHUNKING. msg is sent with CRLF line endings: bare CR and LF are turned
// into CRLF, and, with DATA, lines starting with "." are dot-stuffed, so
// the data never contains an early end of data (BODY=BINARYMIME content is
// sent as is with BDAT).
//
// The error is nil when the message was accepted for at least one
// recipient (see Result.Rcpts for the others); otherwise it is the
// *Error of MAIL or the data phase, an error wrapping ErrNoRecipients, or
// an I/O error (after which the Client should be closed).
func (c *Client) Send(ctx context.Context, env *Envelope, msg io.Reader) (*Result, error) {
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	res, err := c.send(ctx, env, msg)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("smtp: %w (%v)", ctx.Err(), err)
	}
	return res, prefixErr(err)
}

func (c *Client) send(ctx context.Context, env *Envelope, msg io.Reader) (*Result, error) {
	if len(env.To) == 0 {
		return nil, fmt.Errorf("%w: no recipients given", ErrNoRecipients)
	}
	mail, err := c.mailLine(env)
	if err != nil {
		return nil, err
	}
	res := &Result{Rcpts: make([]RcptResult, len(env.To))}
	chunking := c.useChunking()
	binary := env.Mail.Body == BodyBinaryMIME
	// DATA: the dot writer turns bare CR and LF into CRLF itself, and a
	// reader with WriteTo (bytes.Reader, strings.Reader) hands it the
	// whole message in one Write. BDAT has no dot writer, so its chunks
	// are normalised by crlfReader.
	var body io.Reader = msg
	if chunking && !binary {
		body = &crlfReader{r: bufio.NewReaderSize(msg, 4096)}
	}

	pipelined := c.usePipelining()
	// Phase 1: envelope. Every reply gets its own RFC 5321 §4.5.3.2
	// timeout (MAIL, RCPT, DATA initiation), pipelined or not.
	c.deadline(c.opts.Timeouts.Mail)
	write := func(s string) { c.bw.WriteString(s); c.bw.WriteString("\r\n") }
	var firstChunk []byte
	var lastChunk bool
	if pipelined {
		write(mail)
		for i := range env.To {
			write(c.rcptLine(env, i))
		}
		if chunking {
			firstChunk, lastChunk, err = c.readChunk(body)
			if err != nil {
				return nil, err
			}
			c.writeChunk(firstChunk, lastChunk)
		} else {
			write("DATA")
		}
		if err := c.bw.Flush(); err != nil {
			return nil, err
		}
	}
	readReply := func(line string, timeout time.Duration) (*Reply, error) {
		c.deadline(timeout)
		if !pipelined {
			write(line)
			if err := c.bw.Flush(); err != nil {
				return nil, err
			}
		}
		return ReadReply(c.br)
	}
	r, err := readReply(mail, c.opts.Timeouts.Mail)
	if err != nil {
		return nil, err
	}
	mailErr := r.Err()
	accepted := 0
	for i := range env.To {
		r, err := readReply(c.rcptLine(env, i), c.opts.Timeouts.Rcpt)
		if err != nil {
			return nil, err
		}
		res.Rcpts[i] = RcptResult{Addr: env.To[i], Err: r.Err()}
		if mailErr != nil {
			res.Rcpts[i].Err = mailErr
		} else if r.Code == 250 || r.Code == 251 {
			accepted++
		}
	}
	// Phase 2: data.
	if chunking {
		if !pipelined && mailErr == nil && accepted > 0 {
			firstChunk, lastChunk, err = c.readChunk(body)
			if err != nil {
				return res, err
			}
			c.writeChunk(firstChunk, lastChunk)
			pipelined = true // the first chunk is now in flight
		}
		if !pipelined || firstChunk == nil {
			return res, c.envelopeFailure(ctx, mailErr, res)
		}
		return res, c.sendChunks(ctx, body, lastChunk, mailErr, accepted, res)
	}
	if pipelined {
		c.deadline(c.opts.Timeouts.DataInit)
		r, err = ReadReply(c.br)
	} else if mailErr == nil && accepted > 0 {
		r, err = readReply("DATA", c.opts.Timeouts.DataInit)
	} else {
		return res, c.envelopeFailure(ctx, mailErr, res)
	}
	if err != nil {
		return res, err
	}
	if r.Code != 354 {
		if mailErr == nil && accepted > 0 {
			return res, r.Err()
		}
		return res, c.envelopeFailure(ctx, mailErr, res)
	}
	if mailErr != nil || accepted == 0 {
		// A server that said 354 although nothing was accepted: send an
		// empty message and let it refuse.
		c.bw.WriteString(".\r\n")
		_ = c.bw.Flush()
		_, _ = ReadReply(c.br)
		return res, c.envelopeFailure(ctx, mailErr, res)
	}
	c.deadline(c.opts.Timeouts.DataBlock)
	dw := NewDotWriter(&deadlineWriter{c: c, w: c.bw})
	if c.copyBuf == nil {
		c.copyBuf = make([]byte, 8192)
	}
	if _, err := io.CopyBuffer(dw, body, c.copyBuf); err != nil {
		return res, err
	}
	if err := dw.Close(); err != nil {
		return res, err
	}
	if err := c.bw.Flush(); err != nil {
		return res, err
	}
	return res, c.finalReplies(res, accepted)
}

// finalReplies reads the reply to the end of data: one, or one per
// accepted recipient for LMTP.
func (c *Client) finalReplies(res *Result, accepted int) error {
	c.deadline(c.opts.Timeouts.DataTerm)
	if !c.opts.LMTP {
		r, err := ReadReply(c.br)
		if err != nil {
			return err
		}
		if err := r.Err(); err != nil {
			for i := range res.Rcpts {
				if res.Rcpts[i].Err == nil {
					res.Rcpts[i].Err = err
				}
			}
			return err
		}
		res.Reply = r.Message()
		return nil
	}
	var firstErr error
	ok := 0
	for i := range res.Rcpts {
		if res.Rcpts[i].Err != nil {
			continue
		}
		r, err := ReadReply(c.br)
		if err != nil {
			return err
		}
		res.Rcpts[i].Err = r.Err()
		if r.Err() == nil {
			ok++
			res.Reply = r.Message()
		} else if firstErr == nil {
			firstErr = r.Err()
		}
	}
	if ok == 0 {
		return firstErr
	}
	return nil
}

// envelopeFailure resets the transaction after MAIL or every RCPT failed.
func (c *Client) envelopeFailure(ctx context.Context, mailErr error, res *Result) error {
	if _, err := c.cmd(ctx, c.opts.Timeouts.Command, "RSET"); err != nil {
		return err
	}
	if mailErr != nil {
		return mailErr
	}
	var first error
	for _, r := range res.Rcpts {
		if r.Err != nil {
			first = r.Err
			break
		}
	}
	return fmt.Errorf("%w: %w", ErrNoRecipients, first)
}

// readChunk reads up to ChunkSize octets; last reports the end of msg.
func (c *Client) readChunk(body io.Reader) ([]byte, bool, error) {
	buf := make([]byte, c.opts.ChunkSize)
	n, err := io.ReadFull(body, buf)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return buf[:n], true, nil
	case err != nil:
		return nil, false, err
	}
	// Peek whether anything follows, so the last chunk carries LAST.
	var one [1]byte
	m, err := body.Read(one[:])
	for m == 0 && err == nil {
		m, err = body.Read(one[:])
	}
	if m == 0 {
		if err == io.EOF {
			return buf[:n], true, nil
		}
		return nil, false, err
	}
	c.pendingByte = append(c.pendingByte[:0], one[0])
	return buf[:n], false, nil
}

func (c *Client) writeChunk(b []byte, last bool) {
	c.bw.WriteString("BDAT ")
	c.bw.WriteString(strconv.Itoa(len(b)))
	if last {
		c.bw.WriteString(" LAST")
	}
	c.bw.WriteString("\r\n")
	c.bw.Write(b)
}

// sendChunks sends the remaining BDAT chunks and reads every reply.
func (c *Client) sendChunks(ctx context.Context, body io.Reader, last bool, mailErr error, accepted int, res *Result) error {
	outstanding := 1 // replies still to read for chunks sent
	if mailErr != nil || accepted == 0 {
		// The server refused the envelope and discarded the first chunk.
		if _, err := ReadReply(c.br); err != nil {
			return err
		}
		return c.envelopeFailure(ctx, mailErr, res)
	}
	var chunkErr error
	for !last && chunkErr == nil {
		var buf []byte
		var err error
		body2 := io.MultiReader(bytes.NewReader(c.pendingByte), body)
		c.pendingByte = nil
		buf, last, err = c.readChunk(body2)
		if err != nil {
			return err
		}
		c.deadline(c.opts.Timeouts.DataBlock)
		c.writeChunk(buf, last)
		outstanding++
		if err := c.bw.Flush(); err != nil {
			return err
		}
		// Keep the number of unread replies bounded.
		for outstanding > 8 {
			r, err := ReadReply(c.br)
			if err != nil {
				return err
			}
			outstanding--
			if r.Err() != nil {
				chunkErr = r.Err()
			}
		}
	}
	if err := c.bw.Flush(); err != nil {
		return err
	}
	if chunkErr != nil {
		// The server refused a chunk: read what is left, then RSET.
		for ; outstanding > 0; outstanding-- {
			if _, err := ReadReply(c.br); err != nil {
				return err
			}
		}
		if _, err := c.cmd(ctx, c.opts.Timeouts.Command, "RSET"); err != nil {
			return err
		}
		return chunkErr
	}
	for ; outstanding > 1; outstanding-- {
		r, err := ReadReply(c.br)
		if err != nil {
			return err
		}
		if r.Err() != nil && chunkErr == nil {
			chunkErr = r.Err()
		}
	}
	if chunkErr != nil {
		_, _ = ReadReply(c.br)
		return chunkErr
	}
	return c.finalReplies(res, accepted)
}

// deadlineWriter extends the data-block timeout on every write.
type deadlineWriter struct {
	c *Client
	w io.Writer
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.c.deadline(d.c.opts.Timeouts.DataBlock)
	return d.w.Write(p)
}

// crlfReader turns bare CR and bare LF into CRLF.
type crlfReader struct {
	r      *bufio.Reader
	prevCR bool
	pendLF bool
}

func (c *crlfReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if c.pendLF {
			p[n] = '\n'
			n++
			c.pendLF = false
			continue
		}
		b, err := c.r.ReadByte()
		if err != nil {
			if c.prevCR {
				c.prevCR = false
				c.pendLF = true
				continue
			}
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		switch {
		case c.prevCR && b != '\n':
			// bare CR: finish it with LF, then handle b again.
			_ = c.r.UnreadByte()
			p[n] = '\n'
			n++
			c.prevCR = false
			continue
		case b == '\n' && !c.prevCR:
			p[n] = '\r'
			n++
			c.pendLF = true
			continue
		}
		c.prevCR = b == '\r'
		p[n] = b
		n++
	}
	return n, nil
}

// Noop sends NOOP.
func (c *Client) Noop(ctx context.Context) error { return c.simple(ctx, "NOOP") }

// Reset sends RSET.
func (c *Client) Reset(ctx context.Context) error { return c.simple(ctx, "RSET") }

func (c *Client) simple(ctx context.Context, line string) error {
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	r, err := c.cmd(ctx, c.opts.Timeouts.Command, line)
	if err != nil {
		return prefixErr(err)
	}
	return r.Err()
}

// Quit sends QUIT and closes the connection.
func (c *Client) Quit(ctx context.Context) error {
	err := c.simple(ctx, "QUIT")
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close closes the connection without QUIT.
func (c *Client) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return c.conn.Close()
}
