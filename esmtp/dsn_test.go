package esmtp

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailkit-go/mailkit/mime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleReport() *Report {
	at := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	return &Report{
		From:               "MAILER-DAEMON@mx.example.com",
		To:                 "sender@mydomain.com",
		Subject:            "Delivery Status Notification",
		Date:               at,
		MessageID:          "dsn.1@mx.example.com",
		Boundary:           "BOUNDARY-1",
		Text:               "This is the mail system at host mx.example.com.\nI'm sorry to have to inform you that your message could not be delivered.",
		OriginalEnvelopeID: "QQ314159",
		ReportingMTA:       DNS("mx.example.com"),
		ReceivedFromMTA:    DNS("mydomain.com"),
		ArrivalDate:        at.Add(-time.Hour),
		Recipients: []RecipientStatus{
			{
				OriginalRecipient: RFC822("friend@example.com"),
				FinalRecipient:    RFC822("friend@example.com"),
				Action:            ActionFailed,
				Status:            EnhancedCode{5, 1, 1},
				RemoteMTA:         DNS("mx2.example.com"),
				DiagnosticCode:    SMTPDiagnostic("550 5.1.1 <friend@example.com>: Recipient address rejected: User unknown"),
				LastAttemptDate:   at,
			},
			{
				FinalRecipient:  RFC822("slow@example.net"),
				Action:          ActionDelayed,
				Status:          EnhancedCode{4, 4, 1},
				DiagnosticCode:  SMTPDiagnostic("connect to mx.example.net: Connection timed out"),
				LastAttemptDate: at,
				WillRetryUntil:  at.Add(96 * time.Hour),
			},
			{
				FinalRecipient: RFC822("ok@example.org"),
				Action:         ActionDelivered,
				Status:         EnhancedCode{2, 0, 0},
				RemoteMTA:      DNS("mx.example.org"),
				Extra:          []Field{{Name: "X-Postfix-Sender", Value: "rfc822; sender@mydomain.com"}},
			},
		},
		Returned:            []byte("Subject: test message\nFrom: sender@mydomain.com\nTo: friend@example.com\n"),
		ReturnedHeadersOnly: true,
	}
}

