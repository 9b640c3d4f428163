package smtptest_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailkit-go/mailkit/smtp"
	"github.com/mailkit-go/mailkit/smtp/smtptest"
)

// Example shows a test of "my service sent the welcome mail".
func Example() {
	srv, _ := smtptest.Start(nil)
	defer srv.Close()
	sendWelcome(srv.Addr(), "bob@example.com") // the code under test
	msgs, _ := srv.WaitFor(context.Background(), 1)
	fmt.Println(msgs[0].To, msgs[0].Header.Get("Subject"))
	// Output: [bob@example.com] Welcome, bob
}

// sendWelcome stands for the application's code.
func sendWelcome(addr, to string) {
	ctx := context.Background()
	c, err := smtp.Dial(ctx, addr, nil)
	if err != nil {
		panic(err)
	}
	defer c.Quit(ctx)
	name, _, _ := strings.Cut(to, "@")
	msg := "From: app@example.net\r\nTo: " + to + "\r\nSubject: Welcome, " + name + "\r\n\r\nHello!\r\n"
	if _, err := c.Send(ctx, &smtp.Envelope{From: "app@example.net", To: []string{to}}, strings.NewReader(msg)); err != nil {
		panic(err)
	}
}
