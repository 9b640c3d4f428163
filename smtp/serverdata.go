package smtp

import (
	"errors"
	"io"
	"strconv"
	"strings"
)

// Errors the server's data readers hand to the session; the server
// answers them itself (see [Session.Data]).
var (
	errTooBig      = &Error{Code: 552, Enhanced: enh(5, 3, 4), Message: "Error: message file too big", Err: ErrTooLarge}
	errBDATAborted = errors.New("smtp: BDAT transfer aborted by another command")
)

// sessionReader is what Session.Data reads: the Received header field,
// then the message. It remembers the first error other than io.EOF its
// reader returned. (io.MultiReader would do the first part, but its
// WriteTo allocates a 32 KiB buffer per message when the session copies
// with io.Copy.)
type sessionReader struct {
	head []byte
	r    io.Reader
	err  error
}

func (t *sessionReader) Read(p []byte) (int, error) {
	if len(t.head) > 0 {
		n := copy(p, t.head)
		t.head = t.head[n:]
		return n, nil
	}
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}

// isFatalDataErr reports whether a data error leaves the connection out of
// sync (line-ending policy, NUL, I/O): the server answers and closes.
func isFatalDataErr(err error) bool {
	return err != nil && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrLineTooLong)
}

func (c *conn) cmdData(arg string) error {
	switch {
	case arg != "":
		c.syntaxError("Syntax: DATA")
		return nil
	case !c.inTx:
		c.badSequence("Error: need MAIL command")
		return nil
	case len(c.rcpts) == 0:
		c.badSequence("Error: no valid recipients")
		return nil
	case c.mailOpts.Body == BodyBinaryMIME:
		c.badSequence("Error: BODY=BINARYMIME needs BDAT")
		return nil
	}
	c.writeReply(354, EnhancedCode{}, "End data with <CR><LF>.<CR><LF>")
	// The client waits for 354 (RFC 2920 §3.1: DATA ends a batch); the
	// session may take a while before it reads.
	if c.br.Buffered() == 0 {
		if err := c.flush(); err != nil {
			return err
		}
	}
	// Read the data through the large buffer (when nothing is pipelined
	// behind DATA, which a client must not do anyway).
	c.swapReader(true)
	c.newTxID()
	c.readTimeout = c.cfg.limits.DataTimeout
	dr := &c.dr
	dr.reset(c.br, DataOptions{
		LineEndings:   c.lineEndings(),
		MaxLineLength: c.cfg.limits.TextLine,
		MaxSize:       c.cfg.limits.MessageBytes,
	})
	tr := &c.sr
	*tr = sessionReader{head: c.received(), r: dr}
	rcptErrs, derr := c.deliver(tr)
	tr.r = nil
	var fatal, limitErr error
	if isFatalDataErr(tr.err) {
		fatal = tr.err
	} else {
		limitErr = tr.err
		if !dr.Done() {
			if err := dr.Discard(); err != nil {
				fatal = err
			}
		}
	}
	return c.finishData(fatal, limitErr, rcptErrs, derr)
}

// finishData sends the final reply(s) of a DATA or BDAT LAST transfer.
func (c *conn) finishData(fatal, limitErr error, rcptErrs []error, derr error) error {
	defer c.resetTx()
	if fatal != nil {
		switch {
		case isTimeout(fatal):
			c.writeReply(421, enh(4, 4, 2), c.cfg.hostname+" Error: timeout exceeded")
		case errors.Is(fatal, errInterrupted):
			c.writeReply(421, enh(4, 3, 2), c.cfg.hostname+" Service shutting down, closing transmission channel")
		default:
			if r, _ := ReplyFor(fatal, c.cfg.hostname); r != nil && r.Code != 421 {
				c.writeError(r)
			}
		}
		_ = c.flush()
		return errCloseConn
	}
	n := 1
	if c.srv.Profile == ProfileLMTP {
		n = len(c.rcpts)
	}
	for i := 0; i < n; i++ {
		var err error
		switch {
		case limitErr != nil:
			err, _ = ReplyFor(limitErr, c.cfg.hostname)
		case derr != nil:
			err = derr
		case c.srv.Profile == ProfileLMTP && (i >= len(rcptErrs)):
			err = &Error{Code: 451, Enhanced: enh(4, 3, 0), Message: "<" + c.rcpts[i] + "> Requested action aborted: local error in processing"}
		case c.srv.Profile == ProfileLMTP:
			err = rcptErrs[i]
		}
		if err != nil {
			c.writeError(err)
			continue
		}
		var id string
		if q, ok := c.sess.(QueueIDSession); ok {
			id = q.QueueID()
		}
		if c.srv.Profile == ProfileLMTP {
			c.writeReply(250, enh(2, 1, 5), "<"+c.rcpts[i]+"> Ok: queued as "+c.queueID(id))
		} else {
			c.writeQueued(id)
		}
	}
	return nil
}

