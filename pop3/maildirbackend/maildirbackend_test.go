package maildirbackend

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/maildir"
	"github.com/mailkit-go/mailkit/pop3"
)

func setup(t *testing.T) (*maildir.Maildir, string) {
	t.Helper()
	root := t.TempDir()
	md, err := maildir.Create(filepath.Join(root, "alice"), nil)
	require.NoError(t, err)
	be := &Backend{
		Dir: func(user string) (string, error) {
			if user != "alice" {
				return "", &pop3.Error{Code: pop3.CodeSysPerm, Message: "no mailbox"}
			}
			return filepath.Join(root, user), nil
		},
		Login: func(_ context.Context, user string, pass []byte) error {
			if user == "alice" && string(pass) == "secret" {
				return nil
			}
			return pop3.ErrAuth
		},
	}
	srv := &pop3.Server{Backend: be, AllowInsecureAuth: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return md, l.Addr().String()
}

func login(t *testing.T, addr string) (*pop3.Client, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	c, err := pop3.Dial(ctx, addr, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Login(ctx, "alice", "secret"))
	return c, ctx
}

func TestDownloadAndDeleteMaildir(t *testing.T) {
	t.Parallel()
	md, addr := setup(t)
	ctx := context.Background()
	bodies := []string{
		"Subject: lf\n\n.dot\nbody\n",
		"Subject: crlf\r\n\r\nbody\r\n",
		"Subject: seen\n\nalready read\n",
	}
	for _, b := range bodies[:2] {
		_, err := md.Deliver(ctx, strings.NewReader(b))
		require.NoError(t, err)
	}
	_, err := md.Append(ctx, strings.NewReader(bodies[2]), maildir.Info{Flags: maildir.FlagSeen})
	require.NoError(t, err)
	before, err := md.List(ctx)
	require.NoError(t, err)
	require.Len(t, before, 3)

	c, cctx := login(t, addr)
	list, err := c.List(cctx)
	require.NoError(t, err)
	require.Len(t, list, 3)
	uidl, err := c.UIDL(cctx)
	require.NoError(t, err)
	for i, it := range list {
		rc, err := c.Retr(cctx, it.Number)
		require.NoError(t, err)
		got, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		assert.Equal(t, int64(len(got)), it.Size, "listed size of message %d is its CRLF size", i+1)
		assert.NotContains(t, strings.ReplaceAll(string(got), "\r\n", ""), "\n")
		assert.Equal(t, before[i].Key, uidl[i].UID)
	}
	require.NoError(t, c.Dele(cctx, 1))
	require.NoError(t, c.Dele(cctx, 3))

	// Concurrent second login: IN-USE.
	ctx2, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c2, err := pop3.Dial(ctx2, addr, nil)
	require.NoError(t, err)
	defer c2.Close()
	require.ErrorIs(t, c2.Login(ctx2, "alice", "secret"), pop3.ErrInUse)

	require.NoError(t, c.Quit(cctx))
	after, err := md.List(ctx)
	require.NoError(t, err)
	require.Len(t, after, 1)
	assert.Equal(t, before[1].Key, after[0].Key)
}

func TestDropKeepsMaildir(t *testing.T) {
	t.Parallel()
	md, addr := setup(t)
	ctx := context.Background()
	_, err := md.Deliver(ctx, strings.NewReader("Subject: x\n\nx\n"))
	require.NoError(t, err)
	c, cctx := login(t, addr)
	require.NoError(t, c.Dele(cctx, 1))
	require.NoError(t, c.Close())
	require.Eventually(t, func() bool {
		c3, err := pop3.Dial(cctx, addr, nil)
		if err != nil {
			return false
		}
		defer c3.Close()
		return c3.Login(cctx, "alice", "secret") == nil
	}, 10*time.Second, 10*time.Millisecond, "lock released after the drop")
	msgs, err := md.List(ctx)
	require.NoError(t, err)
	assert.Len(t, msgs, 1)
}

func TestRemovedMeanwhile(t *testing.T) {
	t.Parallel()
	md, addr := setup(t)
	ctx := context.Background()
	m, err := md.Deliver(ctx, strings.NewReader("Subject: x\n\nx\n"))
	require.NoError(t, err)
	c, cctx := login(t, addr)
	// Another client (say, Dovecot IMAP) expunges the message.
	require.NoError(t, os.Remove(m.Path(md.Dir())))
	_, err = c.Retr(cctx, 1)
	var perr *pop3.Error
	require.ErrorAs(t, err, &perr)
	require.NoError(t, c.Dele(cctx, 1))
	require.NoError(t, c.Quit(cctx), "deleting a message already gone is not an error")
}

func TestUIDFor(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "1700000000.M1P2Q3.host", uidFor("1700000000.M1P2Q3.host"))
	long := strings.Repeat("k", 71)
	u := uidFor(long)
	assert.Len(t, u, 64)
	assert.Equal(t, u, uidFor(long), "stable")
	assert.NotEqual(t, u, uidFor(long+"x"))
}
