package mime

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMailParserReceived(t *testing.T) {
	t.Parallel()
	dates := vectorTally{name: "mail-parser Received dates", ex: receivedDateExceptions}
	hosts := vectorTally{name: "mail-parser Received by-hosts", ex: receivedByExceptions}
	for _, v := range loadHeaderVectors(t, "received") {
		var want struct {
			By *struct {
				Name string `json:"Name"`
			} `json:"by"`
			Date *mpDate `json:"date"`
		}
		require.NoError(t, json.Unmarshal(v.Expected, &want))
		r, err := ParseReceived(fieldValue(t, v.Header))
		// the "by" host, where mail-parser names one (it also has
		// by-IP forms, not compared)
		if want.By != nil && want.By.Name != "" {
			hosts.n++
			if !hosts.excepted(t, v.Header, r.By == want.By.Name) && assert.Equal(t, want.By.Name, r.By, "by host of %q", v.Header) {
				hosts.agree++
			}
		}
		dates.n++
		agrees := want.Date == nil && r.Date.IsZero() || want.Date != nil && err == nil && want.Date.equal(r.Date)
		if dates.excepted(t, v.Header, agrees) {
			continue
		}
		if want.Date == nil {
			if assert.True(t, r.Date.IsZero(), "input %q: got date %v, want none", v.Header, r.Date) {
				dates.agree++
			}
			continue
		}
		if assert.NoError(t, err, "input %q", v.Header) && assert.True(t, want.Date.equal(r.Date), "input %q: got %v, want %+v", v.Header, r.Date, *want.Date) {
			dates.agree++
		}
	}
	dates.log(t)
	hosts.log(t)
}

func TestReceivedRoundTrip(t *testing.T) {
	t.Parallel()
	in := Received{From: "mail.example.com", FromComment: "mail.example.com [192.0.2.1]", By: "mx.example.org",
		With: "ESMTPS", ID: "4Xy7abc", For: "bob@example.org", Date: time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("", 2*3600))}
	out, err := ParseReceived(unfold([]byte(in.String())))
	require.NoError(t, err)
	assert.Equal(t, in.From, out.From)
	assert.Equal(t, in.FromComment, out.FromComment)
	assert.Equal(t, in.By, out.By)
	assert.Equal(t, in.With, out.With)
	assert.Equal(t, in.ID, out.ID)
	assert.Equal(t, in.For, out.For)
	assert.True(t, in.Date.Equal(out.Date))
}

