package tlsutil

import (
	"errors"
	"fmt"
	"io"
)

// ldapStartTLSOID is the StartTLS extended operation (RFC 4511 4.14.1).
const ldapStartTLSOID = "1.3.6.1.4.1.1466.20037"

// ldapNoticeOfDisconnection is the unsolicited notification a server sends
// before closing (RFC 4511 4.4.1).
const ldapNoticeOfDisconnection = "1.3.6.1.4.1.1466.20036"

const maxLDAPMessage = 64 << 10

// ldapStartTLSRequest encodes
//
//	LDAPMessage ::= SEQUENCE { messageID 1, [APPLICATION 23] ExtendedRequest { [0] requestName } }
func ldapStartTLSRequest(id byte) []byte {
	oid := []byte(ldapStartTLSOID)
	ext := append([]byte{0x80, byte(len(oid))}, oid...)   // [0] LDAPOID, primitive
	op := append([]byte{0x77, byte(len(ext))}, ext...)    // [APPLICATION 23], constructed
	body := append([]byte{0x02, 0x01, id}, op...)         // messageID INTEGER
	return append([]byte{0x30, byte(len(body))}, body...) // SEQUENCE
}

var errBER = errors.New("tlsutil: malformed LDAP message")

// berElement is one decoded tag-length-value.
type berElement struct {
	tag   byte
	value []byte
}

// parseBER splits the first element off b. Only single-byte tags and
// definite lengths (as LDAP requires, RFC 4511 5.1) are accepted.
func parseBER(b []byte) (berElement, []byte, error) {
	if len(b) < 2 {
		return berElement{}, nil, errBER
	}
	tag := b[0]
	if tag&0x1f == 0x1f {
		return berElement{}, nil, errBER
	}
	n, hdr, err := berLength(b[1:])
	if err != nil {
		return berElement{}, nil, err
	}
	start := 1 + hdr
	if n > len(b)-start {
		return berElement{}, nil, errBER
	}
	return berElement{tag: tag, value: b[start : start+n]}, b[start+n:], nil
}

// berLength decodes a definite length; hdr is the number of bytes used.
func berLength(b []byte) (n, hdr int, err error) {
	if len(b) == 0 {
		return 0, 0, errBER
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, nil
	}
	k := int(b[0] & 0x7f)
	if k == 0 || k > 3 || len(b) < 1+k {
		return 0, 0, errBER // indefinite form, or longer than we accept
	}
	for _, c := range b[1 : 1+k] {
		n = n<<8 | int(c)
	}
	return n, 1 + k, nil
}

func berInt(e berElement, tag byte) (int, error) {
	if e.tag != tag || len(e.value) == 0 || len(e.value) > 4 {
		return 0, errBER
	}
	v := 0
	if e.value[0]&0x80 != 0 {
		v = -1
	}
	for _, c := range e.value {
		v = v<<8 | int(c)
	}
	return v, nil
}

// readLDAPMessage reads one complete LDAPMessage from the dialogue reader.
func (d *dialogue) readLDAPMessage() ([]byte, error) {
	hdr := make([]byte, 2, 6)
	if _, err := io.ReadFull(d.r, hdr); err != nil {
		return nil, err
	}
	if hdr[0] != 0x30 {
		return nil, d.fail(fmt.Errorf("%w: tag 0x%02x", ErrBadReply, hdr[0]))
	}
	if hdr[1] >= 0x80 {
		k := int(hdr[1] & 0x7f)
		if k == 0 || k > 3 {
			return nil, d.fail(ErrBadReply)
		}
		hdr = hdr[:2+k]
		if _, err := io.ReadFull(d.r, hdr[2:]); err != nil {
			return nil, err
		}
	}
	n, _, err := berLength(hdr[1:])
	if err != nil {
		return nil, d.fail(ErrBadReply)
	}
	if n > maxLDAPMessage {
		return nil, d.fail(ErrReplyTooLong)
	}
	msg := make([]byte, len(hdr)+n)
	copy(msg, hdr)
	if _, err := io.ReadFull(d.r, msg[len(hdr):]); err != nil {
		return nil, err
	}
	return msg, nil
}

// ldapExtendedResult decodes an LDAPMessage carrying an ExtendedResponse.
func ldapExtendedResult(msg []byte) (id, code int, diag, name string, err error) {
	seq, _, err := parseBER(msg)
	if err != nil || seq.tag != 0x30 {
		return 0, 0, "", "", errBER
	}
	idEl, rest, err := parseBER(seq.value)
	if err != nil {
		return 0, 0, "", "", err
	}
	if id, err = berInt(idEl, 0x02); err != nil {
		return 0, 0, "", "", err
	}
	op, _, err := parseBER(rest) // controls, if any, are ignored
	if err != nil {
		return 0, 0, "", "", err
	}
	if op.tag != 0x78 { // [APPLICATION 24] ExtendedResponse
		return 0, 0, "", "", fmt.Errorf("%w: protocol op 0x%02x", errBER, op.tag)
	}
	codeEl, rest, err := parseBER(op.value)
	if err != nil {
		return 0, 0, "", "", err
	}
	if code, err = berInt(codeEl, 0x0a); err != nil {
		return 0, 0, "", "", err
	}
	dn, rest, err := parseBER(rest)
	if err != nil || dn.tag != 0x04 {
		return 0, 0, "", "", errBER
	}
	msgEl, rest, err := parseBER(rest)
	if err != nil || msgEl.tag != 0x04 {
		return 0, 0, "", "", errBER
	}
	diag = string(msgEl.value)
	for len(rest) > 0 {
		var e berElement
		if e, rest, err = parseBER(rest); err != nil {
			return 0, 0, "", "", err
		}
		if e.tag == 0x8a { // [10] responseName
			name = string(e.value)
		}
	}
	return id, code, diag, name, nil
}

func (d *dialogue) ldap() error {
	d.stage = "starttls"
	if _, err := d.conn.Write(ldapStartTLSRequest(1)); err != nil {
		return err
	}
	msg, err := d.readLDAPMessage()
	if err != nil {
		return err
	}
	id, code, diag, name, err := ldapExtendedResult(msg)
	d.last = diag
	if len(d.last) > 512 {
		d.last = d.last[:512]
	}
	if err != nil {
		return d.fail(fmt.Errorf("%w: %w", ErrBadReply, err))
	}
	if id == 0 && name == ldapNoticeOfDisconnection {
		return d.fail(ErrStartTLSRefused)
	}
	if id != 1 {
		return d.fail(fmt.Errorf("%w: message id %d", ErrBadReply, id))
	}
	switch code {
	case 0:
		return nil
	case 2: // protocolError: operation not recognised
		return d.fail(fmt.Errorf("%w: result code %d", ErrStartTLSUnsupported, code))
	}
	return d.fail(fmt.Errorf("%w: result code %d", ErrStartTLSRefused, code))
}
