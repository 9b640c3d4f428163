package senderid_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
	"github.com/mailkit-go/mailkit/internal/spfsuite"
	"github.com/mailkit-go/mailkit/senderid"
	"github.com/mailkit-go/mailkit/spf"
)

// miscZone builds the zone of misc.yml with the suite driver conventions
// (SPF entries also served as TXT when a name has no TXT entry).
func miscZone(t *testing.T, data map[string][]any) *dnstest.Zone {
	t.Helper()
	rrs, timeouts, err := spfsuite.Records(data, "")
	require.NoError(t, err)
	require.Empty(t, timeouts)
	z := dnstest.NewZone()
	z.AddRR(rrs...)
	return z
}

// rfc4406Differs lists misc.yml expectations that encode
// Mail::SPF::Iterator's SPF-first policy rather than RFC 4406 §3.4, with
// the result RFC 4406 gives.
var rfc4406Differs = map[string]string{
	// example5.net publishes spf2.0/mfrom and v=spf1: RFC 4406 §3.4
	// ignores v=spf1 when an spf2.0 record exists, so spf2.0/mfrom
	// (-ip4:1.2.3.5) decides.
	"sender-id-pick-spf": "fail",
}

// TestMiscYAML runs Mail::SPF::Iterator's misc.yml in the mfrom scope.
func TestMiscYAML(t *testing.T) {
	t.Parallel()
	docs, err := spfsuite.Load("testdata/mail-spf-iterator-misc.yml")
	require.NoError(t, err)
	require.Len(t, docs, 1)
	doc := docs[0]
	c := senderid.Checker{SPF: spf.Checker{Resolver: miscZone(t, doc.ZoneData), DefaultExplanation: "DEFAULT"}}
	names := doc.TestNames()
	require.Len(t, names, 9)
	for _, name := range names {
		tc := doc.Tests[name]
		t.Run(name, func(t *testing.T) {
			want := tc.Results()[0]
			if r, ok := rfc4406Differs[name]; ok {
				want = r
			}
			res, err := c.CheckMFrom(context.Background(), netip.MustParseAddr(tc.Host), tc.Helo, tc.MailFrom)
			require.NoError(t, err)
			assert.Equal(t, want, string(res.Result.Result), "err=%v", res.Err)
			if tc.Explanation != nil {
				assert.Equal(t, *tc.Explanation, res.Explanation)
			}
			assert.Equal(t, senderid.ScopeMFrom, res.Scope)
		})
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		scope senderid.Scope
		txts  []string
		want  string // record text, "" for none, "ERR" for an error
	}{
		{"v=spf1 stands for mfrom,pra (pra)", senderid.ScopePRA, []string{"v=spf1 -all"}, "v=spf1 -all"},
		{"v=spf1 stands for mfrom,pra (mfrom)", senderid.ScopeMFrom, []string{"v=spf1 -all"}, "v=spf1 -all"},
		{"spf2.0 present hides v=spf1", senderid.ScopePRA, []string{"spf2.0/mfrom -all", "v=spf1 +all"}, ""},
		{"spf2.0/pra chosen over v=spf1", senderid.ScopePRA, []string{"v=spf1 -all", "spf2.0/pra ?all"}, "spf2.0/pra ?all"},
		{"scope list", senderid.ScopeMFrom, []string{"spf2.0/pra,mfrom ip4:192.0.2.0/24 -all"}, "spf2.0/pra,mfrom ip4:192.0.2.0/24 -all"},
		{"case-insensitive", senderid.ScopePRA, []string{"SPF2.0/PRA -all"}, "spf2.0/pra -all"},
		{"two for the scope", senderid.ScopePRA, []string{"spf2.0/pra -all", "spf2.0/mfrom,pra +all"}, "ERR"},
		{"two v=spf1", senderid.ScopeMFrom, []string{"v=spf1 -all", "v=spf1 +all"}, "ERR"},
		{"other scope broken is ignored", senderid.ScopePRA, []string{"spf2.0/mfrom foo", "spf2.0/pra -all"}, "spf2.0/pra -all"},
		{"own scope broken", senderid.ScopePRA, []string{"spf2.0/pra ip4:1.2.3.4/40"}, "ERR"},
		{"unknown scope kept", senderid.ScopePRA, []string{"spf2.0/future,pra -all"}, "spf2.0/future,pra -all"},
		{"no records", senderid.ScopePRA, []string{"google-site-verification=x"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, err := senderid.Select(tc.scope, tc.txts)
			switch tc.want {
			case "ERR":
				assert.Error(t, err)
			case "":
				assert.NoError(t, err)
				assert.Nil(t, rec)
			default:
				require.NoError(t, err)
				require.NotNil(t, rec)
				assert.Equal(t, tc.want, rec.String())
			}
		})
	}
}

