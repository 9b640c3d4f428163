package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/esmtp"
	"github.com/mailkit-go/mailkit/mx"
	"github.com/mailkit-go/mailkit/smtp"
)

// Delivery status notifications (RFC 3461, RFC 3464).
//
// When the queue settles a recipient it may owe the envelope sender a
// notification: "failed" for a permanent failure (a 5xx reply, no route
// or a null MX, a local user that does not exist, or expiry after maxAge),
// "relayed" when the next hop accepted a recipient that asked for
// NOTIFY=SUCCESS but does not offer DSN itself (RFC 3461 §4.2.4), and
// "delivered" for a local delivery with NOTIFY=SUCCESS. Whether one is
// sent follows the recipient's NOTIFY: without NOTIFY only failures are
// reported, NEVER suppresses everything, and a message with the null
// reverse path (itself a notification) never gets one (RFC 5321 §4.5.5).
// When the next hop offers DSN, NOTIFY, ORCPT, RET and ENVID are passed on
// with the message and the next hop reports success itself. A recipient
// with NOTIFY=DELAY gets one "delayed" notice (with Will-Retry-Until)
// after the third attempt that failed temporarily.
//
// The notification is built with esmtp.Report: Reporting-MTA is
// Config.Hostname, Original-Envelope-Id the ENVID, Arrival-Date the time
// the message was queued, and per recipient Original-Recipient (ORCPT),
// Final-Recipient, Action, Status, Remote-MTA and Diagnostic-Code (the
// next hop's reply). It returns the whole message for a failure, unless
// RET=HDRS asked for the header only; a success report returns only the
// header, and so does a failure report whose full form would be larger
// than QueueLimits.MessageBytes (and when even the header would make it
// too large, the report returns nothing of the message).
//
// Each notification is a message with the null reverse path in the same
// spool, to the original sender, written (and fsynced) before the
// original's spool file loses the recipients it reports on; Flush then
// delivers it like any other message: to the sender's Maildir when the
// sender is local, or to the sender's MX. Its spool header names the
// original ("dsn-for") and those recipients ("dsn-rcpt"). If the MTA
// stops between the two writes, the next start finds the notification
// and removes the recipients from the original instead of retrying them,
// so that no notification is lost or generated twice; its delivery, like
// every delivery from the queue, is at least once (a crash after the
// Maildir or the next hop took it but before its spool file was removed
// delivers it again). Reconciliation removes a recipient address from the
// original as a whole: should the same address be listed twice, both go.
// If the notification
// cannot be stored, the failed recipients stay in the original and are
// tried again (a success report that cannot be stored is logged and
// dropped: the message was delivered). Storing a notification does not
// count against QueueLimits.Messages and Bytes: it takes the place of the
// recipients it reports on.

// dsnNote is what happened to one settled recipient.
type dsnNote struct {
	rcpt   string
	action esmtp.Action
	status esmtp.EnhancedCode
	remote string // Remote-MTA host, "" when none was reached
	diag   string // SMTP reply for Diagnostic-Code, "" when none
	text   string // explanation for the human-readable part, "" to use diag
	// retryUntil is Will-Retry-Until, for a delayed notice.
	retryUntil time.Time
}

// failureNote describes a permanent failure for a recipient.
func failureNote(to string, err error, remote string) dsnNote {
	n := dsnNote{rcpt: to, action: esmtp.ActionFailed, status: esmtp.EnhancedCode{Class: 5, Subject: 0, Detail: 0}, remote: remote}
	var se *smtp.Error
	var me *mx.Error
	switch {
	case errors.As(err, &se):
		if se.Enhanced.Valid() && se.Enhanced.Class == 5 {
			n.status = se.Enhanced
		}
		n.diag = replyString(se)
	case errors.As(err, &me):
		code, enh, text := me.Reply()
		if ec, err := esmtp.ParseEnhancedCode(enh); err == nil && ec.Class == 5 {
			n.status = ec
		}
		n.diag = fmt.Sprintf("%d %s %s", code, enh, text)
	default:
		n.text = err.Error()
	}
	return n
}

