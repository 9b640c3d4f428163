package tlsutil

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"
)

// Errors reported (wrapped in a *[CertError]) by [LoadKeyPair],
// [ParseKeyPair] and [Reloader].
var (
	ErrNoCertificate = errors.New("tlsutil: no CERTIFICATE PEM block")
	ErrNoPrivateKey  = errors.New("tlsutil: no PRIVATE KEY PEM block")
	ErrBadKey        = errors.New("tlsutil: unparsable private key")
	ErrBadCert       = errors.New("tlsutil: unparsable certificate")
	ErrKeyMismatch   = errors.New("tlsutil: private key does not match the certificate")
	ErrExpired       = errors.New("tlsutil: certificate has expired")
	ErrNotYetValid   = errors.New("tlsutil: certificate is not yet valid")
)

// CertError describes why a certificate/key pair was rejected.
type CertError struct {
	CertFile, KeyFile string    // empty when parsed from memory
	Subject           string    // leaf subject, when the certificate parsed
	NotBefore         time.Time // leaf validity, when the certificate parsed
	NotAfter          time.Time // see NotBefore
	Err               error     // one of the ErrXxx sentinels above, or an I/O error
}

// Error describes the rejection, naming the files and, for validity
// errors, the subject and the relevant date.
func (e *CertError) Error() string {
	msg := e.Err.Error()
	if e.CertFile != "" {
		msg += " (cert " + e.CertFile + ", key " + e.KeyFile + ")"
	}
	switch {
	case errors.Is(e.Err, ErrExpired):
		msg += fmt.Sprintf(": %s expired %s", e.Subject, e.NotAfter.UTC().Format(time.RFC3339))
	case errors.Is(e.Err, ErrNotYetValid):
		msg += fmt.Sprintf(": %s valid from %s", e.Subject, e.NotBefore.UTC().Format(time.RFC3339))
	}
	return msg
}

// Unwrap returns Err, one of the ErrXxx sentinels or an I/O error.
func (e *CertError) Unwrap() error { return e.Err }

// LoadKeyPair reads a PEM certificate chain (leaf first) and a PEM private
// key (PKCS #8, PKCS #1 or SEC 1) and checks that they match and that the
// leaf is valid now. The returned certificate has Leaf set. Errors are
// *[CertError].
func LoadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	return loadKeyPair(certFile, keyFile, time.Now())
}

func loadKeyPair(certFile, keyFile string, now time.Time) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, &CertError{CertFile: certFile, KeyFile: keyFile, Err: err}
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, &CertError{CertFile: certFile, KeyFile: keyFile, Err: err}
	}
	defer Wipe(keyPEM)
	c, err := ParseKeyPair(certPEM, keyPEM, now)
	var ce *CertError
	if errors.As(err, &ce) {
		ce.CertFile, ce.KeyFile = certFile, keyFile
	}
	return c, err
}

// ParseKeyPair is [LoadKeyPair] on PEM data in memory, checking validity at
// now (zero: skip the validity check). keyPEM is not modified; callers
// should [Wipe] it when done.
func ParseKeyPair(certPEM, keyPEM []byte, now time.Time) (tls.Certificate, error) {
	var chain [][]byte
	rest := certPEM
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			chain = append(chain, b.Bytes)
		}
	}
	if len(chain) == 0 {
		return tls.Certificate{}, &CertError{Err: ErrNoCertificate}
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return tls.Certificate{}, &CertError{Err: fmt.Errorf("%w: %w", ErrBadCert, err)}
	}
	ce := &CertError{Subject: leaf.Subject.String(), NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		ce.Err = err
		return tls.Certificate{}, ce
	}
	if !publicKeyMatches(leaf.PublicKey, key) {
		ce.Err = ErrKeyMismatch
		return tls.Certificate{}, ce
	}
	if !now.IsZero() {
		if now.After(leaf.NotAfter) {
			ce.Err = ErrExpired
			return tls.Certificate{}, ce
		}
		if now.Before(leaf.NotBefore) {
			ce.Err = ErrNotYetValid
			return tls.Certificate{}, ce
		}
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}

func parsePrivateKey(keyPEM []byte) (crypto.Signer, error) {
	rest := keyPEM
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, ErrNoPrivateKey
		}
		if !bytes.HasSuffix([]byte(b.Type), []byte("PRIVATE KEY")) {
			continue
		}
		var k any
		var err error
		switch b.Type {
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		default:
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		}
		Wipe(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%w: unsupported key type %T", ErrBadKey, k)
		}
		return s, nil
	}
}

func publicKeyMatches(pub any, key crypto.Signer) bool {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return p.Equal(key.Public())
	case *ecdsa.PublicKey:
		return p.Equal(key.Public())
	case ed25519.PublicKey:
		return p.Equal(key.Public())
	}
	return false
}
