package mime

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func nested(depth int) string {
	var b strings.Builder
	for i := 0; i < depth; i++ {
		b.WriteString("Content-Type: multipart/mixed; boundary=b" + itoa(i) + "\r\n\r\n--b" + itoa(i) + "\r\n")
	}
	b.WriteString("\r\nleaf\r\n")
	return b.String()
}

func TestLimits(t *testing.T) {
	t.Parallel()
	manyParts := "Content-Type: multipart/mixed; boundary=x\r\n\r\n" + strings.Repeat("--x\r\n\r\np\r\n", 50) + "--x--\r\n"
	tests := []struct {
		name string
		msg  string
		lim  Limits
		kind LimitKind
	}{
		{"header bytes", "Subject: " + strings.Repeat("a", 2000) + "\r\n\r\n", Limits{MaxHeaderBytes: 1000}, LimitHeaderBytes},
		{"header fields", strings.Repeat("X: y\r\n", 20) + "\r\n", Limits{MaxHeaderFields: 10}, LimitHeaderFields},
		{"line length", "Subject: " + strings.Repeat("a", 10000) + "\r\n\r\n", Limits{MaxLineLength: 5000, MaxHeaderBytes: 1 << 20}, LimitLineLength},
		{"depth", nested(10), Limits{MaxDepth: 5}, LimitDepth},
		{"parts", manyParts, Limits{MaxParts: 20}, LimitParts},
		{"decoded size", "Content-Transfer-Encoding: base64\r\n\r\n" + strings.Repeat("QUFBQUFBQUFBQUFB\r\n", 100), Limits{MaxDecodedSize: 500}, LimitDecodedSize},
		{"message size", strings.Repeat("a", 3000), Limits{MaxMessageSize: 1000}, LimitMessageSize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := &Options{Limits: tc.lim}
			var err error
			if tc.kind == LimitMessageSize {
				_, err = Parse(strings.NewReader(tc.msg), opts)
			} else {
				rd := NewReader(strings.NewReader(tc.msg), opts)
				for err == nil {
					var p *Part
					p, err = rd.NextPart()
					if err == nil {
						_, err = io.Copy(io.Discard, p.Body)
					}
				}
			}
			var le *LimitError
			require.True(t, errors.As(err, &le), "got %v", err)
			assert.Equal(t, tc.kind, le.Kind)
			assert.ErrorIs(t, err, ErrLimit)
			// the same input passes with default limits
			if tc.kind != LimitMessageSize {
				_, err = ParseBytes([]byte(tc.msg), nil)
				assert.NoError(t, err)
			}
		})
	}
}

func TestUnknownCharsetKeepsRawBytes(t *testing.T) {
	t.Parallel()
	msg := "Content-Type: text/plain; charset=x-klingon\r\n\r\nQapla'\xff\r\n"
	root, err := ParseBytes([]byte(msg), nil)
	require.NoError(t, err)
	b, err := root.Bytes()
	var ce *CharsetError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "x-klingon", ce.Charset)
	assert.Equal(t, []byte("Qapla'\xff\r\n"), ce.Raw)
	assert.Equal(t, ce.Raw, b)
	assert.True(t, root.HasDefect(DefectUnknownCharset))
	// streaming: bytes then the typed error instead of io.EOF
	rd := NewReader(strings.NewReader(msg), nil)
	p, err := rd.NextPart()
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = io.Copy(&buf, p.Body)
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Qapla'\xff\r\n", buf.String())
}

func TestLenientDecodingRecordsDefects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, cte, body, want string
		defect                DefectKind
	}{
		{"base64 spaces", "base64", "aGVs bG8=\r\n", "hello", DefectBase64Whitespace},
		{"base64 no padding", "base64", "aGVsbG8\r\n", "hello", DefectBase64Padding},
		{"base64 junk", "base64", "aGVs!bG8=\r\n", "hello", DefectBase64InvalidChar},
		{"qp soft break with space", "quoted-printable", "ab= \r\ncd\r\n", "abcd\r\n", DefectQPBadSoftBreak},
		{"qp bad escape", "quoted-printable", "a=ZZb\r\n", "a=ZZb\r\n", DefectQPBadEscape},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root, err := ParseBytes([]byte("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: "+tc.cte+"\r\n\r\n"+tc.body), nil)
			require.NoError(t, err)
			got, err := root.Bytes()
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			assert.True(t, root.HasDefect(tc.defect), "defects: %v", root.Defects)
		})
	}
}
