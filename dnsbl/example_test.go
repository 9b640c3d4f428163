package dnsbl_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailkit-go/mailkit/dnsbl"
	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
)

func ExampleIPName() {
	fmt.Println(dnsbl.IPName(netip.MustParseAddr("127.0.0.2"), "zen.spamhaus.org"))
	// Output: 2.0.0.127.zen.spamhaus.org
}

func ExampleChecker_Check() {
	z := dnstest.NewZone().MustAdd(
		"2.0.0.127.zen.test. 300 IN A 127.0.0.2",
		"2.0.0.127.zen.test. 300 IN TXT \"listed: test point\"",
		"2.0.0.127.wl.test. 300 IN A 127.0.10.2",
	)
	c := &dnsbl.Checker{
		Resolver: z,
		Lists: []dnsbl.List{
			{Zone: "zen.test", Weight: 3},
			{Zone: "wl.test", Allow: true, Weight: 1},
		},
	}
	res, _ := c.Check(context.Background(), dnsbl.Query{IP: netip.MustParseAddr("127.0.0.2")})
	fmt.Println(res.Verdict, res.Score)
	reason, _ := c.Reason(context.Background(), res.Listed()[0])
	fmt.Println(reason)
	// Output:
	// block 2
	// listed: test point
}

func ExampleParseLocalList() {
	_, err := dnsbl.ParseLocalList(strings.NewReader("# allowlist\n192.0.2.0/24\npartner.example\n10.0.0.1/8\n"), nil)
	fmt.Println(err)
	// Output: dnsbl: local list line 4: "10.0.0.1/8": dnsbl: bad local list: network has host bits set (did you mean 10.0.0.0/8?)
}
