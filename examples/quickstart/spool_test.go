package main

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/esmtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSpool(t *testing.T) {
	t.Parallel()
	t.Run("valid", func(t *testing.T) {
		t.Parallel()
		env, data, err := parseSpool([]byte(validSpool), 1<<20)
		require.NoError(t, err)
		assert.Equal(t, "0006278a1c2e5f01", env.ID)
		assert.Equal(t, "alice@example.test", env.From)
		assert.Equal(t, []string{dave, erin}, env.Rcpts)
		assert.Equal(t, time.Date(2026, 11, 29, 19, 30, 0, 123456789, time.UTC), env.Arrived)
		assert.Equal(t, time.Date(2026, 11, 29, 19, 31, 0, 0, time.UTC), env.Next)
		assert.Equal(t, 1, env.Attempts)
		assert.Equal(t, "Hello.\r\n.\r\n", string(data))
		hdr, err := env.encodeHeader()
		require.NoError(t, err)
		assert.Equal(t, validSpool, string(hdr)+string(data), "canonical form round-trips byte for byte")
	})
	t.Run("null sender, quoted and UTF-8 recipients", func(t *testing.T) {
		t.Parallel()
		env, _, err := parseSpool([]byte(spoolSeeds[1]), 1<<20)
		require.NoError(t, err)
		assert.Equal(t, "", env.From)
		assert.Equal(t, []string{`"john doe"@example.test`, "jöhn@exämple.test"}, env.Rcpts)
		assert.Equal(t, time.Date(2026, 1, 2, 2, 4, 5, 0, time.UTC), env.Arrived, "offsets become UTC")
	})

	t.Run("version 2 with DSN parameters", func(t *testing.T) {
		t.Parallel()
		env, data, err := parseSpool([]byte(validSpoolV2), 1<<20)
		require.NoError(t, err)
		assert.Equal(t, esmtp.RetHdrs, env.Ret)
		assert.Equal(t, "QQ+4711 x", env.EnvID, "xtext decoded")
		assert.Equal(t, []string{dave, erin}, env.Rcpts)
		assert.Equal(t, map[string]rcptDSN{dave: {Notify: esmtp.NotifySuccess | esmtp.NotifyFailure,
			ORcpt: &esmtp.ORcpt{AddrType: "rfc822", Addr: "Dave+X@remote.test"}}}, env.RcptDSN)
		hdr, err := env.encodeHeader()
		require.NoError(t, err)
		assert.Equal(t, validSpoolV2, string(hdr)+string(data), "canonical form round-trips byte for byte")
	})
	t.Run("notification link", func(t *testing.T) {
		t.Parallel()
		env, _, err := parseSpool([]byte(spoolSeeds[10]), 1<<20)
		require.NoError(t, err)
		assert.Equal(t, "", env.From)
		assert.Equal(t, "0000000000000001", env.DSNFor)
		assert.Equal(t, []string{erin, `"e x"@remote.test`}, env.DSNRcpt)
	})
	t.Run("version 1 written when there are no DSN fields", func(t *testing.T) {
		t.Parallel()
		env, _, err := parseSpool([]byte(validSpoolV2), 1<<20)
		require.NoError(t, err)
		env.Ret, env.EnvID, env.RcptDSN = "", "", nil
		hdr, err := env.encodeHeader()
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(string(hdr), "quickstart-spool: 1\n"), string(hdr))
	})

	edit := func(old, new string) string { return strings.Replace(validSpool, old, new, 1) }
	edit2 := func(old, new string) string { return strings.Replace(validSpoolV2, old, new, 1) }
	bad := []struct {
		name string
		in   string
		want error
		line int
	}{
		{"empty", "", ErrSpoolSyntax, 0},
		{"not a spool file", "From: alice\n\nhi", ErrSpoolSyntax, 1},
		{"future version", edit("quickstart-spool: 1", "quickstart-spool: 3"), ErrSpoolVersion, 1},
		{"version-2 key in version 1", edit("attempts: 1\n", "attempts: 1\nret: HDRS\n"), ErrSpoolSyntax, 8},
		{"CRLF header", strings.ReplaceAll(validSpool, "\n", "\r\n"), ErrSpoolSyntax, 0},
		{"truncated data", validSpool[:len(validSpool)-3], ErrSpoolSize, 0},
		{"extra data", validSpool + "x", ErrSpoolSize, 0},
		{"no end of header", "quickstart-spool: 1\nid: 0006278a1c2e5f01\n", ErrSpoolSyntax, 0},
		{"header over 64 KiB", "quickstart-spool: 1\n" + strings.Repeat("rcpt: <a@b>\n", 6000), ErrSpoolTooLarge, 0},
		{"too many recipients", edit("rcpt: <dave@remote.test>\n", strings.Repeat("rcpt: <d@r>\n", 1001)), ErrSpoolTooLarge, 1004},
		{"size over the limit", edit("size: 11", "size: 2000000"), ErrSpoolTooLarge, 9},
		{"size overflows", edit("size: 11", "size: 99999999999999999999"), ErrSpoolSyntax, 9},
		{"negative size", edit("size: 11", "size: -1"), ErrSpoolSyntax, 9},
		{"size with sign", edit("size: 11", "size: +11"), ErrSpoolSyntax, 9},
		{"bad id", edit("id: 0006278a1c2e5f01", "id: ../../etc/passwd"), ErrSpoolSyntax, 2},
		{"upper-case id", edit("id: 0006278a1c2e5f01", "id: 0006278A1C2E5F01"), ErrSpoolSyntax, 2},
		{"duplicate key", edit("attempts: 1\n", "attempts: 1\nattempts: 2\n"), ErrSpoolSyntax, 8},
		{"unknown key", edit("attempts: 1\n", "attempts: 1\ncolour: blue\n"), ErrSpoolSyntax, 8},
		{"missing key", edit("attempts: 1\n", ""), ErrSpoolSyntax, 0},
		{"no recipients", edit("rcpt: <dave@remote.test>\nrcpt: <erin@remote.test>\n", ""), ErrSpoolSyntax, 0},
		{"empty recipient", edit("rcpt: <dave@remote.test>", "rcpt: <>"), ErrSpoolSyntax, 4},
		{"address without brackets", edit("from: <alice@example.test>", "from: alice@example.test"), ErrSpoolSyntax, 3},
		{"control character", edit("rcpt: <dave@remote.test>", "rcpt: <da\x00ve@remote.test>"), ErrSpoolSyntax, 4},
		{"invalid UTF-8", edit("rcpt: <dave@remote.test>", "rcpt: <da\xffve@remote.test>"), ErrSpoolSyntax, 4},
		{"bad time", edit("next: 2026-11-29T19:31:00Z", "next: tomorrow"), ErrSpoolSyntax, 8},
		{"bad attempts", edit("attempts: 1", "attempts: 01"), ErrSpoolSyntax, 7},
		{"line without colon", edit("attempts: 1", "attempts 1"), ErrSpoolSyntax, 7},
		{"rcpt-params in version 1", edit("rcpt: <erin@remote.test>\n", "rcpt: <erin@remote.test>\nrcpt-params: NOTIFY=NEVER\n"), ErrSpoolSyntax, 6},
		{"rcpt-params without rcpt", edit2("ret: HDRS\n", "ret: HDRS\nrcpt-params: NOTIFY=NEVER\n"), ErrSpoolSyntax, 5},
		{"rcpt-params twice", edit2("rcpt: <erin@remote.test>\n", "rcpt: <erin@remote.test>\nrcpt-params: NOTIFY=NEVER\nrcpt-params: NOTIFY=NEVER\n"), ErrSpoolSyntax, 10},
		{"NEVER with SUCCESS", edit2("NOTIFY=SUCCESS,FAILURE", "NOTIFY=NEVER,SUCCESS"), ErrSpoolSyntax, 7},
		{"unknown RCPT parameter", edit2("NOTIFY=SUCCESS,FAILURE", "NOTIFY=SUCCESS XYZ=1"), ErrSpoolSyntax, 7},
		{"empty rcpt-params", edit2("NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Dave+2BX@remote.test", ""), ErrSpoolSyntax, 0},
		{"bad ret", edit2("ret: HDRS", "ret: BODY"), ErrSpoolSyntax, 4},
		{"bad envid xtext", edit2("envid: QQ+2B4711+20x", "envid: QQ+2"), ErrSpoolSyntax, 5},
		{"envid not canonical", edit2("envid: QQ+2B4711+20x", "envid: Q+51"), ErrSpoolSyntax, 5},
		{"envid too long", edit2("envid: QQ+2B4711+20x", "envid: "+strings.Repeat("x", 101)), ErrSpoolSyntax, 5},
		{"bad dsn-for", edit2("size: 11", "dsn-for: 12\nsize: 11"), ErrSpoolSyntax, 12},
		{"dsn-rcpt without brackets", edit2("size: 11", "dsn-rcpt: erin@remote.test\nsize: 11"), ErrSpoolSyntax, 12},
		{"empty dsn-rcpt", edit2("size: 11", "dsn-rcpt: <>\nsize: 11"), ErrSpoolSyntax, 12},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := parseSpool([]byte(tc.in), 1<<20)
			require.ErrorIs(t, err, tc.want)
			var se *SpoolError
			require.True(t, errors.As(err, &se))
			if tc.line > 0 {
				assert.Equal(t, tc.line, se.Line, se.Error())
			}
			assert.True(t, strings.HasPrefix(err.Error(), "quickstart: "), err.Error())
		})
	}
}

