package imap

import (
	"strconv"
	"strings"
)

// FetchOptions lists the data items of a FETCH command.
// The fields mirror the fetch-att items of RFC 3501 §6.4.5 (reply items:
// §7.4.2); false means the item is not asked for.
type FetchOptions struct {
	// UID asks for the UID item (implied by UID FETCH).
	UID bool
	// Flags asks for FLAGS.
	Flags bool
	// InternalDate asks for INTERNALDATE.
	InternalDate bool
	// RFC822Size asks for RFC822.SIZE, the message size in octets.
	RFC822Size bool
	// Envelope asks for ENVELOPE (see [Envelope]).
	Envelope bool
	// BodyStructure asks for BODYSTRUCTURE (with extension data); Body for
	// BODY (without).
	BodyStructure bool
	// Body asks for BODY, the structure without extension data (not to
	// be confused with BODY[section], which is in Sections).
	Body bool
	// Sections are the BODY[...], BODY.PEEK[...], BINARY[...],
	// BINARY.PEEK[...] (Binary set) and RFC822* items, in the order asked
	// for.
	Sections []*FetchSection
	// BinarySize lists the part paths of the BINARY.SIZE[...] items (RFC
	// 3516 §4.2): the size of each part after its content transfer
	// encoding is removed. An empty path is the whole message.
	BinarySize [][]int
	// ModSeq asks for MODSEQ, the message's mod-sequence (RFC 7162
	// §3.1.4.1, CONDSTORE).
	ModSeq bool
	// ChangedSince is the CHANGEDSINCE modifier (RFC 7162 §3.1.4.1):
	// only messages whose mod-sequence is greater are returned, with
	// MODSEQ. 0: no modifier. [Decoder.FetchModifiers] reads it.
	ChangedSince uint64
	// Vanished is the VANISHED modifier of UID FETCH (RFC 7162 §3.2.6,
	// QRESYNC; with ChangedSince): the UIDs of the set expunged since
	// ChangedSince are reported in "* VANISHED (EARLIER) uids".
	Vanished bool
}

// SetsSeen reports whether fetching these items sets \Seen (a non-peek
// section).
func (o *FetchOptions) SetsSeen() bool {
	for _, s := range o.Sections {
		if !s.Peek {
			return true
		}
	}
	return false
}

// Section specifiers.
const (
	SpecifierNone            = ""
	SpecifierHeader          = "HEADER"
	SpecifierHeaderFields    = "HEADER.FIELDS"
	SpecifierHeaderFieldsNot = "HEADER.FIELDS.NOT"
	SpecifierText            = "TEXT"
	SpecifierMIME            = "MIME"
)

// Partial is a <offset.count> byte range of a section.
type Partial struct {
	// Offset is the first octet of the range (0-based) and Count the
	// largest number of octets returned. In a FETCH reply only the offset
	// is sent, and a parsed reply item name has Count 0.
	Offset, Count int64
}

// FetchSection is a BODY[section]<partial> item, or one of RFC822,
// RFC822.HEADER and RFC822.TEXT.
type FetchSection struct {
	// Part is the part path, e.g. [1 2] for "1.2"; empty for the message.
	Part []int
	// Specifier is one of the Specifier* constants.
	Specifier string
	// Fields are the header field names of HEADER.FIELDS(.NOT).
	Fields []string
	// Peek is set for BODY.PEEK (and RFC822.HEADER): fetching the section
	// does not set \Seen (RFC 3501 §6.4.5).
	Peek bool
	// Partial is the <offset.count> range asked for; nil: the whole
	// section.
	Partial *Partial
	// RFC822 is "RFC822", "RFC822.HEADER" or "RFC822.TEXT" when the item
	// was asked for by that name (the reply uses the same name).
	RFC822 string
	// Binary is set for BINARY[...] and BINARY.PEEK[...] (RFC 3516): the
	// part with its content transfer encoding removed
	// ([Message.BinarySection]). Only Part and Partial apply.
	Binary bool
}

// Name returns the item name of the reply: "BODY[1.TEXT]<0>",
// "RFC822.HEADER" and so on.
func (s *FetchSection) Name() string {
	if s.RFC822 != "" {
		return s.RFC822
	}
	var sb strings.Builder
	if s.Binary {
		sb.WriteString("BINARY[")
	} else {
		sb.WriteString("BODY[")
	}
	s.writeSpec(&sb)
	sb.WriteByte(']')
	if s.Partial != nil {
		sb.WriteByte('<')
		sb.WriteString(strconv.FormatInt(s.Partial.Offset, 10))
		sb.WriteByte('>')
	}
	return sb.String()
}

