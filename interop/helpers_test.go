package interop

// Shared helpers for every interop test. Put a package's interop tests in
// interop/<pkg>_test.go (package interop) and start each test with
// requireInterop(t):
//
//	func TestSPFAgainstNSD(t *testing.T) {
//		requireInterop(t)
//		r := &dnsutil.Resolver{Servers: []string{peerAddr(portDNS)}}
//		...
//	}
//
// What interop/run provides (all on loopback; IPv6 ::1 too where the machine has it):
//
//	port constant    default  service
//	portSMTP          2525    Postfix MX: STARTTLS offered, no AUTH; accepts only
//	                          alice|bob|bench@example.test, relaying refused (554 5.7.1)
//	portSubmission    2587    Postfix submission: STARTTLS + AUTH required
//	portSubmissions   2465    Postfix submissions: implicit TLS + AUTH required
//	portRelay         2526    Postfix as an SMTP client: relays ALL mail it receives to
//	                          the smtp-sink, or to a server under test (peersRelayTo)
//	portIMAP          1143    Dovecot IMAP (STARTTLS)
//	portIMAPS         1993    Dovecot IMAP, implicit TLS
//	portPOP3          1110    Dovecot POP3 (STLS)
//	portPOP3S         1995    Dovecot POP3, implicit TLS
//	portDNS           5353    NSD, UDP and TCP, zones from interop/zones/
//	portSink          2599    Postfix smtp-sink (accepts and discards everything)
//	portRedis        16379    redis-server (no password, no persistence)
//
// Always dial peerAddr(portX), never a literal port: MAILKIT_PEERS_PORT_OFFSET
// shifts every port (to run a second harness beside one on the defaults).
//
// Users: peersUsers (alice, bob, bench) @peersDomain (example.test), password
// peersPassword ("secret"), SASL PLAIN, LOGIN and CRAM-MD5 (checked by Dovecot,
// also for Postfix submission). Mail delivered by Postfix lands in the Maildir
// peersMaildir(user), which Dovecot serves over IMAP and POP3.
//
// TLS: every server presents a certificate for localhost, example.test,
// *.example.test, 127.0.0.1 and ::1 signed by a private test CA at
// peersDir()/tls/ca.crt: use peersCAPool(t) or peersTLSConfig(t, "localhost").
//
// Clients: peersClient(t, "smtp-swaks", ...) runs one of the wrappers in
// interop/lib/clients/ (smtp-swaks, smtp-curl, smtp-python, imap-curl,
// imap-python, pop3-curl, pop3-python): a realistic session of a third-party
// client against a server (one of ours, for instance) that fails on any error.
//
// Tests must not stop or reconfigure the shared daemons beyond what these
// helpers do, and must leave the relay pointed at the sink when they finish
// (peersRelayTo does that with t.Cleanup).

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Default ports of the interop peers; dial them with peerAddr.
const (
	portSMTP        = 2525
	portSubmission  = 2587
	portSubmissions = 2465
	portRelay       = 2526
	portIMAP        = 1143
	portIMAPS       = 1993
	portPOP3        = 1110
	portPOP3S       = 1995
	portDNS         = 5353
	portSink        = 2599
	portRedis       = 16379
)

// Test accounts of the Postfix and Dovecot peers.
const (
	peersDomain   = "example.test"
	peersPassword = "secret"
)

// peersUsers are the local parts of the test accounts at peersDomain.
var peersUsers = []string{"alice", "bob", "bench"}

// requireInterop skips the test unless MAILKIT_INTEROP=1 (set by interop/run).
func requireInterop(t *testing.T) {
	t.Helper()
	if os.Getenv("MAILKIT_INTEROP") != "1" {
		t.Skip("interop test: run interop/run (or set MAILKIT_INTEROP=1 with the peers started)")
	}
}

// peersDir is the harness state directory: $MAILKIT_PEERS_DIR, default /tmp/mailkit-peers.
func peersDir() string {
	if d := os.Getenv("MAILKIT_PEERS_DIR"); d != "" {
		return d
	}
	return "/tmp/mailkit-peers"
}

