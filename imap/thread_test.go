package imap_test

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
)

// tmsg builds thread input: seq, sent hour, Message-ID, References,
// In-Reply-To, Subject.
func tmsg(seq uint32, hour int, id, refs, irt, subj string) imap.SortData {
	return imap.SortData{
		SeqNum: seq, UID: seq * 10,
		InternalDate: time.Date(2008, 2, 22, hour, 0, 0, 0, time.UTC),
		MessageID:    id, References: refs, InReplyTo: irt, Subject: subj,
	}
}

func TestThreadReferences(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		msgs []imap.SortData
		want string
	}{
		{"single", []imap.SortData{tmsg(1, 1, "<a@x>", "", "", "")}, "(1)"},
		{"chain", []imap.SortData{
			tmsg(1, 1, "<a@x>", "", "", ""),
			tmsg(2, 2, "<b@x>", "<a@x>", "", ""),
			tmsg(3, 3, "<c@x>", "<a@x> <b@x>", "", ""),
		}, "(1 2 3)"},
		{"branches sorted by date", []imap.SortData{
			tmsg(1, 1, "<a@x>", "", "", ""),
			tmsg(2, 5, "<b@x>", "<a@x>", "", ""),
			tmsg(3, 3, "<c@x>", "<a@x>", "", ""),
			tmsg(4, 4, "<d@x>", "<a@x> <c@x>", "", ""),
		}, "(1 (3 4)(2))"},
		{"in-reply-to when no references", []imap.SortData{
			tmsg(1, 1, "<a@x>", "", "", ""),
			tmsg(2, 2, "<b@x>", "", "<a@x> <zzz@x>", ""),
		}, "(1 2)"},
		{"references win over in-reply-to", []imap.SortData{
			tmsg(1, 1, "<a@x>", "", "", ""),
			tmsg(2, 2, "<b@x>", "", "", ""),
			tmsg(3, 3, "<c@x>", "<b@x>", "<a@x>", ""),
		}, "(1)(2 3)"},
		{"roots sorted by date then seq", []imap.SortData{
			tmsg(1, 9, "<a@x>", "", "", ""),
			tmsg(2, 3, "<b@x>", "", "", ""),
			tmsg(3, 3, "<c@x>", "", "", ""),
		}, "(2)(3)(1)"},
		{"loop is not made and old parent link is broken", []imap.SortData{
			tmsg(1, 17, "<a@b>", "", "", ""),
			tmsg(2, 15, "<b@b>", "<a@b> <c@b>", "", ""),
			tmsg(3, 16, "<c@b>", "<b@b>", "", ""),
		}, "(3 2)(1)"},
		{"words outside angle brackets are no ids", []imap.SortData{
			tmsg(1, 1, "<a@x>", "", "Your message of Tue", ""),
			tmsg(2, 2, "<b@x>", "", "Your message of Wed", ""),
			tmsg(3, 3, "Your", "", "", ""),
		}, "(1)(2)(3)"},
		{"self reference", []imap.SortData{tmsg(1, 1, "<a@x>", "<a@x>", "", "")}, "(1)"},
		{"duplicate message-id gets its own", []imap.SortData{
			tmsg(1, 1, "<a@x>", "", "", ""),
			tmsg(2, 2, "<a@x>", "", "", ""),
			tmsg(3, 3, "<c@x>", "<a@x>", "", ""),
		}, "(1 3)(2)"},
		{"no message-ids", []imap.SortData{
			tmsg(1, 1, "", "", "", ""),
			tmsg(2, 2, "garbage", "", "", ""),
		}, "(1)(2)"},
		{"root dummy with two children stays", []imap.SortData{
			tmsg(1, 1, "", "<gone@x>", "", ""),
			tmsg(2, 2, "", "<gone@x>", "", ""),
		}, "((1)(2))"},
		{"root dummy with one child is promoted", []imap.SortData{
			tmsg(1, 1, "<b@x>", "<gone@x>", "", ""),
			tmsg(2, 2, "<c@x>", "<b@x>", "", ""),
		}, "(1 2)"},
		{"inner dummy is promoted", []imap.SortData{
			tmsg(1, 1, "<a@x>", "", "", ""),
			tmsg(2, 2, "<c@x>", "<a@x> <gone@x>", "", ""),
			tmsg(3, 3, "<d@x>", "<a@x> <gone@x>", "", ""),
		}, "(1 (2)(3))"},
		{"existing parent link is kept in step 1.A", []imap.SortData{
			tmsg(1, 1, "<a@x>", "", "", ""),
			tmsg(2, 2, "<z@x>", "", "", ""),
			tmsg(3, 3, "<b@x>", "<a@x>", "", ""),
			tmsg(4, 4, "<c@x>", "<z@x> <b@x> <c0@x>", "", ""),
		}, "(1 3 4)(2)"},
		{"subject merge: reply under original", []imap.SortData{
			tmsg(1, 1, "<a@x>", "", "", "Hello"),
			tmsg(2, 2, "<b@x>", "", "", "Re: hello"),
		}, "(1 2)"},
		{"subject merge: reply first still under original", []imap.SortData{
			tmsg(1, 1, "<b@x>", "", "", "Re: hello"),
			tmsg(2, 2, "<a@x>", "", "", "Hello"),
		}, "(2 1)"},
		{"subject merge: two originals under a dummy", []imap.SortData{
			tmsg(1, 1, "<a@x>", "", "", "Hello"),
			tmsg(2, 2, "<b@x>", "", "", "hello"),
			tmsg(3, 3, "<c@x>", "", "", "RE: hello"),
		}, "((1)(2)(3))"},
		{"subject merge: two replies under a dummy", []imap.SortData{
			tmsg(1, 1, "<a@x>", "", "", "Re: x"),
			tmsg(2, 2, "<b@x>", "", "", "Fwd: x"),
		}, "((1)(2))"},
		{"subject merge: message joins a dummy", []imap.SortData{
			tmsg(1, 1, "", "<gone@x>", "", "topic"),
			tmsg(2, 2, "", "<gone@x>", "", "other"),
			tmsg(3, 3, "<c@x>", "", "", "Re: topic"),
		}, "((1)(2)(3))"},
		{"subject merge: two dummies", []imap.SortData{
			tmsg(1, 1, "", "<g1@x>", "", "topic"),
			tmsg(2, 2, "", "<g1@x>", "", "x"),
			tmsg(3, 3, "", "<g2@x>", "", "topic"),
			tmsg(4, 4, "", "<g2@x>", "", "y"),
		}, "((1)(2)(3)(4))"},
		{"empty subjects are not merged", []imap.SortData{
			tmsg(1, 1, "<a@x>", "", "", ""),
			tmsg(2, 2, "<b@x>", "", "", "Re: "),
		}, "(1)(2)"},
		{"only roots are merged by subject", []imap.SortData{
			tmsg(1, 1, "<a@x>", "", "", "s"),
			tmsg(2, 2, "<b@x>", "<a@x>", "", "t"),
			tmsg(3, 3, "<c@x>", "", "", "t"),
		}, "(1 2)(3)"},
		{"input order does not matter", []imap.SortData{
			tmsg(3, 3, "<c@x>", "<a@x>", "", ""),
			tmsg(1, 1, "<a@x>", "", "", ""),
			tmsg(2, 2, "<a@x>", "", "", ""),
		}, "(1 3)(2)"},
		{"sent date from header", []imap.SortData{
			tmsg(1, 1, "<a@x>", "", "", ""),
			func() imap.SortData {
				d := tmsg(2, 9, "<b@x>", "", "", "")
				d.SentDate = time.Date(2008, 2, 22, 0, 0, 0, 0, time.UTC)
				return d
			}(),
		}, "(2)(1)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := imap.Threads(imap.ThreadReferences, tc.msgs, imap.NumSeq)
			require.NoError(t, err)
			assert.Equal(t, tc.want, imap.FormatThreads(got))
		})
	}
}

