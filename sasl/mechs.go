package sasl

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mailkit-go/mailkit/tlsutil"
)

// ---- PLAIN (RFC 4616) ----

// PlainMessage is a parsed PLAIN response.
type PlainMessage struct {
	// Authzid is the requested authorization identity (empty: act as
	// Authcid) and Authcid the authentication identity (RFC 4616 section 2).
	Authzid, Authcid string
	// Password is the passwd field (RFC 4616 section 2), never empty; it aliases the parsed input.
	Password []byte
}

// ParsePlain parses "authzid NUL authcid NUL passwd" (RFC 4616 2). The
// password aliases msg.
func ParsePlain(msg []byte) (PlainMessage, error) {
	parts := bytes.Split(msg, []byte{0})
	if len(parts) != 3 {
		return PlainMessage{}, malformed("PLAIN message needs exactly two NUL separators")
	}
	if len(parts[1]) == 0 || len(parts[2]) == 0 {
		return PlainMessage{}, malformed("PLAIN message with empty user name or password")
	}
	if len(parts[0]) > 255 || len(parts[1]) > 255 || len(parts[2]) > 255 {
		return PlainMessage{}, malformed("PLAIN field longer than 255 bytes")
	}
	for _, p := range parts {
		if !utf8.Valid(p) {
			return PlainMessage{}, malformed("PLAIN field is not UTF-8")
		}
	}
	return PlainMessage{Authzid: string(parts[0]), Authcid: string(parts[1]), Password: parts[2]}, nil
}

// oneResponse frames the mechanisms that take a single client message
// (PLAIN, EXTERNAL, ANONYMOUS): without an initial response the server
// first sends an empty challenge. ok reports whether resp is that message;
// if not, challenge and err are the server's answer.
func oneResponse(step *int, resp []byte) (challenge []byte, ok bool, err error) {
	if *step == 0 && resp == nil {
		*step = 1
		return []byte{}, false, nil
	}
	if *step > 1 {
		return nil, false, ErrUnexpected
	}
	*step = 2
	return nil, true, nil
}

type plainServer struct {
	s    *ServerSession
	step int
}

func (m *plainServer) next(resp []byte) ([]byte, bool, error) {
	if ch, ok, err := oneResponse(&m.step, resp); !ok {
		return ch, false, err
	}
	defer tlsutil.Wipe(resp)
	pm, err := ParsePlain(resp)
	if err != nil {
		return nil, false, err
	}
	if err := m.s.reg.checkPassword(m.s.ctx, pm.Authcid, pm.Password); err != nil {
		return nil, false, err
	}
	return m.s.complete(pm.Authcid, pm.Authzid)
}

type plainClient struct {
	ir   []byte
	step int
}

// NewPlainClient returns a PLAIN client (RFC 4616). authzid may be empty.
func NewPlainClient(authzid, user, pass string) Client {
	ir := make([]byte, 0, len(authzid)+len(user)+len(pass)+2)
	ir = append(append(append(append(append(ir, authzid...), 0), user...), 0), pass...)
	return &plainClient{ir: ir}
}

func (c *plainClient) Start() (string, []byte, error) {
	c.step = 1
	return Plain, c.ir, nil
}

func (c *plainClient) Next(challenge []byte) ([]byte, error) {
	if c.step == 1 && len(challenge) == 0 {
		c.step = 2
		return c.ir, nil
	}
	return nil, ErrUnexpected
}

// ---- LOGIN (draft-murchison-sasl-login) ----

type loginServer struct {
	s    *ServerSession
	step int
	user string
}

func (m *loginServer) next(resp []byte) ([]byte, bool, error) {
	switch m.step {
	case 0:
		if resp == nil {
			m.step = 1
			return []byte("Username:"), false, nil
		}
		fallthrough // initial response carries the user name
	case 1:
		if len(resp) == 0 || len(resp) > 255 || !validText(resp) {
			return nil, false, malformed("bad LOGIN user name")
		}
		m.user = string(resp)
		m.step = 2
		return []byte("Password:"), false, nil
	case 2:
		m.step = 3
		defer tlsutil.Wipe(resp)
		if len(resp) == 0 || len(resp) > 255 || !utf8.Valid(resp) {
			return nil, false, malformed("bad LOGIN password")
		}
		if err := m.s.reg.checkPassword(m.s.ctx, m.user, resp); err != nil {
			return nil, false, err
		}
		return m.s.complete(m.user, "")
	}
	return nil, false, ErrUnexpected
}

// userPassClient is the state shared by the LOGIN and CRAM-MD5 clients:
// the mechanism, the credentials (the password is wiped once used) and
// the number of challenges answered. Neither sends an initial response.
type userPassClient struct {
	mech string
	user string
	pass []byte
	step int
}

