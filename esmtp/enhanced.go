package esmtp

import (
	"errors"
	"fmt"
	"strconv"
)

// EnhancedCode is an RFC 3463 enhanced mail system status code
// "class.subject.detail", for example 5.1.1. The zero value means "no
// enhanced code".
type EnhancedCode struct {
	Class   int // 2 (success), 4 (persistent transient failure) or 5 (permanent failure)
	Subject int // 0-999
	Detail  int // 0-999
}

// ErrEnhancedCodeSyntax is wrapped by every error [ParseEnhancedCode]
// returns.
var ErrEnhancedCodeSyntax = errors.New("esmtp: malformed enhanced status code")

// Frequently used enhanced status codes.
var (
	CodeOK                 = EnhancedCode{2, 0, 0}  // 2.0.0 other undefined status (success)
	CodeOtherAddressOK     = EnhancedCode{2, 1, 0}  // 2.1.0 address ok
	CodeDestinationValid   = EnhancedCode{2, 1, 5}  // 2.1.5 destination address valid
	CodeTempFailure        = EnhancedCode{4, 0, 0}  // 4.0.0
	CodeTempLocalError     = EnhancedCode{4, 3, 0}  // 4.3.0 other mail system status
	CodePermFailure        = EnhancedCode{5, 0, 0}  // 5.0.0
	CodeBadMailbox         = EnhancedCode{5, 1, 1}  // 5.1.1 bad destination mailbox address
	CodeBadRcptSyntax      = EnhancedCode{5, 1, 3}  // 5.1.3 bad destination mailbox address syntax
	CodeBadSenderSyntax    = EnhancedCode{5, 1, 7}  // 5.1.7 bad sender's mailbox address syntax
	CodeMessageTooBig      = EnhancedCode{5, 3, 4}  // 5.3.4 message too big for system
	CodeInvalidCommand     = EnhancedCode{5, 5, 1}  // 5.5.1 invalid command
	CodeSyntaxError        = EnhancedCode{5, 5, 2}  // 5.5.2 syntax error
	CodeTooManyRecipients  = EnhancedCode{4, 5, 3}  // 4.5.3 too many recipients
	CodeInvalidArguments   = EnhancedCode{5, 5, 4}  // 5.5.4 invalid command arguments
	CodeNonASCIIAddress    = EnhancedCode{5, 6, 7}  // 5.6.7 non-ASCII addresses not permitted
	CodeNotAuthorized      = EnhancedCode{5, 7, 1}  // 5.7.1 delivery not authorized, message refused
	CodeAuthInvalid        = EnhancedCode{5, 7, 8}  // 5.7.8 authentication credentials invalid
	CodeEncryptionNeeded   = EnhancedCode{5, 7, 11} // 5.7.11 encryption required for requested authentication mechanism
	CodeRequireTLSRequired = EnhancedCode{5, 7, 30} // 5.7.30 REQUIRETLS support required
)

// IsZero reports whether c is the zero value (no enhanced code).
func (c EnhancedCode) IsZero() bool { return c == EnhancedCode{} }

// Valid reports whether c is syntactically valid per RFC 3463 §2: class 2,
// 4 or 5, subject and detail in 0-999.
func (c EnhancedCode) Valid() bool {
	return (c.Class == 2 || c.Class == 4 || c.Class == 5) &&
		c.Subject >= 0 && c.Subject <= 999 && c.Detail >= 0 && c.Detail <= 999
}

// String returns "class.subject.detail", or "" for the zero value.
func (c EnhancedCode) String() string {
	if c.IsZero() {
		return ""
	}
	return string(c.Append(nil))
}

// Append appends the textual form of c to b without allocating more than b
// needs to grow. The zero value appends nothing.
func (c EnhancedCode) Append(b []byte) []byte {
	if c.IsZero() {
		return b
	}
	b = strconv.AppendInt(b, int64(c.Class), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(c.Subject), 10)
	b = append(b, '.')
	return strconv.AppendInt(b, int64(c.Detail), 10)
}

// WithClass returns c with its class replaced, for turning a permanent
// code into the matching transient one (5.1.1 -> 4.1.1).
func (c EnhancedCode) WithClass(class int) EnhancedCode {
	c.Class = class
	return c
}

// ParseEnhancedCode parses "class.subject.detail" strictly per RFC 3463
// §2: class is 2, 4 or 5; subject and detail are 1-3 digits without leading
// zeros.
func ParseEnhancedCode(s string) (EnhancedCode, error) {
	c, n, ok := scanEnhancedCode(s)
	if !ok || n != len(s) {
		return EnhancedCode{}, fmt.Errorf("%w: %q", ErrEnhancedCodeSyntax, s)
	}
	return c, nil
}

// SplitEnhancedCode splits a reply text that starts with an enhanced status
// code followed by a space (or the end of the text), as in "5.1.1 User
// unknown". It returns the code and the remaining text; ok is false, and
// rest is text, when text does not start with a valid code.
func SplitEnhancedCode(text string) (code EnhancedCode, rest string, ok bool) {
	c, n, ok := scanEnhancedCode(text)
	if !ok {
		return EnhancedCode{}, text, false
	}
	if n == len(text) {
		return c, "", true
	}
	if text[n] != ' ' {
		return EnhancedCode{}, text, false
	}
	return c, text[n+1:], true
}

// scanEnhancedCode reads a code at the start of s and returns it with the
// number of bytes used.
func scanEnhancedCode(s string) (EnhancedCode, int, bool) {
	if len(s) < 5 {
		return EnhancedCode{}, 0, false
	}
	var c EnhancedCode
	switch s[0] {
	case '2', '4', '5':
		c.Class = int(s[0] - '0')
	default:
		return EnhancedCode{}, 0, false
	}
	if s[1] != '.' {
		return EnhancedCode{}, 0, false
	}
	i := 2
	v, n, ok := scanNum3(s[i:])
	if !ok {
		return EnhancedCode{}, 0, false
	}
	c.Subject = v
	i += n
	if i >= len(s) || s[i] != '.' {
		return EnhancedCode{}, 0, false
	}
	i++
	v, n, ok = scanNum3(s[i:])
	if !ok {
		return EnhancedCode{}, 0, false
	}
	c.Detail = v
	return c, i + n, true
}

// scanNum3 reads 1-3 digits without a leading zero (except "0" itself),
// not followed by a further digit.
func scanNum3(s string) (int, int, bool) {
	n := 0
	v := 0
	for n < len(s) && n < 4 && s[n] >= '0' && s[n] <= '9' {
		v = v*10 + int(s[n]-'0')
		n++
	}
	if n == 0 || n > 3 || (n > 1 && s[0] == '0') {
		return 0, 0, false
	}
	return v, n, true
}
