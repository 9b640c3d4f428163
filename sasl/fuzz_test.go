package sasl

import (
	"context"
	"strings"
	"testing"
)

func FuzzParseClientFirst(f *testing.F) {
	for _, v := range scramVectors {
		f.Add(v.clientFirst)
	}
	f.Add("p=tls-exporter,a=x=3D=2Cy,n=a=2Cb,r=abc,x=ext")
	f.Add("y,,m=x,n=u,r=n")
	f.Fuzz(func(t *testing.T, s string) {
		cf, err := parseClientFirst(s)
		if err != nil {
			return
		}
		if !validNonce(cf.nonce) || cf.user == "" || !strings.HasSuffix(s, cf.bare) {
			t.Fatalf("accepted inconsistent message %q: %+v", s, cf)
		}
		// The escaped names round-trip.
		if got, err := decodeSASLName(encodeSASLName(cf.user)); err != nil || got != cf.user {
			t.Fatalf("name round trip %q -> %q, %v", cf.user, got, err)
		}
	})
}

func FuzzParseServerFirst(f *testing.F) {
	for _, v := range scramVectors {
		f.Add(v.serverFirst)
	}
	f.Add("r=a,s=AA==,i=1,x=y")
	f.Add("m=1,r=a,s=AA==,i=99999999999999999999")
	f.Fuzz(func(t *testing.T, s string) {
		sf, err := parseServerFirst(s)
		if err != nil {
			return
		}
		if sf.iter < 1 || len(sf.salt) == 0 || !validNonce(sf.nonce) {
			t.Fatalf("accepted %q: %+v", s, sf)
		}
	})
}

func FuzzParseClientFinal(f *testing.F) {
	for _, v := range scramVectors {
		f.Add(v.clientFinal)
	}
	f.Add("c=biws,r=abc,x=1,p=AAAA")
	f.Add("c=,r=,p=")
	f.Fuzz(func(t *testing.T, s string) {
		cf, err := parseClientFinal(s)
		if err != nil {
			return
		}
		if len(cf.proof) == 0 || len(cf.cbind) == 0 || !strings.HasPrefix(s, cf.withoutProof+",p=") {
			t.Fatalf("accepted %q: %+v", s, cf)
		}
	})
}

// FuzzSCRAMServer feeds arbitrary messages to a whole server exchange.
func FuzzSCRAMServer(f *testing.F) {
	v := scramVectors[1]
	f.Add([]byte(v.clientFirst), []byte(v.clientFinal))
	f.Add([]byte("y,,n=user,r=x"), []byte("c=eSws,r=x,p=AA=="))
	f.Fuzz(func(t *testing.T, first, final []byte) {
		reg := &Registry{Credentials: users{"user": plainUser("pencil")}, SCRAMIterations: 1}
		srv, err := reg.NewServer(context.Background(), SCRAMSHA256, Channel{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := srv.Next(first); err != nil {
			return
		}
		_, done, err := srv.Next(final)
		if err == nil || done {
			// Only a correct proof may succeed, and it never finishes
			// before the empty acknowledgement.
			if done {
				t.Fatalf("done before acknowledgement")
			}
		}
	})
}

func FuzzParsePlain(f *testing.F) {
	f.Add([]byte("\x00tim\x00tanstaaftanstaaf"))
	f.Add([]byte("Ursel\x00Kurt\x00xipj3plmq"))
	f.Add([]byte("\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParsePlain(b)
		if err != nil {
			return
		}
		if m.Authcid == "" || len(m.Password) == 0 || strings.ContainsRune(m.Authcid, 0) {
			t.Fatalf("accepted %q: %+v", b, m)
		}
	})
}

func FuzzParseOAuthBearer(f *testing.F) {
	f.Add([]byte("n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"))
	f.Add([]byte("y,,\x01auth=Bearer x\x01\x01"))
	f.Add([]byte("p=tls-exporter,,\x01auth=Bearer x\x01\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseOAuthBearer(b)
		if err != nil {
			return
		}
		if m.Token == "" || m.Fields["auth"] == "" {
			t.Fatalf("accepted %q without token", b)
		}
	})
}

func FuzzParseXOAuth2(f *testing.F) {
	f.Add([]byte("user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, tok, err := ParseXOAuth2(b)
		if err == nil && tok == "" {
			t.Fatalf("accepted %q without token", b)
		}
	})
}
