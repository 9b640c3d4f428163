package senderid

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mailkit-go/mailkit/spf"
)

// Scope is a Sender ID scope (RFC 4406 §3.2).
type Scope string

// Scopes defined by RFC 4406 and RFC 4407.
const (
	ScopeMFrom Scope = "mfrom" // the MAIL FROM identity (RFC 4406 §4)
	ScopePRA   Scope = "pra"   // the Purported Responsible Address (RFC 4407)
)

// Errors.
var (
	ErrSyntax          = errors.New("senderid: syntax error")
	ErrMultipleRecords = errors.New("senderid: multiple records for the scope")
	ErrNoPRA           = errors.New("senderid: no purported responsible address")
	ErrSubmitter       = errors.New("senderid: invalid SUBMITTER parameter")
)

// Record is a parsed "spf2.0/<scopes>" record (or a "v=spf1" record
// standing in for "spf2.0/mfrom,pra", RFC 4406 §3.4). Policy holds the
// terms, evaluated by package spf.
type Record struct {
	Scopes []Scope     // as written, lower-cased; unknown scopes kept
	Legacy bool        // parsed from a "v=spf1" record
	Policy *spf.Record // the mechanisms and modifiers, parsed as SPF terms
}

// Has reports whether the record applies to scope.
func (r *Record) Has(s Scope) bool {
	for _, x := range r.Scopes {
		if x == s {
			return true
		}
	}
	return false
}

// String formats the record.
func (r *Record) String() string { return r.Policy.String() }

// isSpf2 reports whether txt starts with an "spf2.0/" version section
// (case-insensitive) and returns the end of the version section.
func isSpf2(txt string) (int, bool) {
	const v = "spf2.0/"
	if len(txt) < len(v) || !strings.EqualFold(txt[:len(v)], v) {
		return 0, false
	}
	end := strings.IndexByte(txt, ' ')
	if end < 0 {
		end = len(txt)
	}
	return end, true
}

// Parse parses an "spf2.0/<scope>[,<scope>...] <terms>" record (RFC 4406
// §3.1) or a "v=spf1" record, which stands for "spf2.0/mfrom,pra". Terms
// follow the syntax of RFC 7208 §12, checked by package spf.
func Parse(txt string) (*Record, error) {
	if spf.IsRecord(txt) {
		pol, err := spf.Parse(txt)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSyntax, err)
		}
		return &Record{Scopes: []Scope{ScopeMFrom, ScopePRA}, Legacy: true, Policy: pol}, nil
	}
	end, ok := isSpf2(txt)
	if !ok {
		return nil, fmt.Errorf("%w: not an spf2.0 record", ErrSyntax)
	}
	list := txt[len("spf2.0/"):end]
	if list == "" {
		return nil, fmt.Errorf("%w: empty scope list", ErrSyntax)
	}
	var scopes []Scope
	for _, s := range strings.Split(list, ",") {
		if s == "" {
			return nil, fmt.Errorf("%w: empty scope", ErrSyntax)
		}
		for i := 0; i < len(s); i++ {
			c := s[i] | 0x20
			if !(c >= 'a' && c <= 'z' || s[i] >= '0' && s[i] <= '9' || s[i] == '-' || s[i] == '_' || s[i] == '.') {
				return nil, fmt.Errorf("%w: invalid scope %q", ErrSyntax, s)
			}
		}
		scopes = append(scopes, Scope(strings.ToLower(s)))
	}
	pol, err := spf.ParseTerms("spf2.0/"+strings.ToLower(list), txt[end:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	return &Record{Scopes: scopes, Policy: pol}, nil
}

// Select applies the record selection of RFC 4406 §3.4 to a domain's TXT
// strings for scope: when any "spf2.0" record exists, "v=spf1" records
// are ignored; otherwise a "v=spf1" record counts as "spf2.0/mfrom,pra".
// Records without the scope are discarded; more than one left is an
// error wrapping [ErrMultipleRecords] (permerror), none is (nil, nil)
// (result none).
func Select(scope Scope, txts []string) (*Record, error) {
	haveSpf2 := false
	for _, t := range txts {
		if _, ok := isSpf2(t); ok {
			haveSpf2 = true
			break
		}
	}
	var found *Record
	for _, t := range txts {
		var candidate bool
		if haveSpf2 {
			_, candidate = isSpf2(t)
		} else {
			candidate = spf.IsRecord(t)
		}
		if !candidate {
			continue
		}
		rec, err := Parse(t)
		if err != nil {
			// A record whose scope list we can read but whose terms
			// are broken still applies to its scopes: permerror.
			if end, ok := isSpf2(t); ok && !scopeListHas(t[len("spf2.0/"):end], scope) {
				continue
			}
			return nil, err
		}
		if !rec.Has(scope) {
			continue
		}
		if found != nil {
			return nil, ErrMultipleRecords
		}
		found = rec
	}
	return found, nil
}

func scopeListHas(list string, scope Scope) bool {
	for _, s := range strings.Split(list, ",") {
		if strings.EqualFold(s, string(scope)) {
			return true
		}
	}
	return false
}

// NeutralPRARecord returns the record RFC 4406 recommends for domains that
// publish SPF but do not want their v=spf1 record applied to the PRA
// identity: "spf2.0/pra ?all".
func NeutralPRARecord() string { return "spf2.0/pra ?all" }
