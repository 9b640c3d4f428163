package interop

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

// sortThreadCorpus is a small mailbox for SORT and THREAD: reply and
// forward subjects, [tags], encoded words, missing and equal Date fields,
// threads through References and In-Reply-To (one parent missing from
// the mailbox), and From/To/Cc with and without display names.
func sortThreadCorpus() []string {
	msg := func(hdr, body string) string { return hdr + "\r\n" + body + "\r\n" }
	return []string{
		msg("From: Carol <carol@example.test>\r\nTo: Bob <bob@example.test>\r\nSubject: Project plan\r\nDate: Mon, 5 Feb 2024 09:00:00 +0000\r\nMessage-ID: <plan@example.test>\r\n", "The plan."),
		msg("From: bob@example.test\r\nTo: Carol <carol@example.test>\r\nCc: dave@example.test\r\nSubject: Re: Project plan\r\nDate: Mon, 5 Feb 2024 10:30:00 +0100\r\nMessage-ID: <re1@example.test>\r\nIn-Reply-To: <plan@example.test>\r\nReferences: <plan@example.test>\r\n", "Looks good, and here is a longer answer to make this one bigger than the rest of them."),
		msg("From: Alice <alice@example.test>\r\nTo: zed@example.test\r\nSubject: [team] Lunch?\r\nDate: Sun, 4 Feb 2024 12:00:00 -0800\r\nMessage-ID: <lunch@example.test>\r\n", "Lunch?"),
		msg("From: =?UTF-8?Q?=C3=89mile?= <emile@example.test>\r\nTo: Alice <alice@example.test>\r\nSubject: =?UTF-8?Q?Re=3A_=5Bteam=5D_Lunch=3F?=\r\nDate: Sun, 4 Feb 2024 21:00:00 +0000\r\nMessage-ID: <lunch2@example.test>\r\nReferences: <lunch@example.test>\r\n", "Yes."),
		msg("From: dave@example.test\r\nTo: carol@example.test\r\nSubject: Fwd: Project plan\r\nDate: Tue, 6 Feb 2024 08:00:00 +0000\r\nMessage-ID: <fwd@example.test>\r\n", "Forwarded."),
		msg("From: Carol <carol@example.test>\r\nTo: bob@example.test\r\nSubject: RE: re: Project plan (fwd)\r\nMessage-ID: <re2@example.test>\r\nReferences: <plan@example.test> <re1@example.test>\r\n", "No Date field here."),
		msg("From: Zoe <zoe@example.test>\r\nTo: Bob <bob@example.test>\r\nSubject: Budget\r\nDate: Mon, 5 Feb 2024 09:00:00 +0000\r\nMessage-ID: <budget@example.test>\r\nIn-Reply-To: <missing@example.test>\r\n", "Same date as the plan."),
		msg("From: bob@example.test\r\nTo: Zoe <zoe@example.test>\r\nCc: Alice <alice@example.test>\r\nSubject: Re: Budget\r\nDate: Wed, 7 Feb 2024 07:00:00 +0000\r\nMessage-ID: <budget2@example.test>\r\nReferences: <missing@example.test> <budget@example.test>\r\n", "ok"),
		msg("From: yann@example.test\r\nSubject: \r\nDate: Thu, 1 Feb 2024 00:00:00 +0000\r\nMessage-ID: <empty@example.test>\r\n", "Empty subject, no To."),
	}
}

