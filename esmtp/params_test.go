package esmtp

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func scenarioCaps(t *testing.T) *Capabilities {
	t.Helper()
	c, err := ParseEHLOReply([]byte(scenario2))
	require.NoError(t, err)
	return c
}

func TestParseParams(t *testing.T) {
	t.Parallel()
	ps, err := ParseParams("size=100  BODY=8BITMIME SMTPUTF8 ENVID=abc+2Bdef")
	require.NoError(t, err)
	assert.Equal(t, []Param{
		{Key: "SIZE", Value: "100", HasValue: true},
		{Key: "BODY", Value: "8BITMIME", HasValue: true},
		{Key: "SMTPUTF8"},
		{Key: "ENVID", Value: "abc+2Bdef", HasValue: true},
	}, ps)
	assert.Equal(t, "SIZE=100", ps[0].String())
	assert.Equal(t, "SMTPUTF8", ps[2].String())
	ps, err = ParseParams("")
	require.NoError(t, err)
	assert.Empty(t, ps)
	ps, err = ParseParams("X-UTF8=üñî")
	require.NoError(t, err)
	assert.Equal(t, "üñî", ps[0].Value)

	for _, bad := range []string{"=1", "-X=1", "A_B=1", "SIZE=", "SIZE==1", "A=b=c", "A=\x01", "A=\xff", strings.Repeat("A ", MaxParams+1)} {
		_, err := ParseParams(bad)
		var pe *ParamError
		require.ErrorAs(t, err, &pe, "%q", bad)
		assert.Equal(t, 501, pe.Code, "%q", bad)
		assert.ErrorIs(t, err, ErrParamSyntax)
	}
}

func TestParseMailParams(t *testing.T) {
	t.Parallel()
	all := &Capabilities{Domain: "mx"}
	for _, kw := range []string{SIZE, EightBitMIME, BINARYMIME, CHUNKING, DSN, SMTPUTF8, AUTH, REQUIRETLS} {
		all.Add(kw)
	}
	all.Add(SIZE, "1000")
	tests := []struct {
		name string
		in   string
		caps *Capabilities
		want MailParams
		code int
		enh  EnhancedCode
		sent error
	}{
		{name: "none", in: "", caps: all},
		{name: "all", in: "SIZE=999 BODY=binarymime RET=hdrs ENVID=QQ+2B1 SMTPUTF8 AUTH=<> REQUIRETLS", caps: all,
			want: MailParams{Size: 999, Body: BodyBinaryMIME, Ret: RetHdrs, EnvID: "QQ+1", SMTPUTF8: true, Auth: "<>", RequireTLS: true}},
		{name: "auth xtext", in: "AUTH=e+3Dmc2@example.com", caps: all, want: MailParams{Auth: "e=mc2@example.com"}},
		{name: "scenario size", in: "SIZE=35651584 BODY=8BITMIME", caps: scenarioCaps(t), want: MailParams{Size: 35651584, Body: Body8BitMIME}},
		{name: "scenario too big", in: "SIZE=35651585", caps: scenarioCaps(t), code: 552, enh: EnhancedCode{5, 3, 4}, sent: ErrSizeExceeded},
		{name: "scenario no smtputf8", in: "SMTPUTF8", caps: scenarioCaps(t), code: 555, enh: EnhancedCode{5, 5, 4}, sent: ErrParamUnknown},
		{name: "scenario no binarymime", in: "BODY=BINARYMIME", caps: scenarioCaps(t), code: 504, enh: EnhancedCode{5, 5, 4}, sent: ErrParamNotImplemented},
		{name: "scenario dsn", in: "RET=FULL ENVID=x", caps: scenarioCaps(t), want: MailParams{Ret: RetFull, EnvID: "x"}},
		{name: "nil caps accepts all", in: "SIZE=1 BODY=7BIT SMTPUTF8 REQUIRETLS", want: MailParams{Size: 1, Body: Body7Bit, SMTPUTF8: true, RequireTLS: true}},
		{name: "no body ext", in: "BODY=8BITMIME", caps: &Capabilities{Domain: "mx"}, code: 555, sent: ErrParamUnknown, enh: EnhancedCode{5, 5, 4}},
		{name: "unknown", in: "X-FOO=1", caps: all, code: 555, sent: ErrParamUnknown, enh: EnhancedCode{5, 5, 4}},
		{name: "rcpt param on mail", in: "NOTIFY=NEVER", caps: all, code: 555, sent: ErrParamUnknown, enh: EnhancedCode{5, 5, 4}},
		{name: "duplicate", in: "SIZE=1 SIZE=2", caps: all, code: 501, sent: ErrParamDuplicate, enh: EnhancedCode{5, 5, 4}},
		{name: "bad size", in: "SIZE=-1", caps: all, code: 501, sent: ErrParamSyntax, enh: EnhancedCode{5, 5, 4}},
		{name: "size letters", in: "SIZE=1e3", caps: all, code: 501, sent: ErrParamSyntax, enh: EnhancedCode{5, 5, 4}},
		{name: "size huge", in: "SIZE=99999999999999999999999", caps: nil, code: 501, sent: ErrParamSyntax, enh: EnhancedCode{5, 5, 4}},
		{name: "size no value", in: "SIZE", caps: all, code: 501, sent: ErrParamSyntax, enh: EnhancedCode{5, 5, 4}},
		{name: "bad body", in: "BODY=9BIT", caps: all, code: 501, sent: ErrParamSyntax, enh: EnhancedCode{5, 5, 4}},
		{name: "bad ret", in: "RET=ALL", caps: all, code: 501, sent: ErrParamSyntax, enh: EnhancedCode{5, 5, 4}},
		{name: "bad envid xtext", in: "ENVID=a+zz", caps: all, code: 501, sent: ErrParamSyntax, enh: EnhancedCode{5, 5, 4}},
		{name: "envid too long", in: "ENVID=" + strings.Repeat("a", 101), caps: all, code: 501, sent: ErrParamSyntax, enh: EnhancedCode{5, 5, 4}},
		{name: "smtputf8 value", in: "SMTPUTF8=yes", caps: all, code: 501, sent: ErrParamSyntax, enh: EnhancedCode{5, 5, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMailParams(tt.in, tt.caps, nil)
			if tt.code != 0 {
				var pe *ParamError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tt.code, pe.Code)
				assert.Equal(t, tt.enh, pe.Enhanced)
				assert.ErrorIs(t, err, tt.sent)
				assert.True(t, strings.HasPrefix(pe.Error(), "esmtp: "))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, *got)
			// Formatting and re-parsing gives the same parameters.
			again, err := ParseMailParams(got.String(), tt.caps, nil)
			require.NoError(t, err)
			assert.Equal(t, *got, *again)
		})
	}
}

