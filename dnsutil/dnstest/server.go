package dnstest

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// MaxRequestLog bounds how many entries [Server.Requests] keeps.
const MaxRequestLog = 10000

// Request is one DNS message a [Server] received.
type Request struct {
	Network string   // "udp" or "tcp"
	Msg     *dns.Msg // the query as received
}

// Server serves a [Zone] over UDP and TCP on the same loopback port of
// 127.0.0.1. UDP answers larger than the client's payload size (512
// without EDNS0, else the advertised size) are truncated with the TC bit,
// as are answers to questions with [FaultTruncate]. Questions with
// [FaultTimeout] get no answer. Create it with [NewServer]; it is safe for
// concurrent use.
type Server struct {
	zone *Zone
	addr string
	udp  *dns.Server
	tcp  *dns.Server

	mu       sync.Mutex
	requests []Request
	closed   bool
}

// NewServer starts serving z on 127.0.0.1 with an ephemeral port shared
// by UDP and TCP. Call [Server.Close] when done.
func NewServer(z *Zone) (*Server, error) {
	if z == nil {
		return nil, errors.New("dnstest: nil zone")
	}
	s := &Server{zone: z}
	var lastErr error
	for try := 0; try < 20; try++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("dnstest: listen udp: %w", err)
		}
		addr := pc.LocalAddr().String()
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			pc.Close()
			lastErr = err
			continue
		}
		s.addr = addr
		s.udp = &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serveUDP)}
		s.tcp = &dns.Server{Listener: ln, Handler: dns.HandlerFunc(s.serveTCP)}
		if err := startServer(s.udp); err != nil {
			pc.Close()
			ln.Close()
			return nil, err
		}
		if err := startServer(s.tcp); err != nil {
			s.udp.Shutdown()
			ln.Close()
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("dnstest: no port free for both UDP and TCP: %w", lastErr)
}

func startServer(srv *dns.Server) error {
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	errc := make(chan error, 1)
	go func() { errc <- srv.ActivateAndServe() }()
	select {
	case <-started:
		return nil
	case err := <-errc:
		return fmt.Errorf("dnstest: serve: %w", err)
	case <-time.After(10 * time.Second):
		return errors.New("dnstest: server did not start")
	}
}

// Addr returns "127.0.0.1:port", valid for both UDP and TCP.
func (s *Server) Addr() string { return s.addr }

// Zone returns the zone being served.
func (s *Server) Zone() *Zone { return s.zone }

// Requests returns the messages received so far, in order (bounded by
// [MaxRequestLog]); tests use it to inspect EDNS0 options or transports.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetRequests clears the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// Close stops both listeners and waits for them. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	err1 := s.udp.Shutdown()
	err2 := s.tcp.Shutdown()
	return errors.Join(err1, err2)
}

func (s *Server) record(network string, m *dns.Msg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) >= MaxRequestLog {
		s.requests = append(s.requests[:0], s.requests[len(s.requests)/2:]...)
	}
	s.requests = append(s.requests, Request{Network: network, Msg: m.Copy()})
}

func (s *Server) serveUDP(w dns.ResponseWriter, req *dns.Msg) { s.serve(w, req, "udp") }
func (s *Server) serveTCP(w dns.ResponseWriter, req *dns.Msg) { s.serve(w, req, "tcp") }

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg, network string) {
	s.record(network, req)
	resp, f := s.zone.respond(req)
	if f == FaultTimeout {
		return // never answer; for TCP the client times out too
	}
	resp.Compress = true
	opt := req.IsEdns0()
	if opt != nil {
		resp.SetEdns0(4096, false)
	}
	if network == "udp" {
		size := dns.MinMsgSize
		if opt != nil && int(opt.UDPSize()) > size {
			size = int(opt.UDPSize())
		}
		if f == FaultTruncate || resp.Len() > size {
			resp.Answer, resp.Ns = nil, nil
			resp.Extra = nil
			if opt != nil {
				resp.SetEdns0(4096, false)
			}
			resp.Truncated = true
		}
	}
	_ = w.WriteMsg(resp)
}
