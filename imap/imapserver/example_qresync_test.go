package imapserver_test

import (
	"fmt"

	"github.com/mailkit-go/mailkit/imap"
	"github.com/mailkit-go/mailkit/imap/imapserver"
)

func ExampleExpungeLog() {
	// A mailbox whose UIDs 1-9 existed; 2 and 3 were expunged at
	// mod-sequence 20, 7 at 25. UIDNEXT is 10.
	var log imapserver.ExpungeLog
	log.Add(20, 2, 3)
	log.Add(25, 7)
	existing := []uint32{1, 4, 5, 6, 8, 9}
	fmt.Println(log.Vanished(19, nil, 10, existing))
	fmt.Println(log.Vanished(20, nil, 10, existing))
	fmt.Println(log.Vanished(0, imap.SeqSetOf(1, 2, 7), 10, existing))
	// Output:
	// 2:3,7
	// 7
	// 2,7
}
