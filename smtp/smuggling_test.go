package smtp_test

import (
	"io"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/smtp"
)

// smuggleCores are the 16 end-of-data variants of
// ../shared/conformance/smtp/smuggling.md, in its order.
var smuggleCores = []struct {
	name string
	core string
}{
	{"01_lf_dot_lf", "\n.\n"},
	{"02_lf_dot_cr", "\n.\r"},
	{"03_cr_dot_lf", "\r.\n"},
	{"04_cr_dot_cr", "\r.\r"},
	{"05_lf_dot_crlf", "\n.\r\n"},
	{"06_cr_dot_crlf", "\r.\r\n"},
	{"07_crlf_dot_lf", "\r\n.\n"},
	{"08_crlf_dot_cr", "\r\n.\r"},
	{"09_crlf_dot_cr_crlf", "\r\n.\r\r\n"},
	{"10_cr_crlf_dot_cr_crlf", "\r\r\n.\r\r\n"},
	{"11_nul_before_dot", "\r\n\x00.\r\n"},
	{"12_nul_after_dot", "\r\n.\x00\r\n"},
	{"13_nul_dot_cr", "\r\n\x00.\r"},
	{"14_nul_dot_lf", "\r\n\x00.\n"},
	{"15_lf_lf_dot_crlf", "\n\n.\r\n"},
	{"16_crlf_dot_eof", "\r\n."},
}

const smuggled = "MAIL FROM:<evil@smuggle.example>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled body\r\n.\r\n"

// smugglePayload is the SEC Consult framing: body lines with CRLF, the
// core, CRLF, then the smuggled transaction.
func smugglePayload(core string) string {
	return "Subject: first\r\nFrom: a@sender.example\r\n\r\nfirst body\r\n" + core + "\r\n" + smuggled
}

// runSmuggle sends one smuggling attempt in one write and returns the
// replies after 354 and the delivered messages.
func runSmuggle(t *testing.T, s *smtp.Server, be *fakeBackend, payload string) []string {
	t.Helper()
	c := dialRaw(t, startServer(t, s))
	c.greetEHLO("client.example")
	c.expect("MAIL FROM:<a@sender.example>", "250 2.1.0 Ok")
	c.expect("RCPT TO:<alice@example.test>", "250 2.1.5 Ok")
	c.expectCode("DATA", "354 ")
	c.send(payload)
	_, _ = io.WriteString(c.conn, "QUIT\r\n") // may fail when the server closed
	rest, _ := io.ReadAll(c.r)
	var replies []string
	for _, l := range strings.Split(strings.TrimSuffix(string(rest), "\r\n"), "\r\n") {
		if l != "" {
			replies = append(replies, l)
		}
	}
	return replies
}

// checkNotSmuggled asserts the conformance outcomes 1, 2 and 4.
func checkNotSmuggled(t *testing.T, be *fakeBackend, replies []string) {
	t.Helper()
	msgs := be.messages()
	require.LessOrEqual(t, len(msgs), 1, "more than one message accepted: %q", replies)
	queued := 0
	for _, r := range replies {
		if strings.HasPrefix(r, "250 2.0.0 Ok: queued") {
			queued++
		}
		assert.False(t, strings.HasPrefix(r, "250 2.1.0"), "a smuggled MAIL was executed: %q", replies)
	}
	assert.LessOrEqual(t, queued, 1)
	for _, m := range msgs {
		assert.NotEqual(t, "evil@smuggle.example", m.From)
		assert.Contains(t, string(m.Data), "MAIL FROM:<evil@smuggle.example>", "smuggled text must stay data")
		assert.Contains(t, string(m.Data), "\x00"[:0]+"first body")
	}
}

func TestSmugglingStrict(t *testing.T) {
	t.Parallel()
	for _, v := range smuggleCores {
		if v.name == "16_crlf_dot_eof" {
			continue // TestSmugglingReadBoundary
		}
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			be := newFakeBackend("example.test")
			s := &smtp.Server{Backend: be, Hostname: "mx.example.test"}
			replies := runSmuggle(t, s, be, smugglePayload(v.core))
			checkNotSmuggled(t, be, replies)
			assert.Empty(t, be.messages(), "strict mode accepts nothing")
			require.NotEmpty(t, replies)
			want := "550 5.5.2 mx.example.test Error: bare <"
			if strings.Contains(v.core, "\x00") {
				want = "550 5.6.0 mx.example.test Error: NUL character received"
			}
			assert.True(t, strings.HasPrefix(replies[0], want), "got %q", replies)
			assert.Len(t, replies, 1, "connection closed after the refusal: %q", replies)
		})
	}
}

