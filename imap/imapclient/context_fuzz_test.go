package imapclient_test

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/imap/imapclient"
)

// FuzzContextUpdate has a scripted server send "* ESEARCH <input>"
// during a NOOP: the client must not panic, and ParseContextUpdate must
// either refuse the update or return changes whose sets are not empty.
func FuzzContextUpdate(f *testing.F) {
	for _, s := range []string{
		`(TAG "A1") ADDTO (0 1:3,5)`,
		`(TAG "A1") UID REMOVEFROM (4 9,7:8) ADDTO (1 2)`,
		`(TAG "A1") ALL 1:5 ADDTO (0 4294967295)`,
		`(TAG "A1") ADDTO (x 1)`, `(TAG "A1") ADDTO`, `(TAG "A1") REMOVEFROM (1 0:*)`,
		`(TAG "A1") PARTIAL (1:2 NIL)`, `(TAG A1) ADDTO ((1) 2)`, `ADDTO (1 2)`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		for _, r := range input {
			if r == '\r' || r == '\n' || r == '{' {
				return // one line; no literals (another target's job)
			}
		}
		cc, sc := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer sc.Close()
			_ = sc.SetDeadline(time.Now().Add(5 * time.Second))
			br := bufio.NewReader(sc)
			if _, err := sc.Write([]byte("* OK [CAPABILITY IMAP4rev1] fuzz\r\n")); err != nil {
				return
			}
			line, err := br.ReadString('\n')
			if err != nil || len(line) < 2 {
				return
			}
			tag := line[:len(line)-len(" NOOP\r\n")]
			_, _ = sc.Write([]byte("* ESEARCH " + input + "\r\n" + tag + " OK done\r\n"))
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := imapclient.New(ctx, cc, &imapclient.Options{OnUpdate: func(u *imapclient.Update) {
			cu, ok, err := imapclient.ParseContextUpdate(u)
			if ok && err == nil {
				for _, ch := range cu.Changes {
					if len(ch.Nums) == 0 {
						t.Fatalf("%q: empty change %+v", input, ch)
					}
				}
			}
		}})
		if err == nil {
			_ = c.Noop(ctx)
			_ = c.Close()
		}
		_ = cc.Close()
		<-done
	})
}
