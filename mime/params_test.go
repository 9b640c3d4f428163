package mime

import (
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
