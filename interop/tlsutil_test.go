package interop

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/tlsutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTLSUtilStartTLSAgainstPeers upgrades plain connections to Postfix and
// Dovecot with tlsutil.StartTLS and verifies the chain against the test CA.
func TestTLSUtilStartTLSAgainstPeers(t *testing.T) {
	requireInterop(t)
	peers := []struct {
		name  string
		proto tlsutil.Protocol
		port  int
	}{
		{"postfix smtp", tlsutil.ProtoSMTP, portSMTP},
		{"postfix submission", tlsutil.ProtoSMTP, portSubmission},
		{"dovecot imap", tlsutil.ProtoIMAP, portIMAP},
		{"dovecot pop3", tlsutil.ProtoPOP3, portPOP3},
	}
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			roots := peersCAPool(t)
			for _, host := range []string{"localhost", "127.0.0.1", "example.test"} {
				tc, err := tlsutil.DialStartTLS(ctx, "tcp", peerAddr(p.port), p.proto, tlsutil.ClientConfig(host, roots),
					&tlsutil.StartTLSOptions{ClientName: "client.example.test"})
				require.NoError(t, err, host)
				cs := tc.ConnectionState()
				assert.GreaterOrEqual(t, cs.Version, uint16(tls.VersionTLS12))
				info, err := tlsutil.VerifyConnection(cs, &tlsutil.VerifyOptions{Roots: roots, Host: host})
				require.NoError(t, err)
				require.NotEmpty(t, info.Verified)
				assert.Equal(t, tlsutilPeersCA(t).Subject.String(), info.Verified[len(info.Verified)-1].Subject, "chain ends at the harness CA")
				t.Logf("%s %s: %s %s\n%s", p.name, host, tlsutil.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), info)
				tc.Close()
			}

			// A name the certificate does not cover is rejected.
			_, err := tlsutil.DialStartTLS(ctx, "tcp", peerAddr(p.port), p.proto, tlsutil.ClientConfig("wrong.example.org", roots), nil)
			require.Error(t, err)
			var se *tlsutil.StartTLSError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "handshake", se.Stage)

			// And so is the right name under another CA.
			other, err := tlsutil.NewCA(nil)
			require.NoError(t, err)
			_, err = tlsutil.DialStartTLS(ctx, "tcp", peerAddr(p.port), p.proto, other.ClientConfig("localhost"), nil)
			require.Error(t, err)
		})
	}
}

// tlsutilPeersCA parses the harness's test CA certificate (whichever
// harness is running: interop/run's or shared/peers').
func tlsutilPeersCA(t *testing.T) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(peersCAFile())
	require.NoError(t, err)
	blk, _ := pem.Decode(b)
	require.NotNil(t, blk, "no PEM block in %s", peersCAFile())
	c, err := x509.ParseCertificate(blk.Bytes)
	require.NoError(t, err)
	return c
}

// TestTLSUtilVerifyChainAgainstPeer verifies the chain Dovecot presents on
// its implicit-TLS port with VerifyChain and a wrong host name.
func TestTLSUtilVerifyChainAgainstPeer(t *testing.T) {
	requireInterop(t)
	cfg := tlsutil.ClientConfig("", nil)
	cfg.InsecureSkipVerify = true // verified below with VerifyConnection
	conn, err := tlsutil.Dial(context.Background(), "tcp", peerAddr(portIMAPS), tlsutil.ModeImplicit, cfg)
	require.NoError(t, err)
	defer conn.Close()
	cs := conn.(*tls.Conn).ConnectionState()
	roots := peersCAPool(t)
	_, err = tlsutil.VerifyConnection(cs, &tlsutil.VerifyOptions{Roots: roots, Host: "localhost"})
	require.NoError(t, err)
	info, err := tlsutil.VerifyConnection(cs, &tlsutil.VerifyOptions{Roots: roots, Host: "mail.other.org"})
	require.ErrorIs(t, err, tlsutil.ErrHostMismatch)
	assert.Contains(t, info.String(), "CN=localhost")
	_, err = tlsutil.VerifyConnection(cs, &tlsutil.VerifyOptions{Host: "localhost"}) // system roots
	require.ErrorIs(t, err, tlsutil.ErrUntrusted)
}

