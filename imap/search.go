package imap

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/mime"
)

// SearchHeader is a HEADER search key (also FROM, TO, CC, BCC, SUBJECT).
type SearchHeader struct {
	// Key is the header field name, compared case-insensitively; FROM, TO,
	// CC, BCC and SUBJECT keys are stored under that name in upper case.
	// Value is the text to find as a case-insensitive substring of the
	// decoded field value (empty: the field only has to exist).
	Key, Value string
}

// SearchCriteria is a SEARCH program; all conditions must hold. Dates
// compare calendar days in the message's or server's time zone as RFC
// 3501 says (Since: on or after, Before: earlier than).
//
// The keys are those of RFC 3501 §6.4.4 (RFC 9051 §6.4.4); a zero or
// empty field sets no condition, so the zero SearchCriteria is ALL.
type SearchCriteria struct {
	// SeqNum lists sequence-set keys: the message sequence number must
	// be in every set.
	SeqNum []SeqSet
	// UID lists UID keys: the UID must be in every set.
	UID []SeqSet

	// Since and Before bound the internal date: SINCE (on or after the
	// day) and BEFORE (earlier than the day); ON sets both. Only the date
	// counts; zero: no bound.
	Since, Before time.Time
	// SentSince and SentBefore bound the Date header field the same way
	// (SENTSINCE, SENTBEFORE, SENTON); a message without a Date header
	// field does not match a bound.
	SentSince, SentBefore time.Time

	// Header lists HEADER, FROM, TO, CC, BCC and SUBJECT keys.
	Header []SearchHeader
	// Body lists BODY keys: strings that must all occur in the body.
	Body []string
	// Text lists TEXT keys: strings that must each occur in the header or
	// the body.
	Text []string

	// Flag lists flags the message must have (ANSWERED, SEEN, KEYWORD
	// and the like; NEW adds \Recent).
	Flag []Flag
	// NotFlag lists flags the message must not have (UNANSWERED, UNSEEN,
	// UNKEYWORD, OLD and the like; NEW adds \Seen).
	NotFlag []Flag

	// Larger and Smaller bound the RFC822.SIZE in octets: LARGER n means
	// size > n, SMALLER n size < n; 0: no bound.
	Larger, Smaller int64

	// ModSeq is the MODSEQ key (RFC 7162 §3.1.5): the message's
	// mod-sequence must be at least *ModSeq. The optional entry name and
	// type are read and ignored (all flags share one mod-sequence here).
	// nil: no condition.
	ModSeq *uint64

	// Not lists NOT keys: each must not match.
	Not []SearchCriteria
	// Or lists OR keys: at least one of each pair must match.
	Or [][2]SearchCriteria
}

// MaxSearchKeys bounds the keys of one SEARCH program.
const MaxSearchKeys = 1000

// SearchCriteria reads search keys up to the end of the line (not
// consumed), including an optional leading "CHARSET x" which is returned.
func (d *Decoder) SearchCriteria() (c *SearchCriteria, charset string, err error) {
	c = &SearchCriteria{}
	count := 0
	first := true
	for {
		if first {
			first = false
		} else {
			if d.AtEOL() {
				break
			}
			if err := d.SP(); err != nil {
				return nil, "", err
			}
		}
		b, err := d.Peek()
		if err != nil {
			return nil, "", err
		}
		if b == 'C' || b == 'c' {
			// Could be CHARSET or CC.
			if d.HasPrefixFold("CHARSET ") && count == 0 && charset == "" {
				if _, err := d.Atom(); err != nil {
					return nil, "", err
				}
				if err := d.SP(); err != nil {
					return nil, "", err
				}
				if charset, err = d.AString(); err != nil {
					return nil, "", err
				}
				continue
			}
		}
		if err := d.searchKey(c, &count, 0); err != nil {
			return nil, "", err
		}
	}
	if count == 0 {
		return nil, "", syntaxErr("missing search key")
	}
	return c, charset, nil
}

