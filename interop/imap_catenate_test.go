package interop

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

// TestIMAPCatenateAndContextMatchDovecot runs the same steps on Dovecot
// and our server through our client: CATENATE (RFC 4469) builds a message
// from a TEXT part and a URL to the body of a stored message, and a URL
// with a wrong UIDVALIDITY is refused with BADURL; then a UID SEARCH
// RETURN (ALL UPDATE) context (CONTEXT=SEARCH, RFC 5267 §4) reports a
// matching message appended by a second connection as ADDTO after a
// NOOP, and PARTIAL 1:2 returns the first two matches.
func TestIMAPCatenateAndContextMatchDovecot(t *testing.T) {
	requireInterop(t)
	ctx := imapInteropCtx(t)
	folder := fmt.Sprintf("MailkitCat%d", time.Now().UnixNano())
	type dialer func(opts *imapclient.Options) *imapclient.Client
	doveDial := func(opts *imapclient.Options) *imapclient.Client {
		opts.TLSConfig = peersTLSConfig(t, "localhost")
		c, err := imapclient.DialStartTLS(ctx, peerAddr(portIMAP), opts)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		require.NoError(t, c.Login(ctx, "alice@"+peersDomain, peersPassword))
		return c
	}
	env := imapStartOurServer(t)
	oursDial := func(opts *imapclient.Options) *imapclient.Client {
		return ourIMAPClientOpts(t, ctx, env, opts)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := imapclient.DialStartTLS(ctx, peerAddr(portIMAP), &imapclient.Options{TLSConfig: peersTLSConfig(t, "localhost")})
		if err == nil {
			if c.Login(ctx, "alice@"+peersDomain, peersPassword) == nil {
				_ = c.Delete(ctx, folder)
			}
			c.Close()
		}
	})

	results := map[string][]string{}
	for name, dial := range map[string]dialer{"dovecot": doveDial, "mailkit": oursDial} {
		var mu sync.Mutex
		var updates []*imapclient.ContextUpdate
		c := dial(&imapclient.Options{OnUpdate: func(u *imapclient.Update) {
			if cu, ok, err := imapclient.ParseContextUpdate(u); ok && err == nil {
				mu.Lock()
				updates = append(updates, cu)
				mu.Unlock()
			}
		}})
		for _, cap := range []string{"CATENATE", "CONTEXT=SEARCH"} {
			require.True(t, c.Has(cap), "%s announces %s", name, cap)
		}
		require.NoError(t, c.Create(ctx, folder))
		src := "From: a@example.test\r\nSubject: source\r\n\r\nthe body to reuse\r\n"
		ad, err := c.Append(ctx, folder, strings.NewReader(src), int64(len(src)), nil)
		require.NoError(t, err)
		require.NotZero(t, ad.UID, "%s APPENDUID", name)
		head := "From: b@example.test\r\nSubject: catenated\r\n\r\n"
		url := fmt.Sprintf("/%s;UIDVALIDITY=%d/;UID=%d/;SECTION=TEXT", folder, ad.UIDValidity, ad.UID)
		_, err = c.AppendMulti(ctx, folder, []imapclient.AppendMessage{{Catenate: []imapclient.CatenatePart{
			{Text: strings.NewReader(head), Size: int64(len(head))}, {URL: url},
		}}})
		require.NoError(t, err, "%s APPEND CATENATE", name)
		badURL := fmt.Sprintf("/%s;UIDVALIDITY=%d/;UID=%d", folder, ad.UIDValidity+1, ad.UID)
		_, err = c.AppendMulti(ctx, folder, []imapclient.AppendMessage{{Catenate: []imapclient.CatenatePart{{URL: badURL}}}})
		var se *imapclient.StatusError
		require.ErrorAs(t, err, &se, "%s: a stale UIDVALIDITY", name)
		out := []string{"stale url: " + se.Type + " " + strings.SplitN(se.Code, " ", 2)[0]}

		_, err = c.Select(ctx, folder, nil)
		require.NoError(t, err)
		got, err := c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(2), &imap.FetchOptions{Sections: []*imap.FetchSection{{Peek: true}}})
		require.NoError(t, err)
		require.Len(t, got, 1)
		out = append(out, "catenated: "+string(got[0].Section("BODY[]")))

		res, err := c.ESearch(ctx, imap.NumUID, &imapclient.SearchOptions{All: true, Update: true}, &imap.SearchCriteria{Body: []string{"body"}})
		require.NoError(t, err, "%s UID SEARCH RETURN (ALL UPDATE)", name)
		out = append(out, fmt.Sprintf("search: %d matches", len(res.All)))
		other := dial(&imapclient.Options{})
		more := "From: c@example.test\r\nSubject: later\r\n\r\nanother body\r\n"
		ad2, err := other.Append(ctx, folder, strings.NewReader(more), int64(len(more)), nil)
		require.NoError(t, err)
		require.NoError(t, c.Noop(ctx))
		mu.Lock()
		var added []string
		for _, u := range updates {
			for _, ch := range u.Changes {
				if !ch.Remove && u.Tag == res.Tag {
					for _, n := range ch.Nums {
						added = append(added, fmt.Sprint(n == ad2.UID))
					}
				}
			}
		}
		mu.Unlock()
		out = append(out, "addto new uid: "+strings.Join(added, ","))
		require.NoError(t, c.CancelUpdate(ctx, res.Tag))
		part, err := c.ESearch(ctx, imap.NumSeq, &imapclient.SearchOptions{Partial: &imapclient.PartialRange{First: 1, Last: 2}}, &imap.SearchCriteria{Body: []string{"body"}})
		require.NoError(t, err, "%s SEARCH RETURN (PARTIAL 1:2)", name)
		require.NotNil(t, part.Partial, name)
		out = append(out, fmt.Sprintf("partial %d:%d %v", part.Partial.First, part.Partial.Last, part.Partial.Nums))
		require.NoError(t, c.Unselect(ctx))
		results[name] = out
	}
	t.Logf("dovecot %q", results["dovecot"])
	t.Logf("mailkit %q", results["mailkit"])
	assert.Equal(t, []string{"stale url: NO BADURL",
		"catenated: From: b@example.test\r\nSubject: catenated\r\n\r\nthe body to reuse\r\n",
		"search: 2 matches", "addto new uid: true", "partial 1:2 [1 2]"}, results["dovecot"])
	assert.Equal(t, results["dovecot"], results["mailkit"])
}
