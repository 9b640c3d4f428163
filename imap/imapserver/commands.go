package imapserver

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/tlsutil"
)

type pollMode int

const (
	pollAll pollMode = iota
	pollNoExpunge
	pollNever
)

type handler struct {
	minState, maxState connState
	poll               pollMode
	fn                 func(ctx context.Context, c *conn, tag string, uid bool) error
}

var commands map[string]handler

func init() {
	any := func(fn func(context.Context, *conn, string, bool) error) handler {
		return handler{stateNotAuth, stateSelected, pollAll, fn}
	}
	notAuth := func(fn func(context.Context, *conn, string, bool) error) handler {
		return handler{stateNotAuth, stateNotAuth, pollNever, fn}
	}
	auth := func(fn func(context.Context, *conn, string, bool) error) handler {
		return handler{stateAuth, stateSelected, pollAll, fn}
	}
	sel := func(p pollMode, fn func(context.Context, *conn, string, bool) error) handler {
		return handler{stateSelected, stateSelected, p, fn}
	}
	commands = map[string]handler{
		"CAPABILITY":   any(cmdCapability),
		"NOOP":         any(cmdNoop),
		"LOGOUT":       {stateNotAuth, stateSelected, pollNever, cmdLogout},
		"ID":           any(cmdID),
		"STARTTLS":     notAuth(cmdStartTLS),
		"LOGIN":        notAuth(cmdLogin),
		"AUTHENTICATE": notAuth(cmdAuthenticate),
		"SELECT":       {stateAuth, stateSelected, pollNever, cmdSelect},
		"EXAMINE":      {stateAuth, stateSelected, pollNever, cmdSelect},
		"CREATE":       auth(cmdCreate),
		"DELETE":       auth(cmdDelete),
		"RENAME":       auth(cmdRename),
		"SUBSCRIBE":    auth(cmdSubscribe),
		"UNSUBSCRIBE":  auth(cmdUnsubscribe),
		"LIST":         auth(cmdList),
		"LSUB":         auth(cmdList),
		"STATUS":       auth(cmdStatus),
		"APPEND":       auth(cmdAppend),
		"NAMESPACE":    auth(cmdNamespace),
		"ENABLE":       auth(cmdEnable),
		"IDLE":         {stateAuth, stateSelected, pollNever, cmdIdle},
		"CHECK":        sel(pollAll, cmdNoop),
		"CLOSE":        sel(pollNever, cmdClose),
		"UNSELECT":     sel(pollNever, cmdClose),
		"EXPUNGE":      sel(pollAll, cmdExpunge),
		"SEARCH":       sel(pollNoExpunge, cmdSearch),
		"SORT":         sel(pollNoExpunge, cmdSort),
		"THREAD":       sel(pollNoExpunge, cmdThread),
		"FETCH":        sel(pollNoExpunge, cmdFetch),
		"STORE":        sel(pollNoExpunge, cmdStore),
		"COPY":         sel(pollAll, cmdCopy),
		"MOVE":         sel(pollAll, cmdCopy),
		"COMPRESS":     {stateAuth, stateSelected, pollNever, cmdCompress},
		"CANCELUPDATE": sel(pollNoExpunge, cmdCancelUpdate), // RFC 5267 §4.2, context.go
	}
}

// errReplied: the handler wrote the tagged reply itself.
var errReplied = &Error{Type: "replied"}

func ok(code, text string) error { return &Error{Type: StatusOK, Code: code, Text: text} }

func bad(text string) error { return &Error{Type: StatusBAD, Text: text} }

func cmdCapability(ctx context.Context, c *conn, tag string, uid bool) error {
	if err := c.endLine(); err != nil {
		return err
	}
	c.enc.Raw("* CAPABILITY ").Raw(strings.Join(c.caps(), " ")).CRLF()
	return nil
}

func cmdNoop(ctx context.Context, c *conn, tag string, uid bool) error { return c.endLine() }

func cmdLogout(ctx context.Context, c *conn, tag string, uid bool) error {
	if err := c.endLine(); err != nil {
		return err
	}
	c.enc.Raw("* BYE Logging out").CRLF()
	c.state = stateLogout
	return nil
}

func cmdID(ctx context.Context, c *conn, tag string, uid bool) error {
	if err := c.dec.SP(); err != nil {
		return err
	}
	if _, _, err := c.dec.NString(); err != nil {
		// Not NIL: a list of field/value pairs.
		if b, perr := c.dec.Peek(); perr != nil || b != '(' {
			return err
		}
		n := 0
		err := c.dec.List(func() error {
			n++
			if n > 60 {
				return bad("too many ID fields")
			}
			_, _, err := c.dec.NString()
			return err
		})
		if err != nil {
			return err
		}
	}
	if err := c.endLine(); err != nil {
		return err
	}
	c.enc.Raw(`* ID ("name" "mailkit")`).CRLF()
	return nil
}

