package tlsutil

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeScript is the plaintext part of a fake server: it must end by
// writing the go-ahead reply followed by forged bytes in the same write.
type fakeScript func(c net.Conn, r *bufio.Reader) error

func expectLine(r *bufio.Reader, want string) error {
	l, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimRight(l, "\r\n") != want {
		return errors.New("fake server: got " + l + " want " + want)
	}
	return nil
}

func write(c net.Conn, s string) error { _, err := io.WriteString(c, s); return err }

const forged = "250 forged reply injected before TLS\r\n* OK forged\r\n+OK forged\r\n"

var goodScripts = map[Protocol]fakeScript{
	ProtoSMTP: func(c net.Conn, r *bufio.Reader) error {
		if err := write(c, "220-fake.example ESMTP\r\n220 more greeting\r\n"); err != nil {
			return err
		}
		if err := expectLine(r, "EHLO client.example"); err != nil {
			return err
		}
		if err := write(c, "250-fake.example\r\n250-PIPELINING\r\n250-starttls\r\n250 8BITMIME\r\n"); err != nil {
			return err
		}
		if err := expectLine(r, "STARTTLS"); err != nil {
			return err
		}
		return write(c, "220 2.0.0 Ready to start TLS\r\n"+forged)
	},
	ProtoIMAP: func(c net.Conn, r *bufio.Reader) error {
		if err := write(c, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"); err != nil {
			return err
		}
		l, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		tag, cmd, _ := strings.Cut(strings.TrimSpace(l), " ")
		if cmd != "STARTTLS" {
			return errors.New("fake imap: got " + l)
		}
		return write(c, "* CAPABILITY IMAP4rev1\r\n"+tag+" OK Begin TLS negotiation now\r\n"+forged)
	},
	ProtoPOP3: func(c net.Conn, r *bufio.Reader) error {
		if err := write(c, "+OK POP3 ready\r\n"); err != nil {
			return err
		}
		if err := expectLine(r, "STLS"); err != nil {
			return err
		}
		return write(c, "+OK Begin TLS negotiation\r\n"+forged)
	},
	ProtoFTP: func(c net.Conn, r *bufio.Reader) error {
		if err := write(c, "120 wait a moment\r\n220-Welcome\r\n free text line\r\n220 ready\r\n"); err != nil {
			return err
		}
		if err := expectLine(r, "AUTH TLS"); err != nil {
			return err
		}
		return write(c, "234 AUTH TLS successful\r\n"+forged)
	},
	ProtoLDAP: func(c net.Conn, r *bufio.Reader) error {
		req := ldapStartTLSRequest(1)
		got := make([]byte, len(req))
		if _, err := io.ReadFull(r, got); err != nil {
			return err
		}
		if string(got) != string(req) {
			return errors.New("fake ldap: unexpected request")
		}
		resp := ldapResponse(1, 0, "", ldapStartTLSOID)
		// Long-form length for the outer sequence exercises berLength.
		return write(c, string(resp)+forged)
	},
}

// ldapResponse builds an ExtendedResponse with a long-form outer length.
func ldapResponse(id, code int, diag, name string) []byte {
	op := []byte{0x0a, 0x01, byte(code), 0x04, 0x00, 0x04, byte(len(diag))}
	op = append(op, diag...)
	if name != "" {
		op = append(op, 0x8a, byte(len(name)))
		op = append(op, name...)
	}
	body := append([]byte{0x02, 0x01, byte(id), 0x78, byte(len(op))}, op...)
	return append([]byte{0x30, 0x81, byte(len(body))}, body...)
}

func TestStartTLSDiscardsPipelinedBytes(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	srvCfg, err := ca.ServerConfig("mail.example.test")
	require.NoError(t, err)
	for proto, script := range goodScripts {
		t.Run(string(proto), func(t *testing.T) {
			t.Parallel()
			addr, done := serveOnce(t, func(c net.Conn) error {
				r := bufio.NewReader(c)
				if err := script(c, r); err != nil {
					return err
				}
				if r.Buffered() > 0 {
					return errors.New("fake server: client pipelined data before TLS")
				}
				return tlsEcho(c, srvCfg)
			})
			conn, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer conn.Close()
			var discarded []byte
			tc, err := StartTLS(context.Background(), conn, proto, ca.ClientConfig("mail.example.test"),
				&StartTLSOptions{ClientName: "client.example", Discarded: func(b []byte) { discarded = b }})
			require.NoError(t, err)
			assert.Equal(t, forged, string(discarded), "pre-handshake bytes reported as discarded")
			_, err = tc.Write([]byte("PING\r\n"))
			require.NoError(t, err)
			line, err := bufio.NewReader(tc).ReadString('\n')
			require.NoError(t, err)
			assert.Equal(t, "real reply\r\n", line, "first line read over TLS must come from TLS, not the forged plaintext")
			require.NoError(t, <-done)
			assert.True(t, tc.ConnectionState().HandshakeComplete)
		})
	}
}

func TestStartTLSFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		proto  Protocol
		script func(c net.Conn, r *bufio.Reader) error
		want   error
		stage  string
	}{
		{"smtp no starttls", ProtoSMTP, func(c net.Conn, r *bufio.Reader) error {
			_ = write(c, "220 hi\r\n")
			_, _ = r.ReadString('\n')
			return write(c, "250-x\r\n250 SIZE 10\r\n")
		}, ErrStartTLSUnsupported, "ehlo"},
		{"smtp refused", ProtoSMTP, func(c net.Conn, r *bufio.Reader) error {
			_ = write(c, "220 hi\r\n")
			_, _ = r.ReadString('\n')
			_ = write(c, "250-x\r\n250 STARTTLS\r\n")
			_, _ = r.ReadString('\n')
			return write(c, "454 4.7.0 TLS not available\r\n")
		}, ErrStartTLSRefused, "starttls"},
		{"smtp 554 greeting", ProtoSMTP, func(c net.Conn, r *bufio.Reader) error {
			return write(c, "554 go away\r\n")
		}, ErrStartTLSRefused, "greeting"},
		{"smtp garbage", ProtoSMTP, func(c net.Conn, r *bufio.Reader) error {
			return write(c, "hello there\r\n")
		}, ErrBadReply, "greeting"},
		{"smtp mixed codes", ProtoSMTP, func(c net.Conn, r *bufio.Reader) error {
			return write(c, "220-a\r\n250 b\r\n")
		}, ErrBadReply, "greeting"},
		{"smtp line too long", ProtoSMTP, func(c net.Conn, r *bufio.Reader) error {
			return write(c, "220 "+strings.Repeat("x", 5000)+"\r\n")
		}, ErrReplyTooLong, "greeting"},
		{"smtp too many lines", ProtoSMTP, func(c net.Conn, r *bufio.Reader) error {
			return write(c, strings.Repeat("220-x\r\n", 200))
		}, ErrReplyTooLong, "greeting"},
		{"smtp eof", ProtoSMTP, func(c net.Conn, r *bufio.Reader) error {
			return write(c, "220-partial\r\n")
		}, io.ErrUnexpectedEOF, "greeting"},
		{"imap preauth", ProtoIMAP, func(c net.Conn, r *bufio.Reader) error {
			return write(c, "* PREAUTH welcome\r\n")
		}, ErrStartTLSRefused, "greeting"},
		{"imap bad", ProtoIMAP, func(c net.Conn, r *bufio.Reader) error {
			_ = write(c, "* OK hi\r\n")
			l, _ := r.ReadString('\n')
			tag, _, _ := strings.Cut(l, " ")
			return write(c, tag+" BAD unknown command\r\n")
		}, ErrStartTLSUnsupported, "starttls"},
		{"imap no", ProtoIMAP, func(c net.Conn, r *bufio.Reader) error {
			_ = write(c, "* OK hi\r\n")
			l, _ := r.ReadString('\n')
			tag, _, _ := strings.Cut(l, " ")
			return write(c, tag+" NO not now\r\n")
		}, ErrStartTLSRefused, "starttls"},
		{"imap wrong tag", ProtoIMAP, func(c net.Conn, r *bufio.Reader) error {
			_ = write(c, "* OK hi\r\n")
			_, _ = r.ReadString('\n')
			return write(c, "zz9 OK go\r\n")
		}, ErrBadReply, "starttls"},
		{"pop3 err", ProtoPOP3, func(c net.Conn, r *bufio.Reader) error {
			_ = write(c, "+OK hi\r\n")
			_, _ = r.ReadString('\n')
			return write(c, "-ERR no TLS\r\n")
		}, ErrStartTLSRefused, "starttls"},
		{"pop3 bad greeting", ProtoPOP3, func(c net.Conn, r *bufio.Reader) error {
			return write(c, "-ERR busy\r\n")
		}, ErrStartTLSRefused, "greeting"},
		{"ftp unsupported", ProtoFTP, func(c net.Conn, r *bufio.Reader) error {
			_ = write(c, "220 ftp\r\n")
			_, _ = r.ReadString('\n')
			return write(c, "502 command not implemented\r\n")
		}, ErrStartTLSUnsupported, "starttls"},
		{"ldap unavailable", ProtoLDAP, func(c net.Conn, r *bufio.Reader) error {
			_, _ = r.Read(make([]byte, 64))
			return write(c, string(ldapResponse(1, 52, "unavailable", "")))
		}, ErrStartTLSRefused, "starttls"},
		{"ldap protocol error", ProtoLDAP, func(c net.Conn, r *bufio.Reader) error {
			_, _ = r.Read(make([]byte, 64))
			return write(c, string(ldapResponse(1, 2, "unknown op", "")))
		}, ErrStartTLSUnsupported, "starttls"},
		{"ldap notice of disconnection", ProtoLDAP, func(c net.Conn, r *bufio.Reader) error {
			_, _ = r.Read(make([]byte, 64))
			return write(c, string(ldapResponse(0, 52, "bye", ldapNoticeOfDisconnection)))
		}, ErrStartTLSRefused, "starttls"},
		{"ldap wrong id", ProtoLDAP, func(c net.Conn, r *bufio.Reader) error {
			_, _ = r.Read(make([]byte, 64))
			return write(c, string(ldapResponse(7, 0, "", "")))
		}, ErrBadReply, "starttls"},
		{"ldap huge length", ProtoLDAP, func(c net.Conn, r *bufio.Reader) error {
			_, _ = r.Read(make([]byte, 64))
			return write(c, "\x30\x83\x7f\xff\xff")
		}, ErrReplyTooLong, "starttls"},
		{"ldap not a sequence", ProtoLDAP, func(c net.Conn, r *bufio.Reader) error {
			_, _ = r.Read(make([]byte, 64))
			return write(c, "220 hello\r\n")
		}, ErrBadReply, "starttls"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr, done := serveOnce(t, func(c net.Conn) error { return tc.script(c, bufio.NewReader(c)) })
			conn, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer conn.Close()
			_, err = StartTLS(context.Background(), conn, tc.proto, ClientConfig("x", nil), nil)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			var se *StartTLSError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.stage, se.Stage)
			assert.Equal(t, tc.proto, se.Protocol)
			conn.Close()
			<-done
		})
	}
}

