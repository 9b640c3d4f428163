package smtp_test

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

	"github.com/mailkit-go/mailkit/smtp"
)

// step is one exchange of a scripted server: it reads a client line
// (compared with expect unless expect is "*") and answers reply (several
// lines joined with \n; "" sends nothing). "TLS" as reply starts TLS
// after sending "220 Ready". "DATA..." as expect reads message data up to
// CRLF.CRLF into the transcript.
type step struct{ expect, reply string }

// scriptServer runs one scripted session and returns the transcript
// ("C: " and "S: " lines) on the channel when the client disconnects.
func scriptServer(t *testing.T, greeting string, steps []step) (string, <-chan []string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	out := make(chan []string, 1)
	go func() {
		var tr []string
		defer func() { out <- tr }()
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
		var c net.Conn = conn
		r := bufio.NewReader(c)
		send := func(s string) {
			for _, l := range strings.Split(s, "\n") {
				tr = append(tr, "S: "+l)
				_, _ = io.WriteString(c, l+"\r\n")
			}
		}
		send(greeting)
		for _, st := range steps {
			if st.expect == "DATA..." {
				var data []byte
				for !strings.HasSuffix(string(data), "\r\n.\r\n") {
					b, err := r.ReadByte()
					if err != nil {
						tr = append(tr, "ERR: "+err.Error())
						return
					}
					data = append(data, b)
				}
				tr = append(tr, "D: "+string(data))
			} else {
				line, err := r.ReadString('\n')
				if err != nil {
					tr = append(tr, "ERR: "+err.Error())
					return
				}
				tr = append(tr, "C: "+strings.TrimSuffix(line, "\r\n"))
			}
			switch st.reply {
			case "":
			case "TLS":
				send("220 2.0.0 Ready to start TLS")
				tc := tls.Server(conn, serverTLS(t))
				if err := tc.Handshake(); err != nil {
					tr = append(tr, "ERR: "+err.Error())
					return
				}
				c = tc
				r = bufio.NewReader(tc)
			default:
				send(st.reply)
			}
		}
		// wait for the client to hang up
		_, _ = r.ReadByte()
	}()
	return l.Addr().String(), out
}

func TestClientScenario1(t *testing.T) {
	t.Parallel()
	addr, tr := scriptServer(t, "220 www.example.com ESMTP Postfix", []step{
		{"HELO mydomain.com", "250 Hello mydomain.com"},
		{"MAIL FROM:<sender@mydomain.com>", "250 Ok"},
		{"RCPT TO:<friend@example.com>", "250 Ok"},
		{"DATA", "354 End data with <CR><LF>.<CR><LF>"},
		{"DATA...", "250 Ok: queued as 12345"},
		{"QUIT", "221 Bye"},
	})
	ctx := context.Background()
	c, err := smtp.Dial(ctx, addr, &smtp.ClientOptions{LocalName: "mydomain.com", DisableESMTP: true})
	require.NoError(t, err)
	// LF line ends in the source are sent as CRLF.
	msg := "Subject: test message\nFrom: sender@mydomain.com\nTo: friend@example.com\n\nHello,\nThis is a test.\nGoodbye.\n"
	res, err := c.Send(ctx, &smtp.Envelope{From: "sender@mydomain.com", To: []string{"friend@example.com"}}, strings.NewReader(msg))
	require.NoError(t, err)
	assert.Equal(t, "Ok: queued as 12345", res.Reply)
	assert.Equal(t, []string{"friend@example.com"}, res.Accepted())
	require.NoError(t, c.Quit(ctx))
	want := []string{
		"S: 220 www.example.com ESMTP Postfix",
		"C: HELO mydomain.com",
		"S: 250 Hello mydomain.com",
		"C: MAIL FROM:<sender@mydomain.com>",
		"S: 250 Ok",
		"C: RCPT TO:<friend@example.com>",
		"S: 250 Ok",
		"C: DATA",
		"S: 354 End data with <CR><LF>.<CR><LF>",
		"D: Subject: test message\r\nFrom: sender@mydomain.com\r\nTo: friend@example.com\r\n\r\nHello,\r\nThis is a test.\r\nGoodbye.\r\n.\r\n",
		"S: 250 Ok: queued as 12345",
		"C: QUIT",
		"S: 221 Bye",
	}
	assert.Equal(t, want, <-tr)
}

