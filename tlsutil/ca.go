package tlsutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// KeyType selects the algorithm of a generated key.
type KeyType int

const (
	// KeyECDSAP256 is ECDSA on the P-256 curve (the default).
	KeyECDSAP256 KeyType = iota
	// KeyRSA2048 is a 2048-bit RSA key.
	KeyRSA2048
	// KeyEd25519 is an Ed25519 key.
	KeyEd25519
	// KeyRSA4096 is a 4096-bit RSA key (slow to generate).
	KeyRSA4096
)

// String names the key type ("ECDSA-P256", "RSA-2048", ...).
func (k KeyType) String() string {
	switch k {
	case KeyECDSAP256:
		return "ECDSA-P256"
	case KeyRSA2048:
		return "RSA-2048"
	case KeyEd25519:
		return "Ed25519"
	case KeyRSA4096:
		return "RSA-4096"
	}
	return fmt.Sprintf("KeyType(%d)", int(k))
}

func generateKey(k KeyType, r io.Reader) (crypto.Signer, error) {
	switch k {
	case KeyECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), r)
	case KeyRSA2048:
		return rsa.GenerateKey(r, 2048)
	case KeyRSA4096:
		return rsa.GenerateKey(r, 4096)
	case KeyEd25519:
		_, priv, err := ed25519.GenerateKey(r)
		if err != nil {
			return nil, err
		}
		return priv, nil
	}
	return nil, fmt.Errorf("tlsutil: unknown key type %d", int(k))
}

// CAOptions configures [NewCA]. The zero value gives an ECDSA P-256 CA
// named "mailkit test CA", valid from an hour ago for ten years.
type CAOptions struct {
	// KeyType of the CA key; default ECDSA P-256.
	KeyType KeyType
	// CommonName of the CA; default "mailkit test CA".
	CommonName string
	// Organization of the CA and of its leaves; default "mailkit".
	Organization string
	// Validity of the CA certificate; default 10 years.
	Validity time.Duration
	// LeafValidity is the default validity of issued leaves; default 1 year.
	LeafValidity time.Duration
	// Now is the clock (nil: time.Now). Certificates start an hour before
	// Now to tolerate clock skew.
	Now func() time.Time
	// Rand is the randomness source for keys and serial numbers
	// (nil: crypto/rand).
	Rand io.Reader
}

// CA is an in-memory certificate authority for tests and development. It is
// safe for concurrent use. Its private key never leaves memory unless
// [CA.WriteFiles] is called with includeKey.
type CA struct {
	opts CAOptions
	cert *x509.Certificate
	key  crypto.Signer
	der  []byte
	mu   sync.Mutex // serialises use of opts.Rand
}

