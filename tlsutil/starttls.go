package tlsutil

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"
)

// Protocol is an application protocol with a STARTTLS dialogue.
type Protocol string

// Protocols supported by [StartTLS].
const (
	ProtoSMTP Protocol = "smtp" // RFC 3207: EHLO, STARTTLS, 220
	ProtoIMAP Protocol = "imap" // RFC 3501 / 9051: tag STARTTLS, tagged OK
	ProtoPOP3 Protocol = "pop3" // RFC 2595: STLS, +OK
	ProtoFTP  Protocol = "ftp"  // RFC 4217: AUTH TLS, 234
	ProtoLDAP Protocol = "ldap" // RFC 4511 4.14: extended request 1.3.6.1.4.1.1466.20037
)

// StartTLS errors, wrapped in a *[StartTLSError].
var (
	ErrStartTLSUnsupported = errors.New("tlsutil: server does not offer STARTTLS")
	ErrStartTLSRefused     = errors.New("tlsutil: server refused STARTTLS")
	ErrBadReply            = errors.New("tlsutil: malformed server reply")
	ErrReplyTooLong        = errors.New("tlsutil: server reply too long")
	ErrUnknownProtocol     = errors.New("tlsutil: unknown STARTTLS protocol")
)

// StartTLSError reports a failed upgrade: the protocol, the stage
// ("greeting", "ehlo", "starttls", "handshake") and the server's reply.
type StartTLSError struct {
	Protocol Protocol // the STARTTLS dialect that was attempted
	Stage    string   // step that failed: "start" (unknown protocol), "greeting", "ehlo", "starttls" or "handshake"
	Reply    string   // last reply from the server, trimmed, at most 512 bytes
	Err      error    // an ErrXxx sentinel, ctx.Err(), an I/O or handshake error
}

// Error formats the protocol, stage, cause and the server's last reply.
func (e *StartTLSError) Error() string {
	msg := fmt.Sprintf("tlsutil: starttls %s %s: %v", e.Protocol, e.Stage, e.Err)
	if e.Reply != "" {
		msg += fmt.Sprintf(" (server said %q)", e.Reply)
	}
	return msg
}

// Unwrap returns Err.
func (e *StartTLSError) Unwrap() error { return e.Err }

// StartTLSOptions tunes [StartTLS]. The zero value works.
type StartTLSOptions struct {
	// ClientName is the name sent with SMTP EHLO; default "localhost".
	ClientName string
	// MaxLineLength bounds each reply line; default 4096.
	MaxLineLength int
	// Discarded, if set, is called with any bytes the server sent after
	// its go-ahead reply and before the TLS handshake. They are never
	// read as TLS data either way.
	Discarded func(data []byte)
	// Logger receives a warning when bytes are discarded (nil discards).
	Logger *slog.Logger
}

const maxReplyLines = 100

