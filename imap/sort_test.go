package imap_test

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
)

func TestBaseSubject(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string
		re             bool
	}{
		{"plain", "hello world", "hello world", false},
		{"empty", "", "", false},
		{"only spaces", "   ", "", false},
		{"whitespace normalised", "a\t b  \r\n c", "a b c", false},
		{"re", "Re: hello", "hello", true},
		{"RE upper", "RE: hello", "hello", true},
		{"re no space", "re:hello", "hello", true},
		{"re space before colon", "Re :hello", "hello", true},
		{"fw", "Fw: hello", "hello", true},
		{"fwd", "FWD: hello", "hello", true},
		{"re with blob", "Re[2]: hello", "hello", true},
		{"re with spaced blob", "re [2] : hello", "hello", true},
		{"repeated leaders", "Re: Fwd: re: hello", "hello", true},
		{"blob then re", "[list] Re: hello", "hello", true},
		{"two blobs then re", "[a] [b]Re: hello", "hello", true},
		{"lone blob removed", "[list] hello", "hello", false},
		{"blob kept when alone", "[xyz]", "[xyz]", false},
		{"blobs removed but last kept", "[a][b]", "[b]", false},
		{"blob before blob before text", "[a] [b] c", "c", false},
		{"trailer fwd", "hello (fwd)", "hello", true},
		{"trailers repeated", "hello (FWD)  (fwd) ", "hello", true},
		{"fwd wrapper", "[Fwd: hello]", "hello", true},
		{"fwd wrapper nested", "re: [fwd: [fwd: re: [fwd: babylon]]]", "babylon", true},
		{"fwd wrapper with trailer", "[fwd: hello (fwd)]", "hello", true},
		{"not a leader", "Rex: hello", "Rex: hello", false},
		{"ad is not a leader", "Ad: Re: x", "Ad: Re: x", false},
		{"middle re stays", "hello re: world", "hello re: world", false},
		{"imaptest mixed", "[foo] Fwd: [bar] Re: fw: b (fWd)  (fwd)", "b", true},
		{"re then fwd wrapper", "Re: [FWD: c]", "c", true},
		{"parenthesis not trailer", "b (a)", "b (a)", false},
		{"encoded word", "=?iso-8859-1?q?RE:_C?=", "C", true},
		{"encoded base64", "=?us-ascii?b?UmU6IGM=?=", "c", true},
		{"encoded space", "=?iso-8859-1?q?_?=", "", false},
		{"encoded latin1", "=?iso-8859-1?q?caf=E9?=", "café", false},
		{"unterminated blob", "[abc hello", "[abc hello", false},
		{"blob with bracket", "[a[b] x", "[a[b] x", false},
		{"fwd header without end", "[fwd: hello", "[fwd: hello", false},
		{"only re", "Re:", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, re := imap.BaseSubject(tc.in)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.re, re)
		})
	}
}

func TestBaseSubjectLinear(t *testing.T) {
	t.Parallel()
	// Many blobs before text: each step 4 removes one; must not take
	// quadratic time (this would take minutes otherwise).
	s := strings.Repeat("[a]", 200000) + "x"
	got, _ := imap.BaseSubject(s)
	assert.Equal(t, "x", got)
	s = strings.Repeat("re: ", 100000) + "x" + strings.Repeat(" (fwd)", 100000)
	got, re := imap.BaseSubject(s)
	assert.Equal(t, "x", got)
	assert.True(t, re)
}

func TestCompareCasemap(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 0, imap.CompareCasemap("abc", "ABC"))
	assert.Equal(t, -1, imap.CompareCasemap("a", "b"))
	assert.Equal(t, 1, imap.CompareCasemap("b", "A"))
	assert.Equal(t, -1, imap.CompareCasemap("ab", "abc"))
	// i;ascii-casemap maps to upper case: letters sort before "[" and "_".
	assert.Equal(t, -1, imap.CompareCasemap("z", "["))
	assert.Equal(t, -1, imap.CompareCasemap("Z", "_"))
}

func decodeSort(s string) ([]imap.SortCriterion, error) {
	return imap.NewDecoder(bufio.NewReader(strings.NewReader(s+"\r\n")), nil).SortCriteria()
}

func TestSortCriteriaParse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		want     []imap.SortCriterion
		err      bool
	}{
		{"one", "(DATE)", []imap.SortCriterion{{Key: imap.SortDate}}, false},
		{"reverse", "(reverse arrival size)", []imap.SortCriterion{{Key: imap.SortArrival, Reverse: true}, {Key: imap.SortSize}}, false},
		{"display", "(DISPLAYFROM REVERSE DISPLAYTO)", []imap.SortCriterion{{Key: imap.SortDisplayFrom}, {Key: imap.SortDisplayTo, Reverse: true}}, false},
		{"all keys", "(ARRIVAL CC DATE FROM SIZE SUBJECT TO)", []imap.SortCriterion{{Key: imap.SortArrival}, {Key: imap.SortCc}, {Key: imap.SortDate}, {Key: imap.SortFrom}, {Key: imap.SortSize}, {Key: imap.SortSubject}, {Key: imap.SortTo}}, false},
		{"empty", "()", nil, true},
		{"no list", "DATE", nil, true},
		{"unknown", "(FOO)", nil, true},
		{"reverse alone", "(REVERSE)", nil, true},
		{"double reverse", "(REVERSE REVERSE DATE)", nil, true},
		{"unterminated", "(DATE", nil, true},
		{"too many", "(" + strings.TrimSpace(strings.Repeat("DATE ", imap.MaxSortCriteria+1)) + ")", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeSort(tc.in)
			if tc.err {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			again, err := decodeSort(imap.FormatSortCriteria(got))
			require.NoError(t, err)
			assert.Equal(t, got, again)
		})
	}
}

