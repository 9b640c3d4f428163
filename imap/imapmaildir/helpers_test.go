package imapmaildir_test

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapclient"
	"github.com/mailkit-go/mailkit/imap/imapmaildir"
	"github.com/mailkit-go/mailkit/imap/imapserver"
	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// users maps user names to passwords for tests.
func credentials(users map[string]string) sasl.Credentials {
	return sasl.CredentialsFunc(func(ctx context.Context, u string) (*sasl.Secret, error) {
		p, ok := users[u]
		if !ok {
			return nil, sasl.ErrUnknownUser
		}
		return &sasl.Secret{Password: []byte(p)}, nil
	})
}

func newBackend(dir string) *imapmaildir.Backend {
	return &imapmaildir.Backend{
		Root:         func(u string) (string, error) { return filepath.Join(dir, u), nil },
		Credentials:  credentials(map[string]string{"alice": "secret", "bob": "secret", "testuser": "pass"}),
		PollInterval: 50 * time.Millisecond,
	}
}

type env struct {
	dir  string
	be   *imapmaildir.Backend
	srv  *imapserver.Server
	addr string // implicit TLS
	ca   *tlsutil.CA
}

var (
	caOnce sync.Once
	testCA *tlsutil.CA
	caErr  error
)

func sharedCA(t *testing.T) *tlsutil.CA {
	caOnce.Do(func() { testCA, caErr = tlsutil.NewCA(nil) })
	require.NoError(t, caErr)
	return testCA
}

// startServer serves a new Backend over dir on implicit TLS.
func startServer(t *testing.T, dir string) *env {
	t.Helper()
	ca := sharedCA(t)
	cfg, err := ca.ServerConfig("localhost", "127.0.0.1")
	require.NoError(t, err)
	be := newBackend(dir)
	srv := &imapserver.Server{Backend: be, TLSConfig: cfg}
	l, err := tlsutil.Listen(context.Background(), "tcp", "127.0.0.1:0", tlsutil.ModeImplicit, cfg)
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	e := &env{dir: dir, be: be, srv: srv, addr: l.Addr().String(), ca: ca}
	t.Cleanup(e.stop)
	return e
}

func (e *env) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.srv.Shutdown(ctx)
}

// updates collects the untagged updates of a client.
type updates struct {
	mu  sync.Mutex
	got []imapclient.Update
	ch  chan struct{}
}

func (u *updates) add(x *imapclient.Update) {
	u.mu.Lock()
	u.got = append(u.got, *x)
	u.mu.Unlock()
	select {
	case u.ch <- struct{}{}:
	default:
	}
}

func (u *updates) take() []imapclient.Update {
	u.mu.Lock()
	defer u.mu.Unlock()
	g := u.got
	u.got = nil
	return g
}

// waitFor waits until an update satisfies ok (or fails after 10 s).
func (u *updates) waitFor(t *testing.T, ok func(imapclient.Update) bool) imapclient.Update {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		u.mu.Lock()
		for i, x := range u.got {
			if ok(x) {
				u.got = append(u.got[:i:i], u.got[i+1:]...)
				u.mu.Unlock()
				return x
			}
		}
		u.mu.Unlock()
		select {
		case <-u.ch:
		case <-deadline:
			t.Fatalf("update not received; have %+v", u.take())
		}
	}
}

func (e *env) dial(t *testing.T, user string) (*imapclient.Client, *updates) {
	t.Helper()
	up := &updates{ch: make(chan struct{}, 1)}
	ctx := context.Background()
	c, err := imapclient.DialTLS(ctx, e.addr, &imapclient.Options{TLSConfig: e.ca.ClientConfig("localhost"), OnUpdate: up.add})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Login(ctx, user, "secret"))
	return c, up
}

func appendMsg(t *testing.T, c *imapclient.Client, mbox, msg string, flags ...imap.Flag) *imap.AppendData {
	t.Helper()
	d, err := c.Append(context.Background(), mbox, stringsReader(msg), int64(len(msg)), &imap.AppendOptions{Flags: flags})
	require.NoError(t, err)
	return d
}

func listen(t *testing.T) net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return l
}
