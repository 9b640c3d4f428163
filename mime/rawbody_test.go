package mime

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRawBodyLineBreakBeforeDelimiter checks that the line break before a
// boundary delimiter stays out of RawBody (RFC 2046 section 5.1.1) also
// when a nested header section consumed it: an embedded message with an
// empty body or without the empty line after its header.
func TestRawBodyLineBreakBeforeDelimiter(t *testing.T) {
	t.Parallel()
	const ct = "Content-Type: multipart/mixed; boundary=a\n\n"
	tests := []struct {
		name string
		msg  string
		want []string // RawBody of every part after the root, depth first
	}{
		{
			name: "embedded header and empty line only",
			msg:  ct + "--a\nContent-Type: message/rfc822\n\nSubject: x\n\n--a--\n",
			want: []string{"Subject: x\n", ""},
		},
		{
			name: "embedded header without empty line",
			msg:  ct + "--a\nContent-Type: message/rfc822\n\nSubject: x\n--a--\n",
			want: []string{"Subject: x", ""},
		},
		{
			name: "CRLF",
			msg:  strings.ReplaceAll(ct+"--a\nContent-Type: message/rfc822\n\nSubject: x\n\n--a\nContent-Type: text/plain\n\nhi\n--a--\n", "\n", "\r\n"),
			want: []string{"Subject: x\r\n", "", "hi"},
		},
		{
			name: "line without colon then empty line (enmime DSN)",
			msg:  ct + "--a\ncontent-type: message/rfc822\n\n[original message goes here]\n\n--a--\n",
			want: []string{"[original message goes here]\n", ""},
		},
		{
			name: "embedded message with a body",
			msg:  ct + "--a\nContent-Type: message/rfc822\n\nSubject: x\n\nhello\n--a--\n",
			want: []string{"Subject: x\n\nhello", "hello"},
		},
		{
			name: "two levels of embedding",
			msg:  ct + "--a\nContent-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nSubject: x\n\n--a--\n",
			want: []string{"Content-Type: message/rfc822\n\nSubject: x\n", "Subject: x\n", ""},
		},
		{
			name: "leaf with empty body",
			msg:  ct + "--a\nContent-Type: text/plain\n\n--a\nContent-Type: text/plain\n--a--\n",
			want: []string{"", ""},
		},
		{
			name: "inner multipart without close delimiter",
			msg:  ct + "--a\nContent-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=b\n\n--b\nX: y\n--a--\n",
			want: []string{"Content-Type: multipart/mixed; boundary=b\n\n--b\nX: y", "--b\nX: y", ""},
		},
		{
			name: "empty line after a delimiter is body",
			msg:  ct + "--a\n\n\n--a--\n",
			want: []string{""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root, err := ParseBytes([]byte(tt.msg), nil)
			require.NoError(t, err)
			var buf bytes.Buffer
			_, err = root.WriteTo(&buf)
			require.NoError(t, err)
			assert.Equal(t, tt.msg, buf.String(), "round trip")
			var parts []*Part
			_ = root.Walk(func(p *Part) error {
				parts = append(parts, p)
				return nil
			})
			var got []string
			for _, p := range parts[1:] {
				got = append(got, string(p.RawBody()))
				assert.LessOrEqual(t, p.BodyEnd, p.End, "%s", p.MediaType)
			}
			assert.Equal(t, tt.want, got)

			// the streaming reader finds the same offsets, also when it
			// gets one byte per read
			rd := NewReader(iotest.OneByteReader(strings.NewReader(tt.msg)), nil)
			var streamed []*Part
			for {
				p, err := rd.NextPart()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				streamed = append(streamed, p)
				_, _ = io.Copy(io.Discard, p.Body)
			}
			require.Len(t, streamed, len(parts))
			for i, p := range streamed {
				assert.Equal(t, [4]int64{parts[i].Start, parts[i].BodyStart, parts[i].BodyEnd, parts[i].End},
					[4]int64{p.Start, p.BodyStart, p.BodyEnd, p.End}, "part %d (%s)", i, p.MediaType)
			}
		})
	}
}
