package sasl

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/mailkit-go/mailkit/tlsutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	tlsCh   = Channel{Secure: true}
	plainCh = Channel{}
)

func newReg() *Registry {
	return &Registry{
		Credentials: users{"alice": plainUser("secret"), "bob": plainUser("hunter2")},
		Tokens:      tokens{"good-token": "alice"},
		Enabled:     []string{SCRAMSHA256Plus, SCRAMSHA1Plus, SCRAMSHA256, SCRAMSHA1, CRAMMD5, Plain, Login, OAuthBearer, XOAuth2, External, Anonymous},
	}
}

func TestRoundTrips(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		client Client
		ch     Channel
		first  bool // server called with Next(nil) first (no initial response in the protocol)
		want   Identity
	}{
		{"plain", NewPlainClient("", "alice", "secret"), tlsCh, false, Identity{Mechanism: Plain, Username: "alice", Authzid: "alice"}},
		{"plain no ir", NewPlainClient("", "alice", "secret"), tlsCh, true, Identity{Mechanism: Plain, Username: "alice", Authzid: "alice"}},
		{"login", NewLoginClient("bob", "hunter2"), tlsCh, false, Identity{Mechanism: Login, Username: "bob", Authzid: "bob"}},
		{"cram-md5", NewCRAMMD5Client("alice", "secret"), plainCh, false, Identity{Mechanism: CRAMMD5, Username: "alice", Authzid: "alice"}},
		{"scram-sha-1", NewSCRAMClient(SCRAMSHA1, "", "alice", "secret", nil), plainCh, false, Identity{Mechanism: SCRAMSHA1, Username: "alice", Authzid: "alice"}},
		{"scram-sha-256", NewSCRAMClient(SCRAMSHA256, "", "alice", "secret", nil), plainCh, false, Identity{Mechanism: SCRAMSHA256, Username: "alice", Authzid: "alice"}},
		{"scram-sha-256 no ir", NewSCRAMClient(SCRAMSHA256, "", "alice", "secret", nil), plainCh, true, Identity{Mechanism: SCRAMSHA256, Username: "alice", Authzid: "alice"}},
		{"xoauth2", NewXOAuth2Client("alice@example.test", "good-token"), tlsCh, false, Identity{Mechanism: XOAuth2, Username: "alice", Authzid: "alice"}},
		{"oauthbearer", NewOAuthBearerClient("", "good-token", &OAuthBearerOptions{Host: "mx.example.test", Port: 587}), tlsCh, false, Identity{Mechanism: OAuthBearer, Username: "alice", Authzid: "alice"}},
		{"oauthbearer no ir", NewOAuthBearerClient("", "good-token", nil), tlsCh, true, Identity{Mechanism: OAuthBearer, Username: "alice", Authzid: "alice"}},
		{"external", NewExternalClient(""), Channel{Secure: true, ExternalID: "CN=relay"}, false, Identity{Mechanism: External, Username: "CN=relay", Authzid: "CN=relay"}},
		{"external no ir", NewExternalClient(""), Channel{ExternalID: "CN=relay"}, true, Identity{Mechanism: External, Username: "CN=relay", Authzid: "CN=relay"}},
		{"anonymous", NewAnonymousClient("sirhc"), plainCh, false, Identity{Mechanism: Anonymous, Anonymous: true, Trace: "sirhc"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg := newReg()
			reg.AllowAnonymous = true
			mech, _, err := tc.client.Start()
			require.NoError(t, err)
			srv, err := reg.NewServer(context.Background(), mech, tc.ch)
			require.NoError(t, err)
			if tc.first {
				chal, done, err := srv.Next(nil)
				require.NoError(t, err)
				require.False(t, done)
				resp, err := tc.client.Next(chal)
				require.NoError(t, err)
				chal, done, err = srv.Next(resp)
				for !done {
					require.NoError(t, err)
					resp, err = tc.client.Next(chal)
					require.NoError(t, err)
					chal, done, err = srv.Next(resp)
				}
				require.NoError(t, err)
			} else {
				// Restart the client so exchange() can call Start itself.
				_, err := exchange(restart(tc.client), srv)
				require.NoError(t, err)
			}
			id, ok := srv.Identity()
			require.True(t, ok)
			assert.Equal(t, tc.want, id)
			_, _, err = srv.Next(nil)
			assert.ErrorIs(t, err, ErrUnexpected, "no step after done")
		})
	}
}

