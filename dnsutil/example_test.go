package dnsutil_test

import (
	"context"
	"fmt"

	"github.com/miekg/dns"

	"github.com/mailkit-go/mailkit/dnsutil"
	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
)

func ExampleResolver() {
	z := dnstest.NewZone().MustAdd(
		"example.com. 300 IN MX 20 backup.example.com.",
		"example.com. 300 IN MX 10 mx.example.com.",
		`example.com. 300 IN TXT "v=spf1 " "-all"`,
	)
	srv, err := dnstest.NewServer(z)
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	r := &dnsutil.Resolver{Servers: []string{srv.Addr()}, Cache: &dnsutil.Cache{}}
	ctx := context.Background()
	mx, _ := r.LookupMX(ctx, "example.com")
	for _, m := range mx {
		fmt.Println(m.Pref, m.Host)
	}
	txt, _ := r.LookupTXT(ctx, "example.com")
	fmt.Println(txt)
	msg, _ := r.Query(ctx, "nosuch.example.com", dns.TypeA)
	fmt.Println(dns.RcodeToString[msg.Rcode])
	// Output:
	// 10 mx.example.com.
	// 20 backup.example.com.
	// [v=spf1 -all]
	// NXDOMAIN
}
