package senderid_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/senderid"
)

// FuzzPRA feeds header blocks ("Name: value" lines) to the PRA algorithm:
// it must never panic, and a PRA it returns must come from a field of the
// kind its step names and contain a domain.
func FuzzPRA(f *testing.F) {
	for _, s := range []string{
		"Resent-From: rf@a.example\nReceived: x\nResent-Sender: rs@b.example\nFrom: f@c.example",
		"Sender: a@b.example\nSender: c@d.example",
		"From: (c) a@b.example (d)",
		"From: g:a@b.example;",
		"From: \"x:y\" <a@b.example>",
		"Resent-Sender:  \nFrom: a@[1.2.3.4]",
	} {
		f.Add(s)
	}
	names := map[senderid.PRAStep]string{1: "resent-sender", 2: "resent-from", 3: "sender", 4: "from"}
	f.Fuzz(func(t *testing.T, block string) {
		var fields []senderid.Field
		for _, line := range strings.Split(block, "\n") {
			name, value, _ := strings.Cut(line, ":")
			fields = append(fields, senderid.Field{Name: name, Value: value})
		}
		res, err := senderid.PRA(fields)
		if err != nil {
			require.ErrorIs(t, err, senderid.ErrNoPRA)
			return
		}
		require.Equal(t, names[res.Step], strings.ToLower(strings.TrimSpace(fields[res.Index].Name)))
		require.NotEmpty(t, res.Domain)
		require.True(t, strings.HasSuffix(res.Address, "@"+res.Domain))
	})
}
