package imap

import (
	"strconv"
	"strings"
)

// This file holds the syntax of CONDSTORE (RFC 7162 §3.1): the modifiers
// of FETCH, STORE, SELECT and EXAMINE. The MODSEQ fetch item is in
// fetch.go, the MODSEQ search key in search.go and the HIGHESTMODSEQ
// status item in listext.go.

// FetchModifiers reads the parenthesised FETCH modifiers (RFC 4466 §2.4)
// into o: CHANGEDSINCE n (RFC 7162 §3.1.4.1), which also asks for
// MODSEQ. Other modifiers are a [*SyntaxError].
func (d *Decoder) FetchModifiers(o *FetchOptions) error {
	return d.List(func() error {
		a, err := d.Atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(a) {
		case "VANISHED":
			o.Vanished = true
		case "CHANGEDSINCE":
			if err := d.SP(); err != nil {
				return err
			}
			n, err := d.Number64()
			if err != nil {
				return err
			}
			if n == 0 {
				return syntaxErr("CHANGEDSINCE must be positive")
			}
			o.ChangedSince = uint64(n)
			o.ModSeq = true
		default:
			return syntaxErr("unknown FETCH modifier %s", printable(strings.ToUpper(a)))
		}
		return nil
	})
}

// FetchModifiersString formats the FETCH modifiers of o, with a leading
// space ("" when there are none): " (CHANGEDSINCE n)" or " (CHANGEDSINCE
// n VANISHED)".
func (o *FetchOptions) FetchModifiersString() string {
	if o.ChangedSince == 0 {
		return ""
	}
	s := " (CHANGEDSINCE " + strconv.FormatUint(o.ChangedSince, 10)
	if o.Vanished {
		s += " VANISHED"
	}
	return s + ")"
}

// StoreModifiers reads the parenthesised STORE modifiers (RFC 4466 §2.5)
// into f: UNCHANGEDSINCE n (RFC 7162 §3.1.3). Other modifiers are a
// [*SyntaxError].
func (d *Decoder) StoreModifiers(f *StoreFlags) error {
	return d.List(func() error {
		a, err := d.Atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(a) {
		case "UNCHANGEDSINCE":
			if err := d.SP(); err != nil {
				return err
			}
			n, err := d.Number64()
			if err != nil {
				return err
			}
			v := uint64(n)
			f.UnchangedSince = &v
		default:
			return syntaxErr("unknown STORE modifier %s", printable(strings.ToUpper(a)))
		}
		return nil
	})
}

// SelectParams reads the parenthesised parameters of SELECT and EXAMINE
// (RFC 4466 §2.1) into o: CONDSTORE (RFC 7162 §3.1.8). Other parameters
// are a [*SyntaxError].
func (d *Decoder) SelectParams(o *SelectOptions) error {
	return d.List(func() error {
		a, err := d.Atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(a) {
		case "CONDSTORE":
			o.CondStore = true
		case "QRESYNC":
			if err := d.SP(); err != nil {
				return err
			}
			q, err := d.qresyncParams()
			if err != nil {
				return err
			}
			o.QResync = q
		default:
			return syntaxErr("unknown SELECT parameter %s", printable(strings.ToUpper(a)))
		}
		return nil
	})
}

// qresyncParams reads "(uidvalidity modseq [known-uids [(seqs uids)]])"
// (RFC 7162 §3.2.5).
func (d *Decoder) qresyncParams() (*QResyncParams, error) {
	if err := d.Expect('('); err != nil {
		return nil, err
	}
	q := &QResyncParams{}
	v, err := d.Number()
	if err != nil {
		return nil, err
	}
	if v == 0 {
		return nil, syntaxErr("QRESYNC UIDVALIDITY must be positive")
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	m, err := d.Number64()
	if err != nil {
		return nil, err
	}
	if m == 0 {
		return nil, syntaxErr("QRESYNC mod-sequence must be positive")
	}
	q.UIDValidity, q.ModSeq = v, uint64(m)
	if d.Accept(' ') {
		if b, _ := d.Peek(); b != '(' {
			if q.KnownUIDs, err = d.SeqSet(); err != nil {
				return nil, err
			}
			if !d.Accept(' ') {
				return q, d.Expect(')')
			}
		}
		if err := d.Expect('('); err != nil {
			return nil, err
		}
		if q.SeqMatchSeqs, err = d.SeqSet(); err != nil {
			return nil, err
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
		if q.SeqMatchUIDs, err = d.SeqSet(); err != nil {
			return nil, err
		}
		if err := d.Expect(')'); err != nil {
			return nil, err
		}
	}
	return q, d.Expect(')')
}

// String formats the parameter as sent in SELECT: "QRESYNC (v m ...)".
func (q *QResyncParams) String() string {
	s := "QRESYNC (" + strconv.FormatUint(uint64(q.UIDValidity), 10) + " " + strconv.FormatUint(q.ModSeq, 10)
	if len(q.KnownUIDs) > 0 {
		s += " " + q.KnownUIDs.String()
	}
	if len(q.SeqMatchSeqs) > 0 && len(q.SeqMatchUIDs) > 0 {
		s += " (" + q.SeqMatchSeqs.String() + " " + q.SeqMatchUIDs.String() + ")"
	}
	return s + ")"
}