func TestThreadOrderedSubject(t *testing.T) {
	t.Parallel()
	msgs := []imap.SortData{
		tmsg(1, 5, "", "", "", "a"),
		tmsg(2, 4, "", "", "", "b"),
		tmsg(3, 3, "", "", "", "Re: A"),
		tmsg(4, 2, "", "", "", "B"),
		tmsg(5, 6, "", "", "", ""),
		tmsg(6, 7, "", "", "", "c"),
		tmsg(7, 1, "", "", "", ""),
	}
	got, err := imap.Threads(imap.ThreadOrderedSubject, msgs, imap.NumSeq)
	require.NoError(t, err)
	assert.Equal(t, "(7 5)(4 2)(3 1)(6)", imap.FormatThreads(got))
	got, err = imap.Threads("orderedsubject", msgs, imap.NumUID)
	require.NoError(t, err)
	assert.Equal(t, "(70 50)(40 20)(30 10)(60)", imap.FormatThreads(got))
	three := []imap.SortData{tmsg(1, 1, "", "", "", "x"), tmsg(2, 3, "", "", "", "x"), tmsg(3, 2, "", "", "", "x")}
	got, err = imap.Threads(imap.ThreadOrderedSubject, three, imap.NumSeq)
	require.NoError(t, err)
	assert.Equal(t, "(1 (3)(2))", imap.FormatThreads(got))
}

