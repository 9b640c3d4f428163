package esmtp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mailkit-go/mailkit/mime"
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
	Type  string // address-type, diagnostic-type or MTA-name-type: "dns", "rfc822", "smtp", ...
	Value string // the text after ";", leading and trailing space trimmed
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
	Name  string // field name as written (compare case-insensitively)
	Value string // field value
}

// RecipientStatus is one per-recipient group of a DSN (RFC 3464 §2.3).
type RecipientStatus struct {
	OriginalRecipient TypedValue   // Original-Recipient (from ORCPT)
	FinalRecipient    TypedValue   // Final-Recipient (required)
	Action            Action       // Action (required)
	Status            EnhancedCode // Status (required, RFC 3464 §2.3.4), e.g. 5.1.1
	RemoteMTA         TypedValue   // Remote-MTA
	DiagnosticCode    TypedValue   // Diagnostic-Code
	LastAttemptDate   time.Time    // Last-Attempt-Date
	FinalLogID        string       // Final-Log-ID
	WillRetryUntil    time.Time    // Will-Retry-Until (delayed only)
	Extra             []Field      // other fields, in order
}

// Report is an RFC 3464 delivery status notification inside an RFC 6522
// multipart/report.
type Report struct {
	// Header fields of the notification message. Empty fields are not
	// written; Date is written when not zero.
	From      string    // From field of the notification
	To        string    // To field (normally the original envelope sender)
	Subject   string    // Subject
	Date      time.Time // Date; zero is not written
	MessageID string    // without angle brackets

	// Boundary is the MIME boundary; when empty, [Report.Bytes] derives one
	// from the content (deterministically). A boundary that is set must
	// follow RFC 2046 §5.1.1 ([mime.ValidBoundary]) and not occur in the
	// encoded parts, or Bytes fails with an error wrapping both
	// [ErrReportSyntax] and a [*mime.BoundaryError]. ParseReport sets it to
	// the boundary of the outer multipart.
	Boundary string

	// Text is the human-readable first part (text/plain).
	Text string

	// Per-message fields (RFC 3464 §2.2).
	OriginalEnvelopeID string     // Original-Envelope-Id (ENVID), not xtext
	ReportingMTA       TypedValue // Reporting-MTA (required)
	DSNGateway         TypedValue // DSN-Gateway (§2.2.3), zero if absent
	ReceivedFromMTA    TypedValue // Received-From-MTA (§2.2.4), zero if absent
	ArrivalDate        time.Time  // Arrival-Date (§2.2.5), zero if absent
	MessageExtra       []Field    // other per-message fields, in order

	// Recipients are the per-recipient groups; at least one.
	Recipients []RecipientStatus

	// Returned is the returned message: only its header (RET=HDRS, sent
	// as text/rfc822-headers) or the whole message (RET=FULL, sent as
	// message/rfc822), per ReturnedHeadersOnly. Nil: no third part.
	Returned            []byte
	ReturnedHeadersOnly bool // true: Returned is a header section (RET=HDRS)
}

