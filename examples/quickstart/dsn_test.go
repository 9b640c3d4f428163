package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
	"github.com/mailkit-go/mailkit/esmtp"
	"github.com/mailkit-go/mailkit/mx"
	"github.com/mailkit-go/mailkit/smtp"
	"github.com/mailkit-go/mailkit/tlsutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// captureHop is a next hop built on smtp.Server that records the MAIL and
// RCPT parameters it receives (smtptest keeps only MAIL's). With dsn off
// it does not offer DSN.
type captureHop struct {
	reject func(from, to string) error
	srv    *smtp.Server

	mu    sync.Mutex
	msgs  []hopMessage
	tries map[string]int // RCPT commands per recipient
}

type hopMessage struct {
	From  string
	Mail  smtp.MailOptions
	To    []string
	Rcpt  []smtp.RcptOptions // parallel to To
	Data  []byte
	Empty bool // MAIL FROM:<>
}

func startHop(t *testing.T, dsn bool, reject func(from, to string) error) (*captureHop, string) {
	t.Helper()
	h := &captureHop{reject: reject, tries: map[string]int{}}
	exts := []string{"PIPELINING", "SIZE", "ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8"}
	if dsn {
		exts = append(exts, "DSN")
	}
	h.srv = &smtp.Server{Backend: h, Hostname: remoteMXHost, Extensions: exts, OpenRelay: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- h.srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		assert.NoError(t, h.srv.Shutdown(ctx))
		assert.ErrorIs(t, <-done, smtp.ErrServerClosed)
	})
	return h, l.Addr().String()
}

func (h *captureHop) NewSession(context.Context, *smtp.ConnInfo) (smtp.Session, error) {
	return &hopSession{h: h}, nil
}

func (h *captureHop) Messages() []hopMessage {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hopMessage(nil), h.msgs...)
}

func (h *captureHop) Tries(to string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.tries[to]
}

type hopSession struct {
	h   *captureHop
	cur hopMessage
}

func (s *hopSession) Mail(_ context.Context, from string, o *smtp.MailOptions) error {
	s.cur = hopMessage{From: from, Mail: *o, Empty: from == ""}
	return nil
}

func (s *hopSession) Rcpt(_ context.Context, to string, o *smtp.RcptOptions) error {
	s.h.mu.Lock()
	s.h.tries[to]++
	s.h.mu.Unlock()
	if s.h.reject != nil {
		if err := s.h.reject(s.cur.From, to); err != nil {
			return err
		}
	}
	s.cur.To = append(s.cur.To, to)
	s.cur.Rcpt = append(s.cur.Rcpt, *o)
	return nil
}

func (s *hopSession) Data(_ context.Context, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = b
	s.h.mu.Lock()
	s.h.msgs = append(s.h.msgs, s.cur)
	s.h.mu.Unlock()
	return nil
}

func (s *hopSession) Reset(context.Context)        { s.cur = hopMessage{} }
func (s *hopSession) Logout(context.Context) error { return nil }

// newDSNEnv is a queue environment whose next hop is a captureHop
// (plain SMTP, opportunistic STARTTLS finds none).
func newDSNEnv(t *testing.T, dsn bool, reject func(from, to string) error) *queueEnv {
	t.Helper()
	z, err := dnstest.ParseZone(zone)
	require.NoError(t, err)
	ca, err := tlsutil.NewCA(nil)
	require.NoError(t, err)
	srvTLS, err := ca.ServerConfig(mxHost, "127.0.0.1")
	require.NoError(t, err)
	hop, addr := startHop(t, dsn, reject)
	_, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	port, err := strconv.Atoi(p)
	require.NoError(t, err)
	return &queueEnv{t: t, zone: z, ca: ca, srvTLS: srvTLS, hop: hop, port: port,
		clock: newSimClock(time.Date(2026, 11, 29, 19, 0, 0, 0, time.UTC)),
		root:  t.TempDir(), spool: filepath.Join(t.TempDir(), "spool")}
}

// reject550 refuses the given recipients permanently.
func reject550(addrs ...string) func(from, to string) error {
	return func(_, to string) error {
		for _, a := range addrs {
			if to == a {
				return &smtp.Error{Code: 550, Enhanced: esmtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1},
					Message: "<" + to + ">: no such user here"}
			}
		}
		return nil
	}
}

