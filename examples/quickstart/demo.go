package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mailkit-go/mailkit/dnsbl"
	"github.com/mailkit-go/mailkit/dnsutil"
	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
	"github.com/mailkit-go/mailkit/esmtp"
	"github.com/mailkit-go/mailkit/mime"
	"github.com/mailkit-go/mailkit/pop3"
	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/smtp"
	"github.com/mailkit-go/mailkit/smtp/smtptest"
	"github.com/mailkit-go/mailkit/tlsutil"
)

// Step is what a client of the demo saw.
type Step struct {
	Name  string
	Code  int    // the SMTP reply code (250 when accepted); 0 for non-SMTP steps
	Reply string // the reply as on the wire, or the error
}

// Outcome is what the demo did, for its test.
type Outcome struct {
	Events   []Event
	Steps    []Step
	Remote   []smtptest.Message // what the next hop received
	DSN      [][]byte           // alice's Maildir after the queue ran: the bounce for frank
	POP3     [][]byte           // messages bob downloaded
	MailRoot string             // the temporary Maildir root (removed at the end)
	SpoolDir string             // the temporary queue spool (removed at the end)
	Spooled  int                // spool files right after the submission's 250
	Unsent   int                // spool files left after the queue forwarded
	Left     int                // messages left in bob's Maildir after POP3
}