func cmdStartTLS(ctx context.Context, c *conn, tag string, uid bool) error {
	if err := c.endLine(); err != nil {
		return err
	}
	if c.srv.TLSConfig == nil || c.isTLS() {
		return bad("STARTTLS not available")
	}
	if c.br.Buffered() > 0 {
		// CVE-2011-0411: nothing may be pipelined behind STARTTLS.
		c.enc.Raw(tag).Raw(" BAD STARTTLS must be the last command sent before the TLS handshake").CRLF()
		c.enc.Raw("* BYE Closing connection").CRLF()
		c.state = stateLogout
		return errReplied
	}
	c.enc.Raw(tag).Raw(" OK Begin TLS negotiation now").CRLF()
	if err := c.enc.Flush(); err != nil {
		return err
	}
	tc, err := tlsutil.ServerHandshake(ctx, c.nc, c.srv.TLSConfig)
	if err != nil {
		c.log.Debug("imapserver: STARTTLS handshake failed", "err", err)
		c.state = stateLogout
		return errReplied
	}
	cs := tc.ConnectionState()
	c.nc = tc
	c.info.TLS = &cs
	c.setStreams(tc)
	return errReplied
}

func (c *conn) loggedIn() error {
	c.state = stateAuth
	return ok("CAPABILITY "+strings.Join(c.caps(), " "), "Logged in")
}

func cmdLogin(ctx context.Context, c *conn, tag string, uid bool) error {
	user, err := arg(c, c.dec.AString)
	if err != nil {
		return err
	}
	pass, err := arg(c, c.dec.AString)
	if err != nil {
		return err
	}
	if err := c.endLine(); err != nil {
		return err
	}
	if !c.authAllowed() {
		return &Error{Type: StatusNO, Code: "PRIVACYREQUIRED", Text: "LOGIN is disabled without TLS; use STARTTLS"}
	}
	if err := c.sess.Login(ctx, user, pass); err != nil {
		return authError(err)
	}
	return c.loggedIn()
}

func authError(err error) error {
	if isReply(err) {
		return err
	}
	if errors.Is(err, sasl.ErrBadCredentials) || errors.Is(err, sasl.ErrUnknownUser) ||
		errors.Is(err, sasl.ErrNotAuthorized) || errors.Is(err, sasl.ErrChannelBinding) ||
		errors.Is(err, sasl.ErrMalformed) || errors.Is(err, sasl.ErrTooLong) || errors.Is(err, sasl.ErrUnexpected) {
		return ErrAuthFailed
	}
	if errors.Is(err, sasl.ErrTooWeak) {
		return &Error{Type: StatusNO, Code: "PRIVACYREQUIRED", Text: "Mechanism not allowed without TLS"}
	}
	if errors.Is(err, sasl.ErrUnsupported) {
		return &Error{Type: StatusNO, Text: "Unsupported authentication mechanism"}
	}
	return &Error{Type: StatusNO, Code: "UNAVAILABLE", Text: "Authentication temporarily unavailable", Err: err}
}

func isBase64Char(b byte) bool {
	return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '+' || b == '/' || b == '='
}

var errAborted = &Error{Type: StatusBAD, Text: "AUTHENTICATE cancelled"}

// saslResponse reads one client line of an AUTHENTICATE exchange.
func (c *conn) saslResponse() ([]byte, error) {
	if err := c.enc.Flush(); err != nil {
		return nil, err
	}
	if c.dec.Accept('*') {
		if err := c.dec.CRLF(); err != nil {
			return nil, err
		}
		return nil, errAborted
	}
	s, err := c.dec.Word(isBase64Char)
	if err != nil {
		return nil, err
	}
	if err := c.dec.CRLF(); err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, &Error{Type: StatusBAD, Text: "Invalid base64"}
	}
	return b, nil
}

