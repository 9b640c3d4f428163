package pop3

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"STAT", "retr 1", "TOP 1 10", "PASS a b c", "AUTH PLAIN =", "", " ", "X\x00", "UIDL 99999999999", "APOP mrose c4c9334bac560ecc979e58001b3e22fb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, err := ParseCommand(line)
		if err != nil {
			return
		}
		if cmd.Name != strings.ToUpper(cmd.Name) || cmd.Name == "" || len(cmd.Name) > maxKeyword {
			t.Fatalf("bad name %q", cmd.Name)
		}
		if strings.ContainsAny(line, "\r\n\x00") {
			t.Fatalf("accepted control characters in %q", line)
		}
		// Re-serialising gives the same command.
		re := cmd.Name
		if cmd.Arg != "" || strings.Contains(line, " ") {
			re += " " + cmd.Arg
		}
		again, err := ParseCommand(re)
		if err != nil || again != cmd {
			t.Fatalf("round trip %q -> %+v -> %q -> %+v, %v", line, cmd, re, again, err)
		}
		for _, a := range cmd.Args() {
			if a == "" || strings.ContainsAny(a, " \t") {
				t.Fatalf("bad argument %q", a)
			}
		}
		if n, ok := parseNumber(cmd.Arg); ok && n < 0 {
			t.Fatalf("negative number %d", n)
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{"+OK", "-ERR", "+OK 2 320", "-ERR [IN-USE] locked", "-ERR [SYS/TEMP]", "-ERR [", "-ERR []", "+OKAY", "+ xyz", "-ERR [A] [B]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := ParseResponse(line)
		if err != nil {
			return
		}
		if r.Code != "" && !validCode(r.Code) {
			t.Fatalf("invalid code %q from %q", r.Code, line)
		}
		// Format it back as a server would and parse again.
		e := &Error{Code: r.Code, Message: r.Text}
		if !r.OK {
			s := strings.TrimPrefix(e.Error(), "pop3: ")
			r2, err := ParseResponse(s)
			if err != nil || r2.Code != r.Code || r2.OK {
				t.Fatalf("round trip %q -> %q -> %+v, %v", line, s, r2, err)
			}
		}
		if len(r.Text) > len(line) {
			t.Fatal("text longer than line")
		}
	})
}

func FuzzDotReader(f *testing.F) {
	for _, s := range []string{"a\r\n.\r\n", "..\r\n.\r\n", ".\r\n", "a\n.\n", ".\rx\r\n.\r\n", "x", "", "\r\n\r\n.", "...\r\n..\r\n.\r\nrest"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(in), 16)
		out, err := io.ReadAll(newDotReader(br))
		if len(out) > len(in) {
			t.Fatalf("output %d bytes longer than input %d", len(out), len(in))
		}
		if err != nil && err != io.ErrUnexpectedEOF {
			t.Fatalf("unexpected error %v", err)
		}
		rest, _ := io.ReadAll(br)
		if err == nil && len(out)+len(rest) > len(in) {
			t.Fatal("consumed more than the input")
		}
	})
}

func FuzzStuffRoundTrip(f *testing.F) {
	for _, s := range []string{"", "a", ".", "..\n.\r\n", "x\n.\n..\nend", "a\rb", "\r", ".\r"} {
		f.Add([]byte(s), -1)
		f.Add([]byte(s), 1)
	}
	f.Fuzz(func(t *testing.T, in []byte, lines int) {
		if lines < -1 {
			lines = -1
		}
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		if err := writeMessage(w, bytes.NewReader(in), lines); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		wire := buf.Bytes()
		// The wire form has only CRLF line ends and one terminator, at the end.
		if !bytes.HasSuffix(wire, []byte(".\r\n")) {
			t.Fatalf("no terminator: %q", wire)
		}
		if i := bytes.Index(wire, []byte("\r\n.\r\n")); i >= 0 && i+5 != len(wire) {
			t.Fatalf("early terminator in %q", wire)
		}
		got, err := io.ReadAll(newDotReader(bufio.NewReader(bytes.NewReader(wire))))
		if err != nil {
			t.Fatalf("unstuff: %v (%q)", err, wire)
		}
		if lines < 0 && !bytes.Equal(got, normalizeCRLF(in)) {
			t.Fatalf("round trip %q -> %q -> %q", in, wire, got)
		}
		if lines >= 0 && !bytes.HasPrefix(normalizeCRLF(in), got) {
			t.Fatalf("TOP output %q is not a prefix of %q", got, normalizeCRLF(in))
		}
	})
}
