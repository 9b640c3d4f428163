package sasl

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/mailkit-go/mailkit/tlsutil"
)

// Secret is what a [Credentials] lookup returns for a user: a plaintext
// password, stored SCRAM keys, or both. Servers clear Password (with
// tlsutil.Wipe) when they are done with it, so return a fresh copy.
type Secret struct {
	// Password in plaintext; needed by CRAM-MD5, optional otherwise.
	Password []byte
	// SCRAMSHA1 and SCRAMSHA256 are stored keys (see [NewSCRAMKeys]).
	// SCRAM works from either these or Password; PLAIN and LOGIN can check
	// a password against these too.
	SCRAMSHA1   *SCRAMKeys
	SCRAMSHA256 *SCRAMKeys // see SCRAMSHA1; nil if not stored
}

// Credentials looks up the secret of an authentication identity. It
// returns [ErrUnknownUser] (possibly wrapped) for an unknown user; any
// other error is a temporary failure passed to the protocol server.
type Credentials interface {
	LookupCredentials(ctx context.Context, username string) (*Secret, error)
}

// CredentialsFunc adapts a function to [Credentials].
type CredentialsFunc func(ctx context.Context, username string) (*Secret, error)

// LookupCredentials calls f.
func (f CredentialsFunc) LookupCredentials(ctx context.Context, username string) (*Secret, error) {
	return f(ctx, username)
}

// Token is a bearer token presented with XOAUTH2 or OAUTHBEARER.
type Token struct {
	Mechanism string // XOAuth2 or OAuthBearer
	User      string // user= (XOAUTH2) or the GS2 authzid (OAUTHBEARER), may be empty
	Token     string // the bearer token itself
	Host      string // OAUTHBEARER host=, if sent
	Port      string // OAUTHBEARER port=, if sent
}

// TokenVerifier checks bearer tokens and returns the authenticated user.
// It returns an error wrapping [ErrBadCredentials] for an invalid token.
type TokenVerifier interface {
	VerifyToken(ctx context.Context, t Token) (username string, err error)
}

// Limits bounds server exchanges; zero values mean the defaults.
type Limits struct {
	// MaxResponse is the largest decoded client response accepted
	// (default 16 KiB, room for OAuth tokens).
	MaxResponse int
}

// Registry is the server-side mechanism registry: it says which mechanisms
// a channel may use ([Registry.Mechanisms]) and starts exchanges
// ([Registry.NewServer]). The zero value with Credentials set offers
// SCRAM-SHA-256, SCRAM-SHA-1 (and their -PLUS variants under TLS 1.3 or
// TLS 1.2 with extended master secret) everywhere, and PLAIN and LOGIN on
// secure channels only. Fields must not change once exchanges run; the
// Registry is then safe for concurrent use.
type Registry struct {
	// Credentials looks up users (needed by every mechanism but EXTERNAL,
	// ANONYMOUS and the OAuth ones).
	Credentials Credentials
	// Tokens enables XOAUTH2 and OAUTHBEARER.
	Tokens TokenVerifier
	// Authorize decides whether authenticated user authcid may act as
	// authzid (never called when authzid is empty or equal to authcid).
	// Nil refuses every distinct authzid with ErrNotAuthorized.
	Authorize func(ctx context.Context, authcid, authzid string) error
	// Enabled restricts and orders the offered mechanisms; nil means the
	// default list. CRAM-MD5 is offered only when listed here (it needs
	// plaintext passwords on the server).
	Enabled []string
	// AllowInsecure offers the plaintext mechanisms (PLAIN, LOGIN,
	// XOAUTH2, OAUTHBEARER) on unprotected channels too.
	AllowInsecure bool
	// AllowAnonymous offers ANONYMOUS.
	AllowAnonymous bool
	// Hostname is put into CRAM-MD5 challenges (default "localhost").
	Hostname string
	// SCRAMIterations for keys derived on the fly from a plaintext
	// password (default 4096).
	SCRAMIterations int
	// NonceLength is the length of server nonces (default 24).
	NonceLength int
	// Rand is the randomness source for nonces (nil: crypto/rand); it
	// must be safe for concurrent use if exchanges run concurrently. Now
	// is the clock (nil: time.Now).
	Rand io.Reader
	Now  func() time.Time // clock; nil means time.Now
	// FakeSaltKey keys the SCRAM salts derived for users without stored
	// SCRAM keys: unknown users, and users whose keys are computed on
	// the fly from a plaintext password. Both get the same stable salt
	// per user, so SCRAM does not reveal whether a user exists. Nil: a
	// random key made on first use, so the salts are unpredictable but
	// change when the process restarts (a client could notice the change
	// and nothing else); set a random secret of 32 bytes, kept across
	// restarts, in production.
	FakeSaltKey []byte
	// Limits bounds client input; zero fields take the defaults listed
	// in [Limits].
	Limits Limits
	// Logger receives the sessions' log records; nil discards them.
	Logger *slog.Logger

	// A Registry is used through a pointer and must not be copied after
	// first use.
	saltKeyOnce sync.Once
	saltKey     []byte
	// dummyIter is the iteration count of the last stored SCRAM keys
	// seen by checkPassword (0: none seen). PLAIN and LOGIN for an
	// unknown user then cost the same key derivation as for a real one,
	// so response time does not tell whether the user exists.
	dummyIter atomic.Int64
}