func cmdAuthenticate(ctx context.Context, c *conn, tag string, uid bool) error {
	mech, err := arg(c, c.dec.Atom)
	if err != nil {
		return err
	}
	mech = strings.ToUpper(mech)
	var ir []byte
	if c.dec.Accept(' ') {
		s, err := c.dec.Word(isBase64Char)
		if err != nil {
			return err
		}
		if s == "=" {
			ir = []byte{}
		} else if ir, err = base64.StdEncoding.DecodeString(s); err != nil || len(s) == 0 {
			return bad("Invalid initial response")
		}
	}
	if err := c.endLine(); err != nil {
		return err
	}
	if !c.saslOK {
		if mech != sasl.Plain {
			return &Error{Type: StatusNO, Text: "Unsupported authentication mechanism"}
		}
		if !c.authAllowed() {
			return &Error{Type: StatusNO, Code: "PRIVACYREQUIRED", Text: "PLAIN is disabled without TLS"}
		}
		if ir == nil {
			c.enc.Raw("+ ").CRLF()
			if ir, err = c.saslResponse(); err != nil {
				return err
			}
		}
		msg, err := sasl.ParsePlain(ir)
		if err != nil {
			tlsutil.Wipe(ir)
			return ErrAuthFailed
		}
		pass := string(msg.Password)
		tlsutil.Wipe(ir)
		if msg.Authzid != "" && msg.Authzid != msg.Authcid {
			return ErrAuthFailed
		}
		if err := c.sess.Login(ctx, msg.Authcid, pass); err != nil {
			return authError(err)
		}
		return c.loggedIn()
	}
	ss, err := c.srv.SASL.NewServer(ctx, mech, c.channel())
	if err != nil {
		return authError(err)
	}
	resp := ir
	for step := 0; ; step++ {
		if step > 20 {
			return ErrAuthFailed
		}
		ch, done, err := ss.Next(resp)
		if resp != nil {
			tlsutil.Wipe(resp)
		}
		if err != nil {
			return authError(err)
		}
		if done {
			break
		}
		c.enc.Raw("+ ").Raw(base64.StdEncoding.EncodeToString(ch)).CRLF()
		if resp, err = c.saslResponse(); err != nil {
			return err
		}
	}
	id, _ := ss.Identity()
	if err := c.sess.(SASLSession).AuthenticateIdentity(ctx, id); err != nil {
		return authError(err)
	}
	return c.loggedIn()
}

// mailboxName converts a mailbox argument from modified UTF-7.
func mailboxName(s string) (string, error) {
	if strings.EqualFold(s, "INBOX") {
		return "INBOX", nil
	}
	name, err := imap.DecodeMailbox(s)
	if err != nil {
		return "", &Error{Type: StatusNO, Code: "CANNOT", Text: "Invalid mailbox name"}
	}
	if len(name) >= 6 && strings.EqualFold(name[:6], "INBOX/") {
		name = "INBOX" + name[5:]
	}
	return name, nil
}

// mailboxArg reads SP mailbox.
func (c *conn) mailboxArg() (string, error) { return arg(c, c.dec.AString) }

// lastMailboxArg reads SP mailbox CRLF (a mailbox as the final argument)
// and decodes the name with [mailboxName].
func (c *conn) lastMailboxArg() (string, error) {
	raw, err := c.mailboxArg()
	if err != nil {
		return "", err
	}
	if err := c.endLine(); err != nil {
		return "", err
	}
	return mailboxName(raw)
}

// arg reads a space and then one argument with read.
func arg[T any](c *conn, read func() (T, error)) (T, error) {
	if err := c.dec.SP(); err != nil {
		var zero T
		return zero, err
	}
	return read()
}

func cmdSelect(ctx context.Context, c *conn, tag string, uid bool) error {
	raw, err := arg(c, c.dec.AString)
	if err != nil {
		return err
	}
	opts := &imap.SelectOptions{ReadOnly: strings.HasPrefix(strings.ToUpper(c.cmd), "EXAMINE")}
	if !c.dec.AtEOL() {
		// select-params (RFC 4466 §2.1): (CONDSTORE), RFC 7162 §3.1.8.
		if err := c.dec.SP(); err != nil {
			return err
		}
		if err := c.dec.SelectParams(opts); err != nil {
			return err
		}
	}
	if err := c.endLine(); err != nil {
		return err
	}
	name, err := mailboxName(raw)
	if err != nil {
		return err
	}
	readOnly := opts.ReadOnly
	if opts.CondStore && c.csSess == nil {
		return bad("CONDSTORE not supported")
	}
	if opts.QResync != nil && (c.qrSess == nil || !c.qresync.Load()) {
		// RFC 7162 §3.2.5: BAD unless QRESYNC was enabled.
		return bad("QRESYNC not enabled")
	}
	if err := checkNoSaved(opts.QResync); err != nil {
		return err
	}
	c.resetSearchRes()
	c.resetContexts()
	if c.state == stateSelected {
		if err := c.sess.Unselect(ctx); err != nil {
			return err
		}
		c.state = stateAuth
		c.enc.Raw("* OK [CLOSED] Previous mailbox closed").CRLF()
	}
	c.sentHighest = false
	if opts.CondStore {
		c.condStore.Store(true)
	}
	data, err := c.sess.Select(ctx, name, opts)
	if err != nil {
		return err
	}
	e := c.enc
	e.Raw("* ").Number(data.NumMessages).Raw(" EXISTS").CRLF()
	e.Raw("* ").Number(data.NumRecent).Raw(" RECENT").CRLF()
	e.Raw("* FLAGS ").Flags(data.Flags).CRLF()
	if data.FirstUnseen > 0 {
		e.Raw("* OK [UNSEEN ").Number(data.FirstUnseen).Raw("] First unseen").CRLF()
	}
	pf := data.PermanentFlags
	if data.ReadOnly || readOnly {
		pf = nil
	}
	e.Raw("* OK [PERMANENTFLAGS ").Flags(pf).Raw("] Flags permitted").CRLF()
	e.Raw("* OK [UIDVALIDITY ").Number(data.UIDValidity).Raw("] UIDs valid").CRLF()
	e.Raw("* OK [UIDNEXT ").Number(data.UIDNext).Raw("] Predicted next UID").CRLF()
	if c.csSess != nil && c.condStore.Load() {
		c.writeHighestModSeq(data.HighestModSeq)
		c.sentHighest = true
	}
	c.state = stateSelected
	if opts.QResync != nil {
		if err := c.qresyncSelect(ctx, opts.QResync, data); err != nil {
			return err
		}
	}
	c.readOnly = readOnly || data.ReadOnly
	if c.readOnly {
		return ok("READ-ONLY", "EXAMINE completed")
	}
	return ok("READ-WRITE", "SELECT completed")
}