func TestSortDataFromMessage(t *testing.T) {
	t.Parallel()
	raw := "From: =?iso-8859-1?q?J=F6rg?= <joerg@example.org>, b@example.org\r\n" +
		"To: team: x@example.org, y@example.org;\r\n" +
		"Cc: c@example.net (Carol)\r\n" +
		"Subject: Re: hi\r\n" +
		"Date: Fri, 22 Feb 2008 02:00:00 +0200\r\n" +
		"Message-ID: <m1@example.org>\r\n" +
		"References: <a@x> <b@x>\r\n" +
		"In-Reply-To: <b@x>\r\n" +
		"\r\nbody\r\n"
	var d imap.SortData
	imap.ParseMessage([]byte(raw)).SortData(&d)
	assert.Equal(t, "joerg", d.From)
	assert.Equal(t, "Jörg", d.DisplayFrom)
	assert.Equal(t, "team", d.To)
	assert.Equal(t, "team", d.DisplayTo)
	assert.Equal(t, "c", d.Cc)
	assert.Equal(t, "Re: hi", d.Subject)
	assert.Equal(t, "<m1@example.org>", d.MessageID)
	assert.Equal(t, "<a@x> <b@x>", d.References)
	assert.Equal(t, "<b@x>", d.InReplyTo)
	assert.Equal(t, int64(len(raw)), d.Size)
	assert.True(t, d.SentDate.Equal(time.Date(2008, 2, 22, 0, 0, 0, 0, time.UTC)))

	var e imap.SortData
	imap.ParseMessage([]byte("From: a@b.c\r\n\r\n")).SortData(&e)
	assert.Equal(t, "a@b.c", e.DisplayFrom, "no display name: the addr-spec")
	assert.Equal(t, "", e.To)
	assert.True(t, e.SentDate.IsZero())
}

func TestSort(t *testing.T) {
	t.Parallel()
	day := time.Date(2008, 2, 22, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	msgs := []imap.SortData{
		{SeqNum: 1, UID: 10, InternalDate: at(5), SentDate: at(1), Size: 300, From: "bob", DisplayFrom: "Zed", Subject: "Re: b", To: "x", Cc: ""},
		{SeqNum: 2, UID: 20, InternalDate: at(3), Size: 100, From: "Alice", DisplayFrom: "alice@x", Subject: "a", To: "y", Cc: "c"},
		{SeqNum: 3, UID: 30, InternalDate: at(3), SentDate: at(4), Size: 200, From: "alice", DisplayFrom: "Bob", Subject: "[list] B", To: "", Cc: "b"},
		{SeqNum: 4, UID: 40, InternalDate: at(1), SentDate: at(2).In(time.FixedZone("", 5*3600)), Size: 100, From: "", DisplayFrom: "", Subject: "", To: "x", Cc: "a"},
	}
	cases := []struct {
		name string
		crit string
		kind imap.NumKind
		want []uint32
	}{
		{"arrival ties by seq", "(ARRIVAL)", imap.NumSeq, []uint32{4, 2, 3, 1}},
		{"reverse arrival ties stay ascending", "(REVERSE ARRIVAL)", imap.NumSeq, []uint32{1, 2, 3, 4}},
		{"date falls back to arrival", "(DATE)", imap.NumSeq, []uint32{1, 4, 2, 3}},
		{"size then reverse arrival", "(SIZE REVERSE ARRIVAL)", imap.NumSeq, []uint32{2, 4, 3, 1}},
		{"from casemap", "(FROM)", imap.NumSeq, []uint32{4, 2, 3, 1}},
		{"from then size", "(FROM REVERSE SIZE)", imap.NumSeq, []uint32{4, 3, 2, 1}},
		{"subject base", "(SUBJECT)", imap.NumSeq, []uint32{4, 2, 1, 3}},
		{"to", "(TO)", imap.NumSeq, []uint32{3, 1, 4, 2}},
		{"cc", "(CC)", imap.NumSeq, []uint32{1, 4, 3, 2}},
		{"displayfrom", "(DISPLAYFROM)", imap.NumSeq, []uint32{4, 2, 3, 1}},
		{"uids", "(REVERSE SIZE)", imap.NumUID, []uint32{10, 30, 20, 40}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			crit, err := decodeSort(tc.crit)
			require.NoError(t, err)
			assert.Equal(t, tc.want, imap.Sort(msgs, crit, tc.kind))
		})
	}
	assert.Empty(t, imap.Sort(nil, []imap.SortCriterion{{Key: imap.SortDate}}, imap.NumSeq))
}
