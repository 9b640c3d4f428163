package tlsutil

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigsAreSafeAndIndependent(t *testing.T) {
	t.Parallel()
	a, b := ServerConfig(), ServerConfig()
	assert.Equal(t, uint16(tls.VersionTLS12), a.MinVersion)
	a.CipherSuites[0] = tls.TLS_RSA_WITH_RC4_128_SHA
	a.MinVersion = tls.VersionTLS10
	assert.Equal(t, SafeCipherSuites(), b.CipherSuites, "configs must not share slices")
	assert.Equal(t, uint16(tls.VersionTLS12), b.MinVersion)
	for _, id := range SafeCipherSuites() {
		for _, s := range tls.InsecureCipherSuites() {
			assert.NotEqual(t, s.ID, id, "insecure suite %s offered", s.Name)
		}
	}
	c := ClientConfig("mx.example", nil)
	assert.Equal(t, "mx.example", c.ServerName)
	assert.False(t, c.InsecureSkipVerify)
}

func TestHarden(t *testing.T) {
	t.Parallel()
	orig := &tls.Config{MinVersion: tls.VersionTLS10, CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}}
	h := Harden(orig)
	assert.Equal(t, uint16(tls.VersionTLS12), h.MinVersion)
	assert.Equal(t, []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}, h.CipherSuites)
	assert.Equal(t, uint16(tls.VersionTLS10), orig.MinVersion, "input not modified")
	only := Harden(&tls.Config{CipherSuites: []uint16{tls.TLS_RSA_WITH_RC4_128_SHA}})
	assert.Equal(t, SafeCipherSuites(), only.CipherSuites)
	assert.NotNil(t, Harden(nil))
}

func TestCAKeyTypesHandshake(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	for _, kt := range []KeyType{KeyECDSAP256, KeyRSA2048, KeyEd25519} {
		t.Run(kt.String(), func(t *testing.T) {
			t.Parallel()
			cert, err := ca.IssueLeaf(LeafOptions{Hosts: []string{"mx.example.test", "127.0.0.1", "::1"}, KeyType: kt})
			require.NoError(t, err)
			require.NotNil(t, cert.Leaf)
			assert.Equal(t, []string{"mx.example.test"}, cert.Leaf.DNSNames)
			assert.Len(t, cert.Leaf.IPAddresses, 2)
			for _, host := range []string{"mx.example.test", "127.0.0.1"} {
				addr, done := serveOnce(t, func(c net.Conn) error { return tlsEcho(c, ServerConfig(cert)) })
				conn, err := Dial(context.Background(), "tcp", addr, ModeImplicit, ca.ClientConfig(host))
				require.NoError(t, err, host)
				_, err = conn.Write([]byte("PING\n"))
				require.NoError(t, err)
				line, err := bufio.NewReader(conn).ReadString('\n')
				require.NoError(t, err)
				assert.Equal(t, "real reply\r\n", line)
				conn.Close()
				require.NoError(t, <-done)
			}
		})
	}
}

func TestCAOptionsAndErrors(t *testing.T) {
	t.Parallel()
	fixed := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	ca, err := NewCA(&CAOptions{KeyType: KeyEd25519, CommonName: "Unit CA", Now: func() time.Time { return fixed }})
	require.NoError(t, err)
	assert.Equal(t, "Unit CA", ca.Certificate().Subject.CommonName)
	assert.True(t, ca.Certificate().IsCA)
	assert.Equal(t, fixed.Add(-time.Hour), ca.Certificate().NotBefore)
	_, err = ca.Issue()
	assert.ErrorIs(t, err, ErrNoHosts)
	_, err = ca.IssueLeaf(LeafOptions{Hosts: []string{"a"}, KeyType: KeyType(99)})
	assert.Error(t, err)
	_, err = NewCA(&CAOptions{KeyType: KeyType(42)})
	assert.Error(t, err)
	assert.Contains(t, string(ca.CertPEM()), "BEGIN CERTIFICATE")
}