var defaultMechanisms = []string{SCRAMSHA256Plus, SCRAMSHA1Plus, SCRAMSHA256, SCRAMSHA1, Plain, Login, OAuthBearer, XOAuth2, External, Anonymous}

func isPlaintextMech(m string) bool {
	return m == Plain || m == Login || m == XOAuth2 || m == OAuthBearer
}

func (r *Registry) plusAvailable(ch Channel) bool {
	if ch.TLS == nil {
		return false
	}
	_, err := TLSExporter(ch.TLS)
	return err == nil
}

// offered reports whether mech is in the advertised list for ch.
func (r *Registry) offered(mech string, ch Channel) bool {
	return r.listed(mech) && r.allowed(mech, ch) == nil
}

func (r *Registry) nonceLength() int {
	if r.NonceLength > 0 {
		return r.NonceLength
	}
	return 24
}

// allowed reports whether mech may be used on ch, and if not why.
func (r *Registry) allowed(mech string, ch Channel) error {
	switch mech {
	case SCRAMSHA256Plus, SCRAMSHA1Plus:
		if r.Credentials == nil || !r.plusAvailable(ch) {
			return ErrUnsupported
		}
	case SCRAMSHA256, SCRAMSHA1, CRAMMD5:
		if r.Credentials == nil {
			return ErrUnsupported
		}
	case Plain, Login:
		if r.Credentials == nil {
			return ErrUnsupported
		}
	case XOAuth2, OAuthBearer:
		if r.Tokens == nil {
			return ErrUnsupported
		}
	case External:
		if ch.ExternalID == "" {
			return ErrUnsupported
		}
	case Anonymous:
		if !r.AllowAnonymous {
			return ErrUnsupported
		}
	default:
		return ErrUnsupported
	}
	if isPlaintextMech(mech) && !ch.secure() && !r.AllowInsecure {
		return ErrTooWeak
	}
	return nil
}

// Mechanisms lists, in preference order, the mechanisms offered on ch
// (for the SMTP AUTH keyword, IMAP AUTH= capabilities, POP3 SASL).
func (r *Registry) Mechanisms(ch Channel) []string {
	list := r.Enabled
	if list == nil {
		list = defaultMechanisms
	}
	var out []string
	for _, m := range list {
		m = strings.ToUpper(m)
		if r.allowed(m, ch) == nil {
			out = append(out, m)
		}
	}
	return out
}

func (r *Registry) listed(mech string) bool {
	list := r.Enabled
	if list == nil {
		list = defaultMechanisms
	}
	for _, m := range list {
		if strings.EqualFold(m, mech) {
			return true
		}
	}
	return false
}