func TestThreadIndex(t *testing.T) {
	t.Parallel()
	when := time.Date(2023, 4, 5, 6, 7, 8, 0, time.UTC)
	ticks := uint64(when.UnixNano()/100) + 116444736000000000
	var b [27]byte
	var ft [8]byte
	binary.BigEndian.PutUint64(ft[:], ticks)
	copy(b[:6], ft[:6])
	guid := []byte{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	copy(b[6:22], guid)
	ti, err := ParseThreadIndex(base64.StdEncoding.EncodeToString(b[:]))
	require.NoError(t, err)
	assert.Equal(t, "00112233-4455-6677-8899-aabbccddeeff", ti.GUID)
	assert.Equal(t, 1, ti.Children)
	// 6 bytes of FILETIME keep the time to about 1.7 s
	assert.WithinDuration(t, when, ti.Time, 2*time.Second)
	_, err = ParseThreadIndex("AQID")
	assert.ErrorIs(t, err, ErrSyntax)
}

func TestReplyToFallsBackToFrom(t *testing.T) {
	t.Parallel()
	p, err := ParseBytes([]byte("From: A <a@x.test>\r\n\r\n"), nil)
	require.NoError(t, err)
	rt, err := p.Header.ReplyTo()
	require.NoError(t, err)
	assert.Equal(t, []Address{{Name: "A", Address: "a@x.test"}}, rt)
	p, err = ParseBytes([]byte("From: A <a@x.test>\r\nReply-To: list@x.test\r\n\r\n"), nil)
	require.NoError(t, err)
	rt, err = p.Header.ReplyTo()
	require.NoError(t, err)
	assert.Equal(t, []Address{{Address: "list@x.test"}}, rt)
}

// mail-parser's expected Received dates for these inputs are not valid
// dates (month 13, second 211, ...) or ignore RFC 5322's obsolete date
// rules; ours follow RFC 5322 section 3.3 and 4.3.
const (
	asctimeDate = "asctime-style date \"Day Mon DD hh:mm:ss YYYY\" (not RFC 5322, written by some MTAs): we read it in asctime order, " +
		"mail-parser reads the fields in RFC 5322 order and expects an impossible date (e.g. month 13, second 211)"
	twoDigitYear = "two-digit year: RFC 5322 section 4.3 (obs-year) adds 2000 to years 00-49 and 1900 to 50-99, so \"03\" is 2003; " +
		"mail-parser expects 1903"
	alphaZone = "alphabetic zone: RFC 5322 section 4.3 (obs-zone) gives EDT -0400, PDT -0700, PST -0800; we apply it, " +
		"mail-parser expects +0000"
)

var receivedDateExceptions = map[string]string{
	"FROM ca-ex-bridge1.nai.com BY scwsout1.nai.com ; Fri Feb 07 10:18:12 2003 -0800\n":                                                                                                                                                               asctimeDate,
	"from TCE-E-7-182-54.bta.net.cn(202.106.182.54) via SMTP by st.tahina.priv.at, id smtpdEDUB8h; Sun Nov 13 14:50:12 2005\n":                                                                                                                        asctimeDate + "; no zone: we use UTC (-0000, RFC 5322 section 4.3)",
	"from pl027.nas934.d-osaka.nttpc.ne.jp(61.197.82.27), claiming to be \"foo.woas.net\" via SMTP by st.tahina.priv.at, id smtpd1PBsZT; Sun Nov 13 15:38:52 2005\n":                                                                                  asctimeDate + "; no zone: we use UTC (-0000, RFC 5322 section 4.3)",
	"from [<4124973-137966-3089@be2.maropost.com>] ([<4124973-137966-3089@be2.maropost.com>] helo=maropost.com)  by 643852-mailer2 (envelope-from 4124973-137966-3089@be2.maropost.com) Jetsend MTA 0.0.1 with ESMTP; Fri Sep 14 14:36:56 EDT 2018\n": asctimeDate + " with a zone name before the year; " + alphaZone,
	"from snake.corp.yahoo.com(216.145.52.229) by x.x.org via smap (V1.3) id xma093673; Wed, 26 Mar 03 20:43:24 -0600\n":                                                                                                                              twoDigitYear,
	"from smtp.greyware.com(208.14.208.51, HELO smtp.sff.net) by x.x.org via smap (V1.3) id xma002908; Fri, 27 Feb 04 14:16:56 -0800\n":                                                                                                               twoDigitYear + " (\"04\" is 2004, mail-parser 1904)",
	"from olgisoft.com (127.0.0.1) by 127.0.0.1 (EzMTS MTSSmtp 1.55d5) ; Thu, 20 Mar 03 10:06:43 +0100 for <asrg@ietf.org>\n":                                                                                                                         twoDigitYear,
	"from [193.220.176.134] by web40310.mail.yahoo.com via HTTP; Wed, 12 Feb 2003 14:22:21 PST\n":                                                                                                                                                     alphaZone,
	"(from vashugins@juno.com)  by m06.lax.untd.com (jqueuemail) id LRVB3JAJ; Fri, 02 Jun 2006 08:15:21 PDT\n":                                                                                                                                        alphaZone,
	"from MjA3NDc4Mg (unknown) by ismtpd0001p1lon1.sendgrid.net (SG) with HTTP id aqHKNX2kSp-HiqspAa-uvw for <email@e.example.com>; Thu, 02 Apr 2020 07:53:55.516 +0000 (UTC)\n": "" +
		"fractional seconds \"55.516\" (not RFC 5322 syntax, written by SendGrid): we keep the whole seconds (07:53:55) and drop the fraction, " +
		"mail-parser expects second 0",
}

// receivedByExceptions: the "by" host (RFC 5321 section 4.4, By-domain =
// "BY" FWS Extended-Domain) where mail-parser's expectation differs.
var receivedByExceptions = map[string]string{
	"from [192.168.0.13] by <server> (MailGate 3.5.172) with SMTP; Tue, 1 Apr 2003 15:04:55 +0100\n": "\"<server>\" is neither a domain nor " +
		"an address literal (RFC 5321 section 4.1.2/4.4); we return the word as written, mail-parser strips the angle brackets and " +
		"returns \"server\" - either is a guess, we do not invent a host name",
	"from qmail-scanner-general-admin@lists.sourceforge.net by alpha by uid 7791 with qmail-scanner-1.14 (spamassassin: 2.41. Clear:SA:0(-4.1/5.0):. Processed in 0.209512 secs)\n": "" +
		"qmail-scanner writes \"by <host> by uid <n>\": the by-domain is \"alpha\" (the first By clause, RFC 5321 section 4.4 allows one); " +
		"we return \"alpha\", mail-parser takes the second clause and returns \"uid\"",
}

func TestParseReceivedHosts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, from, by string }{
		{"from a.example (a.example [192.0.2.1]) by mx.example with ESMTP id x; Tue, 1 Apr 2003 15:04:55 +0100", "a.example", "mx.example"},
		{"from a by mailscan.example [192.0.2.27] with SMTP; Tue, 1 Apr 2003 15:04:55 +0100", "a", "mailscan.example"},
		{"from a by mx.example <Q1@mx.example>; Tue, 1 Apr 2003 15:04:55 +0100", "a", "mx.example"},
		{"from a(192.0.2.1) via SMTP by st.example, id x; Sun Nov 13 14:50:12 2005", "a", "st.example"},
		{"from x@list.example by alpha by uid 7791 with qmail-scanner-1.14", "x@list.example", "alpha"},
		{"from [192.0.2.1] by [192.0.2.2] with SMTP; Tue, 1 Apr 2003 15:04:55 +0100", "[192.0.2.1]", "[192.0.2.2]"},
	} {
		r, _ := ParseReceived(tc.in)
		assert.Equal(t, tc.from, r.From, tc.in)
		assert.Equal(t, tc.by, r.By, tc.in)
	}
}
