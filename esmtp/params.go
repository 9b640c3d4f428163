package esmtp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxParams bounds the number of parameters [ParseParams] accepts on one
// MAIL or RCPT command.
const MaxParams = 32

// Sentinel errors wrapped by [*ParamError]; test with errors.Is.
var (
	// ErrParamSyntax: malformed parameter text or value (501 5.5.4).
	ErrParamSyntax = errors.New("esmtp: parameter syntax error")
	// ErrParamUnknown: a parameter no offered extension defines, or one
	// given on the wrong command (555 5.5.4, RFC 5321 §4.1.1.11).
	ErrParamUnknown = errors.New("esmtp: parameter not recognized")
	// ErrParamNotImplemented: a known parameter with a value this server
	// does not implement, such as BODY=BINARYMIME without BINARYMIME
	// (504 5.5.4).
	ErrParamNotImplemented = errors.New("esmtp: parameter value not implemented")
	// ErrParamDuplicate: the same parameter twice (501 5.5.4).
	ErrParamDuplicate = errors.New("esmtp: duplicate parameter")
	// ErrSizeExceeded: SIZE= over the announced limit (552 5.3.4,
	// RFC 1870 §6).
	ErrSizeExceeded = errors.New("esmtp: message size exceeds fixed maximum message size")
)

// ParamError reports a MAIL or RCPT parameter that cannot be accepted, with
// the reply a server sends for it.
type ParamError struct {
	// Param is the parameter keyword in upper case, "" for a syntax error
	// that is not tied to one parameter.
	Param string
	// Code and Enhanced are the reply: 501/5.5.4 syntax, 555/5.5.4 not
	// recognized, 504/5.5.4 not implemented, 552/5.3.4 size exceeded.
	Code     int
	Enhanced EnhancedCode // enhanced status code (RFC 3463), see Code
	// Reply is the reply text, for example "Bad BODY parameter value".
	Reply string
	// Err is one of the sentinels above.
	Err error
}

// Error returns "esmtp: <reply>".
func (e *ParamError) Error() string { return "esmtp: " + e.Reply }

// Unwrap returns the sentinel.
func (e *ParamError) Unwrap() error { return e.Err }

func paramErr(sentinel error, param, format string, args ...any) *ParamError {
	e := &ParamError{Param: param, Err: sentinel, Reply: fmt.Sprintf(format, args...)}
	switch sentinel {
	case ErrParamUnknown:
		e.Code, e.Enhanced = 555, EnhancedCode{5, 5, 4}
	case ErrParamNotImplemented:
		e.Code, e.Enhanced = 504, EnhancedCode{5, 5, 4}
	case ErrSizeExceeded:
		e.Code, e.Enhanced = 552, EnhancedCode{5, 3, 4}
	default:
		e.Code, e.Enhanced = 501, EnhancedCode{5, 5, 4}
	}
	return e
}

// Param is one esmtp-param "keyword[=value]" (RFC 5321 §4.1.2).
type Param struct {
	// Key is the esmtp-keyword in upper case.
	Key string
	// Value is the esmtp-value as sent (xtext is not decoded); "" when the
	// parameter has no "=value".
	Value string
	// HasValue distinguishes "KEY=" (not allowed: values are 1*char) from
	// "KEY"; it is true whenever "=" was present.
	HasValue bool
}

// String returns "KEY" or "KEY=value".
func (p Param) String() string {
	if !p.HasValue {
		return p.Key
	}
	return p.Key + "=" + p.Value
}

// ParseParams splits the parameter text of MAIL or RCPT (everything after
// the path) into parameters, checking the RFC 5321 §4.1.2 syntax as
// extended by RFC 6531 §3.3 (UTF-8 in values): keywords are letters,
// digits and "-", starting with a letter or digit; values are printable
// non-space characters other than "=" (or valid UTF-8). Parameters are
// separated by one or more spaces. Keywords are returned in upper case.
func ParseParams(s string) ([]Param, error) {
	var ps []Param
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return ps, nil
		}
		if len(ps) == MaxParams {
			return nil, paramErr(ErrParamSyntax, "", "Too many parameters")
		}
		end := strings.IndexByte(s, ' ')
		tok := s
		if end >= 0 {
			tok, s = s[:end], s[end:]
		} else {
			s = ""
		}
		key, val, hasVal := strings.Cut(tok, "=")
		if !validKeyword(key) {
			return nil, paramErr(ErrParamSyntax, "", "Bad parameter syntax")
		}
		key = upperASCII(key)
		if hasVal && !validValue(val) {
			return nil, paramErr(ErrParamSyntax, key, "Bad %s parameter value", key)
		}
		ps = append(ps, Param{Key: key, Value: val, HasValue: hasVal})
	}
}

