package smtp_test

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/smtp"
)

// TestConnLifetime: a client that keeps the connection busy with NOOPs is
// still disconnected when Limits.ConnLifetime is over (the per-command
// timeout, an hour here, never fires).
func TestConnLifetime(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	addr := startServer(t, &smtp.Server{Backend: be, Hostname: "mx.example.test",
		Limits: smtp.Limits{ConnLifetime: 300 * time.Millisecond, CommandTimeout: time.Hour, DataTimeout: time.Hour}})
	t.Run("busy", func(t *testing.T) {
		t.Parallel()
		c := dialRaw(t, addr) // its own deadline (20 s) fails the test if the server never ends the connection
		c.greetEHLO("x")
		last := ""
		for i := 0; ; i++ {
			if _, err := io.WriteString(c.conn, "NOOP\r\n"); err != nil {
				break
			}
			l, err := c.r.ReadString('\n')
			if err != nil {
				break
			}
			last = l
			if !strings.HasPrefix(l, "250 ") {
				break
			}
			require.Less(t, i, 1_000_000, "never disconnected")
		}
		// The loop ended, so the server ended the connection. Its last
		// word is the 421, unless the reset caused by a NOOP it never
		// read overtook it (a client writing while the server closes).
		if last != "" && !strings.HasPrefix(last, "250 ") {
			assert.Equal(t, "421 4.4.2 mx.example.test Error: timeout exceeded\r\n", last)
		}
	})
	t.Run("idle in DATA", func(t *testing.T) {
		t.Parallel()
		c := dialRaw(t, addr)
		c.greetEHLO("x")
		c.send("MAIL FROM:<a@x.example>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n")
		c.expectCode("", "250")
		c.expectCode("", "250")
		c.expectCode("", "354")
		c.send("Subject: half a message\r\n")
		c.expect("", "421 4.4.2 mx.example.test Error: timeout exceeded")
		assert.True(t, c.closed())
		assert.Empty(t, be.messages())
	})
}

// TestDataTimeout: Limits.DataTimeout applies while reading DATA (the
// command timeout, an hour here, does not).
func TestDataTimeout(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	addr := startServer(t, &smtp.Server{Backend: be, Hostname: "mx.example.test",
		Limits: smtp.Limits{DataTimeout: 100 * time.Millisecond, CommandTimeout: time.Hour}})
	for _, bdat := range []bool{false, true} {
		c := dialRaw(t, addr)
		c.greetEHLO("x")
		c.expect("MAIL FROM:<a@x.example>", "250 2.1.0 Ok")
		c.expect("RCPT TO:<b@example.test>", "250 2.1.5 Ok")
		if bdat {
			c.send("BDAT 100 LAST\r\nonly a part")
		} else {
			c.expectCode("DATA", "354 ")
			c.send("Subject: x\r\n")
		}
		c.expect("", "421 4.4.2 mx.example.test Error: timeout exceeded")
		assert.True(t, c.closed())
	}
	assert.Empty(t, be.messages())
}

func TestConnectionLimitTotal(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	s := &smtp.Server{Backend: be, Hostname: "mx.example.test", Limits: smtp.Limits{Connections: 2, ConnectionsPerIP: 10}}
	addr := startServer(t, s)
	c1 := dialRaw(t, addr)
	c1.expectCode("", "220 ")
	c2 := dialRaw(t, addr)
	c2.expectCode("", "220 ")
	c3 := dialRaw(t, addr)
	c3.expect("", "421 4.7.0 mx.example.test Error: too many connections")
	assert.True(t, c3.closed())
	assert.Equal(t, 2, s.ConnCount())
	c2.expect("QUIT", "221 Bye")
	assert.True(t, c2.closed())
	require.Eventually(t, func() bool {
		c := dialRaw(t, addr)
		return strings.HasPrefix(c.reply(), "220 ")
	}, 10*time.Second, 10*time.Millisecond)
}

// countingListener records the replies the server writes per Write call.
type countingListener struct {
	net.Listener
	mu     sync.Mutex
	writes []string
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, l: l}, nil
}

type countingConn struct {
	net.Conn
	l *countingListener
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.l.mu.Lock()
	c.l.writes = append(c.l.writes, string(p))
	c.l.mu.Unlock()
	return c.Conn.Write(p)
}

func (l *countingListener) written() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.writes...)
}

