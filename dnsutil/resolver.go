package dnsutil

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/mailkit-go/mailkit/dnsutil/internal/lookup"
)

// Resolver defaults.
const (
	DefaultTimeout    = 2 * time.Second
	DefaultAttempts   = 2
	DefaultUDPSize    = 4096
	DefaultResolvConf = "/etc/resolv.conf"
)

// ErrNoServers is returned when no name server is configured or found.
var ErrNoServers = errors.New("dnsutil: no name servers")

// ErrInvalidName is what the *net.DNSError for a name that can not be
// asked unwraps to: an empty label, a label longer than 63 octets or a
// name longer than 255 octets (after unescaping), a bad escape, or an
// internationalized label IDNA rejects. As with *net.Resolver such an
// error is IsNotFound; the lookup methods report it as "no such host"
// and [Resolver.Query] with the reason ("invalid domain name: label
// longer than 63 octets").
var ErrInvalidName = lookup.ErrInvalidName

// Resolver is a stub resolver on github.com/miekg/dns. It sends recursive
// queries over UDP with EDNS0, retries over TCP when an answer is
// truncated, moves on to the next server on timeouts and failures, and
// optionally caches answers. Its lookup methods have the signatures of
// *net.Resolver and return *net.DNSError.
//
// The zero value uses the name servers of /etc/resolv.conf. A Resolver
// must not be copied after first use; it is safe for concurrent use.
type Resolver struct {
	// Servers are "host", "host:port", "[v6]:port" or bare IPv6 addresses;
	// the port defaults to 53. Empty: the nameserver lines of ResolvConf.
	Servers []string
	// ResolvConf is the file read when Servers is empty
	// (default DefaultResolvConf). If it is missing or lists no
	// servers, 127.0.0.1:53 and [::1]:53 are used, as the standard
	// library does. Its "options timeout:n attempts:n" lines supply
	// Timeout and Attempts when those fields are zero.
	ResolvConf string
	// Timeout bounds one exchange with one server, including a TCP retry
	// after truncation (0 = resolv.conf's timeout option when the
	// servers come from it, else DefaultTimeout).
	Timeout time.Duration
	// Attempts is the number of rounds through the server list
	// (0 = resolv.conf's attempts option when the servers come from it,
	// else DefaultAttempts).
	Attempts int
	// UDPSize is the EDNS0 payload size advertised (0 = DefaultUDPSize;
	// values below 512 are raised to 512).
	UDPSize uint16
	// Cache, when set, stores answers (see [Cache]).
	Cache *Cache
	// Logger receives debug records about retries (nil discards).
	Logger *slog.Logger

	once    sync.Once
	servers []string
	conf    resolvConf // from ResolvConf, when Servers is empty
	confErr error
}

func (r *Resolver) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	if r.conf.timeout > 0 {
		return r.conf.timeout
	}
	return DefaultTimeout
}

func (r *Resolver) attempts() int {
	if r.Attempts > 0 {
		return r.Attempts
	}
	if r.conf.attempts > 0 {
		return r.conf.attempts
	}
	return DefaultAttempts
}

func (r *Resolver) udpSize() uint16 {
	switch {
	case r.UDPSize == 0:
		return DefaultUDPSize
	case r.UDPSize < dns.MinMsgSize:
		return dns.MinMsgSize
	}
	return r.UDPSize
}

func (r *Resolver) log(msg string, args ...any) {
	if r.Logger != nil {
		r.Logger.Debug(msg, args...)
	}
}

// serverList returns the normalized server addresses.
func (r *Resolver) serverList() ([]string, error) {
	r.once.Do(func() {
		src := r.Servers
		if len(src) == 0 {
			path := r.ResolvConf
			if path == "" {
				path = DefaultResolvConf
			}
			r.conf = readResolvConf(path)
			src = r.conf.servers
			if len(src) == 0 {
				src = []string{"127.0.0.1", "::1"}
			}
		}
		for _, s := range src {
			a, err := normalizeServer(s)
			if err != nil {
				r.confErr = err
				return
			}
			r.servers = append(r.servers, a)
		}
		if len(r.servers) == 0 {
			r.confErr = ErrNoServers
		}
	})
	return r.servers, r.confErr
}

// normalizeServer adds the default port 53 where missing.
func normalizeServer(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("dnsutil: empty server address")
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.String(), nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a, 53).String(), nil
	}
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s, nil
	}
	if strings.ContainsAny(s, "[]/ ") {
		return "", fmt.Errorf("dnsutil: bad server address %q", s)
	}
	return net.JoinHostPort(s, "53"), nil
}

// resolvConf is what the resolver uses from a resolv.conf file.
type resolvConf struct {
	servers  []string
	timeout  time.Duration // options timeout:n (0: not set)
	attempts int           // options attempts:n (0: not set)
}