func TestWriteLeafAndLoad(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	require.NoError(t, ca.WriteLeaf(cf, kf, LeafOptions{Hosts: []string{"mail.example.test"}, KeyType: KeyRSA2048}))
	fi, err := os.Stat(kf)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	c, err := LoadKeyPair(cf, kf)
	require.NoError(t, err)
	assert.Equal(t, "mail.example.test", c.Leaf.Subject.CommonName)
	require.NoError(t, ca.WriteCert(filepath.Join(dir, "ca.pem")))
	pem, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	_, err = VerifyChain([]*x509.Certificate{c.Leaf}, &VerifyOptions{Roots: pool, Host: "mail.example.test"})
	require.NoError(t, err)
}

func TestParseKeyPairErrors(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	now := time.Now()
	certA, keyA, err := ca.IssuePEM(LeafOptions{Hosts: []string{"a.test"}})
	require.NoError(t, err)
	_, keyB, err := ca.IssuePEM(LeafOptions{Hosts: []string{"b.test"}, KeyType: KeyEd25519})
	require.NoError(t, err)
	old, oldKey, err := ca.IssuePEM(LeafOptions{Hosts: []string{"old.test"}, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour)})
	require.NoError(t, err)
	future, futureKey, err := ca.IssuePEM(LeafOptions{Hosts: []string{"new.test"}, NotBefore: now.Add(24 * time.Hour), NotAfter: now.Add(48 * time.Hour)})
	require.NoError(t, err)
	tests := []struct {
		name      string
		cert, key []byte
		want      error
	}{
		{"ok", certA, keyA, nil},
		{"mismatch", certA, keyB, ErrKeyMismatch},
		{"expired", old, oldKey, ErrExpired},
		{"not yet valid", future, futureKey, ErrNotYetValid},
		{"no cert", keyA, keyA, ErrNoCertificate},
		{"no key", certA, certA, ErrNoPrivateKey},
		{"bad key", certA, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), ErrBadKey},
		{"bad cert", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), keyA, ErrBadCert},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseKeyPair(tc.cert, tc.key, now)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			var ce *CertError
			require.ErrorAs(t, err, &ce)
			assert.True(t, strings.HasPrefix(err.Error(), "tlsutil: "), err.Error())
		})
	}
	t.Run("expired message names the date", func(t *testing.T) {
		dir := t.TempDir()
		cf, kf := filepath.Join(dir, "c"), filepath.Join(dir, "k")
		require.NoError(t, os.WriteFile(cf, old, 0o600))
		require.NoError(t, os.WriteFile(kf, oldKey, 0o600))
		_, err := LoadKeyPair(cf, kf)
		require.ErrorIs(t, err, ErrExpired)
		assert.Contains(t, err.Error(), "expired")
		assert.Contains(t, err.Error(), cf)
		_, err = LoadKeyPair(filepath.Join(dir, "missing"), kf)
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
}

// fakeClock is a manually advanced clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestReloader(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	require.NoError(t, ca.WriteLeaf(cf, kf, LeafOptions{Hosts: []string{"one.test"}}))
	clk := &fakeClock{t: time.Now()}
	r, err := NewReloader(cf, kf, &ReloaderOptions{CheckInterval: time.Minute, Now: clk.Now})
	require.NoError(t, err)
	get := func() string {
		c, err := r.GetCertificate(&tls.ClientHelloInfo{})
		require.NoError(t, err)
		return c.Leaf.Subject.CommonName
	}
	assert.Equal(t, "one.test", get())

	// Renew; before the interval the old certificate is still served.
	require.NoError(t, ca.WriteLeaf(cf, kf, LeafOptions{Hosts: []string{"two.test"}}))
	assert.Equal(t, "one.test", get())
	clk.Add(2 * time.Minute)
	assert.Equal(t, "two.test", get())
	assert.Equal(t, 2, r.Loads())

	// A broken renewal (key of another cert) keeps the current one.
	_, otherKey, err := ca.IssuePEM(LeafOptions{Hosts: []string{"x.test"}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(kf, otherKey, 0o600))
	clk.Add(2 * time.Minute)
	assert.Equal(t, "two.test", get())
	assert.ErrorIs(t, r.Err(), ErrKeyMismatch)
	// The failure is not retried until the files change again.
	clk.Add(2 * time.Minute)
	assert.Equal(t, "two.test", get())
	assert.Equal(t, 2, r.Loads())

	// Explicit Reload after a good renewal.
	require.NoError(t, ca.WriteLeaf(cf, kf, LeafOptions{Hosts: []string{"three.test"}}))
	require.NoError(t, r.Reload())
	assert.Equal(t, "three.test", r.Current().Leaf.Subject.CommonName)
	assert.NoError(t, r.Err())

	// Served through a real handshake.
	cfg := r.ServerConfig()
	addr, done := serveOnce(t, func(c net.Conn) error { return tlsEcho(c, cfg) })
	conn, err := Dial(context.Background(), "tcp", addr, ModeImplicit, ca.ClientConfig("three.test"))
	require.NoError(t, err)
	_, _ = conn.Write([]byte("PING\n"))
	_, _ = bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	require.NoError(t, <-done)

	_, err = NewReloader(filepath.Join(dir, "nope"), kf, nil)
	assert.Error(t, err)
}

// TestReloaderSeesSameSizeSameMtimeRenewal rewrites the pair in place with
// files of the same size and modification time: only the content differs.
func TestReloaderSeesSameSizeSameMtimeRenewal(t *testing.T) {
	t.Parallel()
	ca, err := NewCA(&CAOptions{KeyType: KeyEd25519})
	require.NoError(t, err)
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	leaf := func(host string) (c, k []byte) {
		c, k, err := ca.IssuePEM(LeafOptions{Hosts: []string{host}, KeyType: KeyEd25519})
		require.NoError(t, err)
		return c, k
	}
	c1, k1 := leaf("aa.test")
	require.NoError(t, os.WriteFile(cf, c1, 0o600))
	require.NoError(t, os.WriteFile(kf, k1, 0o600))
	clk := &fakeClock{t: time.Now()}
	r, err := NewReloader(cf, kf, &ReloaderOptions{CheckInterval: time.Minute, Now: clk.Now})
	require.NoError(t, err)
	assert.Equal(t, "aa.test", r.Current().Leaf.Subject.CommonName)

	var c2, k2 []byte
	for range 100 { // serial numbers vary in length; find an equal size
		if c2, k2 = leaf("bb.test"); len(c2) == len(c1) && len(k2) == len(k1) {
			break
		}
	}
	require.Len(t, c2, len(c1))
	fi, err := os.Stat(cf)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cf, c2, 0o600))
	require.NoError(t, os.WriteFile(kf, k2, 0o600))
	require.NoError(t, os.Chtimes(cf, fi.ModTime(), fi.ModTime()))
	require.NoError(t, os.Chtimes(kf, fi.ModTime(), fi.ModTime()))

	clk.Add(2 * time.Minute)
	assert.Equal(t, "bb.test", r.Current().Leaf.Subject.CommonName)
	assert.Equal(t, 2, r.Loads())

	// A pair that disappears (mid-renewal) keeps the current one in
	// service; when the same pair is back, the error clears.
	require.NoError(t, os.Rename(kf, kf+".away"))
	clk.Add(2 * time.Minute)
	assert.Equal(t, "bb.test", r.Current().Leaf.Subject.CommonName)
	assert.ErrorIs(t, r.Err(), os.ErrNotExist)
	require.NoError(t, os.Rename(kf+".away", kf))
	clk.Add(2 * time.Minute)
	assert.Equal(t, "bb.test", r.Current().Leaf.Subject.CommonName)
	assert.NoError(t, r.Err())
	assert.Equal(t, 2, r.Loads(), "an unchanged pair is not parsed again")
}

