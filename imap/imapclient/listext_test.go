package imapclient_test

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

func summary(ms []*imapclient.ListMailbox) []string {
	var out []string
	for _, m := range ms {
		var attrs []string
		for _, a := range m.Attrs {
			attrs = append(attrs, string(a))
		}
		s := m.Mailbox + " (" + strings.Join(attrs, " ") + ")"
		if len(m.ChildInfo) > 0 {
			s += " CHILDINFO " + strings.Join(m.ChildInfo, " ")
		}
		if st := m.Status; st != nil {
			if st.NumMessages != nil {
				s += " messages=" + itoa(*st.NumMessages)
			}
			if st.NumUnseen != nil {
				s += " unseen=" + itoa(*st.NumUnseen)
			}
		}
		out = append(out, s)
	}
	return out
}

func itoa(n uint32) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

func TestListExtended(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial(t, nil)
	ctx := ctxT(t)
	for _, cp := range []string{"LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "CREATE-SPECIAL-USE"} {
		require.True(t, c.Has(cp), cp)
	}
	require.NoError(t, c.CreateWithOptions(ctx, "Sent", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.AttrSent}}))
	require.NoError(t, c.CreateWithOptions(ctx, "Entwürfe", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.AttrDrafts}}))
	require.NoError(t, c.CreateWithOptions(ctx, "Work/Old", nil))
	err := c.CreateWithOptions(ctx, "Everything", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.AttrAll}})
	var se *imapclient.StatusError
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, "USEATTR", se.Code)
	assert.Error(t, c.CreateWithOptions(ctx, "Bad", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{`\Sent) (x`}}))
	require.NoError(t, c.Subscribe(ctx, "Work/Old"))
	appendMsg(t, c, "INBOX", msg1)
	appendMsg(t, c, "INBOX", msg1, imap.FlagSeen)
	appendMsg(t, c, "Sent", msg1, imap.FlagSeen)

	tests := []struct {
		name     string
		patterns []string
		opts     *imap.ListOptions
		want     []string
	}{
		{"basic", []string{"*"}, nil, []string{
			"Entwürfe (\\HasNoChildren \\Drafts)", "INBOX (\\HasNoChildren)", "Sent (\\HasNoChildren \\Sent)",
			"Work (\\HasChildren)", "Work/Old (\\HasNoChildren)",
		}},
		{"status in one round trip", []string{"INBOX", "Sent", "Work"}, &imap.ListOptions{ReturnStatus: &imap.StatusOptions{NumMessages: true, NumUnseen: true}}, []string{
			"INBOX (\\HasNoChildren) messages=2 unseen=1", "Sent (\\HasNoChildren \\Sent) messages=1 unseen=0",
			"Work (\\HasChildren) messages=0 unseen=0",
		}},
		{"special-use selection", []string{"*"}, &imap.ListOptions{SelectSpecialUse: true}, []string{
			"Entwürfe (\\HasNoChildren \\Drafts)", "Sent (\\HasNoChildren \\Sent)",
		}},
		{"subscribed with RECURSIVEMATCH", []string{"%"}, &imap.ListOptions{SelectSubscribed: true, SelectRecursiveMatch: true}, []string{
			"Work (\\HasChildren) CHILDINFO SUBSCRIBED",
		}},
		{"return subscribed and children", []string{"Work*"}, &imap.ListOptions{ReturnSubscribed: true, ReturnChildren: true}, []string{
			"Work (\\HasChildren)", "Work/Old (\\HasNoChildren \\Subscribed)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.ListExtended(ctx, "", tt.patterns, tt.opts)
			require.NoError(t, err)
			assert.Equal(t, tt.want, summary(got))
		})
	}

	t.Run("invalid options are refused before sending", func(t *testing.T) {
		_, err := c.ListExtended(ctx, "", nil, nil)
		assert.Error(t, err)
		_, err = c.ListExtended(ctx, "", []string{"*"}, &imap.ListOptions{SelectRecursiveMatch: true})
		assert.Error(t, err)
		_, err = c.ListExtended(ctx, "", []string{"*"}, &imap.ListOptions{ReturnStatus: &imap.StatusOptions{}})
		assert.Error(t, err)
		require.NoError(t, c.Noop(ctx))
	})
}

// listServer announces caps, answers the first command with untagged and
// records the command lines it got.
func listServer(t *testing.T, caps, untagged string) (string, <-chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	lines := make(chan string, 10)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		br := bufio.NewReader(c)
		if _, err := c.Write([]byte("* OK [CAPABILITY IMAP4rev1 " + caps + "] test\r\n")); err != nil {
			return
		}
		for first := true; ; first = false {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			lines <- strings.TrimRight(line, "\r\n")
			tag, _, _ := strings.Cut(line, " ")
			out := tag + " OK done\r\n"
			if first {
				out = untagged + out
			}
			if _, err := c.Write([]byte(out)); err != nil {
				return
			}
		}
	}()
	return l.Addr().String(), lines
}

func TestListExtendedResponses(t *testing.T) {
	t.Parallel()
	t.Run("CHILDINFO, unknown extended data and unsolicited STATUS", func(t *testing.T) {
		t.Parallel()
		addr, lines := listServer(t, "LIST-EXTENDED LIST-STATUS",
			"* LIST () \"/\" \"Foo\" (\"CHILDINFO\" (\"SUBSCRIBED\") \"X-VENDOR\" (1 2))\r\n"+
				"* LIST (\\NonExistent \\Subscribed) \"/\" Entw&APw-rfe\r\n"+
				"* STATUS Other (MESSAGES 9)\r\n"+
				"* STATUS Foo (MESSAGES 3 UNSEEN 1)\r\n")
		var updates []string
		c, err := imapclient.Dial(ctxT(t), addr, &imapclient.Options{OnUpdate: func(u *imapclient.Update) { updates = append(updates, u.Name) }})
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		got, err := c.ListExtended(ctxT(t), "", []string{"Foo", "Entwürfe"}, &imap.ListOptions{
			SelectSubscribed: true, SelectRecursiveMatch: true, ReturnStatus: &imap.StatusOptions{NumMessages: true, NumUnseen: true},
		})
		require.NoError(t, err)
		assert.Equal(t, []string{"Foo () CHILDINFO SUBSCRIBED messages=3 unseen=1", "Entwürfe (\\NonExistent \\Subscribed)"}, summary(got))
		_, sent, _ := strings.Cut(<-lines, " ")
		assert.Equal(t, `LIST (SUBSCRIBED RECURSIVEMATCH) "" (Foo Entw&APw-rfe) RETURN (STATUS (MESSAGES UNSEEN))`, sent)
		assert.Equal(t, []string{"STATUS"}, updates)
	})
	t.Run("capabilities are checked first", func(t *testing.T) {
		t.Parallel()
		addr, lines := listServer(t, "LIST-EXTENDED", "")
		c, err := imapclient.Dial(ctxT(t), addr, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		for _, o := range []*imap.ListOptions{
			{ReturnStatus: &imap.StatusOptions{NumMessages: true}},
			{SelectSpecialUse: true},
			{ReturnSpecialUse: true},
		} {
			_, err := c.ListExtended(ctxT(t), "", []string{"*"}, o)
			assert.True(t, errors.Is(err, imapclient.ErrNotSupported), "%v", err)
		}
		err = c.CreateWithOptions(ctxT(t), "Sent", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.AttrSent}})
		assert.True(t, errors.Is(err, imapclient.ErrNotSupported), "%v", err)
		require.NoError(t, c.Noop(ctxT(t)))
		assert.Contains(t, <-lines, "NOOP")
	})
}
