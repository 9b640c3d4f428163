package smtp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailkit-go/mailkit/esmtp"
	"github.com/mailkit-go/mailkit/internal/netserver"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// Sizes of the per-connection buffers. The read buffer holds a whole text
// line (1000 octets) so that data lines can be checked without copying.
const (
	readBufSize  = 1024 + 16
	writeBufSize = 512
)

// dataBufSize is the size of the read buffer used while message data
// (DATA) is read: a 10 KiB message then takes one or two read system calls
// instead of ten. Connections hold it only during the transfer (and until
// anything pipelined behind the data has been consumed).
const dataBufSize = 16 << 10

var (
	writerPool     = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBufSize) }}
	readerPool     = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufSize) }}
	dataReaderPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, dataBufSize) }}
)

// deadlineSlack returns how much later than due a deadline may be set so
// that it need not be moved on every read or write: 1/16 of the timeout,
// at most a second. Setting a deadline costs a runtime timer update; a
// busy connection would otherwise pay it for every command.
func deadlineSlack(timeout time.Duration) time.Duration {
	return min(timeout/16, time.Second)
}

// nextDeadline returns the deadline to set for a read or write due at
// due, or the zero time when the current one (cur) is already at or
// after due and within the slack, so nothing needs to change. The result
// never passes limit (the connection lifetime).
func nextDeadline(cur, due, limit time.Time, timeout time.Duration) time.Time {
	if due.After(limit) {
		due = limit
	}
	if !cur.Before(due) && cur.Sub(due) <= deadlineSlack(timeout) {
		return time.Time{}
	}
	d := due.Add(deadlineSlack(timeout))
	if d.After(limit) {
		d = limit
	}
	return d
}

// lifetimeGrace is how long the final reply may take to write once the
// connection's lifetime is over.
const lifetimeGrace = 5 * time.Second

// errInterrupted is returned by reads cut short by Shutdown.
var errInterrupted = errors.New("smtp: interrupted by shutdown")

// errCloseConn makes the command loop close the connection after the
// reply already written.
var errCloseConn = errors.New("smtp: closing connection")

type conn struct {
	srv *Server
	cfg *serverConfig

	raw net.Conn // the accepted socket
	nc  net.Conn // raw or the TLS conn on top of it
	br  *bufio.Reader
	bw  *bufio.Writer

	ctx   context.Context // &cctx
	cctx  connCtx
	info  ConnInfo
	sess  Session
	start time.Time
	endAt time.Time

	// protocol state
	helo       bool
	enhanced   bool // replies carry enhanced codes
	strict     bool // bare CR/LF policy for this client
	bad        int
	inTx       bool
	from       string
	mailOpts   MailOptions
	rcpts      []string
	txID       []byte // the transaction id (in idBuf unless NewID is long)
	bdat       *bdatState
	lineBuf    []byte
	pendingCmd []byte // command read while a BDAT transfer was open
	bigReader  bool   // br comes from dataReaderPool

	// per-connection storage reused by every transaction
	idBuf   [16]byte
	rcptArr [1]string
	hdr     []byte // Received header field
	dr      DataReader
	sr      sessionReader

	// shutdown coordination
	mu          sync.Mutex
	idle        bool
	interrupted bool
	readTimeout time.Duration
	readDL      time.Time // read deadline set on nc (guarded by mu)
	writeDL     time.Time // write deadline set on nc
}

func newConn(s *Server, cfg *serverConfig, nc net.Conn, ip netip.Addr) *conn {
	c := &conn{srv: s, cfg: cfg, raw: nc, nc: nc}
	c.rcpts = c.rcptArr[:0]
	c.info = ConnInfo{LocalAddr: nc.LocalAddr(), RemoteAddr: nc.RemoteAddr(), RemoteIP: ip, Profile: s.Profile}
	c.strict = s.LineEndings == LineEndingsStrict && !prefixesContain(s.LineEndingExemptions, ip)
	return c
}

// connReader is the bufio.Reader's source: it flushes pending replies
// before it blocks (RFC 2920 reply batching: replies go out exactly when
// the server needs more input) and applies read deadlines.
type connReader struct{ c *conn }