// TestPipeliningRepliesInOneWrite: RFC 2920 reply batching. The server
// flushes only when its input buffer is empty, so the replies to a batch
// that arrived at once leave in a single write.
func TestPipeliningRepliesInOneWrite(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	l := &countingListener{Listener: mustListen(t)}
	addr := serveOn(t, &smtp.Server{Backend: be, Hostname: "mx.example.test"}, l)
	c := dialRaw(t, addr)
	c.greetEHLO("x")
	before := len(l.written())
	c.send("MAIL FROM:<a@x.example>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\nRCPT TO:<d@elsewhere.example>\r\nNOOP\r\nDATA\r\n")
	c.expect("", "250 2.1.0 Ok")
	c.expect("", "250 2.1.5 Ok")
	c.expect("", "250 2.1.5 Ok")
	c.expectCode("", "550 5.7.1 ")
	c.expect("", "250 2.0.0 Ok")
	c.expectCode("", "354 ")
	w := l.written()[before:]
	require.Len(t, w, 1, "the batch was answered in %d writes: %q", len(w), w)
	assert.Equal(t, 6, strings.Count(w[0], "\r\n"))
	// Data and the commands behind it in one write: the 250 for the
	// message and the replies to the next batch leave together.
	before = len(l.written())
	c.send("hi\r\n.\r\nRSET\r\nNOOP\r\n")
	c.expectCode("", "250 2.0.0 Ok: queued as ")
	c.expect("", "250 2.0.0 Ok")
	c.expect("", "250 2.0.0 Ok")
	w = l.written()[before:]
	require.Len(t, w, 1, "%q", w)
}

// TestReceivedHeader checks the trace field's contents for each way in:
// from (HELO name and [address]), by, with (RFC 3848 keyword and the TLS
// summary), id, for (single recipient only) and the date.
func TestReceivedHeader(t *testing.T) {
	t.Parallel()
	be := newAuthBackend(newFakeBackend("example.test"), "alice", "secret")
	be.Registry.AllowInsecure = true // PLAIN without TLS for the ESMTPA case
	s := &smtp.Server{Backend: be, Hostname: "mx.example.test", TLSConfig: serverTLS(t), AllowInsecureAuth: true,
		NewID: func() string { return "ID1" }, Now: fixedNow}
	addr := startServer(t, s)
	const date = "; Sun, 29 Nov 2026 17:06:04 +0000\r\n"
	tests := []struct {
		name, helo   string
		tls, auth    bool
		rcpts        []string
		want         string // exact, unless wantRE
		wantRE       string
		wantProtocol string
	}{
		{name: "HELO", helo: "HELO client.example", rcpts: []string{"a@example.test"}, wantProtocol: "SMTP",
			want: "Received: from client.example ([127.0.0.1])\r\n\tby mx.example.test with SMTP id ID1\r\n\tfor <a@example.test>" + date},
		{name: "EHLO two recipients", helo: "EHLO client.example", rcpts: []string{"a@example.test", "b@example.test"}, wantProtocol: "ESMTP",
			want: "Received: from client.example ([127.0.0.1])\r\n\tby mx.example.test with ESMTP id ID1" + date},
		{name: "EHLO AUTH", helo: "EHLO client.example", auth: true, rcpts: []string{"a@example.test"}, wantProtocol: "ESMTPA",
			want: "Received: from client.example ([127.0.0.1])\r\n\tby mx.example.test with ESMTPA id ID1\r\n\tfor <a@example.test>" + date},
		{name: "STARTTLS", helo: "EHLO client.example", tls: true, rcpts: []string{"a@example.test"}, wantProtocol: "ESMTPS",
			wantRE: `^Received: from client\.example \(\[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test with ESMTPS \(TLS1\.3 TLS_[A-Z0-9_]+\) id ID1\r\n\tfor <a@example\.test>` + regexp.QuoteMeta(date)},
		{name: "STARTTLS AUTH", helo: "EHLO client.example", tls: true, auth: true, rcpts: []string{"a@example.test"}, wantProtocol: "ESMTPSA",
			wantRE: `^Received: from client\.example \(\[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test with ESMTPSA \(TLS1\.3 TLS_[A-Z0-9_]+\) id ID1\r\n\tfor <a@example\.test>` + regexp.QuoteMeta(date)},
		{name: "hostile HELO", helo: "EHLO evil;(x)<y>", rcpts: []string{"a@example.test"}, wantProtocol: "ESMTP",
			want: "Received: from evil__x__y_ ([127.0.0.1])\r\n\tby mx.example.test with ESMTP id ID1\r\n\tfor <a@example.test>" + date},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, addr)
			c.expectCode("", "220 ")
			c.expectCode(tt.helo, "250")
			if tt.tls {
				c.expectCode("STARTTLS", "220 ")
				c.startTLS()
				c.expectCode(tt.helo, "250")
			}
			if tt.auth {
				c.expect("AUTH PLAIN AGFsaWNlAHNlY3JldA==", "235 2.7.0 Authentication successful")
			}
			n := len(be.messages())
			c.expectCode("MAIL FROM:<x@y.example>", "250 ")
			for _, r := range tt.rcpts {
				c.expectCode("RCPT TO:<"+r+">", "250 ")
			}
			c.expectCode("DATA", "354 ")
			c.send("Subject: s\r\n\r\nbody\r\n.\r\n")
			c.expectCode("", "250 ")
			c.expectCode("QUIT", "221 ")
			m := be.messages()
			require.Len(t, m, n+1)
			got := string(m[n].Data)
			if tt.wantRE != "" {
				assert.Regexp(t, tt.wantRE, got)
			} else {
				assert.True(t, strings.HasPrefix(got, tt.want), "got %q\nwant %q", got, tt.want)
			}
			assert.True(t, strings.HasSuffix(got, "\r\nSubject: s\r\n\r\nbody\r\n"), "%q", got)
			assert.Equal(t, tt.wantProtocol, m[n].Info.Protocol())
		})
	}
}

