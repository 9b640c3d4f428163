package spf_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
	"github.com/mailkit-go/mailkit/spf"
)

// scenarioZone holds the records of SCENARIOS §4 (gmail.com redirects to
// _spf.google.com; hotmail.com includes four lists and ends in ~all).
func scenarioZone() *dnstest.Zone {
	return dnstest.NewZone().MustAdd(
		`gmail.com. 300 IN TXT "v=spf1 redirect=_spf.google.com"`,
		`_spf.google.com. 107 IN TXT "v=spf1 ip4:216.239.32.0/19 ip4:64.233.160.0/19 ip4:66.249.80.0/20 ip4:72.14.192.0/18 ip4:209.85.128.0/17 ip4:66.102.0.0/20 ip4:74.125.0.0/16 ip4:64.18.0.0/20 ip4:207.126.144.0/20 ip4:173.194.0.0/16 ?all"`,
		`hotmail.com. 3600 IN TXT "v=spf1 include:spf-a.hotmail.com include:spf-b.hotmail.com include:spf-c.hotmail.com include:spf-d.hotmail.com ~all"`,
		`spf-a.hotmail.com. 3600 IN TXT "v=spf1 ip4:157.55.0.192/26 ip4:157.55.1.128/26 -all"`,
		`spf-b.hotmail.com. 3600 IN TXT "v=spf1 ip4:65.55.78.128/25 ip4:65.55.238.129/26 -all"`,
		`spf-c.hotmail.com. 3600 IN TXT "v=spf1 ip4:65.55.116.0/25 ip4:65.55.111.0/24 -all"`,
		`spf-d.hotmail.com. 3600 IN TXT "v=spf1 ip6:2a01:111:f400::/48 ip4:40.92.0.0/15 -all"`,
	)
}

func Example() {
	c := spf.Checker{Resolver: scenarioZone()}
	ctx := context.Background()
	for _, in := range []spf.Input{
		{IP: netip.MustParseAddr("209.85.220.41"), Helo: "mail-sor-f41.google.com", MailFrom: "alice@gmail.com"},
		{IP: netip.MustParseAddr("192.0.2.1"), Helo: "mail.example.net", MailFrom: "alice@gmail.com"},
		{IP: netip.MustParseAddr("65.55.111.70"), Helo: "x.outbound.protection.outlook.com", MailFrom: "bob@hotmail.com"},
		{IP: netip.MustParseAddr("192.0.2.1"), Helo: "mail.example.net", MailFrom: "bob@hotmail.com"},
	} {
		res, err := c.Check(ctx, in)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("%s from %s: %s (matched %s in %s, %d lookups)\n",
			in.MailFrom, in.IP, res.Result, res.Matched, res.MatchedDomain, res.Lookups)
	}
	// Output:
	// alice@gmail.com from 209.85.220.41: pass (matched ip4:209.85.128.0/17 in _spf.google.com, 1 lookups)
	// alice@gmail.com from 192.0.2.1: neutral (matched ?all in _spf.google.com, 1 lookups)
	// bob@hotmail.com from 65.55.111.70: pass (matched include:spf-c.hotmail.com in hotmail.com, 3 lookups)
	// bob@hotmail.com from 192.0.2.1: softfail (matched ~all in hotmail.com, 4 lookups)
}

func ExampleParse() {
	rec, err := spf.Parse("V=SPF1 +MX/24 a:%{d}.example.com//64 ip6:2001:DB8::/32 exp=explain.%{d} -all")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rec)
	exp, _ := rec.Explanation()
	fmt.Println(len(rec.Terms), "terms; exp =", exp)

	_, err = spf.Parse("v=spf1 ip4:192.0.2.0/33 -all")
	fmt.Println(err)
	// Output:
	// v=spf1 +mx/24 a:%{d}.example.com//64 ip6:2001:db8::/32 exp=explain.%{d} -all
	// 5 terms; exp = explain.%{d}
	// spf: syntax error in "ip4:192.0.2.0/33": invalid cidr-length
}

func ExampleExpandMacro() {
	env := spf.MacroEnv{
		Sender: "strong-bad@email.example.com",
		Domain: "email.example.com",
		IP:     netip.MustParseAddr("192.0.2.3"),
	}
	for _, m := range []string{"%{s}", "%{o}", "%{d4}", "%{d2}", "%{ir}.%{v}._spf.%{d2}", "%{lr-}.lp._spf.%{d2}", "%{l1r-}.lp._spf.%{d2}"} {
		out, err := spf.ExpandMacro(m, false, env)
		fmt.Println(m, "->", out, err)
	}
	// Output:
	// %{s} -> strong-bad@email.example.com <nil>
	// %{o} -> email.example.com <nil>
	// %{d4} -> email.example.com <nil>
	// %{d2} -> example.com <nil>
	// %{ir}.%{v}._spf.%{d2} -> 3.2.0.192.in-addr._spf.example.com <nil>
	// %{lr-}.lp._spf.%{d2} -> bad.strong.lp._spf.example.com <nil>
	// %{l1r-}.lp._spf.%{d2} -> strong.lp._spf.example.com <nil>
}

func ExampleReceivedSPF() {
	zone := dnstest.NewZone().MustAdd(`example.com. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"`)
	c := spf.Checker{Resolver: zone}
	in := spf.Input{IP: netip.MustParseAddr("192.0.2.1"), Helo: "foo.example.com", MailFrom: "myname@example.com"}
	res, _ := c.Check(context.Background(), in)
	h := spf.NewReceivedSPF(res, in, "mybox.example.org")
	fmt.Println(h)
	fmt.Println("Authentication-Results: mybox.example.org; " + spf.AuthResult(res))
	// Output:
	// Received-SPF: Pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender) receiver=mybox.example.org; identity=mailfrom; client-ip=192.0.2.1; envelope-from=<myname@example.com>; helo=foo.example.com; mechanism=ip4:192.0.2.1;
	// Authentication-Results: mybox.example.org; spf=pass smtp.mailfrom=myname@example.com
}
