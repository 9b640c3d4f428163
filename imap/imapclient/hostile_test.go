package imapclient_test

import (
	"bufio"
	"context"
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

// hostileServer greets, then answers the first command with prefix and
// unit repeated until the client hangs up.
func hostileServer(t *testing.T, prefix, unit string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		br := bufio.NewReader(c)
		if _, err := c.Write([]byte("* OK [CAPABILITY IMAP4rev1] hostile\r\n")); err != nil {
			return
		}
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		_ = line
		if _, err := c.Write([]byte(prefix)); err != nil {
			return
		}
		chunk := []byte(strings.Repeat(unit, 100))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}()
	return l.Addr().String()
}

func TestHostileServer(t *testing.T) {
	t.Parallel()
	t.Run("endless LIST replies", func(t *testing.T) {
		t.Parallel()
		addr := hostileServer(t, "", "* LIST () \"/\" box\r\n")
		c, err := imapclient.Dial(ctxT(t), addr, &imapclient.Options{MaxResponses: 5000})
		require.NoError(t, err)
		defer c.Close()
		_, err = c.List(ctxT(t), "", "*")
		assert.True(t, errors.Is(err, imapclient.ErrProtocol), "%v", err)
		assert.True(t, errors.Is(c.Noop(ctxT(t)), imapclient.ErrClosed))
	})
	t.Run("endless EXPUNGE replies", func(t *testing.T) {
		t.Parallel()
		addr := hostileServer(t, "", "* 1 EXPUNGE\r\n")
		c, err := imapclient.Dial(ctxT(t), addr, &imapclient.Options{MaxResponses: 5000})
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Expunge(ctxT(t))
		assert.True(t, errors.Is(err, imapclient.ErrProtocol), "%v", err)
	})
	t.Run("endless literals on one line", func(t *testing.T) {
		t.Parallel()
		lit := "{60000}\r\n" + strings.Repeat("z", 60000) + " "
		addr := hostileServer(t, "* CAPABILITY IMAP4rev1 ", lit)
		c, err := imapclient.Dial(ctxT(t), addr, &imapclient.Options{Limits: imap.Limits{MaxLineLiterals: 1 << 20}})
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Capability(ctxT(t))
		var le *imap.LimitError
		assert.True(t, errors.As(err, &le), "%v", err)
	})
	t.Run("endless line without literals", func(t *testing.T) {
		t.Parallel()
		addr := hostileServer(t, "* SEARCH", " 1")
		c, err := imapclient.Dial(ctxT(t), addr, nil)
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Search(ctxT(t), &imap.SearchCriteria{})
		var le *imap.LimitError
		assert.True(t, errors.As(err, &le), "%v", err)
	})
}

func TestHostileServerCancel(t *testing.T) {
	t.Parallel()
	addr := hostileServer(t, "", "* 1 EXISTS\r\n")
	c, err := imapclient.Dial(ctxT(t), addr, nil)
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithCancel(ctxT(t))
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	// Endless untagged updates: only the context ends the command.
	err = c.Noop(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}
