package smtp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/smtp"
)

var fixedNow = func() time.Time { return time.Date(2026, 11, 29, 17, 6, 4, 0, time.UTC) }

// TestScenario1 replays SCENARIOS.md §1 byte for byte.
func TestScenario1(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.com")
	s := &smtp.Server{
		Backend:   be,
		Hostname:  "www.example.com",
		Greeting:  "ESMTP Postfix",
		HeloReply: func(c *smtp.ConnInfo) string { return "Hello " + c.Helo },
		NewID:     func() string { return "12345" },
		Now:       fixedNow,
	}
	addr := startServer(t, s)
	c := dialRaw(t, addr)
	c.expect("", "220 www.example.com ESMTP Postfix")
	c.expect("HELO mydomain.com", "250 Hello mydomain.com")
	c.expect("MAIL FROM:<sender@mydomain.com>", "250 Ok")
	c.expect("RCPT TO:<friend@example.com>", "250 Ok")
	c.expect("DATA", "354 End data with <CR><LF>.<CR><LF>")
	body := "Subject: test message\r\nFrom: sender@mydomain.com\r\nTo: friend@example.com\r\n\r\nHello,\r\nThis is a test.\r\nGoodbye.\r\n"
	c.send(body + ".\r\n")
	c.expect("", "250 Ok: queued as 12345")
	c.expect("QUIT", "221 Bye")
	assert.True(t, c.closed())

	msgs := be.messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.Equal(t, "sender@mydomain.com", m.From)
	assert.Equal(t, []string{"friend@example.com"}, m.Rcpts)
	wantReceived := "Received: from mydomain.com ([127.0.0.1])\r\n" +
		"\tby www.example.com with SMTP id 12345\r\n" +
		"\tfor <friend@example.com>; Sun, 29 Nov 2026 17:06:04 +0000\r\n"
	assert.Equal(t, wantReceived+body, string(m.Data))
	assert.Equal(t, "SMTP", m.Info.Protocol())
}

// TestScenario1EnvelopeDecides shows that the envelope, not the header,
// decides delivery: the message goes to a recipient named in no header.
func TestScenario1EnvelopeDecides(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.com")
	addr := startServer(t, &smtp.Server{Backend: be, Hostname: "www.example.com", Greeting: "ESMTP Postfix"})
	c := dialRaw(t, addr)
	c.expectCode("", "220 ")
	c.expectCode("HELO mydomain.com", "250 ")
	c.expect("MAIL FROM:<sender@mydomain.com>", "250 Ok")
	c.expect("RCPT TO:<hidden@example.com>", "250 Ok")
	c.expect("DATA", "354 End data with <CR><LF>.<CR><LF>")
	c.send("Subject: test message\r\nFrom: sender@mydomain.com\r\nTo: friend@example.com\r\n\r\nHello,\r\n.\r\n")
	c.expectCode("", "250 Ok: queued as ")
	c.expect("QUIT", "221 Bye")
	msgs := be.messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, []string{"hidden@example.com"}, msgs[0].Rcpts)
	_, original, _ := strings.Cut(string(msgs[0].Data), "+0000\r\n") // after our Received trace field
	assert.True(t, strings.HasPrefix(original, "Subject: test message\r\n"), "%q", original)
	assert.NotContains(t, original, "hidden@example.com", "the recipient is in no header of the message")
	assert.Contains(t, string(msgs[0].Data), "To: friend@example.com")
}

func scenario2Server(be smtp.Backend, t *testing.T) *smtp.Server {
	return &smtp.Server{
		Backend:    be,
		Hostname:   "example.hades.lab",
		Greeting:   "ESMTP Postfix",
		TLSConfig:  serverTLS(t),
		Limits:     smtp.Limits{MessageBytes: 35651584},
		Extensions: []string{"SIZE", "DSN", "STARTTLS", "8BITMIME", "ENHANCEDSTATUSCODES", "PIPELINING", "HELP"},
	}
}

