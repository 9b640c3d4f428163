package smtp_test

import (
	"context"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/smtp"
)

func TestShutdownAnswersIdleClients(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	s := &smtp.Server{Backend: be, Hostname: "mx.example.test"}
	l := mustListen(t)
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	c := dialRaw(t, l.Addr().String())
	c.greetEHLO("x")
	c.expect("NOOP", "250 2.0.0 Ok") // the connection is now idle in the server
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, s.Shutdown(ctx))
	c.expect("", "421 4.3.2 mx.example.test Service shutting down, closing transmission channel")
	assert.True(t, c.closed())
	assert.ErrorIs(t, <-done, smtp.ErrServerClosed)
	_, err := net.Dial("tcp", l.Addr().String())
	assert.Error(t, err, "listener closed")
	assert.Equal(t, 1, be.logouts)
}

// slowBackend blocks in Data until released, to test that Shutdown waits
// for a transaction in flight.
type slowBackend struct {
	*fakeBackend
	entered, release chan struct{}
}

func (b *slowBackend) NewSession(ctx context.Context, c *smtp.ConnInfo) (smtp.Session, error) {
	s, _ := b.fakeBackend.NewSession(ctx, c)
	return &slowSession{Session: s, b: b}, nil
}

type slowSession struct {
	smtp.Session
	b *slowBackend
}

func (s *slowSession) Data(ctx context.Context, r io.Reader) error {
	close(s.b.entered)
	<-s.b.release
	return s.Session.Data(ctx, r)
}

func TestShutdownWaitsForTransaction(t *testing.T) {
	t.Parallel()
	be := &slowBackend{fakeBackend: newFakeBackend("example.test"), entered: make(chan struct{}), release: make(chan struct{})}
	s := &smtp.Server{Backend: be, Hostname: "mx.example.test"}
	l := mustListen(t)
	go func() { _ = s.Serve(l) }()
	c := dialRaw(t, l.Addr().String())
	c.greetEHLO("x")
	c.send("MAIL FROM:<a@x.example>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n")
	c.expectCode("", "250")
	c.expectCode("", "250")
	c.expectCode("", "354")
	c.send("hello\r\n.\r\n")
	<-be.entered
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	close(be.release)
	c.expectCode("", "250 2.0.0 Ok: queued as ")
	c.expectCode("", "421 4.3.2 ")
	require.NoError(t, <-shut)
	assert.Len(t, be.messages(), 1)
}

func TestConnectionLimits(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	addr := startServer(t, &smtp.Server{Backend: be, Hostname: "mx.example.test", Limits: smtp.Limits{ConnectionsPerIP: 2}})
	c1 := dialRaw(t, addr)
	c1.expectCode("", "220 ")
	c2 := dialRaw(t, addr)
	c2.expectCode("", "220 ")
	c3 := dialRaw(t, addr)
	c3.expect("", "421 4.7.0 mx.example.test Error: too many connections from your address")
	assert.True(t, c3.closed())
	c1.expect("QUIT", "221 Bye")
	assert.True(t, c1.closed())
	// the slot is free again (the server drops the conn after QUIT)
	require.Eventually(t, func() bool {
		c := dialRaw(t, addr)
		return strings.HasPrefix(c.reply(), "220 ")
	}, 5*time.Second, 10*time.Millisecond)
}

func TestCommandTimeout(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	addr := startServer(t, &smtp.Server{Backend: be, Hostname: "mx.example.test", Limits: smtp.Limits{CommandTimeout: 50 * time.Millisecond}})
	c := dialRaw(t, addr)
	c.expectCode("", "220 ")
	c.expect("", "421 mx.example.test Error: timeout exceeded")
	assert.True(t, c.closed())
}

// lmtpBackend answers per recipient: recipients starting with "full" fail.
type lmtpBackend struct{ *fakeBackend }

func (b lmtpBackend) NewSession(ctx context.Context, c *smtp.ConnInfo) (smtp.Session, error) {
	s, _ := b.fakeBackend.NewSession(ctx, c)
	return &lmtpSession{fakeSession: s.(*fakeSession)}, nil
}

type lmtpSession struct{ *fakeSession }