func TestSmugglingNormalize(t *testing.T) {
	t.Parallel()
	for _, exempt := range []bool{false, true} {
		for _, v := range smuggleCores {
			if v.name == "16_crlf_dot_eof" {
				continue
			}
			name := v.name
			if exempt {
				name = "exempt_network/" + name
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				be := newFakeBackend("example.test")
				s := &smtp.Server{Backend: be, Hostname: "mx.example.test", LineEndings: smtp.LineEndingsNormalize}
				if exempt {
					s.LineEndings = smtp.LineEndingsStrict
					s.LineEndingExemptions = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
				}
				replies := runSmuggle(t, s, be, smugglePayload(v.core))
				checkNotSmuggled(t, be, replies)
				if strings.Contains(v.core, "\x00") {
					assert.Empty(t, be.messages())
					assert.Equal(t, []string{"550 5.6.0 mx.example.test Error: NUL character received"}, replies)
					return
				}
				require.Len(t, be.messages(), 1, "%q", replies)
				data := string(be.messages()[0].Data)
				assert.NotContains(t, strings.ReplaceAll(data, "\r\n", ""), "\n", "bare LF normalised to CRLF")
				assert.Equal(t, "221 2.0.0 Bye", replies[len(replies)-1])
			})
		}
	}
}

// TestSmugglingReadBoundary covers variant 16: "CRLF ." at the end of one
// write; the next write decides.
func TestSmugglingReadBoundary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, second, wantTail string
	}{
		{"crlf completes the terminator", "\r\nQUIT\r\n", "first body\r\n"},
		{"dot stuffed line", ".\r\n.\r\nQUIT\r\n", "first body\r\n.\r\n"},
		{"dot space is not the end", " \r\n.\r\nQUIT\r\n", "first body\r\n \r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			be := newFakeBackend("example.test")
			c := dialRaw(t, startServer(t, &smtp.Server{Backend: be}))
			c.greetEHLO("client.example")
			c.expect("MAIL FROM:<a@sender.example>", "250 2.1.0 Ok")
			c.expect("RCPT TO:<alice@example.test>", "250 2.1.5 Ok")
			c.expectCode("DATA", "354 ")
			c.send("Subject: first\r\n\r\nfirst body\r\n.")
			c.send(tt.second)
			c.expectCode("", "250 2.0.0 Ok: queued as ")
			c.expect("", "221 2.0.0 Bye")
			msgs := be.messages()
			require.Len(t, msgs, 1)
			assert.True(t, strings.HasSuffix(string(msgs[0].Data), "\r\n\r\n"+tt.wantTail), "%q", msgs[0].Data)
		})
	}
}

// TestSmugglingPipelinedTransactions: two whole transactions in one write
// (smtpsmug's "pipelining" test) are two honest messages, each answered.
func TestSmugglingPipelinedTransactions(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	c := dialRaw(t, startServer(t, &smtp.Server{Backend: be}))
	c.greetEHLO("client.example")
	tx := "MAIL FROM:<a@sender.example>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n"
	c.send(tx + tx + "QUIT\r\n")
	for i := 0; i < 2; i++ {
		c.expect("", "250 2.1.0 Ok")
		c.expect("", "250 2.1.5 Ok")
		c.expectCode("", "354 ")
		c.expectCode("", "250 2.0.0 Ok: queued as ")
	}
	c.expect("", "221 2.0.0 Bye")
	assert.Len(t, be.messages(), 2)
}

func TestBareLFInCommandRefused(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, cmd, want string }{
		{"bare LF", "NOOP\n", "550 5.5.2 mx.example.test Error: bare <LF> received"},
		{"bare CR", "NO\rOP\r\n", "550 5.5.2 mx.example.test Error: bare <CR> received"},
		{"NUL", "NO\x00OP\r\n", "550 5.6.0 mx.example.test Error: NUL character received"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := dialRaw(t, startServer(t, &smtp.Server{Backend: newFakeBackend("example.test"), Hostname: "mx.example.test"}))
			c.greetEHLO("client.example")
			c.send(tt.cmd)
			c.expect("", tt.want)
			assert.True(t, c.closed())
		})
	}
	t.Run("normalize accepts bare LF commands", func(t *testing.T) {
		t.Parallel()
		c := dialRaw(t, startServer(t, &smtp.Server{Backend: newFakeBackend("example.test"), LineEndings: smtp.LineEndingsNormalize}))
		c.expectCode("", "220 ")
		c.send("NOOP\n")
		c.expect("", "250 Ok")
	})
}