func (r connReader) Read(p []byte) (int, error) {
	c := r.c
	if c.bw != nil && c.bw.Buffered() > 0 {
		if err := c.flush(); err != nil {
			return 0, err
		}
	}
	c.mu.Lock()
	if c.interrupted {
		c.mu.Unlock()
		return 0, errInterrupted
	}
	if d := nextDeadline(c.readDL, time.Now().Add(c.readTimeout), c.endAt, c.readTimeout); !d.IsZero() {
		_ = c.nc.SetReadDeadline(d)
		c.readDL = d
	}
	c.mu.Unlock()
	n, err := c.nc.Read(p)
	if err != nil {
		c.mu.Lock()
		if c.interrupted {
			err = errInterrupted
		}
		c.mu.Unlock()
	}
	return n, err
}

func (c *conn) writer() *bufio.Writer {
	if c.bw == nil {
		c.bw = writerPool.Get().(*bufio.Writer)
		c.bw.Reset(c.nc)
	}
	return c.bw
}

// flush writes pending replies and returns the writer to the pool.
func (c *conn) flush() error {
	if c.bw == nil {
		return nil
	}
	wt := c.cfg.limits.WriteTimeout
	limit := c.endAt
	if now := time.Now(); !now.Before(limit) {
		// The connection's lifetime is over: reads fail from now on,
		// but the final reply (421) may still go out, briefly.
		limit = now.Add(min(wt, lifetimeGrace))
	}
	if d := nextDeadline(c.writeDL, time.Now().Add(wt), limit, wt); !d.IsZero() {
		_ = c.nc.SetWriteDeadline(d)
		c.writeDL = d
	}
	err := c.bw.Flush()
	c.bw.Reset(nil)
	writerPool.Put(c.bw)
	c.bw = nil
	return err
}

// releaseReader returns the read buffer to its pool.
func (c *conn) releaseReader() {
	if c.br == nil {
		return
	}
	c.br.Reset(nil)
	if c.bigReader {
		dataReaderPool.Put(c.br)
	} else {
		readerPool.Put(c.br)
	}
	c.br = nil
	c.bigReader = false
}

// swapReader replaces an empty read buffer by one of the other size:
// the large one for message data (big true), the small one otherwise. A
// buffer that still holds input is kept.
func (c *conn) swapReader(big bool) {
	if c.bigReader == big || c.br == nil || c.br.Buffered() > 0 {
		return
	}
	c.releaseReader()
	if big {
		c.br = dataReaderPool.Get().(*bufio.Reader)
	} else {
		c.br = readerPool.Get().(*bufio.Reader)
	}
	c.br.Reset(connReader{c})
	c.bigReader = big
}

// InterruptIdle implements netserver.Conn: a connection waiting for its
// next command is interrupted (and answers 421).
func (c *conn) InterruptIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle {
		c.interrupted = true
		c.readDL = time.Unix(1, 0)
		_ = c.nc.SetReadDeadline(c.readDL)
	}
}

// ForceClose implements netserver.Conn: the connection is closed at once.
func (c *conn) ForceClose() {
	c.mu.Lock()
	c.interrupted = true
	c.mu.Unlock()
	c.raw.Close()
}

func (c *conn) logger() *slog.Logger { return c.cfg.logger }

// serve runs the connection until QUIT, an error or shutdown.
func (c *conn) serve() {
	c.start = time.Now()
	c.endAt = c.start.Add(c.cfg.limits.ConnLifetime)
	c.readTimeout = c.cfg.limits.CommandTimeout
	c.cctx.deadline = c.endAt
	c.ctx = &c.cctx
	defer func() {
		if p := recover(); p != nil {
			c.logger().Error("smtp: panic serving connection", "remote", c.info.RemoteAddr, "panic", p, "stack", string(debug.Stack()))
			c.writeReply(421, esmtp.EnhancedCode{Class: 4, Subject: 3, Detail: 0}, c.cfg.hostname+" Error: internal server error")
			_ = c.flush()
		}
		if c.sess != nil {
			func() {
				defer func() { _ = recover() }()
				if err := c.sess.Logout(c.ctx); err != nil {
					c.logger().Debug("smtp: logout", "err", err)
				}
			}()
		}
		c.cctx.cancel()
		if c.bw != nil {
			c.bw.Reset(nil)
			writerPool.Put(c.bw)
			c.bw = nil
		}
		c.nc.Close()
		c.raw.Close()
		c.releaseReader()
	}()
	if c.srv.ImplicitTLS {
		if err := c.handshake(); err != nil {
			c.logger().Debug("smtp: implicit TLS handshake", "remote", c.info.RemoteAddr, "err", err)
			return
		}
	} else {
		c.br = readerPool.Get().(*bufio.Reader)
		c.br.Reset(connReader{c})
	}
	if !c.newSession() {
		return
	}
	w := c.writer()
	w.WriteString("220 ")
	w.WriteString(c.cfg.hostname)
	w.WriteByte(' ')
	w.WriteString(c.cfg.greeting)
	w.WriteString("\r\n")
	c.loop()
}

