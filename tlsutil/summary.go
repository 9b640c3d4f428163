package tlsutil

import (
	"crypto/tls"
	"fmt"
)

// VersionName returns "TLS1.0" .. "TLS1.3" (or "TLS(0x0305)" for an
// unknown version).
func VersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLS1.0"
	case tls.VersionTLS11:
		return "TLS1.1"
	case tls.VersionTLS12:
		return "TLS1.2"
	case tls.VersionTLS13:
		return "TLS1.3"
	}
	return fmt.Sprintf("TLS(0x%04x)", v)
}

// Summary describes the server side of a TLS connection for Received
// headers and logs: version and cipher suite, e.g.
// "TLS1.3 TLS_AES_128_GCM_SHA256", followed when the client presented a
// certificate by ` client-cert=verified "CN=alice"` (verified against
// ClientCAs) or ` client-cert=unverified "CN=alice"`. It returns "" for a
// connection whose handshake did not complete. On the client side of a
// connection use [VersionName] and tls.CipherSuiteName directly, since the
// peer certificate there is the server's.
func Summary(cs tls.ConnectionState) string {
	if !cs.HandshakeComplete {
		return ""
	}
	s := VersionName(cs.Version) + " " + tls.CipherSuiteName(cs.CipherSuite)
	if len(cs.PeerCertificates) > 0 {
		state := "unverified"
		if len(cs.VerifiedChains) > 0 {
			state = "verified"
		}
		s += fmt.Sprintf(" client-cert=%s %q", state, cs.PeerCertificates[0].Subject.String())
	}
	return s
}