func validKeyword(k string) bool {
	if k == "" || k[0] == '-' || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validValue checks esmtp-value = 1*(%d33-60 / %d62-126 / UTF8-non-ascii).
func validValue(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x80 {
			return utf8.ValidString(v[i:]) && noControls(v[i:])
		}
		if c < 33 || c > 126 || c == '=' {
			return false
		}
	}
	return true
}

func noControls(s string) bool {
	for _, r := range s {
		if r < 33 || r == 0x7f || r == '=' || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			return strings.ToUpper(s)
		}
	}
	return s
}

// BodyType is the value of MAIL's BODY parameter.
type BodyType string

// Body types (RFC 6152, RFC 3030).
const (
	Body7Bit       BodyType = "7BIT"
	Body8BitMIME   BodyType = "8BITMIME"
	BodyBinaryMIME BodyType = "BINARYMIME"
)

// Ret is the value of MAIL's DSN RET parameter (RFC 3461 §4.3).
type Ret string

// RET values.
const (
	RetFull Ret = "FULL"
	RetHdrs Ret = "HDRS"
)

// Notify is the set of conditions of RCPT's DSN NOTIFY parameter
// (RFC 3461 §4.1). The zero value means NOTIFY was not given.
type Notify uint8

// NOTIFY flags. NotifyNever excludes the others.
const (
	NotifyNever Notify = 1 << iota
	NotifySuccess
	NotifyFailure
	NotifyDelay
)

// String returns the NOTIFY value ("SUCCESS,FAILURE", "NEVER"), or "".
func (n Notify) String() string {
	if n&NotifyNever != 0 {
		return "NEVER"
	}
	var parts []string
	if n&NotifySuccess != 0 {
		parts = append(parts, "SUCCESS")
	}
	if n&NotifyFailure != 0 {
		parts = append(parts, "FAILURE")
	}
	if n&NotifyDelay != 0 {
		parts = append(parts, "DELAY")
	}
	return strings.Join(parts, ",")
}

// ORcpt is RCPT's DSN ORCPT parameter (RFC 3461 §4.2): the original
// recipient with its address type.
type ORcpt struct {
	// AddrType is the address type, usually "rfc822" or, for UTF-8, "utf-8"
	// (RFC 6533).
	AddrType string
	// Addr is the address, decoded from xtext.
	Addr string
}

// MailParams are the typed parameters of a MAIL command.
type MailParams struct {
	// Size is SIZE= (RFC 1870); 0 when absent.
	Size int64
	// Body is BODY= (RFC 6152, RFC 3030); "" when absent.
	Body BodyType
	// Ret is RET= (RFC 3461); "" when absent.
	Ret Ret
	// EnvID is ENVID= (RFC 3461), decoded from xtext; "" when absent.
	EnvID string
	// SMTPUTF8 is set by the SMTPUTF8 keyword (RFC 6531).
	SMTPUTF8 bool
	// Auth is AUTH= (RFC 4954 §5), decoded from xtext; "<>" means the
	// submitter is unknown. "" when absent.
	Auth string
	// RequireTLS is set by the REQUIRETLS keyword (RFC 8689).
	RequireTLS bool
	// Extra holds parameters of extensions this package does not know,
	// when [ParseOptions.AllowUnknown] lets them through.
	Extra []Param
}

// RcptParams are the typed parameters of a RCPT command.
type RcptParams struct {
	// Notify is NOTIFY= (RFC 3461); 0 when absent.
	Notify Notify
	// ORcpt is ORCPT= (RFC 3461); nil when absent.
	ORcpt *ORcpt
	// Extra holds unknown parameters admitted by
	// [ParseOptions.AllowUnknown].
	Extra []Param
}

// ParseOptions are the optional arguments of [ParseMailParams] and
// [ParseRcptParams].
type ParseOptions struct {
	// AllowUnknown keeps parameters that no offered extension defines in
	// Extra instead of refusing them with 555.
	AllowUnknown bool
}