func (c *conn) newSession() bool {
	sess, err := c.srv.Backend.NewSession(c.ctx, &c.info)
	if err != nil {
		var se *Error
		if errors.As(err, &se) {
			c.writeError(err)
		} else {
			c.logger().Warn("smtp: NewSession failed", "remote", c.info.RemoteAddr, "err", err)
			c.writeReply(421, esmtp.EnhancedCode{Class: 4, Subject: 3, Detail: 0}, c.cfg.hostname+" Service not available, closing transmission channel")
		}
		_ = c.flush()
		return false
	}
	c.sess = sess
	return true
}

func (c *conn) handshake() error {
	tc := tls.Server(c.raw, c.srv.TLSConfig)
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.limits.TLSHandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return err
	}
	st := tc.ConnectionState()
	c.mu.Lock()
	c.nc = tc
	c.readDL = time.Time{}
	c.mu.Unlock()
	c.writeDL = time.Time{}
	c.info.TLS = &st
	if c.br == nil {
		c.br = readerPool.Get().(*bufio.Reader)
	}
	c.br.Reset(connReader{c})
	return nil
}

// loop reads and executes commands.
func (c *conn) loop() {
	for {
		if c.srv.ns.Closed() {
			c.writeReply(421, esmtp.EnhancedCode{Class: 4, Subject: 3, Detail: 2}, c.cfg.hostname+" Service shutting down, closing transmission channel")
			_ = c.flush()
			return
		}
		var line []byte
		var err error
		if c.pendingCmd != nil {
			line, c.pendingCmd = c.pendingCmd, nil
		} else {
			line, err = c.readCommand()
		}
		if errors.Is(err, ErrLineTooLong) {
			c.bad++
			c.writeReply(500, enh(5, 5, 2), "Error: line too long")
			continue
		}
		if err != nil {
			c.handleReadError(err)
			return
		}
		if err := c.dispatch(line); err != nil {
			_ = c.flush()
			return
		}
		if c.bad >= c.cfg.limits.BadCommands {
			c.writeReply(421, esmtp.EnhancedCode{Class: 4, Subject: 7, Detail: 0}, c.cfg.hostname+" Error: too many errors")
			_ = c.flush()
			return
		}
	}
}

func (c *conn) handleReadError(err error) {
	switch {
	case errors.Is(err, errInterrupted):
		c.writeReply(421, esmtp.EnhancedCode{Class: 4, Subject: 3, Detail: 2}, c.cfg.hostname+" Service shutting down, closing transmission channel")
	case errors.Is(err, ErrBareLF), errors.Is(err, ErrBareCR), errors.Is(err, ErrNUL):
		r, _ := ReplyFor(err, c.cfg.hostname)
		c.writeError(r)
	case isTimeout(err):
		c.writeReply(421, esmtp.EnhancedCode{Class: 4, Subject: 4, Detail: 2}, c.cfg.hostname+" Error: timeout exceeded")
	default:
		// EOF or a broken connection: nobody to answer.
		return
	}
	_ = c.flush()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readLine reads one CRLF-terminated line of at most max octets (including
// CRLF) and returns it without the line ending. The line may alias the
// read buffer: it is valid until the next read. Longer lines are consumed
// and reported as ErrLineTooLong. A bare CR or LF is ErrBareCR/ErrBareLF in
// strict mode; in normalize mode a bare LF ends the line.
func (c *conn) readLine(max int) ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
		// Longer than the buffer: collect it in lineBuf.
		c.lineBuf = c.lineBuf[:0]
		tooLong := false
		frag := line
		for {
			if !tooLong {
				if len(c.lineBuf)+len(frag) > max {
					tooLong = true
					c.lineBuf = c.lineBuf[:0]
				} else {
					c.lineBuf = append(c.lineBuf, frag...)
				}
			}
			if err == nil {
				break
			}
			frag, err = c.br.ReadSlice('\n')
			if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
				return nil, err
			}
		}
		if tooLong {
			return nil, ErrLineTooLong
		}
		line = c.lineBuf
	} else if len(line) > max {
		return nil, ErrLineTooLong
	}
	n := len(line)
	crlf := n >= 2 && line[n-2] == '\r'
	if crlf {
		line = line[:n-2]
	} else {
		line = line[:n-1]
		if c.strict {
			return nil, ErrBareLF
		}
	}
	if bytes.IndexByte(line, '\r') >= 0 {
		return nil, ErrBareCR
	}
	return line, nil
}

