package mime

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type mpMessage struct {
	Parts []struct {
		Headers      []json.RawMessage          `json:"headers"`
		Body         map[string]json.RawMessage `json:"body"`
		OffsetHeader int64                      `json:"offset_header"`
		OffsetBody   int64                      `json:"offset_body"`
		OffsetEnd    int64                      `json:"offset_end"`
	} `json:"parts"`
}

// flatten lists p and its descendants in pre-order, not descending into
// embedded messages (mail-parser keeps those as separate messages).
func flatten(p *Part, out []*Part) []*Part {
	out = append(out, p)
	if p.IsMessage() {
		return out
	}
	for _, c := range p.Children {
		out = append(out, flatten(c, nil)...)
	}
	return out
}

func lfOnly(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r"), nil) }

func toCRLF(b []byte) []byte {
	var out []byte
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// mpException documents why our parse of a mail-parser message differs
// from mail-parser's expectation. diffs are substrings of the differences
// compareMP reports: every difference must contain one of them and each
// must occur, so the reason stays tied to what actually differs.
type mpException struct {
	reason string
	diffs  []string
}

// Boundary readings used by several files.
const (
	mpOuterEndsInner = "an inner multipart has no close delimiter and a delimiter line of the outer multipart follows: " +
		"RFC 2046 section 5.1.1 says a boundary delimiter must not occur inside the encapsulated material, so the line belongs " +
		"to the outer multipart: we close the inner one there (DefectCloseBoundaryNotFound) and start a new outer part, as Python's " +
		"email does; mail-parser ignores outer boundaries inside an inner multipart and keeps the rest as text of the inner last part " +
		"(one part fewer)"
	mpPrefixBoundaries = "nested boundaries where one is a prefix of the other (RFC 2046 section 5.1.1 forbids it: a line need " +
		"only begin with \"--\" and the boundary to be a delimiter, so such a boundary occurs inside the other's parts): a line " +
		"matching both open boundaries goes to the longest, i.e. the one it equals, for us (as Python's email, which compares the " +
		"whole line), to the innermost for mail-parser"
	mpTrailingDelimiter = "the last delimiter line (no close delimiter) is followed by the end of the input: we open one more, " +
		"empty body part and record DefectCloseBoundaryNotFound, as Python's email does (an empty part); mail-parser opens none. " +
		"RFC 2046 section 5.1.1's grammar requires a close delimiter, so it defines neither reading"
	mpDuplicateContentType = "the header of the multipart/alternative part runs into the text part's header (no empty line), so " +
		"it holds two Content-Type fields; RFC 2045 allows one: we use the first (multipart/alternative, as Python's email and Go's " +
		"net/textproto do) and find its text/html part and an empty part, mail-parser uses the last (text/plain) and makes it a text leaf"
	mpUTF8Garbage = "invalid UTF-8 in a part declared charset=utf-8: we and mail-parser both substitute U+FFFD " +
		"(DefectInvalidUTF8; one per maximal subpart, WHATWG Encoding Standard)"
	mpBase64Fallback = "a body declared base64 that is not base64: we decode leniently, skipping bytes outside the alphabet " +
		"(DefectBase64InvalidChar, RFC 2045 section 6.8 says to ignore them), mail-parser falls back to the raw text"
)

// mailParserExceptions: files (relative to mail-parser/eml) whose parse
// differs from both of mail-parser's expectations (.json and .crlf.json).
var mailParserExceptions = map[string]mpException{
	"malformed/000.eml": {"boundary \":foo\" is legal (RFC 2046 section 5.1.1 bcharsnospace include ':'): we split at its delimiter " +
		"lines (4 parts, the first empty: two delimiter lines in a row), Python's email splits too (3 parts: it merges consecutive " +
		"delimiter lines); mail-parser returns the multipart with no parts", []string{"parts: got 5 want 1"}},
	"malformed/001.eml": {mpPrefixBoundaries + ": outer \"ab\", inner \"a\", and \"--ab\" inside the inner part closes it for us",
		[]string{"parts: got 3 want 4"}},
	"malformed/002.eml": {"multipart/mixed whose body has no delimiter line at all (RFC 2046 section 5.1.1 requires at least one " +
		"body part): we keep it a multipart with no parts and the text as its preamble (DefectStartBoundaryNotFound), as Python's email " +
		"does (StartBoundaryNotFoundDefect); mail-parser turns it into a text part \"body\"", []string{"part 0 text: got \"\" want \"body"}},
	"malformed/004.eml": {"delimiter lines \"--ab\" and \"--ac\" of boundary \"a\" (RFC 2046 section 5.1.1: the line need only " +
		"begin with the delimiter): we and mail-parser both split there, but we start the next part's header after the line, mail-parser " +
		"right after \"--a\", inside the line (header offsets 2 bytes apart; Python's email, which compares whole lines, finds no part)",
		[]string{"offsets: got header"}},
	"malformed/007.eml": {"a part header without its empty line runs into \"--ab\", which is a delimiter of the outer \"a\" by prefix " +
		"and of the part's own boundary \"ab\": we end the header section at that delimiter line (DefectMissingHeaderBody) and, \"ab\" " +
		"being open now, it starts the part's first body part, as Python's email does; mail-parser skips \"--ab\" as a malformed header " +
		"line, reads the following Content-Type: text/plain into the same header (the last one wins, see malformed/020) and then takes " +
		"\"--ab--\" as a delimiter of \"a\"", []string{"want multipart with 2 parts, got multipart/mixed with 1", "offsets: got header"}},
	"malformed/008.eml": {mpPrefixBoundaries + ": outer \"ab\", inner \"a\"; \"--ab\" after the inner part ends the inner multipart " +
		"for us and is a second inner part for mail-parser", []string{"want multipart with 1 parts, got multipart/mixed with 2",
		"want multipart with 2 parts, got multipart/mixed with 1", "offsets: got header"}},
	"malformed/009.eml": {mpOuterEndsInner, []string{"parts: got 5 want 4"}},
	"malformed/011.eml": {mpOuterEndsInner + " (same bytes as malformed/009)", []string{"parts: got 5 want 4"}},
	"malformed/012.eml": {mpOuterEndsInner + " (message/rfc822 parts)", []string{"parts: got 5 want 4"}},
	"malformed/013.eml": {"multiparts nested with the same boundary \"1\" (we and mail-parser nest them alike); " + mpTrailingDelimiter,
		[]string{"parts: got 9 want 8"}},
	"malformed/014.eml": {mpTrailingDelimiter, []string{"parts: got 3 want 2"}},
	"malformed/016.eml": {mpPrefixBoundaries + ": boundaries of 82, 81 and 80 characters (RFC 2046 allows 70), each a prefix of " +
		"the one before; the 82-character line closes both inner multiparts for us, every line goes to the 80-character one for " +
		"mail-parser", []string{"parts: got 5 want 7"}},
	"malformed/020.eml": {mpDuplicateContentType, []string{"parts: got 5 want 3"}},
	"malformed/021.eml": {mpDuplicateContentType + " (malformed/020 with other text)", []string{"parts: got 5 want 3"}},
	"malformed/022.eml": {"message/rfc822 body whose first line has no colon: by default (Options.MalformedHeaderStartsBody off, " +
		"mime4j's default too) we keep that line as a malformed header field (DefectMalformedHeaderLine) of the embedded message, " +
		"whose body is then empty; Python's email makes the line the embedded body; mail-parser keeps the part as text",
		[]string{"part 2 text: got \"\" want \"this attachment"}},
	"thirdparty/002.eml": {mpUTF8Garbage + "; part 2 is \"ecO2dMOkIHZhYW4uCg== ignored\": we and mail-parser both decode " +
		"the text after the padding, but \"igno\" gives 8A 09 E8 and the final unpadded \"red\" (RFC 2045 section 6.8 requires " +
		"padding; DefectBase64Padding) AD E7: we decode it, so E8 AD E7 gives two U+FFFD, mail-parser drops it (one U+FFFD for the " +
		"trailing E8); " + mpBase64Fallback + " (part 3, \"?garbage\")",
		[]string{"part 2 text: got \"yötä vaan.\\n\ufffd\\t\ufffd\ufffd\" want \"yötä vaan.\\n\ufffd\\t\ufffd\"", "part 3 text:"}},
	"thirdparty/005.eml": {"\"invalid--1--\": a close delimiter in the middle of a line is text (RFC 2046 section 5.1.1: delimiters " +
		"begin a line); we and Python's email keep it in the last part and record DefectCloseBoundaryNotFound, mail-parser ends the " +
		"part before \"--1--\". In the .crlf.json variant only, turning LF into CRLF inside the binary UTF-16LE part 1 leaves an odd " +
		"trailing byte: golang.org/x/text decodes it to U+FFFD, as the WHATWG Encoding Standard specifies, mail-parser drops it",
		[]string{"part 5 text: got \"invalid--1--", "part 1 text: got \"Test message\\u0a0d\ufffd\""}},
	"thirdparty/015.eml": {"message/rfc822 attachments holding only a header (no empty line) followed by the outer delimiter: RFC " +
		"2046 section 5.1.1 keeps boundary delimiters out of the encapsulated material, so we end the embedded header at the " +
		"delimiter line (DefectMissingHeaderBody) and find three message/rfc822 parts, as Python's email does; mail-parser reads the " +
		"delimiter lines into the embedded header as malformed lines, so the first attachment swallows the other two",
		[]string{"parts: got 5 want 3"}},
	"rfc/000.eml": {"the RFC 2046 appendix A example, whose audio and image bodies are declared base64 but are the placeholder " +
		"text \"... base64-encoded data goes here ...\"; " + mpBase64Fallback, []string{"part 4 text:", "part 5 text:"}},
}

func TestMailParserMessages(t *testing.T) {
	t.Parallel()
	emls, _ := filepath.Glob("testdata/corpus/mail-parser/eml/*/*.eml")
	sort.Strings(emls)
	require.Equal(t, 53, len(emls))
	var n, agree, excluded int
	seen := map[string]bool{}
	for _, f := range emls {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		name := strings.TrimPrefix(f, "testdata/corpus/mail-parser/eml/")
		ex, isEx := mailParserExceptions[name]
		matched := map[string]bool{}
		for _, v := range []struct {
			suffix string
			data   []byte
		}{{".json", lfOnly(raw)}, {".crlf.json", toCRLF(raw)}} {
			jf := strings.TrimSuffix(f, ".eml") + v.suffix
			jb, err := os.ReadFile(jf)
			if err != nil {
				continue
			}
			n++
			var want mpMessage
			require.NoError(t, json.Unmarshal(jb, &want), jf)
			root, err := ParseBytes(v.data, nil)
			require.NoError(t, err)
			var errs []string
			compareMP(root, &want, name+v.suffix, &errs)
			if !isEx {
				if assert.Empty(t, errs) {
					agree++
				}
				continue
			}
			seen[name] = true
			excluded++
			assert.NotEmpty(t, errs, "%s%s is listed as an exception but agrees now (listed because: %s): remove it", name, v.suffix, ex.reason)
			for _, e := range errs {
				ok := false
				for _, d := range ex.diffs {
					if strings.Contains(e, d) {
						matched[d], ok = true, true
					}
				}
				assert.True(t, ok, "%s: difference not covered by its documented exception: %s", name, e)
			}
		}
		for _, d := range ex.diffs {
			assert.True(t, matched[d], "%s: documented difference %q no longer occurs", name, d)
		}
	}
	for name := range mailParserExceptions {
		assert.True(t, seen[name], "exception %s is not a mail-parser message with expectations", name)
	}
	t.Logf("mail-parser messages: %d expectations (.json + .crlf.json), %d agree, %d documented exceptions", n, agree, excluded)
	assert.Equal(t, n, agree+excluded)
}

func compareMP(root *Part, want *mpMessage, name string, errs *[]string) {
	fail := func(f string, args ...any) { *errs = append(*errs, name+": "+sprintf(f, args...)) }
	flat := flatten(root, nil)
	if len(flat) != len(want.Parts) {
		fail("parts: got %d want %d", len(flat), len(want.Parts))
		return
	}
	for i, p := range flat {
		w := want.Parts[i]
		if p.Start != w.OffsetHeader || p.BodyStart != w.OffsetBody {
			fail("part %d offsets: got header %d body %d, want %d %d", i, p.Start, p.BodyStart, w.OffsetHeader, w.OffsetBody)
		}
		for kind, val := range w.Body {
			switch kind {
			case "Multipart":
				var kids []int
				_ = json.Unmarshal(val, &kids)
				if !p.IsMultipart() || len(p.Children) != len(kids) {
					fail("part %d: want multipart with %d parts, got %s with %d", i, len(kids), p.MediaType, len(p.Children))
				}
			case "Message":
				var sub mpMessage
				_ = json.Unmarshal(val, &sub)
				if !p.IsMessage() || len(p.Children) != 1 {
					fail("part %d: want message, got %s", i, p.MediaType)
					continue
				}
				compareMP(p.Children[0], &sub, sprintf("%s/%d", name, i), errs)
			case "Text", "Html":
				var s string
				_ = json.Unmarshal(val, &s)
				got, _ := p.Text()
				if strings.TrimRight(got, "\r\n ") != strings.TrimRight(s, "\r\n ") {
					fail("part %d text: got %q want %q", i, clip([]byte(got)), clip([]byte(s)))
				}
			case "Binary", "InlineBinary":
				var b []byte
				var ints []int
				if json.Unmarshal(val, &ints) == nil {
					for _, x := range ints {
						b = append(b, byte(x))
					}
				}
				got, _ := p.Bytes()
				if !bytes.Equal(got, b) {
					fail("part %d binary: got %d bytes want %d", i, len(got), len(b))
				}
			}
		}
	}
}
