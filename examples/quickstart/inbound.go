package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mailkit-go/mailkit/dnsbl"
	"github.com/mailkit-go/mailkit/esmtp"
	"github.com/mailkit-go/mailkit/greylist"
	"github.com/mailkit-go/mailkit/smtp"
	"github.com/mailkit-go/mailkit/spf"
)

// mxBackend is the policy of the inbound MX listener. The smtp server
// itself refuses relaying (ProfileMX asks IsLocalDomain); the backend adds,
// in the order a client meets them:
//
//   - at connect: DNSBL on the client address (554 5.7.1 when listed);
//   - at MAIL: SPF for the HELO and MAIL FROM identities (550 5.7.23 on
//     fail, 451 4.7.24 on temperror, recorded as Received-SPF otherwise);
//   - at RCPT: unknown local users (550 5.1.1), then greylisting
//     (451 4.7.1 the first time);
//   - at DATA: Received-SPF prepended, stored in each recipient's Maildir.
//
// The MX is the final hop and does not use the queue: the DSN parameters
// the server accepts are not acted on, so NOTIFY=SUCCESS gets no
// "delivered" notification here (only the submission path sends them).
type mxBackend struct{ m *MTA }

func (b *mxBackend) IsLocalDomain(_ context.Context, domain string) (bool, error) {
	return b.m.isLocal(domain), nil
}

func (b *mxBackend) NewSession(ctx context.Context, c *smtp.ConnInfo) (smtp.Session, error) {
	m := b.m
	if c.RemoteIP.IsValid() {
		res, err := m.dnsbl.Check(ctx, dnsbl.Query{IP: c.RemoteIP})
		if err != nil {
			return nil, err // 421 4.3.0, details in the log
		}
		if res.Verdict == dnsbl.Block {
			why := "locally blocked"
			if l := res.Listed(); len(l) > 0 {
				why = "blocked using " + l[0].List.Zone
				if txt, err := m.dnsbl.Reason(ctx, l[0]); err == nil && txt != "" {
					why += "; " + txt
				}
			}
			reply := &smtp.Error{Code: 554, Enhanced: esmtp.EnhancedCode{Class: 5, Subject: 7, Detail: 1},
				Message: fmt.Sprintf("Service unavailable; Client host [%s] %s", c.RemoteIP, why)}
			m.events.add(Event{Hop: "mx", Kind: KindDNSBLBlock, Client: c.RemoteIP, Result: replyString(reply)})
			return nil, reply
		}
	}
	return &mxSession{m: m, c: c}, nil
}

type mxSession struct {
	m      *MTA
	c      *smtp.ConnInfo
	from   string
	spfHdr string
	rcpts  []string
}

func (s *mxSession) Mail(ctx context.Context, from string, _ *smtp.MailOptions) error {
	s.from, s.spfHdr, s.rcpts = from, "", nil
	ip := s.c.RemoteIP
	// HELO identity first (RFC 7208 §2.3): a result for the null sender,
	// and cheap to check.
	if s.c.Helo != "" {
		in := spf.Input{IP: ip, Helo: s.c.Helo, Identity: spf.IdentityHelo}
		res, err := s.m.spf.Check(ctx, in)
		if err != nil {
			return err
		}
		s.m.events.add(Event{Hop: "mx", Kind: KindSPF, Client: ip, Result: fmt.Sprintf("helo=%s: %s", s.c.Helo, res.Result)})
		if res.Result == spf.Fail {
			return s.spfReject(res, "")
		}
		if from == "" {
			s.spfHdr = spf.NewReceivedSPF(res, in, s.m.cfg.Hostname).String()
		}
	}
	if from == "" {
		return nil
	}
	in := spf.Input{IP: ip, Helo: s.c.Helo, MailFrom: from}
	res, err := s.m.spf.Check(ctx, in)
	if err != nil {
		return err
	}
	hdr := spf.NewReceivedSPF(res, in, s.m.cfg.Hostname).String()
	s.m.events.add(Event{Hop: "mx", Kind: KindSPF, Client: ip, From: from,
		Result: fmt.Sprintf("mailfrom=%s: %s", from, res.Result), Detail: hdr})
	switch res.Result {
	case spf.Fail:
		return s.spfReject(res, from)
	case spf.TempError:
		return &smtp.Error{Code: 451, Enhanced: esmtp.EnhancedCode{Class: 4, Subject: 7, Detail: 24},
			Message: "SPF temporary error, try again later"}
	}
	s.spfHdr = hdr
	return nil
}

