package esmtp

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scenario2 is the EHLO reply of ../shared/SCENARIOS.md §2, byte for byte.
const scenario2 = "250-example.hades.lab at your service, [172.16.1.238]\r\n" +
	"250-SIZE 35651584\r\n" +
	"250-DSN\r\n" +
	"250-STARTTLS\r\n" +
	"250-8BITMIME\r\n" +
	"250-ENHANCEDSTATUSCODES\r\n" +
	"250-PIPELINING\r\n" +
	"250 HELP\r\n"

func TestScenario2Parse(t *testing.T) {
	t.Parallel()
	c, err := ParseEHLOReply([]byte(scenario2))
	require.NoError(t, err)
	assert.Equal(t, "example.hades.lab", c.Domain)
	assert.Equal(t, "at your service, [172.16.1.238]", c.Greeting)
	limit, ok := c.Size()
	require.True(t, ok)
	assert.Equal(t, int64(35651584), limit)
	for _, kw := range []string{DSN, STARTTLS, EightBitMIME, ENHANCEDSTATUSCODES, PIPELINING, HELP} {
		assert.True(t, c.Has(kw), kw)
	}
	for _, kw := range []string{AUTH, CHUNKING, SMTPUTF8, BINARYMIME, REQUIRETLS} {
		assert.False(t, c.Has(kw), kw)
	}
	var kws []string
	for _, e := range c.Extensions {
		kws = append(kws, e.Keyword)
	}
	assert.Equal(t, []string{"SIZE", "DSN", "STARTTLS", "8BITMIME", "ENHANCEDSTATUSCODES", "PIPELINING", "HELP"}, kws)
	// Written back, byte for byte.
	assert.Equal(t, scenario2, string(c.AppendReply(nil)))
}

func TestScenario2Build(t *testing.T) {
	t.Parallel()
	c := &Capabilities{Domain: "example.hades.lab", Greeting: "at your service, [172.16.1.238]"}
	c.Add(SIZE, "35651584")
	c.Add(DSN)
	c.Add(STARTTLS)
	c.Add(EightBitMIME)
	c.Add(ENHANCEDSTATUSCODES)
	c.Add(PIPELINING)
	c.Add(HELP)
	require.NoError(t, c.Validate())
	assert.Equal(t, scenario2, string(c.AppendReply(nil)))
	assert.Equal(t, "SIZE 35651584", c.Lines()[1])
}

func TestCapabilities(t *testing.T) {
	t.Parallel()
	c, err := ParseEHLO([]string{"mx.example.com", "auth plain LOGIN", "AUTH=LOGIN", "X-CUSTOM a b", "SIZE", "", "size 5"})
	require.NoError(t, err)
	assert.Equal(t, "mx.example.com", c.Domain)
	assert.Equal(t, "", c.Greeting)
	assert.Equal(t, []string{"PLAIN", "LOGIN"}, c.AuthMechanisms())
	e, ok := c.Get("x-custom")
	require.True(t, ok)
	assert.Equal(t, []string{"a", "b"}, e.Params)
	limit, ok := c.Size()
	assert.True(t, ok)
	assert.Zero(t, limit, "SIZE without a number; the repeated line is ignored")

	old, err := ParseEHLO([]string{"mx", "AUTH=PLAIN LOGIN"})
	require.NoError(t, err)
	assert.Equal(t, []string{"PLAIN", "LOGIN"}, old.AuthMechanisms())
	assert.Nil(t, (&Capabilities{}).AuthMechanisms())

	c.Add("size", "100")
	limit, _ = c.Size()
	assert.Equal(t, int64(100), limit)
	c.Remove(AUTH)
	assert.False(t, c.Has(AUTH))
	cl := c.Clone()
	cl.Extensions[0].Params = append(cl.Extensions[0].Params, "x")
	assert.NotEqual(t, cl.Extensions[0].Params, c.Extensions[0].Params)

	// After STARTTLS a different list is accepted.
	after, err := ParseEHLOReply([]byte("250-example.hades.lab\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 1000\r\n"))
	require.NoError(t, err)
	assert.True(t, after.Has(AUTH))
	assert.False(t, after.Has(STARTTLS))

	_, err = ParseEHLO(nil)
	require.ErrorIs(t, err, ErrEHLOSyntax)
	var nilCaps *Capabilities
	assert.False(t, nilCaps.Has(SIZE))
}

func TestParseEHLOReplyErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"",
		"250-a\r\n",
		"250-a\r\n251 b\r\n",
		"550 no\r\n",
		"250 a\r\n250 b\r\n",
		"250*a\r\n",
		"250 a",
		"250 a\rb\r\n",
		strings.Repeat("250-a\r\n", 1100) + "250 b\r\n",
	} {
		_, err := ParseEHLOReply([]byte(in))
		require.ErrorIs(t, err, ErrEHLOSyntax, "%q", in)
	}
	c, err := ParseEHLOReply([]byte("250 mx.example\n"))
	require.NoError(t, err)
	assert.Equal(t, "mx.example", c.Domain)
}

func TestValidate(t *testing.T) {
	t.Parallel()
	c := &Capabilities{Domain: "mx"}
	c.Add(BINARYMIME)
	require.ErrorIs(t, c.Validate(), ErrEHLOSyntax)
	c.Add(CHUNKING)
	require.NoError(t, c.Validate())
	c.Add("BAD_KW")
	require.Error(t, c.Validate())
	require.Error(t, (&Capabilities{}).Validate())
	c = &Capabilities{Domain: "mx", Extensions: []Extension{{Keyword: "AUTH", Params: []string{"PLAIN LOGIN"}}}}
	require.Error(t, c.Validate())
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	reg := Registry()
	require.Len(t, reg, 12)
	byKw := map[string]ExtensionSpec{}
	for _, s := range reg {
		byKw[s.Keyword] = s
	}
	assert.Equal(t, []string{"RET", "ENVID"}, byKw[DSN].MailParams)
	assert.Equal(t, []string{"NOTIFY", "ORCPT"}, byKw[DSN].RcptParams)
	assert.Equal(t, []string{"BDAT"}, byKw[CHUNKING].Commands)
	assert.Equal(t, []string{"AUTH"}, byKw[AUTH].MailParams)
	// Every parameter the registry names is known to the parser, on the
	// right command.
	for _, spec := range reg {
		for _, p := range spec.MailParams {
			ps, ok := lookupParam(p)
			require.True(t, ok, p)
			assert.Equal(t, cmdMail, ps.cmd, p)
			assert.Contains(t, ps.exts, spec.Keyword, p)
		}
		for _, p := range spec.RcptParams {
			ps, ok := lookupParam(p)
			require.True(t, ok, p)
			assert.Equal(t, cmdRcpt, ps.cmd, p)
		}
	}
	reg[0].MailParams[0] = "changed"
	s, ok := Lookup("size")
	require.True(t, ok)
	assert.Equal(t, []string{"SIZE"}, s.MailParams, "Registry returns copies")
	_, ok = Lookup("X-UNKNOWN")
	assert.False(t, ok)
}
