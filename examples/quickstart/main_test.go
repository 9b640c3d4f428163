package main

import (
	"bytes"
	"context"
	"net/mail"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/esmtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDemo runs the whole demonstration and checks what happened at each
// hop from the events the MTA recorded and the replies its clients got,
// not from the printed text.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var printed bytes.Buffer
	out, err := demo(ctx, &printed)
	require.NoError(t, err)
	require.NotNil(t, out)

	t.Run("client replies", func(t *testing.T) {
		want := []struct {
			name     string
			code     int
			enhanced string
		}{
			{"greylist-first", 451, "4.7.1"},
			{"greylist-retry", 250, ""},
			{"spf-fail", 550, "5.7.23"},
			{"dnsbl", 554, "5.7.1"},
			{"relay", 550, "5.7.1"},
			{"auth-plaintext", 538, "5.7.11"},
			{"submission", 250, ""},
		}
		require.Len(t, out.Steps, len(want))
		for i, w := range want {
			s := out.Steps[i]
			assert.Equal(t, w.name, s.Name)
			assert.Equal(t, w.code, s.Code, "%s: %s", s.Name, s.Reply)
			if w.enhanced != "" {
				assert.Contains(t, s.Reply, " "+w.enhanced+" ", s.Name)
			}
		}
	})

	t.Run("greylisted then accepted", func(t *testing.T) {
		grey := find(out.Events, KindGreylisted, "mx", bob)
		require.Len(t, grey, 1)
		assert.Equal(t, carol, grey[0].From)
		pass := find(out.Events, KindGreylistPass, "mx", bob)
		require.Len(t, pass, 1)
		assert.True(t, pass[0].At.Sub(grey[0].At) >= 5*time.Minute, "accepted only after the delay (simulated)")
	})

	t.Run("SPF", func(t *testing.T) {
		var pass, fail bool
		for _, e := range find(out.Events, KindSPF, "mx", "") {
			if e.From == carol && strings.HasSuffix(e.Result, ": pass") {
				pass = true
				assert.True(t, strings.HasPrefix(e.Detail, "Received-SPF: Pass "), e.Detail)
				assert.Contains(t, e.Detail, "client-ip=127.0.0.1;")
			}
			if e.From == "ceo@"+remoteDomain {
				fail = strings.HasSuffix(e.Result, ": fail")
				assert.Equal(t, netip.MustParseAddr("203.0.113.66"), e.Client, "address from XCLIENT")
			}
		}
		assert.True(t, pass, "carol passes SPF")
		assert.True(t, fail, "the forged sender fails SPF")
		require.Len(t, find(out.Events, KindSPFReject, "mx", ""), 1)
	})

	t.Run("DNSBL", func(t *testing.T) {
		blocked := find(out.Events, KindDNSBLBlock, "mx", "")
		require.Len(t, blocked, 1)
		assert.Equal(t, netip.MustParseAddr("127.0.0.2"), blocked[0].Client)
		assert.Contains(t, blocked[0].Result, blocklist)
	})

	t.Run("relay refused by the MX profile", func(t *testing.T) {
		// The smtp server refuses the relay before the backend's Rcpt:
		// the MX hop never records a recipient at remote.test.
		for _, e := range out.Events {
			if e.Hop == "mx" {
				assert.NotEqual(t, dave, e.To, "%+v", e)
			}
		}
	})

	t.Run("local deliveries", func(t *testing.T) {
		d := find(out.Events, KindDelivered, "", bob)
		require.Len(t, d, 2)
		assert.Equal(t, "mx", d[0].Hop)
		assert.Equal(t, "submission", d[1].Hop)
	})

	t.Run("forwarded after a temporary failure", func(t *testing.T) {
		var kinds []Kind
		for _, e := range out.Events {
			if e.Hop == "queue" && e.To == dave && e.Kind != KindRoute {
				kinds = append(kinds, e.Kind)
			}
		}
		assert.Equal(t, []Kind{KindQueued, KindDeferred, KindDeferred, KindForwarded}, kinds)
		require.Len(t, out.Remote, 1)
		rm := out.Remote[0]
		assert.Equal(t, alice, rm.From)
		assert.Equal(t, []string{dave}, rm.To)
		assert.True(t, rm.TLS, "opportunistic STARTTLS to the next hop")
		assert.Len(t, rm.Header["Received"], 2, "submission hop and forwarding hop")
		queued := find(out.Events, KindQueued, "queue", dave)
		require.Len(t, queued, 1)
		assert.Contains(t, queued[0].Result, "on disk as "+spoolPrefix)
		assert.Equal(t, 1, out.Spooled, "on disk when the client got 250")
		assert.Equal(t, 0, out.Unsent, "removed from disk once forwarded")
	})

	t.Run("bounce for the unknown remote recipient", func(t *testing.T) {
		bounced := find(out.Events, KindBounced, "queue", frank)
		require.Len(t, bounced, 1)
		assert.Contains(t, bounced[0].Result, "550 5.1.1")
		require.Len(t, find(out.Events, KindDSN, "queue", alice), 1)
		require.Len(t, out.DSN, 1, "exactly one message in alice's Maildir")
		r, err := esmtp.ParseReport(out.DSN[0])
		require.NoError(t, err)
		require.Len(t, r.Recipients, 1)
		rs := r.Recipients[0]
		assert.Equal(t, esmtp.RFC822(frank), rs.FinalRecipient)
		assert.Equal(t, esmtp.ActionFailed, rs.Action)
		assert.Equal(t, "5.1.1", rs.Status.String())
		assert.Contains(t, rs.DiagnosticCode.Value, "550 5.1.1 <"+frank+">")
		assert.Contains(t, string(r.Returned), "Minutes of Monday's meeting")
		for _, rm := range out.Remote {
			assert.NotContains(t, rm.To, frank)
		}
	})

	t.Run("POP3 download", func(t *testing.T) {
		require.Len(t, out.POP3, 2)
		first, err := mail.ReadMessage(bytes.NewReader(out.POP3[0]))
		require.NoError(t, err)
		assert.Equal(t, "Lunch on Friday?", first.Header.Get("Subject"))
		assert.True(t, strings.HasPrefix(first.Header.Get("Received-SPF"), "Pass "))
		second, err := mail.ReadMessage(bytes.NewReader(out.POP3[1]))
		require.NoError(t, err)
		assert.Equal(t, "Minutes of Monday's meeting", second.Header.Get("Subject"))
		assert.Len(t, find(out.Events, KindPOP3Deleted, "pop3", bob), 1)
		assert.Equal(t, 0, out.Left, "deleted from the Maildir after QUIT")
	})

	t.Run("nothing left behind", func(t *testing.T) {
		require.NotEmpty(t, out.MailRoot)
		_, err := os.Stat(out.MailRoot)
		assert.True(t, os.IsNotExist(err), "temporary Maildir root removed: %v", err)
		require.NotEmpty(t, out.SpoolDir)
		_, err = os.Stat(out.SpoolDir)
		assert.True(t, os.IsNotExist(err), "temporary spool removed: %v", err)
		assert.Contains(t, printed.String(), "== 10. Shutdown")
	})
}

// find returns the events of a kind, optionally restricted to a hop and a
// recipient.
func find(events []Event, kind Kind, hop, to string) []Event {
	var out []Event
	for _, e := range events {
		if e.Kind == kind && (hop == "" || e.Hop == hop) && (to == "" || e.To == to) {
			out = append(out, e)
		}
	}
	return out
}