// command returns the item as sent in a FETCH command.
func (s *FetchSection) command() string {
	if s.RFC822 != "" {
		return s.RFC822
	}
	var sb strings.Builder
	if s.Binary {
		sb.WriteString("BINARY")
	} else {
		sb.WriteString("BODY")
	}
	if s.Peek {
		sb.WriteString(".PEEK")
	}
	sb.WriteByte('[')
	s.writeSpec(&sb)
	sb.WriteByte(']')
	if s.Partial != nil {
		sb.WriteString("<" + strconv.FormatInt(s.Partial.Offset, 10) + "." + strconv.FormatInt(s.Partial.Count, 10) + ">")
	}
	return sb.String()
}

func (s *FetchSection) writeSpec(sb *strings.Builder) {
	for i, p := range s.Part {
		if i > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(strconv.Itoa(p))
	}
	if s.Specifier != "" {
		if len(s.Part) > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(s.Specifier)
	}
	if s.Specifier == SpecifierHeaderFields || s.Specifier == SpecifierHeaderFieldsNot {
		sb.WriteString(" (")
		for i, f := range s.Fields {
			if i > 0 {
				sb.WriteByte(' ')
			}
			if IsAtom(f) {
				sb.WriteString(f)
			} else {
				sb.WriteString(strconv.Quote(f))
			}
		}
		sb.WriteByte(')')
	}
}

// String formats the options as the argument of a FETCH command.
func (o *FetchOptions) String() string {
	var items []string
	add := func(b bool, s string) {
		if b {
			items = append(items, s)
		}
	}
	add(o.UID, "UID")
	add(o.Flags, "FLAGS")
	add(o.InternalDate, "INTERNALDATE")
	add(o.RFC822Size, "RFC822.SIZE")
	add(o.Envelope, "ENVELOPE")
	add(o.BodyStructure, "BODYSTRUCTURE")
	add(o.Body, "BODY")
	for _, s := range o.Sections {
		items = append(items, s.command())
	}
	for _, p := range o.BinarySize {
		items = append(items, BinarySizeName(p))
	}
	add(o.ModSeq, "MODSEQ")
	return "(" + strings.Join(items, " ") + ")"
}

func isFetchAttChar(b byte) bool {
	return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '.'
}

// FetchOptions reads the data items of FETCH: a macro (ALL, FAST, FULL),
// one item, or a parenthesised list.
func (d *Decoder) FetchOptions() (*FetchOptions, error) {
	o := &FetchOptions{}
	b, err := d.Peek()
	if err != nil {
		return nil, err
	}
	if b == '(' {
		err := d.List(func() error { return d.fetchAtt(o, false) })
		if err != nil {
			return nil, err
		}
		return o, nil
	}
	return o, d.fetchAtt(o, true)
}

func (d *Decoder) fetchAtt(o *FetchOptions, macros bool) error {
	w, err := d.readWhile(isFetchAttChar)
	if err != nil {
		return err
	}
	w = strings.ToUpper(w)
	switch w {
	case "ALL", "FAST", "FULL":
		if !macros {
			return syntaxErr("macro %s inside a list", w)
		}
		o.Flags, o.InternalDate, o.RFC822Size = true, true, true
		if w != "FAST" {
			o.Envelope = true
		}
		if w == "FULL" {
			o.Body = true
		}
	case "UID":
		o.UID = true
	case "MODSEQ":
		o.ModSeq = true
	case "FLAGS":
		o.Flags = true
	case "INTERNALDATE":
		o.InternalDate = true
	case "RFC822.SIZE":
		o.RFC822Size = true
	case "ENVELOPE":
		o.Envelope = true
	case "BODYSTRUCTURE":
		o.BodyStructure = true
	case "RFC822":
		o.Sections = append(o.Sections, &FetchSection{RFC822: "RFC822"})
	case "RFC822.HEADER":
		o.Sections = append(o.Sections, &FetchSection{RFC822: "RFC822.HEADER", Specifier: SpecifierHeader, Peek: true})
	case "RFC822.TEXT":
		o.Sections = append(o.Sections, &FetchSection{RFC822: "RFC822.TEXT", Specifier: SpecifierText})
	case "BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK":
		if !d.Accept('[') {
			if w == "BODY" {
				o.Body = true
				return nil
			}
			return syntaxErr("%s needs a section", w)
		}
		s, err := d.section()
		if err != nil {
			return err
		}
		if strings.HasPrefix(w, "BINARY") {
			if s.Specifier != SpecifierNone {
				return syntaxErr("%s takes part numbers only", w)
			}
			s.Binary = true
		}
		s.Peek = w == "BODY.PEEK" || w == "BINARY.PEEK"
		o.Sections = append(o.Sections, s)
	case "BINARY.SIZE":
		if err := d.Expect('['); err != nil {
			return err
		}
		s, err := d.section()
		if err != nil {
			return err
		}
		if s.Specifier != SpecifierNone || s.Partial != nil {
			return syntaxErr("BINARY.SIZE takes part numbers only")
		}
		if len(o.BinarySize) >= maxBinarySizeItems {
			return syntaxErr("too many BINARY.SIZE items")
		}
		o.BinarySize = append(o.BinarySize, s.Part)
	case "":
		return d.unexpected("fetch item")
	default:
		return syntaxErr("unknown fetch item %q", w)
	}
	return nil
}