// Bytes builds the complete notification message with CRLF line endings,
// using the [mime] encoder: a multipart/report; report-type=delivery-status
// with a text/plain part, a message/delivery-status part (message/
// global-delivery-status, RFC 6533, when a field value is not ASCII) and,
// when Returned is set, a text/rfc822-headers or message/rfc822 part.
// It checks that ReportingMTA and every recipient's FinalRecipient, Action
// and Status are set. Field values have CR and LF replaced by spaces, so no
// value can inject a header line. The output is deterministic: the same
// Report always gives the same bytes.
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
	status := r.statusBody()
	root := &mime.Node{
		MediaType: "multipart/report",
		Params:    map[string]string{"report-type": "delivery-status", "boundary": r.Boundary},
	}
	h := &root.Header
	addAddressField(h, "From", r.From)
	addAddressField(h, "To", r.To)
	if r.Subject != "" {
		h.Add("Subject", r.Subject)
	}
	if !r.Date.IsZero() {
		h.AddRaw("Date", mime.FormatDate(r.Date))
	}
	if r.MessageID != "" {
		h.AddRaw("Message-ID", "<"+oneLine(r.MessageID)+">")
	}
	h.AddRaw("Auto-Submitted", "auto-replied")
	h.AddRaw("MIME-Version", "1.0")

	body := []byte(r.Text)
	if len(body) > 0 && body[len(body)-1] != '\n' && body[len(body)-1] != '\r' {
		body = append(body, '\n') // the last line break belongs to the delimiter
	}
	text := &mime.Node{MediaType: "text/plain", Body: body}
	text.Header.AddRaw("Content-Description", "Notification")
	st := &mime.Node{MediaType: "message/delivery-status", Encoding: "7bit", Body: status}
	if !isASCII(status) {
		st.MediaType, st.Encoding = "message/global-delivery-status", "8bit"
	}
	st.Header.AddRaw("Content-Description", "Delivery report")
	root.Children = []*mime.Node{text, st}
	if r.Returned != nil {
		var ret *mime.Node
		if r.ReturnedHeadersOnly {
			ret = &mime.Node{MediaType: "text/rfc822-headers", Body: r.Returned}
			ret.Header.AddRaw("Content-Description", "Undelivered message headers")
		} else {
			// message/rfc822 must not be base64 or quoted-printable
			// (RFC 2046 §5.2.1): send it as 7bit or 8bit, lines in CRLF.
			body := toCRLF(r.Returned)
			ret = &mime.Node{MediaType: "message/rfc822", Encoding: "7bit", Body: body}
			if !isASCII(body) {
				ret.Encoding = "8bit"
			}
			ret.Header.AddRaw("Content-Description", "Undelivered message")
		}
		root.Children = append(root.Children, ret)
	}

	// The encoder uses r.Boundary as given (failing with a
	// *mime.BoundaryError when it is invalid or occurs in a part). Without
	// one it draws a boundary from its randomness: a stream seeded with a
	// hash of the content keeps the output deterministic.
	enc := &mime.Encoder{}
	if r.Boundary == "" {
		seed := sha256.New()
		for _, p := range [][]byte{status, []byte(r.Text), r.Returned} {
			var n [8]byte
			binary.BigEndian.PutUint64(n[:], uint64(len(p)))
			seed.Write(n[:])
			seed.Write(p)
		}
		enc.Rand = &hashStream{seed: seed.Sum(nil)}
	}
	var b bytes.Buffer
	if err := enc.Encode(&b, root); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrReportSyntax, err)
	}
	return b.Bytes(), nil
}

// statusBody writes the message/delivery-status content: the per-message
// group, then one group per recipient, separated by empty lines.
func (r *Report) statusBody() []byte {
	var s bytes.Buffer
	writeField(&s, "Original-Envelope-Id", r.OriginalEnvelopeID)
	writeField(&s, "Reporting-MTA", r.ReportingMTA.String())
	writeField(&s, "DSN-Gateway", r.DSNGateway.String())
	writeField(&s, "Received-From-MTA", r.ReceivedFromMTA.String())
	writeDate(&s, "Arrival-Date", r.ArrivalDate)
	for _, f := range r.MessageExtra {
		writeField(&s, f.Name, f.Value)
	}
	for _, rc := range r.Recipients {
		s.WriteString("\r\n")
		writeField(&s, "Original-Recipient", rc.OriginalRecipient.String())
		writeField(&s, "Final-Recipient", rc.FinalRecipient.String())
		writeField(&s, "Action", string(rc.Action))
		writeField(&s, "Status", rc.Status.String())
		writeField(&s, "Remote-MTA", rc.RemoteMTA.String())
		writeField(&s, "Diagnostic-Code", rc.DiagnosticCode.String())
		writeDate(&s, "Last-Attempt-Date", rc.LastAttemptDate)
		writeField(&s, "Final-Log-ID", rc.FinalLogID)
		writeDate(&s, "Will-Retry-Until", rc.WillRetryUntil)
		for _, f := range rc.Extra {
			writeField(&s, f.Name, f.Value)
		}
	}
	return s.Bytes()
}

