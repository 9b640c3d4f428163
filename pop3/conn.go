package pop3

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/tlsutil"
)

type state int

const (
	stateAuthorization state = iota
	stateTransaction
)

// errClose ends a connection after the response already written.
var errClose = errors.New("pop3: closing connection")

type conn struct {
	srv  *Server
	lim  Limits
	nc   net.Conn // the connection in use (a *tls.Conn after TLS started); only the connection's goroutine touches it
	raw  net.Conn // the accepted socket, never replaced: what Shutdown and Close touch
	r    *bufio.Reader
	w    *bufio.Writer
	log  *slog.Logger
	info ConnInfo

	sess      Session
	mbox      Mailbox
	msgs      []MessageInfo
	deleted   []bool
	state     state
	user      string // from USER, awaiting PASS
	timestamp string // APOP timestamp of the greeting, "" without APOP

	bad, authFails int

	mu   sync.Mutex // guards idle against Shutdown
	idle bool
}

func newConn(s *Server, nc net.Conn, ip netip.Addr) *conn {
	return &conn{
		srv: s,
		lim: s.lim,
		nc:  nc,
		raw: nc,
		r:   bufio.NewReaderSize(nc, 1024),
		w:   bufio.NewWriterSize(nc, 4096),
		log: s.log.With("remote", nc.RemoteAddr().String()),
		info: ConnInfo{
			LocalAddr:  nc.LocalAddr(),
			RemoteAddr: nc.RemoteAddr(),
			RemoteIP:   ip,
		},
	}
}

// InterruptIdle implements netserver.Conn: a connection waiting for a
// command stops waiting (Shutdown); a busy one notices the shutdown before
// its next read.
func (c *conn) InterruptIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle {
		// The raw socket: c.nc may be replaced by the TLS handshake in the
		// connection's goroutine. A *tls.Conn's deadlines are its socket's.
		_ = c.raw.SetReadDeadline(time.Unix(1, 0))
	}
}

// ForceClose implements netserver.Conn: the server's base context is
// cancelled (so that backend calls stop) and the socket closed at once.
func (c *conn) ForceClose() {
	c.srv.cancel()
	_ = c.raw.Close()
}

func (c *conn) serve(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer func() {
		c.closeMailbox()
		if c.sess != nil {
			if err := c.sess.Close(); err != nil {
				c.log.Error("pop3: closing session", "err", err)
			}
		}
		_ = c.nc.Close()
	}()
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("pop3: panic serving connection", "panic", v, "stack", string(debug.Stack()))
			c.reply("-ERR [SYS/TEMP] internal server error")
			_ = c.flush()
		}
	}()

	if c.srv.ImplicitTLS {
		if !c.handshake(ctx) {
			return
		}
	}
	sess, err := c.srv.Backend.NewSession(ctx, &c.info)
	if err != nil {
		c.replyErr(c.mapErr(err, "new session"))
		_ = c.flush()
		return
	}
	c.sess = sess
	greeting := c.srv.Greeting
	if greeting == "" {
		greeting = "POP3 server ready"
	}
	if _, ok := sess.(APOPSession); ok {
		ts, err := c.srv.apopTimestamp()
		if err != nil {
			c.log.Error("pop3: APOP timestamp", "err", err)
		} else {
			c.timestamp = ts
			greeting += " " + ts
		}
	}
	c.reply("+OK " + greeting)

	for {
		if err := c.flushIfIdle(); err != nil {
			return
		}
		// AUTH lines may carry a long initial response (RFC 5034 §4): read
		// up to the larger limit, then hold other commands to theirs.
		line, err := c.readCommand(max(c.lim.CommandLine, c.lim.AuthLine))
		if err == nil && len(line)+2 > c.lim.CommandLine && !isAuthLine(line) {
			err = ErrLineTooLong
		}
		if err != nil {
			if !c.handleReadError(err) {
				return
			}
			continue
		}
		cmd, err := ParseCommand(line)
		if err != nil {
			if c.badCommand("-ERR malformed command") != nil {
				return
			}
			continue
		}
		if err := c.dispatch(ctx, cmd); err != nil {
			if !errors.Is(err, errClose) {
				c.log.Debug("pop3: connection ended", "err", err)
			}
			_ = c.flush()
			return
		}
	}
}

