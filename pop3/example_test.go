package pop3_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/mailkit-go/mailkit/pop3"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// A server over an in-memory backend and a client that downloads and
// deletes the mail, over STLS with a test CA.
func Example() {
	ca, _ := tlsutil.NewCA(nil)
	tlsConf, _ := ca.ServerConfig("localhost")

	be := &pop3.MemoryBackend{}
	be.AddUser("alice", "secret")
	_, _ = be.Deliver("alice", []byte("Subject: hello\n\nHi Alice!\n"))

	srv := &pop3.Server{Backend: be, TLSConfig: tlsConf}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pop3.Dial(ctx, l.Addr().String(), &pop3.DialOptions{
		TLS:       tlsutil.ModeStartTLS,
		TLSConfig: ca.ClientConfig("localhost"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Login(ctx, "alice", "secret"); err != nil {
		fmt.Println(err)
		return
	}
	n, size, _ := c.Stat(ctx)
	fmt.Println("messages:", n, "octets:", size)
	rc, _ := c.Retr(ctx, 1)
	msg, _ := io.ReadAll(rc)
	_ = rc.Close()
	fmt.Printf("%q\n", msg)
	_ = c.Dele(ctx, 1)
	_ = c.Quit(ctx)
	fmt.Println("left on server:", len(be.Messages("alice")))
	// Output:
	// messages: 1 octets: 29
	// "Subject: hello\r\n\r\nHi Alice!\r\n"
	// left on server: 0
}

// A second login to a locked mailbox gets the [IN-USE] response code.
func ExampleError() {
	err := error(&pop3.Error{Code: pop3.CodeInUse, Message: "mailbox is locked by another session"})
	fmt.Println(err)
	var pe *pop3.Error
	if errors.As(err, &pe) {
		fmt.Println(pe.Code, pe.Temporary())
	}
	// Output:
	// pop3: -ERR [IN-USE] mailbox is locked by another session
	// IN-USE true
}

func ExampleParseResponse() {
	r, _ := pop3.ParseResponse("-ERR [SYS/TEMP] try again later")
	fmt.Println(r.OK, r.Code, r.Text)
	// Output: false SYS/TEMP try again later
}
