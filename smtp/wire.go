package smtp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"

	"github.com/mailkit-go/mailkit/esmtp"
)

// EnhancedCode is an RFC 3463 enhanced status code; see [esmtp.EnhancedCode].
type EnhancedCode = esmtp.EnhancedCode

// Default limits of the wire codec.
const (
	// MaxCommandLine is the RFC 5321 §4.5.3.1.4 command line limit,
	// including CRLF.
	MaxCommandLine = 512
	// MaxTextLine is the RFC 5321 §4.5.3.1.6 text line limit, including
	// CRLF.
	MaxTextLine = 1000
	// MaxReplyLine is the longest reply line [ReadReply] accepts, including
	// CRLF (RFC 5321 §4.5.3.1.5 says 512; real servers exceed it).
	MaxReplyLine = 2048
	// MaxReplyLines is the largest number of lines [ReadReply] accepts in
	// one multiline reply.
	MaxReplyLines = 256
)

// Errors of the wire codec. They are wrapped with context where useful;
// test with errors.Is. [ReplyFor] maps each to the reply a server sends.
var (
	// ErrBareLF: an LF not preceded by CR (RFC 5321 §2.3.8).
	ErrBareLF = errors.New("smtp: bare <LF> received")
	// ErrBareCR: a CR not followed by LF (RFC 5321 §2.3.8).
	ErrBareCR = errors.New("smtp: bare <CR> received")
	// ErrNUL: a NUL octet in message data while [DataOptions.AllowNUL] is
	// false, or in a command line.
	ErrNUL = errors.New("smtp: NUL character received")
	// ErrLineTooLong: a command, reply or text line over its limit.
	ErrLineTooLong = errors.New("smtp: line too long")
	// ErrTooLarge: message data over [DataOptions.MaxSize].
	ErrTooLarge = errors.New("smtp: message too large")
	// ErrCommandSyntax: a command line that is not "verb [SP argument]".
	ErrCommandSyntax = errors.New("smtp: command syntax error")
	// ErrUnexpectedEOF: the peer closed the connection inside a line,
	// a reply or message data (for data, before CRLF "." CRLF).
	ErrUnexpectedEOF = errors.New("smtp: unexpected EOF")
)

// Command is one parsed command line.
type Command struct {
	// Verb is the command verb in upper case ("MAIL", "EHLO", ...). Known
	// verbs share constant strings, so parsing them does not allocate.
	Verb string
	// Arg is the rest of the line after the verb and its separating space,
	// with trailing spaces removed; "" when there is none. For MAIL it is
	// "FROM:<...> params", for EHLO the domain.
	Arg string
}

// String returns the command as it is sent on the wire, without CRLF.
func (c Command) String() string {
	if c.Arg == "" {
		return c.Verb
	}
	return c.Verb + " " + c.Arg
}

// Verbs known to the codec.
const (
	VerbHELO     = "HELO"
	VerbEHLO     = "EHLO"
	VerbLHLO     = "LHLO"
	VerbMAIL     = "MAIL"
	VerbRCPT     = "RCPT"
	VerbDATA     = "DATA"
	VerbBDAT     = "BDAT"
	VerbRSET     = "RSET"
	VerbNOOP     = "NOOP"
	VerbQUIT     = "QUIT"
	VerbVRFY     = "VRFY"
	VerbEXPN     = "EXPN"
	VerbHELP     = "HELP"
	VerbSTARTTLS = "STARTTLS"
	VerbAUTH     = "AUTH"
	VerbXCLIENT  = "XCLIENT"
	VerbETRN     = "ETRN"
)

var knownVerbs = [...]string{
	VerbHELO, VerbEHLO, VerbLHLO, VerbMAIL, VerbRCPT, VerbDATA, VerbBDAT,
	VerbRSET, VerbNOOP, VerbQUIT, VerbVRFY, VerbEXPN, VerbHELP,
	VerbSTARTTLS, VerbAUTH, VerbXCLIENT, VerbETRN,
}

