package tlsutil

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// newTestCA returns a fresh ECDSA CA.
func newTestCA(t testing.TB) *CA {
	t.Helper()
	ca, err := NewCA(nil)
	require.NoError(t, err)
	return ca
}

// serveOnce listens on 127.0.0.1:0 and runs fn on the first accepted
// connection in a goroutine; the returned channel yields fn's error.
func serveOnce(t testing.TB, fn func(c net.Conn) error) (string, <-chan error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		defer l.Close()
		c, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		done <- fn(c)
	}()
	t.Cleanup(func() { l.Close() })
	return l.Addr().String(), done
}

// tlsEcho runs the server handshake on c and answers one line "PING" with
// "real reply".
func tlsEcho(c net.Conn, cfg *tls.Config) error {
	tc := tls.Server(c, cfg)
	if err := tc.Handshake(); err != nil {
		return err
	}
	line, err := bufio.NewReader(tc).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "PING" {
		_, _ = tc.Write([]byte("unexpected\r\n"))
		return nil
	}
	_, err = tc.Write([]byte("real reply\r\n"))
	return err
}

type x509HostnameErr = x509.HostnameError