// TestReportBytes reads the built report back with the mime decoder and
// checks the tree and each part's header and content (the bytes depend on
// the encoder's folding, so they are not compared as a whole).
func TestReportBytes(t *testing.T) {
	t.Parallel()
	b, err := sampleReport().Bytes()
	require.NoError(t, err)
	for _, line := range strings.SplitAfter(string(b), "\r\n") {
		require.True(t, strings.HasSuffix(line, "\r\n") || line == "", "CRLF only: %q", line)
		require.NotContains(t, strings.TrimSuffix(line, "\r\n"), "\n")
		require.LessOrEqual(t, len(line), 1000)
	}
	root, err := mime.ParseBytes(b, nil)
	require.NoError(t, err)
	assert.Empty(t, root.Defects)
	assert.Equal(t, "multipart/report", root.MediaType)
	assert.Equal(t, "delivery-status", root.Params()["report-type"])
	assert.Equal(t, "BOUNDARY-1", root.Boundary())
	assert.Equal(t, "MAILER-DAEMON@mx.example.com", root.Header.Get("From"))
	assert.Equal(t, "sender@mydomain.com", root.Header.Get("To"))
	assert.Equal(t, "Delivery Status Notification", root.Header.Get("Subject"))
	assert.Equal(t, "Fri, 01 Mar 2024 10:00:00 +0000", root.Header.Get("Date"))
	assert.Equal(t, "<dsn.1@mx.example.com>", root.Header.Get("Message-ID"))
	assert.Equal(t, "auto-replied", root.Header.Get("Auto-Submitted"))
	assert.Equal(t, "1.0", root.Header.Get("MIME-Version"))

	require.Len(t, root.Children, 3)
	text, status, ret := root.Children[0], root.Children[1], root.Children[2]
	assert.Equal(t, "text/plain", text.MediaType)
	assert.Equal(t, "us-ascii", text.Charset())
	assert.Equal(t, "7bit", text.TransferEncoding)
	assert.Equal(t, "Notification", text.Header.Get("Content-Description"))
	body, err := text.Text()
	require.NoError(t, err)
	assert.Equal(t, "This is the mail system at host mx.example.com.\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n", body)

	assert.Equal(t, "message/delivery-status", status.MediaType)
	assert.Equal(t, "7bit", status.TransferEncoding)
	sb, err := status.Bytes()
	require.NoError(t, err)
	groups := strings.Split(strings.TrimSuffix(string(sb), "\r\n"), "\r\n\r\n")
	require.Len(t, groups, 4, "per-message group and three recipient groups")
	assert.Equal(t, "Original-Envelope-Id: QQ314159\r\n"+
		"Reporting-MTA: dns; mx.example.com\r\n"+
		"Received-From-MTA: dns; mydomain.com\r\n"+
		"Arrival-Date: Fri, 01 Mar 2024 09:00:00 +0000", groups[0])
	assert.Equal(t, "Original-Recipient: rfc822; friend@example.com\r\n"+
		"Final-Recipient: rfc822; friend@example.com\r\n"+
		"Action: failed\r\n"+
		"Status: 5.1.1\r\n"+
		"Remote-MTA: dns; mx2.example.com\r\n"+
		// folded at 78 columns by mime.EncodeHeader
		"Diagnostic-Code: smtp; 550 5.1.1 <friend@example.com>: Recipient address\r\n rejected: User unknown\r\n"+
		"Last-Attempt-Date: Fri, 01 Mar 2024 10:00:00 +0000", groups[1])
	assert.Equal(t, "Final-Recipient: rfc822; slow@example.net\r\n"+
		"Action: delayed\r\n"+
		"Status: 4.4.1\r\n"+
		"Diagnostic-Code: smtp; connect to mx.example.net: Connection timed out\r\n"+
		"Last-Attempt-Date: Fri, 01 Mar 2024 10:00:00 +0000\r\n"+
		"Will-Retry-Until: Tue, 05 Mar 2024 10:00:00 +0000", groups[2])
	assert.Equal(t, "Final-Recipient: rfc822; ok@example.org\r\n"+
		"Action: delivered\r\n"+
		"Status: 2.0.0\r\n"+
		"Remote-MTA: dns; mx.example.org\r\n"+
		"X-Postfix-Sender: rfc822; sender@mydomain.com", groups[3])

	assert.Equal(t, "text/rfc822-headers", ret.MediaType)
	rb, err := ret.Bytes()
	require.NoError(t, err)
	assert.Equal(t, "Subject: test message\r\nFrom: sender@mydomain.com\r\nTo: friend@example.com\r\n", string(rb))
}

// TestReportTree: RET=FULL gives multipart/report -> text/plain,
// message/delivery-status, message/rfc822 (parsed as an embedded message),
// with LF line breaks of the returned message turned into CRLF.
func TestReportTree(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.Boundary = ""
	r.Returned = []byte("Subject: original\nFrom: a@b.example\n\nline 1\nline 2\n")
	r.ReturnedHeadersOnly = false
	b, err := r.Bytes()
	require.NoError(t, err)
	root, err := mime.ParseBytes(b, nil)
	require.NoError(t, err)
	assert.Empty(t, root.Defects)
	var types []string
	require.NoError(t, root.Walk(func(p *mime.Part) error {
		types = append(types, strings.Repeat(" ", p.Depth)+p.MediaType)
		return nil
	}))
	assert.Equal(t, []string{
		"multipart/report",
		" text/plain",
		" message/delivery-status",
		" message/rfc822",
		"  text/plain", // the returned message's own body
	}, types)
	msg := root.Children[2]
	assert.Contains(t, []string{"7bit", "8bit"}, msg.TransferEncoding, "never base64 or quoted-printable")
	assert.Equal(t, "Subject: original\r\nFrom: a@b.example\r\n\r\nline 1\r\nline 2\r\n", string(msg.RawBody()))
	require.Len(t, msg.Children, 1)
	assert.Equal(t, "original", msg.Children[0].Header.Get("Subject"))
}

