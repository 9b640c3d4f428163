package mime

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

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
type vectorTally struct {
	name              string
	n, agree, exclude int
}

func (v *vectorTally) log(t *testing.T) {
	t.Logf("%s: %d vectors, %d agree, %d documented exceptions", v.name, v.n, v.agree, v.exclude)
	assert.Equal(t, v.n, v.agree+v.exclude, "%s: every vector agrees or is a documented exception", v.name)
}

// Documented exceptions: inputs where mail-parser's model differs from ours
// (and from RFC 5322/2047); each maps to the reason.
var unstructuredExceptions = map[string]string{
	"[SUSPECTED SPAM]=?utf-8?B?VGhpcyBpcyB0aGUgb3JpZ2luYWwgc3ViamVjdA==?=\n":        "mail-parser inserts a space before an encoded word glued to text; RFC 2047 gives no space",
	"[SUSPECTED SPAM]=?utf-8?B?VGhpcyBpcyB0aGUgb\n 3JpZ2luYWwgc3ViamVjdA==?=\n":     "mail-parser inserts a space before an encoded word glued to text",
	"[SUSPECTED SPAM]=?utf-8?B?VGhpcyBpcyB0aGUgb\r\n 3JpZ2luYWwgc3ViamVjdA==?=\r\n": "mail-parser inserts a space before an encoded word glued to text",
}

