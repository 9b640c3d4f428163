package imap

import (
	"bufio"
	"bytes"
	"strings"
)

// MaxListPatterns bounds the mailbox patterns of one LIST command
// ([Decoder.ListCommand]).
const MaxListPatterns = 1000

// ListOptions are the options of an extended LIST command: the selection
// and return options of LIST-EXTENDED (RFC 5258 §3), the SPECIAL-USE
// options of RFC 6154 §3 and the STATUS return option of LIST-STATUS
// (RFC 5819). Each field is one option as the client sent it; the
// options a selection option implies (SUBSCRIBED implies the SUBSCRIBED
// return option, SPECIAL-USE the SPECIAL-USE one) are not filled in here,
// see [ListOptions.Implied].
type ListOptions struct {
	// SelectSubscribed is the SUBSCRIBED selection option: subscribed
	// mailboxes are listed, whether they exist or not.
	SelectSubscribed bool
	// SelectRemote is the REMOTE selection option (remote mailboxes,
	// RFC 2193, are listed too).
	SelectRemote bool
	// SelectRecursiveMatch is the RECURSIVEMATCH selection option: parents
	// whose descendants meet the other selection options are listed with
	// CHILDINFO. It needs another selection option besides REMOTE.
	SelectRecursiveMatch bool
	// SelectSpecialUse is the SPECIAL-USE selection option (RFC 6154):
	// only mailboxes with a special-use attribute are listed.
	SelectSpecialUse bool

	// ReturnSubscribed is the SUBSCRIBED return option (\Subscribed).
	ReturnSubscribed bool
	// ReturnChildren is the CHILDREN return option (\HasChildren,
	// \HasNoChildren).
	ReturnChildren bool
	// ReturnSpecialUse is the SPECIAL-USE return option (RFC 6154).
	ReturnSpecialUse bool
	// ReturnStatus is the STATUS return option of LIST-STATUS (RFC 5819):
	// the items of a STATUS reply sent for each selectable mailbox
	// listed; nil: not asked for.
	ReturnStatus *StatusOptions
}

// Implied returns o with the return options its selection options imply
// (RFC 5258 §3.1, RFC 6154 §3).
func (o ListOptions) Implied() ListOptions {
	if o.SelectSubscribed {
		o.ReturnSubscribed = true
	}
	if o.SelectSpecialUse {
		o.ReturnSpecialUse = true
	}
	return o
}

// Selective reports whether a selection option restricts the mailboxes
// listed (SUBSCRIBED or SPECIAL-USE).
func (o *ListOptions) Selective() bool { return o.SelectSubscribed || o.SelectSpecialUse }

// ListCommand holds the arguments of a LIST command (RFC 3501 §6.3.8)
// in the extended syntax of RFC 5258 §3:
//
//	LIST [SP "(" selection-options ")"] SP reference SP (pattern / "(" patterns ")") [SP "RETURN" SP "(" return-options ")"]
type ListCommand struct {
	// Ref is the reference name as sent (modified UTF-7, not decoded).
	Ref string
	// Patterns are the mailbox patterns as sent (at least one).
	Patterns []string
	// Options are the selection and return options.
	Options ListOptions
	// Extended reports that the command used the extended syntax:
	// selection options (even "()"), a parenthesised list of patterns or
	// RETURN. The replies of an extended LIST use \NonExistent where a
	// basic one says \Noselect (RFC 5258 §3.4).
	Extended bool
}

