package imap_test

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

// A server reads the arguments of an extended LIST (RFC 5258) with the
// STATUS return option of LIST-STATUS (RFC 5819).
func ExampleDecoder_ListCommand() {
	line := ` (SUBSCRIBED RECURSIVEMATCH) "" ("INBOX" "Sent/%") RETURN (CHILDREN STATUS (MESSAGES UNSEEN))` + "\r\n"
	d := imap.NewDecoder(bufio.NewReader(strings.NewReader(line)), nil)
	cmd, err := d.ListCommand()
	if err != nil {
		fmt.Println(err)
		return
	}
	o := cmd.Options.Implied()
	fmt.Println(cmd.Patterns, cmd.Extended)
	fmt.Println("subscribed only:", o.SelectSubscribed, "return \\Subscribed:", o.ReturnSubscribed)
	fmt.Println("status items:", o.ReturnStatus)
	fmt.Println(cmd)
	// Output:
	// [INBOX Sent/%] true
	// subscribed only: true return \Subscribed: true
	// status items: (MESSAGES UNSEEN)
	// (SUBSCRIBED RECURSIVEMATCH) "" (INBOX Sent/%) RETURN (CHILDREN STATUS (MESSAGES UNSEEN))
}

// The special-use attributes of RFC 6154 compare case-insensitively.
func ExampleSpecialUseAttr() {
	for _, a := range []imap.MailboxAttr{`\sent`, `\JUNK`, `\Noselect`} {
		c, ok := imap.SpecialUseAttr(a)
		fmt.Println(c, ok)
	}
	// Output:
	// \Sent true
	// \Junk true
	// \Noselect false
}
