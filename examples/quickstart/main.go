// Command quickstart runs a small store-and-forward MTA on loopback, built
// only from mailkit's public API, and drives a scripted demonstration
// against it, printing what happened at each hop:
//
//   - dnstest serves the zone (example.test is local, remote.test is the
//     remote domain, bl.test a DNS blocklist) and dnsutil.Resolver queries
//     it over UDP;
//   - an MX listener (smtp ProfileMX) whose backend applies DNSBL at
//     connect, SPF for HELO and MAIL FROM (adding Received-SPF, refusing
//     on fail) and greylisting (on a simulated clock) before accepting,
//     and stores local mail in Maildirs;
//   - a submission listener (STARTTLS, then AUTH PLAIN via sasl);
//   - a queue spooled to disk (one fsynced file per message, written
//     before the submission server answers 250, reloaded at start) that
//     delivers local recipients to their Maildirs and forwards mail for
//     other domains to the MX chosen by package mx, through the smtp
//     client, retrying after a temporary failure; the remote MTA is an
//     smtptest server reached through a port map, since nothing may
//     listen on port 25;
//   - delivery status notifications (RFC 3461/3464, built with
//     esmtp.Report) for permanent failures and expired messages, sent with
//     MAIL FROM:<> to the sender's Maildir or MX, never about a
//     notification; the submission listener's DSN parameters (NOTIFY,
//     ORCPT, RET, ENVID) are kept in the spool, passed to a next hop that
//     offers DSN and honoured for the notifications the MTA sends itself
//     ("relayed" for NOTIFY=SUCCESS when the next hop lacks DSN);
//   - a POP3 server over the Maildirs, from which bob downloads his mail.
//
// The client addresses that DNSBL and SPF judge are simulated with
// XCLIENT: the MX listener trusts 127.0.0.1 as a proxy (Postfix's
// smtpd_authorized_xclient_hosts), so the demo can claim to connect from
// 127.0.0.2 or 203.0.113.66.
//
// Greylisting and queue retries run on a clock the demo advances by hand:
// the printed minutes are simulated time, the run takes a second or two.
// Everything (servers, temporary Maildirs and spool) is gone when it
// exits.
package main

import (
	"context"
	"log"
	"os"
	"time"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := demo(ctx, os.Stdout); err != nil {
		log.SetFlags(0)
		log.Fatal("quickstart: ", err)
	}
}