// TestScenario2 replays the EHLO capability list of SCENARIOS.md §2 byte
// for byte, then shows the list after STARTTLS differs.
func TestScenario2(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.hades.lab")
	s := scenario2Server(be, t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	remote := &net.TCPAddr{IP: net.ParseIP("172.16.1.238"), Port: 40000}
	addr := serveOn(t, s, addrListener{l, remote})
	c := dialRaw(t, addr)
	c.expect("", "220 example.hades.lab ESMTP Postfix")
	c.expect("EHLO 172.16.1.238", strings.Join([]string{
		"250-example.hades.lab at your service, [172.16.1.238]",
		"250-SIZE 35651584",
		"250-DSN",
		"250-STARTTLS",
		"250-8BITMIME",
		"250-ENHANCEDSTATUSCODES",
		"250-PIPELINING",
		"250 HELP",
	}, "\n"))
	c.expect("STARTTLS", "220 2.0.0 Ready to start TLS")
	c.startTLS()
	// RFC 3207: the client must EHLO again; MAIL before that is refused.
	c.expect("MAIL FROM:<a@b.example>", "503 Error: send HELO/EHLO first")
	c.expect("EHLO 172.16.1.238", strings.Join([]string{
		"250-example.hades.lab at your service, [172.16.1.238]",
		"250-SIZE 35651584",
		"250-DSN",
		"250-8BITMIME",
		"250-ENHANCEDSTATUSCODES",
		"250-PIPELINING",
		"250 HELP",
	}, "\n"))
	c.expect("MAIL FROM:<a@b.example> SIZE=35651585", "552 5.3.4 Message size exceeds fixed limit")
	c.expect("MAIL FROM:<a@b.example> SIZE=35651584", "250 2.1.0 Ok")
	c.expect("QUIT", "221 2.0.0 Bye")
}

func TestDefaultEHLOAndAuthOnlyAfterTLS(t *testing.T) {
	t.Parallel()
	be := newAuthBackend(newFakeBackend("example.test"), "alice", "secret")
	s := &smtp.Server{Backend: be, Hostname: "mx.example.test", TLSConfig: serverTLS(t), Profile: smtp.ProfileSubmission}
	c := dialRaw(t, startServer(t, s))
	c.expect("", "220 mx.example.test ESMTP mailkit")
	r := c.expectCode("EHLO client.example", "250-mx.example.test at your service, [127.0.0.1]")
	assert.Contains(t, r, "250-STARTTLS")
	assert.NotContains(t, r, "AUTH")
	assert.NotContains(t, r, "REQUIRETLS")
	assert.Contains(t, r, "250-PIPELINING")
	assert.Contains(t, r, "250-CHUNKING")
	c.expect("AUTH PLAIN AGFsaWNlAHNlY3JldA==", "538 5.7.11 Encryption required for requested authentication mechanism")
	c.expect("MAIL FROM:<alice@example.test>", "530 5.7.0 Authentication required")
	c.expect("STARTTLS", "220 2.0.0 Ready to start TLS")
	c.startTLS()
	r = c.expectCode("EHLO client.example", "250-")
	assert.Contains(t, r, " PLAIN LOGIN")
	assert.Contains(t, r, "250-REQUIRETLS")
	assert.NotContains(t, r, "STARTTLS")
	c.expect("AUTH PLAIN AGFsaWNlAHdyb25n", "535 5.7.8 Error: authentication failed")
	c.expect("AUTH PLAIN", "334 ")
	c.expect("AGFsaWNlAHNlY3JldA==", "235 2.7.0 Authentication successful")
	c.expect("MAIL FROM:<alice@example.test> REQUIRETLS", "250 2.1.0 Ok")
	c.expect("RCPT TO:<someone@elsewhere.example>", "250 2.1.5 Ok") // submission relays
	c.expect("DATA", "354 End data with <CR><LF>.<CR><LF>")
	c.send("Subject: x\r\n\r\nhi\r\n.\r\n")
	c.expectCode("", "250 2.0.0 Ok: queued as ")
	c.expect("QUIT", "221 2.0.0 Bye")
	m := be.messages()
	require.Len(t, m, 1)
	assert.True(t, m[0].Mail.RequireTLS)
	assert.Equal(t, "alice", m[0].Info.AuthUser)
	assert.Equal(t, "ESMTPSA", m[0].Info.Protocol())
	assert.Regexp(t, `^Received: from client.example \(\[127.0.0.1\]\)\r\n\tby mx.example.test with ESMTPSA \(TLS1\.3 TLS_[A-Z0-9_]+.*\) id [0-9a-f]{12}\r\n\tfor <someone@elsewhere.example>; `, string(m[0].Data))
}

func TestSubmissionAuthLogin(t *testing.T) {
	t.Parallel()
	be := newAuthBackend(newFakeBackend(), "alice", "secret")
	s := &smtp.Server{Backend: be, TLSConfig: serverTLS(t), Profile: smtp.ProfileSubmission}
	c := dialRaw(t, startServer(t, s))
	c.greetEHLO("x")
	c.expectCode("STARTTLS", "220 ")
	c.startTLS()
	c.expectCode("EHLO x", "250")
	c.expect("AUTH LOGIN", "334 VXNlcm5hbWU6")
	c.expect("YWxpY2U=", "334 UGFzc3dvcmQ6")
	c.expect("c2VjcmV0", "235 2.7.0 Authentication successful")
	c.expect("AUTH PLAIN", "503 5.5.1 Error: already authenticated")
	c.expect("QUIT", "221 2.0.0 Bye")

	c = dialRaw(t, startServer(t, &smtp.Server{Backend: be, TLSConfig: serverTLS(t), Profile: smtp.ProfileSubmission}))
	c.greetEHLO("x")
	c.expectCode("STARTTLS", "220 ")
	c.startTLS()
	c.expectCode("EHLO x", "250")
	c.expect("AUTH CRAM-MD5", "504 5.5.4 Unrecognized authentication type")
	c.expect("AUTH LOGIN", "334 VXNlcm5hbWU6")
	c.expect("*", "501 5.0.0 Authentication aborted")
}

func TestMXRelayRefused(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	c := dialRaw(t, startServer(t, &smtp.Server{Backend: be, Hostname: "mx.example.test"}))
	c.greetEHLO("client.example")
	c.expect("MAIL FROM:<a@remote.example>", "250 2.1.0 Ok")
	c.expect("RCPT TO:<victim@elsewhere.example>", "550 5.7.1 <victim@elsewhere.example>: Relay access denied")
	c.expect("RCPT TO:<alice@EXAMPLE.test>", "250 2.1.5 Ok")
	c.expect("RCPT TO:<postmaster>", "250 2.1.5 Ok")
	c.expect("QUIT", "221 2.0.0 Bye")
}

func TestRelayNetworksAndOpenRelay(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	c := dialRaw(t, startServer(t, &smtp.Server{Backend: be, RelayNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}))
	c.greetEHLO("client.example")
	c.expect("MAIL FROM:<a@remote.example>", "250 2.1.0 Ok")
	c.expect("RCPT TO:<x@elsewhere.example>", "250 2.1.5 Ok")

	// ProfileMX without a LocalDomainBackend only runs with OpenRelay.
	type plain struct{ smtp.Backend }
	err := (&smtp.Server{Backend: plain{be}}).Serve(mustListen(t))
	assert.ErrorIs(t, err, smtp.ErrNoLocalDomains)
	c = dialRaw(t, startServer(t, &smtp.Server{Backend: plain{be}, OpenRelay: true}))
	c.greetEHLO("client.example")
	c.expect("MAIL FROM:<a@remote.example>", "250 2.1.0 Ok")
	c.expect("RCPT TO:<x@elsewhere.example>", "250 2.1.5 Ok")
}

func mustListen(t *testing.T) net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return l
}

