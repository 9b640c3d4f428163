package imapserver_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

func TestListExtendedCapabilities(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	caps := strings.Fields(r.cmd("c", "CAPABILITY")[0])
	for _, c := range []string{"LIST-EXTENDED", "SPECIAL-USE", "LIST-STATUS", "CREATE-SPECIAL-USE"} {
		assert.Contains(t, caps, c)
	}

	t.Run("absent without the optional interfaces", func(t *testing.T) {
		mem := imapmem.New()
		require.NoError(t, mem.AddUser("alice", "secret"))
		srv := &imapserver.Server{Backend: &plainBackend{be: mem}, AllowInsecureAuth: true}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
		r := dialRaw(t, l.Addr().String())
		require.True(t, strings.HasPrefix(last(r.cmd("b", "LOGIN alice secret")), "b OK"))
		caps := r.cmd("a", "CAPABILITY")[0]
		for _, c := range []string{"LIST-EXTENDED", "SPECIAL-USE", "LIST-STATUS", "CREATE-SPECIAL-USE"} {
			assert.NotContains(t, strings.Fields(caps), c)
		}
		// The basic LIST goes to Session.List as before.
		assert.Equal(t, []string{`* LIST (\HasNoChildren) "/" INBOX`, "l OK LIST completed"}, r.cmd("l", `LIST "" *`))
		assert.True(t, strings.HasPrefix(last(r.cmd("u", `CREATE Sent (USE (\Sent))`)), "u NO [USEATTR]"))
	})
}

func TestCreateSpecialUse(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	tests := []struct {
		name, cmd, want string
	}{
		{"sent", `CREATE Sent (USE (\Sent))`, "OK"},
		{"two attributes, any case", `CREATE Bin (USE (\trash \JUNK))`, "OK"},
		{"empty USE is a plain CREATE", `CREATE Plain (USE ())`, "OK"},
		{"virtual \\All refused", `CREATE All (USE (\All))`, "NO [USEATTR]"},
		{"unknown attribute refused", `CREATE Odd (USE (\Important))`, "NO [USEATTR]"},
		{"unknown parameter", `CREATE Odd (FOO (\Sent))`, "BAD"},
		{"empty parameters", `CREATE Odd ()`, "BAD"},
		{"existing mailbox", `CREATE Sent (USE (\Drafts))`, "NO [ALREADYEXISTS]"},
	}
	for i, tt := range tests {
		tag := "c" + string(rune('a'+i))
		l := last(r.cmd(tag, tt.cmd))
		assert.True(t, strings.HasPrefix(l, tag+" "+tt.want), "%s: %s", tt.name, l)
	}
	got := r.cmd("l", `LIST "" *`)
	assert.ElementsMatch(t, []string{
		`* LIST (\HasNoChildren) "/" INBOX`,
		`* LIST (\HasNoChildren \Sent) "/" Sent`,
		`* LIST (\HasNoChildren \Trash \Junk) "/" Bin`,
		`* LIST (\HasNoChildren) "/" Plain`,
		"l OK LIST completed",
	}, got)
	// A refused CREATE creates nothing.
	assert.True(t, strings.HasPrefix(last(r.cmd("s", "SELECT All")), "s NO"))
	assert.True(t, strings.HasPrefix(last(r.cmd("o", "SELECT Odd")), "o NO"))

	got = r.cmd("u", `LIST (SPECIAL-USE) "" *`)
	assert.ElementsMatch(t, []string{
		`* LIST (\HasNoChildren \Sent) "/" Sent`,
		`* LIST (\HasNoChildren \Trash \Junk) "/" Bin`,
		"u OK LIST completed",
	}, got)
	// Special use follows RENAME.
	require.True(t, strings.HasPrefix(last(r.cmd("r", "RENAME Sent Outbox")), "r OK"))
	assert.Equal(t, []string{`* LIST (\HasNoChildren \Sent) "/" Outbox`, "v OK LIST completed"}, r.cmd("v", `LIST "" Outbox RETURN (SPECIAL-USE)`))
}

