package smtptest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/smtp"
	"github.com/mailkit-go/mailkit/smtp/smtptest"
)

func TestCaptureWithTLSAndAuth(t *testing.T) {
	t.Parallel()
	srv := smtptest.New(t, &smtptest.Options{Users: map[string]string{"app": "pw"}})
	ctx := context.Background()
	_, err := smtp.Dial(ctx, srv.Addr(), &smtp.ClientOptions{TLS: smtp.TLSRequired, TLSConfig: srv.ClientTLSConfig(), Auth: &smtp.ClientAuth{Username: "app", Password: "wrong"}})
	require.Error(t, err)
	c, err := smtp.Dial(ctx, srv.Addr(), &smtp.ClientOptions{TLS: smtp.TLSRequired, TLSConfig: srv.ClientTLSConfig(), Auth: &smtp.ClientAuth{Username: "app", Password: "pw"}})
	require.NoError(t, err)
	_, err = c.Send(ctx, &smtp.Envelope{From: "app@example.net", To: []string{"a@x.example", "b@y.example"}}, strings.NewReader("Subject: hi\n\nbody\n"))
	require.NoError(t, err)
	require.NoError(t, c.Quit(ctx))
	msgs := srv.MustWaitFor(t, 1)
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.Equal(t, []string{"a@x.example", "b@y.example"}, m.To)
	assert.Equal(t, "hi", m.Header.Get("Subject"))
	assert.Equal(t, "body\r\n", string(m.Body))
	assert.Equal(t, "app", m.AuthUser)
	assert.True(t, m.TLS)
}

func TestWaitForTimesOut(t *testing.T) {
	t.Parallel()
	srv := smtptest.New(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := srv.WaitFor(ctx, 1)
	assert.ErrorIs(t, err, smtptest.ErrTimeout)
}

func TestRejectHookAndImplicitTLS(t *testing.T) {
	t.Parallel()
	srv := smtptest.New(t, &smtptest.Options{ImplicitTLS: true, Reject: func(from, to string) error {
		if strings.HasPrefix(to, "bounce") {
			return &smtp.Error{Code: 550, Enhanced: smtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1}, Message: "no such user"}
		}
		return nil
	}})
	ctx := context.Background()
	c, err := smtp.Dial(ctx, srv.Addr(), &smtp.ClientOptions{TLS: smtp.TLSImplicit, TLSConfig: srv.ClientTLSConfig()})
	require.NoError(t, err)
	res, err := c.Send(ctx, &smtp.Envelope{From: "", To: []string{"bounce@x.example", "ok@x.example"}}, strings.NewReader("Subject: s\r\n\r\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"ok@x.example"}, res.Accepted())
	require.NoError(t, c.Quit(ctx))
	msgs := srv.MustWaitFor(t, 1)
	assert.Equal(t, []string{"ok@x.example"}, msgs[0].To)
	srv.Reset()
	assert.Empty(t, srv.Messages())
}

// TestWaitForConcurrentSenders: WaitFor returns once N messages from
// concurrent clients are in, each with its own envelope; the captured
// data starts with the server's Received field and keeps the envelope
// recipient that appears in no header (Bcc).
func TestWaitForConcurrentSenders(t *testing.T) {
	t.Parallel()
	srv := smtptest.New(t, &smtptest.Options{TLS: true})
	const n = 5
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			ctx := context.Background()
			c, err := smtp.Dial(ctx, srv.Addr(), &smtp.ClientOptions{TLS: smtp.TLSRequired, TLSConfig: srv.ClientTLSConfig()})
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			to := fmt.Sprintf("user%d@example.test", i)
			_, err = c.Send(ctx, &smtp.Envelope{From: "app@example.net", To: []string{to, "audit@example.test"}},
				strings.NewReader("To: "+to+"\r\nSubject: n"+fmt.Sprint(i)+"\r\n\r\nhi\r\n"))
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		require.NoError(t, <-errs)
	}
	msgs := srv.MustWaitFor(t, n)
	require.Len(t, msgs, n)
	seen := map[string]bool{}
	for _, m := range msgs {
		require.Len(t, m.To, 2)
		assert.Equal(t, "audit@example.test", m.To[1])
		assert.Equal(t, m.To[0], m.Header.Get("To"))
		assert.True(t, m.TLS)
		assert.True(t, strings.HasPrefix(string(m.Data), "Received: from "), "%q", m.Data)
		assert.NotContains(t, string(m.Data), "audit@")
		seen[m.Header.Get("Subject")] = true
	}
	assert.Len(t, seen, n)
	// Close twice is fine; the messages stay inspectable.
	srv.Close()
	srv.Close()
	assert.Len(t, srv.Messages(), n)
}

// TestMaxMessageBytes: a message over Options.MaxMessageBytes is refused
// with 552 and not captured; one under it is.
func TestMaxMessageBytes(t *testing.T) {
	t.Parallel()
	srv := smtptest.New(t, &smtptest.Options{MaxMessageBytes: 200})
	ctx := context.Background()
	c, err := smtp.Dial(ctx, srv.Addr(), nil)
	require.NoError(t, err)
	env := &smtp.Envelope{From: "app@example.net", To: []string{"a@x.example"}}
	_, err = c.Send(ctx, env, strings.NewReader("Subject: big\r\n\r\n"+strings.Repeat("x", 500)+"\r\n"))
	var se *smtp.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 552, se.Code)
	_, err = c.Send(ctx, env, strings.NewReader("Subject: small\r\n\r\nok\r\n"))
	require.NoError(t, err)
	require.NoError(t, c.Quit(ctx))
	msgs := srv.MustWaitFor(t, 1)
	require.Len(t, msgs, 1)
	assert.Equal(t, "small", msgs[0].Header.Get("Subject"))
}

