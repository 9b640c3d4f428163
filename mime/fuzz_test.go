package mime

import (
	"bytes"
	"io"
	"os"
	"testing"
)

func FuzzHeaderField(f *testing.F) {
	for _, s := range []string{"Subject: hi\r\n\r\n", "X: a\r\n b\r\n\r\nbody", "bad line\r\nA:\r\n\r\n", "From x\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseBytes(b, nil)
		if err != nil {
			return
		}
		for _, fl := range p.Header.Fields() {
			_ = fl.Value()
			_, _ = fl.Text()
		}
		var buf bytes.Buffer
		if _, err := p.WriteTo(&buf); err != nil || !bytes.Equal(buf.Bytes(), b) {
			t.Fatalf("round trip differs")
		}
	})
}

func FuzzEncodedWords(f *testing.F) {
	for _, s := range []string{"=?utf-8?q?caf=C3=A9?=", "=?ISO-8859-1?B?SWYgeW91?= x", "=?utf-7?q?+AOk-?=", "=?x?q??=", "a =?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = DecodeHeader(s)
		enc := EncodeHeader("Subject", s)
		for _, line := range bytes.Split([]byte(enc), []byte("\r\n")) {
			if len(line) > 998 {
				t.Fatalf("line too long")
			}
		}
	})
}

func FuzzParams(f *testing.F) {
	for _, s := range []string{"text/plain; charset=utf-8", "attachment; filename*0*=utf-8''%C3%A9; filename*1=x", `a/b; x="unterminated`, "a/b; name*=bad''%ZZ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mt, params, _ := ParseMediaType(s)
		if mt == "" || !validMediaType(mt) {
			return
		}
		// what we format parses back to the same parameters
		out := formatMediaType(mt, params)
		_, p2, err := ParseMediaType(unfold([]byte(out)))
		if err != nil {
			return
		}
		for k, v := range params {
			if p2[k] != v && !bytes.ContainsAny([]byte(v), "\r\n") {
				t.Fatalf("param %q: %q -> %q (%s)", k, v, p2[k], out)
			}
		}
	})
}

func FuzzAddressList(f *testing.F) {
	for _, s := range []string{"A <a@b>, c@d", "g: a@b, c@d;", `"x\" y" <q@r>`, "=?utf-8?q?J=C3=B6rg?= <j@x>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseAddressList(s)
		_, _ = ParseMessageIDs(s)
	})
}

func FuzzDate(f *testing.F) {
	for _, s := range []string{"Tue, 1 Jul 2003 10:52:37 +0200", "1 Jul 03 10:52 EST", "Sun Nov 13 14:50:12 2005", "2006-01-02T15:04:05Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		d2, err := ParseDate(FormatDate(d))
		if err != nil || !d2.Equal(d.Truncate(1e9)) {
			t.Fatalf("%q -> %v -> %v %v", s, d, d2, err)
		}
	})
}

func FuzzMessage(f *testing.F) {
	for _, name := range []string{"mime4j/testmsgs/missing-inner-boundary.msg", "enmime/testdata/parts/extra-base64-character.raw",
		"mime4j/testmsgs/base64encoded-rfc822message-nested.msg", "cpython/msg_29.txt"} {
		if b, err := os.ReadFile("testdata/corpus/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lim := &Options{Limits: Limits{MaxDecodedSize: 1 << 22, MaxParts: 200, MaxDepth: 20}}
		root, err := ParseBytes(b, lim)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if _, err := root.WriteTo(&buf); err != nil || !bytes.Equal(buf.Bytes(), b) {
			t.Fatalf("round trip differs")
		}
		var treeBodies [][]byte
		var treeTypes []string
		_ = root.Walk(func(p *Part) error {
			if !(p.Start <= p.BodyStart && p.BodyStart <= p.BodyEnd && p.BodyEnd <= p.End) {
				t.Fatalf("%s: offsets %d %d %d %d out of order", p.MediaType, p.Start, p.BodyStart, p.BodyEnd, p.End)
			}
			d, err := p.Bytes()
			if err != nil || p.IsMultipart() || isMessageType(p.MediaType) {
				d = nil // compare leaves only
			}
			treeBodies = append(treeBodies, d)
			treeTypes = append(treeTypes, p.MediaType)
			return nil
		})
		// The streaming reader sees the body in other chunks than the
		// tree (one slice): the decoded bodies must not differ.
		// Then the same Reader again, Reset onto a reader delivering 1-7
		// bytes per call (lines and delimiters split anywhere).
		rd := NewReader(bytes.NewReader(b), lim)
		for pass := 0; pass < 2; pass++ {
			if pass == 1 {
				rd.Reset(&stutterReader{r: bytes.NewReader(b)})
			}
			for i := 0; ; i++ {
				p, err := rd.NextPart()
				if err != nil {
					break
				}
				d, err := io.ReadAll(p.Body)
				if err == nil && i < len(treeBodies) && treeBodies[i] != nil && treeTypes[i] == p.MediaType && !bytes.Equal(d, treeBodies[i]) {
					t.Fatalf("pass %d part %d: streamed body %q, tree body %q", pass, i, d, treeBodies[i])
				}
			}
		}
	})
}

// FuzzFastContentType: the allocation-free Content-Type reader agrees with
// ParseMediaType whenever it accepts a value.
func FuzzFastContentType(f *testing.F) {
	for _, s := range []string{"text/plain; charset=utf-8", "multipart/mixed;\r\n\tboundary=\"----=_Part_1\"", "Text/HTML; Charset=\"ISO-8859-1\"",
		"a/b; boundary=x; boundary=y", "multipart/alternative; boundary=abc (c)", "text/plain; charset='utf-8'", " ", "a/b;;c=d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkFastContentType(t, s)
	})
}

func checkFastContentType(t *testing.T, s string) {
	t.Helper()
	mt, cs, bnd, empty, ok := fastContentType([]byte(s))
	if !ok {
		return
	}
	if empty {
		if unfold([]byte(s)) != "" {
			t.Fatalf("%q: empty, unfolded %q", s, unfold([]byte(s)))
		}
		return
	}
	wmt, params, err := ParseMediaType(unfold([]byte(s)))
	if err != nil {
		t.Fatalf("%q: fast path accepted, ParseMediaType: %v", s, err)
	}
	if mt != wmt || cs != normCharset(params["charset"]) || string(bnd) != params["boundary"] {
		t.Fatalf("%q: fast %q %q %q, ParseMediaType %q %q %q", s, mt, cs, bnd, wmt, normCharset(params["charset"]), params["boundary"])
	}
}
