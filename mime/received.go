package mime

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// Received is a parsed Received trace field (RFC 5322 section 3.6.7, RFC
// 5321 section 4.4). From and By hold the host as written (the first word
// of the clause: a domain, an address literal or whatever the MTA wrote
// there, without a trailing ',' or ';'); further words before the next
// clause keyword are not part of RFC 5321's syntax and are dropped. The
// other clause values are kept as written, with comments removed; the
// comment after "from" (typically the TCP-info of the client, "host [ip]")
// is kept in FromComment.
type Received struct {
	// From, FromComment, By, Via, With, ID and For are the values of the
	// "from" clause (host), the comment after it, and the "by", "via",
	// "with", "id" and "for" clauses (RFC 5321 section 4.4); For has
	// angle brackets removed. A missing clause leaves its field empty.
	From, FromComment, By, Via, With, ID, For string
	// Date is the date-time after the ';', zero if missing or invalid.
	Date time.Time
}

// ParseReceived parses a Received field value. Unknown clauses are
// skipped; a missing or bad date leaves Date zero and returns a
// [*SyntaxError] with the clauses filled in.
func ParseReceived(v string) (Received, error) {
	var r Received
	s := v
	datePart := ""
	if k := strings.LastIndexByte(s, ';'); k >= 0 {
		s, datePart = s[:k], s[k+1:]
	}
	// tokens with comments attached to the preceding clause
	var key string
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '(':
			j := skipComment(s, i)
			if key == "from" && r.FromComment == "" {
				r.FromComment = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s[i:j], "("), ")"))
			}
			i = j
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && s[j] != '\n' && s[j] != '(' {
				j++
			}
			w := s[i:j]
			i = j
			lw := strings.ToLower(w)
			switch lw {
			case "from", "by", "via", "with", "id", "for":
				key = lw
				// a second "from"/"by" (qmail-scanner writes "by host by
				// uid 7791") does not replace the first host
				if lw == "from" && r.From != "" || lw == "by" && r.By != "" {
					key = ""
				}
				continue
			}
			switch key {
			case "from":
				// RFC 5321 section 4.4: From-domain and By-domain are one
				// Extended-Domain (a domain or address literal, then an
				// optional TCP-info comment); words after it that are not
				// a clause keyword ("host [ip]" without parentheses,
				// "host <queue-id>", "host, id") are not the host.
				if r.From == "" {
					r.From = trimHostPunct(w)
				}
			case "by":
				if r.By == "" {
					r.By = trimHostPunct(w)
				}
			case "via":
				r.Via = appendWord(r.Via, w)
			case "with":
				r.With = appendWord(r.With, w)
			case "id":
				r.ID = appendWord(r.ID, w)
			case "for":
				r.For = appendWord(r.For, strings.Trim(w, "<>"))
			}
		}
	}
	if strings.TrimSpace(datePart) == "" {
		return r, syntaxErr("received", v, -1, "no date")
	}
	d, err := ParseDate(datePart)
	if err != nil {
		return r, err
	}
	r.Date = d
	return r, nil
}

// trimHostPunct removes the separators some MTAs glue to the host name
// ("by host, id x"); neither ',' nor ';' can occur in a domain or an
// address literal.
func trimHostPunct(w string) string { return strings.TrimRight(w, ",;") }

func appendWord(a, w string) string {
	if a == "" {
		return w
	}
	return a + " " + w
}

// String formats r as a Received field value, folded one clause per line.
func (r Received) String() string {
	var parts []string
	if r.From != "" {
		f := "from " + r.From
		if r.FromComment != "" {
			f += " (" + r.FromComment + ")"
		}
		parts = append(parts, f)
	}
	for _, kv := range [][2]string{{"by", r.By}, {"via", r.Via}, {"with", r.With}, {"id", r.ID}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	if r.For != "" {
		parts = append(parts, "for <"+r.For+">")
	}
	d := r.Date
	if d.IsZero() {
		d = time.Unix(0, 0).UTC()
	}
	return strings.Join(parts, "\r\n\t") + ";\r\n\t" + FormatDate(d)
}

// Received returns every Received field of h parsed, topmost (most recent)
// first; fields that fail to parse are returned with what could be parsed.
func (h *Header) Received() []Received {
	var out []Received
	for _, v := range h.Values("Received") {
		r, _ := ParseReceived(v)
		out = append(out, r)
	}
	return out
}

// ThreadIndex is a decoded Thread-Index field (Microsoft Exchange/Outlook,
// [MS-OXOMSG] 2.2.1.3): a 22-byte header holding a FILETIME timestamp and
// a GUID, followed by 5-byte child blocks.
type ThreadIndex struct {
	Time     time.Time // time of the conversation's first message (UTC)
	GUID     string    // canonical 8-4-4-4-12 form
	Children int       // number of 5-byte child blocks (replies/forwards)
}

// ParseThreadIndex decodes a base64 Thread-Index value.
func ParseThreadIndex(v string) (ThreadIndex, error) {
	b, err := base64.StdEncoding.DecodeString(stripWS(v))
	if err != nil || len(b) < 22 || (len(b)-22)%5 != 0 {
		return ThreadIndex{}, syntaxErr("thread index", v, -1, "not 22+5n base64 bytes")
	}
	// The header holds the 6 most significant bytes of a FILETIME
	// (100 ns ticks since 1601-01-01), big endian.
	var ft [8]byte
	copy(ft[:6], b[:6])
	ticks := binary.BigEndian.Uint64(ft[:])
	const epochDiff = 116444736000000000 // 1601 -> 1970 in 100 ns ticks
	var t time.Time
	if ticks >= epochDiff {
		d := ticks - epochDiff
		t = time.Unix(int64(d/1e7), int64(d%1e7)*100).UTC()
	}
	g := b[6:22]
	guid := fmt.Sprintf("%08x-%04x-%04x-%x-%x",
		binary.LittleEndian.Uint32(g[0:4]), binary.LittleEndian.Uint16(g[4:6]),
		binary.LittleEndian.Uint16(g[6:8]), g[8:10], g[10:16])
	return ThreadIndex{Time: t, GUID: guid, Children: (len(b) - 22) / 5}, nil
}

// ThreadTopic returns the decoded Thread-Topic field.
func (h *Header) ThreadTopic() (string, error) { return h.Text("Thread-Topic") }

// ThreadIndex decodes the Thread-Index field.
func (h *Header) ThreadIndex() (ThreadIndex, error) {
	return ParseThreadIndex(h.Get("Thread-Index"))
}