// mailbox returns the messages in a local user's Maildir.
func mailbox(t *testing.T, m *MTA, user string) [][]byte {
	t.Helper()
	ctx := context.Background()
	md, err := m.store.box(user)
	require.NoError(t, err)
	list, err := md.List(ctx)
	require.NoError(t, err)
	var out [][]byte
	for _, msg := range list {
		rc, err := md.Open(ctx, msg.Key)
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}

// onlyDSN returns the one message in alice's Maildir, parsed as a report.
func onlyDSN(t *testing.T, m *MTA) (*esmtp.Report, []byte) {
	t.Helper()
	msgs := mailbox(t, m, alice)
	require.Len(t, msgs, 1, "exactly one message in the sender's Maildir")
	r, err := esmtp.ParseReport(msgs[0])
	require.NoError(t, err)
	return r, msgs[0]
}

const bodyMarker = "The secret body line."

func dsnMessage(subject string) string {
	return "From: Alice <" + alice + ">\r\nTo: Dave <" + dave + ">\r\nSubject: " + subject + "\r\n\r\n" + bodyMarker + "\r\n"
}

func TestBounceOnPermanentFailure(t *testing.T) {
	t.Parallel()
	e := newDSNEnv(t, true, reject550(erin))
	m, log := e.start(QueueLimits{})
	env := &smtp.Envelope{From: alice, To: []string{dave, erin},
		Mail: smtp.MailOptions{EnvelopeID: "env-42 x"},
		Rcpt: []smtp.RcptOptions{{}, {OriginalRecipientType: "rfc822", OriginalRecipient: "Erin.Original@remote.test"}}}
	res, err := e.submitEnv(m, env, dsnMessage("partly refused"))
	require.NoError(t, err)
	id := queuedAs(t, res)

	m.queue.Flush(context.Background())

	msgs := e.hop.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, []string{dave}, msgs[0].To, "the other recipient was delivered")
	assert.Equal(t, alice, msgs[0].From)

	r, raw := onlyDSN(t, m)
	assert.Equal(t, "Undelivered Mail Returned to Sender", r.Subject)
	assert.Contains(t, r.From, "MAILER-DAEMON@"+mxHost)
	assert.Equal(t, alice, r.To)
	assert.Equal(t, "env-42 x", r.OriginalEnvelopeID, "ENVID in the report")
	assert.Equal(t, esmtp.DNS(mxHost), r.ReportingMTA)
	assert.True(t, r.ArrivalDate.Equal(e.clock.Now()), "arrival %v", r.ArrivalDate)
	require.Len(t, r.Recipients, 1, "only the failed recipient")
	rs := r.Recipients[0]
	assert.Equal(t, esmtp.RFC822(erin), rs.FinalRecipient)
	assert.Equal(t, esmtp.TypedValue{Type: "rfc822", Value: "Erin.Original@remote.test"}, rs.OriginalRecipient, "ORCPT in the report")
	assert.Equal(t, esmtp.ActionFailed, rs.Action)
	assert.Equal(t, "5.1.1", rs.Status.String())
	assert.Equal(t, "smtp", rs.DiagnosticCode.Type)
	assert.Contains(t, rs.DiagnosticCode.Value, "550 5.1.1 <"+erin+">: no such user here", "remote reply as Diagnostic-Code")
	assert.Equal(t, esmtp.DNS(remoteMXHost), rs.RemoteMTA)
	assert.False(t, r.ReturnedHeadersOnly, "whole message returned by default")
	assert.Contains(t, string(r.Returned), bodyMarker)
	assert.Contains(t, r.Text, erin)
	hdr := string(headerSection(raw))
	assert.Equal(t, 1, strings.Count(hdr, "Auto-Submitted:"), "exactly one Auto-Submitted field: %q", hdr)
	assert.Contains(t, hdr, "Auto-Submitted: auto-replied\r\n")

	dsnEvents := find(log.Events(), KindDSN, "queue", alice)
	require.Len(t, dsnEvents, 1)
	assert.Len(t, find(log.Events(), KindBounced, "queue", erin), 1)
	assert.Empty(t, e.spoolFiles(), "original and notification both done")
	assert.Equal(t, 0, m.queue.Len())
	_ = id

	// Nothing more on another flush or after a restart.
	m.queue.Flush(context.Background())
	e.stop(m)
	m2, _ := e.start(QueueLimits{})
	m2.queue.Flush(context.Background())
	assert.Len(t, mailbox(t, m2, alice), 1)
	assert.Len(t, e.hop.Messages(), 1)
	assert.Equal(t, 1, e.hop.Tries(erin))
}