// handleReadError reports whether the connection may go on after a failed
// command read.
func (c *conn) handleReadError(err error) bool {
	switch {
	case errors.Is(err, ErrLineTooLong):
		return c.badCommand("-ERR line too long") == nil
	case c.srv.ns.Closed():
		c.reply("-ERR [SYS/TEMP] server shutting down")
	case isTimeout(err):
		c.reply("-ERR autologout: idle for too long")
	default:
		return false
	}
	_ = c.flush()
	return false
}

// isAuthLine reports whether a command line is an AUTH command.
func isAuthLine(line string) bool {
	return len(line) >= 5 && strings.EqualFold(line[:5], "AUTH ")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readCommand reads a line, marking the connection idle meanwhile.
func (c *conn) readCommand(max int) (string, error) {
	c.mu.Lock()
	if c.srv.ns.Closed() {
		c.mu.Unlock()
		return "", net.ErrClosed
	}
	c.idle = true
	_ = c.nc.SetReadDeadline(time.Now().Add(c.lim.IdleTimeout))
	c.mu.Unlock()
	line, err := readLine(c.r, max, true)
	c.mu.Lock()
	c.idle = false
	c.mu.Unlock()
	return line, err
}

func (c *conn) reply(s string) {
	_, _ = c.w.WriteString(s)
	_, _ = c.w.WriteString("\r\n")
}

func (c *conn) replyErr(e *Error) {
	var b strings.Builder
	b.WriteString("-ERR ")
	if e.Code != "" {
		b.WriteString("[" + e.Code + "] ")
	}
	msg := e.Message
	if msg == "" {
		msg = "error"
	}
	// Never let a backend's message break the line structure.
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
	b.WriteString(truncate(msg, 400))
	c.reply(b.String())
}

func (c *conn) flush() error {
	if c.w.Buffered() == 0 {
		return nil
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.lim.WriteTimeout))
	return c.w.Flush()
}

// flushIfIdle flushes responses unless a complete pipelined command is
// already waiting (RFC 2449 PIPELINING: responses to a batch go out
// together). A partly received command does not hold back the responses:
// the client may be waiting for them before it sends the rest.
func (c *conn) flushIfIdle() error {
	if n := c.r.Buffered(); n > 0 && c.w.Available() > 512 {
		if buf, _ := c.r.Peek(n); bytes.IndexByte(buf, '\n') >= 0 {
			return nil
		}
	}
	return c.flush()
}

// badCommand answers a bad command and returns errClose when the client
// made too many.
func (c *conn) badCommand(msg string) error {
	c.bad++
	if c.bad >= c.lim.BadCommands {
		c.reply("-ERR too many bad commands, closing connection")
		_ = c.flush()
		return errClose
	}
	c.reply(msg)
	return nil
}

// mapErr turns a backend error into the response to send; errors that are
// not typed are logged and hidden behind a generic [SYS/TEMP] response.
func (c *conn) mapErr(err error, op string) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, ErrInUse):
		return &Error{Code: CodeInUse, Message: "mailbox is locked by another session"}
	case errors.Is(err, ErrAuth), errors.Is(err, sasl.ErrBadCredentials),
		errors.Is(err, sasl.ErrUnknownUser), errors.Is(err, sasl.ErrNotAuthorized):
		return &Error{Code: CodeAuth, Message: "authentication failed"}
	case errors.Is(err, ErrLoginDelay):
		return &Error{Code: CodeLoginDelay, Message: "login too soon after the last one"}
	}
	c.log.Error("pop3: backend error", "op", op, "user", c.info.User, "err", err)
	return &Error{Code: CodeSysTemp, Message: "internal server error, try again later"}
}

func (c *conn) handshake(ctx context.Context) bool {
	hctx, cancel := context.WithTimeout(ctx, c.lim.TLSHandshakeTimeout)
	defer cancel()
	tc, err := tlsutil.ServerHandshake(hctx, c.nc, c.srv.TLSConfig)
	if err != nil {
		c.log.Info("pop3: TLS handshake failed", "err", err)
		return false
	}
	c.nc = tc
	c.r.Reset(tc)
	c.w.Reset(tc)
	cs := tc.ConnectionState()
	c.info.TLS = &cs
	c.log.Debug("pop3: TLS established", "tls", tlsutil.Summary(cs))
	return true
}

// userAllowed reports whether USER/PASS may be used on this connection.
func (c *conn) userAllowed() bool { return c.info.TLS != nil || c.srv.AllowInsecureAuth }