func TestParseRecord(t *testing.T) {
	t.Parallel()
	r, err := senderid.Parse("spf2.0/mfrom,PRA ip4:192.0.2.0/24 -all")
	require.NoError(t, err)
	assert.Equal(t, []senderid.Scope{senderid.ScopeMFrom, senderid.ScopePRA}, r.Scopes)
	assert.True(t, r.Has(senderid.ScopePRA))
	assert.False(t, r.Legacy)
	for _, bad := range []string{"spf2.0/", "spf2.0/pra,", "spf2.0/p@ra -all", "spf2.0/pra foo", "spf2.1/pra", "v=spf1 a:x"} {
		_, err := senderid.Parse(bad)
		assert.ErrorIs(t, err, senderid.ErrSyntax, bad)
		assert.True(t, strings.HasPrefix(err.Error(), "senderid: "), err.Error())
	}
	_, err = senderid.Parse("spf2.0/pra ip4:1.2.3.4/40")
	assert.ErrorIs(t, err, spf.ErrSyntax, "the spf.SyntaxError stays reachable")
	n, err := senderid.Parse(senderid.NeutralPRARecord())
	require.NoError(t, err)
	assert.Equal(t, "spf2.0/pra ?all", n.String())
}

func TestCheckPRA(t *testing.T) {
	t.Parallel()
	zone := dnstest.NewZone().MustAdd(
		`lists.example. 60 IN TXT "spf2.0/pra ip4:192.0.2.0/24 -all"`,
		`lists.example. 60 IN TXT "v=spf1 -all"`,
		`author.example. 60 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"`,
		`neutral.example. 60 IN TXT "v=spf1 -all"`,
		`neutral.example. 60 IN TXT "spf2.0/pra ?all"`,
	)
	c := senderid.Checker{SPF: spf.Checker{Resolver: zone}}
	ctx := context.Background()
	ip := netip.MustParseAddr("192.0.2.7")

	res, err := c.CheckPRA(ctx, ip, "mx.lists.example", []senderid.Field{
		{Name: "Sender", Value: "owner@lists.example"}, {Name: "From", Value: "a@author.example"}})
	require.NoError(t, err)
	assert.Equal(t, spf.Pass, res.Result.Result)
	assert.Equal(t, "owner@lists.example", res.PRA.Address)
	assert.Equal(t, spf.Identity("pra"), res.Identity)

	// v=spf1 used for pra when no spf2.0 record exists.
	res, err = c.CheckPRA(ctx, ip, "h.example", []senderid.Field{{Name: "From", Value: "a@author.example"}})
	require.NoError(t, err)
	assert.Equal(t, spf.Fail, res.Result.Result)

	// The neutral PRA record shields the v=spf1 policy.
	res, err = c.CheckPRA(ctx, ip, "h.example", []senderid.Field{{Name: "From", Value: "a@neutral.example"}})
	require.NoError(t, err)
	assert.Equal(t, spf.Neutral, res.Result.Result)
	// RFC 4406 §3.4: once an spf2.0 record exists, v=spf1 no longer
	// stands in for Sender ID's mfrom scope either (plain SPF checkers,
	// which ignore spf2.0, still see the v=spf1 policy).
	res, err = c.CheckMFrom(ctx, ip, "h.example", "a@neutral.example")
	require.NoError(t, err)
	assert.Equal(t, spf.None, res.Result.Result)
	sres, err := c.SPF.Check(ctx, spf.Input{IP: ip, Helo: "h.example", MailFrom: "a@neutral.example"})
	require.NoError(t, err)
	assert.Equal(t, spf.Fail, sres.Result)

	// No PRA: permerror.
	res, err = c.CheckPRA(ctx, ip, "h.example", []senderid.Field{{Name: "From", Value: "a@x.example, b@y.example"}})
	require.NoError(t, err)
	assert.Equal(t, spf.PermError, res.Result.Result)
	assert.ErrorIs(t, res.Err, senderid.ErrNoPRA)

	// SUBMITTER.
	sub, err := senderid.ParseSubmitter("owner+2Bbounce@lists.example")
	require.NoError(t, err)
	assert.Equal(t, "owner+bounce@lists.example", sub)
	res, err = c.CheckSubmitter(ctx, ip, "h.example", sub)
	require.NoError(t, err)
	assert.Equal(t, spf.Pass, res.Result.Result)
	assert.True(t, senderid.SubmitterMatches(sub, senderid.PRAResult{Address: "owner+bounce@LISTS.example"}))
	assert.False(t, senderid.SubmitterMatches(sub, senderid.PRAResult{Address: "other@lists.example"}))
	// An empty or domain-less submitter is refused, not taken for the
	// null sender (which would check postmaster@<helo>).
	for _, bad := range []string{"", "owner", "@lists.example", "owner@"} {
		res, err = c.CheckSubmitter(ctx, ip, "mx.lists.example", bad)
		assert.ErrorIs(t, err, senderid.ErrSubmitter, bad)
		assert.Equal(t, spf.None, res.Result.Result, bad)
	}
}

func TestSubmitterCodec(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "SUBMITTER=a+2Bb+3Dc@x.example", senderid.FormatSubmitter("a+b=c@x.example"))
	for _, bad := range []string{"", "x", "a@", "@x.example", "a+2g@x.example", "a+2@x.example", "a b@x.example", "a=b@x.example"} {
		_, err := senderid.ParseSubmitter(bad)
		assert.ErrorIs(t, err, senderid.ErrSubmitter, bad)
	}
}
