package smtp

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/mailkit-go/mailkit/esmtp"
	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// AuthBackend adds SMTP AUTH (RFC 4954) to a [Backend]. [SASLAuth] builds
// the two methods from package sasl's server mechanisms.
type AuthBackend interface {
	Backend
	// AuthMechanisms lists the SASL mechanisms offered on this connection,
	// strongest first. c.TLS tells whether the channel is encrypted;
	// plaintext-password mechanisms should only be listed with TLS.
	AuthMechanisms(c *ConnInfo) []string
	// Authenticate starts a SASL exchange for mech (one of
	// AuthMechanisms, upper case).
	Authenticate(ctx context.Context, c *ConnInfo, mech string) (Authenticator, error)
}

// Authenticator is the server side of one SASL exchange.
type Authenticator interface {
	// Next consumes the client's response (nil before the first response
	// when the client sent no initial response) and returns the next
	// challenge, or done=true on success. An error fails the exchange:
	// a *Error is sent as is, anything else as 535 5.7.8.
	Next(response []byte) (challenge []byte, done bool, err error)
	// Identity returns the authorization identity after success.
	Identity() string
}

func (c *conn) authMechanisms() []string {
	if c.cfg.auth == nil {
		return nil
	}
	return c.cfg.auth.AuthMechanisms(&c.info)
}

func (c *conn) cmdAuth(arg string) error {
	switch {
	case c.cfg.auth == nil || !c.cfg.extSet["AUTH"]:
		c.bad++
		c.writeReply(502, enh(5, 5, 1), "Error: authentication not enabled")
		return nil
	case c.info.TLS == nil && !c.srv.AllowInsecureAuth:
		c.bad++
		c.writeReply(538, enh(5, 7, 11), "Encryption required for requested authentication mechanism")
		return nil
	case !c.helo || !c.info.ESMTP:
		c.badSequence("Error: send EHLO first")
		return nil
	case c.info.AuthUser != "":
		c.badSequence("Error: already authenticated")
		return nil
	case c.inTx:
		c.badSequence("Error: MAIL transaction in progress")
		return nil
	}
	mech, ir, hasIR := strings.Cut(arg, " ")
	mech = strings.ToUpper(mech)
	allowed := false
	for _, m := range c.authMechanisms() {
		if strings.EqualFold(m, mech) {
			allowed = true
		}
	}
	if !allowed {
		c.bad++
		c.writeReply(504, enh(5, 5, 4), "Unrecognized authentication type")
		return nil
	}
	var resp []byte
	if hasIR {
		if ir == "=" {
			resp = []byte{}
		} else {
			b, err := base64.StdEncoding.DecodeString(ir)
			if err != nil {
				c.bad++
				c.writeReply(501, enh(5, 5, 2), "Error: invalid base64 data")
				return nil
			}
			resp = b
		}
	}
	a, err := c.cfg.auth.Authenticate(c.ctx, &c.info, mech)
	if err != nil {
		c.bad++
		c.logger().Info("smtp: authentication refused", "remote", c.info.RemoteAddr, "mechanism", mech, "err", err)
		c.writeError(authReply(err))
		return nil
	}
	for {
		chal, done, err := a.Next(resp)
		tlsutil.Wipe(resp)
		if err != nil {
			c.bad++
			c.logger().Info("smtp: authentication failed", "remote", c.info.RemoteAddr, "mechanism", mech, "err", err)
			c.writeError(authReply(err))
			return nil
		}
		if done {
			c.info.AuthUser = a.Identity()
			c.info.AuthMechanism = mech
			if c.info.AuthUser == "" {
				c.info.AuthUser = "unknown"
			}
			c.writeReply(235, enh(2, 7, 0), "Authentication successful")
			return nil
		}
		c.writeRaw("334 " + base64.StdEncoding.EncodeToString(chal))
		c.readTimeout = c.cfg.limits.CommandTimeout
		line, err := c.readLine(c.cfg.limits.AuthLine)
		if errors.Is(err, ErrLineTooLong) {
			c.bad++
			c.writeReply(500, enh(5, 5, 6), "Error: authentication line too long")
			return nil
		}
		if err != nil {
			c.handleReadError(err)
			return err
		}
		if string(line) == "*" {
			c.bad++
			c.writeReply(501, enh(5, 0, 0), "Authentication aborted")
			return nil
		}
		resp, err = base64.StdEncoding.DecodeString(string(line))
		tlsutil.Wipe(line)
		if err != nil {
			c.bad++
			c.writeReply(501, enh(5, 5, 2), "Error: invalid base64 data")
			return nil
		}
	}
}

