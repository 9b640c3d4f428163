package mime

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// m4node is one <message> or <body-part> of a mime4j expected tree.
type m4node struct {
	fields   [][]byte
	body     []byte // <body> (raw, still encoded) or nil
	bodyFile string // <text-body name=...>/<binary-body name=...> (decoded)
	isMulti  bool
	preamble []byte
	epilogue []byte
	parts    []*m4node
	message  *m4node // nested <message>
}

// m4parser reads mime4j's XML dump (not well-formed XML in general: the
// content is raw ISO-8859-1 bytes with &lt; &gt; &amp; escapes).
type m4parser struct {
	b []byte
	i int
}

func m4unescape(b []byte) []byte {
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'", "&amp;", "&")
	return []byte(r.Replace(string(b)))
}

// tag returns the next tag name (e.g. "message", "/body") and advances past it.
func (p *m4parser) tag() string {
	for p.i < len(p.b) && p.b[p.i] != '<' {
		p.i++
	}
	if p.i >= len(p.b) {
		return ""
	}
	j := bytes.IndexByte(p.b[p.i:], '>')
	t := string(p.b[p.i+1 : p.i+j])
	p.i += j + 1
	return t
}

// text reads content up to the closing tag "</name>"; the line break after
// the opening tag is formatting.
func (p *m4parser) text(name string) []byte {
	if bytes.HasPrefix(p.b[p.i:], []byte("\r\n")) {
		p.i += 2
	} else if p.i < len(p.b) && p.b[p.i] == '\n' {
		p.i++
	}
	end := bytes.Index(p.b[p.i:], []byte("</"+name+">"))
	t := p.b[p.i : p.i+end]
	p.i += end + len(name) + 3
	return m4unescape(t)
}

func (p *m4parser) entity(closeTag string) *m4node {
	n := &m4node{}
	for {
		t := p.tag()
		switch {
		case t == "" || t == "/"+closeTag:
			return n
		case t == "header", t == "/header", t == "/multipart":
		case t == "field":
			n.fields = append(n.fields, p.text("field"))
		case t == "body":
			n.body = p.text("body")
		case strings.HasPrefix(t, "text-body"), strings.HasPrefix(t, "binary-body"):
			k := strings.Index(t, `name="`)
			n.bodyFile = t[k+6 : strings.LastIndexByte(t, '"')]
		case t == "multipart":
			n.isMulti = true
		case t == "preamble":
			n.preamble = p.text("preamble")
		case t == "epilogue":
			n.epilogue = p.text("epilogue")
		case t == "body-part":
			n.parts = append(n.parts, p.entity("body-part"))
		case t == "message":
			n.message = p.entity("message")
		}
	}
}

func parseM4(t *testing.T, path string) *m4node {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	p := &m4parser{b: b}
	require.Equal(t, "message", p.tag())
	return p.entity("message")
}

// mime4j exceptions: messages where mime4j's parse differs from ours, with
// the reason. Keys are paths under testdata/corpus/mime4j.
var mime4jExceptions = map[string]string{
	// mime4j only takes CRLF as the end of a close-delimiter line, so in
	// LF-only files the LF after "--boundary--" lands in its epilogue. RFC
	// 2046 puts the line break in the delimiter; we accept CRLF and LF.
	"mimetools-testmsgs/attachment-filename-encoding-Latin1": "LF after the close delimiter",
	"mimetools-testmsgs/attachment-filename-encoding-UTF8":   "LF after the close delimiter",
	"mimetools-testmsgs/empty-preamble":                      "LF after the close delimiter",
	"mimetools-testmsgs/ticket-60931":                        "LF after the close delimiter",
	"mimetools-testmsgs/twopart":                             "LF after the close delimiter",
	// A truncated base64 body ends in a partial quantum: we decode its
	// two complete octets (and record DefectBase64Padding), mime4j drops
	// them.
	"mimetools-testmsgs/frag": "truncated base64: final partial quantum",
	// With "malformed header line starts the body", mime4j drops the
	// lines that look like header fields after the malformed one from the
	// body; we keep every byte of the body (RFC 5322: the body is all the
	// lines after the header section).
	"testmsgs/malformedHeaderStartsBody-nocrlfcrlf": "mime4j drops header-like lines from the body",
	"testmsgs/malformedHeaderStartsBody-noheader":   "mime4j drops header-like lines from the body",
}