// restart wraps a started client so that Start can be called again.
func restart(c Client) Client { return &restarted{c} }

type restarted struct{ Client }

func (r *restarted) Start() (string, []byte, error) {
	switch c := r.Client.(type) {
	case *scramClient:
		c.step = 0
	case *loginClient, *cramClient:
	}
	return r.Client.Start()
}

func TestFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		client Client
		ch     Channel
		want   error
	}{
		{"plain wrong password", NewPlainClient("", "alice", "wrong"), tlsCh, ErrBadCredentials},
		{"plain unknown user", NewPlainClient("", "mallory", "secret"), tlsCh, ErrBadCredentials},
		{"plain authzid not allowed", NewPlainClient("bob", "alice", "secret"), tlsCh, ErrNotAuthorized},
		{"login wrong password", NewLoginClient("bob", "nope"), tlsCh, ErrBadCredentials},
		{"cram wrong password", NewCRAMMD5Client("alice", "nope"), plainCh, ErrBadCredentials},
		{"cram unknown", NewCRAMMD5Client("zed", "secret"), plainCh, ErrBadCredentials},
		{"scram-1 wrong password", NewSCRAMClient(SCRAMSHA1, "", "alice", "nope", nil), plainCh, ErrBadCredentials},
		{"scram-256 wrong password", NewSCRAMClient(SCRAMSHA256, "", "alice", "nope", nil), plainCh, ErrBadCredentials},
		{"scram unknown user", NewSCRAMClient(SCRAMSHA256, "", "mallory", "secret", nil), plainCh, ErrBadCredentials},
		{"scram authzid not allowed", NewSCRAMClient(SCRAMSHA256, "bob", "alice", "secret", nil), plainCh, ErrNotAuthorized},
		{"xoauth2 bad token", NewXOAuth2Client("alice", "bad-token"), tlsCh, ErrBadCredentials},
		{"oauthbearer bad token", NewOAuthBearerClient("alice", "bad-token", nil), tlsCh, ErrBadCredentials},
		{"external other authzid", NewExternalClient("root"), Channel{ExternalID: "CN=relay"}, ErrNotAuthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mech, _, err := tc.client.Start()
			require.NoError(t, err)
			srv, err := newReg().NewServer(context.Background(), mech, tc.ch)
			require.NoError(t, err)
			tr, err := exchange(restart(tc.client), srv)
			require.ErrorIs(t, err, tc.want, joinTranscript(tr))
			_, ok := srv.Identity()
			assert.False(t, ok)
			_, _, err = srv.Next([]byte("x"))
			assert.ErrorIs(t, err, ErrUnexpected, "no step after failure")
		})
	}
}

func TestOAuthErrorChallenge(t *testing.T) {
	t.Parallel()
	srv, err := newReg().NewServer(context.Background(), OAuthBearer, tlsCh)
	require.NoError(t, err)
	c := NewOAuthBearerClient("alice", "bad-token", nil)
	_, ir, _ := c.Start()
	chal, done, err := srv.Next(ir)
	require.NoError(t, err)
	require.False(t, done)
	assert.JSONEq(t, `{"status":"invalid_token","schemes":"bearer","scope":""}`, string(chal))
	resp, err := c.Next(chal)
	require.NoError(t, err)
	assert.Equal(t, []byte{1}, resp)
	_, _, err = srv.Next(resp)
	assert.ErrorIs(t, err, ErrBadCredentials)
}

