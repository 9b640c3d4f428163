package smtp_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/smtp"
)

// TestRequireTLS covers RFC 8689 on both sides: the server offers
// REQUIRETLS only over TLS and refuses the MAIL parameter on a plain
// connection; the client refuses to send a REQUIRETLS message unless the
// connection is encrypted and the server offers REQUIRETLS.
func TestRequireTLS(t *testing.T) {
	t.Parallel()
	newServer := func() (*smtp.Server, *fakeBackend) {
		b := newFakeBackend("example.test")
		return &smtp.Server{Backend: b, Hostname: "mx.example.test", TLSConfig: serverTLS(t)}, b
	}

	t.Run("server refuses REQUIRETLS without TLS", func(t *testing.T) {
		t.Parallel()
		s, _ := newServer()
		c := dialRaw(t, startServer(t, s))
		c.line()
		ehlo := c.expectCode("EHLO client.example", "250")
		assert.NotContains(t, ehlo, "REQUIRETLS")
		c.expect("MAIL FROM:<a@b.example> REQUIRETLS", "555 5.5.4 Unsupported option: REQUIRETLS")
		c.expectCode("STARTTLS", "220")
		c.startTLS()
		ehlo = c.expectCode("EHLO client.example", "250")
		assert.Contains(t, ehlo, "REQUIRETLS")
		c.expect("MAIL FROM:<a@b.example> REQUIRETLS", "250 2.1.0 Ok")
	})

	t.Run("client refuses without TLS", func(t *testing.T) {
		t.Parallel()
		s, b := newServer()
		addr := startServer(t, s)
		ctx := context.Background()
		c, err := smtp.Dial(ctx, addr, &smtp.ClientOptions{LocalName: "client.example", TLS: smtp.TLSNone})
		require.NoError(t, err)
		defer c.Close()
		env := &smtp.Envelope{From: "a@b.example", To: []string{"x@example.test"}, Mail: smtp.MailOptions{RequireTLS: true}}
		_, err = c.Send(ctx, env, bytes.NewReader([]byte("Subject: t\r\n\r\nhi\r\n")))
		require.Error(t, err)
		assert.True(t, errors.Is(err, smtp.ErrExtensionMissing), "err = %v", err)
		assert.Empty(t, b.messages(), "nothing was delivered")
	})

	t.Run("client sends over TLS", func(t *testing.T) {
		t.Parallel()
		s, b := newServer()
		addr := startServer(t, s)
		ctx := context.Background()
		c, err := smtp.Dial(ctx, addr, &smtp.ClientOptions{LocalName: "client.example", TLS: smtp.TLSRequired, TLSConfig: clientTLS()})
		require.NoError(t, err)
		env := &smtp.Envelope{From: "a@b.example", To: []string{"x@example.test"}, Mail: smtp.MailOptions{RequireTLS: true}}
		_, err = c.Send(ctx, env, bytes.NewReader([]byte("Subject: t\r\n\r\nhi\r\n")))
		require.NoError(t, err)
		require.NoError(t, c.Quit(ctx))
		msgs := b.messages()
		require.Len(t, msgs, 1)
		assert.True(t, msgs[0].Mail.RequireTLS)
	})
}
