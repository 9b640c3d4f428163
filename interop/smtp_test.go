package interop

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/smtp"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// smtpInteropBackend records messages; local domains: example.test.
type smtpInteropBackend struct {
	smtp.SASLAuth
	mu   sync.Mutex
	msgs []smtpInteropMsg
	got  chan struct{}
}

type smtpInteropMsg struct {
	from  string
	to    []string
	data  string
	proto string
	auth  string
	tls   bool
	mail  smtp.MailOptions
	rcpt  []smtp.RcptOptions
}

func newSMTPInteropBackend(mechs []string) *smtpInteropBackend {
	reg := &sasl.Registry{Enabled: mechs, Credentials: sasl.CredentialsFunc(func(ctx context.Context, u string) (*sasl.Secret, error) {
		u, _, _ = strings.Cut(u, "@")
		for _, x := range peersUsers {
			if x == u {
				return &sasl.Secret{Password: []byte(peersPassword)}, nil
			}
		}
		return nil, sasl.ErrUnknownUser
	})}
	return &smtpInteropBackend{SASLAuth: smtp.SASLAuth{Registry: reg}, got: make(chan struct{}, 100)}
}

func (b *smtpInteropBackend) IsLocalDomain(ctx context.Context, d string) (bool, error) {
	return d == peersDomain, nil
}

func (b *smtpInteropBackend) NewSession(ctx context.Context, c *smtp.ConnInfo) (smtp.Session, error) {
	return &smtpInteropSession{b: b, c: c}, nil
}

func (b *smtpInteropBackend) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.msgs)
}

func (b *smtpInteropBackend) wait(t *testing.T, n int, d time.Duration) []smtpInteropMsg {
	t.Helper()
	deadline := time.After(d)
	for b.count() < n {
		select {
		case <-b.got:
		case <-deadline:
			t.Fatalf("interop: %d of %d messages arrived", b.count(), n)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]smtpInteropMsg(nil), b.msgs...)
}

type smtpInteropSession struct {
	b   *smtpInteropBackend
	c   *smtp.ConnInfo
	cur smtpInteropMsg
}

func (s *smtpInteropSession) Mail(ctx context.Context, from string, o *smtp.MailOptions) error {
	s.cur = smtpInteropMsg{from: from, mail: *o}
	return nil
}
func (s *smtpInteropSession) Rcpt(ctx context.Context, to string, o *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	s.cur.rcpt = append(s.cur.rcpt, *o)
	return nil
}
func (s *smtpInteropSession) Data(ctx context.Context, r io.Reader) error {
	d, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data, s.cur.proto, s.cur.auth, s.cur.tls = string(d), s.c.Protocol(), s.c.AuthUser, s.c.TLS != nil
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	s.b.got <- struct{}{}
	return nil
}
func (s *smtpInteropSession) Reset(ctx context.Context)        { s.cur = smtpInteropMsg{} }
func (s *smtpInteropSession) Logout(ctx context.Context) error { return nil }