func newUserPassClient(mech, user, pass string) userPassClient {
	return userPassClient{mech: mech, user: user, pass: []byte(pass)}
}

func (c *userPassClient) Start() (string, []byte, error) { return c.mech, nil, nil }

type loginClient struct{ userPassClient }

// NewLoginClient returns a LOGIN client: it answers the first challenge
// with the user name and the second with the password, whatever their
// text (servers word the prompts differently).
func NewLoginClient(user, pass string) Client {
	return &loginClient{newUserPassClient(Login, user, pass)}
}

func (c *loginClient) Next(challenge []byte) ([]byte, error) {
	c.step++
	switch c.step {
	case 1:
		return []byte(c.user), nil
	case 2:
		resp := bytes.Clone(c.pass)
		tlsutil.Wipe(c.pass)
		return resp, nil
	}
	return nil, ErrUnexpected
}

// ---- CRAM-MD5 (RFC 2195) ----

type cramServer struct {
	s         *ServerSession
	step      int
	challenge []byte
}

func (m *cramServer) next(resp []byte) ([]byte, bool, error) {
	s := m.s
	switch m.step {
	case 0:
		if resp != nil {
			return nil, false, malformed("CRAM-MD5 has no initial response")
		}
		nonce, err := makeNonce(s.reg.Rand, s.reg.nonceLength())
		if err != nil {
			return nil, false, err
		}
		nonce = strings.NewReplacer("<", "x", ">", "x", "@", "x").Replace(nonce)
		now := timeNow(s.reg.Now)
		host := s.reg.Hostname
		if host == "" {
			host = "localhost"
		}
		m.challenge = []byte("<" + nonce + "." + strconv.FormatInt(now.Unix(), 10) + "@" + host + ">")
		m.step = 1
		return m.challenge, false, nil
	case 1:
		m.step = 2
		sp := bytes.LastIndexByte(resp, ' ')
		if sp <= 0 || !validText(resp[:sp]) {
			return nil, false, malformed("CRAM-MD5 response is not \"user digest\"")
		}
		user, digest := string(resp[:sp]), resp[sp+1:]
		got := make([]byte, md5.Size)
		if len(digest) != 2*md5.Size {
			return nil, false, malformed("CRAM-MD5 digest length")
		}
		if _, err := hex.Decode(got, bytes.ToLower(digest)); err != nil {
			return nil, false, malformed("CRAM-MD5 digest is not hex")
		}
		sec, err := s.reg.lookup(s.ctx, user)
		if err != nil {
			return nil, false, err
		}
		defer sec.wipe()
		if sec == nil || sec.Password == nil {
			return nil, false, ErrBadCredentials
		}
		mac := hmac.New(md5.New, sec.Password)
		mac.Write(m.challenge)
		if !hmac.Equal(mac.Sum(nil), got) {
			return nil, false, ErrBadCredentials
		}
		return s.complete(user, "")
	}
	return nil, false, ErrUnexpected
}

type cramClient struct{ userPassClient }

// NewCRAMMD5Client returns a CRAM-MD5 client (RFC 2195).
func NewCRAMMD5Client(user, pass string) Client {
	return &cramClient{newUserPassClient(CRAMMD5, user, pass)}
}

func (c *cramClient) Next(challenge []byte) ([]byte, error) {
	c.step++
	if c.step != 1 {
		return nil, ErrUnexpected
	}
	if len(challenge) == 0 {
		return nil, malformed("empty CRAM-MD5 challenge")
	}
	mac := hmac.New(md5.New, c.pass)
	mac.Write(challenge)
	tlsutil.Wipe(c.pass)
	return []byte(c.user + " " + hex.EncodeToString(mac.Sum(nil))), nil
}

// ---- XOAUTH2 (Google / Microsoft) ----

// oauthErrorJSON is the failure challenge of XOAUTH2 and OAUTHBEARER.
const oauthErrorJSON = `{"status":"invalid_token","schemes":"bearer","scope":""}`

// ParseXOAuth2 parses "user=U^Aauth=Bearer T^A^A".
func ParseXOAuth2(msg []byte) (user, token string, err error) {
	s, ok := strings.CutSuffix(string(msg), "\x01\x01")
	if !ok {
		return "", "", malformed("XOAUTH2 message does not end with ^A^A")
	}
	for _, kv := range strings.Split(s, "\x01") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return "", "", malformed("XOAUTH2 field without '='")
		}
		switch k {
		case "user":
			user = v
		case "auth":
			token, err = bearer(v)
			if err != nil {
				return "", "", err
			}
		}
	}
	if token == "" {
		return "", "", malformed("XOAUTH2 message without auth")
	}
	if !utf8.ValidString(user) {
		return "", "", malformed("XOAUTH2 user is not UTF-8")
	}
	return user, token, nil
}

