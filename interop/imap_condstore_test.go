package interop

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

// TestIMAPCondStoreMatchesDovecot runs the same CONDSTORE steps (RFC 7162
// §3.1) against Dovecot and our server with our client and compares the
// outcomes that do not depend on a server's numbering of mod-sequences:
// SELECT (CONDSTORE) gives HIGHESTMODSEQ, a flag change raises the
// message's MODSEQ above it, STORE UNCHANGEDSINCE refuses exactly the
// messages changed since (MODIFIED), FETCH (CHANGEDSINCE) and SEARCH
// MODSEQ find exactly the changed messages, STATUS HIGHESTMODSEQ agrees
// with the last MODSEQ.
func TestIMAPCondStoreMatchesDovecot(t *testing.T) {
	requireInterop(t)
	ctx := imapInteropCtx(t)
	folder := fmt.Sprintf("MailkitCondStore-%d", time.Now().UnixNano())

	dove, err := imapclient.DialStartTLS(ctx, peerAddr(portIMAP), &imapclient.Options{TLSConfig: peersTLSConfig(t, "localhost")})
	require.NoError(t, err)
	defer dove.Close()
	require.NoError(t, dove.Login(ctx, "alice@"+peersDomain, peersPassword))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = dove.Unselect(ctx)
		_ = dove.Delete(ctx, folder)
	})
	env := imapStartOurServer(t)
	ours := ourIMAPClient(t, ctx, env)

	type outcome struct {
		modified, changedSince, searched, fetchedMods string
		raised, statusAgrees                          bool
	}
	results := map[string]outcome{}
	for name, c := range map[string]*imapclient.Client{"dovecot": dove, "mailkit": ours} {
		require.True(t, c.Has("CONDSTORE"), "%s announces CONDSTORE", name)
		require.NoError(t, c.Create(ctx, folder))
		for i := 1; i <= 3; i++ {
			m := fmt.Sprintf("From: a@example.test\r\nSubject: m%d\r\n\r\nbody %d\r\n", i, i)
			_, err := c.Append(ctx, folder, strings.NewReader(m), int64(len(m)), nil)
			require.NoError(t, err)
		}
		sel, err := c.Select(ctx, folder, &imap.SelectOptions{CondStore: true})
		require.NoError(t, err, "%s SELECT (CONDSTORE)", name)
		h0 := sel.HighestModSeq
		require.NotZero(t, h0, "%s HIGHESTMODSEQ", name)

		var out outcome
		// A conditional STORE that succeeds raises the message's MODSEQ.
		msgs, err := c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(2), &imap.FetchOptions{ModSeq: true})
		require.NoError(t, err)
		require.Len(t, msgs, 1)
		m2 := msgs[0].ModSeq
		require.NotZero(t, m2)
		_, err = c.Store(ctx, imap.SeqSetOf(2), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagFlagged}, UnchangedSince: &m2})
		require.NoError(t, err, "%s STORE (UNCHANGEDSINCE current)", name)
		msgs, err = c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(2), &imap.FetchOptions{ModSeq: true})
		require.NoError(t, err)
		out.raised = msgs[0].ModSeq > h0

		// UNCHANGEDSINCE h0 over 2:3: message 2 changed since, 3 did not.
		_, err = c.Store(ctx, imap.SeqSetOf(2, 3), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagAnswered}, UnchangedSince: &h0})
		var me *imapclient.ModifiedError
		require.True(t, errors.As(err, &me), "%s STORE (UNCHANGEDSINCE stale): %v", name, err)
		out.modified = me.Modified.String()

		msgs, err = c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(1, 2, 3), &imap.FetchOptions{Flags: true, ModSeq: true, ChangedSince: h0})
		require.NoError(t, err, "%s FETCH (CHANGEDSINCE)", name)
		var nums []string
		var top uint64
		for _, m := range msgs {
			nums = append(nums, fmt.Sprint(m.SeqNum))
			top = max(top, m.ModSeq)
		}
		out.changedSince = strings.Join(nums, ",")

		h1 := h0 + 1
		found, _, err := c.SearchModSeq(ctx, imap.NumSeq, &imap.SearchCriteria{ModSeq: &h1})
		require.NoError(t, err, "%s SEARCH MODSEQ", name)
		out.searched = fmt.Sprint(found)

		all, err := c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(1, 2, 3), &imap.FetchOptions{ModSeq: true})
		require.NoError(t, err)
		var mods []string
		for _, m := range all {
			switch {
			case m.ModSeq > h0:
				mods = append(mods, "new")
			default:
				mods = append(mods, "old")
			}
			top = max(top, m.ModSeq)
		}
		out.fetchedMods = strings.Join(mods, ",")
		require.NoError(t, c.Unselect(ctx))
		st, err := c.Status(ctx, folder, &imap.StatusOptions{HighestModSeq: true})
		require.NoError(t, err, "%s STATUS (HIGHESTMODSEQ)", name)
		out.statusAgrees = st.HighestModSeq == top
		results[name] = out
	}
	d, m := results["dovecot"], results["mailkit"]
	t.Logf("dovecot %+v", d)
	t.Logf("mailkit %+v", m)
	assert.Equal(t, outcome{modified: "2", changedSince: "2,3", searched: "[2 3]", fetchedMods: "old,new,new", raised: true, statusAgrees: true}, d,
		"Dovecot behaves as RFC 7162 describes")
	assert.Equal(t, d, m)
}

