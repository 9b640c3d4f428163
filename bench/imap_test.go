package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// BenchmarkIMAPFetchHeaders measures FETCH 1:1000 (UID FLAGS
// RFC822.SIZE BODY.PEEK[HEADER]) of 1000 messages with mailkit's client
// against mailkit's server (imapmem backend) on loopback, plaintext and
// over TLS. Header literals are streamed to io.Discard, so client memory
// stays bounded whatever the mailbox size. There is no third-party IMAP
// anchor in bench/go.mod; the metric is messages/s.
func BenchmarkIMAPFetchHeaders(b *testing.B) {
	const n = 1000
	ca, err := tlsutil.NewCA(nil)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := ca.ServerConfig("localhost", "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	be := imapmem.New()
	if err := be.AddUser("bench", "secret"); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		msg := fmt.Sprintf("From: Sender %d <s%d@example.test>\r\nTo: bench@example.test\r\nSubject: message number %d\r\n"+
			"Date: Mon, 2 Jan 2006 15:04:05 +0000\r\nMessage-ID: <%d@example.test>\r\nMIME-Version: 1.0\r\n"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\nHello %d.\r\n", i, i, i, i, i)
		if _, err := be.Deliver("bench", "INBOX", []byte(msg), nil); err != nil {
			b.Fatal(err)
		}
	}
	srv := &imapserver.Server{Backend: be, TLSConfig: cfg, AllowInsecureAuth: true}
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	opts := &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true,
		Sections: []*imap.FetchSection{{Peek: true, Specifier: imap.SpecifierHeader}}}
	for _, mode := range []string{"plain", "starttls"} {
		b.Run(mode, func(b *testing.B) {
			var c *imapclient.Client
			if mode == "plain" {
				c, err = imapclient.Dial(ctx, l.Addr().String(), nil)
			} else {
				c, err = imapclient.DialStartTLS(ctx, l.Addr().String(), &imapclient.Options{TLSConfig: ca.ClientConfig("localhost")})
			}
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			if err := c.Login(ctx, "bench", "secret"); err != nil {
				b.Fatal(err)
			}
			if _, err := c.Select(ctx, "INBOX", &imap.SelectOptions{ReadOnly: true}); err != nil {
				b.Fatal(err)
			}
			var bytes int64
			h := &imapclient.FetchHandler{
				Body: func(seq uint32, s *imap.FetchSection, size int64, r io.Reader) error {
					k, err := io.Copy(io.Discard, r)
					bytes += k
					return err
				},
			}
			count := 0
			h.Message = func(*imapclient.FetchMessage) error { count++; return nil }
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				count = 0
				if err := c.Fetch(ctx, imap.SeqSet{{Start: 1, Stop: 0}}, opts, h); err != nil {
					b.Fatal(err)
				}
				if count != n {
					b.Fatalf("fetched %d messages, want %d", count, n)
				}
			}
			el := time.Since(start)
			b.ReportMetric(float64(n*b.N)/el.Seconds(), "messages/s")
			b.ReportMetric(float64(bytes)/float64(b.N)/n, "header_bytes/msg")
		})
	}
}