func TestRegistryMechanisms(t *testing.T) {
	t.Parallel()
	reg := &Registry{Credentials: users{}}
	assert.Equal(t, []string{SCRAMSHA256, SCRAMSHA1}, reg.Mechanisms(plainCh))
	assert.Equal(t, []string{SCRAMSHA256, SCRAMSHA1, Plain, Login}, reg.Mechanisms(tlsCh))
	_, err := reg.NewServer(context.Background(), "plain", plainCh)
	assert.ErrorIs(t, err, ErrTooWeak)
	_, err = reg.NewServer(context.Background(), CRAMMD5, plainCh)
	assert.ErrorIs(t, err, ErrUnsupported, "CRAM-MD5 needs enabling")
	_, err = reg.NewServer(context.Background(), "GSSAPI", tlsCh)
	assert.ErrorIs(t, err, ErrUnsupported)
	_, err = reg.NewServer(context.Background(), SCRAMSHA256Plus, tlsCh)
	assert.ErrorIs(t, err, ErrUnsupported, "no TLS state, no -PLUS")

	full := newReg()
	full.AllowAnonymous = true
	assert.Equal(t, []string{SCRAMSHA256, SCRAMSHA1, CRAMMD5, Anonymous}, full.Mechanisms(plainCh))
	assert.Equal(t, []string{SCRAMSHA256, SCRAMSHA1, CRAMMD5, Plain, Login, OAuthBearer, XOAuth2, External, Anonymous},
		full.Mechanisms(Channel{Secure: true, ExternalID: "x"}))
	full.AllowInsecure = true
	assert.Contains(t, full.Mechanisms(plainCh), Plain)
	s, err := full.NewServer(context.Background(), "login", plainCh)
	require.NoError(t, err)
	assert.Equal(t, Login, s.Mechanism())

	none := &Registry{}
	assert.Empty(t, none.Mechanisms(tlsCh))
}

// tlsPair returns the client and server connection states of a real TLS
// 1.3 handshake over an in-memory pipe.
func tlsPair(t *testing.T, maxVersion uint16) (client, server tls.ConnectionState) {
	t.Helper()
	ca, err := tlsutil.NewCA(nil)
	require.NoError(t, err)
	scfg, err := ca.ServerConfig("localhost")
	require.NoError(t, err)
	ccfg := ca.ClientConfig("localhost")
	ccfg.MaxVersion = maxVersion
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	srv := tls.Server(b, scfg)
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	cl := tls.Client(a, ccfg)
	require.NoError(t, cl.Handshake())
	require.NoError(t, <-errc)
	return cl.ConnectionState(), srv.ConnectionState()
}