func TestClientScenario2(t *testing.T) {
	t.Parallel()
	ehlo := "250-example.hades.lab at your service, [172.16.1.238]\n250-SIZE 35651584\n250-DSN\n250-STARTTLS\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250-PIPELINING\n250 HELP"
	afterTLS := "250-example.hades.lab at your service, [172.16.1.238]\n250-SIZE 10240000\n250-AUTH PLAIN LOGIN\n250-ENHANCEDSTATUSCODES\n250 8BITMIME"
	addr, tr := scriptServer(t, "220 example.hades.lab ESMTP Postfix", []step{
		{"EHLO 172.16.1.238", ehlo},
		{"STARTTLS", "TLS"},
		{"EHLO 172.16.1.238", afterTLS},
		{"QUIT", "221 2.0.0 Bye"},
	})
	ctx := context.Background()
	c, err := smtp.Dial(ctx, addr, &smtp.ClientOptions{LocalName: "172.16.1.238", TLS: smtp.TLSRequired, TLSConfig: clientTLS()})
	require.NoError(t, err)
	_, ok := c.TLSConnectionState()
	assert.True(t, ok)
	caps := c.Capabilities()
	size, ok := caps.Size()
	assert.True(t, ok)
	assert.Equal(t, int64(10240000), size, "the list after TLS replaces the first")
	assert.False(t, c.Has("DSN"))
	assert.False(t, c.Has("STARTTLS"))
	assert.Equal(t, []string{"PLAIN", "LOGIN"}, caps.AuthMechanisms())
	require.NoError(t, c.Quit(ctx))
	got := <-tr
	require.GreaterOrEqual(t, len(got), 10)
	assert.Equal(t, append([]string{"S: 220 example.hades.lab ESMTP Postfix", "C: EHLO 172.16.1.238"}, prefixLines("S: ", ehlo)...), got[:10])
}

func prefixLines(p, s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		out = append(out, p+l)
	}
	return out
}

// TestClientParsesScenario2 dials a plain connection and checks the typed
// capabilities of the §2 list.
func TestClientParsesScenario2(t *testing.T) {
	t.Parallel()
	ehlo := "250-example.hades.lab at your service, [172.16.1.238]\n250-SIZE 35651584\n250-DSN\n250-STARTTLS\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250-PIPELINING\n250 HELP"
	addr, _ := scriptServer(t, "220 example.hades.lab ESMTP Postfix", []step{
		{"EHLO 172.16.1.238", ehlo},
		{"QUIT", "221 2.0.0 Bye"},
	})
	ctx := context.Background()
	c, err := smtp.Dial(ctx, addr, &smtp.ClientOptions{LocalName: "172.16.1.238", TLS: smtp.TLSNone})
	require.NoError(t, err)
	size, ok := c.Capabilities().Size()
	assert.True(t, ok)
	assert.Equal(t, int64(35651584), size)
	for _, k := range []string{"DSN", "STARTTLS", "8BITMIME", "ENHANCEDSTATUSCODES", "PIPELINING", "HELP"} {
		assert.True(t, c.Has(k), k)
	}
	assert.Equal(t, "example.hades.lab", c.Capabilities().Domain)
	require.NoError(t, c.Quit(ctx))
}

func TestClientHELOFallback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		greeting string
		script   []step
	}{
		{"greeting without ESMTP", "220 old.example Sendmail ready", []step{
			{"HELO me.example", "250 old.example"},
			{"QUIT", "221 Bye"},
		}},
		{"EHLO refused", "220 odd.example ESMTP", []step{
			{"EHLO me.example", "502 5.5.1 Command not implemented"},
			{"HELO me.example", "250 odd.example"},
			{"QUIT", "221 Bye"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr, tr := scriptServer(t, tc.greeting, tc.script)
			c, err := smtp.Dial(context.Background(), addr, &smtp.ClientOptions{LocalName: "me.example"})
			require.NoError(t, err)
			assert.False(t, c.ESMTP())
			require.NoError(t, c.Quit(context.Background()))
			assert.Contains(t, <-tr, "C: HELO me.example")
		})
	}
	t.Run("TLS required but not offered", func(t *testing.T) {
		t.Parallel()
		addr, _ := scriptServer(t, "220 plain.example ESMTP", []step{
			{"EHLO localhost", "250-plain.example\n250 PIPELINING"},
		})
		_, err := smtp.Dial(context.Background(), addr, &smtp.ClientOptions{TLS: smtp.TLSRequired})
		assert.ErrorIs(t, err, smtp.ErrTLSRequired)
	})
}

