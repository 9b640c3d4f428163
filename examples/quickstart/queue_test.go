package main

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
	"github.com/mailkit-go/mailkit/esmtp"
	"github.com/mailkit-go/mailkit/sasl"
	"github.com/mailkit-go/mailkit/smtp"
	"github.com/mailkit-go/mailkit/smtp/smtptest"
	"github.com/mailkit-go/mailkit/tlsutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// queueEnv is what the queue tests share: a zone, a test CA, a next hop
// (smtptest, reached through the port map), a simulated clock and a
// spool directory that outlives each MTA started on it.
type queueEnv struct {
	t      *testing.T
	zone   *dnstest.Zone
	ca     *tlsutil.CA
	srvTLS *tls.Config
	remote *smtptest.Server // the next hop, unless hop is set
	hop    *captureHop      // a next hop that records RCPT parameters (dsn_test.go)
	port   int
	outTLS *tls.Config // OutboundTLS for the MTA
	clock  *simClock
	root   string
	spool  string
	stops  []stopper
}

const erin = "erin@remote.test" // a second recipient at the remote domain

func newQueueEnv(t *testing.T, reject func(from, to string) error) *queueEnv {
	t.Helper()
	z, err := dnstest.ParseZone(zone)
	require.NoError(t, err)
	ca, err := tlsutil.NewCA(nil)
	require.NoError(t, err)
	srvTLS, err := ca.ServerConfig(mxHost, "127.0.0.1")
	require.NoError(t, err)
	remote := smtptest.New(t, &smtptest.Options{Hostname: remoteMXHost, TLS: true, Reject: reject})
	_, p, err := net.SplitHostPort(remote.Addr())
	require.NoError(t, err)
	port, err := strconv.Atoi(p)
	require.NoError(t, err)
	return &queueEnv{t: t, zone: z, ca: ca, srvTLS: srvTLS, remote: remote, port: port, outTLS: remote.ClientTLSConfig(),
		clock: newSimClock(time.Date(2026, 11, 29, 19, 0, 0, 0, time.UTC)),
		root:  t.TempDir(), spool: filepath.Join(t.TempDir(), "spool")}
}

// start starts an MTA on the shared spool; the test stops it with stop
// (or cleanup does).
func (e *queueEnv) start(lim QueueLimits) (*MTA, *eventLog) {
	e.t.Helper()
	log := &eventLog{now: e.clock.Now}
	m := NewMTA(Config{
		Hostname:       mxHost,
		LocalDomains:   []string{localDomain},
		Users:          map[string]string{alice: password, bob: password},
		MailRoot:       e.root,
		Resolver:       e.zone,
		TLS:            e.srvTLS,
		OutboundTLS:    e.outTLS,
		Ports:          map[string]int{remoteMXHost: e.port},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		Now:            e.clock.Now,
		SpoolDir:       e.spool,
		QueueLimits:    lim,
	}, log)
	require.NoError(e.t, m.Start())
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			assert.NoError(e.t, m.Shutdown(ctx))
		})
	}
	e.t.Cleanup(stop)
	e.stops = append(e.stops, stopper{m, stop})
	return m, log
}

type stopper struct {
	m    *MTA
	stop func()
}

// stop shuts m down without flushing its queue.
func (e *queueEnv) stop(m *MTA) {
	for _, s := range e.stops {
		if s.m == m {
			s.stop()
		}
	}
}

// submit sends msg as alice through the submission listener (STARTTLS,
// AUTH PLAIN) and returns what the client got.
func (e *queueEnv) submit(m *MTA, to []string, msg string) (*smtp.Result, error) {
	return e.submitEnv(m, &smtp.Envelope{From: alice, To: to}, msg)
}

// submitEnv is submit with a whole envelope (DSN parameters included).
func (e *queueEnv) submitEnv(m *MTA, env *smtp.Envelope, msg string) (*smtp.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := smtp.Dial(ctx, m.SubmissionAddr, &smtp.ClientOptions{
		LocalName: "laptop.example.test",
		TLS:       smtp.TLSRequired,
		TLSConfig: e.ca.ClientConfig(mxHost),
		Auth:      &smtp.ClientAuth{Username: alice, Password: password, Mechanisms: []string{sasl.Plain}},
	})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res, err := c.Send(ctx, env, strings.NewReader(msg))
	if err == nil {
		_ = c.Quit(ctx)
	}
	return res, err
}