func (c *conn) dispatch(ctx context.Context, cmd Command) error {
	if cmd.Name == "QUIT" {
		return c.cmdQuit(ctx, cmd)
	}
	if cmd.Name == "CAPA" {
		return c.cmdCapa(cmd)
	}
	if c.state == stateAuthorization {
		switch cmd.Name {
		case "USER":
			return c.cmdUser(cmd)
		case "PASS":
			return c.cmdPass(ctx, cmd)
		case "APOP":
			return c.cmdAPOP(ctx, cmd)
		case "AUTH":
			return c.cmdAuth(ctx, cmd)
		case "STLS":
			return c.cmdSTLS(ctx, cmd)
		case "UTF8":
			if c.srv.UTF8 && cmd.Arg == "" {
				c.info.UTF8 = true
				c.reply("+OK UTF8 enabled")
				return nil
			}
		case "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP", "UIDL":
			return c.badCommand("-ERR not logged in")
		}
		return c.badCommand("-ERR unknown command")
	}
	switch cmd.Name {
	case "STAT":
		return c.cmdStat(cmd)
	case "LIST":
		return c.cmdList(cmd, false)
	case "UIDL":
		return c.cmdList(cmd, true)
	case "RETR":
		return c.cmdRetr(ctx, cmd)
	case "TOP":
		return c.cmdTop(ctx, cmd)
	case "DELE":
		return c.cmdDele(cmd)
	case "NOOP":
		if cmd.Arg != "" {
			return c.badCommand("-ERR NOOP takes no argument")
		}
		c.reply("+OK")
		return nil
	case "RSET":
		if cmd.Arg != "" {
			return c.badCommand("-ERR RSET takes no argument")
		}
		for i := range c.deleted {
			c.deleted[i] = false
		}
		n, size := c.stat()
		c.reply(fmt.Sprintf("+OK maildrop has %d messages (%d octets)", n, size))
		return nil
	case "USER", "PASS", "APOP", "AUTH", "STLS", "UTF8":
		return c.badCommand("-ERR command not valid in the TRANSACTION state")
	}
	return c.badCommand("-ERR unknown command")
}

func (c *conn) cmdCapa(cmd Command) error {
	if cmd.Arg != "" {
		return c.badCommand("-ERR CAPA takes no argument")
	}
	c.reply("+OK Capability list follows")
	c.reply("TOP")
	c.reply("UIDL")
	c.reply("RESP-CODES")
	c.reply("AUTH-RESP-CODE")
	c.reply("PIPELINING")
	if c.state == stateAuthorization {
		if c.userAllowed() {
			c.reply("USER")
		}
		if mechs := c.mechanisms(); len(mechs) > 0 {
			c.reply("SASL " + strings.Join(mechs, " "))
		}
		if c.stlsAvailable() {
			c.reply("STLS")
		}
		if c.srv.UTF8 {
			c.reply("UTF8 USER")
		}
	}
	if c.srv.Implementation != "" {
		c.reply("IMPLEMENTATION " + c.srv.Implementation)
	}
	c.reply(".")
	return nil
}

func (c *conn) mechanisms() []string {
	if c.srv.SASL == nil {
		return nil
	}
	return c.srv.SASL.Mechanisms(sasl.Channel{TLS: c.info.TLS})
}

func (c *conn) stlsAvailable() bool {
	return c.srv.TLSConfig != nil && c.info.TLS == nil && c.state == stateAuthorization
}

func (c *conn) cmdQuit(ctx context.Context, cmd Command) error {
	if cmd.Arg != "" {
		return c.badCommand("-ERR QUIT takes no argument")
	}
	if c.state != stateTransaction {
		c.reply("+OK bye")
		return errClose
	}
	// UPDATE state (RFC 1939 §6).
	var uids []string
	for i, d := range c.deleted {
		if d {
			uids = append(uids, c.msgs[i].UID)
		}
	}
	if len(uids) > 0 {
		if err := c.mbox.Delete(ctx, uids); err != nil {
			e := c.mapErr(err, "delete")
			c.replyErr(&Error{Code: e.Code, Message: "some deleted messages not removed: " + e.Message})
			return errClose
		}
	}
	n, _ := c.stat()
	// Release the lock before answering, so a client that reconnects right
	// after QUIT does not find its own mailbox in use.
	c.closeMailbox()
	c.reply(fmt.Sprintf("+OK bye (%d messages left, %d deleted)", n, len(uids)))
	return errClose
}