func TestBounceExpired(t *testing.T) {
	t.Parallel()
	e := newDSNEnv(t, true, func(string, string) error {
		return &smtp.Error{Code: 451, Enhanced: esmtp.EnhancedCode{Class: 4, Subject: 3, Detail: 0}, Message: "try later"}
	})
	m, log := e.start(QueueLimits{})
	_, err := e.submit(m, []string{dave}, dsnMessage("expires"))
	require.NoError(t, err)
	m.queue.Flush(context.Background())
	require.Len(t, find(log.Events(), KindDeferred, "queue", dave), 2, "the reply and the schedule")
	assert.Empty(t, mailbox(t, m, alice), "no DSN for a temporary failure")

	e.clock.Advance(maxAge) // simulated: five days pass
	m.queue.Flush(context.Background())
	r, _ := onlyDSN(t, m)
	require.Len(t, r.Recipients, 1)
	rs := r.Recipients[0]
	assert.Equal(t, esmtp.ActionFailed, rs.Action)
	assert.Equal(t, "5.4.7", rs.Status.String())
	assert.Contains(t, rs.DiagnosticCode.Value, "451 4.3.0 try later", "the last temporary reply")
	assert.Contains(t, r.Text, "expired")
	assert.Empty(t, e.spoolFiles())
	assert.Equal(t, 0, m.queue.Len())
}

func TestBounceNullMX(t *testing.T) {
	t.Parallel()
	e := newDSNEnv(t, true, nil)
	require.NoError(t, e.zone.Add("nomail.test. 300 IN MX 0 ."))
	m, _ := e.start(QueueLimits{})
	_, err := e.submit(m, []string{"zed@nomail.test"}, dsnMessage("null MX"))
	require.NoError(t, err)
	m.queue.Flush(context.Background())
	r, _ := onlyDSN(t, m)
	require.Len(t, r.Recipients, 1)
	assert.Equal(t, "5.1.10", r.Recipients[0].Status.String(), "mx's suggested code for a null MX")
	assert.True(t, r.Recipients[0].RemoteMTA.IsZero(), "no host was reached")
	assert.Empty(t, e.hop.Messages())
	assert.Empty(t, e.spoolFiles())
}

// writeSpoolFile puts a message into the spool directory as a previous
// run would have left it.
func writeSpoolFile(t *testing.T, e *queueEnv, env *spoolEnvelope, data string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(e.spool, 0o700))
	env.Size = int64(len(data))
	hdr, err := env.encodeHeader()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(e.spool, spoolPrefix+env.ID), concat(hdr, data), 0o600))
}

func TestNullSenderNeverBounced(t *testing.T) {
	t.Parallel()
	e := newDSNEnv(t, true, reject550(dave))
	writeSpoolFile(t, e, &spoolEnvelope{ID: "7000000000000000", From: "", Rcpts: []string{dave},
		Arrived: e.clock.Now(), Next: e.clock.Now()}, dsnMessage("a bounce itself"))
	m, log := e.start(QueueLimits{})
	m.queue.Flush(context.Background())
	assert.Len(t, find(log.Events(), KindBounced, "queue", dave), 1)
	assert.Empty(t, find(log.Events(), KindDSN, "", ""), "no DSN about a DSN")
	assert.Empty(t, e.spoolFiles())
	assert.Equal(t, 0, m.queue.Len())
	assert.Empty(t, e.hop.Messages())
	assert.Empty(t, mailbox(t, m, alice))
}

