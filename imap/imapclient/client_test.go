package imapclient_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/tlsutil"
)

type env struct {
	be       *imapmem.Backend
	ca       *tlsutil.CA
	addr     string // plain + STARTTLS
	tlsAddr  string // implicit TLS
	srv      *imapserver.Server
	clientTL *imapclient.Options
}

func newEnv(t *testing.T, configure func(*imapserver.Server, *imapmem.Backend)) *env {
	t.Helper()
	ca, err := tlsutil.NewCA(nil)
	require.NoError(t, err)
	cfg, err := ca.ServerConfig("localhost", "127.0.0.1")
	require.NoError(t, err)
	be := imapmem.New()
	require.NoError(t, be.AddUser("alice", "secret"))
	srv := &imapserver.Server{Backend: be, TLSConfig: cfg}
	if configure != nil {
		configure(srv, be)
	}
	ctx := context.Background()
	l, err := tlsutil.Listen(ctx, "tcp", "127.0.0.1:0", tlsutil.ModeStartTLS, cfg)
	require.NoError(t, err)
	lt, err := tlsutil.Listen(ctx, "tcp", "127.0.0.1:0", tlsutil.ModeImplicit, cfg)
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	go func() { _ = srv.Serve(lt) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return &env{be: be, ca: ca, addr: l.Addr().String(), tlsAddr: lt.Addr().String(), srv: srv,
		clientTL: &imapclient.Options{TLSConfig: ca.ClientConfig("localhost")}}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (e *env) dial(t *testing.T, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	o := *e.clientTL
	if opts != nil {
		o.OnUpdate = opts.OnUpdate
	}
	c, err := imapclient.DialStartTLS(ctxT(t), e.addr, &o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Login(ctxT(t), "alice", "secret"))
	return c
}

const msg1 = "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: first\r\nDate: Mon, 2 Jan 2006 15:04:05 +0000\r\nMessage-Id: <1@example.test>\r\n\r\nHello Bob.\r\n"

const msg2 = "From: carol@example.test\r\nTo: alice@example.test\r\nSubject: second\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\npart one\r\n--XX\r\nContent-Type: text/html\r\n\r\n<p>two</p>\r\n--XX--\r\n"

func appendMsg(t *testing.T, c *imapclient.Client, mbox, m string, flags ...imap.Flag) *imap.AppendData {
	t.Helper()
	d, err := c.Append(ctxT(t), mbox, strings.NewReader(m), int64(len(m)), &imap.AppendOptions{Flags: flags})
	require.NoError(t, err)
	return d
}

func TestDialModes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	t.Run("plain refuses LOGIN", func(t *testing.T) {
		c, err := imapclient.Dial(ctxT(t), e.addr, nil)
		require.NoError(t, err)
		defer c.Close()
		assert.True(t, c.Has("LOGINDISABLED"))
		assert.True(t, c.Has("STARTTLS"))
		err = c.Login(ctxT(t), "alice", "secret")
		var se *imapclient.StatusError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, "NO", se.Type)
		assert.Equal(t, "PRIVACYREQUIRED", se.Code)
	})
	t.Run("starttls", func(t *testing.T) {
		c, err := imapclient.DialStartTLS(ctxT(t), e.addr, e.clientTL)
		require.NoError(t, err)
		defer c.Close()
		assert.False(t, c.Has("STARTTLS"))
		assert.False(t, c.Has("LOGINDISABLED"))
		assert.True(t, c.Has("AUTH=PLAIN"))
		require.NoError(t, c.Login(ctxT(t), "alice", "secret"))
		require.NoError(t, c.Logout(ctxT(t)))
	})
	t.Run("implicit tls", func(t *testing.T) {
		c, err := imapclient.DialTLS(ctxT(t), e.tlsAddr, e.clientTL)
		require.NoError(t, err)
		defer c.Close()
		assert.False(t, c.Has("STARTTLS"))
		require.NoError(t, c.Authenticate(ctxT(t), sasl.NewPlainClient("", "alice", "secret")))
		require.NoError(t, c.Noop(ctxT(t)))
	})
	t.Run("wrong password", func(t *testing.T) {
		c, err := imapclient.DialTLS(ctxT(t), e.tlsAddr, e.clientTL)
		require.NoError(t, err)
		defer c.Close()
		err = c.Login(ctxT(t), "alice", "wrong")
		var se *imapclient.StatusError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, "AUTHENTICATIONFAILED", se.Code)
	})
}