// Non-ASCII content: the text part is transfer-encoded for a 7-bit path,
// the status part becomes message/global-delivery-status (RFC 6533) in
// 8bit, and everything reads back.
func TestReportNonASCII(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.Text = "Zustellung an Jürgen fehlgeschlagen."
	r.Subject = "Unzustellbar: Grüße"
	r.From = "Mail Délivery <MAILER-DAEMON@mx.example.com>"
	r.Recipients[0].FinalRecipient = TypedValue{Type: "utf-8", Value: "jürgen@example.com"}
	b, err := r.Bytes()
	require.NoError(t, err)
	root, err := mime.ParseBytes(b, nil)
	require.NoError(t, err)
	require.Len(t, root.Children, 3)
	assert.Equal(t, "utf-8", root.Children[0].Charset())
	assert.Equal(t, "quoted-printable", root.Children[0].TransferEncoding)
	assert.Equal(t, "message/global-delivery-status", root.Children[1].MediaType)
	assert.Equal(t, "8bit", root.Children[1].TransferEncoding)
	assert.NotContains(t, root.Header.Get("Subject"), "ü", "encoded word")

	got, err := ParseReport(b)
	require.NoError(t, err)
	assert.Equal(t, "Zustellung an Jürgen fehlgeschlagen.\r\n", got.Text)
	assert.Equal(t, "Unzustellbar: Grüße", got.Subject)
	assert.Equal(t, "Mail Délivery <MAILER-DAEMON@mx.example.com>", got.From)
	assert.Equal(t, r.Recipients[0].FinalRecipient, got.Recipients[0].FinalRecipient)
}

// Real-world reports from enmime's test data (RFC 3464 appendix examples
// and an Outlook report whose text is a multipart/alternative).
func TestParseReportEnmime(t *testing.T) {
	t.Parallel()
	read := func(t *testing.T, name string) *Report {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("testdata", "enmime", name))
		require.NoError(t, err)
		r, err := ParseReport(b)
		require.NoError(t, err)
		return r
	}
	t.Run("multi_recipient", func(t *testing.T) {
		t.Parallel()
		r := read(t, "multi_recipient_dsn.raw")
		assert.Equal(t, "JAA13167.773673707/CS.UTK.EDU", r.Boundary)
		assert.Equal(t, "Returned mail: User unknown", r.Subject)
		assert.Equal(t, 1994, r.Date.Year())
		assert.Equal(t, DNS("cs.utk.edu"), r.ReportingMTA)
		assert.Equal(t, "[human-readable explanation goes here]\n", r.Text)
		require.Len(t, r.Recipients, 3)
		assert.Equal(t, RFC822("arathib@vnet.ibm.com"), r.Recipients[0].FinalRecipient)
		assert.Equal(t, ActionFailed, r.Recipients[0].Action)
		assert.Equal(t, EnhancedCode{5, 0, 0}, r.Recipients[0].Status)
		assert.Equal(t, SMTPDiagnostic("550 'arathib@vnet.IBM.COM' is not a registered gateway user"), r.Recipients[0].DiagnosticCode)
		assert.Equal(t, DNS("vnet.ibm.com"), r.Recipients[0].RemoteMTA)
		assert.Equal(t, ActionDelayed, r.Recipients[1].Action)
		assert.Equal(t, EnhancedCode{4, 0, 0}, r.Recipients[1].Status)
		assert.Equal(t, RFC822("wsnell@sdcc13.ucsd.edu"), r.Recipients[2].OriginalRecipient)
		assert.False(t, r.ReturnedHeadersOnly)
		// The returned "message" is one line without a colon followed by an
		// empty line; the line break before the close delimiter belongs to
		// the delimiter (RFC 2046 section 5.1.1), not to the message.
		assert.Equal(t, "[original message goes here]\n", string(r.Returned))
	})
	t.Run("delayed", func(t *testing.T) {
		t.Parallel()
		r := read(t, "delayed_dsn.raw")
		assert.Equal(t, "199407092338.TAA23293@CS.UTK.EDU", r.MessageID)
		assert.Equal(t, DNS("sun2.nsfnet-relay.ac.uk"), r.ReportingMTA)
		require.Len(t, r.Recipients, 1)
		assert.Equal(t, ActionDelayed, r.Recipients[0].Action)
		assert.Equal(t, EnhancedCode{4, 0, 0}, r.Recipients[0].Status)
		assert.Nil(t, r.Returned)
	})
	t.Run("multipart_alternative", func(t *testing.T) {
		t.Parallel()
		r := read(t, "dsn_with_multipart_alternative.raw")
		assert.Equal(t, "[human-readable explanation goes here]\n", r.Text, "text/plain inside multipart/alternative")
		assert.Equal(t, DNS("1234.prod.outlook.com"), r.ReportingMTA)
		assert.Equal(t, DNS("some.example.com"), r.ReceivedFromMTA)
		require.Len(t, r.Recipients, 1)
		assert.Equal(t, EnhancedCode{5, 1, 10}, r.Recipients[0].Status)
		assert.Equal(t, SMTPDiagnostic("550 5.1.10 RESOLVER.ADR.RecipientNotFound"), r.Recipients[0].DiagnosticCode)
	})
}