func TestMailParserUnstructured(t *testing.T) {
	t.Parallel()
	tally := vectorTally{name: "mail-parser unstructured"}
	for _, v := range loadHeaderVectors(t, "unstructured") {
		tally.n++
		var want string
		require.NoError(t, json.Unmarshal(v.Expected, &want))
		got, _ := DecodeHeader(fieldValue(t, v.Header))
		if _, ok := unstructuredExceptions[v.Header]; ok {
			tally.exclude++
			assert.NotEqual(t, collapseWS(want), collapseWS(got), "exception %q agrees now", v.Header)
			continue
		}
		// mail-parser collapses runs of whitespace left by unfolding;
		// RFC 5322 unfolding keeps them: compare with runs collapsed.
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

func TestMailParserMessageIDs(t *testing.T) {
	t.Parallel()
	tally := vectorTally{name: "mail-parser message ids"}
	for _, v := range loadHeaderVectors(t, "id") {
		tally.n++
		var want []string
		require.NoError(t, json.Unmarshal(v.Expected, &want))
		got, err := ParseMessageIDs(fieldValue(t, v.Header))
		if _, ok := messageIDExceptions[v.Header]; ok {
			tally.exclude++
			assert.NotEqual(t, want, got, "exception %q agrees now", v.Header)
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

func TestMailParserDates(t *testing.T) {
	t.Parallel()
	tally := vectorTally{name: "mail-parser dates"}
	for _, v := range loadHeaderVectors(t, "date") {
		tally.n++
		var want *struct {
			Year, Month, Day, Hour, Minute, Second int
			TzBeforeGMT                            bool `json:"tz_before_gmt"`
			TzHour                                 int  `json:"tz_hour"`
			TzMinute                               int  `json:"tz_minute"`
		}
		require.NoError(t, json.Unmarshal(v.Expected, &want))
		got, err := ParseDate(fieldValue(t, v.Header))
		if _, ok := dateExceptions[v.Header]; ok {
			tally.exclude++
			continue
		}
		if want == nil {
			if assert.Error(t, err, "input %q", v.Header) {
				tally.agree++
			}
			continue
		}
		if !assert.NoError(t, err, "input %q", v.Header) {
			continue
		}
		_, off := got.Zone()
		wantOff := (want.TzHour*60 + want.TzMinute) * 60
		if want.TzBeforeGMT {
			wantOff = -wantOff
		}
		ok := assert.Equal(t, []int{want.Year, want.Month, want.Day, want.Hour, want.Minute, want.Second, wantOff},
			[]int{got.Year(), int(got.Month()), got.Day(), got.Hour(), got.Minute(), got.Second(), off}, "input %q", v.Header)
		if ok {
			tally.agree++
		}
	}
	tally.log(t)
}

func TestMailParserContentType(t *testing.T) {
	t.Parallel()
	tally := vectorTally{name: "mail-parser content types"}
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
		if _, ok := contentTypeExceptions[v.Header]; ok {
			tally.exclude++
			assert.False(t, wantMT == mt && assert.ObjectsAreEqual(wantParams, params), "exception %q agrees now", v.Header)
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

var contentTypeExceptions = map[string]string{
	"application/pdf\n   filename*0*=iso-8859-1'es'%D1and%FA\n   filename*1*=iso-8859-1'%20r%E1pido\n   filename*2*=\"iso-8859-1' (versi%F3n \\'99 \\\"oficial\\\").pdf\"\n": "charset prefixes repeated in later RFC 2231 sections: RFC 2231 allows them only in section 0; mail-parser strips them, we keep them as text",
	"image/jpeg;\n   name=\"=?iso-8859-1?B?4Q==?= =?utf-8?B?w6k=?= =?iso-8859-1?q?=ED?=.jpeg\"\n":                                                                            "encoded words in a quoted parameter (not RFC 2047): we drop whitespace between adjacent encoded words as RFC 2047 6.2 does for phrases; mail-parser keeps it",
	"test/\n":                      "empty subtype: mail-parser returns type \"test\", we return a syntax error (RFC 2045 requires a subtype)",
	"text/\n":                      "empty subtype (see test/)",
	"text/;charset=us-ascii\n":     "empty subtype (see test/)",
	"text/ ;charset=us-ascii\n":    "empty subtype (see test/)",
	"inva/lid; name=\"   \n":       "unterminated quoted string: RFC 5322 unfolding trims trailing whitespace of the field value before we see it",
	"inva/lid; name=\"   \n    \n": "unterminated quoted string (see above)",
	"malicious/attempt; 1*2*=a; 3**=b; 4***=c; *5**6*=d;*****7*8*=e; 9*10*11*12*13*14=f; 15*x***fff*===g;1 * 999999999999999999 *= h; 18 *=*=*=*=*==i;\n": "invalid RFC 2231 section syntax: mail-parser salvages names, we skip invalid sections",
}

var dateExceptions = map[string]string{
	" 4 8 15 16 23 42, 4 8 15 16 23 42, 4 8 15 16 23 42, ": "no month name and no time separator: mail-parser guesses a date from six numbers, we return a syntax error",
}

var messageIDExceptions = map[string]string{
	"<1234   @   local(blah)  .machine .example>\n": "obsolete msg-id with CFWS: mail-parser keeps the raw text, we remove whitespace and comments (RFC 5322 section 3.6.4 semantics)",
}

func TestMailParserAddresses(t *testing.T) {
	t.Parallel()
	tally := vectorTally{name: "mail-parser addresses"}
	type addr struct {
		Name    *string `json:"name"`
		Address *string `json:"address"`
	}
	for _, v := range loadHeaderVectors(t, "address") {
		tally.n++
		var want struct {
			List  []addr
			Group []struct {
				Name      *string `json:"name"`
				Addresses []addr  `json:"addresses"`
			}
		}
		require.NoError(t, json.Unmarshal(v.Expected, &want))
		if _, ok := addressExceptions[v.Header]; ok {
			tally.exclude++
			continue
		}
		gs, _ := ParseAddressGroups(fieldValue(t, v.Header))
		var wantAddrs []addr
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
		ok := assert.Len(t, got, len(wantAddrs), "input %q", v.Header)
		if ok {
			for i, w := range wantAddrs {
				wa, wn := "", ""
				if w.Address != nil {
					wa = *w.Address
				}
				if w.Name != nil {
					wn = *w.Name
				}
				ok = assert.Equal(t, stripWS(wa), stripWS(got[i].Address), "input %q", v.Header) && ok
				// names: mail-parser folds comments into names; compare
				// only where no comment is involved
				if !strings.Contains(v.Header, "(") {
					ok = assert.Equal(t, wn, got[i].Name, "input %q", v.Header) && ok
				}
			}
		}
		if !strings.Contains(v.Header, "(") {
			ok = assert.Equal(t, wantGroups, gotGroups, "input %q", v.Header) && ok
		}
		if ok {
			tally.agree++
		}
	}
	tally.log(t)
}

var addressExceptions = map[string]string{
	"A Group(Some people)\n        :Chris Jones <c@(Chris's host.)public.example>,\n            joe@example.org,\n     John <jdoe@one.test> (my dear friend); (the end of the group)\n": "mail-parser turns the trailing comment after ';' into an extra mailbox; RFC 5322 says comments carry no mailbox",
	"(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;\n":  "mail-parser turns a comment into a mailbox of an empty group; RFC 5322 A.1.3 says the group is empty",
	"Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example\n": "obsolete route: mail-parser keeps it, RFC 5322 section 4.4 says to ignore it (we return mary@example.net)",
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
