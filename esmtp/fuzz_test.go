package esmtp

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzParseEHLOReply(f *testing.F) {
	f.Add([]byte(scenario2))
	f.Add([]byte("250-mx\r\n250-AUTH=PLAIN LOGIN\r\n250 SIZE\r\n"))
	f.Add([]byte("250 x\n"))
	f.Add([]byte("250-a\r\n251 b\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := ParseEHLOReply(in)
		if err != nil {
			if !errors.Is(err, ErrEHLOSyntax) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		_, _ = c.Size()
		_ = c.AuthMechanisms()
		// Writing the capabilities and parsing them again is stable.
		out := c.AppendReply(nil)
		c2, err := ParseEHLOReply(out)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		if !bytes.Equal(c2.AppendReply(nil), out) {
			t.Fatalf("unstable: %q vs %q", c2.AppendReply(nil), out)
		}
	})
}

func FuzzParseParams(f *testing.F) {
	for _, s := range []string{
		"SIZE=35651584 BODY=8BITMIME", "RET=HDRS ENVID=QQ+2B1 SMTPUTF8 AUTH=<> REQUIRETLS",
		"NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bb@example.com", "X-FOO=ü", "SIZE==1", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseParams(s)
		if err != nil {
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Code == 0 {
				t.Fatalf("untyped error %v", err)
			}
		}
		if len(ps) > MaxParams {
			t.Fatalf("too many params")
		}
		if mp, err := ParseMailParams(s, nil, nil); err == nil {
			again, err := ParseMailParams(mp.String(), nil, nil)
			if err != nil {
				t.Fatalf("mail params %q -> %q: %v", s, mp.String(), err)
			}
			if again.String() != mp.String() {
				t.Fatalf("unstable %q vs %q", again.String(), mp.String())
			}
		}
		if rp, err := ParseRcptParams(s, nil, nil); err == nil {
			again, err := ParseRcptParams(rp.String(), nil, nil)
			if err != nil {
				t.Fatalf("rcpt params %q -> %q: %v", s, rp.String(), err)
			}
			if again.String() != rp.String() {
				t.Fatalf("unstable %q vs %q", again.String(), rp.String())
			}
		}
	})
}

func FuzzXtext(f *testing.F) {
	f.Add("a+2Bb", "a b=c")
	f.Fuzz(func(t *testing.T, enc, plain string) {
		if d, err := DecodeXtext(enc); err == nil {
			if _, err := DecodeXtext(EncodeXtext(d)); err != nil {
				t.Fatal(err)
			}
		}
		d, err := DecodeXtext(EncodeXtext(plain))
		if err != nil || d != plain {
			t.Fatalf("round trip %q -> %q, %v", plain, d, err)
		}
	})
}

func FuzzParseEnhancedCode(f *testing.F) {
	f.Add("5.1.1 user unknown")
	f.Add("2.0.0")
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := ParseEnhancedCode(s); err == nil && (c.String() != s || !c.Valid()) {
			t.Fatalf("%q -> %v", s, c)
		}
		if c, rest, ok := SplitEnhancedCode(s); ok {
			if !c.Valid() || len(rest) >= len(s) {
				t.Fatalf("split %q -> %v %q", s, c, rest)
			}
		}
	})
}

func FuzzParseReport(f *testing.F) {
	b, err := sampleReport().Bytes()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; a\r\n\r\nFinal-Recipient: rfc822; b@c\r\nAction: failed\r\nStatus: 5.0.0\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := ParseReport(in)
		if err != nil {
			if !errors.Is(err, ErrNotReport) && !errors.Is(err, ErrReportSyntax) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(r.Recipients) > MaxReportRecipients {
			t.Fatal("too many recipients")
		}
	})
}
