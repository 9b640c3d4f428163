package imap_test

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

// "$" is the saved result of RFC 5182 (SEARCHRES). A server replaces it
// by the UIDs it saved before a session sees the command.
func ExampleSavedResult() {
	set, _ := imap.ParseSeqSet("$")
	fmt.Println(set, set.IsSavedResult())

	d := imap.NewDecoder(bufio.NewReader(strings.NewReader("OR $ 7 UNSEEN\r\n")), nil)
	crit, _, _ := d.SearchCriteria()
	fmt.Println(crit.ContainsSavedResult())
	crit.ReplaceSavedResult(imap.SeqSetOf(3, 4, 5))
	fmt.Println(crit)
	// Output:
	// $ true
	// true
	// UNSEEN OR (UID 3:5) (7)
}
