package imap

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/mime"
)

// ThreadAlgorithm is a THREAD algorithm (RFC 5256 §3).
type ThreadAlgorithm string

// Threading algorithms.
const (
	// ThreadOrderedSubject groups messages by base subject; the earliest
	// of each group is the parent of the others ("poor man's
	// threading").
	ThreadOrderedSubject ThreadAlgorithm = "ORDEREDSUBJECT"
	// ThreadReferences threads by Message-ID, References and
	// In-Reply-To, then merges threads with the same base subject.
	ThreadReferences ThreadAlgorithm = "REFERENCES"
)

// Thread is one node of a THREAD result: a message and its replies. A
// node with Num 0 is a placeholder for a message that is not in the
// result (RFC 5256 "dummy"): it only groups its children, and appears
// only at the top level of a result computed by [Threads].
type Thread struct {
	// Num is the message's sequence number or UID, 0 for a placeholder.
	Num uint32
	// Children are the replies, in order.
	Children []Thread
}

// ErrUnknownThreadAlgorithm is returned by [Threads] for an algorithm
// other than [ThreadOrderedSubject] and [ThreadReferences].
var ErrUnknownThreadAlgorithm = errors.New("imap: unknown thread algorithm")

// Threads computes the threads of msgs with algorithm alg (RFC 5256 §4)
// and returns them in order, numbered with sequence numbers (kind
// [NumSeq]) or UIDs ([NumUID]). Dates are sent dates (RFC 5256 §2.2);
// equal dates are ordered by sequence number. msgs is not modified.
func Threads(alg ThreadAlgorithm, msgs []SortData, kind NumKind) ([]Thread, error) {
	ms := make([]*SortData, len(msgs))
	for i := range msgs {
		ms[i] = &msgs[i]
	}
	slices.SortStableFunc(ms, func(a, b *SortData) int { return cmp.Compare(a.SeqNum, b.SeqNum) })
	switch ThreadAlgorithm(strings.ToUpper(string(alg))) {
	case ThreadOrderedSubject:
		return orderedSubject(ms, kind), nil
	case ThreadReferences:
		return references(ms, kind), nil
	}
	return nil, ErrUnknownThreadAlgorithm
}

// orderedSubject is THREAD=ORDEREDSUBJECT (RFC 5256 §4): sort by base
// subject and sent date, split into threads by base subject, make the
// first message of each the parent of the others, and order the threads
// by the sent date of their first message.
func orderedSubject(ms []*SortData, kind NumKind) []Thread {
	type item struct {
		d    *SortData
		subj string
		date time.Time
	}
	items := make([]item, len(ms))
	for i, d := range ms {
		b, _ := BaseSubject(d.Subject)
		items[i] = item{d: d, subj: UnicodeCasemap(b), date: d.sentDate()}
	}
	byDate := func(a, b item) int {
		if r := a.date.Compare(b.date); r != 0 {
			return r
		}
		return cmp.Compare(a.d.SeqNum, b.d.SeqNum)
	}
	slices.SortStableFunc(items, func(a, b item) int {
		if r := strings.Compare(a.subj, b.subj); r != 0 {
			return r
		}
		return byDate(a, b)
	})
	var firsts []item
	var out []Thread
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].subj == items[i].subj {
			j++
		}
		t := Thread{Num: numOf(items[i].d, kind)}
		for _, it := range items[i+1 : j] {
			t.Children = append(t.Children, Thread{Num: numOf(it.d, kind)})
		}
		firsts = append(firsts, items[i])
		out = append(out, t)
		i = j
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return byDate(firsts[a], firsts[b]) })
	sorted := make([]Thread, len(out))
	for i, k := range idx {
		sorted[i] = out[k]
	}
	return sorted
}

// container is a node of the REFERENCES algorithm: a message (d set) or
// a dummy.
type container struct {
	d        *SortData
	parent   *container
	children []*container
}

// isAncestorOf reports whether c is n or one of n's ancestors.
func (c *container) isAncestorOf(n *container) bool {
	if c != n && len(c.children) == 0 {
		return false // the common case of a new message: no walk
	}
	for ; n != nil; n = n.parent {
		if n == c {
			return true
		}
	}
	return false
}

func (c *container) unlink() {
	p := c.parent
	if p == nil {
		return
	}
	for i, k := range p.children {
		if k == c {
			p.children = slices.Delete(p.children, i, i+1)
			break
		}
	}
	c.parent = nil
}

