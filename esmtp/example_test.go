package esmtp_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mailkit-go/mailkit/esmtp"
)

func ExampleParseEHLOReply() {
	reply := "250-example.hades.lab at your service, [172.16.1.238]\r\n" +
		"250-SIZE 35651584\r\n" +
		"250-DSN\r\n" +
		"250-STARTTLS\r\n" +
		"250-8BITMIME\r\n" +
		"250-ENHANCEDSTATUSCODES\r\n" +
		"250-PIPELINING\r\n" +
		"250 HELP\r\n"
	caps, err := esmtp.ParseEHLOReply([]byte(reply))
	if err != nil {
		panic(err)
	}
	limit, _ := caps.Size()
	fmt.Println(caps.Domain, limit, caps.Has(esmtp.STARTTLS), caps.Has(esmtp.AUTH))
	// Output: example.hades.lab 35651584 true false
}

func ExampleCapabilities_AppendReply() {
	caps := &esmtp.Capabilities{Domain: "mx.example.com", Greeting: "Hello client.example"}
	caps.Add(esmtp.SIZE, "10240000")
	caps.Add(esmtp.PIPELINING)
	caps.Add(esmtp.CHUNKING)
	fmt.Print(strings.ReplaceAll(string(caps.AppendReply(nil)), "\r\n", "\n"))
	// Output:
	// 250-mx.example.com Hello client.example
	// 250-SIZE 10240000
	// 250-PIPELINING
	// 250 CHUNKING
}

func ExampleParseMailParams() {
	caps := &esmtp.Capabilities{Domain: "mx.example.com"}
	caps.Add(esmtp.SIZE, "1000000")
	caps.Add(esmtp.EightBitMIME)

	p, err := esmtp.ParseMailParams("SIZE=5000 BODY=8BITMIME", caps, nil)
	fmt.Println(p.Size, p.Body, err)

	_, err = esmtp.ParseMailParams("SIZE=2000000", caps, nil)
	var pe *esmtp.ParamError
	if errors.As(err, &pe) {
		fmt.Println(pe.Code, pe.Enhanced, pe.Reply)
	}
	_, err = esmtp.ParseMailParams("SMTPUTF8", caps, nil)
	if errors.As(err, &pe) {
		fmt.Println(pe.Code, pe.Enhanced, pe.Reply)
	}
	// Output:
	// 5000 8BITMIME <nil>
	// 552 5.3.4 Message size exceeds fixed limit
	// 555 5.5.4 Unsupported option: SMTPUTF8
}

func ExampleEnhancedCode_Describe() {
	c, _ := esmtp.ParseEnhancedCode("5.7.1")
	fmt.Println(c.Describe())
	// Output: Permanent Failure: Delivery not authorized, message refused
}

func ExampleReport_Bytes() {
	r := &esmtp.Report{
		Boundary:     "b1",
		Text:         "Your message could not be delivered.",
		ReportingMTA: esmtp.DNS("mx.example.com"),
		Recipients: []esmtp.RecipientStatus{{
			FinalRecipient: esmtp.RFC822("friend@example.com"),
			Action:         esmtp.ActionFailed,
			Status:         esmtp.EnhancedCode{Class: 5, Subject: 1, Detail: 1},
			DiagnosticCode: esmtp.SMTPDiagnostic("550 5.1.1 User unknown"),
		}},
	}
	msg, err := r.Bytes()
	if err != nil {
		panic(err)
	}
	back, _ := esmtp.ParseReport(msg)
	rc := back.Recipients[0]
	fmt.Println(rc.FinalRecipient.Value, rc.Action, rc.Status, rc.DiagnosticCode.Value)
	// Output: friend@example.com failed 5.1.1 550 5.1.1 User unknown
}
