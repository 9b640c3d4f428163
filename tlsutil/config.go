package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
)

// safeCipherSuites are the TLS 1.2 suites offered: forward secrecy (ECDHE)
// and AEAD only. TLS 1.3 suites are fixed by crypto/tls.
var safeCipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// SafeCipherSuites returns the TLS 1.2 cipher suites that the configs of
// this package allow (a fresh slice).
func SafeCipherSuites() []uint16 {
	return append([]uint16(nil), safeCipherSuites...)
}

// ServerConfig returns a new server configuration serving certs with safe
// defaults: TLS 1.2 minimum and ECDHE+AEAD suites for TLS 1.2. Callers may
// set GetCertificate on the result instead of passing certificates.
func ServerConfig(certs ...tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		CipherSuites: SafeCipherSuites(),
		Certificates: append([]tls.Certificate(nil), certs...),
	}
}

// ClientConfig returns a new client configuration that verifies the server
// against roots (nil means the system pool) and serverName, with TLS 1.2
// as the minimum version.
func ClientConfig(serverName string, roots *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		CipherSuites: SafeCipherSuites(),
		ServerName:   serverName,
		RootCAs:      roots,
	}
}

// Harden returns a clone of cfg (nil: a new config) with the minimum
// version raised to TLS 1.2 and the TLS 1.2 suites restricted to
// [SafeCipherSuites] (a cipher list already in cfg is filtered, not
// replaced).
func Harden(cfg *tls.Config) *tls.Config {
	var c *tls.Config
	if cfg == nil {
		c = &tls.Config{}
	} else {
		c = cfg.Clone()
	}
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
	if len(c.CipherSuites) == 0 {
		c.CipherSuites = SafeCipherSuites()
		return c
	}
	var kept []uint16
	for _, s := range c.CipherSuites {
		for _, ok := range safeCipherSuites {
			if s == ok {
				kept = append(kept, s)
				break
			}
		}
	}
	if len(kept) == 0 {
		kept = SafeCipherSuites()
	}
	c.CipherSuites = kept
	return c
}

// ClientAuthPolicy says whether a server asks for client certificates.
type ClientAuthPolicy int

const (
	// ClientAuthNone does not request client certificates.
	ClientAuthNone ClientAuthPolicy = iota
	// ClientAuthOptional requests a certificate and verifies it if one is
	// sent; clients without one are accepted (the usual choice for SMTP,
	// where SASL EXTERNAL or a relay allowlist may use it).
	ClientAuthOptional
	// ClientAuthRequired refuses the handshake without a verified client
	// certificate.
	ClientAuthRequired
)

// RequireClientCert returns a clone of cfg that authenticates clients with
// certificates issued by roots according to policy. roots must not be nil
// unless policy is ClientAuthNone.
func RequireClientCert(cfg *tls.Config, roots *x509.CertPool, policy ClientAuthPolicy) (*tls.Config, error) {
	c := Harden(cfg)
	switch policy {
	case ClientAuthNone:
		c.ClientAuth = tls.NoClientCert
		return c, nil
	case ClientAuthOptional:
		c.ClientAuth = tls.VerifyClientCertIfGiven
	case ClientAuthRequired:
		c.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("tlsutil: unknown client auth policy %d", policy)
	}
	if roots == nil {
		return nil, fmt.Errorf("tlsutil: client certificate authentication needs a root pool")
	}
	c.ClientCAs = roots
	return c, nil
}
