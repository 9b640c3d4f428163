package imapserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/sasl"
)

type connState int

const (
	stateNotAuth connState = iota
	stateAuth
	stateSelected
	stateLogout
)

type conn struct {
	srv    *Server
	nc     net.Conn // the client's stream: the socket, or TLS over it
	raw    net.Conn // the socket, for other goroutines (never replaced)
	lim    Limits
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	br  *bufio.Reader
	bw  *bufio.Writer
	dec *imap.Decoder
	enc *imap.Encoder
	wmu sync.Mutex

	info     ConnInfo
	sess     Session
	sortSess SortSession   // sess, if it implements SORT
	thrSess  ThreadSession // sess, if it implements THREAD

	maSess MultiAppendSession // sess, if it implements MULTIAPPEND
	ctSess CatenateSession    // sess, if it implements CATENATE too
	csSess CondStoreSession   // sess, if it implements CONDSTORE
	qrSess QResyncSession     // sess, if it implements QRESYNC

	// qresync: QRESYNC was enabled (RFC 7162 §3.2.3); expunges are then
	// written as VANISHED.
	qresync atomic.Bool

	// condStore: CONDSTORE was enabled (RFC 7162 §3.1.2); read by the
	// update writers, also while Idle runs.
	condStore atomic.Bool
	// sentHighest: HIGHESTMODSEQ (or NOMODSEQ) was sent for the
	// selected mailbox.
	sentHighest bool
	// searchRes is "$", the UIDs saved by SEARCH RETURN (SAVE) in the
	// selected mailbox (RFC 5182, searchres.go).
	searchRes imap.SeqSet
	// contexts are the RETURN (UPDATE) searches (RFC 5267, context.go),
	// guarded by wmu.
	contexts []*searchContext

	state    connState
	readOnly bool
	bad      int
	lineDone bool
	idling   atomic.Bool
	waiting  atomic.Bool // blocked reading the next command
	saslOK   bool
	cmd      string // name of the command being run

	compressed bool // COMPRESS DEFLATE is active (compress.go)
}

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{srv: s, nc: nc, raw: nc, lim: s.limits(), ctx: ctx, cancel: cancel}
	if tc, ok := nc.(*tls.Conn); ok {
		c.raw = tc.NetConn()
	}
	c.log = s.logger().With("remote", nc.RemoteAddr().String())
	c.info = ConnInfo{RemoteAddr: nc.RemoteAddr(), LocalAddr: nc.LocalAddr()}
	c.setStreams(nc)
	return c
}

func (c *conn) setStreams(rw net.Conn) {
	c.br = bufio.NewReaderSize(rw, 4096)
	c.bw = bufio.NewWriterSize(rw, 4096)
	c.dec = imap.NewDecoder(c.br, c.srv.decoderLimits())
	c.dec.Continue = func(int64) error {
		c.enc.Raw("+ Ready for literal data").CRLF()
		return c.enc.Flush()
	}
	c.enc = imap.NewEncoder(c.bw)
}

func (c *conn) flushIfIdle() error {
	if c.idling.Load() {
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.lim.CommandTimeout))
		return c.enc.Flush()
	}
	return c.enc.Err()
}

// InterruptIdle implements netserver.Conn (Shutdown): a connection
// blocked on reading a command or in IDLE gives up waiting and says BYE;
// a busy one notices the shutdown before it waits again. It sets the
// deadline on the socket, never on c.nc, which STARTTLS replaces in the
// connection's goroutine (a *tls.Conn's deadlines are its socket's).
func (c *conn) InterruptIdle() {
	if c.waiting.Load() || c.idling.Load() {
		_ = c.raw.SetReadDeadline(time.Unix(1, 0))
	}
}

// ForceClose implements netserver.Conn (Close, or Shutdown when its
// context ends): the connection's context is cancelled, so that backend
// calls stop, and its socket closed at once.
func (c *conn) ForceClose() {
	c.cancel()
	_ = c.raw.Close()
}

func (c *conn) isTLS() bool { return c.info.TLS != nil }

