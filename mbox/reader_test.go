package mbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type readMsg struct {
	from string
	body string
	err  error
}

func readAllMessages(t *testing.T, r *Reader) ([]readMsg, error) {
	t.Helper()
	var out []readMsg
	for {
		msg, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		b, berr := io.ReadAll(msg.Body)
		out = append(out, readMsg{from: msg.From, body: string(b), err: berr})
	}
}

func TestReader(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		in     string
		format Format
		want   []readMsg
		err    error
	}{
		{name: "empty", in: "", want: nil},
		{name: "only blank lines", in: "\n\n", want: nil},
		{name: "one", in: "From a@x Mon Jan  1 00:00:00 2024\nSubject: 1\n\nbody\n\n",
			want: []readMsg{{from: "a@x", body: "Subject: 1\n\nbody\n"}}},
		{name: "two", in: "From a@x Mon Jan  1 00:00:00 2024\nS: 1\n\nFrom b@y Mon Jan  1 00:00:00 2024\nS: 2\n\n",
			want: []readMsg{{from: "a@x", body: "S: 1\n"}, {from: "b@y", body: "S: 2\n"}}},
		{name: "no separator blank line", in: "From a Mon Jan  1 00:00:00 2024\nS: 1\nFrom b Mon Jan  1 00:00:00 2024\nS: 2\n",
			want: []readMsg{{from: "a", body: "S: 1\n"}, {from: "b", body: "S: 2\n"}}},
		{name: "trailing blank lines kept but one", in: "From a Mon Jan  1 00:00:00 2024\nx\n\n\n\nFrom b Mon Jan  1 00:00:00 2024\ny\n",
			want: []readMsg{{from: "a", body: "x\n\n\n"}, {from: "b", body: "y\n"}}},
		{name: "no final newline", in: "From a Mon Jan  1 00:00:00 2024\nx",
			want: []readMsg{{from: "a", body: "x"}}},
		{name: "empty message", in: "From a Mon Jan  1 00:00:00 2024\n\nFrom b Mon Jan  1 00:00:00 2024\n",
			want: []readMsg{{from: "a", body: ""}, {from: "b", body: ""}}},
		{name: "leading blank lines", in: "\n\r\nFrom a Mon Jan  1 00:00:00 2024\nx\n",
			want: []readMsg{{from: "a", body: "x\n"}}},
		{name: "mboxrd unquote", in: "From a Mon Jan  1 00:00:00 2024\n>From me\n>>From you\n>not from\n From x\n\n",
			want: []readMsg{{from: "a", body: "From me\n>From you\n>not from\n From x\n"}}},
		{name: "mboxo unquote", format: FormatMboxo, in: "From a Mon Jan  1 00:00:00 2024\n>From me\n>>From you\n\n",
			want: []readMsg{{from: "a", body: "From me\n>>From you\n"}}},
		{name: "raw", format: FormatRaw, in: "From a Mon Jan  1 00:00:00 2024\n>From me\n>>From you\n\n",
			want: []readMsg{{from: "a", body: ">From me\n>>From you\n"}}},
		{name: "crlf", in: "From a Mon Jan  1 00:00:00 2024\r\nS: 1\r\n\r\nb\r\n\n",
			want: []readMsg{{from: "a", body: "S: 1\r\n\r\nb\r\n"}}},
		{name: "bare CR", in: "From a Mon Jan  1 00:00:00 2024\nS: 1\r\rFrom x\r\n",
			want: []readMsg{{from: "a", body: "S: 1\r\rFrom x\r\n"}}},
		{name: "garbage first", in: "Subject: no from line\n\nFrom a Mon Jan  1 00:00:00 2024\n", err: ErrFormat},
		{name: "From without space", in: "From\n", err: ErrFormat},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := readAllMessages(t, NewReader(strings.NewReader(tc.in), &ReaderOptions{Format: tc.format}))
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseFromLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		line, from string
		date       time.Time
	}{
		{"From alice@example.org Thu Nov 29 17:22:41 2026", "alice@example.org", time.Date(2026, 11, 29, 17, 22, 41, 0, time.UTC)},
		{"From MAILER-DAEMON Mon Jan  1 00:00:00 2024", "MAILER-DAEMON", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"From bob Sat Jan  3 01:05:34 1996 remote from x", "bob", time.Date(1996, 1, 3, 1, 5, 34, 0, time.UTC)},
		{"From bob Sat Jan 3 01:05:34 1996", "bob", time.Date(1996, 1, 3, 1, 5, 34, 0, time.UTC)},
		{"From carol garbage", "carol", time.Time{}},
		{"From ", "", time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			t.Parallel()
			m := parseFromLine(tc.line)
			assert.Equal(t, tc.from, m.From)
			assert.True(t, tc.date.Equal(m.Date), "date %v", m.Date)
			assert.Equal(t, tc.line, m.FromLine)
		})
	}
}