// smtpTestServer starts one of our servers; it returns the address and
// the path of the CA certificate that signed its certificate.
func smtpTestServer(t *testing.T, s *smtp.Server) (string, string) {
	t.Helper()
	ca, err := tlsutil.NewCA(nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.TLSConfig == nil {
		if s.TLSConfig, err = ca.ServerConfig("localhost", "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
	}
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caFile, ca.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return l.Addr().String(), caFile
}

func splitAddr(t *testing.T, addr string) (string, int) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var port int
	fmt.Sscan(p, &port)
	return h, port
}

// TestSMTPSubmissionThirdPartyClients: swaks, curl (AUTH PLAIN and AUTH
// LOGIN, STARTTLS) and Python's smtplib submit to our submission profile.
func TestSMTPSubmissionThirdPartyClients(t *testing.T) {
	requireInterop(t)
	cases := []struct {
		client, tls string
		mechs       []string
	}{
		{"smtp-swaks", "starttls", nil},
		{"smtp-curl", "starttls", []string{sasl.Plain}},
		{"smtp-curl", "starttls", []string{sasl.Login}},
		{"smtp-python", "starttls", nil},
		{"smtp-python", "implicit", nil},
		{"smtp-curl", "implicit", []string{sasl.Plain}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s/%v", tc.client, tc.tls, tc.mechs), func(t *testing.T) {
			be := newSMTPInteropBackend(tc.mechs)
			addr, caFile := smtpTestServer(t, &smtp.Server{Backend: be, Hostname: "localhost", Profile: smtp.ProfileSubmission, ImplicitTLS: tc.tls == "implicit"})
			host, port := splitAddr(t, addr)
			out := peersClient(t, tc.client, host, port, "alice", peersPassword, tc.tls, "MK_CA="+caFile, "MK_TO=someone@elsewhere.example")
			t.Log(strings.TrimSpace(out))
			msgs := be.wait(t, 1, 30*time.Second)
			if msgs[0].auth != "alice" || !strings.HasPrefix(msgs[0].proto, "ESMTPSA") {
				t.Errorf("got auth %q proto %q", msgs[0].auth, msgs[0].proto)
			}
			if len(tc.mechs) == 1 && !strings.Contains(out, "OK") {
				t.Errorf("client output: %s", out)
			}
		})
	}
}

// smtpDialRaw opens a raw session for exchanges the wrappers cannot do.
func smtpDialRaw(t *testing.T, addr string) (net.Conn, *bufio.Reader, func(cmd string) string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	t.Cleanup(func() { c.Close() })
	r := bufio.NewReader(c)
	reply := func(cmd string) string {
		if cmd != "" {
			io.WriteString(c, cmd)
		}
		var lines []string
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return strings.Join(append(lines, "EOF"), "\n")
			}
			lines = append(lines, strings.TrimRight(l, "\r\n"))
			if len(l) < 4 || l[3] == ' ' {
				return strings.Join(lines, "\n")
			}
		}
	}
	return c, r, reply
}

// TestSMTPAuthOverPlaintextRefused: AUTH is not offered before TLS and is
// refused with 538; swaks without TLS fails to authenticate.
func TestSMTPAuthOverPlaintextRefused(t *testing.T) {
	requireInterop(t)
	be := newSMTPInteropBackend(nil)
	addr, _ := smtpTestServer(t, &smtp.Server{Backend: be, Hostname: "localhost", Profile: smtp.ProfileSubmission})
	_, _, reply := smtpDialRaw(t, addr)
	reply("")
	if r := reply("EHLO client.example\r\n"); strings.Contains(r, "AUTH") {
		t.Errorf("AUTH advertised without TLS: %q", r)
	}
	if r := reply("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"); !strings.HasPrefix(r, "538 5.7.11") {
		t.Errorf("AUTH without TLS: %q", r)
	}
	if r := reply("MAIL FROM:<alice@example.test>\r\n"); !strings.HasPrefix(r, "530 5.7.0") {
		t.Errorf("MAIL without AUTH: %q", r)
	}
	host, port := splitAddr(t, addr)
	cmd := smtpExec(t, "swaks", "--server", host, "--port", fmt.Sprint(port), "--from", "alice@example.test", "--to", "x@elsewhere.example",
		"--auth", "PLAIN", "--auth-user", "alice", "--auth-password", peersPassword, "--timeout", "20")
	if cmd == nil {
		t.Error("swaks authenticated over plaintext")
	}
	if be.count() != 0 {
		t.Error("a message was accepted")
	}
}