// cmdXclient implements Postfix's XCLIENT for trusted proxies: the
// attributes replace the connection's client information, the session is
// restarted and the greeting is sent again.
func (c *conn) cmdXclient(arg string) error {
	if !c.offers("XCLIENT") {
		c.bad++
		c.writeReply(550, enh(5, 7, 0), "Error: insufficient authorization")
		return nil
	}
	if c.inTx {
		c.badSequence("Error: MAIL transaction in progress")
		return nil
	}
	if arg == "" {
		c.syntaxError("Syntax: XCLIENT attribute=value...")
		return nil
	}
	info := c.info
	port := ""
	for _, kv := range strings.Fields(arg) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			c.syntaxError("Error: bad XCLIENT attribute " + kv)
			return nil
		}
		dv, err := esmtp.DecodeXtext(v)
		if err != nil {
			c.syntaxError("Error: bad XCLIENT value")
			return nil
		}
		unavailable := strings.EqualFold(dv, "[UNAVAILABLE]") || strings.EqualFold(dv, "[TEMPUNAVAIL]")
		switch strings.ToUpper(k) {
		case "NAME":
			info.RemoteName = ""
			if !unavailable {
				info.RemoteName = dv
			}
		case "ADDR":
			if unavailable {
				info.RemoteIP = netip.Addr{}
				continue
			}
			ip, err := netip.ParseAddr(strings.TrimPrefix(strings.TrimPrefix(dv, "IPV6:"), "IPv6:"))
			if err != nil {
				c.syntaxError("Error: bad XCLIENT ADDR")
				return nil
			}
			info.RemoteIP = ip.Unmap()
		case "PORT":
			if _, err := strconv.ParseUint(dv, 10, 16); err != nil && !unavailable {
				c.syntaxError("Error: bad XCLIENT PORT")
				return nil
			}
			port = dv
		case "HELO":
			info.Helo = ""
			if !unavailable {
				info.Helo = dv
			}
		case "LOGIN":
			info.AuthUser = ""
			if !unavailable {
				info.AuthUser = dv
			}
		case "PROTO":
			info.ESMTP = strings.EqualFold(dv, "ESMTP")
		case "DESTADDR", "DESTPORT":
		default:
			c.syntaxError("Error: bad XCLIENT attribute " + k)
			return nil
		}
	}
	if info.RemoteIP.IsValid() {
		p, _ := strconv.Atoi(port)
		info.RemoteAddr = &net.TCPAddr{IP: info.RemoteIP.AsSlice(), Port: p}
	}
	if c.sess != nil {
		if err := c.sess.Logout(c.ctx); err != nil {
			c.logger().Debug("smtp: logout", "err", err)
		}
		c.sess = nil
	}
	c.info = info
	c.resetTx()
	c.helo = false
	c.strict = c.srv.LineEndings == LineEndingsStrict && !prefixesContain(c.srv.LineEndingExemptions, info.RemoteIP)
	if !c.newSession() {
		return errCloseConn
	}
	c.writeRaw("220 " + c.cfg.hostname + " " + c.cfg.greeting)
	return nil
}

// SASLAuth implements the two methods of [AuthBackend] with a
// [sasl.Registry]; embed it in a Backend:
//
//	type backend struct {
//		smtp.SASLAuth
//		// ...
//	}
//
// Mechanisms are offered per channel by the registry (PLAIN and LOGIN only
// over TLS unless the registry allows otherwise); the authorization
// identity becomes [ConnInfo.AuthUser].
type SASLAuth struct {
	// Registry supplies the credentials, mechanisms and limits for AUTH
	// (RFC 4954).
	Registry *sasl.Registry
}

func saslChannel(c *ConnInfo) sasl.Channel { return sasl.Channel{TLS: c.TLS} }

// AuthMechanisms implements [AuthBackend].
func (a SASLAuth) AuthMechanisms(c *ConnInfo) []string {
	if a.Registry == nil {
		return nil
	}
	return a.Registry.Mechanisms(saslChannel(c))
}

// Authenticate implements [AuthBackend].
func (a SASLAuth) Authenticate(ctx context.Context, c *ConnInfo, mech string) (Authenticator, error) {
	if a.Registry == nil {
		return nil, sasl.ErrUnsupported
	}
	s, err := a.Registry.NewServer(ctx, mech, saslChannel(c))
	if err != nil {
		return nil, err
	}
	return saslAuthenticator{s}, nil
}

type saslAuthenticator struct{ s *sasl.ServerSession }

func (a saslAuthenticator) Next(resp []byte) ([]byte, bool, error) { return a.s.Next(resp) }

func (a saslAuthenticator) Identity() string {
	id, _ := a.s.Identity()
	return id.Authzid
}

// authReply maps a SASL error to its RFC 4954 reply.
func authReply(err error) *Error {
	var se *Error
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, sasl.ErrTooWeak):
		return &Error{Code: 538, Enhanced: enh(5, 7, 11), Message: "Encryption required for requested authentication mechanism"}
	case errors.Is(err, sasl.ErrUnsupported):
		return &Error{Code: 504, Enhanced: enh(5, 5, 4), Message: "Unrecognized authentication type"}
	case errors.Is(err, sasl.ErrMalformed):
		return &Error{Code: 501, Enhanced: enh(5, 5, 2), Message: "Error: malformed authentication data"}
	case errors.Is(err, sasl.ErrTooLong):
		return &Error{Code: 500, Enhanced: enh(5, 5, 6), Message: "Error: authentication exchange too long"}
	case errors.Is(err, sasl.ErrBadCredentials), errors.Is(err, sasl.ErrNotAuthorized),
		errors.Is(err, sasl.ErrChannelBinding), errors.Is(err, sasl.ErrUnknownUser),
		errors.Is(err, sasl.ErrUnexpected):
		return &Error{Code: 535, Enhanced: enh(5, 7, 8), Message: "Error: authentication failed"}
	}
	return &Error{Code: 454, Enhanced: enh(4, 7, 0), Message: "Temporary authentication failure"}
}
