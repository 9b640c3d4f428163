package dnstest_test

import (
	"context"
	"fmt"

	"github.com/miekg/dns"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
)

func ExampleZone() {
	z := dnstest.NewZone().MustAdd(
		"example.com. 300 IN MX 10 mx.example.com.",
		`example.com. 300 IN TXT "v=spf1 " "-all"`,
	)
	ctx := context.Background()
	mx, _ := z.LookupMX(ctx, "example.com")
	txt, _ := z.LookupTXT(ctx, "example.com")
	fmt.Println(mx[0].Host, mx[0].Pref)
	fmt.Println(txt[0])

	z.SetFault("example.com", dns.TypeTXT, dnstest.FaultServFail)
	_, err := z.LookupTXT(ctx, "example.com")
	fmt.Println(err)
	fmt.Println(len(z.Queries()), "queries")
	// Output:
	// mx.example.com. 10
	// v=spf1 -all
	// lookup example.com on dnstest: server misbehaving
	// 3 queries
}

func ExampleParseZone() {
	_, err := dnstest.ParseZone("$ORIGIN example.com.\n@ 60 IN A 192.0.2.1\nwww 60 IN A 192.0.2.300\n")
	fmt.Println(err != nil)
	var pe *dnstest.ParseError
	if e, ok := err.(*dnstest.ParseError); ok {
		pe = e
	}
	fmt.Println("line", pe.Line)
	// Output:
	// true
	// line 3
}
