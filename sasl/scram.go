package sasl

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"

	"github.com/mailkit-go/mailkit/tlsutil"
)

// scramHash describes one SCRAM family member.
type scramHash struct {
	mech string // base name, without -PLUS
	h    func() hash.Hash
}

func scramFor(mech string) (scramHash, bool, bool) {
	switch mech {
	case SCRAMSHA1:
		return scramHash{SCRAMSHA1, sha1.New}, false, true
	case SCRAMSHA1Plus:
		return scramHash{SCRAMSHA1, sha1.New}, true, true
	case SCRAMSHA256:
		return scramHash{SCRAMSHA256, sha256.New}, false, true
	case SCRAMSHA256Plus:
		return scramHash{SCRAMSHA256, sha256.New}, true, true
	}
	return scramHash{}, false, false
}

func (s scramHash) hmac(key []byte, msg ...[]byte) []byte {
	m := hmac.New(s.h, key)
	for _, b := range msg {
		m.Write(b)
	}
	return m.Sum(nil)
}

func (s scramHash) sum(b []byte) []byte {
	h := s.h()
	h.Write(b)
	return h.Sum(nil)
}

// hi is PBKDF2 with HMAC and one block (RFC 5802 2.2).
func (s scramHash) hi(password, salt []byte, iter int) []byte {
	m := hmac.New(s.h, password)
	m.Write(salt)
	m.Write([]byte{0, 0, 0, 1})
	u := m.Sum(nil)
	out := bytes.Clone(u)
	for i := 1; i < iter; i++ {
		m.Reset()
		m.Write(u)
		u = m.Sum(u[:0])
		for j := range out {
			out[j] ^= u[j]
		}
	}
	tlsutil.Wipe(u)
	return out
}

// SCRAMKeys are the stored form of a SCRAM credential (RFC 5802 3): a
// server that keeps only these cannot be used to log in elsewhere even if
// they leak, unlike a plaintext password.
type SCRAMKeys struct {
	// Salt is the per-user salt sent to the client ("s=", RFC 5802
	// section 5.1).
	Salt []byte
	// Iterations is the PBKDF2 iteration count ("i=").
	Iterations int
	// StoredKey is H(ClientKey) and ServerKey is HMAC(SaltedPassword,
	// "Server Key") (RFC 5802 section 3).
	StoredKey []byte
	ServerKey []byte // see StoredKey
}

// NewSCRAMKeys derives the stored keys for password. mech is SCRAMSHA1 or
// SCRAMSHA256 (the -PLUS names are accepted too). Iterations should be at
// least 4096.
func NewSCRAMKeys(mech string, password, salt []byte, iterations int) (SCRAMKeys, error) {
	sh, _, ok := scramFor(mech)
	if !ok {
		return SCRAMKeys{}, fmt.Errorf("%w: %q is not a SCRAM mechanism", ErrUnsupported, mech)
	}
	if iterations < 1 || len(salt) == 0 {
		return SCRAMKeys{}, fmt.Errorf("sasl: SCRAM needs a salt and a positive iteration count")
	}
	return sh.keys(password, salt, iterations), nil
}

func (s scramHash) keys(password, salt []byte, iter int) SCRAMKeys {
	sp := s.hi(password, salt, iter)
	ck := s.hmac(sp, []byte("Client Key"))
	k := SCRAMKeys{
		Salt:       bytes.Clone(salt),
		Iterations: iter,
		StoredKey:  s.sum(ck),
		ServerKey:  s.hmac(sp, []byte("Server Key")),
	}
	tlsutil.Wipe(sp)
	tlsutil.Wipe(ck)
	return k
}

// encodeSASLName escapes ',' and '=' (RFC 5802 5.1).
func encodeSASLName(s string) string {
	if !strings.ContainsAny(s, ",=") {
		return s
	}
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

// decodeSASLName reverses encodeSASLName, rejecting bad escapes.
func decodeSASLName(s string) (string, error) {
	if strings.Contains(s, ",") {
		return "", malformed("',' in name")
	}
	if !strings.Contains(s, "=") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "=2C"):
			b.WriteByte(',')
		case strings.HasPrefix(s[i:], "=3D"):
			b.WriteByte('=')
		default:
			return "", malformed("bad '=' escape in name")
		}
		i += 2
	}
	return b.String(), nil
}

