package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Verification failures, wrapped in a *[VerifyError].
var (
	ErrHostMismatch = errors.New("tlsutil: certificate is not valid for the host name")
	ErrUntrusted    = errors.New("tlsutil: certificate signed by an unknown authority")
	ErrCertExpired  = errors.New("tlsutil: certificate expired or not yet valid")
	ErrInvalidChain = errors.New("tlsutil: invalid certificate chain")
	ErrNoPeerCerts  = errors.New("tlsutil: no certificates presented")
)

// CertInfo describes one certificate of a chain.
type CertInfo struct {
	Subject   string    // subject distinguished name (RFC 2253 style, as pkix.Name.String)
	Issuer    string    // issuer distinguished name, same format
	NotBefore time.Time // start of the validity period
	NotAfter  time.Time // end of the validity period
	DNSNames  []string  // subjectAltName DNS names
	IPs       []string  // subjectAltName IP addresses, in text form
	IsCA      bool      // basicConstraints cA flag
	KeyType   string    // "ECDSA", "RSA", "Ed25519"
}

// String formats the certificate on one line.
func (c CertInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "subject=%q issuer=%q valid %s..%s key=%s",
		c.Subject, c.Issuer, c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), c.KeyType)
	if c.IsCA {
		b.WriteString(" CA")
	}
	if len(c.DNSNames)+len(c.IPs) > 0 {
		b.WriteString(" san=")
		b.WriteString(strings.Join(append(append([]string(nil), c.DNSNames...), c.IPs...), ","))
	}
	return b.String()
}

// ChainInfo describes a certificate chain: as presented by the peer, and
// (when verification succeeded) as built to a trusted root.
type ChainInfo struct {
	Presented []CertInfo // the peer's certificates in the order sent, leaf first
	Verified  []CertInfo // nil unless verification succeeded
}

// String formats the chain on several lines, leaf first.
func (ci *ChainInfo) String() string {
	if ci == nil {
		return "<no chain>"
	}
	var b strings.Builder
	list, what := ci.Presented, "presented"
	if ci.Verified != nil {
		list, what = ci.Verified, "verified"
	}
	fmt.Fprintf(&b, "%s chain (%d):", what, len(list))
	for i, c := range list {
		fmt.Fprintf(&b, "\n %d %s", i, c)
	}
	return b.String()
}

// Describe returns the description of one certificate.
func Describe(c *x509.Certificate) CertInfo {
	ci := CertInfo{
		Subject:   c.Subject.String(),
		Issuer:    c.Issuer.String(),
		NotBefore: c.NotBefore,
		NotAfter:  c.NotAfter,
		DNSNames:  append([]string(nil), c.DNSNames...),
		IsCA:      c.IsCA,
		KeyType:   c.PublicKeyAlgorithm.String(),
	}
	for _, ip := range c.IPAddresses {
		ci.IPs = append(ci.IPs, ip.String())
	}
	return ci
}

func describeAll(certs []*x509.Certificate) []CertInfo {
	out := make([]CertInfo, 0, len(certs))
	for _, c := range certs {
		out = append(out, Describe(c))
	}
	return out
}

// VerifyOptions configures [VerifyChain].
type VerifyOptions struct {
	// Roots to trust; nil means the system pool.
	Roots *x509.CertPool
	// Host is the expected DNS name or IP literal; empty skips the host
	// name check.
	Host string
	// Now is the verification time (nil: time.Now).
	Now func() time.Time
	// Usage is the required extended key usage; default server auth.
	Usage x509.ExtKeyUsage
}

// VerifyError is a chain that failed verification.
type VerifyError struct {
	Host  string     // the expected host name (VerifyOptions.Host), may be empty
	Chain *ChainInfo // what was presented
	Kind  error      // ErrHostMismatch, ErrUntrusted, ErrCertExpired, ErrInvalidChain or ErrNoPeerCerts
	Err   error      // the underlying crypto/x509 error, if any
}

// Error formats the kind of failure, the host and the crypto/x509 error.
func (e *VerifyError) Error() string {
	msg := e.Kind.Error()
	if e.Host != "" {
		msg += " (host " + e.Host + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns both the kind and the underlying error.
func (e *VerifyError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// VerifyChain verifies certs (leaf first, then intermediates as presented
// by a peer) against the roots and host of opts. It always returns a
// description of the presented chain; on success Verified holds the chain
// built to a root. Errors are *[VerifyError].
func VerifyChain(certs []*x509.Certificate, opts *VerifyOptions) (*ChainInfo, error) {
	var o VerifyOptions
	if opts != nil {
		o = *opts
	}
	info := &ChainInfo{Presented: describeAll(certs)}
	if len(certs) == 0 {
		return info, &VerifyError{Host: o.Host, Chain: info, Kind: ErrNoPeerCerts}
	}
	now := time.Now()
	if o.Now != nil {
		now = o.Now()
	}
	usage := o.Usage
	if usage == 0 {
		usage = x509.ExtKeyUsageServerAuth
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	chains, err := certs[0].Verify(x509.VerifyOptions{
		Roots:         o.Roots,
		Intermediates: inter,
		CurrentTime:   now,
		DNSName:       strings.TrimSuffix(o.Host, "."),
		KeyUsages:     []x509.ExtKeyUsage{usage},
	})
	if err != nil {
		return info, &VerifyError{Host: o.Host, Chain: info, Kind: classify(err), Err: err}
	}
	info.Verified = describeAll(chains[0])
	return info, nil
}

func classify(err error) error {
	var he x509.HostnameError
	var ue x509.UnknownAuthorityError
	var ie x509.CertificateInvalidError
	switch {
	case errors.As(err, &he):
		return ErrHostMismatch
	case errors.As(err, &ue):
		return ErrUntrusted
	case errors.As(err, &ie):
		if ie.Reason == x509.Expired {
			return ErrCertExpired
		}
	}
	return ErrInvalidChain
}

// VerifyConnection verifies the peer certificates of a TLS connection
// state with [VerifyChain]. It suits a client that dialled with
// InsecureSkipVerify to inspect the chain itself, and diagnostics.
func VerifyConnection(cs tls.ConnectionState, opts *VerifyOptions) (*ChainInfo, error) {
	return VerifyChain(cs.PeerCertificates, opts)
}
