package imap

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const binaryTestMsg = "From: a@example.org\r\n" +
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
	"--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8A\r\nd29ybGQ=\r\n" +
	"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 =\r\nau lait\r\n" +
	"--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n" +
	"--b\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\xe9t\xe9\r\n" +
	"--b--\r\n"

func TestBinarySection(t *testing.T) {
	t.Parallel()
	m := ParseMessage([]byte(binaryTestMsg))
	tests := []struct {
		name string
		part []int
		want string
		err  error
	}{
		{"whole message", nil, binaryTestMsg, nil},
		{"base64 with NUL", []int{1}, "hello\x00world", nil},
		{"quoted-printable, charset kept", []int{2}, "caf\xe9 au lait", nil},
		{"unknown CTE", []int{3}, "", ErrUnknownCTE},
		{"8bit as is", []int{4}, "\xe9t\xe9", nil},
		{"no such part", []int{9}, "", ErrNoSuchPart},
		{"no such subpart", []int{1, 2}, "", ErrNoSuchPart},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.BinarySection(tt.part)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestBinarySectionSinglePart(t *testing.T) {
	t.Parallel()
	m := ParseMessage([]byte("Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n"))
	got, err := m.BinarySection([]int{1})
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 1, 2}, got)
	_, err = m.BinarySection([]int{2})
	assert.ErrorIs(t, err, ErrNoSuchPart)
}

func TestFetchOptionsBinary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string // String() of the parsed options; "" for an error
		seen    bool
		nBinary int
	}{
		{"(BINARY[1]<0.10> BINARY.PEEK[2.1] BINARY.SIZE[1] BINARY.SIZE[])", "(BINARY[1]<0.10> BINARY.PEEK[2.1] BINARY.SIZE[1] BINARY.SIZE[])", true, 2},
		{"BINARY.PEEK[]", "(BINARY.PEEK[])", false, 1},
		{"binary.size[3]", "(BINARY.SIZE[3])", false, 0},
		{"(BINARY[1.TEXT])", "", false, 0},
		{"(BINARY[HEADER])", "", false, 0},
		{"(BINARY.SIZE[1]<0.1>)", "", false, 0},
		{"(BINARY.SIZE[MIME])", "", false, 0},
		{"(BINARY.SIZE)", "", false, 0},
		{"(BINARY)", "", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d := NewDecoder(bufio.NewReader(strings.NewReader(tt.in+"\r\n")), nil)
			o, err := d.FetchOptions()
			if tt.want == "" {
				var se *SyntaxError
				require.ErrorAs(t, err, &se)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, o.String())
			assert.Equal(t, tt.seen, o.SetsSeen())
			n := 0
			for _, s := range o.Sections {
				if s.Binary {
					n++
				}
			}
			assert.Equal(t, tt.nBinary, n)
		})
	}
}

func TestBinaryNames(t *testing.T) {
	t.Parallel()
	s, err := ParseFetchSectionName("BINARY[1.2]<5>")
	require.NoError(t, err)
	assert.True(t, s.Binary)
	assert.Equal(t, []int{1, 2}, s.Part)
	assert.Equal(t, int64(5), s.Partial.Offset)
	assert.Equal(t, "BINARY[1.2]<5>", s.Name())
	_, err = ParseFetchSectionName("BINARY[1.HEADER]")
	assert.Error(t, err)

	p, err := ParseBinarySizeName("binary.size[2.1]")
	require.NoError(t, err)
	assert.Equal(t, []int{2, 1}, p)
	assert.Equal(t, "BINARY.SIZE[2.1]", BinarySizeName(p))
	p, err = ParseBinarySizeName("BINARY.SIZE[]")
	require.NoError(t, err)
	assert.Empty(t, p)
	for _, bad := range []string{"BINARY[1]", "BINARY.SIZE[1]<0>", "BINARY.SIZE[TEXT]", "BINARY.SIZE[1"} {
		_, err := ParseBinarySizeName(bad)
		assert.Error(t, err, bad)
	}
}

func TestLiteral8(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	e := NewEncoder(bw)
	e.Literal8([]byte("a\x00b"))
	require.NoError(t, e.Flush())
	assert.Equal(t, "~{3}\r\na\x00b", buf.String())
	assert.True(t, NeedsLiteral8([]byte("a\x00")))
	assert.False(t, NeedsLiteral8([]byte("a\r\n\xff")))
	// The decoder reads literal8 back.
	d := NewDecoder(bufio.NewReader(strings.NewReader(buf.String()+"\r\n")), nil)
	v, err := d.ReadValue()
	require.NoError(t, err)
	assert.Equal(t, "a\x00b", v)
}

func TestEncodeBinaryParts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		changed bool
		want    string // the converted message; "" when unchanged
		parts   map[string]string
	}{
		{"single binary part", "Subject: x\r\nContent-Transfer-Encoding: binary\r\nX: y\r\n\r\n\x00-\xe4\n\r\n\n", true,
			"Subject: x\r\nX: y\r\nContent-Transfer-Encoding: base64\r\n\r\nAC3kCg0KCg==\r\n", map[string]string{"1": "\x00-\xe4\n\r\n\n"}},
		{"multipart: only the binary and NUL parts change",
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: BINARY\r\n  \r\n\r\n\xff\x00\r\n--b\r\n\r\ntext\r\n--b\r\nContent-Transfer-Encoding: 8bit\r\n\r\na\x00b\r\n--b--\r\n", true,
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\n/wA=\r\n--b\r\n\r\ntext\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\nYQBi\r\n--b--\r\n",
			map[string]string{"1": "\xff\x00", "2": "text", "3": "a\x00b"}},
		{"part without header", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\x00\r\n--b--\r\n", true,
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\neAA=\r\n--b--\r\n", map[string]string{"1": "x\x00"}},
		{"8bit without NUL is kept", "Content-Transfer-Encoding: 8bit\r\n\r\n\xe9t\xe9\r\n", false, "", nil},
		{"base64 is kept", "Content-Transfer-Encoding: base64\r\n\r\nAA==\r\n", false, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed := EncodeBinaryParts([]byte(tt.in))
			assert.Equal(t, tt.changed, changed)
			if !tt.changed {
				assert.Equal(t, tt.in, string(out))
				return
			}
			assert.Equal(t, tt.want, string(out))
			assert.False(t, NeedsLiteral8(out), "a NUL is left")
			m := ParseMessage(out)
			for spec, want := range tt.parts {
				part := []int{int(spec[0] - '0')}
				got, err := m.BinarySection(part)
				require.NoError(t, err, spec)
				assert.Equal(t, want, string(got), spec)
			}
		})
	}
}
