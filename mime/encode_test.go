package mime

import (
	"bytes"
	"encoding/base64"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testEncoder(seed int64) *Encoder {
	return &Encoder{
		Now:  func() time.Time { return time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC) },
		Rand: rand.New(rand.NewSource(seed)),
	}
}

func randBytes(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// checkWire asserts CRLF everywhere and lines of at most 998 octets.
func checkWire(t *testing.T, b []byte) {
	t.Helper()
	for i, line := range bytes.Split(b, []byte("\r\n")) {
		require.NotContains(t, string(line), "\n", "bare LF in line %d", i)
		require.NotContains(t, string(line), "\r", "bare CR in line %d", i)
		require.LessOrEqual(t, len(line), 998, "line %d too long", i)
	}
}

func TestEncoderRoundTrip(t *testing.T) {
	t.Parallel()
	png := randBytes(5000, 1)
	pdf := randBytes(70000, 2)
	longLine := strings.Repeat("word ", 400)
	tests := []struct {
		name    string
		msg     Message
		tr      Transport
		types   []string // pre-order media types
		leafCTE []string // transfer encodings of leaves in order
	}{
		{name: "plain ascii", msg: Message{Text: "Hello\nworld\n"},
			types: []string{"text/plain"}, leafCTE: []string{"7bit"}},
		{name: "plain latin", msg: Message{Text: "Grüße aus Köln: the meeting is on Monday at ten, see you there.\n"},
			types: []string{"text/plain"}, leafCTE: []string{"quoted-printable"}},
		{name: "plain cyrillic", msg: Message{Text: "Привет, как дела? Всё хорошо.\n"},
			types: []string{"text/plain"}, leafCTE: []string{"base64"}},
		{name: "plain 8bit transport", msg: Message{Text: "Привет\n"}, tr: Transport{Allow8Bit: true},
			types: []string{"text/plain"}, leafCTE: []string{"8bit"}},
		{name: "long line", msg: Message{Text: longLine},
			types: []string{"text/plain"}, leafCTE: []string{"quoted-printable"}},
		{name: "alternative", msg: Message{Text: "hi", HTML: "<p>hi</p>"},
			types: []string{"multipart/alternative", "text/plain", "text/html"}, leafCTE: []string{"7bit", "7bit"}},
		{name: "html only", msg: Message{HTML: "<p>hi</p>"},
			types: []string{"text/html"}, leafCTE: []string{"7bit"}},
		{name: "related", msg: Message{Text: "see image", HTML: `<img src="cid:img1@x">`,
			Inline: []Attachment{{FileName: "a.png", ContentType: "image/png", ContentID: "img1@x", Data: png}}},
			types:   []string{"multipart/related", "multipart/alternative", "text/plain", "text/html", "image/png"},
			leafCTE: []string{"7bit", "7bit", "base64"}},
		{name: "mixed", msg: Message{Text: "report attached", HTML: "<b>report</b>", Attachments: []Attachment{
			{FileName: "Résumé – 履歴書.pdf", ContentType: "application/pdf", Data: pdf},
			{FileName: "notes.txt", ContentType: "text/plain", Data: []byte("line 1\nline 2\n")}},
			Inline: []Attachment{{FileName: "a.png", ContentType: "image/png", ContentID: "c1", Data: png}}},
			types:   []string{"multipart/mixed", "multipart/related", "multipart/alternative", "text/plain", "text/html", "image/png", "application/pdf", "text/plain"},
			leafCTE: []string{"7bit", "7bit", "base64", "base64", "7bit"}},
		{name: "binary transport", msg: Message{Text: "x", Attachments: []Attachment{{FileName: "b.bin", Data: pdf}}}, tr: Transport{AllowBinary: true},
			types: []string{"multipart/mixed", "text/plain", "application/octet-stream"}, leafCTE: []string{"7bit", "binary"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := testEncoder(int64(i))
			e.Transport = tc.tr
			m := tc.msg
			m.From = []Address{{Name: "Jörg Müller", Address: "joerg@example.com"}}
			m.To = []Address{{Name: "Bob", Address: "bob@example.org"}, {Address: "carol@example.org"}}
			m.Subject = "Test " + tc.name + " — ünïcödé subject that is long enough to need folding at seventy-eight columns"
			var buf bytes.Buffer
			require.NoError(t, e.WriteMessage(&buf, &m))
			if !tc.tr.AllowBinary {
				checkWire(t, buf.Bytes())
			}
			root, err := ParseBytes(buf.Bytes(), nil)
			require.NoError(t, err)
			var types, ctes []string
			var leaves []*Part
			_ = root.Walk(func(p *Part) error {
				types = append(types, p.MediaType)
				if !p.IsMultipart() {
					ctes = append(ctes, p.TransferEncoding)
					leaves = append(leaves, p)
				}
				assert.Empty(t, p.Defects, "defects on %s", p.MediaType)
				return nil
			})
			assert.Equal(t, tc.types, types)
			assert.Equal(t, tc.leafCTE, ctes)
			subj, err := root.Header.Subject()
			require.NoError(t, err)
			assert.Equal(t, m.Subject, subj)
			from, err := root.Header.From()
			require.NoError(t, err)
			assert.Equal(t, m.From, from)
			to, err := root.Header.AddressList("To")
			require.NoError(t, err)
			assert.Equal(t, m.To, to)
			d, err := root.Header.Date()
			require.NoError(t, err)
			assert.True(t, d.Equal(e.now()))
			id, err := root.Header.MessageID()
			require.NoError(t, err)
			assert.True(t, strings.HasSuffix(id, "@example.com"))
			// leaf contents
			var want [][]byte
			if m.Text != "" || m.HTML == "" {
				want = append(want, []byte(m.Text))
			}
			if m.HTML != "" {
				want = append(want, []byte(m.HTML))
			}
			for _, a := range m.Inline {
				want = append(want, a.Data)
			}
			for _, a := range m.Attachments {
				want = append(want, a.Data)
			}
			require.Len(t, leaves, len(want))
			for k, l := range leaves {
				got, err := l.Bytes()
				require.NoError(t, err)
				if l.IsText() {
					assert.Equal(t, string(toCRLFLines(want[k])), string(got))
				} else {
					assert.True(t, bytes.Equal(want[k], got), "leaf %d content", k)
				}
			}
			for k, a := range append(append([]Attachment{}, m.Inline...), m.Attachments...) {
				l := leaves[len(leaves)-len(m.Inline)-len(m.Attachments)+k]
				assert.Equal(t, a.FileName, l.FileName())
				assert.Equal(t, a.ContentID, l.ContentID())
			}
		})
	}
}

func TestEncoderDeterministic(t *testing.T) {
	t.Parallel()
	m := Message{From: []Address{{Address: "a@b.c"}}, Text: "x", Attachments: []Attachment{{FileName: "f", Data: []byte{1, 2}}}}
	var a, b bytes.Buffer
	require.NoError(t, testEncoder(7).WriteMessage(&a, &m))
	require.NoError(t, testEncoder(7).WriteMessage(&b, &m))
	assert.Equal(t, a.String(), b.String())
}

// TestBoundaryAbsent feeds an encoder whose randomness repeats, so the
// first boundary candidate appears in the content and must be rejected.
func TestBoundaryAbsent(t *testing.T) {
	t.Parallel()
	e := testEncoder(3)
	first, err := testEncoder(3).random(12)
	require.NoError(t, err)
	n := &Node{MediaType: "multipart/mixed", Children: []*Node{{Body: []byte("--mk_" + first + "\r\n")}}}
	var buf bytes.Buffer
	require.NoError(t, e.Encode(&buf, n))
	root, err := ParseBytes(buf.Bytes(), nil)
	require.NoError(t, err)
	require.Len(t, root.Children, 1)
	assert.NotEqual(t, "mk_"+first, root.Boundary())
	got, err := root.Children[0].Text()
	require.NoError(t, err)
	assert.Equal(t, "--mk_"+first+"\r\n", got)
}

func TestEncodeHeaderFolding(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"short",
		strings.Repeat("ascii words ", 30),
		strings.Repeat("ü", 200),
		"日本語のテキスト、とても長い件名です。" + strings.Repeat("長い", 40),
		strings.Repeat("x", 2000),
		"looks like =?utf-8?q?an_encoded?= word",
	} {
		v := EncodeHeader("Subject", s)
		for i, line := range strings.Split("Subject: "+v, "\r\n") {
			assert.LessOrEqual(t, len(line), 78, "line %d of %q", i, line)
		}
		got, err := DecodeHeader(unfold([]byte(v)))
		require.NoError(t, err)
		if isASCII(s) && !strings.Contains(s, "=?") && len(s) < 900 {
			assert.Equal(t, strings.Join(strings.Fields(s), " "), strings.Join(strings.Fields(got), " "))
		} else {
			assert.Equal(t, s, got)
		}
	}
}