// link makes p the parent of c unless that would make a loop.
func (c *container) link(p *container) {
	if c.isAncestorOf(p) {
		return
	}
	c.parent = p
	p.children = append(p.children, c)
}

// firstMsg returns the message that stands for c when sorting and when
// taking a thread's subject: c's own, or that of its first child for a
// dummy (RFC 5256 §4 steps 4, 5 and 6).
func (c *container) firstMsg() *SortData {
	for n := c; n != nil; {
		if n.d != nil {
			return n.d
		}
		if len(n.children) == 0 {
			return nil
		}
		n = n.children[0]
	}
	return nil
}

// messageIDs returns the "<...>" message IDs of a Message-ID,
// References or In-Reply-To value. Words outside angle brackets are not
// IDs: old mailers wrote In-Reply-To values like "Your message of ...",
// whose words would link unrelated messages.
func messageIDs(v string) []string {
	if !strings.Contains(v, "<") {
		return nil
	}
	ids, _ := mime.ParseMessageIDs(v)
	return ids
}

// referenceIDs returns the references of a message: the message IDs of
// References, or else the first of In-Reply-To.
func referenceIDs(d *SortData) []string {
	if ids := messageIDs(d.References); len(ids) > 0 {
		return ids
	}
	if ids := messageIDs(d.InReplyTo); len(ids) > 0 {
		return ids[:1]
	}
	return nil
}

// references is THREAD=REFERENCES (RFC 5256 §4 steps 1-6).
func references(ms []*SortData, kind NumKind) []Thread {
	byID := make(map[string]*container, len(ms))
	var all []*container // every container, in order of creation
	get := func(id string) *container {
		c := byID[id]
		if c == nil {
			c = &container{}
			byID[id] = c
			all = append(all, c)
		}
		return c
	}
	// Step 1: link messages by their references, in sequence order.
	for _, d := range ms {
		var c *container
		if ids := messageIDs(d.MessageID); len(ids) > 0 {
			id := ids[0]
			if k := byID[id]; k != nil && k.d == nil {
				c = k
			} else if k == nil {
				c = get(id)
			}
		}
		if c == nil {
			// No (valid) Message-ID, or a duplicate: a unique one.
			c = &container{}
			all = append(all, c)
		}
		c.d = d
		refs := referenceIDs(d)
		// 1.A: each reference is the parent of the next; existing links
		// stay, and no link may make a loop.
		for i := 0; i+1 < len(refs); i++ {
			p, k := get(refs[i]), get(refs[i+1])
			if k.parent == nil && p != k {
				k.link(p)
			}
		}
		// 1.B: the last reference is the parent of the message; an
		// existing parent is dropped first.
		c.unlink()
		if len(refs) > 0 {
			if p := get(refs[len(refs)-1]); p != c {
				c.link(p)
			}
		}
	}
	// Step 2: the root set.
	var roots []*container
	for _, c := range all {
		if c.parent == nil {
			roots = append(roots, c)
		}
	}
	// Step 3: prune dummies.
	roots = pruneDummies(roots, nil)
	// Step 4: sort the roots by sent date (a dummy by its first child's),
	// the children first so that "first child" means the earliest.
	for _, r := range roots {
		sortThreadTree(r)
	}
	sortContainers(roots)
	// Step 5: merge threads with the same base subject.
	roots = mergeBySubject(roots)
	// Step 6: sort all siblings, deepest first.
	for _, r := range roots {
		sortThreadTree(r)
	}
	sortContainers(roots)
	out := make([]Thread, 0, len(roots))
	for _, r := range roots {
		if t, ok := toThread(r, kind); ok {
			out = append(out, t)
		}
	}
	return out
}

// pruneDummies is step 3: it returns list with dummies that have no
// children removed and dummies that have children replaced by them,
// except that at the top level (parent nil) a dummy with several children
// stays.
func pruneDummies(list []*container, parent *container) []*container {
	out := make([]*container, 0, len(list))
	for _, c := range list {
		c.children = pruneDummies(c.children, c)
		if c.d != nil {
			out = append(out, c)
			continue
		}
		switch {
		case len(c.children) == 0:
		case parent != nil || len(c.children) == 1:
			for _, k := range c.children {
				k.parent = parent
				out = append(out, k)
			}
			c.children = nil
		default:
			out = append(out, c)
		}
	}
	return out
}

