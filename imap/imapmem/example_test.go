package imapmem_test

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// An IMAP server over the in-memory backend and a client reading a
// delivered message. Plaintext login is allowed here only because the
// example runs on loopback; real servers use TLS.
func Example() {
	ctx := context.Background()
	be := imapmem.New()
	_ = be.AddUser("alice", "secret")
	_, _ = be.Deliver("alice", "INBOX", []byte("From: bob@example.test\r\nSubject: Hello\r\n\r\nHi Alice!\r\n"), nil)

	srv := &imapserver.Server{Backend: be, AllowInsecureAuth: true}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	c, err := imapclient.Dial(ctx, l.Addr().String(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_ = c.Login(ctx, "alice", "secret")
	sel, _ := c.Select(ctx, "INBOX", nil)
	fmt.Println("messages:", sel.NumMessages)
	msgs, _ := c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(1), &imap.FetchOptions{
		Envelope: true,
		Sections: []*imap.FetchSection{{Peek: true, Specifier: imap.SpecifierText}},
	})
	for _, m := range msgs {
		fmt.Println("subject:", m.Envelope.Subject)
		fmt.Println("text:", strings.TrimSpace(string(m.Section("BODY[TEXT]"))))
	}
	_ = c.Logout(ctx)
	// Output:
	// messages: 1
	// subject: Hello
	// text: Hi Alice!
}
