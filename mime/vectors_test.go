package mime

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fieldValue runs a mail-parser header vector through our header parser
// (as the value of a field "X:") and returns the unfolded value.
func fieldValue(t *testing.T, raw string) string {
	t.Helper()
	p, err := ParseBytes([]byte("X:"+raw+"\n"), nil)
	require.NoError(t, err)
	if p.Header.Len() == 0 {
		return ""
	}
	return p.Header.Fields()[0].Value()
}

type headerVector struct {
	Header   string          `json:"header"`
	Expected json.RawMessage `json:"expected"`
}

func loadHeaderVectors(t *testing.T, name string) []headerVector {
	t.Helper()
	b, err := os.ReadFile("testdata/corpus/mail-parser/headers/" + name + ".json")
	require.NoError(t, err)
	var vs []headerVector
	require.NoError(t, json.Unmarshal(b, &vs))
	return vs
}

// vectorTally counts agreements and documented exceptions of one suite.
// ex is the suite's exception list (input -> reason); every listed input
// must occur in the suite and must still disagree (see [vectorTally.excepted]),
// so a list cannot keep stale entries.
type vectorTally struct {
	name              string
	n, agree, exclude int
	ex                map[string]string
	seen              map[string]bool
}

// excepted reports whether input is a documented exception; if so it
// counts it and asserts that it still disagrees (agrees is the result of
// the suite's comparison, made without asserting).
func (v *vectorTally) excepted(t *testing.T, input string, agrees bool) bool {
	t.Helper()
	reason, ok := v.ex[input]
	if !ok {
		return false
	}
	if v.seen == nil {
		v.seen = map[string]bool{}
	}
	v.seen[input] = true
	v.exclude++
	assert.False(t, agrees, "%s: listed exception %q agrees now (listed because: %s): remove it from the list", v.name, input, reason)
	return true
}

func (v *vectorTally) log(t *testing.T) {
	t.Helper()
	t.Logf("%s: %d vectors, %d agree, %d documented exceptions", v.name, v.n, v.agree, v.exclude)
	assert.Equal(t, v.n, v.agree+v.exclude, "%s: every vector agrees or is a documented exception", v.name)
	for in := range v.ex {
		assert.True(t, v.seen[in], "%s: exception %q is not an input of the suite", v.name, in)
	}
}

// Documented exceptions of the mail-parser header vectors: inputs where
// mail-parser's expected result differs from ours, each with the RFC
// section that decides and what each side does. The tests fail if a listed
// input starts agreeing or is no longer in the suite.

var unstructuredExceptions = map[string]string{
	"[SUSPECTED SPAM]=?utf-8?B?VGhpcyBpcyB0aGUgb3JpZ2luYWwgc3ViamVjdA==?=\n": "encoded word glued to the preceding text: RFC 2047 section 5 (1) requires linear-white-space " +
		"between an encoded-word and adjacent text, so strictly this is not an encoded word at all; like Python's email (policy.default) " +
		"and Go's mime.WordDecoder we decode it anyway and keep the text as written (\"[SUSPECTED SPAM]This is…\", no space in the input), " +
		"mail-parser (and Python's legacy make_header) insert a space",
	"[SUSPECTED SPAM]=?utf-8?B?VGhpcyBpcyB0aGUgb\n 3JpZ2luYWwgc3ViamVjdA==?=\n":     "as the unfolded form: encoded word glued to text (RFC 2047 section 5 (1)); mail-parser inserts a space, we do not",
	"[SUSPECTED SPAM]=?utf-8?B?VGhpcyBpcyB0aGUgb\r\n 3JpZ2luYWwgc3ViamVjdA==?=\r\n": "as the unfolded form: encoded word glued to text (RFC 2047 section 5 (1)); mail-parser inserts a space, we do not",
}

func TestMailParserUnstructured(t *testing.T) {
	t.Parallel()
	tally := vectorTally{name: "mail-parser unstructured", ex: unstructuredExceptions}
	for _, v := range loadHeaderVectors(t, "unstructured") {
		tally.n++
		var want string
		require.NoError(t, json.Unmarshal(v.Expected, &want))
		got, _ := DecodeHeader(fieldValue(t, v.Header))
		// mail-parser collapses runs of whitespace left by unfolding;
		// RFC 5322 unfolding keeps them: compare with runs collapsed.
		if tally.excepted(t, v.Header, collapseWS(want) == collapseWS(got)) {
			continue
		}
		if assert.Equal(t, collapseWS(want), collapseWS(got), "input %q", v.Header) {
			tally.agree++
		}
	}
	tally.log(t)
}