func TestStartupErrors(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	tests := []struct {
		name string
		srv  *smtp.Server
		want error
	}{
		{"no backend", &smtp.Server{}, smtp.ErrNoBackend},
		{"submission without auth", &smtp.Server{Backend: be, Profile: smtp.ProfileSubmission, TLSConfig: serverTLS(t)}, smtp.ErrNoAuth},
		{"submission without tls", &smtp.Server{Backend: newAuthBackend(be, "a", "b"), Profile: smtp.ProfileSubmission}, smtp.ErrNoTLS},
		{"implicit without tls", &smtp.Server{Backend: be, ImplicitTLS: true}, smtp.ErrNoTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, tt.srv.Serve(mustListen(t)), tt.want)
		})
	}
	err := (&smtp.Server{Backend: be, Extensions: []string{"BOGUS"}}).Serve(mustListen(t))
	assert.ErrorContains(t, err, "BOGUS")
}

// TestStartTLSPipelinedCommandRefused covers CVE-2011-0411.
func TestStartTLSPipelinedCommandRefused(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	c := dialRaw(t, startServer(t, &smtp.Server{Backend: be, TLSConfig: serverTLS(t)}))
	c.greetEHLO("x")
	c.send("STARTTLS\r\nMAIL FROM:<evil@example.test>\r\n")
	c.expect("", "554 5.5.1 Error: commands pipelined after STARTTLS")
	assert.True(t, c.closed())
}

