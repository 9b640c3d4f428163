package imap

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func dec(s string) *Decoder { return NewDecoder(newStringReader(s), nil) }

func TestDecoderTokens(t *testing.T) {
	t.Parallel()
	d := dec("tag1 SELECT \"a \\\"b\\\\\" {3}\r\nxyz NIL (a (b c)) 1:3,5:* \\Seen\r\n")
	tag, err := d.Tag()
	require.NoError(t, err)
	assert.Equal(t, "tag1", tag)
	require.NoError(t, d.SP())
	a, err := d.Atom()
	require.NoError(t, err)
	assert.Equal(t, "SELECT", a)
	require.NoError(t, d.SP())
	s, err := d.AString()
	require.NoError(t, err)
	assert.Equal(t, `a "b\`, s)
	require.NoError(t, d.SP())
	s, err = d.String()
	require.NoError(t, err)
	assert.Equal(t, "xyz", s)
	require.NoError(t, d.SP())
	_, ok, err := d.NString()
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, d.SP())
	v, err := d.ReadValue()
	require.NoError(t, err)
	assert.Equal(t, []Value{Atom("a"), []Value{Atom("b"), Atom("c")}}, v)
	require.NoError(t, d.SP())
	set, err := d.SeqSet()
	require.NoError(t, err)
	assert.Equal(t, "1:3,5:*", set.String())
	require.NoError(t, d.SP())
	f, err := d.Flag(false)
	require.NoError(t, err)
	assert.Equal(t, FlagSeen, f)
	require.NoError(t, d.CRLF())
}

func TestDecoderErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		in    string
		read  func(d *Decoder) error
		fatal bool
		kind  LimitKind
	}{
		{"quoted with CR", "\"a\rb\"", func(d *Decoder) error { _, err := d.Quoted(); return err }, false, 0},
		{"bad escape", `"\a"`, func(d *Decoder) error { _, err := d.Quoted(); return err }, false, 0},
		{"eof in quoted", `"abc`, func(d *Decoder) error { _, err := d.Quoted(); return err }, true, 0},
		{"number overflow", "99999999999", func(d *Decoder) error { _, err := d.Number(); return err }, false, 0},
		{"deep list", strings.Repeat("(", 100), func(d *Decoder) error { _, err := d.ReadValue(); return err }, false, LimitDepth},
		{"line too long", strings.Repeat("a", 70000), func(d *Decoder) error { _, err := d.Atom(); return err }, false, LimitLineLength},
		{"huge sync literal", "{99999999999}\r\n", func(d *Decoder) error { _, _, err := d.Literal(); return err }, false, LimitLiteralSize},
		{"huge nonsync literal", "{99999999999+}\r\n", func(d *Decoder) error { _, _, err := d.Literal(); return err }, true, LimitLiteralSize},
		{"huge string literal", "{99999999}\r\n", func(d *Decoder) error { _, err := d.String(); return err }, false, LimitStringSize},
		{"bad literal", "{12x}\r\n", func(d *Decoder) error { _, err := d.String(); return err }, false, 0},
		{"seqset zero", "0", func(d *Decoder) error { _, err := d.SeqSet(); return err }, false, 0},
		{"seqset empty part", "1,,2", func(d *Decoder) error { _, err := d.SeqSet(); return err }, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.read(dec(tc.in))
			require.Error(t, err)
			assert.Equal(t, tc.fatal, IsFatal(err), "%v", err)
			var le *LimitError
			if tc.kind != 0 {
				require.ErrorAs(t, err, &le)
				assert.Equal(t, tc.kind, le.Kind)
			} else {
				assert.False(t, errors.As(err, &le), "%v", err)
			}
		})
	}
}

func TestDecoderContinueAndDiscard(t *testing.T) {
	t.Parallel()
	var asked []int64
	d := dec("{3}\r\nabc junk {2+}\r\nx\ny more\r\nNEXT\r\n")
	d.Continue = func(n int64) error { asked = append(asked, n); return nil }
	s, err := d.String()
	require.NoError(t, err)
	assert.Equal(t, "abc", s)
	assert.Equal(t, []int64{3}, asked)
	require.NoError(t, d.DiscardLine())
	a, err := d.Atom()
	require.NoError(t, err)
	assert.Equal(t, "NEXT", a, "the non-synchronising literal holding a LF was skipped")
}

