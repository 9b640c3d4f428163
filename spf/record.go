package spf

import (
	"net/netip"
	"strconv"
	"strings"
)

// Qualifier is the prefix of a mechanism that selects the result returned
// when the mechanism matches (RFC 7208 §4.6.2).
type Qualifier byte

// Qualifiers. The zero value means "no qualifier written", which behaves
// like [QualifierPass].
const (
	QualifierNone     Qualifier = 0
	QualifierPass     Qualifier = '+'
	QualifierFail     Qualifier = '-'
	QualifierSoftFail Qualifier = '~'
	QualifierNeutral  Qualifier = '?'
)

// Status returns the result a matching mechanism with this qualifier yields.
func (q Qualifier) Status() Status {
	switch q {
	case QualifierFail:
		return Fail
	case QualifierSoftFail:
		return SoftFail
	case QualifierNeutral:
		return Neutral
	}
	return Pass
}

// Mechanism identifies the kind of a mechanism term (RFC 7208 §5).
type Mechanism uint8

// Mechanisms. The zero value marks a term that is a modifier.
const (
	MechanismNone Mechanism = iota
	MechanismAll
	MechanismInclude
	MechanismA
	MechanismMX
	MechanismPTR
	MechanismIP4
	MechanismIP6
	MechanismExists
)

var mechanismNames = [...]string{"", "all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"}

// String returns the lower-case name of the mechanism ("" for MechanismNone).
func (m Mechanism) String() string {
	if int(m) < len(mechanismNames) {
		return mechanismNames[m]
	}
	return "mechanism(" + strconv.Itoa(int(m)) + ")"
}

// Modifier is a name=value term (RFC 7208 §6). The names "redirect" and
// "exp" are stored in lower case; unknown modifiers keep the name as written.
type Modifier struct {
	Name  string // "redirect", "exp" or the unknown name as written
	Value string // macro-string, unexpanded
}

// Term is one directive or modifier of a record. For a directive Mechanism
// is set; for a modifier Mechanism is MechanismNone and Modifier is set.
type Term struct {
	Qualifier Qualifier // as written; QualifierNone when absent
	Mechanism Mechanism // MechanismNone for a modifier
	// Domain is the unexpanded domain-spec of include, a, mx, ptr and
	// exists; "" when absent (a, mx and ptr then use the current domain).
	Domain string
	// Prefix is the network of ip4 and ip6 (address as written, bits from
	// the cidr-length or the full length when absent).
	Prefix netip.Prefix
	// CIDR4 and CIDR6 are the dual-cidr-length of a and mx; -1 when absent.
	CIDR4, CIDR6 int
	Modifier     Modifier // set when the term is a modifier
}

// IsModifier reports whether t is a modifier rather than a directive.
func (t *Term) IsModifier() bool { return t.Mechanism == MechanismNone }

// String formats the term in record syntax.
func (t *Term) String() string {
	var b strings.Builder
	t.appendTo(&b)
	return b.String()
}

func (t *Term) appendTo(b *strings.Builder) {
	if t.Mechanism == MechanismNone {
		b.WriteString(t.Modifier.Name)
		b.WriteByte('=')
		b.WriteString(t.Modifier.Value)
		return
	}
	if t.Qualifier != QualifierNone {
		b.WriteByte(byte(t.Qualifier))
	}
	b.WriteString(t.Mechanism.String())
	switch t.Mechanism {
	case MechanismIP4, MechanismIP6:
		b.WriteByte(':')
		b.WriteString(t.Prefix.Addr().String())
		if t.Prefix.Bits() != t.Prefix.Addr().BitLen() {
			b.WriteByte('/')
			b.WriteString(strconv.Itoa(t.Prefix.Bits()))
		}
		return
	}
	if t.Domain != "" {
		b.WriteByte(':')
		b.WriteString(t.Domain)
	}
	if t.Mechanism == MechanismA || t.Mechanism == MechanismMX {
		if t.CIDR4 >= 0 {
			b.WriteByte('/')
			b.WriteString(strconv.Itoa(t.CIDR4))
		}
		if t.CIDR6 >= 0 {
			b.WriteString("//")
			b.WriteString(strconv.Itoa(t.CIDR6))
		}
	}
}

// Record is a parsed SPF record. A Record returned by [Parse] is never
// modified by this package and may be shared between goroutines.
type Record struct {
	// Version is the version section, "v=spf1" for records from [Parse];
	// [ParseTerms] stores the caller's (e.g. "spf2.0/pra").
	Version string
	// Terms in record order, directives and modifiers mixed.
	Terms []Term

	redirect int // index+1 of the redirect modifier, 0 if none
	exp      int // index+1 of the exp modifier, 0 if none
}

// Redirect returns the domain-spec of the redirect= modifier.
func (r *Record) Redirect() (string, bool) {
	if r.redirect == 0 {
		return "", false
	}
	return r.Terms[r.redirect-1].Modifier.Value, true
}

// Explanation returns the domain-spec of the exp= modifier.
func (r *Record) Explanation() (string, bool) {
	if r.exp == 0 {
		return "", false
	}
	return r.Terms[r.exp-1].Modifier.Value, true
}

// String formats the record; the result parses back to an equal Record.
func (r *Record) String() string {
	var b strings.Builder
	if r.Version == "" {
		b.WriteString("v=spf1")
	} else {
		b.WriteString(r.Version)
	}
	for i := range r.Terms {
		b.WriteByte(' ')
		r.Terms[i].appendTo(&b)
	}
	return b.String()
}