func TestStartTLSUnknownProtocol(t *testing.T) {
	t.Parallel()
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	_, err := StartTLS(context.Background(), c1, "gopher", nil, nil)
	assert.ErrorIs(t, err, ErrUnknownProtocol)
}

func TestStartTLSContextCancelled(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	addr, done := serveOnce(t, func(c net.Conn) error { <-release; return nil })
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := StartTLS(ctx, conn, ProtoSMTP, ClientConfig("x", nil), nil)
		errc <- err
	}()
	cancel()
	err = <-errc
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	var se *StartTLSError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "greeting", se.Stage)
	close(release)
	<-done
}

func TestStartTLSDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	// The server greets and then goes silent after EHLO.
	addr, done := serveOnce(t, func(c net.Conn) error {
		if err := write(c, "220 mx ESMTP\r\n"); err != nil {
			return err
		}
		<-release
		return nil
	})
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = StartTLS(ctx, conn, ProtoSMTP, ClientConfig("x", nil), nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	var se *StartTLSError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "ehlo", se.Stage)
	close(release)
	<-done
}

func TestStartTLSHandshakeFailsOnWrongHost(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	srvCfg, err := ca.ServerConfig("mail.example.test")
	require.NoError(t, err)
	addr, done := serveOnce(t, func(c net.Conn) error {
		r := bufio.NewReader(c)
		if err := goodScripts[ProtoPOP3](c, r); err != nil {
			return err
		}
		_ = tls.Server(c, srvCfg).Handshake()
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = DialStartTLS(ctx, "tcp", addr, ProtoPOP3, ca.ClientConfig("other.example.test"), nil)
	require.Error(t, err)
	var se *StartTLSError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "handshake", se.Stage)
	var he x509HostnameErr
	assert.ErrorAs(t, err, &he)
	<-done
}

func TestDialStartTLSDefaultsServerName(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	srvCfg, err := ca.ServerConfig("127.0.0.1")
	require.NoError(t, err)
	addr, done := serveOnce(t, func(c net.Conn) error {
		r := bufio.NewReader(c)
		if err := goodScripts[ProtoSMTP](c, r); err != nil {
			return err
		}
		return tlsEcho(c, srvCfg)
	})
	tc, err := DialStartTLS(context.Background(), "tcp", addr, ProtoSMTP, ClientConfig("", ca.Pool()),
		&StartTLSOptions{ClientName: "client.example"})
	require.NoError(t, err)
	defer tc.Close()
	_, err = tc.Write([]byte("PING\r\n"))
	require.NoError(t, err)
	line, err := bufio.NewReader(tc).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "real reply\r\n", line)
	require.NoError(t, <-done)
}

func TestLDAPRequestEncoding(t *testing.T) {
	t.Parallel()
	// Hand-checked against RFC 4511 4.14.1 / X.690.
	want := []byte{0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16}
	want = append(want, "1.3.6.1.4.1.1466.20037"...)
	assert.Equal(t, want, ldapStartTLSRequest(1))
}
