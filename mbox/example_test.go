package mbox_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/mbox"
)

func ExampleReader() {
	const spool = "From alice@example.org Thu Nov 29 17:22:41 2026\n" +
		"Subject: first\n\n>From the archive\n\n" +
		"From MAILER-DAEMON Thu Nov 29 17:23:00 2026\n" +
		"Subject: bounce\n\n"
	r := mbox.NewReader(strings.NewReader(spool), nil)
	for {
		msg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		body, err := io.ReadAll(msg.Body)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s %s %q\n", msg.From, msg.Date.Format(time.RFC3339), body)
	}
	// Output:
	// alice@example.org 2026-11-29T17:22:41Z "Subject: first\n\nFrom the archive\n"
	// MAILER-DAEMON 2026-11-29T17:23:00Z "Subject: bounce\n"
}

func ExampleSpool() {
	dir, err := os.MkdirTemp("", "spool")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	spool := &mbox.Spool{Dir: dir} // production: the zero value, /var/spool/mail
	box, err := spool.Mailbox("alice")
	if err != nil {
		panic(err)
	}
	env := mbox.Envelope{From: "bob@example.org", Date: time.Date(2026, 11, 29, 17, 22, 41, 0, time.UTC)}
	if err := box.Append(context.Background(), env, strings.NewReader("Subject: hi\n\nFrom me, hello.\n")); err != nil {
		panic(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "alice"))
	fmt.Print(string(data))
	// Output:
	// From bob@example.org Sun Nov 29 17:22:41 2026
	// Subject: hi
	//
	// >From me, hello.
}