func TestBounceToRemoteSender(t *testing.T) {
	t.Parallel()
	e := newDSNEnv(t, true, reject550(erin))
	writeSpoolFile(t, e, &spoolEnvelope{ID: "7000000000000000", From: carol, Rcpts: []string{erin},
		Arrived: e.clock.Now(), Next: e.clock.Now(), EnvID: "carol-1"}, dsnMessage("from carol"))
	m, log := e.start(QueueLimits{})
	m.queue.Flush(context.Background())
	require.Len(t, find(log.Events(), KindDSN, "queue", carol), 1)
	msgs := e.hop.Messages()
	require.Len(t, msgs, 1, "the DSN went to carol's MX in the same flush")
	assert.True(t, msgs[0].Empty, "MAIL FROM:<>")
	assert.Equal(t, []string{carol}, msgs[0].To)
	r, err := esmtp.ParseReport(msgs[0].Data)
	require.NoError(t, err)
	assert.Equal(t, "carol-1", r.OriginalEnvelopeID)
	require.Len(t, r.Recipients, 1)
	assert.Equal(t, esmtp.RFC822(erin), r.Recipients[0].FinalRecipient)
	assert.Empty(t, e.spoolFiles())
}

func TestBounceNotify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		notify []smtp.DSNNotify
		dsn    bool
	}{
		{"absent means FAILURE", nil, true},
		{"FAILURE", []smtp.DSNNotify{smtp.NotifyFailure}, true},
		{"NEVER", []smtp.DSNNotify{smtp.NotifyNever}, false},
		{"SUCCESS only", []smtp.DSNNotify{smtp.NotifySuccess}, false},
		{"DELAY only", []smtp.DSNNotify{smtp.NotifyDelay}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newDSNEnv(t, true, reject550(dave))
			m, log := e.start(QueueLimits{})
			_, err := e.submitEnv(m, &smtp.Envelope{From: alice, To: []string{dave},
				Rcpt: []smtp.RcptOptions{{Notify: tc.notify}}}, dsnMessage("notify"))
			require.NoError(t, err)
			m.queue.Flush(context.Background())
			assert.Len(t, find(log.Events(), KindBounced, "queue", dave), 1)
			if tc.dsn {
				r, _ := onlyDSN(t, m)
				assert.Equal(t, esmtp.ActionFailed, r.Recipients[0].Action)
			} else {
				assert.Empty(t, mailbox(t, m, alice))
				assert.Empty(t, find(log.Events(), KindDSN, "", ""))
			}
			assert.Empty(t, e.spoolFiles())
		})
	}
}

func TestBounceRet(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		ret         smtp.DSNReturn
		headersOnly bool
	}{
		{"HDRS", smtp.ReturnHeaders, true},
		{"FULL", smtp.ReturnFull, false},
		{"absent", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newDSNEnv(t, true, reject550(dave))
			m, _ := e.start(QueueLimits{})
			_, err := e.submitEnv(m, &smtp.Envelope{From: alice, To: []string{dave},
				Mail: smtp.MailOptions{Return: tc.ret}}, dsnMessage("ret "+tc.name))
			require.NoError(t, err)
			m.queue.Flush(context.Background())
			r, raw := onlyDSN(t, m)
			assert.Equal(t, tc.headersOnly, r.ReturnedHeadersOnly)
			assert.Contains(t, string(r.Returned), "Subject: ret "+tc.name)
			if tc.headersOnly {
				assert.NotContains(t, string(raw), bodyMarker, "RET=HDRS: no body anywhere in the DSN")
				assert.Contains(t, string(raw), "text/rfc822-headers")
			} else {
				assert.Contains(t, string(r.Returned), bodyMarker)
				assert.Contains(t, string(raw), "message/rfc822")
			}
		})
	}
}

