package tlsutil

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
)

// ReloaderOptions configures [NewReloader]. The zero value checks the files
// at most every 30 seconds using the real clock.
type ReloaderOptions struct {
	// CheckInterval is the minimum time between two reads of the files
	// made by GetCertificate; default 30s. Negative: never check automatically
	// (only [Reloader.Reload] loads new files).
	CheckInterval time.Duration
	// Now is the clock (nil: time.Now); it drives CheckInterval and the
	// validity check of loaded certificates.
	Now func() time.Time
	// Logger receives reload events and failures (nil discards).
	Logger *slog.Logger
}

// Reloader serves a certificate loaded from a PEM certificate and key file
// and picks up renewed files without a restart: GetCertificate reads both
// files at most once per CheckInterval and reloads them when their content
// changed (compared by SHA-256, so renewals within the file system's
// timestamp granularity, or of the same size, are not missed). A failed
// reload (a half-renewed pair, an expired certificate) keeps the previous
// certificate in service and is reported by [Reloader.Err] and the logger;
// it is retried only when the files change again. Safe for concurrent
// use; the check runs in the handshake that finds the interval elapsed.
//
// Renew by writing new files and renaming them into place (as
// [CA.WriteLeaf] does); write the key first.
type Reloader struct {
	certFile, keyFile string
	opts              ReloaderOptions
	log               *slog.Logger

	mu        sync.Mutex
	cert      *tls.Certificate
	lastCheck time.Time
	stamp     [sha256.Size]byte // digest of the pair last attempted
	stampErr  error             // outcome of loading that pair
	lastErr   error
	loads     int
}

// maxPEMFile bounds the certificate and key files read by a Reloader.
const maxPEMFile = 1 << 20

// readPair reads both files and returns their contents and a digest of
// the pair. The caller must Wipe keyPEM.
func (r *Reloader) readPair() (certPEM, keyPEM []byte, sum [sha256.Size]byte, err error) {
	certPEM, err = readFileLimited(r.certFile)
	if err != nil {
		return nil, nil, sum, &CertError{CertFile: r.certFile, KeyFile: r.keyFile, Err: err}
	}
	keyPEM, err = readFileLimited(r.keyFile)
	if err != nil {
		return nil, nil, sum, &CertError{CertFile: r.certFile, KeyFile: r.keyFile, Err: err}
	}
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(certPEM)))
	h.Write(n[:])
	h.Write(certPEM)
	h.Write(keyPEM)
	h.Sum(sum[:0])
	return certPEM, keyPEM, sum, nil
}

func readFileLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPEMFile+1))
	if err != nil {
		Wipe(b)
		return nil, err
	}
	if len(b) > maxPEMFile {
		Wipe(b)
		return nil, fmt.Errorf("tlsutil: %s is larger than %d bytes", name, maxPEMFile)
	}
	return b, nil
}

// NewReloader loads certFile and keyFile (see [LoadKeyPair]) and returns a
// reloader serving them. opts may be nil.
func NewReloader(certFile, keyFile string, opts *ReloaderOptions) (*Reloader, error) {
	r := &Reloader{certFile: certFile, keyFile: keyFile}
	if opts != nil {
		r.opts = *opts
	}
	if r.opts.CheckInterval == 0 {
		r.opts.CheckInterval = 30 * time.Second
	}
	if r.opts.Now == nil {
		r.opts.Now = time.Now
	}
	r.log = r.opts.Logger
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload loads the files now, whether or not they changed. On error the
// previous certificate stays in service.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reloadLocked()
}

func (r *Reloader) reloadLocked() error {
	now := r.opts.Now()
	r.lastCheck = now
	certPEM, keyPEM, sum, err := r.readPair()
	if err != nil {
		return r.failedLocked(err)
	}
	defer Wipe(keyPEM)
	return r.loadLocked(certPEM, keyPEM, sum, now)
}

// failedLocked records a failed load attempt.
func (r *Reloader) failedLocked(err error) error {
	r.lastErr = err
	if r.cert != nil {
		r.log.Warn("tlsutil: certificate reload failed, keeping the previous one", "cert", r.certFile, "err", err)
	}
	return err
}

// loadLocked parses a pair read by readPair and puts it in service.
func (r *Reloader) loadLocked(certPEM, keyPEM []byte, sum [sha256.Size]byte, now time.Time) error {
	// Remember the digest even on failure so a broken pair is not parsed
	// again on every handshake; any further change triggers a new attempt.
	r.stamp = sum
	c, err := ParseKeyPair(certPEM, keyPEM, now)
	r.stampErr = err
	if err != nil {
		var ce *CertError
		if errors.As(err, &ce) {
			ce.CertFile, ce.KeyFile = r.certFile, r.keyFile
		}
		return r.failedLocked(err)
	}
	r.cert = &c
	r.lastErr = nil
	r.loads++
	r.log.Info("tlsutil: certificate loaded", "cert", r.certFile, "subject", c.Leaf.Subject.String(), "not_after", c.Leaf.NotAfter)
	return nil
}

// maybeReload reads the files if CheckInterval has passed and loads them
// if their content changed.
func (r *Reloader) maybeReload() {
	if r.opts.CheckInterval < 0 {
		return
	}
	now := r.opts.Now()
	if now.Sub(r.lastCheck) < r.opts.CheckInterval {
		return
	}
	r.lastCheck = now
	certPEM, keyPEM, sum, err := r.readPair()
	if err != nil {
		// Unreadable (e.g. mid-renewal): keep serving, try again later.
		r.lastErr = err
		return
	}
	defer Wipe(keyPEM)
	if sum == r.stamp {
		r.lastErr = r.stampErr // e.g. readable again after a renewal
		return
	}
	_ = r.loadLocked(certPEM, keyPEM, sum, now)
}

// ErrNoCertificateLoaded is returned by GetCertificate if no certificate
// was ever loaded (cannot happen for a Reloader made by NewReloader).
var ErrNoCertificateLoaded = errors.New("tlsutil: no certificate loaded")

// GetCertificate is meant for tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.maybeReload()
	if r.cert == nil {
		return nil, ErrNoCertificateLoaded
	}
	return r.cert, nil
}

// Current returns the certificate in service (checking the files if
// CheckInterval has passed).
func (r *Reloader) Current() *tls.Certificate {
	c, _ := r.GetCertificate(nil)
	return c
}

// Err returns the error of the most recent load attempt, nil if it
// succeeded.
func (r *Reloader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

// Loads returns how many times a certificate was loaded successfully.
func (r *Reloader) Loads() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loads
}

// ServerConfig returns a server configuration with safe defaults that gets
// its certificate from r.
func (r *Reloader) ServerConfig() *tls.Config {
	c := ServerConfig()
	c.GetCertificate = r.GetCertificate
	return c
}

// String names the files served, for logs.
func (r *Reloader) String() string {
	return fmt.Sprintf("Reloader(%s, %s)", r.certFile, r.keyFile)
}