// A returned message that is itself a report is not mistaken for the
// report: embedded messages are not searched.
func TestParseReportIgnoresEmbeddedReport(t *testing.T) {
	t.Parallel()
	inner, err := sampleReport().Bytes()
	require.NoError(t, err)
	msg := "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n" + string(inner) + "\r\n--x--\r\n"
	_, err = ParseReport([]byte(msg))
	require.ErrorIs(t, err, ErrNotReport)
}

func TestReportRoundTrip(t *testing.T) {
	t.Parallel()
	want := sampleReport()
	b, err := want.Bytes()
	require.NoError(t, err)
	got, err := ParseReport(b)
	require.NoError(t, err)
	assert.Equal(t, want.From, got.From)
	assert.Equal(t, want.Subject, got.Subject)
	assert.True(t, want.Date.Equal(got.Date))
	assert.Equal(t, want.MessageID, got.MessageID)
	assert.Equal(t, want.OriginalEnvelopeID, got.OriginalEnvelopeID)
	assert.Equal(t, want.ReportingMTA, got.ReportingMTA)
	assert.Equal(t, want.ReceivedFromMTA, got.ReceivedFromMTA)
	assert.True(t, want.ArrivalDate.Equal(got.ArrivalDate))
	require.Len(t, got.Recipients, 3)
	for i, w := range want.Recipients {
		g := got.Recipients[i]
		assert.Equal(t, w.FinalRecipient, g.FinalRecipient)
		assert.Equal(t, w.OriginalRecipient, g.OriginalRecipient)
		assert.Equal(t, w.Action, g.Action)
		assert.Equal(t, w.Status, g.Status)
		assert.Equal(t, w.RemoteMTA, g.RemoteMTA)
		assert.Equal(t, w.DiagnosticCode, g.DiagnosticCode)
		assert.True(t, w.LastAttemptDate.Equal(g.LastAttemptDate))
		assert.True(t, w.WillRetryUntil.Equal(g.WillRetryUntil))
		assert.Equal(t, w.Extra, g.Extra)
	}
	assert.True(t, got.ReturnedHeadersOnly)
	assert.Equal(t, "Subject: test message\r\nFrom: sender@mydomain.com\r\nTo: friend@example.com\r\n", string(got.Returned))
	assert.Contains(t, got.Text, "could not be delivered")
	assert.Equal(t, "BOUNDARY-1", got.Boundary)
}

func TestReportBytesDerivedBoundary(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.Boundary = ""
	r.Returned = []byte("Subject: x\r\n\r\nbody\r\n")
	r.ReturnedHeadersOnly = false
	a, err := r.Bytes()
	require.NoError(t, err)
	b, err := r.Bytes()
	require.NoError(t, err)
	assert.Equal(t, a, b, "deterministic")
	got, err := ParseReport(a)
	require.NoError(t, err)
	assert.False(t, got.ReturnedHeadersOnly)
	assert.Equal(t, "Subject: x\r\n\r\nbody\r\n", string(got.Returned))
	assert.NotEmpty(t, got.Boundary)
	r.Text += " changed"
	c, err := r.Bytes()
	require.NoError(t, err)
	other, err := ParseReport(c)
	require.NoError(t, err)
	assert.NotEqual(t, got.Boundary, other.Boundary, "derived from the content")
}

func TestReportBytesErrors(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.ReportingMTA = TypedValue{}
	_, err := r.Bytes()
	require.ErrorIs(t, err, ErrReportSyntax)
	r = sampleReport()
	r.Recipients[1].Action = ""
	_, err = r.Bytes()
	require.ErrorIs(t, err, ErrReportSyntax)
	r = sampleReport()
	r.Recipients = nil
	_, err = r.Bytes()
	require.ErrorIs(t, err, ErrReportSyntax)
	r = sampleReport()
	r.Recipients[0].Status = EnhancedCode{}
	_, err = r.Bytes()
	require.ErrorIs(t, err, ErrReportSyntax)
}