func (c *conn) closeMailbox() {
	if c.mbox == nil {
		return
	}
	if err := c.mbox.Close(); err != nil {
		c.log.Error("pop3: closing mailbox", "user", c.info.User, "err", err)
	}
	c.mbox = nil
}

func (c *conn) cmdUser(cmd Command) error {
	if !c.userAllowed() {
		c.user = ""
		c.reply("-ERR [AUTH] plaintext authentication disallowed without TLS, use STLS")
		return nil
	}
	if cmd.Arg == "" || strings.ContainsAny(cmd.Arg, " \t") {
		return c.badCommand("-ERR USER takes one argument")
	}
	c.user = cmd.Arg
	c.reply("+OK send PASS")
	return nil
}

func (c *conn) cmdPass(ctx context.Context, cmd Command) error {
	user := c.user
	c.user = ""
	if !c.userAllowed() {
		c.reply("-ERR [AUTH] plaintext authentication disallowed without TLS, use STLS")
		return nil
	}
	if user == "" {
		return c.badCommand("-ERR USER first")
	}
	if cmd.Arg == "" {
		return c.badCommand("-ERR PASS takes one argument")
	}
	pass := []byte(cmd.Arg)
	err := c.sess.Login(ctx, user, pass)
	tlsutil.Wipe(pass)
	if err != nil {
		return c.authFailed(err, "login")
	}
	return c.openMailbox(ctx, user, "USER")
}

func (c *conn) authFailed(err error, op string) error {
	e := c.mapErr(err, op)
	c.log.Info("pop3: authentication failed", "op", op, "code", e.Code)
	c.authFails++
	if c.authFails >= c.lim.AuthFailures {
		c.replyErr(&Error{Code: e.Code, Message: e.Message + "; too many failures, closing connection"})
		return errClose
	}
	c.replyErr(e)
	return nil
}

func (c *conn) cmdAPOP(ctx context.Context, cmd Command) error {
	c.user = ""
	as, ok := c.sess.(APOPSession)
	if !ok || c.timestamp == "" {
		return c.badCommand("-ERR APOP not supported")
	}
	args := cmd.Args()
	if len(args) != 2 || len(args[1]) != 32 {
		return c.badCommand("-ERR usage: APOP name digest")
	}
	want, err := hex.DecodeString(args[1])
	if err != nil {
		return c.badCommand("-ERR usage: APOP name digest")
	}
	secret, err := as.APOPSecret(ctx, args[0])
	if err != nil {
		return c.authFailed(err, "apop")
	}
	h := md5.New()
	_, _ = io.WriteString(h, c.timestamp)
	_, _ = h.Write(secret)
	tlsutil.Wipe(secret)
	if subtle.ConstantTimeCompare(h.Sum(nil), want) != 1 {
		return c.authFailed(ErrAuth, "apop")
	}
	return c.openMailbox(ctx, args[0], "APOP")
}

func (c *conn) cmdAuth(ctx context.Context, cmd Command) error {
	c.user = ""
	if c.srv.SASL == nil {
		return c.badCommand("-ERR AUTH not supported")
	}
	args := cmd.Args()
	if len(args) == 0 {
		// Not in RFC 5034, but widely sent by clients (RFC 1734 practice):
		// list the mechanisms.
		c.reply("+OK SASL mechanisms follow")
		for _, m := range c.mechanisms() {
			c.reply(m)
		}
		c.reply(".")
		return nil
	}
	if len(args) > 2 {
		return c.badCommand("-ERR usage: AUTH mechanism [initial-response]")
	}
	mech := strings.ToUpper(args[0])
	ss, err := c.srv.SASL.NewServer(ctx, mech, sasl.Channel{TLS: c.info.TLS})
	switch {
	case errors.Is(err, sasl.ErrUnsupported):
		return c.badCommand("-ERR unsupported authentication mechanism")
	case errors.Is(err, sasl.ErrTooWeak):
		c.reply("-ERR [AUTH] mechanism not allowed without TLS, use STLS")
		return nil
	case err != nil:
		c.replyErr(c.mapErr(err, "auth"))
		return nil
	}
	var resp []byte
	if len(args) == 2 {
		if args[1] != "=" {
			if resp, err = base64.StdEncoding.DecodeString(args[1]); err != nil {
				c.reply("-ERR malformed initial response")
				return nil
			}
		} else {
			resp = []byte{}
		}
	}
	for {
		chal, done, err := ss.Next(resp)
		if err != nil {
			if errors.Is(err, sasl.ErrMalformed) || errors.Is(err, sasl.ErrTooLong) {
				return c.authFailed(&Error{Code: CodeAuth, Message: "malformed SASL response", Err: err}, "auth")
			}
			return c.authFailed(err, "auth")
		}
		if done {
			id, _ := ss.Identity()
			return c.openMailbox(ctx, id.Authzid, "SASL "+mech)
		}
		c.reply("+ " + base64.StdEncoding.EncodeToString(chal))
		if err := c.flush(); err != nil {
			return err
		}
		line, err := c.readCommand(c.lim.AuthLine)
		if errors.Is(err, ErrLineTooLong) {
			c.reply("-ERR [AUTH] SASL response too long")
			return nil
		}
		if err != nil {
			return err
		}
		if line == "*" {
			c.reply("-ERR authentication aborted")
			return nil
		}
		if resp, err = base64.StdEncoding.DecodeString(line); err != nil {
			c.reply("-ERR malformed SASL response")
			return nil
		}
	}
}

