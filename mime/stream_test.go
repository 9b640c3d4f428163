package mime

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// leaf is what the streaming and tree decoders must agree on per part.
type leaf struct {
	MediaType string
	Sum       [32]byte
	N         int
	Err       string
}

func treeLeaves(t testing.TB, data []byte, o *Options) []leaf {
	t.Helper()
	root, err := ParseBytes(data, o)
	require.NoError(t, err)
	var out []leaf
	_ = root.Walk(func(p *Part) error {
		if p.IsMultipart() || isMessageType(p.MediaType) {
			out = append(out, leaf{MediaType: p.MediaType})
			return nil
		}
		b, err := p.Bytes()
		l := leaf{MediaType: p.MediaType, Sum: sha256.Sum256(b), N: len(b)}
		if err != nil {
			l.Err = fmt.Sprintf("%T", err)
		}
		out = append(out, l)
		return nil
	})
	return out
}

// streamLeaves reads every part of rd; readN < 0 reads each body fully,
// otherwise only readN bytes of it (the rest is abandoned to NextPart).
func streamLeaves(t testing.TB, rd *Reader, readN int) ([]leaf, error) {
	t.Helper()
	var out []leaf
	for calls := 0; ; calls++ {
		// A Reader must end: at most MaxParts parts plus the final call.
		require.LessOrEqual(t, calls, defMaxParts+1, "NextPart does not end")
		p, err := rd.NextPart()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if p.IsMultipart() || isMessageType(p.MediaType) {
			out = append(out, leaf{MediaType: p.MediaType})
			continue
		}
		var b []byte
		if readN < 0 {
			b, err = io.ReadAll(p.Body)
		} else {
			b = make([]byte, readN)
			var n int
			n, err = io.ReadFull(p.Body, b)
			b = b[:n]
			if err == io.ErrUnexpectedEOF || err == io.EOF {
				err = nil
			}
		}
		l := leaf{MediaType: p.MediaType, Sum: sha256.Sum256(b), N: len(b)}
		if err != nil {
			l.Err = fmt.Sprintf("%T", err)
		}
		out = append(out, l)
	}
}

// stutterReader returns (0, nil) before every read and at most 7 bytes.
type stutterReader struct {
	r    io.Reader
	skip bool
}

func (s *stutterReader) Read(p []byte) (int, error) {
	s.skip = !s.skip
	if s.skip {
		return 0, nil
	}
	if len(p) > 7 {
		p = p[:7]
	}
	return s.r.Read(p)
}

// TestStreamReadersTerminateAndAgree streams every corpus message through
// readers that deliver odd chunk sizes, through one Reader reused with
// Reset, and with bodies abandoned half-read; every run must end and give
// the tree's leaves.
func TestStreamReadersTerminateAndAgree(t *testing.T) {
	t.Parallel()
	files := corpusMessages(t)
	wraps := map[string]func(io.Reader) io.Reader{
		"plain":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
		"stutter": func(r io.Reader) io.Reader { return &stutterReader{r: r} },
	}
	for name, wrap := range wraps {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			reused := NewReader(strings.NewReader(""), nil)
			for _, f := range files {
				data, err := os.ReadFile(f)
				require.NoError(t, err)
				want := treeLeaves(t, data, nil)
				got, err := streamLeaves(t, NewReader(wrap(bytes.NewReader(data)), nil), -1)
				require.NoError(t, err, f)
				require.Equal(t, want, got, f)
				reused.Reset(wrap(bytes.NewReader(data)))
				got, err = streamLeaves(t, reused, -1)
				require.NoError(t, err, f)
				require.Equal(t, want, got, "%s (reused Reader)", f)
				// abandon bodies after a few bytes: same parts, in order
				reused.Reset(wrap(bytes.NewReader(data)))
				part, err := streamLeaves(t, reused, 3)
				require.NoError(t, err, f)
				require.Len(t, part, len(want), f)
				for i := range want {
					assert.Equal(t, want[i].MediaType, part[i].MediaType, "%s part %d", f, i)
				}
			}
		})
	}
}