// NewServer starts a server exchange for mech on ch. It fails with
// [ErrUnsupported] for a mechanism not offered and with [ErrTooWeak] for a
// plaintext mechanism on an unprotected channel. ctx is used for the
// credential lookups made during the exchange.
func (r *Registry) NewServer(ctx context.Context, mech string, ch Channel) (*ServerSession, error) {
	mech = strings.ToUpper(mech)
	if !r.listed(mech) {
		return nil, fmt.Errorf("%w: %q", ErrUnsupported, mech)
	}
	if err := r.allowed(mech, ch); err != nil {
		return nil, fmt.Errorf("%w: %s", err, mech)
	}
	s := &ServerSession{reg: r, ctx: ctx, ch: ch, mech: mech}
	s.log = r.Logger
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	switch mech {
	case Plain:
		s.impl = &plainServer{s: s}
	case Login:
		s.impl = &loginServer{s: s}
	case CRAMMD5:
		s.impl = &cramServer{s: s}
	case SCRAMSHA1, SCRAMSHA1Plus, SCRAMSHA256, SCRAMSHA256Plus:
		sh, plus, _ := scramFor(mech)
		s.impl = &scramServer{s: s, sh: sh, plus: plus}
	case XOAuth2:
		s.impl = newXOAuth2Server(s)
	case OAuthBearer:
		s.impl = newOAuthBearerServer(s)
	case External:
		s.impl = &externalServer{s: s}
	case Anonymous:
		s.impl = &anonymousServer{s: s}
	}
	return s, nil
}

type mechServer interface {
	next(resp []byte) (challenge []byte, done bool, err error)
}

// ServerSession is one server-side exchange created by
// [Registry.NewServer]. It implements [Server]; after success
// [ServerSession.Identity] reports who logged in. Not safe for concurrent
// use (a protocol session drives it sequentially).
type ServerSession struct {
	reg  *Registry
	ctx  context.Context
	ch   Channel
	mech string
	impl mechServer
	log  *slog.Logger

	done, failed bool
	id           Identity
}

// Next implements [Server].
func (s *ServerSession) Next(response []byte) ([]byte, bool, error) {
	if s.done || s.failed {
		return nil, false, ErrUnexpected
	}
	max := s.reg.Limits.MaxResponse
	if max <= 0 {
		max = 16 << 10
	}
	if len(response) > max {
		s.failed = true
		return nil, false, ErrTooLong
	}
	ch, done, err := s.impl.next(response)
	if err != nil {
		s.failed = true
		s.log.Info("sasl: authentication failed", "mech", s.mech, "err", err)
		return nil, false, err
	}
	if done {
		s.done = true
		s.id.Mechanism = s.mech
		s.log.Info("sasl: authenticated", "mech", s.mech, "user", s.id.Username, "authzid", s.id.Authzid)
		return nil, true, nil
	}
	return ch, false, nil
}

// Mechanism returns the mechanism name.
func (s *ServerSession) Mechanism() string { return s.mech }

// Identity returns the identities established by a successful exchange;
// ok is false until Next reported done.
func (s *ServerSession) Identity() (id Identity, ok bool) {
	if !s.done {
		return Identity{}, false
	}
	return s.id, true
}

// complete ends a successful exchange with no final challenge: it
// authorizes authcid as authzid and reports the exchange done.
func (s *ServerSession) complete(authcid, authzid string) ([]byte, bool, error) {
	if err := s.authorize(authcid, authzid); err != nil {
		return nil, false, err
	}
	return nil, true, nil
}

// authorize records the identities after the credentials were checked.
func (s *ServerSession) authorize(authcid, authzid string) error {
	if authzid != "" && authzid != authcid {
		if s.reg.Authorize == nil {
			return fmt.Errorf("%w: %q as %q", ErrNotAuthorized, authcid, authzid)
		}
		if err := s.reg.Authorize(s.ctx, authcid, authzid); err != nil {
			if errors.Is(err, ErrNotAuthorized) {
				return err
			}
			return fmt.Errorf("%w: %w", ErrNotAuthorized, err)
		}
	} else {
		authzid = authcid
	}
	s.id.Username, s.id.Authzid = authcid, authzid
	return nil
}

// lookup fetches a secret; unknown users become (nil, nil).
func (r *Registry) lookup(ctx context.Context, user string) (*Secret, error) {
	sec, err := r.Credentials.LookupCredentials(ctx, user)
	if errors.Is(err, ErrUnknownUser) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sasl: credentials lookup: %w", err)
	}
	return sec, nil
}

func (sec *Secret) wipe() {
	if sec != nil {
		tlsutil.Wipe(sec.Password)
	}
}