// validNonce reports whether s is a non-empty printable nonce without ','.
func validNonce(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e || s[i] == ',' {
			return false
		}
	}
	return true
}

const nonceAlphabet = "!\"#$%&'()*+-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"

// makeNonce reads n bytes from r and turns them into nonce characters:
// bytes that already are valid nonce characters are kept (so tests can
// inject the RFC example nonces), others are mapped into the alphabet.
func makeNonce(r io.Reader, n int) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("sasl: nonce: %w", err)
	}
	for i, c := range b {
		if c < 0x21 || c > 0x7e || c == ',' {
			b[i] = nonceAlphabet[int(c)%len(nonceAlphabet)]
		}
	}
	return string(b), nil
}

// attr splits "k=value" with a single-letter key.
func attr(s string) (byte, string, bool) {
	if len(s) < 2 || s[1] != '=' || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return 0, "", false
	}
	return s[0], s[2:], true
}

// gs2Header is a parsed GS2 header (RFC 5801 / 5802 7).
type gs2Header struct {
	flag    byte   // 'n', 'y' or 'p'
	cbName  string // for 'p'
	authzid string
	raw     string // the header text including the final ','
}

// parseGS2Header splits "flag,[a=authzid]," off msg and returns the rest.
func parseGS2Header(msg string) (gs2Header, string, error) {
	var h gs2Header
	flag, rest, ok := strings.Cut(msg, ",")
	if !ok {
		return h, "", malformed("no GS2 header")
	}
	switch {
	case flag == "n" || flag == "y":
		h.flag = flag[0]
	case strings.HasPrefix(flag, "p="):
		h.flag = 'p'
		h.cbName = flag[2:]
		if h.cbName == "" {
			return h, "", malformed("empty channel binding name")
		}
		for _, c := range []byte(h.cbName) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
				return h, "", malformed("bad channel binding name")
			}
		}
	default:
		return h, "", malformed("bad GS2 channel binding flag")
	}
	az, rest, ok := strings.Cut(rest, ",")
	if !ok {
		return h, "", malformed("truncated GS2 header")
	}
	if az != "" {
		k, v, ok := attr(az)
		if !ok || k != 'a' || v == "" {
			return h, "", malformed("bad GS2 authzid")
		}
		name, err := decodeSASLName(v)
		if err != nil {
			return h, "", err
		}
		h.authzid = name
	}
	h.raw = msg[:len(msg)-len(rest)]
	return h, rest, nil
}

// clientFirst is a parsed SCRAM client-first-message.
type clientFirst struct {
	gs2   gs2Header
	bare  string
	user  string
	nonce string
}

func parseClientFirst(msg string) (clientFirst, error) {
	var cf clientFirst
	h, bare, err := parseGS2Header(msg)
	if err != nil {
		return cf, err
	}
	cf.gs2, cf.bare = h, bare
	parts := strings.Split(bare, ",")
	if len(parts) < 2 {
		return cf, malformed("short client-first-message")
	}
	if strings.HasPrefix(parts[0], "m=") {
		return cf, malformed("unsupported mandatory extension")
	}
	k, v, ok := attr(parts[0])
	if !ok || k != 'n' || v == "" {
		return cf, malformed("client-first-message has no user name")
	}
	if cf.user, err = decodeSASLName(v); err != nil {
		return cf, err
	}
	if cf.nonce, err = nonceAttr(parts[1], "client-first-message"); err != nil {
		return cf, err
	}
	return cf, checkExtensions(parts[2:], "client-first-message")
}

// serverFirst is a parsed SCRAM server-first-message.
type serverFirst struct {
	nonce string
	salt  []byte
	iter  int
}

func parseServerFirst(msg string) (serverFirst, error) {
	var sf serverFirst
	parts := strings.Split(msg, ",")
	if len(parts) < 3 {
		return sf, malformed("short server-first-message")
	}
	if strings.HasPrefix(parts[0], "m=") {
		return sf, malformed("unsupported mandatory extension")
	}
	nonce, err := nonceAttr(parts[0], "server-first-message")
	if err != nil {
		return sf, err
	}
	sf.nonce = nonce
	k, v, ok := attr(parts[1])
	if !ok || k != 's' {
		return sf, malformed("server-first-message has no salt")
	}
	salt, err := base64.StdEncoding.Strict().DecodeString(v)
	if err != nil || len(salt) == 0 {
		return sf, malformed("bad salt")
	}
	sf.salt = salt
	k, v, ok = attr(parts[2])
	if !ok || k != 'i' {
		return sf, malformed("server-first-message has no iteration count")
	}
	it, err := strconv.Atoi(v)
	if err != nil || it < 1 || v[0] == '0' || v[0] == '+' {
		return sf, malformed("bad iteration count")
	}
	sf.iter = it
	return sf, checkExtensions(parts[3:], "server-first-message")
}