func TestPipelining(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	c := dialRaw(t, startServer(t, &smtp.Server{Backend: be}))
	c.greetEHLO("x")
	c.send("MAIL FROM:<a@x.example>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@other.example>\r\nRCPT TO:<d@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;d+2Bx@example.test\r\nDATA\r\n")
	c.expect("", "250 2.1.0 Ok")
	c.expect("", "250 2.1.5 Ok")
	c.expectCode("", "550 5.7.1 ")
	c.expect("", "250 2.1.5 Ok")
	c.expectCode("", "354 ")
	// two messages back to back in one write
	c.send("one\r\n..dot\r\n.\r\nMAIL FROM:<> BODY=8BITMIME RET=HDRS ENVID=abc+2Bd\r\nRCPT TO:<b@example.test>\r\nDATA\r\n")
	c.expectCode("", "250 2.0.0 Ok: queued as")
	c.expect("", "250 2.1.0 Ok")
	c.expect("", "250 2.1.5 Ok")
	c.expectCode("", "354 ")
	c.send("two\r\n.\r\nQUIT\r\n")
	c.expectCode("", "250 2.0.0")
	c.expect("", "221 2.0.0 Bye")
	m := be.messages()
	require.Len(t, m, 2)
	assert.True(t, strings.HasSuffix(string(m[0].Data), "\r\none\r\n.dot\r\n"), "%q", m[0].Data)
	assert.Equal(t, []string{"b@example.test", "d@example.test"}, m[0].Rcpts)
	assert.Equal(t, []smtp.DSNNotify{smtp.NotifySuccess, smtp.NotifyFailure}, m[0].Rcpt[1].Notify)
	assert.Equal(t, "rfc822", m[0].Rcpt[1].OriginalRecipientType)
	assert.Equal(t, "d+x@example.test", m[0].Rcpt[1].OriginalRecipient)
	assert.Equal(t, "", m[1].From)
	assert.Equal(t, smtp.Body8BitMIME, m[1].Mail.Body)
	assert.Equal(t, smtp.ReturnHeaders, m[1].Mail.Return)
	assert.Equal(t, "abc+d", m[1].Mail.EnvelopeID)
}

func TestCommandErrors(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	c := dialRaw(t, startServer(t, &smtp.Server{Backend: be, Limits: smtp.Limits{Recipients: 2, BadCommands: 100}}))
	c.expectCode("", "220 ")
	c.expect("MAIL FROM:<a@b.example>", "503 Error: send HELO/EHLO first")
	c.expectCode("EHLO x", "250")
	c.expect("RCPT TO:<a@example.test>", "503 5.5.1 Error: need MAIL command")
	c.expect("DATA", "503 5.5.1 Error: need MAIL command")
	c.expect("FOO", "500 5.5.2 Error: command not recognized")
	c.expect("VRFY alice", "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery")
	c.expect("NOOP", "250 2.0.0 Ok")
	c.expectCode("HELP", "214-2.0.0 ")
	c.expect("MAIL FROM:<a@b.example> FOO=bar", "555 5.5.4 Unsupported option: FOO")
	c.expectCode("MAIL FROM:a@b.example", "501 5.5.4 ")
	c.expectCode("MAIL FROM:<ü@b.example>", "553 5.6.7 ")
	c.expect("MAIL FROM:<ü@b.example> SMTPUTF8", "250 2.1.0 Ok")
	c.expect("MAIL FROM:<a@b.example>", "503 5.5.1 Error: nested MAIL command")
	c.expect("DATA", "503 5.5.1 Error: no valid recipients")
	c.expect("RCPT TO:<a@example.test>", "250 2.1.5 Ok")
	c.expect("RCPT TO:<b@example.test>", "250 2.1.5 Ok")
	c.expect("RCPT TO:<c@example.test>", "452 4.5.3 Error: too many recipients")
	c.expect("RSET", "250 2.0.0 Ok")
	c.expect("MAIL FROM:<"+strings.Repeat("a", 520)+"@b.example>", "500 5.5.2 Error: line too long")
	c.expect("NOOP", "250 2.0.0 Ok")
	c.expect("RSET x", "501 5.5.4 Syntax: RSET")
	c.expect("STARTTLS", "502 5.5.1 Error: command not implemented")
	c.expect("AUTH PLAIN", "502 5.5.1 Error: authentication not enabled")
	c.expect("XCLIENT ADDR=1.2.3.4", "550 5.7.0 Error: insufficient authorization")
	c.expect("HELO", "501 5.5.4 Syntax: HELO hostname")
	c.expect("LHLO x", "500 5.5.1 Error: command not recognized")
}

func TestTooManyErrorsDisconnects(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	c := dialRaw(t, startServer(t, &smtp.Server{Backend: be, Hostname: "mx.example.test", Limits: smtp.Limits{BadCommands: 3}}))
	c.expectCode("", "220 ")
	c.expect("X1", "500 Error: command not recognized")
	c.expect("X2", "500 Error: command not recognized")
	c.expect("X3", "500 Error: command not recognized")
	c.expect("", "421 mx.example.test Error: too many errors")
	assert.True(t, c.closed())
}