func TestListStatus(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	for i := 0; i < 3; i++ {
		_, err := env.be.Deliver("alice", "INBOX", []byte("Subject: x\r\n\r\nhi\r\n"), nil)
		require.NoError(t, err)
	}
	_, err := env.be.Deliver("alice", "INBOX", []byte("Subject: y\r\n\r\nho\r\n"), []imap.Flag{imap.FlagSeen})
	require.NoError(t, err)
	r := login(t, env, "alice")
	for _, c := range []string{"CREATE a/b", "CREATE c", "DELETE a"} {
		require.True(t, strings.HasSuffix(last(r.cmd("p", c)), "completed"), c)
	}
	got := r.cmd("l", `LIST "" * RETURN (STATUS (MESSAGES UNSEEN UIDNEXT))`)
	assert.Equal(t, []string{
		`* LIST (\HasNoChildren) "/" INBOX`,
		`* STATUS INBOX (MESSAGES 4 UIDNEXT 5 UNSEEN 3)`,
		`* LIST (\Noselect \HasChildren) "/" a`,
		`* LIST (\HasNoChildren) "/" a/b`,
		`* STATUS a/b (MESSAGES 0 UIDNEXT 1 UNSEEN 0)`,
		`* LIST (\HasNoChildren) "/" c`,
		`* STATUS c (MESSAGES 0 UIDNEXT 1 UNSEEN 0)`,
		"l OK LIST completed",
	}, got)

	t.Run("with the other return options and a selected mailbox", func(t *testing.T) {
		require.True(t, strings.HasPrefix(last(r.cmd("s", "SELECT INBOX")), "s OK"))
		require.True(t, strings.HasPrefix(last(r.cmd("u", "SUBSCRIBE c")), "u OK"))
		got := r.cmd("m", `LIST (SUBSCRIBED) "" (c INBOX) RETURN (CHILDREN STATUS (messages) STATUS (DELETED))`)
		assert.Equal(t, []string{
			`* LIST (\HasNoChildren \Subscribed) "/" c`,
			`* STATUS c (MESSAGES 0 DELETED 0)`,
			"m OK LIST completed",
		}, got)
	})
	t.Run("nonexistent subscribed names get no STATUS", func(t *testing.T) {
		require.True(t, strings.HasPrefix(last(r.cmd("u", "SUBSCRIBE a/b")), "u OK"))
		require.True(t, strings.HasPrefix(last(r.cmd("d", "DELETE a/b")), "d OK"))
		got := r.cmd("m", `LIST (SUBSCRIBED) "" a* RETURN (STATUS (MESSAGES))`)
		assert.Equal(t, []string{`* LIST (\NonExistent \Subscribed) "/" a/b`, "m OK LIST completed"}, got)
	})
}

func TestListExtendedErrors(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	for i, c := range []string{
		`LIST (RECURSIVEMATCH) "" *`,
		`LIST (RECURSIVEMATCH REMOTE) "" *`,
		`LIST (IMAPTEST) "" *`,
		`LIST "" * RETURN (IMAPTEST)`,
		`LIST "" * RETURN (STATUS ())`,
		`LIST "" * RETURN (STATUS (BOGUS))`,
		`LIST "" ()`,
		`LIST "" * RETURN`,
		`STATUS INBOX (MESSAGES BOGUS)`,
	} {
		tag := "e" + string(rune('a'+i))
		l := last(r.cmd(tag, c))
		assert.True(t, strings.HasPrefix(l, tag+" BAD"), "%s: %s", c, l)
	}
	// The empty pattern still gives the delimiter, also in extended form.
	assert.Equal(t, []string{`* LIST (\Noselect) "/" ""`, "d OK LIST completed"}, r.cmd("d", `LIST () "" ""`))
	// LSUB keeps its RFC 3501 form.
	require.True(t, strings.HasPrefix(last(r.cmd("s", "SUBSCRIBE INBOX")), "s OK"))
	assert.Equal(t, []string{`* LSUB () "/" INBOX`, "l OK LSUB completed"}, r.cmd("l", `LSUB "" *`))
	assert.Equal(t, []string{`* STATUS INBOX (MESSAGES 0)`, "t OK STATUS completed"}, r.cmd("t", `STATUS INBOX (MESSAGES)`))
}

// failingStatusBackend's sessions offer LIST-EXTENDED and fail STATUS
// for the mailbox "broken" with a plain error.
type failingStatusBackend struct{ be *imapmem.Backend }

type failingStatusSession struct {
	imapserver.Session
	les imapserver.ListExtendedSession
}

func (b failingStatusBackend) NewSession(ctx context.Context, c *imapserver.ConnInfo) (imapserver.Session, error) {
	s, err := b.be.NewSession(ctx, c)
	if err != nil {
		return nil, err
	}
	return failingStatusSession{s, s.(imapserver.ListExtendedSession)}, nil
}

func (s failingStatusSession) Mailboxes(ctx context.Context) (*imapserver.Mailboxes, error) {
	return s.les.Mailboxes(ctx)
}

func (s failingStatusSession) Status(ctx context.Context, name string, opts *imap.StatusOptions) (*imap.StatusData, error) {
	if name == "broken" {
		return nil, errors.New("disk on fire")
	}
	return s.Session.Status(ctx, name, opts)
}

func TestListStatusFailure(t *testing.T) {
	t.Parallel()
	mem := imapmem.New()
	require.NoError(t, mem.AddUser("alice", "secret"))
	srv := &imapserver.Server{Backend: failingStatusBackend{mem}, AllowInsecureAuth: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	r := dialRaw(t, l.Addr().String())
	require.True(t, strings.HasPrefix(last(r.cmd("a", "LOGIN alice secret")), "a OK"))
	require.True(t, strings.HasPrefix(last(r.cmd("b", "CREATE broken")), "b OK"))
	got := r.cmd("c", `LIST "" * RETURN (STATUS (MESSAGES))`)
	assert.Equal(t, []string{
		`* LIST (\HasNoChildren) "/" INBOX`,
		`* STATUS INBOX (MESSAGES 0)`,
		`* LIST (\HasNoChildren) "/" broken`,
		"c OK LIST completed",
	}, got)
	// The STATUS command itself reports the failure.
	assert.Equal(t, "d NO [SERVERBUG] Internal server error", last(r.cmd("d", "STATUS broken (MESSAGES)")))
}