// checkPassword verifies pass for user against a plaintext password or
// stored SCRAM keys, in constant time with respect to the password.
func (r *Registry) checkPassword(ctx context.Context, user string, pass []byte) error {
	sec, err := r.lookup(ctx, user)
	if err != nil {
		return err
	}
	defer sec.wipe()
	switch {
	case sec == nil:
		if n := r.dummyIter.Load(); n > 0 {
			// Same work as a user with stored keys; the result is
			// discarded.
			_ = scramHashFor(SCRAMSHA256).keys(pass, r.derivedSalt(scramHashFor(SCRAMSHA256), user), int(n))
		}
		return ErrBadCredentials
	case sec.Password != nil:
		// Compare digests so the comparison time does not depend on
		// the length of the stored password.
		a, b := sha256.Sum256(sec.Password), sha256.Sum256(pass)
		if hmac.Equal(a[:], b[:]) {
			return nil
		}
	case sec.SCRAMSHA256 != nil:
		k := sec.SCRAMSHA256
		r.noteIterations(k.Iterations)
		if hmac.Equal(scramHashFor(SCRAMSHA256).keys(pass, k.Salt, k.Iterations).StoredKey, k.StoredKey) {
			return nil
		}
	case sec.SCRAMSHA1 != nil:
		k := sec.SCRAMSHA1
		r.noteIterations(k.Iterations)
		if hmac.Equal(scramHashFor(SCRAMSHA1).keys(pass, k.Salt, k.Iterations).StoredKey, k.StoredKey) {
			return nil
		}
	}
	return ErrBadCredentials
}

// noteIterations remembers the cost of stored keys for the dummy work done
// for unknown users, bounded like the iteration counts accepted elsewhere.
func (r *Registry) noteIterations(n int) {
	if n > 0 && n <= 1<<20 {
		r.dummyIter.Store(int64(n))
	}
}

func scramHashFor(mech string) scramHash {
	sh, _, _ := scramFor(mech)
	return sh
}

// scramKeys returns the keys for user, derived from a plaintext password
// if needed, or fake keys (known=false) for an unknown user.
func (r *Registry) scramKeys(ctx context.Context, sh scramHash, user string) (SCRAMKeys, bool, error) {
	sec, err := r.lookup(ctx, user)
	if err != nil {
		return SCRAMKeys{}, false, err
	}
	defer sec.wipe()
	iter := r.SCRAMIterations
	if iter <= 0 {
		iter = 4096
	}
	if sec != nil {
		k := sec.SCRAMSHA256
		if sh.mech == SCRAMSHA1 {
			k = sec.SCRAMSHA1
		}
		if k != nil && k.Iterations > 0 && len(k.Salt) > 0 {
			return *k, true, nil
		}
		if sec.Password != nil {
			// The same derived salt as an unknown user would get: a
			// random one per exchange would tell the two apart.
			return sh.keys(sec.Password, r.derivedSalt(sh, user), iter), true, nil
		}
	}
	// Unknown user (or no usable secret): a stable fake salt so that the
	// server-first-message looks like a real one.
	salt := r.derivedSalt(sh, user)
	return SCRAMKeys{Salt: salt, Iterations: iter, StoredKey: make([]byte, sh.h().Size()), ServerKey: make([]byte, sh.h().Size())}, false, nil
}

// derivedSalt is the salt used for users without stored SCRAM keys, known
// or not: stable per user and mechanism, keyed by FakeSaltKey.
func (r *Registry) derivedSalt(sh scramHash, user string) []byte {
	key := r.FakeSaltKey
	if key == nil {
		r.saltKeyOnce.Do(func() {
			r.saltKey = make([]byte, 32)
			if _, err := io.ReadFull(rand.Reader, r.saltKey); err != nil {
				// crypto/rand does not fail on supported systems; a
				// fixed key still keeps salts stable per user.
				copy(r.saltKey, "mailkit sasl fake salt")
			}
		})
		key = r.saltKey
	}
	return sh.hmac(key, []byte(sh.mech), []byte(user))[:16]
}

// validText reports whether s is valid UTF-8 without NUL.
func validText(b []byte) bool {
	return utf8.Valid(b) && !strings.ContainsRune(string(b), 0)
}