// spoolFiles lists the names in the spool directory, sorted, without
// subdirectories and the id mark.
func (e *queueEnv) spoolFiles() []string {
	e.t.Helper()
	des, err := os.ReadDir(e.spool)
	require.NoError(e.t, err)
	var names []string
	for _, de := range des {
		if !de.IsDir() && de.Name() != spoolIDMark {
			names = append(names, de.Name())
		}
	}
	sort.Strings(names)
	return names
}

// readSpool parses the spool file of id.
func (e *queueEnv) readSpool(id string) (*spoolEnvelope, []byte) {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.spool, spoolPrefix+id))
	require.NoError(e.t, err)
	env, data, err := parseSpool(b, defaultQueueMsg)
	require.NoError(e.t, err)
	return env, data
}

func testMessage(subject string) string {
	return "From: Alice <" + alice + ">\r\nTo: Dave <" + dave + ">\r\nSubject: " + subject + "\r\n\r\nHello.\r\n"
}

// queuedAs returns the queue id from "Ok: queued as ID".
func queuedAs(t *testing.T, res *smtp.Result) string {
	t.Helper()
	require.NotNil(t, res)
	_, id, ok := strings.Cut(res.Reply, "queued as ")
	require.True(t, ok, res.Reply)
	require.True(t, validQueueID(id), "queue id %q", id)
	return id
}

func waitRemote(t *testing.T, s *smtptest.Server, n int) []smtptest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs, err := s.WaitFor(ctx, n)
	require.NoError(t, err)
	return msgs
}

func TestQueueSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := newQueueEnv(t, nil)
	m1, _ := e.start(QueueLimits{})
	res, err := e.submit(m1, []string{dave}, testMessage("survives"))
	require.NoError(t, err)
	id := queuedAs(t, res)

	// The client has its 250: the file must already be there, complete.
	env, data := e.readSpool(id)
	assert.Equal(t, alice, env.From)
	assert.Equal(t, []string{dave}, env.Rcpts)
	assert.Equal(t, 0, env.Attempts)
	assert.True(t, env.Next.Equal(e.clock.Now()))
	assert.Contains(t, string(data), "Subject: survives\r\n")
	assert.True(t, strings.HasPrefix(string(data), "Received: "), "stored as the server passed it on")
	assert.Equal(t, []string{spoolPrefix + id}, e.spoolFiles())

	e.stop(m1) // no Flush: nothing was forwarded yet
	assert.Empty(t, e.remote.Messages())

	m2, log2 := e.start(QueueLimits{})
	require.Equal(t, 1, m2.queue.Len())
	loaded := find(log2.Events(), KindSpoolLoaded, "queue", dave)
	require.Len(t, loaded, 1)
	assert.Contains(t, loaded[0].Result, id)

	m2.queue.Flush(context.Background())
	msgs := waitRemote(t, e.remote, 1)
	require.Len(t, msgs, 1)
	assert.Equal(t, alice, msgs[0].From)
	assert.Equal(t, []string{dave}, msgs[0].To)
	assert.Equal(t, "survives", msgs[0].Header.Get("Subject"))
	assert.Equal(t, 0, m2.queue.Len())
	assert.Empty(t, e.spoolFiles(), "file removed once delivered")

	// Nothing is sent twice: another flush and another restart find
	// nothing to do.
	m2.queue.Flush(context.Background())
	e.stop(m2)
	m3, _ := e.start(QueueLimits{})
	assert.Equal(t, 0, m3.queue.Len())
	m3.queue.Flush(context.Background())
	assert.Len(t, e.remote.Messages(), 1, "delivered exactly once")

	// Queue ids stay unique across restarts, even on a clock that has not
	// moved: the new id is above the one loaded from the spool.
	res, err = e.submit(m3, []string{dave}, testMessage("second"))
	require.NoError(t, err)
	id2 := queuedAs(t, res)
	assert.Greater(t, id2, id)
}