// queueID returns id, or the transaction id when id is empty.
func (c *conn) queueID(id string) string {
	if id != "" {
		return id
	}
	return string(c.txID)
}

// writeQueued writes "250 2.0.0 Ok: queued as <id>" (the transaction id
// when id is empty) without building the text first.
func (c *conn) writeQueued(id string) {
	if id != "" {
		c.writeReply(250, enh(2, 0, 0), "Ok: queued as "+id)
		return
	}
	w := c.writer()
	w.WriteString("250 ")
	if c.enhanced {
		w.WriteString("2.0.0 ")
	}
	w.WriteString("Ok: queued as ")
	w.Write(c.txID)
	w.WriteString("\r\n")
}

// deliver hands the message to the session.
func (c *conn) deliver(r io.Reader) ([]error, error) {
	if c.srv.Profile == ProfileLMTP {
		if ls, ok := c.sess.(LMTPSession); ok {
			return ls.LMTPData(c.ctx, r)
		}
	}
	return nil, c.sess.Data(c.ctx, r)
}

// bdatState is an open BDAT transfer.
type bdatState struct {
	remaining int64
	last      bool
}

// chunkReader streams BDAT chunks to the session, reading the next BDAT
// command itself between chunks.
type chunkReader struct {
	c        *conn
	checkNL  bool
	prevCR   bool
	n        int64
	discard  bool
	limitErr error
	fatal    error
	aborted  bool
	eof      bool
}

func parseBdat(arg string) (int64, bool, bool) {
	sz, rest, _ := strings.Cut(arg, " ")
	n, err := strconv.ParseInt(sz, 10, 64)
	if err != nil || n < 0 || len(sz) > 18 {
		return 0, false, false
	}
	switch strings.ToUpper(strings.TrimSpace(rest)) {
	case "":
		return n, false, true
	case "LAST":
		return n, true, true
	}
	return 0, false, false
}

func (r *chunkReader) Read(p []byte) (int, error) {
	c := r.c
	for {
		if r.fatal != nil {
			return 0, r.fatal
		}
		if r.limitErr != nil && !r.discard {
			return 0, r.limitErr
		}
		if r.aborted {
			return 0, errBDATAborted
		}
		if c.bdat.remaining > 0 {
			break
		}
		if c.bdat.last {
			r.eof = true
			return 0, io.EOF
		}
		r.nextChunk()
	}
	if int64(len(p)) > c.bdat.remaining {
		p = p[:c.bdat.remaining]
	}
	n, err := c.br.Read(p)
	c.bdat.remaining -= int64(n)
	if r.checkNL {
		for _, b := range p[:n] {
			switch {
			case b == '\n' && !r.prevCR:
				r.fatal = ErrBareLF
			case b != '\n' && r.prevCR:
				r.fatal = ErrBareCR
			}
			r.prevCR = b == '\r'
		}
		if r.fatal != nil {
			return 0, r.fatal
		}
	}
	r.n += int64(n)
	if r.n > c.cfg.limits.MessageBytes && r.limitErr == nil {
		r.limitErr = errTooBig
	}
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		r.fatal = err
		return n, err
	}
	if r.limitErr != nil {
		return 0, r.limitErr
	}
	return n, nil
}