// demo starts the DNS server, the MTA and a remote MTA on loopback, runs
// the scripted conversation against them, prints each hop to w and shuts
// everything down.
func demo(ctx context.Context, w io.Writer) (out *Outcome, err error) {
	clock := newSimClock(time.Now())
	log := &eventLog{w: w, now: clock.Now}
	out = &Outcome{}
	started := time.Now()

	// Everything started is stopped in reverse order when demo returns,
	// also on errors; the last line printed says what was stopped.
	var cleanup []func() error
	defer func() {
		var errs []error
		for i := len(cleanup) - 1; i >= 0; i-- {
			errs = append(errs, cleanup[i]())
		}
		if cerr := errors.Join(errs...); cerr != nil && err == nil {
			err = cerr
		}
		out.Events = log.Events()
		if err == nil {
			log.printf("\n== 10. Shutdown: MTA servers stopped with Shutdown(ctx), remote MTA and DNS server closed, %s and %s removed", out.MailRoot, out.SpoolDir)
			log.printf("%s of simulated time in %s of real time", clock.Elapsed(), time.Since(started).Round(10*time.Millisecond))
		}
	}()

	// 1. DNS: a zone served over UDP/TCP on loopback, used through the
	// real stub resolver.
	z, err := dnstest.ParseZone(zone)
	if err != nil {
		return nil, err
	}
	dnsSrv, err := dnstest.NewServer(z)
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, dnsSrv.Close)
	r := &dnsutil.Resolver{Servers: []string{dnsSrv.Addr()}, Cache: &dnsutil.Cache{}}
	log.printf("== 1. DNS: dnstest server on %s, queried through dnsutil.Resolver", dnsSrv.Addr())
	if err := showDNS(ctx, log, r); err != nil {
		return nil, err
	}

	// 2. Certificates, the remote MTA and our MTA.
	ca, err := tlsutil.NewCA(nil)
	if err != nil {
		return nil, err
	}
	serverTLS, err := ca.ServerConfig(mxHost, "127.0.0.1")
	if err != nil {
		return nil, err
	}
	var remoteTries atomic.Int32
	remote, err := smtptest.Start(&smtptest.Options{
		Hostname: remoteMXHost,
		TLS:      true,
		// frank does not exist there; dave's first delivery attempt
		// meets a temporary failure.
		Reject: func(from, to string) error {
			if to == frank {
				return &smtp.Error{Code: 550, Enhanced: esmtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1},
					Message: "<" + to + ">: Recipient address rejected: User unknown in local recipient table"}
			}
			if remoteTries.Add(1) == 1 {
				return &smtp.Error{Code: 451, Enhanced: esmtp.EnhancedCode{Class: 4, Subject: 3, Detail: 0},
					Message: "Temporary local problem, please try again"}
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() error { remote.Close(); return nil })
	_, remotePort, _ := net.SplitHostPort(remote.Addr())
	port, err := strconv.Atoi(remotePort)
	if err != nil {
		return nil, err
	}

	root, err := os.MkdirTemp("", "mailkit-quickstart-")
	if err != nil {
		return nil, err
	}
	out.MailRoot = root
	cleanup = append(cleanup, func() error { return os.RemoveAll(root) })
	spoolDir, err := os.MkdirTemp("", "mailkit-quickstart-spool-")
	if err != nil {
		return nil, err
	}
	out.SpoolDir = spoolDir
	cleanup = append(cleanup, func() error { return os.RemoveAll(spoolDir) })

	m := NewMTA(Config{
		Hostname:       mxHost,
		LocalDomains:   []string{localDomain},
		Users:          map[string]string{alice: password, bob: password},
		MailRoot:       root,
		Resolver:       r,
		DNSBL:          []dnsbl.List{{Zone: blocklist}},
		TLS:            serverTLS,
		OutboundTLS:    remote.ClientTLSConfig(),
		Ports:          map[string]int{remoteMXHost: port},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		Now:            clock.Now,
		SpoolDir:       spoolDir,
	}, log)
	if err := m.Start(); err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return m.Shutdown(sctx)
	})
	log.printf("\n== 2. Servers (all on loopback, certificates from a tlsutil test CA)")
	log.printf("MX listener          %s  profile=mx, DNSBL %s + SPF + greylisting, XCLIENT for 127.0.0.1", m.MXAddr, blocklist)
	log.printf("submission listener  %s  STARTTLS, then AUTH PLAIN", m.SubmissionAddr)
	log.printf("POP3 listener        %s  STLS, Maildirs under %s", m.POP3Addr, root)
	log.printf("queue spool          %s  one file per message, fsynced before the 250", spoolDir)
	log.printf("remote MTA (smtptest) %s = %s:25 via the demo's port map", remote.Addr(), remoteMXHost)

	step := func(name string, err error) {
		s := Step{Name: name, Code: 250, Reply: "250 accepted"}
		if err != nil {
			s.Reply = replyString(err)
			var e *smtp.Error
			if errors.As(err, &e) {
				s.Code = e.Code
			} else {
				s.Code = 0
			}
		}
		out.Steps = append(out.Steps, s)
		log.printf("  client <- %s", s.Reply)
	}

	// 3. Inbound mail meets greylisting, SPF passes, delivered to a Maildir.
	log.printf("\n== 3. %s -> %s through the MX: greylisted, retried, delivered", carol, bob)
	inbound := "From: Carol <" + carol + ">\r\nTo: Bob <" + bob + ">\r\nSubject: Lunch on Friday?\r\n\r\nShall we?\r\n"
	log.printf("  client: EHLO %s, MAIL FROM:<%s>, RCPT TO:<%s>", remoteMXHost, carol, bob)
	step("greylist-first", sendMX(ctx, m.MXAddr, remoteMXHost, "", carol, bob, inbound))
	clock.Advance(6 * time.Minute)
	log.printf("  ... simulated clock advanced by 6m0s (no real waiting; now +%s) ...", clock.Elapsed())
	log.printf("  client: retries on a new connection")
	step("greylist-retry", sendMX(ctx, m.MXAddr, remoteMXHost, "", carol, bob, inbound))

	// 4. SPF fail: a client claiming remote.test from an address the
	// domain's SPF record does not list. The demo's client acts as a
	// trusted proxy and passes that address with XCLIENT.
	forged := netip.MustParseAddr("203.0.113.66")
	log.printf("\n== 4. SPF fail: MAIL FROM:<ceo@%s> from %s (address passed with XCLIENT)", remoteDomain, forged)
	step("spf-fail", sendMX(ctx, m.MXAddr, "bulk.spammer.invalid", forged.String(), "ceo@"+remoteDomain, bob, inbound))

	// 5. DNSBL: the RFC 5782 test point 127.0.0.2 is listed in bl.test.
	listed := netip.MustParseAddr("127.0.0.2")
	log.printf("\n== 5. DNSBL: a client at %s (address passed with XCLIENT)", listed)
	step("dnsbl", sendMX(ctx, m.MXAddr, "listed.example", listed.String(), carol, bob, inbound))

	// 6. Relaying through the MX is refused by the smtp server's MX profile.
	log.printf("\n== 6. Relay attempt on the MX: RCPT TO:<%s>", dave)
	step("relay", sendMX(ctx, m.MXAddr, remoteMXHost, "", carol, dave, inbound))

	// 7. Submission: AUTH needs TLS; alice writes to bob and dave.
	log.printf("\n== 7. Submission as %s", alice)
	step("auth-plaintext", authWithoutTLS(ctx, log, m.SubmissionAddr))
	msg, err := composeSubmission()
	if err != nil {
		return nil, err
	}
	step("submission", submit(ctx, log, m.SubmissionAddr, ca.ClientConfig(mxHost), msg))
	if out.Spooled, err = countSpool(spoolDir); err != nil {
		return nil, err
	}
	log.printf("  spool %s holds %d message file(s)", spoolDir, out.Spooled)

	// 8. The queue forwards dave's copy to the next hop chosen by mx;
	// frank's is refused there and bounces back to alice as a DSN.
	log.printf("\n== 8. Queue: forward to %s's MX (retry on temporary failure, bounce on permanent failure)", remoteDomain)
	m.queue.Flush(ctx)
	clock.Advance(retryFirst)
	log.printf("  ... simulated clock advanced by %s (now +%s) ...", retryFirst, clock.Elapsed())
	m.queue.Flush(ctx)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	out.Remote, err = remote.WaitFor(wctx, 1)
	cancel()
	if err != nil {
		return nil, err
	}
	for _, rm := range out.Remote {
		log.printf("  remote MTA captured: MAIL FROM:<%s> RCPT TO:%v, TLS=%v, %d bytes, subject %q, %d Received fields",
			rm.From, rm.To, rm.TLS, len(rm.Data), rm.Header.Get("Subject"), len(rm.Header["Received"]))
	}
	if out.Unsent, err = countSpool(spoolDir); err != nil {
		return nil, err
	}
	log.printf("  spool %s holds %d message file(s): delivered mail is removed from disk", spoolDir, out.Unsent)
	if out.DSN, err = showDSN(ctx, log, m); err != nil {
		return nil, err
	}

	// 9. Bob downloads his mail over POP3 (STLS, USER/PASS).
	log.printf("\n== 9. POP3: %s downloads and deletes his mail", bob)
	out.POP3, err = download(ctx, log, m.POP3Addr, ca.ClientConfig(mxHost))
	if err != nil {
		return nil, err
	}
	md, err := m.store.box(bob)
	if err != nil {
		return nil, err
	}
	left, err := md.List(ctx)
	if err != nil {
		return nil, err
	}
	out.Left = len(left)
	log.printf("  Maildir %s now holds %d message(s)", md.Dir(), out.Left)

	return out, nil
}

