package tlsutil

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Mode is how TLS is used on a connection.
type Mode int

const (
	// ModePlain is a plaintext connection with no TLS at all.
	ModePlain Mode = iota
	// ModeImplicit is TLS from the first byte (SMTP submission on 465,
	// IMAPS 993, POP3S 995; RFC 8314).
	ModeImplicit
	// ModeStartTLS is a plaintext connection that the protocol upgrades
	// with STARTTLS / STLS (SMTP 25 and 587, IMAP 143, POP3 110).
	ModeStartTLS
)

// String returns "plain", "implicit" or "starttls".
func (m Mode) String() string {
	switch m {
	case ModePlain:
		return "plain"
	case ModeImplicit:
		return "implicit"
	case ModeStartTLS:
		return "starttls"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ErrUnknownMode is returned for a Mode value or name that is not defined.
var ErrUnknownMode = errors.New("tlsutil: unknown TLS mode")

// ParseMode parses the names written by [Mode.String] (case-insensitive);
// "tls" and "ssl" are accepted for implicit, "none" for plain.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "plain", "none":
		return ModePlain, nil
	case "implicit", "tls", "ssl":
		return ModeImplicit, nil
	case "starttls", "stls", "explicit":
		return ModeStartTLS, nil
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownMode, s)
}

// Listen listens on network and address. In ModeImplicit every accepted
// connection is a *tls.Conn using a clone of cfg (which must carry a
// certificate or GetCertificate); in ModePlain and ModeStartTLS the
// connections are plain and the protocol upgrades them itself (for
// ModeStartTLS cfg is checked now so a missing certificate is reported at
// start-up rather than at the first STARTTLS).
func Listen(ctx context.Context, network, address string, mode Mode, cfg *tls.Config) (net.Listener, error) {
	switch mode {
	case ModePlain:
	case ModeImplicit, ModeStartTLS:
		if err := checkServerConfig(cfg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w %d", ErrUnknownMode, int(mode))
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, network, address)
	if err != nil {
		return nil, fmt.Errorf("tlsutil: listen: %w", err)
	}
	if mode == ModeImplicit {
		return tls.NewListener(l, cfg.Clone()), nil
	}
	return l, nil
}

func checkServerConfig(cfg *tls.Config) error {
	if cfg == nil || (len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil) {
		return errors.New("tlsutil: server TLS config has no certificate")
	}
	return nil
}

// Dial connects to address. In ModeImplicit it completes the TLS handshake
// (honouring ctx) with a clone of cfg and returns the *tls.Conn; if
// cfg.ServerName is empty the host part of address is used. In ModePlain
// and ModeStartTLS it returns the plain connection; use [StartTLS] to
// upgrade it.
func Dial(ctx context.Context, network, address string, mode Mode, cfg *tls.Config) (net.Conn, error) {
	var d net.Dialer
	switch mode {
	case ModePlain, ModeStartTLS:
		c, err := d.DialContext(ctx, network, address)
		if err != nil {
			return nil, fmt.Errorf("tlsutil: dial: %w", err)
		}
		return c, nil
	case ModeImplicit:
		c := clientConfigFor(cfg, address)
		td := tls.Dialer{NetDialer: &d, Config: c}
		conn, err := td.DialContext(ctx, network, address)
		if err != nil {
			return nil, fmt.Errorf("tlsutil: dial: %w", err)
		}
		return conn, nil
	}
	return nil, fmt.Errorf("%w %d", ErrUnknownMode, int(mode))
}

// clientConfigFor returns a clone of cfg (nil: safe defaults) with
// ServerName filled from address when empty.
func clientConfigFor(cfg *tls.Config, address string) *tls.Config {
	var c *tls.Config
	if cfg == nil {
		c = ClientConfig("", nil)
	} else {
		c = cfg.Clone()
	}
	if c.ServerName == "" && !c.InsecureSkipVerify {
		host := address
		if h, _, err := net.SplitHostPort(address); err == nil {
			host = h
		}
		c.ServerName = host
	}
	return c
}

// ServerHandshake runs the server side of a TLS handshake on conn (after a
// protocol's STARTTLS reply, or for a connection accepted in plain mode),
// honouring ctx, and returns the TLS connection. On error conn is closed.
func ServerHandshake(ctx context.Context, conn net.Conn, cfg *tls.Config) (*tls.Conn, error) {
	if err := checkServerConfig(cfg); err != nil {
		_ = conn.Close()
		return nil, err
	}
	tc := tls.Server(conn, cfg.Clone())
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("tlsutil: handshake: %w", err)
	}
	return tc, nil
}