func (d *Decoder) searchDate() (time.Time, error) {
	s, err := d.AString()
	if err != nil {
		return time.Time{}, err
	}
	t, perr := time.Parse(DateLayout, s)
	if perr != nil {
		return time.Time{}, syntaxErr("bad date %q", s)
	}
	return t, nil
}

func laterOf(a, b time.Time) time.Time {
	if a.IsZero() || b.After(a) {
		return b
	}
	return a
}

func earlierOf(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func (d *Decoder) searchKey(c *SearchCriteria, count *int, depth int) error {
	*count++
	if *count > MaxSearchKeys {
		return &LimitError{Kind: LimitDepth, Limit: MaxSearchKeys}
	}
	if depth > d.lim.depth() {
		return &LimitError{Kind: LimitDepth, Limit: int64(d.lim.depth())}
	}
	b, err := d.Peek()
	if err != nil {
		return err
	}
	if b == '(' {
		return d.List(func() error { return d.searchKey(c, count, depth+1) })
	}
	if (b >= '0' && b <= '9') || b == '*' || b == '$' {
		set, err := d.SeqSet()
		if err != nil {
			return err
		}
		c.SeqNum = append(c.SeqNum, set)
		return nil
	}
	key, err := d.Atom()
	if err != nil {
		return err
	}
	key = strings.ToUpper(key)
	arg := func() (string, error) {
		if err := d.SP(); err != nil {
			return "", err
		}
		return d.AString()
	}
	date := func() (time.Time, error) {
		if err := d.SP(); err != nil {
			return time.Time{}, err
		}
		return d.searchDate()
	}
	num := func() (int64, error) {
		if err := d.SP(); err != nil {
			return 0, err
		}
		return d.Number64()
	}
	flag := func() (Flag, error) {
		if err := d.SP(); err != nil {
			return "", err
		}
		f, err := d.Flag(false)
		return CanonicalFlag(f), err
	}
	switch key {
	case "ALL":
	case "ANSWERED", "DELETED", "DRAFT", "FLAGGED", "RECENT", "SEEN":
		c.Flag = append(c.Flag, CanonicalFlag(Flag(`\`+key)))
	case "UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNSEEN":
		c.NotFlag = append(c.NotFlag, CanonicalFlag(Flag(`\`+key[2:])))
	case "NEW":
		c.Flag = append(c.Flag, FlagRecent)
		c.NotFlag = append(c.NotFlag, FlagSeen)
	case "OLD":
		c.NotFlag = append(c.NotFlag, FlagRecent)
	case "KEYWORD":
		f, err := flag()
		if err != nil {
			return err
		}
		c.Flag = append(c.Flag, f)
	case "UNKEYWORD":
		f, err := flag()
		if err != nil {
			return err
		}
		c.NotFlag = append(c.NotFlag, f)
	case "BCC", "CC", "FROM", "SUBJECT", "TO":
		v, err := arg()
		if err != nil {
			return err
		}
		c.Header = append(c.Header, SearchHeader{Key: key, Value: v})
	case "HEADER":
		k, err := arg()
		if err != nil {
			return err
		}
		v, err := arg()
		if err != nil {
			return err
		}
		c.Header = append(c.Header, SearchHeader{Key: k, Value: v})
	case "BODY":
		v, err := arg()
		if err != nil {
			return err
		}
		c.Body = append(c.Body, v)
	case "TEXT":
		v, err := arg()
		if err != nil {
			return err
		}
		c.Text = append(c.Text, v)
	case "BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE":
		t, err := date()
		if err != nil {
			return err
		}
		switch key {
		case "BEFORE":
			c.Before = earlierOf(c.Before, t)
		case "SINCE":
			c.Since = laterOf(c.Since, t)
		case "ON":
			c.Since = laterOf(c.Since, t)
			c.Before = earlierOf(c.Before, t.AddDate(0, 0, 1))
		case "SENTBEFORE":
			c.SentBefore = earlierOf(c.SentBefore, t)
		case "SENTSINCE":
			c.SentSince = laterOf(c.SentSince, t)
		case "SENTON":
			c.SentSince = laterOf(c.SentSince, t)
			c.SentBefore = earlierOf(c.SentBefore, t.AddDate(0, 0, 1))
		}
	case "LARGER":
		n, err := num()
		if err != nil {
			return err
		}
		if n > c.Larger {
			c.Larger = n
		}
	case "SMALLER":
		n, err := num()
		if err != nil {
			return err
		}
		if c.Smaller == 0 || n < c.Smaller {
			c.Smaller = n
		}
	case "UID":
		if err := d.SP(); err != nil {
			return err
		}
		set, err := d.SeqSet()
		if err != nil {
			return err
		}
		c.UID = append(c.UID, set)
	case "MODSEQ":
		if err := d.SP(); err != nil {
			return err
		}
		if b, _ := d.Peek(); b == '"' || b == '{' || b == '~' {
			// entry-name SP entry-type-req (RFC 7162 §3.1.5)
			if _, err := d.String(); err != nil {
				return err
			}
			if err := d.SP(); err != nil {
				return err
			}
			t, err := d.Atom()
			if err != nil {
				return err
			}
			switch strings.ToLower(t) {
			case "priv", "shared", "all":
			default:
				return syntaxErr("bad MODSEQ entry type %q", printable(t))
			}
			if err := d.SP(); err != nil {
				return err
			}
		}
		n, err := d.Number64()
		if err != nil {
			return err
		}
		v := uint64(n)
		if c.ModSeq == nil || v > *c.ModSeq {
			c.ModSeq = &v
		}
	case "NOT":
		if err := d.SP(); err != nil {
			return err
		}
		var n SearchCriteria
		if err := d.searchKey(&n, count, depth+1); err != nil {
			return err
		}
		c.Not = append(c.Not, n)
	case "OR":
		var pair [2]SearchCriteria
		for i := range pair {
			if err := d.SP(); err != nil {
				return err
			}
			if err := d.searchKey(&pair[i], count, depth+1); err != nil {
				return err
			}
		}
		c.Or = append(c.Or, pair)
	default:
		return syntaxErr("unknown search key %q", key)
	}
	return nil
}

// String formats the criteria as SEARCH keys ("ALL" when empty).
func (c *SearchCriteria) String() string {
	var keys []string
	add := func(s ...string) { keys = append(keys, strings.Join(s, " ")) }
	q := func(s string) string {
		if IsAtom(s) {
			return s
		}
		return strconv.Quote(s)
	}
	for _, s := range c.SeqNum {
		add(s.String())
	}
	for _, s := range c.UID {
		add("UID", s.String())
	}
	date := func(k string, t time.Time) {
		if !t.IsZero() {
			add(k, t.Format(DateLayout))
		}
	}
	date("SINCE", c.Since)
	date("BEFORE", c.Before)
	date("SENTSINCE", c.SentSince)
	date("SENTBEFORE", c.SentBefore)
	for _, h := range c.Header {
		switch strings.ToUpper(h.Key) {
		case "BCC", "CC", "FROM", "SUBJECT", "TO":
			add(strings.ToUpper(h.Key), q(h.Value))
		default:
			add("HEADER", q(h.Key), q(h.Value))
		}
	}
	for _, s := range c.Body {
		add("BODY", q(s))
	}
	for _, s := range c.Text {
		add("TEXT", q(s))
	}
	for _, f := range c.Flag {
		switch CanonicalFlag(f) {
		case FlagSeen, FlagAnswered, FlagFlagged, FlagDeleted, FlagDraft, FlagRecent:
			add(strings.ToUpper(string(f[1:])))
		default:
			add("KEYWORD", string(f))
		}
	}
	for _, f := range c.NotFlag {
		switch CanonicalFlag(f) {
		case FlagSeen, FlagAnswered, FlagFlagged, FlagDeleted, FlagDraft:
			add("UN" + strings.ToUpper(string(f[1:])))
		case FlagRecent:
			add("OLD")
		default:
			add("UNKEYWORD", string(f))
		}
	}
	if c.Larger > 0 {
		add("LARGER", strconv.FormatInt(c.Larger, 10))
	}
	if c.Smaller > 0 {
		add("SMALLER", strconv.FormatInt(c.Smaller, 10))
	}
	if c.ModSeq != nil {
		add("MODSEQ", strconv.FormatUint(*c.ModSeq, 10))
	}
	for i := range c.Not {
		add("NOT", "("+c.Not[i].String()+")")
	}
	for i := range c.Or {
		add("OR", "("+c.Or[i][0].String()+")", "("+c.Or[i][1].String()+")")
	}
	if len(keys) == 0 {
		return "ALL"
	}
	return strings.Join(keys, " ")
}

// SearchTarget is what [SearchCriteria.Match] needs to know about a
// message. Header is the raw header section and Body the raw body;
// [Message.SearchTarget] fills them (and lets Match reuse the parsed
// message). A SearchTarget caches decoded text between the keys of one
// Match call and must not be shared between goroutines.
type SearchTarget struct {
	// SeqNum and UID are the message's sequence number and UID.
	SeqNum, UID uint32
	// MaxSeqNum and MaxUID are the largest sequence number and UID in
	// the mailbox, the values "*" stands for in a sequence set.
	MaxSeqNum, MaxUID uint32
	// Flags are the message's flags, compared case-insensitively.
	Flags []Flag
	// InternalDate is the date matched by SINCE, BEFORE and ON.
	InternalDate time.Time
	// Size is the RFC822.SIZE in octets, matched by LARGER and SMALLER.
	Size int64
	// Header is the raw header section, up to and including its empty
	// line.
	Header []byte
	// Body is the raw body, after the header section.
	Body []byte
	// SentDate is the parsed Date header (zero: none).
	SentDate time.Time
	// ModSeq is the message's mod-sequence, matched by MODSEQ (RFC 7162).
	ModSeq uint64

	msg      *Message // set by Message.SearchTarget
	bodyText []byte   // decoded text prepared for i;unicode-casemap, computed on demand
	hdrText  []byte
	decoded  bool
}

// MaxSearchText bounds the decoded text of one message that BODY and TEXT
// search (16 MiB, counted after preparation for i;unicode-casemap); text
// beyond it is not searched.
const MaxSearchText = 16 << 20

// decode prepares the decoded header and body text once, each header
// field and each text part as a string of its own for i;unicode-casemap
// (so a part that is not valid UTF-8 is searched as octets without
// affecting the others).
func (t *SearchTarget) decode() {
	if t.decoded {
		return
	}
	t.decoded = true
	m := t.msg
	if m == nil || !bytes.Equal(m.Header(), t.Header) {
		raw := make([]byte, 0, len(t.Header)+len(t.Body))
		raw = append(append(raw, t.Header...), t.Body...)
		m = ParseMessage(raw)
	}
	t.hdrText = appendCasemapHeader(nil, m.Header(), -1)
	if m.root == nil {
		t.bodyText = appendCasemap(nil, m.Body(), MaxSearchText)
		return
	}
	var body []byte
	_ = m.root.Walk(func(p *mime.Part) error {
		if len(body) >= MaxSearchText {
			return errStopWalk
		}
		if p != m.root && p.Parent != nil && p.Parent.IsMessage() {
			// The header of an embedded message is part of the body.
			body = appendCasemapHeader(body, p.RawHeader(), MaxSearchText)
		}
		if p.IsText() && !p.IsMultipart() {
			b, _ := p.Bytes() // unknown charsets: the bytes as they are
			body = appendCasemap(body, b, MaxSearchText)
			body = append(body, '\n')
		}
		return nil
	})
	if len(body) > MaxSearchText {
		body = body[:MaxSearchText]
	}
	t.bodyText = body
}

var errStopWalk = errors.New("imap: search text limit reached")

// appendCasemapHeader appends the fields of a raw header section to dst,
// unfolded, one per line as "name: value", with RFC 2047 encoded words
// decoded and each field prepared for i;unicode-casemap on its own;
// it stops once dst holds limit bytes (limit < 0: no limit).
func appendCasemapHeader(dst, h []byte, limit int) []byte {
	var line []byte
	forEachField(h, func(name, value []byte) {
		if limit >= 0 && len(dst) >= limit {
			return
		}
		line = append(line[:0], name...)
		line = append(line, ':', ' ')
		line = append(line, decodeValue(value)...)
		dst = appendCasemap(dst, line, limit)
		dst = append(dst, '\n')
	})
	return dst
}

// decodeValue decodes the RFC 2047 encoded words of an unfolded value.
func decodeValue(v []byte) string {
	s, _ := mime.DecodeHeader(string(v)) // unknown charsets stay literal
	return s
}

func hasFlag(flags []Flag, f Flag) bool {
	for _, g := range flags {
		if equalFold(string(g), string(f)) {
			return true
		}
	}
	return false
}

// containsPrepared reports whether needle, prepared for
// i;unicode-casemap, occurs in hay, already prepared.
func containsPrepared(hay []byte, needle string) bool {
	if needle == "" {
		return true
	}
	return bytes.Contains(hay, []byte(UnicodeCasemap(needle)))
}

func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// forEachField calls fn with the name and unfolded value of every field
// of a raw header section (up to its empty line).
func forEachField(h []byte, fn func(name, value []byte)) {
	var name, cur []byte
	have := false
	flush := func() {
		if have {
			fn(name, cur)
		}
		name, cur, have = nil, nil, false
	}
	for len(h) > 0 {
		var l []byte
		if i := bytes.IndexByte(h, '\n'); i >= 0 {
			l, h = h[:i], h[i+1:]
		} else {
			l, h = h, nil
		}
		l = bytes.TrimRight(l, "\r")
		if len(l) == 0 {
			break
		}
		if l[0] == ' ' || l[0] == '\t' {
			if have {
				cur = append(cur, l...)
			}
			continue
		}
		flush()
		n, val, ok := bytes.Cut(l, []byte(":"))
		if ok {
			name, have = bytes.TrimSpace(n), true
			cur = append([]byte(nil), bytes.TrimSpace(val)...)
		}
	}
	flush()
}

// headerValues returns the unfolded values of the fields named key in a
// raw header section.
func headerValues(h []byte, key string) [][]byte {
	var out [][]byte
	forEachField(h, func(name, value []byte) {
		if equalFold(string(name), key) {
			out = append(out, value)
		}
	})
	return out
}

// Match reports whether the message satisfies all criteria. Text is
// compared as a substring under the i;unicode-casemap collation (RFC
// 5051, the I18NLEVEL=1 default of RFC 5255; see [ContainsUnicodeCasemap])
// after decoding (RFC 3501 §6.4.4): header values with their RFC 2047 encoded words decoded; BODY
// and TEXT look at the text/* parts with their transfer encoding removed
// and their charset converted to UTF-8, and at the headers of embedded
// messages. Other parts (attachments) are not searched.
func (c *SearchCriteria) Match(m *SearchTarget) bool {
	for _, s := range c.SeqNum {
		if !s.Contains(m.SeqNum, m.MaxSeqNum) {
			return false
		}
	}
	for _, s := range c.UID {
		if !s.Contains(m.UID, m.MaxUID) {
			return false
		}
	}
	if !c.Since.IsZero() && dayOf(m.InternalDate).Before(c.Since) {
		return false
	}
	if !c.Before.IsZero() && !dayOf(m.InternalDate).Before(c.Before) {
		return false
	}
	if !c.SentSince.IsZero() && (m.SentDate.IsZero() || dayOf(m.SentDate).Before(c.SentSince)) {
		return false
	}
	if !c.SentBefore.IsZero() && (m.SentDate.IsZero() || !dayOf(m.SentDate).Before(c.SentBefore)) {
		return false
	}
	for _, f := range c.Flag {
		if !hasFlag(m.Flags, f) {
			return false
		}
	}
	for _, f := range c.NotFlag {
		if hasFlag(m.Flags, f) {
			return false
		}
	}
	if c.Larger > 0 && m.Size <= c.Larger {
		return false
	}
	if c.Smaller > 0 && m.Size >= c.Smaller {
		return false
	}
	if c.ModSeq != nil && m.ModSeq < *c.ModSeq {
		return false
	}
	for _, h := range c.Header {
		found := false
		for _, v := range headerValues(m.Header, h.Key) {
			if ContainsUnicodeCasemap(decodeValue(v), h.Value) || isAddressKey(h.Key) && addressesContain(v, h.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(c.Body) > 0 || len(c.Text) > 0 {
		m.decode()
	}
	for _, s := range c.Body {
		if !containsPrepared(m.bodyText, s) {
			return false
		}
	}
	for _, s := range c.Text {
		if !containsPrepared(m.hdrText, s) && !containsPrepared(m.bodyText, s) {
			return false
		}
	}
	for i := range c.Not {
		if c.Not[i].Match(m) {
			return false
		}
	}
	for i := range c.Or {
		if !c.Or[i][0].Match(m) && !c.Or[i][1].Match(m) {
			return false
		}
	}
	return true
}

func isAddressKey(k string) bool {
	switch strings.ToUpper(k) {
	case "FROM", "TO", "CC", "BCC", "SENDER", "REPLY-TO":
		return true
	}
	return false
}

// addressesContain matches s against the parsed addresses of a header
// value ("Name <local@domain>"), so comments and folding in the raw
// header do not hide an address.
func addressesContain(v []byte, s string) bool {
	as, err := mime.ParseAddressList(string(v))
	if err != nil {
		return false
	}
	for _, a := range as {
		if ContainsUnicodeCasemap(a.Name+" <"+a.Address+">", s) {
			return true
		}
	}
	return false
}

// NeedsMessage reports whether matching c needs the message itself (its
// header or body: HEADER and the address keys, BODY, TEXT, SENTSINCE and
// SENTBEFORE) rather than only what a backend keeps in its index. A
// backend that stores messages outside memory can skip reading them when
// it is false.
func (c *SearchCriteria) NeedsMessage() bool {
	return c.any(func(c *SearchCriteria) bool {
		return len(c.Header) > 0 || len(c.Body) > 0 || len(c.Text) > 0 || !c.SentSince.IsZero() || !c.SentBefore.IsZero()
	})
}

// HasModSeq reports whether c uses the MODSEQ key (RFC 7162 §3.1.5),
// also inside NOT and OR: the SEARCH reply then carries the highest
// mod-sequence of the messages found.
func (c *SearchCriteria) HasModSeq() bool {
	return c.any(func(c *SearchCriteria) bool { return c.ModSeq != nil })
}

// NeedsSize reports whether matching c needs the message size (LARGER,
// SMALLER).
func (c *SearchCriteria) NeedsSize() bool {
	return c.any(func(c *SearchCriteria) bool { return c.Larger > 0 || c.Smaller > 0 })
}

// any reports whether f holds for c or for any of its NOT and OR
// sub-programs.
func (c *SearchCriteria) any(f func(*SearchCriteria) bool) bool {
	if f(c) {
		return true
	}
	for i := range c.Not {
		if c.Not[i].any(f) {
			return true
		}
	}
	for i := range c.Or {
		if c.Or[i][0].any(f) || c.Or[i][1].any(f) {
			return true
		}
	}
	return false
}
