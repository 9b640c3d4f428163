package smtp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/mailkit-go/mailkit/esmtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Command
		err  error
	}{
		{in: "HELO mydomain.com\r\n", want: Command{Verb: "HELO", Arg: "mydomain.com"}},
		{in: "ehlo 172.16.1.238", want: Command{Verb: "EHLO", Arg: "172.16.1.238"}},
		{in: "MAIL FROM:<sender@mydomain.com>\r\n", want: Command{Verb: "MAIL", Arg: "FROM:<sender@mydomain.com>"}},
		{in: "Rcpt To:<friend@example.com> NOTIFY=NEVER", want: Command{Verb: "RCPT", Arg: "To:<friend@example.com> NOTIFY=NEVER"}},
		{in: "DATA\r\n", want: Command{Verb: "DATA"}},
		{in: "QUIT ", want: Command{Verb: "QUIT"}},
		{in: "NOOP   hello  \r\n", want: Command{Verb: "NOOP", Arg: "hello"}},
		{in: "x-custom arg\n", want: Command{Verb: "X-CUSTOM", Arg: "arg"}},
		{in: "BDAT 100 LAST", want: Command{Verb: "BDAT", Arg: "100 LAST"}},
		{in: "\r\n", err: ErrCommandSyntax},
		{in: "", err: ErrCommandSyntax},
		{in: " HELO x", err: ErrCommandSyntax},
		{in: "HE:LO x", err: ErrCommandSyntax},
		{in: "HELO\x00 x", err: ErrNUL},
		{in: "HELO x\x00y", err: ErrNUL},
		{in: "HELO x\x01y", err: ErrCommandSyntax},
		{in: "HELO x\ry", err: ErrCommandSyntax},
		{in: "ABCDEFGHIJKLMNOPQ x", err: ErrCommandSyntax},
		{in: "MAIL FROM:<ü@example.com> SMTPUTF8", want: Command{Verb: "MAIL", Arg: "FROM:<ü@example.com> SMTPUTF8"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCommand([]byte(tt.in))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseCommandNoAllocs(t *testing.T) {
	lines := [][]byte{[]byte("DATA\r\n"), []byte("quit\r\n"), []byte("RSET\r\n")}
	allocs := testing.AllocsPerRun(100, func() {
		for _, l := range lines {
			if _, err := ParseCommand(l); err != nil {
				t.Fatal(err)
			}
		}
	})
	assert.Zero(t, allocs)
}

func TestCommandString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "QUIT", Command{Verb: "QUIT"}.String())
	assert.Equal(t, "HELO x", Command{Verb: "HELO", Arg: "x"}.String())
}

func TestReadLine(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 600)
	tests := []struct {
		name  string
		in    string
		max   int
		mode  LineEndings
		lines []string
		errs  []error
	}{
		{name: "crlf", in: "HELO a\r\nQUIT\r\n", lines: []string{"HELO a\r\n", "QUIT\r\n"}, errs: []error{nil, nil, io.EOF}},
		{name: "bare lf strict", in: "HELO a\n", errs: []error{ErrBareLF}},
		{name: "bare lf normalize", in: "HELO a\nQUIT\r\n", mode: LineEndingsNormalize, lines: []string{"HELO a\n", "QUIT\r\n"}, errs: []error{nil, nil}},
		{name: "bare cr", in: "EHLO c\r.test\r\n", errs: []error{ErrBareCR}},
		{name: "bare cr normalize", in: "EHLO c\r.test\r\n", mode: LineEndingsNormalize, errs: []error{ErrBareCR}},
		{name: "too long then resync", in: long + "\r\nQUIT\r\n", lines: []string{"", "QUIT\r\n"}, errs: []error{ErrLineTooLong, nil}},
		{name: "exactly 512", in: strings.Repeat("a", 510) + "\r\n", lines: []string{strings.Repeat("a", 510) + "\r\n"}, errs: []error{nil}},
		{name: "513", in: strings.Repeat("a", 511) + "\r\n", errs: []error{ErrLineTooLong}},
		{name: "custom max", in: long + "\r\n", max: 1000, lines: []string{long + "\r\n"}, errs: []error{nil}},
		{name: "partial at eof", in: "QUI", errs: []error{ErrUnexpectedEOF}},
		{name: "longer than buffer", in: strings.Repeat("b", 10000) + "\r\nNOOP\r\n", lines: []string{"", "NOOP\r\n"}, errs: []error{ErrLineTooLong, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := bufio.NewReaderSize(strings.NewReader(tt.in), 1024)
			for i, want := range tt.errs {
				line, err := ReadLine(r, tt.max, tt.mode)
				if want != nil {
					require.ErrorIs(t, err, want, "line %d", i)
					continue
				}
				require.NoError(t, err, "line %d", i)
				assert.Equal(t, tt.lines[i], string(line))
			}
		})
	}
}

func TestReplyFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err   error
		reply string
		close bool
	}{
		{ErrBareLF, "550 5.5.2 mx.example.test Error: bare <LF> received\r\n", true},
		{ErrBareCR, "550 5.5.2 mx.example.test Error: bare <CR> received\r\n", true},
		{ErrNUL, "550 5.6.0 mx.example.test Error: NUL character received\r\n", true},
		{ErrLineTooLong, "500 5.5.2 Error: line too long\r\n", false},
		{ErrTooLarge, "552 5.3.4 Error: message file too big\r\n", false},
		{ErrCommandSyntax, "500 5.5.2 Error: bad syntax\r\n", false},
		{&PathError{Code: 501, Enhanced: ecode(5, 1, 3), Reason: "bad domain"}, "501 5.1.3 Bad recipient address syntax: bad domain\r\n", false},
		{&Error{Code: 451, Enhanced: ecode(4, 7, 1), Message: "greylisted"}, "451 4.7.1 greylisted\r\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			t.Parallel()
			wrapped := errors.Join(errors.New("context"), tt.err)
			rep, closeConn := ReplyFor(wrapped, "mx.example.test")
			require.NotNil(t, rep)
			assert.Equal(t, tt.reply, string(AppendReply(nil, rep.Code, rep.Enhanced, rep.Lines()...)))
			assert.Equal(t, tt.close, closeConn)
		})
	}
	_, err := esmtp.ParseMailParams("FOO=1", nil, nil)
	rep, _ := ReplyFor(err, "")
	require.NotNil(t, rep)
	assert.Equal(t, 555, rep.Code)
	rep, _ = ReplyFor(errors.New("other"), "")
	assert.Nil(t, rep)
	rep, _ = ReplyFor(nil, "")
	assert.Nil(t, rep)
}

func BenchmarkReadLineParseCommand(b *testing.B) {
	in := []byte("MAIL FROM:<sender@example.com> SIZE=1000\r\nRCPT TO:<friend@example.com>\r\nDATA\r\nRSET\r\n")
	src := bytes.NewReader(in)
	br := bufio.NewReader(src)
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(in)
		br.Reset(src)
		for {
			line, err := ReadLine(br, 0, LineEndingsStrict)
			if err != nil {
				break
			}
			if _, err := ParseCommand(line); err != nil {
				b.Fatal(err)
			}
		}
	}
}
