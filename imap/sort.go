package imap

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/mime"
)

// SortKey is a SORT criterion (RFC 5256 §3, RFC 5957 §3).
type SortKey string

// Sort keys.
const (
	SortArrival     SortKey = "ARRIVAL"     // internal date and time
	SortCc          SortKey = "CC"          // addr-mailbox of the first Cc address
	SortDate        SortKey = "DATE"        // sent date (RFC 5256 §2.2)
	SortFrom        SortKey = "FROM"        // addr-mailbox of the first From address
	SortSize        SortKey = "SIZE"        // RFC822.SIZE
	SortSubject     SortKey = "SUBJECT"     // base subject (RFC 5256 §2.1)
	SortTo          SortKey = "TO"          // addr-mailbox of the first To address
	SortDisplayFrom SortKey = "DISPLAYFROM" // display name of the first From address (RFC 5957)
	SortDisplayTo   SortKey = "DISPLAYTO"   // display name of the first To address (RFC 5957)
)

// SortCriterion is one criterion of a SORT command: a key, optionally
// reversed.
type SortCriterion struct {
	// Key is the sort key.
	Key SortKey
	// Reverse reverses the order of this key (REVERSE).
	Reverse bool
}

// String formats the criterion as "KEY" or "REVERSE KEY".
func (c SortCriterion) String() string {
	if c.Reverse {
		return "REVERSE " + string(c.Key)
	}
	return string(c.Key)
}

// MaxSortCriteria bounds the criteria of one SORT command.
const MaxSortCriteria = 32

// FormatSortCriteria formats criteria as a parenthesised SORT criteria
// list, e.g. "(REVERSE DATE SUBJECT)".
func FormatSortCriteria(criteria []SortCriterion) string {
	parts := make([]string, len(criteria))
	for i, c := range criteria {
		parts[i] = c.String()
	}
	return "(" + strings.Join(parts, " ") + ")"
}