func TestDSNParamsReachNextHop(t *testing.T) {
	t.Parallel()
	e := newDSNEnv(t, true, nil)
	m1, _ := e.start(QueueLimits{})
	env := &smtp.Envelope{From: alice, To: []string{dave, erin},
		Mail: smtp.MailOptions{Return: smtp.ReturnHeaders, EnvelopeID: "QQ+4711 x"},
		Rcpt: []smtp.RcptOptions{
			{Notify: []smtp.DSNNotify{smtp.NotifySuccess, smtp.NotifyFailure}, OriginalRecipientType: "rfc822", OriginalRecipient: "Dave@Remote.test"},
			{},
		}}
	res, err := e.submitEnv(m1, env, dsnMessage("params"))
	require.NoError(t, err)
	id := queuedAs(t, res)

	// Kept on disk (spool format 2) ...
	raw, err := os.ReadFile(filepath.Join(e.spool, spoolPrefix+id))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(raw), "quickstart-spool: 2\n"))
	got, _ := e.readSpool(id)
	assert.Equal(t, esmtp.RetHdrs, got.Ret)
	assert.Equal(t, "QQ+4711 x", got.EnvID)
	assert.Equal(t, rcptDSN{Notify: esmtp.NotifySuccess | esmtp.NotifyFailure,
		ORcpt: &esmtp.ORcpt{AddrType: "rfc822", Addr: "Dave@Remote.test"}}, got.RcptDSN[dave])
	assert.True(t, got.RcptDSN[erin].isZero())

	// ... across a restart, and passed on.
	e.stop(m1)
	m2, _ := e.start(QueueLimits{})
	m2.queue.Flush(context.Background())
	msgs := e.hop.Messages()
	require.Len(t, msgs, 1)
	hm := msgs[0]
	assert.Equal(t, smtp.ReturnHeaders, hm.Mail.Return)
	assert.Equal(t, "QQ+4711 x", hm.Mail.EnvelopeID)
	require.Equal(t, []string{dave, erin}, hm.To)
	assert.Equal(t, []smtp.DSNNotify{smtp.NotifySuccess, smtp.NotifyFailure}, hm.Rcpt[0].Notify)
	assert.Equal(t, "rfc822", hm.Rcpt[0].OriginalRecipientType)
	assert.Equal(t, "Dave@Remote.test", hm.Rcpt[0].OriginalRecipient)
	assert.Empty(t, hm.Rcpt[1].Notify)
	assert.Empty(t, hm.Rcpt[1].OriginalRecipient)
	assert.Empty(t, mailbox(t, m2, alice), "the next hop offers DSN: success is its to report")
	assert.Empty(t, e.spoolFiles())
}

func TestRelayedDSN(t *testing.T) {
	t.Parallel()
	e := newDSNEnv(t, false, nil) // the next hop does not offer DSN
	m, log := e.start(QueueLimits{})
	env := &smtp.Envelope{From: alice, To: []string{dave, erin},
		Mail: smtp.MailOptions{EnvelopeID: "relay-1"},
		Rcpt: []smtp.RcptOptions{{Notify: []smtp.DSNNotify{smtp.NotifySuccess}}, {}}}
	_, err := e.submitEnv(m, env, dsnMessage("relayed"))
	require.NoError(t, err)
	m.queue.Flush(context.Background())

	msgs := e.hop.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, []string{dave, erin}, msgs[0].To)
	assert.Empty(t, msgs[0].Rcpt[0].Notify, "no DSN parameters to a hop without DSN")
	assert.Empty(t, msgs[0].Mail.EnvelopeID)
	require.Len(t, find(log.Events(), KindForwarded, "queue", dave), 1)

	r, raw := onlyDSN(t, m)
	assert.Equal(t, "relay-1", r.OriginalEnvelopeID)
	require.Len(t, r.Recipients, 1, "erin did not ask for SUCCESS")
	rs := r.Recipients[0]
	assert.Equal(t, esmtp.RFC822(dave), rs.FinalRecipient)
	assert.Equal(t, esmtp.ActionRelayed, rs.Action)
	assert.Equal(t, "2.0.0", rs.Status.String())
	assert.Equal(t, esmtp.DNS(remoteMXHost), rs.RemoteMTA)
	assert.True(t, r.ReturnedHeadersOnly, "a success report returns only the header")
	assert.NotContains(t, string(raw), bodyMarker)
	assert.Empty(t, e.spoolFiles())
}

func TestDeliveredDSNForLocalRecipient(t *testing.T) {
	t.Parallel()
	e := newDSNEnv(t, true, nil)
	m, _ := e.start(QueueLimits{})
	_, err := e.submitEnv(m, &smtp.Envelope{From: alice, To: []string{bob},
		Rcpt: []smtp.RcptOptions{{Notify: []smtp.DSNNotify{smtp.NotifySuccess}}}}, dsnMessage("local"))
	require.NoError(t, err)
	assert.Len(t, mailbox(t, m, bob), 1, "delivered during the submission")
	m.queue.Flush(context.Background())
	r, _ := onlyDSN(t, m)
	require.Len(t, r.Recipients, 1)
	assert.Equal(t, esmtp.ActionDelivered, r.Recipients[0].Action)
	assert.Equal(t, esmtp.RFC822(bob), r.Recipients[0].FinalRecipient)
	assert.Empty(t, e.spoolFiles())
}

