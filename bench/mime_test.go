package bench

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"math/rand"
	stdmime "mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // charsets, as ours converts them too

	"github.com/mailkit-go/mailkit/mime"
)

var mimeCorpusMB = flag.Int("mime.corpus", 60, "size of the generated MIME corpus in MB")

var (
	mimeCorpusOnce sync.Once
	mimeCorpus     [][]byte
	mimeCorpusSize int64
)

const loremWords = "the quick brown fox jumps over lazy dog meeting report quarterly budget please find attached regards invoice schedule review project update team tomorrow morning lunch"

func genText(r *rand.Rand, n int, nonASCII bool) string {
	words := strings.Fields(loremWords)
	accents := []string{"Grüße", "Köln", "naïve", "façade", "São", "über", "Ærø", "crème"}
	var b strings.Builder
	col := 0
	for b.Len() < n {
		w := words[r.Intn(len(words))]
		if nonASCII && r.Intn(8) == 0 {
			w = accents[r.Intn(len(accents))]
		}
		b.WriteString(w)
		col += len(w) + 1
		if col > 66 {
			b.WriteString("\n")
			col = 0
		} else {
			b.WriteString(" ")
		}
	}
	return b.String()
}

func genBinary(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	return b
}

// genMessage builds one realistic message of kind k.
func genMessage(r *rand.Rand, k int, enc *mime.Encoder) []byte {
	m := &mime.Message{
		From:    []mime.Address{{Name: "Jörg Müller", Address: "joerg@example.com"}},
		To:      []mime.Address{{Name: "Team", Address: "team@example.org"}},
		Subject: fmt.Sprintf("Quarterly report %d — résumé", r.Intn(1000)),
	}
	switch k % 6 {
	case 0: // plain text, QP with non-ASCII
		m.Text = genText(r, 2000+r.Intn(20000), true)
	case 1: // alternative
		m.Text = genText(r, 3000, false)
		m.HTML = "<html><body><p>" + genText(r, 8000, true) + "</p></body></html>"
	case 2: // related with inline images
		m.Text = genText(r, 2000, false)
		m.HTML = `<html><body><img src="cid:logo@x"><p>` + genText(r, 4000, false) + `</p></body></html>`
		for i := 0; i < 1+r.Intn(3); i++ {
			m.Inline = append(m.Inline, mime.Attachment{FileName: fmt.Sprintf("img%d.png", i), ContentType: "image/png",
				ContentID: fmt.Sprintf("img%d@x", i), Data: genBinary(r, 10<<10+r.Intn(200<<10))})
		}
	case 3, 4: // attachments 10 KB .. 2 MB
		m.Text = genText(r, 1500, true)
		for i := 0; i < 1+r.Intn(3); i++ {
			size := 10 << 10
			if r.Intn(3) == 0 {
				size += r.Intn(2 << 20)
			} else {
				size += r.Intn(300 << 10)
			}
			m.Attachments = append(m.Attachments, mime.Attachment{FileName: fmt.Sprintf("file%d.pdf", i), ContentType: "application/pdf", Data: genBinary(r, size)})
		}
	case 5: // nested message/rfc822 (forward)
		inner := genMessage(r, 1+r.Intn(4), enc)
		var buf bytes.Buffer
		n := &mime.Node{MediaType: "multipart/mixed", Children: []*mime.Node{
			{MediaType: "text/plain", Body: []byte(genText(r, 800, false))},
			{MediaType: "message/rfc822", Encoding: "7bit", Body: inner},
		}}
		_ = enc.Encode(&buf, n)
		return append([]byte("From: a@example.com\r\nTo: b@example.org\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n"), buf.Bytes()...)
	}
	var buf bytes.Buffer
	_ = enc.WriteMessage(&buf, m)
	return buf.Bytes()
}

func loadMIMECorpus(b *testing.B) ([][]byte, int64) {
	mimeCorpusOnce.Do(func() {
		r := rand.New(rand.NewSource(42))
		enc := &mime.Encoder{Now: func() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC) }, Rand: rand.New(rand.NewSource(7))}
		target := int64(*mimeCorpusMB) << 20
		for k := 0; mimeCorpusSize < target; k++ {
			msg := genMessage(r, k, enc)
			mimeCorpus = append(mimeCorpus, msg)
			mimeCorpusSize += int64(len(msg))
		}
	})
	b.Logf("MIME corpus: %d messages, %.1f MB", len(mimeCorpus), float64(mimeCorpusSize)/(1<<20))
	return mimeCorpus, mimeCorpusSize
}

