package bench

import (
	"context"
	"crypto/tls"
	"net"
	"testing"

	"github.com/mailkit-go/mailkit/tlsutil"
)

// BenchmarkTLSHandshake measures one full TLS handshake per connection
// over loopback TCP with tlsutil's default server and client configs, for
// an ECDSA P-256 and an RSA-2048 leaf, under TLS 1.3 and TLS 1.2 (no
// session resumption). Later protocol benchmarks can subtract it.
func BenchmarkTLSHandshake(b *testing.B) {
	ca, err := tlsutil.NewCA(nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, kt := range []tlsutil.KeyType{tlsutil.KeyECDSAP256, tlsutil.KeyRSA2048} {
		cert, err := ca.IssueLeaf(tlsutil.LeafOptions{Hosts: []string{"localhost"}, KeyType: kt})
		if err != nil {
			b.Fatal(err)
		}
		for _, ver := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
			b.Run(kt.String()+"/"+tlsutil.VersionName(ver), func(b *testing.B) {
				srvCfg := tlsutil.ServerConfig(cert)
				srvCfg.SessionTicketsDisabled = true
				cliCfg := ca.ClientConfig("localhost")
				cliCfg.MaxVersion = ver
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				go func() {
					for {
						c, err := l.Accept()
						if err != nil {
							return
						}
						go func() {
							tc := tls.Server(c, srvCfg)
							_ = tc.Handshake()
							_ = tc.Close()
						}()
					}
				}()
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					c, err := tlsutil.Dial(ctx, "tcp", l.Addr().String(), tlsutil.ModeImplicit, cliCfg)
					if err != nil {
						b.Fatal(err)
					}
					_ = c.Close()
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
			})
		}
	}
}
