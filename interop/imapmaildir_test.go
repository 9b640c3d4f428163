package interop

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
	"github.com/mailkit-go/mailkit/imap/imapmaildir"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/maildir"
	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// imapmaildirServe starts our IMAP server (implicit TLS, own test CA) over
// the peers' Maildirs: user "bob" is peersMaildir("bob"), the Maildir
// Postfix delivers into and Dovecot serves. It returns the address and the
// CA certificate file.
func imapmaildirServe(t *testing.T) (addr, caFile string) {
	t.Helper()
	ca, err := tlsutil.NewCA(nil)
	require.NoError(t, err)
	caFile = filepath.Join(t.TempDir(), "ca.crt")
	require.NoError(t, ca.WriteCert(caFile))
	cfg, err := ca.ServerConfig("localhost", "127.0.0.1")
	require.NoError(t, err)
	be := &imapmaildir.Backend{
		Root: func(u string) (string, error) { return peersMaildir(strings.TrimSuffix(u, "@"+peersDomain)), nil },
		Credentials: sasl.CredentialsFunc(func(ctx context.Context, u string) (*sasl.Secret, error) {
			if u != "bob" && u != "bob@"+peersDomain {
				return nil, sasl.ErrUnknownUser
			}
			return &sasl.Secret{Password: []byte(peersPassword)}, nil
		}),
		PollInterval: 200 * time.Millisecond,
	}
	srv := &imapserver.Server{Backend: be, TLSConfig: cfg}
	l, err := tlsutil.Listen(context.Background(), "tcp", "127.0.0.1:0", tlsutil.ModeImplicit, cfg)
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return l.Addr().String(), caFile
}

// imaplib session against our server: find the message by Subject text,
// return its UID, flags and body, then set \Flagged and \Seen.
const imapmaildirPyScript = `
import base64, imaplib, json, re, ssl, sys
host, port, ca, user, pw, needle = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
M = imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(cafile=ca), timeout=30)
M.login(user, pw)
typ, data = M.select("INBOX")
assert typ == "OK", data
typ, data = M.uid("SEARCH", None, "HEADER", "X-Mailkit-Test", needle)
uids = data[0].split()
if len(uids) != 1:
    raise SystemExit("found %d messages for %s" % (len(uids), needle))
uid = uids[0]
typ, data = M.uid("FETCH", uid, "(FLAGS RFC822.SIZE BODY.PEEK[])")
meta = data[0][0].decode()
flags = re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split()
size = int(re.search(r"RFC822\.SIZE (\d+)", meta).group(1))
typ, d = M.uid("STORE", uid, "+FLAGS", "(\\Flagged \\Seen)")
assert typ == "OK", d
M.logout()
print(json.dumps({"uid": int(uid), "flags": flags, "size": size, "body": base64.b64encode(data[0][1]).decode()}))
`