// writeField writes a status field. ASCII values are folded at 78 columns
// by [mime.EncodeHeader] where they have spaces; other values (UTF-8 of
// RFC 6533, or text that looks like an encoded word) are written as they
// are, on one line.
func writeField(b *bytes.Buffer, name, value string) {
	if value == "" {
		return
	}
	value = oneLine(value)
	b.WriteString(name)
	b.WriteString(": ")
	if isASCII([]byte(value)) && !strings.Contains(value, "=?") && len(value) < 900 {
		b.WriteString(mime.EncodeHeader(name, value))
	} else {
		b.WriteString(value)
	}
	b.WriteString("\r\n")
}

func writeDate(b *bytes.Buffer, name string, t time.Time) {
	if !t.IsZero() {
		writeField(b, name, mime.FormatDate(t))
	}
}

// addAddressField adds From or To: ASCII as given, other text through the
// mime address formatter (RFC 2047 display names) when it parses.
func addAddressField(h *mime.Header, name, value string) {
	if value == "" {
		return
	}
	value = oneLine(value)
	if !isASCII([]byte(value)) {
		if as, err := mime.ParseAddressList(value); err == nil {
			value = mime.FormatAddressList(as)
		}
	}
	h.AddRaw(name, value)
}

// oneLine replaces CR and LF by spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// toCRLF turns every line break (CRLF, bare LF, bare CR) into CRLF.
func toCRLF(p []byte) []byte {
	p = bytes.ReplaceAll(p, []byte("\r\n"), []byte("\n"))
	p = bytes.ReplaceAll(p, []byte("\r"), []byte("\n"))
	return bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n"))
}

func isASCII(p []byte) bool {
	for _, c := range p {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// hashStream is a deterministic byte stream: SHA-256 of the seed and a
// block counter. It stands in for the encoder's randomness.
type hashStream struct {
	seed []byte
	n    uint64
	buf  []byte
}

func (s *hashStream) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		if len(s.buf) == 0 {
			h := sha256.New()
			h.Write(s.seed)
			var c [8]byte
			binary.BigEndian.PutUint64(c[:], s.n)
			h.Write(c[:])
			s.n++
			s.buf = h.Sum(nil)
		}
		k := copy(p, s.buf)
		p, s.buf, total = p[k:], s.buf[k:], total+k
	}
	return total, nil
}