// countSpool counts the queue's message files in dir.
func countSpool(dir string) (int, error) {
	names, err := filepath.Glob(filepath.Join(dir, spoolPrefix+"*"))
	return len(names), err
}

// showDNS prints what the resolver answers for the demo's names.
func showDNS(ctx context.Context, log *eventLog, r *dnsutil.Resolver) error {
	for _, domain := range []string{localDomain, remoteDomain} {
		mxs, err := r.LookupMX(ctx, domain)
		if err != nil {
			return err
		}
		for _, mx := range mxs {
			addrs, err := r.LookupNetIP(ctx, "ip4", mx.Host)
			if err != nil {
				return err
			}
			log.printf("MX  %s -> %d %s A %v", domain, mx.Pref, mx.Host, addrs)
		}
		txt, err := r.LookupTXT(ctx, domain)
		if err != nil {
			return err
		}
		log.printf("TXT %s -> %s", domain, strings.Join(txt, " | "))
	}
	for _, ip := range []string{"127.0.0.2", "127.0.0.1"} {
		name := dnsbl.IPName(netip.MustParseAddr(ip), blocklist)
		addrs, err := r.LookupNetIP(ctx, "ip4", name)
		if err != nil {
			log.printf("A   %s -> %v", name, err)
			continue
		}
		log.printf("A   %s -> %v (listed)", name, addrs)
	}
	return nil
}

