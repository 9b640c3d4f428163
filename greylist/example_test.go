package greylist_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/mailkit-go/mailkit/greylist"
)

func ExampleChecker_Check() {
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	c := &greylist.Checker{
		Store: greylist.NewMemoryStore(nil),
		Now:   func() time.Time { return now },
	}
	t := greylist.Triplet{
		IP:        netip.MustParseAddr("198.51.100.7"),
		Sender:    "alice@example.org",
		Recipient: "bob@example.com",
	}
	for _, wait := range []time.Duration{0, 2 * time.Minute, 3 * time.Minute, 24 * time.Hour} {
		now = now.Add(wait)
		d, _ := c.Check(context.Background(), t)
		if code, enh, text := d.Reply(); code != 0 {
			fmt.Println(d.Action, d.Reason, code, enh, text)
		} else {
			fmt.Println(d.Action, d.Reason)
		}
	}
	// Output:
	// defer new 451 4.7.1 greylisted, please try again in 300 seconds
	// defer early 451 4.7.1 greylisted, please try again in 180 seconds
	// accept passed
	// accept passed
}

func ExampleNormalizeSender() {
	fmt.Println(greylist.NormalizeSender("prvs=1234abcdef=Bounce-8842@Lists.Example.ORG"))
	fmt.Println(greylist.NormalizeSender("SRS0=HHH=TT=orig.example=alice@forwarder.example"))
	// Output:
	// bounce-#@lists.example.org
	// alice@orig.example
}