func TestSASLRegistry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(s *imapserver.Server, be *imapmem.Backend) {
		s.SASL = &sasl.Registry{Credentials: be.Credentials(), Enabled: []string{sasl.SCRAMSHA256, sasl.Plain, sasl.CRAMMD5, sasl.Login}}
	})
	clients := map[string]func() sasl.Client{
		"SCRAM-SHA-256": func() sasl.Client { return sasl.NewSCRAMClient(sasl.SCRAMSHA256, "", "alice", "secret", nil) },
		"PLAIN":         func() sasl.Client { return sasl.NewPlainClient("", "alice", "secret") },
		"CRAM-MD5":      func() sasl.Client { return sasl.NewCRAMMD5Client("alice", "secret") },
		"LOGIN":         func() sasl.Client { return sasl.NewLoginClient("alice", "secret") },
	}
	for name, mk := range clients {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := imapclient.DialStartTLS(ctxT(t), e.addr, e.clientTL)
			require.NoError(t, err)
			defer c.Close()
			require.True(t, c.Has("AUTH="+name), c.Caps())
			require.NoError(t, c.Authenticate(ctxT(t), mk()))
			_, err = c.Select(ctxT(t), "INBOX", nil)
			require.NoError(t, err)
		})
	}
	t.Run("bad password", func(t *testing.T) {
		c, err := imapclient.DialStartTLS(ctxT(t), e.addr, e.clientTL)
		require.NoError(t, err)
		defer c.Close()
		err = c.Authenticate(ctxT(t), sasl.NewSCRAMClient(sasl.SCRAMSHA256, "", "alice", "nope", nil))
		require.Error(t, err)
	})
}

func TestAllCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial(t, nil)
	ctx := ctxT(t)

	// Mailboxes.
	require.NoError(t, c.Create(ctx, "Archive/2024"))
	require.NoError(t, c.Create(ctx, "Entwürfe"))
	err := c.Create(ctx, "Archive")
	var se *imapclient.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "ALREADYEXISTS", se.Code)
	list, err := c.List(ctx, "", "*")
	require.NoError(t, err)
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
		assert.Equal(t, '/', l.Delim)
	}
	assert.ElementsMatch(t, []string{"INBOX", "Archive", "Archive/2024", "Entwürfe"}, names)
	list, err = c.List(ctx, "", "%")
	require.NoError(t, err)
	assert.Len(t, list, 3)
	require.NoError(t, c.Rename(ctx, "Archive/2024", "Archive/Old"))
	require.NoError(t, c.Subscribe(ctx, "Archive/Old"))
	sub, err := c.Lsub(ctx, "", "*")
	require.NoError(t, err)
	require.Len(t, sub, 1)
	assert.Equal(t, "Archive/Old", sub[0].Mailbox)
	require.NoError(t, c.Unsubscribe(ctx, "Archive/Old"))
	require.NoError(t, c.Delete(ctx, "Archive/Old"))
	require.NoError(t, c.Delete(ctx, "Entwürfe"))

	// Append + status.
	a1 := appendMsg(t, c, "INBOX", msg1)
	a2 := appendMsg(t, c, "INBOX", msg2, imap.FlagFlagged)
	assert.Equal(t, uint32(1), a1.UID)
	assert.Equal(t, uint32(2), a2.UID)
	assert.Equal(t, a1.UIDValidity, a2.UIDValidity)
	_, err = c.Append(ctx, "Nope", strings.NewReader(msg1), int64(len(msg1)), nil)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "TRYCREATE", se.Code)
	st, err := c.Status(ctx, "INBOX", &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, NumUnseen: true})
	require.NoError(t, err)
	assert.Equal(t, uint32(2), *st.NumMessages)
	assert.Equal(t, uint32(2), *st.NumUnseen)
	assert.Equal(t, uint32(3), st.UIDNext)
	assert.Equal(t, a1.UIDValidity, st.UIDValidity)

	// Select.
	sel, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(2), sel.NumMessages)
	assert.Equal(t, uint32(2), sel.NumRecent)
	assert.Equal(t, uint32(1), sel.FirstUnseen)
	assert.Equal(t, a1.UIDValidity, sel.UIDValidity)
	assert.Contains(t, sel.PermanentFlags, imap.FlagWildcard)
	assert.False(t, sel.ReadOnly)

	// Fetch.
	msgs, err := c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(1, 2), &imap.FetchOptions{
		UID: true, Flags: true, InternalDate: true, RFC822Size: true, Envelope: true, BodyStructure: true,
		Sections: []*imap.FetchSection{
			{Peek: true, Specifier: imap.SpecifierHeaderFields, Fields: []string{"Subject"}},
			{Peek: true, Part: []int{1}},
			{Peek: true, Part: []int{2}},
		},
	})
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	m := msgs[0]
	assert.Equal(t, uint32(1), m.UID)
	assert.Equal(t, int64(len(msg1)), m.RFC822Size)
	assert.Equal(t, "first", m.Envelope.Subject)
	require.Len(t, m.Envelope.From, 1)
	assert.Equal(t, "Alice", m.Envelope.From[0].Name)
	assert.Equal(t, "alice@example.test", m.Envelope.From[0].Addr())
	assert.Equal(t, "<1@example.test>", m.Envelope.MessageID)
	assert.Equal(t, "text", m.BodyStructure.Type)
	assert.Equal(t, "Subject: first\r\n\r\n", string(m.Section("BODY[HEADER.FIELDS (Subject)]")))
	assert.Equal(t, "Hello Bob.\r\n", string(m.Section("BODY[1]")))
	assert.False(t, m.InternalDate.IsZero())
	m = msgs[1]
	assert.ElementsMatch(t, []imap.Flag{imap.FlagFlagged, imap.FlagRecent}, m.Flags)
	require.True(t, m.BodyStructure.IsMultipart())
	require.Len(t, m.BodyStructure.Children, 2)
	assert.Equal(t, "html", m.BodyStructure.Children[1].Subtype)
	assert.Equal(t, "utf-8", m.BodyStructure.Children[0].Params["charset"])
	assert.Equal(t, "part one", string(m.Section("BODY[1]")))
	assert.Equal(t, "<p>two</p>", string(m.Section("BODY[2]")))

	// Partial and streaming body, BODY[] sets \Seen.
	var streamed bytes.Buffer
	var got *imapclient.FetchMessage
	err = c.UIDFetch(ctx, imap.SeqSetOf(1), &imap.FetchOptions{Sections: []*imap.FetchSection{{}, {Specifier: imap.SpecifierText, Partial: &imap.Partial{Offset: 6, Count: 3}}}},
		&imapclient.FetchHandler{
			Body: func(seq uint32, s *imap.FetchSection, size int64, r io.Reader) error {
				_, err := io.Copy(&streamed, r)
				streamed.WriteString("|")
				return err
			},
			Message: func(m *imapclient.FetchMessage) error { got = m; return nil },
		})
	require.NoError(t, err)
	assert.Equal(t, msg1+"|Bob|", streamed.String())
	require.NotNil(t, got)
	assert.Equal(t, uint32(1), got.UID)
	assert.Contains(t, got.Flags, imap.FlagSeen)

	// Search.
	seqs, err := c.Search(ctx, &imap.SearchCriteria{Header: []imap.SearchHeader{{Key: "SUBJECT", Value: "SECOND"}}})
	require.NoError(t, err)
	assert.Equal(t, []uint32{2}, seqs)
	seqs, err = c.Search(ctx, &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}})
	require.NoError(t, err)
	assert.Equal(t, []uint32{2}, seqs)
	uids, err := c.UIDSearch(ctx, &imap.SearchCriteria{Body: []string{"hello"}})
	require.NoError(t, err)
	assert.Equal(t, []uint32{1}, uids)
	seqs, err = c.Search(ctx, &imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{{Larger: 100000}, {Text: []string{"two"}}}}})
	require.NoError(t, err)
	assert.Equal(t, []uint32{2}, seqs)

	// Store.
	res, err := c.Store(ctx, imap.SeqSetOf(1), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagAnswered, "$Label"}})
	require.NoError(t, err)
	require.Len(t, res, 1)
	assert.Contains(t, res[0].Flags, imap.FlagAnswered)
	assert.Contains(t, res[0].Flags, imap.Flag("$Label"))
	res, err = c.UIDStore(ctx, imap.SeqSetOf(2), &imap.StoreFlags{Action: imap.StoreRemove, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}})
	require.NoError(t, err)
	assert.Empty(t, res)
	res, err = c.Store(ctx, imap.SeqSetOf(2), &imap.StoreFlags{Action: imap.StoreSet, Flags: []imap.Flag{imap.FlagDraft}})
	require.NoError(t, err)
	require.Len(t, res, 1)
	assert.ElementsMatch(t, []imap.Flag{imap.FlagDraft, imap.FlagRecent}, res[0].Flags)

	// Copy / move.
	require.NoError(t, c.Create(ctx, "Saved"))
	cd, err := c.Copy(ctx, imap.SeqSetOf(1, 2), "Saved")
	require.NoError(t, err)
	assert.Equal(t, "1:2", cd.SourceUIDs.String())
	assert.Equal(t, "1:2", cd.DestUIDs.String())
	_, err = c.Copy(ctx, imap.SeqSetOf(1), "Missing")
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "TRYCREATE", se.Code)
	require.True(t, c.Has("MOVE"))
	md, err := c.UIDMove(ctx, imap.SeqSetOf(2), "Saved")
	require.NoError(t, err)
	assert.Equal(t, "3", md.DestUIDs.String())
	st, err = c.Status(ctx, "Saved", &imap.StatusOptions{NumMessages: true})
	require.NoError(t, err)
	assert.Equal(t, uint32(3), *st.NumMessages)

	// Expunge.
	_, err = c.Store(ctx, imap.SeqSetOf(1), &imap.StoreFlags{Action: imap.StoreAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}})
	require.NoError(t, err)
	exp, err := c.Expunge(ctx)
	require.NoError(t, err)
	assert.Equal(t, []uint32{1}, exp)

	// UID EXPUNGE only touches the given UIDs.
	_, err = c.Select(ctx, "Saved", nil)
	require.NoError(t, err)
	_, err = c.Store(ctx, imap.SeqSetOf(1, 2), &imap.StoreFlags{Action: imap.StoreAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}})
	require.NoError(t, err)
	exp, err = c.UIDExpunge(ctx, imap.SeqSetOf(2))
	require.NoError(t, err)
	assert.Equal(t, []uint32{2}, exp)
	require.NoError(t, c.CloseMailbox(ctx)) // expunges message 1 silently
	st, err = c.Status(ctx, "Saved", &imap.StatusOptions{NumMessages: true})
	require.NoError(t, err)
	assert.Equal(t, uint32(1), *st.NumMessages)

	// Examine is read-only.
	sel, err = c.Select(ctx, "Saved", &imap.SelectOptions{ReadOnly: true})
	require.NoError(t, err)
	assert.True(t, sel.ReadOnly)
	_, err = c.Store(ctx, imap.SeqSetOf(1), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagSeen}})
	require.Error(t, err)
	require.NoError(t, c.Unselect(ctx))
	require.Error(t, c.Check(ctx), "CHECK must fail outside the selected state")
}

