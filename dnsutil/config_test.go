package dnsutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeServer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "127.0.0.1:5353", want: "127.0.0.1:5353"},
		{in: "192.0.2.1", want: "192.0.2.1:53"},
		{in: "::1", want: "[::1]:53"},
		{in: "[2001:db8::1]:5300", want: "[2001:db8::1]:5300"},
		{in: "ns.example:53", want: "ns.example:53"},
		{in: "ns.example", want: "ns.example:53"},
		{in: "", bad: true},
		{in: "[bad", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := normalizeServer(tc.in)
			if tc.bad {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestResolvConf(t *testing.T) {
	t.Parallel()
	text := "# comment\nsearch example.com\nnameserver 192.0.2.53\nnameserver   2001:db8::53\nnameserver bogus\noptions ndots:2\n"
	assert.Equal(t, []string{"192.0.2.53", "2001:db8::53"}, parseResolvConf(strings.NewReader(text)))

	dir := t.TempDir()
	path := filepath.Join(dir, "resolv.conf")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	r := &Resolver{ResolvConf: path}
	servers, err := r.serverList()
	require.NoError(t, err)
	assert.Equal(t, []string{"192.0.2.53:53", "[2001:db8::53]:53"}, servers)

	r = &Resolver{ResolvConf: filepath.Join(dir, "missing")}
	servers, err = r.serverList()
	require.NoError(t, err)
	assert.Equal(t, []string{"127.0.0.1:53", "[::1]:53"}, servers)

	r = &Resolver{Servers: []string{"[bad"}}
	_, err = r.serverList()
	require.Error(t, err)
}