// TestBounceSurvivesCrashBeforeOriginalUpdated stops the MTA right after
// the DSN was stored and before the original's spool file lost the
// failed recipient: the restart must neither lose nor repeat the DSN.
func TestBounceSurvivesCrashBeforeOriginalUpdated(t *testing.T) {
	t.Parallel()
	e := newDSNEnv(t, true, reject550(erin))
	m1, log1 := e.start(QueueLimits{})
	m1.queue.crashAfterDSN = func() bool { return true }
	res, err := e.submit(m1, []string{erin}, dsnMessage("crash"))
	require.NoError(t, err)
	id := queuedAs(t, res)
	m1.queue.Flush(context.Background())
	assert.Empty(t, find(log1.Events(), KindDSN, "", ""), "the crash came before the event")
	files := e.spoolFiles()
	require.Len(t, files, 2, "original and notification: %v", files)
	orig, _ := e.readSpool(id)
	assert.Equal(t, []string{erin}, orig.Rcpts, "original not updated")
	e.stop(m1)

	m2, log2 := e.start(QueueLimits{})
	require.Len(t, find(log2.Events(), KindDSNReconciled, "queue", ""), 1)
	var dsnFile []string
	for _, f := range files {
		if f != spoolPrefix+id {
			dsnFile = append(dsnFile, f)
		}
	}
	assert.Equal(t, dsnFile, e.spoolFiles(), "the notification stays, the original is gone")
	_, err = os.Stat(filepath.Join(e.spool, spoolPrefix+id))
	assert.True(t, os.IsNotExist(err), "original removed: its only recipient was reported")
	require.Equal(t, 1, m2.queue.Len(), "only the notification is queued")

	m2.queue.Flush(context.Background())
	assert.Equal(t, 1, e.hop.Tries(erin), "the failed recipient is not tried again")
	r, _ := onlyDSN(t, m2)
	assert.Equal(t, esmtp.RFC822(erin), r.Recipients[0].FinalRecipient)
	assert.Empty(t, find(log2.Events(), KindDSN, "", ""), "no second notification generated")
	assert.Empty(t, e.spoolFiles())
}

// TestSubmissionSpoolsBeforeLocalDelivery: a local delivery that fails
// after the message was spooled still gets 250 and is retried by the
// queue, exactly once; a spool that cannot be written means no local
// copy at all.
func TestSubmissionSpoolsBeforeLocalDelivery(t *testing.T) {
	t.Parallel()
	t.Run("local delivery fails after spooling", func(t *testing.T) {
		t.Parallel()
		e := newDSNEnv(t, true, nil)
		m, log := e.start(QueueLimits{})
		// bob's Maildir cannot be created: a file is in the way.
		blocker := filepath.Join(e.root, localDomain, "bob")
		require.NoError(t, os.MkdirAll(filepath.Dir(blocker), 0o700))
		require.NoError(t, os.WriteFile(blocker, []byte("in the way"), 0o600))
		res, err := e.submit(m, []string{bob, dave}, dsnMessage("local later"))
		require.NoError(t, err, "on disk: 250 even though bob's copy failed")
		id := queuedAs(t, res)
		env, _ := e.readSpool(id)
		assert.Equal(t, []string{bob, dave}, env.Rcpts)
		assert.Len(t, find(log.Events(), KindDeferred, "submission", bob), 1)

		require.NoError(t, os.Remove(blocker))
		m.queue.Flush(context.Background())
		assert.Len(t, mailbox(t, m, bob), 1)
		require.Len(t, e.hop.Messages(), 1)
		assert.Empty(t, e.spoolFiles())
		m.queue.Flush(context.Background())
		assert.Len(t, mailbox(t, m, bob), 1, "exactly one copy")
	})
	t.Run("spool write fails", func(t *testing.T) {
		t.Parallel()
		e := newDSNEnv(t, true, nil)
		m, _ := e.start(QueueLimits{})
		require.NoError(t, os.RemoveAll(e.spool))
		require.NoError(t, os.WriteFile(e.spool, []byte("not a directory"), 0o600))
		for range 2 { // the client's retry
			_, err := e.submit(m, []string{bob}, dsnMessage("nowhere"))
			var se *smtp.Error
			require.True(t, errors.As(err, &se), "%v", err)
			assert.Equal(t, 451, se.Code)
		}
		assert.Empty(t, mailbox(t, m, bob), "no local copy of a message that got 451")
	})
}

