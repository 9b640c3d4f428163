package main

import (
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"
)

// Kind names what happened at a hop.
type Kind string

// Event kinds the MTA reports.
const (
	KindDNSBLBlock       Kind = "dnsbl-block"        // client refused at connect: listed
	KindSPF              Kind = "spf"                // an SPF check ran (Result, Detail = Received-SPF)
	KindSPFReject        Kind = "spf-reject"         // MAIL FROM refused on SPF fail
	KindGreylisted       Kind = "greylisted"         // RCPT deferred with 451 4.7.1
	KindGreylistPass     Kind = "greylist-pass"      // RCPT passed greylisting
	KindUnknownUser      Kind = "unknown-user"       // local recipient that does not exist
	KindSenderRefused    Kind = "sender-refused"     // submission: MAIL FROM not owned by the user
	KindDelivered        Kind = "delivered"          // stored in a local Maildir
	KindQueued           Kind = "queued"             // accepted for a remote domain
	KindRoute            Kind = "route"              // next hop chosen by mx
	KindDeferred         Kind = "deferred"           // temporary failure, will retry
	KindForwarded        Kind = "forwarded"          // accepted by the next hop
	KindBounced          Kind = "bounced"            // permanent failure or expired
	KindPOP3Login        Kind = "pop3-login"         // mailbox opened over POP3
	KindPOP3Deleted      Kind = "pop3-deleted"       // messages removed after QUIT
	KindSubmission       Kind = "submission-auth"    // message submitted by an authenticated user
	KindSpoolLoaded      Kind = "spool-loaded"       // queued message found in the spool at start
	KindSpoolCorrupt     Kind = "spool-corrupt"      // spool file that did not parse, moved to corrupt/
	KindSpoolTempRemoved Kind = "spool-temp-removed" // unfinished spool write removed at start
	KindDSN              Kind = "dsn"                // delivery status notification stored in the spool (To = its recipient)
	KindDSNReconciled    Kind = "dsn-reconciled"     // at start: recipients already reported removed from the original
)

// Event is one thing that happened inside the MTA.
type Event struct {
	At     time.Time  // the simulated clock
	Hop    string     // "mx", "submission", "queue", "pop3"
	Kind   Kind       //
	Client netip.Addr // the SMTP client (as seen by policy, XCLIENT included)
	From   string     // envelope sender
	To     string     // recipient
	Result string     // a policy result or a reply ("pass", "451 4.7.1 ...")
	Detail string     // anything else worth printing
}

// eventLog records events and, if w is set, prints them as they happen.
type eventLog struct {
	mu     sync.Mutex
	w      io.Writer
	now    func() time.Time // stamps events (the simulated clock)
	events []Event
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.now != nil {
		e.At = l.now()
	}
	l.events = append(l.events, e)
	if l.w == nil {
		return
	}
	line := fmt.Sprintf("    [%s] %s", e.Hop, e.Kind)
	if e.Client.IsValid() {
		line += " client=" + e.Client.String()
	}
	if e.From != "" {
		line += " from=<" + e.From + ">"
	}
	if e.To != "" {
		line += " to=<" + e.To + ">"
	}
	if e.Result != "" {
		line += ": " + e.Result
	}
	fmt.Fprintln(l.w, line)
	if e.Detail != "" {
		fmt.Fprintln(l.w, "        "+e.Detail)
	}
}

// printf writes a line of the demo's own narration, ordered with the events.
func (l *eventLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w != nil {
		fmt.Fprintf(l.w, format+"\n", args...)
	}
}

// Events returns a copy of the events so far.
func (l *eventLog) Events() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.events...)
}

// simClock is a clock the demo advances by hand, so that five minutes of
// greylisting delay take no real time. Only the policy engines (greylist)
// and the delivery queue use it.
type simClock struct {
	mu    sync.Mutex
	start time.Time
	now   time.Time
}

func newSimClock(start time.Time) *simClock { return &simClock{start: start, now: start} }

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Elapsed is the simulated time since the start.
func (c *simClock) Elapsed() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now.Sub(c.start)
}
