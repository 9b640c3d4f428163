package maildirbackend_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/maildir"
	"github.com/mailkit-go/mailkit/pop3"
	"github.com/mailkit-go/mailkit/pop3/maildirbackend"
)

// A POP3 server over a user's Maildir: the client downloads and deletes
// the message a delivery agent left in new/.
func Example() {
	root, _ := os.MkdirTemp("", "maildirbackend-example")
	defer os.RemoveAll(root)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	md, _ := maildir.Create(filepath.Join(root, "alice"), nil)
	_, _ = md.Deliver(ctx, strings.NewReader("Subject: hi\n\nHello from the Maildir\n"))

	be := &maildirbackend.Backend{
		Dir: func(user string) (string, error) { return filepath.Join(root, user), nil },
		Login: func(_ context.Context, user string, pass []byte) error {
			if user == "alice" && string(pass) == "secret" {
				return nil
			}
			return pop3.ErrAuth
		},
	}
	// Plaintext USER/PASS only because this is a loopback example.
	srv := &pop3.Server{Backend: be, AllowInsecureAuth: true}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	c, err := pop3.Dial(ctx, l.Addr().String(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Login(ctx, "alice", "secret"); err != nil {
		fmt.Println(err)
		return
	}
	list, _ := c.List(ctx)
	fmt.Println("message 1:", list[0].Size, "octets")
	rc, _ := c.Retr(ctx, 1)
	b, _ := io.ReadAll(rc)
	fmt.Printf("%q\n", b)
	_ = c.Dele(ctx, 1)
	_ = c.Quit(ctx)
	left, _ := md.List(ctx)
	fmt.Println("left in the Maildir:", len(left))
	// Output:
	// message 1: 39 octets
	// "Subject: hi\r\n\r\nHello from the Maildir\r\n"
	// left in the Maildir: 0
}
