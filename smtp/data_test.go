package smtp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smugglingVariants are the 16 end-of-data cores of
// /work/shared/conformance/smtp/smuggling.md (project-written table; the
// cores are transcribed here, octet for octet).
var smugglingVariants = []struct {
	n      int
	core   string
	strict error // the error under LineEndingsStrict
}{
	{1, "\n.\n", ErrBareLF},
	{2, "\n.\r", ErrBareLF},
	{3, "\r.\n", ErrBareCR},
	{4, "\r.\r", ErrBareCR},
	{5, "\n.\r\n", ErrBareLF},
	{6, "\r.\r\n", ErrBareCR},
	{7, "\r\n.\n", ErrBareLF},
	{8, "\r\n.\r", ErrBareCR},
	{9, "\r\n.\r\r\n", ErrBareCR},
	{10, "\r\r\n.\r\r\n", ErrBareCR},
	{11, "\r\n\x00.\r\n", ErrNUL},
	{12, "\r\n.\x00\r\n", ErrNUL},
	{13, "\r\n\x00.\r", ErrNUL},
	{14, "\r\n\x00.\n", ErrNUL},
	{15, "\n\n.\r\n", ErrBareLF},
	{16, "\r\n.", ErrUnexpectedEOF},
}

const (
	smugHead     = "From: a@example.test\r\nSubject: t\r\n\r\nbody"
	smugCommands = "MAIL FROM:<evil@example.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n"
)

// smugglingInput builds the SEC Consult layout: body CRLF core, then the
// smuggled transaction (except for variant 16, where the input ends).
func smugglingInput(n int, core string) string {
	if n == 16 {
		return smugHead + "\r\n" + core
	}
	return smugHead + "\r\n" + core + smugCommands
}

// readers returns the ways the input reaches the DataReader: all at once,
// one byte per read through the smallest bufio buffer, and in 7-byte
// segments (so CR, LF and dot fall on read boundaries).
func readers(s string) map[string]*bufio.Reader {
	return map[string]*bufio.Reader{
		"whole":   bufio.NewReader(strings.NewReader(s)),
		"onebyte": bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(s)), 16),
		"seg7":    bufio.NewReaderSize(&segReader{s: s, n: 7}, 16),
	}
}

type segReader struct {
	s string
	n int
}

func (r *segReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	k := min(r.n, len(p), len(r.s))
	copy(p, r.s[:k])
	r.s = r.s[k:]
	return k, nil
}

func TestDataSmugglingStrict(t *testing.T) {
	t.Parallel()
	for _, v := range smugglingVariants {
		for name, br := range readers(smugglingInput(v.n, v.core)) {
			t.Run(fmt.Sprintf("variant%02d/%s", v.n, name), func(t *testing.T) {
				d := NewDataReader(br, DataOptions{})
				got, err := io.ReadAll(d)
				require.Error(t, err, "variant %d must never be accepted", v.n)
				assert.ErrorIs(t, err, v.strict, "variant %d", v.n)
				assert.False(t, d.Done(), "variant %d must not reach end of data", v.n)
				assert.NotContains(t, string(got), "MAIL FROM", "nothing after the core is delivered")
				// The error is sticky.
				_, err2 := d.Read(make([]byte, 10))
				assert.ErrorIs(t, err2, v.strict)
			})
		}
	}
}

func TestDataSmugglingNormalize(t *testing.T) {
	t.Parallel()
	for _, v := range smugglingVariants {
		for name, br := range readers(smugglingInput(v.n, v.core)) {
			t.Run(fmt.Sprintf("variant%02d/%s", v.n, name), func(t *testing.T) {
				d := NewDataReader(br, DataOptions{LineEndings: LineEndingsNormalize, AllowNUL: true})
				got, err := io.ReadAll(d)
				if v.n == 16 {
					require.ErrorIs(t, err, ErrUnexpectedEOF)
					return
				}
				require.NoError(t, err, "variant %d", v.n)
				require.True(t, d.Done())
				// Exactly one message, ending at the real CRLF.CRLF: the
				// smuggled commands are data, nothing is left unread.
				assert.Contains(t, string(got), "MAIL FROM:<evil@example.test>\r\n")
				assert.True(t, strings.HasSuffix(string(got), "smuggled\r\n"))
				rest, _ := io.ReadAll(br)
				assert.Empty(t, rest)
				// Never a bare LF in the delivered data; NULs are kept.
				assert.NotContains(t, strings.ReplaceAll(string(got), "\r\n", ""), "\n")
				assert.Equal(t, strings.Count(v.core, "\x00"), strings.Count(string(got), "\x00"))
			})
		}
	}
}

