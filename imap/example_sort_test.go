package imap_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/mailkit-go/mailkit/imap"
)

func ExampleBaseSubject() {
	for _, s := range []string{
		"Re: [list] Fwd: Meeting (fwd)",
		"[fwd: Re: Lunch]",
		"=?utf-8?q?RE:_Caf=C3=A9?=",
	} {
		base, reply := imap.BaseSubject(s)
		fmt.Printf("%q %v\n", base, reply)
	}
	// Output:
	// "Meeting" true
	// "Lunch" true
	// "Café" true
}

func ExampleSort() {
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	msgs := []imap.SortData{
		{SeqNum: 1, UID: 11, InternalDate: day, Size: 300, Subject: "Re: b"},
		{SeqNum: 2, UID: 12, InternalDate: day.Add(time.Hour), Size: 100, Subject: "a"},
		{SeqNum: 3, UID: 13, InternalDate: day.Add(2 * time.Hour), Size: 200, Subject: "B"},
	}
	bySubject := []imap.SortCriterion{{Key: imap.SortSubject}, {Key: imap.SortArrival, Reverse: true}}
	fmt.Println(imap.FormatSortCriteria(bySubject), imap.Sort(msgs, bySubject, imap.NumSeq))
	bySize := []imap.SortCriterion{{Key: imap.SortSize}}
	fmt.Println(imap.FormatSortCriteria(bySize), imap.Sort(msgs, bySize, imap.NumUID))
	// Output:
	// (SUBJECT REVERSE ARRIVAL) [2 3 1]
	// (SIZE) [12 13 11]
}

func ExampleThreads() {
	at := func(h int) time.Time { return time.Date(2024, 5, 1, h, 0, 0, 0, time.UTC) }
	msgs := []imap.SortData{
		{SeqNum: 1, InternalDate: at(1), MessageID: "<a@example>", Subject: "Plans"},
		{SeqNum: 2, InternalDate: at(2), MessageID: "<b@example>", Subject: "Other"},
		{SeqNum: 3, InternalDate: at(3), MessageID: "<c@example>", References: "<a@example>", Subject: "Re: Plans"},
		{SeqNum: 4, InternalDate: at(4), MessageID: "<d@example>", InReplyTo: "<a@example>", Subject: "Re: Plans"},
		{SeqNum: 5, InternalDate: at(5), MessageID: "<e@example>", Subject: "Re: Other"},
	}
	for _, alg := range []imap.ThreadAlgorithm{imap.ThreadReferences, imap.ThreadOrderedSubject} {
		threads, err := imap.Threads(alg, msgs, imap.NumSeq)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(alg, imap.FormatThreads(threads))
	}
	// Output:
	// REFERENCES (1 (3)(4))(2 5)
	// ORDEREDSUBJECT (1 (3)(4))(2 5)
}

// i;unicode-casemap sorts "Émile" as "E" U+0301 "MILE", between "dave"
// and "yann", and matches substrings whatever their case or
// normalisation.
func ExampleCompareUnicodeCasemap() {
	names := []string{"yann", "Émile", "Zoe", "dave", "alice"}
	slices.SortFunc(names, imap.CompareUnicodeCasemap)
	fmt.Println(names)
	fmt.Printf("%+q\n", imap.UnicodeCasemap("Émile"))
	fmt.Println(imap.ContainsUnicodeCasemap("Re: ÉMILE arrives", "émile"))
	// Output:
	// [alice dave Émile yann Zoe]
	// "E\u0301MILE"
	// true
}
