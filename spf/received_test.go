package spf_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
	"github.com/mailkit-go/mailkit/spf"
)

// TestReceivedSPFScenarios reproduces the two Received-SPF fields of
// SCENARIOS §4 (the RFC 7208 §9.1 examples) byte for byte from real checks.
func TestReceivedSPFScenarios(t *testing.T) {
	t.Parallel()
	in := spf.Input{IP: netip.MustParseAddr("192.0.2.1"), Helo: "foo.example.com", MailFrom: "myname@example.com"}
	ctx := context.Background()

	pass := spf.Checker{Resolver: dnstest.NewZone().MustAdd(`example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"`)}
	res, err := pass.Check(ctx, in)
	require.NoError(t, err)
	require.Equal(t, spf.Pass, res.Result)
	h := spf.NewReceivedSPF(res, in, "mybox.example.org")
	h.Identity, h.Mechanism = "", ""
	assert.Equal(t, "Received-SPF: Pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender) receiver=mybox.example.org; client-ip=192.0.2.1; envelope-from=<myname@example.com>; helo=foo.example.com;", h.String())

	fail := spf.Checker{Resolver: dnstest.NewZone().MustAdd(`example.com. 300 IN TXT "v=spf1 mx -all"`)}
	res, err = fail.Check(ctx, in)
	require.NoError(t, err)
	require.Equal(t, spf.Fail, res.Result)
	h = spf.NewReceivedSPF(res, in, "mybox.example.org")
	h.Receiver, h.Helo, h.Mechanism = "", "", ""
	assert.Equal(t, "Received-SPF: Fail (mybox.example.org: domain of myname@example.com does not designate 192.0.2.1 as permitted sender) identity=mailfrom; client-ip=192.0.2.1; envelope-from=<myname@example.com>;", h.String())
	assert.Equal(t, "spf=fail smtp.mailfrom=myname@example.com", spf.AuthResult(res))
}

func TestReceivedSPFQuotingAndResults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    spf.ReceivedSPF
		want string
	}{
		{"neutral", spf.ReceivedSPF{Result: spf.Neutral, Reporter: "mx.example", Sender: "a@b.example", ClientIP: netip.MustParseAddr("2001:db8::1")},
			"Received-SPF: Neutral (mx.example: 2001:db8::1 is neither permitted nor denied by domain of a@b.example) client-ip=2001:db8::1;"},
		{"quoted helo and problem", spf.ReceivedSPF{Result: spf.PermError, Sender: "x@y.example", Helo: `JUMPIN' JUPITER`, Problem: `spf: syntax error in "a:x"`},
			`Received-SPF: PermError (permanent error in the SPF record of the domain of x@y.example) helo="JUMPIN' JUPITER"; problem="spf: syntax error in \"a:x\"";`},
		{"null sender", spf.ReceivedSPF{Result: spf.None, Comment: "no (record) here", NullSender: true},
			`Received-SPF: None (no \(record\) here) envelope-from=<>;`},
		{"softfail", spf.ReceivedSPF{Result: spf.SoftFail, Sender: "a@b.example", ClientIP: netip.MustParseAddr("192.0.2.9"), Mechanism: "~all"},
			"Received-SPF: SoftFail (domain of transitioning a@b.example does not designate 192.0.2.9 as permitted sender) client-ip=192.0.2.9; mechanism=~all;"},
		{"temperror", spf.ReceivedSPF{Result: spf.TempError, Sender: "a@b.example"},
			"Received-SPF: TempError (temporary error checking the domain of a@b.example)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.h.String())
		})
	}
}

func TestAuthResultHelo(t *testing.T) {
	t.Parallel()
	res := spf.Result{Result: spf.Pass, Identity: spf.IdentityHelo, Helo: "mail.example.com"}
	assert.Equal(t, "spf=pass smtp.helo=mail.example.com", spf.AuthResult(res))
	res = spf.Result{Result: spf.SoftFail, Identity: spf.IdentityMailFrom, Sender: "odd local@example.com"}
	assert.Equal(t, `spf=softfail smtp.mailfrom="odd local@example.com"`, spf.AuthResult(res))
}