// wants reports whether the sender of it asked for a notification of n.
func (it *queued) wants(n dsnNote) bool {
	if it.from == "" {
		return false // never notify about a notification
	}
	notify := it.dsn[n.rcpt].Notify
	switch n.action {
	case esmtp.ActionFailed:
		return notify == 0 || notify&esmtp.NotifyFailure != 0
	case esmtp.ActionRelayed, esmtp.ActionDelivered:
		return notify&esmtp.NotifySuccess != 0
	case esmtp.ActionDelayed:
		return notify&esmtp.NotifyDelay != 0
	}
	return false
}

// rcptOptions converts d for the smtp client.
func (d rcptDSN) rcptOptions() smtp.RcptOptions {
	var o smtp.RcptOptions
	if d.Notify&esmtp.NotifyNever != 0 {
		o.Notify = []smtp.DSNNotify{smtp.NotifyNever}
	}
	if d.Notify&esmtp.NotifySuccess != 0 {
		o.Notify = append(o.Notify, smtp.NotifySuccess)
	}
	if d.Notify&esmtp.NotifyFailure != 0 {
		o.Notify = append(o.Notify, smtp.NotifyFailure)
	}
	if d.Notify&esmtp.NotifyDelay != 0 {
		o.Notify = append(o.Notify, smtp.NotifyDelay)
	}
	if d.ORcpt != nil {
		o.OriginalRecipientType, o.OriginalRecipient = d.ORcpt.AddrType, d.ORcpt.Addr
	}
	return o
}

// dsnFromOptions converts the smtp server's RCPT parameters.
func dsnFromOptions(o *smtp.RcptOptions) rcptDSN {
	var d rcptDSN
	if o == nil {
		return d
	}
	for _, n := range o.Notify {
		switch n {
		case smtp.NotifyNever:
			d.Notify |= esmtp.NotifyNever
		case smtp.NotifySuccess:
			d.Notify |= esmtp.NotifySuccess
		case smtp.NotifyFailure:
			d.Notify |= esmtp.NotifyFailure
		case smtp.NotifyDelay:
			d.Notify |= esmtp.NotifyDelay
		}
	}
	if o.OriginalRecipient != "" {
		d.ORcpt = &esmtp.ORcpt{AddrType: o.OriginalRecipientType, Addr: o.OriginalRecipient}
	}
	return d
}

// errSimulatedCrash stops an attempt right after a notification was
// stored, as if the process had died (queue.crashAfterDSN, tests only).
var errSimulatedCrash = errors.New("quickstart: simulated crash after storing a notification")

// notify stores the notification the sender asked for about the notes'
// recipients, and returns the failed recipients that must stay in the
// spool because it could not be stored. crashed is set when the test hook
// stopped the attempt.
//
// The notification is on disk when notify returns, but not yet in the
// queue: the caller hands it to admit after it has saved the original
// without the reported recipients. Otherwise another goroutine's Flush
// could deliver the notification and remove its file (and with it the
// link reconciliation uses) before the original is saved, and a crash
// in between would report those recipients again after the restart.
func (q *queue) notify(ctx context.Context, it *queued, notes []dsnNote, body func() io.Reader) (keep []string, pending *queued, crashed bool) {
	var want []dsnNote
	for _, n := range notes {
		if it.wants(n) {
			want = append(want, n)
		}
	}
	if len(want) == 0 {
		return nil, nil, false
	}
	d, err := q.storeDSN(ctx, it, want, body)
	if errors.Is(err, errSimulatedCrash) {
		return nil, nil, true
	}
	if err != nil {
		q.m.logger().Error("quickstart: storing a delivery status notification", "id", it.id, "err", err)
		for _, n := range want {
			if n.action == esmtp.ActionFailed {
				keep = append(keep, n.rcpt)
			}
		}
		return keep, nil, false
	}
	var rcpts []string
	for _, n := range want {
		rcpts = append(rcpts, fmt.Sprintf("%s %s (%s)", n.rcpt, n.action, n.status))
	}
	q.m.events.add(Event{Hop: "queue", Kind: KindDSN, To: it.from,
		Result: fmt.Sprintf("queue id %s, MAIL FROM:<>, reports on %s", d.id, strings.Join(rcpts, ", "))})
	return nil, d, false
}