func simpleMailboxCmd(ctx context.Context, c *conn, fn func(ctx context.Context, name string) error) error {
	name, err := c.lastMailboxArg()
	if err != nil {
		return err
	}
	return fn(ctx, name)
}

func cmdCreate(ctx context.Context, c *conn, tag string, uid bool) error {
	raw, err := c.mailboxArg()
	if err != nil {
		return err
	}
	var opts *imap.CreateOptions
	if c.dec.Accept(' ') {
		// create-params (RFC 4466), USE of CREATE-SPECIAL-USE (RFC 6154).
		if opts, err = c.dec.CreateOptions(); err != nil {
			return err
		}
	}
	if err := c.endLine(); err != nil {
		return err
	}
	name, err := mailboxName(raw)
	if err != nil {
		return err
	}
	if name, err = trimMailboxName(name); err != nil {
		return err
	}
	if opts != nil && len(opts.SpecialUse) > 0 {
		return c.createSpecialUse(ctx, name, opts)
	}
	return c.sess.Create(ctx, name)
}

func cmdDelete(ctx context.Context, c *conn, tag string, uid bool) error {
	return simpleMailboxCmd(ctx, c, func(ctx context.Context, name string) error {
		if name == "INBOX" {
			return &Error{Type: StatusNO, Code: "CANNOT", Text: "INBOX cannot be deleted"}
		}
		return c.sess.Delete(ctx, name)
	})
}

func cmdSubscribe(ctx context.Context, c *conn, tag string, uid bool) error {
	return simpleMailboxCmd(ctx, c, c.sess.Subscribe)
}

func cmdUnsubscribe(ctx context.Context, c *conn, tag string, uid bool) error {
	return simpleMailboxCmd(ctx, c, c.sess.Unsubscribe)
}

func cmdRename(ctx context.Context, c *conn, tag string, uid bool) error {
	rawFrom, err := c.mailboxArg()
	if err != nil {
		return err
	}
	// Both names fail with the same error, so decoding the new name
	// first does not change which one a client sees.
	to, err := c.lastMailboxArg()
	if err != nil {
		return err
	}
	from, err := mailboxName(rawFrom)
	if err != nil {
		return err
	}
	to = strings.TrimRight(to, "/")
	if to == "" {
		return &Error{Type: StatusNO, Code: "CANNOT", Text: "Invalid mailbox name"}
	}
	return c.sess.Rename(ctx, from, to)
}

func cmdList(ctx context.Context, c *conn, tag string, uid bool) error {
	lsub := strings.EqualFold(c.cmd, "LSUB")
	if les, ok := c.sess.(ListExtendedSession); ok && !lsub {
		return c.listExtended(ctx, les)
	}
	ref, err := c.mailboxArg()
	if err != nil {
		return err
	}
	if err := c.dec.SP(); err != nil {
		return err
	}
	var patterns []string
	if b, _ := c.dec.Peek(); b == '(' && !lsub {
		err = c.dec.List(func() error {
			p, err := c.dec.ListMailbox()
			patterns = append(patterns, p)
			return err
		})
	} else {
		var p string
		p, err = c.dec.ListMailbox()
		patterns = append(patterns, p)
	}
	if err != nil {
		return err
	}
	if err := c.endLine(); err != nil {
		return err
	}
	if ref, err = mailboxName(ref); err != nil && ref != "" {
		return err
	}
	var pats []string
	for _, p := range patterns {
		if p == "" {
			if !lsub {
				c.enc.Raw(`* LIST (\Noselect) "/" ""`).CRLF()
			}
			continue
		}
		d, err := imap.DecodeMailbox(p)
		if err != nil {
			d = p
		}
		pats = append(pats, d)
	}
	if len(pats) == 0 {
		return nil
	}
	return c.sess.List(ctx, &ListWriter{c: c, lsub: lsub}, ref, pats, &ListOptions{SubscribedOnly: lsub})
}

