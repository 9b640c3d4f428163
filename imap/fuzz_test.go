package imap

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

func smallLimits() *Limits {
	return &Limits{MaxLineLength: 4096, MaxLiteralSize: 1 << 16, MaxStringSize: 4096, MaxDepth: 16}
}

// FuzzReadValue parses arbitrary response data as generic values; what
// parses must re-encode and parse to the same thing.
func FuzzReadValue(f *testing.F) {
	for _, s := range []string{
		`(UID 1 FLAGS (\Seen) BODY[HEADER.FIELDS (A B)]<0> {3}` + "\r\nabc)",
		`("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 7 1 NIL NIL NIL NIL)`,
		`(("a" "b" NIL NIL NIL "7BIT" 1 1)("a" "b" NIL NIL NIL "7BIT" 1 1) "MIXED")`,
		`"quoted \" string"`, `NIL`, `{5+}` + "\r\nhello", `\*`, `((((()))))`,
		`(BINARY[1] ~{3}` + "\r\na\x00b BINARY.SIZE[1] 3)", "~{2+}\r\n\x00\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := NewDecoder(bufio.NewReader(strings.NewReader(s)), smallLimits())
		v, err := d.ReadValue()
		if err != nil {
			return
		}
		_, _ = EnvelopeFromValue(v)
		_, _ = BodyStructureFromValue(v)
	})
}

// FuzzCommand runs the command-argument parsers the server uses.
func FuzzCommand(f *testing.F) {
	for _, s := range []string{
		"1:* (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (From)]<0.10>)\r\n",
		"FAST\r\n", "BODY[]\r\n",
		"CHARSET UTF-8 OR (FROM a) NOT SEEN UID 1:5 SINCE 1-Jan-2024\r\n",
		"HEADER X y LARGER 5\r\n",
		"(BINARY[1]<0.10> BINARY.PEEK[2.1] BINARY.SIZE[] BINARY.SIZE[3])\r\n",
		"BINARY.PEEK[1.TEXT]\r\n", "(BINARY.SIZE[1]<0.1>)\r\n",
		// CONDSTORE (RFC 7162): MODSEQ item and search key, modifiers.
		"(FLAGS MODSEQ)\r\n", "MODSEQ\r\n",
		"MODSEQ \"/flags/\\\\draft\" all 620162338 UNSEEN\r\n",
		"OR MODSEQ 0 NOT MODSEQ 9223372036854775807 MODSEQ 5\r\n",
		"(CHANGEDSINCE 12345)\r\n", "(CHANGEDSINCE 1 VANISHED)\r\n",
		"(QRESYNC (67890007 20050715194045000 41,43:211,214:541 (1:5 1:*)))\r\n",
		"(CONDSTORE QRESYNC (1 2 3:*))\r\n", "(UNCHANGEDSINCE 0)\r\n", "(CONDSTORE)\r\n", "()\r\n",
		// SEARCHRES (RFC 5182): "$" as a key, also under NOT and OR.
		"$ UID $ NOT $ OR $ 1:*\r\n", "$1\r\n", "UID $,1\r\n", "*:4294967295 $\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := NewDecoder(bufio.NewReader(strings.NewReader(s)), smallLimits())
		if o, err := d.FetchOptions(); err == nil {
			again, err := NewDecoder(bufio.NewReader(strings.NewReader(o.String()+"\r\n")), nil).FetchOptions()
			if err != nil || again.String() != o.String() {
				t.Fatalf("fetch %q -> %q -> %v %v", s, o.String(), again, err)
			}
		}
		d = NewDecoder(bufio.NewReader(strings.NewReader(s)), smallLimits())
		if c, _, err := d.SearchCriteria(); err == nil {
			again, _, err := NewDecoder(bufio.NewReader(strings.NewReader(c.String()+"\r\n")), nil).SearchCriteria()
			if err != nil || again.String() != c.String() {
				t.Fatalf("search %q -> %q -> %v", s, c.String(), err)
			}
		}
		d = NewDecoder(bufio.NewReader(strings.NewReader(s)), smallLimits())
		if o := (&FetchOptions{}); d.FetchModifiers(o) == nil && o.ChangedSince != 0 {
			ms := strings.TrimPrefix(o.FetchModifiersString(), " ")
			again := &FetchOptions{}
			err := NewDecoder(bufio.NewReader(strings.NewReader(ms+"\r\n")), nil).FetchModifiers(again)
			if err != nil || again.ChangedSince != o.ChangedSince || !again.ModSeq || again.Vanished != o.Vanished {
				t.Fatalf("fetch modifiers %q -> %q -> %v %v", s, ms, again, err)
			}
		}
		d = NewDecoder(bufio.NewReader(strings.NewReader(s)), smallLimits())
		if sf := (&StoreFlags{}); d.StoreModifiers(sf) == nil && sf.UnchangedSince != nil && *sf.UnchangedSince > 1<<63-1 {
			t.Fatalf("UNCHANGEDSINCE %d beyond 63 bits", *sf.UnchangedSince)
		}
		d = NewDecoder(bufio.NewReader(strings.NewReader(s)), smallLimits())
		if so := (&SelectOptions{}); d.SelectParams(so) == nil && so.QResync != nil {
			q := so.QResync.String()
			again := &SelectOptions{}
			err := NewDecoder(bufio.NewReader(strings.NewReader("("+q+")\r\n")), nil).SelectParams(again)
			if err != nil || again.QResync == nil || again.QResync.String() != q {
				t.Fatalf("select params %q -> %q -> %v", s, q, err)
			}
		}
		d = NewDecoder(bufio.NewReader(strings.NewReader(s)), smallLimits())
		for i := 0; i < 50; i++ {
			if _, err := d.AString(); err != nil {
				if IsFatal(err) || d.DiscardLine() != nil {
					return
				}
			}
			d.Accept(' ')
		}
	})
}

