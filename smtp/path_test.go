package smtp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseReversePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		utf8  bool
		local string
		dom   string
		route []string
		null  bool
		code  int
		enh   EnhancedCode
	}{
		{in: "<>", null: true},
		{in: "<sender@mydomain.com>", local: "sender", dom: "mydomain.com"},
		{in: "<first.last+tag@sub.example.com>", local: "first.last+tag", dom: "sub.example.com"},
		{in: `<"john doe"@example.com>`, local: "john doe", dom: "example.com"},
		{in: `<"a\"b\\c"@example.com>`, local: `a"b\c`, dom: "example.com"},
		{in: `<"a>b"@example.com>`, local: "a>b", dom: "example.com"},
		{in: "<@relay1.example,@relay2.example:user@example.com>", local: "user", dom: "example.com", route: []string{"relay1.example", "relay2.example"}},
		{in: "<user@[192.0.2.1]>", local: "user", dom: "[192.0.2.1]"},
		{in: "<user@[IPv6:2001:db8::1]>", local: "user", dom: "[IPv6:2001:db8::1]"},
		{in: "<user@[x-tag:some-content]>", local: "user", dom: "[x-tag:some-content]"},
		{in: "<用户@例子.广告>", utf8: true, local: "用户", dom: "例子.广告"},
		{in: "<用户@例子.广告>", code: 553, enh: ecode(5, 6, 7)},
		{in: "<user@example.com", code: 501, enh: ecode(5, 1, 7)},
		{in: "user@example.com", code: 501, enh: ecode(5, 1, 7)},
		{in: "<user>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<@example.com>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<user@>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<a..b@example.com>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<.a@example.com>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<a.@example.com>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<a b@example.com>", code: 501, enh: ecode(5, 1, 7)},
		{in: `<"unterminated@example.com>`, code: 501, enh: ecode(5, 1, 7)},
		{in: `<""@example.com>`, code: 501, enh: ecode(5, 1, 7)},
		{in: "<user@-bad.example>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<user@bad-.example>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<user@example..com>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<user@example.com.>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<user@exa_mple.com>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<user@[300.1.1.1]>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<user@[IPv6:1.2.3.4]>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<user@[1.2.3.4>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<@relay:user@example.com", code: 501, enh: ecode(5, 1, 7)},
		{in: "<@relay user@example.com>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<" + strings.Repeat("a", 65) + "@example.com>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<a@" + strings.Repeat("b.", 130) + "com>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<a@" + strings.Repeat("b", 64) + ".com>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<a\x00b@example.com>", code: 501, enh: ecode(5, 1, 7)},
		{in: "<\xff@example.com>", utf8: true, code: 501, enh: ecode(5, 1, 7)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			p, err := ParseReversePath(tt.in, tt.utf8)
			if tt.code != 0 {
				var pe *PathError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tt.code, pe.Code)
				assert.Equal(t, tt.enh, pe.Enhanced)
				assert.ErrorIs(t, err, ErrPathSyntax)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.null, p.IsNull())
			assert.Equal(t, tt.local, p.Mailbox.LocalPart)
			assert.Equal(t, tt.dom, p.Mailbox.Domain)
			assert.Equal(t, tt.route, p.Route)
			// String round-trips (without the route).
			p2, err := ParseReversePath(p.String(), tt.utf8)
			require.NoError(t, err)
			assert.Equal(t, p.Mailbox, p2.Mailbox)
		})
	}
}

func TestParseForwardPath(t *testing.T) {
	t.Parallel()
	p, err := ParseForwardPath("<friend@example.com>", false)
	require.NoError(t, err)
	assert.Equal(t, "friend@example.com", p.Mailbox.String())
	assert.Equal(t, "<friend@example.com>", p.String())

	for _, in := range []string{"<Postmaster>", "<postmaster>", "<POSTMASTER>"} {
		p, err = ParseForwardPath(in, false)
		require.NoError(t, err, in)
		assert.True(t, p.Mailbox.IsPostmaster())
		assert.Equal(t, in, p.String())
	}
	_, err = ParseForwardPath("<>", false)
	var pe *PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, ecode(5, 1, 3), pe.Enhanced)
	_, err = ParseForwardPath("<postmaster@>", false)
	require.Error(t, err)
	_, err = ParseForwardPath("<other>", false)
	require.Error(t, err)
}

func TestAddress(t *testing.T) {
	t.Parallel()
	a, err := ParseAddress(`"john doe"@example.com`, false)
	require.NoError(t, err)
	assert.Equal(t, `"john doe"@example.com`, a.String())
	assert.True(t, a.IsASCII())
	a = Address{LocalPart: `a"b`, Domain: "x.example"}
	assert.Equal(t, `"a\"b"@x.example`, a.String())
	assert.Equal(t, "", Address{}.String())
	a, err = ParseAddress("ü@example.com", true)
	require.NoError(t, err)
	assert.False(t, a.IsASCII())
	_, err = ParseAddress("@a:b@example.com", false)
	require.Error(t, err)

	ip, ok := Address{LocalPart: "u", Domain: "[192.0.2.7]"}.AddressLiteral()
	require.True(t, ok)
	assert.Equal(t, netip.MustParseAddr("192.0.2.7"), ip)
	ip, ok = Address{LocalPart: "u", Domain: "[IPv6:2001:db8::2]"}.AddressLiteral()
	require.True(t, ok)
	assert.Equal(t, netip.MustParseAddr("2001:db8::2"), ip)
	_, ok = Address{LocalPart: "u", Domain: "example.com"}.AddressLiteral()
	assert.False(t, ok)
}

func TestSplitMailArg(t *testing.T) {
	t.Parallel()
	tests := []struct {
		arg, path, params string
		rcpt, bad         bool
	}{
		{arg: "FROM:<sender@mydomain.com>", path: "<sender@mydomain.com>"},
		{arg: "from:<a@b.example> SIZE=100 BODY=8BITMIME", path: "<a@b.example>", params: "SIZE=100 BODY=8BITMIME"},
		{arg: "FROM: <a@b.example>", path: "<a@b.example>"},
		{arg: "FROM:<>", path: "<>"},
		{arg: `FROM:<"a> b"@c.example> RET=HDRS`, path: `<"a> b"@c.example>`, params: "RET=HDRS"},
		{arg: "TO:<friend@example.com>", path: "<friend@example.com>", rcpt: true},
		{arg: "To:<x@y.example>  NOTIFY=SUCCESS,FAILURE", path: "<x@y.example>", params: "NOTIFY=SUCCESS,FAILURE", rcpt: true},
		{arg: "FROM:a@b.example", bad: true},
		{arg: "FROM<a@b.example>", bad: true},
		{arg: "TO:<a@b.example>", bad: true},
		{arg: "FROM:<a@b.example>SIZE=1", bad: true},
		{arg: "FROM:<a@b.example", bad: true},
		{arg: "", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			t.Parallel()
			split := SplitMailArg
			if tt.rcpt {
				split = SplitRcptArg
			}
			path, params, err := split(tt.arg)
			if tt.bad {
				var pe *PathError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, 501, pe.Code)
				assert.Equal(t, ecode(5, 5, 4), pe.Enhanced)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.path, path)
			assert.Equal(t, tt.params, params)
		})
	}
}

func TestPathErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := ParseReversePath("<ü@x.example>", false)
	var pe *PathError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, "Non-ASCII address not permitted without SMTPUTF8", pe.Message())
	assert.Contains(t, pe.Error(), "smtp: bad address syntax")
}