// readResolvConf reads a resolv.conf file; a missing file gives the zero
// value.
func readResolvConf(path string) resolvConf {
	f, err := os.Open(path)
	if err != nil {
		return resolvConf{}
	}
	defer f.Close()
	return parseResolvConf(io.LimitReader(f, 1<<20))
}

// parseResolvConf takes the nameserver lines and the timeout and attempts
// options, with the glibc bounds (timeout at most 30s, attempts at most
// 5). Other directives (search, ndots, rotate, ...) are ignored.
func parseResolvConf(rd io.Reader) resolvConf {
	var rc resolvConf
	sc := bufio.NewScanner(rd)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			if _, err := netip.ParseAddr(f[1]); err == nil {
				rc.servers = append(rc.servers, f[1])
			}
		case "options":
			for _, opt := range f[1:] {
				k, v, ok := strings.Cut(opt, ":")
				if !ok {
					continue
				}
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 {
					continue
				}
				switch k {
				case "timeout":
					rc.timeout = time.Duration(min(n, 30)) * time.Second
				case "attempts":
					rc.attempts = min(n, 5)
				}
			}
		}
	}
	return rc
}

// Query sends one question (name may be an IDN; it is converted to
// A-labels) and returns the response, whatever its RCODE: callers that
// need the RCODE, TTLs or the AD bit use this. SERVFAIL and REFUSED make
// the resolver try the next server; if none does better, that response
// is returned. Errors are *net.DNSError for timeouts, network failures,
// invalid names and context cancellation (unwrapping to ctx.Err()).
// Cached responses are copies with TTLs reduced by their age.
func (r *Resolver) Query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	m, _, err := r.query(ctx, name, qtype)
	return m, err
}

// query is Query that also returns the server that gave the response
// ("host:port", as in Servers after normalization): for a cached
// response, the server that gave it originally.
func (r *Resolver) query(ctx context.Context, name string, qtype uint16) (*dns.Msg, string, error) {
	qname, err := lookup.Normalize(name)
	if err != nil {
		// IsNotFound, as *net.Resolver reports invalid names; the
		// message says why, and the error unwraps to ErrInvalidName.
		return nil, "", &net.DNSError{Err: err.Error(), Name: name, IsNotFound: true, UnwrapErr: err}
	}
	if r.Cache != nil {
		if m, srv := r.Cache.get(qname, qtype); m != nil {
			return m, srv, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, "", lookup.ContextError(err, name, "")
	}
	servers, err := r.serverList()
	if err != nil {
		return nil, "", &net.DNSError{Err: err.Error(), Name: name, UnwrapErr: err}
	}
	m, srv, err := r.exchangeAll(ctx, servers, name, qname, qtype)
	if err != nil {
		return nil, "", err
	}
	if r.Cache != nil {
		r.Cache.put(qname, qtype, m, srv)
	}
	return m, srv, nil
}

// exchangeAll asks the servers in turn and returns the first response that
// is not SERVFAIL or REFUSED, else the last such response, with the server
// that gave it. Transport errors name the server they happened on (the
// last one tried when every exchange failed).
func (r *Resolver) exchangeAll(ctx context.Context, servers []string, name, qname string, qtype uint16) (*dns.Msg, string, error) {
	var lastResp *dns.Msg
	var lastErr error
	lastServer, lastRespServer := "", ""
	for attempt := 0; attempt < r.attempts(); attempt++ {
		for _, srv := range servers {
			resp, err := r.exchange(ctx, srv, qname, qtype)
			if err != nil {
				if cerr := contextDone(ctx); cerr != nil {
					return nil, "", lookup.ContextError(cerr, name, srv)
				}
				r.log("dnsutil: exchange failed", "server", srv, "name", qname, "type", dns.TypeToString[qtype], "attempt", attempt+1, "err", err)
				lastErr, lastServer = err, srv
				continue
			}
			if resp.Rcode == dns.RcodeServerFailure || resp.Rcode == dns.RcodeRefused {
				r.log("dnsutil: server failure", "server", srv, "name", qname, "rcode", dns.RcodeToString[resp.Rcode])
				lastResp, lastRespServer = resp, srv
				continue
			}
			return resp, srv, nil
		}
	}
	if lastResp != nil {
		return lastResp, lastRespServer, nil
	}
	var ne net.Error
	if errors.As(lastErr, &ne) && ne.Timeout() {
		return nil, "", lookup.NewError(lookup.ErrTextTimeout, name, lastServer)
	}
	return nil, "", &net.DNSError{Err: lastErr.Error(), Name: name, Server: lastServer, IsTemporary: true, UnwrapErr: lastErr}
}

// contextDone is ctx.Err(), also reporting a deadline that has passed
// but whose timer has not fired yet (a socket deadline may fire first).
func contextDone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// exchange asks one server over UDP and, on truncation, over TCP.
func (r *Resolver) exchange(ctx context.Context, server, qname string, qtype uint16) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	q := new(dns.Msg)
	q.SetQuestion(qname, qtype)
	q.RecursionDesired = true
	q.AuthenticatedData = true // RFC 6840 section 5.7: ask for the AD bit
	q.SetEdns0(r.udpSize(), false)
	resp, err := r.roundTrip(ctx, "udp", server, q)
	if err != nil {
		return nil, err
	}
	if resp.Truncated {
		r.log("dnsutil: truncated, retrying over TCP", "server", server, "name", qname)
		q.Id = dns.Id()
		return r.roundTrip(ctx, "tcp", server, q)
	}
	return resp, nil
}