// NewCA creates a self-signed CA. opts may be nil.
func NewCA(opts *CAOptions) (*CA, error) {
	var o CAOptions
	if opts != nil {
		o = *opts
	}
	if o.CommonName == "" {
		o.CommonName = "mailkit test CA"
	}
	if o.Organization == "" {
		o.Organization = "mailkit"
	}
	if o.Validity <= 0 {
		o.Validity = 10 * 365 * 24 * time.Hour
	}
	if o.LeafValidity <= 0 {
		o.LeafValidity = 365 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	key, err := generateKey(o.KeyType, o.Rand)
	if err != nil {
		return nil, fmt.Errorf("tlsutil: CA key: %w", err)
	}
	serial, err := randSerial(o.Rand)
	if err != nil {
		return nil, err
	}
	now := o.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: o.CommonName, Organization: []string{o.Organization}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(o.Validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(o.Rand, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("tlsutil: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("tlsutil: CA certificate: %w", err)
	}
	return &CA{opts: o, cert: cert, key: key, der: der}, nil
}

func randSerial(r io.Reader) (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 127)
	n, err := rand.Int(r, limit)
	if err != nil {
		return nil, fmt.Errorf("tlsutil: serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// Certificate returns the CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// CertPEM returns the CA certificate in PEM form.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.der})
}

// Pool returns a new pool holding only the CA certificate.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// LeafOptions describes a certificate for [CA.IssueLeaf].
type LeafOptions struct {
	// Hosts are DNS names (wildcards allowed) and IP literals put into the
	// subject alternative names. The first one is also the common name.
	Hosts []string
	// CommonName overrides the subject common name (e.g. for client
	// certificates that name a user).
	CommonName string
	// KeyType of the leaf key; default ECDSA P-256.
	KeyType KeyType
	// NotBefore and NotAfter override the validity period (zero: from an
	// hour before now for the CA's LeafValidity).
	NotBefore, NotAfter time.Time
	// Client adds the clientAuth extended key usage; Server (or neither)
	// adds serverAuth. Both may be set.
	Client, Server bool
	// EmailAddresses are added to the subject alternative names.
	EmailAddresses []string
}

// Issue issues an ECDSA P-256 server certificate for hosts (DNS names
// and/or IP literals). The returned certificate has Leaf set.
func (ca *CA) Issue(hosts ...string) (tls.Certificate, error) {
	return ca.IssueLeaf(LeafOptions{Hosts: hosts})
}

// IssueLeaf issues a certificate as described by o.
func (ca *CA) IssueLeaf(o LeafOptions) (tls.Certificate, error) {
	der, key, err := ca.issue(o)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsutil: issue: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// IssuePEM issues a certificate as described by o and returns the
// certificate and its PKCS #8 private key in PEM form.
func (ca *CA) IssuePEM(o LeafOptions) (certPEM, keyPEM []byte, err error) {
	der, key, err := ca.issue(o)
	if err != nil {
		return nil, nil, err
	}
	k, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsutil: issue: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k})
	Wipe(k)
	return certPEM, keyPEM, nil
}

// WriteLeaf issues a certificate as described by o and writes it to
// certFile and its key to keyFile (mode 0600), replacing them atomically
// (write to a temporary file, then rename) so a [Reloader] never sees a
// half-written file.
func (ca *CA) WriteLeaf(certFile, keyFile string, o LeafOptions) error {
	certPEM, keyPEM, err := ca.IssuePEM(o)
	if err != nil {
		return err
	}
	defer Wipe(keyPEM)
	if err := writeFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	return writeFileAtomic(certFile, certPEM, 0o644)
}

// WriteCert writes the CA certificate (not its key) to file in PEM form.
func (ca *CA) WriteCert(file string) error {
	return writeFileAtomic(file, ca.CertPEM(), 0o644)
}

func writeFileAtomic(name string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("tlsutil: write %s: %w", name, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(mode); err != nil {
		_ = f.Close()
		return fmt.Errorf("tlsutil: write %s: %w", name, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("tlsutil: write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("tlsutil: write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("tlsutil: write %s: %w", name, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("tlsutil: write %s: %w", name, err)
	}
	ok = true
	return nil
}

// ErrNoHosts is returned when a server certificate is requested without
// any host name or IP address.
var ErrNoHosts = errors.New("tlsutil: no host names for the certificate")

func (ca *CA) issue(o LeafOptions) ([]byte, crypto.Signer, error) {
	if !o.Client && len(o.Hosts) == 0 {
		return nil, nil, ErrNoHosts
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	key, err := generateKey(o.KeyType, ca.opts.Rand)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsutil: leaf key: %w", err)
	}
	serial, err := randSerial(ca.opts.Rand)
	if err != nil {
		return nil, nil, err
	}
	now := ca.opts.Now()
	nb, na := o.NotBefore, o.NotAfter
	if nb.IsZero() {
		nb = now.Add(-time.Hour)
	}
	if na.IsZero() {
		na = now.Add(ca.opts.LeafValidity)
	}
	cn := o.CommonName
	if cn == "" && len(o.Hosts) > 0 {
		cn = o.Hosts[0]
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{ca.opts.Organization}},
		NotBefore:             nb,
		NotAfter:              na,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		EmailAddresses:        o.EmailAddresses,
	}
	if _, isRSA := key.(*rsa.PrivateKey); isRSA {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	if o.Server || !o.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if o.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	for _, h := range o.Hosts {
		h = strings.TrimSuffix(h, ".")
		if h == "" {
			return nil, nil, fmt.Errorf("tlsutil: empty host name")
		}
		if ip := net.ParseIP(strings.Trim(h, "[]")); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(ca.opts.Rand, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsutil: issue: %w", err)
	}
	return der, key, nil
}

// ServerConfig issues a leaf for hosts and returns a server configuration
// with safe defaults serving it.
func (ca *CA) ServerConfig(hosts ...string) (*tls.Config, error) {
	c, err := ca.Issue(hosts...)
	if err != nil {
		return nil, err
	}
	return ServerConfig(c), nil
}

// ClientConfig returns a client configuration that trusts only this CA and
// expects serverName.
func (ca *CA) ClientConfig(serverName string) *tls.Config {
	return ClientConfig(serverName, ca.Pool())
}
