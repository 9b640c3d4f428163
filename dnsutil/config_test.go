package dnsutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	assert.Equal(t, []string{"192.0.2.53", "2001:db8::53"}, parseResolvConf(strings.NewReader(text)).servers)

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

func TestResolvConfOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		text     string
		timeout  time.Duration
		attempts int
	}{
		{"set", "nameserver 192.0.2.1\noptions ndots:1 timeout:5 attempts:3 rotate\n", 5 * time.Second, 3},
		{"glibc bounds", "options timeout:99 attempts:9\n", 30 * time.Second, 5},
		{"several lines, last wins", "options timeout:1\noptions timeout:4\n", 4 * time.Second, 0},
		{"bad values ignored", "options timeout:x attempts:0 timeout:-1 attempts\n", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := parseResolvConf(strings.NewReader(tc.text))
			assert.Equal(t, tc.timeout, rc.timeout)
			assert.Equal(t, tc.attempts, rc.attempts)
		})
	}

	path := filepath.Join(t.TempDir(), "resolv.conf")
	require.NoError(t, os.WriteFile(path, []byte("nameserver 192.0.2.1\noptions timeout:7 attempts:4\n"), 0o600))
	r := &Resolver{ResolvConf: path}
	_, err := r.serverList()
	require.NoError(t, err)
	assert.Equal(t, 7*time.Second, r.timeout(), "resolv.conf timeout used when Timeout is zero")
	assert.Equal(t, 4, r.attempts())

	r = &Resolver{ResolvConf: path, Timeout: time.Second, Attempts: 1}
	_, err = r.serverList()
	require.NoError(t, err)
	assert.Equal(t, time.Second, r.timeout(), "explicit fields win")
	assert.Equal(t, 1, r.attempts())

	r = &Resolver{ResolvConf: path, Servers: []string{"192.0.2.9"}}
	_, err = r.serverList()
	require.NoError(t, err)
	assert.Equal(t, DefaultTimeout, r.timeout(), "options apply only when the servers come from resolv.conf")
	assert.Equal(t, DefaultAttempts, r.attempts())
}