func TestEncodeHeaderRefuses(t *testing.T) {
	t.Parallel()
	ok := spoolEnvelope{ID: "0000000000000001", From: alice, Rcpts: []string{dave}, Size: 1}
	for name, mod := range map[string]func(e *spoolEnvelope){
		"bad id":            func(e *spoolEnvelope) { e.ID = "x" },
		"no recipients":     func(e *spoolEnvelope) { e.Rcpts = nil },
		"empty recipient":   func(e *spoolEnvelope) { e.Rcpts = []string{""} },
		"newline in from":   func(e *spoolEnvelope) { e.From = "a\nsize: 5@x" },
		"newline in rcpt":   func(e *spoolEnvelope) { e.Rcpts = []string{"a\r\n@x"} },
		"negative size":     func(e *spoolEnvelope) { e.Size = -1 },
		"year out of range": func(e *spoolEnvelope) { e.Next = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"bad ret":           func(e *spoolEnvelope) { e.Ret = "BODY" },
		"envid too long":    func(e *spoolEnvelope) { e.EnvID = strings.Repeat("x", 101) },
		"NEVER and FAILURE": func(e *spoolEnvelope) {
			e.RcptDSN = map[string]rcptDSN{dave: {Notify: esmtp.NotifyNever | esmtp.NotifyFailure}}
		},
		"newline in ORCPT": func(e *spoolEnvelope) {
			e.RcptDSN = map[string]rcptDSN{dave: {ORcpt: &esmtp.ORcpt{AddrType: "rfc822", Addr: "a\nb"}}}
		},
		"bad ORCPT type": func(e *spoolEnvelope) {
			e.RcptDSN = map[string]rcptDSN{dave: {ORcpt: &esmtp.ORcpt{AddrType: "rfc 822", Addr: "a@b"}}}
		},
		"bad dsn-for":    func(e *spoolEnvelope) { e.DSNFor = "x" },
		"empty dsn-rcpt": func(e *spoolEnvelope) { e.DSNRcpt = []string{""} },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := ok
			mod(&e)
			_, err := e.encodeHeader()
			assert.ErrorIs(t, err, ErrSpoolSyntax)
		})
	}
}

