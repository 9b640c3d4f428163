package imap_test

import (
	"fmt"

	"github.com/mailkit-go/mailkit/imap"
)

func ExampleMessage_BinarySection() {
	m := imap.ParseMessage([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8AIQ==\r\n" +
		"--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n" +
		"--b--\r\n"))
	data, err := m.BinarySection([]int{1})
	fmt.Printf("%q %v literal8=%v\n", data, err, imap.NeedsLiteral8(data))
	_, err = m.BinarySection([]int{2})
	fmt.Println(err)
	// Output:
	// "hello\x00!" <nil> literal8=true
	// imap: unknown content transfer encoding
}

func ExampleEncodeBinaryParts() {
	raw := "Subject: data\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\x01\x02"
	out, changed := imap.EncodeBinaryParts([]byte(raw))
	fmt.Printf("%v %q\n", changed, out)
	data, _ := imap.ParseMessage(out).BinarySection([]int{1})
	fmt.Printf("%q\n", data)
	// Output:
	// true "Subject: data\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n"
	// "\x00\x01\x02"
}