func TestBDAT(t *testing.T) {
	t.Parallel()
	t.Run("chunks", func(t *testing.T) {
		t.Parallel()
		be := newFakeBackend("example.test")
		c := dialRaw(t, startServer(t, &smtp.Server{Backend: be}))
		c.greetEHLO("client.example")
		c.send("MAIL FROM:<a@sender.example>\r\nRCPT TO:<alice@example.test>\r\nBDAT 10\r\nSubject: xBDAT 11 LAST\r\n\r\n\r\n.body\r\n")
		c.expect("", "250 2.1.0 Ok")
		c.expect("", "250 2.1.5 Ok")
		c.expect("", "250 2.0.0 Ok: chunk received")
		c.expectCode("", "250 2.0.0 Ok: queued as ")
		c.expect("BDAT 0 LAST", "503 5.5.1 Error: need MAIL command")
		msgs := be.messages()
		require.Len(t, msgs, 1)
		assert.True(t, strings.HasSuffix(string(msgs[0].Data), "\r\nSubject: x\r\n\r\n.body\r\n"), "%q", msgs[0].Data)
	})
	t.Run("bare LF refused", func(t *testing.T) {
		t.Parallel()
		be := newFakeBackend("example.test")
		c := dialRaw(t, startServer(t, &smtp.Server{Backend: be, Hostname: "mx.example.test"}))
		c.greetEHLO("client.example")
		c.send("MAIL FROM:<a@sender.example>\r\nRCPT TO:<alice@example.test>\r\nBDAT 12 LAST\r\nSubject: x\n\n")
		c.expect("", "250 2.1.0 Ok")
		c.expect("", "250 2.1.5 Ok")
		c.expect("", "550 5.5.2 mx.example.test Error: bare <LF> received")
		assert.True(t, c.closed())
		assert.Empty(t, be.messages())
	})
	t.Run("binarymime passes octets", func(t *testing.T) {
		t.Parallel()
		be := newFakeBackend("example.test")
		c := dialRaw(t, startServer(t, &smtp.Server{Backend: be}))
		c.greetEHLO("client.example")
		c.send("MAIL FROM:<a@sender.example> BODY=BINARYMIME\r\nRCPT TO:<alice@example.test>\r\nBDAT 5 LAST\r\na\nb\rc")
		c.expect("", "250 2.1.0 Ok")
		c.expect("", "250 2.1.5 Ok")
		c.expectCode("", "250 2.0.0 Ok: queued as ")
		require.Len(t, be.messages(), 1)
		assert.True(t, strings.HasSuffix(string(be.messages()[0].Data), "a\nb\rc"))
		c.expect("MAIL FROM:<a@sender.example> BODY=BINARYMIME", "250 2.1.0 Ok")
		c.expect("RCPT TO:<alice@example.test>", "250 2.1.5 Ok")
		c.expect("DATA", "503 5.5.1 Error: BODY=BINARYMIME needs BDAT")
	})
	t.Run("too big", func(t *testing.T) {
		t.Parallel()
		be := newFakeBackend("example.test")
		c := dialRaw(t, startServer(t, &smtp.Server{Backend: be, Limits: smtp.Limits{MessageBytes: 10}}))
		c.greetEHLO("client.example")
		c.send("MAIL FROM:<a@sender.example>\r\nRCPT TO:<alice@example.test>\r\nBDAT 8\r\n12345678BDAT 8 LAST\r\n12345678")
		c.expect("", "250 2.1.0 Ok")
		c.expect("", "250 2.1.5 Ok")
		c.expect("", "250 2.0.0 Ok: chunk received")
		c.expect("", "552 5.3.4 Error: message file too big")
		c.expect("NOOP", "250 2.0.0 Ok")
		assert.Empty(t, be.messages())
	})
	t.Run("RSET aborts", func(t *testing.T) {
		t.Parallel()
		be := newFakeBackend("example.test")
		c := dialRaw(t, startServer(t, &smtp.Server{Backend: be}))
		c.greetEHLO("client.example")
		c.send("MAIL FROM:<a@sender.example>\r\nRCPT TO:<alice@example.test>\r\nBDAT 3\r\nabcRSET\r\n")
		c.expect("", "250 2.1.0 Ok")
		c.expect("", "250 2.1.5 Ok")
		c.expect("", "250 2.0.0 Ok: chunk received")
		c.expect("", "250 2.0.0 Ok")
		c.expect("RCPT TO:<alice@example.test>", "503 5.5.1 Error: need MAIL command")
		assert.Empty(t, be.messages())
	})
}
