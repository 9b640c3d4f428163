// Command spfcheck checks an SMTP client's address, HELO name and envelope
// sender against SPF (RFC 7208) with package spf, the way a receiving MTA
// does, and prints the results and the Received-SPF header it would add.
//
// By default it runs offline against a built-in dnstest zone holding the
// records of the project's scenarios (gmail.com redirecting to
// _spf.google.com, hotmail.com including four lists):
//
//	go run ./examples/spfcheck
//	go run ./examples/spfcheck -ip 192.0.2.1 -sender bob@hotmail.com -trace
//
// With -dns it asks real DNS instead: "system" for the system resolver
// (net.DefaultResolver) or a server address for dnsutil.Resolver:
//
//	go run ./examples/spfcheck -dns system -ip 209.85.220.41 -sender alice@gmail.com -helo mail-sor-f41.google.com
//	go run ./examples/spfcheck -dns 9.9.9.9 -ip 192.0.2.1 -sender someone@example.com
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/dnsutil"
	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
	"github.com/mailkit-go/mailkit/spf"
)

// zone is the offline default: SCENARIOS §4.
const zone = `
gmail.com.         300 IN TXT "v=spf1 redirect=_spf.google.com"
_spf.google.com.   107 IN TXT "v=spf1 ip4:216.239.32.0/19 ip4:64.233.160.0/19 ip4:66.249.80.0/20 ip4:72.14.192.0/18 ip4:209.85.128.0/17 ip4:66.102.0.0/20 ip4:74.125.0.0/16 ip4:64.18.0.0/20 ip4:207.126.144.0/20 ip4:173.194.0.0/16 ?all"
hotmail.com.      3600 IN TXT "v=spf1 include:spf-a.hotmail.com include:spf-b.hotmail.com include:spf-c.hotmail.com include:spf-d.hotmail.com ~all"
spf-a.hotmail.com. 3600 IN TXT "v=spf1 ip4:157.55.0.192/26 ip4:157.55.1.128/26 -all"
spf-b.hotmail.com. 3600 IN TXT "v=spf1 ip4:65.55.78.128/25 ip4:65.55.238.129/26 -all"
spf-c.hotmail.com. 3600 IN TXT "v=spf1 ip4:65.55.116.0/25 ip4:65.55.111.0/24 -all"
spf-d.hotmail.com. 3600 IN TXT "v=spf1 ip6:2a01:111:f400::/48 ip4:40.92.0.0/15 -all"
mail-sor-f41.google.com. 300 IN TXT "v=spf1 a -all"
mail-sor-f41.google.com. 300 IN A 209.85.220.41
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "spfcheck:", err)
		os.Exit(2)
	}
}

// Report holds the two checks an MTA makes.
type Report struct {
	Helo, MailFrom spf.Result
	ReceivedSPF    string // the header for the MAIL FROM result
}

func run(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("spfcheck", flag.ContinueOnError)
	fs.SetOutput(w)
	ipFlag := fs.String("ip", "209.85.220.41", "SMTP client address")
	sender := fs.String("sender", "alice@gmail.com", "envelope sender (MAIL FROM); empty for <>")
	helo := fs.String("helo", "mail-sor-f41.google.com", "HELO/EHLO name")
	dns := fs.String("dns", "", `"" for the built-in offline zone, "system", or a DNS server address`)
	trace := fs.Bool("trace", false, "print each evaluation step")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ip, err := netip.ParseAddr(*ipFlag)
	if err != nil {
		return fmt.Errorf("bad -ip: %w", err)
	}
	r, err := resolver(*dns)
	if err != nil {
		return err
	}
	c := &spf.Checker{Resolver: r, Receiver: "spfcheck.invalid"}
	if *trace {
		c.Trace = func(e spf.TraceEvent) { printTrace(w, e) }
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	rep, err := check(ctx, c, ip, *helo, *sender)
	if err != nil {
		return err
	}
	for _, res := range []spf.Result{rep.Helo, rep.MailFrom} {
		fmt.Fprintf(w, "%-8s %s: %s", res.Identity, res.Sender, res.Result)
		if res.Matched != nil {
			fmt.Fprintf(w, " (matched %s in %s)", res.Matched, res.MatchedDomain)
		}
		fmt.Fprintf(w, ", %d DNS lookups\n", res.Lookups)
		if res.Explanation != "" {
			fmt.Fprintf(w, "         explanation: %s\n", res.Explanation)
		}
		if res.Err != nil {
			fmt.Fprintf(w, "         error: %v\n", res.Err)
		}
	}
	fmt.Fprintln(w, rep.ReceivedSPF)
	return nil
}

// check runs the HELO check and the MAIL FROM check (RFC 7208 §2.3, §2.4).
func check(ctx context.Context, c *spf.Checker, ip netip.Addr, helo, sender string) (*Report, error) {
	var rep Report
	var err error
	if rep.Helo, err = c.Check(ctx, spf.Input{IP: ip, Helo: helo, Identity: spf.IdentityHelo}); err != nil {
		return nil, err
	}
	in := spf.Input{IP: ip, Helo: helo, MailFrom: sender}
	if rep.MailFrom, err = c.Check(ctx, in); err != nil {
		return nil, err
	}
	rep.ReceivedSPF = spf.NewReceivedSPF(rep.MailFrom, in, c.Receiver).String()
	return &rep, nil
}

// resolver picks the DNS source. Every choice satisfies spf.Resolver.
func resolver(dns string) (spf.Resolver, error) {
	switch dns {
	case "":
		return dnstest.ParseZone(zone)
	case "system":
		return net.DefaultResolver, nil
	default:
		if strings.TrimSpace(dns) == "" {
			return nil, errors.New("empty -dns server")
		}
		return &dnsutil.Resolver{Servers: []string{dns}}, nil
	}
}

func printTrace(w io.Writer, e spf.TraceEvent) {
	indent := strings.Repeat("  ", e.Depth+1)
	switch {
	case e.Term != nil:
		fmt.Fprintf(w, "%s%s: %s match=%v\n", indent, e.Domain, e.Term, e.Match)
	case e.Status != "":
		fmt.Fprintf(w, "%s%s -> %s\n", indent, e.Domain, e.Status)
	case e.Record != nil:
		fmt.Fprintf(w, "%s%s: %s\n", indent, e.Domain, e.Record)
	}
}
