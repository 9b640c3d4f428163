package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailkit-go/mailkit/mx"
	"github.com/mailkit-go/mailkit/smtp"
)

// queue holds accepted mail for other domains in memory and forwards it to
// the next hop that package mx chooses, through the smtp client. It is NOT
// durable: a real MTA writes the queue to disk before it answers 250.
//
// Flush makes one delivery attempt for every message that is due; a real
// MTA calls it from a timer, the demo calls it by hand so that the retry
// schedule runs on the simulated clock.
type queue struct {
	m      *MTA
	router *mx.Router
	sel    *mx.Selector

	flushMu sync.Mutex // one Flush at a time: it owns the queued items' fields
	mu      sync.Mutex // guards seq and items
	seq     int
	items   []*queued
}

type queued struct {
	id       string
	from     string
	rcpts    []string // recipients still to deliver
	data     []byte
	arrived  time.Time
	attempts int
	next     time.Time
}

const (
	retryFirst = time.Minute        // first retry after a temporary failure
	retryMax   = time.Hour          // back-off cap
	maxAge     = 5 * 24 * time.Hour // then the message bounces
)

func (q *queue) enqueue(from string, rcpts []string, data []byte) string {
	q.mu.Lock()
	q.seq++
	now := q.m.now()
	it := &queued{id: "Q" + strconv.Itoa(q.seq), from: from, rcpts: append([]string(nil), rcpts...),
		data: data, arrived: now, next: now}
	q.items = append(q.items, it)
	q.mu.Unlock()
	for _, to := range rcpts {
		q.m.events.add(Event{Hop: "queue", Kind: KindQueued, From: from, To: to, Result: "queue id " + it.id})
	}
	return it.id
}