// section reads the rest of "[section]<partial>" after the "[".
func (d *Decoder) section() (*FetchSection, error) {
	s := &FetchSection{}
	spec, err := d.readWhile(isFetchAttChar)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(spec, ".")
	if spec == "" {
		parts = nil
	}
	i := 0
	for ; i < len(parts); i++ {
		p := parts[i]
		if p == "" || p[0] < '0' || p[0] > '9' {
			break
		}
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 100000 || p[0] == '0' {
			return nil, syntaxErr("bad section part %q", p)
		}
		s.Part = append(s.Part, n)
		if len(s.Part) > 64 {
			return nil, &LimitError{Kind: LimitDepth, Limit: 64}
		}
	}
	s.Specifier = strings.ToUpper(strings.Join(parts[i:], "."))
	switch s.Specifier {
	case SpecifierNone, SpecifierHeader, SpecifierText:
	case SpecifierMIME:
		if len(s.Part) == 0 {
			return nil, syntaxErr("MIME needs a part number")
		}
	case SpecifierHeaderFields, SpecifierHeaderFieldsNot:
		if err := d.SP(); err != nil {
			return nil, err
		}
		err := d.List(func() error {
			f, err := d.AString()
			s.Fields = append(s.Fields, f)
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(s.Fields) == 0 {
			return nil, syntaxErr("empty header field list")
		}
	default:
		return nil, syntaxErr("bad section specifier %q", s.Specifier)
	}
	if err := d.Expect(']'); err != nil {
		return nil, err
	}
	if d.Accept('<') {
		off, err := d.Number64()
		if err != nil {
			return nil, err
		}
		if err := d.Expect('.'); err != nil {
			return nil, err
		}
		cnt, err := d.Number64()
		if err != nil {
			return nil, err
		}
		if cnt == 0 {
			return nil, syntaxErr("partial count must be positive")
		}
		if err := d.Expect('>'); err != nil {
			return nil, err
		}
		s.Partial = &Partial{Offset: off, Count: cnt}
	}
	return s, nil
}

// ParseFetchSectionName parses the name of a body section in a FETCH
// reply ("BODY[1.HEADER]<0>", "RFC822.TEXT").
func ParseFetchSectionName(name string) (*FetchSection, error) {
	u := strings.ToUpper(name)
	switch u {
	case "RFC822", "RFC822.HEADER", "RFC822.TEXT":
		s := &FetchSection{RFC822: u}
		switch u {
		case "RFC822.HEADER":
			s.Specifier = SpecifierHeader
		case "RFC822.TEXT":
			s.Specifier = SpecifierText
		}
		return s, nil
	}
	i := strings.IndexByte(name, '[')
	if i < 0 || !strings.EqualFold(name[:i], "BODY") && !strings.EqualFold(name[:i], "BINARY") {
		return nil, syntaxErr("not a body section: %q", name)
	}
	rest := name[i+1:]
	// Add a fake count so the partial syntax of commands applies.
	if j := strings.LastIndexByte(rest, '<'); j >= 0 && strings.HasSuffix(rest, ">") && !strings.Contains(rest[j:], ".") {
		rest = rest[:len(rest)-1] + ".1>"
	}
	d := NewDecoder(newStringReader(rest), nil)
	s, err := d.section()
	if err != nil {
		return nil, err
	}
	if s.Partial != nil {
		s.Partial.Count = 0
	}
	if strings.EqualFold(name[:i], "BINARY") {
		if s.Specifier != SpecifierNone {
			return nil, syntaxErr("BINARY takes part numbers only: %q", name)
		}
		s.Binary = true
	}
	return s, nil
}
