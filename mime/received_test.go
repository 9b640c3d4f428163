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
	var n, dateAgree, byAgree, byN, excluded int
	for _, v := range loadHeaderVectors(t, "received") {
		n++
		var want struct {
			By *struct {
				Name string `json:"Name"`
			} `json:"by"`
			Date *struct {
				Year, Month, Day, Hour, Minute, Second int
				TzBeforeGMT                            bool `json:"tz_before_gmt"`
				TzHour                                 int  `json:"tz_hour"`
				TzMinute                               int  `json:"tz_minute"`
			} `json:"date"`
		}
		require.NoError(t, json.Unmarshal(v.Expected, &want))
		r, err := ParseReceived(fieldValue(t, v.Header))
		if want.By != nil && want.By.Name != "" {
			byN++
			if r.By == want.By.Name {
				byAgree++
			}
		}
		if _, ok := receivedDateExceptions[v.Header]; ok {
			excluded++
			continue
		}
		if want.Date == nil {
			if r.Date.IsZero() {
				dateAgree++
			}
			continue
		}
		if err != nil {
			t.Logf("date not parsed: %q: %v", v.Header, err)
			continue
		}
		off := (want.Date.TzHour*60 + want.Date.TzMinute) * 60
		if want.Date.TzBeforeGMT {
			off = -off
		}
		_, gotOff := r.Date.Zone()
		if r.Date.Year() == want.Date.Year && int(r.Date.Month()) == want.Date.Month && r.Date.Day() == want.Date.Day &&
			r.Date.Hour() == want.Date.Hour && r.Date.Minute() == want.Date.Minute && r.Date.Second() == want.Date.Second && gotOff == off {
			dateAgree++
		} else {
			t.Logf("date differs: %q: got %v", v.Header, r.Date)
		}
	}
	t.Logf("mail-parser Received: %d vectors; dates agree %d, %d documented exceptions; by-host agrees %d of %d", n, dateAgree, excluded, byAgree, byN)
	assert.Equal(t, n, dateAgree+excluded, "every Received date agrees or is a documented exception")
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

var receivedDateExceptions = map[string]string{
	"FROM ca-ex-bridge1.nai.com BY scwsout1.nai.com ; Fri Feb 07 10:18:12 2003 -0800\n":                                                                                                                                                               "asctime order \"Day Mon DD hh:mm:ss YYYY\": mail-parser misreads the fields",
	"from [193.220.176.134] by web40310.mail.yahoo.com via HTTP; Wed, 12 Feb 2003 14:22:21 PST\n":                                                                                                                                                     "alphabetic zone (RFC 5322 obs-zone): mail-parser reads it as +0000",
	"from snake.corp.yahoo.com(216.145.52.229) by x.x.org via smap (V1.3) id xma093673; Wed, 26 Mar 03 20:43:24 -0600\n":                                                                                                                              "two-digit year (RFC 5322 obs-year: 03 is 2003): mail-parser differs",
	"from smtp.greyware.com(208.14.208.51, HELO smtp.sff.net) by x.x.org via smap (V1.3) id xma002908; Fri, 27 Feb 04 14:16:56 -0800\n":                                                                                                               "two-digit year (RFC 5322 obs-year: 03 is 2003): mail-parser differs",
	"from TCE-E-7-182-54.bta.net.cn(202.106.182.54) via SMTP by st.tahina.priv.at, id smtpdEDUB8h; Sun Nov 13 14:50:12 2005\n":                                                                                                                        "asctime order \"Day Mon DD hh:mm:ss YYYY\": mail-parser misreads the fields",
	"from pl027.nas934.d-osaka.nttpc.ne.jp(61.197.82.27), claiming to be \"foo.woas.net\" via SMTP by st.tahina.priv.at, id smtpd1PBsZT; Sun Nov 13 15:38:52 2005\n":                                                                                  "asctime order \"Day Mon DD hh:mm:ss YYYY\": mail-parser misreads the fields",
	"from olgisoft.com (127.0.0.1) by 127.0.0.1 (EzMTS MTSSmtp 1.55d5) ; Thu, 20 Mar 03 10:06:43 +0100 for <asrg@ietf.org>\n":                                                                                                                         "two-digit year (RFC 5322 obs-year: 03 is 2003): mail-parser differs",
	"from MjA3NDc4Mg (unknown) by ismtpd0001p1lon1.sendgrid.net (SG) with HTTP id aqHKNX2kSp-HiqspAa-uvw for <email@e.example.com>; Thu, 02 Apr 2020 07:53:55.516 +0000 (UTC)\n":                                                                      "fractional seconds: mail-parser drops the seconds",
	"from [<4124973-137966-3089@be2.maropost.com>] ([<4124973-137966-3089@be2.maropost.com>] helo=maropost.com)  by 643852-mailer2 (envelope-from 4124973-137966-3089@be2.maropost.com) Jetsend MTA 0.0.1 with ESMTP; Fri Sep 14 14:36:56 EDT 2018\n": "alphabetic zone (RFC 5322 obs-zone): mail-parser reads it as +0000",
	"(from vashugins@juno.com)  by m06.lax.untd.com (jqueuemail) id LRVB3JAJ; Fri, 02 Jun 2006 08:15:21 PDT\n":                                                                                                                                        "alphabetic zone (RFC 5322 obs-zone): mail-parser reads it as +0000",
}