// spfReject builds the RFC 7372 reply for an SPF fail.
func (s *mxSession) spfReject(res spf.Result, from string) error {
	reply := &smtp.Error{Code: 550, Enhanced: esmtp.EnhancedCode{Class: 5, Subject: 7, Detail: 23},
		Message: "SPF fail: " + res.Explanation}
	s.m.events.add(Event{Hop: "mx", Kind: KindSPFReject, Client: s.c.RemoteIP, From: from, Result: replyString(reply)})
	return reply
}

func (s *mxSession) Rcpt(ctx context.Context, to string, _ *smtp.RcptOptions) error {
	ip := s.c.RemoteIP
	if !s.m.store.exists(to) {
		reply := &smtp.Error{Code: 550, Enhanced: esmtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1},
			Message: "<" + to + ">: Recipient address rejected: User unknown"}
		s.m.events.add(Event{Hop: "mx", Kind: KindUnknownUser, Client: ip, From: s.from, To: to, Result: replyString(reply)})
		return reply
	}
	d, err := s.m.greylist.Check(ctx, greylist.Triplet{IP: ip, Sender: s.from, Recipient: to})
	if err != nil {
		return err
	}
	if d.Action == greylist.Defer {
		code, enh, text := d.Reply()
		ec, _ := esmtp.ParseEnhancedCode(enh)
		reply := &smtp.Error{Code: code, Enhanced: ec, Message: text}
		s.m.events.add(Event{Hop: "mx", Kind: KindGreylisted, Client: ip, From: s.from, To: to,
			Result: replyString(reply), Detail: "reason: " + string(d.Reason)})
		return reply
	}
	s.m.events.add(Event{Hop: "mx", Kind: KindGreylistPass, Client: ip, From: s.from, To: to, Result: string(d.Reason)})
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *mxSession) Data(ctx context.Context, r io.Reader) error {
	var buf bytes.Buffer
	if s.spfHdr != "" {
		buf.WriteString(s.spfHdr + "\r\n")
	}
	if _, err := buf.ReadFrom(r); err != nil {
		return err // a limit or line-ending error: the server replies itself
	}
	for _, to := range s.rcpts {
		msg, err := s.m.store.deliver(ctx, to, buf.Bytes())
		if err != nil {
			return err
		}
		s.m.events.add(Event{Hop: "mx", Kind: KindDelivered, Client: s.c.RemoteIP, From: s.from, To: to,
			Result: fmt.Sprintf("Maildir new/%s (%d bytes)", msg.Filename, buf.Len())})
		_ = s.m.greylist.Delivered(ctx, greylist.Triplet{IP: s.c.RemoteIP, Sender: s.from, Recipient: to})
	}
	return nil
}

func (s *mxSession) Reset(context.Context)        { s.from, s.spfHdr, s.rcpts = "", "", nil }
func (s *mxSession) Logout(context.Context) error { return nil }

// submissionBackend accepts mail from authenticated local users (the smtp
// server's ProfileSubmission enforces TLS before AUTH and AUTH before MAIL)
// and keeps their DSN parameters (RET, ENVID, NOTIFY, ORCPT).
//
// Data writes the whole message, local and remote recipients alike, to
// the durable queue first, and only then delivers the local recipients'
// copies to their Maildirs and rewrites the spool file without them (the
// rest stays queued for the next hop). The guarantee:
//
//   - a temporary error (451, or 452 4.3.1 when the queue is full) means
//     the spool write failed and nothing was delivered anywhere, so the
//     client's retry cannot duplicate a local copy;
//   - 250 means the message is on disk for every recipient; a local
//     delivery that fails after that is retried by the queue (Flush),
//     not reported to the client;
//   - a crash after a Maildir delivery but before the spool file was
//     rewritten delivers that local copy again after restart (at least
//     once, as for the next hop).
//
// Because local mail now passes through the queue, a full queue refuses
// it too; a recipient gets 452 4.3.1 at RCPT (or the message at DATA).
type submissionBackend struct {
	smtp.SASLAuth
	m *MTA
}

