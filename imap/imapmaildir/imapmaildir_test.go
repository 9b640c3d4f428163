package imapmaildir_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
	"github.com/mailkit-go/mailkit/maildir"
)

const msg1 = "From: a@example.test\r\nTo: b@example.test\r\nSubject: first\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nhello world\r\n"
const msg2 = "From: c@example.test\r\nSubject: second\r\n\r\nanother body\r\n"

func flagSet(fl []imap.Flag) map[imap.Flag]bool {
	m := map[imap.Flag]bool{}
	for _, f := range fl {
		m[imap.CanonicalFlag(f)] = true
	}
	return m
}

func TestFullCommandSet(t *testing.T) {
	t.Parallel()
	e := startServer(t, t.TempDir())
	ctx := context.Background()
	c, _ := e.dial(t, "alice")

	// Mailboxes.
	require.NoError(t, c.Create(ctx, "Work/Projects"))
	require.NoError(t, c.Create(ctx, "Archive"))
	require.Error(t, c.Create(ctx, "Archive"))
	require.Error(t, c.Create(ctx, "bad.name"))
	list, err := c.List(ctx, "", "*")
	require.NoError(t, err)
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
	}
	assert.ElementsMatch(t, []string{"INBOX", "Archive", "Work", "Work/Projects"}, names)
	_, err = os.Stat(filepath.Join(e.dir, "alice", ".Work.Projects", "cur"))
	require.NoError(t, err, "Maildir++ folder on disk")

	require.NoError(t, c.Subscribe(ctx, "Archive"))
	require.NoError(t, c.Subscribe(ctx, "Work/Projects"))
	lsub, err := c.Lsub(ctx, "", "*")
	require.NoError(t, err)
	assert.Len(t, lsub, 2)
	require.NoError(t, c.Unsubscribe(ctx, "Archive"))
	require.NoError(t, c.Rename(ctx, "Work", "Job"))
	list, err = c.List(ctx, "", "Job/%")
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "Job/Projects", list[0].Mailbox)

	// APPEND with flags and date.
	date := time.Date(2025, 12, 24, 18, 30, 0, 0, time.FixedZone("", 3600))
	ad, err := c.Append(ctx, "INBOX", strings.NewReader(msg1), int64(len(msg1)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagFlagged, "$Important"}, Time: date})
	require.NoError(t, err)
	assert.Equal(t, uint32(1), ad.UID)
	ad2 := appendMsg(t, c, "INBOX", msg2)
	assert.Equal(t, uint32(2), ad2.UID)
	assert.Equal(t, ad.UIDValidity, ad2.UIDValidity)

	st, err := c.Status(ctx, "INBOX", &imap.StatusOptions{NumMessages: true, UIDNext: true, NumUnseen: true, NumRecent: true, Size: true})
	require.NoError(t, err)
	assert.Equal(t, uint32(2), *st.NumMessages)
	assert.Equal(t, uint32(3), st.UIDNext)
	assert.Equal(t, uint32(2), *st.NumUnseen)
	assert.Equal(t, uint32(2), *st.NumRecent)
	assert.Equal(t, int64(len(msg1)+len(msg2)), *st.Size)

	sd, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(2), sd.NumMessages)
	assert.Equal(t, uint32(2), sd.NumRecent)
	assert.Contains(t, sd.PermanentFlags, imap.FlagWildcard)

	// FETCH: streamed body, parsed envelope, internal date, flags.
	sec, err := imap.ParseFetchSectionName("BODY[]")
	require.NoError(t, err)
	hdr, err := imap.ParseFetchSectionName("BODY[HEADER.FIELDS (SUBJECT)]")
	require.NoError(t, err)
	hdr.Peek = true
	msgs, err := c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(1), &imap.FetchOptions{UID: true, Flags: true, InternalDate: true, RFC822Size: true, Envelope: true, Sections: []*imap.FetchSection{sec, hdr}})
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.Equal(t, msg1, string(m.Section("BODY[]")))
	assert.Equal(t, "Subject: first\r\n\r\n", string(m.Section(hdr.Name())))
	assert.Equal(t, int64(len(msg1)), m.RFC822Size)
	assert.True(t, m.InternalDate.Equal(date), "internal date %v", m.InternalDate)
	assert.Equal(t, "first", m.Envelope.Subject)
	fl := flagSet(m.Flags)
	assert.True(t, fl[imap.FlagFlagged] && fl[imap.FlagSeen] && fl["$Important"] && fl[imap.FlagRecent], "%v", m.Flags)

	// Partial fetch of a streamed body.
	part := &imap.FetchSection{Peek: true, Partial: &imap.Partial{Offset: 6, Count: 4}}
	msgs, err = c.FetchAll(ctx, imap.NumUID, imap.SeqSetOf(2), &imap.FetchOptions{Sections: []*imap.FetchSection{part}})
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Equal(t, msg2[6:10], string(msgs[0].Section("BODY[]<6>")))

	// SEARCH by flag, text and size.
	got, err := c.Search(ctx, &imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}})
	require.NoError(t, err)
	assert.Equal(t, []uint32{1}, got)
	got, err = c.UIDSearch(ctx, &imap.SearchCriteria{Body: []string{"another"}})
	require.NoError(t, err)
	assert.Equal(t, []uint32{2}, got)
	got, err = c.Search(ctx, &imap.SearchCriteria{Larger: int64(len(msg2))})
	require.NoError(t, err)
	assert.Equal(t, []uint32{1}, got)

	// STORE: maps to the file name's info letters.
	_, err = c.Store(ctx, imap.SeqSetOf(2), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagAnswered, imap.FlagDraft}})
	require.NoError(t, err)
	md, err := maildir.Open(filepath.Join(e.dir, "alice"), nil)
	require.NoError(t, err)
	all, err := md.List(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
	infos := map[string]bool{}
	for _, x := range all {
		infos[x.Info.String()] = true
	}
	assert.True(t, infos["2,DR"], "%v", infos)
	assert.True(t, infos["2,FSa"], "%v (keyword $Important = a)", infos)
	kw, err := os.ReadFile(filepath.Join(e.dir, "alice", "dovecot-keywords"))
	require.NoError(t, err)
	assert.Equal(t, "0 $Important\n", string(kw))

	// COPY and MOVE keep flags and dates, with COPYUID.
	cd, err := c.Copy(ctx, imap.SeqSetOf(1), "Archive")
	require.NoError(t, err)
	assert.Equal(t, "1", cd.SourceUIDs.String())
	assert.Equal(t, "1", cd.DestUIDs.String())
	mv, err := c.UIDMove(ctx, imap.SeqSetOf(2), "Job/Projects")
	require.NoError(t, err)
	assert.Equal(t, "2", mv.SourceUIDs.String())
	st, err = c.Status(ctx, "INBOX", &imap.StatusOptions{NumMessages: true})
	require.NoError(t, err)
	assert.Equal(t, uint32(1), *st.NumMessages)

	// EXPUNGE.
	_, err = c.Store(ctx, imap.SeqSetOf(1), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true})
	require.NoError(t, err)
	exp, err := c.Expunge(ctx)
	require.NoError(t, err)
	assert.Equal(t, []uint32{1}, exp)
	all, err = md.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, all)

	// The copies are intact.
	sd, err = c.Select(ctx, "Archive", &imap.SelectOptions{ReadOnly: true})
	require.NoError(t, err)
	assert.Equal(t, uint32(1), sd.NumMessages)
	msgs, err = c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(1), &imap.FetchOptions{Flags: true, InternalDate: true, Sections: []*imap.FetchSection{sec}})
	require.NoError(t, err)
	assert.Equal(t, msg1, string(msgs[0].Section("BODY[]")))
	assert.True(t, msgs[0].InternalDate.Equal(date))
	assert.True(t, flagSet(msgs[0].Flags)["$Important"])
	sd, err = c.Select(ctx, "Job/Projects", nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(1), sd.NumMessages)
	msgs, err = c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(1), &imap.FetchOptions{Flags: true})
	require.NoError(t, err)
	assert.True(t, flagSet(msgs[0].Flags)[imap.FlagDraft])

	// DELETE.
	require.NoError(t, c.Unselect(ctx))
	require.NoError(t, c.Delete(ctx, "Archive"))
	_, err = c.Select(ctx, "Archive", nil)
	require.Error(t, err)
	entries, err := os.ReadDir(filepath.Join(e.dir, "alice"))
	require.NoError(t, err)
	for _, en := range entries {
		assert.NotContains(t, en.Name(), "Archive")
	}
	require.NoError(t, c.Logout(ctx))
}