func TestReaderLimits(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 100_000)
	in := "From a Mon Jan  1 00:00:00 2024\nshort\n" + long + "\n\n" +
		"From b Mon Jan  1 00:00:00 2024\nok\n\n" +
		"From c Mon Jan  1 00:00:00 2024\n" + strings.Repeat("y\n", 5000) + "\n" +
		"From d Mon Jan  1 00:00:00 2024\nlast\n"
	r := NewReader(strings.NewReader(in), &ReaderOptions{Limits: Limits{MaxLineLength: 1000, MaxMessageSize: 5000}})
	got, err := readAllMessages(t, r)
	require.NoError(t, err)
	require.Len(t, got, 4)
	assert.ErrorIs(t, got[0].err, ErrLineTooLong)
	assert.Equal(t, readMsg{from: "b", body: "ok\n"}, got[1])
	assert.ErrorIs(t, got[2].err, ErrTooLarge)
	assert.LessOrEqual(t, len(got[2].body), 5000)
	assert.Equal(t, readMsg{from: "d", body: "last\n"}, got[3])

	// A huge From_ line is a permanent error.
	r = NewReader(strings.NewReader("From "+long+"\nx\n"), &ReaderOptions{Limits: Limits{MaxLineLength: 1000}})
	_, err = r.Next()
	require.ErrorIs(t, err, ErrLineTooLong)
	_, err = r.Next()
	require.ErrorIs(t, err, ErrLineTooLong)
}

func TestReaderHugeLineDefaultLimitStreams(t *testing.T) {
	t.Parallel()
	// 3 MiB without a newline: over the default 1 MiB line limit.
	in := "From a Mon Jan  1 00:00:00 2024\n" + strings.Repeat("z", 3<<20)
	r := NewReader(strings.NewReader(in), nil)
	msg, err := r.Next()
	require.NoError(t, err)
	n, err := io.Copy(io.Discard, msg.Body)
	require.ErrorIs(t, err, ErrLineTooLong)
	assert.LessOrEqual(t, n, int64(DefaultMaxLineLength))
	_, err = r.Next()
	assert.Equal(t, io.EOF, err)
}

func TestReaderSkipsUnreadBody(t *testing.T) {
	t.Parallel()
	in := "From a Mon Jan  1 00:00:00 2024\n1\n2\n3\n\nFrom b Mon Jan  1 00:00:00 2024\n4\n"
	r := NewReader(strings.NewReader(in), nil)
	m, err := r.Next()
	require.NoError(t, err)
	buf := make([]byte, 1)
	_, err = m.Body.Read(buf)
	require.NoError(t, err)
	m, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, "b", m.From)
	b, err := io.ReadAll(m.Body)
	require.NoError(t, err)
	assert.Equal(t, "4\n", string(b))
	_, err = r.Next()
	assert.Equal(t, io.EOF, err)
	_, err = r.Next()
	assert.Equal(t, io.EOF, err)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestReaderIOError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	r := NewReader(io.MultiReader(strings.NewReader("From a Mon Jan  1 00:00:00 2024\nabc\n"), errReader{boom}), nil)
	m, err := r.Next()
	require.NoError(t, err)
	_, err = io.ReadAll(m.Body)
	require.ErrorIs(t, err, boom)
	_, err = r.Next()
	require.ErrorIs(t, err, boom)
}