// sendMX plays a sending MTA against our MX listener. With claimIP set it
// first acts as a trusted proxy: EHLO, then XCLIENT ADDR=claimIP, after
// which the server starts a new session (and a new greeting) for that
// address; smtp.NewClient takes over from there.
func sendMX(ctx context.Context, addr, helo, claimIP, from, to, msg string) error {
	opts := &smtp.ClientOptions{LocalName: helo, TLS: smtp.TLSNone}
	var c *smtp.Client
	if claimIP == "" {
		var err error
		if c, err = smtp.Dial(ctx, addr, opts); err != nil {
			return err
		}
	} else {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		if err := xclient(conn, claimIP); err != nil {
			conn.Close()
			return err
		}
		if c, err = smtp.NewClient(ctx, conn, "", opts); err != nil {
			conn.Close()
			return err
		}
	}
	defer c.Close()
	res, err := c.Send(ctx, &smtp.Envelope{From: from, To: []string{to}}, strings.NewReader(msg))
	if errors.Is(err, smtp.ErrNoRecipients) && res != nil && len(res.Rcpts) > 0 {
		err = res.Rcpts[0].Err // the recipient's own reply
	}
	if err == nil {
		_ = c.Quit(ctx)
	}
	return err
}

// xclient reads the greeting, sends EHLO and XCLIENT, and leaves the
// server's reply to XCLIENT (the new greeting) unread.
func xclient(conn net.Conn, ip string) error {
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	defer conn.SetDeadline(time.Time{})
	br := bufio.NewReader(conn)
	for _, cmd := range []string{"", "EHLO proxy.example.test\r\n"} {
		if cmd != "" {
			if _, err := io.WriteString(conn, cmd); err != nil {
				return err
			}
		}
		rep, err := smtp.ReadReply(br)
		if err != nil {
			return err
		}
		if err := rep.Err(); err != nil {
			return err
		}
	}
	if br.Buffered() > 0 {
		return errors.New("quickstart: unexpected data from the server before XCLIENT")
	}
	_, err := io.WriteString(conn, "XCLIENT ADDR="+ip+"\r\n")
	return err
}

// authWithoutTLS shows that the submission server offers AUTH only after
// STARTTLS.
func authWithoutTLS(ctx context.Context, log *eventLog, addr string) error {
	c, err := smtp.Dial(ctx, addr, &smtp.ClientOptions{LocalName: "laptop.example.test", TLS: smtp.TLSNone})
	if err != nil {
		return err
	}
	defer c.Close()
	log.printf("  plaintext EHLO keywords: %s (no AUTH)", keywords(c.Capabilities()))
	err = c.Auth(ctx, sasl.NewPlainClient("", alice, password))
	if err == nil {
		return errors.New("quickstart: AUTH succeeded without TLS")
	}
	log.printf("  client: AUTH PLAIN without TLS")
	_ = c.Quit(ctx)
	return err
}

// composeSubmission builds alice's message with the mime builder.
func composeSubmission() ([]byte, error) {
	var buf bytes.Buffer
	err := (&mime.Encoder{}).WriteMessage(&buf, &mime.Message{
		From:        []mime.Address{{Name: "Alice", Address: alice}},
		To:          []mime.Address{{Name: "Bob", Address: bob}, {Name: "Dave", Address: dave}, {Name: "Frank", Address: frank}},
		Subject:     "Minutes of Monday's meeting",
		Text:        "Hello all,\n\nthe minutes are attached.\n\nAlice\n",
		Attachments: []mime.Attachment{{FileName: "minutes.txt", ContentType: "text/plain", Data: []byte("1. Lunch on Friday.\n")}},
	})
	return buf.Bytes(), err
}