// In strict mode with NUL allowed, variants 11 and 12 are data (nothing
// in them ends a line), and the message is the whole input.
func TestDataSmugglingNULAllowed(t *testing.T) {
	t.Parallel()
	for _, n := range []int{11, 12} {
		v := smugglingVariants[n-1]
		d := NewDataReader(bufio.NewReader(strings.NewReader(smugglingInput(n, v.core))), DataOptions{AllowNUL: true})
		got, err := io.ReadAll(d)
		require.NoError(t, err)
		assert.Contains(t, string(got), "\x00")
		assert.Contains(t, string(got), "MAIL FROM:")
	}
}

func TestDataReaderBasics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want, rest string
		opts                 DataOptions
		err                  error
	}{
		{name: "plain", in: "a\r\nb\r\n.\r\n", want: "a\r\nb\r\n"},
		{name: "empty message", in: ".\r\n", want: ""},
		{name: "unstuff", in: "..\r\n..x\r\n.\r\n", want: ".\r\n.x\r\n"},
		{name: "dot space is data", in: ". \r\n.\r\n", want: " \r\n"},
		{name: "pipelined command left", in: "x\r\n.\r\nQUIT\r\n", want: "x\r\n", rest: "QUIT\r\n"},
		{name: "dot mid line", in: "a.\r\nb\r\n.\r\n", want: "a.\r\nb\r\n"},
		{name: "empty lines", in: "\r\n\r\n.\r\n", want: "\r\n\r\n"},
		{name: "bare lf", in: "a\nb\r\n.\r\n", err: ErrBareLF},
		{name: "bare cr", in: "a\rb\r\n.\r\n", err: ErrBareCR},
		{name: "eof", in: "a\r\n", err: ErrUnexpectedEOF},
		{name: "eof at start", in: "", err: ErrUnexpectedEOF},
		{name: "nul", in: "a\x00b\r\n.\r\n", err: ErrNUL},
		{name: "nul allowed", in: "a\x00b\r\n.\r\n", want: "a\x00b\r\n", opts: DataOptions{AllowNUL: true}},
		{name: "line limit ok", in: strings.Repeat("x", 998) + "\r\n.\r\n", want: strings.Repeat("x", 998) + "\r\n"},
		{name: "line limit stuffed", in: "." + strings.Repeat(".", 998) + "\r\n.\r\n", want: strings.Repeat(".", 998) + "\r\n"},
		{name: "line too long", in: strings.Repeat("x", 999) + "\r\n.\r\n", err: ErrLineTooLong},
		{name: "no line limit", in: strings.Repeat("x", 5000) + "\r\n.\r\n", want: strings.Repeat("x", 5000) + "\r\n", opts: DataOptions{MaxLineLength: -1}},
		{name: "size ok", in: "abc\r\n.\r\n", want: "abc\r\n", opts: DataOptions{MaxSize: 5}},
		{name: "too large", in: "abcd\r\n.\r\n", err: ErrTooLarge, opts: DataOptions{MaxSize: 5}},
		{name: "normalize lf", in: "a\nb\r\n.\r\n", want: "a\r\nb\r\n", opts: DataOptions{LineEndings: LineEndingsNormalize}},
		{name: "normalize keeps cr", in: "a\rb\r\n.\r\n", want: "a\rb\r\n", opts: DataOptions{LineEndings: LineEndingsNormalize}},
		{name: "normalize lf dot lf", in: "a\n.\n.\r\n.\r\n", want: "a\r\n.\r\n.\r\n", opts: DataOptions{LineEndings: LineEndingsNormalize}},
		{name: "normalize unstuff after lf", in: "a\n..b\r\n.\r\n", want: "a\r\n.b\r\n", opts: DataOptions{LineEndings: LineEndingsNormalize}},
		{name: "normalize dot cr", in: ".\rx\r\n.\r\n", want: "\rx\r\n", opts: DataOptions{LineEndings: LineEndingsNormalize}},
	}
	for _, tt := range tests {
		for rname, br := range readers(tt.in) {
			t.Run(tt.name+"/"+rname, func(t *testing.T) {
				d := NewDataReader(br, tt.opts)
				got, err := io.ReadAll(d)
				if tt.err != nil {
					require.ErrorIs(t, err, tt.err)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, tt.want, string(got))
				assert.Equal(t, int64(len(tt.want)), d.Size())
				rest, _ := io.ReadAll(br)
				assert.Equal(t, tt.rest, string(rest))
			})
		}
	}
}

