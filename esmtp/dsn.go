package esmtp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"strconv"
	"strings"
	"time"
)

// Limits of [ParseReport].
const (
	// MaxReportSize is the largest DSN message ParseReport accepts.
	MaxReportSize = 16 << 20
	// MaxReportRecipients is the largest number of per-recipient groups.
	MaxReportRecipients = 1000
)

// Errors of the DSN codec.
var (
	// ErrNotReport: the message is not a multipart/report with a
	// delivery-status part.
	ErrNotReport = errors.New("esmtp: not a delivery status notification")
	// ErrReportSyntax: a malformed report.
	ErrReportSyntax = errors.New("esmtp: malformed delivery status notification")
)

// Action is the RFC 3464 §2.3.3 Action field.
type Action string

// Actions.
const (
	ActionFailed    Action = "failed"
	ActionDelayed   Action = "delayed"
	ActionDelivered Action = "delivered"
	ActionRelayed   Action = "relayed"
	ActionExpanded  Action = "expanded"
)

// TypedValue is a DSN field value of the form "type; value" (RFC 3464
// §2.1.2): Reporting-MTA "dns; mx.example.com", Final-Recipient
// "rfc822; bob@example.com", Diagnostic-Code "smtp; 550 5.1.1 unknown".
type TypedValue struct {
	Type  string
	Value string
}

// IsZero reports whether v is empty.
func (v TypedValue) IsZero() bool { return v.Type == "" && v.Value == "" }

// String returns "type; value", or "" for the zero value.
func (v TypedValue) String() string {
	if v.IsZero() {
		return ""
	}
	return v.Type + "; " + v.Value
}

// ParseTypedValue splits "type; value". A value without ";" yields an
// empty Type and the trimmed value (tolerant, for broken reports).
func ParseTypedValue(s string) TypedValue {
	t, v, ok := strings.Cut(s, ";")
	if !ok {
		return TypedValue{Value: strings.TrimSpace(s)}
	}
	return TypedValue{Type: strings.TrimSpace(t), Value: strings.TrimSpace(v)}
}

// DNS returns a TypedValue of type "dns" for an MTA name.
func DNS(host string) TypedValue { return TypedValue{Type: "dns", Value: host} }

// RFC822 returns a TypedValue of type "rfc822" for an address.
func RFC822(addr string) TypedValue { return TypedValue{Type: "rfc822", Value: addr} }

// SMTPDiagnostic returns a Diagnostic-Code of type "smtp" for a reply.
func SMTPDiagnostic(reply string) TypedValue { return TypedValue{Type: "smtp", Value: reply} }

// Field is a header-style field kept as is, for extension fields.
type Field struct {
	Name  string
	Value string
}

// RecipientStatus is one per-recipient group of a DSN (RFC 3464 §2.3).
type RecipientStatus struct {
	OriginalRecipient TypedValue // Original-Recipient (from ORCPT)
	FinalRecipient    TypedValue // Final-Recipient (required)
	Action            Action     // Action (required)
	Status            EnhancedCode
	RemoteMTA         TypedValue // Remote-MTA
	DiagnosticCode    TypedValue // Diagnostic-Code
	LastAttemptDate   time.Time  // Last-Attempt-Date
	FinalLogID        string     // Final-Log-ID
	WillRetryUntil    time.Time  // Will-Retry-Until (delayed only)
	Extra             []Field    // other fields, in order
}