func (c *conn) readCommand() ([]byte, error) {
	c.mu.Lock()
	// Between BDAT chunks a transaction is in flight: Shutdown waits
	// for it rather than interrupting.
	c.idle = c.bdat == nil
	// Shutdown sets srv.shutdown before it looks at c.idle under c.mu:
	// either it saw idle and interrupted us, or we see the flag here.
	// Without this check a Shutdown between the loop's check and idle
	// being set would leave the client waiting for CommandTimeout.
	if c.idle && c.srv.ns.Closed() && c.br.Buffered() == 0 {
		c.interrupted = true
	}
	c.mu.Unlock()
	c.swapReader(false)
	c.readTimeout = c.cfg.limits.CommandTimeout
	line, err := c.readLine(c.cfg.limits.AuthLine)
	c.mu.Lock()
	c.idle = false
	c.mu.Unlock()
	return line, err
}

// writeRaw queues one reply line.
func (c *conn) writeRaw(s string) {
	w := c.writer()
	w.WriteString(s)
	w.WriteString("\r\n")
}

// writeReply queues a (possibly multi-line) reply. Enhanced codes are
// only written after EHLO with ENHANCEDSTATUSCODES (RFC 2034).
func (c *conn) writeReply(code int, enh esmtp.EnhancedCode, text string) {
	w := c.writer()
	for {
		line, rest, more := strings.Cut(text, "\n")
		line = strings.TrimSuffix(line, "\r")
		w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(code), 10))
		if more {
			w.WriteByte('-')
		} else {
			w.WriteByte(' ')
		}
		if c.enhanced && !enh.IsZero() {
			w.Write(enh.Append(w.AvailableBuffer()))
			if line != "" {
				w.WriteByte(' ')
			}
		}
		w.WriteString(line)
		w.WriteString("\r\n")
		if !more {
			return
		}
		text = rest
	}
}

func enh(class, subject, detail int) esmtp.EnhancedCode {
	return esmtp.EnhancedCode{Class: class, Subject: subject, Detail: detail}
}

// writeError replies with a backend error: a *Error is sent as is, anything
// else becomes 451 4.3.0 and is logged.
func (c *conn) writeError(err error) {
	var se *Error
	if errors.As(err, &se) && se.Code >= 200 && se.Code <= 599 {
		msg := se.Message
		if msg == "" {
			msg = "Error"
		}
		c.writeReply(se.Code, se.Enhanced, msg)
		return
	}
	c.logger().Warn("smtp: backend error", "remote", c.info.RemoteAddr, "err", err)
	c.writeReply(451, enh(4, 3, 0), "Requested action aborted: local error in processing")
}

func (c *conn) syntaxError(text string) {
	c.bad++
	c.writeReply(501, enh(5, 5, 4), text)
}

func (c *conn) badSequence(text string) {
	c.bad++
	c.writeReply(503, enh(5, 5, 1), text)
}

// dispatch executes one command line. A non-nil error closes the
// connection.
func (c *conn) dispatch(line []byte) error {
	cmd, err := ParseCommand(line)
	if err != nil {
		c.bad++
		r, closeConn := ReplyFor(err, c.cfg.hostname)
		c.writeError(r)
		if closeConn {
			return errCloseConn
		}
		return nil
	}
	verb, arg := cmd.Verb, cmd.Arg
	if verb != VerbAUTH && len(line)+2 > c.cfg.limits.CommandLine {
		c.bad++
		c.writeReply(500, enh(5, 5, 2), "Error: line too long")
		return nil
	}
	lmtp := c.srv.Profile == ProfileLMTP
	switch verb {
	case "HELO", "EHLO", "LHLO":
		if lmtp != (verb == "LHLO") {
			c.bad++
			c.writeReply(500, enh(5, 5, 1), "Error: command not recognized")
			return nil
		}
		c.cmdHelo(verb, arg)
	case "MAIL":
		c.cmdMail(arg)
	case "RCPT":
		c.cmdRcpt(arg)
	case "DATA":
		return c.cmdData(arg)
	case "BDAT":
		return c.cmdBdat(arg)
	case "RSET":
		if arg != "" {
			c.syntaxError("Syntax: RSET")
			return nil
		}
		c.resetTx()
		c.writeReply(250, enh(2, 0, 0), "Ok")
	case "NOOP":
		c.writeReply(250, enh(2, 0, 0), "Ok")
	case "QUIT":
		c.writeReply(221, enh(2, 0, 0), "Bye")
		_ = c.flush()
		return errCloseConn
	case "VRFY":
		if arg == "" {
			c.syntaxError("Syntax: VRFY address")
			return nil
		}
		c.writeReply(252, enh(2, 5, 0), "Cannot VRFY user, but will accept message and attempt delivery")
	case "HELP":
		if !c.cfg.extSet["HELP"] {
			c.bad++
			c.writeReply(502, enh(5, 5, 1), "Error: command not implemented")
			return nil
		}
		c.writeReply(214, enh(2, 0, 0), "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH\nSee RFC 5321")
	case "STARTTLS":
		return c.cmdStartTLS(arg)
	case "AUTH":
		return c.cmdAuth(arg)
	case "XCLIENT":
		return c.cmdXclient(arg)
	default:
		c.bad++
		c.writeReply(500, enh(5, 5, 2), "Error: command not recognized")
	}
	return nil
}

