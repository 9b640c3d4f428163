package esmtp

import (
	"strings"
	"testing"
	"time"

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

const sampleWire = "From: MAILER-DAEMON@mx.example.com\r\n" +
	"To: sender@mydomain.com\r\n" +
	"Subject: Delivery Status Notification\r\n" +
	"Date: Fri, 01 Mar 2024 10:00:00 +0000\r\n" +
	"Message-ID: <dsn.1@mx.example.com>\r\n" +
	"Auto-Submitted: auto-replied\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"BOUNDARY-1\"\r\n" +
	"\r\n" +
	"This is a MIME-encapsulated message.\r\n" +
	"\r\n" +
	"--BOUNDARY-1\r\n" +
	"Content-Type: text/plain; charset=us-ascii\r\n" +
	"Content-Description: Notification\r\n" +
	"\r\n" +
	"This is the mail system at host mx.example.com.\r\n" +
	"I'm sorry to have to inform you that your message could not be delivered.\r\n" +
	"\r\n" +
	"--BOUNDARY-1\r\n" +
	"Content-Type: message/delivery-status\r\n" +
	"Content-Description: Delivery report\r\n" +
	"\r\n" +
	"Original-Envelope-Id: QQ314159\r\n" +
	"Reporting-MTA: dns; mx.example.com\r\n" +
	"Received-From-MTA: dns; mydomain.com\r\n" +
	"Arrival-Date: Fri, 01 Mar 2024 09:00:00 +0000\r\n" +
	"\r\n" +
	"Original-Recipient: rfc822; friend@example.com\r\n" +
	"Final-Recipient: rfc822; friend@example.com\r\n" +
	"Action: failed\r\n" +
	"Status: 5.1.1\r\n" +
	"Remote-MTA: dns; mx2.example.com\r\n" +
	"Diagnostic-Code: smtp; 550 5.1.1 <friend@example.com>: Recipient address rejected: User unknown\r\n" +
	"Last-Attempt-Date: Fri, 01 Mar 2024 10:00:00 +0000\r\n" +
	"\r\n" +
	"Final-Recipient: rfc822; slow@example.net\r\n" +
	"Action: delayed\r\n" +
	"Status: 4.4.1\r\n" +
	"Diagnostic-Code: smtp; connect to mx.example.net: Connection timed out\r\n" +
	"Last-Attempt-Date: Fri, 01 Mar 2024 10:00:00 +0000\r\n" +
	"Will-Retry-Until: Tue, 05 Mar 2024 10:00:00 +0000\r\n" +
	"\r\n" +
	"Final-Recipient: rfc822; ok@example.org\r\n" +
	"Action: delivered\r\n" +
	"Status: 2.0.0\r\n" +
	"Remote-MTA: dns; mx.example.org\r\n" +
	"X-Postfix-Sender: rfc822; sender@mydomain.com\r\n" +
	"\r\n" +
	"--BOUNDARY-1\r\n" +
	"Content-Type: text/rfc822-headers\r\n" +
	"Content-Description: Undelivered message headers\r\n" +
	"\r\n" +
	"Subject: test message\r\n" +
	"From: sender@mydomain.com\r\n" +
	"To: friend@example.com\r\n" +
	"\r\n" +
	"--BOUNDARY-1--\r\n"

func TestReportBytes(t *testing.T) {
	t.Parallel()
	b, err := sampleReport().Bytes()
	require.NoError(t, err)
	assert.Equal(t, sampleWire, string(b))
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
	assert.True(t, strings.HasPrefix(got.Boundary, "=_mailkit_dsn_"))
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
	r = sampleReport()
	r.Boundary = "bad\"boundary"
	_, err = r.Bytes()
	require.ErrorIs(t, err, ErrReportSyntax)
	r = sampleReport()
	r.Text = "--BOUNDARY-1\n"
	_, err = r.Bytes()
	require.ErrorIs(t, err, ErrReportSyntax)
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