func TestEncoder(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	e := NewEncoder(w)
	e.Atom("*").SP().AString("INBOX").SP().AString("a b").SP().AString("nil").SP().String("x\r\ny").SP().
		NString("").SP().Mailbox("Entwürfe", false).SP().Flags([]Flag{FlagSeen, "$X"}).SP().
		DateTime(time.Date(2024, 2, 1, 10, 0, 0, 0, time.FixedZone("", 3600))).CRLF()
	require.NoError(t, e.Flush())
	assert.Equal(t, "* INBOX \"a b\" \"nil\" {4}\r\nx\r\ny NIL Entw&APw-rfe (\\Seen $X) \" 1-Feb-2024 10:00:00 +0100\"\r\n", buf.String())
}

func TestEncoderSyncLiteral(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	e := NewEncoder(bufio.NewWriter(&buf))
	waited := 0
	e.WaitContinue = func() error { waited++; return nil }
	e.Literal([]byte("ab"))
	require.NoError(t, e.Flush())
	assert.Equal(t, "{2}\r\nab", buf.String())
	assert.Equal(t, 1, waited)
	buf.Reset()
	e.LiteralPlus = true
	e.Literal([]byte("ab"))
	require.NoError(t, e.Flush())
	assert.Equal(t, "{2+}\r\nab", buf.String())
	assert.Equal(t, 1, waited)
}

func TestSeqSet(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in       string
		contains []uint32
		not      []uint32
		resolved string
	}{
		{"1", []uint32{1}, []uint32{2}, "1"},
		{"2:4", []uint32{2, 3, 4}, []uint32{1, 5}, "2:4"},
		{"4:2", []uint32{2, 3, 4}, []uint32{1, 5}, "2:4"},
		{"3:*", []uint32{3, 10}, []uint32{2}, "3:10"},
		{"*", []uint32{10}, []uint32{9}, "10"},
		{"*:8", []uint32{8, 9, 10}, []uint32{7}, "8:10"},
		{"1,3:5,4:7", []uint32{1, 3, 7}, []uint32{2, 8}, "1,3:7"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			s, err := ParseSeqSet(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.in, s.String())
			for _, n := range tc.contains {
				assert.True(t, s.Contains(n, 10), "%d", n)
			}
			for _, n := range tc.not {
				assert.False(t, s.Contains(n, 10), "%d", n)
			}
			assert.Equal(t, tc.resolved, s.Resolve(10).String())
		})
	}
	for _, bad := range []string{"", "0", "a", "1:", ":2", "01", "1:2:3", "99999999999", "1,"} {
		_, err := ParseSeqSet(bad)
		assert.Error(t, err, bad)
	}
	assert.Equal(t, "1:3,5", SeqSetOf(1, 2, 3, 5).String())
}

func TestMailboxUTF7(t *testing.T) {
	t.Parallel()
	cases := []struct{ utf8, mutf7 string }{
		{"INBOX", "INBOX"},
		{"Entwürfe", "Entw&APw-rfe"},
		{"a&b", "a&-b"},
		{"~peter/mail/日本語/台北", "~peter/mail/&ZeVnLIqe-/&U,BTFw-"},
		{"😀", "&2D3eAA-"},
		{"", ""},
	}
	for _, tc := range cases {
		t.Run(tc.mutf7, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.mutf7, EncodeMailbox(tc.utf8))
			got, err := DecodeMailbox(tc.mutf7)
			require.NoError(t, err)
			assert.Equal(t, tc.utf8, got)
		})
	}
	for _, bad := range []string{"&", "&AGE", "&AGE-&AGE-", "&AGEAYQ-", "&2D0-", "é", "&AAA-x", "&ZeV-"} {
		_, err := DecodeMailbox(bad)
		assert.ErrorIs(t, err, ErrBadMailboxName, bad)
	}
}