func (c *conn) serve() {
	defer c.cancel()
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("imapserver: panic", "panic", v, "stack", string(debug.Stack()))
			c.wmu.Lock()
			c.enc.Raw("* BYE Internal server error").CRLF()
			_ = c.enc.Flush()
			c.wmu.Unlock()
		}
		if c.sess != nil {
			if err := c.sess.Close(); err != nil {
				c.log.Warn("imapserver: closing session", "err", err)
			}
		}
		_ = c.nc.Close()
	}()
	if tc, ok := c.nc.(*tls.Conn); ok {
		hctx, cancel := context.WithTimeout(c.ctx, time.Minute)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			c.log.Debug("imapserver: TLS handshake failed", "err", err)
			return
		}
		cs := tc.ConnectionState()
		c.info.TLS = &cs
	}
	sess, err := c.srv.Backend.NewSession(c.ctx, &c.info)
	if err != nil {
		c.log.Error("imapserver: NewSession", "err", err)
		c.enc.Raw("* BYE Service unavailable").CRLF()
		_ = c.enc.Flush()
		return
	}
	c.sess = sess
	c.sortSess, _ = sess.(SortSession)
	c.thrSess, _ = sess.(ThreadSession)
	c.maSess, _ = sess.(MultiAppendSession)
	if c.maSess != nil {
		c.ctSess, _ = sess.(CatenateSession)
	}
	c.csSess, _ = sess.(CondStoreSession)
	c.qrSess, _ = sess.(QResyncSession)
	if c.srv.SASL != nil {
		if _, ok := sess.(SASLSession); !ok {
			// A configuration error: refuse the connection rather than
			// silently offer other mechanisms than the ones configured.
			c.log.Error("imapserver: refusing connection", "err", ErrNoSASLSession)
			c.enc.Raw("* BYE [UNAVAILABLE] Server configuration error").CRLF()
			_ = c.enc.Flush()
			return
		}
		c.saslOK = true
	}
	greeting := c.srv.Greeting
	if greeting == "" {
		greeting = "mailkit IMAP ready"
	}
	c.enc.Raw("* OK [CAPABILITY ").Raw(strings.Join(c.caps(), " ")).Raw("] ").Raw(greeting).CRLF()
	if c.enc.Flush() != nil {
		return
	}
	for c.state != stateLogout {
		if !c.readCommand() {
			return
		}
	}
}

// readCommand reads and runs one command; false ends the connection.
func (c *conn) readCommand() bool {
	_ = c.nc.SetReadDeadline(time.Now().Add(c.lim.IdleTimeout))
	c.waiting.Store(true)
	if c.srv.ns.Closed() {
		c.waiting.Store(false)
		c.bye("Server shutting down")
		return false
	}
	_, err := c.dec.Peek()
	c.waiting.Store(false)
	if err != nil {
		if c.srv.ns.Closed() {
			c.bye("Server shutting down")
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			c.bye("Autologout; idle for too long")
		} else if isCorruptDeflate(err) {
			c.bye("Invalid compressed data")
		}
		return false
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(c.lim.CommandTimeout))
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.lim.CommandTimeout))
	c.lineDone = false
	tag, err := c.dec.Tag()
	if err == nil {
		err = c.dec.SP()
	}
	var name string
	if err == nil {
		name, err = c.dec.Atom()
	}
	if err != nil {
		if imap.IsFatal(err) {
			c.fatal(err)
			return false
		}
		if tag == "" {
			tag = "*"
		}
		return c.badLine(tag, err)
	}
	name = strings.ToUpper(name)
	uid := false
	if name == "UID" {
		uid = true
		if err = c.dec.SP(); err == nil {
			name, err = c.dec.Atom()
			name = strings.ToUpper(name)
		}
		if err != nil {
			if imap.IsFatal(err) {
				c.fatal(err)
				return false
			}
			return c.badLine(tag, err)
		}
		switch name {
		case "FETCH", "STORE", "COPY", "MOVE", "SEARCH", "EXPUNGE", "SORT", "THREAD":
		default:
			return c.badLine(tag, fmt.Errorf("unknown UID command %q", name))
		}
	}
	h, ok := commands[name]
	if !ok {
		return c.badLine(tag, fmt.Errorf("unknown command %q", name))
	}
	if c.state < h.minState || (h.maxState >= 0 && c.state > h.maxState) {
		return c.badLine(tag, fmt.Errorf("%s not allowed now", name))
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.lim.CommandTimeout)
	defer cancel()
	c.cmd = name
	err = h.fn(ctx, c, tag, uid)
	if !c.lineDone {
		if err == nil {
			err = errors.New("imapserver: internal: command line not consumed")
		}
		if imap.IsFatal(err) && !isReply(err) {
			c.fatal(err)
			return false
		}
		if !c.badLine(tag, err) {
			return false
		}
		return c.state != stateLogout
	}
	if c.state == stateSelected && h.poll != pollNever && (err == nil || isReply(err)) {
		if perr := c.sess.Poll(ctx, &UpdateWriter{c: c, uid: uid}, h.poll == pollAll || uid); perr != nil {
			c.log.Warn("imapserver: poll", "err", perr)
		}
	}
	if c.state == stateSelected && len(c.contexts) > 0 && (err == nil || isReply(err)) {
		c.contextUpdates(ctx) // RFC 5267 §4.3, context.go
	}
	c.reply(tag, name, err)
	if err := c.enc.Flush(); err != nil {
		return false
	}
	if c.bad >= c.lim.MaxBadCommands {
		c.bye("Too many invalid commands")
		return false
	}
	return c.state != stateLogout
}