func TestSCRAMPlus(t *testing.T) {
	t.Parallel()
	ccs, scs := tlsPair(t, 0)
	ch := Channel{TLS: &scs}
	reg := newReg()
	assert.Equal(t, []string{SCRAMSHA256Plus, SCRAMSHA1Plus, SCRAMSHA256, SCRAMSHA1, CRAMMD5, Plain, Login, OAuthBearer, XOAuth2}, reg.Mechanisms(ch))

	for _, mech := range []string{SCRAMSHA256Plus, SCRAMSHA1Plus} {
		t.Run(mech, func(t *testing.T) {
			srv, err := reg.NewServer(context.Background(), mech, ch)
			require.NoError(t, err)
			c := NewSCRAMClient(mech, "", "alice", "secret", &SCRAMOptions{TLS: &ccs})
			tr, err := exchange(c, srv)
			require.NoError(t, err, joinTranscript(tr))
			assert.True(t, strings.HasPrefix(tr[0], "C: p=tls-exporter,,n=alice,r="), tr[0])
			id, ok := srv.Identity()
			require.True(t, ok)
			assert.Equal(t, mech, id.Mechanism)
		})
	}
	t.Run("wrong binding data", func(t *testing.T) {
		srv, err := reg.NewServer(context.Background(), SCRAMSHA256Plus, ch)
		require.NoError(t, err)
		c := NewSCRAMClient(SCRAMSHA256Plus, "", "alice", "secret", &SCRAMOptions{ChannelBinding: bytes.Repeat([]byte{7}, 32)})
		_, err = exchange(c, srv)
		assert.ErrorIs(t, err, ErrChannelBinding)
	})
	t.Run("other connection", func(t *testing.T) {
		other, _ := tlsPair(t, 0)
		srv, err := reg.NewServer(context.Background(), SCRAMSHA256Plus, ch)
		require.NoError(t, err)
		_, err = exchange(NewSCRAMClient(SCRAMSHA256Plus, "", "alice", "secret", &SCRAMOptions{TLS: &other}), srv)
		assert.ErrorIs(t, err, ErrChannelBinding, "a relayed exchange (MITM) must fail")
	})
	t.Run("downgrade y flag", func(t *testing.T) {
		srv, err := reg.NewServer(context.Background(), SCRAMSHA256, ch)
		require.NoError(t, err)
		c := NewSCRAMClient(SCRAMSHA256, "", "alice", "secret", &SCRAMOptions{TLS: &ccs})
		tr, err := exchange(c, srv)
		assert.ErrorIs(t, err, ErrChannelBinding)
		assert.True(t, strings.HasPrefix(tr[0], "C: y,,"), tr[0])
	})
	t.Run("y flag without plus offered", func(t *testing.T) {
		srv, err := newReg().NewServer(context.Background(), SCRAMSHA256, plainCh)
		require.NoError(t, err)
		_, err = exchange(NewSCRAMClient(SCRAMSHA256, "", "alice", "secret", &SCRAMOptions{TLS: &ccs}), srv)
		assert.NoError(t, err)
	})
	t.Run("y flag on TLS when plus is not enabled", func(t *testing.T) {
		// RFC 5802 section 6: "y" is only a downgrade if the server
		// advertised -PLUS; a registry without it must accept.
		r := newReg()
		r.Enabled = []string{SCRAMSHA256, SCRAMSHA1}
		require.NotContains(t, r.Mechanisms(ch), SCRAMSHA256Plus)
		srv, err := r.NewServer(context.Background(), SCRAMSHA256, ch)
		require.NoError(t, err)
		tr, err := exchange(NewSCRAMClient(SCRAMSHA256, "", "alice", "secret", &SCRAMOptions{TLS: &ccs}), srv)
		require.NoError(t, err, joinTranscript(tr))
		assert.True(t, strings.HasPrefix(tr[0], "C: y,,"), tr[0])
	})
	t.Run("plus client without TLS", func(t *testing.T) {
		_, _, err := NewSCRAMClient(SCRAMSHA256Plus, "", "alice", "secret", nil).Start()
		assert.ErrorIs(t, err, ErrChannelBinding)
	})
	t.Run("n flag on plus mechanism", func(t *testing.T) {
		srv, err := reg.NewServer(context.Background(), SCRAMSHA256Plus, ch)
		require.NoError(t, err)
		_, _, err = srv.Next([]byte("n,,n=alice,r=abc"))
		assert.ErrorIs(t, err, ErrChannelBinding)
	})
	t.Run("p flag on plain mechanism", func(t *testing.T) {
		srv, err := reg.NewServer(context.Background(), SCRAMSHA256, ch)
		require.NoError(t, err)
		_, _, err = srv.Next([]byte("p=tls-exporter,,n=alice,r=abc"))
		assert.ErrorIs(t, err, ErrChannelBinding)
	})
	t.Run("unsupported binding type", func(t *testing.T) {
		srv, err := reg.NewServer(context.Background(), SCRAMSHA256Plus, ch)
		require.NoError(t, err)
		_, _, err = srv.Next([]byte("p=tls-unique,,n=alice,r=abc"))
		assert.ErrorIs(t, err, ErrChannelBinding)
	})
}