// TestClientPipelinesEnvelope checks that MAIL, every RCPT and DATA leave
// in one batch and that per-recipient results are typed.
func TestClientPipelinesEnvelope(t *testing.T) {
	t.Parallel()
	addr, tr := scriptServer(t, "220 mx.example ESMTP", []step{
		{"EHLO localhost", "250-mx.example\n250-PIPELINING\n250-8BITMIME\n250-DSN\n250 SIZE 1000"},
		{"MAIL FROM:<a@x.example> SIZE=20 BODY=8BITMIME RET=HDRS ENVID=id+2B1", ""},
		{"RCPT TO:<b@mx.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@mx.example", ""},
		{"RCPT TO:<c@mx.example>", ""},
		{"RCPT TO:<d@mx.example>", ""},
		{"DATA", "250 2.1.0 Ok\n250 2.1.5 Ok\n550 5.1.1 <c@mx.example>: User unknown\n450 4.2.0 <d@mx.example>: Greylisted\n354 go ahead"},
		{"DATA...", "250 2.0.0 Ok: queued as X1"},
		{"QUIT", "221 2.0.0 Bye"},
	})
	ctx := context.Background()
	c, err := smtp.Dial(ctx, addr, nil)
	require.NoError(t, err)
	env := &smtp.Envelope{
		From: "a@x.example", To: []string{"b@mx.example", "c@mx.example", "d@mx.example"},
		Mail: smtp.MailOptions{Size: 20, Body: smtp.Body8BitMIME, Return: smtp.ReturnHeaders, EnvelopeID: "id+1"},
		Rcpt: []smtp.RcptOptions{{Notify: []smtp.DSNNotify{smtp.NotifySuccess, smtp.NotifyFailure}, OriginalRecipient: "b@mx.example"}, {}, {}},
	}
	res, err := c.Send(ctx, env, strings.NewReader("Subject: x\r\n\r\n.hi\r\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"b@mx.example"}, res.Accepted())
	var e1, e2 *smtp.Error
	require.ErrorAs(t, res.Rcpts[1].Err, &e1)
	assert.True(t, e1.Permanent())
	assert.Equal(t, "5.1.1", e1.Enhanced.String())
	require.ErrorAs(t, res.Rcpts[2].Err, &e2)
	assert.True(t, e2.Temporary())
	assert.True(t, smtp.IsTemporary(res.Rcpts[2].Err))
	assert.False(t, smtp.IsTemporary(res.Rcpts[1].Err))
	require.NoError(t, c.Quit(ctx))
	got := <-tr
	// All five commands were read before the first reply was written.
	i := indexOf(got, "C: DATA")
	require.Greater(t, i, 0)
	assert.Equal(t, "S: 250 2.1.0 Ok", got[i+1])
	assert.Contains(t, got, "D: Subject: x\r\n\r\n..hi\r\n.\r\n")
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

// TestClientDataNeverSmuggles sends content with every smuggling core and
// checks the bytes on the wire (conformance client assertions 1-2).
func TestClientDataNeverSmuggles(t *testing.T) {
	t.Parallel()
	for _, v := range smuggleCores {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			addr, tr := scriptServer(t, "220 mx.example ESMTP", []step{
				{"EHLO localhost", "250-mx.example\n250 8BITMIME"},
				{"MAIL FROM:<a@x.example>", "250 Ok"},
				{"RCPT TO:<b@mx.example>", "250 Ok"},
				{"DATA", "354 go"},
				{"DATA...", "250 Ok"},
				{"QUIT", "221 Bye"},
			})
			ctx := context.Background()
			c, err := smtp.Dial(ctx, addr, &smtp.ClientOptions{TLS: smtp.TLSNone})
			require.NoError(t, err)
			_, err = c.Send(ctx, &smtp.Envelope{From: "a@x.example", To: []string{"b@mx.example"}}, strings.NewReader(smugglePayload(v.core)))
			require.NoError(t, err)
			require.NoError(t, c.Quit(ctx))
			var data string
			for _, l := range <-tr {
				if strings.HasPrefix(l, "D: ") {
					data = strings.TrimPrefix(l, "D: ")
				}
			}
			require.NotEmpty(t, data)
			assert.Equal(t, 1, strings.Count(data, "\r\n.\r\n"), "exactly one end of data: %q", data)
			assert.True(t, strings.HasSuffix(data, "\r\n.\r\n"))
			assert.NotContains(t, strings.ReplaceAll(data, "\r\n", ""), "\r", "no bare CR")
			assert.NotContains(t, strings.ReplaceAll(data, "\r\n", ""), "\n", "no bare LF")
		})
	}
}

func TestClientAgainstServer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts smtp.ClientOptions
	}{
		{"pipelining+chunking", smtp.ClientOptions{ChunkSize: 7}},
		{"pipelining+data", smtp.ClientOptions{DisableChunking: true}},
		{"lockstep data", smtp.ClientOptions{DisableChunking: true, DisablePipelining: true}},
		{"lockstep chunking", smtp.ClientOptions{DisablePipelining: true, ChunkSize: 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			be := newFakeBackend("example.test")
			be.rcptErr = func(to string) error {
				if strings.HasPrefix(to, "nobody") {
					return &smtp.Error{Code: 550, Enhanced: smtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1}, Message: "User unknown"}
				}
				return nil
			}
			addr := startServer(t, &smtp.Server{Backend: be, Hostname: "mx.example.test", TLSConfig: serverTLS(t)})
			ctx := context.Background()
			opts := tc.opts
			opts.TLS = smtp.TLSRequired
			opts.TLSConfig = clientTLS()
			c, err := smtp.Dial(ctx, addr, &opts)
			require.NoError(t, err)
			msg := "Subject: hi\n\n.line one\r\nbare\rcr\n.\n"
			for i := 0; i < 3; i++ {
				res, err := c.Send(ctx, &smtp.Envelope{From: "a@x.example", To: []string{"alice@example.test", "nobody@example.test", "bob@example.test"}}, strings.NewReader(msg))
				require.NoError(t, err)
				assert.Equal(t, []string{"alice@example.test", "bob@example.test"}, res.Accepted())
				assert.Regexp(t, `^Ok: queued as [0-9a-f]+$`, res.Reply)
			}
			_, err = c.Send(ctx, &smtp.Envelope{From: "a@x.example", To: []string{"nobody@example.test"}}, strings.NewReader(msg))
			assert.ErrorIs(t, err, smtp.ErrNoRecipients)
			_, err = c.Send(ctx, &smtp.Envelope{From: "a@x.example", To: []string{"x@elsewhere.example"}}, strings.NewReader(msg))
			var se *smtp.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, 550, se.Code)
			require.NoError(t, c.Quit(ctx))
			msgs := be.messages()
			require.Len(t, msgs, 3)
			for _, m := range msgs {
				_, body, _ := strings.Cut(string(m.Data), "\r\nSubject: hi")
				assert.Equal(t, "\r\n\r\n.line one\r\nbare\r\ncr\r\n.\r\n", body)
				assert.Equal(t, "ESMTPS", m.Info.Protocol())
			}
		})
	}
}