func TestQueuePartialDeliveryPersisted(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	erinRefused := false
	e := newQueueEnv(t, func(_, to string) error {
		mu.Lock()
		defer mu.Unlock()
		if to == erin && !erinRefused {
			erinRefused = true
			return &smtp.Error{Code: 451, Enhanced: esmtp.EnhancedCode{Class: 4, Subject: 2, Detail: 0}, Message: "mailbox busy"}
		}
		return nil
	})
	m1, log1 := e.start(QueueLimits{})
	res, err := e.submit(m1, []string{dave, erin}, testMessage("partial"))
	require.NoError(t, err)
	id := queuedAs(t, res)

	m1.queue.Flush(context.Background())
	msgs := waitRemote(t, e.remote, 1)
	assert.Equal(t, []string{dave}, msgs[0].To)
	require.Len(t, find(log1.Events(), KindForwarded, "queue", dave), 1)

	// On disk: only erin is left, with the attempt and the retry time.
	env, _ := e.readSpool(id)
	assert.Equal(t, []string{erin}, env.Rcpts)
	assert.Equal(t, 1, env.Attempts)
	assert.True(t, env.Next.Equal(e.clock.Now().Add(retryFirst)), "next %v", env.Next)
	e.stop(m1)

	m2, _ := e.start(QueueLimits{})
	require.Equal(t, 1, m2.queue.Len())
	m2.queue.Flush(context.Background())
	assert.Len(t, e.remote.Messages(), 1, "not due yet")
	e.clock.Advance(retryFirst)
	m2.queue.Flush(context.Background())
	msgs = waitRemote(t, e.remote, 2)
	require.Len(t, msgs, 2)
	assert.Equal(t, []string{erin}, msgs[1].To, "only the remaining recipient is retried")
	assert.Equal(t, "partial", msgs[1].Header.Get("Subject"), "data read at the rewritten file's offset")
	assert.Equal(t, msgs[0].Body, msgs[1].Body)
	assert.Empty(t, e.spoolFiles())
	assert.Equal(t, 0, m2.queue.Len())
}

func TestQueueExpiredMessageRemoved(t *testing.T) {
	t.Parallel()
	e := newQueueEnv(t, func(string, string) error {
		return &smtp.Error{Code: 451, Enhanced: esmtp.EnhancedCode{Class: 4, Subject: 3, Detail: 0}, Message: "later"}
	})
	m, log := e.start(QueueLimits{})
	_, err := e.submit(m, []string{dave}, testMessage("expires"))
	require.NoError(t, err)
	e.clock.Advance(maxAge)
	m.queue.Flush(context.Background())
	require.Len(t, find(log.Events(), KindBounced, "queue", dave), 1)
	assert.Empty(t, e.spoolFiles())
	assert.Equal(t, 0, m.queue.Len())
}

