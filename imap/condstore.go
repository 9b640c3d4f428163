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
// space ("" when there are none): " (CHANGEDSINCE n)".
func (o *FetchOptions) FetchModifiersString() string {
	if o.ChangedSince == 0 {
		return ""
	}
	return " (CHANGEDSINCE " + strconv.FormatUint(o.ChangedSince, 10) + ")"
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
		default:
			return syntaxErr("unknown SELECT parameter %s", printable(strings.ToUpper(a)))
		}
		return nil
	})
}