// TestIMAPSortThreadMatchesDovecot appends the same mailbox to Dovecot
// and to our server (same internal dates) and checks that SORT (several
// key combinations, REVERSE, and SORT=DISPLAY when Dovecot has it) and
// THREAD (ORDEREDSUBJECT, REFERENCES) give the same answers from both,
// all through our client; Python's imaplib then reads SORT and THREAD
// replies from our server and must see Dovecot's answers.
func TestIMAPSortThreadMatchesDovecot(t *testing.T) {
	requireInterop(t)
	ctx := imapInteropCtx(t)
	corpus := sortThreadCorpus()
	folder := fmt.Sprintf("MailkitSort-%d", time.Now().UnixNano())

	dove, err := imapclient.DialStartTLS(ctx, peerAddr(portIMAP), &imapclient.Options{TLSConfig: peersTLSConfig(t, "localhost")})
	require.NoError(t, err)
	defer dove.Close()
	require.NoError(t, dove.Login(ctx, "alice@"+peersDomain, peersPassword))
	require.NoError(t, dove.Create(ctx, folder))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = dove.Unselect(ctx)
		_ = dove.Delete(ctx, folder)
	})

	env := imapStartOurServer(t)
	pem, err := os.ReadFile(env.caFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	ours, err := imapclient.DialStartTLS(ctx, env.plainAddr, &imapclient.Options{TLSConfig: &tls.Config{ServerName: "localhost", RootCAs: pool, MinVersion: tls.VersionTLS12}})
	require.NoError(t, err)
	defer ours.Close()
	require.NoError(t, ours.Login(ctx, "alice@example.test", "secret"))
	require.NoError(t, ours.Create(ctx, folder))

	clients := map[string]*imapclient.Client{"dovecot": dove, "mailkit": ours}
	for name, c := range clients {
		for _, cap := range []string{"SORT", "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT"} {
			require.True(t, c.Has(cap), "%s announces %s", name, cap)
		}
		// Internal dates deliberately out of the Date order, one tie.
		for i, m := range corpus {
			at := time.Date(2024, 3, 1, 12, (i*7)%len(corpus), 0, 0, time.UTC)
			if i == 4 {
				at = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
			}
			_, err := c.Append(ctx, folder, strings.NewReader(m), int64(len(m)), &imap.AppendOptions{Time: at})
			require.NoError(t, err, "%s APPEND %d", name, i+1)
		}
		sel, err := c.Select(ctx, folder, nil)
		require.NoError(t, err)
		require.Equal(t, uint32(len(corpus)), sel.NumMessages, name)
	}

	sorts := [][]imap.SortCriterion{
		{{Key: imap.SortArrival}},
		{{Key: imap.SortDate}},
		{{Key: imap.SortSize, Reverse: true}},
		{{Key: imap.SortSubject}, {Key: imap.SortDate}},
		{{Key: imap.SortSubject, Reverse: true}, {Key: imap.SortArrival, Reverse: true}},
		{{Key: imap.SortFrom}, {Key: imap.SortDate, Reverse: true}},
		{{Key: imap.SortTo}},
		{{Key: imap.SortCc}, {Key: imap.SortArrival}},
	}
	if dove.Has("SORT=DISPLAY") {
		sorts = append(sorts,
			[]imap.SortCriterion{{Key: imap.SortDisplayFrom}},
			[]imap.SortCriterion{{Key: imap.SortDisplayTo, Reverse: true}, {Key: imap.SortArrival}})
	} else {
		t.Log("Dovecot does not announce SORT=DISPLAY: DISPLAYFROM/DISPLAYTO not compared")
	}
	for _, keys := range sorts {
		name := fmt.Sprint(keys)
		want, err := dove.Sort(ctx, keys, &imap.SearchCriteria{})
		require.NoError(t, err, "dovecot SORT %s", name)
		got, err := ours.Sort(ctx, keys, &imap.SearchCriteria{})
		require.NoError(t, err, "mailkit SORT %s", name)
		assert.Equal(t, want, got, "SORT %s", name)
		// A search key narrows the set the same way on both.
		crit := &imap.SearchCriteria{Header: []imap.SearchHeader{{Key: "Subject", Value: "plan"}}}
		want, err = dove.Sort(ctx, keys, crit)
		require.NoError(t, err)
		got, err = ours.Sort(ctx, keys, crit)
		require.NoError(t, err)
		assert.Equal(t, want, got, "SORT %s with SUBJECT plan", name)
	}
	threads := map[imap.ThreadAlgorithm]string{}
	for _, alg := range []imap.ThreadAlgorithm{imap.ThreadOrderedSubject, imap.ThreadReferences} {
		want, err := dove.Thread(ctx, alg, &imap.SearchCriteria{})
		require.NoError(t, err, "dovecot THREAD %s", alg)
		got, err := ours.Thread(ctx, alg, &imap.SearchCriteria{})
		require.NoError(t, err, "mailkit THREAD %s", alg)
		assert.Equal(t, imap.FormatThreads(want), imap.FormatThreads(got), "THREAD %s", alg)
		threads[alg] = imap.FormatThreads(want)
		t.Logf("THREAD %s: %s", alg, imap.FormatThreads(got))
	}

	// Python's imaplib (sort, thread) reads the same answers from our
	// server that our client read from Dovecot.
	wantSort, err := dove.Sort(ctx, []imap.SortCriterion{{Key: imap.SortSubject}, {Key: imap.SortDate, Reverse: true}}, &imap.SearchCriteria{})
	require.NoError(t, err)
	script := `
import imaplib, ssl, sys
host, port, ca, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = imaplib.IMAP4(host, port)
m.starttls(ssl.create_default_context(cafile=ca))
m.login("alice@example.test", "secret")
typ, _ = m.select(folder, readonly=True)
assert typ == "OK", typ
typ, data = m.sort("(SUBJECT REVERSE DATE)", "UTF-8", "ALL")
assert typ == "OK", (typ, data)
print("SORT", data[0].decode())
for alg in ("ORDEREDSUBJECT", "REFERENCES"):
    typ, data = m.thread(alg, "UTF-8", "ALL")
    assert typ == "OK", (typ, data)
    print("THREAD", alg, data[0].decode())
m.logout()
`
	cmd := exec.CommandContext(ctx, "python3", "-c", script, "localhost", fmt.Sprint(env.port), env.caFile, folder)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "python3 imaplib: %s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 3, "%s", out)
	var nums []string
	for _, n := range wantSort {
		nums = append(nums, fmt.Sprint(n))
	}
	assert.Equal(t, "SORT "+strings.Join(nums, " "), lines[0])
	assert.Equal(t, "THREAD ORDEREDSUBJECT "+threads[imap.ThreadOrderedSubject], lines[1])
	assert.Equal(t, "THREAD REFERENCES "+threads[imap.ThreadReferences], lines[2])
}