func TestQueueLoadQuarantinesAndCleans(t *testing.T) {
	t.Parallel()
	e := newQueueEnv(t, nil)
	require.NoError(t, os.MkdirAll(e.spool, 0o700))
	good := &spoolEnvelope{ID: "7000000000000000", From: alice, Rcpts: []string{dave},
		Arrived: e.clock.Now().Add(-time.Hour), Attempts: 2, Next: e.clock.Now(), Size: int64(len(testMessage("good")))}
	hdr, err := good.encodeHeader()
	require.NoError(t, err)
	goodFile := concat(hdr, testMessage("good"))

	otherID := *good
	otherID.ID = "7000000000000001"
	hdrOther, err := otherID.encodeHeader()
	require.NoError(t, err)

	files := map[string][]byte{
		spoolPrefix + good.ID:            goodFile,
		spoolPrefix + "0000000000000001": []byte("this is not a spool file\n\nat all"),
		spoolPrefix + "0000000000000002": concat(hdrOther, testMessage("good")), // id does not match the name
		spoolPrefix + "0000000000000003": goodFile[:len(goodFile)-5],            // truncated
		spoolPrefix + "0000000000000004": []byte(strings.Replace(string(goodFile), "quickstart-spool: 1", "quickstart-spool: 2", 1)),
		spoolTempPrefix + "12345":        concat(hdr, "half a mess"), // an unfinished write
		"README":                         []byte("not ours\n"),
		spoolIDMark:                      []byte("garbage\n"),
	}
	for name, b := range files {
		require.NoError(t, os.WriteFile(filepath.Join(e.spool, name), b, 0o600))
	}
	// A file of the same name already in corrupt/ is not overwritten.
	require.NoError(t, os.MkdirAll(filepath.Join(e.spool, spoolCorruptDir), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(e.spool, spoolCorruptDir, spoolPrefix+"0000000000000001"), []byte("older"), 0o600))

	m, log := e.start(QueueLimits{})
	require.Equal(t, 1, m.queue.Len(), "only the valid file is queued")
	assert.Equal(t, []string{"README", spoolPrefix + good.ID}, e.spoolFiles(), "temp file removed, corrupt ones moved, unknown file left alone")
	assert.Len(t, find(log.Events(), KindSpoolCorrupt, "queue", ""), 5)
	assert.Len(t, find(log.Events(), KindSpoolTempRemoved, "queue", ""), 1)

	corrupt := filepath.Join(e.spool, spoolCorruptDir)
	for _, n := range []string{"0000000000000002", "0000000000000003", "0000000000000004"} {
		b, err := os.ReadFile(filepath.Join(corrupt, spoolPrefix+n))
		require.NoError(t, err, n)
		assert.Equal(t, files[spoolPrefix+n], b, "quarantined unchanged")
	}
	_, err = os.Stat(filepath.Join(corrupt, spoolIDMark))
	assert.NoError(t, err, "corrupt id mark quarantined")
	older, err := os.ReadFile(filepath.Join(corrupt, spoolPrefix+"0000000000000001"))
	require.NoError(t, err)
	assert.Equal(t, "older", string(older))
	moved, err := os.ReadFile(filepath.Join(corrupt, spoolPrefix+"0000000000000001.1"))
	require.NoError(t, err)
	assert.Equal(t, files[spoolPrefix+"0000000000000001"], moved)

	// The valid one keeps its schedule and is delivered.
	it := m.queue.items[0]
	assert.Equal(t, 2, it.attempts)
	m.queue.Flush(context.Background())
	msgs := waitRemote(t, e.remote, 1)
	assert.Equal(t, "good", msgs[0].Header.Get("Subject"))
	assert.Equal(t, []string{"README"}, e.spoolFiles())

	// New ids come after the highest one loaded.
	res, err := e.submit(m, []string{dave}, testMessage("after"))
	require.NoError(t, err)
	assert.Greater(t, queuedAs(t, res), good.ID)
}

// concat returns a new slice holding b followed by s.
func concat(b []byte, s string) []byte {
	return append(append([]byte(nil), b...), s...)
}

func TestQueueFull(t *testing.T) {
	t.Parallel()
	t.Run("messages", func(t *testing.T) {
		t.Parallel()
		e := newQueueEnv(t, nil)
		m, _ := e.start(QueueLimits{Messages: 1})
		_, err := e.submit(m, []string{dave}, testMessage("one"))
		require.NoError(t, err)
		res, err := e.submit(m, []string{erin}, testMessage("two"))
		require.ErrorIs(t, err, smtp.ErrNoRecipients)
		require.Len(t, res.Rcpts, 1)
		assertReply(t, res.Rcpts[0].Err, 452, "4.3.1")
		assert.Len(t, e.spoolFiles(), 1)

		// Once the queue drains, mail is taken again.
		m.queue.Flush(context.Background())
		waitRemote(t, e.remote, 1)
		_, err = e.submit(m, []string{erin}, testMessage("three"))
		require.NoError(t, err)
	})
	t.Run("bytes", func(t *testing.T) {
		t.Parallel()
		e := newQueueEnv(t, nil)
		m, _ := e.start(QueueLimits{Bytes: 2000})
		big := testMessage("big") + strings.Repeat("0123456789abcdef0123456789abcdef\r\n", 60)
		// bob is local: refusing at DATA must not have delivered his copy.
		_, err := e.submit(m, []string{bob, dave}, big)
		assertReply(t, err, 452, "4.3.1")
		assert.Empty(t, e.spoolFiles())
		md, err := m.store.box(bob)
		require.NoError(t, err)
		msgs, err := md.List(context.Background())
		require.NoError(t, err)
		assert.Empty(t, msgs, "no local delivery of a refused message")
		_, err = e.submit(m, []string{dave}, testMessage("small"))
		require.NoError(t, err)
	})
}