// StartTLS performs the protocol's STARTTLS dialogue on the plaintext conn,
// then the TLS handshake with a clone of cfg (ServerName must be set unless
// InsecureSkipVerify), and returns the TLS connection. The deadline of ctx
// applies to the whole exchange. Any bytes the server sent after its "go
// ahead" reply and before the handshake are discarded. On error conn is
// left open for the caller to close; errors are *[StartTLSError].
func StartTLS(ctx context.Context, conn net.Conn, proto Protocol, cfg *tls.Config, opts *StartTLSOptions) (*tls.Conn, error) {
	var o StartTLSOptions
	if opts != nil {
		o = *opts
	}
	if o.ClientName == "" {
		o.ClientName = "localhost"
	}
	if o.MaxLineLength <= 0 {
		o.MaxLineLength = 4096
	}
	if cfg == nil {
		cfg = ClientConfig("", nil)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if stop() {
			_ = conn.SetDeadline(time.Time{})
		}
	}()

	d := &dialogue{proto: proto, conn: conn, r: bufio.NewReaderSize(conn, 4096), max: o.MaxLineLength}
	var err error
	switch proto {
	case ProtoSMTP:
		err = d.smtp(o.ClientName)
	case ProtoIMAP:
		err = d.imap()
	case ProtoPOP3:
		err = d.pop3()
	case ProtoFTP:
		err = d.ftp()
	case ProtoLDAP:
		err = d.ldap()
	default:
		return nil, &StartTLSError{Protocol: proto, Stage: "start", Err: ErrUnknownProtocol}
	}
	if cerr := contextDone(ctx); cerr != nil {
		// The deadline set above (or by the AfterFunc) caused whatever
		// I/O error we got: report the context's error instead.
		return nil, &StartTLSError{Protocol: proto, Stage: d.stage, Reply: d.last, Err: cerr}
	}
	if err != nil {
		if se, ok := err.(*StartTLSError); ok {
			return nil, se
		}
		return nil, &StartTLSError{Protocol: proto, Stage: d.stage, Reply: d.last, Err: err}
	}
	// The server's go-ahead has been read. Whatever else is buffered was
	// sent before the handshake in plaintext: throw it away, so it can
	// never be taken as a reply received over TLS (CVE-2011-0411 class).
	if n := d.r.Buffered(); n > 0 {
		junk, _ := d.r.Peek(n)
		junk = bytes.Clone(junk)
		if o.Logger != nil {
			o.Logger.Warn("tlsutil: discarding data sent before the TLS handshake", "protocol", string(proto), "bytes", n)
		}
		if o.Discarded != nil {
			o.Discarded(junk)
		}
	}
	// The handshake reads the raw connection, not the buffered reader.
	tc := tls.Client(conn, cfg.Clone())
	if err := tc.HandshakeContext(ctx); err != nil {
		if cerr := contextDone(ctx); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w: %w", cerr, err)
		}
		return nil, &StartTLSError{Protocol: proto, Stage: "handshake", Err: err}
	}
	return tc, nil
}

// contextDone is ctx.Err(), also reporting a deadline that has passed but
// whose timer has not fired yet (the socket deadline may fire first).
func contextDone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// DialStartTLS dials address and upgrades the connection with [StartTLS].
// If cfg.ServerName is empty the host part of address is used.
func DialStartTLS(ctx context.Context, network, address string, proto Protocol, cfg *tls.Config, opts *StartTLSOptions) (*tls.Conn, error) {
	conn, err := Dial(ctx, network, address, ModeStartTLS, nil)
	if err != nil {
		return nil, err
	}
	tc, err := StartTLS(ctx, conn, proto, clientConfigFor(cfg, address), opts)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return tc, nil
}

type dialogue struct {
	proto Protocol
	conn  net.Conn
	r     *bufio.Reader
	max   int
	stage string
	last  string
}

func (d *dialogue) fail(err error) error {
	return &StartTLSError{Protocol: d.proto, Stage: d.stage, Reply: d.last, Err: err}
}