// Report is an RFC 3464 delivery status notification inside an RFC 6522
// multipart/report.
type Report struct {
	// Header fields of the notification message. Empty fields are not
	// written; Date is written when not zero.
	From      string
	To        string
	Subject   string
	Date      time.Time
	MessageID string // without angle brackets

	// Boundary is the MIME boundary; when empty, [Report.Bytes] derives one
	// from the content (deterministically).
	Boundary string

	// Text is the human-readable first part (text/plain).
	Text string

	// Per-message fields (RFC 3464 §2.2).
	OriginalEnvelopeID string     // Original-Envelope-Id (ENVID), not xtext
	ReportingMTA       TypedValue // Reporting-MTA (required)
	DSNGateway         TypedValue
	ReceivedFromMTA    TypedValue
	ArrivalDate        time.Time
	MessageExtra       []Field

	// Recipients are the per-recipient groups; at least one.
	Recipients []RecipientStatus

	// Returned is the returned message: only its header (RET=HDRS, sent
	// as text/rfc822-headers) or the whole message (RET=FULL, sent as
	// message/rfc822), per ReturnedHeadersOnly. Nil: no third part.
	Returned            []byte
	ReturnedHeadersOnly bool
}

// rfc5322Date is the date format of RFC 5322 §3.3.
const rfc5322Date = "Mon, 02 Jan 2006 15:04:05 -0700"

// Bytes builds the complete notification message with CRLF line endings.
// It checks that ReportingMTA and every recipient's FinalRecipient and
// Action are set. Field values have CR and LF replaced by spaces, so no
// value can inject a header line.
func (r *Report) Bytes() ([]byte, error) {
	if r.ReportingMTA.IsZero() {
		return nil, fmt.Errorf("%w: Reporting-MTA is required", ErrReportSyntax)
	}
	if len(r.Recipients) == 0 {
		return nil, fmt.Errorf("%w: no recipients", ErrReportSyntax)
	}
	for i, rc := range r.Recipients {
		if rc.FinalRecipient.IsZero() || rc.Action == "" {
			return nil, fmt.Errorf("%w: recipient %d needs Final-Recipient and Action", ErrReportSyntax, i+1)
		}
		if !rc.Status.Valid() {
			return nil, fmt.Errorf("%w: recipient %d has no valid Status", ErrReportSyntax, i+1)
		}
	}

	var status bytes.Buffer
	writeField(&status, "Original-Envelope-Id", r.OriginalEnvelopeID)
	writeField(&status, "Reporting-MTA", r.ReportingMTA.String())
	writeField(&status, "DSN-Gateway", r.DSNGateway.String())
	writeField(&status, "Received-From-MTA", r.ReceivedFromMTA.String())
	writeDate(&status, "Arrival-Date", r.ArrivalDate)
	for _, f := range r.MessageExtra {
		writeField(&status, f.Name, f.Value)
	}
	for _, rc := range r.Recipients {
		status.WriteString("\r\n")
		writeField(&status, "Original-Recipient", rc.OriginalRecipient.String())
		writeField(&status, "Final-Recipient", rc.FinalRecipient.String())
		writeField(&status, "Action", string(rc.Action))
		writeField(&status, "Status", rc.Status.String())
		writeField(&status, "Remote-MTA", rc.RemoteMTA.String())
		writeField(&status, "Diagnostic-Code", rc.DiagnosticCode.String())
		writeDate(&status, "Last-Attempt-Date", rc.LastAttemptDate)
		writeField(&status, "Final-Log-ID", rc.FinalLogID)
		writeDate(&status, "Will-Retry-Until", rc.WillRetryUntil)
		for _, f := range rc.Extra {
			writeField(&status, f.Name, f.Value)
		}
	}

	text := crlf([]byte(r.Text))
	returned := crlf(r.Returned)

	boundary := r.Boundary
	if boundary == "" {
		h := fnv.New64a()
		h.Write(status.Bytes())
		h.Write(text)
		h.Write(returned)
		boundary = "=_mailkit_dsn_" + strconv.FormatUint(h.Sum64(), 36)
		for n := 1; bytes.Contains(text, []byte("--"+boundary)) || bytes.Contains(returned, []byte("--"+boundary)); n++ {
			boundary = "=_mailkit_dsn_" + strconv.FormatUint(h.Sum64(), 36) + "_" + strconv.Itoa(n)
		}
	} else if !validBoundary(boundary) {
		return nil, fmt.Errorf("%w: invalid boundary", ErrReportSyntax)
	} else if bytes.Contains(text, []byte("--"+boundary)) || bytes.Contains(returned, []byte("--"+boundary)) {
		return nil, fmt.Errorf("%w: boundary occurs in the content", ErrReportSyntax)
	}

	var b bytes.Buffer
	writeField(&b, "From", r.From)
	writeField(&b, "To", r.To)
	writeField(&b, "Subject", r.Subject)
	writeDate(&b, "Date", r.Date)
	if r.MessageID != "" {
		writeField(&b, "Message-ID", "<"+r.MessageID+">")
	}
	b.WriteString("Auto-Submitted: auto-replied\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + boundary + "\"\r\n")
	b.WriteString("\r\nThis is a MIME-encapsulated message.\r\n")

	b.WriteString("\r\n--" + boundary + "\r\n")
	if isASCIIBytes(text) {
		b.WriteString("Content-Type: text/plain; charset=us-ascii\r\n")
	} else {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n")
	}
	b.WriteString("Content-Description: Notification\r\n\r\n")
	b.Write(text)
	if len(text) > 0 && !bytes.HasSuffix(text, []byte("\r\n")) {
		b.WriteString("\r\n")
	}

	b.WriteString("\r\n--" + boundary + "\r\n")
	b.WriteString("Content-Type: message/delivery-status\r\nContent-Description: Delivery report\r\n\r\n")
	b.Write(status.Bytes())

	if r.Returned != nil {
		b.WriteString("\r\n--" + boundary + "\r\n")
		if r.ReturnedHeadersOnly {
			b.WriteString("Content-Type: text/rfc822-headers\r\nContent-Description: Undelivered message headers\r\n\r\n")
		} else {
			b.WriteString("Content-Type: message/rfc822\r\nContent-Description: Undelivered message\r\n\r\n")
		}
		b.Write(returned)
		if len(returned) > 0 && !bytes.HasSuffix(returned, []byte("\r\n")) {
			b.WriteString("\r\n")
		}
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return b.Bytes(), nil
}

func writeField(b *bytes.Buffer, name, value string) {
	if value == "" {
		return
	}
	b.WriteString(name)
	b.WriteString(": ")
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		b.WriteByte(c)
	}
	b.WriteString("\r\n")
}