// lineEndings is the bare CR/LF policy for this client.
func (c *conn) lineEndings() LineEndings {
	if c.strict {
		return LineEndingsStrict
	}
	return LineEndingsNormalize
}

func (c *conn) resetTx() {
	if c.inTx || c.bdat != nil {
		c.sessReset()
	}
	c.inTx = false
	c.from = ""
	c.mailOpts = MailOptions{}
	c.rcpts = c.rcpts[:0]
	c.bdat = nil
}

func (c *conn) sessReset() {
	if c.sess != nil {
		c.sess.Reset(c.ctx)
	}
}

func (c *conn) cmdHelo(verb, arg string) {
	if arg == "" || strings.ContainsAny(arg, " \t") && verb == "HELO" {
		c.syntaxError("Syntax: " + verb + " hostname")
		return
	}
	if strings.ContainsAny(arg, " \t") {
		// EHLO domain [ehlo-param]: be lenient and keep the first word.
		arg, _, _ = strings.Cut(arg, " ")
	}
	c.resetTx()
	c.helo = true
	c.info.Helo = arg
	c.info.ESMTP = verb != "HELO"
	c.enhanced = c.info.ESMTP && c.cfg.extSet["ENHANCEDSTATUSCODES"]
	if verb == "HELO" {
		text := c.cfg.hostname
		if c.srv.HeloReply != nil {
			text = c.srv.HeloReply(&c.info)
		}
		w := c.writer()
		w.WriteString("250 ")
		w.WriteString(text)
		w.WriteString("\r\n")
		return
	}
	w := c.writer()
	exts := c.extensionLines()
	sep := "250-"
	if len(exts) == 0 {
		sep = "250 "
	}
	w.WriteString(sep)
	if c.srv.EhloReply != nil {
		w.WriteString(c.srv.EhloReply(&c.info))
	} else {
		w.WriteString(c.cfg.hostname)
		w.WriteString(" at your service, [")
		if c.info.RemoteIP.IsValid() {
			var ipBuf [64]byte
			w.Write(c.info.RemoteIP.AppendTo(ipBuf[:0]))
		} else {
			w.WriteString(c.info.RemoteIP.String())
		}
		w.WriteByte(']')
	}
	w.WriteString("\r\n")
	for i, l := range exts {
		if i == len(exts)-1 {
			sep = "250 "
		}
		w.WriteString(sep)
		w.WriteString(l)
		w.WriteString("\r\n")
	}
}

// offers reports whether an extension is advertised right now.
func (c *conn) offers(ext string) bool {
	if !c.cfg.extSet[ext] {
		return false
	}
	tlsOn := c.info.TLS != nil
	switch ext {
	case "STARTTLS":
		return c.srv.TLSConfig != nil && !tlsOn && !c.srv.ImplicitTLS
	case "AUTH":
		return c.cfg.auth != nil && c.info.AuthUser == "" && (tlsOn || c.srv.AllowInsecureAuth) &&
			len(c.authMechanisms()) > 0
	case "XCLIENT":
		return prefixesContain(c.srv.TrustedNetworks, netserver.RemoteIP(c.raw.RemoteAddr()))
	case "REQUIRETLS":
		return tlsOn
	case "BINARYMIME":
		return c.cfg.extSet["CHUNKING"]
	}
	return true
}