func TestFetchOptionsParse(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, out string }{
		{"FAST", "(FLAGS INTERNALDATE RFC822.SIZE)"},
		{"ALL", "(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)"},
		{"FULL", "(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)"},
		{"(uid body.peek[1.2.mime] BODY[]<0.100>)", "(UID BODY.PEEK[1.2.MIME] BODY[]<0.100>)"},
		{"(BODY.PEEK[HEADER.FIELDS.NOT (From \"To\")])", "(BODY.PEEK[HEADER.FIELDS.NOT (From To)])"},
		{"(RFC822.HEADER RFC822 BODYSTRUCTURE)", "(BODYSTRUCTURE RFC822.HEADER RFC822)"},
		{"BODY[3.TEXT]", "(BODY[3.TEXT])"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			o, err := dec(tc.in + "\r\n").FetchOptions()
			require.NoError(t, err)
			assert.Equal(t, tc.out, o.String())
		})
	}
	for _, bad := range []string{"(ALL)", "BODY[MIME]", "BODY[0]", "BODY[TEXT]<1.0>", "(FLAGS", "BOGUS", "BODY.PEEK", "BODY[HEADER.FIELDS ()]", "BINARY[1.TEXT]"} {
		_, err := dec(bad + "\r\n").FetchOptions()
		assert.Error(t, err, bad)
	}
	s, err := ParseFetchSectionName("BODY[1.HEADER]<10>")
	require.NoError(t, err)
	assert.Equal(t, []int{1}, s.Part)
	assert.Equal(t, int64(10), s.Partial.Offset)
	assert.Equal(t, "BODY[1.HEADER]<10>", s.Name())
}

func TestSearchParseAndString(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, out string }{
		{"ALL", "ALL"},
		{"UNSEEN FROM alice", "FROM alice UNSEEN"},
		{"CHARSET UTF-8 SUBJECT \"hello world\"", `SUBJECT "hello world"`},
		{"OR SEEN FLAGGED", "OR (SEEN) (FLAGGED)"},
		{"NOT (DELETED) 1:5 UID 3", "1:5 UID 3 NOT (DELETED)"},
		{"SINCE 1-Feb-2024 BEFORE \"3-Feb-2024\"", "SINCE 1-Feb-2024 BEFORE 3-Feb-2024"},
		{"ON 1-Feb-2024", "SINCE 1-Feb-2024 BEFORE 2-Feb-2024"},
		{"LARGER 10 SMALLER 1000 KEYWORD $X NEW", "KEYWORD $X RECENT UNSEEN LARGER 10 SMALLER 1000"},
		{"HEADER X-Spam yes BODY b TEXT t", "HEADER X-Spam yes BODY b TEXT t"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			c, _, err := dec(tc.in + "\r\n").SearchCriteria()
			require.NoError(t, err)
			assert.Equal(t, tc.out, c.String())
			again, _, err := dec(c.String() + "\r\n").SearchCriteria()
			require.NoError(t, err)
			assert.Equal(t, c.String(), again.String())
		})
	}
	for _, bad := range []string{"", "BOGUS", "SINCE yesterday", "OR SEEN", "NOT", "(SEEN", "LARGER x"} {
		_, _, err := dec(bad + "\r\n").SearchCriteria()
		assert.Error(t, err, bad)
	}
}

const testMsg = "From: \"Jöhn\" <john@example.test>\r\nTo: a@example.test, Team: b@example.test, c@example.test;\r\n" +
	"Subject: test\r\nDate: Mon, 2 Jan 2006 15:04:05 +0000\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b1\r\n\r\npreamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\n" +
	"Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=m.eml\r\n\r\nSubject: inner\r\nFrom: x@example.test\r\n\r\ninner body\r\n--b1--\r\n"