// maxVerb bounds the verb length; no SMTP verb is longer than 16 octets.
const maxVerb = 16

// ParseCommand parses a command line. The line may still end in CRLF (or,
// for a line read under [LineEndingsNormalize], LF); it is removed. The verb is
// letters, digits or "-" (as in extension commands), case-insensitive, and
// is returned in upper case; it is separated from the argument by one
// space (further spaces are tolerated). Control characters other than
// horizontal tab, a bare CR or LF, and NUL are refused with
// [ErrCommandSyntax] (or [ErrNUL]).
func ParseCommand(line []byte) (Command, error) {
	line = trimEOL(line)
	if len(line) == 0 {
		return Command{}, fmt.Errorf("%w: empty command", ErrCommandSyntax)
	}
	i := 0
	for i < len(line) && line[i] != ' ' {
		c := line[i]
		if !isVerbChar(c) {
			if c == 0 {
				return Command{}, ErrNUL
			}
			return Command{}, fmt.Errorf("%w: invalid character in verb", ErrCommandSyntax)
		}
		i++
	}
	if i == 0 {
		return Command{}, fmt.Errorf("%w: missing verb", ErrCommandSyntax)
	}
	if i > maxVerb {
		return Command{}, fmt.Errorf("%w: verb too long", ErrCommandSyntax)
	}
	verb := canonicalVerb(line[:i])
	rest := line[i:]
	for len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	for len(rest) > 0 && (rest[len(rest)-1] == ' ' || rest[len(rest)-1] == '\t') {
		rest = rest[:len(rest)-1]
	}
	for _, c := range rest {
		if c < 0x20 && c != '\t' || c == 0x7f {
			if c == 0 {
				return Command{}, ErrNUL
			}
			return Command{}, fmt.Errorf("%w: control character in argument", ErrCommandSyntax)
		}
	}
	cmd := Command{Verb: verb}
	if len(rest) > 0 {
		cmd.Arg = string(rest)
	}
	return cmd, nil
}

func isVerbChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
}

// canonicalVerb upper-cases v, returning a shared constant for known verbs.
func canonicalVerb(v []byte) string {
	var up [maxVerb]byte
	n := copy(up[:], v)
	for j := 0; j < n; j++ {
		if c := up[j]; c >= 'a' && c <= 'z' {
			up[j] = c - 'a' + 'A'
		}
	}
	for _, k := range knownVerbs {
		if string(up[:n]) == k {
			return k
		}
	}
	return string(up[:n])
}

