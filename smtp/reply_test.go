package smtp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The transcripts of ../shared/SCENARIOS.md §1-2, server side.
const scenario2EHLO = "250-example.hades.lab at your service, [172.16.1.238]\r\n" +
	"250-SIZE 35651584\r\n" +
	"250-DSN\r\n" +
	"250-STARTTLS\r\n" +
	"250-8BITMIME\r\n" +
	"250-ENHANCEDSTATUSCODES\r\n" +
	"250-PIPELINING\r\n" +
	"250 HELP\r\n"

func TestReadReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want Reply
		err  error
	}{
		{name: "greeting", in: "220 www.example.com ESMTP Postfix\r\n", want: Reply{Code: 220, Lines: []string{"www.example.com ESMTP Postfix"}}},
		{name: "354", in: "354 End data with <CR><LF>.<CR><LF>\r\n", want: Reply{Code: 354, Lines: []string{"End data with <CR><LF>.<CR><LF>"}}},
		{name: "queued", in: "250 Ok: queued as 12345\r\n", want: Reply{Code: 250, Lines: []string{"Ok: queued as 12345"}}},
		{name: "ehlo", in: scenario2EHLO, want: Reply{Code: 250, Lines: []string{
			"example.hades.lab at your service, [172.16.1.238]", "SIZE 35651584", "DSN", "STARTTLS",
			"8BITMIME", "ENHANCEDSTATUSCODES", "PIPELINING", "HELP"}}},
		{name: "enhanced", in: "550 5.1.1 <x@y>: Recipient address rejected\r\n", want: Reply{Code: 550, Enhanced: ecode(5, 1, 1), Lines: []string{"<x@y>: Recipient address rejected"}}},
		{name: "enhanced multiline", in: "451-4.7.1 Greylisted\r\n451 4.7.1 try later\r\n", want: Reply{Code: 451, Enhanced: ecode(4, 7, 1), Lines: []string{"Greylisted", "try later"}}},
		{name: "enhanced mismatch kept", in: "451-4.7.1 a\r\n451 4.7.2 b\r\n", want: Reply{Code: 451, Lines: []string{"4.7.1 a", "4.7.2 b"}}},
		{name: "enhanced wrong class kept", in: "550 4.1.1 x\r\n", want: Reply{Code: 550, Lines: []string{"4.1.1 x"}}},
		{name: "enhanced only", in: "250 2.0.0\r\n", want: Reply{Code: 250, Enhanced: ecode(2, 0, 0), Lines: []string{""}}},
		{name: "code only", in: "250\r\n", want: Reply{Code: 250, Lines: []string{""}}},
		{name: "bare lf tolerated", in: "220 hi\n", want: Reply{Code: 220, Lines: []string{"hi"}}},
		{name: "inconsistent codes", in: "250-a\r\n251 b\r\n", err: ErrMalformedReply},
		{name: "bad separator", in: "250+a\r\n", err: ErrMalformedReply},
		{name: "letters", in: "2x0 a\r\n", err: ErrMalformedReply},
		{name: "out of range", in: "650 a\r\n", err: ErrMalformedReply},
		{name: "short", in: "25\r\n", err: ErrMalformedReply},
		{name: "truncated multiline", in: "250-a\r\n", err: ErrUnexpectedEOF},
		{name: "partial line", in: "250 a", err: ErrUnexpectedEOF},
		{name: "eof", in: "", err: io.EOF},
		{name: "bare cr", in: "250 a\rb\r\n", err: ErrMalformedReply},
		{name: "too many lines", in: strings.Repeat("250-a\r\n", MaxReplyLines+1) + "250 b\r\n", err: ErrMalformedReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadReply(bufio.NewReader(strings.NewReader(tt.in)))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, *got)
		})
	}
}

func TestReadReplySequence(t *testing.T) {
	t.Parallel()
	// Pipelined replies are read one after the other.
	r := bufio.NewReader(strings.NewReader("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"))
	var codes []int
	for range 3 {
		rep, err := ReadReply(r)
		require.NoError(t, err)
		codes = append(codes, rep.Code)
	}
	assert.Equal(t, []int{250, 250, 354}, codes)
}

func TestWriteReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		code  int
		enh   EnhancedCode
		lines []string
		want  string
	}{
		{"scenario1 greeting", 220, EnhancedCode{}, []string{"www.example.com ESMTP Postfix"}, "220 www.example.com ESMTP Postfix\r\n"},
		{"scenario1 hello", 250, EnhancedCode{}, []string{"Hello mydomain.com"}, "250 Hello mydomain.com\r\n"},
		{"scenario1 data", 354, EnhancedCode{}, []string{"End data with <CR><LF>.<CR><LF>"}, "354 End data with <CR><LF>.<CR><LF>\r\n"},
		{"scenario1 bye", 221, EnhancedCode{}, []string{"Bye"}, "221 Bye\r\n"},
		{"scenario2", 250, EnhancedCode{}, []string{"example.hades.lab at your service, [172.16.1.238]", "SIZE 35651584", "DSN", "STARTTLS", "8BITMIME", "ENHANCEDSTATUSCODES", "PIPELINING", "HELP"}, scenario2EHLO},
		{"enhanced", 550, ecode(5, 7, 1), []string{"Relay access denied"}, "550 5.7.1 Relay access denied\r\n"},
		{"enhanced multi", 451, ecode(4, 3, 0), []string{"a", "b"}, "451-4.3.0 a\r\n451 4.3.0 b\r\n"},
		{"no text", 250, EnhancedCode{}, nil, "250\r\n"},
		{"empty middle", 250, EnhancedCode{}, []string{"", "x"}, "250-\r\n250 x\r\n"},
		{"enhanced no text", 250, ecode(2, 0, 0), nil, "250 2.0.0\r\n"},
		{"injection", 250, EnhancedCode{}, []string{"ok\r\n250 fake"}, "250 ok  250 fake\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			w := bufio.NewWriter(&b)
			require.NoError(t, WriteReply(w, tt.code, tt.enh, tt.lines...))
			require.NoError(t, w.Flush())
			assert.Equal(t, tt.want, b.String())
			// Round trip.
			rep, err := ReadReply(bufio.NewReader(&b))
			require.NoError(t, err)
			assert.Equal(t, tt.code, rep.Code)
			assert.Equal(t, tt.enh, rep.Enhanced)
		})
	}
}

func TestError(t *testing.T) {
	t.Parallel()
	cause := errors.New("disk full")
	e := &Error{Code: 452, Enhanced: ecode(4, 3, 1), Message: "Insufficient system storage", Err: cause}
	assert.Equal(t, "smtp: 452 4.3.1 Insufficient system storage", e.Error())
	assert.ErrorIs(t, e, cause)
	assert.True(t, e.Temporary())
	assert.False(t, e.Permanent())
	var target *Error
	require.ErrorAs(t, errors.Join(errors.New("x"), e), &target)
	assert.Equal(t, 452, target.Code)
	assert.Equal(t, "smtp: 250", (&Error{Code: 250}).Error())
	assert.Equal(t, []string{"a", "b"}, (&Error{Message: "a\nb"}).Lines())

	rep := &Reply{Code: 550, Enhanced: ecode(5, 1, 1), Lines: []string{"no such user"}}
	err := rep.Err()
	require.ErrorAs(t, err, &target)
	assert.True(t, target.Permanent())
	assert.Equal(t, "no such user", target.Message)
	assert.NoError(t, (&Reply{Code: 250}).Err())
	assert.Equal(t, "550 5.1.1 no such user\r\n", rep.String())
}