func bearer(v string) (string, error) {
	scheme, tok, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", malformed("auth is not a Bearer token")
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < 0x21 || tok[i] > 0x7e {
			return "", malformed("bad character in bearer token")
		}
	}
	return tok, nil
}

// tokenServer runs XOAUTH2 and OAUTHBEARER: both take the token in the
// (possibly initial) response; a bad token gets a JSON error challenge,
// whose answer (ack) ends the exchange with ErrBadCredentials.
type tokenServer struct {
	s     *ServerSession
	step  int
	parse func(resp []byte) (Token, error)
	ack   func(resp []byte) error
}

func newXOAuth2Server(s *ServerSession) *tokenServer {
	return &tokenServer{
		s: s,
		parse: func(resp []byte) (Token, error) {
			user, token, err := ParseXOAuth2(resp)
			return Token{Mechanism: XOAuth2, User: user, Token: token}, err
		},
		ack: func([]byte) error { return nil }, // any answer
	}
}

func newOAuthBearerServer(s *ServerSession) *tokenServer {
	return &tokenServer{
		s: s,
		parse: func(resp []byte) (Token, error) {
			msg, err := ParseOAuthBearer(resp)
			return Token{Mechanism: OAuthBearer, User: msg.Authzid, Token: msg.Token, Host: msg.Host, Port: msg.Port}, err
		},
		ack: func(resp []byte) error {
			if !bytes.Equal(resp, []byte{0x01}) {
				return malformed("OAUTHBEARER: expected ^A after the error")
			}
			return nil
		},
	}
}

func (m *tokenServer) next(resp []byte) ([]byte, bool, error) {
	switch m.step {
	case 0:
		if resp == nil {
			m.step = 1
			return []byte{}, false, nil
		}
		fallthrough
	case 1:
		t, err := m.parse(resp)
		if err != nil {
			return nil, false, err
		}
		return m.s.verifyToken(&m.step, t, "")
	case 2: // after the error challenge
		m.step = 3
		if err := m.ack(resp); err != nil {
			return nil, false, err
		}
		return nil, false, ErrBadCredentials
	}
	return nil, false, ErrUnexpected
}

// verifyToken runs the TokenVerifier; on a bad token it moves *step to 2
// and returns the JSON error challenge that the client must acknowledge.
func (s *ServerSession) verifyToken(step *int, t Token, authzid string) ([]byte, bool, error) {
	user, err := s.reg.Tokens.VerifyToken(s.ctx, t)
	if errors.Is(err, ErrBadCredentials) {
		*step = 2
		return []byte(oauthErrorJSON), false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("sasl: token verification: %w", err)
	}
	if user == "" {
		user = t.User
	}
	if err := s.authorize(user, authzid); err != nil {
		return nil, false, err
	}
	*step = 3
	return nil, true, nil
}

type oauthClient struct {
	mech string
	ir   []byte
	step int
}

// NewXOAuth2Client returns an XOAUTH2 client. If the server rejects the
// token it sends a JSON error as a challenge; the client answers with an
// empty response, as the mechanism requires, and the server then fails.
func NewXOAuth2Client(user, token string) Client {
	return &oauthClient{mech: XOAuth2, ir: []byte("user=" + user + "\x01auth=Bearer " + token + "\x01\x01")}
}

// OAuthBearerOptions adds the optional host and port fields of an
// OAUTHBEARER message.
type OAuthBearerOptions struct {
	// Host is sent as the "host" key (RFC 7628 section 3.1); empty omits it.
	Host string
	// Port is sent as the "port" key; zero or negative omits it.
	Port int
}

// NewOAuthBearerClient returns an OAUTHBEARER client (RFC 7628); user goes
// into the GS2 authzid and may be empty. opts may be nil.
func NewOAuthBearerClient(user, token string, opts *OAuthBearerOptions) Client {
	var b strings.Builder
	b.WriteString("n,")
	if user != "" {
		b.WriteString("a=" + encodeSASLName(user))
	}
	b.WriteString(",\x01")
	if opts != nil && opts.Host != "" {
		b.WriteString("host=" + opts.Host + "\x01")
	}
	if opts != nil && opts.Port > 0 {
		b.WriteString("port=" + strconv.Itoa(opts.Port) + "\x01")
	}
	b.WriteString("auth=Bearer " + token + "\x01\x01")
	return &oauthClient{mech: OAuthBearer, ir: []byte(b.String())}
}

func (c *oauthClient) Start() (string, []byte, error) {
	c.step = 1
	return c.mech, c.ir, nil
}