func writeDate(b *bytes.Buffer, name string, t time.Time) {
	if !t.IsZero() {
		writeField(b, name, t.Format(rfc5322Date))
	}
}

// crlf converts bare CR and bare LF to CRLF.
func crlf(p []byte) []byte {
	if p == nil {
		return nil
	}
	out := make([]byte, 0, len(p)+16)
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\r':
			out = append(out, '\r', '\n')
			if i+1 < len(p) && p[i+1] == '\n' {
				i++
			}
		case '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	return out
}

func isASCIIBytes(p []byte) bool {
	for _, c := range p {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// validBoundary checks RFC 2046 §5.1.1 bchars, 1-70 characters.
func validBoundary(s string) bool {
	if s == "" || len(s) > 70 || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("'()+_,-./:=? ", c) >= 0) {
			return false
		}
	}
	return true
}

// ParseReport parses a delivery status notification: a multipart/report
// whose parts include message/delivery-status (or
// message/global-delivery-status), or a bare message/delivery-status
// body. See the package documentation for how tolerant it is. It returns
// an error wrapping [ErrNotReport] when no status part is found and
// [ErrReportSyntax] for a malformed one.
func ParseReport(msg []byte) (*Report, error) {
	if len(msg) > MaxReportSize {
		return nil, fmt.Errorf("%w: larger than %d octets", ErrReportSyntax, MaxReportSize)
	}
	hdr, body := splitHeader(msg)
	fields := parseFields(hdr)
	r := &Report{}
	for _, f := range fields {
		switch strings.ToLower(f.Name) {
		case "from":
			r.From = f.Value
		case "to":
			r.To = f.Value
		case "subject":
			r.Subject = f.Value
		case "date":
			if t, err := mail.ParseDate(f.Value); err == nil {
				r.Date = t
			}
		case "message-id":
			r.MessageID = strings.Trim(f.Value, "<> ")
		}
	}
	ctype, params := contentType(fields)
	switch {
	case ctype == "message/delivery-status" || ctype == "message/global-delivery-status":
		if err := r.parseStatus(decodeBody(body, fields)); err != nil {
			return nil, err
		}
		return r, nil
	case strings.HasPrefix(ctype, "multipart/"):
	default:
		return nil, fmt.Errorf("%w: content type %q", ErrNotReport, ctype)
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, fmt.Errorf("%w: multipart without boundary", ErrReportSyntax)
	}
	r.Boundary = boundary
	found := false
	for _, part := range splitMultipart(body, boundary) {
		ph, pb := splitHeader(part)
		pf := parseFields(ph)
		pt, _ := contentType(pf)
		switch pt {
		case "message/delivery-status", "message/global-delivery-status":
			if found {
				continue
			}
			if err := r.parseStatus(decodeBody(pb, pf)); err != nil {
				return nil, err
			}
			found = true
		case "text/plain", "":
			if r.Text == "" {
				r.Text = string(decodeBody(pb, pf))
			}
		case "text/rfc822-headers", "message/global-headers":
			r.Returned, r.ReturnedHeadersOnly = pb, true
		case "message/rfc822", "message/global":
			r.Returned, r.ReturnedHeadersOnly = pb, false
		}
	}
	if !found {
		return nil, fmt.Errorf("%w: no delivery-status part", ErrNotReport)
	}
	return r, nil
}