func cmdStatus(ctx context.Context, c *conn, tag string, uid bool) error {
	raw, err := c.mailboxArg()
	if err != nil {
		return err
	}
	if err := c.dec.SP(); err != nil {
		return err
	}
	opts, err := c.dec.StatusItems()
	if err != nil {
		return err
	}
	if err := c.endLine(); err != nil {
		return err
	}
	name, err := mailboxName(raw)
	if err != nil {
		return err
	}
	if opts.HighestModSeq {
		if err := c.needCondStore(ctx); err != nil {
			return err
		}
	}
	d, err := c.sess.Status(ctx, name, opts)
	if err != nil {
		return err
	}
	c.writeStatus(name, opts, d)
	return nil
}

func tryCreate(err error) error {
	if errors.Is(err, ErrNoSuchMailbox) {
		return &Error{Type: StatusNO, Code: "TRYCREATE", Text: "Mailbox does not exist", Err: err}
	}
	return err
}

func cmdAppend(ctx context.Context, c *conn, tag string, uid bool) error {
	if c.maSess != nil {
		return cmdMultiAppend(ctx, c, c.maSess)
	}
	raw, err := c.mailboxArg()
	if err != nil {
		return err
	}
	if err := c.dec.SP(); err != nil {
		return err
	}
	opts := &imap.AppendOptions{}
	if b, _ := c.dec.Peek(); b == '(' {
		flags, err := c.dec.FlagList()
		if err != nil {
			return err
		}
		for _, f := range flags {
			if f == imap.FlagWildcard || imap.CanonicalFlag(f) == imap.FlagRecent {
				return bad("invalid flag in APPEND")
			}
		}
		opts.Flags = normalizeFlags(flags)
		if err := c.dec.SP(); err != nil {
			return err
		}
	}
	if b, _ := c.dec.Peek(); b == '"' {
		s, err := c.dec.Quoted()
		if err != nil {
			return err
		}
		t, perr := time.Parse(imap.DateTimeLayout, s)
		if perr != nil {
			return bad("invalid date-time")
		}
		opts.Time = t
		if err := c.dec.SP(); err != nil {
			return err
		}
	}
	name, nameErr := mailboxName(raw)
	r, size, err := c.dec.Literal()
	if err != nil {
		return err
	}
	if c.dec.LiteralBinary() {
		if r, size, err = readBinaryLiteral(r, size); err != nil {
			return err
		}
	}
	var data *imap.AppendData
	if nameErr == nil {
		data, err = c.sess.Append(ctx, name, r, size, opts)
	} else {
		err = nameErr
	}
	if lerr := c.endLine(); lerr != nil {
		// The line did not end after the literal (e.g. MULTIAPPEND).
		if err == nil {
			c.log.Warn("imapserver: APPEND stored but the command line was malformed", "err", lerr)
		}
		return lerr
	}
	if err != nil {
		return tryCreate(err)
	}
	if data != nil && data.UID != 0 {
		return ok("APPENDUID "+itoa(data.UIDValidity)+" "+itoa(data.UID), "APPEND completed")
	}
	return nil
}

func itoa(n uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

func cmdNamespace(ctx context.Context, c *conn, tag string, uid bool) error {
	if err := c.endLine(); err != nil {
		return err
	}
	data := &NamespaceData{Personal: []NamespaceDescriptor{{Prefix: "", Delim: '/'}}}
	if ns, ok := c.sess.(NamespaceSession); ok {
		d, err := ns.Namespace(ctx)
		if err != nil {
			return err
		}
		data = d
	}
	e := c.enc
	e.Raw("* NAMESPACE")
	for _, l := range [][]NamespaceDescriptor{data.Personal, data.Other, data.Shared} {
		e.SP()
		if len(l) == 0 {
			e.Nil()
			continue
		}
		e.List(len(l), func(i int) {
			e.Byte('(').Mailbox(l[i].Prefix, false).SP()
			if l[i].Delim == 0 {
				e.Nil()
			} else {
				e.Quoted(string(l[i].Delim))
			}
			e.Byte(')')
		})
	}
	e.CRLF()
	return nil
}

func cmdEnable(ctx context.Context, c *conn, tag string, uid bool) error {
	var names []string
	for !c.dec.AtEOL() {
		if err := c.dec.SP(); err != nil {
			return err
		}
		a, err := c.dec.Atom()
		if err != nil {
			return err
		}
		names = append(names, a)
	}
	if len(names) == 0 {
		return bad("ENABLE needs a capability")
	}
	if err := c.endLine(); err != nil {
		return err
	}
	c.enc.Raw("* ENABLED")
	for _, a := range names {
		// CONDSTORE and QRESYNC (RFC 7162 §3.1, §3.2.3) are the
		// capabilities to enable; ENABLED lists each only the first time
		// (RFC 5161 §3.1). QRESYNC enables CONDSTORE too.
		switch {
		case strings.EqualFold(a, "CONDSTORE") && c.csSess != nil && !c.condStore.Load():
			c.condStore.Store(true)
			c.enc.Raw(" CONDSTORE")
		case strings.EqualFold(a, "QRESYNC") && c.qrSess != nil && !c.qresync.Load():
			c.qresync.Store(true)
			c.condStore.Store(true)
			c.enc.Raw(" QRESYNC")
		}
	}
	c.enc.CRLF()
	return nil
}

func cmdIdle(ctx context.Context, c *conn, tag string, uid bool) error {
	if err := c.endLine(); err != nil {
		return err
	}
	c.enc.Raw("+ idling").CRLF()
	if err := c.enc.Flush(); err != nil {
		return err
	}
	idleCtx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	stop := make(chan struct{})
	errc := make(chan error, 1)
	// The deadline before the flag, the flag before the check: a Shutdown
	// either sees the flag (and its past deadline is not overwritten) or
	// is seen here; it interrupts only once.
	_ = c.nc.SetReadDeadline(time.Now().Add(c.lim.IdleTimeout))
	c.idling.Store(true)
	if c.srv.ns.Closed() {
		c.idling.Store(false)
		c.bye("Server shutting down")
		c.state = stateLogout
		return errReplied
	}
	if c.state == stateSelected {
		go func() { errc <- c.sess.Idle(idleCtx, &UpdateWriter{c: c}, stop) }()
	} else {
		go func() { <-stop; errc <- nil }()
	}
	word, rerr := c.dec.Atom()
	if rerr == nil {
		rerr = c.dec.CRLF()
	}
	close(stop)
	cancel()
	ierr := <-errc
	c.idling.Store(false)
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.lim.CommandTimeout))
	if rerr != nil {
		if imap.IsFatal(rerr) {
			c.fatal(rerr)
			c.state = stateLogout
			return errReplied
		}
		_ = c.dec.DiscardLine()
		return bad("expected DONE")
	}
	if !strings.EqualFold(word, "DONE") {
		return bad("expected DONE")
	}
	if ierr != nil && !errors.Is(ierr, context.Canceled) {
		return ierr
	}
	return nil
}