// ParseReport parses a delivery status notification with the [mime]
// decoder: a multipart/report (or any multipart, nested ones included)
// with a message/delivery-status or message/global-delivery-status part,
// or a bare status body. See the package documentation for how tolerant
// it is. It returns an error wrapping [ErrNotReport] when no status part is
// found and [ErrReportSyntax] for a malformed one.
func ParseReport(msg []byte) (*Report, error) {
	if len(msg) > MaxReportSize {
		return nil, fmt.Errorf("%w: larger than %d octets", ErrReportSyntax, MaxReportSize)
	}
	opts := &mime.Options{RawCharset: true, Limits: mime.Limits{
		MaxMessageSize: MaxReportSize,
		MaxDecodedSize: 2 * MaxReportSize,
		MaxDepth:       16,
		MaxParts:       1000,
	}}
	root, err := mime.ParseBytes(msg, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrReportSyntax, err)
	}
	r := &Report{}
	h := &root.Header
	r.From, _ = h.Text("From")
	r.To, _ = h.Text("To")
	r.Subject, _ = h.Subject()
	r.Date, _ = h.Date()
	r.MessageID, _ = h.MessageID()

	switch {
	case isStatusType(root.MediaType):
		if err := r.parseStatusPart(root); err != nil {
			return nil, err
		}
		return r, nil
	case root.IsMultipart():
	case strings.HasPrefix(root.MediaType, "multipart/"):
		return nil, fmt.Errorf("%w: multipart without boundary", ErrReportSyntax)
	default:
		return nil, fmt.Errorf("%w: content type %q", ErrNotReport, root.MediaType)
	}
	r.Boundary = root.Boundary()
	found := false
	var walk func(p *mime.Part) error
	walk = func(p *mime.Part) error {
		for _, c := range p.Children {
			switch mt := c.MediaType; {
			case c.IsMultipart():
				// Descend (a text/plain + text/html alternative), but not
				// into returned messages: they may be reports themselves.
				if err := walk(c); err != nil {
					return err
				}
			case isStatusType(mt):
				if found {
					continue
				}
				if err := r.parseStatusPart(c); err != nil {
					return err
				}
				found = true
			case mt == "text/plain":
				if r.Text == "" {
					b, err := c.Bytes()
					if err != nil {
						return fmt.Errorf("%w: %w", ErrReportSyntax, err)
					}
					t, _ := mime.DecodeCharset(c.Charset(), b)
					r.Text = string(t)
				}
			case mt == "text/rfc822-headers" || mt == "message/global-headers":
				b, err := c.Bytes()
				if err != nil {
					return fmt.Errorf("%w: %w", ErrReportSyntax, err)
				}
				r.Returned, r.ReturnedHeadersOnly = b, true
			case mt == "message/rfc822" || mt == "message/global":
				r.Returned, r.ReturnedHeadersOnly = c.RawBody(), false
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: no delivery-status part", ErrNotReport)
	}
	return r, nil
}

func isStatusType(mt string) bool {
	return mt == "message/delivery-status" || mt == "message/global-delivery-status"
}

// parseStatusPart decodes a status part and reads its groups.
func (r *Report) parseStatusPart(p *mime.Part) error {
	body, err := p.Bytes()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrReportSyntax, err)
	}
	return r.parseStatus(body)
}

// parseStatus reads the groups of a message/delivery-status body; each
// group is a header section, read by the mime decoder.
func (r *Report) parseStatus(body []byte) error {
	groups := splitGroups(body)
	if len(groups) == 0 {
		return fmt.Errorf("%w: empty delivery-status", ErrReportSyntax)
	}
	if len(groups)-1 > MaxReportRecipients {
		return fmt.Errorf("%w: more than %d recipients", ErrReportSyntax, MaxReportRecipients)
	}
	fields, err := groupFields(groups[0])
	if err != nil {
		return err
	}
	for _, f := range fields {
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
			r.ArrivalDate, _ = mime.ParseDate(f.Value)
		default:
			r.MessageExtra = append(r.MessageExtra, f)
		}
	}
	for _, g := range groups[1:] {
		fields, err := groupFields(g)
		if err != nil {
			return err
		}
		var rc RecipientStatus
		for _, f := range fields {
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
				rc.LastAttemptDate, _ = mime.ParseDate(f.Value)
			case "final-log-id":
				rc.FinalLogID = f.Value
			case "will-retry-until":
				rc.WillRetryUntil, _ = mime.ParseDate(f.Value)
			default:
				rc.Extra = append(rc.Extra, f)
			}
		}
		r.Recipients = append(r.Recipients, rc)
	}
	return nil
}

// groupFields parses one status group with the mime header parser: folded
// lines are unfolded (runs of folding white space become one space) and
// lines without a colon are skipped.
func groupFields(g []byte) ([]Field, error) {
	p, err := mime.ParseBytes(g, &mime.Options{Limits: mime.Limits{MaxHeaderFields: 4 * MaxReportRecipients}})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrReportSyntax, err)
	}
	fs := p.Header.Fields()
	out := make([]Field, 0, len(fs))
	for i := range fs {
		if fs[i].Malformed {
			continue
		}
		out = append(out, Field{Name: fs[i].Name, Value: collapseSpace(fs[i].Value())})
	}
	return out, nil
}

// collapseSpace turns each run of spaces and tabs into one space.
func collapseSpace(s string) string {
	if !strings.Contains(s, "  ") && !strings.Contains(s, "\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
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