// TestResetMidMessage resets a Reader in the middle of a message (also
// inside a base64-encoded embedded message) and after an error.
func TestResetMidMessage(t *testing.T) {
	t.Parallel()
	inner := "Content-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\n\r\ninner text\r\n--i--\r\n"
	outer := "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte(inner)) + "\r\n--o\r\n\r\nlast\r\n--o--\r\n"
	want := treeLeaves(t, []byte(outer), nil)
	rd := NewReader(strings.NewReader(outer), nil)
	for stop := 0; stop < len(want); stop++ {
		rd.Reset(strings.NewReader(outer))
		for i := 0; i <= stop; i++ {
			_, err := rd.NextPart()
			require.NoError(t, err)
		}
		rd.Reset(strings.NewReader(outer))
		got, err := streamLeaves(t, rd, -1)
		require.NoError(t, err)
		require.Equal(t, want, got, "reset after %d parts", stop+1)
	}
	// after a limit error
	rd2 := NewReader(strings.NewReader(outer), &Options{Limits: Limits{MaxParts: 2}})
	_, err := streamLeaves(t, rd2, -1)
	var le *LimitError
	require.ErrorAs(t, err, &le)
	rd2.Reset(strings.NewReader("Subject: x\r\n\r\nbody"))
	got, err := streamLeaves(t, rd2, -1)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, 4, got[0].N)
	// the zero Reader can be Reset
	var zr Reader
	zr.Reset(strings.NewReader(outer))
	got, err = streamLeaves(t, &zr, -1)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// TestTreeConcurrentBodies reads every body of one parsed tree from several
// goroutines at once, many times (run with -race): decoding must not share
// state, and repeated reads must not use up the decoded-size limit.
func TestTreeConcurrentBodies(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/corpus/mime4j/testmsgs/base64encoded-rfc822message-nested.msg")
	require.NoError(t, err)
	bad := "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVs bG8*\r\n"
	for _, msg := range [][]byte{data, []byte(bad)} {
		size := int64(len(msg)) * 2
		root, err := ParseBytes(msg, &Options{Limits: Limits{MaxDecodedSize: size}})
		require.NoError(t, err)
		want := map[*Part][]byte{}
		_ = root.Walk(func(p *Part) error {
			b, err := p.Bytes()
			require.NoError(t, err)
			want[p] = b
			return nil
		})
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 20; i++ {
					_ = root.Walk(func(p *Part) error {
						b, err := p.Bytes()
						assert.NoError(t, err)
						assert.Equal(t, want[p], b)
						return nil
					})
				}
			}()
		}
		wg.Wait()
	}
	root, err := ParseBytes([]byte(bad), nil)
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		_, err := root.Bytes()
		require.NoError(t, err)
	}
	n := 0
	for _, d := range root.Defects {
		if d.Kind == DefectBase64InvalidChar {
			n++
		}
	}
	assert.Equal(t, 1, n, "a body defect is recorded once however often the body is read")
}