// TestReportBytesGivenBoundary checks that Report.Boundary is used as given
// (deterministic output), and that an invalid boundary or one occurring in
// the content fails with ErrReportSyntax and a *mime.BoundaryError.
func TestReportBytesGivenBoundary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		boundary string
		text     string
		returned string // "" keeps the sample's returned headers
		errPart  int    // mime.BoundaryError.Part+1; 0: no error
		invalid  bool
	}{
		{name: "token", boundary: "BOUNDARY-1"},
		{name: "needs quotes", boundary: "8B2C31A0.1700000000/mx.example.com"},
		{name: "with space", boundary: "a b=c"},
		{name: "quote", boundary: "bad\"boundary", invalid: true},
		{name: "trailing space", boundary: "ab ", invalid: true},
		{name: "too long", boundary: strings.Repeat("x", 71), invalid: true},
		{name: "line break", boundary: "a\r\nX-Injected: 1", invalid: true},
		{name: "in the text", boundary: "BOUNDARY-1", text: "--BOUNDARY-1\n", errPart: 1},
		{name: "in the text as a prefix", boundary: "B", text: "see --BOUNDARY\n", errPart: 1},
		{name: "in the returned message", boundary: "BOUNDARY-1", returned: "Subject: x\n\n--BOUNDARY-1--\n", errPart: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sampleReport()
			r.Boundary = tt.boundary
			if tt.text != "" {
				r.Text = tt.text
			}
			if tt.returned != "" {
				r.Returned, r.ReturnedHeadersOnly = []byte(tt.returned), false
			}
			b, err := r.Bytes()
			if tt.invalid || tt.errPart > 0 {
				require.ErrorIs(t, err, ErrReportSyntax)
				require.ErrorIs(t, err, mime.ErrBoundary)
				var be *mime.BoundaryError
				require.ErrorAs(t, err, &be)
				assert.Equal(t, tt.boundary, be.Boundary)
				assert.Equal(t, tt.errPart-1, be.Part)
				assert.Nil(t, b)
				return
			}
			require.NoError(t, err)
			again, err := r.Bytes()
			require.NoError(t, err)
			assert.Equal(t, b, again, "deterministic")
			assert.Equal(t, 4, strings.Count(string(b), "\r\n--"+tt.boundary), "three delimiters and the close delimiter")
			assert.Contains(t, string(b), "\r\n--"+tt.boundary+"--\r\n")
			got, err := ParseReport(b)
			require.NoError(t, err)
			assert.Equal(t, tt.boundary, got.Boundary)
			assert.Equal(t, strings.ReplaceAll(r.Text, "\n", "\r\n")+"\r\n", got.Text)
			require.Len(t, got.Recipients, len(r.Recipients))
		})
	}
}

func TestReportNoHeaderInjection(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.Subject = "x\r\nBcc: victim@example.com"
	r.Recipients[0].DiagnosticCode = SMTPDiagnostic("550 no\r\nAction: delivered")
	b, err := r.Bytes()
	require.NoError(t, err)
	assert.NotContains(t, string(b), "\r\nBcc:")
	got, err := ParseReport(b)
	require.NoError(t, err)
	assert.Equal(t, ActionFailed, got.Recipients[0].Action)
}