// admit adds a notification stored by notify to the queue (nil: none).
func (q *queue) admit(d *queued) {
	if d == nil {
		return
	}
	q.mu.Lock()
	q.items = append(q.items, d)
	q.bytes += d.size
	q.mu.Unlock()
}

// storeDSN builds the notification and writes it to the spool; when it
// returns a nil error the notification is durable (not yet queued: see
// notify and admit).
func (q *queue) storeDSN(ctx context.Context, it *queued, notes []dsnNote, body func() io.Reader) (*queued, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(body(), it.size))
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	now := q.m.now()
	id, err := q.newID()
	q.mu.Unlock()
	if err != nil {
		return nil, err
	}
	msg, err := q.buildDSN(id, it, notes, data)
	if err != nil {
		return nil, err
	}
	d := &queued{id: id, from: "", rcpts: []string{it.from}, size: int64(len(msg)),
		arrived: now, next: now, dsnFor: it.id}
	for _, n := range notes {
		if n.action != esmtp.ActionDelayed { // delayed ones stay in the original
			d.dsnRcpt = append(d.dsnRcpt, n.rcpt)
		}
	}
	if len(d.dsnRcpt) == 0 {
		d.dsnFor = ""
	}
	if _, err := q.spool.write(d.envelope(), bytes.NewReader(msg)); err != nil {
		_ = q.spool.remove(id)
		return nil, err
	}
	if q.crashAfterDSN != nil && q.crashAfterDSN() {
		return d, errSimulatedCrash
	}
	return d, nil
}

// buildDSN renders the notification as a message (CRLF line endings).
func (q *queue) buildDSN(id string, it *queued, notes []dsnNote, data []byte) ([]byte, error) {
	host := q.m.cfg.Hostname
	failed, delayed := false, false
	for _, n := range notes {
		failed = failed || n.action == esmtp.ActionFailed
		delayed = delayed || n.action == esmtp.ActionDelayed
	}
	r := &esmtp.Report{
		From:               "Mail Delivery System <MAILER-DAEMON@" + host + ">",
		To:                 it.from,
		Date:               q.m.now(),
		MessageID:          id + ".dsn@" + host,
		OriginalEnvelopeID: it.envid,
		ReportingMTA:       esmtp.DNS(host),
		ArrivalDate:        it.arrived,
		Returned:           data,
	}
	var text strings.Builder
	fmt.Fprintf(&text, "This is the mail system at host %s.\n\n", host)
	switch {
	case failed:
		r.Subject = "Undelivered Mail Returned to Sender"
		text.WriteString("Your message could not be delivered to one or more recipients.\n")
	case delayed:
		r.Subject = "Delayed Mail (still being retried)"
		text.WriteString("Your message could not be delivered yet; the mail system keeps trying.\n")
	default:
		r.Subject = "Successful Mail Delivery Report"
		text.WriteString("Your message was delivered or passed on as you asked to be told.\n")
	}
	text.WriteString("The report below says what happened to each of them.\n\n")
	for _, n := range notes {
		rs := esmtp.RecipientStatus{
			FinalRecipient:  esmtp.RFC822(n.rcpt),
			Action:          n.action,
			Status:          n.status,
			LastAttemptDate: r.Date,
			WillRetryUntil:  n.retryUntil,
		}
		if o := it.dsn[n.rcpt].ORcpt; o != nil {
			rs.OriginalRecipient = esmtp.TypedValue{Type: o.AddrType, Value: o.Addr}
		}
		if n.remote != "" {
			rs.RemoteMTA = esmtp.DNS(n.remote)
		}
		if n.diag != "" {
			rs.DiagnosticCode = esmtp.SMTPDiagnostic(n.diag)
		}
		r.Recipients = append(r.Recipients, rs)
		why := n.text
		if why == "" && n.diag != "" {
			why = n.diag
			if n.remote != "" {
				why = n.remote + " said: " + n.diag
			}
		}
		if why == "" {
			why = string(n.action)
		}
		fmt.Fprintf(&text, "<%s>: %s\n", n.rcpt, why)
	}
	r.Text = text.String()
	// The whole message only for a failure, and only unless RET=HDRS.
	if !failed || it.ret == esmtp.RetHdrs {
		r.Returned, r.ReturnedHeadersOnly = headerSection(data), true
	}
	// esmtp.Report writes "Auto-Submitted: auto-replied" (RFC 3834 §5)
	// itself.
	b, err := r.Bytes()
	if err == nil && int64(len(b)) > q.lim.MessageBytes && !r.ReturnedHeadersOnly {
		r.Returned, r.ReturnedHeadersOnly = headerSection(data), true
		b, err = r.Bytes()
	}
	if err == nil && int64(len(b)) > q.lim.MessageBytes && r.Returned != nil {
		// Even the header section is too large: report without it rather
		// than never report (the recipient would stay queued for ever).
		r.Returned, r.ReturnedHeadersOnly = nil, false
		b, err = r.Bytes()
	}
	if err != nil {
		return nil, fmt.Errorf("quickstart: building a DSN: %w", err)
	}
	if int64(len(b)) > q.lim.MessageBytes {
		return nil, errors.New("quickstart: DSN larger than the queue's message limit")
	}
	return b, nil
}