func TestDataReaderDiscard(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("line of text\r\n", 100) + strings.Repeat("y", 3000) + "\r\n..\r\n.\r\nQUIT\r\n"
	br := bufio.NewReader(strings.NewReader(in))
	d := NewDataReader(br, DataOptions{MaxSize: 100})
	_, err := io.ReadAll(d)
	require.ErrorIs(t, err, ErrTooLarge)
	require.NoError(t, d.Discard())
	assert.True(t, d.Done())
	line, err := ReadLine(br, 0, LineEndingsStrict)
	require.NoError(t, err)
	assert.Equal(t, "QUIT\r\n", string(line))

	// A bare LF while discarding stops with the error.
	br = bufio.NewReader(strings.NewReader("aaaaaaaaaa\r\nb\nc\r\n.\r\n"))
	d = NewDataReader(br, DataOptions{MaxSize: 4})
	_, err = io.ReadAll(d)
	require.ErrorIs(t, err, ErrTooLarge)
	require.ErrorIs(t, d.Discard(), ErrBareLF)
}

func TestDataReaderSmallReads(t *testing.T) {
	t.Parallel()
	in := "..a\r\nbc\r\n\r\n.\r\n"
	d := NewDataReader(bufio.NewReader(strings.NewReader(in)), DataOptions{})
	var out []byte
	buf := make([]byte, 1)
	for {
		n, err := d.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	assert.Equal(t, ".a\r\nbc\r\n\r\n", string(out))
}

func TestDataReaderNoAllocs(t *testing.T) {
	msg := []byte(strings.Repeat("Some line of a message body, with text.\r\n..dotted\r\n", 50) + ".\r\n")
	src := bytes.NewReader(msg)
	br := bufio.NewReaderSize(src, 4096)
	buf := make([]byte, 4096)
	allocs := testing.AllocsPerRun(50, func() {
		src.Reset(msg)
		br.Reset(src)
		d := DataReader{}
		d.reset(br, DataOptions{})
		for {
			_, err := d.Read(buf)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatal(err)
				}
				break
			}
		}
	})
	assert.Zero(t, allocs)
}

func TestDotWriter(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"empty", "", ".\r\n"},
		{"plain", "a\r\nb\r\n", "a\r\nb\r\n.\r\n"},
		{"no final eol", "a", "a\r\n.\r\n"},
		{"stuff", ".a\r\n.\r\n", "..a\r\n..\r\n.\r\n"},
		{"bare lf", "a\nb", "a\r\nb\r\n.\r\n"},
		{"bare cr", "a\rb", "a\r\nb\r\n.\r\n"},
		{"cr at end", "a\r", "a\r\n.\r\n"},
		{"cr dot", "a\r.b", "a\r\n..b\r\n.\r\n"},
		{"lf dot", "a\n.\n", "a\r\n..\r\n.\r\n"},
		{"crcrlf", "a\r\r\nb", "a\r\n\r\nb\r\n.\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, chunk := range []int{1, 2, 1000} {
				var out bytes.Buffer
				w := NewDotWriter(&out)
				for s := tt.in; s != ""; {
					k := min(chunk, len(s))
					n, err := w.Write([]byte(s[:k]))
					require.NoError(t, err)
					require.Equal(t, k, n)
					s = s[k:]
				}
				require.NoError(t, w.Close())
				assert.Equal(t, tt.want, out.String(), "chunk %d", chunk)
			}
		})
	}
}