// peerPort is port shifted by MAILKIT_PEERS_PORT_OFFSET (0 when unset or invalid).
func peerPort(port int) int {
	off, err := strconv.Atoi(os.Getenv("MAILKIT_PEERS_PORT_OFFSET"))
	if err != nil {
		off = 0
	}
	return port + off
}

// peerAddr is the "127.0.0.1:port" address of a peer service, e.g. peerAddr(portDNS).
func peerAddr(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(peerPort(port)))
}

// peerAddr6 is the "[::1]:port" address of a peer service.
func peerAddr6(port int) string {
	return net.JoinHostPort("::1", strconv.Itoa(peerPort(port)))
}

// peersCAFile is the path of the test CA certificate that signed the servers' certificate.
func peersCAFile() string {
	return filepath.Join(peersDir(), "tls", "ca.crt")
}

// peersCAPool is a pool holding only the test CA; the test fails if it cannot be read.
func peersCAPool(t *testing.T) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(peersCAFile())
	if err != nil {
		t.Fatalf("interop: reading the test CA: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("interop: no certificate in %s", peersCAFile())
	}
	return pool
}

// peersTLSConfig is a client config that verifies a peer's certificate for
// serverName ("localhost", "example.test", "127.0.0.1", ...) against the test CA.
func peersTLSConfig(t *testing.T, serverName string) *tls.Config {
	t.Helper()
	return &tls.Config{
		RootCAs:    peersCAPool(t),
		ServerName: serverName,
		MinVersion: tls.VersionTLS12,
	}
}

// peersMaildir is the Maildir of a test user (local part, e.g. "alice"), with
// cur/, new/ and tmp/ below it.
func peersMaildir(user string) string {
	return filepath.Join(peersDir(), "mail", peersDomain, user)
}

// peersScript is the path of a script in interop/lib (tests run in interop/).
func peersScript(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("lib", name))
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	return p
}

// peersClient runs the client wrapper interop/lib/clients/<name>.sh against
// host:port as user/pass (user "" = no AUTH, SMTP only) with tlsMode "none",
// "starttls" or "implicit", and returns its combined output. The test fails
// if the wrapper reports any error. extraEnv entries ("MK_TO=bob@example.test",
// "MK_TLS_VERIFY=0", ...) are added to its environment; see
// interop/lib/clients/common.sh for them.
func peersClient(t *testing.T, name, host string, port int, user, pass, tlsMode string, extraEnv ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", peersScript(t, filepath.Join("clients", name+".sh")),
		host, strconv.Itoa(port), user, pass, tlsMode)
	cmd.Env = append(os.Environ(), extraEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("interop: client %s against %s:%d: %v\n%s", name, host, port, err, out)
	}
	return string(out)
}

// peersRelayTo points the Postfix relay instance (portRelay) at addr, a
// loopback "host:port" (for instance a server under test), and points it back
// at the smtp-sink when the test ends. Tests using it must not run in parallel
// with each other.
func peersRelayTo(t *testing.T, addr string) {
	t.Helper()
	relay := func(target string) error {
		cmd := exec.Command("bash", peersScript(t, "postfix.sh"), "relay-target", target)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("interop: relay-target %s: %s", target, out)
		}
		return err
	}
	if err := relay(addr); err != nil {
		t.Fatalf("interop: pointing the relay at %s: %v", addr, err)
	}
	t.Cleanup(func() {
		if err := relay(peerAddr(portSink)); err != nil {
			t.Errorf("interop: pointing the relay back at the sink: %v", err)
		}
	})
}

// The tests below check the harness itself: every peer listens, the TLS
// ports present a certificate the test CA signed, and real clients can talk
// to the peers.