func noCR(b []byte) string { return string(bytes.ReplaceAll(b, []byte("\r"), nil)) }

func TestMime4jStructure(t *testing.T) {
	t.Parallel()
	msgs, _ := filepath.Glob("testdata/corpus/mime4j/*/*.msg")
	sort.Strings(msgs)
	require.Equal(t, 80, len(msgs))
	var agree, excluded int
	seen := map[string]bool{}
	for _, m := range msgs {
		base := strings.TrimSuffix(m, ".msg")
		name := strings.TrimPrefix(base, "testdata/corpus/mime4j/")
		if _, err := os.Stat(base + ".xml"); err != nil {
			t.Errorf("%s: no expected file", name)
			continue
		}
		data, err := os.ReadFile(m)
		require.NoError(t, err)
		opts := &Options{RawCharset: true, MalformedHeaderStartsBody: strings.Contains(name, "malformedHeaderStartsBody")}
		root, err := ParseBytes(data, opts)
		require.NoError(t, err, name)
		want := parseM4(t, base+".xml")
		wantDec := parseM4(t, base+"_decoded.xml")
		var errs []string
		compareM4(root, want, wantDec, filepath.Dir(base), name, &errs)
		if reason, ok := mime4jExceptions[name]; ok {
			seen[name] = true
			excluded++
			assert.NotEmpty(t, errs, "%s is listed as an exception (%s) but agrees", name, reason)
			continue
		}
		if assert.Empty(t, errs, name) {
			agree++
		}
	}
	for name := range mime4jExceptions {
		assert.True(t, seen[name], "exception %s is not a mime4j test message", name)
	}
	t.Logf("mime4j: %d messages, %d agree, %d documented exceptions", len(msgs), agree, excluded)
}

func compareM4(p *Part, want, dec *m4node, dir, path string, errs *[]string) {
	fail := func(f string, args ...any) {
		*errs = append(*errs, path+": "+strings.TrimSpace(strings.ReplaceAll(sprintf(f, args...), "\n", `\n`)))
	}
	var fields [][]byte
	for _, f := range p.Header.Fields() {
		if !f.Malformed {
			fields = append(fields, trimEOL(f.Raw))
		}
	}
	if len(fields) != len(want.fields) {
		fail("fields: got %d want %d", len(fields), len(want.fields))
	} else {
		for i := range fields {
			if noCR(fields[i]) != noCR(want.fields[i]) {
				fail("field %d: got %q want %q", i, fields[i], want.fields[i])
			}
		}
	}
	switch {
	case want.isMulti:
		if !p.IsMultipart() {
			fail("want multipart, got %s", p.MediaType)
			return
		}
		if noCR(p.Preamble()) != noCR(want.preamble) {
			fail("preamble: got %q want %q", p.Preamble(), want.preamble)
		}
		if noCR(p.Epilogue()) != noCR(want.epilogue) {
			fail("epilogue: got %q want %q", p.Epilogue(), want.epilogue)
		}
		if len(p.Children) != len(want.parts) {
			fail("parts: got %d want %d", len(p.Children), len(want.parts))
			return
		}
		for i, c := range p.Children {
			compareM4(c, want.parts[i], dec.parts[i], dir, sprintf("%s/%d", path, i+1), errs)
		}
	case want.message != nil:
		if len(p.Children) != 1 {
			fail("want embedded message, got %s with %d children", p.MediaType, len(p.Children))
			return
		}
		compareM4(p.Children[0], want.message, dec.message, dir, path+"/msg", errs)
	default:
		if p.IsMultipart() || len(p.Children) > 0 {
			fail("want leaf, got %s", p.MediaType)
			return
		}
		if noCR(p.RawBody()) != noCR(want.body) {
			fail("raw body: got %q want %q", clip(p.RawBody()), clip(want.body))
		}
		if dec.bodyFile != "" {
			wantDec, err := os.ReadFile(filepath.Join(dir, dec.bodyFile))
			if err != nil {
				fail("decoded file: %v", err)
				return
			}
			got, _ := p.Bytes()
			if noCR(got) != noCR(wantDec) {
				fail("decoded body: got %q want %q", clip(got), clip(wantDec))
			}
		}
	}
}

func clip(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}
