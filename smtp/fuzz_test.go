package smtp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"HELO mydomain.com\r\n", "EHLO 172.16.1.238\r\n", "MAIL FROM:<sender@mydomain.com>\r\n",
		"RCPT TO:<friend@example.com> NOTIFY=NEVER\r\n", "DATA\r\n", "QUIT\r\n", "BDAT 10 LAST\r\n",
		"\r\n", " x", "HELO\x00", "x-foo bar\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		cmd, err := ParseCommand(line)
		if err != nil {
			return
		}
		if cmd.Verb == "" || strings.ToUpper(cmd.Verb) != cmd.Verb {
			t.Fatalf("bad verb %q", cmd.Verb)
		}
		if strings.ContainsAny(cmd.Arg, "\r\n\x00") {
			t.Fatalf("control characters in arg %q", cmd.Arg)
		}
		// Re-parsing the canonical form gives the same command.
		again, err := ParseCommand([]byte(cmd.String() + "\r\n"))
		if err != nil || again != cmd {
			t.Fatalf("round trip %q -> %+v, %v", cmd.String(), again, err)
		}
	})
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"<>", "<a@b.example>", `<"john doe"@example.com>`, "<@r1,@r2:u@example.com>",
		"<u@[192.0.2.1]>", "<u@[IPv6:2001:db8::1]>", "<用户@例子.广告>", "<Postmaster>", "<a@b", `<"\\"@x>`,
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, utf8 bool) {
		for _, parse := range []func(string, bool) (Path, error){ParseReversePath, ParseForwardPath} {
			p, err := parse(s, utf8)
			if err != nil {
				var pe *PathError
				if !errors.As(err, &pe) || pe.Code == 0 {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			if !utf8 && !p.Mailbox.IsASCII() {
				t.Fatalf("non-ASCII accepted without SMTPUTF8: %q", s)
			}
			p2, err := parse(p.String(), utf8)
			if err != nil {
				t.Fatalf("String %q of %q does not parse: %v", p.String(), s, err)
			}
			if p2.Mailbox != p.Mailbox {
				t.Fatalf("round trip %+v != %+v", p2.Mailbox, p.Mailbox)
			}
		}
		path, params, err := SplitMailArg("FROM:" + s)
		if err == nil && !strings.HasPrefix(s, " ") && len(path)+len(params) > len(s) {
			t.Fatalf("split grew the input")
		}
	})
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"220 www.example.com ESMTP Postfix\r\n", scenario2EHLO, "550 5.1.1 no\r\n",
		"451-4.7.1 a\r\n451 4.7.1 b\r\n", "250\r\n", "250-a\r\n251 b\r\n", "250 a\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := ReadReply(bufio.NewReader(bytes.NewReader(in)))
		if err != nil {
			return
		}
		if rep.Code < 100 || rep.Code > 599 || len(rep.Lines) == 0 || len(rep.Lines) > MaxReplyLines {
			t.Fatalf("bad reply %+v", rep)
		}
		// Writing and re-reading the reply preserves it.
		again, err := ReadReply(bufio.NewReader(strings.NewReader(rep.String())))
		if err != nil {
			t.Fatalf("re-read %q: %v", rep.String(), err)
		}
		if again.Code != rep.Code || again.Enhanced != rep.Enhanced {
			t.Fatalf("round trip %+v != %+v", again, rep)
		}
	})
}

