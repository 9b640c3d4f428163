package imapclient

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/sasl"
)

// StartTLS upgrades the connection (STARTTLS) and refreshes the
// capabilities. Anything the server sent after its OK is discarded
// rather than read as TLS data (CVE-2011-0411).
func (c *Client) StartTLS(ctx context.Context, cfg *tls.Config) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isTLS {
		return fmt.Errorf("imapclient: already using TLS")
	}
	if err := c.executeLocked(ctx, &command{}, "STARTTLS", nil); err != nil {
		return err
	}
	if c.br.Buffered() > 0 {
		_, _ = c.br.Discard(c.br.Buffered())
		c.logger().Warn("imapclient: discarded data sent before the TLS handshake")
	}
	tc := tls.Client(c.conn, cfg)
	stop := c.watch(ctx)
	err := tc.HandshakeContext(ctx)
	stop()
	if err != nil {
		c.closed = true
		c.conn.Close()
		return fmt.Errorf("imapclient: TLS handshake: %w", err)
	}
	c.conn = tc
	c.isTLS = true
	c.caps = nil
	c.setStreams(tc)
	return c.executeLocked(ctx, &command{}, "CAPABILITY", nil)
}

// Capability asks for the capabilities.
func (c *Client) Capability(ctx context.Context) (map[string]bool, error) {
	if err := c.execute(ctx, &command{}, "CAPABILITY", nil); err != nil {
		return nil, err
	}
	return c.Caps(), nil
}

// Noop sends NOOP (updates go to Options.OnUpdate).
func (c *Client) Noop(ctx context.Context) error { return c.execute(ctx, &command{}, "NOOP", nil) }

// Logout sends LOGOUT and closes the connection.
func (c *Client) Logout(ctx context.Context) error {
	err := c.execute(ctx, &command{}, "LOGOUT", nil)
	c.mu.Lock()
	c.closed = true
	cerr := c.conn.Close()
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return cerr
}

func (c *Client) refreshCaps(ctx context.Context, code string) error {
	if strings.HasPrefix(strings.ToUpper(code), "CAPABILITY ") {
		return nil
	}
	return c.execute(ctx, &command{}, "CAPABILITY", nil)
}

// Login sends LOGIN.
func (c *Client) Login(ctx context.Context, username, password string) error {
	cmd := &command{}
	err := c.execute(ctx, cmd, "LOGIN", func(e *imap.Encoder) { e.SP().AString(username).SP().AString(password) })
	if err != nil {
		return err
	}
	return c.refreshCaps(ctx, cmd.okCode)
}

// Authenticate runs AUTHENTICATE with a SASL client, sending the initial
// response on the command line when the server supports SASL-IR.
func (c *Client) Authenticate(ctx context.Context, sc sasl.Client) error {
	mech, ir, err := sc.Start()
	if err != nil {
		return err
	}
	c.mu.Lock()
	saslIR := c.caps["SASL-IR"]
	c.mu.Unlock()
	irPending := ir != nil && !saslIR
	cmd := &command{}
	cmd.onContinue = func(text string) error {
		var resp []byte
		if irPending {
			irPending = false
			resp = ir
		} else {
			ch, err := base64.StdEncoding.DecodeString(text)
			if err != nil {
				return fmt.Errorf("%w: bad challenge", ErrProtocol)
			}
			if resp, err = sc.Next(ch); err != nil {
				c.enc.Raw("*").CRLF()
				_ = c.enc.Flush()
				return nil
			}
		}
		c.enc.Raw(base64.StdEncoding.EncodeToString(resp)).CRLF()
		return c.enc.Flush()
	}
	err = c.execute(ctx, cmd, "AUTHENTICATE", func(e *imap.Encoder) {
		e.SP().Atom(mech)
		if ir != nil && saslIR {
			if len(ir) == 0 {
				e.Raw(" =")
			} else {
				e.SP().Raw(base64.StdEncoding.EncodeToString(ir))
			}
		}
	})
	if err != nil {
		return err
	}
	return c.refreshCaps(ctx, cmd.okCode)
}

func parseCodeNum(code, name string) (uint32, bool) {
	n, args, _ := strings.Cut(code, " ")
	if !strings.EqualFold(n, name) {
		return 0, false
	}
	v, err := strconv.ParseUint(strings.TrimSpace(args), 10, 32)
	return uint32(v), err == nil
}

