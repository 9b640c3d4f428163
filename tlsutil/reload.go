package tlsutil

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// ReloaderOptions configures [NewReloader]. The zero value checks the files
// at most every 30 seconds using the real clock.
type ReloaderOptions struct {
	// CheckInterval is the minimum time between two stat calls made by
	// GetCertificate; default 30s. Negative: never check automatically
	// (only [Reloader.Reload] loads new files).
	CheckInterval time.Duration
	// Now is the clock (nil: time.Now); it drives CheckInterval and the
	// validity check of loaded certificates.
	Now func() time.Time
	// Logger receives reload events and failures (nil discards).
	Logger *slog.Logger
}

// Reloader serves a certificate loaded from a PEM certificate and key file
// and picks up renewed files without a restart: GetCertificate stats both
// files at most once per CheckInterval and reloads them when their size or
// modification time changed. A failed reload (a half-renewed pair, an
// expired certificate) keeps the previous certificate in service and is
// reported by [Reloader.Err] and the logger. Safe for concurrent use.
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
	certStamp fileStamp
	keyStamp  fileStamp
	lastErr   error
	loads     int
}

type fileStamp struct {
	size  int64
	mtime time.Time
	ok    bool
}

func stamp(name string) fileStamp {
	fi, err := os.Stat(name)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{size: fi.Size(), mtime: fi.ModTime(), ok: true}
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
	cs, ks := stamp(r.certFile), stamp(r.keyFile)
	c, err := loadKeyPair(r.certFile, r.keyFile, now)
	if err != nil {
		r.lastErr = err
		// Remember the stamps so a broken pair is not re-read on every
		// handshake; any further change triggers a new attempt.
		r.certStamp, r.keyStamp = cs, ks
		if r.cert != nil {
			r.log.Warn("tlsutil: certificate reload failed, keeping the previous one", "cert", r.certFile, "err", err)
		}
		return err
	}
	r.cert = &c
	r.certStamp, r.keyStamp = cs, ks
	r.lastErr = nil
	r.loads++
	r.log.Info("tlsutil: certificate loaded", "cert", r.certFile, "subject", c.Leaf.Subject.String(), "not_after", c.Leaf.NotAfter)
	return nil
}

// maybeReload stats the files if CheckInterval has passed.
func (r *Reloader) maybeReload() {
	if r.opts.CheckInterval < 0 {
		return
	}
	now := r.opts.Now()
	if now.Sub(r.lastCheck) < r.opts.CheckInterval {
		return
	}
	r.lastCheck = now
	cs, ks := stamp(r.certFile), stamp(r.keyFile)
	if cs == r.certStamp && ks == r.keyStamp {
		return
	}
	_ = r.reloadLocked()
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

func (r *Reloader) String() string {
	return fmt.Sprintf("Reloader(%s, %s)", r.certFile, r.keyFile)
}