// TestClientServerDSNAndSMTPUTF8: DSN parameters and an internationalised
// envelope go from our client through our server to the Session.
func TestClientServerDSNAndSMTPUTF8(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test", "bücher.example.test")
	addr := startServer(t, &smtp.Server{Backend: be, Hostname: "mx.example.test"})
	ctx := context.Background()
	c, err := smtp.Dial(ctx, addr, nil)
	require.NoError(t, err)
	defer c.Close()
	msg := "From: Jürgen <jürgen@absender.example>\r\nSubject: Grüße\r\n\r\nHallo\r\n"
	res, err := c.Send(ctx, &smtp.Envelope{
		From: "jürgen@absender.example",
		To:   []string{"anna@bücher.example.test", "bob@example.test"},
		Mail: smtp.MailOptions{Body: smtp.Body8BitMIME, Return: smtp.ReturnHeaders, EnvelopeID: "env id+1=2", Size: int64(len(msg))},
		Rcpt: []smtp.RcptOptions{
			{Notify: []smtp.DSNNotify{smtp.NotifySuccess, smtp.NotifyDelay}, OriginalRecipient: "anna@bücher.example.test", OriginalRecipientType: "utf-8"},
			{Notify: []smtp.DSNNotify{smtp.NotifyNever}},
		},
	}, strings.NewReader(msg))
	require.NoError(t, err)
	assert.Len(t, res.Accepted(), 2)
	require.NoError(t, c.Quit(ctx))
	m := be.messages()
	require.Len(t, m, 1)
	assert.Equal(t, "jürgen@absender.example", m[0].From)
	assert.Equal(t, []string{"anna@bücher.example.test", "bob@example.test"}, m[0].Rcpts)
	assert.True(t, m[0].Mail.SMTPUTF8)
	assert.Equal(t, smtp.Body8BitMIME, m[0].Mail.Body)
	assert.Equal(t, smtp.ReturnHeaders, m[0].Mail.Return)
	assert.Equal(t, "env id+1=2", m[0].Mail.EnvelopeID)
	assert.Equal(t, int64(len(msg)), m[0].Mail.Size)
	assert.Equal(t, []smtp.DSNNotify{smtp.NotifySuccess, smtp.NotifyDelay}, m[0].Rcpt[0].Notify)
	assert.Equal(t, "utf-8", m[0].Rcpt[0].OriginalRecipientType)
	assert.Equal(t, "anna@bücher.example.test", m[0].Rcpt[0].OriginalRecipient)
	assert.Equal(t, []smtp.DSNNotify{smtp.NotifyNever}, m[0].Rcpt[1].Notify)
	assert.Contains(t, string(m[0].Data), "\r\n\tby mx.example.test with ESMTP id ")
	assert.True(t, strings.HasSuffix(string(m[0].Data), msg))
}

// TestOpenRelayNeedsOptIn: on ProfileMX relaying to a domain the backend
// does not call local is refused unless OpenRelay is set, whatever the
// backend; OpenRelay is the only switch that changes that.
func TestOpenRelayNeedsOptIn(t *testing.T) {
	t.Parallel()
	for _, open := range []bool{false, true} {
		be := newFakeBackend("example.test")
		c := dialRaw(t, startServer(t, &smtp.Server{Backend: be, OpenRelay: open}))
		c.greetEHLO("x")
		c.expect("MAIL FROM:<a@remote.example>", "250 2.1.0 Ok")
		if open {
			c.expect("RCPT TO:<x@elsewhere.example>", "250 2.1.5 Ok")
		} else {
			c.expect("RCPT TO:<x@elsewhere.example>", "550 5.7.1 <x@elsewhere.example>: Relay access denied")
			c.expect("RCPT TO:<@example.test:x@elsewhere.example>", "550 5.7.1 <x@elsewhere.example>: Relay access denied")
			c.expect(`RCPT TO:<"x@example.test"@elsewhere.example>`, `550 5.7.1 <"x@example.test"@elsewhere.example>: Relay access denied`)
		}
	}
}