func flagsFromValue(v imap.Value) []imap.Flag {
	l, _ := v.([]imap.Value)
	out := make([]imap.Flag, 0, len(l))
	for _, x := range l {
		if a, ok := x.(imap.Atom); ok {
			out = append(out, imap.CanonicalFlag(imap.Flag(a)))
		}
	}
	return out
}

// Select opens a mailbox (EXAMINE when opts.ReadOnly).
func (c *Client) Select(ctx context.Context, mailbox string, opts *imap.SelectOptions) (*imap.SelectData, error) {
	name := "SELECT"
	if opts != nil && opts.ReadOnly {
		name = "EXAMINE"
	}
	data := &imap.SelectData{}
	cmd := &command{}
	cmd.onUntagged = func(n string, num uint32, vals []imap.Value) bool {
		switch n {
		case "EXISTS":
			data.NumMessages = num
		case "RECENT":
			data.NumRecent = num
		case "FLAGS":
			if len(vals) > 0 {
				data.Flags = flagsFromValue(vals[0])
			}
		default:
			return false
		}
		return true
	}
	cmd.onCode = func(code string) {
		if n, ok := parseCodeNum(code, "UNSEEN"); ok {
			data.FirstUnseen = n
		} else if n, ok := parseCodeNum(code, "UIDVALIDITY"); ok {
			data.UIDValidity = n
		} else if n, ok := parseCodeNum(code, "UIDNEXT"); ok {
			data.UIDNext = n
		} else if strings.EqualFold(code, "READ-ONLY") {
			data.ReadOnly = true
		} else if n, args, _ := strings.Cut(code, " "); strings.EqualFold(n, "HIGHESTMODSEQ") {
			data.HighestModSeq, _ = parseModSeq(imap.Atom(strings.TrimSpace(args)))
		} else if n, args, _ := strings.Cut(code, " "); strings.EqualFold(n, "PERMANENTFLAGS") {
			d := imap.NewDecoder(bufioString(args), nil)
			if v, err := d.ReadValue(); err == nil {
				data.PermanentFlags = flagsFromValue(v)
			}
		}
	}
	err := c.execute(ctx, cmd, name, func(e *imap.Encoder) {
		e.SP().Mailbox(mailbox, false)
		switch {
		case opts != nil && opts.QResync != nil:
			// RFC 7162 §3.2.5: VANISHED (EARLIER) and FETCH replies go to
			// Options.OnUpdate.
			e.Raw(" (" + opts.QResync.String() + ")")
		case opts != nil && opts.CondStore:
			e.Raw(" (CONDSTORE)")
		}
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}

func (c *Client) mailboxCmd(ctx context.Context, name string, mailboxes ...string) error {
	return c.execute(ctx, &command{}, name, func(e *imap.Encoder) {
		for _, m := range mailboxes {
			e.SP().Mailbox(m, false)
		}
	})
}

// Create creates a mailbox.
func (c *Client) Create(ctx context.Context, mailbox string) error {
	return c.mailboxCmd(ctx, "CREATE", mailbox)
}

// Delete deletes a mailbox.
func (c *Client) Delete(ctx context.Context, mailbox string) error {
	return c.mailboxCmd(ctx, "DELETE", mailbox)
}

// Rename renames a mailbox.
func (c *Client) Rename(ctx context.Context, from, to string) error {
	return c.mailboxCmd(ctx, "RENAME", from, to)
}

// Subscribe adds a mailbox to the subscriptions.
func (c *Client) Subscribe(ctx context.Context, mailbox string) error {
	return c.mailboxCmd(ctx, "SUBSCRIBE", mailbox)
}

// Unsubscribe removes a mailbox from the subscriptions.
func (c *Client) Unsubscribe(ctx context.Context, mailbox string) error {
	return c.mailboxCmd(ctx, "UNSUBSCRIBE", mailbox)
}

func listDataFromValues(vals []imap.Value) (*imap.ListData, bool) {
	if len(vals) < 3 {
		return nil, false
	}
	d := &imap.ListData{}
	attrs, _ := vals[0].([]imap.Value)
	for _, a := range attrs {
		if s, ok := a.(imap.Atom); ok {
			d.Attrs = append(d.Attrs, imap.MailboxAttr(s))
		}
	}
	if s, ok := vals[1].(string); ok && s != "" {
		d.Delim = rune(s[0])
	}
	var raw string
	switch x := vals[2].(type) {
	case string:
		raw = x
	case imap.Atom:
		raw = string(x)
	default:
		return nil, false
	}
	if name, err := imap.DecodeMailbox(raw); err == nil {
		d.Mailbox = name
	} else {
		d.Mailbox = raw
	}
	return d, true
}

func (c *Client) list(ctx context.Context, name, ref, pattern string) ([]*imap.ListData, error) {
	var out []*imap.ListData
	cmd := &command{}
	cmd.onUntagged = func(n string, _ uint32, vals []imap.Value) bool {
		if n != name {
			return false
		}
		if d, ok := listDataFromValues(vals); ok {
			if len(out) >= c.maxResponses() {
				cmd.err = errTooManyResponses
				return true
			}
			out = append(out, d)
		}
		return true
	}
	err := c.execute(ctx, cmd, name, func(e *imap.Encoder) {
		e.SP().String(imap.EncodeMailbox(ref)).SP().String(imap.EncodeMailbox(pattern))
	})
	return out, err
}

// List lists the mailboxes matching pattern (with * and % wildcards).
func (c *Client) List(ctx context.Context, ref, pattern string) ([]*imap.ListData, error) {
	return c.list(ctx, "LIST", ref, pattern)
}

// Lsub lists subscribed mailboxes.
func (c *Client) Lsub(ctx context.Context, ref, pattern string) ([]*imap.ListData, error) {
	return c.list(ctx, "LSUB", ref, pattern)
}

// Status asks for the status of a mailbox.
func (c *Client) Status(ctx context.Context, mailbox string, opts *imap.StatusOptions) (*imap.StatusData, error) {
	items := opts.Items()
	data := &imap.StatusData{Mailbox: mailbox}
	cmd := &command{}
	cmd.onUntagged = func(n string, _ uint32, vals []imap.Value) bool {
		if n != "STATUS" || len(vals) < 2 {
			return false
		}
		l, _ := vals[1].([]imap.Value)
		statusFromValues(data, l)
		return true
	}
	err := c.execute(ctx, cmd, "STATUS", func(e *imap.Encoder) {
		e.SP().Mailbox(mailbox, false).SP().Raw("(" + strings.Join(items, " ") + ")")
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}

// Append stores a message of size bytes read from r.
func (c *Client) Append(ctx context.Context, mailbox string, r io.Reader, size int64, opts *imap.AppendOptions) (*imap.AppendData, error) {
	// One message of AppendMulti is a plain APPEND; it also gives up the
	// connection at once when r fails before size octets were read,
	// instead of leaving the server waiting for the rest of the literal.
	md, err := c.AppendMulti(ctx, mailbox, []AppendMessage{{Body: r, Size: size, Options: opts}})
	if err != nil {
		return nil, err
	}
	data := &imap.AppendData{UIDValidity: md.UIDValidity}
	if len(md.UIDs) == 1 {
		data.UID = md.UIDs[0]
	}
	return data, nil
}

// Check sends CHECK.
func (c *Client) Check(ctx context.Context) error { return c.execute(ctx, &command{}, "CHECK", nil) }

// CloseMailbox sends CLOSE (expunging \Deleted messages silently).
func (c *Client) CloseMailbox(ctx context.Context) error {
	return c.execute(ctx, &command{}, "CLOSE", nil)
}

// Unselect sends UNSELECT.
func (c *Client) Unselect(ctx context.Context) error {
	return c.execute(ctx, &command{}, "UNSELECT", nil)
}

func (c *Client) expunge(ctx context.Context, name string, write func(e *imap.Encoder)) ([]uint32, error) {
	var seqs []uint32
	cmd := &command{}
	cmd.onUntagged = func(n string, num uint32, _ []imap.Value) bool {
		if n != "EXPUNGE" {
			return false
		}
		if len(seqs) >= c.maxResponses() {
			cmd.err = errTooManyResponses
			return true
		}
		seqs = append(seqs, num)
		c.update(&Update{Name: n, Num: num})
		return true
	}
	err := c.execute(ctx, cmd, name, write)
	return seqs, err
}

// Expunge sends EXPUNGE and returns the sequence numbers of the EXPUNGE
// responses in order (they are also passed to Options.OnUpdate).
func (c *Client) Expunge(ctx context.Context) ([]uint32, error) {
	return c.expunge(ctx, "EXPUNGE", nil)
}

// UIDExpunge sends UID EXPUNGE (RFC 4315).
func (c *Client) UIDExpunge(ctx context.Context, uids imap.SeqSet) ([]uint32, error) {
	return c.expunge(ctx, "UID EXPUNGE", func(e *imap.Encoder) { e.SP().Raw(uids.String()) })
}

func (c *Client) search(ctx context.Context, name string, crit *imap.SearchCriteria) ([]uint32, error) {
	out, _, err := c.searchModSeq(ctx, name, crit)
	return out, err
}

// searchModSeq runs SEARCH and returns the numbers and the "(MODSEQ n)"
// that ends the reply when the criteria use MODSEQ (RFC 7162 §3.1.5).
func (c *Client) searchModSeq(ctx context.Context, name string, crit *imap.SearchCriteria) ([]uint32, uint64, error) {
	var out []uint32
	var modseq uint64
	cmd := &command{}
	cmd.onUntagged = func(n string, _ uint32, vals []imap.Value) bool {
		if n != "SEARCH" {
			return false
		}
		for _, v := range vals {
			if l, ok := v.([]imap.Value); ok {
				if len(l) == 2 && strings.EqualFold(fmt.Sprint(l[0]), "MODSEQ") {
					modseq, _ = parseModSeq(l[1])
				}
				continue
			}
			out = append(out, uint32(atoi(v)))
		}
		return true
	}
	err := c.execute(ctx, cmd, name, func(e *imap.Encoder) { e.SP().Raw(searchString(crit)) })
	return out, modseq, err
}

func searchString(crit *imap.SearchCriteria) string {
	if crit == nil {
		return "ALL"
	}
	return crit.String()
}

// Search returns the sequence numbers of the matching messages.
func (c *Client) Search(ctx context.Context, crit *imap.SearchCriteria) ([]uint32, error) {
	return c.search(ctx, "SEARCH", crit)
}

// UIDSearch returns the UIDs of the matching messages.
func (c *Client) UIDSearch(ctx context.Context, crit *imap.SearchCriteria) ([]uint32, error) {
	return c.search(ctx, "UID SEARCH", crit)
}

func (c *Client) store(ctx context.Context, name string, set imap.SeqSet, sf *imap.StoreFlags) ([]*FetchMessage, error) {
	var out []*FetchMessage
	cmd := &command{onFetch: func(m *FetchMessage) error {
		if len(out) >= c.maxResponses() {
			return errTooManyResponses
		}
		out = append(out, m)
		return nil
	}}
	item := "FLAGS"
	switch sf.Action {
	case imap.StoreAdd:
		item = "+FLAGS"
	case imap.StoreRemove:
		item = "-FLAGS"
	}
	if sf.Silent {
		item += ".SILENT"
	}
	var modified imap.SeqSet
	if sf.UnchangedSince != nil {
		cmd.onCode = func(code string) {
			if n, args, _ := strings.Cut(code, " "); strings.EqualFold(n, "MODIFIED") {
				modified, _ = imap.ParseSeqSet(strings.TrimSpace(args))
			}
		}
	}
	err := c.execute(ctx, cmd, name, func(e *imap.Encoder) {
		e.SP().Raw(set.String()).SP()
		if sf.UnchangedSince != nil {
			e.Raw("(UNCHANGEDSINCE ").Number64(int64(*sf.UnchangedSince)).Raw(") ")
		}
		e.Raw(item).SP().Flags(sf.Flags)
	})
	if err == nil && len(modified) > 0 {
		err = &ModifiedError{Modified: modified}
	}
	return out, err
}

// Store changes flags and returns the FETCH responses with the new flags.
// With sf.UnchangedSince (CONDSTORE, RFC 7162 §3.1.3) the messages
// changed since are left alone and reported by a [*ModifiedError].
func (c *Client) Store(ctx context.Context, set imap.SeqSet, sf *imap.StoreFlags) ([]*FetchMessage, error) {
	return c.store(ctx, "STORE", set, sf)
}

// UIDStore is Store with UIDs.
func (c *Client) UIDStore(ctx context.Context, set imap.SeqSet, sf *imap.StoreFlags) ([]*FetchMessage, error) {
	return c.store(ctx, "UID STORE", set, sf)
}

func (c *Client) copyMove(ctx context.Context, name string, set imap.SeqSet, dest string) (*imap.CopyData, error) {
	data := &imap.CopyData{}
	cmd := &command{}
	cmd.onCode = func(code string) {
		n, args, _ := strings.Cut(code, " ")
		if !strings.EqualFold(n, "COPYUID") {
			return
		}
		f := strings.Fields(args)
		if len(f) != 3 {
			return
		}
		v, _ := strconv.ParseUint(f[0], 10, 32)
		data.UIDValidity = uint32(v)
		data.SourceUIDs, _ = imap.ParseSeqSet(f[1])
		data.DestUIDs, _ = imap.ParseSeqSet(f[2])
	}
	if strings.HasSuffix(name, "MOVE") {
		cmd.onUntagged = func(n string, num uint32, _ []imap.Value) bool {
			if n == "EXPUNGE" {
				c.update(&Update{Name: n, Num: num})
				return true
			}
			return false
		}
	}
	err := c.execute(ctx, cmd, name, func(e *imap.Encoder) { e.SP().Raw(set.String()).SP().Mailbox(dest, false) })
	if err != nil {
		return nil, err
	}
	return data, nil
}

// Copy copies messages to dest.
func (c *Client) Copy(ctx context.Context, set imap.SeqSet, dest string) (*imap.CopyData, error) {
	return c.copyMove(ctx, "COPY", set, dest)
}

// UIDCopy is Copy with UIDs.
func (c *Client) UIDCopy(ctx context.Context, set imap.SeqSet, dest string) (*imap.CopyData, error) {
	return c.copyMove(ctx, "UID COPY", set, dest)
}

// Move moves messages to dest (RFC 6851); the EXPUNGE responses go to
// Options.OnUpdate.
func (c *Client) Move(ctx context.Context, set imap.SeqSet, dest string) (*imap.CopyData, error) {
	return c.copyMove(ctx, "MOVE", set, dest)
}

// UIDMove is Move with UIDs.
func (c *Client) UIDMove(ctx context.Context, set imap.SeqSet, dest string) (*imap.CopyData, error) {
	return c.copyMove(ctx, "UID MOVE", set, dest)
}

// IdleCommand is a running IDLE; updates go to Options.OnUpdate. Other
// commands wait until Done.
type IdleCommand struct {
	c    *Client
	cmd  *command
	done chan error
}

// Idle starts IDLE (RFC 2177) and returns once the server accepted it.
// Call Done to end it. ctx bounds the start only; the IDLE itself lasts
// until Done.
func (c *Client) Idle(ctx context.Context) (*IdleCommand, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	stop := c.watch(ctx)
	c.tag++
	cmd := &command{tag: "T" + strconv.Itoa(c.tag)}
	c.cur = cmd
	started := false
	cmd.onContinue = func(string) error { started = true; return nil }
	c.enc.Raw(cmd.tag).Raw(" IDLE").CRLF()
	err := c.enc.Flush()
	for err == nil && !started && cmd.status == nil && cmd.okCode == "" {
		err = c.readResponse(cmd)
	}
	stop()
	if err == nil && !started {
		if cmd.status != nil {
			err = cmd.status
		} else {
			err = fmt.Errorf("%w: IDLE ended at once", ErrProtocol)
		}
	}
	if err != nil {
		c.cur = nil
		c.mu.Unlock()
		return nil, c.fail(ctx, err)
	}
	_ = c.conn.SetDeadline(time.Time{})
	ic := &IdleCommand{c: c, cmd: cmd, done: make(chan error, 1)}
	cmd.onContinue = nil
	go func() {
		var err error
		for err == nil && cmd.status == nil && cmd.okCode == "" {
			err = c.readResponse(cmd)
		}
		if err == nil && cmd.status != nil {
			err = cmd.status
		}
		ic.done <- err
	}()
	return ic, nil
}

// Done ends the IDLE and waits for the server's reply.
func (ic *IdleCommand) Done(ctx context.Context) error {
	c := ic.c
	defer c.mu.Unlock()
	defer func() { c.cur = nil }()
	stop := c.watch(ctx)
	defer stop()
	c.enc.Raw("DONE").CRLF()
	if err := c.enc.Flush(); err != nil {
		<-ic.done
		return c.fail(ctx, err)
	}
	select {
	case err := <-ic.done:
		if err != nil {
			return c.fail(ctx, err)
		}
		return nil
	case <-ctx.Done():
		_ = c.conn.SetDeadline(time.Now())
		<-ic.done
		c.closed = true
		c.conn.Close()
		return ctx.Err()
	}
}
