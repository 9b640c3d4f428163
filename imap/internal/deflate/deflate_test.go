package deflate

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRoundTrip: two Conns over a pipe carry several writes each way, each
// readable as soon as it was written (sync flush), and a peer closing the
// connection reads as io.EOF.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe()
	ca, cb := NewConn(a, a), NewConn(b, b)
	msgs := []string{"a1 NOOP\r\n", strings.Repeat("compressible line\r\n", 2000), "a3 LOGOUT\r\n"}
	go func() {
		for _, m := range msgs {
			if _, err := ca.Write([]byte(m)); err != nil {
				return
			}
		}
		ca.Close()
	}()
	for _, m := range msgs {
		got := make([]byte, len(m))
		_, err := io.ReadFull(cb, got)
		require.NoError(t, err)
		assert.Equal(t, m, string(got))
	}
	_, err := cb.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)
	cb.Close()
}

// TestCorruptInput: bytes that are not DEFLATE give an error IsCorrupt
// recognises.
func TestCorruptInput(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe()
	defer a.Close()
	c := NewConn(b, bytes.NewReader([]byte("a1 NOOP\r\n plain text, not deflate")))
	defer c.Close()
	_, err := io.ReadAll(c)
	require.Error(t, err)
	assert.True(t, IsCorrupt(err), "%v", err)
	assert.False(t, IsCorrupt(io.EOF))
}
