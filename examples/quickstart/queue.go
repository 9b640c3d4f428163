package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailkit-go/mailkit/esmtp"
	"github.com/mailkit-go/mailkit/mx"
	"github.com/mailkit-go/mailkit/smtp"
)

// queue holds accepted mail and delivers it: to the local Maildirs for
// local domains, otherwise to the next hop that package mx chooses,
// through the smtp client, passing on the RFC 3461 DSN parameters when the
// next hop offers DSN. It sends delivery status notifications for
// permanent failures and expiry (and success reports where NOTIFY asks for
// them), built with esmtp and queued like any other message; see dsn.go.
//
// The queue is durable: reservation.commit writes the message and its
// envelope to a file in Config.SpoolDir (format and write protocol in
// spool.go) and fsyncs the file and the directory before it returns, and
// the submission backend returns from Data, which lets the server answer
// 250, only after that. Every later change (a recipient delivered or
// bounced, the attempt count and next-try time after a temporary failure)
// replaces the file atomically; the file is removed, and the directory
// synced, once no recipient is left. A notification about a recipient is
// written to the spool before the original's file loses that recipient,
// and a restart between the two writes finishes the second one (dsn.go),
// so a notification is neither lost nor generated twice (delivering it is
// then at least once, like any queued message). MTA.Start loads whatever
// a previous run left in the spool (creating and syncing the directory if
// it is missing; only its immediate parent is synced). The queue is
// bounded (QueueLimits): when full it refuses new mail with 452 4.3.1
// instead of growing.
//
// What it does not guarantee:
//   - delivery is at least once, not exactly once: a crash after the next
//     hop said 250 but before the file was rewritten sends the message to
//     those recipients again after restart;
//   - there is no locking between processes: two MTAs sharing a spool
//     directory deliver the same messages twice and undo each other's
//     updates;
//   - each update rewrites the whole file, message data included, which is
//     fine for a demo's small messages and slow for a busy queue of large
//     ones (a real MTA keeps the envelope in a file of its own);
//   - local deliveries are at least once too: a crash after the Maildir
//     delivery but before the file was rewritten delivers again;
//   - a "delayed" notice (NOTIFY=DELAY, after the third failed attempt)
//     is at least once: a crash after storing it but before the attempt
//     was recorded sends another;
//   - the Diagnostic-Code of a delay or expiry report is the last
//     temporary reply seen since the MTA started (not kept on disk).
//
// Flush makes one delivery attempt for every message that is due; a real
// MTA calls it from a timer, the demo calls it by hand so that the retry
// schedule runs on the simulated clock.
type queue struct {
	m      *MTA
	router *mx.Router
	sel    *mx.Selector
	spool  *spool
	lim    QueueLimits
	// crashAfterDSN, when set and returning true, stops an attempt right
	// after a notification was stored, before the original's spool file
	// is updated, as if the process had died there (tests only).
	crashAfterDSN func() bool

	flushMu sync.Mutex // one Flush at a time: it owns the queued items' fields
	mu      sync.Mutex // guards the fields below
	lastID  uint64     // the last queue id handed out, as a number
	idMark  uint64     // the id mark on disk: ids up to it are taken
	items   []*queued
	bytes   int64 // message data held by items
	// Reservations for messages being received or written.
	reservedN     int
	reservedBytes int64
}

type queued struct {
	id       string
	from     string
	rcpts    []string // recipients still to deliver
	size     int64    // length of the message data
	arrived  time.Time
	attempts int
	next     time.Time
	// RFC 3461 parameters, kept in the spool.
	ret   esmtp.Ret
	envid string
	dsn   map[string]rcptDSN // by recipient address
	// For a notification the queue generated: the message and recipients
	// it reports on (see reconcile).
	dsnFor  string
	dsnRcpt []string
	// lastErr is the last temporary failure per recipient, for the
	// report when the message expires. Memory only: after a restart an
	// expiry report has no Diagnostic-Code for earlier attempts.
	lastErr map[string]tempFailure
}

// tempFailure is a temporary SMTP reply and the host that gave it.
type tempFailure struct {
	reply  *smtp.Error
	remote string // "" for a local delivery
}

func (it *queued) envelope() *spoolEnvelope {
	return &spoolEnvelope{ID: it.id, From: it.from, Rcpts: it.rcpts, Arrived: it.arrived,
		Attempts: it.attempts, Next: it.next, Size: it.size,
		Ret: it.ret, EnvID: it.envid, RcptDSN: it.dsn, DSNFor: it.dsnFor, DSNRcpt: it.dsnRcpt}
}