func (c *oauthClient) Next(challenge []byte) ([]byte, error) {
	c.step++
	switch {
	case c.step == 2 && len(challenge) == 0:
		return c.ir, nil // no initial response possible in the protocol
	case c.step <= 3 && len(challenge) > 0:
		// An error report; acknowledge it so the server can fail.
		c.step = 4
		if c.mech == OAuthBearer {
			return []byte{0x01}, nil
		}
		return []byte{}, nil
	}
	return nil, ErrUnexpected
}

// ---- OAUTHBEARER (RFC 7628) ----

// OAuthBearerMessage is a parsed OAUTHBEARER client response.
type OAuthBearerMessage struct {
	Authzid string            // the GS2 header authzid ("a="), empty if absent
	Token   string            // the bearer token from "auth=Bearer <token>"
	Host    string            // the "host" value, empty if absent
	Port    string            // the "port" value as sent (not validated), empty if absent
	Fields  map[string]string // every key/value pair, auth included
}

// ParseOAuthBearer parses "gs2-header ^A *(key=value ^A) ^A" (RFC 7628
// 3.1). Channel binding ("p=") is not supported and is malformed.
func ParseOAuthBearer(msg []byte) (OAuthBearerMessage, error) {
	var m OAuthBearerMessage
	h, rest, err := parseGS2Header(string(msg))
	if err != nil {
		return m, err
	}
	if h.flag == 'p' {
		return m, fmt.Errorf("%w: OAUTHBEARER channel binding is not supported", ErrChannelBinding)
	}
	m.Authzid = h.authzid
	body, ok := strings.CutPrefix(rest, "\x01")
	if !ok {
		return m, malformed("OAUTHBEARER: no ^A after the GS2 header")
	}
	body, ok = strings.CutSuffix(body, "\x01\x01")
	if !ok {
		if body != "\x01" {
			return m, malformed("OAUTHBEARER message does not end with ^A^A")
		}
		body = ""
	}
	m.Fields = map[string]string{}
	if body != "" {
		for _, kv := range strings.Split(body, "\x01") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return m, malformed("OAUTHBEARER field without key")
			}
			for i := 0; i < len(k); i++ {
				if !(k[i] >= 'a' && k[i] <= 'z' || k[i] >= 'A' && k[i] <= 'Z') {
					return m, malformed("OAUTHBEARER key is not alphabetic")
				}
			}
			if _, dup := m.Fields[k]; dup {
				return m, malformed("OAUTHBEARER duplicate key %q", k)
			}
			if len(m.Fields) >= 32 {
				return m, malformed("OAUTHBEARER: too many fields")
			}
			m.Fields[k] = v
		}
	}
	auth, ok := m.Fields["auth"]
	if !ok {
		return m, malformed("OAUTHBEARER message without auth")
	}
	if m.Token, err = bearer(auth); err != nil {
		return m, err
	}
	m.Host, m.Port = m.Fields["host"], m.Fields["port"]
	return m, nil
}

// ---- EXTERNAL (RFC 4422 appendix A) ----

type externalServer struct {
	s    *ServerSession
	step int
}

func (m *externalServer) next(resp []byte) ([]byte, bool, error) {
	if ch, ok, err := oneResponse(&m.step, resp); !ok {
		return ch, false, err
	}
	if !validText(resp) {
		return nil, false, malformed("EXTERNAL authzid is not UTF-8")
	}
	return m.s.complete(m.s.ch.ExternalID, string(resp))
}

type simpleClient struct {
	mech string
	ir   []byte
	step int
}

// NewExternalClient returns an EXTERNAL client; authzid may be empty
// (act as the identity the server derives from the channel).
func NewExternalClient(authzid string) Client {
	return &simpleClient{mech: External, ir: []byte(authzid)}
}

// NewAnonymousClient returns an ANONYMOUS client (RFC 4505) sending trace
// (e.g. an e-mail address; may be empty).
func NewAnonymousClient(trace string) Client {
	return &simpleClient{mech: Anonymous, ir: []byte(trace)}
}

func (c *simpleClient) Start() (string, []byte, error) {
	c.step = 1
	return c.mech, c.ir, nil
}

func (c *simpleClient) Next(challenge []byte) ([]byte, error) {
	c.step++
	if c.step == 2 && len(challenge) == 0 {
		return c.ir, nil
	}
	return nil, ErrUnexpected
}

// ---- ANONYMOUS (RFC 4505) ----

type anonymousServer struct {
	s    *ServerSession
	step int
}

func (m *anonymousServer) next(resp []byte) ([]byte, bool, error) {
	if ch, ok, err := oneResponse(&m.step, resp); !ok {
		return ch, false, err
	}
	if !validText(resp) || utf8.RuneCount(resp) > 255 {
		return nil, false, malformed("ANONYMOUS trace is not 1-255 UTF-8 characters")
	}
	m.s.id = Identity{Anonymous: true, Trace: string(resp)}
	return nil, true, nil
}
