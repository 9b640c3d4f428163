package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/maildir"
	"github.com/mailkit-go/mailkit/mbox"
)

// storageMessage is a 4 KiB message with LF line ends and a few From_ lines
// that mbox must quote.
func storageMessage() []byte {
	var b bytes.Buffer
	b.WriteString("From: alice@example.org\nTo: bob@example.org\nSubject: storage benchmark\nMessage-ID: <bench@example.org>\n\n")
	for b.Len() < 4096-80 {
		b.WriteString("From the benchmark: the quick brown fox jumps over the lazy dog.\n")
	}
	for b.Len() < 4095 {
		b.WriteByte('x')
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// syncDirBench fsyncs a directory (anchor helper).
func syncDirBench(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// BenchmarkMaildirDeliver measures durable Maildir deliveries per second
// (4 KiB messages, file fsync + directory fsync each) against the anchor:
// the minimum any durable file-per-message store does (write a temporary
// file, fsync, rename, fsync the directory).
func BenchmarkMaildirDeliver(b *testing.B) {
	ctx := context.Background()
	msg := storageMessage()
	rates := map[string]float64{}
	for _, name := range []string{"anchor-raw-rename", "mailkit"} {
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			md, err := maildir.Create(filepath.Join(dir, "Maildir"), nil)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			start := time.Now()
			n := 0
			for b.Loop() {
				if name == "mailkit" {
					if _, err := md.Deliver(ctx, bytes.NewReader(msg)); err != nil {
						b.Fatal(err)
					}
				} else {
					tmp := filepath.Join(dir, "Maildir", "tmp", fmt.Sprint("raw", n))
					f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
					if err != nil {
						b.Fatal(err)
					}
					_, err = f.Write(msg)
					if err == nil {
						err = f.Sync()
					}
					if cerr := f.Close(); err == nil {
						err = cerr
					}
					if err == nil {
						err = os.Rename(tmp, filepath.Join(dir, "Maildir", "new", fmt.Sprint("raw", n)))
					}
					if err == nil {
						err = syncDirBench(filepath.Join(dir, "Maildir", "new"))
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				n++
			}
			rate := float64(n) / time.Since(start).Seconds()
			rates[name] = rate
			b.ReportMetric(rate, "deliveries/s")
			if a := rates["anchor-raw-rename"]; name == "mailkit" && a > 0 {
				b.ReportMetric(rate/a, "x_anchor")
			}
		})
	}
}

// BenchmarkMboxAppend measures locked, fsynced, truncation-safe appends of a
// 4 KiB message (mboxrd quoting included) against the anchor: an unlocked
// O_APPEND write + fsync of the same bytes.
func BenchmarkMboxAppend(b *testing.B) {
	ctx := context.Background()
	msg := storageMessage()
	rates := map[string]float64{}
	date := time.Date(2026, 11, 29, 17, 22, 41, 0, time.UTC)
	for _, name := range []string{"anchor-raw-append", "mailkit"} {
		b.Run(name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "mbox")
			box := &mbox.Mailbox{Path: path}
			var f *os.File
			if name != "mailkit" {
				var err error
				f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
			}
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			start := time.Now()
			n := 0
			for b.Loop() {
				if name == "mailkit" {
					if err := box.Append(ctx, mbox.Envelope{From: "alice@example.org", Date: date}, bytes.NewReader(msg)); err != nil {
						b.Fatal(err)
					}
				} else {
					if _, err := f.Write(msg); err != nil {
						b.Fatal(err)
					}
					if err := f.Sync(); err != nil {
						b.Fatal(err)
					}
				}
				n++
			}
			rate := float64(n) / time.Since(start).Seconds()
			rates[name] = rate
			b.ReportMetric(rate, "appends/s")
			if a := rates["anchor-raw-append"]; name == "mailkit" && a > 0 {
				b.ReportMetric(rate/a, "x_anchor")
			}
		})
	}
}

// BenchmarkMboxRead measures reading a 16 MiB mbox (4,000 messages of
// 4 KiB) message by message, bodies unquoted, against the anchor: splitting
// the same bytes into lines with bufio.Scanner and nothing else.
func BenchmarkMboxRead(b *testing.B) {
	msg := storageMessage()
	var buf bytes.Buffer
	w := mbox.NewWriter(&buf, nil)
	for i := 0; i < 4000; i++ {
		if _, err := w.WriteMessage(context.Background(), mbox.Envelope{From: "alice@example.org"}, bytes.NewReader(msg)); err != nil {
			b.Fatal(err)
		}
	}
	data := buf.Bytes()
	rates := map[string]float64{}
	for _, name := range []string{"anchor-bufio-lines", "mailkit"} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			start := time.Now()
			n := 0
			for b.Loop() {
				if name == "mailkit" {
					r := mbox.NewReader(bytes.NewReader(data), nil)
					count := 0
					for {
						m, err := r.Next()
						if err == io.EOF {
							break
						}
						if err != nil {
							b.Fatal(err)
						}
						if _, err := io.Copy(io.Discard, m.Body); err != nil {
							b.Fatal(err)
						}
						count++
					}
					if count != 4000 {
						b.Fatalf("%d messages", count)
					}
				} else {
					sc := bufio.NewScanner(bytes.NewReader(data))
					count := 0
					for sc.Scan() {
						if strings.HasPrefix(sc.Text(), "From ") {
							count++
						}
					}
					if count != 4000 {
						b.Fatalf("%d messages", count)
					}
				}
				n++
			}
			mbps := float64(n) * float64(len(data)) / 1e6 / time.Since(start).Seconds()
			rates[name] = mbps
			b.ReportMetric(mbps, "MB/s")
			if a := rates["anchor-bufio-lines"]; name == "mailkit" && a > 0 {
				b.ReportMetric(mbps/a, "x_anchor")
			}
		})
	}
}