func TestVerifyChain(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	other := newTestCA(t)
	now := time.Now()
	good, err := ca.Issue("mx.example.test", "192.0.2.1")
	require.NoError(t, err)
	expired, err := ca.IssueLeaf(LeafOptions{Hosts: []string{"mx.example.test"}, NotBefore: now.Add(-2 * time.Hour), NotAfter: now.Add(-time.Hour)})
	require.NoError(t, err)
	tests := []struct {
		name  string
		cert  tls.Certificate
		roots *x509.CertPool
		host  string
		want  error
	}{
		{"ok", good, ca.Pool(), "mx.example.test", nil},
		{"ok ip", good, ca.Pool(), "192.0.2.1", nil},
		{"ok no host", good, ca.Pool(), "", nil},
		{"wrong host", good, ca.Pool(), "evil.example.test", ErrHostMismatch},
		{"untrusted", good, other.Pool(), "mx.example.test", ErrUntrusted},
		{"expired", expired, ca.Pool(), "mx.example.test", ErrCertExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			info, err := VerifyChain([]*x509.Certificate{tc.cert.Leaf}, &VerifyOptions{Roots: tc.roots, Host: tc.host})
			require.NotNil(t, info)
			require.Len(t, info.Presented, 1)
			assert.Equal(t, "CN=mx.example.test,O=mailkit", info.Presented[0].Subject)
			assert.Equal(t, "CN=mailkit test CA,O=mailkit", info.Presented[0].Issuer)
			if tc.want == nil {
				require.NoError(t, err)
				require.Len(t, info.Verified, 2)
				assert.True(t, info.Verified[1].IsCA)
				assert.Contains(t, info.String(), "verified chain (2)")
				return
			}
			require.ErrorIs(t, err, tc.want)
			var ve *VerifyError
			require.ErrorAs(t, err, &ve)
			assert.Nil(t, info.Verified)
			assert.Contains(t, info.String(), `subject="CN=mx.example.test,O=mailkit"`)
		})
	}
	_, err = VerifyChain(nil, nil)
	assert.ErrorIs(t, err, ErrNoPeerCerts)
}

