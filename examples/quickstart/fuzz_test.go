package main

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"
)

// spoolSeeds are valid and broken spool files for the fuzz corpus and
// the table test.
var spoolSeeds = []string{
	validSpool,
	"quickstart-spool: 1\nid: 0000000000000001\nfrom: <>\nrcpt: <\"john doe\"@example.test>\nrcpt: <jöhn@exämple.test>\narrived: 2026-01-02T03:04:05+01:00\nattempts: 0\nnext: 2026-01-02T03:04:05Z\nsize: 0\n\n",
	"quickstart-spool: 2\nid: 0000000000000001\n\n",
	"quickstart-spool: 1\r\nid: 0000000000000001\r\n\r\n",
	"quickstart-spool: 1\nid: 0000000000000001\nid: 0000000000000001\n\n",
	"quickstart-spool: 1\nsize: 99999999999999999999\n\n",
	"quickstart-spool: 1\nrcpt: <a\x00b@x>\n\n",
	"",
	"\n\n",
	validSpoolV2,
	// A notification linked to the message it reports on.
	"quickstart-spool: 2\nid: 0000000000000002\nfrom: <>\nrcpt: <alice@example.test>\narrived: 2026-11-29T19:30:00Z\nattempts: 0\nnext: 2026-11-29T19:30:00Z\n" +
		"dsn-for: 0000000000000001\ndsn-rcpt: <erin@remote.test>\ndsn-rcpt: <\"e x\"@remote.test>\nsize: 2\n\nhi",
	// Version-2 lines in a version-1 file, and misplaced or malformed ones.
	"quickstart-spool: 1\nid: 0000000000000001\nfrom: <>\nrcpt: <a@b>\nrcpt-params: NOTIFY=NEVER\narrived: 2026-01-02T03:04:05Z\nattempts: 0\nnext: 2026-01-02T03:04:05Z\nsize: 0\n\n",
	"quickstart-spool: 2\nid: 0000000000000001\nfrom: <>\nrcpt-params: NOTIFY=NEVER\nrcpt: <a@b>\narrived: 2026-01-02T03:04:05Z\nattempts: 0\nnext: 2026-01-02T03:04:05Z\nsize: 0\n\n",
	"quickstart-spool: 2\nid: 0000000000000001\nfrom: <>\nrcpt: <a@b>\nrcpt-params: NOTIFY=NEVER,SUCCESS ORCPT=rfc822;a+40b\nret: hdrs\nenvid: a+2\narrived: 2026-01-02T03:04:05Z\nattempts: 0\nnext: 2026-01-02T03:04:05Z\nsize: 0\n\n",
	"quickstart-spool: 2\nid: 0000000000000001\nfrom: <>\nrcpt: <a@b>\nrcpt-params: ORCPT=utf-8;j+C3+B6hn@x\nrcpt: <c@d>\nrcpt-params: NOTIFY=delay,failure\narrived: 2026-01-02T03:04:05Z\nattempts: 0\nnext: 2026-01-02T03:04:05Z\nsize: 0\n\n",
}

// validSpoolV2 has every version-2 line.
const validSpoolV2 = "quickstart-spool: 2\nid: 0006278a1c2e5f01\nfrom: <alice@example.test>\nret: HDRS\nenvid: QQ+2B4711+20x\n" +
	"rcpt: <dave@remote.test>\nrcpt-params: NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Dave+2BX@remote.test\nrcpt: <erin@remote.test>\n" +
	"arrived: 2026-11-29T19:30:00.123456789Z\nattempts: 1\nnext: 2026-11-29T19:31:00Z\nsize: 11\n\nHello.\r\n.\r\n"

const validSpool = "quickstart-spool: 1\nid: 0006278a1c2e5f01\nfrom: <alice@example.test>\nrcpt: <dave@remote.test>\nrcpt: <erin@remote.test>\n" +
	"arrived: 2026-11-29T19:30:00.123456789Z\nattempts: 1\nnext: 2026-11-29T19:31:00Z\nsize: 11\n\nHello.\r\n.\r\n"

// FuzzParseSpool checks that parseSpool never panics, fails only with a
// *SpoolError, and that whatever it accepts encodes back to a file that
// parses to the same envelope and data.
func FuzzParseSpool(f *testing.F) {
	for _, s := range spoolSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		const limit = 1 << 20
		env, data, err := parseSpool(b, limit)
		if err != nil {
			var se *SpoolError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is %T, want *SpoolError", err, err)
			}
			return
		}
		if int64(len(data)) != env.Size || env.Size > limit {
			t.Fatalf("data %d bytes, size %d", len(data), env.Size)
		}
		hdr, err := env.encodeHeader()
		if err != nil {
			t.Fatalf("accepted envelope does not encode: %v (%+v)", err, env)
		}
		again, data2, err := parseSpool(append(hdr, data...), limit)
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, hdr)
		}
		if !sameEnvelope(env, again) || !bytes.Equal(data, data2) {
			t.Fatalf("round trip changed the file:\n%+v\n%+v", env, again)
		}
	})
}

func sameEnvelope(a, b *spoolEnvelope) bool {
	if a.ID != b.ID || a.From != b.From || a.Attempts != b.Attempts || a.Size != b.Size ||
		!a.Arrived.Equal(b.Arrived) || !a.Next.Equal(b.Next) || len(a.Rcpts) != len(b.Rcpts) {
		return false
	}
	for i := range a.Rcpts {
		if a.Rcpts[i] != b.Rcpts[i] || !reflect.DeepEqual(a.RcptDSN[a.Rcpts[i]], b.RcptDSN[b.Rcpts[i]]) {
			return false
		}
	}
	return a.Ret == b.Ret && a.EnvID == b.EnvID && a.DSNFor == b.DSNFor && slices.Equal(a.DSNRcpt, b.DSNRcpt)
}
