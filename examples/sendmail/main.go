// Command sendmail composes a message with package mime's builder and
// sends it with package smtp's client to an in-process smtptest server
// (STARTTLS and AUTH with a throw-away test certificate), then prints the
// envelope the server captured.
//
//	go run ./examples/sendmail
//	go run ./examples/sendmail -to bob@example.org -bcc audit@example.org -subject "Hello"
//
// It shows that the envelope, not the header, decides delivery (SCENARIOS
// §1): the -bcc recipient is in RCPT TO but in no header field.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/mime"
	"github.com/mailkit-go/mailkit/smtp"
	"github.com/mailkit-go/mailkit/smtp/smtptest"
)

func main() {
	if _, err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sendmail:", err)
		os.Exit(2)
	}
}

// run parses the flags, starts the test server, sends and reports what
// the server captured.
func run(ctx context.Context, args []string, w io.Writer) ([]smtptest.Message, error) {
	fs := flag.NewFlagSet("sendmail", flag.ContinueOnError)
	fs.SetOutput(w)
	from := fs.String("from", "alice@example.com", "sender (From: and MAIL FROM)")
	to := fs.String("to", "bob@example.org", "recipients in To:, comma-separated")
	bcc := fs.String("bcc", "carol@example.net", "envelope-only recipients, comma-separated")
	subject := fs.String("subject", "Quarterly report", "subject (non-ASCII is fine)")
	text := fs.String("text", "Hello Bob,\n\nthe report is attached.\n\nAlice\n", "body text")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()

	// 1. Compose with the mime builder.
	msg, err := compose(*from, split(*to), *subject, *text)
	if err != nil {
		return nil, err
	}

	// 2. A submission-like test server: STARTTLS, AUTH required.
	srv, err := smtptest.Start(&smtptest.Options{Users: map[string]string{*from: "secret"}})
	if err != nil {
		return nil, err
	}
	defer srv.Close()

	// 3. Send: STARTTLS required, AUTH with the strongest mechanism offered.
	env := &smtp.Envelope{From: *from, To: append(split(*to), split(*bcc)...)}
	res, err := send(ctx, srv.Addr(), &smtp.ClientOptions{
		LocalName: "laptop.example.com",
		TLS:       smtp.TLSRequired,
		TLSConfig: srv.ClientTLSConfig(),
		Auth:      &smtp.ClientAuth{Username: *from, Password: "secret"},
	}, env, msg)
	if err != nil {
		return nil, err
	}
	for _, r := range res.Rcpts {
		fmt.Fprintf(w, "RCPT %-22s %v\n", r.Addr, okOr(r.Err))
	}
	fmt.Fprintf(w, "server: 250 %s\n", res.Reply)

	// 4. What the server captured.
	got, err := srv.WaitFor(ctx, 1)
	if err != nil {
		return nil, err
	}
	m := got[0]
	fmt.Fprintf(w, "captured envelope: MAIL FROM:<%s> RCPT TO:%v (TLS=%v, AUTH=%s, HELO=%s)\n", m.From, m.To, m.TLS, m.AuthUser, m.Helo)
	fmt.Fprintf(w, "header To: %s (the Bcc recipient is in no header)\n", m.Header.Get("To"))
	fmt.Fprintf(w, "header Subject: %s\n", m.Header.Get("Subject"))
	fmt.Fprintf(w, "%d octets, starting with the server's Received field:\n%s\n", len(m.Data), firstLines(m.Data, 2))
	return got, nil
}

// compose builds a text message with one attachment.
func compose(from string, to []string, subject, text string) ([]byte, error) {
	m := &mime.Message{
		From:    []mime.Address{{Address: from}},
		Subject: subject,
		Text:    text,
		Attachments: []mime.Attachment{{
			FileName: "report.csv", ContentType: "text/csv",
			Data: []byte("quarter,revenue\nQ1,100\n"),
		}},
	}
	for _, a := range to {
		m.To = append(m.To, mime.Address{Address: a})
	}
	var buf bytes.Buffer
	err := (&mime.Encoder{}).WriteMessage(&buf, m)
	return buf.Bytes(), err
}

// send runs one transaction and says goodbye.
func send(ctx context.Context, addr string, opts *smtp.ClientOptions, env *smtp.Envelope, msg []byte) (*smtp.Result, error) {
	c, err := smtp.Dial(ctx, addr, opts)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res, err := c.Send(ctx, env, bytes.NewReader(msg))
	if err != nil {
		return nil, err
	}
	return res, c.Quit(ctx)
}

func split(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func okOr(err error) string {
	if err == nil {
		return "accepted"
	}
	return err.Error()
}

func firstLines(b []byte, n int) string {
	lines := strings.SplitN(string(b), "\r\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return "  " + strings.Join(lines, "\n  ")
}
