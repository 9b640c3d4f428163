package imapserver_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const binaryMsg = "From: a@example.org\r\nSubject: bin\r\n" +
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
	"--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8Ad29ybGQ=\r\n" +
	"--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nsoft=\r\nbreak=3D\r\n" +
	"--b\r\nContent-Transfer-Encoding: x-unknown\r\n\r\nzzz\r\n" +
	"--b--\r\n"

func TestFetchBinary(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	_, err := env.be.Deliver("alice", "INBOX", []byte(binaryMsg), nil)
	require.NoError(t, err)
	r := login(t, env, "alice")
	r.cmd("s", "SELECT INBOX")

	tests := []struct {
		name, cmd string
		want      []string // lines before the tagged reply
		status    string
	}{
		{"base64 with NUL is a literal8", "FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])",
			[]string{"* 1 FETCH (BINARY[1] ~{11}", "hello\x00world BINARY.SIZE[1] 11)"}, "OK"},
		{"quoted-printable", "FETCH 1 (BINARY.PEEK[2])",
			[]string{"* 1 FETCH (BINARY[2] {10}", "softbreak=)"}, "OK"},
		{"partial of decoded data", "FETCH 1 (BINARY.PEEK[1]<6.5>)",
			[]string{"* 1 FETCH (BINARY[1]<6> {5}", "world)"}, "OK"},
		{"partial without NUL is a literal", "FETCH 1 (BINARY.PEEK[1]<0.5>)",
			[]string{"* 1 FETCH (BINARY[1]<0> {5}", "hello)"}, "OK"},
		{"unknown CTE", "FETCH 1 (BINARY.PEEK[3])", nil, "NO [UNKNOWN-CTE]"},
		{"unknown CTE in BINARY.SIZE", "FETCH 1 (UID BINARY.SIZE[3])", nil, "NO [UNKNOWN-CTE]"},
		{"no such part", "FETCH 1 (BINARY.SIZE[7])", []string{"* 1 FETCH (BINARY.SIZE[7] 0)"}, "OK"},
		{"same part twice", "FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[2]<4.3>)",
			[]string{"* 1 FETCH (BINARY[2] {10}", "softbreak= BINARY[2]<4> {3}", "bre BINARY.SIZE[2] 10)"}, "OK"},
		{"BINARY with a specifier", "FETCH 1 (BINARY[1.MIME])", nil, "BAD"},
	}
	for _, tt := range tests {
		lines := r.cmd("f", tt.cmd)
		require.NotEmpty(t, lines, tt.name)
		assert.True(t, strings.HasPrefix(last(lines), "f "+tt.status), "%s: %q", tt.name, lines)
		assert.Equal(t, tt.want, nilIfEmpty(lines[:len(lines)-1]), tt.name)
	}

	// BINARY (not PEEK) sets \Seen.
	lines := r.cmd("g", "FETCH 1 (BINARY[2])")
	assert.Contains(t, strings.Join(lines, "\n"), `\Seen`)
}

func TestCapabilityBinary(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	caps := r.cmd("c", "CAPABILITY")
	assert.Contains(t, strings.Fields(caps[0]), "BINARY")
}

func TestAppendLiteral8(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	r := login(t, env, "alice")
	msg := "Subject: x\r\nContent-Transfer-Encoding: binary\r\n\r\na\x00b\r\n"
	r.sendRaw("a APPEND INBOX ~{" + itoa(len(msg)) + "+}\r\n" + msg + "\r\n")
	assert.True(t, strings.HasPrefix(last(r.until("a ")), "a OK"))
	r.cmd("s", "SELECT INBOX")
	lines := r.cmd("f", "FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])")
	assert.Equal(t, []string{"* 1 FETCH (BINARY[1] ~{5}", "a\x00b", " BINARY.SIZE[1] 5)", "f OK FETCH completed"}, lines)
	// Stored with the binary part in base64 (RFC 3516 §4.4): BODY[]
	// carries no NUL.
	lines = r.cmd("g", "FETCH 1 (BODY.PEEK[1] BODY.PEEK[1.MIME])")
	assert.Equal(t, []string{"* 1 FETCH (BODY[1] {10}", "YQBiDQo=", " BODY[1.MIME] {49}", "Subject: x", "Content-Transfer-Encoding: base64", "", ")", "g OK FETCH completed"}, lines)
	// A literal8 in a MULTIAPPEND is converted the same way.
	r.sendRaw("h APPEND INBOX {" + itoa(len(msg)) + "+}\r\n" + msg + " ~{" + itoa(len(msg)) + "+}\r\n" + msg + "\r\n")
	assert.True(t, strings.HasPrefix(last(r.until("h ")), "h OK"))
	lines = r.cmd("i", "FETCH 2:3 (BINARY.SIZE[1] BODY.PEEK[1])")
	assert.Equal(t, []string{"* 2 FETCH (BODY[1] {5}", "a\x00b", " BINARY.SIZE[1] 5)", "* 3 FETCH (BODY[1] {10}", "YQBiDQo=", " BINARY.SIZE[1] 5)", "i OK FETCH completed"}, lines)
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