// trimEOL removes one trailing CRLF or LF.
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// ReadLine reads one line from r, for commands (maxLen [MaxCommandLine],
// or 12288 for AUTH responses per RFC 4954) or replies. maxLen counts the
// CRLF; maxLen <= 0 means [MaxCommandLine]. The returned slice includes the
// line ending and aliases r's buffer: it is valid only until the next read
// from r. ReadLine does not allocate.
//
// Errors: [ErrLineTooLong] after the rest of the over-long line has been
// read and discarded (so the next call starts at the next line and the
// caller may reply "500 5.5.2 Line too long" and go on); [ErrBareLF] when
// the line ends in a bare LF under [LineEndingsStrict]; [ErrBareCR] when the line
// contains a CR not followed by LF (under either policy); [ErrUnexpectedEOF]
// for a partial line at EOF; io.EOF for EOF at a line boundary; other read
// errors as they are.
func ReadLine(r *bufio.Reader, maxLen int, mode LineEndings) ([]byte, error) {
	if maxLen <= 0 {
		maxLen = MaxCommandLine
	}
	line, err := r.ReadSlice('\n')
	if err != nil {
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if err := discardLine(r); err != nil {
				return nil, err
			}
			return nil, ErrLineTooLong
		case len(line) > 0 && isEOF(err):
			return nil, ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
	n := len(line)
	if n < 2 || line[n-2] != '\r' {
		if mode != LineEndingsNormalize {
			return nil, ErrBareLF
		}
		if n > maxLen-1 {
			return nil, ErrLineTooLong
		}
		if bytes.IndexByte(line, '\r') >= 0 {
			return nil, ErrBareCR
		}
		return line, nil
	}
	if n > maxLen {
		return nil, ErrLineTooLong
	}
	if i := bytes.IndexByte(line[:n-2], '\r'); i >= 0 {
		return nil, ErrBareCR
	}
	return line, nil
}

// discardLine reads and drops input up to and including the next LF.
func discardLine(r *bufio.Reader) error {
	for {
		_, err := r.ReadSlice('\n')
		if err == nil {
			return nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if isEOF(err) {
				return ErrUnexpectedEOF
			}
			return err
		}
	}
}

// ReplyFor maps an error of the wire codec or of package esmtp's parameter
// parser to the reply a server sends for it, and reports whether the server
// should close the connection after sending it. host is the server's name,
// which Postfix puts into its bare-newline reply; it may be empty. It
// returns nil for an error the codec does not know (the server then answers
// 451 4.3.0 and logs the error).
//
//	ErrBareLF        550 5.5.2 <host> Error: bare <LF> received   (close)
//	ErrBareCR        550 5.5.2 <host> Error: bare <CR> received   (close)
//	ErrNUL           550 5.6.0 <host> Error: NUL character received (close)
//	ErrLineTooLong   500 5.5.2 Error: line too long
//	ErrTooLarge      552 5.3.4 Error: message file too big
//	ErrCommandSyntax 500 5.5.2 Error: bad syntax
//	ErrUnexpectedEOF 421 4.4.2 Error: connection lost (close; usually unsent)
//	*PathError       the code and enhanced code it carries
//	*esmtp.ParamError the code and enhanced code it carries
//	*Error           itself
func ReplyFor(err error, host string) (reply *Error, closeConn bool) {
	if err == nil {
		return nil, false
	}
	var e *Error
	if errors.As(err, &e) {
		return e, e.Code == 421
	}
	var pe *PathError
	if errors.As(err, &pe) {
		return &Error{Code: pe.Code, Enhanced: pe.Enhanced, Message: pe.Message(), Err: err}, false
	}
	var ppe *esmtp.ParamError
	if errors.As(err, &ppe) {
		return &Error{Code: ppe.Code, Enhanced: ppe.Enhanced, Message: ppe.Reply, Err: err}, false
	}
	prefix := ""
	if host != "" {
		prefix = host + " "
	}
	switch {
	case errors.Is(err, ErrBareLF):
		return &Error{Code: 550, Enhanced: ecode(5, 5, 2), Message: prefix + "Error: bare <LF> received", Err: err}, true
	case errors.Is(err, ErrBareCR):
		return &Error{Code: 550, Enhanced: ecode(5, 5, 2), Message: prefix + "Error: bare <CR> received", Err: err}, true
	case errors.Is(err, ErrNUL):
		return &Error{Code: 550, Enhanced: ecode(5, 6, 0), Message: prefix + "Error: NUL character received", Err: err}, true
	case errors.Is(err, ErrLineTooLong):
		return &Error{Code: 500, Enhanced: ecode(5, 5, 2), Message: "Error: line too long", Err: err}, false
	case errors.Is(err, ErrTooLarge):
		return &Error{Code: 552, Enhanced: ecode(5, 3, 4), Message: "Error: message file too big", Err: err}, false
	case errors.Is(err, ErrCommandSyntax):
		return &Error{Code: 500, Enhanced: ecode(5, 5, 2), Message: "Error: bad syntax", Err: err}, false
	case errors.Is(err, ErrUnexpectedEOF):
		return &Error{Code: 421, Enhanced: ecode(4, 4, 2), Message: prefix + "Error: connection lost", Err: err}, true
	}
	return nil, false
}

// ecode builds an EnhancedCode.
func ecode(class, subject, detail int) EnhancedCode {
	return EnhancedCode{Class: class, Subject: subject, Detail: detail}
}
