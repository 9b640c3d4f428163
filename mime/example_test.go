package mime_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/mailkit-go/mailkit/mime"
)

func ExampleReader() {
	msg := "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nK=F6ln\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n"
	r := mime.NewReader(strings.NewReader(msg), nil)
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(p.Body)
		fmt.Printf("%d %s %q\n", p.Depth, p.MediaType, body)
	}
	// Output:
	// 0 multipart/mixed ""
	// 1 text/plain "Köln"
	// 1 application/octet-stream "hello"
}

func ExampleParse() {
	msg := "From: =?utf-8?q?J=C3=B6rg?= <joerg@example.com>\r\nSubject: hi\r\n\r\nbody\r\n"
	root, err := mime.Parse(strings.NewReader(msg), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	from, _ := root.Header.From()
	text, _ := root.Text()
	var out bytes.Buffer
	_, _ = root.WriteTo(&out)
	fmt.Println(from[0].Name, from[0].Address, strings.TrimSpace(text), out.String() == msg)
	// Output: Jörg joerg@example.com body true
}

func ExampleEncoder_WriteMessage() {
	e := &mime.Encoder{}
	var buf bytes.Buffer
	err := e.WriteMessage(&buf, &mime.Message{
		From:        []mime.Address{{Name: "Alice", Address: "alice@example.com"}},
		To:          []mime.Address{{Address: "bob@example.org"}},
		Subject:     "Report",
		Text:        "See attached.",
		Attachments: []mime.Attachment{{FileName: "résumé.pdf", ContentType: "application/pdf", Data: []byte("%PDF")}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	root, _ := mime.ParseBytes(buf.Bytes(), nil)
	fmt.Println(root.MediaType, root.Children[1].FileName())
	// Output: multipart/mixed résumé.pdf
}