func TestSCRAMServerNegative(t *testing.T) {
	t.Parallel()
	v := scramVectors[1]
	start := func(t *testing.T) *ServerSession {
		keys, err := NewSCRAMKeys(SCRAMSHA256, []byte("pencil"), mustB64(t, v.salt), 4096)
		require.NoError(t, err)
		reg := &Registry{Credentials: users{"user": func() *Secret { k := keys; return &Secret{SCRAMSHA256: &k} }},
			Rand: strings.NewReader(v.serverNonce), NonceLength: len(v.serverNonce)}
		srv, err := reg.NewServer(context.Background(), SCRAMSHA256, plainCh)
		require.NoError(t, err)
		_, _, err = srv.Next([]byte(v.clientFirst))
		require.NoError(t, err)
		return srv
	}
	tests := []struct {
		name, final string
		want        error
	}{
		{"wrong nonce", strings.Replace(v.clientFinal, "k0,p=", "k1,p=", 1), ErrMalformed},
		{"wrong proof", strings.Replace(v.clientFinal, "p=dHzb", "p=dHza", 1), ErrBadCredentials},
		{"short proof", "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAA", ErrBadCredentials},
		{"wrong gs2 in c", strings.Replace(v.clientFinal, "c=biws", "c=eSws", 1), ErrChannelBinding},
		{"no proof", "c=biws,r=x", ErrMalformed},
		{"garbage", "hello", ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t)
			_, _, err := srv.Next([]byte(tc.final))
			assert.ErrorIs(t, err, tc.want)
		})
	}
	t.Run("non-empty final ack", func(t *testing.T) {
		srv := start(t)
		_, _, err := srv.Next([]byte(v.clientFinal))
		require.NoError(t, err)
		_, _, err = srv.Next([]byte("x"))
		assert.ErrorIs(t, err, ErrMalformed)
	})
}

func TestSCRAMClientNegative(t *testing.T) {
	t.Parallel()
	v := scramVectors[1]
	newC := func(opts *SCRAMOptions) Client {
		o := SCRAMOptions{Rand: strings.NewReader(v.clientNonce), NonceLength: len(v.clientNonce)}
		if opts != nil {
			o.MinIterations, o.MaxIterations = opts.MinIterations, opts.MaxIterations
		}
		c := NewSCRAMClient(SCRAMSHA256, "", "user", "pencil", &o)
		_, _, err := c.Start()
		if err != nil {
			panic(err)
		}
		return c
	}
	tests := []struct {
		name, first string
		opts        *SCRAMOptions
		want        error
	}{
		{"nonce not extended", "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", nil, ErrMalformed},
		{"foreign nonce", "r=XXXXNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", nil, ErrMalformed},
		{"mandatory ext", "m=x,r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", nil, ErrMalformed},
		{"bad salt", "r=rOprNGfwEbeRWgbNEkqOabc,s=***,i=4096", nil, ErrMalformed},
		{"zero iterations", "r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0", nil, ErrMalformed},
		{"server error", "e=other-error", nil, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := newC(tc.opts).Next([]byte(tc.first))
			assert.ErrorIs(t, err, tc.want)
		})
	}
	t.Run("too few iterations", func(t *testing.T) {
		t.Parallel()
		_, err := newC(nil).Next([]byte("r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1"))
		assert.ErrorContains(t, err, "iterations")
	})
	t.Run("too many iterations", func(t *testing.T) {
		t.Parallel()
		_, err := newC(&SCRAMOptions{MaxIterations: 10000}).Next([]byte("r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=10001"))
		assert.ErrorContains(t, err, "iterations")
	})
	t.Run("bad server signature", func(t *testing.T) {
		t.Parallel()
		c := newC(nil)
		_, err := c.Next([]byte(v.serverFirst))
		require.NoError(t, err)
		_, err = c.Next([]byte("v=AAAAZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))
		assert.ErrorIs(t, err, ErrServerProof)
	})
	t.Run("server e=", func(t *testing.T) {
		t.Parallel()
		c := newC(nil)
		_, err := c.Next([]byte(v.serverFirst))
		require.NoError(t, err)
		_, err = c.Next([]byte("e=invalid-proof"))
		assert.ErrorIs(t, err, ErrBadCredentials)
	})
	t.Run("unknown mech", func(t *testing.T) {
		_, _, err := NewSCRAMClient("SCRAM-MD5", "", "u", "p", nil).Start()
		assert.ErrorIs(t, err, ErrUnsupported)
	})
}

func TestSASLNameEscaping(t *testing.T) {
	t.Parallel()
	reg := &Registry{Credentials: users{"a,b=c": plainUser("pw")}, Authorize: func(_ context.Context, authcid, authzid string) error {
		if authzid == "x=,y" {
			return nil
		}
		return errors.New("no")
	}}
	srv, err := reg.NewServer(context.Background(), SCRAMSHA256, plainCh)
	require.NoError(t, err)
	c := NewSCRAMClient(SCRAMSHA256, "x=,y", "a,b=c", "pw", nil)
	tr, err := exchange(c, srv)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(tr[0], "C: n,a=x=3D=2Cy,n=a=2Cb=3Dc,r="), tr[0])
	id, _ := srv.Identity()
	assert.Equal(t, "a,b=c", id.Username)
	assert.Equal(t, "x=,y", id.Authzid)
	for _, bad := range []string{"a=2", "a=41", "a,b"} {
		_, err := decodeSASLName(bad)
		assert.ErrorIs(t, err, ErrMalformed, bad)
	}
}

