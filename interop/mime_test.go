package interop

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/mime"
)

type pyParse struct {
	Subject   string `json:"subject"`
	From, To  []struct{ Name, Addr string }
	MessageID string   `json:"message_id"`
	Defects   []string `json:"defects"`
	Parts     []struct {
		Type     string   `json:"type"`
		Filename *string  `json:"filename"`
		CID      *string  `json:"cid"`
		Defects  []string `json:"defects"`
		Text     *string  `json:"text"`
		SHA256   string   `json:"sha256"`
	} `json:"parts"`
}

// TestMIMEEncoderPythonEmail encodes messages with mime.Encoder and checks
// that Python's email package (policy.default) reads the same structure,
// headers and contents, without defects.
func TestMIMEEncoderPythonEmail(t *testing.T) {
	requireInterop(t)
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	rnd := rand.New(rand.NewSource(1))
	blob := func(n int) []byte { b := make([]byte, n); rnd.Read(b); return b }
	msgs := map[string]mime.Message{
		"plain":       {Text: "Hello,\nplain ASCII text.\n"},
		"latin-qp":    {Text: "Grüße aus Köln: the meeting is on Monday at ten, see you there.\n"},
		"cyrillic":    {Text: "Привет, как дела? Всё хорошо.\n"},
		"alternative": {Text: "plain version", HTML: "<p>HTML <b>version</b> — ünïcode</p>"},
		"related": {Text: "see image", HTML: `<img src="cid:logo@x">`,
			Inline: []mime.Attachment{{FileName: "logo.png", ContentType: "image/png", ContentID: "logo@x", Data: blob(3000)}}},
		"mixed": {Text: "report attached", HTML: "<i>report</i>",
			Inline:      []mime.Attachment{{FileName: "a.png", ContentType: "image/png", ContentID: "a@x", Data: blob(2000)}},
			Attachments: []mime.Attachment{{FileName: "Résumé – 履歴書 with a rather long file name to force RFC 2231 continuations.pdf", ContentType: "application/pdf", Data: blob(100000)}, {FileName: "notes.txt", ContentType: "text/plain", Data: []byte("n1\nn2\n")}}},
	}
	dir := t.TempDir()
	for name, m := range msgs {
		t.Run(name, func(t *testing.T) {
			e := &mime.Encoder{Now: func() time.Time { return time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC) }, Rand: rand.New(rand.NewSource(2))}
			m.From = []mime.Address{{Name: "Jörg Müller", Address: "joerg@example.com"}}
			m.To = []mime.Address{{Name: "Bob, the builder", Address: "bob@example.org"}}
			m.Subject = "Test " + name + " — ünïcödé subject long enough to be folded at seventy-eight columns"
			var buf bytes.Buffer
			require.NoError(t, e.WriteMessage(&buf, &m))
			f := filepath.Join(dir, name+".eml")
			require.NoError(t, os.WriteFile(f, buf.Bytes(), 0o600))
			out, err := exec.Command("python3", "mime_python.py", f).Output()
			require.NoError(t, err)
			var py pyParse
			require.NoError(t, json.Unmarshal(out, &py))
			assert.Equal(t, m.Subject, py.Subject)
			assert.Empty(t, py.Defects)
			require.Len(t, py.From, 1)
			assert.Equal(t, m.From[0].Name, py.From[0].Name)
			assert.Equal(t, m.From[0].Address, py.From[0].Addr)
			assert.Equal(t, m.To[0].Name, py.To[0].Name)

			ours, err := mime.ParseBytes(buf.Bytes(), nil)
			require.NoError(t, err)
			var all []*mime.Part
			_ = ours.Walk(func(p *mime.Part) error { all = append(all, p); return nil })
			require.Len(t, py.Parts, len(all))
			for i, p := range all {
				pp := py.Parts[i]
				assert.Equal(t, p.MediaType, pp.Type, "part %d", i)
				assert.Empty(t, pp.Defects, "part %d", i)
				if fn := p.FileName(); fn != "" {
					require.NotNil(t, pp.Filename)
					assert.Equal(t, fn, *pp.Filename)
				}
				if cid := p.ContentID(); cid != "" {
					require.NotNil(t, pp.CID)
					assert.Equal(t, cid, *pp.CID)
				}
				if p.IsMultipart() {
					continue
				}
				if p.IsText() {
					txt, err := p.Text()
					require.NoError(t, err)
					require.NotNil(t, pp.Text)
					assert.Equal(t, strings.ReplaceAll(txt, "\r\n", "\n"), strings.ReplaceAll(*pp.Text, "\r\n", "\n"), "part %d", i)
				} else {
					b, err := p.Bytes()
					require.NoError(t, err)
					sum := sha256.Sum256(b)
					assert.Equal(t, hex.EncodeToString(sum[:]), pp.SHA256, "part %d", i)
				}
			}
		})
	}
}