// clientFinal is a parsed SCRAM client-final-message.
type clientFinal struct {
	cbind        []byte // decoded c= value
	nonce        string
	proof        []byte
	withoutProof string
}

func parseClientFinal(msg string) (clientFinal, error) {
	var cf clientFinal
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return cf, malformed("client-final-message has no proof")
	}
	cf.withoutProof = msg[:i]
	proof, err := base64.StdEncoding.Strict().DecodeString(msg[i+3:])
	if err != nil || len(proof) == 0 {
		return cf, malformed("bad proof")
	}
	cf.proof = proof
	parts := strings.Split(cf.withoutProof, ",")
	if len(parts) < 2 {
		return cf, malformed("short client-final-message")
	}
	k, v, ok := attr(parts[0])
	if !ok || k != 'c' {
		return cf, malformed("client-final-message has no channel binding")
	}
	if cf.cbind, err = base64.StdEncoding.Strict().DecodeString(v); err != nil || len(cf.cbind) == 0 {
		return cf, malformed("bad channel binding attribute")
	}
	if cf.nonce, err = nonceAttr(parts[1], "client-final-message"); err != nil {
		return cf, err
	}
	return cf, checkExtensions(parts[2:], "client-final-message")
}

// nonceAttr returns the value of part, which must be a r= attribute with
// a valid nonce; msg names the message in the error.
func nonceAttr(part, msg string) (string, error) {
	k, v, ok := attr(part)
	if !ok || k != 'r' || !validNonce(v) {
		return "", malformed("%s has no valid nonce", msg)
	}
	return v, nil
}

// checkExtensions checks that the optional trailing parts of a message
// are well-formed attributes (their meaning is ignored, RFC 5802 §5.1).
func checkExtensions(parts []string, msg string) error {
	for _, p := range parts {
		if _, _, ok := attr(p); !ok {
			return malformed("bad extension in %s", msg)
		}
	}
	return nil
}

// SCRAMOptions tunes [NewSCRAMClient]. The zero value works.
type SCRAMOptions struct {
	// TLS is the connection state used for tls-exporter channel binding.
	// Required for the -PLUS mechanisms; with a non-PLUS mechanism it makes
	// the client announce that it supports channel binding ("y" flag),
	// which lets a server that offered -PLUS detect a downgrade.
	TLS *tls.ConnectionState
	// ChannelBinding overrides the binding data taken from TLS (tests).
	ChannelBinding []byte
	// Rand is the nonce source (nil: crypto/rand); NonceLength its length
	// in characters (default 24).
	Rand        io.Reader
	NonceLength int // client nonce length in characters; 0 means 24
	// MinIterations and MaxIterations bound the server's iteration count
	// (defaults 4096 and 600000): too few is weak, too many lets a
	// hostile server burn the client's CPU.
	MinIterations, MaxIterations int
}

type scramClient struct {
	mech    string
	sh      scramHash
	plus    bool
	authzid string
	user    string
	pass    []byte
	opts    SCRAMOptions

	step        int
	gs2         string
	cbData      []byte
	cnonce      string
	clientBare  string
	serverSig   []byte
	initErr     error
	serverFinal bool
}

// NewSCRAMClient returns a client for mech (SCRAMSHA1, SCRAMSHA256 or their
// -PLUS variants). authzid may be empty. The password is kept in a private
// buffer that is cleared once the salted password is computed. opts may be
// nil.
func NewSCRAMClient(mech, authzid, user, pass string, opts *SCRAMOptions) Client {
	c := &scramClient{mech: mech, authzid: authzid, user: user, pass: []byte(pass)}
	if opts != nil {
		c.opts = *opts
	}
	if c.opts.NonceLength <= 0 {
		c.opts.NonceLength = 24
	}
	if c.opts.MinIterations <= 0 {
		c.opts.MinIterations = 4096
	}
	if c.opts.MaxIterations <= 0 {
		c.opts.MaxIterations = 600000
	}
	sh, plus, ok := scramFor(mech)
	if !ok {
		c.initErr = fmt.Errorf("%w: %q is not a SCRAM mechanism", ErrUnsupported, mech)
	}
	c.sh, c.plus = sh, plus
	return c
}

