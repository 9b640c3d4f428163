package pop3

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Command is a parsed POP3 command line.
type Command struct {
	// Name is the keyword in upper case ("USER", "RETR", ...).
	Name string
	// Arg is everything after the keyword and one space, unmodified (PASS
	// passwords may contain spaces, RFC 1939 §7); "" without arguments.
	Arg string
}

// Args splits Arg at spaces (RFC 1939 §3: arguments are separated by a
// single space; runs of spaces are tolerated).
func (c Command) Args() []string {
	if c.Arg == "" {
		return nil
	}
	return strings.Fields(c.Arg)
}

// maxKeyword bounds a command keyword: RFC 1939 keywords are three or four
// characters; extensions (RFC 2449 §5) are longer only in theory.
const maxKeyword = 16

// ParseCommand parses one command line without its line ending. The keyword
// must be ASCII letters or digits; the line must not contain control
// characters other than HTAB (in arguments).
func ParseCommand(line string) (Command, error) {
	if line == "" {
		return Command{}, fmt.Errorf("%w: empty line", ErrBadCommand)
	}
	for i := 0; i < len(line); i++ {
		if c := line[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return Command{}, fmt.Errorf("%w: control character", ErrBadCommand)
		}
	}
	name, arg, _ := strings.Cut(line, " ")
	if name == "" || len(name) > maxKeyword {
		return Command{}, fmt.Errorf("%w: bad keyword", ErrBadCommand)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return Command{}, fmt.Errorf("%w: bad keyword", ErrBadCommand)
		}
	}
	return Command{Name: strings.ToUpper(name), Arg: arg}, nil
}

// Response is a parsed status line of a server response.
type Response struct {
	// OK is true for "+OK", false for "-ERR".
	OK bool
	// Code is the RFC 2449 response code without brackets, "" if none.
	Code string
	// Text is the rest of the line after the code.
	Text string
}

// ParseResponse parses a status line ("+OK ..." or "-ERR ...") without
// its line ending, splitting off a response code in square brackets.
func ParseResponse(line string) (Response, error) {
	var r Response
	var rest string
	switch {
	case strings.HasPrefix(line, "+OK"):
		r.OK, rest = true, line[3:]
	case strings.HasPrefix(line, "-ERR"):
		rest = line[4:]
	default:
		return r, fmt.Errorf("%w: %q", ErrBadResponse, truncate(line, 64))
	}
	if rest != "" {
		if rest[0] != ' ' {
			return r, fmt.Errorf("%w: %q", ErrBadResponse, truncate(line, 64))
		}
		rest = rest[1:]
	}
	if strings.HasPrefix(rest, "[") {
		if end := strings.IndexByte(rest, ']'); end > 1 && validCode(rest[1:end]) {
			r.Code = rest[1:end]
			rest = strings.TrimPrefix(rest[end+1:], " ")
		}
	}
	r.Text = rest
	return r, nil
}

// validCode reports whether s is a response code: "/"-separated atoms of
// printable ASCII without brackets or spaces (RFC 2449 §8).
func validCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '[' || c == ']' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// readLine reads one line of at most max octets including the line ending
// and returns it without CRLF (a bare LF is accepted as a line end). A
// longer line is reported as ErrLineTooLong; with drain it is first
// consumed to its end (a server goes on with the next command), without
// it reading stops at the limit (a client gives up on a connection whose
// peer might never end the line).
func readLine(r *bufio.Reader, max int, drain bool) (string, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(buf)+len(chunk) > max {
			if !drain {
				return "", ErrLineTooLong
			}
			// Skip the rest of the line without storing it.
			for err == bufio.ErrBufferFull {
				_, err = r.ReadSlice('\n')
			}
			if err != nil {
				return "", err
			}
			return "", ErrLineTooLong
		}
		buf = append(buf, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		buf = buf[:len(buf)-1]
		if n := len(buf); n > 0 && buf[n-1] == '\r' {
			buf = buf[:n-1]
		}
		return string(buf), nil
	}
}

