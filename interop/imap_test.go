package interop

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// imapEnv is our IMAP server (STARTTLS and implicit TLS listeners on one
// imapmem backend) with a certificate from a private CA written to caFile.
type imapEnv struct {
	be                *imapmem.Backend
	caFile            string
	port, tlsPort     int
	plainAddr, tlsAdr string
}

func imapStartOurServer(t *testing.T) *imapEnv {
	t.Helper()
	ca, err := tlsutil.NewCA(nil)
	require.NoError(t, err)
	cfg, err := ca.ServerConfig("localhost", "127.0.0.1")
	require.NoError(t, err)
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	require.NoError(t, ca.WriteCert(caFile))
	be := imapmem.New()
	require.NoError(t, be.AddUser("alice@example.test", "secret"))
	srv := &imapserver.Server{Backend: be, TLSConfig: cfg, SASL: &sasl.Registry{Credentials: be.Credentials()}}
	env := &imapEnv{be: be, caFile: caFile}
	for _, mode := range []tlsutil.Mode{tlsutil.ModeStartTLS, tlsutil.ModeImplicit} {
		l, err := tlsutil.Listen(context.Background(), "tcp", "127.0.0.1:0", mode, cfg)
		require.NoError(t, err)
		go func() { _ = srv.Serve(l) }()
		if mode == tlsutil.ModeImplicit {
			env.tlsPort, env.tlsAdr = l.Addr().(*net.TCPAddr).Port, l.Addr().String()
		} else {
			env.port, env.plainAddr = l.Addr().(*net.TCPAddr).Port, l.Addr().String()
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return env
}

func imapHasFlag(flags []imap.Flag, f imap.Flag) bool {
	for _, g := range flags {
		if strings.EqualFold(string(g), string(f)) {
			return true
		}
	}
	return false
}

// TestIMAPThirdPartyClientsAgainstOurServer runs Python's imaplib and curl
// against our server (LOGIN/AUTHENTICATE over STARTTLS or implicit TLS,
// LIST, SELECT, FETCH, STORE, CREATE, APPEND, SEARCH, EXPUNGE, STATUS,
// LOGOUT) and checks the stored state afterwards.
func TestIMAPThirdPartyClientsAgainstOurServer(t *testing.T) {
	requireInterop(t)
	cases := []struct{ client, tls string }{
		{"imap-python", "starttls"},
		{"imap-python", "implicit"},
		{"imap-curl", "starttls"},
		{"imap-curl", "implicit"},
	}
	for _, tc := range cases {
		t.Run(tc.client+"/"+tc.tls, func(t *testing.T) {
			t.Parallel()
			env := imapStartOurServer(t)
			for i, subj := range []string{"first", "second"} {
				_, err := env.be.Deliver("alice@example.test", "INBOX",
					[]byte(fmt.Sprintf("From: a@example.test\r\nSubject: %s\r\nMessage-ID: <%d@example.test>\r\n\r\nbody %d\r\n", subj, i, i)), nil)
				require.NoError(t, err)
			}
			port := env.port
			if tc.tls == "implicit" {
				port = env.tlsPort
			}
			out := peersClient(t, tc.client, "127.0.0.1", port, "alice@example.test", "secret", tc.tls, "MK_CA="+env.caFile)
			t.Log(out)
			inbox, err := env.be.Messages("alice@example.test", "INBOX")
			require.NoError(t, err)
			require.Len(t, inbox, 2)
			assert.True(t, imapHasFlag(inbox[0].Flags, imap.FlagSeen), "STORE +FLAGS (\\Seen) reached the store: %v", inbox[0].Flags)
			folder, err := env.be.Messages("alice@example.test", "MailkitTest-"+tc.client)
			require.NoError(t, err, "the client created its folder")
			assert.Empty(t, folder, "the appended message was expunged")
		})
	}
}

func imapInteropCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestIMAPOurClientAgainstDovecot drives Dovecot with our client over
// STARTTLS and implicit TLS: capabilities, LOGIN and AUTHENTICATE, mailbox
// management, APPEND, FETCH (streamed body, envelope, body structure),
// STORE, SEARCH, COPY, MOVE, EXPUNGE, STATUS, IDLE with a second
// connection making changes, LOGOUT.
func TestIMAPOurClientAgainstDovecot(t *testing.T) {
	requireInterop(t)
	user := "alice@" + peersDomain
	dial := map[string]func(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, error){
		"starttls": func(ctx context.Context, o *imapclient.Options) (*imapclient.Client, error) {
			return imapclient.DialStartTLS(ctx, peerAddr(portIMAP), o)
		},
		"implicit": func(ctx context.Context, o *imapclient.Options) (*imapclient.Client, error) {
			return imapclient.DialTLS(ctx, peerAddr(portIMAPS), o)
		},
	}
	for mode, dialFn := range dial {
		t.Run(mode, func(t *testing.T) {
			ctx := imapInteropCtx(t)
			var mu sync.Mutex
			var updates []string
			opts := &imapclient.Options{TLSConfig: peersTLSConfig(t, "localhost"), OnUpdate: func(u *imapclient.Update) {
				mu.Lock()
				updates = append(updates, u.Name)
				mu.Unlock()
			}}
			c, err := dialFn(ctx, opts)
			require.NoError(t, err)
			defer c.Close()
			assert.True(t, c.Has("IMAP4rev1"))
			assert.False(t, c.Has("STARTTLS") && mode == "implicit")
			if mode == "starttls" {
				require.NoError(t, c.Login(ctx, user, peersPassword))
			} else {
				require.NoError(t, c.Authenticate(ctx, sasl.NewPlainClient("", user, peersPassword)))
			}
			folder := fmt.Sprintf("MailkitIMAP-%s-%d", mode, time.Now().UnixNano())
			dest := folder + "-dest"
			require.NoError(t, c.Create(ctx, folder))
			require.NoError(t, c.Create(ctx, dest))
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				_ = c.Unselect(ctx)
				_ = c.Delete(ctx, folder)
				_ = c.Delete(ctx, dest)
			})
			list, err := c.List(ctx, "", folder+"*")
			require.NoError(t, err)
			assert.Len(t, list, 2)

			msgs := []string{
				"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: one\r\nMessage-ID: <one@example.test>\r\n\r\nfirst body\r\n",
				"From: bob@example.test\r\nSubject: two\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b\r\nContent-Type: text/html\r\n\r\n<b>html</b>\r\n--b--\r\n",
			}
			var uids []uint32
			for i, m := range msgs {
				opt := &imap.AppendOptions{Time: time.Date(2024, 2, 1, 10, i, 0, 0, time.UTC)}
				if i == 1 {
					opt.Flags = []imap.Flag{imap.FlagFlagged}
				}
				ad, err := c.Append(ctx, folder, strings.NewReader(m), int64(len(m)), opt)
				require.NoError(t, err)
				uids = append(uids, ad.UID)
			}
			st, err := c.Status(ctx, folder, &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, NumUnseen: true})
			require.NoError(t, err)
			assert.Equal(t, uint32(2), *st.NumMessages)
			assert.Equal(t, uint32(2), *st.NumUnseen)

			sel, err := c.Select(ctx, folder, nil)
			require.NoError(t, err)
			assert.Equal(t, uint32(2), sel.NumMessages)
			assert.Equal(t, st.UIDValidity, sel.UIDValidity)

			var body strings.Builder
			got, err := c.FetchAll(ctx, imap.NumSeq, imap.SeqSetOf(1, 2), &imap.FetchOptions{
				UID: true, Flags: true, InternalDate: true, RFC822Size: true, Envelope: true, BodyStructure: true,
				Sections: []*imap.FetchSection{{Peek: true, Specifier: imap.SpecifierHeaderFields, Fields: []string{"Subject"}}},
			})
			require.NoError(t, err)
			require.Len(t, got, 2)
			assert.Equal(t, "one", got[0].Envelope.Subject)
			assert.Equal(t, "Alice", got[0].Envelope.From[0].Name)
			assert.Equal(t, int64(len(msgs[0])), got[0].RFC822Size)
			assert.Equal(t, "Subject: one\r\n\r\n", string(got[0].Section("BODY[HEADER.FIELDS (Subject)]")))
			assert.True(t, got[1].BodyStructure.IsMultipart())
			assert.Equal(t, "alternative", got[1].BodyStructure.Subtype)
			assert.True(t, imapHasFlag(got[1].Flags, imap.FlagFlagged))
			assert.Equal(t, 2024, got[0].InternalDate.Year())
			err = c.UIDFetch(ctx, imap.SeqSetOf(uids[1]), &imap.FetchOptions{Sections: []*imap.FetchSection{{Part: []int{2}}}},
				&imapclient.FetchHandler{Body: func(seq uint32, s *imap.FetchSection, size int64, r io.Reader) error {
					_, err := io.Copy(&body, r)
					return err
				}})
			require.NoError(t, err)
			assert.Equal(t, "<b>html</b>", body.String())

			found, err := c.Search(ctx, &imap.SearchCriteria{Header: []imap.SearchHeader{{Key: "Subject", Value: "two"}}})
			require.NoError(t, err)
			assert.Equal(t, []uint32{2}, found)
			found, err = c.UIDSearch(ctx, &imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}})
			require.NoError(t, err)
			assert.Equal(t, []uint32{uids[1]}, found, "BODY[2] without PEEK set \\Seen")

			res, err := c.Store(ctx, imap.SeqSetOf(1), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagAnswered, "$MailkitTest"}})
			require.NoError(t, err)
			require.Len(t, res, 1)
			assert.True(t, imapHasFlag(res[0].Flags, imap.FlagAnswered))

			cd, err := c.Copy(ctx, imap.SeqSetOf(1), dest)
			require.NoError(t, err)
			if c.Has("UIDPLUS") {
				assert.Equal(t, fmt.Sprint(uids[0]), cd.SourceUIDs.String())
			}
			_, err = c.Copy(ctx, imap.SeqSetOf(1), folder+"-missing")
			var se *imapclient.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "TRYCREATE", se.Code)
			if c.Has("MOVE") {
				_, err = c.Move(ctx, imap.SeqSetOf(2), dest)
				require.NoError(t, err)
			}

			// A second connection sees our changes; we see its changes in IDLE.
			c2, err := dialFn(ctx, &imapclient.Options{TLSConfig: peersTLSConfig(t, "localhost")})
			require.NoError(t, err)
			defer c2.Close()
			require.NoError(t, c2.Login(ctx, user, peersPassword))
			_, err = c2.Select(ctx, folder, nil)
			require.NoError(t, err)
			mu.Lock()
			updates = nil
			mu.Unlock()
			idle, err := c.Idle(ctx)
			require.NoError(t, err)
			_, err = c2.Store(ctx, imap.SeqSetOf(1), &imap.StoreFlags{Action: imap.StoreAdd, Flags: []imap.Flag{imap.FlagDeleted}})
			require.NoError(t, err)
			_, err = c2.Expunge(ctx)
			require.NoError(t, err)
			require.Eventually(t, func() bool {
				mu.Lock()
				defer mu.Unlock()
				for _, u := range updates {
					if u == "EXPUNGE" {
						return true
					}
				}
				return false
			}, 30*time.Second, 20*time.Millisecond, "EXPUNGE pushed during IDLE")
			require.NoError(t, idle.Done(ctx))
			require.NoError(t, c2.Logout(ctx))

			st, err = c.Status(ctx, dest, &imap.StatusOptions{NumMessages: true})
			require.NoError(t, err)
			want := uint32(1)
			if c.Has("MOVE") {
				want = 2
			}
			assert.Equal(t, want, *st.NumMessages)
			require.NoError(t, c.Unselect(ctx))
			require.NoError(t, c.Delete(ctx, folder))
			require.NoError(t, c.Delete(ctx, dest))
			require.NoError(t, c.Logout(ctx))
		})
	}
}
