package mime

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpusMessages lists every message file of testdata/corpus.
func corpusMessages(t testing.TB) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir("testdata/corpus", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel := strings.TrimPrefix(path, "testdata/corpus/")
		switch {
		case strings.HasPrefix(rel, "cpython/msg_"), strings.HasSuffix(rel, ".eml"), strings.HasSuffix(rel, ".raw"),
			strings.HasSuffix(rel, ".msg"):
			out = append(out, path)
		case strings.HasPrefix(rel, "enmime/dsn/testdata/"), strings.HasPrefix(rel, "mox/message/"):
			out = append(out, path)
		}
		return nil
	})
	require.NoError(t, err)
	sort.Strings(out)
	return out
}

func TestCorpusParseAndRoundTrip(t *testing.T) {
	t.Parallel()
	files := corpusMessages(t)
	require.Equal(t, 335, len(files), "corpus size")
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, "testdata/corpus/"), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			root, err := Parse(bytes.NewReader(data), nil)
			require.NoError(t, err)
			var buf bytes.Buffer
			_, err = root.WriteTo(&buf)
			require.NoError(t, err)
			require.True(t, bytes.Equal(data, buf.Bytes()), "round trip differs")
			// every leaf decodes without error except typed charset errors
			_ = root.Walk(func(p *Part) error {
				_, err := p.Bytes()
				if err != nil {
					var ce *CharsetError
					assert.ErrorAs(t, err, &ce)
				}
				return nil
			})
			// the streaming reader sees the same parts in the same order
			var want []string
			_ = root.Walk(func(p *Part) error {
				want = append(want, p.MediaType)
				return nil
			})
			rd := NewReader(bytes.NewReader(data), nil)
			var got []string
			for {
				p, err := rd.NextPart()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				got = append(got, p.MediaType)
				_, _ = io.Copy(io.Discard, p.Body)
			}
			assert.Equal(t, want, got)
		})
	}
}

func sprintf(f string, args ...any) string { return fmt.Sprintf(f, args...) }