// nextChunk acknowledges the finished chunk and reads the next command,
// which must be BDAT.
func (r *chunkReader) nextChunk() {
	c := r.c
	if r.limitErr != nil {
		r.aborted = true
		return
	}
	c.writeReply(250, enh(2, 0, 0), "Ok: chunk received")
	line, err := c.readCommand()
	if err != nil {
		r.fatal = err
		return
	}
	cmd, perr := ParseCommand(line)
	verb, arg := cmd.Verb, cmd.Arg
	if perr != nil || verb != VerbBDAT {
		c.pendingCmd = append([]byte(nil), line...)
		r.aborted = true
		return
	}
	n, last, ok := parseBdat(arg)
	if !ok {
		r.fatal = errBDATSyntax
		return
	}
	c.readTimeout = c.cfg.limits.DataTimeout
	c.bdat.remaining = n
	c.bdat.last = last
}

var errBDATSyntax = errors.New("smtp: BDAT syntax error")

// drain consumes what is left of the transfer: the current chunk and,
// unless the session failed, the following chunks up to LAST.
func (r *chunkReader) drain(stopAtChunk bool) {
	c := r.c
	buf := make([]byte, 512)
	r.checkNL = r.checkNL && r.fatal == nil
	for r.fatal == nil && !r.aborted {
		if c.bdat.remaining == 0 {
			if c.bdat.last || stopAtChunk || r.limitErr != nil {
				return
			}
			r.nextChunk()
			continue
		}
		saved := r.limitErr
		r.discard = true
		_, err := r.Read(buf)
		if saved == nil && r.limitErr != nil {
			continue
		}
		if err != nil && r.fatal != nil {
			return
		}
	}
}

func (c *conn) cmdBdat(arg string) error {
	if !c.offers("CHUNKING") {
		c.writeReply(502, enh(5, 5, 1), "Error: command not implemented")
		_ = c.flush()
		return errCloseConn // the chunk that follows cannot be skipped safely
	}
	n, last, ok := parseBdat(arg)
	if !ok {
		c.writeReply(501, enh(5, 5, 4), "Syntax: BDAT size [LAST]")
		_ = c.flush()
		return errCloseConn
	}
	c.readTimeout = c.cfg.limits.DataTimeout
	if !c.inTx || len(c.rcpts) == 0 {
		if n > c.cfg.limits.MessageBytes {
			// Not worth skipping: a chunk larger than any message
			// could keep the connection busy for as long as the
			// client likes.
			c.writeReply(552, enh(5, 3, 4), "Error: message file too big")
			_ = c.flush()
			return errCloseConn
		}
		if _, err := io.CopyN(io.Discard, c.br, n); err != nil {
			return err
		}
		if !c.inTx {
			c.badSequence("Error: need MAIL command")
		} else {
			c.badSequence("Error: no valid recipients")
		}
		return nil
	}
	c.bdat = &bdatState{remaining: n, last: last}
	c.newTxID()
	cr := &chunkReader{c: c, checkNL: c.strict && c.mailOpts.Body != BodyBinaryMIME}
	c.sr = sessionReader{head: c.received(), r: cr}
	rcptErrs, derr := c.deliver(&c.sr)
	c.sr.r = nil
	if cr.fatal == nil && !cr.aborted && !cr.eof {
		// The session stopped early: failed (skip to the end of this
		// chunk and answer now) or returned nil without reading all.
		cr.drain(derr != nil)
	}
	if cr.fatal != nil {
		if errors.Is(cr.fatal, errBDATSyntax) {
			c.writeReply(501, enh(5, 5, 4), "Syntax: BDAT size [LAST]")
			_ = c.flush()
			c.resetTx()
			return errCloseConn
		}
		return c.finishData(cr.fatal, nil, nil, nil)
	}
	if cr.aborted {
		if cr.limitErr != nil {
			c.writeError(cr.limitErr)
		}
		c.resetTx()
		return nil
	}
	if !cr.eof && c.bdat.remaining == 0 && !c.bdat.last {
		// derr != nil before LAST: answer this chunk with the error.
		if derr == nil {
			derr = errors.New("smtp: session returned before the end of the message")
		}
		c.writeError(derr)
		c.resetTx()
		return nil
	}
	if derr == nil && !cr.eof && cr.limitErr == nil {
		derr = errors.New("smtp: session returned before the end of the message")
	}
	return c.finishData(nil, cr.limitErr, rcptErrs, derr)
}
