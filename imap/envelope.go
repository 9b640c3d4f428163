package imap

import (
	"sort"
	"strconv"
	"strings"
)

// Address is one address of an [Envelope] (RFC 3501 §7.4.2). A group
// starts with an Address whose Host is empty and Mailbox holds the group
// name, and ends with one whose Mailbox and Host are both empty.
type Address struct {
	// Name is the display name (RFC 3501 addr-name), e.g. "Alice
	// Example"; empty when the address has none.
	Name string
	// Route is the obsolete source route (RFC 5322 §4.4 obs-route,
	// RFC 3501 addr-adl) without its final colon, e.g. "@relay.example"
	// for "<@relay.example:user@example.com>"; usually empty.
	Route string
	// Mailbox is the local part (RFC 3501 addr-mailbox), or the group
	// name at the start of a group, or empty at its end.
	Mailbox string
	// Host is the domain (RFC 3501 addr-host); empty for the markers that
	// start and end a group.
	Host string
}

// Addr returns "mailbox@host".
func (a Address) Addr() string {
	if a.Host == "" {
		return a.Mailbox
	}
	return a.Mailbox + "@" + a.Host
}

// Envelope is the ENVELOPE of a message: header fields as they appear in
// the message (encoded words are not decoded). The fields are those of
// RFC 3501 §7.4.2 ENVELOPE, in its order; an empty string or nil list is
// written as NIL.
type Envelope struct {
	// Date is the raw Date header field value (env-date), not parsed.
	Date string
	// Subject is the raw Subject header field value (env-subject).
	Subject string
	// From is the From header field (env-from).
	From []Address
	// Sender is the Sender header field (env-sender); as RFC 3501 asks,
	// [Message.Envelope] sets it to From when the field is absent or empty.
	Sender []Address
	// ReplyTo is the Reply-To header field (env-reply-to); like Sender,
	// [Message.Envelope] sets it to From when the field is absent or empty.
	ReplyTo []Address
	// To is the To header field (env-to).
	To []Address
	// Cc is the Cc header field (env-cc).
	Cc []Address
	// Bcc is the Bcc header field (env-bcc).
	Bcc []Address
	// InReplyTo is the raw In-Reply-To header field value
	// (env-in-reply-to).
	InReplyTo string
	// MessageID is the raw Message-ID header field value
	// (env-message-id), angle brackets included.
	MessageID string
}

func (e *Encoder) addrList(as []Address) {
	if len(as) == 0 {
		e.Nil()
		return
	}
	e.List(len(as), func(i int) {
		a := as[i]
		e.Byte('(').NString(a.Name).SP().NString(a.Route).SP().NString(a.Mailbox).SP().NString(a.Host).Byte(')')
	})
}

// Envelope writes an envelope.
func (e *Encoder) Envelope(env *Envelope) *Encoder {
	if env == nil {
		return e.Nil()
	}
	e.Byte('(').NString(env.Date).SP().NString(env.Subject).SP()
	e.addrList(env.From)
	e.SP()
	e.addrList(env.Sender)
	e.SP()
	e.addrList(env.ReplyTo)
	e.SP()
	e.addrList(env.To)
	e.SP()
	e.addrList(env.Cc)
	e.SP()
	e.addrList(env.Bcc)
	return e.SP().NString(env.InReplyTo).SP().NString(env.MessageID).Byte(')')
}

// BodyStructure describes the MIME structure of a message (RFC 3501
// §7.4.2 BODYSTRUCTURE). A multipart has Children; message/rfc822 has
// Envelope and Body.
type BodyStructure struct {
	// Type and Subtype, e.g. "text" and "plain" (compared
	// case-insensitively).
	Type, Subtype string
	// Params are the Content-Type parameters (RFC 3501 body-fld-param),
	// keyed by name; nil or empty is written as NIL. The encoder writes
	// the names in upper case, sorted.
	Params map[string]string
	// ID is the Content-ID header field value (body-fld-id); empty: NIL.
	ID string
	// Description is the Content-Description header field value
	// (body-fld-desc); empty: NIL.
	Description string
	// Encoding is the Content-Transfer-Encoding (body-fld-enc), e.g.
	// "7bit" or "base64".
	Encoding string
	// Size is the size of the body in octets, in its transfer encoding
	// (body-fld-octets).
	Size uint32
	// Lines is the size in lines of text/* and message/rfc822 bodies.
	Lines int64

	Envelope *Envelope      // message/rfc822
	Body     *BodyStructure // message/rfc822
	// Children are the parts of a multipart, in order (RFC 3501
	// body-type-mpart); nil for other types.
	Children []*BodyStructure

	// Extension data (BODYSTRUCTURE, not BODY).
	// MD5 is the Content-MD5 header field value (body-fld-md5); empty:
	// NIL.
	MD5 string
	// Disposition is the Content-Disposition type, e.g. "inline" or
	// "attachment" (RFC 3501 body-fld-dsp, RFC 2183); empty: NIL.
	Disposition string
	// DispositionParams are the Content-Disposition parameters.
	DispositionParams map[string]string
	// Language lists the Content-Language tags (body-fld-lang, RFC
	// 3066); nil: NIL.
	Language []string
	// Location is the Content-Location URI (body-fld-loc, RFC 2557);
	// empty: NIL.
	Location string
}

