package interop

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/tlsutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// saslLine reads one CRLF line.
func saslLine(r *bufio.Reader) (string, error) {
	l, err := r.ReadString('\n')
	return strings.TrimRight(l, "\r\n"), err
}

// saslIMAPCaps sends CAPABILITY and returns the capability words.
func saslIMAPCaps(tc *tls.Conn, r *bufio.Reader) ([]string, error) {
	if _, err := io.WriteString(tc, "c1 CAPABILITY\r\n"); err != nil {
		return nil, err
	}
	var caps []string
	for {
		l, err := saslLine(r)
		if err != nil {
			return nil, err
		}
		if rest, ok := strings.CutPrefix(l, "* CAPABILITY "); ok {
			caps = strings.Fields(rest)
		}
		if strings.HasPrefix(l, "c1 ") {
			return caps, nil
		}
	}
}

// saslIMAPAuth runs AUTHENTICATE with c, using SASL-IR when ir is set.
func saslIMAPAuth(tc *tls.Conn, r *bufio.Reader, c sasl.Client, useIR bool) error {
	mech, ir, err := c.Start()
	if err != nil {
		return err
	}
	cmd := "a1 AUTHENTICATE " + mech
	if ir != nil && useIR {
		enc := base64.StdEncoding.EncodeToString(ir)
		if enc == "" {
			enc = "="
		}
		cmd += " " + enc
	}
	if _, err := io.WriteString(tc, cmd+"\r\n"); err != nil {
		return err
	}
	first := true
	for i := 0; i < 10; i++ {
		l, err := saslLine(r)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(l, "+"):
			chal, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.TrimPrefix(l, "+")))
			if err != nil {
				return fmt.Errorf("bad challenge %q", l)
			}
			var resp []byte
			if first && ir != nil && !useIR {
				resp = ir
			} else if resp, err = c.Next(chal); err != nil {
				_, _ = io.WriteString(tc, "*\r\n")
				return err
			}
			first = false
			if _, err := io.WriteString(tc, base64.StdEncoding.EncodeToString(resp)+"\r\n"); err != nil {
				return err
			}
		case strings.HasPrefix(l, "a1 OK"):
			return nil
		case strings.HasPrefix(l, "a1 "):
			return fmt.Errorf("%w: %s", sasl.ErrBadCredentials, l)
		}
	}
	return errors.New("too many steps")
}

func saslDialIMAP(t *testing.T) (*tls.Conn, *bufio.Reader) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tc, err := tlsutil.DialStartTLS(ctx, "tcp", peerAddr(portIMAP), tlsutil.ProtoIMAP, tlsutil.ClientConfig("localhost", peersCAPool(t)), nil)
	require.NoError(t, err)
	t.Cleanup(func() { tc.Close() })
	_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
	return tc, bufio.NewReader(tc)
}