func cmdClose(ctx context.Context, c *conn, tag string, uid bool) error {
	if err := c.endLine(); err != nil {
		return err
	}
	if c.cmd == "CLOSE" && !c.readOnly {
		if err := c.sess.Expunge(ctx, nil, nil); err != nil {
			return err
		}
	}
	c.resetSearchRes()
	c.resetContexts()
	if err := c.sess.Unselect(ctx); err != nil {
		return err
	}
	c.state = stateAuth
	return nil
}

func cmdExpunge(ctx context.Context, c *conn, tag string, uid bool) error {
	var set imap.SeqSet
	if uid {
		if err := c.dec.SP(); err != nil {
			return err
		}
		var err error
		if set, err = c.dec.SeqSet(); err != nil {
			return err
		}
	}
	if err := c.endLine(); err != nil {
		return err
	}
	if c.readOnly {
		return ErrReadOnly
	}
	if uid {
		var none bool
		if _, set, none = c.savedSet(uid, set); none {
			return nil // never nil below: that would expunge every \Deleted
		}
	}
	return c.sess.Expunge(ctx, &UpdateWriter{c: c, uid: uid}, set)
}

func kindOf(uid bool) imap.NumKind {
	if uid {
		return imap.NumUID
	}
	return imap.NumSeq
}

// searchReturn holds the RETURN options of an extended SEARCH (RFC 4731).
type searchReturn struct {
	min, max, all, count bool
	save                 bool          // SAVE (RFC 5182, searchres.go)
	update               bool          // UPDATE (RFC 5267 §4, context.go)
	partial              *partialRange // PARTIAL (RFC 5267 §4.4, context.go)
}

// readSearchReturn reads "RETURN (options) " if it comes next; ok reports
// whether it did.
func (c *conn) readSearchReturn() (ret searchReturn, ok bool, err error) {
	if !c.dec.HasPrefixFold("RETURN ") {
		return ret, false, nil
	}
	if _, err := c.dec.Atom(); err != nil {
		return ret, false, err
	}
	if err := c.dec.SP(); err != nil {
		return ret, false, err
	}
	err = c.dec.List(func() error {
		a, err := c.dec.Atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(a) {
		case "MIN":
			ret.min = true
		case "MAX":
			ret.max = true
		case "ALL":
			ret.all = true
		case "COUNT":
			ret.count = true
		case "SAVE":
			ret.save = true
		default:
			if ok, err := c.readContextReturn(&ret, a); ok || err != nil {
				return err
			}
			return bad("unknown SEARCH RETURN option " + sanitize(a))
		}
		return nil
	})
	if err != nil {
		return ret, false, err
	}
	if !ret.min && !ret.max && !ret.count && !ret.save && !ret.update && ret.partial == nil {
		ret.all = true // RETURN () means ALL (RFC 4731 §3.1)
	}
	if ret.update && ret.partial != nil {
		return ret, false, errUpdatePartial
	}
	return ret, true, c.dec.SP()
}