func TestPasswordsAreWiped(t *testing.T) {
	t.Parallel()
	var handedOut [][]byte
	reg := &Registry{Credentials: CredentialsFunc(func(_ context.Context, u string) (*Secret, error) {
		p := []byte("secret")
		handedOut = append(handedOut, p)
		return &Secret{Password: p}, nil
	})}
	for _, mech := range []string{Plain, Login, SCRAMSHA256} {
		srv, err := reg.NewServer(context.Background(), mech, tlsCh)
		require.NoError(t, err)
		var c Client
		switch mech {
		case Plain:
			c = NewPlainClient("", "alice", "secret")
		case Login:
			c = NewLoginClient("alice", "secret")
		default:
			c = NewSCRAMClient(mech, "", "alice", "secret", nil)
		}
		_, err = exchange(c, srv)
		require.NoError(t, err, mech)
	}
	require.Len(t, handedOut, 3)
	for i, p := range handedOut {
		assert.Equal(t, make([]byte, 6), p, "secret %d not wiped", i)
	}
	// The PLAIN response buffer (which held the password) is wiped too.
	srv, err := reg.NewServer(context.Background(), Plain, tlsCh)
	require.NoError(t, err)
	resp := []byte("\x00alice\x00secret")
	_, done, err := srv.Next(resp)
	require.NoError(t, err)
	require.True(t, done)
	assert.Equal(t, make([]byte, len(resp)), resp)
}

func TestPlainAgainstStoredSCRAMKeys(t *testing.T) {
	t.Parallel()
	keys, err := NewSCRAMKeys(SCRAMSHA256, []byte("secret"), []byte("saltsaltsaltsalt"), 4096)
	require.NoError(t, err)
	reg := &Registry{Credentials: users{"alice": func() *Secret { k := keys; return &Secret{SCRAMSHA256: &k} }}}
	for pass, want := range map[string]error{"secret": nil, "Secret": ErrBadCredentials} {
		srv, err := reg.NewServer(context.Background(), Plain, tlsCh)
		require.NoError(t, err)
		_, err = exchange(NewPlainClient("", "alice", pass), srv)
		if want == nil {
			assert.NoError(t, err)
		} else {
			assert.ErrorIs(t, err, want)
		}
	}
	// CRAM-MD5 cannot work from SCRAM keys.
	reg.Enabled = []string{CRAMMD5}
	srv, err := reg.NewServer(context.Background(), CRAMMD5, plainCh)
	require.NoError(t, err)
	_, err = exchange(NewCRAMMD5Client("alice", "secret"), srv)
	assert.ErrorIs(t, err, ErrBadCredentials)
	_, err = NewSCRAMKeys("PLAIN", nil, nil, 1)
	assert.ErrorIs(t, err, ErrUnsupported)
}