func TestClientAuthChoosesStrongest(t *testing.T) {
	t.Parallel()
	be := newAuthBackend(newFakeBackend(), "alice", "secret")
	addr := startServer(t, &smtp.Server{Backend: be, TLSConfig: serverTLS(t), Profile: smtp.ProfileSubmission})
	ctx := context.Background()
	c, err := smtp.Dial(ctx, addr, &smtp.ClientOptions{TLS: smtp.TLSRequired, TLSConfig: clientTLS(), Auth: &smtp.ClientAuth{Username: "alice", Password: "secret"}})
	require.NoError(t, err)
	_, err = c.Send(ctx, &smtp.Envelope{From: "alice@example.test", To: []string{"x@elsewhere.example"}}, strings.NewReader("Subject: s\r\n\r\nx\r\n"))
	require.NoError(t, err)
	require.NoError(t, c.Quit(ctx))
	m := be.messages()
	require.Len(t, m, 1)
	assert.Equal(t, "SCRAM-SHA-256", m[0].Info.AuthMechanism)
	assert.Equal(t, "alice", m[0].Info.AuthUser)

	// Wrong password: a typed 535.
	_, err = smtp.Dial(ctx, addr, &smtp.ClientOptions{TLS: smtp.TLSRequired, TLSConfig: clientTLS(), Auth: &smtp.ClientAuth{Username: "alice", Password: "nope", Mechanisms: []string{"PLAIN"}}})
	var se *smtp.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 535, se.Code)

	// Implicit TLS (RFC 8314).
	addr2 := startServer(t, &smtp.Server{Backend: be, TLSConfig: serverTLS(t), Profile: smtp.ProfileSubmission, ImplicitTLS: true})
	c, err = smtp.Dial(ctx, addr2, &smtp.ClientOptions{TLS: smtp.TLSImplicit, TLSConfig: clientTLS(), Auth: &smtp.ClientAuth{Username: "alice", Password: "secret", Mechanisms: []string{"LOGIN"}}})
	require.NoError(t, err)
	require.NoError(t, c.Quit(ctx))

	// No plaintext mechanism without TLS on the client side either.
	addr3 := startServer(t, &smtp.Server{Backend: be, TLSConfig: serverTLS(t), Profile: smtp.ProfileSubmission, AllowInsecureAuth: true})
	_, err = smtp.Dial(ctx, addr3, &smtp.ClientOptions{TLS: smtp.TLSNone, Auth: &smtp.ClientAuth{Username: "alice", Password: "secret", Mechanisms: []string{"PLAIN", "LOGIN"}}})
	assert.True(t, errors.Is(err, smtp.ErrAuthUnavailable), "%v", err)
}