// validUID reports whether s is a valid unique-id (RFC 1939 §7).
func validUID(s string) bool {
	if len(s) == 0 || len(s) > 70 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// parseNumber parses a message number or line count: decimal digits only,
// at most 9 of them (no sign, no spaces).
func parseNumber(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// writeMessage copies a message from r to w as the body of a multi-line
// response: every line ends in CRLF (bare LF becomes CRLF, a missing final
// line ending is added), lines starting with "." get another "." (RFC 1939
// §3), and the terminating ".\r\n" is written. With bodyLines >= 0 only
// the header, the blank line and that many body lines are sent (TOP).
func writeMessage(w msgWriter, r io.Reader, bodyLines int) error {
	br := bufio.NewReaderSize(r, 4096)
	lineStart, inBody, pendingCR := true, false, false
	count := 0
	for !(inBody && bodyLines >= 0 && count >= bodyLines) {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			complete := chunk[len(chunk)-1] == '\n'
			content := chunk
			if complete {
				content = content[:len(content)-1]
				if n := len(content); n > 0 && content[n-1] == '\r' {
					content = content[:n-1]
				}
			}
			if pendingCR && !(complete && len(content) == 0) {
				_ = w.WriteByte('\r')
			}
			pendingCR = false
			if lineStart && len(content) > 0 && content[0] == '.' {
				_ = w.WriteByte('.')
			}
			if !complete && content[len(content)-1] == '\r' {
				// The LF may start the next chunk: decide then.
				content, pendingCR = content[:len(content)-1], true
			}
			if _, werr := w.Write(content); werr != nil {
				return werr
			}
			if complete {
				_, _ = w.WriteString("\r\n")
				switch {
				case inBody:
					count++
				case lineStart && len(content) == 0 && !pendingCR:
					inBody = true
				}
			}
			lineStart = complete
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if pendingCR {
		_ = w.WriteByte('\r')
	}
	if !lineStart {
		_, _ = w.WriteString("\r\n")
	}
	_, err := w.WriteString(".\r\n")
	return err
}

// msgWriter is what writeMessage writes to (a *bufio.Writer).
type msgWriter interface {
	io.Writer
	io.ByteWriter
	io.StringWriter
}

// dotReader reads the body of a multi-line response, removing the stuffed
// leading "." of lines and stopping at the terminating line ".". It returns
// the lines with their CRLF endings. Line length is not limited: long lines
// are streamed.
type dotReader struct {
	r     *bufio.Reader
	state int
	err   error
}

const (
	dotBeginLine = iota
	dotData
	dotCR
	dotDot
	dotDotCR
	dotEOF
)

func newDotReader(r *bufio.Reader) *dotReader { return &dotReader{r: r} }

// Read implements io.Reader.
func (d *dotReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && d.err == nil {
		if d.state == dotData && d.r.Buffered() > 0 {
			// Fast path: copy up to the end of the line in one go.
			buf, _ := d.r.Peek(d.r.Buffered())
			if i := bytes.IndexByte(buf, '\n'); i >= 0 {
				buf = buf[:i+1]
			}
			if len(buf) > len(p)-n {
				buf = buf[:len(p)-n]
			}
			copy(p[n:], buf)
			n += len(buf)
			_, _ = d.r.Discard(len(buf))
			switch buf[len(buf)-1] {
			case '\n':
				d.state = dotBeginLine
			case '\r':
				d.state = dotCR
			}
			continue
		}
		c, err := d.r.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			d.err = err
			break
		}
		switch d.state {
		case dotBeginLine:
			if c == '.' {
				d.state = dotDot
				continue
			}
		case dotDot:
			switch c {
			case '\r':
				d.state = dotDotCR
				continue
			case '\n':
				d.state, d.err = dotEOF, io.EOF
				continue
			}
			// A stuffed dot: it was dropped, c is data.
		case dotDotCR:
			if c == '\n' {
				d.state, d.err = dotEOF, io.EOF
				continue
			}
			// ".\r" followed by something else: keep the CR.
			_ = d.r.UnreadByte()
			c = '\r'
		}
		switch c {
		case '\n':
			d.state = dotBeginLine
		case '\r':
			d.state = dotCR
		default:
			d.state = dotData
		}
		p[n] = c
		n++
	}
	if n > 0 {
		return n, nil
	}
	return 0, d.err
}
