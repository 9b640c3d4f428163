package senderid_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
	"github.com/mailkit-go/mailkit/senderid"
	"github.com/mailkit-go/mailkit/spf"
)

func ExampleChecker_CheckPRA() {
	zone := dnstest.NewZone().MustAdd(
		`example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"`,
		`example.com. 300 IN TXT "`+senderid.NeutralPRARecord()+`"`,
		`lists.example. 300 IN TXT "spf2.0/pra,mfrom ip4:198.51.100.0/24 -all"`,
	)
	c := senderid.Checker{SPF: spf.Checker{Resolver: zone}}
	headers := []senderid.Field{
		{Name: "Received", Value: "from list.lists.example by mx.example.net"},
		{Name: "Sender", Value: "Mailing list <owner@lists.example>"},
		{Name: "From", Value: "Alice <alice@example.com>"},
	}
	res, err := c.CheckPRA(context.Background(), netip.MustParseAddr("198.51.100.25"), "list.lists.example", headers)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.PRA.Address, "from", res.PRA.Field, "->", res.Result.Result)

	res, _ = c.CheckPRA(context.Background(), netip.MustParseAddr("203.0.113.9"), "x.example", headers[2:])
	fmt.Println(res.PRA.Address, "from", res.PRA.Field, "->", res.Result.Result)
	// Output:
	// owner@lists.example from Sender -> pass
	// alice@example.com from From -> neutral
}
