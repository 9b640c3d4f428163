package interop

// Interop tests of the maildir and mbox packages: messages we store are read
// by Dovecot (IMAP, through Python's imaplib) and Python's mailbox module;
// messages Postfix and Python store are read by us.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/maildir"
	"github.com/mailkit-go/mailkit/mbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storagePython runs a Python 3 script with args and decodes its JSON output
// into out.
func storagePython(t *testing.T, script string, out any, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", append([]string{"-c", script}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	require.NoError(t, err, "python3: %s", stderr.String())
	require.NoError(t, json.Unmarshal(b, out), "python3 output %q", b)
}

// storageChownLike gives path the owner of dir: the tests run as root, the
// Dovecot peer reads the Maildir as the mail user.
func storageChownLike(t *testing.T, path, dir string) {
	t.Helper()
	st, err := os.Stat(dir)
	require.NoError(t, err)
	s, ok := st.Sys().(*syscall.Stat_t)
	require.True(t, ok)
	require.NoError(t, os.Chown(path, int(s.Uid), int(s.Gid)))
}

// The IMAP side: log in, find each Message-ID, return flags, RFC822.SIZE and
// the message; then add \Answered to the first message.
const storageIMAPScript = `
import base64, imaplib, json, re, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ids = sys.argv[5:]
imap = imaplib.IMAP4(host, port)
imap.login(user, pw)
imap.select("INBOX")
out = []
for i, mid in enumerate(ids):
    typ, data = imap.uid("SEARCH", None, "HEADER", "Message-ID", mid)
    uids = data[0].split()
    if len(uids) != 1:
        raise SystemExit("found %d messages for %s" % (len(uids), mid))
    uid = uids[0]
    typ, data = imap.uid("FETCH", uid, "(FLAGS RFC822.SIZE BODY.PEEK[])")
    meta = data[0][0].decode()
    flags = re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split()
    size = int(re.search(r"RFC822\.SIZE (\d+)", meta).group(1))
    out.append({"flags": sorted(flags), "size": size, "body": base64.b64encode(data[0][1]).decode()})
    if i == 0:
        imap.uid("STORE", uid, "+FLAGS", "(\\Answered)")
imap.logout()
print(json.dumps(out))
`

func TestStorageMaildirThroughDovecotIMAP(t *testing.T) {
	requireInterop(t)
	ctx := context.Background()
	dir := peersMaildir("bob")
	md, err := maildir.Open(dir, nil)
	require.NoError(t, err, "Dovecot's mail_location is maildir:~/ with home %s", dir)

	stamp := time.Now().UnixNano()
	bodies := []string{
		fmt.Sprintf("From: alice@example.test\nTo: bob@example.test\nSubject: maildir interop 1\nMessage-ID: <mk-storage-1-%d@example.test>\n\nFrom the maildir package,\nhello Dovecot.\n", stamp),
		fmt.Sprintf("From: alice@example.test\r\nTo: bob@example.test\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nMessage-ID: <mk-storage-2-%d@example.test>\r\n\r\nflagged and seen\r\n", stamp),
	}
	m1, err := md.Deliver(ctx, strings.NewReader(bodies[0]))
	require.NoError(t, err)
	storageChownLike(t, filepath.Join(dir, "new", m1.Filename), dir)
	m2, err := md.Append(ctx, strings.NewReader(bodies[1]), maildir.Info{Flags: maildir.FlagSeen | maildir.FlagFlagged})
	require.NoError(t, err)
	storageChownLike(t, filepath.Join(dir, "cur", m2.Filename), dir)
	t.Cleanup(func() {
		_ = md.Remove(ctx, m1.Key)
		_ = md.Remove(ctx, m2.Key)
	})

	var got []struct {
		Flags []string `json:"flags"`
		Size  int64    `json:"size"`
		Body  string   `json:"body"`
	}
	storagePython(t, storageIMAPScript, &got, "127.0.0.1", fmt.Sprint(peerPort(portIMAP)), "bob@"+peersDomain, peersPassword,
		fmt.Sprintf("<mk-storage-1-%d@example.test>", stamp), fmt.Sprintf("<mk-storage-2-%d@example.test>", stamp))
	require.Len(t, got, 2)
	wantFlags := [][]string{{}, {`\Flagged`, `\Seen`}}
	for i, g := range got {
		body, err := base64.StdEncoding.DecodeString(g.Body)
		require.NoError(t, err)
		crlf := strings.ReplaceAll(strings.ReplaceAll(bodies[i], "\r\n", "\n"), "\n", "\r\n")
		assert.Equal(t, crlf, string(body), "message %d as Dovecot serves it", i+1)
		assert.Equal(t, int64(len(crlf)), g.Size, "RFC822.SIZE of message %d (our W= field)", i+1)
		var flags []string
		for _, f := range g.Flags {
			if f != `\Recent` {
				flags = append(flags, f)
			}
		}
		if flags == nil {
			flags = []string{}
		}
		assert.Equal(t, wantFlags[i], flags, "flags of message %d", i+1)
	}

	// Dovecot renamed message 1 into cur/ with R for \Answered; we find it
	// by its unchanged key.
	st, err := md.Stat(ctx, m1.Key)
	require.NoError(t, err)
	assert.False(t, st.New)
	assert.True(t, st.Info.Flags.Has(maildir.FlagReplied), "flags after Dovecot's STORE: %s", st.Filename)
	rc, err := md.Open(ctx, m1.Key)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, bodies[0], string(b))
}

