package imapserver_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/imap/imapmem"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

// pipeListener hands out one end of in-memory pipes.
type pipeListener struct {
	ch   chan net.Conn
	once sync.Once
	done chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error { l.once.Do(func() { close(l.done) }); return nil }

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

func (l *pipeListener) dial() net.Conn {
	a, b := net.Pipe()
	l.ch <- a
	return b
}

// panicCounter is a slog handler counting records that report a panic.
type panicCounter struct{ n *atomic.Int64 }

func (h panicCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h panicCounter) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panic") {
		h.n.Add(1)
	}
	return nil
}
func (h panicCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h panicCounter) WithGroup(string) slog.Handler      { return h }

// FuzzServer feeds arbitrary client input to a logged-in session with a
// selected mailbox; the server must neither panic (a recovered panic is
// logged and counted) nor hang.
func FuzzServer(f *testing.F) {
	for _, s := range []string{
		"a FETCH 1:* (FLAGS BODY.PEEK[1.MIME] BODY[]<0.5> ENVELOPE BODYSTRUCTURE)\r\n",
		"a UID SEARCH RETURN (MIN MAX COUNT ALL) OR FROM x TEXT {3+}\r\nabc\r\n",
		"a STORE 1 +FLAGS (\\Seen kw)\r\nb EXPUNGE\r\nc CLOSE\r\n",
		"a APPEND INBOX (\\Seen) \" 1-Feb-2024 10:00:00 +0100\" {5+}\r\nhello\r\n",
		"a LIST \"\" (% * {2+}\r\nx/)\r\nb LSUB \"\" *\r\nc STATUS INBOX (MESSAGES UIDNEXT)\r\n",
		"a IDLE\r\nDONE\r\nb NOOP\r\n",
		"a RENAME INBOX x\r\nb MOVE 1 x\r\nc UID COPY 1:* y\r\n",
		"a AUTHENTICATE PLAIN\r\n*\r\n",
		"a SEARCH CHARSET UTF-8 C\r\n",
		"a ID (\"name\" {1+}\r\nx)\r\n",
		"a SORT (REVERSE SUBJECT DISPLAYFROM) UTF-8 OR FROM x ALL\r\nb UID SORT RETURN (MIN ALL) (DATE) US-ASCII 1:*\r\n",
		"a THREAD REFERENCES UTF-8 ALL\r\nb UID THREAD ORDEREDSUBJECT US-ASCII NOT SEEN\r\n",
		"a FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1] BINARY[]<2.3> BINARY.SIZE[])\r\n",
		"a APPEND INBOX ~{5+}\r\nh\x00llo\r\nb FETCH 2 (BINARY.PEEK[1] BINARY.SIZE[1])\r\n",
		"a APPEND INBOX (\\Seen) {5+}\r\nhello (\\Flagged) \"01-Jan-2024 10:00:00 +0000\" ~{3+}\r\nx\x00y {2+}\r\nzz\r\n",
		"a APPEND INBOX {5+}\r\nhello (\\Seen {3+}\r\nabc\r\nb NOOP\r\n",
		"a APPEND INBOX {5}\r\nhello {3}\r\nabc\r\n",
		"a APPEND Nope {1+}\r\nx {1+}\r\ny\r\n",
		"a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (% {2+}\r\nx/) RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN SIZE))\r\n",
		"a CREATE s (USE (\\Sent \\All))\r\nb CREATE t (USE (\\Trash))\r\nc LIST (SPECIAL-USE) \"\" * RETURN (STATUS (DELETED))\r\n",
		// CONDSTORE (RFC 7162 §3.1).
		"a ENABLE CONDSTORE\r\nb SELECT INBOX (CONDSTORE)\r\nc FETCH 1:* (FLAGS MODSEQ) (CHANGEDSINCE 1)\r\n",
		"a UID STORE 1:* (UNCHANGEDSINCE 0) +FLAGS.SILENT (\\Deleted)\r\nb STORE 1 (UNCHANGEDSINCE 99) FLAGS (x)\r\n",
		"a SEARCH RETURN (MIN MAX) MODSEQ \"/flags/\\\\seen\" all 1\r\nb UID SEARCH NOT MODSEQ 2\r\nc STATUS INBOX (HIGHESTMODSEQ)\r\n",
		"a ENABLE QRESYNC\r\nb SELECT INBOX (QRESYNC (1 1 1:* (1 1)))\r\nc UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)\r\nd STORE 1 +FLAGS (\\Deleted)\r\ne EXPUNGE\r\n",
		"a EXAMINE INBOX (CONDSTORE BOGUS)\r\nb FETCH 1 (MODSEQ) (CHANGEDSINCE 99999999999999999999)\r\n",
		// SEARCHRES (RFC 5182) and STATUS=SIZE (RFC 8438).
		"a FETCH $ (UID)\r\nb SEARCH RETURN (SAVE) ALL\r\nc UID STORE $ +FLAGS (\\Deleted)\r\nd UID EXPUNGE $\r\ne FETCH $ FLAGS\r\n",
		"a UID SEARCH RETURN (SAVE MIN MAX) OR $ NOT $\r\nb COPY $ INBOX\r\nc MOVE $ x\r\nd SORT (ARRIVAL) UTF-8 $\r\ne UNSELECT\r\nf FETCH $ (UID)\r\n",
		"a SEARCH RETURN (SAVE) BOGUS\r\nb SORT RETURN (SAVE) (DATE) UTF-8 ALL\r\nc FETCH $1 (UID)\r\nd STATUS INBOX (SIZE DELETED MESSAGES)\r\n",
		// CONTEXT=SEARCH, CONTEXT=SORT (RFC 5267 §4): UPDATE, PARTIAL, CANCELUPDATE.
		"a SEARCH RETURN (UPDATE ALL) SEEN\r\nb STORE 1 +FLAGS (\\Seen)\r\nc APPEND INBOX {1+}\r\nx\r\nd EXPUNGE\r\ne CANCELUPDATE \"a\" \"z\"\r\n",
		"a UID SORT RETURN (UPDATE COUNT) (REVERSE ARRIVAL) UTF-8 ALL\r\nb STORE 1 +FLAGS (\\Deleted)\r\nc EXPUNGE\r\nd CLOSE\r\n",
		"a SEARCH RETURN (PARTIAL 4:2) ALL\r\nb SORT RETURN (PARTIAL 1:1) (SUBJECT) UTF-8 ALL\r\nc SEARCH RETURN (PARTIAL 1:*) ALL\r\nd SEARCH RETURN (UPDATE PARTIAL 0:4294967296) ALL\r\ne CANCELUPDATE\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		be := imapmem.New()
		if err := be.AddUser("alice", "secret"); err != nil {
			t.Fatal(err)
		}
		_, _ = be.Deliver("alice", "INBOX", []byte("From: a@b\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n"), nil)
		var panics atomic.Int64
		srv := &imapserver.Server{Backend: be, AllowInsecureAuth: true, Logger: slog.New(panicCounter{&panics}),
			Limits: imapserver.Limits{MaxLineLength: 4096, MaxMessageSize: 1 << 16, CommandTimeout: 2 * time.Second, IdleTimeout: 2 * time.Second}}
		l := newPipeListener()
		served := make(chan struct{})
		go func() { _ = srv.Serve(l); close(served) }()
		c := l.dial()
		drained := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, c); close(drained) }()
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Write([]byte("p1 LOGIN alice secret\r\np2 SELECT INBOX\r\n" + input + "\r\nDONE\r\nz LOGOUT\r\n"))
		_ = c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Fatalf("connection did not end: %v", err)
		}
		<-served
		<-drained
		if panics.Load() > 0 {
			t.Fatalf("server panicked on %q", input)
		}
	})
}