// ParseMailParams parses and validates the parameter text of MAIL against
// the capabilities the server offered (caps; nil means every extension of
// the [Registry] is offered, with no SIZE limit). A parameter whose
// extension was not offered is refused with 555 5.5.4, a SIZE over the
// offered limit with 552 5.3.4.
func ParseMailParams(s string, caps *Capabilities, opts *ParseOptions) (*MailParams, error) {
	ps, err := ParseParams(s)
	if err != nil {
		return nil, err
	}
	mp := &MailParams{}
	var seen uint16
	for _, p := range ps {
		known, err := checkParam(p, cmdMail, caps, opts, &seen)
		if err != nil {
			return nil, err
		}
		if !known {
			mp.Extra = append(mp.Extra, p)
			continue
		}
		switch p.Key {
		case "SIZE":
			n, err := strconv.ParseInt(p.Value, 10, 64)
			if err != nil || n < 0 || !allDigits(p.Value) || len(p.Value) > 20 {
				return nil, paramErr(ErrParamSyntax, p.Key, "Bad message size syntax")
			}
			if caps != nil {
				if limit, _ := caps.Size(); limit > 0 && n > limit {
					return nil, paramErr(ErrSizeExceeded, p.Key, "Message size exceeds fixed limit")
				}
			}
			mp.Size = n
		case "BODY":
			switch BodyType(upperASCII(p.Value)) {
			case Body7Bit:
				mp.Body = Body7Bit
			case Body8BitMIME:
				mp.Body = Body8BitMIME
			case BodyBinaryMIME:
				if caps != nil && !caps.Has(BINARYMIME) {
					return nil, paramErr(ErrParamNotImplemented, p.Key, "BODY=BINARYMIME not supported")
				}
				mp.Body = BodyBinaryMIME
			default:
				return nil, paramErr(ErrParamSyntax, p.Key, "Bad BODY parameter value")
			}
		case "RET":
			switch Ret(upperASCII(p.Value)) {
			case RetFull:
				mp.Ret = RetFull
			case RetHdrs:
				mp.Ret = RetHdrs
			default:
				return nil, paramErr(ErrParamSyntax, p.Key, "Bad RET parameter value")
			}
		case "ENVID":
			v, err := DecodeXtext(p.Value)
			if err != nil || len(p.Value) > 100 || !printableASCII(v) {
				return nil, paramErr(ErrParamSyntax, p.Key, "Bad ENVID parameter value")
			}
			mp.EnvID = v
		case "AUTH":
			v, err := DecodeXtext(p.Value)
			if err != nil {
				return nil, paramErr(ErrParamSyntax, p.Key, "Bad AUTH parameter value")
			}
			mp.Auth = v
		case "SMTPUTF8":
			mp.SMTPUTF8 = true
		case "REQUIRETLS":
			mp.RequireTLS = true
		}
	}
	return mp, nil
}

// ParseRcptParams parses and validates the parameter text of RCPT; see
// [ParseMailParams].
func ParseRcptParams(s string, caps *Capabilities, opts *ParseOptions) (*RcptParams, error) {
	ps, err := ParseParams(s)
	if err != nil {
		return nil, err
	}
	rp := &RcptParams{}
	var seen uint16
	for _, p := range ps {
		known, err := checkParam(p, cmdRcpt, caps, opts, &seen)
		if err != nil {
			return nil, err
		}
		if !known {
			rp.Extra = append(rp.Extra, p)
			continue
		}
		switch p.Key {
		case "NOTIFY":
			n, ok := parseNotify(p.Value)
			if !ok {
				return nil, paramErr(ErrParamSyntax, p.Key, "Bad NOTIFY parameter value")
			}
			rp.Notify = n
		case "ORCPT":
			o, ok := parseORcpt(p.Value)
			if !ok {
				return nil, paramErr(ErrParamSyntax, p.Key, "Bad ORCPT parameter value")
			}
			rp.ORcpt = o
		}
	}
	return rp, nil
}