func (c *scramClient) Start() (string, []byte, error) {
	if c.initErr != nil {
		return "", nil, c.initErr
	}
	if c.step != 0 {
		return "", nil, ErrUnexpected
	}
	flag := "n"
	cb := c.opts.ChannelBinding
	if cb == nil && c.opts.TLS != nil {
		var err error
		cb, err = TLSExporter(c.opts.TLS)
		if err != nil && c.plus {
			return "", nil, err
		}
	}
	switch {
	case c.plus && len(cb) == 0:
		return "", nil, fmt.Errorf("%w: %s needs a TLS connection", ErrChannelBinding, c.mech)
	case c.plus:
		flag = "p=tls-exporter"
		c.cbData = cb
	case len(cb) > 0:
		flag = "y"
	}
	if c.user == "" {
		return "", nil, fmt.Errorf("sasl: SCRAM needs a user name")
	}
	nonce, err := makeNonce(c.opts.Rand, c.opts.NonceLength)
	if err != nil {
		return "", nil, err
	}
	c.cnonce = nonce
	c.gs2 = flag + ","
	if c.authzid != "" {
		c.gs2 += "a=" + encodeSASLName(c.authzid)
	}
	c.gs2 += ","
	c.clientBare = "n=" + encodeSASLName(c.user) + ",r=" + nonce
	c.step = 1
	return c.mech, []byte(c.gs2 + c.clientBare), nil
}

func (c *scramClient) Next(challenge []byte) ([]byte, error) {
	switch c.step {
	case 1:
		if len(challenge) == 0 {
			// The protocol could not send the initial response with the
			// command: send it now.
			c.step = 0
			_, ir, err := c.Start()
			return ir, err
		}
		c.step = 2
		return c.clientFinal(string(challenge))
	case 2:
		c.step = 3
		return c.checkServerFinal(string(challenge))
	}
	return nil, ErrUnexpected
}