func TestThreadsUnknownAlgorithm(t *testing.T) {
	t.Parallel()
	_, err := imap.Threads("SHUFFLE", nil, imap.NumSeq)
	assert.ErrorIs(t, err, imap.ErrUnknownThreadAlgorithm)
	got, err := imap.Threads(imap.ThreadReferences, nil, imap.NumSeq)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestThreadsLongChain(t *testing.T) {
	t.Parallel()
	// A reply chain of 20000 messages, each referencing the one before.
	var msgs []imap.SortData
	for n := uint32(1); n <= 20000; n++ {
		refs := ""
		if n > 1 {
			refs = "<m" + itoa(n-1) + "@x>"
		}
		msgs = append(msgs, tmsg(n, 1, "<m"+itoa(n)+"@x>", refs, "", ""))
	}
	got, err := imap.Threads(imap.ThreadReferences, msgs, imap.NumSeq)
	require.NoError(t, err)
	s := imap.FormatThreads(got)
	require.True(t, strings.HasPrefix(s, "(1 2 3 4 "), s[:20])
	require.True(t, strings.HasSuffix(s, " 19999 20000)"))
	back, err := imap.NewDecoder(bufio.NewReader(strings.NewReader(s+"\r\n")), &imap.Limits{MaxLineLength: 1 << 20}).Threads()
	require.NoError(t, err)
	assert.Equal(t, s, imap.FormatThreads(back))
}

func itoa(n uint32) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

func decodeThreads(s string) ([]imap.Thread, error) {
	return imap.NewDecoder(bufio.NewReader(strings.NewReader(s+"\r\n")), nil).Threads()
}

func TestThreadsEncodeDecode(t *testing.T) {
	t.Parallel()
	// The example of RFC 5256 §4 (THREAD response).
	rfc := []imap.Thread{
		{Num: 2},
		{Num: 3, Children: []imap.Thread{{Num: 6, Children: []imap.Thread{
			{Num: 4, Children: []imap.Thread{{Num: 23}}},
			{Num: 44, Children: []imap.Thread{{Num: 7, Children: []imap.Thread{{Num: 96}}}}},
		}}}},
	}
	const rfcText = "(2)(3 6 (4 23)(44 7 96))"
	assert.Equal(t, rfcText, imap.FormatThreads(rfc))
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	require.NoError(t, imap.NewEncoder(w).WriteThreads(rfc).Flush())
	assert.Equal(t, rfcText, buf.String())
	got, err := decodeThreads(rfcText)
	require.NoError(t, err)
	assert.Equal(t, rfc, got)

	t.Run("placeholders", func(t *testing.T) {
		t.Parallel()
		cases := []struct {
			name string
			in   []imap.Thread
			want string
		}{
			{"top-level dummy", []imap.Thread{{Children: []imap.Thread{{Num: 1}, {Num: 2}}}}, "((1)(2))"},
			{"dummy with one child", []imap.Thread{{Children: []imap.Thread{{Num: 1, Children: []imap.Thread{{Num: 2}}}}}}, "(1 2)"},
			{"empty dummy", []imap.Thread{{}, {Num: 1}}, "(1)"},
			{"dummy as only child of a message", []imap.Thread{{Num: 1, Children: []imap.Thread{{Children: []imap.Thread{{Num: 2}, {Num: 3}}}}}}, "(1 (2)(3))"},
			{"dummy beside another child", []imap.Thread{{Num: 1, Children: []imap.Thread{{Children: []imap.Thread{{Num: 2}, {Num: 3}}}, {Num: 4}}}}, "(1 ((2)(3))(4))"},
			{"nested empty dummies", []imap.Thread{{Children: []imap.Thread{{}, {Children: []imap.Thread{{}}}}}, {Num: 1, Children: []imap.Thread{{}, {Num: 2}}}}, "(1 2)"},
			{"dummy under a message with one child", []imap.Thread{{Num: 1, Children: []imap.Thread{{Children: []imap.Thread{{Num: 2}}}}}}, "(1 2)"},
		}
		for _, tc := range cases {
			s := imap.FormatThreads(tc.in)
			assert.Equal(t, tc.want, s, tc.name)
			_, err := decodeThreads(s)
			assert.NoError(t, err, tc.name)
		}
	})
	t.Run("parse", func(t *testing.T) {
		t.Parallel()
		ok := map[string]string{
			"":                  "",
			" (1) (2)":          "(1)(2)",
			"((1)(2 3))(4)":     "((1)(2 3))(4)",
			"(1 2 (3)(4 5))":    "(1 2 (3)(4 5))",
			"(((1)(2))(3))":     "(((1)(2))(3))",
			"(10 20 30)(40)":    "(10 20 30)(40)",
			"(1 (2 (3)(4))(5))": "(1 (2 (3)(4))(5))",
			"(1 ((2)(3))(4))":   "(1 ((2)(3))(4))",
		}
		for in, want := range ok {
			got, err := decodeThreads(in)
			require.NoError(t, err, in)
			assert.Equal(t, want, imap.FormatThreads(got), in)
		}
		for _, in := range []string{"()", "(0)", "(1 (2))", "((1))", "(1", "(1 )", "(a)", "1", "(1)x", "(1 2 ((3)(4)))"} {
			_, err := decodeThreads(in)
			assert.Error(t, err, in)
		}
		deep := strings.Repeat("(1 (2)", 100) + strings.Repeat(")", 100)
		_, err := decodeThreads(deep)
		var le *imap.LimitError
		assert.ErrorAs(t, err, &le)
	})
}
