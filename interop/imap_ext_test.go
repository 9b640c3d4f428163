package interop

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
)

// binaryTestMessage is a multipart message whose second part is base64
// (bytes 0..255) and third quoted-printable.
func binaryTestMessage() (msg string, raw []byte) {
	raw = make([]byte, 256)
	for i := range raw {
		raw[i] = byte(i)
	}
	enc := base64.StdEncoding.EncodeToString(raw)
	msg = "From: a@example.test\r\nSubject: binary\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		enc[:76] + "\r\n" + enc[76:152] + "\r\n" + enc[152:228] + "\r\n" + enc[228:] + "\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"caf=C3=A9 =3D soft=\r\nbreak\r\n" +
		"--b--\r\n"
	return msg, raw
}

// ourIMAPClient logs in to our test server over STARTTLS.
func ourIMAPClient(t *testing.T, ctx context.Context, env *imapEnv) *imapclient.Client {
	t.Helper()
	return ourIMAPClientOpts(t, ctx, env, &imapclient.Options{})
}

// ourIMAPClientOpts is ourIMAPClient with client options (TLSConfig is
// set here).
func ourIMAPClientOpts(t *testing.T, ctx context.Context, env *imapEnv, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	pem, err := os.ReadFile(env.caFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	opts.TLSConfig = &tls.Config{ServerName: "localhost", RootCAs: pool, MinVersion: tls.VersionTLS12}
	c, err := imapclient.DialStartTLS(ctx, env.plainAddr, opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Login(ctx, "alice@example.test", "secret"))
	return c
}

// TestIMAPExtensionsMatchDovecot drives Dovecot and our server with our
// client through the same steps and compares what comes back:
// LIST-EXTENDED with RETURN (CHILDREN STATUS (...)) over several patterns
// (RFC 5258, 5819), the SPECIAL-USE selection and return options (RFC
// 6154; Dovecot's Drafts, Sent, Trash and Junk come from its
// configuration, ours are made with CREATE ... (USE (...)), which the
// Dovecot here does not offer), MULTIAPPEND (RFC 3502) with one message
// sent as literal8, and FETCH BINARY / BINARY.SIZE (RFC 3516) of a base64
// and a quoted-printable part.
func TestIMAPExtensionsMatchDovecot(t *testing.T) {
	requireInterop(t)
	ctx := imapInteropCtx(t)
	root := fmt.Sprintf("MailkitExt%d", time.Now().UnixNano())
	msg, raw := binaryTestMessage()
	plain := "From: b@example.test\r\nSubject: plain\r\n\r\nplain body\r\n"

	dove, err := imapclient.DialStartTLS(ctx, peerAddr(portIMAP), &imapclient.Options{TLSConfig: peersTLSConfig(t, "localhost")})
	require.NoError(t, err)
	defer dove.Close()
	require.NoError(t, dove.Login(ctx, "alice@"+peersDomain, peersPassword))
	env := imapStartOurServer(t)
	ours := ourIMAPClient(t, ctx, env)
	require.True(t, ours.Has("CREATE-SPECIAL-USE"))
	specials := map[string]imap.MailboxAttr{"Drafts": imap.AttrDrafts, "Sent": imap.AttrSent, "Trash": imap.AttrTrash, "Junk": imap.AttrJunk}
	for name, attr := range specials {
		require.NoError(t, ours.CreateWithOptions(ctx, name, &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{attr}}))
	}

	type outcome struct {
		list, special []string
		binary        []byte
		size          int64
		qp            string
	}
	attrList := func(attrs []imap.MailboxAttr, keep func(imap.MailboxAttr) bool) string {
		var out []string
		for _, a := range attrs {
			if keep(a) {
				out = append(out, strings.ToLower(string(a)))
			}
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	results := map[string]outcome{}
	for name, c := range map[string]*imapclient.Client{"dovecot": dove, "mailkit": ours} {
		for _, cap := range []string{"LIST-EXTENDED", "SPECIAL-USE", "LIST-STATUS", "MULTIAPPEND", "BINARY"} {
			require.True(t, c.Has(cap), "%s announces %s", name, cap)
		}
		box, child, other := root+"/Box", root+"/Box/2024", root+"-other"
		for _, m := range []string{root, box, child, other} {
			require.NoError(t, c.Create(ctx, m), "%s CREATE %s", name, m)
		}
		if name == "dovecot" {
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				_ = dove.Unselect(ctx)
				for _, m := range []string{child, box, root, other} {
					_ = dove.Delete(ctx, m)
				}
			})
		}

		// Two messages in one APPEND, the binary one as literal8.
		ad, err := c.AppendMulti(ctx, box, []imapclient.AppendMessage{
			{Body: strings.NewReader(msg), Size: int64(len(msg)), Binary: true, Options: &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}}},
			{Body: strings.NewReader(plain), Size: int64(len(plain))},
		})
		require.NoError(t, err, "%s MULTIAPPEND", name)
		require.Len(t, ad.UIDs, 2, "%s APPENDUID with one UID per message", name)

		var out outcome
		list, err := c.ListExtended(ctx, "", []string{root + "/*", root + "-%"}, &imap.ListOptions{
			ReturnChildren: true,
			ReturnStatus:   &imap.StatusOptions{NumMessages: true, NumUnseen: true},
		})
		require.NoError(t, err, "%s LIST-EXTENDED", name)
		for _, m := range list {
			line := strings.TrimPrefix(m.Mailbox, root) + " " + attrList(m.Attrs, func(imap.MailboxAttr) bool { return true })
			if m.Status != nil && m.Status.NumMessages != nil && m.Status.NumUnseen != nil {
				line += fmt.Sprintf(" messages=%d unseen=%d", *m.Status.NumMessages, *m.Status.NumUnseen)
			}
			out.list = append(out.list, line)
		}
		slices.Sort(out.list)

		list, err = c.ListExtended(ctx, "", []string{"*"}, &imap.ListOptions{SelectSpecialUse: true, ReturnSpecialUse: true})
		require.NoError(t, err, "%s LIST (SPECIAL-USE)", name)
		for _, m := range list {
			out.special = append(out.special, m.Mailbox+" "+attrList(m.Attrs, func(a imap.MailboxAttr) bool {
				_, ok := specials[strings.TrimPrefix(string(a), `\`)]
				return ok
			}))
		}
		slices.Sort(out.special)

		_, err = c.Select(ctx, box, &imap.SelectOptions{ReadOnly: true})
		require.NoError(t, err)
		got, err := c.FetchAll(ctx, imap.NumUID, imap.SeqSetOf(ad.UIDs[0]), &imap.FetchOptions{
			Sections: []*imap.FetchSection{
				{Part: []int{2}, Binary: true, Peek: true},
				{Part: []int{3}, Binary: true, Peek: true},
			},
			BinarySize: [][]int{{2}},
		})
		require.NoError(t, err, "%s FETCH BINARY", name)
		require.Len(t, got, 1)
		var ok bool
		out.size, ok = got[0].BinarySize(2)
		require.True(t, ok, "%s BINARY.SIZE[2]", name)
		out.binary, out.qp = got[0].Section("BINARY[2]"), string(got[0].Section("BINARY[3]"))
		results[name] = out
		require.NoError(t, c.Unselect(ctx))
	}
	d, m := results["dovecot"], results["mailkit"]
	t.Logf("LIST dovecot %q special %q", d.list, d.special)
	t.Logf("LIST mailkit %q special %q", m.list, m.special)
	require.Len(t, d.list, 3)
	assert.Equal(t, d.list, m.list, "LIST-EXTENDED with two patterns, CHILDREN and STATUS")
	assert.Equal(t, []string{`Drafts \drafts`, `Junk \junk`, `Sent \sent`, `Trash \trash`}, d.special)
	assert.Equal(t, d.special, m.special, "LIST (SPECIAL-USE) ... RETURN (SPECIAL-USE)")
	assert.Equal(t, raw, d.binary, "Dovecot's BINARY[2] is the decoded base64 part")
	assert.Equal(t, d.binary, m.binary, "BINARY[2]")
	// RFC 3516 §4.2: BINARY.SIZE is the size of what BINARY returns. Ours
	// is; the Dovecot 2.3 here reports less than the 256 octets its own
	// BINARY[2] returns for this literal8-appended base64 part, so its
	// figure is only logged.
	assert.Equal(t, int64(len(m.binary)), m.size, "our BINARY.SIZE[2] is the length of our BINARY[2]")
	assert.Equal(t, int64(len(raw)), m.size)
	t.Logf("BINARY.SIZE[2]: dovecot %d, mailkit %d (BINARY[2] is %d octets from both)", d.size, m.size, len(raw))
	// The CRLF before the boundary belongs to the delimiter (RFC 2046).
	assert.Equal(t, "café = softbreak", d.qp, "Dovecot's BINARY[3] is the decoded quoted-printable part")
	assert.Equal(t, d.qp, m.qp, "BINARY[3]")
}

// TestIMAPExtensionsPythonAgainstOurServer: Python's imaplib sends
// MULTIAPPEND-free APPEND, CREATE with USE, LIST ... RETURN (SPECIAL-USE
// STATUS (MESSAGES)) and FETCH BINARY.PEEK / BINARY.SIZE to our server
// and parses the replies.
func TestIMAPExtensionsPythonAgainstOurServer(t *testing.T) {
	requireInterop(t)
	ctx := imapInteropCtx(t)
	env := imapStartOurServer(t)
	msg, raw := binaryTestMessage()
	script := `
import imaplib, ssl, sys, time
host, port, ca, msg = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].encode()
m = imaplib.IMAP4(host, port)
m.starttls(ssl.create_default_context(cafile=ca))
m.login("alice@example.test", "secret")
typ, data = m._simple_command("CREATE", "Keep", "(USE (\\Archive))")
assert typ == "OK", (typ, data)
typ, data = m.append("Keep", None, imaplib.Time2Internaldate(time.time()), msg)
assert typ == "OK", (typ, data)
typ, data = m._simple_command("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE STATUS (MESSAGES))")
assert typ == "OK", (typ, data)
for line in m.untagged_responses.pop("LIST", []):
    print("LIST", line.decode())
for line in m.untagged_responses.pop("STATUS", []):
    print("STATUS", line.decode())
typ, _ = m.select("Keep", readonly=True)
assert typ == "OK"
typ, data = m.fetch("1", "(BINARY.PEEK[2] BINARY.SIZE[2])")
assert typ == "OK", (typ, data)
print("FETCH", data[0][0].decode(), data[1].decode())
sys.stdout.flush()
sys.stdout.buffer.write(b"DATA " + data[0][1].hex().encode() + b"\n")
m.logout()
`
	cmd := exec.CommandContext(ctx, "python3", "-c", script, "localhost", fmt.Sprint(env.port), env.caFile, msg)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "python3 imaplib: %s", out)
	text := string(out)
	t.Log(text)
	assert.Contains(t, text, `LIST (\HasNoChildren \Archive) "/" Keep`)
	assert.Contains(t, text, `STATUS Keep (MESSAGES 1)`)
	assert.Contains(t, text, "BINARY.SIZE[2] 256")
	assert.Contains(t, text, fmt.Sprintf("DATA %x\n", raw), "BINARY.PEEK[2] is the decoded part")
}