// A Postfix-style bounce with LF line endings, folded fields, comments
// and a quoted-printable status part parses.
func TestParseReportTolerant(t *testing.T) {
	t.Parallel()
	msg := "From: MAILER-DAEMON (Mail Delivery System)\n" +
		"Subject: Undelivered Mail Returned to Sender\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: MULTIPART/REPORT; report-type=\"delivery-status\";\n" +
		"  boundary=\"8B2C31A0.1700000000/mx.example.com\"\n" +
		"\n" +
		"This is a MIME-encapsulated message.\n" +
		"\n" +
		"--8B2C31A0.1700000000/mx.example.com\n" +
		"Content-Description: Notification\n" +
		"Content-Type: text/plain; charset=us-ascii\n" +
		"\n" +
		"I'm sorry.\n" +
		"\n" +
		"--8B2C31A0.1700000000/mx.example.com\n" +
		"Content-Description: Delivery report\n" +
		"Content-Type: message/delivery-status\n" +
		"Content-Transfer-Encoding: quoted-printable\n" +
		"\n" +
		"Reporting-MTA: dns; mx.example.com\n" +
		"X-Postfix-Queue-ID: 8B2C31A0\n" +
		"Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0100 (CET)\n" +
		"\n" +
		"Final-Recipient: rfc822; nobody@example.com\n" +
		"Original-Recipient: rfc822;nobody@example.com\n" +
		"Action: failed (permanent)\n" +
		"Status: 5.1.1 (bad mailbox)\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.com>: Recipient address\n" +
		"    rejected: User unknown in local recipient table=20\n" +
		"\n" +
		"--8B2C31A0.1700000000/mx.example.com\n" +
		"Content-Type: message/rfc822\n" +
		"\n" +
		"Subject: hi\n" +
		"\n" +
		"body\n" +
		"--8B2C31A0.1700000000/mx.example.com--\n"
	r, err := ParseReport([]byte(msg))
	require.NoError(t, err)
	assert.Equal(t, DNS("mx.example.com"), r.ReportingMTA)
	assert.Equal(t, []Field{{Name: "X-Postfix-Queue-ID", Value: "8B2C31A0"}}, r.MessageExtra)
	assert.Equal(t, 2023, r.ArrivalDate.Year())
	require.Len(t, r.Recipients, 1)
	rc := r.Recipients[0]
	assert.Equal(t, ActionFailed, rc.Action)
	assert.Equal(t, EnhancedCode{5, 1, 1}, rc.Status)
	assert.Equal(t, RFC822("nobody@example.com"), rc.OriginalRecipient)
	assert.Equal(t, "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table", rc.DiagnosticCode.Value)
	assert.Equal(t, "Subject: hi\n\nbody", string(r.Returned))
	assert.False(t, r.ReturnedHeadersOnly)
	assert.Equal(t, "I'm sorry.\n", r.Text)
}

func TestParseReportErrors(t *testing.T) {
	t.Parallel()
	_, err := ParseReport([]byte("Subject: hi\r\n\r\nbody\r\n"))
	require.ErrorIs(t, err, ErrNotReport)
	_, err = ParseReport([]byte("Content-Type: multipart/report\r\n\r\n"))
	require.ErrorIs(t, err, ErrReportSyntax)
	_, err = ParseReport([]byte("Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n"))
	require.ErrorIs(t, err, ErrNotReport)
	_, err = ParseReport([]byte("Content-Type: message/delivery-status\r\n\r\n\r\n"))
	require.ErrorIs(t, err, ErrReportSyntax)
	r, err := ParseReport([]byte("Content-Type: message/global-delivery-status\r\n\r\nReporting-MTA: dns; a\r\n\r\nFinal-Recipient: utf-8; ü@b\r\nAction: failed\r\nStatus: 5.0.0\r\n"))
	require.NoError(t, err)
	assert.Equal(t, TypedValue{Type: "utf-8", Value: "ü@b"}, r.Recipients[0].FinalRecipient)
	huge := make([]byte, MaxReportSize+1)
	_, err = ParseReport(huge)
	require.ErrorIs(t, err, ErrReportSyntax)
}

func TestTypedValue(t *testing.T) {
	t.Parallel()
	assert.Equal(t, TypedValue{Type: "dns", Value: "a.example"}, ParseTypedValue(" dns ;a.example "))
	assert.Equal(t, TypedValue{Value: "a.example"}, ParseTypedValue("a.example"))
	assert.Equal(t, "", TypedValue{}.String())
	assert.Equal(t, "smtp; 250 ok", SMTPDiagnostic("250 ok").String())
}

// TestParseReportMaxRecipients checks the MaxReportRecipients bound: a
// delivery-status body with exactly that many per-recipient groups parses,
// one more is a syntax error.
func TestParseReportMaxRecipients(t *testing.T) {
	t.Parallel()
	body := func(n int) []byte {
		var b strings.Builder
		b.WriteString("Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mta.example\r\n")
		for i := range n {
			fmt.Fprintf(&b, "\r\nFinal-Recipient: rfc822; u%d@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n", i)
		}
		return []byte(b.String())
	}
	r, err := ParseReport(body(MaxReportRecipients))
	require.NoError(t, err)
	assert.Len(t, r.Recipients, MaxReportRecipients)
	_, err = ParseReport(body(MaxReportRecipients + 1))
	require.ErrorIs(t, err, ErrReportSyntax)
	assert.ErrorContains(t, err, "recipients")
}