// TestVersion1SpoolFileLoads: a file written by the previous format
// version (no DSN lines) is loaded and delivered, with default DSN
// behaviour (failure reports only).
func TestVersion1SpoolFileLoads(t *testing.T) {
	t.Parallel()
	e := newDSNEnv(t, true, reject550(erin))
	require.NoError(t, os.MkdirAll(e.spool, 0o700))
	data := dsnMessage("old")
	v1 := "quickstart-spool: 1\nid: 0006278a1c2e5f01\nfrom: <alice@example.test>\nrcpt: <dave@remote.test>\nrcpt: <erin@remote.test>\n" +
		"arrived: 2026-11-29T18:30:00Z\nattempts: 1\nnext: 2026-11-29T18:31:00Z\nsize: " + strconv.Itoa(len(data)) + "\n\n" + data
	require.NoError(t, os.WriteFile(filepath.Join(e.spool, "q-0006278a1c2e5f01"), []byte(v1), 0o600))
	m, _ := e.start(QueueLimits{})
	require.Equal(t, 1, m.queue.Len())
	m.queue.Flush(context.Background())
	require.Len(t, e.hop.Messages(), 1)
	assert.Equal(t, []string{dave}, e.hop.Messages()[0].To)
	r, _ := onlyDSN(t, m)
	assert.Equal(t, esmtp.RFC822(erin), r.Recipients[0].FinalRecipient)
	assert.Empty(t, e.spoolFiles())
}

func TestHeaderSection(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"A: 1\r\nB: 2\r\n\r\nbody\r\n": "A: 1\r\nB: 2\r\n",
		"A: 1\n\nbody\n":               "A: 1\n",
		"A: 1\r\n":                     "A: 1\r\n",
	} {
		assert.Equal(t, want, string(headerSection([]byte(in))), "%q", in)
	}
	assert.True(t, bytes.Equal(nil, headerSection(nil)))
}

func TestIsPermanent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"550 reply", &smtp.Error{Code: 550}, true},
		{"451 reply", &smtp.Error{Code: 451}, false},
		{"null MX", &mx.Error{Domain: "nomail.test", Permanent: true, Code: 556, Enhanced: "5.1.10", Err: mx.ErrNullMX}, true},
		{"DNS SERVFAIL", &mx.Error{Domain: "x.test", Permanent: false, Code: 451, Enhanced: "4.4.3"}, false},
		{"connection refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, isPermanent(tc.err))
		})
	}
}

// TestDelayedDSN: only the recipient that asked for NOTIFY=DELAY gets a
// "delayed" notice, once, after the third temporary failure; the message
// stays queued and expires later with a failure report.
func TestDelayedDSN(t *testing.T) {
	t.Parallel()
	e := newDSNEnv(t, true, func(string, string) error {
		return &smtp.Error{Code: 452, Enhanced: esmtp.EnhancedCode{Class: 4, Subject: 2, Detail: 2}, Message: "mailbox full"}
	})
	m, log := e.start(QueueLimits{})
	res, err := e.submitEnv(m, &smtp.Envelope{From: alice, To: []string{dave, erin},
		Rcpt: []smtp.RcptOptions{{Notify: []smtp.DSNNotify{smtp.NotifyDelay, smtp.NotifyFailure}}, {}}}, dsnMessage("slow"))
	require.NoError(t, err)
	id := queuedAs(t, res)
	for attempt := 1; attempt <= 5; attempt++ {
		m.queue.Flush(context.Background())
		if attempt < delayNoticeAfter {
			assert.Empty(t, mailbox(t, m, alice), "attempt %d", attempt)
		}
		e.clock.Advance(retryMax)
	}
	require.Len(t, find(log.Events(), KindDSN, "queue", alice), 1, "one notice, not one per attempt")
	r, _ := onlyDSN(t, m)
	assert.Equal(t, "Delayed Mail (still being retried)", r.Subject)
	require.Len(t, r.Recipients, 1, "erin did not ask for DELAY")
	rs := r.Recipients[0]
	assert.Equal(t, esmtp.RFC822(dave), rs.FinalRecipient)
	assert.Equal(t, esmtp.ActionDelayed, rs.Action)
	assert.Equal(t, "4.2.2", rs.Status.String())
	assert.Contains(t, rs.DiagnosticCode.Value, "452 4.2.2 mailbox full")
	assert.Equal(t, esmtp.DNS(remoteMXHost), rs.RemoteMTA)
	assert.True(t, rs.WillRetryUntil.Equal(time.Date(2026, 11, 29, 19, 0, 0, 0, time.UTC).Add(maxAge)), "%v", rs.WillRetryUntil)
	assert.True(t, r.ReturnedHeadersOnly)
	env, _ := e.readSpool(id)
	assert.Equal(t, []string{dave, erin}, env.Rcpts, "both still queued")
	assert.Equal(t, 5, env.Attempts)

	e.clock.Advance(maxAge)
	m.queue.Flush(context.Background())
	msgs := mailbox(t, m, alice)
	require.Len(t, msgs, 2, "the delay notice and one failure report")
	var failed []string
	for _, b := range msgs {
		r, err := esmtp.ParseReport(b)
		require.NoError(t, err)
		for _, rs := range r.Recipients {
			if rs.Action == esmtp.ActionFailed {
				failed = append(failed, rs.FinalRecipient.Value)
				assert.Equal(t, "5.4.7", rs.Status.String())
			}
		}
	}
	assert.ElementsMatch(t, []string{dave, erin}, failed)
	assert.Empty(t, e.spoolFiles())
}