func TestIMAPMaildirPostfixToImaplibToDovecot(t *testing.T) {
	requireInterop(t)
	ctx := context.Background()
	dir := peersMaildir("bob")
	md, err := maildir.Open(dir, nil)
	require.NoError(t, err)
	addr, caFile := imapmaildirServe(t)
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)

	// 1. Postfix delivers into bob's Maildir (new/, bare LF line ends).
	needle := fmt.Sprintf("imapmaildir-%d", time.Now().UnixNano())
	sendSMTP(t, needle)
	var key string
	deadline := time.Now().Add(30 * time.Second)
	for key == "" && time.Now().Before(deadline) {
		msgs, err := md.List(ctx)
		require.NoError(t, err)
		for _, m := range msgs {
			rc, err := md.Open(ctx, m.Key)
			if err != nil {
				continue
			}
			b, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
			_ = rc.Close()
			if bytes.Contains(b, []byte("X-Mailkit-Test: "+needle)) {
				key = m.Key
			}
		}
		if key == "" {
			time.Sleep(200 * time.Millisecond)
		}
	}
	require.NotEmpty(t, key, "Postfix delivery did not arrive in %s", dir)
	t.Cleanup(func() { _ = md.Remove(context.Background(), key) })
	rc, err := md.Open(ctx, key)
	require.NoError(t, err)
	onDisk, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())

	// 2. Python imaplib reads it from OUR server and sets \Flagged \Seen.
	var got struct {
		UID   uint32   `json:"uid"`
		Flags []string `json:"flags"`
		Size  int64    `json:"size"`
		Body  string   `json:"body"`
	}
	storagePython(t, imapmaildirPyScript, &got, host, port, caFile, "bob", peersPassword, needle)
	crlf := strings.ReplaceAll(strings.ReplaceAll(string(onDisk), "\r\n", "\n"), "\n", "\r\n")
	assert.Equal(t, int64(len(crlf)), got.Size)
	body, err := base64.StdEncoding.DecodeString(got.Body)
	require.NoError(t, err)
	assert.Equal(t, crlf, string(body), "served with CRLF line ends")
	assert.NotZero(t, got.UID)
	st, err := md.Stat(ctx, key)
	require.NoError(t, err)
	assert.True(t, st.Info.Flags.Has(maildir.FlagFlagged|maildir.FlagSeen), "file name after our STORE: %s", st.Filename)

	// 3. Dovecot, on the same Maildir, sees our flags (and sets \Answered).
	var dov []struct {
		Flags []string `json:"flags"`
		Size  int64    `json:"size"`
	}
	mid := fmt.Sprintf("<%s@%s>", needle, peersDomain)
	storagePython(t, storageIMAPScript, &dov, "127.0.0.1", fmt.Sprint(peerPort(portIMAP)), "bob@"+peersDomain, peersPassword, mid)
	require.Len(t, dov, 1)
	assert.Contains(t, dov[0].Flags, `\Flagged`)
	assert.Contains(t, dov[0].Flags, `\Seen`)
	assert.Equal(t, int64(len(crlf)), dov[0].Size, "RFC822.SIZE agrees with Dovecot's")

	// 4. Our server sees Dovecot's \Answered, with the same UID as before.
	c, err := imapclient.DialTLS(ctx, addr, &imapclient.Options{TLSConfig: tlsutil.ClientConfig("localhost", caPool(t, caFile))})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctx, "bob", peersPassword))
	_, err = c.Select(ctx, "INBOX", &imap.SelectOptions{ReadOnly: true})
	require.NoError(t, err)
	msgs, err := c.FetchAll(ctx, imap.NumUID, imap.SeqSetOf(got.UID), &imap.FetchOptions{UID: true, Flags: true})
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0].Flags, imap.FlagAnswered)
	assert.Contains(t, msgs[0].Flags, imap.FlagFlagged)
}

// sendSMTP has Postfix (portSMTP) deliver a small message to bob with
// swaks, tagged with an X-Mailkit-Test header.
func sendSMTP(t *testing.T, needle string) {
	t.Helper()
	body := fmt.Sprintf("From: alice@%[1]s\nTo: bob@%[1]s\nSubject: imapmaildir interop\nMessage-ID: <%[2]s@%[1]s>\nX-Mailkit-Test: %[2]s\n\nDelivered by Postfix,\nserved by mailkit imapmaildir.\n", peersDomain, needle)
	f := filepath.Join(t.TempDir(), "msg.eml")
	require.NoError(t, os.WriteFile(f, []byte(body), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "swaks", "--server", "127.0.0.1", "--port", fmt.Sprint(peerPort(portSMTP)),
		"--helo", "client.example.test", "--from", "alice@"+peersDomain, "--to", "bob@"+peersDomain,
		"--tls", "--data", "@"+f, "--timeout", "30").CombinedOutput()
	require.NoError(t, err, "swaks: %s", out)
}

func caPool(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(file)
	require.NoError(t, err)
	p := x509.NewCertPool()
	require.True(t, p.AppendCertsFromPEM(pem))
	return p
}

// TestIMAPMaildirImaplibSession runs the imap-python client wrapper (LIST,
// FETCH, STORE, CREATE, APPEND, SEARCH, EXPUNGE, STATUS) against our server
// on bob's shared Maildir.
func TestIMAPMaildirImaplibSession(t *testing.T) {
	requireInterop(t)
	addr, caFile := imapmaildirServe(t)
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	folder := fmt.Sprintf("MailkitTest-imapmaildir-%d", time.Now().UnixNano())
	t.Log(peersClient(t, "imap-python", host, p, "bob", peersPassword, "implicit", "MK_CA="+caFile, "MK_FOLDER="+folder))
	ctx := context.Background()
	c, err := imapclient.DialTLS(ctx, addr, &imapclient.Options{TLSConfig: tlsutil.ClientConfig("localhost", caPool(t, caFile))})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctx, "bob", peersPassword))
	_, err = os.Stat(filepath.Join(peersMaildir("bob"), "."+folder, "cur"))
	require.NoError(t, err, "the folder the client created is a Maildir++ folder")
	require.NoError(t, c.Unsubscribe(ctx, folder))
	require.NoError(t, c.Delete(ctx, folder))
}