func TestLookupFailureIsNotBadCredentials(t *testing.T) {
	t.Parallel()
	boom := errors.New("db down")
	reg := &Registry{Credentials: CredentialsFunc(func(context.Context, string) (*Secret, error) { return nil, boom })}
	srv, err := reg.NewServer(context.Background(), Plain, tlsCh)
	require.NoError(t, err)
	_, err = exchange(NewPlainClient("", "alice", "x"), srv)
	assert.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, ErrBadCredentials)
}

func TestServerMalformedInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mech string
		ch   Channel
		msgs [][]byte // responses in order; the last must fail
		want error
	}{
		{Plain, tlsCh, [][]byte{{}}, ErrMalformed},
		{Plain, tlsCh, [][]byte{[]byte("alice\x00secret")}, ErrMalformed},
		{Plain, tlsCh, [][]byte{[]byte("\x00alice\x00secret\x00")}, ErrMalformed},
		{Plain, tlsCh, [][]byte{[]byte("\x00\x00secret")}, ErrMalformed},
		{Plain, tlsCh, [][]byte{[]byte("\x00alice\x00")}, ErrMalformed},
		{Plain, tlsCh, [][]byte{[]byte("\x00al\xffice\x00x")}, ErrMalformed},
		{Login, tlsCh, [][]byte{nil, {}}, ErrMalformed},
		{CRAMMD5, plainCh, [][]byte{[]byte("alice 00")}, ErrMalformed},
		{CRAMMD5, plainCh, [][]byte{nil, []byte("alice")}, ErrMalformed},
		{CRAMMD5, plainCh, [][]byte{nil, []byte("alice zz3a602c7eda7a495b4e6e7334d3890z")}, ErrMalformed},
		{SCRAMSHA256, plainCh, [][]byte{[]byte("n,,n=,r=abc")}, ErrMalformed},
		{SCRAMSHA256, plainCh, [][]byte{[]byte("x,,n=a,r=abc")}, ErrMalformed},
		{SCRAMSHA256, plainCh, [][]byte{[]byte("n,,m=ext,n=a,r=abc")}, ErrMalformed},
		{XOAuth2, tlsCh, [][]byte{[]byte("user=a\x01auth=Basic x\x01\x01")}, ErrMalformed},
		{OAuthBearer, tlsCh, [][]byte{[]byte("n,,\x01auth=Bearer x")}, ErrMalformed},
		{OAuthBearer, tlsCh, [][]byte{[]byte("p=tls-exporter,,\x01auth=Bearer x\x01\x01")}, ErrChannelBinding},
		{Anonymous, plainCh, [][]byte{[]byte(strings.Repeat("x", 256))}, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.mech, func(t *testing.T) {
			t.Parallel()
			reg := newReg()
			reg.AllowAnonymous = true
			srv, err := reg.NewServer(context.Background(), tc.mech, tc.ch)
			require.NoError(t, err)
			for i, m := range tc.msgs {
				_, _, err = srv.Next(m)
				if i < len(tc.msgs)-1 {
					require.NoError(t, err)
				}
			}
			assert.ErrorIs(t, err, tc.want)
		})
	}
	t.Run("too long", func(t *testing.T) {
		reg := newReg()
		reg.Limits.MaxResponse = 10
		srv, err := reg.NewServer(context.Background(), Plain, tlsCh)
		require.NoError(t, err)
		_, _, err = srv.Next([]byte("\x00alice\x00secretsecret"))
		assert.ErrorIs(t, err, ErrTooLong)
	})
}

