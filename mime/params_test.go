package mime

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRFC2231RepeatedCharset(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"charset only", `a/b; f*0*=utf-8''x%C3%A9; f*1*=utf-8'y%C3%A9`, "xéyé"},
		{"charset and language", `a/b; f*0*=iso-8859-1'es'%D1; f*1*=ISO-8859-1'es'%F1`, "Ññ"},
		{"other charset kept", `a/b; f*0*=utf-8''x; f*1*=koi8-r'y`, "xkoi8-r'y"},
		{"section 0 plain", `a/b; f*0=x; f*1*=utf-8''y`, "xutf-8''y"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p, err := ParseMediaType(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, p["f"])
		})
	}
}

// TestFastContentTypeCorpus checks the allocation-free Content-Type reader
// against ParseMediaType on every Content-Type field of the corpus.
func TestFastContentTypeCorpus(t *testing.T) {
	t.Parallel()
	n := 0
	for _, f := range corpusMessages(t) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		root, err := ParseBytes(data, nil)
		require.NoError(t, err)
		_ = root.Walk(func(p *Part) error {
			for _, fl := range p.Header.Fields() {
				if strings.EqualFold(fl.Name, "Content-Type") {
					checkFastContentType(t, string(fl.RawValue()))
					if _, _, _, _, ok := fastContentType(fl.RawValue()); ok {
						n++
					}
				}
			}
			return nil
		})
	}
	assert.Greater(t, n, 500, "fast path taken")
	t.Logf("%d Content-Type fields read by the fast path", n)
}
