package imap_test

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/mailkit-go/mailkit/imap"
)

func ExampleDecoder_FetchModifiers() {
	// The arguments of "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)".
	d := imap.NewDecoder(bufio.NewReader(strings.NewReader("(FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n")), nil)
	o, err := d.FetchOptions()
	if err != nil {
		panic(err)
	}
	if err := d.SP(); err != nil {
		panic(err)
	}
	if err := d.FetchModifiers(o); err != nil {
		panic(err)
	}
	fmt.Println(o.String() + o.FetchModifiersString())
	// Output:
	// (FLAGS MODSEQ) (CHANGEDSINCE 12345 VANISHED)
}

func ExampleSearchCriteria_Match_modSeq() {
	low := uint64(5)
	c := &imap.SearchCriteria{ModSeq: &low, NotFlag: []imap.Flag{imap.FlagSeen}}
	for _, t := range []imap.SearchTarget{{SeqNum: 1, ModSeq: 4}, {SeqNum: 2, ModSeq: 5}, {SeqNum: 3, ModSeq: 9, Flags: []imap.Flag{imap.FlagSeen}}} {
		fmt.Println(t.SeqNum, c.Match(&t))
	}
	fmt.Println(c)
	// Output:
	// 1 false
	// 2 true
	// 3 false
	// UNSEEN MODSEQ 5
}