// submit sends alice's message over STARTTLS with AUTH PLAIN.
func submit(ctx context.Context, log *eventLog, addr string, tlsConf *tls.Config, msg []byte) error {
	c, err := smtp.Dial(ctx, addr, &smtp.ClientOptions{
		LocalName: "laptop.example.test",
		TLS:       smtp.TLSRequired,
		TLSConfig: tlsConf,
		Auth:      &smtp.ClientAuth{Username: alice, Password: password, Mechanisms: []string{sasl.Plain}},
	})
	if err != nil {
		return err
	}
	defer c.Close()
	if cs, ok := c.TLSConnectionState(); ok {
		log.printf("  client: STARTTLS (%s %s, server certificate for %v verified against the test CA)",
			tlsutil.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), cs.PeerCertificates[0].DNSNames)
		log.printf("  client: EHLO again: %s", keywords(c.Capabilities()))
	}
	log.printf("  client: AUTH PLAIN as %s, MAIL FROM:<%s>, RCPT TO:<%s>, RCPT TO:<%s>, RCPT TO:<%s>", alice, alice, bob, dave, frank)
	if _, err := c.Send(ctx, &smtp.Envelope{From: alice, To: []string{bob, dave, frank}}, bytes.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit(ctx)
}

// showDSN prints the delivery status notification in alice's Maildir
// and returns the Maildir's messages.
func showDSN(ctx context.Context, log *eventLog, m *MTA) ([][]byte, error) {
	md, err := m.store.box(alice)
	if err != nil {
		return nil, err
	}
	list, err := md.List(ctx)
	if err != nil {
		return nil, err
	}
	var msgs [][]byte
	for _, msg := range list {
		rc, err := md.Open(ctx, msg.Key)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, data)
		r, err := esmtp.ParseReport(data)
		if err != nil {
			return nil, err
		}
		log.printf("  %s's Maildir: %q from %s, %d octets, RFC 3464 report:", alice, r.Subject, r.From, len(data))
		for _, rs := range r.Recipients {
			log.printf("    Final-Recipient: %s; Action: %s; Status: %s", rs.FinalRecipient, rs.Action, rs.Status)
			log.printf("    Remote-MTA: %s; Diagnostic-Code: %s", rs.RemoteMTA, rs.DiagnosticCode)
		}
	}
	return msgs, nil
}

// download fetches and deletes bob's messages over POP3 with STLS.
func download(ctx context.Context, log *eventLog, addr string, tlsConf *tls.Config) ([][]byte, error) {
	c, err := pop3.Dial(ctx, addr, &pop3.DialOptions{TLS: tlsutil.ModeStartTLS, TLSConfig: tlsConf})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Login(ctx, bob, password); err != nil {
		return nil, err
	}
	n, size, err := c.Stat(ctx)
	if err != nil {
		return nil, err
	}
	log.printf("  client: STLS, USER/PASS, STAT -> %d messages, %d octets", n, size)
	var msgs [][]byte
	for i := 1; i <= n; i++ {
		rc, err := c.Retr(ctx, i)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, data)
		summary := fmt.Sprintf("  client: RETR %d -> %d octets", i, len(data))
		if pm, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
			summary += fmt.Sprintf(", From: %s, Subject: %q, %d Received, Received-SPF: %s",
				pm.Header.Get("From"), pm.Header.Get("Subject"), len(pm.Header["Received"]),
				firstWord(pm.Header.Get("Received-SPF")))
		}
		log.printf("%s", summary)
		if err := c.Dele(ctx, i); err != nil {
			return nil, err
		}
	}
	log.printf("  client: DELE 1..%d, QUIT", n)
	return msgs, c.Quit(ctx)
}

func keywords(caps *esmtp.Capabilities) string {
	if caps == nil || len(caps.Lines()) < 2 {
		return "(none)"
	}
	return strings.Join(caps.Lines()[1:], ", ")
}

func firstWord(s string) string {
	if s == "" {
		return "(none)"
	}
	w, _, _ := strings.Cut(s, " ")
	return w
}