func TestMessage(t *testing.T) {
	t.Parallel()
	m := ParseMessage([]byte(testMsg))
	env := m.Envelope()
	assert.Equal(t, "test", env.Subject)
	require.Len(t, env.From, 1)
	assert.Equal(t, "=?utf-8?b?SsO2aG4=?=", env.From[0].Name)
	assert.Equal(t, env.From, env.Sender)
	require.Len(t, env.To, 5)
	assert.Equal(t, Address{Mailbox: "Team"}, env.To[1])
	assert.Equal(t, Address{}, env.To[4])

	bs := m.BodyStructure()
	require.True(t, bs.IsMultipart())
	require.Len(t, bs.Children, 2)
	assert.Equal(t, "us-ascii", bs.Children[0].Params["charset"])
	inner := bs.Children[1]
	assert.Equal(t, "message", inner.Type)
	assert.Equal(t, "attachment", inner.Disposition)
	require.NotNil(t, inner.Envelope)
	assert.Equal(t, "inner", inner.Envelope.Subject)

	sec := func(spec string) string {
		s, err := ParseFetchSectionName("BODY[" + spec + "]")
		require.NoError(t, err)
		b, ok := m.Section(s)
		if !ok {
			return "<none>"
		}
		return string(b)
	}
	assert.Equal(t, "hello", sec("1"))
	assert.Equal(t, "Content-Type: text/plain\r\n\r\n", sec("1.MIME"))
	assert.Equal(t, "Subject: inner\r\nFrom: x@example.test\r\n\r\n", sec("2.HEADER"))
	assert.Equal(t, "inner body", sec("2.TEXT"))
	assert.Equal(t, "inner body", sec("2.1"))
	assert.Equal(t, "Subject: inner\r\n\r\n", sec("2.HEADER.FIELDS (SUBJECT)"))
	assert.Equal(t, "Subject: test\r\n\r\n", sec("HEADER.FIELDS (subject)"))
	assert.Equal(t, "<none>", sec("3"))
	assert.Equal(t, "<none>", sec("1.HEADER"))
	assert.Equal(t, testMsg, sec(""))
	assert.Equal(t, "llo", string(ApplyPartial([]byte("hello"), &Partial{Offset: 2, Count: 10})))
	assert.Empty(t, ApplyPartial([]byte("hello"), &Partial{Offset: 20, Count: 1}))

	var buf bytes.Buffer
	e := NewEncoder(bufio.NewWriter(&buf))
	e.BodyStructure(bs, true)
	require.NoError(t, e.Flush())
	v, err := dec(buf.String()).ReadValue()
	require.NoError(t, err)
	back, err := BodyStructureFromValue(v)
	require.NoError(t, err)
	assert.Equal(t, "mixed", back.Subtype)
	assert.Equal(t, "inner", back.Children[1].Envelope.Subject)
	assert.Equal(t, "m.eml", back.Children[1].DispositionParams["filename"])
}

func TestSearchMatch(t *testing.T) {
	t.Parallel()
	// A SearchTarget caches decoded text and is not safe for concurrent
	// use, so each parallel subtest gets its own.
	newTarget := func() *SearchTarget {
		target := &SearchTarget{SeqNum: 2, UID: 20, MaxSeqNum: 3, MaxUID: 30, Flags: []Flag{FlagSeen},
			InternalDate: time.Date(2024, 2, 1, 12, 0, 0, 0, time.UTC)}
		ParseMessage([]byte(testMsg)).SearchTarget(target)
		return target
	}
	cases := []struct {
		crit string
		want bool
	}{
		{"ALL", true},
		{"SEEN", true},
		{"UNSEEN", false},
		{"FROM john", true},
		{"TO team", true},
		{"SUBJECT nope", false},
		{"BODY \"INNER BODY\"", true},
		{`TEXT "JÖHN"`, true},
		{"SINCE 1-Feb-2024", true},
		{"BEFORE 1-Feb-2024", false},
		{"ON 1-Feb-2024", true},
		{"SENTON 2-Jan-2006", true},
		{"SENTSINCE 3-Jan-2006", false},
		{"2 UID 20", true},
		{"*", false},
		{"UID 21:*", false},
		{"LARGER 100 SMALLER 100000", true},
		{"OR UNSEEN FROM john", true},
		{"NOT FROM john", false},
	}
	for _, tc := range cases {
		t.Run(tc.crit, func(t *testing.T) {
			t.Parallel()
			c, _, err := dec(tc.crit + "\r\n").SearchCriteria()
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.Match(newTarget()))
		})
	}
}