func TestListenDialModes(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	cfg, err := ca.ServerConfig("localhost")
	require.NoError(t, err)
	ctx := context.Background()

	l, err := Listen(ctx, "tcp", "127.0.0.1:0", ModeImplicit, cfg)
	require.NoError(t, err)
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		line, _ := bufio.NewReader(c).ReadString('\n')
		_, _ = c.Write([]byte("echo " + line))
		_ = c.(*tls.Conn).Handshake()
	}()
	c, err := Dial(ctx, "tcp", l.Addr().String(), ModeImplicit, ca.ClientConfig("localhost"))
	require.NoError(t, err)
	tc, ok := c.(*tls.Conn)
	require.True(t, ok)
	_, err = c.Write([]byte("hi\n"))
	require.NoError(t, err)
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "echo hi\n", line)
	cs := tc.ConnectionState()
	assert.Equal(t, "TLS1.3 TLS_AES_128_GCM_SHA256", VersionName(cs.Version)+" "+tls.CipherSuiteName(cs.CipherSuite))
	c.Close()

	pl, err := Listen(ctx, "tcp", "127.0.0.1:0", ModeStartTLS, cfg)
	require.NoError(t, err)
	defer pl.Close()
	go func() {
		c, err := pl.Accept()
		if err == nil {
			_, _ = c.Write([]byte("plain\n"))
			c.Close()
		}
	}()
	pc, err := Dial(ctx, "tcp", pl.Addr().String(), ModeStartTLS, nil)
	require.NoError(t, err)
	_, isTLS := pc.(*tls.Conn)
	assert.False(t, isTLS)
	line, err = bufio.NewReader(pc).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "plain\n", line)
	pc.Close()

	_, err = Listen(ctx, "tcp", "127.0.0.1:0", ModeImplicit, ServerConfig())
	assert.Error(t, err, "no certificate")
	_, err = Listen(ctx, "tcp", "127.0.0.1:0", Mode(9), cfg)
	assert.ErrorIs(t, err, ErrUnknownMode)
	_, err = Dial(ctx, "tcp", "127.0.0.1:1", Mode(9), nil)
	assert.ErrorIs(t, err, ErrUnknownMode)
}