// leafFunc consumes one decoded leaf body; the benchmarks discard it.
type leafFunc func(io.Reader) error

func discardLeaf(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}

// decodeFunc fully decodes one message, handing every leaf to leaf.
type decodeFunc func(msg []byte, leaf leafFunc) error

// newOurs returns mailkit's decoder: one streaming mime.Reader (and one
// bytes.Reader) reused for every message with Reset.
func newOurs() decodeFunc {
	var br bytes.Reader
	rd := mime.NewReader(&br, nil)
	return func(msg []byte, leaf leafFunc) error {
		br.Reset(msg)
		rd.Reset(&br)
		for {
			p, err := rd.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if p.IsMultipart() || p.IsMessage() {
				continue // no body of its own (Body is empty)
			}
			if err := leaf(p.Body); err != nil {
				return err
			}
		}
	}
}

// newOursFresh is mailkit without reuse: a new mime.Reader and
// bytes.Reader per message (what a caller that keeps the parts does).
func newOursFresh() decodeFunc {
	return func(msg []byte, leaf leafFunc) error {
		rd := mime.NewReader(bytes.NewReader(msg), nil)
		for {
			p, err := rd.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if p.IsMultipart() || p.IsMessage() {
				continue
			}
			if err := leaf(p.Body); err != nil {
				return err
			}
		}
	}
}

// newStdlib returns the standard library route: net/mail + mime +
// mime/multipart + base64 + quotedprintable, with the bytes.Reader and the
// message's bufio.Reader reused (net/mail.ReadMessage takes a
// *bufio.Reader as it is; multipart.Reader has no Reset).
func newStdlib() decodeFunc {
	var br bytes.Reader
	bu := bufio.NewReader(&br)
	return func(msg []byte, leaf leafFunc) error {
		br.Reset(msg)
		bu.Reset(&br)
		m, err := mail.ReadMessage(bu)
		if err != nil {
			return err
		}
		return stdEntity(stdHeader(m.Header), m.Body, leaf)
	}
}

type stdHeader map[string][]string

func (h stdHeader) get(k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func stdEntity(h stdHeader, body io.Reader, leaf leafFunc) error {
	ct := h.get("Content-Type")
	mt, params, err := stdmime.ParseMediaType(ct)
	if err != nil {
		mt = "text/plain"
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := stdEntity(stdHeader(p.Header), p, leaf); err != nil {
				return err
			}
		}
	case mt == "message/rfc822":
		m, err := mail.ReadMessage(bufio.NewReader(body))
		if err != nil {
			return err
		}
		return stdEntity(stdHeader(m.Header), m.Body, leaf)
	}
	var r io.Reader = body
	switch strings.ToLower(h.get("Content-Transfer-Encoding")) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	}
	return leaf(r)
}

// newGoMessage returns emersion/go-message's route (transfer encodings
// and charsets decoded by the library), with the bytes.Reader reused (its
// entities have no Reset).
func newGoMessage() decodeFunc {
	var br bytes.Reader
	return func(msg []byte, leaf leafFunc) error {
		br.Reset(msg)
		e, err := gomessage.Read(&br)
		if err != nil && !gomessage.IsUnknownCharset(err) && !gomessage.IsUnknownEncoding(err) {
			return err
		}
		return gmEntity(e, leaf)
	}
}

func gmEntity(e *gomessage.Entity, leaf leafFunc) error {
	if mr := e.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil && !gomessage.IsUnknownCharset(err) && !gomessage.IsUnknownEncoding(err) {
				return err
			}
			if err := gmEntity(p, leaf); err != nil {
				return err
			}
		}
	}
	mt, _, _ := e.Header.ContentType()
	if mt == "message/rfc822" {
		inner, err := gomessage.Read(e.Body)
		if err != nil && !gomessage.IsUnknownCharset(err) {
			return err
		}
		return gmEntity(inner, leaf)
	}
	return leaf(e.Body)
}

// mimeContender makes a decoder that is used for a whole run (each
// contender reuses what its library lets it reuse).
type mimeContender struct {
	name       string
	newDecoder func() decodeFunc
}

var mimeContenders = []mimeContender{
	{"mailkit", newOurs},
	{"stdlib", newStdlib},
	{"go-message", newGoMessage},
	{"mailkit-new", newOursFresh}, // reported, not used in the ratios
}