func collapseWS(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestMailParserList(t *testing.T) {
	t.Parallel()
	tally := vectorTally{name: "mail-parser comma lists"}
	for _, v := range loadHeaderVectors(t, "list") {
		tally.n++
		var want []string
		require.NoError(t, json.Unmarshal(v.Expected, &want))
		var got []string
		for _, item := range strings.Split(fieldValue(t, v.Header), ",") {
			d, _ := DecodeHeader(strings.TrimSpace(item))
			if d = strings.Join(strings.Fields(d), " "); d != "" {
				got = append(got, d)
			}
		}
		if assert.Equal(t, want, got, "input %q", v.Header) {
			tally.agree++
		}
	}
	tally.log(t)
}

var messageIDExceptions = map[string]string{
	"<1234   @   local(blah)  .machine .example>\n": "obsolete msg-id with CFWS between its tokens (RFC 5322 section 4.5.4: obs-id-left = local-part, " +
		"obs-id-right = domain, whose obsolete forms allow CFWS around '.' and '@' that is not part of the identifier): " +
		"we return the identifier \"1234@local.machine.example\" so it compares equal to the same id written without CFWS, " +
		"mail-parser returns the raw text between the angle brackets, comment and spaces included",
}

func TestMailParserMessageIDs(t *testing.T) {
	t.Parallel()
	tally := vectorTally{name: "mail-parser message ids", ex: messageIDExceptions}
	for _, v := range loadHeaderVectors(t, "id") {
		tally.n++
		var want []string
		require.NoError(t, json.Unmarshal(v.Expected, &want))
		got, err := ParseMessageIDs(fieldValue(t, v.Header))
		agrees := len(want) == 0 && err != nil || len(want) > 0 && assert.ObjectsAreEqual(want, got)
		if tally.excepted(t, v.Header, agrees) {
			continue
		}
		if len(want) == 0 {
			if assert.Error(t, err, "input %q", v.Header) {
				tally.agree++
			}
			continue
		}
		if assert.Equal(t, want, got, "input %q", v.Header) {
			tally.agree++
		}
	}
	tally.log(t)
}

// mpDate is mail-parser's DateTime.
type mpDate struct {
	Year, Month, Day, Hour, Minute, Second int
	TzBeforeGMT                            bool `json:"tz_before_gmt"`
	TzHour                                 int  `json:"tz_hour"`
	TzMinute                               int  `json:"tz_minute"`
}

// equal reports whether got is the same wall-clock time and UTC offset.
func (w *mpDate) equal(got time.Time) bool {
	off := (w.TzHour*60 + w.TzMinute) * 60
	if w.TzBeforeGMT {
		off = -off
	}
	_, gotOff := got.Zone()
	return got.Year() == w.Year && int(got.Month()) == w.Month && got.Day() == w.Day &&
		got.Hour() == w.Hour && got.Minute() == w.Minute && got.Second() == w.Second && gotOff == off
}

var dateExceptions = map[string]string{
	" 4 8 15 16 23 42, 4 8 15 16 23 42, 4 8 15 16 23 42, ": "not a date: no month name and no ':' between hour, minute and second (RFC 5322 section 3.3 " +
		"and the obsolete forms of section 4.3 require both); we return a syntax error, mail-parser guesses 2015-08-04 16:23:42 " +
		"with a +00:04 zone from the first six numbers",
}

func TestMailParserDates(t *testing.T) {
	t.Parallel()
	tally := vectorTally{name: "mail-parser dates", ex: dateExceptions}
	for _, v := range loadHeaderVectors(t, "date") {
		tally.n++
		var want *mpDate
		require.NoError(t, json.Unmarshal(v.Expected, &want))
		got, err := ParseDate(fieldValue(t, v.Header))
		agrees := want == nil && err != nil || want != nil && err == nil && want.equal(got)
		if tally.excepted(t, v.Header, agrees) {
			continue
		}
		if want == nil {
			if assert.Error(t, err, "input %q", v.Header) {
				tally.agree++
			}
			continue
		}
		if assert.NoError(t, err, "input %q", v.Header) && assert.True(t, want.equal(got), "input %q: got %v, want %+v", v.Header, got, *want) {
			tally.agree++
		}
	}
	tally.log(t)
}

func TestMailParserContentType(t *testing.T) {
	t.Parallel()
	tally := vectorTally{name: "mail-parser content types", ex: contentTypeExceptions}
	for _, v := range loadHeaderVectors(t, "content_type") {
		tally.n++
		var want *struct {
			Type       string      `json:"c_type"`
			Subtype    string      `json:"c_subtype"`
			Attributes [][2]string `json:"attributes"`
		}
		require.NoError(t, json.Unmarshal(v.Expected, &want))
		mt, params, _ := ParseMediaType(fieldValue(t, v.Header))
		if want == nil {
			if tally.excepted(t, v.Header, !(validMediaType(mt) && strings.Contains(mt, "/"))) {
				continue
			}
			if assert.False(t, validMediaType(mt) && strings.Contains(mt, "/"), "input %q gave %q", v.Header, mt) {
				tally.agree++
			}
			continue
		}
		wantMT := strings.ToLower(want.Type)
		if want.Subtype != "" {
			wantMT += "/" + strings.ToLower(want.Subtype)
		}
		wantParams := map[string]string{}
		for _, a := range want.Attributes {
			if _, dup := wantParams[strings.ToLower(a[0])]; !dup {
				wantParams[strings.ToLower(a[0])] = a[1]
			}
		}
		if params == nil {
			params = map[string]string{}
		}
		// mail-parser adds "<name>-language" for RFC 2231 languages; we
		// drop languages (RFC 2231 section 5 leaves their use to the
		// application): compare without them.
		for k := range wantParams {
			if strings.HasSuffix(k, "-language") {
				delete(wantParams, k)
			}
		}
		if tally.excepted(t, v.Header, wantMT == mt && assert.ObjectsAreEqual(wantParams, params)) {
			continue
		}
		okMT := assert.Equal(t, wantMT, mt, "input %q", v.Header)
		okP := assert.Equal(t, wantParams, params, "input %q", v.Header)
		if okMT && okP {
			tally.agree++
		}
	}
	tally.log(t)
}

const emptySubtype = "empty subtype: RFC 2045 section 5.1 makes the subtype a required token and section 5.2 says a syntactically " +
	"invalid Content-Type is to be taken as text/plain; charset=us-ascii; we return a syntax error (the part gets the default), " +
	"mail-parser returns the type without a subtype"

var contentTypeExceptions = map[string]string{
	"image/jpeg;\n   name=\"=?iso-8859-1?B?4Q==?= =?utf-8?B?w6k=?= =?iso-8859-1?q?=ED?=.jpeg\"\n": "encoded words inside a quoted parameter value " +
		"(forbidden by RFC 2047 section 5, written by real clients anyway): we decode them as RFC 2047 section 6.2 decodes adjacent encoded " +
		"words, dropping the white space between them (\"áéí.jpeg\", as Python's email and Go's mime.WordDecoder do); mail-parser keeps " +
		"the spaces (\"á é í.jpeg\")",
	"test/\n":                   emptySubtype,
	"text/\n":                   emptySubtype,
	"text/;charset=us-ascii\n":  emptySubtype,
	"text/ ;charset=us-ascii\n": emptySubtype,
	"inva/lid; name=\"   \n": "unterminated quoted-string (invalid, RFC 5322 section 3.2.4) holding only white space at the end of " +
		"the field: our field values are unfolded and trimmed of trailing white space (RFC 5322 section 2.2.3: it is folding, not " +
		"content) before the parameter parser sees them, so we return name=\"\"; mail-parser keeps the three spaces",
	"inva/lid; name=\"   \n    \n": "unterminated quoted-string ending in folded white space (see the entry above): we return name=\"\", " +
		"mail-parser the seven spaces",
	"malicious/attempt; 1*2*=a; 3**=b; 4***=c; *5**6*=d;*****7*8*=e; 9*10*11*12*13*14=f; 15*x***fff*===g;1 * 999999999999999999 *= h; 18 *=*=*=*=*==i;\n": "" +
		"parameter names outside RFC 2231 section 7's grammar (attribute [\"*\" section] [\"*\"]): we keep the two that parse (\"1*2*\" " +
		"is section 2 of \"1\": \"a\"; \"18 *\" is an extended \"18\": \"*=*=*=*==i\") and skip \"3**\", \"*5**6*\", \"9*10*…\", \"15*x***fff*\" " +
		"and the name with spaces and an 18-digit section; mail-parser salvages names by dropping stars (3, 4, 5, 7, 9, 15) and joins \"1\" " +
		"from two of them (\"ha\")",
}

var addressExceptions = map[string]string{
	"A Group(Some people)\n        :Chris Jones <c@(Chris's host.)public.example>,\n            joe@example.org,\n     John <jdoe@one.test> (my dear friend); (the end of the group)\n": "" +
		"RFC 5322 appendix A.1.3 example: the comment after the group's ';' is CFWS and carries no mailbox; we return the three " +
		"members, mail-parser adds a fourth, address-less mailbox named \"the end of the group\" in a second, nameless group",
	"(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;\n": "RFC 5322 appendix A.1.3 example of an empty group " +
		"(the comment is CFWS, group-list may be CFWS alone): we return the group with no members, mail-parser a member with no " +
		"address named \"nobody(that I know)\"",
	"Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example\n": "obsolete route in an angle-addr (RFC 5322 section 4.4, " +
		"obs-angle-addr: the route is to be ignored): we return mary@example.net, as Python's email does; mail-parser keeps " +
		"\"@node.test:mary@example.net\", which is not an addr-spec",
}

type mpAddr struct {
	Name    *string `json:"name"`
	Address *string `json:"address"`
}

// compareAddresses returns the differences between our parse of raw and
// mail-parser's expected address list (nil if they agree).
func compareAddresses(raw string, want struct {
	List  []mpAddr
	Group []struct {
		Name      *string  `json:"name"`
		Addresses []mpAddr `json:"addresses"`
	}
}, gs []Group) []string {
	var diffs []string
	var wantAddrs []mpAddr
	wantAddrs = append(wantAddrs, want.List...)
	var wantGroups []string
	for _, g := range want.Group {
		wantAddrs = append(wantAddrs, g.Addresses...)
		if g.Name != nil {
			wantGroups = append(wantGroups, *g.Name)
		}
	}
	var gotGroups []string
	var got []Address
	for _, g := range gs {
		got = append(got, g.Members...)
		if !g.NotGroup {
			gotGroups = append(gotGroups, g.Name)
		}
	}
	if len(got) != len(wantAddrs) {
		return []string{sprintf("got %d addresses %v, want %d", len(got), got, len(wantAddrs))}
	}
	for i, w := range wantAddrs {
		wa, wn := "", ""
		if w.Address != nil {
			wa = *w.Address
		}
		if w.Name != nil {
			wn = *w.Name
		}
		if stripWS(wa) != stripWS(got[i].Address) {
			diffs = append(diffs, sprintf("address %d: got %q want %q", i, got[i].Address, wa))
		}
		// names: mail-parser folds comments into names; compare only
		// where no comment is involved
		if !strings.Contains(raw, "(") && wn != got[i].Name {
			diffs = append(diffs, sprintf("name %d: got %q want %q", i, got[i].Name, wn))
		}
	}
	if !strings.Contains(raw, "(") && !assert.ObjectsAreEqual(wantGroups, gotGroups) {
		diffs = append(diffs, sprintf("groups: got %q want %q", gotGroups, wantGroups))
	}
	return diffs
}

func TestMailParserAddresses(t *testing.T) {
	t.Parallel()
	tally := vectorTally{name: "mail-parser addresses", ex: addressExceptions}
	for _, v := range loadHeaderVectors(t, "address") {
		tally.n++
		var want struct {
			List  []mpAddr
			Group []struct {
				Name      *string  `json:"name"`
				Addresses []mpAddr `json:"addresses"`
			}
		}
		require.NoError(t, json.Unmarshal(v.Expected, &want))
		gs, _ := ParseAddressGroups(fieldValue(t, v.Header))
		diffs := compareAddresses(v.Header, want, gs)
		if tally.excepted(t, v.Header, len(diffs) == 0) {
			continue
		}
		if assert.Empty(t, diffs, "input %q", v.Header) {
			tally.agree++
		}
	}
	tally.log(t)
}

func TestGeneratedVectors(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/corpus/generated/rfc2047-rfc2231-vectors.json")
	require.NoError(t, err)
	var doc struct {
		EncodedWords []struct {
			ID, Input, Expected string
		} `json:"encoded_words"`
		RFC2231 []struct {
			ID, Field, Input, Param, Expected string
		} `json:"rfc2231_params"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	require.Len(t, doc.EncodedWords, 77)
	require.Len(t, doc.RFC2231, 15)
	for _, v := range doc.EncodedWords {
		t.Run(v.ID, func(t *testing.T) {
			got, err := DecodeHeader(unfold([]byte(v.Input)))
			require.NoError(t, err)
			assert.Equal(t, v.Expected, got)
		})
	}
	for _, v := range doc.RFC2231 {
		t.Run(v.ID, func(t *testing.T) {
			_, params, err := ParseMediaType(unfold([]byte(v.Input)))
			require.NoError(t, err)
			assert.Equal(t, v.Expected, params[v.Param])
		})
	}
}