// parseStatus reads the groups of a message/delivery-status body.
func (r *Report) parseStatus(body []byte) error {
	groups := splitGroups(body)
	if len(groups) == 0 {
		return fmt.Errorf("%w: empty delivery-status", ErrReportSyntax)
	}
	for _, f := range parseFields(groups[0]) {
		switch strings.ToLower(f.Name) {
		case "original-envelope-id":
			r.OriginalEnvelopeID = f.Value
		case "reporting-mta":
			r.ReportingMTA = ParseTypedValue(f.Value)
		case "dsn-gateway":
			r.DSNGateway = ParseTypedValue(f.Value)
		case "received-from-mta":
			r.ReceivedFromMTA = ParseTypedValue(f.Value)
		case "arrival-date":
			r.ArrivalDate, _ = mail.ParseDate(f.Value)
		default:
			r.MessageExtra = append(r.MessageExtra, f)
		}
	}
	for _, g := range groups[1:] {
		if len(r.Recipients) == MaxReportRecipients {
			return fmt.Errorf("%w: more than %d recipients", ErrReportSyntax, MaxReportRecipients)
		}
		var rc RecipientStatus
		for _, f := range parseFields(g) {
			switch strings.ToLower(f.Name) {
			case "original-recipient":
				rc.OriginalRecipient = ParseTypedValue(f.Value)
			case "final-recipient":
				rc.FinalRecipient = ParseTypedValue(f.Value)
			case "action":
				a, _, _ := strings.Cut(f.Value, " ")
				rc.Action = Action(strings.ToLower(a))
			case "status":
				tok, _, _ := strings.Cut(f.Value, " ")
				if c, err := ParseEnhancedCode(tok); err == nil {
					rc.Status = c
				}
			case "remote-mta":
				rc.RemoteMTA = ParseTypedValue(f.Value)
			case "diagnostic-code":
				rc.DiagnosticCode = ParseTypedValue(f.Value)
			case "last-attempt-date":
				rc.LastAttemptDate, _ = mail.ParseDate(f.Value)
			case "final-log-id":
				rc.FinalLogID = f.Value
			case "will-retry-until":
				rc.WillRetryUntil, _ = mail.ParseDate(f.Value)
			default:
				rc.Extra = append(rc.Extra, f)
			}
		}
		r.Recipients = append(r.Recipients, rc)
	}
	return nil
}