// TestSASLClientsAgainstDovecot authenticates our sasl clients against
// Dovecot IMAP (after STARTTLS), with and without SASL-IR.
func TestSASLClientsAgainstDovecot(t *testing.T) {
	requireInterop(t)
	user := "alice@" + peersDomain
	tc, r := saslDialIMAP(t)
	caps, err := saslIMAPCaps(tc, r)
	require.NoError(t, err)
	offered := map[string]bool{}
	for _, c := range caps {
		if m, ok := strings.CutPrefix(c, "AUTH="); ok {
			offered[m] = true
		}
	}
	t.Logf("dovecot offers %v", caps)
	// required: the mechanisms issue 3 asks to prove against Dovecot, all
	// enabled by interop/lib/dovecot.sh; a harness that does not offer
	// them fails the test instead of skipping it silently.
	tests := []struct {
		name     string
		required bool
		client   func(pass string) sasl.Client
	}{
		{sasl.Plain, true, func(p string) sasl.Client { return sasl.NewPlainClient("", user, p) }},
		{sasl.Login, true, func(p string) sasl.Client { return sasl.NewLoginClient(user, p) }},
		{sasl.CRAMMD5, true, func(p string) sasl.Client { return sasl.NewCRAMMD5Client(user, p) }},
		{sasl.SCRAMSHA1, false, func(p string) sasl.Client { return sasl.NewSCRAMClient(sasl.SCRAMSHA1, "", user, p, nil) }},
		{sasl.SCRAMSHA256, true, func(p string) sasl.Client { return sasl.NewSCRAMClient(sasl.SCRAMSHA256, "", user, p, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !offered[tt.name] {
				if tt.required {
					t.Fatalf("dovecot does not offer %s: auth_mechanisms of the harness (interop/lib/dovecot.sh) must include it", tt.name)
				}
				t.Skipf("dovecot does not offer %s (auth_mechanisms in the peers' dovecot.conf)", tt.name)
			}
			for _, useIR := range []bool{true, false} {
				tc, r := saslDialIMAP(t)
				require.NoError(t, saslIMAPAuth(tc, r, tt.client(peersPassword), useIR), "ir=%v", useIR)
				// Authenticated: a command of the authenticated state works.
				_, err := io.WriteString(tc, "a2 SELECT INBOX\r\n")
				require.NoError(t, err)
				for {
					l, err := saslLine(r)
					require.NoError(t, err)
					if strings.HasPrefix(l, "a2 ") {
						assert.True(t, strings.HasPrefix(l, "a2 OK"), l)
						break
					}
				}
			}
			tc, r := saslDialIMAP(t)
			err := saslIMAPAuth(tc, r, tt.client("wrong-password"), true)
			assert.ErrorIs(t, err, sasl.ErrBadCredentials)
		})
	}
}

// TestSASLClientsAgainstPostfixSubmission authenticates through Postfix
// submission (SASL checked by Dovecot) after STARTTLS.
func TestSASLClientsAgainstPostfixSubmission(t *testing.T) {
	requireInterop(t)
	user := "alice@" + peersDomain
	for _, tt := range []struct {
		name   string
		client sasl.Client
		ok     bool
	}{
		{"PLAIN", sasl.NewPlainClient("", user, peersPassword), true},
		{"LOGIN", sasl.NewLoginClient(user, peersPassword), true},
		{"CRAM-MD5", sasl.NewCRAMMD5Client(user, peersPassword), true},
		{"PLAIN wrong", sasl.NewPlainClient("", user, "nope"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			tc, err := tlsutil.DialStartTLS(ctx, "tcp", peerAddr(portSubmission), tlsutil.ProtoSMTP,
				tlsutil.ClientConfig("localhost", peersCAPool(t)), &tlsutil.StartTLSOptions{ClientName: "client.example.test"})
			require.NoError(t, err)
			defer tc.Close()
			_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
			r := bufio.NewReader(tc)
			reply := func() (string, error) {
				var last string
				for {
					l, err := saslLine(r)
					if err != nil {
						return "", err
					}
					last = l
					if len(l) < 4 || l[3] != '-' {
						return last, nil
					}
				}
			}
			_, err = io.WriteString(tc, "EHLO client.example.test\r\n")
			require.NoError(t, err)
			_, err = reply()
			require.NoError(t, err)
			mech, ir, err := tt.client.Start()
			require.NoError(t, err)
			cmd := "AUTH " + mech
			if ir != nil {
				cmd += " " + base64.StdEncoding.EncodeToString(ir)
			}
			_, err = io.WriteString(tc, cmd+"\r\n")
			require.NoError(t, err)
			for i := 0; i < 10; i++ {
				l, err := reply()
				require.NoError(t, err)
				if strings.HasPrefix(l, "334 ") {
					chal, err := base64.StdEncoding.DecodeString(l[4:])
					require.NoError(t, err)
					resp, err := tt.client.Next(chal)
					require.NoError(t, err)
					_, err = io.WriteString(tc, base64.StdEncoding.EncodeToString(resp)+"\r\n")
					require.NoError(t, err)
					continue
				}
				if tt.ok {
					assert.True(t, strings.HasPrefix(l, "235"), l)
				} else {
					assert.True(t, strings.HasPrefix(l, "535"), l)
				}
				return
			}
			t.Fatal("too many AUTH steps")
		})
	}
}
