package mx_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/mailkit-go/mailkit/dnsutil/dnstest"
	"github.com/mailkit-go/mailkit/mx"
)

func ExampleRouter_Lookup() {
	z := dnstest.NewZone().MustAdd(
		"uncc.edu. 643 IN MX 10 mxb-00108101.gslb.pphosted.com.",
		"uncc.edu. 643 IN MX 40 ironhost1.uncc.edu.",
		"uncc.edu. 643 IN MX 40 ironhost2.uncc.edu.",
		"uncc.edu. 643 IN MX 10 mxa-00108101.gslb.pphosted.com.",
		"nomail.example. 300 IN MX 0 .",
	)
	r := &mx.Router{Resolver: z}
	ts, _ := r.Lookup(context.Background(), "uncc.edu")
	for _, t := range ts {
		fmt.Println(t.Pref)
	}
	_, err := r.Lookup(context.Background(), "nomail.example")
	var e *mx.Error
	if errors.As(err, &e) {
		code, enh, _ := e.Reply()
		fmt.Println(code, enh, errors.Is(err, mx.ErrNullMX))
	}
	// Output:
	// 10
	// 10
	// 40
	// 40
	// 556 5.1.10 true
}

func ExampleSelector() {
	z := dnstest.NewZone().MustAdd(
		"uncc.edu. 643 IN MX 10 mxb-00108101.gslb.pphosted.com.",
		"uncc.edu. 643 IN MX 40 ironhost1.uncc.edu.",
		"uncc.edu. 643 IN MX 40 ironhost2.uncc.edu.",
		"uncc.edu. 643 IN MX 10 mxa-00108101.gslb.pphosted.com.",
	)
	r := &mx.Router{Resolver: z}
	s := &mx.Selector{}
	// Both 10-preference hosts failed: their back-off keeps them out.
	s.MarkDown("mxa-00108101.gslb.pphosted.com")
	s.MarkDown("mxb-00108101.gslb.pphosted.com")
	for range 3 {
		ts, _ := r.Lookup(context.Background(), "uncc.edu")
		t, _ := s.Pick(ts)
		fmt.Println(t.Host)
	}
	// Output:
	// ironhost1.uncc.edu
	// ironhost2.uncc.edu
	// ironhost1.uncc.edu
}
