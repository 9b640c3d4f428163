package dnstest_test

import (
	"errors"
	"testing"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
)

func FuzzParseZone(f *testing.F) {
	f.Add(testZone)
	f.Add("$ORIGIN example.com.\n$TTL 60\n@ IN MX 10 mx\nmx IN A 192.0.2.1\n")
	f.Add("a.example. IN TXT \"quoted \\\" string\" ; comment\n")
	f.Add("$ORIGIN x.\n@ SOA ns hm (\n 1 ; serial\n 2 3 4 5 )\n")
	f.Add("x. 60 IN AAAA ::1\n\t60 IN PTR y.\n")
	f.Add("$INCLUDE foo\n")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 1<<16 {
			return
		}
		z, err := dnstest.ParseZone(text)
		if err != nil {
			var pe *dnstest.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if z != nil {
				t.Fatal("zone returned with error")
			}
			return
		}
		// What was accepted must render and read back to the same zone.
		out := z.String()
		z2, err := dnstest.ParseZone(out)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		if len(z2.Records()) != len(z.Records()) {
			t.Fatalf("re-parse changed record count: %d != %d", len(z2.Records()), len(z.Records()))
		}
	})
}