func TestPeersListening(t *testing.T) {
	requireInterop(t)
	ports := []struct {
		name string
		port int
	}{
		{"postfix mx", portSMTP}, {"postfix submission", portSubmission},
		{"postfix submissions", portSubmissions}, {"postfix relay", portRelay},
		{"dovecot imap", portIMAP}, {"dovecot imaps", portIMAPS},
		{"dovecot pop3", portPOP3}, {"dovecot pop3s", portPOP3S},
		{"nsd", portDNS}, {"smtp-sink", portSink}, {"redis", portRedis},
	}
	for _, p := range ports {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			c, err := net.DialTimeout("tcp", peerAddr(p.port), 10*time.Second)
			if err != nil {
				t.Fatalf("%s not listening on %s: %v", p.name, peerAddr(p.port), err)
			}
			_ = c.Close()
		})
	}
	t.Run("ipv6 nsd", func(t *testing.T) {
		t.Parallel()
		if _, err := os.Stat("/proc/net/if_inet6"); err != nil {
			t.Skip("no IPv6 on this machine")
		}
		c, err := net.DialTimeout("tcp", peerAddr6(portDNS), 10*time.Second)
		if err != nil {
			t.Fatalf("nsd not listening on %s: %v", peerAddr6(portDNS), err)
		}
		_ = c.Close()
	})
	t.Run("redis ping", func(t *testing.T) {
		t.Parallel()
		c, err := net.DialTimeout("tcp", peerAddr(portRedis), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		n, err := c.Read(buf)
		if err != nil || string(buf[:n]) != "+PONG\r\n" {
			t.Fatalf("redis PING: %q, %v", buf[:n], err)
		}
	})
}

func TestPeersImplicitTLS(t *testing.T) {
	requireInterop(t)
	cases := []struct {
		name, serverName, greeting string
		port                       int
	}{
		{"submissions", "localhost", "220 ", portSubmissions},
		{"imaps", "example.test", "* OK", portIMAPS},
		{"pop3s by IP", "127.0.0.1", "+OK", portPOP3S},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: peersTLSConfig(t, tc.serverName)}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := d.DialContext(ctx, "tcp", peerAddr(tc.port))
			if err != nil {
				t.Fatalf("TLS to %s as %q: %v", peerAddr(tc.port), tc.serverName, err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			buf := make([]byte, 512)
			n, err := c.Read(buf)
			if err != nil {
				t.Fatalf("reading greeting: %v", err)
			}
			if got := string(buf[:n]); len(got) < len(tc.greeting) || got[:len(tc.greeting)] != tc.greeting {
				t.Fatalf("greeting %q, want prefix %q", got, tc.greeting)
			}
		})
	}
	t.Run("wrong name rejected", func(t *testing.T) {
		t.Parallel()
		d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: peersTLSConfig(t, "other.invalid")}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := d.DialContext(ctx, "tcp", peerAddr(portIMAPS))
		if err == nil {
			_ = c.Close()
			t.Fatal("handshake with a name outside the certificate succeeded")
		}
	})
}

func TestPeersClients(t *testing.T) {
	requireInterop(t)
	// Deliver through the MX with swaks (STARTTLS verified against the test CA)
	// and find the message in the Maildir with Python's imaplib over IMAPS.
	for _, user := range peersUsers[:2] {
		rcpt := user + "@" + peersDomain
		before := countMaildir(t, user)
		t.Log(peersClient(t, "smtp-swaks", "127.0.0.1", peerPort(portSMTP), "", "", "starttls", "MK_TO="+rcpt))
		// Delivery is asynchronous: wait (bounded) for the message to land.
		deadline := time.Now().Add(60 * time.Second)
		for countMaildir(t, user) <= before {
			if time.Now().After(deadline) {
				t.Fatalf("%s: message accepted by Postfix never reached %s", user, peersMaildir(user))
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Log(peersClient(t, "imap-python", "127.0.0.1", peerPort(portIMAPS), rcpt, peersPassword, "implicit"))
	}
	// The relay instance forwards to the sink it was started with.
	peersRelayTo(t, peerAddr(portSink))
	t.Log(peersClient(t, "smtp-python", "127.0.0.1", peerPort(portRelay), "", "", "none", "MK_TO=someone@elsewhere.test"))
}

// countMaildir is the number of messages in the INBOX of a test user's Maildir.
func countMaildir(t *testing.T, user string) int {
	t.Helper()
	n := 0
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(peersMaildir(user), sub))
		if err != nil {
			t.Fatalf("interop: %v", err)
		}
		n += len(entries)
	}
	return n
}