// sortContainers sorts siblings by the sent date of their first message,
// then by its sequence number.
func sortContainers(list []*container) {
	slices.SortStableFunc(list, func(a, b *container) int {
		da, db := a.firstMsg(), b.firstMsg()
		switch {
		case da == nil && db == nil:
			return 0
		case da == nil:
			return 1
		case db == nil:
			return -1
		}
		if r := da.sentDate().Compare(db.sentDate()); r != 0 {
			return r
		}
		return cmp.Compare(da.SeqNum, db.SeqNum)
	})
}

// sortThreadTree sorts the children of every node under c, deepest
// first, without recursion (reply chains can be long).
func sortThreadTree(c *container) {
	// Post-order: collect nodes in pre-order, sort in reverse.
	var order []*container
	stack := []*container{c}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		order = append(order, n)
		stack = append(stack, n.children...)
	}
	for i := len(order) - 1; i >= 0; i-- {
		sortContainers(order[i].children)
	}
}

// threadSubject is the base subject of a thread (step 5.B.i): that of its
// message, or of its first child's for a dummy; "" when there is none.
func threadSubject(c *container) (key string, replyOrFwd bool) {
	d := c.d
	if d == nil {
		if len(c.children) == 0 || c.children[0].d == nil {
			return "", false
		}
		d = c.children[0].d
	}
	b, re := BaseSubject(d.Subject)
	return UnicodeCasemap(b), re
}

// mergeBySubject is step 5: threads under the root with the same base
// subject are gathered.
func mergeBySubject(roots []*container) []*container {
	type entry struct {
		c  *container
		re bool // c's own subject is a reply or forward
	}
	table := map[string]*entry{}
	subj := make([]string, len(roots))
	res := make([]bool, len(roots))
	// 5.B: one message per base subject.
	for i, c := range roots {
		s, re := threadSubject(c)
		subj[i], res[i] = s, re
		if s == "" {
			continue
		}
		e := table[s]
		if e == nil {
			table[s] = &entry{c: c, re: re && c.d != nil}
			continue
		}
		if e.c.d != nil && (c.d == nil || e.re && !re) {
			e.c, e.re = c, re && c.d != nil
		}
	}
	// 5.C: merge.
	var out []*container
	replaced := map[*container]*container{} // table message -> new dummy
	removed := map[*container]bool{}
	for i, c := range roots {
		s := subj[i]
		if s == "" {
			continue
		}
		e := table[s]
		if e.c == c || c.parent != nil {
			continue // the table's message, or one merged already
		}
		curRe := res[i] && c.d != nil
		switch {
		case e.c.d == nil && c.d == nil:
			for _, k := range c.children {
				k.parent = e.c
			}
			e.c.children = append(e.c.children, c.children...)
			c.children = nil
		case e.c.d == nil:
			c.parent = e.c
			e.c.children = append(e.c.children, c)
		case curRe && !e.re:
			c.parent = e.c
			e.c.children = append(e.c.children, c)
		default:
			dummy := &container{children: []*container{e.c, c}}
			e.c.parent, c.parent = dummy, dummy
			if _, ok := replaced[e.c]; !ok {
				replaced[e.c] = dummy
			}
			e.c, e.re = dummy, false
		}
		removed[c] = true
	}
	for _, c := range roots {
		if removed[c] {
			continue
		}
		if d, ok := replaced[c]; ok {
			for d.parent != nil {
				d = d.parent
			}
			out = append(out, d)
			continue
		}
		out = append(out, c)
	}
	return out
}

// toThread converts a container tree; ok is false for an empty dummy.
func toThread(c *container, kind NumKind) (Thread, bool) {
	var t Thread
	if c.d != nil {
		t.Num = numOf(c.d, kind)
	}
	for _, k := range c.children {
		if kt, ok := toThread(k, kind); ok {
			t.Children = append(t.Children, kt)
		}
	}
	return t, c.d != nil || len(t.Children) > 0
}

// WriteThreads writes the thread lists of a THREAD response (RFC 5256 §5
// thread-list, without "THREAD"), e.g. "(2)(3 6 (4 23)(44 7 96))". So
// that the output follows the grammar for any tree, placeholders without
// messages under them are left out, a placeholder with a single child is
// written as that child, and a placeholder that is the only child of a
// message is replaced by its children.
func (e *Encoder) WriteThreads(threads []Thread) *Encoder {
	return e.Raw(FormatThreads(threads))
}