// checkParam checks what MAIL and RCPT parameters have in common: the
// parameter belongs to cmd and its extension was offered (known true), or
// it is admitted as unknown by opts (known false); no duplicate (seen
// collects the parameters met); a value exactly when the parameter takes
// one.
func checkParam(p Param, cmd int, caps *Capabilities, opts *ParseOptions, seen *uint16) (known bool, err error) {
	spec, ok := lookupParam(p.Key)
	if !ok || spec.cmd != cmd || !offered(caps, spec) {
		if ok && spec.cmd == cmd || !allowUnknown(opts) {
			return false, paramErr(ErrParamUnknown, p.Key, "Unsupported option: %s", p.Key)
		}
		return false, nil
	}
	if *seen&spec.bit != 0 {
		return false, paramErr(ErrParamDuplicate, p.Key, "Duplicate %s parameter", p.Key)
	}
	*seen |= spec.bit
	if spec.flag && p.HasValue {
		return false, paramErr(ErrParamSyntax, p.Key, "%s takes no value", p.Key)
	}
	if !spec.flag && !p.HasValue {
		return false, paramErr(ErrParamSyntax, p.Key, "%s needs a value", p.Key)
	}
	return true, nil
}

func allowUnknown(o *ParseOptions) bool { return o != nil && o.AllowUnknown }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 32 || s[i] > 126 {
			return false
		}
	}
	return true
}

func parseNotify(v string) (Notify, bool) {
	var n Notify
	for _, f := range strings.Split(v, ",") {
		var b Notify
		switch upperASCII(f) {
		case "NEVER":
			b = NotifyNever
		case "SUCCESS":
			b = NotifySuccess
		case "FAILURE":
			b = NotifyFailure
		case "DELAY":
			b = NotifyDelay
		default:
			return 0, false
		}
		if n&b != 0 {
			return 0, false
		}
		n |= b
	}
	if n&NotifyNever != 0 && n != NotifyNever {
		return 0, false // NEVER excludes the others (RFC 3461 §4.1)
	}
	return n, true
}

// maxORcpt bounds an ORCPT value: RFC 3461 §4.2 allows 500 characters
// after xtext encoding.
const maxORcpt = 500

func parseORcpt(v string) (*ORcpt, bool) {
	typ, addr, ok := strings.Cut(v, ";")
	if !ok || len(v) > maxORcpt || typ == "" || addr == "" || !validKeyword(typ) {
		return nil, false
	}
	dec, err := DecodeXtext(addr)
	if err != nil {
		return nil, false
	}
	return &ORcpt{AddrType: typ, Addr: dec}, true
}

// String formats the parameters for a MAIL command, in a fixed order,
// starting with a space when not empty (" SIZE=123 BODY=8BITMIME"); values
// are xtext-encoded where the RFCs say so.
func (p *MailParams) String() string {
	var b strings.Builder
	if p.Size > 0 {
		b.WriteString(" SIZE=")
		b.WriteString(strconv.FormatInt(p.Size, 10))
	}
	if p.Body != "" {
		b.WriteString(" BODY=")
		b.WriteString(string(p.Body))
	}
	if p.SMTPUTF8 {
		b.WriteString(" SMTPUTF8")
	}
	if p.Ret != "" {
		b.WriteString(" RET=")
		b.WriteString(string(p.Ret))
	}
	if p.EnvID != "" {
		b.WriteString(" ENVID=")
		b.WriteString(EncodeXtext(p.EnvID))
	}
	if p.Auth != "" {
		b.WriteString(" AUTH=")
		if p.Auth == "<>" {
			b.WriteString("<>")
		} else {
			b.WriteString(EncodeXtext(p.Auth))
		}
	}
	if p.RequireTLS {
		b.WriteString(" REQUIRETLS")
	}
	for _, x := range p.Extra {
		b.WriteByte(' ')
		b.WriteString(x.String())
	}
	return b.String()
}

// String formats the parameters for a RCPT command; see
// [MailParams.String].
func (p *RcptParams) String() string {
	var b strings.Builder
	if p.Notify != 0 {
		b.WriteString(" NOTIFY=")
		b.WriteString(p.Notify.String())
	}
	if p.ORcpt != nil {
		b.WriteString(" ORCPT=")
		b.WriteString(p.ORcpt.AddrType)
		b.WriteByte(';')
		b.WriteString(EncodeXtext(p.ORcpt.Addr))
	}
	for _, x := range p.Extra {
		b.WriteByte(' ')
		b.WriteString(x.String())
	}
	return b.String()
}