// IsMultipart reports whether bs is a multipart.
func (bs *BodyStructure) IsMultipart() bool { return strings.EqualFold(bs.Type, "multipart") }

func (e *Encoder) params(p map[string]string) {
	if len(p) == 0 {
		e.Nil()
		return
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e.List(len(keys), func(i int) { e.String(strings.ToUpper(keys[i])).SP().String(p[keys[i]]) })
}

func (e *Encoder) bodyExt(bs *BodyStructure) {
	e.SP()
	if bs.Disposition == "" {
		e.Nil()
	} else {
		e.Byte('(').String(strings.ToUpper(bs.Disposition)).SP()
		e.params(bs.DispositionParams)
		e.Byte(')')
	}
	e.SP()
	switch len(bs.Language) {
	case 0:
		e.Nil()
	case 1:
		e.String(bs.Language[0])
	default:
		e.List(len(bs.Language), func(i int) { e.String(bs.Language[i]) })
	}
	e.SP().NString(bs.Location)
}

// BodyStructure writes bs; extended adds the extension data (BODYSTRUCTURE
// as opposed to BODY).
func (e *Encoder) BodyStructure(bs *BodyStructure, extended bool) *Encoder {
	e.Byte('(')
	if bs.IsMultipart() {
		if len(bs.Children) == 0 {
			// RFC 3501 requires at least one part; describe an empty one.
			e.BodyStructure(&BodyStructure{Type: "text", Subtype: "plain", Encoding: "7bit"}, extended)
		}
		for _, c := range bs.Children {
			e.BodyStructure(c, extended)
		}
		e.SP().String(strings.ToUpper(bs.Subtype))
		if extended {
			e.SP()
			e.params(bs.Params)
			e.bodyExt(bs)
		}
		return e.Byte(')')
	}
	e.String(strings.ToUpper(bs.Type)).SP().String(strings.ToUpper(bs.Subtype)).SP()
	e.params(bs.Params)
	e.SP().NString(bs.ID).SP().NString(bs.Description).SP()
	enc := bs.Encoding
	if enc == "" {
		enc = "7bit"
	}
	e.String(strings.ToUpper(enc)).SP().Number(bs.Size)
	switch {
	case strings.EqualFold(bs.Type, "message") && (strings.EqualFold(bs.Subtype, "rfc822") || strings.EqualFold(bs.Subtype, "global")):
		e.SP().Envelope(bs.Envelope).SP()
		body := bs.Body
		if body == nil {
			body = &BodyStructure{Type: "text", Subtype: "plain", Encoding: "7bit"}
		}
		e.BodyStructure(body, extended).SP().Number64(bs.Lines)
	case strings.EqualFold(bs.Type, "text"):
		e.SP().Number64(bs.Lines)
	}
	if extended {
		e.SP().NString(bs.MD5)
		e.bodyExt(bs)
	}
	return e.Byte(')')
}

// Conversions from generic values (client side).

func valueString(v Value) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case Atom:
		return string(x), true
	case nil:
		return "", true
	}
	return "", false
}

func valueList(v Value) ([]Value, bool) {
	l, ok := v.([]Value)
	return l, ok
}

func addrListFromValue(v Value) ([]Address, error) {
	if v == nil {
		return nil, nil
	}
	l, ok := valueList(v)
	if !ok {
		return nil, syntaxErr("address list expected")
	}
	out := make([]Address, 0, len(l))
	for _, a := range l {
		f, ok := valueList(a)
		if !ok || len(f) != 4 {
			return nil, syntaxErr("address expected")
		}
		var s [4]string
		for i := range f {
			if s[i], ok = valueString(f[i]); !ok {
				return nil, syntaxErr("address field expected")
			}
		}
		out = append(out, Address{Name: s[0], Route: s[1], Mailbox: s[2], Host: s[3]})
	}
	return out, nil
}

