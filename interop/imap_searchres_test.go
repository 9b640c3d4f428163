package interop

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

// TestIMAPSearchResMatchesDovecot: the same SEARCHRES (RFC 5182) steps on
// Dovecot and our server through our client give the same results: SEARCH
// RETURN (SAVE MIN) with its ESEARCH answer, STORE on "$", SEARCH with "$"
// combined with other keys, and a FETCH of "$" after an EXPUNGE removed
// one of the saved messages. STATUS (SIZE DELETED) (RFC 8438, RFC 9051)
// is compared where Dovecot offers it.
func TestIMAPSearchResMatchesDovecot(t *testing.T) {
	requireInterop(t)
	ctx := imapInteropCtx(t)
	folder := fmt.Sprintf("MailkitSearchRes-%d", time.Now().UnixNano())
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

	results := map[string][]string{}
	for name, c := range map[string]*imapclient.Client{"dovecot": dove, "mailkit": ours} {
		require.True(t, c.Has("SEARCHRES"), "%s announces SEARCHRES", name)
		require.NoError(t, c.Create(ctx, folder))
		subjects := []string{"alpha report", "beta", "alpha notes", "gamma", "alpha final"}
		for _, s := range subjects {
			m := "From: a@example.test\r\nSubject: " + s + "\r\n\r\nbody\r\n"
			_, err := c.Append(ctx, folder, strings.NewReader(m), int64(len(m)), nil)
			require.NoError(t, err)
		}
		_, err := c.Select(ctx, folder, nil)
		require.NoError(t, err)
		var out []string
		alpha := &imap.SearchCriteria{Header: []imap.SearchHeader{{Key: "Subject", Value: "alpha"}}}
		res, err := c.ESearch(ctx, imap.NumSeq, &imapclient.SearchOptions{Save: true, Min: true, Count: true}, alpha)
		require.NoError(t, err, "%s SEARCH RETURN (SAVE MIN COUNT)", name)
		out = append(out, fmt.Sprintf("esearch min=%d count=%d", res.Min, res.Count))
		// MIN with COUNT saves all matches (RFC 5182 §2.4): flag them.
		_, err = c.Store(ctx, imap.SavedResult(), &imap.StoreFlags{Action: imap.StoreAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}})
		require.NoError(t, err, "%s STORE $", name)
		flagged, err := c.Search(ctx, &imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}})
		require.NoError(t, err)
		out = append(out, fmt.Sprint("flagged ", flagged))
		// $ as a search key, with another key.
		notes, err := c.Search(ctx, &imap.SearchCriteria{SeqNum: []imap.SeqSet{imap.SavedResult()}, Header: []imap.SearchHeader{{Key: "Subject", Value: "notes"}}})
		require.NoError(t, err, "%s SEARCH $ SUBJECT notes", name)
		out = append(out, fmt.Sprint("saved+notes ", notes))
		// Expunge message 3 (a saved one): $ now holds the other two.
		_, err = c.Store(ctx, imap.SeqSetOf(3), &imap.StoreFlags{Action: imap.StoreAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}})
		require.NoError(t, err)
		_, err = c.Expunge(ctx)
		require.NoError(t, err)
		got, err := c.FetchAll(ctx, imap.NumSeq, imap.SavedResult(), &imap.FetchOptions{Envelope: true})
		require.NoError(t, err, "%s FETCH $", name)
		var subj []string
		for _, m := range got {
			subj = append(subj, m.Envelope.Subject)
		}
		out = append(out, "fetch $ "+strings.Join(subj, "|"))
		require.NoError(t, c.Unselect(ctx))
		if dove.Has("STATUS=SIZE") {
			st, err := c.Status(ctx, folder, &imap.StatusOptions{NumMessages: true, Size: true})
			require.NoError(t, err, "%s STATUS (SIZE)", name)
			require.NotNil(t, st.Size, name)
			out = append(out, fmt.Sprintf("status messages=%d size=%d", *st.NumMessages, *st.Size))
		}
		results[name] = out
	}
	t.Logf("dovecot %q", results["dovecot"])
	t.Logf("mailkit %q", results["mailkit"])
	assert.Equal(t, []string{"esearch min=1 count=3", "flagged [1 3 5]", "saved+notes [3]", "fetch $ alpha report|alpha final"}, results["dovecot"][:4])
	assert.Equal(t, results["dovecot"], results["mailkit"])
}