// tlsOpenSSL runs openssl s_client with stdin and returns its combined output.
func tlsOpenSSL(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, append([]string{"s_client", "-ign_eof"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestTLSUtilServerWithOpenSSL: our server-side configs reached by openssl
// s_client, implicit TLS and STARTTLS (a tiny SMTP greeter), ECDSA and RSA.
func TestTLSUtilServerWithOpenSSL(t *testing.T) {
	requireInterop(t)
	ca, err := tlsutil.NewCA(nil)
	require.NoError(t, err)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, ca.CertPEM(), 0o644))

	for _, kt := range []tlsutil.KeyType{tlsutil.KeyECDSAP256, tlsutil.KeyRSA2048} {
		cert, err := ca.IssueLeaf(tlsutil.LeafOptions{Hosts: []string{"localhost", "127.0.0.1"}, KeyType: kt})
		require.NoError(t, err)
		cfg := tlsutil.ServerConfig(cert)

		t.Run("implicit "+kt.String(), func(t *testing.T) {
			l, err := tlsutil.Listen(context.Background(), "tcp", "127.0.0.1:0", tlsutil.ModeImplicit, cfg)
			require.NoError(t, err)
			defer l.Close()
			summary := make(chan string, 1)
			go func() {
				c, err := l.Accept()
				if err != nil {
					summary <- err.Error()
					return
				}
				defer c.Close()
				tc := c.(*tls.Conn)
				if err := tc.Handshake(); err != nil {
					summary <- err.Error()
					return
				}
				summary <- tlsutil.Summary(tc.ConnectionState())
				_, _ = c.Write([]byte("* OK hello from mailkit\r\n"))
				_, _ = bufio.NewReader(c).ReadString('\n')
			}()
			out, err := tlsOpenSSL(t, "a1 LOGOUT\r\n", "-connect", l.Addr().String(), "-CAfile", caFile,
				"-verify_return_error", "-verify_hostname", "localhost", "-servername", "localhost")
			require.NoError(t, err, out)
			assert.Contains(t, out, "Verify return code: 0 (ok)")
			assert.Contains(t, out, "hello from mailkit")
			assert.True(t, strings.HasPrefix(<-summary, "TLS1."), "server saw a TLS handshake")
		})

		t.Run("starttls smtp "+kt.String(), func(t *testing.T) {
			l, err := tlsutil.Listen(context.Background(), "tcp", "127.0.0.1:0", tlsutil.ModeStartTLS, cfg)
			require.NoError(t, err)
			defer l.Close()
			served := make(chan error, 1)
			go func() { served <- tlsSMTPGreeter(l, cfg) }()
			out, err := tlsOpenSSL(t, "QUIT\r\n", "-starttls", "smtp", "-connect", l.Addr().String(), "-CAfile", caFile,
				"-verify_return_error", "-verify_hostname", "localhost", "-servername", "localhost")
			require.NoError(t, err, out)
			assert.Contains(t, out, "Verify return code: 0 (ok)")
			assert.Contains(t, out, "221 2.0.0 bye over TLS")
			require.NoError(t, <-served)
		})
	}

	t.Run("wrong hostname rejected by openssl", func(t *testing.T) {
		cfg, err := ca.ServerConfig("localhost")
		require.NoError(t, err)
		l, err := tlsutil.Listen(context.Background(), "tcp", "127.0.0.1:0", tlsutil.ModeImplicit, cfg)
		require.NoError(t, err)
		defer l.Close()
		go func() {
			c, err := l.Accept()
			if err == nil {
				_ = c.(*tls.Conn).Handshake()
				c.Close()
			}
		}()
		out, err := tlsOpenSSL(t, "", "-connect", l.Addr().String(), "-CAfile", caFile,
			"-verify_return_error", "-verify_hostname", "mail.other.org")
		require.Error(t, err, out)
	})
}

// tlsSMTPGreeter serves one SMTP session up to STARTTLS, then answers QUIT
// over TLS.
func tlsSMTPGreeter(l net.Listener, cfg *tls.Config) error {
	c, err := l.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	r := bufio.NewReader(c)
	w := func(s string) { _, _ = c.Write([]byte(s + "\r\n")) }
	w("220 localhost ESMTP mailkit test greeter")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			w("250-localhost\r\n250-PIPELINING\r\n250 STARTTLS")
		case cmd == "STARTTLS":
			if r.Buffered() > 0 {
				return errors.New("client pipelined data after STARTTLS")
			}
			w("220 2.0.0 Ready to start TLS")
			tc, err := tlsutil.ServerHandshake(context.Background(), c, cfg)
			if err != nil {
				return err
			}
			defer tc.Close() // close_notify before the TCP close
			tr := bufio.NewReader(tc)
			for {
				line, err := tr.ReadString('\n')
				if err != nil {
					return nil // openssl closes after stdin ends
				}
				cmd := strings.ToUpper(strings.TrimSpace(line))
				switch {
				case cmd == "QUIT":
					_, _ = tc.Write([]byte("221 2.0.0 bye over TLS\r\n"))
					return nil
				case strings.HasPrefix(cmd, "EHLO"):
					_, _ = tc.Write([]byte("250 localhost\r\n"))
				default:
					_, _ = tc.Write([]byte("502 5.5.1 not here\r\n"))
				}
			}
		default:
			w("502 5.5.1 not here")
		}
	}
}
