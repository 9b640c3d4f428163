package imapserver_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// A server on loopback and a client round trip: APPEND with flags and an
// internal date, SEARCH on decoded text, a partial FETCH, a refused COPY
// with its response code, and a graceful Shutdown. Plaintext login is
// allowed only because the example runs on loopback.
func Example() {
	ctx := context.Background()
	be := imapmem.New()
	_ = be.AddUser("alice", "secret")
	srv := &imapserver.Server{Backend: be, AllowInsecureAuth: true}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = srv.Serve(l) }()

	c, err := imapclient.Dial(ctx, l.Addr().String(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = c.Login(ctx, "alice", "secret")
	msg := "From: bob@example.test\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nSee you at noon.\r\n"
	date := time.Date(2024, 2, 1, 10, 0, 0, 0, time.UTC)
	app, _ := c.Append(ctx, "INBOX", strings.NewReader(msg), int64(len(msg)),
		&imap.AppendOptions{Flags: []imap.Flag{imap.FlagFlagged}, Time: date})
	fmt.Println("appended uid:", app.UID)

	_, _ = c.Select(ctx, "INBOX", nil)
	found, _ := c.Search(ctx, &imap.SearchCriteria{Header: []imap.SearchHeader{{Key: "SUBJECT", Value: "grüße"}}})
	fmt.Println("subject search:", found)

	msgs, _ := c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(1), &imap.FetchOptions{
		Flags: true, InternalDate: true,
		Sections: []*imap.FetchSection{{Peek: true, Specifier: imap.SpecifierText, Partial: &imap.Partial{Offset: 4, Count: 3}}},
	})
	for _, m := range msgs {
		fmt.Println("flags:", m.Flags)
		fmt.Println("internal date:", m.InternalDate.UTC().Format(time.DateTime))
		fmt.Printf("text<4.3>: %q\n", m.Section("BODY[TEXT]<4>"))
	}

	_, err = c.Copy(ctx, imap.SeqSetOf(1), "Archive")
	var se *imapclient.StatusError
	if errors.As(err, &se) {
		fmt.Println("copy:", se.Type, se.Code)
	}
	_ = c.Logout(ctx)

	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	fmt.Println("shutdown:", srv.Shutdown(sctx))
	// Output:
	// appended uid: 1
	// subject search: [1]
	// flags: [\Flagged \Recent]
	// internal date: 2024-02-01 10:00:00
	// text<4.3>: "you"
	// copy: NO TRYCREATE
	// shutdown: <nil>
}