func isReply(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// badLine answers a command whose line could not be parsed.
func (c *conn) badLine(tag string, err error) bool {
	var le *imap.LimitError
	if errors.As(err, &le) && !le.Fatal && (le.Kind == imap.LimitLiteralSize || le.Kind == imap.LimitStringSize || le.Kind == imap.LimitLineLiterals) {
		// A refused synchronising literal: the client sent nothing more.
		c.lineDone = true
	}
	if !c.lineDone {
		if derr := c.dec.DiscardLine(); derr != nil {
			c.fatal(derr)
			return false
		}
		c.lineDone = true
	}
	if errors.As(err, &le) && le.Kind == imap.LimitLiteralSize {
		c.enc.Raw(tag).Raw(" NO [TOOBIG] ").Raw(textOf(err)).CRLF()
	} else if isReply(err) {
		c.reply(tag, "", err)
	} else {
		c.bad++
		c.enc.Raw(tag).Raw(" BAD ").Raw(textOf(err)).CRLF()
	}
	if c.enc.Flush() != nil {
		return false
	}
	if c.bad >= c.lim.MaxBadCommands {
		c.bye("Too many invalid commands")
		return false
	}
	return true
}

// textOf returns a single-line, printable description of a parse error.
func textOf(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "imap: ")
	s = strings.TrimPrefix(s, "imapserver: ")
	return sanitize(s)
}

func sanitize(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if ch < 0x20 || ch >= 0x7f {
			b[i] = '?'
		}
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

func (c *conn) fatal(err error) {
	var le *imap.LimitError
	switch {
	case c.srv.ns.Closed():
		c.bye("Server shutting down")
	case errors.As(err, &le):
		c.bye("Input exceeds " + le.Kind.String() + " limit")
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.bye("Autologout; timed out")
	case isCorruptDeflate(err):
		c.bye("Invalid compressed data")
	default:
		c.log.Debug("imapserver: connection ended", "err", err)
	}
}

func (c *conn) bye(text string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	c.enc.Raw("* BYE ").Raw(text).CRLF()
	_ = c.enc.Flush()
}

// reply writes the tagged status for err (nil: OK).
func (c *conn) reply(tag, name string, err error) {
	if err == errReplied {
		return
	}
	if err == nil {
		c.enc.Raw(tag).Raw(" OK ").Raw(name).Raw(" completed").CRLF()
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		code := "SERVERBUG"
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			code = "UNAVAILABLE"
		}
		c.log.Error("imapserver: backend error", "command", name, "err", err)
		e = &Error{Type: StatusNO, Code: code, Text: "Internal server error"}
	}
	typ := e.Type
	if typ == "" {
		typ = StatusNO
	}
	if typ == StatusBYE {
		c.enc.Raw("* BYE ").Raw(sanitize(e.Text)).CRLF()
		c.state = stateLogout
		typ = StatusNO
	}
	if typ == StatusBAD {
		c.bad++
	}
	c.enc.Raw(tag).SP().Raw(string(typ)).SP()
	if e.Code != "" {
		c.enc.Byte('[').Raw(e.Code).Raw("] ")
	}
	text := e.Text
	if text == "" {
		text = name + " completed"
	}
	c.enc.Raw(sanitize(text)).CRLF()
}