func TestClientsRejectExtraSteps(t *testing.T) {
	t.Parallel()
	for _, c := range []Client{NewPlainClient("", "a", "b"), NewLoginClient("a", "b"), NewCRAMMD5Client("a", "b"),
		NewExternalClient(""), NewAnonymousClient("")} {
		_, _, err := c.Start()
		require.NoError(t, err)
		var last error
		for i := 0; i < 3; i++ {
			_, last = c.Next([]byte("challenge"))
		}
		assert.ErrorIs(t, last, ErrUnexpected)
	}
}

// scramSalt runs the first SCRAM step for user and returns the salt of the
// server-first-message.
func scramSalt(t *testing.T, reg *Registry, mech, user string) string {
	t.Helper()
	srv, err := reg.NewServer(context.Background(), mech, Channel{})
	require.NoError(t, err)
	sf, _, err := srv.Next([]byte("n,,n=" + user + ",r=abcdefghijklmnop"))
	require.NoError(t, err)
	parsed, err := parseServerFirst(string(sf))
	require.NoError(t, err)
	assert.Equal(t, 4096, parsed.iter)
	return string(parsed.salt)
}

func TestSCRAMSaltsDoNotRevealUsers(t *testing.T) {
	t.Parallel()
	reg := newReg() // alice and bob have plaintext passwords only
	for _, mech := range []string{SCRAMSHA256, SCRAMSHA1} {
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			known1, known2 := scramSalt(t, reg, mech, "alice"), scramSalt(t, reg, mech, "alice")
			unknown1, unknown2 := scramSalt(t, reg, mech, "mallory"), scramSalt(t, reg, mech, "mallory")
			assert.Equal(t, known1, known2, "a known user's salt is stable, as an unknown user's is")
			assert.Equal(t, unknown1, unknown2)
			assert.Len(t, known1, 16)
			assert.Len(t, unknown1, 16)
			assert.NotEqual(t, known1, unknown1)
			assert.NotEqual(t, known1, scramSalt(t, reg, mech, "bob"))

			other := newReg()
			other.FakeSaltKey = []byte("another secret key")
			assert.NotEqual(t, known1, scramSalt(t, other, mech, "alice"), "salts depend on FakeSaltKey")
		})
	}
}

func TestDefaultFakeSaltKeyIsRandomPerRegistry(t *testing.T) {
	t.Parallel()
	a, b := newReg(), newReg() // FakeSaltKey nil in both
	require.Nil(t, a.FakeSaltKey)
	sa1, sa2 := scramSalt(t, a, SCRAMSHA256, "mallory"), scramSalt(t, a, SCRAMSHA256, "mallory")
	assert.Equal(t, sa1, sa2, "stable within one registry")
	assert.NotEqual(t, sa1, scramSalt(t, b, SCRAMSHA256, "mallory"), "a nil key must not be a fixed, guessable one")
}

func TestPlainUnknownUserAfterStoredKeys(t *testing.T) {
	t.Parallel()
	keys, err := NewSCRAMKeys(SCRAMSHA256, []byte("secret"), []byte("saltsaltsaltsalt"), 4096)
	require.NoError(t, err)
	reg := &Registry{AllowInsecure: true, Credentials: CredentialsFunc(func(ctx context.Context, u string) (*Secret, error) {
		if u == "carol" {
			return &Secret{SCRAMSHA256: &keys}, nil
		}
		return nil, ErrUnknownUser
	})}
	// A known user with stored keys teaches the registry the cost of a
	// check; an unknown user then still gets the generic failure.
	assert.NoError(t, reg.checkPassword(context.Background(), "carol", []byte("secret")))
	assert.Equal(t, int64(4096), reg.dummyIter.Load())
	assert.ErrorIs(t, reg.checkPassword(context.Background(), "nobody", []byte("secret")), ErrBadCredentials)
	assert.ErrorIs(t, reg.checkPassword(context.Background(), "carol", []byte("wrong")), ErrBadCredentials)
}