func (c *conn) cmdSTLS(ctx context.Context, cmd Command) error {
	c.user = ""
	if cmd.Arg != "" {
		return c.badCommand("-ERR STLS takes no argument")
	}
	if !c.stlsAvailable() {
		return c.badCommand("-ERR STLS not available")
	}
	if c.r.Buffered() > 0 {
		// CVE-2011-0411: anything pipelined after STLS was sent in
		// plaintext and must never be taken as sent over TLS.
		c.log.Warn("pop3: data pipelined after STLS, closing connection")
		c.reply("-ERR commands pipelined after STLS, closing connection")
		return errClose
	}
	c.reply("+OK begin TLS negotiation")
	if err := c.flush(); err != nil {
		return err
	}
	if !c.handshake(ctx) {
		return errClose
	}
	return nil
}

// openMailbox finishes a successful login: lock and list the mailbox and
// enter the TRANSACTION state.
func (c *conn) openMailbox(ctx context.Context, user, method string) error {
	c.info.User, c.info.AuthMethod = user, method
	mbox, err := c.sess.Open(ctx, user)
	if err != nil {
		c.info.User, c.info.AuthMethod = "", ""
		c.replyErr(c.mapErr(err, "open"))
		return nil
	}
	msgs, err := mbox.List(ctx)
	if err == nil && len(msgs) > c.lim.Messages {
		err = &Error{Code: CodeSysPerm, Message: "mailbox too large for POP3"}
	}
	if err == nil {
		for _, m := range msgs {
			if !validUID(m.UID) || m.Size < 0 {
				c.log.Error("pop3: backend listed an invalid unique id or size", "user", user, "uid", truncate(m.UID, 80), "size", m.Size)
				err = &Error{Code: CodeSysPerm, Message: "mailbox unavailable"}
				break
			}
		}
	}
	if err != nil {
		if cerr := mbox.Close(); cerr != nil {
			c.log.Error("pop3: closing mailbox", "user", user, "err", cerr)
		}
		c.info.User, c.info.AuthMethod = "", ""
		c.replyErr(c.mapErr(err, "list"))
		return nil
	}
	c.mbox, c.msgs, c.deleted = mbox, msgs, make([]bool, len(msgs))
	c.state = stateTransaction
	c.log.Info("pop3: logged in", "user", user, "method", method, "messages", len(msgs))
	n, size := c.stat()
	c.reply(fmt.Sprintf("+OK maildrop has %d messages (%d octets)", n, size))
	return nil
}

func (c *conn) stat() (n int, size int64) {
	for i, m := range c.msgs {
		if !c.deleted[i] {
			n++
			size += m.Size
		}
	}
	return n, size
}

func (c *conn) cmdStat(cmd Command) error {
	if cmd.Arg != "" {
		return c.badCommand("-ERR STAT takes no argument")
	}
	n, size := c.stat()
	c.reply("+OK " + strconv.Itoa(n) + " " + strconv.FormatInt(size, 10))
	return nil
}