func FuzzDataReader(f *testing.F) {
	for _, v := range smugglingVariants {
		f.Add([]byte(smugglingInput(v.n, v.core)), uint8(0))
	}
	f.Add([]byte("a\r\n..b\r\n.\r\nQUIT\r\n"), uint8(1))
	f.Add([]byte(".\r\n"), uint8(2))
	f.Add([]byte("Subject: x\r\n\r\nline one\r\nline\x00two\r\n"+strings.Repeat("y", 199)+"\r\n..dot\r\nbare\rcr\r\nbare\nlf\r\n.\r\nNOOP\r\n"), uint8(0))
	f.Add([]byte("a\r\nb\r\n"+strings.Repeat("z", 300)+"\r\n.\r\n"), uint8(3))
	f.Fuzz(func(t *testing.T, in []byte, mode uint8) {
		opts := DataOptions{MaxLineLength: 200, MaxSize: 4096}
		if mode&1 != 0 {
			opts.LineEndings = LineEndingsNormalize
		}
		opts.AllowNUL = mode&2 != 0
		// The fast path (whole lines) and the octet-by-octet path agree on
		// the output, the error and where the input was left, whatever the
		// buffer and read sizes.
		for _, sz := range [][2]int{{16, 7}, {64, 4096}, {4096, 3}, {4096, 4096}} {
			slowOut, slowRest, slowErr := readDataWith(in, opts, sz[0], sz[1], true)
			fOut, fRest, fErr := readDataWith(in, opts, sz[0], sz[1], false)
			if !bytes.Equal(fOut, slowOut) || fmt.Sprint(fErr) != fmt.Sprint(slowErr) || !bytes.Equal(fRest, slowRest) {
				t.Fatalf("buffer %d, reads of %d: fast path gave %q, %v, rest %q; slow path %q, %v, rest %q",
					sz[0], sz[1], fOut, fErr, fRest, slowOut, slowErr, slowRest)
			}
		}
		br := bufio.NewReaderSize(bytes.NewReader(in), 16)
		d := NewDataReader(br, opts)
		out, err := io.ReadAll(d)
		if err != nil {
			return
		}
		// The end of data was a real CRLF "." CRLF (or "." CRLF at the start).
		rest, _ := io.ReadAll(br)
		head := in[:len(in)-len(rest)]
		if !bytes.HasSuffix(head, []byte("\r\n.\r\n")) && !bytes.Equal(head, []byte(".\r\n")) {
			t.Fatalf("end of data after %q", head)
		}
		// Delivered data never has a bare LF, ends with CRLF or is empty,
		// and under strict never a bare CR.
		if bytes.Contains(bytes.ReplaceAll(out, []byte("\r\n"), nil), []byte("\n")) {
			t.Fatalf("bare LF delivered: %q", out)
		}
		if opts.LineEndings == LineEndingsStrict && bytes.Contains(bytes.ReplaceAll(out, []byte("\r\n"), nil), []byte("\r")) {
			t.Fatalf("bare CR delivered: %q", out)
		}
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\r\n")) {
			t.Fatalf("data does not end with CRLF: %q", out)
		}
		if !opts.AllowNUL && bytes.IndexByte(out, 0) >= 0 {
			t.Fatalf("NUL delivered")
		}
		if int64(len(out)) != d.Size() || d.Size() > opts.MaxSize {
			t.Fatalf("size %d vs %d", len(out), d.Size())
		}
		// Dot-stuffing the output and reading it back is the identity.
		var wire bytes.Buffer
		w := NewDotWriter(&wire)
		_, _ = w.Write(out)
		_ = w.Close()
		back, err := io.ReadAll(NewDataReader(bufio.NewReader(&wire), DataOptions{MaxLineLength: -1, AllowNUL: true, LineEndings: opts.LineEndings}))
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if opts.LineEndings == LineEndingsStrict && !bytes.Equal(back, out) {
			t.Fatalf("round trip %q != %q", back, out)
		}
	})
}

func FuzzDotWriter(f *testing.F) {
	for _, v := range smugglingVariants {
		f.Add([]byte(smugglingInput(v.n, v.core)))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var wire bytes.Buffer
		w := NewDotWriter(&wire)
		_, _ = w.Write(in)
		_ = w.Close()
		b := wire.Bytes()
		if len(in) == 0 {
			if string(b) != ".\r\n" {
				t.Fatalf("empty data sent as %q", b)
			}
		} else if bytes.Count(b, []byte("\r\n.\r\n")) != 1 || !bytes.HasSuffix(b, []byte("\r\n.\r\n")) {
			t.Fatalf("wire %q has not exactly one end of data, at the end", b)
		}
		stripped := bytes.ReplaceAll(b, []byte("\r\n"), nil)
		if bytes.ContainsAny(stripped, "\r\n") {
			t.Fatalf("bare line ending on the wire: %q", b)
		}
	})
}

// readDataWith reads in through a DataReader with a bufio buffer of bufSize
// octets, in reads of chunk octets; slowOnly disables the fast path. It
// returns what was delivered, the input left unread and the error that
// ended it (nil for the end of data).
func readDataWith(in []byte, opts DataOptions, bufSize, chunk int, slowOnly bool) (out, rest []byte, err error) {
	br := bufio.NewReaderSize(bytes.NewReader(in), bufSize)
	d := NewDataReader(br, opts)
	d.slowOnly = slowOnly
	buf := make([]byte, chunk)
	for {
		var n int
		n, err = d.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			break
		}
	}
	if err == io.EOF {
		err = nil
	}
	rest, _ = io.ReadAll(br)
	return out, rest, err
}