func TestParseMode(t *testing.T) {
	t.Parallel()
	for _, m := range []Mode{ModePlain, ModeImplicit, ModeStartTLS} {
		got, err := ParseMode(strings.ToUpper(m.String()))
		require.NoError(t, err)
		assert.Equal(t, m, got)
	}
	_, err := ParseMode("sometimes")
	assert.ErrorIs(t, err, ErrUnknownMode)
	assert.Equal(t, "Mode(7)", Mode(7).String())
}

func TestClientCertAuthAndSummary(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	srv, err := ca.ServerConfig("localhost")
	require.NoError(t, err)
	_, err = RequireClientCert(srv, nil, ClientAuthRequired)
	assert.Error(t, err)
	clientCert, err := ca.IssueLeaf(LeafOptions{CommonName: "alice", Client: true})
	require.NoError(t, err)
	stranger := newTestCA(t)
	strangerCert, err := stranger.IssueLeaf(LeafOptions{CommonName: "mallory", Client: true})
	require.NoError(t, err)

	run := func(t *testing.T, policy ClientAuthPolicy, certs []tls.Certificate) (string, error) {
		cfg, err := RequireClientCert(srv, ca.Pool(), policy)
		require.NoError(t, err)
		summary := make(chan string, 1)
		addr, done := serveOnce(t, func(c net.Conn) error {
			tc := tls.Server(c, cfg)
			err := tc.Handshake()
			summary <- Summary(tc.ConnectionState())
			if err == nil {
				_, _ = tc.Write([]byte("ok\n"))
			}
			return err
		})
		cc := ca.ClientConfig("localhost")
		cc.Certificates = certs
		conn, err := Dial(context.Background(), "tcp", addr, ModeImplicit, cc)
		if err == nil {
			// TLS 1.3 reports client-certificate rejection on first read.
			_, err = bufio.NewReader(conn).ReadString('\n')
			conn.Close()
		}
		<-done
		return <-summary, err
	}
	t.Run("required ok", func(t *testing.T) {
		s, err := run(t, ClientAuthRequired, []tls.Certificate{clientCert})
		require.NoError(t, err)
		assert.Equal(t, `TLS1.3 TLS_AES_128_GCM_SHA256 client-cert=verified "CN=alice,O=mailkit"`, s)
	})
	t.Run("required missing", func(t *testing.T) {
		_, err := run(t, ClientAuthRequired, nil)
		assert.Error(t, err)
	})
	t.Run("required stranger", func(t *testing.T) {
		_, err := run(t, ClientAuthRequired, []tls.Certificate{strangerCert})
		assert.Error(t, err)
	})
	t.Run("optional none", func(t *testing.T) {
		s, err := run(t, ClientAuthOptional, nil)
		require.NoError(t, err)
		assert.Equal(t, "TLS1.3 TLS_AES_128_GCM_SHA256", s)
	})
	t.Run("none", func(t *testing.T) {
		s, err := run(t, ClientAuthNone, []tls.Certificate{clientCert})
		require.NoError(t, err)
		assert.Equal(t, "TLS1.3 TLS_AES_128_GCM_SHA256", s)
	})
}

func TestSummaryTLS12AndIncomplete(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "", Summary(tls.ConnectionState{}))
	assert.Equal(t, "TLS1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", Summary(tls.ConnectionState{
		HandshakeComplete: true, Version: tls.VersionTLS12, CipherSuite: tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}))
	assert.Equal(t, "TLS(0x0305)", VersionName(0x0305))
}

func TestTLS10Refused(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	cfg, err := ca.ServerConfig("localhost")
	require.NoError(t, err)
	addr, done := serveOnce(t, func(c net.Conn) error { return tls.Server(c, cfg).Handshake() })
	old := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", MaxVersion: tls.VersionTLS11, MinVersion: tls.VersionTLS10}
	_, err = tls.Dial("tcp", addr, old)
	assert.Error(t, err)
	assert.Error(t, <-done)
}

func TestWipe(t *testing.T) {
	t.Parallel()
	b := []byte("secret")
	Wipe(b)
	assert.Equal(t, make([]byte, 6), b)
	Wipe(nil)
}
