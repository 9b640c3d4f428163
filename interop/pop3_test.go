package interop

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/maildir"
	"github.com/mailkit-go/mailkit/pop3"
	"github.com/mailkit-go/mailkit/pop3/maildirbackend"
	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/tlsutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pop3Env is one of our POP3 servers (STLS and implicit TLS listeners over
// one MemoryBackend) with a certificate from a private CA written to caFile.
type pop3Env struct {
	be            *pop3.MemoryBackend
	addr, tlsAddr string
	caFile        string
	port, tlsPort int
}

func pop3StartOurServer(t *testing.T, allowInsecure bool) *pop3Env {
	t.Helper()
	ca, err := tlsutil.NewCA(nil)
	require.NoError(t, err)
	cfg, err := ca.ServerConfig("localhost", "127.0.0.1")
	require.NoError(t, err)
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	require.NoError(t, ca.WriteCert(caFile))
	be := &pop3.MemoryBackend{}
	be.AddUser("alice@example.test", "secret")
	reg := &sasl.Registry{Credentials: be}
	env := &pop3Env{be: be, caFile: caFile}
	for _, implicit := range []bool{false, true} {
		srv := &pop3.Server{Backend: be, TLSConfig: cfg, ImplicitTLS: implicit, SASL: reg, AllowInsecureAuth: allowInsecure}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
		if implicit {
			env.tlsAddr, env.tlsPort = l.Addr().String(), l.Addr().(*net.TCPAddr).Port
		} else {
			env.addr, env.port = l.Addr().String(), l.Addr().(*net.TCPAddr).Port
		}
	}
	return env
}

// TestPOP3ThirdPartyClientsAgainstOurServer runs Python's poplib and curl
// against our server: CAPA, login, STAT, LIST, UIDL, RETR of every message,
// TOP, DELE 1 and QUIT; the first message must be gone afterwards.
func TestPOP3ThirdPartyClientsAgainstOurServer(t *testing.T) {
	requireInterop(t)
	cases := []struct {
		client, tls string
		insecure    bool
	}{
		{"pop3-python", "starttls", false},
		{"pop3-python", "implicit", false},
		{"pop3-python", "none", true},
		{"pop3-curl", "starttls", false},
		{"pop3-curl", "implicit", false},
		{"pop3-curl", "none", true},
	}
	for _, tc := range cases {
		t.Run(tc.client+"/"+tc.tls, func(t *testing.T) {
			t.Parallel()
			env := pop3StartOurServer(t, tc.insecure)
			msgs := []string{
				"From: a@example.test\r\nSubject: first\r\n\r\n.leading dot\r\nbody\r\n",
				"From: b@example.test\r\nSubject: second\r\n\r\n" + strings.Repeat("long line of text ", 50) /* < 998 octets: poplib limits lines to 2048 */ + "\r\n.\r\n..\r\n",
				"From: c@example.test\r\nSubject: third\r\n\r\nthird body\r\n",
			}
			for _, m := range msgs {
				_, err := env.be.Deliver("alice@example.test", []byte(m))
				require.NoError(t, err)
			}
			port := env.port
			if tc.tls == "implicit" {
				port = env.tlsPort
			}
			out := peersClient(t, tc.client, "127.0.0.1", port, "alice@example.test", "secret", tc.tls, "MK_CA="+env.caFile)
			t.Log(out)
			// QUIT entered the UPDATE state: message 1 removed, the rest kept.
			require.Eventually(t, func() bool { return !env.be.Locked("alice@example.test") }, 30*time.Second, 10*time.Millisecond)
			left := env.be.Messages("alice@example.test")
			require.Len(t, left, 2)
			assert.Equal(t, msgs[1], string(left[0]))
			assert.Equal(t, msgs[2], string(left[1]))
		})
	}
}

// pop3DeliverMaildir writes msg into the Maildir of a test user (new/),
// owned like the Maildir so that Dovecot can move and delete it.
func pop3DeliverMaildir(t *testing.T, user, msg string) {
	t.Helper()
	dir := peersMaildir(user)
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	name := fmt.Sprintf("%d.M%sP%d.mailkit-pop3-test", time.Now().Unix(), hex.EncodeToString(rnd[:]), os.Getpid())
	tmp := filepath.Join(dir, "tmp", name)
	require.NoError(t, os.WriteFile(tmp, []byte(msg), 0o600))
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		require.NoError(t, os.Chown(tmp, int(st.Uid), int(st.Gid)))
	}
	require.NoError(t, os.Rename(tmp, filepath.Join(dir, "new", name)))
}