// TestDecodersProgressOnHostileInput feeds inputs built to stall a lenient
// path (long runs of padding, whitespace, '=' and '-', a reader that never
// delivers) and checks that every body read ends.
func TestDecodersProgressOnHostileInput(t *testing.T) {
	t.Parallel()
	big := func(s string, n int) string { return strings.Repeat(s, n) }
	cases := map[string]string{
		"b64 padding":       "Content-Transfer-Encoding: base64\r\n\r\n" + big("=", 200000),
		"b64 junk":          "Content-Transfer-Encoding: base64\r\n\r\n" + big("*\r\n", 100000),
		"b64 no newline":    "Content-Transfer-Encoding: base64\r\n\r\n" + big("QUJD", 100000),
		"qp spaces":         "Content-Transfer-Encoding: quoted-printable\r\n\r\nx" + big(" ", 300000) + "y",
		"qp equals":         "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + big("=", 300000),
		"qp soft breaks":    "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + big("=\r\n", 100000),
		"dashes":            "Content-Type: multipart/mixed; boundary=-\r\n\r\n" + big("-", 200000),
		"dash lines":        "Content-Type: multipart/mixed; boundary=ab\r\n\r\n" + big("-\r\n", 100000),
		"boundary prefixes": "Content-Type: multipart/mixed; boundary=abc\r\n\r\n" + big("--ab\r\n--a\n-", 30000),
		"cr only":           "Content-Type: multipart/mixed; boundary=abc\r\n\r\n" + big("\r", 200000),
		"utf7":              "Content-Type: text/plain; charset=utf-7\r\n\r\n" + big("+AGEAYgBj", 30000),
	}
	for name, msg := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, wrap := range []func(io.Reader) io.Reader{func(r io.Reader) io.Reader { return r }, iotest.HalfReader} {
				_, err := streamLeaves(t, NewReader(wrap(strings.NewReader(msg)), nil), -1)
				if err != nil {
					var le *LimitError
					require.ErrorAs(t, err, &le)
				}
			}
			if root, err := ParseBytes([]byte(msg), nil); err == nil {
				_ = root.Walk(func(p *Part) error { _, _ = p.Bytes(); return nil })
			}
		})
	}
	t.Run("reader without progress", func(t *testing.T) {
		t.Parallel()
		_, err := streamLeaves(t, NewReader(zeroReader{}, nil), -1)
		require.ErrorIs(t, err, io.ErrNoProgress)
		rd := NewReader(io.MultiReader(strings.NewReader("Content-Transfer-Encoding: base64\r\n\r\nQUJD"), zeroReader{}), nil)
		p, err := rd.NextPart()
		require.NoError(t, err)
		_, err = io.ReadAll(p.Body)
		require.ErrorIs(t, err, io.ErrNoProgress)
	})
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestTextBodiesAreValidUTF8(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, ct, body, want string
		defect               DefectKind
	}{
		{"utf-8 valid", "text/plain; charset=utf-8", "caf\xc3\xa9 \xe2\x82\xac", "café €", 0},
		{"utf-8 invalid byte", "text/plain; charset=UTF-8", "a\xffb", "a\ufffdb", DefectInvalidUTF8},
		{"utf-8 truncated sequence", "text/plain; charset=utf-8", "a\xe2\x82b", "a\ufffdb", DefectInvalidUTF8},
		{"utf-8 truncated at end", "text/plain; charset=utf-8", "ab\xf0\x9f\x98", "ab\ufffd", DefectInvalidUTF8},
		{"utf-8 surrogate", "text/plain; charset=utf-8", "\xed\xa0\x80", "\ufffd\ufffd\ufffd", DefectInvalidUTF8},
		{"us-ascii 8-bit", "text/html; charset=us-ascii", "\xfe \x80 \x81", "þ € \u0081", DefectEightBitText},
		{"us-ascii clean", "text/plain; charset=us-ascii", "plain", "plain", 0},
		{"us-ascii utf-8 bytes", "text/plain; charset=\"US-ASCII\"", "caf\xc3\xa9", "cafÃ©", DefectEightBitText},
		{"unlabelled utf-8", "text/plain", "caf\xc3\xa9", "café", 0},
		{"unlabelled latin-1", "text/plain", "caf\xe9!", "café!", DefectEightBitText},
		{"no content-type mixed", "", "\xc3\xa9 \xe9", "é é", DefectEightBitText},
		{"unknown-8bit", "text/plain; charset=unknown-8bit", "\x93q\x94", "“q”", DefectEightBitText},
		{"utf-7 with 8-bit", "text/plain; charset=utf-7", "a\xffb+AOk-", "a\ufffdbé", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			msg := "Subject: x\r\n"
			if tc.ct != "" {
				msg += "Content-Type: " + tc.ct + "\r\n"
			}
			msg += "\r\n" + tc.body
			root, err := ParseBytes([]byte(msg), nil)
			require.NoError(t, err)
			txt, err := root.Text()
			require.NoError(t, err)
			assert.Equal(t, tc.want, txt)
			for _, wrap := range []func(io.Reader) io.Reader{func(r io.Reader) io.Reader { return r }, iotest.OneByteReader} {
				rd := NewReader(wrap(strings.NewReader(msg)), nil)
				p, err := rd.NextPart()
				require.NoError(t, err)
				b, err := io.ReadAll(p.Body)
				require.NoError(t, err)
				assert.Equal(t, tc.want, string(b))
				if tc.defect != 0 {
					assert.True(t, p.HasDefect(tc.defect), "defect %v: %v", tc.defect, p.Defects)
				} else {
					assert.Empty(t, p.Defects)
				}
			}
			if tc.defect != 0 {
				assert.True(t, root.HasDefect(tc.defect))
			}
			raw, err := ParseBytes([]byte(msg), &Options{RawCharset: true})
			require.NoError(t, err)
			b, err := raw.Bytes()
			require.NoError(t, err)
			assert.Equal(t, tc.body, string(b), "RawCharset keeps the bytes")
		})
	}
	out, err := DecodeCharset("utf-8", []byte("x\xc0y"))
	require.NoError(t, err)
	assert.Equal(t, "x\ufffdy", string(out))
	out, err = DecodeCharset("us-ascii", []byte("\xe9"))
	require.NoError(t, err)
	assert.Equal(t, "é", string(out))
	cr, err := NewCharsetReader("utf-8", iotest.OneByteReader(strings.NewReader("\xe2\x82\xac\xe2\x82")))
	require.NoError(t, err)
	b, err := io.ReadAll(cr)
	require.NoError(t, err)
	assert.Equal(t, "€\ufffd", string(b))
}