// TestIMAPCondStorePythonAgainstOurServer: Python's imaplib enables
// CONDSTORE, selects with (CONDSTORE), fetches MODSEQ and sends a STORE
// with UNCHANGEDSINCE that our server must answer with [MODIFIED].
func TestIMAPCondStorePythonAgainstOurServer(t *testing.T) {
	requireInterop(t)
	ctx := imapInteropCtx(t)
	env := imapStartOurServer(t)
	for i := 1; i <= 2; i++ {
		_, err := env.be.Deliver("alice@example.test", "INBOX", []byte(fmt.Sprintf("Subject: m%d\r\n\r\nbody\r\n", i)), nil)
		require.NoError(t, err)
	}
	script := `
import imaplib, re, ssl, sys
host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
m = imaplib.IMAP4(host, port)
m.starttls(ssl.create_default_context(cafile=ca))
m.login("alice@example.test", "secret")
typ, data = m.enable("CONDSTORE")
assert typ == "OK", (typ, data)
typ, data = m._simple_command("SELECT", "INBOX", "(CONDSTORE)")
assert typ == "OK", (typ, data)
m.state = "SELECTED"  # a raw SELECT does not move imaplib's state
print("HIGHESTMODSEQ", m.untagged_responses.get("HIGHESTMODSEQ"))
typ, data = m.fetch("1:2", "(MODSEQ)")
assert typ == "OK", (typ, data)
mods = [int(re.search(rb"MODSEQ \((\d+)\)", d).group(1)) for d in data]
print("FETCH", mods)
typ, data = m._simple_command("STORE", "1", "(UNCHANGEDSINCE %d)" % mods[0], "+FLAGS", "(\\Flagged)")
print("STORE1", typ, data)
# message 1 changed after mods[1], message 2 did not
typ, data = m._simple_command("STORE", "1:2", "(UNCHANGEDSINCE %d)" % mods[1], "+FLAGS", "(\\Seen)")
print("STORE2", typ, data, m.untagged_responses.get("MODIFIED"))
m.logout()
`
	cmd := exec.CommandContext(ctx, "python3", "-c", script, "localhost", fmt.Sprint(env.port), env.caFile)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "python3 imaplib: %s", out)
	text := string(out)
	t.Log(text)
	assert.Regexp(t, `HIGHESTMODSEQ \[b'\d+'\]`, text)
	assert.Regexp(t, `FETCH \[\d+, \d+\]`, text)
	assert.Contains(t, text, "STORE1 OK")
	assert.Contains(t, text, "STORE2 OK")
	assert.Contains(t, text, "[MODIFIED 1]", "message 1 changed since, message 2 stored")
	assert.Contains(t, text, "[b'1']")
}