func TestTwoClientsSeeEachOther(t *testing.T) {
	t.Parallel()
	e := startServer(t, t.TempDir())
	ctx := context.Background()
	a, _ := e.dial(t, "bob")
	b, bu := e.dial(t, "bob")
	for i := 0; i < 3; i++ {
		appendMsg(t, a, "INBOX", msg1)
	}
	_, err := a.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	sd, err := b.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	require.Equal(t, uint32(3), sd.NumMessages)

	// A flag change by A reaches B on NOOP.
	_, err = a.Store(ctx, imap.SeqSetOf(2), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagFlagged}})
	require.NoError(t, err)
	require.NoError(t, b.Noop(ctx))
	u := bu.waitFor(t, func(u imapclient.Update) bool { return u.Name == "FETCH" })
	assert.Equal(t, uint32(2), u.Num)
	assert.True(t, flagSet(u.Message.Flags)[imap.FlagFlagged])

	// An expunge by A reaches B in IDLE, and so does an APPEND.
	idle, err := b.Idle(ctx)
	require.NoError(t, err)
	_, err = a.Store(ctx, imap.SeqSetOf(1), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagDeleted}})
	require.NoError(t, err)
	_, err = a.Expunge(ctx)
	require.NoError(t, err)
	u = bu.waitFor(t, func(u imapclient.Update) bool { return u.Name == "EXPUNGE" })
	assert.Equal(t, uint32(1), u.Num)
	ad := appendMsg(t, a, "INBOX", msg2)
	assert.Equal(t, uint32(4), ad.UID)
	u = bu.waitFor(t, func(u imapclient.Update) bool { return u.Name == "EXISTS" })
	assert.Equal(t, uint32(3), u.Num)
	require.NoError(t, idle.Done(ctx))
	msgs, err := b.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(3), &imap.FetchOptions{UID: true})
	require.NoError(t, err)
	assert.Equal(t, uint32(4), msgs[0].UID)
}

