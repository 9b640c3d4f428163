// Command quickstart shows mailkit's pieces working together on loopback,
// with no network and no configuration: it starts a dnstest.Server with a
// small zone and resolves MX, TXT and A records through dnsutil.Resolver.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/dnsutil"
	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
)

const zone = `
$ORIGIN example.test.
$TTL 300
@     IN SOA ns hostmaster ( 1 3600 600 86400 60 )
      IN MX  10 mx1
      IN MX  20 mx2
      IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
mx1   IN A   192.0.2.10
mx2   IN A   192.0.2.20
_dmarc IN TXT "v=DMARC1; p=reject"
`

func main() {
	if err := run(); err != nil {
		log.SetFlags(0)
		log.Fatal("quickstart: ", err)
	}
}

func run() error {
	z, err := dnstest.ParseZone(zone)
	if err != nil {
		return err
	}
	srv, err := dnstest.NewServer(z)
	if err != nil {
		return err
	}
	defer srv.Close()

	r := &dnsutil.Resolver{Servers: []string{srv.Addr()}, Cache: &dnsutil.Cache{}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	w := os.Stdout
	fmt.Fprintf(w, "DNS server (dnsutil/dnstest) listening on %s (UDP+TCP)\n", srv.Addr())

	mxs, err := r.LookupMX(ctx, "example.test")
	if err != nil {
		return err
	}
	for _, mx := range mxs {
		addrs, err := r.LookupNetIP(ctx, "ip4", mx.Host)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "MX  example.test -> %d %s A %v\n", mx.Pref, mx.Host, addrs)
	}
	for _, name := range []string{"example.test", "_dmarc.example.test"} {
		txt, err := r.LookupTXT(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "TXT %s -> %s\n", name, strings.Join(txt, " | "))
	}
	_, err = r.LookupTXT(ctx, "nosuch.example.test")
	fmt.Fprintf(w, "TXT nosuch.example.test -> %v\n", err)
	fmt.Fprintf(w, "server answered %d queries; cache holds %d entries\n", len(z.Queries()), r.Cache.Len())
	return nil
}
