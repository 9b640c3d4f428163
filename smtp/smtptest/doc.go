// Package smtptest runs an in-process SMTP server on 127.0.0.1 for
// applications' own tests: it accepts every message, keeps the envelopes
// and parsed messages, and lets a test wait for them, so that "my service
// sent the welcome mail" needs no MailHog or Mailpit:
//
//	srv := smtptest.New(t, nil)
//	app.SMTPAddr = srv.Addr()
//	app.SignUp("bob@example.com")
//	msgs := srv.MustWaitFor(t, 1)
//	assert.Equal(t, "Welcome", msgs[0].Header.Get("Subject"))
//
// The server is an [smtp.Server] with the explicit OpenRelay opt-in (it is
// a sink: nothing is relayed anywhere), lenient bare-LF handling
// ([smtp.LineEndingsNormalize]) so that sloppy clients under test still get
// their message captured, and optionally STARTTLS or implicit TLS with a
// certificate from a throw-away [tlsutil.CA], and AUTH against a fixed user
// table. It is safe for concurrent use.
//
// Limits are the smtp server's defaults except for the message size,
// [Options.MaxMessageBytes] (default 32 MiB): a larger message is refused
// with 552 and not captured.
package smtptest
