package sasl

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// users is a hand-written Credentials fake: user -> secret factory.
type users map[string]func() *Secret

func (u users) LookupCredentials(_ context.Context, name string) (*Secret, error) {
	f, ok := u[name]
	if !ok {
		return nil, ErrUnknownUser
	}
	return f(), nil
}

func plainUser(pass string) func() *Secret {
	return func() *Secret { return &Secret{Password: []byte(pass)} }
}

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

// exchange drives client against server as a protocol would, including
// the empty answer to a final challenge. It returns the transcript
// (client and server messages in order) and the first error.
func exchange(c Client, s Server) ([]string, error) {
	var tr []string
	_, ir, err := c.Start()
	if err != nil {
		return tr, err
	}
	if ir != nil {
		tr = append(tr, "C: "+string(ir))
	}
	chal, done, err := s.Next(ir)
	for i := 0; ; i++ {
		if err != nil || done {
			return tr, err
		}
		if i > 10 {
			return tr, errors.New("too many steps")
		}
		tr = append(tr, "S: "+string(chal))
		resp, cerr := c.Next(chal)
		if cerr != nil {
			return tr, cerr
		}
		tr = append(tr, "C: "+string(resp))
		chal, done, err = s.Next(resp)
	}
}

// tokens is a TokenVerifier fake.
type tokens map[string]string // token -> user

func (tk tokens) VerifyToken(_ context.Context, t Token) (string, error) {
	u, ok := tk[t.Token]
	if !ok {
		return "", ErrBadCredentials
	}
	return u, nil
}

func joinTranscript(tr []string) string { return strings.Join(tr, "\n") }