// Len returns the number of messages waiting.
func (q *queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Flush tries every due message once.
func (q *queue) Flush(ctx context.Context) {
	q.flushMu.Lock()
	defer q.flushMu.Unlock()
	q.mu.Lock()
	now := q.m.now()
	var due []*queued
	for _, it := range q.items {
		if !it.next.After(now) {
			due = append(due, it)
		}
	}
	q.mu.Unlock()
	for _, it := range due {
		q.attempt(ctx, it)
	}
	q.mu.Lock()
	kept := q.items[:0]
	for _, it := range q.items {
		if len(it.rcpts) > 0 {
			kept = append(kept, it)
		}
	}
	q.items = kept
	q.mu.Unlock()
}

// attempt delivers one message, one transaction per recipient domain.
func (q *queue) attempt(ctx context.Context, it *queued) {
	it.attempts++
	byDomain := map[string][]string{}
	for _, to := range it.rcpts {
		_, d, _ := strings.Cut(to, "@")
		byDomain[strings.ToLower(d)] = append(byDomain[strings.ToLower(d)], to)
	}
	domains := make([]string, 0, len(byDomain))
	for d := range byDomain {
		domains = append(domains, d)
	}
	sort.Strings(domains)
	var left []string
	for _, d := range domains {
		left = append(left, q.deliverDomain(ctx, it, d, byDomain[d])...)
	}
	it.rcpts = left
	if len(left) == 0 {
		return
	}
	now := q.m.now()
	if now.Sub(it.arrived) >= maxAge {
		for _, to := range left {
			q.m.events.add(Event{Hop: "queue", Kind: KindBounced, From: it.from, To: to, Result: "expired after " + maxAge.String()})
		}
		it.rcpts = nil
		return
	}
	wait := retryFirst << (it.attempts - 1)
	if wait > retryMax || wait <= 0 {
		wait = retryMax
	}
	it.next = now.Add(wait)
	for _, to := range left {
		q.m.events.add(Event{Hop: "queue", Kind: KindDeferred, From: it.from, To: to,
			Result: fmt.Sprintf("attempt %d failed temporarily; next try in %s (simulated)", it.attempts, wait)})
	}
}

// deliverDomain sends to the recipients of one domain and returns those
// that should be retried. Permanent failures are reported and dropped (a
// real MTA would send a DSN to the sender, e.g. built with esmtp).
func (q *queue) deliverDomain(ctx context.Context, it *queued, domain string, rcpts []string) (retry []string) {
	fail := func(err error, rs []string) []string {
		if smtp.IsTemporary(err) || isTemporaryRoute(err) {
			return rs
		}
		for _, to := range rs {
			q.m.events.add(Event{Hop: "queue", Kind: KindBounced, From: it.from, To: to, Result: err.Error()})
		}
		return nil
	}
	targets, err := q.router.Lookup(ctx, domain)
	if err != nil {
		return fail(err, rcpts)
	}
	var lastErr error = errors.New("quickstart: no usable MX host")
	for _, t := range q.sel.Order(targets) {
		addrs, err := q.router.Addrs(ctx, t)
		if err != nil {
			lastErr = err
			continue
		}
		for _, ip := range addrs {
			hostport := q.m.hopAddr(t, ip)
			q.m.events.add(Event{Hop: "queue", Kind: KindRoute, From: it.from, To: strings.Join(rcpts, ","),
				Result: fmt.Sprintf("%s -> MX %d %s -> %s (attempt %d)", domain, t.Pref, t.Host, hostport, it.attempts)})
			res, err := q.send(ctx, t.Host, hostport, it.from, rcpts, it.data)
			if err != nil && res == nil {
				// Could not talk to this host at all (connection, greeting,
				// TLS): try the next address or MX host.
				q.sel.MarkDown(t.Host)
				lastErr = err
				continue
			}
			q.sel.MarkUp(t.Host)
			if err != nil && !errors.Is(err, smtp.ErrNoRecipients) {
				// MAIL or the data phase failed: nobody got the message.
				q.m.events.add(Event{Hop: "queue", Kind: KindDeferred, From: it.from, To: strings.Join(rcpts, ","),
					Result: fmt.Sprintf("%s said: %s", t.Host, replyString(err))})
				return fail(err, rcpts)
			}
			for _, r := range res.Rcpts {
				if r.Err == nil {
					q.m.events.add(Event{Hop: "queue", Kind: KindForwarded, From: it.from, To: r.Addr,
						Result: fmt.Sprintf("%s said: 250 %s", t.Host, res.Reply)})
					continue
				}
				if smtp.IsTemporary(r.Err) {
					q.m.events.add(Event{Hop: "queue", Kind: KindDeferred, From: it.from, To: r.Addr,
						Result: fmt.Sprintf("%s said: %s", t.Host, replyString(r.Err))})
				}
				retry = append(retry, fail(r.Err, []string{r.Addr})...)
			}
			return retry
		}
	}
	return fail(lastErr, rcpts)
}

// send runs one SMTP transaction with opportunistic STARTTLS. A nil Result
// means the session could not be set up.
func (q *queue) send(ctx context.Context, host, hostport, from string, rcpts []string, data []byte) (*smtp.Result, error) {
	var tlsConf *tls.Config
	if q.m.cfg.OutboundTLS != nil {
		tlsConf = q.m.cfg.OutboundTLS.Clone()
		tlsConf.ServerName = host
	}
	c, err := smtp.Dial(ctx, hostport, &smtp.ClientOptions{LocalName: q.m.cfg.Hostname, TLSConfig: tlsConf})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res, err := c.Send(ctx, &smtp.Envelope{From: from, To: rcpts}, bytes.NewReader(data))
	if res == nil {
		res = &smtp.Result{}
	}
	if err == nil {
		_ = c.Quit(ctx)
	}
	return res, err
}

// isTemporaryRoute reports an mx lookup failure worth retrying.
func isTemporaryRoute(err error) bool {
	var e *mx.Error
	return errors.As(err, &e) && !e.Permanent
}

// hopAddr is where to connect for an MX target: port 25 unless the
// configuration maps the host name to another port (the demo's stand-in
// for "the remote MTA's port 25").
func (m *MTA) hopAddr(t mx.Target, ip netip.Addr) string {
	port := t.Port
	if p, ok := m.cfg.Ports[t.Host]; ok {
		port = p
	}
	if port == 0 {
		port = 25
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(port))
}