// smtpExec runs a command and returns its error (nil on success).
func smtpExec(t *testing.T, name string, args ...string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := smtpExecCommand(ctx, name, args...)
	t.Logf("%s: %v\n%s", name, err, lastLines(out, 6))
	return err
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// TestSMTPMXRefusesRelay: on the MX profile a non-local recipient gets
// 550 5.7.1 (swaks sees the refusal), a local one is accepted.
func TestSMTPMXRefusesRelay(t *testing.T) {
	requireInterop(t)
	be := newSMTPInteropBackend(nil)
	addr, _ := smtpTestServer(t, &smtp.Server{Backend: be, Hostname: "localhost"})
	host, port := splitAddr(t, addr)
	if err := smtpExec(t, "swaks", "--server", host, "--port", fmt.Sprint(port), "--from", "a@remote.example", "--to", "victim@elsewhere.example", "--timeout", "20"); err == nil {
		t.Error("relay to a non-local domain was accepted")
	}
	_, _, reply := smtpDialRaw(t, addr)
	reply("")
	reply("EHLO client.example\r\n")
	reply("MAIL FROM:<a@remote.example>\r\n")
	if r := reply("RCPT TO:<victim@elsewhere.example>\r\n"); !strings.HasPrefix(r, "550 5.7.1") {
		t.Errorf("relay: %q", r)
	}
	peersClient(t, "smtp-swaks", host, port, "", "", "starttls", "MK_CA=/dev/null", "MK_TLS_VERIFY=0", "MK_TO=bob@example.test")
	be.wait(t, 1, 30*time.Second)
}

// TestSMTPSmugglingRawRefused sends every smuggling variant raw (in one
// write, SEC Consult framing) to our MX and checks the refusal.
func TestSMTPSmugglingRawRefused(t *testing.T) {
	requireInterop(t)
	cores := []string{"\n.\n", "\n.\r", "\r.\n", "\r.\r", "\n.\r\n", "\r.\r\n", "\r\n.\n", "\r\n.\r", "\r\n.\r\r\n",
		"\r\r\n.\r\r\n", "\r\n\x00.\r\n", "\r\n.\x00\r\n", "\r\n\x00.\r", "\r\n\x00.\n", "\n\n.\r\n"}
	for i, core := range cores {
		t.Run(fmt.Sprintf("variant%02d", i+1), func(t *testing.T) {
			be := newSMTPInteropBackend(nil)
			addr, _ := smtpTestServer(t, &smtp.Server{Backend: be, Hostname: "localhost"})
			c, r, reply := smtpDialRaw(t, addr)
			reply("")
			reply("EHLO client.example\r\n")
			reply("MAIL FROM:<a@remote.example>\r\n")
			reply("RCPT TO:<bob@example.test>\r\n")
			reply("DATA\r\n")
			io.WriteString(c, "Subject: x\r\n\r\nbody\r\n"+core+"\r\nMAIL FROM:<evil@x.example>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nsmuggled\r\n.\r\n")
			rest, _ := io.ReadAll(r)
			if !strings.HasPrefix(string(rest), "550 5.") || be.count() != 0 {
				t.Errorf("variant %q: %q, %d messages", core, rest, be.count())
			}
		})
	}
}

// TestSMTPClientIntoPostfix: our client delivers into Postfix's MX
// (STARTTLS required, pipelined) and the message lands in alice's Maildir.
func TestSMTPClientIntoPostfix(t *testing.T) {
	requireInterop(t)
	ctx := context.Background()
	c, err := smtp.Dial(ctx, peerAddr(portSMTP), &smtp.ClientOptions{LocalName: "client.example.test", TLS: smtp.TLSRequired, TLSConfig: peersTLSConfig(t, "localhost")})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Has("PIPELINING") {
		t.Error("Postfix did not offer PIPELINING")
	}
	id := fmt.Sprintf("<mailkit-%d@client.example.test>", time.Now().UnixNano())
	msg := "From: x@client.example.test\r\nTo: alice@example.test\r\nSubject: mailkit client interop\r\nMessage-ID: " + id + "\r\n\r\n.dot line\r\nbare\nLF\r\n"
	res, err := c.Send(ctx, &smtp.Envelope{From: "x@client.example.test", To: []string{"alice@example.test", "nobody@elsewhere.example"}, Mail: smtp.MailOptions{Body: smtp.Body8BitMIME}}, strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Accepted()) != 1 || res.Rcpts[1].Err == nil {
		t.Errorf("per-recipient results: %+v", res.Rcpts)
	}
	t.Logf("Postfix: %s; relay refusal: %v", res.Reply, res.Rcpts[1].Err)
	_ = c.Quit(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, sub := range []string{"new", "cur"} {
			files, _ := filepath.Glob(filepath.Join(peersMaildir("alice"), sub, "*"))
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err == nil && strings.Contains(string(b), id) {
					if !strings.Contains(string(b), "\n.dot line") {
						t.Errorf("dot-stuffing lost: %s", b)
					}
					return
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("message %s not found in %s", id, peersMaildir("alice"))
}

// TestSMTPPostfixRelaysIntoOurServer: Postfix's SMTP client (the relay
// instance) delivers into our MX with STARTTLS, PIPELINING, 8BITMIME and
// DSN. Our client submits to the relay instance over STARTTLS with
// BODY=8BITMIME, RET, ENVID and NOTIFY (swaks 20201014 on the harness has
// no DSN options); the test checks that the session on our server saw TLS,
// the 8-bit body type and the DSN parameters Postfix passed on.
func TestSMTPPostfixRelaysIntoOurServer(t *testing.T) {
	requireInterop(t)
	be := newSMTPInteropBackend(nil)
	addr, _ := smtpTestServer(t, &smtp.Server{Backend: be, Hostname: "localhost"})
	peersRelayTo(t, addr)
	ctx := context.Background()
	c, err := smtp.Dial(ctx, peerAddr(portRelay), &smtp.ClientOptions{LocalName: "client.example.test", TLS: smtp.TLSRequired, TLSConfig: peersTLSConfig(t, "localhost")})
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"PIPELINING", "8BITMIME", "DSN"} {
		if !c.Has(ext) {
			t.Errorf("the Postfix relay does not offer %s", ext)
		}
	}
	id := fmt.Sprintf("<relay-%d@client.example.test>", time.Now().UnixNano())
	body := "From: x@client.example.test\r\nSubject: relayed\r\nMessage-ID: " + id + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nvia postfix: Grüße\r\n"
	_, err = c.Send(ctx, &smtp.Envelope{From: "x@client.example.test", To: []string{"bob@example.test"},
		Mail: smtp.MailOptions{Body: smtp.Body8BitMIME, Return: smtp.ReturnHeaders, EnvelopeID: "env1+mailkit"},
		Rcpt: []smtp.RcptOptions{{Notify: []smtp.DSNNotify{smtp.NotifySuccess, smtp.NotifyFailure}}}},
		strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Quit(ctx)
	msgs := be.wait(t, 1, 90*time.Second)
	m := msgs[0]
	if !strings.Contains(m.data, id) || len(m.to) != 1 || m.to[0] != "bob@example.test" {
		t.Errorf("relayed message: %+v", m)
	}
	if !m.tls || m.proto != "ESMTPS" {
		t.Errorf("Postfix relayed without TLS: protocol %q", m.proto)
	}
	if m.mail.Body != smtp.Body8BitMIME {
		t.Errorf("BODY=%q reached the session, want 8BITMIME", m.mail.Body)
	}
	if m.mail.EnvelopeID != "env1+mailkit" || m.mail.Return != smtp.ReturnHeaders {
		t.Errorf("DSN MAIL parameters: ENVID %q RET %q", m.mail.EnvelopeID, m.mail.Return)
	}
	if len(m.rcpt) != 1 || fmt.Sprint(m.rcpt[0].Notify) != "[SUCCESS FAILURE]" {
		t.Errorf("DSN RCPT parameters: %+v", m.rcpt)
	} else if m.rcpt[0].OriginalRecipient != "" && m.rcpt[0].OriginalRecipient != "bob@example.test" {
		t.Errorf("ORCPT %q", m.rcpt[0].OriginalRecipient)
	}
	if !strings.Contains(m.data, "via postfix: Grüße") {
		t.Errorf("8-bit body changed: %q", m.data)
	}
	t.Logf("Postfix relayed with %s, MAIL %+v, RCPT %+v; first lines:\n%s", m.proto, m.mail, m.rcpt, lastLines(strings.SplitN(m.data, "\r\n\r\n", 2)[0], 12))
}

func smtpExecCommand(ctx context.Context, name string, args ...string) (string, error) {
	out, err := osexec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}