// message resolves a message-number argument; ok is false when an error
// response was written (or errClose returned).
func (c *conn) message(arg string) (int, bool, error) {
	n, valid := parseNumber(arg)
	if !valid {
		return 0, false, c.badCommand("-ERR invalid message number")
	}
	if n < 1 || n > len(c.msgs) {
		c.reply("-ERR no such message")
		return 0, false, nil
	}
	if c.deleted[n-1] {
		c.reply("-ERR message " + strconv.Itoa(n) + " already deleted")
		return 0, false, nil
	}
	return n - 1, true, nil
}

func (c *conn) cmdList(cmd Command, uidl bool) error {
	item := func(i int) string {
		if uidl {
			return strconv.Itoa(i+1) + " " + c.msgs[i].UID
		}
		return strconv.Itoa(i+1) + " " + strconv.FormatInt(c.msgs[i].Size, 10)
	}
	args := cmd.Args()
	switch len(args) {
	case 0:
		n, size := c.stat()
		if uidl {
			c.reply("+OK unique-id listing follows")
		} else {
			c.reply(fmt.Sprintf("+OK %d messages (%d octets)", n, size))
		}
		for i := range c.msgs {
			if !c.deleted[i] {
				c.reply(item(i))
			}
			if c.w.Buffered() > 3000 {
				if err := c.flush(); err != nil {
					return err
				}
			}
		}
		c.reply(".")
	case 1:
		i, ok, err := c.message(args[0])
		if ok {
			c.reply("+OK " + item(i))
		}
		return err
	default:
		return c.badCommand("-ERR too many arguments")
	}
	return nil
}

func (c *conn) cmdDele(cmd Command) error {
	args := cmd.Args()
	if len(args) != 1 {
		return c.badCommand("-ERR usage: DELE msg")
	}
	i, ok, err := c.message(args[0])
	if ok {
		c.deleted[i] = true
		c.reply("+OK message " + strconv.Itoa(i+1) + " deleted")
	}
	return err
}

func (c *conn) cmdRetr(ctx context.Context, cmd Command) error {
	args := cmd.Args()
	if len(args) != 1 {
		return c.badCommand("-ERR usage: RETR msg")
	}
	i, ok, err := c.message(args[0])
	if !ok {
		return err
	}
	return c.sendMessage(ctx, i, "+OK "+strconv.FormatInt(c.msgs[i].Size, 10)+" octets", -1)
}

func (c *conn) cmdTop(ctx context.Context, cmd Command) error {
	args := cmd.Args()
	if len(args) != 2 {
		return c.badCommand("-ERR usage: TOP msg lines")
	}
	lines, valid := parseNumber(args[1])
	if !valid {
		return c.badCommand("-ERR invalid line count")
	}
	i, ok, err := c.message(args[0])
	if !ok {
		return err
	}
	return c.sendMessage(ctx, i, "+OK top of message follows", lines)
}

func (c *conn) sendMessage(ctx context.Context, i int, status string, lines int) error {
	rc, err := c.mbox.Open(ctx, i)
	if err != nil {
		c.replyErr(c.mapErr(err, "open message"))
		return nil
	}
	defer rc.Close()
	c.reply(status)
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.lim.WriteTimeout))
	if err := writeMessage(&deadlineWriter{c: c}, rc, lines); err != nil {
		// The multi-line response cannot be taken back: the client must
		// not see a truncated message as complete, so close.
		c.log.Error("pop3: reading message", "user", c.info.User, "uid", c.msgs[i].UID, "err", err)
		return errClose
	}
	return nil
}

// deadlineWriter renews the write deadline whenever writeMessage's buffer
// fills, so a long message gets WriteTimeout per flush, not in total.
type deadlineWriter struct{ c *conn }

func (d *deadlineWriter) Write(p []byte) (int, error) {
	if d.c.w.Available() < len(p) {
		_ = d.c.nc.SetWriteDeadline(time.Now().Add(d.c.lim.WriteTimeout))
	}
	return d.c.w.Write(p)
}

func (d *deadlineWriter) WriteByte(b byte) error {
	if d.c.w.Available() < 1 {
		_ = d.c.nc.SetWriteDeadline(time.Now().Add(d.c.lim.WriteTimeout))
	}
	return d.c.w.WriteByte(b)
}

func (d *deadlineWriter) WriteString(s string) (int, error) {
	if d.c.w.Available() < len(s) {
		_ = d.c.nc.SetWriteDeadline(time.Now().Add(d.c.lim.WriteTimeout))
	}
	return d.c.w.WriteString(s)
}
