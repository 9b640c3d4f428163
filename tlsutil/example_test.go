package tlsutil_test

import (
	"bufio"
	"context"
	"fmt"
	"net"

	"github.com/mailkit-go/mailkit/tlsutil"
)

// Real TLS for a test in one line: a CA, a server config for a host and a
// client config that trusts it.
func ExampleCA() {
	ca, err := tlsutil.NewCA(nil)
	if err != nil {
		panic(err)
	}
	srvCfg, err := ca.ServerConfig("mx.example.test", "127.0.0.1")
	if err != nil {
		panic(err)
	}
	l, err := tlsutil.Listen(context.Background(), "tcp", "127.0.0.1:0", tlsutil.ModeImplicit, srvCfg)
	if err != nil {
		panic(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		fmt.Fprintf(c, "hello over TLS\n")
	}()
	conn, err := tlsutil.Dial(context.Background(), "tcp", l.Addr().String(), tlsutil.ModeImplicit, ca.ClientConfig("mx.example.test"))
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	line, _ := bufio.NewReader(conn).ReadString('\n')
	fmt.Print(line)
	// Output: hello over TLS
}

func ExampleStartTLS() {
	ca, _ := tlsutil.NewCA(nil)
	srvCfg, _ := ca.ServerConfig("mx.example.test")
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	defer l.Close()
	summary := make(chan string, 1)
	go func() { // a minimal SMTP server
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		fmt.Fprintf(c, "220 mx.example.test ESMTP\r\n")
		r.ReadString('\n') // EHLO
		fmt.Fprintf(c, "250-mx.example.test\r\n250 STARTTLS\r\n")
		r.ReadString('\n') // STARTTLS
		fmt.Fprintf(c, "220 go ahead\r\n")
		tc, err := tlsutil.ServerHandshake(context.Background(), c, srvCfg)
		if err != nil {
			summary <- err.Error()
			return
		}
		summary <- tlsutil.Summary(tc.ConnectionState())
		tc.Close()
	}()
	conn, _ := net.Dial("tcp", l.Addr().String())
	tc, err := tlsutil.StartTLS(context.Background(), conn, tlsutil.ProtoSMTP, ca.ClientConfig("mx.example.test"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	cs := tc.ConnectionState()
	fmt.Println("client:", tlsutil.VersionName(cs.Version))
	fmt.Println("server:", <-summary)
	// Output:
	// client: TLS1.3
	// server: TLS1.3 TLS_AES_128_GCM_SHA256
}