// headerSection returns the header of a message: everything before the
// first empty line, with the line break that ends the last field.
func headerSection(msg []byte) []byte {
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		return msg[:i+2]
	}
	if i := bytes.Index(msg, []byte("\n\n")); i >= 0 {
		return msg[:i+1]
	}
	return msg
}

// reconcileLocked finishes what a stop between storing a notification
// and updating the original left undone: a recipient that a notification
// in the spool reports on is removed from the original's file. Called by
// load with q.mu held, before any delivery.
func (q *queue) reconcileLocked() error {
	byID := map[string]*queued{}
	for _, it := range q.items {
		byID[it.id] = it
	}
	changed := false
	for _, d := range q.items {
		o := byID[d.dsnFor]
		if d.dsnFor == "" || o == nil || o == d {
			continue
		}
		done := map[string]bool{}
		for _, r := range d.dsnRcpt {
			done[r] = true
		}
		var rest []string
		for _, r := range o.rcpts {
			if !done[r] {
				rest = append(rest, r)
			}
		}
		if len(rest) == len(o.rcpts) {
			continue
		}
		f, li, err := q.spool.open(spoolPrefix + o.id)
		if err != nil {
			return fmt.Errorf("quickstart: reconciling %s with its notification %s: %w", o.id, d.id, err)
		}
		o.rcpts = rest
		err = q.saveErr(o, f, li.off)
		f.Close()
		if err != nil {
			return fmt.Errorf("quickstart: reconciling %s with its notification %s: %w", o.id, d.id, err)
		}
		changed = true
		q.m.events.add(Event{Hop: "queue", Kind: KindDSNReconciled, To: strings.Join(d.dsnRcpt, ","),
			Result: fmt.Sprintf("queue id %s: recipients already reported in %s removed", o.id, d.id)})
	}
	if changed {
		kept := q.items[:0]
		for _, it := range q.items {
			if len(it.rcpts) > 0 {
				kept = append(kept, it)
			} else {
				q.bytes -= it.size
			}
		}
		clear(q.items[len(kept):])
		q.items = kept
	}
	return nil
}