// SortCriteria reads a parenthesised list of sort criteria (RFC 5256 §5
// sort-criteria): at least one, at most [MaxSortCriteria], keys as
// [SortKey], each optionally preceded by REVERSE.
func (d *Decoder) SortCriteria() ([]SortCriterion, error) {
	var out []SortCriterion
	err := d.List(func() error {
		if len(out) >= MaxSortCriteria {
			return syntaxErr("more than %d sort criteria", MaxSortCriteria)
		}
		a, err := d.Atom()
		if err != nil {
			return err
		}
		var c SortCriterion
		if strings.EqualFold(a, "REVERSE") {
			c.Reverse = true
			if err := d.SP(); err != nil {
				return err
			}
			if a, err = d.Atom(); err != nil {
				return err
			}
		}
		k := SortKey(strings.ToUpper(a))
		switch k {
		case SortArrival, SortCc, SortDate, SortFrom, SortSize, SortSubject, SortTo, SortDisplayFrom, SortDisplayTo:
		default:
			return syntaxErr("unknown sort key %q", a)
		}
		c.Key = k
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, syntaxErr("empty sort criteria")
	}
	return out, nil
}

// SortData is what [Sort] and [Threads] need to know about a message.
// The backend fills SeqNum, UID, InternalDate and Size from its index;
// [Message.SortData] fills the rest from the header.
type SortData struct {
	// SeqNum and UID are the message's sequence number and UID.
	SeqNum, UID uint32
	// InternalDate is the INTERNALDATE (ARRIVAL).
	InternalDate time.Time
	// SentDate is the parsed Date header field; zero when it is missing
	// or cannot be parsed, and then InternalDate is the sent date (RFC
	// 5256 §2.2).
	SentDate time.Time
	// Size is the RFC822.SIZE in octets.
	Size int64
	// From, To and Cc are the addr-mailbox (local part) of the first
	// address of those fields, or the group name when the field starts
	// with a group; empty when there is none.
	From, To, Cc string
	// DisplayFrom and DisplayTo are the decoded display name of the
	// first From and To address, or its addr-spec when it has no display
	// name, or the group name (RFC 5957 §3).
	DisplayFrom, DisplayTo string
	// Subject is the raw Subject field value (encoded words not decoded).
	Subject string
	// MessageID, References and InReplyTo are the raw values of those
	// fields (THREAD=REFERENCES).
	MessageID, References, InReplyTo string
}

// SortData fills the header-dependent fields of d (SentDate, From, To,
// Cc, DisplayFrom, DisplayTo, Subject, MessageID, References, InReplyTo)
// and Size when it is zero.
func (m *Message) SortData(d *SortData) {
	if d.Size == 0 {
		d.Size = int64(len(m.raw))
	}
	d.SentDate = m.SentDate()
	if m.root == nil {
		return
	}
	h := &m.root.Header
	d.From, d.DisplayFrom = firstAddress(h.Get("From"))
	d.To, d.DisplayTo = firstAddress(h.Get("To"))
	d.Cc, _ = firstAddress(h.Get("Cc"))
	d.Subject = h.Get("Subject")
	d.MessageID = h.Get("Message-Id")
	d.References = h.Get("References")
	d.InReplyTo = h.Get("In-Reply-To")
}

// firstAddress returns the addr-mailbox and the display string (RFC
// 5957) of the first address of an address field value: for a group,
// its name twice.
func firstAddress(v string) (mailbox, display string) {
	if v == "" {
		return "", ""
	}
	gs, _ := mime.ParseAddressGroups(v)
	for _, g := range gs {
		if !g.NotGroup {
			return g.Name, g.Name
		}
		if len(g.Members) == 0 {
			continue
		}
		a := g.Members[0]
		mailbox = a.Address
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 {
			mailbox = a.Address[:i]
		}
		display = strings.TrimSpace(a.Name)
		if display == "" {
			display = a.Address
		}
		return mailbox, display
	}
	return "", ""
}

// sentDate is the sent date of RFC 5256 §2.2.
func (d *SortData) sentDate() time.Time {
	if d.SentDate.IsZero() {
		return d.InternalDate
	}
	return d.SentDate
}

// Sort orders msgs by criteria (RFC 5256 §3): each key compares as the
// RFC says (strings with i;unicode-casemap, RFC 5051, as the I18NLEVEL=1
// collation of RFC 5255 asks; dates as instants; addresses by the first
// one; SUBJECT by base subject), later keys break ties of earlier ones,
// and messages equal on all keys keep sequence-number order. Each
// message's string keys are prepared once per call, not per comparison
// (see [UnicodeCasemap]; ASCII strings without copying). It returns the
// sequence numbers (kind [NumSeq]) or UIDs ([NumUID]) in sorted order.
// msgs is not modified.
func Sort(msgs []SortData, criteria []SortCriterion, kind NumKind) []uint32 {
	type item struct {
		d    *SortData
		keys []collationKey // string keys, prepared, by criterion index
	}
	items := make([]item, len(msgs))
	keys := make([]collationKey, len(msgs)*len(criteria))
	for i := range msgs {
		it := item{d: &msgs[i], keys: keys[i*len(criteria) : (i+1)*len(criteria) : (i+1)*len(criteria)]}
		for k, c := range criteria {
			switch c.Key {
			case SortCc:
				it.keys[k] = newCollationKey(msgs[i].Cc)
			case SortFrom:
				it.keys[k] = newCollationKey(msgs[i].From)
			case SortTo:
				it.keys[k] = newCollationKey(msgs[i].To)
			case SortDisplayFrom:
				it.keys[k] = newCollationKey(msgs[i].DisplayFrom)
			case SortDisplayTo:
				it.keys[k] = newCollationKey(msgs[i].DisplayTo)
			case SortSubject:
				b, _ := BaseSubject(msgs[i].Subject)
				it.keys[k] = newCollationKey(b)
			}
		}
		items[i] = it
	}
	slices.SortStableFunc(items, func(a, b item) int {
		for k, c := range criteria {
			var r int
			switch c.Key {
			case SortArrival:
				r = a.d.InternalDate.Compare(b.d.InternalDate)
			case SortDate:
				r = a.d.sentDate().Compare(b.d.sentDate())
			case SortSize:
				r = cmp.Compare(a.d.Size, b.d.Size)
			default:
				r = a.keys[k].compare(b.keys[k])
			}
			if c.Reverse {
				r = -r
			}
			if r != 0 {
				return r
			}
		}
		return cmp.Compare(a.d.SeqNum, b.d.SeqNum)
	})
	out := make([]uint32, len(items))
	for i, it := range items {
		out[i] = numOf(it.d, kind)
	}
	return out
}

func numOf(d *SortData, kind NumKind) uint32 {
	if kind == NumUID {
		return d.UID
	}
	return d.SeqNum
}