func TestParseMailParamsAllowUnknown(t *testing.T) {
	t.Parallel()
	caps := scenarioCaps(t)
	got, err := ParseMailParams("X-FOO=1 XBAR", caps, &ParseOptions{AllowUnknown: true})
	require.NoError(t, err)
	assert.Equal(t, []Param{{Key: "X-FOO", Value: "1", HasValue: true}, {Key: "XBAR"}}, got.Extra)
	assert.Equal(t, " X-FOO=1 XBAR", got.String())
	// A known parameter of an extension that was not offered is still
	// refused.
	_, err = ParseMailParams("SMTPUTF8", caps, &ParseOptions{AllowUnknown: true})
	require.ErrorIs(t, err, ErrParamUnknown)
}

func TestParseRcptParams(t *testing.T) {
	t.Parallel()
	caps := scenarioCaps(t)
	tests := []struct {
		name string
		in   string
		caps *Capabilities
		want RcptParams
		code int
		sent error
	}{
		{name: "none", in: "", caps: caps},
		{name: "notify", in: "NOTIFY=SUCCESS,failure,DELAY", caps: caps, want: RcptParams{Notify: NotifySuccess | NotifyFailure | NotifyDelay}},
		{name: "never", in: "NOTIFY=NEVER", caps: caps, want: RcptParams{Notify: NotifyNever}},
		{name: "orcpt", in: "ORCPT=rfc822;bob+2Btag@example.com", caps: caps, want: RcptParams{ORcpt: &ORcpt{AddrType: "rfc822", Addr: "bob+tag@example.com"}}},
		{name: "both", in: "NOTIFY=FAILURE ORCPT=rfc822;a@b.example", caps: caps, want: RcptParams{Notify: NotifyFailure, ORcpt: &ORcpt{AddrType: "rfc822", Addr: "a@b.example"}}},
		{name: "never and success", in: "NOTIFY=NEVER,SUCCESS", caps: caps, code: 501, sent: ErrParamSyntax},
		{name: "notify twice", in: "NOTIFY=SUCCESS,SUCCESS", caps: caps, code: 501, sent: ErrParamSyntax},
		{name: "notify bad", in: "NOTIFY=ALWAYS", caps: caps, code: 501, sent: ErrParamSyntax},
		{name: "notify empty item", in: "NOTIFY=SUCCESS,", caps: caps, code: 501, sent: ErrParamSyntax},
		{name: "orcpt no type", in: "ORCPT=a@b", caps: caps, code: 501, sent: ErrParamSyntax},
		{name: "orcpt bad xtext", in: "ORCPT=rfc822;a+4", caps: caps, code: 501, sent: ErrParamSyntax},
		{name: "orcpt too long", in: "ORCPT=rfc822;" + strings.Repeat("a", 500), caps: caps, code: 501, sent: ErrParamSyntax},
		{name: "no dsn", in: "NOTIFY=NEVER", caps: &Capabilities{Domain: "mx"}, code: 555, sent: ErrParamUnknown},
		{name: "mail param", in: "SIZE=1", caps: caps, code: 555, sent: ErrParamUnknown},
		{name: "duplicate", in: "NOTIFY=NEVER NOTIFY=NEVER", caps: caps, code: 501, sent: ErrParamDuplicate},
		{name: "no value", in: "NOTIFY", caps: caps, code: 501, sent: ErrParamSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRcptParams(tt.in, tt.caps, nil)
			if tt.code != 0 {
				var pe *ParamError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tt.code, pe.Code)
				assert.ErrorIs(t, err, tt.sent)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, *got)
			again, err := ParseRcptParams(got.String(), tt.caps, nil)
			require.NoError(t, err)
			assert.Equal(t, *got, *again)
		})
	}
	assert.Equal(t, "", Notify(0).String())
}

func TestXtext(t *testing.T) {
	t.Parallel()
	tests := []struct{ plain, enc string }{
		{"", ""},
		{"simple@example.com", "simple@example.com"},
		{"a+b=c", "a+2Bb+3Dc"},
		{"sp ace", "sp+20ace"},
		{"ü", "+C3+BC"},
		{"\x00\x7f", "+00+7F"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.enc, EncodeXtext(tt.plain))
		dec, err := DecodeXtext(tt.enc)
		require.NoError(t, err)
		assert.Equal(t, tt.plain, dec)
	}
	dec, err := DecodeXtext("a+2bb")
	require.NoError(t, err, "lower-case hex tolerated")
	assert.Equal(t, "a+b", dec)
	for _, bad := range []string{"a+", "a+2", "a+GG", "a=b", "a b", "\xff", "a+2B="} {
		_, err := DecodeXtext(bad)
		require.ErrorIs(t, err, ErrXtext, "%q", bad)
	}
}
