package tlsutil

import (
	"bufio"
	"bytes"
	"net"
	"testing"
)

func FuzzLDAPExtendedResponse(f *testing.F) {
	f.Add(ldapResponse(1, 0, "", ldapStartTLSOID))
	f.Add(ldapResponse(0, 52, "bye", ldapNoticeOfDisconnection))
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _, _, _ = ldapExtendedResult(b)
		d := &dialogue{proto: ProtoLDAP, r: bufio.NewReader(bytes.NewReader(b)), max: 4096}
		msg, err := d.readLDAPMessage()
		if err == nil && len(msg) > maxLDAPMessage+6 {
			t.Fatalf("message of %d bytes accepted", len(msg))
		}
	})
}

func FuzzReply(f *testing.F) {
	f.Add("220-a\r\n220 b\r\n", false)
	f.Add("220-Welcome\r\n free\r\n220 ok\r\n", true)
	f.Add("250\r\n", false)
	f.Fuzz(func(t *testing.T, s string, ftp bool) {
		proto := ProtoSMTP
		if ftp {
			proto = ProtoFTP
		}
		c1, c2 := net.Pipe()
		defer c1.Close()
		defer c2.Close()
		d := &dialogue{proto: proto, conn: c1, r: bufio.NewReader(bytes.NewReader([]byte(s))), max: 512}
		code, lines, err := d.reply()
		if err == nil && (code < 0 || code > 999 || len(lines) == 0 || len(lines) > maxReplyLines) {
			t.Fatalf("reply %q gave code %d, %d lines", s, code, len(lines))
		}
	})
}
