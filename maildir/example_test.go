package maildir_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/maildir"
)

func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "maildir-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	md, err := maildir.Create(filepath.Join(dir, "Maildir"), &maildir.Options{
		Now:      func() time.Time { return time.Unix(1700000000, 0) },
		Hostname: "mx.example.org",
	})
	if err != nil {
		panic(err)
	}
	msg, err := md.Deliver(ctx, strings.NewReader("Subject: hello\n\nHi!\n"))
	if err != nil {
		panic(err)
	}
	fmt.Println("new:", msg.New, "size:", msg.Size)

	// A reader sees it, then marks it seen and flagged (a rename into cur/).
	msg, err = md.SetFlags(ctx, msg.Key, maildir.FlagSeen|maildir.FlagFlagged)
	if err != nil {
		panic(err)
	}
	fmt.Println("info:", msg.Info)
	rc, err := md.Open(ctx, msg.Key)
	if err != nil {
		panic(err)
	}
	defer rc.Close()
	body, _ := io.ReadAll(rc)
	fmt.Printf("%q\n", body)
	// Output:
	// new: true size: 20
	// info: 2,FS
	// "Subject: hello\n\nHi!\n"
}

func ExampleParseName() {
	n, err := maildir.ParseName("1700000000.M0P42Q1.mx,S=20,W=23:2,RS")
	if err != nil {
		panic(err)
	}
	fmt.Println(n.Key, n.Size, n.VSize, n.Info.Flags)
	// Output:
	// 1700000000.M0P42Q1.mx 20 23 RS
}

func ExampleFolderDir() {
	d, _ := maildir.FolderDir("Archiv/Entwürfe")
	fmt.Println(d)
	name, _ := maildir.FolderName(d)
	fmt.Println(name)
	// Output:
	// .Archiv.Entw&APw-rfe
	// Archiv/Entwürfe
}