// endLine consumes the end of the command line.
func (c *conn) endLine() error {
	if err := c.dec.CRLF(); err != nil {
		return err
	}
	c.lineDone = true
	return nil
}

func (c *conn) channel() sasl.Channel { return sasl.Channel{TLS: c.info.TLS} }

func (c *conn) authAllowed() bool { return c.isTLS() || c.srv.AllowInsecureAuth }

func (c *conn) caps() []string {
	caps := []string{"IMAP4rev1"}
	if c.srv.TLSConfig != nil && !c.isTLS() && c.state == stateNotAuth {
		caps = append(caps, "STARTTLS")
	}
	if c.state == stateNotAuth {
		if !c.authAllowed() {
			caps = append(caps, "LOGINDISABLED")
		}
		for _, m := range c.mechanisms() {
			caps = append(caps, "AUTH="+m)
		}
		caps = append(caps, "SASL-IR")
	}
	caps = append(caps, "LITERAL+", "ID", "ENABLE", "IDLE", "NAMESPACE", "UNSELECT", "UIDPLUS", "CHILDREN", "ESEARCH")
	// CONTEXT=SEARCH: RFC 5267 §4, context.go.
	caps = append(caps, "CONTEXT=SEARCH")
	caps = append(caps, "SEARCHRES", "STATUS=SIZE") // RFC 5182 (searchres.go), RFC 8438
	// I18NLEVEL=1 (RFC 5255 §4): SEARCH, and SORT and THREAD where
	// offered, compare strings with i;unicode-casemap, as imap.Sort,
	// imap.Threads and imap.SearchCriteria.Match do. SEARCH is always
	// there, so it is announced whether or not SORT is.
	caps = append(caps, "I18NLEVEL=1")
	// BINARY (RFC 3516): FETCH BINARY[]/BINARY.SIZE[] through WriteFetch
	// or the session's own writer, and literal8 in APPEND.
	caps = append(caps, "BINARY")
	if _, ok := c.sess.(MoveSession); ok {
		caps = append(caps, "MOVE")
	}
	if c.sortSess != nil {
		caps = append(caps, "SORT", "SORT=DISPLAY", "ESORT", "CONTEXT=SORT")
	}
	caps = append(caps, c.listExtCaps()...)
	if c.thrSess != nil {
		caps = append(caps, "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES")
	}
	if c.maSess != nil {
		caps = append(caps, "MULTIAPPEND")
	}
	if c.ctSess != nil {
		caps = append(caps, "CATENATE")
	}
	if c.csSess != nil {
		caps = append(caps, "CONDSTORE")
	}
	if c.qrSess != nil {
		caps = append(caps, "QRESYNC")
	}
	caps = append(caps, fmt.Sprintf("APPENDLIMIT=%d", c.lim.MaxMessageSize))
	if c.state != stateNotAuth && !c.compressed {
		caps = append(caps, "COMPRESS=DEFLATE") // RFC 4978, compress.go
	}
	return caps
}

func (c *conn) mechanisms() []string {
	if c.saslOK {
		return c.srv.SASL.Mechanisms(c.channel())
	}
	if c.authAllowed() {
		return []string{sasl.Plain}
	}
	return nil
}