func TestStorageMaildirFromPostfix(t *testing.T) {
	requireInterop(t)
	ctx := context.Background()
	md, err := maildir.Open(peersMaildir("alice"), nil)
	require.NoError(t, err)
	before := map[string]bool{}
	list, err := md.List(ctx)
	require.NoError(t, err)
	for _, m := range list {
		before[m.Key] = true
	}
	t.Log(peersClient(t, "smtp-swaks", "127.0.0.1", peerPort(portSMTP), "", "", "starttls", "MK_TO=alice@"+peersDomain))

	var found []maildir.Message
	deadline := time.Now().Add(60 * time.Second)
	for len(found) == 0 {
		require.True(t, time.Now().Before(deadline), "the message Postfix accepted never reached %s", md.Dir())
		time.Sleep(100 * time.Millisecond)
		list, err := md.List(ctx)
		require.NoError(t, err)
		for _, m := range list {
			if !before[m.Key] {
				found = append(found, m)
			}
		}
	}
	require.Len(t, found, 1)
	msg := found[0]
	t.Logf("Postfix file name: %s (new=%v)", msg.Filename, msg.New)
	rc, err := md.Open(ctx, msg.Key)
	require.NoError(t, err)
	body, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Contains(t, string(body), "Subject: swaks multipart test")
	assert.Contains(t, string(body), "Hello from the mailkit interop harness")
	assert.Contains(t, string(body), "Received: ")
	size, err := md.Size(ctx, msg.Key)
	require.NoError(t, err)
	assert.Equal(t, int64(len(body)), size)
	// Mark it seen the way a reader would; Dovecot shares the Maildir.
	st, err := md.SetFlags(ctx, msg.Key, maildir.FlagSeen)
	require.NoError(t, err)
	assert.Equal(t, "2,S", st.Info.String())
}

const storageMboxReadScript = `
import base64, json, mailbox, sys
box = mailbox.mbox(sys.argv[1], create=False)
out = []
for key in box.keys():
    msg = box.get_message(key)
    out.append({"from": msg.get_from(), "body": base64.b64encode(box.get_bytes(key)).decode()})
print(json.dumps(out))
`

const storageMboxWriteScript = `
import base64, json, mailbox, sys, time
box = mailbox.mbox(sys.argv[1])
raw = [
    b"From: a@example.test\nSubject: one\n\nplain body\n",
    b"From: b@example.test\nSubject: two\n\nFrom the body, a line Python must quote\nend\n",
    b"Subject: three\n\nno final newline",
]
m0 = mailbox.mboxMessage(raw[0])
m0.set_from("alice@example.test", time.gmtime(1764436961))
box.lock()
box.add(m0)
box.add(raw[1])
box.add(raw[2])
box.flush()
box.unlock()
box.close()
print(json.dumps([base64.b64encode(r).decode() for r in raw]))
`

func TestStorageMboxPython(t *testing.T) {
	requireInterop(t)
	ctx := context.Background()
	date := time.Date(2026, 11, 29, 17, 22, 41, 0, time.UTC)

	t.Run("we write, Python reads", func(t *testing.T) {
		box := &mbox.Mailbox{Path: filepath.Join(t.TempDir(), "mbox")}
		bodies := []string{
			"From: a@example.test\nSubject: 1\n\nhello\n",
			"Subject: 2\n\nFrom the start of a line\n>From already quoted\n\n",
			"Subject: 3\r\n\r\ncrlf body\r\n",
		}
		senders := []string{"alice@example.test", "", "bob@example.test"}
		for i, b := range bodies {
			require.NoError(t, box.Append(ctx, mbox.Envelope{From: senders[i], Date: date}, strings.NewReader(b)))
		}
		var got []struct {
			From string `json:"from"`
			Body string `json:"body"`
		}
		storagePython(t, storageMboxReadScript, &got, box.Path)
		require.Len(t, got, len(bodies))
		wantFrom := []string{"alice@example.test", "MAILER-DAEMON", "bob@example.test"}
		for i := range bodies {
			assert.Equal(t, wantFrom[i]+" Sun Nov 29 17:22:41 2026", got[i].From)
			body, err := base64.StdEncoding.DecodeString(got[i].Body)
			require.NoError(t, err)
			// Python does not unquote: it sees the mboxrd-quoted lines.
			want := strings.ReplaceAll(bodies[i], "\nFrom the", "\n>From the")
			want = strings.ReplaceAll(want, "\n>From already", "\n>>From already")
			assert.Equal(t, want, string(body), "message %d", i+1)
		}
	})

	t.Run("Python writes, we read", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "mbox")
		var raw64 []string
		storagePython(t, storageMboxWriteScript, &raw64, path)
		require.Len(t, raw64, 3)
		box := &mbox.Mailbox{Path: path}
		var got []*mbox.Message
		var bodies []string
		require.NoError(t, box.Read(ctx, func(r *mbox.Reader) error {
			for {
				m, err := r.Next()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				b, err := io.ReadAll(m.Body)
				if err != nil {
					return err
				}
				got = append(got, m)
				bodies = append(bodies, string(b))
			}
		}))
		require.Len(t, got, 3)
		assert.Equal(t, "alice@example.test", got[0].From)
		assert.True(t, got[0].Date.Equal(time.Unix(1764436961, 0)), "date %v", got[0].Date)
		assert.Equal(t, "MAILER-DAEMON", got[1].From)
		for i, r := range raw64 {
			want, err := base64.StdEncoding.DecodeString(r)
			require.NoError(t, err)
			if i == 2 {
				want = append(want, '\n') // Python adds the missing final newline
			}
			assert.Equal(t, string(want), bodies[i], "message %d", i+1)
		}
	})
}
