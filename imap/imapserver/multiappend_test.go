package imapserver_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

func lit(msg string) string { return "{" + itoa(len(msg)) + "+}\r\n" + msg }

func TestMultiAppend(t *testing.T) {
	t.Parallel()
	m1 := "Subject: one\r\n\r\nbody1\r\n"
	m2 := "Subject: two\r\n\r\nbody2\r\n"
	m3 := "Subject: three\r\n\r\nbody3\r\n"
	tests := []struct {
		name   string
		limits imapserver.Limits
		cmd    string // sent raw after the tag, without the final CRLF
		status string // prefix of the tagged reply after the tag
		stored []string
	}{
		{"three messages with flags and dates", imapserver.Limits{},
			"APPEND INBOX " + lit(m1) + ` (\Seen) ` + lit(m2) + ` (\Flagged) "01-Jan-2020 10:00:00 +0000" ` + lit(m3),
			"OK [APPENDUID ", []string{m1, m2, m3}},
		{"one message", imapserver.Limits{}, "APPEND INBOX " + lit(m1), "OK [APPENDUID ", []string{m1}},
		{"syntax error in the second message stores nothing", imapserver.Limits{},
			"APPEND INBOX " + lit(m1) + " (\\Seen " + lit(m2), "BAD", nil},
		{"invalid flag in the third message stores nothing", imapserver.Limits{},
			"APPEND INBOX " + lit(m1) + " " + lit(m2) + ` (\Recent) ` + lit(m3), "BAD", nil},
		{"trailing garbage stores nothing", imapserver.Limits{},
			"APPEND INBOX " + lit(m1) + " " + lit(m2) + " x", "BAD", nil},
		{"total over the limit (LITERAL+) stores nothing", imapserver.Limits{MaxMessageSize: 30, MaxMultiAppendSize: 50},
			"APPEND INBOX " + lit(m1) + " " + lit(m2) + " " + lit(m3), "NO [TOOBIG]", nil},
		{"no such mailbox", imapserver.Limits{}, "APPEND Nope " + lit(m1) + " " + lit(m2), "NO [TRYCREATE]", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, func(s *imapserver.Server) { s.Limits = tt.limits })
			r := login(t, env, "alice")
			r.sendRaw("a " + tt.cmd + "\r\n")
			lines := r.until("a ")
			assert.True(t, strings.HasPrefix(last(lines), "a "+tt.status), "%q", lines)
			// The connection is still in sync.
			assert.True(t, strings.HasPrefix(last(r.cmd("n", "NOOP")), "n OK"))
			msgs, err := env.be.Messages("alice", "INBOX")
			require.NoError(t, err)
			var got []string
			for _, m := range msgs {
				got = append(got, string(m.Raw))
			}
			assert.Equal(t, tt.stored, got)
			if len(tt.stored) == 3 {
				assert.Equal(t, []imap.Flag{imap.FlagSeen}, msgs[1].Flags)
				assert.Equal(t, time.Date(2020, 1, 1, 10, 0, 0, 0, time.UTC), msgs[2].Date.UTC())
				assert.Contains(t, last(lines), " 1:3]")
			}
		})
	}
}

