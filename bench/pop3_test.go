package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/pop3"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// BenchmarkPOP3Retr measures mailkit's POP3 server and client together on
// loopback: one iteration is a whole session (connect, login, UIDL, RETR of
// every message of a 100-message mailbox, QUIT without deletions). Reports
// messages/s and MB/s of message content. Sub-benchmarks: plaintext
// (AllowInsecureAuth) and implicit TLS (tlsutil test CA, TLS 1.3).
//
//	cd bench && go test -run x -bench POP3 -benchtime 20x
func BenchmarkPOP3Retr(b *testing.B) {
	const nMsgs = 100
	msg := pop3BenchMessage()
	ca, err := tlsutil.NewCA(nil)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := ca.ServerConfig("localhost", "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []tlsutil.Mode{tlsutil.ModePlain, tlsutil.ModeImplicit} {
		name := "plain"
		if mode == tlsutil.ModeImplicit {
			name = "implicit-tls"
		}
		b.Run(name, func(b *testing.B) {
			be := &pop3.MemoryBackend{}
			be.AddUser("bench", "secret")
			for i := 0; i < nMsgs; i++ {
				if _, err := be.Deliver("bench", msg); err != nil {
					b.Fatal(err)
				}
			}
			srv := &pop3.Server{Backend: be, AllowInsecureAuth: true}
			if mode == tlsutil.ModeImplicit {
				srv.TLSConfig, srv.ImplicitTLS = cfg, true
			}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go func() { _ = srv.Serve(l) }()
			defer srv.Close()
			opts := &pop3.DialOptions{TLS: mode, TLSConfig: ca.ClientConfig("localhost")}
			buf := make([]byte, 32*1024)
			var octets int64
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				c, err := pop3.Dial(ctx, l.Addr().String(), opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := c.Login(ctx, "bench", "secret"); err != nil {
					b.Fatal(err)
				}
				ids, err := c.UIDL(ctx)
				if err != nil || len(ids) != nMsgs {
					b.Fatalf("UIDL: %d entries, %v", len(ids), err)
				}
				for n := 1; n <= nMsgs; n++ {
					rc, err := c.Retr(ctx, n)
					if err != nil {
						b.Fatal(err)
					}
					k, err := io.CopyBuffer(io.Discard, rc, buf)
					if err != nil || k != int64(len(msg)) {
						b.Fatalf("RETR %d: %d octets, want %d, %v", n, k, len(msg), err)
					}
					octets += k
					_ = rc.Close()
				}
				if err := c.Quit(ctx); err != nil {
					b.Fatal(err)
				}
				cancel()
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N*nMsgs)/sec, "messages/s")
			b.ReportMetric(float64(octets)/sec/1e6, "MB/s")
		})
	}
}

// pop3BenchMessage is a ~6 KiB message with a realistic header, text lines
// and some lines that need byte-stuffing.
func pop3BenchMessage() []byte {
	var sb strings.Builder
	sb.WriteString("Return-Path: <sender@example.org>\r\nReceived: from mx.example.org by pop.example.test; Thu, 1 Jan 2026 00:00:00 +0000\r\n")
	sb.WriteString("From: Sender <sender@example.org>\r\nTo: bench@example.test\r\nSubject: benchmark message\r\n")
	sb.WriteString("Message-ID: <bench@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	for i := 0; i < 80; i++ {
		if i%10 == 0 {
			sb.WriteString(".")
		}
		fmt.Fprintf(&sb, "line %02d of the benchmark message body, plain text of typical length.\r\n", i)
	}
	return []byte(sb.String())
}
