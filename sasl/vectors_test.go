package sasl

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 4616 section 4 examples.
func TestPlainRFC4616(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, authzid, user, pass, wire string
		authorize                       bool
		wantAuthz                       string
	}{
		{"tim", "", "tim", "tanstaaftanstaaf", "\x00tim\x00tanstaaftanstaaf", false, "tim"},
		{"Kurt as Ursel", "Ursel", "Kurt", "xipj3plmq", "Ursel\x00Kurt\x00xipj3plmq", true, "Ursel"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := NewPlainClient(tc.authzid, tc.user, tc.pass)
			mech, ir, err := c.Start()
			require.NoError(t, err)
			assert.Equal(t, Plain, mech)
			assert.Equal(t, tc.wire, string(ir))

			reg := &Registry{Credentials: users{"tim": plainUser("tanstaaftanstaaf"), "Kurt": plainUser("xipj3plmq")}}
			if tc.authorize {
				reg.Authorize = func(_ context.Context, authcid, authzid string) error {
					if authcid == "Kurt" && authzid == "Ursel" {
						return nil
					}
					return ErrNotAuthorized
				}
			}
			srv, err := reg.NewServer(context.Background(), Plain, Channel{Secure: true})
			require.NoError(t, err)
			_, done, err := srv.Next([]byte(tc.wire))
			require.NoError(t, err)
			require.True(t, done)
			id, ok := srv.Identity()
			require.True(t, ok)
			assert.Equal(t, Identity{Mechanism: Plain, Username: tc.user, Authzid: tc.wantAuthz}, id)
		})
	}
	t.Run("Kurt as Ursel without hook", func(t *testing.T) {
		t.Parallel()
		reg := &Registry{Credentials: users{"Kurt": plainUser("xipj3plmq")}}
		srv, err := reg.NewServer(context.Background(), Plain, Channel{Secure: true})
		require.NoError(t, err)
		_, _, err = srv.Next([]byte("Ursel\x00Kurt\x00xipj3plmq"))
		assert.ErrorIs(t, err, ErrNotAuthorized)
		_, ok := srv.Identity()
		assert.False(t, ok)
	})
}

// RFC 2195 section 2 example.
func TestCRAMMD5RFC2195(t *testing.T) {
	t.Parallel()
	const challenge = "<1896.697170952@postoffice.reston.mci.net>"
	const response = "tim b913a602c7eda7a495b4e6e7334d3890"
	c := NewCRAMMD5Client("tim", "tanstaaftanstaaf")
	mech, ir, err := c.Start()
	require.NoError(t, err)
	assert.Equal(t, CRAMMD5, mech)
	assert.Nil(t, ir)
	resp, err := c.Next([]byte(challenge))
	require.NoError(t, err)
	assert.Equal(t, response, string(resp))

	reg := &Registry{
		Credentials: users{"tim": plainUser("tanstaaftanstaaf")},
		Enabled:     []string{CRAMMD5},
		Rand:        strings.NewReader("1896"),
		NonceLength: 4,
		Now:         func() time.Time { return time.Unix(697170952, 0) },
		Hostname:    "postoffice.reston.mci.net",
	}
	srv, err := reg.NewServer(context.Background(), CRAMMD5, Channel{})
	require.NoError(t, err)
	chal, done, err := srv.Next(nil)
	require.NoError(t, err)
	require.False(t, done)
	assert.Equal(t, challenge, string(chal))
	_, done, err = srv.Next([]byte(response))
	require.NoError(t, err)
	assert.True(t, done)
	id, _ := srv.Identity()
	assert.Equal(t, "tim", id.Username)
}

type scramVector struct {
	name, mech                     string
	clientNonce, serverNonce, salt string
	clientFirst, serverFirst       string
	clientFinal, serverFinal       string
}

var scramVectors = []scramVector{
	{ // RFC 5802 section 5
		name: "RFC 5802", mech: SCRAMSHA1,
		clientNonce: "fyko+d2lbbFgONRv9qkxdawL", serverNonce: "3rfcNHYJY1ZVvWVs7j", salt: "QSXCR+Q6sek8bf92",
		clientFirst: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
		serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
		clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
	},
	{ // RFC 7677 section 3
		name: "RFC 7677", mech: SCRAMSHA256,
		clientNonce: "rOprNGfwEbeRWgbNEkqO", serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
		clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
		serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		clientFinal: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
	},
}

func TestSCRAMVectorsClient(t *testing.T) {
	t.Parallel()
	for _, v := range scramVectors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			c := NewSCRAMClient(v.mech, "", "user", "pencil", &SCRAMOptions{
				Rand: strings.NewReader(v.clientNonce), NonceLength: len(v.clientNonce)})
			mech, ir, err := c.Start()
			require.NoError(t, err)
			assert.Equal(t, v.mech, mech)
			assert.Equal(t, v.clientFirst, string(ir))
			final, err := c.Next([]byte(v.serverFirst))
			require.NoError(t, err)
			assert.Equal(t, v.clientFinal, string(final))
			last, err := c.Next([]byte(v.serverFinal))
			require.NoError(t, err)
			assert.Equal(t, []byte{}, last)
			_, err = c.Next(nil)
			assert.ErrorIs(t, err, ErrUnexpected)
		})
	}
}

func TestSCRAMVectorsServer(t *testing.T) {
	t.Parallel()
	// The server replays the RFC exchanges from stored keys. Keys derived
	// on the fly from a plaintext password use a salt derived from
	// FakeSaltKey and the user name (see TestSCRAMSaltsDoNotRevealUsers),
	// which cannot equal the RFC's salt; TestRoundTrips covers that path.
	for _, v := range scramVectors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			salt := mustB64(t, v.salt)
			keys, err := NewSCRAMKeys(v.mech, []byte("pencil"), salt, 4096)
			require.NoError(t, err)
			creds := users{"user": func() *Secret {
				k := keys
				if v.mech == SCRAMSHA1 {
					return &Secret{SCRAMSHA1: &k}
				}
				return &Secret{SCRAMSHA256: &k}
			}}
			reg := &Registry{Credentials: creds, Rand: strings.NewReader(v.serverNonce), NonceLength: len(v.serverNonce)}
			srv, err := reg.NewServer(context.Background(), v.mech, Channel{})
			require.NoError(t, err)
			sf, done, err := srv.Next([]byte(v.clientFirst))
			require.NoError(t, err)
			require.False(t, done)
			assert.Equal(t, v.serverFirst, string(sf))
			fin, done, err := srv.Next([]byte(v.clientFinal))
			require.NoError(t, err)
			require.False(t, done)
			assert.Equal(t, v.serverFinal, string(fin))
			_, done, err = srv.Next([]byte{})
			require.NoError(t, err)
			require.True(t, done)
			id, ok := srv.Identity()
			require.True(t, ok)
			assert.Equal(t, Identity{Mechanism: v.mech, Username: "user", Authzid: "user"}, id)
		})
	}
}
