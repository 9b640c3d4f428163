package imapserver_test

import (
	"bytes"
	"compress/flate"
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// FuzzCompress sends "COMPRESS <mech>" followed by arbitrary octets, read
// as DEFLATE input once the mechanism is accepted; the server must
// neither panic nor hang.
func FuzzCompress(f *testing.F) {
	deflate := func(s string) []byte {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, flate.BestSpeed)
		_, _ = w.Write([]byte(s))
		_ = w.Flush()
		return buf.Bytes()
	}
	f.Add("DEFLATE", deflate("n NOOP\r\nc CAPABILITY\r\nz COMPRESS DEFLATE\r\nf FETCH 1 BODY[]\r\n"))
	f.Add("deflate", deflate("a APPEND INBOX {5+}\r\nhello\r\nb IDLE\r\nDONE\r\n"))
	f.Add("DEFLATE", deflate("n NOOP "+string(bytes.Repeat([]byte("a"), 10000))+"\r\n"))
	f.Add("DEFLATE", []byte("n NOOP\r\n"))
	f.Add("LZ4", []byte("n NOOP\r\n"))
	f.Add("\"DEFLATE\"", []byte{})
	f.Add("DEFLATE X", deflate("n NOOP\r\n"))
	f.Fuzz(func(t *testing.T, mech string, tail []byte) {
		be := imapmem.New()
		if err := be.AddUser("alice", "secret"); err != nil {
			t.Fatal(err)
		}
		_, _ = be.Deliver("alice", "INBOX", []byte("Subject: s\r\n\r\nhi\r\n"), nil)
		var panics atomic.Int64
		srv := &imapserver.Server{Backend: be, AllowInsecureAuth: true, Logger: slog.New(panicCounter{&panics}),
			Limits: imapserver.Limits{MaxLineLength: 4096, MaxMessageSize: 1 << 16, CommandTimeout: 2 * time.Second, IdleTimeout: 2 * time.Second}}
		l := newPipeListener()
		served := make(chan struct{})
		go func() { _ = srv.Serve(l); close(served) }()
		c := l.dial()
		drained := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, c); close(drained) }()
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Write([]byte("p1 LOGIN alice secret\r\np2 SELECT INBOX\r\nz COMPRESS " + mech + "\r\n"))
		_, _ = c.Write(tail)
		_ = c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Fatalf("connection did not end: %v", err)
		}
		<-served
		<-drained
		if panics.Load() > 0 {
			t.Fatalf("server panicked on %q %q", mech, tail)
		}
	})
}