func cmdSearch(ctx context.Context, c *conn, tag string, uid bool) (err error) {
	if err := c.dec.SP(); err != nil {
		return err
	}
	ret, esearch, err := c.readSearchReturn()
	if err != nil {
		return err
	}
	prev := c.searchRes
	if ret.save {
		defer func() { c.saveFailed(err) }()
	}
	crit, charset, err := c.dec.SearchCriteria()
	if err != nil {
		return err
	}
	if err := c.endLine(); err != nil {
		return err
	}
	c.savedCriteria(crit, prev)
	if charset != "" && !supportedCharset(charset) {
		return errBadCharset
	}
	var nums []uint32
	var modseq uint64
	if crit.HasModSeq() {
		// RFC 7162 §3.1.5: the reply carries the highest mod-sequence.
		if err := c.needCondStore(ctx); err != nil {
			return err
		}
		var modseqs []uint64
		nums, modseqs, err = c.csSess.SearchModSeq(ctx, kindOf(uid), crit)
		if err != nil {
			return err
		}
		if len(modseqs) != len(nums) {
			return errors.New("imapserver: SearchModSeq returned mismatched slices")
		}
		if esearch {
			modseq = searchModSeq(&ret, nums, modseqs)
		} else {
			modseq = searchModSeq(nil, nums, modseqs)
		}
	} else {
		nums, err = c.sess.Search(ctx, kindOf(uid), crit)
		if err != nil {
			return err
		}
	}
	if ret.update {
		if err := c.addContext(tag, uid, nil, crit, nums); err != nil {
			return err
		}
	}
	if ret.save {
		if err := c.saveSearch(ctx, kindOf(uid), ret, nums); err != nil {
			return err
		}
	}
	if esearch {
		if !ret.saveOnly() {
			c.writeESearchModSeq(tag, uid, ret, nums, false, modseq)
		}
		return nil
	}
	c.enc.Raw("* SEARCH")
	for _, n := range nums {
		c.enc.SP().Number(n)
	}
	if modseq != 0 {
		c.enc.Raw(" (MODSEQ ").Number64(int64(modseq)).Raw(")")
	}
	c.enc.CRLF()
	return nil
}

func cmdFetch(ctx context.Context, c *conn, tag string, uid bool) error {
	set, err := arg(c, c.dec.SeqSet)
	if err != nil {
		return err
	}
	opts, err := arg(c, c.dec.FetchOptions)
	if err != nil {
		return err
	}
	if !c.dec.AtEOL() {
		// fetch-modifiers (RFC 4466 §2.4): (CHANGEDSINCE n).
		if err := c.dec.SP(); err != nil {
			return err
		}
		if err := c.dec.FetchModifiers(opts); err != nil {
			return err
		}
	}
	if err := c.endLine(); err != nil {
		return err
	}
	kind, set, none := c.savedSet(uid, set)
	if none {
		return nil
	}
	if opts.ModSeq {
		if err := c.needCondStore(ctx); err != nil {
			return err
		}
	}
	if opts.Vanished {
		// RFC 7162 §3.2.6: UID FETCH only, with CHANGEDSINCE, after
		// ENABLE QRESYNC.
		if !uid || opts.ChangedSince == 0 || c.qrSess == nil || !c.qresync.Load() {
			return bad("VANISHED needs UID FETCH with CHANGEDSINCE and QRESYNC enabled")
		}
		v, err := c.qrSess.Vanished(ctx, opts.ChangedSince, set)
		if err != nil {
			return err
		}
		c.writeVanished(true, v)
	}
	if uid {
		opts.UID = true
	}
	if c.readOnly {
		for _, s := range opts.Sections {
			s.Peek = true
		}
	}
	if c.csSess != nil && c.condStore.Load() && opts.SetsSeen() {
		// The \Seen this FETCH may set is a flag change: its reply
		// carries the new MODSEQ as other flag changes do (RFC 7162
		// §3.1.12).
		opts.ModSeq = true
	}
	return c.sess.Fetch(ctx, &FetchWriter{c: c, uid: uid}, kind, set, opts)
}