// extensionLines returns the EHLO lines after the first. Without AUTH on
// offer they depend only on TLS and on whether XCLIENT is offered, so
// they are computed once per server for each case and shared.
func (c *conn) extensionLines() []string {
	if c.offers("AUTH") {
		return c.buildExtensionLines()
	}
	i := 0
	if c.info.TLS != nil {
		i |= 1
	}
	if c.offers("XCLIENT") {
		i |= 2
	}
	if p := c.cfg.extLines[i].Load(); p != nil {
		return *p
	}
	lines := c.buildExtensionLines()
	c.cfg.extLines[i].Store(&lines)
	return lines
}

func (c *conn) buildExtensionLines() []string {
	out := make([]string, 0, len(c.cfg.exts))
	for _, e := range c.cfg.exts {
		if !c.offers(e) {
			continue
		}
		switch e {
		case "SIZE":
			out = append(out, "SIZE "+strconv.FormatInt(c.cfg.limits.MessageBytes, 10))
		case "AUTH":
			out = append(out, "AUTH "+strings.Join(c.authMechanisms(), " "))
		case "XCLIENT":
			out = append(out, "XCLIENT NAME ADDR PORT PROTO HELO LOGIN")
		default:
			out = append(out, e)
		}
	}
	return out
}

func (c *conn) cmdMail(arg string) {
	switch {
	case !c.helo:
		c.badSequence("Error: send HELO/EHLO first")
		return
	case c.inTx:
		c.badSequence("Error: nested MAIL command")
		return
	case c.srv.Profile == ProfileSubmission && c.info.AuthUser == "":
		c.bad++
		c.writeReply(530, enh(5, 7, 0), "Authentication required")
		return
	}
	pathText, paramText, err := SplitMailArg(arg)
	if err != nil {
		c.pathError(err)
		return
	}
	var opts MailOptions
	if !c.paramsAllowed(paramText) {
		return
	}
	if paramText != "" {
		mp, err := esmtp.ParseMailParams(paramText, c.paramCaps(), nil)
		if err != nil {
			c.paramError(err)
			return
		}
		opts = MailOptions{
			Size: mp.Size, Body: BodyType(mp.Body), SMTPUTF8: mp.SMTPUTF8,
			RequireTLS: mp.RequireTLS, Return: DSNReturn(mp.Ret), EnvelopeID: mp.EnvID,
		}
		if mp.Auth != "" {
			// RFC 4954 §5: only trust AUTH= from authenticated clients.
			opts.Auth = "<>"
			if c.info.AuthUser != "" {
				opts.Auth = mp.Auth
			}
		}
	}
	p, err := ParseReversePath(pathText, opts.SMTPUTF8)
	if err != nil {
		c.pathError(err)
		return
	}
	addr := mailboxString(p.Mailbox, pathText)
	if !isASCII(addr) && !opts.SMTPUTF8 {
		c.bad++
		c.writeReply(553, enh(5, 6, 7), "Error: non-ASCII address needs SMTPUTF8")
		return
	}
	if err := c.sess.Mail(c.ctx, addr, &opts); err != nil {
		c.writeError(err)
		return
	}
	c.inTx = true
	c.from = addr
	c.mailOpts = opts
	c.rcpts = c.rcpts[:0]
	c.writeReply(250, enh(2, 1, 0), "Ok")
}

// mailboxString returns a.String(), parsed from pathText: when the text
// between pathText's angle brackets is already exactly that string it is
// returned (a substring, no allocation).
func mailboxString(a Address, pathText string) string {
	inner := strings.TrimSuffix(strings.TrimPrefix(pathText, "<"), ">")
	if a.Domain != "" && isDotString(a.LocalPart) {
		lp := a.LocalPart
		if len(inner) == len(lp)+1+len(a.Domain) && inner[len(lp)] == '@' &&
			inner[:len(lp)] == lp && inner[len(lp)+1:] == a.Domain {
			return inner
		}
	}
	return a.String()
}

func paramErr(code int, e esmtp.EnhancedCode, msg string) *Error {
	return &Error{Code: code, Enhanced: e, Message: msg}
}

// pathError answers a MAIL or RCPT whose path does not parse.
func (c *conn) pathError(err error) {
	c.bad++
	r, _ := ReplyFor(err, c.cfg.hostname)
	c.writeError(r)
}

