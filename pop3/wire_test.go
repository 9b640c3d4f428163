package pop3

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/sasl"
)

func TestParseCommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		line    string
		want    Command
		args    []string
		wantErr bool
	}{
		{line: "STAT", want: Command{Name: "STAT"}},
		{line: "retr 1", want: Command{Name: "RETR", Arg: "1"}, args: []string{"1"}},
		{line: "TOP 1 10", want: Command{Name: "TOP", Arg: "1 10"}, args: []string{"1", "10"}},
		{line: "PASS my secret pass", want: Command{Name: "PASS", Arg: "my secret pass"}, args: []string{"my", "secret", "pass"}},
		{line: "UTF8", want: Command{Name: "UTF8"}},
		{line: "", wantErr: true},
		{line: " STAT", wantErr: true},
		{line: "ST-AT", wantErr: true},
		{line: "STAT\x00", wantErr: true},
		{line: "USER a\rb", wantErr: true},
		{line: "ÜSER x", wantErr: true},
		{line: strings.Repeat("A", 17), wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCommand(tc.line)
			if tc.wantErr {
				require.ErrorIs(t, err, ErrBadCommand)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.args, got.Args())
		})
	}
}

func TestParseResponse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		line    string
		want    Response
		wantErr bool
	}{
		{line: "+OK", want: Response{OK: true}},
		{line: "+OK 2 320", want: Response{OK: true, Text: "2 320"}},
		{line: "-ERR", want: Response{}},
		{line: "-ERR [IN-USE] locked", want: Response{Code: "IN-USE", Text: "locked"}},
		{line: "-ERR [SYS/TEMP]", want: Response{Code: "SYS/TEMP"}},
		{line: "-ERR [not a code] x", want: Response{Text: "[not a code] x"}},
		{line: "-ERR [] x", want: Response{Text: "[] x"}},
		{line: "+OK POP3 ready <1.2@x>", want: Response{OK: true, Text: "POP3 ready <1.2@x>"}},
		{line: "+OKAY", wantErr: true},
		{line: "OK", wantErr: true},
		{line: "+ abc", wantErr: true},
		{line: "", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			t.Parallel()
			got, err := ParseResponse(tc.line)
			if tc.wantErr {
				require.ErrorIs(t, err, ErrBadResponse)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestErrorMatching(t *testing.T) {
	t.Parallel()
	e := &Error{Code: CodeInUse, Message: "locked"}
	assert.Equal(t, "pop3: -ERR [IN-USE] locked", e.Error())
	assert.ErrorIs(t, e, ErrInUse)
	assert.NotErrorIs(t, e, ErrAuth)
	assert.ErrorIs(t, &Error{Code: CodeAuth}, ErrAuth)
	assert.ErrorIs(t, &Error{Code: CodeLoginDelay}, ErrLoginDelay)
	assert.ErrorIs(t, &Error{Err: io.EOF}, io.EOF)
	assert.True(t, (&Error{Code: CodeSysTemp}).Temporary())
	assert.False(t, (&Error{Code: CodeSysPerm}).Temporary())
	assert.Equal(t, "pop3: -ERR", (&Error{}).Error())
}

func TestReadLine(t *testing.T) {
	t.Parallel()
	r := bufio.NewReaderSize(strings.NewReader("ok\r\nbare\n"+strings.Repeat("x", 5000)+"\r\nnext\r\npartial"), 16)
	l, err := readLine(r, 100, true)
	require.NoError(t, err)
	assert.Equal(t, "ok", l)
	l, err = readLine(r, 100, true)
	require.NoError(t, err)
	assert.Equal(t, "bare", l)
	_, err = readLine(r, 100, true)
	require.ErrorIs(t, err, ErrLineTooLong)
	l, err = readLine(r, 100, true)
	require.NoError(t, err, "the long line was skipped entirely")
	assert.Equal(t, "next", l)
	_, err = readLine(r, 100, true)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestWriteMessage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		in    string
		lines int
		want  string
	}{
		{"empty", "", -1, ".\r\n"},
		{"simple", "a\r\nb\r\n", -1, "a\r\nb\r\n.\r\n"},
		{"bare LF", "a\nb\n", -1, "a\r\nb\r\n.\r\n"},
		{"no final newline", "a\r\nb", -1, "a\r\nb\r\n.\r\n"},
		{"dots", ".\r\n..\r\n.a\r\nb.\r\n", -1, "..\r\n...\r\n..a\r\nb.\r\n.\r\n"},
		{"bare CR kept", "a\rb\r\n", -1, "a\rb\r\n.\r\n"},
		{"top 0", "H: 1\r\nH: 2\r\n\r\nb1\r\nb2\r\n", 0, "H: 1\r\nH: 2\r\n\r\n.\r\n"},
		{"top 1", "H: 1\r\n\r\n.b1\r\nb2\r\n", 1, "H: 1\r\n\r\n..b1\r\n.\r\n"},
		{"top more than body", "H: 1\r\n\r\nb1\r\n", 5, "H: 1\r\n\r\nb1\r\n.\r\n"},
		{"top without body", "H: 1\r\nH: 2\r\n", 0, "H: 1\r\nH: 2\r\n.\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, slow := range []bool{false, true} {
				var buf bytes.Buffer
				w := bufio.NewWriter(&buf)
				var r io.Reader = strings.NewReader(tc.in)
				if slow {
					r = iotest.OneByteReader(r)
				}
				require.NoError(t, writeMessage(w, r, tc.lines))
				require.NoError(t, w.Flush())
				assert.Equal(t, tc.want, buf.String())
			}
		})
	}
}