// pop3FindSubject returns the number of the message whose header carries
// subject, using TOP n 0, or 0.
func pop3FindSubject(ctx context.Context, t *testing.T, c *pop3.Client, subject string) (int, int64) {
	t.Helper()
	list, err := c.List(ctx)
	require.NoError(t, err)
	for _, it := range list {
		rc, err := c.Top(ctx, it.Number, 0)
		require.NoError(t, err)
		hdr, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		if strings.Contains(string(hdr), "Subject: "+subject+"\r\n") {
			return it.Number, it.Size
		}
	}
	return 0, 0
}

// TestPOP3OurClientAgainstDovecot logs in to Dovecot with STLS and with
// implicit TLS, finds a message written into the Maildir, retrieves it,
// deletes it and checks it is gone after QUIT.
func TestPOP3OurClientAgainstDovecot(t *testing.T) {
	requireInterop(t)
	const user = "bob" // POP3 locks the mailbox: keep away from alice, used by most tests
	login := user + "@" + peersDomain
	cases := []struct {
		name string
		mode tlsutil.Mode
		port int
		auth func(ctx context.Context, c *pop3.Client) error
	}{
		{"STLS USER/PASS", tlsutil.ModeStartTLS, portPOP3, func(ctx context.Context, c *pop3.Client) error {
			return c.Login(ctx, login, peersPassword)
		}},
		{"implicit AUTH PLAIN", tlsutil.ModeImplicit, portPOP3S, func(ctx context.Context, c *pop3.Client) error {
			return c.Auth(ctx, sasl.NewPlainClient("", login, peersPassword))
		}},
		{"STLS AUTH CRAM-MD5", tlsutil.ModeStartTLS, portPOP3, func(ctx context.Context, c *pop3.Client) error {
			return c.Auth(ctx, sasl.NewCRAMMD5Client(login, peersPassword))
		}},
		{"implicit AUTH LOGIN", tlsutil.ModeImplicit, portPOP3S, func(ctx context.Context, c *pop3.Client) error {
			return c.Auth(ctx, sasl.NewLoginClient(login, peersPassword))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			subject := "mailkit pop3 interop " + tc.name + " " + time.Now().Format(time.RFC3339Nano)
			body := "From: alice@example.test\r\nTo: " + login + "\r\nSubject: " + subject +
				"\r\nMessage-ID: <" + fmt.Sprint(time.Now().UnixNano()) + "@pop3.mailkit.test>\r\n\r\n" +
				".leading dot\r\n..two dots\r\nplain line\r\n.\r\nlast\r\n"
			pop3DeliverMaildir(t, user, body)

			dial := func() *pop3.Client {
				c, err := pop3.Dial(ctx, peerAddr(tc.port), &pop3.DialOptions{TLS: tc.mode, TLSConfig: peersTLSConfig(t, "localhost")})
				require.NoError(t, err)
				t.Cleanup(func() { _ = c.Close() })
				return c
			}
			c := dial()
			_, isTLS := c.TLSConnectionState()
			require.True(t, isTLS)
			caps, err := c.Capabilities(ctx)
			require.NoError(t, err)
			assert.True(t, caps.Has("UIDL"), "caps %v", caps)
			assert.True(t, caps.Has("TOP"))
			assert.True(t, caps.Has("RESP-CODES"))
			require.NoError(t, tc.auth(ctx, c))

			n, size, err := c.Stat(ctx)
			require.NoError(t, err)
			require.Positive(t, n)
			require.Positive(t, size)
			uidl, err := c.UIDL(ctx)
			require.NoError(t, err)
			require.Len(t, uidl, n)
			num, octets := pop3FindSubject(ctx, t, c, subject)
			require.NotZero(t, num, "delivered message not found")
			rc, err := c.Retr(ctx, num)
			require.NoError(t, err)
			got, err := io.ReadAll(rc)
			require.NoError(t, err)
			require.NoError(t, rc.Close())
			assert.Equal(t, body, string(got), "dot-unstuffed content")
			assert.Equal(t, int64(len(got)), octets, "LIST size is the exact octet count")
			var uid string
			for _, it := range uidl {
				if it.Number == num {
					uid = it.UID
				}
			}
			require.NotEmpty(t, uid)
			require.NoError(t, c.Noop(ctx))
			require.NoError(t, c.Dele(ctx, num))
			_, err = c.Retr(ctx, num)
			var perr *pop3.Error
			require.ErrorAs(t, err, &perr, "retrieving a deleted message")
			require.NoError(t, c.Quit(ctx))

			// Gone after QUIT.
			c2 := dial()
			require.NoError(t, tc.auth(ctx, c2))
			uidl2, err := c2.UIDL(ctx)
			require.NoError(t, err)
			for _, it := range uidl2 {
				assert.NotEqual(t, uid, it.UID, "deleted message still listed")
			}
			require.NoError(t, c2.Quit(ctx))
		})
	}
}

