package imapclient_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

// countingConn counts the octets on the socket, under TLS.
type countingConn struct {
	net.Conn
	read, written atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

func TestCompress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := ctxT(t)
	nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", e.tlsAddr)
	require.NoError(t, err)
	cc := &countingConn{Conn: nc}
	c, err := imapclient.New(ctx, tls.Client(cc, e.ca.ClientConfig("localhost")), &imapclient.Options{
		OnUpdate: func(u *imapclient.Update) {},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	err = c.Compress(ctx)
	assert.True(t, errors.Is(err, imapclient.ErrNotSupported), "before login: %v", err)
	require.NoError(t, c.Login(ctx, "alice", "secret"))
	require.True(t, c.Has("COMPRESS=DEFLATE"))
	require.NoError(t, c.Compress(ctx))
	assert.ErrorIs(t, c.Compress(ctx), imapclient.ErrCompressed)
	caps, err := c.Capability(ctx)
	require.NoError(t, err)
	assert.False(t, caps["COMPRESS=DEFLATE"], "announced while compressed")

	// A compressible 1 MiB message each way: far fewer octets on the wire.
	var b strings.Builder
	b.WriteString("Subject: big\r\n\r\n")
	for i := 0; b.Len() < 1<<20; i++ {
		fmt.Fprintf(&b, "line %06d of a message that compresses well\r\n", i)
	}
	msg := b.String()
	w0 := cc.written.Load()
	_, err = c.Append(ctx, "INBOX", strings.NewReader(msg), int64(len(msg)), nil)
	require.NoError(t, err)
	sent := cc.written.Load() - w0
	t.Logf("APPEND of %d octets: %d octets on the wire", len(msg), sent)
	assert.Less(t, sent, int64(len(msg)/4))

	_, err = c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	r0 := cc.read.Load()
	msgs, err := c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(1), &imap.FetchOptions{
		Sections: []*imap.FetchSection{{Peek: true}},
	})
	require.NoError(t, err)
	got := cc.read.Load() - r0
	require.Len(t, msgs, 1)
	assert.Equal(t, msg, string(msgs[0].Section("BODY[]")))
	t.Logf("FETCH of %d octets: %d octets on the wire", len(msg), got)
	assert.Less(t, got, int64(len(msg)/4))

	// IDLE with an update delivered meanwhile, then DONE.
	idle, err := c.Idle(ctx)
	require.NoError(t, err)
	_, err = e.be.Deliver("alice", "INBOX", []byte("Subject: new\r\n\r\nx\r\n"), nil)
	require.NoError(t, err)
	require.NoError(t, idle.Done(ctx))
	sel, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(2), sel.NumMessages)
	require.NoError(t, c.Logout(ctx))
}

func TestCompressStartTLS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial(t, nil)
	ctx := ctxT(t)
	require.NoError(t, c.Compress(ctx))
	require.NoError(t, c.Noop(ctx))
	_, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	require.NoError(t, c.Logout(ctx))
}

func TestCompressClosed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.dial(t, nil)
	require.NoError(t, c.Close())
	assert.ErrorIs(t, c.Compress(context.Background()), imapclient.ErrClosed)
}