func TestWriteMessageLongLines(t *testing.T) {
	t.Parallel()
	// Lines longer than the internal buffer, with CRLF split across reads.
	for _, n := range []int{4094, 4095, 4096, 4097, 9000} {
		in := "." + strings.Repeat("y", n) + "\r\n" + strings.Repeat("z", n) + "\r\n"
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		require.NoError(t, writeMessage(w, strings.NewReader(in), -1))
		require.NoError(t, w.Flush())
		assert.Equal(t, "."+in+".\r\n", buf.String(), "n=%d", n)
	}
}

func TestWriteMessageReadError(t *testing.T) {
	t.Parallel()
	w := bufio.NewWriter(io.Discard)
	err := writeMessage(w, iotest.ErrReader(errBoom), -1)
	require.ErrorIs(t, err, errBoom)
}

func TestDotReader(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string
		wantErr        error
		rest           string
	}{
		{"simple", "a\r\nb\r\n.\r\nNEXT", "a\r\nb\r\n", nil, "NEXT"},
		{"empty", ".\r\nNEXT", "", nil, "NEXT"},
		{"unstuff", "..\r\n...\r\n..a\r\n.\r\n", ".\r\n..\r\n.a\r\n", nil, ""},
		{"dot inside line", "a.\r\n.\r\n", "a.\r\n", nil, ""},
		{"bare LF terminator", "a\n.\n", "a\n", nil, ""},
		{"dot CR X", ".\rx\r\n.\r\n", "\rx\r\n", nil, ""},
		{"truncated", "a\r\nb", "a\r\nb", io.ErrUnexpectedEOF, ""},
		{"truncated after dot", "a\r\n.", "a\r\n", io.ErrUnexpectedEOF, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, slow := range []bool{false, true} {
				var src io.Reader = strings.NewReader(tc.in)
				if slow {
					src = iotest.OneByteReader(src)
				}
				br := bufio.NewReaderSize(src, 16)
				got, err := io.ReadAll(newDotReader(br))
				if tc.wantErr != nil {
					require.ErrorIs(t, err, tc.wantErr)
				} else {
					require.NoError(t, err)
				}
				assert.Equal(t, tc.want, string(got))
				rest, _ := io.ReadAll(br)
				assert.Equal(t, tc.rest, string(rest), "reader stops right after the terminator")
			}
		})
	}
}

// Round trip: what writeMessage sends, dotReader gives back as the
// CRLF-normalised original.
func TestStuffUnstuffRoundTrip(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "a", ".", "..\n.\r\n", "x\n.\n..\nend", strings.Repeat(".a\n", 3000)} {
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		require.NoError(t, writeMessage(w, strings.NewReader(in), -1))
		require.NoError(t, w.Flush())
		got, err := io.ReadAll(newDotReader(bufio.NewReader(&buf)))
		require.NoError(t, err)
		assert.Equal(t, string(normalizeCRLF([]byte(in))), string(got))
	}
}

func TestMemoryBackendDirect(t *testing.T) {
	t.Parallel()
	var be MemoryBackend
	_, err := be.Deliver("nobody", []byte("x"))
	require.Error(t, err)
	be.AddUser("u", "p")
	be.AddUser("u", "p2")
	_, err = be.LookupCredentials(t.Context(), "x")
	require.ErrorIs(t, err, sasl.ErrUnknownUser)
	sec, err := be.LookupCredentials(t.Context(), "u")
	require.NoError(t, err)
	assert.Equal(t, "p2", string(sec.Password))
	assert.Nil(t, be.Messages("x"))
}