func TestWriter(t *testing.T) {
	t.Parallel()
	date := time.Date(2026, 11, 29, 17, 22, 41, 0, time.FixedZone("CET", 3600))
	cases := []struct {
		name, sender, in, want string
		err                    error
	}{
		{name: "plain", sender: "alice@example.org", in: "Subject: hi\n\nbody\n",
			want: "From alice@example.org Sun Nov 29 16:22:41 2026\nSubject: hi\n\nbody\n\n"},
		{name: "bounce", sender: "", in: "x\n", want: "From MAILER-DAEMON Sun Nov 29 16:22:41 2026\nx\n\n"},
		{name: "quoting", sender: "a", in: "From me\n>From you\n>>From them\nFrom\n>x\n",
			want: "From a Sun Nov 29 16:22:41 2026\n>From me\n>>From you\n>>>From them\nFrom\n>x\n\n"},
		{name: "no final newline", sender: "a", in: "x", want: "From a Sun Nov 29 16:22:41 2026\nx\n\n"},
		{name: "empty", sender: "a", in: "", want: "From a Sun Nov 29 16:22:41 2026\n\n"},
		{name: "crlf kept", sender: "a", in: "S: 1\r\nFrom x\r\n", want: "From a Sun Nov 29 16:22:41 2026\nS: 1\r\n>From x\r\n\n"},
		{name: "space in sender", sender: "a b", in: "x", err: ErrInvalidSender},
		{name: "newline in sender", sender: "a\nFrom evil", in: "x", err: ErrInvalidSender},
		{name: "bad utf8 sender", sender: "\xff", in: "x", err: ErrInvalidSender},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			n, err := NewWriter(&buf, nil).WriteMessage(context.Background(), Envelope{From: tc.sender, Date: date}, strings.NewReader(tc.in))
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.Zero(t, buf.Len())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, buf.String())
			assert.Equal(t, int64(buf.Len()), n)
		})
	}
}

func TestWriterLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := NewWriter(io.Discard, &WriterOptions{Limits: Limits{MaxLineLength: 10, MaxMessageSize: 20}})
	_, err := w.WriteMessage(ctx, Envelope{From: "a"}, strings.NewReader("0123456789A\n"))
	require.ErrorIs(t, err, ErrLineTooLong)
	_, err = w.WriteMessage(ctx, Envelope{From: "a"}, strings.NewReader("123456789\n123456789\n1"))
	require.ErrorIs(t, err, ErrTooLarge)
	_, err = w.WriteMessage(ctx, Envelope{From: "a"}, strings.NewReader("123456789\n123456789\n"))
	require.NoError(t, err)
	// 16 KiB of '>' at a line start cannot be quoted safely.
	w = NewWriter(io.Discard, nil)
	_, err = w.WriteMessage(ctx, Envelope{From: "a"}, strings.NewReader(strings.Repeat(">", 20000)+"From x\n"))
	require.ErrorIs(t, err, ErrLineTooLong)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = w.WriteMessage(cctx, Envelope{From: "a"}, strings.NewReader("x"))
	require.ErrorIs(t, err, context.Canceled)
}

func TestWriterReaderRoundTrip(t *testing.T) {
	t.Parallel()
	bodies := []string{
		"Subject: 1\n\nFrom the start\n>From quoted\n>>>From deep\n\n\n",
		"",
		"\n",
		"From \n",
		"x\r\n\r\n",
		strings.Repeat("line\n", 10000),
		"\n\nFrom\n",
		strings.Repeat(">", 100) + "From x\n",
		strings.Repeat("k", 40000) + "\n",
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, nil)
	for i, b := range bodies {
		_, err := w.WriteMessage(context.Background(), Envelope{From: "s" + string(rune('a'+i))}, strings.NewReader(b))
		require.NoError(t, err)
	}
	got, err := readAllMessages(t, NewReader(&buf, nil))
	require.NoError(t, err)
	require.Len(t, got, len(bodies))
	for i, b := range bodies {
		assert.Equal(t, b, got[i].body, "message %d", i)
		assert.Equal(t, "s"+string(rune('a'+i)), got[i].from)
		assert.NoError(t, got[i].err)
	}
}