func (b *submissionBackend) NewSession(_ context.Context, c *smtp.ConnInfo) (smtp.Session, error) {
	return &submissionSession{m: b.m, c: c}, nil
}

type submissionSession struct {
	m       *MTA
	c       *smtp.ConnInfo
	in      inbound
	queueID string // of the last message queued, for the 250 reply
}

func (s *submissionSession) Mail(ctx context.Context, from string, opts *smtp.MailOptions) error {
	s.Reset(ctx)
	if !strings.EqualFold(from, s.c.AuthUser) {
		reply := &smtp.Error{Code: 553, Enhanced: esmtp.EnhancedCode{Class: 5, Subject: 7, Detail: 1},
			Message: "<" + from + ">: Sender address rejected: not owned by user " + s.c.AuthUser}
		s.m.events.add(Event{Hop: "submission", Kind: KindSenderRefused, Client: s.c.RemoteIP, From: from, Result: replyString(reply)})
		return reply
	}
	s.in.from = from
	if opts != nil {
		s.in.ret, s.in.envid = esmtp.Ret(opts.Return), opts.EnvelopeID
	}
	return nil
}

func (s *submissionSession) Rcpt(_ context.Context, to string, opts *smtp.RcptOptions) error {
	_, domain, _ := strings.Cut(to, "@")
	if s.m.isLocal(domain) && !s.m.store.exists(to) {
		return &smtp.Error{Code: 550, Enhanced: esmtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1},
			Message: "<" + to + ">: Recipient address rejected: User unknown"}
	}
	if len(s.in.rcpts) == 0 && s.m.queue.full(0) {
		return errQueueFull
	}
	if d := dsnFromOptions(opts); !d.isZero() {
		if why := d.check(); why != "" {
			// The spool could not hold it: refuse it now rather than
			// answer the DATA that follows with a temporary error.
			return &smtp.Error{Code: 501, Enhanced: esmtp.EnhancedCode{Class: 5, Subject: 5, Detail: 4},
				Message: "<" + to + ">: " + why + " parameter"}
		}
		if s.in.dsn == nil {
			s.in.dsn = map[string]rcptDSN{}
		}
		s.in.dsn[to] = d
	}
	s.in.rcpts = append(s.in.rcpts, to)
	return nil
}

func (s *submissionSession) Data(ctx context.Context, r io.Reader) error {
	s.queueID = ""
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	res, err := s.m.queue.reserve(int64(len(data)))
	if err != nil {
		return err
	}
	defer res.release()
	s.m.events.add(Event{Hop: "submission", Kind: KindSubmission, Client: s.c.RemoteIP, From: s.in.from,
		Result: fmt.Sprintf("user %s via %s, %s", s.c.AuthUser, s.c.AuthMechanism, s.c.Protocol())})
	// Returns once the spool file and its directory entry are synced.
	it, err := res.commit(ctx, s.in, data)
	if err != nil {
		return err
	}
	s.queueID = it.id
	// On disk: the answer is 250 from here on, whatever happens to the
	// local copies (the queue retries them).
	s.m.queue.attempt(ctx, it, "submission", true)
	res.enqueue(it)
	return nil
}

// QueueID implements smtp.QueueIDSession: the 250 reply names the spool
// file's queue id when the message was queued.
func (s *submissionSession) QueueID() string { return s.queueID }

func (s *submissionSession) Reset(context.Context)        { s.in = inbound{} }
func (s *submissionSession) Logout(context.Context) error { return nil }

// replyString formats a reply error the way it goes on the wire.
func replyString(err error) string {
	var e *smtp.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	if e.Enhanced.IsZero() {
		return fmt.Sprintf("%d %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%d %s %s", e.Code, e.Enhanced, e.Message)
}