func TestSizeEnforcedDuringData(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	c := dialRaw(t, startServer(t, &smtp.Server{Backend: be, Limits: smtp.Limits{MessageBytes: 100, TextLine: 50}}))
	c.expectCode("", "220 ")
	c.expectCode("EHLO x", "250-")
	c.expect("MAIL FROM:<a@b.example> SIZE=101", "552 5.3.4 Message size exceeds fixed limit")
	c.expect("MAIL FROM:<a@b.example> SIZE=99", "250 2.1.0 Ok")
	c.expect("RCPT TO:<a@example.test>", "250 2.1.5 Ok")
	c.expectCode("DATA", "354 ")
	c.send(strings.Repeat("0123456789\r\n", 20) + ".\r\n")
	c.expect("", "552 5.3.4 Error: message file too big")
	// the transaction is over, the connection is in sync
	c.expect("RCPT TO:<a@example.test>", "503 5.5.1 Error: need MAIL command")
	c.expect("MAIL FROM:<a@b.example>", "250 2.1.0 Ok")
	c.expect("RCPT TO:<a@example.test>", "250 2.1.5 Ok")
	c.expectCode("DATA", "354 ")
	c.send(strings.Repeat("x", 60) + "\r\n.\r\n")
	c.expect("", "500 5.5.2 Error: line too long")
	c.expect("NOOP", "250 2.0.0 Ok")
	assert.Empty(t, be.messages())
}

func TestBackendErrors(t *testing.T) {
	t.Parallel()
	t.Run("typed error passes through", func(t *testing.T) {
		be := newFakeBackend("example.test")
		be.rcptErr = func(to string) error {
			if strings.HasPrefix(to, "nobody") {
				return fmt.Errorf("wrapped: %w", &smtp.Error{Code: 550, Enhanced: smtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1}, Message: "User unknown"})
			}
			return nil
		}
		c := dialRaw(t, startServer(t, &smtp.Server{Backend: be}))
		c.greetEHLO("x")
		c.expect("MAIL FROM:<>", "250 2.1.0 Ok")
		c.expect("RCPT TO:<nobody@example.test>", "550 5.1.1 User unknown")
	})
	t.Run("other errors become 451 without text", func(t *testing.T) {
		be := newFakeBackend("example.test")
		be.dataErr = errors.New("disk on fire at /var/secret")
		c := dialRaw(t, startServer(t, &smtp.Server{Backend: be}))
		c.greetEHLO("x")
		c.expect("MAIL FROM:<>", "250 2.1.0 Ok")
		c.expect("RCPT TO:<a@example.test>", "250 2.1.5 Ok")
		c.expectCode("DATA", "354")
		c.send("x\r\n.\r\n")
		c.expect("", "451 4.3.0 Requested action aborted: local error in processing")
		c.expect("NOOP", "250 2.0.0 Ok")
	})
	t.Run("panic becomes 421", func(t *testing.T) {
		be := newFakeBackend("example.test")
		be.panicOn = "MAIL"
		c := dialRaw(t, startServer(t, &smtp.Server{Backend: be, Hostname: "mx.example.test"}))
		c.greetEHLO("x")
		c.expect("MAIL FROM:<>", "421 4.3.0 mx.example.test Error: internal server error")
		assert.True(t, c.closed())
	})
	t.Run("NewSession refusal", func(t *testing.T) {
		be := newFakeBackend("example.test")
		be.newSess = &smtp.Error{Code: 554, Message: "No SMTP service here"}
		c := dialRaw(t, startServer(t, &smtp.Server{Backend: be}))
		c.expect("", "554 No SMTP service here")
		assert.True(t, c.closed())
	})
}

// authBackend adds SASL (package sasl's registry) to the fake backend.
type authBackend struct {
	*fakeBackend
	smtp.SASLAuth
}

func newAuthBackend(fb *fakeBackend, user, pass string) *authBackend {
	reg := &sasl.Registry{Credentials: sasl.CredentialsFunc(func(ctx context.Context, name string) (*sasl.Secret, error) {
		if name == user {
			return &sasl.Secret{Password: []byte(pass)}, nil
		}
		return nil, sasl.ErrUnknownUser
	})}
	return &authBackend{fakeBackend: fb, SASLAuth: smtp.SASLAuth{Registry: reg}}
}
