package imapserver_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// testDeflateConn is the test client's side of COMPRESS=DEFLATE: a raw
// DEFLATE stream in each direction, sync-flushed after every write.
type testDeflateConn struct {
	net.Conn
	r io.Reader
	w *flate.Writer
}

func (d *testDeflateConn) Read(p []byte) (int, error) { return d.r.Read(p) }

func (d *testDeflateConn) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err == nil {
		err = d.w.Flush()
	}
	return n, err
}

// compress switches r to DEFLATE after a tagged OK to COMPRESS.
func (r *rawConn) compress() {
	r.t.Helper()
	w, err := flate.NewWriter(r.c, flate.DefaultCompression)
	require.NoError(r.t, err)
	r.c = &testDeflateConn{Conn: r.c, r: flate.NewReader(r.br), w: w}
	r.br = bufio.NewReader(r.c)
}

func deflateBytes(t *testing.T, level int, chunks ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, level)
	require.NoError(t, err)
	for _, c := range chunks {
		_, err = w.Write(c)
		require.NoError(t, err)
	}
	require.NoError(t, w.Flush())
	return buf.Bytes()
}

func hasCap(lines []string, c string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, "* CAPABILITY ") && strings.Contains(l+" ", " "+c+" ") {
			return true
		}
	}
	return false
}

func TestCompressSession(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	for _, mode := range []string{"starttls", "implicit"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			var r *rawConn
			if mode == "starttls" {
				r = dialRaw(t, env.addr)
				r.startTLS(env.ca)
			} else {
				c, err := tls.Dial("tcp", env.tlsAddr, env.ca.ClientConfig("localhost"))
				require.NoError(t, err)
				t.Cleanup(func() { _ = c.Close() })
				_ = c.SetDeadline(time.Now().Add(30 * time.Second))
				r = &rawConn{t: t, c: c, br: bufio.NewReader(c)}
				require.True(t, strings.HasPrefix(r.line(), "* OK"))
			}
			user := "alice"
			if mode == "implicit" {
				user = "bob"
			}
			assert.False(t, hasCap(r.cmd("c0", "CAPABILITY"), "COMPRESS=DEFLATE"), "announced before authentication")
			l := r.cmd("c1", "COMPRESS DEFLATE")
			assert.True(t, strings.HasPrefix(last(l), "c1 BAD"), l)
			l = r.cmd("l1", "LOGIN "+user+" secret")
			require.True(t, strings.HasPrefix(last(l), "l1 OK [CAPABILITY "), l)
			assert.Contains(t, last(l), " COMPRESS=DEFLATE")
			assert.True(t, hasCap(r.cmd("c2", "CAPABILITY"), "COMPRESS=DEFLATE"))

			require.Equal(t, "z1 OK DEFLATE active", last(r.cmd("z1", "COMPRESS DEFLATE")))
			r.compress()
			assert.False(t, hasCap(r.cmd("c3", "CAPABILITY"), "COMPRESS=DEFLATE"), "announced while compressed")
			assert.Equal(t, "z2 NO [COMPRESSIONACTIVE] DEFLATE active already", last(r.cmd("z2", "COMPRESS DEFLATE")))

			// APPEND and FETCH a message larger than every buffer.
			var body strings.Builder
			body.WriteString("Subject: big\r\n\r\n")
			for i := 0; body.Len() < 300<<10; i++ {
				fmt.Fprintf(&body, "line %d of a large message, compressed both ways\r\n", i)
			}
			msg := body.String()
			r.sendRaw(fmt.Sprintf("a1 APPEND INBOX {%d+}\r\n%s\r\n", len(msg), msg))
			l = r.until("a1 ")
			require.True(t, strings.HasPrefix(last(l), "a1 OK"), l)
			l = r.cmd("s1", "SELECT INBOX")
			require.True(t, strings.HasPrefix(last(l), "s1 OK"), l)
			r.send("f1 FETCH 1 BODY.PEEK[]")
			head := r.line()
			require.Equal(t, fmt.Sprintf("* 1 FETCH (BODY[] {%d}", len(msg)), head)
			got := make([]byte, len(msg))
			_, err := io.ReadFull(r.br, got)
			require.NoError(t, err)
			assert.Equal(t, msg, string(got))
			assert.Equal(t, ")", r.line())
			assert.True(t, strings.HasPrefix(r.line(), "f1 OK"))

			// IDLE: the untagged EXISTS must not sit in the compressor.
			r.send("i1 IDLE")
			require.Equal(t, "+ idling", r.line())
			_, err = env.be.Deliver(user, "INBOX", []byte("Subject: new\r\n\r\nx\r\n"), nil)
			require.NoError(t, err)
			assert.Equal(t, "* 2 EXISTS", r.line())
			assert.Equal(t, "* 2 RECENT", r.line())
			r.send("DONE")
			assert.Equal(t, "i1 OK IDLE completed", r.line())
			l = r.cmd("o1", "LOGOUT")
			assert.True(t, strings.HasPrefix(last(l), "o1 OK"), l)
		})
	}
}

func TestCompressErrors(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	for _, tc := range []struct{ name, cmd, want string }{
		{"unknown mechanism", "COMPRESS LZ4", "z BAD Unknown compression mechanism"},
		{"no mechanism", "COMPRESS", "z BAD"},
		{"extra argument", "COMPRESS DEFLATE X", "z BAD"},
		{"quoted mechanism", `COMPRESS "DEFLATE"`, "z BAD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := login(t, env, "alice")
			l := r.cmd("z", tc.cmd)
			assert.True(t, strings.HasPrefix(last(l), tc.want), l)
			// Still uncompressed and usable.
			assert.Equal(t, "n1 OK NOOP completed", last(r.cmd("n1", "NOOP")))
		})
	}
	t.Run("lower-case mechanism", func(t *testing.T) {
		t.Parallel()
		r := login(t, env, "alice")
		require.Equal(t, "z OK DEFLATE active", last(r.cmd("z", "compress deflate")))
		r.compress()
		assert.Equal(t, "n1 OK NOOP completed", last(r.cmd("n1", "NOOP")))
	})
}