func TestExternalChanges(t *testing.T) {
	t.Parallel()
	e := startServer(t, t.TempDir())
	ctx := context.Background()
	c, cu := e.dial(t, "alice")
	appendMsg(t, c, "INBOX", msg1)
	sd, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	require.Equal(t, uint32(1), sd.NumMessages)

	md, err := maildir.Open(filepath.Join(e.dir, "alice"), nil)
	require.NoError(t, err)
	idle, err := c.Idle(ctx)
	require.NoError(t, err)

	// A delivery into new/ (as Postfix does), with bare LF line ends.
	lf := "From: x@example.test\nSubject: external\n\nline one\nline two\n"
	dm, err := md.Deliver(ctx, strings.NewReader(lf))
	require.NoError(t, err)
	u := cu.waitFor(t, func(u imapclient.Update) bool { return u.Name == "EXISTS" })
	assert.Equal(t, uint32(2), u.Num)
	cu.waitFor(t, func(u imapclient.Update) bool { return u.Name == "RECENT" })

	// A flag change by another program (rename in cur/).
	_, err = md.SetFlags(ctx, dm.Key, maildir.FlagFlagged)
	require.NoError(t, err)
	u = cu.waitFor(t, func(u imapclient.Update) bool { return u.Name == "FETCH" })
	assert.Equal(t, uint32(2), u.Num)
	assert.True(t, flagSet(u.Message.Flags)[imap.FlagFlagged])
	require.NoError(t, idle.Done(ctx))

	sec := &imap.FetchSection{Peek: true}
	msgs, err := c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(2), &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true, Sections: []*imap.FetchSection{sec}})
	require.NoError(t, err)
	crlf := strings.ReplaceAll(lf, "\n", "\r\n")
	assert.Equal(t, uint32(2), msgs[0].UID)
	assert.Equal(t, crlf, string(msgs[0].Section("BODY[]")))
	assert.Equal(t, int64(len(crlf)), msgs[0].RFC822Size)
	assert.True(t, flagSet(msgs[0].Flags)[imap.FlagRecent])

	// Removal by another program becomes an EXPUNGE.
	require.NoError(t, md.Remove(ctx, dm.Key))
	require.NoError(t, c.Noop(ctx))
	u = cu.waitFor(t, func(u imapclient.Update) bool { return u.Name == "EXPUNGE" })
	assert.Equal(t, uint32(2), u.Num)

	// The next message gets the next UID, never a reused one.
	_, err = md.Deliver(ctx, strings.NewReader(lf))
	require.NoError(t, err)
	require.NoError(t, c.Noop(ctx))
	cu.waitFor(t, func(u imapclient.Update) bool { return u.Name == "EXISTS" })
	msgs, err = c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(2), &imap.FetchOptions{UID: true})
	require.NoError(t, err)
	assert.Equal(t, uint32(3), msgs[0].UID)
}