func TestSearchDecodes(t *testing.T) {
	t.Parallel()
	msg := "From: =?iso-8859-1?q?J=F6rg?= <jorg@example.test>\r\n" +
		"To: <@relay.example:rcpt@example.test>\r\n" +
		"Subject: =?utf-8?b?R3LDvMOfZQ==?= und mehr\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"U2Now7ZuZW4gR3LDvMOfZSBhdXMgQmFzZTY0\r\n" +
		"--b\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"<p>Caf=E9 cr=\r\n=E8me</p>\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"c2VjcmV0IGF0dGFjaG1lbnQ=\r\n" +
		"--b--\r\n"
	m := ParseMessage([]byte(msg))
	env := m.Envelope()
	require.Len(t, env.To, 1)
	assert.Equal(t, Address{Route: "@relay.example", Mailbox: "rcpt", Host: "example.test"}, env.To[0])

	cases := []struct {
		crit string
		want bool
	}{
		{`SUBJECT "grüße"`, true},
		{`SUBJECT "GRÜSSE"`, false},
		{`SUBJECT "UND MEHR"`, true},
		{`SUBJECT "=?utf-8?b?"`, false},
		{`FROM "jörg"`, true},
		{`HEADER FROM "JÖRG"`, true},
		{`BODY "schönen grüße aus base64"`, true},
		{`BODY "U2Now7ZuZW4"`, false}, // the base64 text itself is not searched
		{`BODY "café crème"`, true},   // QP soft line break and Latin-1 decoded
		{`BODY "Caf=E9"`, false},
		{`BODY "secret attachment"`, false}, // attachments are not searched
		{`TEXT "grüße aus"`, true},
		{`TEXT "jörg"`, true},
		{`NOT BODY "crème"`, false},
		{`OR BODY "nothing" TEXT "crème"`, true},
	}
	for _, tc := range cases {
		t.Run(tc.crit, func(t *testing.T) {
			t.Parallel()
			target := &SearchTarget{SeqNum: 1, UID: 1, MaxSeqNum: 1, MaxUID: 1}
			m.SearchTarget(target)
			c, _, err := dec(tc.crit + "\r\n").SearchCriteria()
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.Match(target))
			// A target filled by hand (no parsed Message) decodes too.
			hand := &SearchTarget{SeqNum: 1, UID: 1, MaxSeqNum: 1, MaxUID: 1, Header: m.Header(), Body: m.Body()}
			assert.Equal(t, tc.want, c.Match(hand))
		})
	}
}

func TestEnvelopeRouteRoundTrip(t *testing.T) {
	t.Parallel()
	m := ParseMessage([]byte("From: Someone <@a.example,@b.example:user@example.test>, plain@example.test,\r\n" +
		" \"Q\" (comment) < @c.example : other@example.test >\r\nSubject: x\r\n\r\nbody\r\n"))
	env := m.Envelope()
	require.Len(t, env.From, 3)
	assert.Equal(t, "@a.example,@b.example", env.From[0].Route)
	assert.Equal(t, "", env.From[1].Route)
	assert.Equal(t, "@c.example", env.From[2].Route)
	assert.Equal(t, "other", env.From[2].Mailbox)

	var buf bytes.Buffer
	e := NewEncoder(bufio.NewWriter(&buf))
	e.Envelope(env)
	require.NoError(t, e.Flush())
	assert.Contains(t, buf.String(), `("Someone" "@a.example,@b.example" "user" "example.test")`)
	v, err := dec(buf.String() + "\r\n").ReadValue()
	require.NoError(t, err)
	back, err := EnvelopeFromValue(v)
	require.NoError(t, err)
	assert.Equal(t, env.From, back.From)
}

func TestDecoderLimitsSpanLiterals(t *testing.T) {
	t.Parallel()
	t.Run("nesting depth carries over literal line breaks", func(t *testing.T) {
		t.Parallel()
		var sb strings.Builder
		for i := 0; i < 40; i++ {
			sb.WriteString("({0}\r\n ")
		}
		_, err := NewDecoder(newStringReader(sb.String()+"\r\n"), &Limits{MaxDepth: 32}).ReadValue()
		var le *LimitError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, LimitDepth, le.Kind)
	})
	t.Run("line length counts the whole command", func(t *testing.T) {
		t.Parallel()
		seg := "(" + strings.Repeat("a ", 300) + "{0}\r\n "
		_, err := NewDecoder(newStringReader("("+strings.Repeat(seg, 10)+"\r\n"), &Limits{MaxLineLength: 2000}).ReadValue()
		var le *LimitError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, LimitLineLength, le.Kind)
	})
	t.Run("in-memory literals per line", func(t *testing.T) {
		t.Parallel()
		lit := "{100+}\r\n" + strings.Repeat("x", 100)
		d := NewDecoder(newStringReader("("+strings.Repeat(lit+" ", 20)+")\r\nnext\r\n"), &Limits{MaxLineLiterals: 1000})
		_, err := d.ReadValue()
		var le *LimitError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, LimitLineLiterals, le.Kind)
		assert.True(t, le.Fatal, "non-synchronising data is on its way")
		// Within the budget, a new line starts from zero.
		nine := "(" + strings.TrimSuffix(strings.Repeat(lit+" ", 9), " ") + ")\r\n"
		d = NewDecoder(newStringReader(nine+nine), &Limits{MaxLineLiterals: 1000})
		for i := 0; i < 2; i++ {
			_, err = d.ReadValue()
			require.NoError(t, err)
			require.NoError(t, d.CRLF())
		}
	})
}