// readLine reads one CRLF- (or LF-) terminated line without the ending.
func (d *dialogue) readLine() (string, error) {
	var line []byte
	for {
		chunk, err := d.r.ReadSlice('\n')
		if len(line)+len(chunk) > d.max {
			return "", d.fail(ErrReplyTooLong)
		}
		line = append(line, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	s := strings.TrimRight(string(line), "\r\n")
	d.last = s
	if len(d.last) > 512 {
		d.last = d.last[:512]
	}
	return s, nil
}

func (d *dialogue) send(s string) error {
	_, err := io.WriteString(d.conn, s+"\r\n")
	return err
}

// reply reads an SMTP/FTP style reply: "ddd-text" continuation lines
// ending with "ddd text". It returns the code and all lines' text.
func (d *dialogue) reply() (int, []string, error) {
	var lines []string
	code := -1
	for i := 0; ; i++ {
		if i >= maxReplyLines {
			return 0, nil, d.fail(ErrReplyTooLong)
		}
		l, err := d.readLine()
		if err != nil {
			return 0, nil, err
		}
		c, sep, text, ok := splitReply(l)
		if code < 0 {
			if !ok {
				return 0, nil, d.fail(ErrBadReply)
			}
			code = c
		}
		if ok && c == code && sep == ' ' || ok && c == code && len(l) == 3 {
			lines = append(lines, text)
			return code, lines, nil
		}
		if ok && c == code && sep == '-' {
			lines = append(lines, text)
			continue
		}
		if d.proto == ProtoFTP {
			// RFC 959 4.2: inner lines of a multi-line reply are free text.
			lines = append(lines, l)
			continue
		}
		return 0, nil, d.fail(ErrBadReply)
	}
}

func splitReply(l string) (code int, sep byte, text string, ok bool) {
	if len(l) < 3 {
		return 0, 0, "", false
	}
	for i := 0; i < 3; i++ {
		if l[i] < '0' || l[i] > '9' {
			return 0, 0, "", false
		}
		code = code*10 + int(l[i]-'0')
	}
	if len(l) == 3 {
		return code, ' ', "", true
	}
	if l[3] != ' ' && l[3] != '-' {
		return 0, 0, "", false
	}
	return code, l[3], l[4:], true
}

func (d *dialogue) smtp(name string) error {
	d.stage = "greeting"
	code, _, err := d.reply()
	if err != nil {
		return err
	}
	if code != 220 {
		return d.fail(ErrStartTLSRefused)
	}
	d.stage = "ehlo"
	if err := d.send("EHLO " + name); err != nil {
		return err
	}
	code, lines, err := d.reply()
	if err != nil {
		return err
	}
	if code != 250 {
		return d.fail(ErrStartTLSRefused)
	}
	offered := false
	for _, l := range lines[1:] {
		kw, _, _ := strings.Cut(l, " ")
		if strings.EqualFold(kw, "STARTTLS") {
			offered = true
		}
	}
	if !offered {
		return d.fail(ErrStartTLSUnsupported)
	}
	d.stage = "starttls"
	if err := d.send("STARTTLS"); err != nil {
		return err
	}
	code, _, err = d.reply()
	if err != nil {
		return err
	}
	if code != 220 {
		return d.fail(ErrStartTLSRefused)
	}
	return nil
}

func (d *dialogue) ftp() error {
	d.stage = "greeting"
	for i := 0; ; i++ {
		code, _, err := d.reply()
		if err != nil {
			return err
		}
		if code/100 == 1 && i < 3 { // 120: service ready in nnn minutes
			continue
		}
		if code != 220 {
			return d.fail(ErrStartTLSRefused)
		}
		break
	}
	d.stage = "starttls"
	if err := d.send("AUTH TLS"); err != nil {
		return err
	}
	code, _, err := d.reply()
	if err != nil {
		return err
	}
	switch {
	case code == 234:
		return nil
	case code == 500 || code == 502 || code == 504:
		return d.fail(ErrStartTLSUnsupported)
	}
	return d.fail(ErrStartTLSRefused)
}

func (d *dialogue) pop3() error {
	d.stage = "greeting"
	l, err := d.readLine()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(l, "+OK") {
		return d.fail(ErrStartTLSRefused)
	}
	d.stage = "starttls"
	if err := d.send("STLS"); err != nil {
		return err
	}
	l, err = d.readLine()
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(l, "+OK"):
		return nil
	case strings.HasPrefix(l, "-ERR"):
		return d.fail(ErrStartTLSRefused)
	}
	return d.fail(ErrBadReply)
}

func (d *dialogue) imap() error {
	d.stage = "greeting"
	l, err := d.readLine()
	if err != nil {
		return err
	}
	switch {
	case hasPrefixFold(l, "* OK"):
	case hasPrefixFold(l, "* PREAUTH"), hasPrefixFold(l, "* BYE"):
		return d.fail(ErrStartTLSRefused)
	default:
		return d.fail(ErrBadReply)
	}
	d.stage = "starttls"
	const tag = "mk1"
	if err := d.send(tag + " STARTTLS"); err != nil {
		return err
	}
	for i := 0; i < maxReplyLines; i++ {
		l, err := d.readLine()
		if err != nil {
			return err
		}
		if strings.HasPrefix(l, "* ") {
			if hasPrefixFold(l, "* BYE") {
				return d.fail(ErrStartTLSRefused)
			}
			continue
		}
		rest, ok := strings.CutPrefix(l, tag+" ")
		if !ok {
			return d.fail(ErrBadReply)
		}
		switch {
		case hasPrefixFold(rest, "OK"):
			return nil
		case hasPrefixFold(rest, "BAD"):
			return d.fail(ErrStartTLSUnsupported)
		}
		return d.fail(ErrStartTLSRefused)
	}
	return d.fail(ErrReplyTooLong)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