// TestCapturesRcptParams: the DSN parameters of each accepted recipient
// (NOTIFY, ORCPT) are captured beside To, in the same order; a refused
// recipient leaves no entry.
func TestCapturesRcptParams(t *testing.T) {
	t.Parallel()
	srv := smtptest.New(t, &smtptest.Options{Reject: func(from, to string) error {
		if strings.HasPrefix(to, "no") {
			return &smtp.Error{Code: 550, Enhanced: smtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1}, Message: "no such user"}
		}
		return nil
	}})
	ctx := context.Background()
	c, err := smtp.Dial(ctx, srv.Addr(), &smtp.ClientOptions{TLS: smtp.TLSNone})
	require.NoError(t, err)
	env := &smtp.Envelope{
		From: "app@example.net",
		To:   []string{"a@x.example", "no@x.example", "b@x.example"},
		Mail: smtp.MailOptions{EnvelopeID: "env-1"},
		Rcpt: []smtp.RcptOptions{
			{Notify: []smtp.DSNNotify{smtp.NotifyFailure, smtp.NotifyDelay}, OriginalRecipientType: "rfc822", OriginalRecipient: "A@x.example"},
			{Notify: []smtp.DSNNotify{smtp.NotifyNever}},
			{},
		},
	}
	_, err = c.Send(ctx, env, strings.NewReader("Subject: dsn\r\n\r\nbody\r\n"))
	require.NoError(t, err)
	require.NoError(t, c.Quit(ctx))
	m := srv.MustWaitFor(t, 1)[0]
	assert.Equal(t, []string{"a@x.example", "b@x.example"}, m.To)
	require.Len(t, m.Rcpt, 2)
	assert.Equal(t, []smtp.DSNNotify{smtp.NotifyFailure, smtp.NotifyDelay}, m.Rcpt[0].Notify)
	assert.Equal(t, "rfc822", m.Rcpt[0].OriginalRecipientType)
	assert.Equal(t, "A@x.example", m.Rcpt[0].OriginalRecipient)
	assert.Empty(t, m.Rcpt[1].Notify)
	assert.Empty(t, m.Rcpt[1].OriginalRecipient)
	assert.Equal(t, "env-1", m.Mail.EnvelopeID)
}