// TestSpoolWriteKeepsOldFile: a write that fails part way leaves the
// previous version whole and no temporary file behind.
func TestSpoolWriteKeepsOldFile(t *testing.T) {
	t.Parallel()
	s := &spool{dir: t.TempDir(), maxMessage: 1 << 20, logger: slog.New(slog.DiscardHandler)}
	e := &spoolEnvelope{ID: "0000000000000001", From: alice, Rcpts: []string{dave, erin}, Size: 5}
	off, err := s.write(e, strings.NewReader("hello"))
	require.NoError(t, err)
	before, err := os.ReadFile(s.path(e.ID))
	require.NoError(t, err)
	assert.Equal(t, "hello", string(before[off:]))

	e2 := *e
	e2.Rcpts = []string{erin}
	_, err = s.write(&e2, io.LimitReader(strings.NewReader("hello"), 3)) // data ends early
	require.Error(t, err)
	after, err := os.ReadFile(s.path(e.ID))
	require.NoError(t, err)
	assert.Equal(t, before, after)
	names, err := filepath.Glob(filepath.Join(s.dir, spoolTempPrefix+"*"))
	require.NoError(t, err)
	assert.Empty(t, names)

	off, err = s.write(&e2, strings.NewReader("hello"))
	require.NoError(t, err)
	got, data, err := parseSpool(mustRead(t, s.path(e.ID)), 1<<20)
	require.NoError(t, err)
	assert.Equal(t, []string{erin}, got.Rcpts)
	assert.Equal(t, "hello", string(data))
	assert.Equal(t, int64(len(mustRead(t, s.path(e.ID))))-5, off)

	require.NoError(t, s.remove(e.ID))
	_, err = os.Stat(s.path(e.ID))
	assert.True(t, os.IsNotExist(err))
	require.NoError(t, s.remove(e.ID), "removing twice is not an error")
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}