// smtpGoroutines lists the goroutines running this package's server code.
func smtpGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "mailkit/smtp.(*conn)") || strings.Contains(g, "mailkit/smtp.(*Server)") {
			out = append(out, g)
		}
	}
	return out
}

// TestNoGoroutineLeak runs a server with busy, idle and refused clients,
// then Shutdown (and, for a second server, Close), and checks that no
// goroutine of the server is left. Not parallel: it inspects every
// goroutine of the process (parallel tests are paused while it runs).
func TestNoGoroutineLeak(t *testing.T) {
	for _, useClose := range []bool{false, true} {
		be := newFakeBackend("example.test")
		s := &smtp.Server{Backend: be, Hostname: "mx.example.test", Limits: smtp.Limits{ConnectionsPerIP: 3}}
		l := mustListen(t)
		served := make(chan error, 1)
		go func() { served <- s.Serve(l) }()
		addr := l.Addr().String()
		var clients []*rawClient
		for i := 0; i < 3; i++ {
			c := dialRaw(t, addr)
			c.expectCode("", "220 ")
			clients = append(clients, c)
		}
		clients[0].expectCode("EHLO x", "250")
		clients[1].expectCode("EHLO x", "250")
		clients[1].expectCode("MAIL FROM:<a@x.example>", "250")
		clients[1].expectCode("RCPT TO:<b@example.test>", "250")
		clients[1].expectCode("DATA", "354")
		clients[1].send("partial line")
		refused := dialRaw(t, addr)
		refused.expectCode("", "421 ")
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		if useClose {
			require.NoError(t, s.Close())
		} else {
			// client 1 is in the middle of DATA: Shutdown gives up when
			// ctx ends and closes it.
			assert.ErrorIs(t, s.Shutdown(ctx), context.DeadlineExceeded)
		}
		cancel()
		require.ErrorIs(t, <-served, smtp.ErrServerClosed)
		for _, c := range clients {
			c.conn.Close()
		}
		var left []string
		ok := assert.Eventually(t, func() bool {
			left = smtpGoroutines()
			return len(left) == 0
		}, 20*time.Second, 20*time.Millisecond)
		if !ok {
			t.Logf("left behind:\n%s", strings.Join(left, "\n\n"))
		}
		assert.Equal(t, 0, s.ConnCount())
	}
}

// TestBDATOutsideTransaction: a chunk sent without a transaction is
// skipped when it fits the message limit, and refused with the
// connection closed when it is larger (it could keep the server reading
// for as long as the client likes).
func TestBDATOutsideTransaction(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	addr := startServer(t, &smtp.Server{Backend: be, Limits: smtp.Limits{MessageBytes: 1000}})
	c := dialRaw(t, addr)
	c.greetEHLO("x")
	c.send("BDAT 5\r\nabcde")
	c.expect("", "503 5.5.1 Error: need MAIL command")
	c.expect("NOOP", "250 2.0.0 Ok")
	c.expect("BDAT 999999999999 LAST", "552 5.3.4 Error: message file too big")
	assert.True(t, c.closed())
	assert.Empty(t, be.messages())
}

// TestAuthLineLimit: AUTH lines and SASL responses may exceed the 512-octet
// command limit up to Limits.AuthLine (long tokens, RFC 4954 §4), and no
// further.
func TestAuthLineLimit(t *testing.T) {
	t.Parallel()
	user, pass := strings.Repeat("u", 250), strings.Repeat("p", 250) // RFC 4616 fields are at most 255 octets
	be := newAuthBackend(newFakeBackend(), user, pass)
	s := &smtp.Server{Backend: be, TLSConfig: serverTLS(t), Profile: smtp.ProfileSubmission, Limits: smtp.Limits{AuthLine: 2048}}
	c := dialRaw(t, startServer(t, s))
	c.greetEHLO("x")
	c.expectCode("STARTTLS", "220 ")
	c.startTLS()
	c.expectCode("EHLO x", "250")
	// An initial response of 672 octets (over 512, under 2048) works.
	ir := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
	require.Greater(t, len(ir), 512)
	c.expect("AUTH PLAIN "+ir, "235 2.7.0 Authentication successful")

	// A continuation line over AuthLine is refused, the session goes on.
	c = dialRaw(t, startServer(t, &smtp.Server{Backend: be, TLSConfig: serverTLS(t), Profile: smtp.ProfileSubmission, Limits: smtp.Limits{AuthLine: 2048}}))
	c.greetEHLO("x")
	c.expectCode("STARTTLS", "220 ")
	c.startTLS()
	c.expectCode("EHLO x", "250")
	c.expect("AUTH PLAIN", "334 ")
	c.expect(strings.Repeat("A", 2100), "500 5.5.6 Error: authentication line too long")
	c.expect("NOOP", "250 2.0.0 Ok")
}
