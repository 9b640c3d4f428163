package smtp_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/smtp"
)

// TestLargeDataAndTransactionIDs sends messages larger than any read
// buffer, with commands pipelined behind the end of data, and checks that
// every message arrives intact with its own transaction id in the
// Received header and the 250 reply.
func TestLargeDataAndTransactionIDs(t *testing.T) {
	t.Parallel()
	be := newFakeBackend("example.test")
	c := dialRaw(t, startServer(t, &smtp.Server{Backend: be, Hostname: "mx.example.test"}))
	c.greetEHLO("client.example")
	var bodies []string
	idRe := regexp.MustCompile(`^250 2\.0\.0 Ok: queued as ([0-9a-f]{12})$`)
	var ids []string
	for i, size := range []int{40 << 10, 100, 70 << 10} {
		var b strings.Builder
		for b.Len() < size {
			line := strings.Repeat(string(rune('a'+i)), 1+(b.Len()/7)%990)
			if b.Len()%3 == 0 {
				line = "." + line // dot-stuffed on the wire
			}
			b.WriteString(line + "\r\n")
		}
		body := b.String()
		bodies = append(bodies, body)
		c.send("MAIL FROM:<a@x.example>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n")
		c.expect("", "250 2.1.0 Ok")
		c.expect("", "250 2.1.5 Ok")
		c.expectCode("", "354 ")
		wire := strings.ReplaceAll("\n"+body, "\n.", "\n..")[1:]
		// The next command rides in the same write as the end of data.
		c.send(wire + ".\r\nNOOP\r\n")
		r := c.reply()
		m := idRe.FindStringSubmatch(r)
		require.NotNil(t, m, "%q", r)
		ids = append(ids, m[1])
		c.expect("", "250 2.0.0 Ok")
	}
	c.expect("QUIT", "221 2.0.0 Bye")
	msgs := be.messages()
	require.Len(t, msgs, 3)
	for i, m := range msgs {
		data := string(m.Data)
		require.True(t, strings.HasPrefix(data, "Received: from client.example ([127.0.0.1])\r\n\tby mx.example.test with ESMTP id "+ids[i]+"\r\n\tfor <b@example.test>; "), "%.200q", data)
		assert.True(t, strings.HasSuffix(data, bodies[i]), "message %d body differs", i)
	}
	assert.NotEqual(t, ids[0], ids[1])
	assert.NotEqual(t, ids[1], ids[2])
}