// TestResetReuseAllocatesNothing: a Reader reused with Reset decodes a
// usual multipart message (QP text, base64 HTML and attachment, common
// header fields) without any allocation once warmed up.
func TestResetReuseAllocatesNothing(t *testing.T) {
	att := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0, 1, 2, 0xff}, 3000))
	var wrapped strings.Builder
	for len(att) > 76 {
		wrapped.WriteString(att[:76] + "\r\n")
		att = att[76:]
	}
	wrapped.WriteString(att + "\r\n")
	msg := []byte("From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed;\r\n boundary=\"----=_Part_1\"\r\n\r\n" +
		"------=_Part_1\r\nContent-Type: multipart/alternative; boundary=alt\r\n\r\n" +
		"--alt\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\n" +
		"--alt\r\nContent-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+aGk8L2I+\r\n--alt--\r\n" +
		"------=_Part_1\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + wrapped.String() + "------=_Part_1--\r\n")
	var br bytes.Reader
	rd := NewReader(&br, nil)
	parts := 0
	run := func() {
		br.Reset(msg)
		rd.Reset(&br)
		parts = 0
		for {
			p, err := rd.NextPart()
			if err != nil {
				require.Equal(t, io.EOF, err)
				return
			}
			parts++
			_, err = io.Copy(io.Discard, p.Body)
			require.NoError(t, err)
		}
	}
	run()
	assert.Equal(t, 5, parts)
	if !raceEnabled { // sync.Pool drops items at random under -race
		assert.Zero(t, testing.AllocsPerRun(20, run))
	}
	// strings taken from a part survive Reset; Params works before it
	br.Reset(msg)
	rd.Reset(&br)
	p, err := rd.NextPart()
	require.NoError(t, err)
	mt, b := p.MediaType, p.Boundary()
	assert.Equal(t, map[string]string{"boundary": "----=_Part_1"}, p.Params())
	run()
	assert.Equal(t, "multipart/mixed", mt)
	assert.Equal(t, "----=_Part_1", b)
}