// EnvelopeFromValue converts a generic value read with
// [Decoder.ReadValue] to an Envelope.
func EnvelopeFromValue(v Value) (*Envelope, error) {
	if v == nil {
		return nil, nil
	}
	l, ok := valueList(v)
	if !ok || len(l) < 10 {
		return nil, syntaxErr("envelope expected")
	}
	env := &Envelope{}
	var err error
	env.Date, _ = valueString(l[0])
	env.Subject, _ = valueString(l[1])
	lists := []*[]Address{&env.From, &env.Sender, &env.ReplyTo, &env.To, &env.Cc, &env.Bcc}
	for i, p := range lists {
		if *p, err = addrListFromValue(l[2+i]); err != nil {
			return nil, err
		}
	}
	env.InReplyTo, _ = valueString(l[8])
	env.MessageID, _ = valueString(l[9])
	return env, nil
}

func paramsFromValue(v Value) map[string]string {
	l, ok := valueList(v)
	if !ok || len(l) == 0 {
		return nil
	}
	m := make(map[string]string, len(l)/2)
	for i := 0; i+1 < len(l); i += 2 {
		k, _ := valueString(l[i])
		val, _ := valueString(l[i+1])
		m[strings.ToLower(k)] = val
	}
	return m
}

func numFromValue(v Value) int64 {
	s, _ := valueString(v)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func (bs *BodyStructure) extFromValues(l []Value) {
	if len(l) > 0 {
		if d, ok := valueList(l[0]); ok && len(d) >= 1 {
			bs.Disposition, _ = valueString(d[0])
			bs.Disposition = strings.ToLower(bs.Disposition)
			if len(d) > 1 {
				bs.DispositionParams = paramsFromValue(d[1])
			}
		}
	}
	if len(l) > 1 {
		if s, ok := l[1].(string); ok {
			bs.Language = []string{s}
		} else if ll, ok := valueList(l[1]); ok {
			for _, x := range ll {
				s, _ := valueString(x)
				bs.Language = append(bs.Language, s)
			}
		}
	}
	if len(l) > 2 {
		bs.Location, _ = valueString(l[2])
	}
}

// BodyStructureFromValue converts a generic value read with
// [Decoder.ReadValue] to a BodyStructure.
func BodyStructureFromValue(v Value) (*BodyStructure, error) {
	return bodyStructureFromValue(v, 0)
}

func bodyStructureFromValue(v Value, depth int) (*BodyStructure, error) {
	if depth > 64 {
		return nil, &LimitError{Kind: LimitDepth, Limit: 64}
	}
	l, ok := valueList(v)
	if !ok || len(l) == 0 {
		return nil, syntaxErr("body structure expected")
	}
	bs := &BodyStructure{}
	if _, isList := l[0].([]Value); isList {
		bs.Type = "multipart"
		i := 0
		for ; i < len(l); i++ {
			if _, isList := l[i].([]Value); !isList {
				break
			}
			c, err := bodyStructureFromValue(l[i], depth+1)
			if err != nil {
				return nil, err
			}
			bs.Children = append(bs.Children, c)
		}
		if i >= len(l) {
			return nil, syntaxErr("multipart subtype missing")
		}
		bs.Subtype, _ = valueString(l[i])
		bs.Subtype = strings.ToLower(bs.Subtype)
		if i+1 < len(l) {
			bs.Params = paramsFromValue(l[i+1])
			bs.extFromValues(l[i+2:])
		}
		return bs, nil
	}
	if len(l) < 7 {
		return nil, syntaxErr("body fields missing")
	}
	bs.Type, _ = valueString(l[0])
	bs.Subtype, _ = valueString(l[1])
	bs.Type, bs.Subtype = strings.ToLower(bs.Type), strings.ToLower(bs.Subtype)
	bs.Params = paramsFromValue(l[2])
	bs.ID, _ = valueString(l[3])
	bs.Description, _ = valueString(l[4])
	bs.Encoding, _ = valueString(l[5])
	bs.Encoding = strings.ToLower(bs.Encoding)
	bs.Size = uint32(numFromValue(l[6]))
	rest := l[7:]
	switch {
	case bs.Type == "message" && (bs.Subtype == "rfc822" || bs.Subtype == "global") && len(rest) >= 3:
		var err error
		if bs.Envelope, err = EnvelopeFromValue(rest[0]); err != nil {
			return nil, err
		}
		if bs.Body, err = bodyStructureFromValue(rest[1], depth+1); err != nil {
			return nil, err
		}
		bs.Lines = numFromValue(rest[2])
		rest = rest[3:]
	case bs.Type == "text" && len(rest) >= 1:
		bs.Lines = numFromValue(rest[0])
		rest = rest[1:]
	}
	if len(rest) > 0 {
		bs.MD5, _ = valueString(rest[0])
		bs.extFromValues(rest[1:])
	}
	return bs, nil
}