func assertReply(t *testing.T, err error, code int, enhanced string) {
	t.Helper()
	var se *smtp.Error
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, code, se.Code, se.Error())
	assert.Equal(t, enhanced, se.Enhanced.String())
}

// TestQueueNoAckWithoutStorage makes the spool unwritable after start: the
// client must get a temporary error, never 250.
func TestQueueNoAckWithoutStorage(t *testing.T) {
	t.Parallel()
	e := newQueueEnv(t, nil)
	m, _ := e.start(QueueLimits{})
	require.NoError(t, os.RemoveAll(e.spool))
	require.NoError(t, os.WriteFile(e.spool, []byte("not a directory"), 0o600))
	_, err := e.submit(m, []string{dave}, testMessage("nowhere"))
	var se *smtp.Error
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, 451, se.Code, se.Error())
	assert.Equal(t, 0, m.queue.Len())
}

// TestQueueIDsUniqueAcrossRestarts restarts on an empty spool with a
// clock that went back: the id mark keeps the ids increasing.
func TestQueueIDsUniqueAcrossRestarts(t *testing.T) {
	t.Parallel()
	clock := newSimClock(time.Date(2026, 11, 29, 19, 0, 0, 0, time.UTC))
	dir := filepath.Join(t.TempDir(), "spool")
	seen := map[string]bool{}
	last := ""
	for run := range 3 {
		m := NewMTA(Config{SpoolDir: dir, Now: clock.Now}, &eventLog{})
		require.NoError(t, m.queue.load())
		for range 3 {
			m.queue.mu.Lock()
			id, err := m.queue.newID()
			m.queue.mu.Unlock()
			require.NoError(t, err)
			assert.False(t, seen[id], "run %d: id %s repeated", run, id)
			assert.Greater(t, id, last)
			seen[id], last = true, id
		}
		clock.Advance(-time.Hour)
	}
	b, err := os.ReadFile(filepath.Join(dir, spoolIDMark))
	require.NoError(t, err)
	assert.Greater(t, strings.TrimSpace(string(b)), last, "mark above every id handed out")
}

// TestQueueFileDamagedWhileQueued: a spool file that stops parsing after
// it was accepted is quarantined at the next attempt, not sent.
func TestQueueFileDamagedWhileQueued(t *testing.T) {
	t.Parallel()
	e := newQueueEnv(t, nil)
	m, log := e.start(QueueLimits{})
	res, err := e.submit(m, []string{dave}, testMessage("damaged"))
	require.NoError(t, err)
	id := queuedAs(t, res)
	path := filepath.Join(e.spool, spoolPrefix+id)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b[:len(b)-4], 0o600)) // lost its tail

	m.queue.Flush(context.Background())
	assert.Empty(t, e.remote.Messages())
	assert.Equal(t, 0, m.queue.Len())
	assert.Empty(t, e.spoolFiles())
	require.Len(t, find(log.Events(), KindSpoolCorrupt, "queue", dave), 1)
	kept, err := os.ReadFile(filepath.Join(e.spool, spoolCorruptDir, spoolPrefix+id))
	require.NoError(t, err)
	assert.Equal(t, b[:len(b)-4], kept)
}

// TestStartTwiceRefused: a second Start fails and does not load the spool
// again (which would queue every message twice).
func TestStartTwiceRefused(t *testing.T) {
	e := newQueueEnv(t, nil)
	m, _ := e.start(QueueLimits{})
	res, err := e.submit(m, []string{"dave@remote.test"}, "Subject: once\r\n\r\nbody\r\n")
	require.NoError(t, err)
	require.Len(t, res.Accepted(), 1)
	require.Equal(t, 1, m.queue.Len())
	require.ErrorIs(t, m.Start(), errStarted)
	assert.Equal(t, 1, m.queue.Len(), "the spool was not loaded again")
}