func fromEnvelope(e *spoolEnvelope) *queued {
	return &queued{id: e.ID, from: e.From, rcpts: e.Rcpts, size: e.Size,
		arrived: e.Arrived, attempts: e.Attempts, next: e.Next,
		ret: e.Ret, envid: e.EnvID, dsn: e.RcptDSN, dsnFor: e.DSNFor, dsnRcpt: e.DSNRcpt}
}

const (
	retryFirst = time.Minute        // first retry after a temporary failure
	retryMax   = time.Hour          // back-off cap
	maxAge     = 5 * 24 * time.Hour // then the message bounces
)

// errQueueFull is the reply when the queue is at its limits.
var errQueueFull = &smtp.Error{Code: 452, Enhanced: esmtp.EnhancedCode{Class: 4, Subject: 3, Detail: 1},
	Message: "Insufficient system storage, queue full, try again later"}

func newQueue(m *MTA) *queue {
	lim := m.cfg.QueueLimits.withDefaults()
	return &queue{m: m, router: &mx.Router{Resolver: m.cfg.Resolver}, sel: &mx.Selector{Now: m.cfg.Now}, lim: lim,
		spool: &spool{dir: m.cfg.SpoolDir, maxMessage: lim.MessageBytes, logger: m.logger()}}
}

// load reads the spool into the queue; MTA.Start calls it once before
// the listeners accept mail.
func (q *queue) load() error {
	if q.spool.dir == "" {
		return errors.New("quickstart: Config.SpoolDir is not set")
	}
	items, rep, err := q.spool.load()
	if err != nil {
		return fmt.Errorf("quickstart: loading the spool: %w", err)
	}
	for _, name := range rep.Removed {
		q.m.events.add(Event{Hop: "queue", Kind: KindSpoolTempRemoved, Result: "removed unfinished write " + name})
	}
	for _, c := range rep.Corrupt {
		q.m.events.add(Event{Hop: "queue", Kind: KindSpoolCorrupt, Result: c})
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.lastID, q.idMark = rep.IDMark, rep.IDMark
	for _, li := range items {
		e := li.env
		it := fromEnvelope(e)
		q.items = append(q.items, it)
		q.bytes += e.Size
		if n, err := strconv.ParseUint(e.ID, 16, 64); err == nil && n > q.lastID {
			q.lastID = n
		}
		q.m.events.add(Event{Hop: "queue", Kind: KindSpoolLoaded, From: e.From, To: strings.Join(e.Rcpts, ","),
			Result: fmt.Sprintf("queue id %s from the spool, %d attempt(s) so far, next try at %s",
				e.ID, e.Attempts, e.Next.Format(time.RFC3339))})
	}
	return q.reconcileLocked()
}

// idBlock is how far ahead of the id it hands out newID moves the id mark
// (10 s of microseconds), so that the mark is written about once per 10 s
// of traffic rather than for every message.
const idBlock = 10_000_000

// newID returns a queue id that no message in this spool has had before:
// the current time in microseconds, or one more than the last id if that
// is not larger (16 hex digits). Ids found in the spool and the id mark
// count as handed out; before an id passes the mark, the mark is moved
// ahead and synced, so that even a restart on an empty spool with a clock
// that went back never repeats an id. Call with q.mu held.
func (q *queue) newID() (string, error) {
	n := uint64(0)
	if us := q.m.now().UnixMicro(); us > 0 {
		n = uint64(us)
	}
	if n <= q.lastID {
		n = q.lastID + 1
	}
	if n > q.idMark {
		mark := n + idBlock
		if err := q.spool.writeMark(mark); err != nil {
			return "", fmt.Errorf("quickstart: writing the queue id mark: %w", err)
		}
		q.idMark = mark
	}
	q.lastID = n
	return fmt.Sprintf("%016x", n), nil
}

// full reports whether the queue would refuse a new message of size
// bytes.
func (q *queue) full(size int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.fullLocked(size)
}

func (q *queue) fullLocked(size int64) bool {
	return len(q.items)+q.reservedN >= q.lim.Messages || q.bytes+q.reservedBytes+size > q.lim.Bytes
}

// reservation holds room in the queue for one message while it is being
// received; commit writes it to the spool, release gives the room back.
type reservation struct {
	q    *queue
	size int64
	done bool
}

// reserve takes room for a message of size bytes, or returns a 452
// (552 for a message over the per-message limit) without side effects.
func (q *queue) reserve(size int64) (*reservation, error) {
	if size > q.lim.MessageBytes {
		return nil, &smtp.Error{Code: 552, Enhanced: esmtp.EnhancedCode{Class: 5, Subject: 3, Detail: 4},
			Message: "Message too big for the queue"}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fullLocked(size) {
		return nil, errQueueFull
	}
	q.reservedN++
	q.reservedBytes += size
	return &reservation{q: q, size: size}, nil
}

func (r *reservation) release() {
	if r.done {
		return
	}
	r.done = true
	r.q.mu.Lock()
	r.q.reservedN--
	r.q.reservedBytes -= r.size
	r.q.mu.Unlock()
}

// inbound is what the submission server accepted: the envelope with its
// DSN parameters.
type inbound struct {
	from  string
	rcpts []string
	ret   esmtp.Ret
	envid string
	dsn   map[string]rcptDSN
}

// commit stores the message durably. When it returns nil the spool file
// and its directory entry are on disk; the message is not yet in the
// queue: the caller may first deliver the local recipients (attempt with
// localOnly) and then hands it over with enqueue.
func (r *reservation) commit(ctx context.Context, in inbound, data []byte) (*queued, error) {
	q := r.q
	if int64(len(data)) != r.size {
		return nil, errors.New("quickstart: message size differs from the reservation")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q.mu.Lock()
	now := q.m.now()
	id, err := q.newID()
	q.mu.Unlock()
	if err != nil {
		return nil, err
	}
	it := &queued{id: id, from: in.from, rcpts: append([]string(nil), in.rcpts...),
		size: r.size, arrived: now, next: now, ret: in.ret, envid: in.envid, dsn: in.dsn}
	if _, err := q.spool.write(it.envelope(), bytes.NewReader(data)); err != nil {
		// Whether or not the file made it, the client gets a temporary
		// error and will send again; do not leave a copy behind.
		_ = q.spool.remove(it.id)
		return nil, fmt.Errorf("quickstart: spooling message: %w", err)
	}
	for _, to := range in.rcpts {
		q.m.events.add(Event{Hop: "queue", Kind: KindQueued, From: in.from, To: to,
			Result: fmt.Sprintf("queue id %s, on disk as %s%s (fsynced before the 250)", it.id, spoolPrefix, it.id)})
	}
	return it, nil
}

// enqueue hands a committed message to the queue, in place of the room
// reserved for it; one without recipients left (all delivered locally)
// is not queued.
func (r *reservation) enqueue(it *queued) {
	q := r.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if !r.done {
		r.done = true
		q.reservedN--
		q.reservedBytes -= r.size
	}
	if len(it.rcpts) > 0 {
		q.items = append(q.items, it)
		q.bytes += it.size
	}
}

// Len returns the number of messages waiting.
func (q *queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Flush tries every due message once. A notification that an attempt
// queued is due at once and tried in the same Flush (in a second round;
// notifications never cause notifications, so two rounds suffice).
func (q *queue) Flush(ctx context.Context) {
	q.flushMu.Lock()
	defer q.flushMu.Unlock()
	tried := map[*queued]bool{}
	for range 3 {
		q.mu.Lock()
		now := q.m.now()
		var due []*queued
		for _, it := range q.items {
			if !tried[it] && len(it.rcpts) > 0 && !it.next.After(now) {
				due = append(due, it)
			}
		}
		q.mu.Unlock()
		if len(due) == 0 {
			break
		}
		for _, it := range due {
			tried[it] = true
			q.attempt(ctx, it, "queue", false)
		}
	}
	q.mu.Lock()
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
	q.mu.Unlock()
}

// save makes the spool file agree with it: rewritten while recipients
// remain, removed when none does. f is the file the attempt opened and
// off the data's offset in it (renaming a new file over the name leaves
// f readable). A failure is logged: the old file stays, so a restart
// repeats what it recorded.
func (q *queue) save(it *queued, f *os.File, off int64) {
	if err := q.saveErr(it, f, off); err != nil {
		q.m.logger().Error("quickstart: updating a spool file", "id", it.id, "err", err)
	}
}

func (q *queue) saveErr(it *queued, f *os.File, off int64) error {
	if len(it.rcpts) == 0 {
		return q.spool.remove(it.id)
	}
	_, err := q.spool.write(it.envelope(), io.NewSectionReader(f, off, it.size))
	return err
}

// attempt delivers one message, one transaction per recipient domain
// (local domains go to the Maildirs), and records the outcome in the
// spool after each transaction that settled a recipient and after the
// attempt. Before a settled recipient leaves the spool file, the
// notification it asked for (see notify) is stored durably.
//
// With localOnly it delivers only the recipients in local domains and
// leaves the others, the attempt counter and the schedule alone: the
// submission backend does this right after spooling a message. hop
// names the hop in the events.
func (q *queue) attempt(ctx context.Context, it *queued, hop string, localOnly bool) {
	// The file, not memory, says where the data starts: the header's
	// length changes with every rewrite.
	name := spoolPrefix + it.id
	f, li, err := q.spool.open(name)
	if err == nil && (li.env.Size != it.size || li.env.ID != it.id) {
		f.Close()
		err = &SpoolError{Reason: "message size changed on disk", Err: ErrSpoolSize}
	}
	var se *SpoolError
	switch {
	case err == nil:
	case errors.Is(err, os.ErrNotExist):
		// Removed behind our back: nothing left to send.
		q.m.logger().Error("quickstart: spool file disappeared", "id", it.id)
		for _, to := range it.rcpts {
			q.m.events.add(Event{Hop: "queue", Kind: KindBounced, From: it.from, To: to, Result: "spool file disappeared"})
		}
		it.rcpts = nil
		return
	case errors.As(err, &se):
		// Damaged since it was written: keep it for a human, stop here.
		dst, qerr := q.spool.quarantine(name)
		q.m.logger().Error("quickstart: corrupt spool file", "id", it.id, "err", err, "moved_to", dst, "move_err", qerr)
		if qerr != nil {
			it.next = q.m.now().Add(retryMax)
			return
		}
		q.m.events.add(Event{Hop: "queue", Kind: KindSpoolCorrupt, From: it.from, To: strings.Join(it.rcpts, ","),
			Result: fmt.Sprintf("%s -> %s: %v", name, dst, err)})
		it.rcpts = nil
		return
	default:
		q.m.logger().Error("quickstart: opening a spool file", "id", it.id, "err", err)
		it.next = q.m.now().Add(retryFirst)
		return
	}
	defer f.Close()
	off := li.off
	body := func() io.Reader { return io.NewSectionReader(f, off, it.size) }

	if !localOnly {
		it.attempts++
	}
	byDomain := map[string][]string{}
	var untouched []string // recipients this attempt leaves alone
	for _, to := range it.rcpts {
		_, d, _ := strings.Cut(to, "@")
		d = strings.ToLower(d)
		if localOnly && !q.m.isLocal(d) {
			untouched = append(untouched, to)
			continue
		}
		byDomain[d] = append(byDomain[d], to)
	}
	domains := make([]string, 0, len(byDomain))
	for d := range byDomain {
		domains = append(domains, d)
	}
	sort.Strings(domains)
	var left []string
	for i, d := range domains {
		retry, notes := q.deliverDomain(ctx, it, d, byDomain[d], body, hop)
		if len(retry) == len(byDomain[d]) {
			left = append(left, retry...)
			continue // nothing settled
		}
		// Some recipients were delivered or bounced: store the
		// notifications, then record that in the spool before the next
		// transaction, so that a crash does not repeat it.
		keep, dsn, crashed := q.notify(ctx, it, notes, body)
		if crashed {
			return
		}
		left = append(left, retry...)
		left = append(left, keep...)
		rest := append([]string(nil), left...)
		for _, d2 := range domains[i+1:] {
			rest = append(rest, byDomain[d2]...)
		}
		it.rcpts = append(rest, untouched...)
		q.save(it, f, off)
		q.admit(dsn)
	}
	it.rcpts = append(left, untouched...)
	if localOnly {
		return
	}
	if len(left) == 0 {
		if len(domains) == 0 {
			q.save(it, f, off) // no recipients at all: remove the file
		}
		return
	}
	now := q.m.now()
	if now.Sub(it.arrived) >= maxAge {
		var notes []dsnNote
		for _, to := range left {
			q.m.events.add(Event{Hop: "queue", Kind: KindBounced, From: it.from, To: to, Result: "expired after " + maxAge.String()})
			n := dsnNote{rcpt: to, action: esmtp.ActionFailed, status: codeExpired,
				text: "delivery time expired after " + maxAge.String()}
			if tf, ok := it.lastErr[to]; ok {
				n.diag, n.remote = replyString(tf.reply), tf.remote
			}
			notes = append(notes, n)
		}
		keep, dsn, crashed := q.notify(ctx, it, notes, body)
		if crashed {
			return
		}
		it.rcpts = keep
		it.next = now.Add(retryMax) // only if a notification could not be stored
		q.save(it, f, off)
		q.admit(dsn)
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
	if it.attempts == delayNoticeAfter {
		// One "delayed" notice for the recipients that asked for it
		// (NOTIFY=DELAY). The recipients stay queued, so the notice is
		// not linked to them for reconciliation: a crash before the
		// save below can repeat it.
		var notes []dsnNote
		for _, to := range left {
			n := dsnNote{rcpt: to, action: esmtp.ActionDelayed, status: esmtp.EnhancedCode{Class: 4, Subject: 0, Detail: 0},
				retryUntil: it.arrived.Add(maxAge), text: fmt.Sprintf("still trying after %d attempts", it.attempts)}
			if tf, ok := it.lastErr[to]; ok {
				n.diag, n.remote = replyString(tf.reply), tf.remote
				if tf.reply.Enhanced.Valid() && tf.reply.Enhanced.Class == 4 {
					n.status = tf.reply.Enhanced
				}
			}
			notes = append(notes, n)
		}
		_, dsn, crashed := q.notify(ctx, it, notes, body)
		if crashed {
			return
		}
		q.save(it, f, off)
		q.admit(dsn)
		return
	}
	q.save(it, f, off)
}

// delayNoticeAfter is the attempt after whose temporary failure a
// recipient with NOTIFY=DELAY is told that delivery is delayed (once).
const delayNoticeAfter = 3

// codeExpired is the status of a message that stayed in the queue too
// long (RFC 3463: 4.4.7, permanent here since the queue gives up).
var codeExpired = esmtp.EnhancedCode{Class: 5, Subject: 4, Detail: 7}

// deliverDomain sends to the recipients of one domain and returns those
// that should be retried, and a note for each recipient it settled that
// may call for a notification: failed ones, those relayed to a next hop
// without DSN, and local deliveries. body returns a fresh reader of the
// message data.
func (q *queue) deliverDomain(ctx context.Context, it *queued, domain string, rcpts []string, body func() io.Reader, hop string) (retry []string, notes []dsnNote) {
	if q.m.isLocal(domain) {
		return q.deliverLocal(ctx, it, rcpts, body, hop)
	}
	// fail settles rs after err: retried when temporary, else bounced.
	fail := func(err error, rs []string, remote string) []string {
		if !isPermanent(err) {
			for _, to := range rs {
				q.noteTemporary(it, to, err, remote)
			}
			return rs
		}
		why := err.Error()
		var se *smtp.Error
		if errors.As(err, &se) {
			why = replyString(se)
			if remote != "" {
				why = remote + " said: " + why
			}
		}
		for _, to := range rs {
			q.m.events.add(Event{Hop: "queue", Kind: KindBounced, From: it.from, To: to, Result: why})
			notes = append(notes, failureNote(to, err, remote))
		}
		return nil
	}
	targets, err := q.router.Lookup(ctx, domain)
	if err != nil {
		return fail(err, rcpts, ""), notes
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
			res, hopDSN, err := q.send(ctx, t.Host, hostport, it, rcpts, body())
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
				return fail(err, rcpts, t.Host), notes
			}
			for _, r := range res.Rcpts {
				if r.Err == nil {
					detail := ""
					if !hopDSN {
						detail = "next hop does not offer DSN"
						notes = append(notes, dsnNote{rcpt: r.Addr, action: esmtp.ActionRelayed,
							status: esmtp.EnhancedCode{Class: 2, Subject: 0, Detail: 0}, remote: t.Host,
							diag: "250 " + res.Reply})
					}
					q.m.events.add(Event{Hop: "queue", Kind: KindForwarded, From: it.from, To: r.Addr,
						Result: fmt.Sprintf("%s said: 250 %s", t.Host, res.Reply), Detail: detail})
					continue
				}
				if smtp.IsTemporary(r.Err) {
					q.m.events.add(Event{Hop: "queue", Kind: KindDeferred, From: it.from, To: r.Addr,
						Result: fmt.Sprintf("%s said: %s", t.Host, replyString(r.Err))})
				}
				retry = append(retry, fail(r.Err, []string{r.Addr}, t.Host)...)
			}
			return retry, notes
		}
	}
	return fail(lastErr, rcpts, ""), notes
}

// deliverLocal stores the message in the Maildirs of local recipients.
func (q *queue) deliverLocal(ctx context.Context, it *queued, rcpts []string, body func() io.Reader, hop string) (retry []string, notes []dsnNote) {
	data, err := io.ReadAll(body())
	if err != nil {
		q.m.logger().Error("quickstart: reading a spooled message", "id", it.id, "err", err)
		return rcpts, nil
	}
	for _, to := range rcpts {
		if !q.m.store.exists(to) {
			err := &smtp.Error{Code: 550, Enhanced: esmtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1},
				Message: "<" + to + ">: Recipient address rejected: User unknown"}
			q.m.events.add(Event{Hop: hop, Kind: KindBounced, From: it.from, To: to, Result: replyString(err)})
			notes = append(notes, failureNote(to, err, ""))
			continue
		}
		msg, err := q.m.store.deliver(ctx, to, data)
		if err != nil {
			q.m.logger().Error("quickstart: local delivery", "id", it.id, "to", to, "err", err)
			q.m.events.add(Event{Hop: hop, Kind: KindDeferred, From: it.from, To: to, Result: "local delivery failed, will retry"})
			q.noteTemporary(it, to, err, "")
			retry = append(retry, to)
			continue
		}
		what := ""
		if it.from == "" {
			what = ", MAIL FROM:<>"
		}
		q.m.events.add(Event{Hop: hop, Kind: KindDelivered, From: it.from, To: to,
			Result: fmt.Sprintf("Maildir new/%s (%d bytes%s)", msg.Filename, len(data), what)})
		notes = append(notes, dsnNote{rcpt: to, action: esmtp.ActionDelivered,
			status: esmtp.EnhancedCode{Class: 2, Subject: 0, Detail: 0}})
	}
	return retry, notes
}

// noteTemporary remembers a temporary failure for a delay or expiry
// report.
func (q *queue) noteTemporary(it *queued, to string, err error, remote string) {
	if it.lastErr == nil {
		it.lastErr = map[string]tempFailure{}
	}
	var se *smtp.Error
	if errors.As(err, &se) {
		it.lastErr[to] = tempFailure{reply: se, remote: remote}
	} else {
		delete(it.lastErr, to) // not an SMTP reply: no Diagnostic-Code
	}
}

// isPermanent reports whether a delivery error is final: a 5xx reply or
// a permanent routing failure (no such domain, null MX). Anything else,
// network errors included, is retried until the message expires.
func isPermanent(err error) bool {
	var me *mx.Error
	if errors.As(err, &me) {
		return me.Permanent
	}
	return !smtp.IsTemporary(err)
}

// send runs one SMTP transaction with opportunistic STARTTLS, passing
// the DSN parameters on (the smtp client sends them only when the next
// hop offers DSN, which hopDSN reports). A nil Result means the session
// could not be set up.
func (q *queue) send(ctx context.Context, host, hostport string, it *queued, rcpts []string, data io.Reader) (res *smtp.Result, hopDSN bool, err error) {
	var tlsConf *tls.Config
	if q.m.cfg.OutboundTLS != nil {
		tlsConf = q.m.cfg.OutboundTLS.Clone()
		tlsConf.ServerName = host
	}
	c, err := smtp.Dial(ctx, hostport, &smtp.ClientOptions{LocalName: q.m.cfg.Hostname, TLSConfig: tlsConf})
	if err != nil {
		return nil, false, err
	}
	defer c.Close()
	env := &smtp.Envelope{From: it.from, To: rcpts,
		Mail: smtp.MailOptions{Return: smtp.DSNReturn(it.ret), EnvelopeID: it.envid}}
	if len(it.dsn) > 0 {
		env.Rcpt = make([]smtp.RcptOptions, len(rcpts))
		for i, to := range rcpts {
			env.Rcpt[i] = it.dsn[to].rcptOptions()
		}
	}
	res, err = c.Send(ctx, env, data)
	if res == nil {
		res = &smtp.Result{}
	}
	if err == nil {
		_ = c.Quit(ctx)
	}
	return res, c.Has(esmtp.DSN), err
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