// FuzzSeqSet checks that parse and String round-trip.
func FuzzSeqSet(f *testing.F) {
	for _, s := range []string{"1", "1:*", "*:4,7", "1,2,3:5", "$", "*:4294967295", "4294967295:*", "$,1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseSeqSet(s)
		if err != nil {
			return
		}
		again, err := ParseSeqSet(set.String())
		if err != nil || again.String() != set.String() {
			t.Fatalf("%q -> %q -> %v", s, set.String(), err)
		}
		_ = set.Resolve(100)
	})
}

// FuzzMailbox checks the modified UTF-7 codec.
func FuzzMailbox(f *testing.F) {
	for _, s := range []string{"INBOX", "Entw&APw-rfe", "&-", "&2D3eAA-", "~peter/mail/&ZeVnLIqe-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if u, err := DecodeMailbox(s); err == nil {
			if EncodeMailbox(u) != s {
				t.Fatalf("%q decodes to %q which encodes to %q", s, u, EncodeMailbox(u))
			}
		}
		enc := EncodeMailbox(s)
		noControls := !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
		if _, err := DecodeMailbox(enc); err != nil && strings.ToValidUTF8(s, "\uFFFD") == s && noControls {
			t.Fatalf("encoding of %q (%q) does not decode: %v", s, enc, err)
		}
	})
}

// FuzzMessage computes ENVELOPE, BODYSTRUCTURE and sections of arbitrary
// messages and writes them.
func FuzzMessage(f *testing.F) {
	f.Add(testMsg)
	f.Add("Subject: x\r\n\r\nbody")
	f.Add("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\r\nx\r\n--a--")
	f.Add(binaryTestMsg)
	f.Add("Content-Transfer-Encoding: quoted-printable\r\n\r\na=\r\nb=3D=0=\r")
	f.Fuzz(func(t *testing.T, s string) {
		m := ParseMessage([]byte(s))
		var buf bytes.Buffer
		e := NewEncoder(bufio.NewWriter(&buf))
		e.Envelope(m.Envelope()).SP().BodyStructure(m.BodyStructure(), true)
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		v, err := NewDecoder(bufio.NewReader(&buf), &Limits{MaxDepth: 200, MaxLineLength: 1 << 20}).ReadValue()
		if err != nil {
			t.Fatalf("own envelope does not parse: %v", err)
		}
		if _, err := EnvelopeFromValue(v); err != nil {
			t.Fatalf("own envelope invalid: %v", err)
		}
		for _, spec := range []string{"", "1", "1.2", "TEXT", "HEADER", "1.MIME", "2.HEADER.FIELDS (A)"} {
			sec, err := ParseFetchSectionName("BODY[" + spec + "]")
			if err != nil {
				t.Fatal(err)
			}
			_, _ = m.Section(sec)
		}
		for _, part := range [][]int{nil, {1}, {2}, {1, 1}, {2, 1, 1}} {
			data, err := m.BinarySection(part)
			if err == nil && len(part) == 0 && !bytes.Equal(data, m.Raw()) {
				t.Fatal("BINARY[] is not the message")
			}
		}
	})
}

// FuzzBinarySizeName checks that BINARY.SIZE item names parse and format
// back to the same name.
func FuzzBinarySizeName(f *testing.F) {
	for _, s := range []string{"BINARY.SIZE[]", "binary.size[1.2.3]", "BINARY.SIZE[0]", "BINARY.SIZE[1.TEXT]", "BINARY.SIZE[1]<0>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		part, err := ParseBinarySizeName(s)
		if err != nil {
			return
		}
		again, err := ParseBinarySizeName(BinarySizeName(part))
		if err != nil || BinarySizeName(again) != BinarySizeName(part) {
			t.Fatalf("%q -> %q -> %v", s, BinarySizeName(part), err)
		}
	})
}

// FuzzEncodeBinaryParts converts arbitrary messages as a literal8 APPEND
// does; a converted message needs no second conversion.
func FuzzEncodeBinaryParts(f *testing.F) {
	f.Add(binaryTestMsg)
	f.Add("Content-Transfer-Encoding: binary\r\n\r\n\x00\xff\r\n")
	f.Add("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\x00\r\n--b\r\nContent-Transfer-Encoding: binary\r\n\r\ny\r\n--b--\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		out, changed := EncodeBinaryParts([]byte(s))
		if !changed {
			if string(out) != s {
				t.Fatal("unchanged message was modified")
			}
			return
		}
		if again, changed := EncodeBinaryParts(out); changed {
			t.Fatalf("%q converts to %q, which converts again to %q", s, out, again)
		}
	})
}