// TestMultiAppendSynchronising walks through synchronising literals: each
// message waits for a continuation, and one over the total limit is
// refused without being sent.
func TestMultiAppendSynchronising(t *testing.T) {
	t.Parallel()
	env := newEnv(t, func(s *imapserver.Server) {
		s.Limits = imapserver.Limits{MaxMessageSize: 30, MaxMultiAppendSize: 45}
	})
	r := login(t, env, "alice")
	m := "Subject: a\r\n\r\nbody\r\n" // 20 octets
	r.sendRaw("a APPEND INBOX {20}\r\n")
	assert.True(t, strings.HasPrefix(r.line(), "+ "))
	r.sendRaw(m + " {20}\r\n")
	assert.True(t, strings.HasPrefix(r.line(), "+ "))
	r.sendRaw(m + " {20}\r\n")
	assert.Equal(t, "a NO [TOOBIG] Messages too big together", r.line())
	assert.True(t, strings.HasPrefix(last(r.cmd("n", "NOOP")), "n OK"))
	msgs, err := env.be.Messages("alice", "INBOX")
	require.NoError(t, err)
	assert.Empty(t, msgs)

	// A single message over MaxMessageSize is refused the same way.
	r.sendRaw("b APPEND INBOX {20}\r\n")
	assert.True(t, strings.HasPrefix(r.line(), "+ "))
	r.sendRaw(m + " {31}\r\n")
	assert.True(t, strings.HasPrefix(r.line(), "b NO [TOOBIG]"))
	assert.True(t, strings.HasPrefix(last(r.cmd("n", "NOOP")), "n OK"))

	// Within the limits both are stored.
	r.sendRaw("c APPEND INBOX {20}\r\n")
	assert.True(t, strings.HasPrefix(r.line(), "+ "))
	r.sendRaw(m + " {20}\r\n")
	assert.True(t, strings.HasPrefix(r.line(), "+ "))
	r.sendRaw(m + "\r\n")
	assert.True(t, strings.HasPrefix(r.line(), "c OK [APPENDUID "))
	msgs, err = env.be.Messages("alice", "INBOX")
	require.NoError(t, err)
	assert.Len(t, msgs, 2)
}

func TestMultiAppendNotAnnouncedWithoutSession(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	srv := &imapserver.Server{Backend: &plainBackend{be: env.be}, AllowInsecureAuth: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	r := dialRaw(t, l.Addr().String())
	require.True(t, strings.HasPrefix(last(r.cmd("l", "LOGIN alice secret")), "l OK"))
	caps := strings.Fields(r.cmd("c", "CAPABILITY")[0])
	assert.NotContains(t, caps, "MULTIAPPEND")
	assert.Contains(t, caps, "BINARY")
	// A single APPEND still works through Session.Append.
	r.sendRaw("a APPEND INBOX " + lit("Subject: x\r\n\r\ny\r\n") + "\r\n")
	assert.True(t, strings.HasPrefix(last(r.until("a ")), "a OK [APPENDUID "))
}

// scriptedAppend is a session whose AppendMulti misbehaves or fails in
// the way its mode says.
type scriptedAppend struct {
	imapserver.Session
	mode string
}

func (s scriptedAppend) AppendMulti(ctx context.Context, name string, next func() (*imapserver.AppendMessage, error)) (*imapserver.MultiAppendData, error) {
	m, err := next()
	if err != nil {
		return nil, err
	}
	switch s.mode {
	case "unread":
		_, err := next() // without reading the first message
		return nil, err
	case "quota":
		_, _ = io.Copy(io.Discard, m.Body)
		return nil, imapserver.ErrOverQuota
	}
	return nil, errors.New("unknown mode")
}

type scriptedBackend struct {
	be   imapserver.Backend
	mode string
}

func (b scriptedBackend) NewSession(ctx context.Context, c *imapserver.ConnInfo) (imapserver.Session, error) {
	s, err := b.be.NewSession(ctx, c)
	return scriptedAppend{Session: s, mode: b.mode}, err
}

func TestMultiAppendSessionFailures(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ mode, status string }{
		{"unread", "NO [SERVERBUG]"},
		{"quota", "NO [OVERQUOTA]"},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, nil)
			srv := &imapserver.Server{Backend: scriptedBackend{be: env.be, mode: tt.mode}, AllowInsecureAuth: true,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			go func() { _ = srv.Serve(l) }()
			t.Cleanup(func() { _ = srv.Close() })
			r := dialRaw(t, l.Addr().String())
			require.True(t, strings.HasPrefix(last(r.cmd("l", "LOGIN alice secret")), "l OK"))
			r.sendRaw("a APPEND INBOX " + lit("Subject: 1\r\n\r\n1\r\n") + " " + lit("Subject: 2\r\n\r\n2\r\n") + " " + lit("x") + "\r\n")
			assert.True(t, strings.HasPrefix(last(r.until("a ")), "a "+tt.status))
			assert.True(t, strings.HasPrefix(last(r.cmd("n", "NOOP")), "n OK"))
		})
	}
}