// TestPOP3DovecotErrors checks our typed errors against Dovecot's replies.
func TestPOP3DovecotErrors(t *testing.T) {
	requireInterop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := pop3.Dial(ctx, peerAddr(portPOP3S), &pop3.DialOptions{TLS: tlsutil.ModeImplicit, TLSConfig: peersTLSConfig(t, "127.0.0.1")})
	require.NoError(t, err)
	defer c.Close()
	err = c.Login(ctx, "bob@"+peersDomain, "wrong")
	require.ErrorIs(t, err, pop3.ErrAuth, "Dovecot sends -ERR [AUTH]")

	// Plaintext USER before STLS is refused by Dovecot's default policy.
	c2, err := pop3.Dial(ctx, peerAddr(portPOP3), nil)
	require.NoError(t, err)
	defer c2.Close()
	caps, err := c2.Capabilities(ctx)
	require.NoError(t, err)
	require.True(t, caps.Has("STLS"))
	require.NoError(t, c2.StartTLS(ctx, peersTLSConfig(t, "localhost")))
	caps, err = c2.Capabilities(ctx)
	require.NoError(t, err)
	assert.False(t, caps.Has("STLS"))
	assert.True(t, caps.Has("USER"))
}

// TestPOP3PythonAgainstOurMaildirServer runs Python's poplib against our
// server over pop3/maildirbackend: the octets STAT announces must be the
// octets RETR delivers (also for a message without a final line end and a
// file placed without Dovecot's size fields), and QUIT must remove only the
// message marked with DELE.
func TestPOP3PythonAgainstOurMaildirServer(t *testing.T) {
	requireInterop(t)
	ctx := context.Background()
	root := t.TempDir()
	md, err := maildir.Create(filepath.Join(root, "alice"), nil)
	require.NoError(t, err)
	for _, m := range []string{
		"From: a@example.test\nSubject: first\n\nno final line end",
		"From: b@example.test\r\nSubject: second\r\n\r\n.dot\r\nbody\r\n",
		"From: c@example.test\nSubject: third\n\n..two dots\nbody\n",
	} {
		_, err := md.Deliver(ctx, strings.NewReader(m))
		require.NoError(t, err)
	}
	require.NoError(t, os.WriteFile(filepath.Join(md.Dir(), "cur", "1.M1P1.elsewhere:2,S"), []byte("Subject: bare\n\nx"), 0o600))

	ca, err := tlsutil.NewCA(nil)
	require.NoError(t, err)
	cfg, err := ca.ServerConfig("localhost", "127.0.0.1")
	require.NoError(t, err)
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	require.NoError(t, ca.WriteCert(caFile))
	be := &maildirbackend.Backend{
		Dir: func(user string) (string, error) { return filepath.Join(root, "alice"), nil },
		Login: func(_ context.Context, user string, pass []byte) error {
			if user == "alice@example.test" && string(pass) == "secret" {
				return nil
			}
			return pop3.ErrAuth
		},
	}
	srv := &pop3.Server{Backend: be, TLSConfig: cfg}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })

	out := peersClient(t, "pop3-python", "127.0.0.1", l.Addr().(*net.TCPAddr).Port, "alice@example.test", "secret", "starttls", "MK_CA="+caFile)
	t.Log(out)
	var count int
	var size, octets int64
	i := strings.Index(out, "STAT ")
	require.GreaterOrEqual(t, i, 0, out)
	_, err = fmt.Sscanf(out[i:], "STAT %d %d", &count, &size)
	require.NoError(t, err, out)
	j := strings.Index(out, "msgs (")
	require.GreaterOrEqual(t, j, 0, out)
	_, err = fmt.Sscanf(out[j:], "msgs (%d octets)", &octets)
	require.NoError(t, err, out)
	assert.Equal(t, 4, count)
	assert.Equal(t, size, octets, "STAT octets equal the octets RETR delivered")

	require.Eventually(t, func() bool {
		msgs, err := md.List(ctx)
		return err == nil && len(msgs) == 3
	}, 30*time.Second, 10*time.Millisecond, "DELE 1 applied at QUIT")
}