// A message whose header section alone nearly fills
// QueueLimits.MessageBytes cannot be returned even as headers in a
// bounce; the bounce must still go out (without the returned part)
// instead of the failed recipient being kept and refused again on every
// attempt.
func TestBounceWhenHeadersTooLargeToReturn(t *testing.T) {
	t.Parallel()
	e := newDSNEnv(t, true, reject550(dave))
	const limit = 8 << 10
	m, log := e.start(QueueLimits{MessageBytes: limit})
	var msg strings.Builder
	msg.WriteString("From: Alice <" + alice + ">\r\nTo: Dave <" + dave + ">\r\nSubject: big header\r\n")
	for msg.Len() < limit-1024 {
		msg.WriteString("X-Pad: " + strings.Repeat("p", 70) + "\r\n")
	}
	msg.WriteString("\r\n" + bodyMarker + "\r\n")
	_, err := e.submit(m, []string{dave}, msg.String())
	require.NoError(t, err)

	m.queue.Flush(context.Background())
	e.clock.Advance(retryMax)
	m.queue.Flush(context.Background())

	assert.Equal(t, 1, e.hop.Tries(dave), "a permanent failure is not retried")
	r, raw := onlyDSN(t, m)
	require.Len(t, r.Recipients, 1)
	assert.Equal(t, esmtp.ActionFailed, r.Recipients[0].Action)
	assert.LessOrEqual(t, len(raw), limit)
	assert.Len(t, find(log.Events(), KindDSN, "queue", alice), 1)
	assert.Empty(t, e.spoolFiles())
	assert.Equal(t, 0, m.queue.Len())
}

// RCPT parameters the spool cannot hold (an ORCPT whose decoded address
// has a CR LF) are refused permanently at RCPT, not answered with a
// temporary error after DATA that the client would retry for days.
func TestSubmissionRefusesUnstorableORCPT(t *testing.T) {
	t.Parallel()
	e := newDSNEnv(t, true, nil)
	m, _ := e.start(QueueLimits{})
	res, err := e.submitEnv(m, &smtp.Envelope{From: alice, To: []string{dave},
		Rcpt: []smtp.RcptOptions{{OriginalRecipientType: "rfc822", OriginalRecipient: "a\r\nrcpt: <x@evil.test>"}}}, dsnMessage("orcpt"))
	require.Error(t, err)
	require.NotNil(t, res)
	require.Len(t, res.Rcpts, 1)
	var se *smtp.Error
	require.ErrorAs(t, res.Rcpts[0].Err, &se)
	assert.Equal(t, 501, se.Code, "refused at RCPT: %v", res.Rcpts[0].Err)
	assert.False(t, smtp.IsTemporary(res.Rcpts[0].Err))
	assert.Empty(t, e.spoolFiles())
	assert.Empty(t, e.hop.Messages())
}