func TestEncodeBase64MatchesStdlib(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewSource(5))
	for _, n := range []int{0, 1, 2, 3, 5, 6, 7, 8, 56, 57, 58, 59, 60, 113, 114, 1000, 57 * 1024, 57*1024 + 1, 200_003} {
		data := make([]byte, n)
		r.Read(data)
		var want strings.Builder
		s := base64.StdEncoding.EncodeToString(data)
		for len(s) > 76 {
			want.WriteString(s[:76] + "\r\n")
			s = s[76:]
		}
		if s != "" {
			want.WriteString(s + "\r\n")
		}
		var got bytes.Buffer
		require.NoError(t, EncodeBase64(&got, data))
		require.Equal(t, want.String(), got.String(), "n=%d", n)
	}
}

// TestEncoderGivenBoundary checks that a boundary in Params is used when it
// is valid and absent from the encoded body parts, and otherwise rejected
// with a *BoundaryError (never silently replaced).
func TestEncoderGivenBoundary(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("b", 70)
	tests := []struct {
		name     string
		boundary string
		body     string
		nested   string // boundary of a nested multipart child, "" for none
		errPart  int    // BoundaryError.Part; 0 means no error expected, else index+1
		invalid  bool
	}{
		{name: "token", boundary: "BOUNDARY-1", body: "hello"},
		{name: "quoted characters", boundary: "a b/c=d:e?f'(g)+_,.", body: "hello"},
		{name: "70 characters", boundary: long, body: "hello"},
		{name: "71 characters", boundary: long + "b", body: "hello", invalid: true},
		{name: "trailing space", boundary: "ab ", body: "hello", invalid: true},
		{name: "quote", boundary: `a"b`, body: "hello", invalid: true},
		{name: "non-ASCII", boundary: "grün", body: "hello", invalid: true},
		{name: "CRLF", boundary: "a\r\nb", body: "hello", invalid: true},
		{name: "in the body", boundary: "x", body: "a\n--x\nb", errPart: 1},
		{name: "in the body mid-line", boundary: "x", body: "a --x b", errPart: 1},
		{name: "prefix of a nested boundary", boundary: "x", nested: "xy", errPart: 2},
		{name: "same as a nested boundary", boundary: "in", nested: "in", errPart: 2},
		{name: "nested boundary is a prefix", boundary: "xy", nested: "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			params := map[string]string{"Boundary": tt.boundary}
			n := &Node{MediaType: "multipart/mixed", Params: params, Children: []*Node{{Body: []byte(tt.body)}}}
			if tt.nested != "" {
				n.Children = append(n.Children, &Node{MediaType: "multipart/alternative",
					Params: map[string]string{"boundary": tt.nested}, Children: []*Node{{Body: []byte("inner")}}})
			}
			var buf bytes.Buffer
			err := testEncoder(1).Encode(&buf, n)
			assert.Equal(t, map[string]string{"Boundary": tt.boundary}, params, "Params unchanged")
			if tt.invalid || tt.errPart > 0 {
				require.ErrorIs(t, err, ErrBoundary)
				var be *BoundaryError
				require.ErrorAs(t, err, &be)
				assert.Equal(t, tt.boundary, be.Boundary)
				assert.Equal(t, tt.errPart-1, be.Part)
				assert.Zero(t, buf.Len(), "nothing written on error")
				return
			}
			require.NoError(t, err)
			checkWire(t, buf.Bytes())
			root, err := ParseBytes(buf.Bytes(), nil)
			require.NoError(t, err)
			assert.Equal(t, tt.boundary, root.Boundary())
			require.Len(t, root.Children, len(n.Children))
			got, err := root.Children[0].Text()
			require.NoError(t, err)
			assert.Equal(t, strings.ReplaceAll(tt.body, "\n", "\r\n"), got)
			if tt.nested != "" {
				assert.Equal(t, tt.nested, root.Children[1].Boundary())
				require.Len(t, root.Children[1].Children, 1)
			}
			assert.Empty(t, root.Defects)
		})
	}
	t.Run("empty means generated", func(t *testing.T) {
		t.Parallel()
		n := &Node{MediaType: "multipart/mixed", Params: map[string]string{"boundary": ""}, Children: []*Node{{Body: []byte("x")}}}
		var buf bytes.Buffer
		require.NoError(t, testEncoder(1).Encode(&buf, n))
		root, err := ParseBytes(buf.Bytes(), nil)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(root.Boundary(), "mk_"), root.Boundary())
	})
}

func TestValidBoundary(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"": false, "a": true, " a": true, "a ": false, "a b": true,
		strings.Repeat("z", 70): true, strings.Repeat("z", 71): false,
		"=_Part_1.2/x:y?": true, "a;b": false, "a\tb": false, "a\\b": false, "a<b>": false,
	} {
		assert.Equal(t, want, ValidBoundary(s), "%q", s)
	}
}