// Client side of smuggling.md: content containing any core is sent with
// exactly one CRLF.CRLF, at the end, and no bare CR or LF.
func TestDotWriterSmuggling(t *testing.T) {
	t.Parallel()
	for _, v := range smugglingVariants {
		content := smugglingInput(v.n, v.core)
		var out bytes.Buffer
		w := NewDotWriter(&out)
		_, err := io.WriteString(w, content)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		wire := out.String()
		assert.Equal(t, 1, strings.Count(wire, "\r\n.\r\n"), "variant %d", v.n)
		assert.True(t, strings.HasSuffix(wire, "\r\n.\r\n"), "variant %d", v.n)
		stripped := strings.ReplaceAll(wire, "\r\n", "")
		assert.NotContains(t, stripped, "\r", "variant %d", v.n)
		assert.NotContains(t, stripped, "\n", "variant %d", v.n)
		// The receiving side gets the content back, normalised.
		d := NewDataReader(bufio.NewReader(strings.NewReader(wire)), DataOptions{AllowNUL: true})
		got, err := io.ReadAll(d)
		require.NoError(t, err, "variant %d", v.n)
		if v.n != 16 {
			assert.Contains(t, string(got), "MAIL FROM:")
		}
	}
}

func BenchmarkDataReader(b *testing.B) {
	msg := []byte(strings.Repeat("Some line of a message body, with text and more text to fill it up.\r\n", 200) + ".\r\n")
	src := bytes.NewReader(msg)
	br := bufio.NewReaderSize(src, 4096)
	buf := make([]byte, 32*1024)
	var d DataReader
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(msg)
		br.Reset(src)
		d.reset(br, DataOptions{})
		for {
			if _, err := d.Read(buf); err != nil {
				break
			}
		}
	}
}

func BenchmarkDotWriter(b *testing.B) {
	msg := []byte(strings.Repeat("Some line of a message body, with text and more text to fill it up.\r\n.dot\r\n", 100))
	bw := bufio.NewWriterSize(io.Discard, 4096)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		w := NewDotWriter(bw)
		_, _ = w.Write(msg)
		_ = w.Close()
	}
}

func TestLineChecker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in  string
		err error
	}{
		{"", nil},
		{"a\r\nb\r\n", nil},
		{"a\r\nb", nil},
		{"\r\n\r\n", nil},
		{"a\nb", ErrBareLF},
		{"\n", ErrBareLF},
		{"a\rb", ErrBareCR},
		{"a\r", ErrBareCR},
		{"a\r\r\n", ErrBareCR},
		{"a\r\n\n", ErrBareLF},
	}
	// The smuggling cores, with the first bare line ending found by a
	// byte-by-byte reference scan as the expected answer.
	firstBare := func(s string) error {
		for i := 0; i < len(s); i++ {
			if s[i] == '\n' && (i == 0 || s[i-1] != '\r') {
				return ErrBareLF
			}
			if s[i] == '\r' && (i+1 == len(s) || s[i+1] != '\n') {
				return ErrBareCR
			}
		}
		return nil
	}
	for _, v := range smugglingVariants {
		in := "x\r\n" + v.core + "y\r\n"
		tests = append(tests, struct {
			in  string
			err error
		}{in, firstBare(in)})
	}
	for _, tt := range tests {
		for _, size := range []int{1, 2, 3, 1000} {
			var c LineChecker
			var err error
			for s := tt.in; s != "" && err == nil; {
				k := min(size, len(s))
				err = c.Check([]byte(s[:k]))
				s = s[k:]
			}
			if err == nil {
				err = c.End()
			}
			if tt.err == nil {
				assert.NoError(t, err, "%q size %d", tt.in, size)
			} else {
				assert.ErrorIs(t, err, tt.err, "%q size %d", tt.in, size)
			}
		}
	}
}