func (s *lmtpSession) LMTPData(ctx context.Context, r io.Reader) ([]error, error) {
	if err := s.Data(ctx, r); err != nil {
		return nil, err
	}
	var out []error
	for _, rc := range s.b.messages()[len(s.b.messages())-1].Rcpts {
		if strings.HasPrefix(rc, "full") {
			out = append(out, &smtp.Error{Code: 452, Enhanced: smtp.EnhancedCode{Class: 4, Subject: 2, Detail: 2}, Message: "<" + rc + "> Mailbox full"})
		} else {
			out = append(out, nil)
		}
	}
	return out, nil
}

func TestLMTP(t *testing.T) {
	t.Parallel()
	be := lmtpBackend{newFakeBackend()}
	addr := startServer(t, &smtp.Server{Backend: be, Hostname: "lmtp.example.test", Profile: smtp.ProfileLMTP, NewID: func() string { return "Q1" }})
	c := dialRaw(t, addr)
	c.expect("", "220 lmtp.example.test LMTP mailkit")
	c.expect("EHLO x", "500 Error: command not recognized")
	c.expectCode("LHLO x", "250-lmtp.example.test")
	c.send("MAIL FROM:<a@x.example>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<full@example.test>\r\nDATA\r\n")
	c.expect("", "250 2.1.0 Ok")
	c.expect("", "250 2.1.5 Ok")
	c.expect("", "250 2.1.5 Ok")
	c.expectCode("", "354 ")
	c.send("Subject: x\r\n\r\nhi\r\n.\r\n")
	c.expect("", "250 2.1.5 <alice@example.test> Ok: queued as Q1")
	c.expect("", "452 4.2.2 <full@example.test> Mailbox full")
	c.expect("QUIT", "221 2.0.0 Bye")
	m := be.messages()
	require.Len(t, m, 1)
	assert.Contains(t, string(m[0].Data), "with LMTP id Q1")

	// and our LMTP client reads the per-recipient replies
	ctx := context.Background()
	cl, err := smtp.Dial(ctx, addr, &smtp.ClientOptions{LMTP: true})
	require.NoError(t, err)
	res, err := cl.Send(ctx, &smtp.Envelope{From: "a@x.example", To: []string{"full@example.test", "bob@example.test"}}, strings.NewReader("Subject: y\r\n\r\nyo\r\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"bob@example.test"}, res.Accepted())
	assert.True(t, smtp.IsTemporary(res.Rcpts[0].Err))
	require.NoError(t, cl.Quit(ctx))
}

func TestXCLIENT(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	s := &smtp.Server{Backend: be, Hostname: "mx.example.test", TrustedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	c := dialRaw(t, startServer(t, s))
	c.expectCode("", "220 ")
	r := c.expectCode("EHLO proxy", "250-")
	assert.Contains(t, r, "250 XCLIENT NAME ADDR PORT PROTO HELO LOGIN")
	c.expect("XCLIENT ADDR=192.0.2.7 NAME=client.example HELO=remote.example", "220 mx.example.test ESMTP mailkit")
	c.expectCode("EHLO remote.example", "250-mx.example.test at your service, [192.0.2.7]\n")
	c.expect("MAIL FROM:<a@x.example>", "250 2.1.0 Ok")
	c.expect("RCPT TO:<b@example.test>", "250 2.1.5 Ok")
	c.expectCode("DATA", "354")
	c.send("x\r\n.\r\n")
	c.expectCode("", "250 2.0.0 ")
	m := be.messages()
	require.Len(t, m, 1)
	assert.True(t, strings.HasPrefix(string(m[0].Data), "Received: from remote.example (client.example [192.0.2.7])\r\n"), "%q", m[0].Data)
	assert.Equal(t, netip.MustParseAddr("192.0.2.7"), m[0].Info.RemoteIP)

	// untrusted clients: not offered, refused
	c2 := dialRaw(t, startServer(t, &smtp.Server{Backend: be}))
	c2.expectCode("", "220 ")
	r = c2.expectCode("EHLO x", "250-")
	assert.NotContains(t, r, "XCLIENT")
	c2.expect("XCLIENT ADDR=192.0.2.7", "550 5.7.0 Error: insufficient authorization")
}