// uidsOf returns the UIDs of a mailbox and its UIDVALIDITY.
func uidsOf(t *testing.T, e *env, user, mbox string) ([]uint32, uint32) {
	t.Helper()
	ctx := context.Background()
	c, _ := e.dial(t, user)
	defer c.Close()
	sd, err := c.Select(ctx, mbox, &imap.SelectOptions{ReadOnly: true})
	require.NoError(t, err)
	if sd.NumMessages == 0 {
		return nil, sd.UIDValidity
	}
	uids, err := c.UIDSearch(ctx, &imap.SearchCriteria{})
	require.NoError(t, err)
	return uids, sd.UIDValidity
}

func TestRestartKeepsUIDs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := startServer(t, dir)
	ctx := context.Background()
	c, _ := e.dial(t, "alice")
	require.NoError(t, c.Create(ctx, "Lists"))
	for i := 0; i < 4; i++ {
		appendMsg(t, c, "INBOX", msg1)
		appendMsg(t, c, "Lists", msg2)
	}
	_, err := c.Select(ctx, "INBOX", nil)
	require.NoError(t, err)
	_, err = c.Store(ctx, imap.SeqSetOf(2), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagDeleted}})
	require.NoError(t, err)
	_, err = c.Expunge(ctx)
	require.NoError(t, err)
	before, v1 := uidsOf(t, e, "alice", "INBOX")
	lBefore, lv1 := uidsOf(t, e, "alice", "Lists")
	assert.Equal(t, []uint32{1, 3, 4}, before)
	e.stop()

	// A crash left a temporary uidlist behind: it must be ignored.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alice", "mailkit-uidlist.tmp"), []byte("garbage 9 9\n"), 0o600))

	e2 := startServer(t, dir)
	after, v2 := uidsOf(t, e2, "alice", "INBOX")
	lAfter, lv2 := uidsOf(t, e2, "alice", "Lists")
	assert.Equal(t, before, after)
	assert.Equal(t, v1, v2, "UIDVALIDITY unchanged across restarts")
	assert.Equal(t, lBefore, lAfter)
	assert.Equal(t, lv1, lv2)
	assert.NotEqual(t, v1, lv1, "mailboxes get distinct UIDVALIDITYs")
	c2, _ := e2.dial(t, "alice")
	ad := appendMsg(t, c2, "INBOX", msg2)
	assert.Equal(t, uint32(5), ad.UID, "UIDNEXT persisted: expunged UID 2 and the old UIDs are not reused")

	// A corrupt uidlist forces a new UIDVALIDITY rather than wrong UIDs.
	e2.stop()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alice", "mailkit-uidlist"), []byte("mailkit-uidlist 1 x\n"), 0o600))
	e3 := startServer(t, dir)
	_, v3 := uidsOf(t, e3, "alice", "INBOX")
	assert.NotEqual(t, v1, v3)
}

func TestUIDListFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := startServer(t, dir)
	c, _ := e.dial(t, "alice")
	appendMsg(t, c, "INBOX", msg1)
	appendMsg(t, c, "INBOX", msg2)
	data, err := os.ReadFile(filepath.Join(dir, "alice", "mailkit-uidlist"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 3)
	assert.Regexp(t, `^mailkit-uidlist 2 \d+ 3 3$`, lines[0], "version 2: HIGHESTMODSEQ 3 after two appends")
	md, err := maildir.Open(filepath.Join(dir, "alice"), nil)
	require.NoError(t, err)
	all, err := md.List(context.Background())
	require.NoError(t, err)
	keys := map[string]bool{}
	for _, m := range all {
		keys[m.Key] = true
	}
	for i, l := range lines[1:] {
		f := strings.SplitN(l, " ", 4)
		require.Len(t, f, 4)
		assert.Equal(t, fmt.Sprint(i+1), f[0], "uid")
		assert.Equal(t, fmt.Sprint(i+2), f[1], "modseq")
		assert.Equal(t, "2,", f[2], "info")
		assert.True(t, keys[f[3]], f[3])
	}
}

// TestConcurrency runs two Backends (as two server processes would) on one
// Maildir with clients appending and an external deliverer, and checks
// that every message got exactly one UID, all distinct and ascending in
// arrival order per writer.
func TestConcurrency(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e1 := startServer(t, dir)
	e2 := startServer(t, dir)
	ctx := context.Background()
	const perWriter = 8
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	results := make([][]uint32, 4)
	for w := 0; w < 4; w++ {
		e := e1
		if w%2 == 1 {
			e = e2
		}
		c, _ := e.dial(t, "alice")
		if w == 0 {
			_, err := c.Select(ctx, "INBOX", nil)
			require.NoError(t, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				body := fmt.Sprintf("Subject: w%d m%d\r\n\r\nbody\r\n", w, i)
				d, err := c.Append(ctx, "INBOX", strings.NewReader(body), int64(len(body)), nil)
				if err != nil {
					errs <- err
					return
				}
				results[w] = append(results[w], d.UID)
				if w == 0 {
					if err := c.Noop(ctx); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	md, err := maildir.Open(filepath.Join(dir, "alice"), nil)
	require.NoError(t, err)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < perWriter; i++ {
			if _, err := md.Deliver(ctx, strings.NewReader("Subject: ext\n\nx\n")); err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	seen := map[uint32]bool{}
	for _, r := range results {
		require.Len(t, r, perWriter)
		for i, u := range r {
			require.False(t, seen[u], "UID %d assigned twice", u)
			seen[u] = true
			if i > 0 {
				require.Greater(t, u, r[i-1])
			}
		}
	}
	uids1, v1 := uidsOf(t, e1, "alice", "INBOX")
	uids2, v2 := uidsOf(t, e2, "alice", "INBOX")
	assert.Len(t, uids1, 5*perWriter)
	assert.Equal(t, uids1, uids2)
	assert.Equal(t, v1, v2)
	for i := 1; i < len(uids1); i++ {
		assert.Greater(t, uids1[i], uids1[i-1])
	}
}

func TestLoginAndErrors(t *testing.T) {
	t.Parallel()
	e := startServer(t, t.TempDir())
	ctx := context.Background()
	c, err := imapclient.DialTLS(ctx, e.addr, &imapclient.Options{TLSConfig: e.ca.ClientConfig("localhost")})
	require.NoError(t, err)
	defer c.Close()
	require.Error(t, c.Login(ctx, "alice", "wrong"))
	require.Error(t, c.Login(ctx, "nobody", "secret"))
	require.NoError(t, c.Login(ctx, "alice", "secret"))
	_, err = c.Select(ctx, "NoSuch", nil)
	require.Error(t, err)
	_, err = c.Append(ctx, "NoSuch", bytes.NewReader([]byte(msg1)), int64(len(msg1)), nil)
	var se *imapclient.StatusError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Code, "TRYCREATE")
	require.Error(t, c.Delete(ctx, "NoSuch"))
	require.Error(t, c.Rename(ctx, "NoSuch", "Other"))

	// RENAME INBOX moves its messages and leaves INBOX empty.
	appendMsg(t, c, "INBOX", msg1)
	require.NoError(t, c.Rename(ctx, "INBOX", "Old"))
	st, err := c.Status(ctx, "Old", &imap.StatusOptions{NumMessages: true})
	require.NoError(t, err)
	assert.Equal(t, uint32(1), *st.NumMessages)
	st, err = c.Status(ctx, "INBOX", &imap.StatusOptions{NumMessages: true})
	require.NoError(t, err)
	assert.Equal(t, uint32(0), *st.NumMessages)
}
