package imapserver_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/sasl"
)

// plainBackend hands out sessions that implement only imapserver.Session
// (no MOVE, no SASL, no NAMESPACE).
type plainBackend struct {
	be       *imapmem.Backend
	declares *bool // implements SASLBackend answering *declares when set
}

type plainSession struct{ imapserver.Session }

func (b *plainBackend) NewSession(ctx context.Context, c *imapserver.ConnInfo) (imapserver.Session, error) {
	s, err := b.be.NewSession(ctx, c)
	if err != nil {
		return nil, err
	}
	return plainSession{s}, nil
}

type declaringBackend struct{ plainBackend }

func (b *declaringBackend) SupportsSASL() bool { return *b.declares }

func TestOptionalInterfaces(t *testing.T) {
	t.Parallel()
	mem := imapmem.New()
	require.NoError(t, mem.AddUser("alice", "secret"))
	reg := &sasl.Registry{Credentials: mem.Credentials(), Enabled: []string{sasl.SCRAMSHA256}}

	t.Run("SASL without SASLSession refuses the connection", func(t *testing.T) {
		t.Parallel()
		srv := &imapserver.Server{Backend: &plainBackend{be: mem}, SASL: reg, AllowInsecureAuth: true}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
		r := dialRawNoGreeting(t, l.Addr().String())
		assert.Equal(t, "* BYE [UNAVAILABLE] Server configuration error", r.line())
	})
	t.Run("SASLBackend saying no fails Serve at start", func(t *testing.T) {
		t.Parallel()
		no := false
		srv := &imapserver.Server{Backend: &declaringBackend{plainBackend{be: mem, declares: &no}}, SASL: reg}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { _ = l.Close() })
		err = srv.Serve(l)
		assert.True(t, errors.Is(err, imapserver.ErrNoSASLSession), "%v", err)
		assert.True(t, strings.HasPrefix(err.Error(), "imapserver: "))
	})
	t.Run("imapmem declares SASL support", func(t *testing.T) {
		t.Parallel()
		var b imapserver.Backend = mem
		sb, ok := b.(imapserver.SASLBackend)
		require.True(t, ok)
		assert.True(t, sb.SupportsSASL())
	})
	t.Run("without SASL a plain session works and MOVE is absent", func(t *testing.T) {
		t.Parallel()
		srv := &imapserver.Server{Backend: &plainBackend{be: mem}, AllowInsecureAuth: true}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
		r := dialRaw(t, l.Addr().String())
		caps := r.cmd("a", "CAPABILITY")
		assert.NotContains(t, caps[0], " MOVE")
		assert.Contains(t, caps[0], "AUTH=PLAIN")
		require.True(t, strings.HasPrefix(last(r.cmd("b", "LOGIN alice secret")), "b OK"))
		require.True(t, strings.HasPrefix(last(r.cmd("c", "SELECT INBOX")), "c OK"))
		assert.True(t, strings.HasPrefix(last(r.cmd("d", "MOVE 1 Trash")), "d BAD"))
		ns := r.cmd("e", "NAMESPACE")
		assert.Equal(t, `* NAMESPACE (("" "/")) NIL NIL`, ns[0])
	})
}