func TestTwoClients(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := ctxT(t)
	var mu sync.Mutex
	var updates []string
	cond := make(chan struct{}, 100)
	onUpdate := func(u *imapclient.Update) {
		mu.Lock()
		s := u.Name
		if u.Message != nil {
			s += " " + string(flagsString(u.Message.Flags))
		}
		updates = append(updates, s)
		mu.Unlock()
		cond <- struct{}{}
	}
	c1 := e.dial(t, nil)
	c2 := e.dial(t, &imapclient.Options{OnUpdate: onUpdate})
	appendMsg(t, c1, "INBOX", msg1)
	appendMsg(t, c1, "INBOX", msg2)
	_, err := c1.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	_, err = c2.Select(ctx, "INBOX", nil)
	require.NoError(t, err)

	// c2 idles; c1 flags message 1, appends a message, expunges message 2.
	idle, err := c2.Idle(ctx)
	require.NoError(t, err)
	_, err = c1.Store(ctx, imap.SeqSetOf(1), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagFlagged}})
	require.NoError(t, err)
	waitFor(t, cond, &mu, &updates, "FETCH")
	appendMsg(t, c1, "INBOX", msg1)
	waitFor(t, cond, &mu, &updates, "EXISTS")
	_, err = c1.Store(ctx, imap.SeqSetOf(2), &imap.StoreFlags{Action: imap.StoreAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}})
	require.NoError(t, err)
	_, err = c1.Expunge(ctx)
	require.NoError(t, err)
	waitFor(t, cond, &mu, &updates, "EXPUNGE")
	require.NoError(t, idle.Done(ctx))

	// c2's view: 2 messages, the first flagged.
	msgs, err := c2.FetchAll(ctx, imap.NumSeq, imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true})
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	assert.Equal(t, uint32(1), msgs[0].UID)
	assert.Contains(t, msgs[0].Flags, imap.FlagFlagged)
	assert.Equal(t, uint32(3), msgs[1].UID)

	// Without IDLE, NOOP delivers the updates.
	_, err = c1.Store(ctx, imap.SeqSetOf(2), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagSeen}})
	require.NoError(t, err)
	mu.Lock()
	updates = nil
	mu.Unlock()
	require.NoError(t, c2.Noop(ctx))
	mu.Lock()
	assert.Contains(t, updates, `FETCH \Seen`)
	mu.Unlock()
}

func flagsString(f []imap.Flag) string {
	var s []string
	for _, x := range f {
		s = append(s, string(x))
	}
	return strings.Join(s, " ")
}

func waitFor(t *testing.T, cond chan struct{}, mu *sync.Mutex, updates *[]string, prefix string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		mu.Lock()
		for _, u := range *updates {
			if strings.HasPrefix(u, prefix) {
				*updates = nil
				mu.Unlock()
				return
			}
		}
		mu.Unlock()
		select {
		case <-cond:
		case <-timeout:
			t.Fatalf("no %s update", prefix)
		}
	}
}