// paramsAllowed refuses ESMTP parameters after HELO (RFC 5321 §4.1.1.11
// ties them to EHLO).
func (c *conn) paramsAllowed(paramText string) bool {
	if paramText != "" && !c.info.ESMTP {
		c.syntaxError("Error: parameters need EHLO")
		return false
	}
	return true
}

// paramError answers a MAIL or RCPT parameter refused by package esmtp
// with the reply it carries.
func (c *conn) paramError(err error) {
	c.bad++
	var pe *esmtp.ParamError
	if errors.As(err, &pe) {
		c.writeReply(pe.Code, pe.Enhanced, pe.Reply)
		return
	}
	c.writeReply(501, enh(5, 5, 4), "Error: bad parameter syntax")
}

// paramCaps returns the extensions whose MAIL and RCPT parameters are
// accepted on this connection; see [serverConfig.paramCaps].
func (c *conn) paramCaps() *esmtp.Capabilities {
	if c.info.TLS != nil {
		return c.cfg.paramCaps[1]
	}
	return c.cfg.paramCaps[0]
}

// buildParamCaps lists the configured extensions that define MAIL or RCPT
// parameters as offered without (tlsOn false) or with TLS. They are those
// [conn.offers] advertises, except that AUTH counts whenever the server
// has an AuthBackend: MAIL's AUTH= is meaningful on any channel and is
// only trusted from authenticated clients.
func buildParamCaps(cfg *serverConfig, tlsOn bool) *esmtp.Capabilities {
	caps := &esmtp.Capabilities{}
	for _, e := range cfg.exts {
		switch e {
		case "SIZE":
			caps.Add(e, strconv.FormatInt(cfg.limits.MessageBytes, 10))
		case "8BITMIME", "DSN", "SMTPUTF8":
			caps.Add(e)
		case "BINARYMIME":
			if cfg.extSet["CHUNKING"] {
				caps.Add(e)
			}
		case "REQUIRETLS":
			if tlsOn {
				caps.Add(e)
			}
		}
	}
	if cfg.auth != nil {
		caps.Add("AUTH")
	}
	return caps
}

func (c *conn) cmdRcpt(arg string) {
	if !c.inTx {
		c.badSequence("Error: need MAIL command")
		return
	}
	if len(c.rcpts) >= c.cfg.limits.Recipients {
		c.writeReply(452, enh(4, 5, 3), "Error: too many recipients")
		return
	}
	pathText, paramText, err := SplitRcptArg(arg)
	if err != nil {
		c.pathError(err)
		return
	}
	if !c.paramsAllowed(paramText) {
		return
	}
	var opts RcptOptions
	if paramText != "" {
		rp, err := esmtp.ParseRcptParams(paramText, c.paramCaps(), nil)
		if err != nil {
			c.paramError(err)
			return
		}
		opts.Notify = notifyList(rp.Notify)
		if rp.ORcpt != nil {
			opts.OriginalRecipientType = rp.ORcpt.AddrType
			opts.OriginalRecipient = rp.ORcpt.Addr
		}
	}
	p, err := ParseForwardPath(pathText, c.mailOpts.SMTPUTF8)
	if err != nil {
		c.pathError(err)
		return
	}
	addr := mailboxString(p.Mailbox, pathText)
	if !isASCII(addr) && !c.mailOpts.SMTPUTF8 {
		c.bad++
		c.writeReply(553, enh(5, 6, 7), "Error: non-ASCII address needs SMTPUTF8")
		return
	}
	if rerr := c.relayCheck(addr); rerr != nil {
		c.bad++
		c.writeError(rerr)
		return
	}
	if err := c.sess.Rcpt(c.ctx, addr, &opts); err != nil {
		c.writeError(err)
		return
	}
	c.rcpts = append(c.rcpts, addr)
	c.writeReply(250, enh(2, 1, 5), "Ok")
}

// notifyList converts esmtp's NOTIFY set to the session's list.
func notifyList(n esmtp.Notify) []DSNNotify {
	if n == 0 {
		return nil
	}
	if n&esmtp.NotifyNever != 0 {
		return []DSNNotify{NotifyNever}
	}
	out := make([]DSNNotify, 0, 3)
	if n&esmtp.NotifySuccess != 0 {
		out = append(out, NotifySuccess)
	}
	if n&esmtp.NotifyFailure != 0 {
		out = append(out, NotifyFailure)
	}
	if n&esmtp.NotifyDelay != 0 {
		out = append(out, NotifyDelay)
	}
	return out
}