func (c *scramClient) clientFinal(msg string) ([]byte, error) {
	defer tlsutil.Wipe(c.pass)
	sf, err := parseServerFirst(msg)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(sf.nonce, c.cnonce) || len(sf.nonce) == len(c.cnonce) {
		return nil, malformed("server nonce does not extend the client nonce")
	}
	if sf.iter < c.opts.MinIterations || sf.iter > c.opts.MaxIterations {
		return nil, fmt.Errorf("sasl: server asked for %d SCRAM iterations, outside [%d, %d]", sf.iter, c.opts.MinIterations, c.opts.MaxIterations)
	}
	sp := c.sh.hi(c.pass, sf.salt, sf.iter)
	defer tlsutil.Wipe(sp)
	ck := c.sh.hmac(sp, []byte("Client Key"))
	defer tlsutil.Wipe(ck)
	storedKey := c.sh.sum(ck)
	cbind := append([]byte(c.gs2), c.cbData...)
	withoutProof := "c=" + base64.StdEncoding.EncodeToString(cbind) + ",r=" + sf.nonce
	authMsg := []byte(c.clientBare + "," + msg + "," + withoutProof)
	sig := c.sh.hmac(storedKey, authMsg)
	proof := make([]byte, len(ck))
	subtle.XORBytes(proof, ck, sig)
	c.serverSig = c.sh.hmac(c.sh.hmac(sp, []byte("Server Key")), authMsg)
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

func (c *scramClient) checkServerFinal(msg string) ([]byte, error) {
	first, _, _ := strings.Cut(msg, ",")
	k, v, ok := attr(first)
	switch {
	case ok && k == 'e':
		return nil, fmt.Errorf("%w: server said %q", ErrBadCredentials, v)
	case ok && k == 'v':
		got, err := base64.StdEncoding.Strict().DecodeString(v)
		if err != nil {
			return nil, malformed("bad server signature encoding")
		}
		if !hmac.Equal(got, c.serverSig) {
			return nil, ErrServerProof
		}
		c.serverFinal = true
		return []byte{}, nil
	}
	return nil, malformed("bad server-final-message")
}

// scramServer is the server side of SCRAM.
type scramServer struct {
	s    *ServerSession
	sh   scramHash
	plus bool

	step        int
	first       clientFirst
	serverFirst string
	nonce       string
	keys        SCRAMKeys
	known       bool
}

func (m *scramServer) next(resp []byte) ([]byte, bool, error) {
	switch m.step {
	case 0:
		if resp == nil {
			m.step = 1
			return []byte{}, false, nil
		}
		return m.handleFirst(resp)
	case 1:
		return m.handleFirst(resp)
	case 2:
		return m.handleFinal(resp)
	case 3:
		if len(resp) != 0 {
			return nil, false, malformed("expected an empty response after the server signature")
		}
		m.step = 4
		return nil, true, nil
	}
	return nil, false, ErrUnexpected
}

func (m *scramServer) handleFirst(resp []byte) ([]byte, bool, error) {
	s := m.s
	cf, err := parseClientFirst(string(resp))
	if err != nil {
		return nil, false, err
	}
	switch cf.gs2.flag {
	case 'p':
		if !m.plus {
			return nil, false, fmt.Errorf("%w: channel binding requested with %s", ErrChannelBinding, s.mech)
		}
		if cf.gs2.cbName != "tls-exporter" {
			return nil, false, fmt.Errorf("%w: unsupported channel binding type %q", ErrChannelBinding, cf.gs2.cbName)
		}
	case 'y':
		if m.plus {
			return nil, false, fmt.Errorf("%w: %s without channel binding", ErrChannelBinding, s.mech)
		}
		// RFC 5802 section 6: "y" is a downgrade only if this server
		// advertised the -PLUS variant on this channel.
		if s.reg.offered(m.sh.mech+"-PLUS", s.ch) {
			return nil, false, fmt.Errorf("%w: client supports channel binding, server offered it: possible downgrade", ErrChannelBinding)
		}
	case 'n':
		if m.plus {
			return nil, false, fmt.Errorf("%w: %s without channel binding", ErrChannelBinding, s.mech)
		}
	}
	m.first = cf
	keys, known, err := s.reg.scramKeys(s.ctx, m.sh, cf.user)
	if err != nil {
		return nil, false, err
	}
	m.keys, m.known = keys, known
	snonce, err := makeNonce(s.reg.Rand, s.reg.nonceLength())
	if err != nil {
		return nil, false, err
	}
	m.nonce = cf.nonce + snonce
	m.serverFirst = "r=" + m.nonce + ",s=" + base64.StdEncoding.EncodeToString(keys.Salt) + ",i=" + strconv.Itoa(keys.Iterations)
	m.step = 2
	return []byte(m.serverFirst), false, nil
}

func (m *scramServer) handleFinal(resp []byte) ([]byte, bool, error) {
	s := m.s
	cf, err := parseClientFinal(string(resp))
	if err != nil {
		return nil, false, err
	}
	want := []byte(m.first.gs2.raw)
	if m.first.gs2.flag == 'p' {
		cb, err := TLSExporter(s.ch.TLS)
		if err != nil {
			return nil, false, err
		}
		want = append(want, cb...)
	}
	if !hmac.Equal(cf.cbind, want) {
		return nil, false, fmt.Errorf("%w: channel binding data differs", ErrChannelBinding)
	}
	if cf.nonce != m.nonce {
		return nil, false, malformed("nonce mismatch")
	}
	authMsg := []byte(m.first.bare + "," + m.serverFirst + "," + cf.withoutProof)
	sig := m.sh.hmac(m.keys.StoredKey, authMsg)
	if len(cf.proof) != len(sig) {
		return nil, false, fmt.Errorf("%w: proof has the wrong length", ErrBadCredentials)
	}
	ck := make([]byte, len(sig))
	subtle.XORBytes(ck, cf.proof, sig)
	ok := hmac.Equal(m.sh.sum(ck), m.keys.StoredKey)
	tlsutil.Wipe(ck)
	if !ok || !m.known {
		return nil, false, ErrBadCredentials
	}
	if err := s.authorize(m.first.user, m.first.gs2.authzid); err != nil {
		return nil, false, err
	}
	m.step = 3
	return []byte("v=" + base64.StdEncoding.EncodeToString(m.sh.hmac(m.keys.ServerKey, authMsg))), false, nil
}