// splitHeader splits a message or part at the first empty line (CRLF or
// LF line endings).
func splitHeader(msg []byte) (hdr, body []byte) {
	for i := 0; i < len(msg); {
		j := bytes.IndexByte(msg[i:], '\n')
		if j < 0 {
			return msg, nil
		}
		line := msg[i : i+j]
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			return msg[:i], msg[i+j+1:]
		}
		i += j + 1
	}
	return msg, nil
}

// parseFields parses header lines with folding; lines without a colon are
// skipped.
func parseFields(hdr []byte) []Field {
	var out []Field
	for _, raw := range bytes.Split(hdr, []byte("\n")) {
		line := strings.TrimRight(string(raw), "\r")
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(out) > 0 {
			out[len(out)-1].Value += " " + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			continue
		}
		out = append(out, Field{Name: name, Value: strings.TrimSpace(value)})
		if len(out) > 4*MaxReportRecipients {
			break
		}
	}
	return out
}

// contentType returns the lower-case media type and the parameters
// (lower-case names) of the Content-Type field; "" when absent.
func contentType(fields []Field) (string, map[string]string) {
	for _, f := range fields {
		if !strings.EqualFold(f.Name, "Content-Type") {
			continue
		}
		parts := splitParams(f.Value)
		params := map[string]string{}
		for _, p := range parts[1:] {
			k, v, ok := strings.Cut(p, "=")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			params[strings.ToLower(strings.TrimSpace(k))] = v
		}
		return strings.ToLower(strings.TrimSpace(parts[0])), params
	}
	return "", nil
}

// splitParams splits on ";" outside quoted strings.
func splitParams(s string) []string {
	var out []string
	inQ := false
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQ = !inQ
		case '\\':
			if inQ {
				i++
			}
		case ';':
			if !inQ {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// splitMultipart returns the bodies of the parts between boundary lines.
func splitMultipart(body []byte, boundary string) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	var cur []byte
	in := false
	for len(body) > 0 {
		j := bytes.IndexByte(body, '\n')
		var line []byte
		if j < 0 {
			line, body = body, nil
		} else {
			line, body = body[:j+1], body[j+1:]
		}
		t := bytes.TrimRight(line, " \t\r\n")
		if bytes.HasPrefix(t, delim) {
			rest := t[len(delim):]
			if len(rest) == 0 || string(rest) == "--" {
				if in {
					parts = append(parts, trimFinalEOL(cur))
				}
				if string(rest) == "--" {
					return parts
				}
				in, cur = true, nil
				continue
			}
		}
		if in {
			cur = append(cur, line...)
		}
	}
	if in {
		parts = append(parts, trimFinalEOL(cur)) // tolerate a missing close delimiter
	}
	return parts
}

// trimFinalEOL removes the line ending that belongs to the next delimiter.
func trimFinalEOL(p []byte) []byte {
	p = bytes.TrimSuffix(p, []byte("\n"))
	return bytes.TrimSuffix(p, []byte("\r"))
}

// splitGroups splits a delivery-status body at empty lines.
func splitGroups(body []byte) [][]byte {
	var groups [][]byte
	var cur []byte
	for _, raw := range bytes.SplitAfter(body, []byte("\n")) {
		if len(bytes.TrimSpace(raw)) == 0 {
			if len(cur) > 0 {
				groups = append(groups, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, raw...)
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

// decodeBody undoes base64 or quoted-printable transfer encoding.
func decodeBody(body []byte, fields []Field) []byte {
	for _, f := range fields {
		if !strings.EqualFold(f.Name, "Content-Transfer-Encoding") {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(f.Value)) {
		case "quoted-printable":
			if d, err := io.ReadAll(io.LimitReader(quotedprintable.NewReader(bytes.NewReader(body)), MaxReportSize)); err == nil {
				return d
			}
		case "base64":
			clean := bytes.Map(func(r rune) rune {
				if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
					return -1
				}
				return r
			}, body)
			d := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
			if n, err := base64.StdEncoding.Decode(d, clean); err == nil {
				return d[:n]
			}
		}
	}
	return body
}
