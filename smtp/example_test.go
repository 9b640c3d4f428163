package smtp_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/smtp"
)

// mailbox is a minimal Backend for ProfileMX: it accepts mail for one
// domain and prints each envelope it stores.
type mailbox struct {
	domain string
	stored chan string
}

func (b *mailbox) NewSession(ctx context.Context, c *smtp.ConnInfo) (smtp.Session, error) {
	return &mailboxSession{b: b, info: c}, nil
}

// IsLocalDomain makes the MX profile accept recipients of b.domain only.
func (b *mailbox) IsLocalDomain(ctx context.Context, domain string) (bool, error) {
	return domain == b.domain, nil
}

type mailboxSession struct {
	b    *mailbox
	info *smtp.ConnInfo
	from string
	to   []string
	dsn  []string
}

func (s *mailboxSession) Mail(ctx context.Context, from string, o *smtp.MailOptions) error {
	s.from = from
	if o.EnvelopeID != "" {
		s.dsn = append(s.dsn, "ENVID="+o.EnvelopeID)
	}
	return nil
}

func (s *mailboxSession) Rcpt(ctx context.Context, to string, o *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	for _, n := range o.Notify {
		s.dsn = append(s.dsn, "NOTIFY="+string(n))
	}
	return nil
}

func (s *mailboxSession) Data(ctx context.Context, r io.Reader) error {
	// The first header field is the server's Received trace field.
	br := bufio.NewReader(r)
	received, _ := br.ReadString('\n')
	rest, err := io.ReadAll(br)
	if err != nil {
		return err
	}
	_, body, _ := strings.Cut(string(rest), "\r\n\r\n")
	s.b.stored <- fmt.Sprintf("from=%s to=%v with=%s dsn=%v\n%s%s",
		s.from, s.to, s.info.Protocol(), s.dsn, strings.TrimSpace(received), "\nbody: "+strings.TrimSpace(body))
	return nil
}

func (s *mailboxSession) Reset(ctx context.Context)        { s.from, s.to, s.dsn = "", nil, nil }
func (s *mailboxSession) Logout(ctx context.Context) error { return nil }

// Example runs an MX-profile server on loopback and sends it a message
// with the client: one recipient is local, the other would be relaying
// and is refused with 550 5.7.1.
func Example() {
	be := &mailbox{domain: "example.test", stored: make(chan string, 1)}
	srv := &smtp.Server{Backend: be, Hostname: "mx.example.test", NewID: func() string { return "4F2A" }}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() { _ = srv.Serve(l) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()

	ctx := context.Background()
	c, err := smtp.Dial(ctx, l.Addr().String(), &smtp.ClientOptions{LocalName: "client.example"})
	if err != nil {
		panic(err)
	}
	res, err := c.Send(ctx, &smtp.Envelope{
		From: "alice@client.example",
		To:   []string{"bob@example.test", "carol@elsewhere.example"},
		Mail: smtp.MailOptions{EnvelopeID: "msg-1"},
		Rcpt: []smtp.RcptOptions{{Notify: []smtp.DSNNotify{smtp.NotifyFailure}}, {}},
	}, strings.NewReader("Subject: hello\n\nHi Bob.\n"))
	if err != nil {
		panic(err)
	}
	_ = c.Quit(ctx)

	for _, r := range res.Rcpts {
		fmt.Printf("%s: %v\n", r.Addr, r.Err)
	}
	fmt.Println(res.Reply)
	fmt.Println(<-be.stored)
	// Output:
	// bob@example.test: <nil>
	// carol@elsewhere.example: smtp: 550 5.7.1 <carol@elsewhere.example>: Relay access denied
	// Ok: queued as 4F2A
	// from=alice@client.example to=[bob@example.test] with=ESMTP dsn=[ENVID=msg-1 NOTIFY=FAILURE]
	// Received: from client.example ([127.0.0.1])
	// body: Hi Bob.
}