func cmdStore(ctx context.Context, c *conn, tag string, uid bool) error {
	set, err := arg(c, c.dec.SeqSet)
	if err != nil {
		return err
	}
	if err := c.dec.SP(); err != nil {
		return err
	}
	sf := &imap.StoreFlags{}
	if b, _ := c.dec.Peek(); b == '(' {
		// store-modifiers (RFC 4466 §2.5): (UNCHANGEDSINCE n).
		if err := c.dec.StoreModifiers(sf); err != nil {
			return err
		}
		if err := c.dec.SP(); err != nil {
			return err
		}
	}
	item, err := c.dec.Atom()
	if err != nil {
		return err
	}
	u := strings.ToUpper(item)
	switch {
	case strings.HasPrefix(u, "+"):
		sf.Action = imap.StoreAdd
		u = u[1:]
	case strings.HasPrefix(u, "-"):
		sf.Action = imap.StoreRemove
		u = u[1:]
	}
	switch u {
	case "FLAGS":
	case "FLAGS.SILENT":
		sf.Silent = true
	default:
		return bad("unknown STORE item " + sanitize(item))
	}
	if err := c.dec.SP(); err != nil {
		return err
	}
	if b, _ := c.dec.Peek(); b == '(' {
		if sf.Flags, err = c.dec.FlagList(); err != nil {
			return err
		}
	} else {
		for {
			f, err := c.dec.Flag(false)
			if err != nil {
				return err
			}
			sf.Flags = append(sf.Flags, f)
			if c.dec.AtEOL() {
				break
			}
			if err := c.dec.SP(); err != nil {
				return err
			}
		}
	}
	if err := c.endLine(); err != nil {
		return err
	}
	for _, f := range sf.Flags {
		if f == imap.FlagWildcard || imap.CanonicalFlag(f) == imap.FlagRecent {
			return bad("invalid flag in STORE")
		}
	}
	sf.Flags = normalizeFlags(sf.Flags)
	if sf.UnchangedSince != nil {
		if err := c.needCondStore(ctx); err != nil {
			return err
		}
	}
	if c.readOnly {
		return ErrReadOnly
	}
	kind, set, none := c.savedSet(uid, set)
	if none {
		return nil
	}
	w := &FetchWriter{c: c, uid: uid, silent: sf.Silent}
	if sf.UnchangedSince == nil {
		return c.sess.Store(ctx, w, kind, set, sf)
	}
	modified, err := c.csSess.StoreUnchangedSince(ctx, w, kind, set, sf)
	if err != nil {
		return err
	}
	if kind != kindOf(uid) {
		if modified, err = c.seqsOfUIDs(ctx, modified); err != nil {
			return err
		}
	}
	if len(modified) > 0 {
		// RFC 7162 §3.1.3: OK [MODIFIED set] lists the messages that
		// failed the condition.
		return ok("MODIFIED "+imap.SeqSetOf(modified...).String(), "Conditional STORE failed")
	}
	return nil
}

func cmdCopy(ctx context.Context, c *conn, tag string, uid bool) error {
	move := c.cmd == "MOVE"
	set, err := arg(c, c.dec.SeqSet)
	if err != nil {
		return err
	}
	dest, err := c.lastMailboxArg()
	if err != nil {
		return err
	}
	kind, set, none := c.savedSet(uid, set)
	var data *imap.CopyData
	if move {
		ms, ok := c.sess.(MoveSession)
		if !ok {
			return bad("MOVE not supported")
		}
		if c.readOnly {
			return ErrReadOnly
		}
		if none {
			return nil
		}
		if err := ms.Move(ctx, &MoveWriter{UpdateWriter{c: c, uid: uid}}, kind, set, dest); err != nil {
			return tryCreate(err)
		}
		return nil
	} else if none {
		return nil
	} else {
		data, err = c.sess.Copy(ctx, kind, set, dest)
	}
	if err != nil {
		return tryCreate(err)
	}
	if data != nil && len(data.SourceUIDs) > 0 {
		return ok("COPYUID "+itoa(data.UIDValidity)+" "+data.SourceUIDs.String()+" "+data.DestUIDs.String(), "")
	}
	return nil
}

// writeESearch writes "* ESEARCH (TAG ...) [UID] results" (RFC 4731).
// For a SORT RETURN (RFC 5267 §3, ordered), nums are in sort order: MIN
// and MAX are the first and last of them and ALL keeps their order.
func (c *conn) writeESearch(tag string, uid bool, ret searchReturn, nums []uint32, ordered bool) {
	c.writeESearchModSeq(tag, uid, ret, nums, ordered, 0)
}

// writeESearchModSeq is writeESearch with the MODSEQ result (RFC 7162
// §3.1.10) when modseq is not 0.
func (c *conn) writeESearchModSeq(tag string, uid bool, ret searchReturn, nums []uint32, ordered bool, modseq uint64) {
	e := c.enc
	e.Raw("* ESEARCH (TAG ").Quoted(tag).Raw(")")
	if uid {
		e.Raw(" UID")
	}
	if len(nums) > 0 {
		lo, hi := nums[0], nums[len(nums)-1]
		if !ordered {
			lo, hi = slices.Min(nums), slices.Max(nums)
		}
		if ret.min {
			e.Raw(" MIN ").Number(lo)
		}
		if ret.max {
			e.Raw(" MAX ").Number(hi)
		}
		if ret.all {
			all := nums
			if !ordered {
				all = slices.Compact(slices.Sorted(slices.Values(nums)))
			}
			e.Raw(" ALL ").Raw(imap.SeqSetOf(all...).String())
		}
	}
	if ret.count {
		e.Raw(" COUNT ").Number(uint32(len(nums)))
	}
	if ret.partial != nil {
		c.writePartial(ret.partial, nums, ordered)
	}
	if modseq != 0 {
		e.Raw(" MODSEQ ").Number64(int64(modseq))
	}
	e.CRLF()
}
