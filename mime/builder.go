package mime

import (
	"bytes"
	"io"
	"strings"
	"time"
)

// Attachment is a file attached to or inlined in a message.
type Attachment struct {
	// FileName is written as the Content-Disposition filename (RFC 2231
	// for non-ASCII) and the Content-Type name parameter.
	FileName string
	// ContentType defaults to application/octet-stream.
	ContentType string
	// ContentID (without angle brackets) lets HTML refer to an inline part
	// as "cid:<ContentID>".
	ContentID string
	// Data is the content.
	Data []byte
}

// Message describes what mail clients send: a plain-text body, an optional
// HTML alternative, inline parts referenced from the HTML by Content-ID,
// and attachments. [Message.Node] turns it into the usual nesting:
//
//	multipart/mixed
//	  multipart/related
//	    multipart/alternative
//	      text/plain
//	      text/html
//	    inline parts
//	  attachments
//
// with single-child containers collapsed. For other structures build a
// [Node] tree yourself.
type Message struct {
	// From, To, Cc and ReplyTo are written as the From, To, Cc and
	// Reply-To fields (RFC 5322 section 3.6.2/3.6.3); an empty list omits
	// the field. The first From address also supplies the domain of a
	// generated MessageID.
	From, To, Cc, ReplyTo []Address
	// Subject is written as the Subject field, RFC 2047-encoded when it
	// is not ASCII.
	Subject string
	// Date defaults to Encoder.Now().
	Date time.Time
	// MessageID (without angle brackets) defaults to a random one at the
	// domain of the first From address.
	MessageID string
	// InReplyTo lists msg-ids (without angle brackets) for the
	// In-Reply-To field (RFC 5322 section 3.6.4); nil omits the field.
	InReplyTo []string
	// Header holds extra fields, written after the standard ones.
	Header Header
	// Text is the text/plain body. It is sent on its own when HTML is
	// empty (even if Text is empty too), and omitted when only HTML is
	// set.
	Text string
	// HTML is the text/html body; with Text non-empty both go into a
	// multipart/alternative.
	HTML string
	// Inline parts (e.g. images referenced by "cid:" from HTML) go with
	// the body into a multipart/related, with Content-Disposition inline.
	Inline []Attachment
	// Attachments go with the body into a multipart/mixed, with
	// Content-Disposition attachment.
	Attachments []Attachment
}

// Node returns the body structure of m.
func (m *Message) Node() *Node {
	var body *Node
	text := &Node{MediaType: "text/plain", Body: []byte(m.Text)}
	if m.HTML != "" {
		html := &Node{MediaType: "text/html", Body: []byte(m.HTML)}
		if m.Text == "" {
			body = html
		} else {
			body = &Node{MediaType: "multipart/alternative", Children: []*Node{text, html}}
		}
	} else {
		body = text
	}
	if len(m.Inline) > 0 {
		rel := &Node{MediaType: "multipart/related", Children: []*Node{body}}
		for _, a := range m.Inline {
			rel.Children = append(rel.Children, a.node("inline"))
		}
		body = rel
	}
	if len(m.Attachments) > 0 {
		mix := &Node{MediaType: "multipart/mixed", Children: []*Node{body}}
		for _, a := range m.Attachments {
			mix.Children = append(mix.Children, a.node("attachment"))
		}
		body = mix
	}
	return body
}

func (a Attachment) node(disp string) *Node {
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	mt, params, _ := ParseMediaType(ct)
	if params == nil {
		params = map[string]string{}
	}
	n := &Node{MediaType: mt, Params: params, Body: a.Data}
	dparams := map[string]string{}
	if a.FileName != "" {
		params["name"] = a.FileName
		dparams["filename"] = a.FileName
	}
	n.Header.AddRaw("Content-Disposition", formatMediaType(disp, dparams))
	if a.ContentID != "" {
		n.Header.AddRaw("Content-ID", "<"+a.ContentID+">")
	}
	return n
}

// WriteMessage writes m as an RFC 5322 message with MIME-Version 1.0,
// CRLF line breaks and no line longer than 998 octets.
func (e *Encoder) WriteMessage(w io.Writer, m *Message) error {
	var h Header
	date := m.Date
	if date.IsZero() {
		date = e.now()
	}
	h.AddRaw("Date", FormatDate(date))
	if len(m.From) > 0 {
		h.AddRaw("From", foldAddressList("From", m.From))
	}
	if len(m.To) > 0 {
		h.AddRaw("To", foldAddressList("To", m.To))
	}
	if len(m.Cc) > 0 {
		h.AddRaw("Cc", foldAddressList("Cc", m.Cc))
	}
	if len(m.ReplyTo) > 0 {
		h.AddRaw("Reply-To", foldAddressList("Reply-To", m.ReplyTo))
	}
	h.Add("Subject", m.Subject)
	id := m.MessageID
	if id == "" {
		r, err := e.random(16)
		if err != nil {
			return err
		}
		dom := "mailkit.invalid"
		if len(m.From) > 0 {
			if at := strings.LastIndexByte(m.From[0].Address, '@'); at >= 0 && at+1 < len(m.From[0].Address) {
				dom = m.From[0].Address[at+1:]
			}
		}
		id = r + "@" + dom
	}
	h.AddRaw("Message-ID", "<"+id+">")
	if len(m.InReplyTo) > 0 {
		h.AddRaw("In-Reply-To", "<"+strings.Join(m.InReplyTo, ">\r\n <")+">")
	}
	h.AddRaw("MIME-Version", "1.0")
	h.fields = append(h.fields, m.Header.fields...)
	var buf bytes.Buffer
	if err := e.encodeNode(&buf, m.Node(), &h); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// foldAddressList formats addresses, one per folded line when long.
func foldAddressList(name string, as []Address) string {
	var b strings.Builder
	col := len(name) + 2
	for i, a := range as {
		s := FormatAddress(a)
		if i > 0 {
			b.WriteString(",")
			col++
			if col+1+len(s) > foldWidth {
				b.WriteString("\r\n")
				col = 0
			}
			b.WriteString(" ")
			col++
		}
		b.WriteString(s)
		if k := strings.LastIndex(s, "\r\n"); k >= 0 {
			col = len(s) - k - 2
		} else {
			col += len(s)
		}
	}
	return b.String()
}
