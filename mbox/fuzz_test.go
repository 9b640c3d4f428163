package mbox

import (
	"bytes"
	"context"
	"io"
	"testing"
)

// FuzzReader: any input reads without panicking within the limits, and
// each message body written back with a Writer reads back identically.
func FuzzReader(f *testing.F) {
	seeds := []string{
		"",
		"From a Mon Jan  1 00:00:00 2024\nSubject: 1\n\nbody\n\n",
		"From a Mon Jan  1 00:00:00 2024\n>From x\n>>From y\n\nFrom b Mon Jan  1 00:00:00 2024\n\n",
		"\n\nFrom \r\n\r\n\r\n",
		"From a\nx",
		"garbage\nFrom a\n",
		"From a Mon Jan  1 00:00:00 2024\n\n\n\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	limits := Limits{MaxLineLength: 4096, MaxMessageSize: 1 << 16}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), &ReaderOptions{Limits: limits})
		for i := 0; i < 10_000; i++ {
			msg, err := r.Next()
			if err != nil {
				return
			}
			body, err := io.ReadAll(msg.Body)
			if err != nil {
				continue
			}
			if int64(len(body)) > limits.MaxMessageSize {
				t.Fatalf("body of %d bytes over the limit", len(body))
			}
			// Round trip: a body ending in a newline comes back unchanged.
			if len(body) > 0 && body[len(body)-1] != '\n' {
				body = append(body, '\n')
			}
			var buf bytes.Buffer
			if _, err := NewWriter(&buf, &WriterOptions{Limits: limits}).WriteMessage(context.Background(), Envelope{From: "f"}, bytes.NewReader(body)); err != nil {
				continue
			}
			rr := NewReader(&buf, &ReaderOptions{Limits: Limits{MaxLineLength: 1 << 20, MaxMessageSize: 1 << 20}})
			m2, err := rr.Next()
			if err != nil {
				t.Fatalf("re-read: %v", err)
			}
			b2, err := io.ReadAll(m2.Body)
			if err != nil || !bytes.Equal(b2, body) {
				t.Fatalf("round trip %q -> %q (%v)", body, b2, err)
			}
			if _, err := rr.Next(); err != io.EOF {
				t.Fatalf("round trip of %q produced a second message (%v)", body, err)
			}
		}
	})
}

// FuzzFromLine: parseFromLine never panics and keeps the line.
func FuzzFromLine(f *testing.F) {
	f.Add("From alice@example.org Thu Nov 29 17:22:41 2026")
	f.Add("From ")
	f.Add("From x Sat Jan  3 01:05:34 1996 remote from y")
	f.Fuzz(func(t *testing.T, line string) {
		m := parseFromLine(line)
		if m.FromLine != line {
			t.Fatal("FromLine changed")
		}
	})
}