// TestMIMEContendersAgree checks that every contender decodes the same
// leaves to the same bytes (count and SHA-256 per leaf, in order) on a
// small corpus generated like the benchmark's, so the benchmark compares
// equal work.
func TestMIMEContendersAgree(t *testing.T) {
	r := rand.New(rand.NewSource(42))
	enc := &mime.Encoder{Now: func() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC) }, Rand: rand.New(rand.NewSource(7))}
	decoders := make([]decodeFunc, len(mimeContenders))
	for i, c := range mimeContenders {
		decoders[i] = c.newDecoder() // reused for all messages, as in the benchmarks
	}
	for k := 0; k < 24; k++ {
		msg := genMessage(r, k, enc)
		var ref []string
		for i, c := range mimeContenders {
			var got []string
			err := decoders[i](msg, func(rd io.Reader) error {
				h := sha256.New()
				n, err := io.Copy(h, rd)
				got = append(got, fmt.Sprintf("%d:%x", n, h.Sum(nil)[:8]))
				return err
			})
			if err != nil {
				t.Fatalf("message %d: %s: %v", k, c.name, err)
			}
			if len(got) == 0 {
				t.Fatalf("message %d: %s decoded no leaf", k, c.name)
			}
			if i == 0 {
				ref = got
				continue
			}
			if strings.Join(got, " ") != strings.Join(ref, " ") {
				t.Errorf("message %d (kind %d): %s leaves %v, %s leaves %v", k, k%6, c.name, got, mimeContenders[0].name, ref)
			}
		}
	}
}

// runDecode decodes the whole corpus b.N times and reports MB/s (SetBytes)
// and allocations per MB.
func runDecode(b *testing.B, corpus [][]byte, size int64, decode decodeFunc) {
	b.SetBytes(size)
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range corpus {
			if err := decode(m, discardLeaf); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	mb := float64(size) * float64(b.N) / (1 << 20)
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/mb, "allocs/MB")
}

// BenchmarkMIMEDecode: each contender fully decodes every leaf of the
// generated corpus to io.Discard.
func BenchmarkMIMEDecode(b *testing.B) {
	corpus, size := loadMIMECorpus(b)
	for _, c := range mimeContenders {
		b.Run(c.name, func(b *testing.B) { runDecode(b, corpus, size, c.newDecoder()) })
	}
}

// BenchmarkMIMEDecodeRatio measures the three contenders in one run (b.N
// passes over the corpus each, timed by hand) and reports mailkit's speed
// and allocations per MB relative to the others.
func BenchmarkMIMEDecodeRatio(b *testing.B) {
	corpus, size := loadMIMECorpus(b)
	type res struct{ mbps, allocsPerMB float64 }
	results := map[string]res{}
	b.ResetTimer()
	for _, c := range mimeContenders {
		var ms0, ms1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		start := time.Now()
		decode := c.newDecoder()
		for i := 0; i < b.N; i++ {
			for _, m := range corpus {
				if err := decode(m, discardLeaf); err != nil {
					b.Fatal(err)
				}
			}
		}
		el := time.Since(start)
		runtime.ReadMemStats(&ms1)
		mb := float64(size) * float64(b.N) / (1 << 20)
		r := res{mbps: float64(size) * float64(b.N) / el.Seconds() / 1e6, allocsPerMB: float64(ms1.Mallocs-ms0.Mallocs) / mb}
		results[c.name] = r
		b.Logf("%-10s %8.1f MB/s %10.1f allocs/MB", c.name, r.mbps, r.allocsPerMB)
	}
	ours := results["mailkit"]
	for _, n := range []string{"stdlib", "go-message"} {
		b.ReportMetric(ours.mbps/results[n].mbps, "x-speed-vs-"+n)
		b.ReportMetric(ours.allocsPerMB/results[n].allocsPerMB, "x-allocs-vs-"+n)
	}
}

// BenchmarkMIMEEncodeAttachment: base64 with 76-column CRLF lines of a
// 1 MiB attachment vs bare base64.StdEncoding.Encode of the same bytes.
func BenchmarkMIMEEncodeAttachment(b *testing.B) {
	data := genBinary(rand.New(rand.NewSource(1)), 1<<20)
	b.Run("mailkit", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := mime.EncodeBase64(io.Discard, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("base64.StdEncoding", func(b *testing.B) {
		dst := make([]byte, base64.StdEncoding.EncodedLen(len(data)))
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			base64.StdEncoding.Encode(dst, data)
		}
	})
}