// errMismatch marks a reply that does not answer our question.
var errMismatch = errors.New("dnsutil: reply does not match query")

func (r *Resolver) roundTrip(ctx context.Context, network, server string, q *dns.Msg) (*dns.Msg, error) {
	wire, err := q.Pack()
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if network == "tcp" {
		buf := make([]byte, 2+len(wire))
		binary.BigEndian.PutUint16(buf, uint16(len(wire)))
		copy(buf[2:], wire)
		if _, err := conn.Write(buf); err != nil {
			return nil, err
		}
		var lb [2]byte
		if _, err := io.ReadFull(conn, lb[:]); err != nil {
			return nil, err
		}
		resp := make([]byte, binary.BigEndian.Uint16(lb[:]))
		if _, err := io.ReadFull(conn, resp); err != nil {
			return nil, err
		}
		m := new(dns.Msg)
		if err := m.Unpack(resp); err != nil {
			return nil, fmt.Errorf("dnsutil: bad reply from %s: %w", server, err)
		}
		if !matches(q, m) {
			return nil, errMismatch
		}
		return m, nil
	}

	if _, err := conn.Write(wire); err != nil {
		return nil, err
	}
	// One byte more than advertised: a reply that fills the buffer broke
	// the size limit and is treated as truncated (retried over TCP).
	buf := make([]byte, int(r.udpSize())+1)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return nil, err
		}
		if n == len(buf) && isReplyTo(buf[:n], q) {
			return truncatedStub(q), nil
		}
		m := new(dns.Msg)
		if err := m.Unpack(buf[:n]); err != nil {
			// A truncated reply may be cut mid-record; the header is enough.
			if isReplyTo(buf[:n], q) && buf[2]&0x02 != 0 {
				return truncatedStub(q), nil
			}
			continue // garbage or spoofing attempt: keep waiting
		}
		if !matches(q, m) {
			continue
		}
		return m, nil
	}
}

// isReplyTo checks the header of a raw reply: our ID and the QR bit.
func isReplyTo(b []byte, q *dns.Msg) bool {
	return len(b) >= 12 && binary.BigEndian.Uint16(b) == q.Id && b[2]&0x80 != 0
}

// truncatedStub stands for a reply that could not be used over UDP.
func truncatedStub(q *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Truncated = true
	return m
}

func matches(q, m *dns.Msg) bool {
	if m.Id != q.Id || !m.Response {
		return false
	}
	if len(m.Question) == 0 {
		// Some servers omit the question in errors (FORMERR, NOTIMP).
		return m.Rcode != dns.RcodeSuccess
	}
	a, b := q.Question[0], m.Question[0]
	// The reply's name is as miekg/dns unpacks it (escaped); compare the
	// label bytes, ASCII case-insensitively (servers may echo 0x20 case).
	return a.Qtype == b.Qtype && a.Qclass == b.Qclass && lookup.SameName(a.Name, b.Name)
}

func (r *Resolver) lookuper() lookup.Lookuper {
	return lookup.Lookuper{Query: r.query, SortMX: true}
}

// LookupTXT returns the TXT records of name; the strings of each record
// are joined, as by *net.Resolver.
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return r.lookuper().TXT(ctx, name)
}

// LookupMX returns the MX records of name sorted by preference (stable;
// equal preferences keep the server's order, no randomization).
func (r *Resolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	return r.lookuper().MX(ctx, name)
}

// LookupNetIP returns the addresses of host; network is "ip", "ip4" or
// "ip6". An IP literal is returned as is.
func (r *Resolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return r.lookuper().NetIP(ctx, network, host)
}

// LookupIPAddr returns the A and AAAA addresses of host.
func (r *Resolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	return r.lookuper().IPAddr(ctx, host)
}

// LookupHost returns the addresses of host as strings.
func (r *Resolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	return r.lookuper().Host(ctx, host)
}

// LookupAddr returns the names of the PTR records of addr.
func (r *Resolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	return r.lookuper().Addr(ctx, addr)
}

// LookupCNAME returns the canonical name of host after following CNAME
// records (asked with type A, then AAAA). A host without CNAME that has
// addresses is its own canonical name.
func (r *Resolver) LookupCNAME(ctx context.Context, host string) (string, error) {
	return r.lookuper().CNAME(ctx, host)
}
