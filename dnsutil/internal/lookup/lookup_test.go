package lookup

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAuth answers like authoritative servers that do not chase CNAME
// targets outside their zone: each name maps to its own answer.
func fakeAuth(t *testing.T, records map[string][]string, asked *[]string) QueryFunc {
	return func(_ context.Context, name string, qtype uint16) (*dns.Msg, string, error) {
		*asked = append(*asked, name)
		m := new(dns.Msg).SetQuestion(name, qtype)
		m.Response = true
		rrs, ok := records[name]
		if !ok {
			m.Rcode = dns.RcodeNameError
			return m, "", nil
		}
		for _, s := range rrs {
			rr, err := dns.NewRR(s)
			require.NoError(t, err)
			m.Answer = append(m.Answer, rr)
		}
		return m, "", nil
	}
}

func TestCNAMEChasedAcrossQueries(t *testing.T) {
	t.Parallel()
	var asked []string
	l := Lookuper{Query: fakeAuth(t, map[string][]string{
		"www.a.test.":  {"www.a.test. 60 IN CNAME host.b.test."},
		"host.b.test.": {"host.b.test. 60 IN TXT \"hello\""},
	}, &asked)}
	txt, err := l.TXT(context.Background(), "www.a.test")
	require.NoError(t, err)
	assert.Equal(t, []string{"hello"}, txt)
	assert.Equal(t, []string{"www.a.test.", "host.b.test."}, asked)
}

func TestCNAMELoopBounded(t *testing.T) {
	t.Parallel()
	var asked []string
	l := Lookuper{Query: fakeAuth(t, map[string][]string{
		"a.test.": {"a.test. 60 IN CNAME b.test."},
		"b.test.": {"b.test. 60 IN CNAME a.test."},
	}, &asked)}
	_, err := l.TXT(context.Background(), "a.test")
	var de *net.DNSError
	require.True(t, errors.As(err, &de))
	assert.Equal(t, ErrTextCNAMELoop, de.Err)
	assert.LessOrEqual(t, len(asked), MaxCNAMEs+1)
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"example.com", "example.com."},
		{"_dmarc.Example.com.", "_dmarc.Example.com."},
		{"bücher.example", "xn--bcher-kva.example."},
		{"_spf.bücher.example", "_spf.xn--bcher-kva.example."},
	} {
		got, err := Normalize(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got)
	}
	for _, bad := range []string{"", "a..b", "\xff.example"} {
		_, err := Normalize(bad)
		assert.Error(t, err, bad)
	}
}

func TestRcodeError(t *testing.T) {
	t.Parallel()
	assert.NoError(t, RcodeError(dns.RcodeSuccess, "x", ""))
	var de *net.DNSError
	require.ErrorAs(t, RcodeError(dns.RcodeFormatError, "x", "s"), &de)
	assert.False(t, de.IsNotFound || de.IsTemporary)
	require.ErrorAs(t, ContextError(context.DeadlineExceeded, "x", ""), &de)
	assert.True(t, de.IsTimeout)
	assert.ErrorIs(t, de, context.DeadlineExceeded)
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"example.com", "bücher.example", "_dmarc.x.", "a..b", "xn--zz.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		out, err := Normalize(name)
		if err != nil {
			return
		}
		if _, ok := dns.IsDomainName(out); !ok || !isASCII(out) {
			t.Fatalf("Normalize(%q) = %q: not an ASCII domain name", name, out)
		}
	})
}
