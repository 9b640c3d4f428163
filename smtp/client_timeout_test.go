package smtp_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/smtp"
)

// stallServer accepts one connection, sends greeting (unless ""), and
// answers each command line with replies[verb] ("" or missing: no reply,
// the server stalls while still reading). After a 354 it reads message
// data up to CRLF.CRLF and answers replies["."]. With readData false it
// stops reading after the 354, so the client's writes block.
func stallServer(t *testing.T, greeting string, replies map[string]string, readData bool) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done, stop := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(stop); l.Close(); <-done })
	go func() {
		defer close(done)
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
		r := bufio.NewReader(conn)
		if greeting != "" {
			_, _ = io.WriteString(conn, greeting+"\r\n")
		}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			verb := strings.ToUpper(strings.Fields(line + " x")[0])
			reply := replies[verb]
			if reply == "" {
				continue
			}
			_, _ = io.WriteString(conn, strings.ReplaceAll(reply, "\n", "\r\n")+"\r\n")
			if verb != "DATA" {
				continue
			}
			if !readData {
				<-stop // never read the data: the client's writes block
				return
			}
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			if rep := replies["."]; rep != "" {
				_, _ = io.WriteString(conn, rep+"\r\n")
			}
		}
	}()
	return l.Addr().String()
}

// endless yields "x\r\n" forever.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "x\r\n"[i%3]
	}
	return len(p) - len(p)%3, nil
}

// TestClientTimeouts checks that each RFC 5321 §4.5.3.2 client timeout
// applies to its own phase: the phase under test gets 100 ms, every other
// one an hour, so a timeout applied to the wrong phase would make the
// client wait far beyond the test's generous 30 s guard.
func TestClientTimeouts(t *testing.T) {
	t.Parallel()
	const hour = time.Hour
	long := smtp.ClientTimeouts{Connect: hour, Greeting: hour, Command: hour, Mail: hour, Rcpt: hour, DataInit: hour, DataBlock: hour, DataTerm: hour}
	ehlo := "250-mx.example\n250 8BITMIME"
	ehloPipe := "250-mx.example\n250 PIPELINING"
	tests := []struct {
		name     string
		set      func(*smtp.ClientTimeouts)
		greeting string
		replies  map[string]string
		readData bool
		msg      io.Reader
		inDial   bool
	}{
		{name: "greeting", set: func(c *smtp.ClientTimeouts) { c.Greeting = 100 * time.Millisecond }, inDial: true},
		{name: "EHLO (command)", set: func(c *smtp.ClientTimeouts) { c.Command = 100 * time.Millisecond }, greeting: "220 mx ESMTP", inDial: true},
		{name: "MAIL", set: func(c *smtp.ClientTimeouts) { c.Mail = 100 * time.Millisecond }, greeting: "220 mx ESMTP",
			replies: map[string]string{"EHLO": ehlo}},
		{name: "RCPT", set: func(c *smtp.ClientTimeouts) { c.Rcpt = 100 * time.Millisecond }, greeting: "220 mx ESMTP",
			replies: map[string]string{"EHLO": ehlo, "MAIL": "250 ok"}},
		{name: "RCPT pipelined", set: func(c *smtp.ClientTimeouts) { c.Rcpt = 100 * time.Millisecond }, greeting: "220 mx ESMTP",
			replies: map[string]string{"EHLO": ehloPipe, "MAIL": "250 ok"}},
		{name: "DATA initiation", set: func(c *smtp.ClientTimeouts) { c.DataInit = 100 * time.Millisecond }, greeting: "220 mx ESMTP",
			replies: map[string]string{"EHLO": ehlo, "MAIL": "250 ok", "RCPT": "250 ok"}},
		{name: "DATA initiation pipelined", set: func(c *smtp.ClientTimeouts) { c.DataInit = 100 * time.Millisecond }, greeting: "220 mx ESMTP",
			replies: map[string]string{"EHLO": ehloPipe, "MAIL": "250 ok", "RCPT": "250 ok"}},
		{name: "data block", set: func(c *smtp.ClientTimeouts) { c.DataBlock = 100 * time.Millisecond }, greeting: "220 mx ESMTP",
			replies: map[string]string{"EHLO": ehlo, "MAIL": "250 ok", "RCPT": "250 ok", "DATA": "354 go"}, msg: endless{}},
		{name: "DATA termination", set: func(c *smtp.ClientTimeouts) { c.DataTerm = 100 * time.Millisecond }, greeting: "220 mx ESMTP",
			replies: map[string]string{"EHLO": ehlo, "MAIL": "250 ok", "RCPT": "250 ok", "DATA": "354 go"}, readData: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := stallServer(t, tt.greeting, tt.replies, tt.readData)
			to := long
			tt.set(&to)
			done := make(chan error, 1)
			go func() {
				ctx := context.Background()
				c, err := smtp.Dial(ctx, addr, &smtp.ClientOptions{TLS: smtp.TLSNone, Timeouts: to})
				if tt.inDial || err != nil {
					done <- err
					return
				}
				defer c.Close()
				msg := tt.msg
				if msg == nil {
					msg = strings.NewReader("Subject: x\r\n\r\nx\r\n")
				}
				_, err = c.Send(ctx, &smtp.Envelope{From: "a@x.example", To: []string{"b@y.example"}}, msg)
				done <- err
			}()
			select {
			case err := <-done:
				require.Error(t, err)
				var ne net.Error
				require.True(t, errors.As(err, &ne) && ne.Timeout(), "want a timeout, got %v", err)
				assert.True(t, strings.HasPrefix(err.Error(), "smtp: "), "package prefix: %v", err)
			case <-time.After(30 * time.Second):
				t.Fatal("the client did not apply the phase's timeout")
			}
		})
	}
}