// Bytes sent right behind the COMPRESS line, before the OK, are read as
// compressed input.
func TestCompressPipelined(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	t.Run("compressed", func(t *testing.T) {
		t.Parallel()
		r := login(t, env, "alice")
		// One write: the command and a compressed NOOP (a stream the
		// test keeps using afterwards).
		var buf bytes.Buffer
		w, err := flate.NewWriter(&buf, flate.BestSpeed)
		require.NoError(t, err)
		_, _ = w.Write([]byte("n1 NOOP\r\n"))
		require.NoError(t, w.Flush())
		r.sendRaw("z COMPRESS DEFLATE\r\n" + buf.String())
		require.Equal(t, "z OK DEFLATE active", r.line())
		plain := r.c
		rd := flate.NewReader(r.br)
		w.Reset(plain)
		r.c = &testDeflateConn{Conn: plain, r: rd, w: w}
		r.br = bufio.NewReader(r.c)
		assert.Equal(t, "n1 OK NOOP completed", r.line())
		assert.Equal(t, "n2 OK NOOP completed", last(r.cmd("n2", "NOOP")))
	})
	t.Run("plaintext", func(t *testing.T) {
		t.Parallel()
		r := login(t, env, "alice")
		r.sendRaw("z COMPRESS DEFLATE\r\nn1 NOOP\r\n")
		require.Equal(t, "z OK DEFLATE active", r.line())
		r.compress()
		// "n1 NOOP" is not DEFLATE data: BYE, and the connection ends.
		assert.Equal(t, "* BYE Invalid compressed data", r.line())
		rest, _ := io.ReadAll(r.br)
		assert.Empty(t, rest)
	})
	t.Run("corrupt within a command", func(t *testing.T) {
		t.Parallel()
		r := login(t, env, "alice")
		require.Equal(t, "z OK DEFLATE active", last(r.cmd("z", "COMPRESS DEFLATE")))
		plain := r.c
		r.compress()
		assert.Equal(t, "n1 OK NOOP completed", last(r.cmd("n1", "NOOP")))
		_, err := r.c.Write([]byte("n2 NO"))
		require.NoError(t, err)
		// After the sync flush a block starts: 0xff is a final block of
		// the reserved type 3.
		_, err = plain.Write([]byte{0xff, 0xff})
		require.NoError(t, err)
		assert.Equal(t, "* BYE Invalid compressed data", r.line())
	})
}

// A few KiB of compressed input that inflate to far more than the line
// limit get BYE, and the server never holds the inflated data.
func TestCompressBomb(t *testing.T) {
	// Not parallel: it measures allocations.
	env := newEnv(t, func(s *imapserver.Server) { s.Limits.MaxLineLength = 4096 })
	const inflated = 64 << 20
	bomb := deflateBytes(t, flate.BestCompression, []byte("b1 NOOP "), bytes.Repeat([]byte("a"), inflated))
	require.Less(t, len(bomb), 128<<10)
	t.Logf("bomb: %d bytes inflate to %d", len(bomb), inflated+8)

	r := login(t, env, "alice")
	require.Equal(t, "z OK DEFLATE active", last(r.cmd("z", "COMPRESS DEFLATE")))
	plain := r.c
	r.compress()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	go func() { _, _ = plain.Write(bomb) }() // the server may stop reading
	l := r.line()
	assert.True(t, strings.HasPrefix(l, "* BYE"), l)
	assert.Contains(t, l, "line")
	rest, _ := io.ReadAll(r.br) // the server closes (no final DEFLATE block)
	assert.Empty(t, rest)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated while the bomb was read: %d KiB", alloc>>10)
	assert.Less(t, alloc, uint64(inflated/4), "the inflated input was buffered")
}

// TestCompressIdleMemory measures the heap a compressed idle connection
// adds to an uncompressed one (both sides are in this process: the test
// client keeps no compression state of its own once idle).
func TestCompressIdleMemory(t *testing.T) {
	// Not parallel: it measures the heap.
	env := newEnv(t, nil)
	const n = 40
	conns := make([]*rawConn, n)
	for i := range conns {
		conns[i] = login(t, env, "alice")
	}
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	h0 := heap()
	w, err := flate.NewWriter(io.Discard, flate.BestSpeed)
	require.NoError(t, err)
	for _, r := range conns {
		require.Equal(t, "z OK DEFLATE active", last(r.cmd("z", "COMPRESS DEFLATE")))
		// One compressed round trip, then the client drops its state.
		w.Reset(r.c)
		_, _ = w.Write([]byte("n1 NOOP\r\n"))
		require.NoError(t, w.Flush())
		rd := bufio.NewReader(flate.NewReader(r.br))
		l, err := rd.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "n1 OK NOOP completed\r\n", l)
	}
	h1 := heap()
	per := (int64(h1) - int64(h0)) / n
	t.Logf("heap per compressed idle connection (server side): %d KiB (%d connections)", per>>10, n)
	assert.Less(t, per, int64(256<<10), "a compressor is kept per connection")
	runtime.KeepAlive(conns)
}