// ListCommand reads the arguments of a LIST command, from the space
// after "LIST" up to (not including) the CRLF. Unknown options, a
// RECURSIVEMATCH alone (or only with REMOTE), an empty list of patterns
// and an empty STATUS list are [*SyntaxError]s (the server answers BAD,
// RFC 5258 §3).
func (d *Decoder) ListCommand() (*ListCommand, error) {
	l := &ListCommand{}
	if err := d.SP(); err != nil {
		return nil, err
	}
	if b, err := d.Peek(); err == nil && b == '(' {
		l.Extended = true
		err := d.List(func() error {
			a, err := d.Atom()
			if err != nil {
				return err
			}
			switch strings.ToUpper(a) {
			case "SUBSCRIBED":
				l.Options.SelectSubscribed = true
			case "REMOTE":
				l.Options.SelectRemote = true
			case "RECURSIVEMATCH":
				l.Options.SelectRecursiveMatch = true
			case "SPECIAL-USE":
				l.Options.SelectSpecialUse = true
			default:
				return syntaxErr("unknown LIST selection option %q", printable(a))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if l.Options.SelectRecursiveMatch && !l.Options.Selective() {
			return nil, syntaxErr("RECURSIVEMATCH needs another selection option")
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
	}
	ref, err := d.AString()
	if err != nil {
		return nil, err
	}
	l.Ref = ref
	if err := d.SP(); err != nil {
		return nil, err
	}
	if b, err := d.Peek(); err == nil && b == '(' {
		l.Extended = true
		err := d.List(func() error {
			if len(l.Patterns) >= MaxListPatterns {
				return syntaxErr("more than %d LIST patterns", MaxListPatterns)
			}
			p, err := d.ListMailbox()
			if err != nil {
				return err
			}
			l.Patterns = append(l.Patterns, p)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(l.Patterns) == 0 {
			return nil, syntaxErr("empty list of LIST patterns")
		}
	} else {
		p, err := d.ListMailbox()
		if err != nil {
			return nil, err
		}
		l.Patterns = []string{p}
	}
	if !d.HasPrefixFold(" RETURN ") {
		return l, nil
	}
	l.Extended = true
	if err := d.SP(); err != nil {
		return nil, err
	}
	if _, err := d.Atom(); err != nil {
		return nil, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	err = d.List(func() error {
		a, err := d.Atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(a) {
		case "SUBSCRIBED":
			l.Options.ReturnSubscribed = true
		case "CHILDREN":
			l.Options.ReturnChildren = true
		case "SPECIAL-USE":
			l.Options.ReturnSpecialUse = true
		case "STATUS":
			if err := d.SP(); err != nil {
				return err
			}
			so, err := d.StatusItems()
			if err != nil {
				return err
			}
			if so.empty() {
				return syntaxErr("empty STATUS return option")
			}
			if l.Options.ReturnStatus != nil {
				so.merge(l.Options.ReturnStatus)
			}
			l.Options.ReturnStatus = so
		default:
			return syntaxErr("unknown LIST return option %q", printable(a))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// printable shortens s and replaces control and non-ASCII bytes, for
// error messages.
func printable(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c >= 0x7f {
			b[i] = '?'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

// Encode writes the arguments of l, starting with the space after
// "LIST": the selection options if any, the reference, the pattern (a
// parenthesised list when there are several, or when l is extended) and
// the return options if any.
func (l *ListCommand) Encode(e *Encoder) {
	o := &l.Options
	var sel []string
	add := func(ok bool, name string) {
		if ok {
			sel = append(sel, name)
		}
	}
	add(o.SelectSubscribed, "SUBSCRIBED")
	add(o.SelectRemote, "REMOTE")
	add(o.SelectRecursiveMatch, "RECURSIVEMATCH")
	add(o.SelectSpecialUse, "SPECIAL-USE")
	ret := o.ReturnSubscribed || o.ReturnChildren || o.ReturnSpecialUse || o.ReturnStatus != nil
	e.SP()
	if len(sel) > 0 {
		e.Raw("(" + strings.Join(sel, " ") + ")").SP()
	}
	if l.Ref == "" {
		e.Raw(`""`)
	} else {
		e.AString(l.Ref)
	}
	e.SP()
	if len(l.Patterns) == 1 && !l.Extended {
		writeListMailbox(e, l.Patterns[0])
	} else {
		e.List(len(l.Patterns), func(i int) { writeListMailbox(e, l.Patterns[i]) })
	}
	if ret {
		var items []string
		add := func(ok bool, name string) {
			if ok {
				items = append(items, name)
			}
		}
		add(o.ReturnSubscribed, "SUBSCRIBED")
		add(o.ReturnChildren, "CHILDREN")
		add(o.ReturnSpecialUse, "SPECIAL-USE")
		if o.ReturnStatus != nil {
			items = append(items, "STATUS "+o.ReturnStatus.String())
		}
		e.Raw(" RETURN (" + strings.Join(items, " ") + ")")
	}
}

// String returns the arguments as [ListCommand.Encode] writes them,
// without the leading space.
func (l *ListCommand) String() string {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	l.Encode(NewEncoder(w))
	_ = w.Flush()
	return strings.TrimPrefix(buf.String(), " ")
}

// writeListMailbox writes a LIST pattern: as list-chars when it is made
// of them, else as a string.
func writeListMailbox(e *Encoder, p string) {
	ok := p != ""
	for i := 0; i < len(p) && ok; i++ {
		ok = isListChar(p[i])
	}
	if ok {
		e.Raw(p)
	} else {
		e.String(p)
	}
}

// StatusItems reads a parenthesised list of STATUS items (RFC 3501
// §6.3.10: MESSAGES, RECENT, UIDNEXT, UIDVALIDITY, UNSEEN; RFC 9051 and
// RFC 8438: SIZE, DELETED). An unknown item is a [*SyntaxError]; the
// empty list is allowed.
func (d *Decoder) StatusItems() (*StatusOptions, error) {
	o := &StatusOptions{}
	err := d.List(func() error {
		a, err := d.Atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(a) {
		case "MESSAGES":
			o.NumMessages = true
		case "RECENT":
			o.NumRecent = true
		case "UIDNEXT":
			o.UIDNext = true
		case "UIDVALIDITY":
			o.UIDValidity = true
		case "UNSEEN":
			o.NumUnseen = true
		case "SIZE":
			o.Size = true
		case "DELETED":
			o.NumDeleted = true
		case "HIGHESTMODSEQ":
			o.HighestModSeq = true
		default:
			return syntaxErr("unknown STATUS item %s", printable(strings.ToUpper(a)))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Items returns the names of the items o asks for, in the order of RFC
// 3501 followed by SIZE and DELETED.
func (o *StatusOptions) Items() []string {
	var items []string
	add := func(ok bool, name string) {
		if ok {
			items = append(items, name)
		}
	}
	add(o.NumMessages, "MESSAGES")
	add(o.NumRecent, "RECENT")
	add(o.UIDNext, "UIDNEXT")
	add(o.UIDValidity, "UIDVALIDITY")
	add(o.NumUnseen, "UNSEEN")
	add(o.Size, "SIZE")
	add(o.NumDeleted, "DELETED")
	add(o.HighestModSeq, "HIGHESTMODSEQ")
	return items
}

// String returns the parenthesised item list, e.g. "(MESSAGES UNSEEN)".
func (o *StatusOptions) String() string { return "(" + strings.Join(o.Items(), " ") + ")" }

func (o *StatusOptions) empty() bool { return len(o.Items()) == 0 }

func (o *StatusOptions) merge(p *StatusOptions) {
	o.NumMessages = o.NumMessages || p.NumMessages
	o.NumRecent = o.NumRecent || p.NumRecent
	o.UIDNext = o.UIDNext || p.UIDNext
	o.UIDValidity = o.UIDValidity || p.UIDValidity
	o.NumUnseen = o.NumUnseen || p.NumUnseen
	o.Size = o.Size || p.Size
	o.NumDeleted = o.NumDeleted || p.NumDeleted
	o.HighestModSeq = o.HighestModSeq || p.HighestModSeq
}