// FormatThreads returns the thread lists of threads as
// [Encoder.WriteThreads] writes them.
func FormatThreads(threads []Thread) string {
	var b strings.Builder
	for _, t := range threads {
		writeThreadList(&b, t)
	}
	return b.String()
}

// emptyThread reports whether t holds no message.
func emptyThread(t *Thread) bool {
	if t.Num != 0 {
		return false
	}
	for i := range t.Children {
		if !emptyThread(&t.Children[i]) {
			return false
		}
	}
	return true
}

// threadKids returns the children of t that hold messages; a single
// placeholder child is replaced by its children.
func threadKids(t Thread) []Thread {
	kids := t.Children
	for {
		var out []Thread
		for i := range kids {
			if !emptyThread(&kids[i]) {
				out = append(out, kids[i])
			}
		}
		if len(out) == 1 && out[0].Num == 0 {
			kids = out[0].Children
			continue
		}
		return out
	}
}

// writeThreadList writes "(" thread ")" for t, nothing for an empty
// placeholder.
func writeThreadList(b *strings.Builder, t Thread) {
	if t.Num == 0 {
		kids := threadKids(t)
		switch len(kids) {
		case 0:
			return
		case 1:
			writeThreadList(b, kids[0])
			return
		}
		b.WriteByte('(')
		for _, k := range kids {
			writeThreadList(b, k)
		}
		b.WriteByte(')')
		return
	}
	b.WriteByte('(')
	// A chain of single replies is written as numbers.
	for {
		b.WriteString(strconv.FormatUint(uint64(t.Num), 10))
		kids := threadKids(t)
		if len(kids) == 0 {
			break
		}
		b.WriteByte(' ')
		if len(kids) == 1 {
			t = kids[0]
			continue
		}
		for _, k := range kids {
			writeThreadList(b, k)
		}
		break
	}
	b.WriteByte(')')
}

// Threads reads the thread lists of a THREAD response up to the end of
// the line (not consumed): zero or more thread-list (RFC 5256 §5), each
// optionally preceded by a space. Nesting is bounded by the decoder's
// depth limit.
func (d *Decoder) Threads() ([]Thread, error) {
	var out []Thread
	for {
		d.Accept(' ')
		if d.AtEOL() {
			return out, nil
		}
		t, err := d.threadList(0)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
}

// threadList reads one "(" (thread-members / thread-nested) ")".
func (d *Decoder) threadList(depth int) (Thread, error) {
	if depth >= d.lim.depth() {
		return Thread{}, &LimitError{Kind: LimitDepth, Limit: int64(d.lim.depth())}
	}
	if err := d.Expect('('); err != nil {
		return Thread{}, err
	}
	b, err := d.Peek()
	if err != nil {
		return Thread{}, err
	}
	if b == '(' {
		kids, err := d.threadNested(depth)
		if err != nil {
			return Thread{}, err
		}
		return Thread{Children: kids}, d.Expect(')')
	}
	// thread-members: a chain of numbers, then optionally nested lists.
	var root Thread
	cur := &root
	for first := true; ; first = false {
		n, err := d.Number()
		if err != nil {
			return Thread{}, err
		}
		if n == 0 {
			return Thread{}, syntaxErr("thread member 0")
		}
		if !first {
			cur.Children = []Thread{{}}
			cur = &cur.Children[0]
		}
		cur.Num = n
		if d.Accept(')') {
			return root, nil
		}
		if err := d.SP(); err != nil {
			return Thread{}, err
		}
		if b, err := d.Peek(); err == nil && b == '(' {
			kids, err := d.threadNested(depth)
			if err != nil {
				return Thread{}, err
			}
			cur.Children = kids
			return root, d.Expect(')')
		}
	}
}

// threadNested reads 2*thread-list.
func (d *Decoder) threadNested(depth int) ([]Thread, error) {
	var kids []Thread
	for {
		b, err := d.Peek()
		if err != nil {
			return nil, err
		}
		if b != '(' {
			break
		}
		t, err := d.threadList(depth + 1)
		if err != nil {
			return nil, err
		}
		kids = append(kids, t)
	}
	if len(kids) < 2 {
		return nil, syntaxErr("nested thread list with fewer than two threads")
	}
	return kids, nil
}