// recordingSASL is a sasl.Client whose responses the test keeps, to see
// that the SMTP client wiped them after sending.
type recordingSASL struct {
	mech  string
	ir    []byte
	steps [][]byte
	given [][]byte
}

func (r *recordingSASL) Start() (string, []byte, error) {
	if r.ir != nil {
		r.given = append(r.given, r.ir)
	}
	return r.mech, r.ir, nil
}

func (r *recordingSASL) Next([]byte) ([]byte, error) {
	if len(r.steps) == 0 {
		return nil, errors.New("test: no more steps")
	}
	resp := r.steps[0]
	r.steps = r.steps[1:]
	r.given = append(r.given, resp)
	return resp, nil
}

// TestClientWipesAuthResponses: package sasl leaves the responses that
// carry a password or token to the caller to wipe (tlsutil.Wipe); the SMTP
// client must do it once they are sent, for every mechanism shape.
func TestClientWipesAuthResponses(t *testing.T) {
	t.Parallel()
	be := newAuthBackend(newFakeBackend(), "alice", "secret")
	addr := startServer(t, &smtp.Server{Backend: be, TLSConfig: serverTLS(t), Profile: smtp.ProfileSubmission})
	tests := []struct {
		name string
		sc   *recordingSASL
	}{
		{"PLAIN initial response", &recordingSASL{mech: "PLAIN", ir: []byte("\x00alice\x00secret")}},
		{"PLAIN after empty challenge", &recordingSASL{mech: "PLAIN", steps: [][]byte{[]byte("\x00alice\x00secret")}}},
		{"LOGIN", &recordingSASL{mech: "LOGIN", steps: [][]byte{[]byte("alice"), []byte("secret")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, err := smtp.Dial(ctx, addr, &smtp.ClientOptions{TLS: smtp.TLSRequired, TLSConfig: clientTLS()})
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.Auth(ctx, tt.sc))
			require.NotEmpty(t, tt.sc.given)
			for i, b := range tt.sc.given {
				assert.Equal(t, make([]byte, len(b)), b, "response %d not wiped", i)
			}
			require.NoError(t, c.Quit(ctx))
		})
	}
	// The real mechanisms of package sasl still authenticate (PLAIN's
	// response lives only in what the client wipes).
	for _, m := range []string{sasl.Plain, sasl.Login} {
		c, err := smtp.Dial(context.Background(), addr, &smtp.ClientOptions{TLS: smtp.TLSRequired, TLSConfig: clientTLS(),
			Auth: &smtp.ClientAuth{Username: "alice", Password: "secret", Mechanisms: []string{m}}})
		require.NoError(t, err, m)
		require.NoError(t, c.Quit(context.Background()))
	}
}
