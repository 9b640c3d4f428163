package senderid

import (
	"fmt"
	"net/mail"
	"strings"
)

// Field is one header field of a message, in message order (topmost
// first), as parsed by any MIME package. Value is the unfolded body.
type Field struct {
	Name, Value string // field name (any case) and unfolded field body
}

// PRAStep identifies the step of RFC 4407 §2 that chose the header.
type PRAStep int

// Steps of the PRA algorithm that select a field.
const (
	StepResentSender PRAStep = 1
	StepResentFrom   PRAStep = 2
	StepSender       PRAStep = 3
	StepFrom         PRAStep = 4
)

// PRAResult is the Purported Responsible Address and where it came from.
type PRAResult struct {
	Address string  // the mailbox, local@domain
	Domain  string  // its domain
	Field   string  // the header field name, e.g. "Resent-Sender"
	Index   int     // index of the field in the input
	Step    PRAStep // the RFC 4407 §2 step that selected it
}

// maxPRAFields bounds the work on hostile input.
const maxPRAFields = 10000

// PRA determines the Purported Responsible Address of a message (RFC 4407
// §2) from its header fields, topmost first. Field names are compared
// case-insensitively; fields whose value is empty or white space are
// ignored. When no PRA can be determined (step 6) the error wraps
// [ErrNoPRA].
func PRA(fields []Field) (PRAResult, error) {
	if len(fields) > maxPRAFields {
		fields = fields[:maxPRAFields]
	}
	nonEmpty := func(f Field) bool { return strings.TrimSpace(f.Value) != "" }
	is := func(f Field, name string) bool { return strings.EqualFold(strings.TrimSpace(f.Name), name) }

	// Step 1: the first non-empty Resent-Sender, unless a non-empty
	// Resent-From above it is separated from it by Received or
	// Return-Path fields (they then belong to different resent blocks).
	rs := -1
	for i, f := range fields {
		if is(f, "Resent-Sender") && nonEmpty(f) {
			rs = i
			break
		}
	}
	if rs >= 0 {
		separated := false
		for i := 0; i < rs && !separated; i++ {
			if !is(fields[i], "Resent-From") || !nonEmpty(fields[i]) {
				continue
			}
			for j := i + 1; j < rs; j++ {
				if is(fields[j], "Received") || is(fields[j], "Return-Path") {
					separated = true
					break
				}
			}
		}
		if !separated {
			return praFrom(fields, rs, StepResentSender)
		}
	}
	// Step 2: the first non-empty Resent-From.
	for i, f := range fields {
		if is(f, "Resent-From") && nonEmpty(f) {
			return praFrom(fields, i, StepResentFrom)
		}
	}
	// Step 3: the non-empty Sender fields.
	idx := -1
	n := 0
	for i, f := range fields {
		if is(f, "Sender") && nonEmpty(f) {
			n++
			idx = i
		}
	}
	switch {
	case n == 1:
		return praFrom(fields, idx, StepSender)
	case n > 1:
		return PRAResult{}, fmt.Errorf("%w: %d Sender fields", ErrNoPRA, n)
	}
	// Step 4: exactly one non-empty From field.
	for i, f := range fields {
		if is(f, "From") && nonEmpty(f) {
			n++
			idx = i
		}
	}
	if n != 1 {
		return PRAResult{}, fmt.Errorf("%w: %d From fields", ErrNoPRA, n)
	}
	return praFrom(fields, idx, StepFrom)
}

// praFrom is step 5: the selected field must hold a single well-formed
// mailbox with a domain name.
func praFrom(fields []Field, i int, step PRAStep) (PRAResult, error) {
	f := fields[i]
	addr, err := singleMailbox(f.Value)
	if err != nil {
		return PRAResult{}, fmt.Errorf("%w: %s field: %v", ErrNoPRA, strings.TrimSpace(f.Name), err)
	}
	at := strings.LastIndexByte(addr, '@')
	return PRAResult{Address: addr, Domain: addr[at+1:], Field: strings.TrimSpace(f.Name), Index: i, Step: step}, nil
}

// singleMailbox parses a field body that must hold exactly one mailbox
// (name-addr or addr-spec) whose domain is a domain name.
func singleMailbox(v string) (string, error) {
	v, err := stripComments(v)
	if err != nil {
		return "", err
	}
	if hasGroup(v) {
		return "", fmt.Errorf("group syntax is not a mailbox")
	}
	list, err := mail.ParseAddressList(v)
	if err != nil {
		return "", err
	}
	if len(list) != 1 {
		return "", fmt.Errorf("%d mailboxes", len(list))
	}
	addr := list[0].Address
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || at == len(addr)-1 {
		return "", fmt.Errorf("mailbox without domain")
	}
	dom := addr[at+1:]
	if dom[0] == '[' || !strings.Contains(dom, ".") && !isLabel(dom) {
		return "", fmt.Errorf("mailbox without a domain name")
	}
	return addr, nil
}

func isLabel(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(c >= 'a' && c <= 'z' || s[i] >= '0' && s[i] <= '9' || s[i] == '-') {
			return false
		}
	}
	return s != ""
}

// stripComments removes RFC 5322 comments (nested parentheses) outside
// quoted strings.
func stripComments(v string) (string, error) {
	if !strings.Contains(v, "(") {
		return v, nil
	}
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && (quoted || depth > 0) && i+1 < len(v):
			if depth == 0 {
				b.WriteByte(c)
				b.WriteByte(v[i+1])
			}
			i++
			continue
		case quoted:
			if c == '"' {
				quoted = false
			}
		case c == '(':
			depth++
			continue
		case c == ')':
			if depth == 0 {
				return "", fmt.Errorf("unbalanced parenthesis")
			}
			depth--
			b.WriteByte(' ')
			continue
		case depth > 0:
			continue
		case c == '"':
			quoted = true
		}
		b.WriteByte(c)
	}
	if depth != 0 || quoted {
		return "", fmt.Errorf("unterminated comment or quoted string")
	}
	return b.String(), nil
}

// hasGroup reports an unquoted ':' outside angle brackets (group syntax).
func hasGroup(v string) bool {
	quoted, angle := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case c == ':' && !angle:
			return true
		}
	}
	return false
}