// relayCheck applies the profile's relay policy to one recipient.
func (c *conn) relayCheck(addr string) *Error {
	if c.srv.Profile != ProfileMX || c.srv.OpenRelay || c.info.AuthUser != "" ||
		prefixesContain(c.srv.RelayNetworks, c.info.RemoteIP) {
		return nil
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		if strings.EqualFold(addr, "postmaster") {
			return nil
		}
		return paramErr(550, enh(5, 1, 3), "Error: recipient address needs a domain")
	}
	domain := strings.ToLower(addr[at+1:])
	ok, err := c.cfg.localDomain.IsLocalDomain(c.ctx, domain)
	if err != nil {
		c.logger().Warn("smtp: IsLocalDomain", "domain", domain, "err", err)
		return paramErr(451, enh(4, 3, 0), "Requested action aborted: local error in processing")
	}
	if !ok {
		return paramErr(550, enh(5, 7, 1), "<"+addr+">: Relay access denied")
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func (c *conn) cmdStartTLS(arg string) error {
	if !c.offers("STARTTLS") {
		c.bad++
		c.writeReply(502, enh(5, 5, 1), "Error: command not implemented")
		return nil
	}
	if arg != "" {
		c.syntaxError("Syntax: STARTTLS")
		return nil
	}
	if c.br.Buffered() > 0 {
		// CVE-2011-0411: anything behind STARTTLS in the same packet
		// would be executed as if it came over TLS.
		c.writeReply(554, enh(5, 5, 1), "Error: commands pipelined after STARTTLS")
		_ = c.flush()
		return errCloseConn
	}
	c.writeReply(220, enh(2, 0, 0), "Ready to start TLS")
	if err := c.flush(); err != nil {
		return err
	}
	if err := c.handshake(); err != nil {
		c.logger().Debug("smtp: STARTTLS handshake", "remote", c.info.RemoteAddr, "err", err)
		return err
	}
	// RFC 3207 §4.2: forget everything learned before TLS.
	c.resetTx()
	c.helo = false
	c.info.Helo = ""
	c.info.ESMTP = false
	c.enhanced = false
	return nil
}

// received builds the Received header field for the current transaction
// in c.hdr (reused by the connection's next transactions) and returns it.
func (c *conn) received() []byte {
	b := c.hdr[:0]
	if b == nil {
		b = make([]byte, 0, 256)
	}
	b = append(b, "Received: from "...)
	helo := c.info.Helo
	if helo == "" {
		helo = "unknown"
	}
	b = append(b, sanitizeHeaderWord(helo)...)
	b = append(b, " ("...)
	if c.info.RemoteName != "" {
		b = append(b, sanitizeHeaderWord(c.info.RemoteName)...)
		b = append(b, ' ')
	}
	b = append(b, '[')
	if c.info.RemoteIP.IsValid() {
		if c.info.RemoteIP.Is6() {
			b = append(b, "IPv6:"...)
		}
		b = c.info.RemoteIP.AppendTo(b)
	} else {
		b = append(b, "unknown"...)
	}
	b = append(b, "])\r\n\tby "...)
	b = append(b, c.cfg.hostname...)
	b = append(b, " with "...)
	b = append(b, c.info.Protocol()...)
	if c.info.TLS != nil {
		b = append(b, " ("...)
		b = append(b, tlsutil.Summary(*c.info.TLS)...)
		b = append(b, ')')
	}
	b = append(b, " id "...)
	b = append(b, c.txID...)
	if len(c.rcpts) == 1 {
		b = append(b, "\r\n\tfor <"...)
		b = append(b, sanitizeHeaderWord(c.rcpts[0])...)
		b = append(b, '>')
	}
	b = append(b, "; "...)
	b = c.cfg.now().AppendFormat(b, "Mon, 02 Jan 2006 15:04:05 -0700")
	b = append(b, "\r\n"...)
	c.hdr = b
	return b
}

// newTxID sets c.txID for a new transaction: Server.NewID's result when
// set, else the server's next sequential id.
func (c *conn) newTxID() {
	if c.cfg.newID != nil {
		c.txID = append(c.idBuf[:0], c.cfg.newID()...)
		return
	}
	c.txID = c.cfg.nextID(c.idBuf[:0])
}

// sanitizeHeaderWord keeps client-supplied words from breaking the header.
func sanitizeHeaderWord(s string) string {
	if !strings.ContainsAny(s, "()\\\r\n<>;\t ") {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '(', ')', '\\', '\r', '\n', '<', '>', ';', '\t', ' ':
			return '_'
		}
		return r
	}, s)
}
