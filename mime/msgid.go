package mime

import "strings"

// ParseMessageIDs parses a Message-ID, In-Reply-To or References value and
// returns the identifiers without angle brackets, in order. Comments,
// folding and obsolete phrases between identifiers are skipped. A value
// without angle brackets (a common mistake) yields its whitespace-separated
// words. It returns a [*SyntaxError] when nothing is found.
func ParseMessageIDs(s string) ([]string, error) {
	var ids []string
	i := 0
	for i < len(s) {
		switch s[i] {
		case '(':
			i = skipComment(s, i)
			continue
		case '"':
			_, i = readQuoted(s, i)
			continue
		case '<':
			j := strings.IndexByte(s[i+1:], '>')
			if j < 0 {
				id := strings.TrimSpace(s[i+1:])
				if id != "" {
					ids = append(ids, stripWS(id))
				}
				i = len(s)
				continue
			}
			if id := stripWS(stripComments(s[i+1 : i+1+j])); id != "" {
				ids = append(ids, id)
			}
			i += j + 2
			continue
		}
		i++
	}
	if len(ids) == 0 && !strings.Contains(s, "<") {
		ids = append(ids, strings.Fields(stripComments(s))...)
	}
	if len(ids) == 0 {
		return nil, syntaxErr("message id", s, 0, "no identifier")
	}
	return ids, nil
}

// ParseMessageID parses a single identifier (see [ParseMessageIDs]).
func ParseMessageID(s string) (string, error) {
	ids, err := ParseMessageIDs(s)
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

func stripWS(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}

// Header accessors for the structured fields.

// AddressList parses the first field named name as an address list
// ([ParseAddressList]); nil and no error when absent.
func (h *Header) AddressList(name string) ([]Address, error) {
	v := h.Get(name)
	if v == "" {
		return nil, nil
	}
	return ParseAddressList(v)
}

// From returns the From mailboxes.
func (h *Header) From() ([]Address, error) { return h.AddressList("From") }

// ReplyTo returns the Reply-To mailboxes; when absent, the From mailboxes
// (where replies go per RFC 5322 section 3.6.2).
func (h *Header) ReplyTo() ([]Address, error) {
	if h.Has("Reply-To") {
		return h.AddressList("Reply-To")
	}
	return h.From()
}

// MessageID returns the Message-ID without angle brackets.
func (h *Header) MessageID() (string, error) { return ParseMessageID(h.Get("Message-ID")) }

// InReplyTo returns the In-Reply-To identifiers.
func (h *Header) InReplyTo() ([]string, error) { return ParseMessageIDs(h.Get("In-Reply-To")) }

// References returns the References identifiers.
func (h *Header) References() ([]string, error) { return ParseMessageIDs(h.Get("References")) }

// Subject returns the decoded Subject.
func (h *Header) Subject() (string, error) { return h.Text("Subject") }
