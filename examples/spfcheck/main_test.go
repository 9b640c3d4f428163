package main

import (
	"bytes"
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/spf"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	r, err := resolver("")
	require.NoError(t, err)
	c := &spf.Checker{Resolver: r, Receiver: "mybox.example.org"}
	tests := []struct {
		name, ip, helo, sender string
		heloRes, mailfrom      spf.Status
		matched                string
	}{
		{"gmail pass via redirect", "209.85.220.41", "mail-sor-f41.google.com", "alice@gmail.com", spf.Pass, spf.Pass, "ip4:209.85.128.0/17"},
		{"gmail neutral", "192.0.2.1", "mail.example.net", "alice@gmail.com", spf.None, spf.Neutral, "?all"},
		{"hotmail pass via include", "65.55.111.70", "mail.example.net", "bob@hotmail.com", spf.None, spf.Pass, "include:spf-c.hotmail.com"},
		{"hotmail softfail", "192.0.2.1", "mail-sor-f41.google.com", "bob@hotmail.com", spf.Fail, spf.SoftFail, "~all"},
		{"no record", "192.0.2.1", "mail.example.net", "carol@example.net", spf.None, spf.None, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := check(context.Background(), c, netip.MustParseAddr(tt.ip), tt.helo, tt.sender)
			require.NoError(t, err)
			assert.Equal(t, tt.heloRes, rep.Helo.Result, "HELO identity")
			assert.Equal(t, tt.mailfrom, rep.MailFrom.Result, "MAIL FROM identity")
			if tt.matched == "" {
				assert.Nil(t, rep.MailFrom.Matched)
			} else {
				require.NotNil(t, rep.MailFrom.Matched)
				assert.Equal(t, tt.matched, rep.MailFrom.Matched.String())
			}
			assert.Contains(t, rep.ReceivedSPF, "client-ip="+tt.ip+";")
			assert.Contains(t, rep.ReceivedSPF, "envelope-from=<"+tt.sender+">;")
		})
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-ip", "192.0.2.1", "-sender", "bob@hotmail.com", "-trace"}, &out))
	assert.Contains(t, out.String(), "Received-SPF: SoftFail ")

	out.Reset()
	assert.Error(t, run(context.Background(), []string{"-ip", "not-an-ip"}, &out))
	assert.Error(t, run(context.Background(), []string{"-nosuchflag"}, &out))
}
