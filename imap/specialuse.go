package imap

// SpecialUseAttrs are the special-use mailbox attributes of RFC 6154 §2,
// in the order the RFC lists them.
var SpecialUseAttrs = []MailboxAttr{AttrAll, AttrArchive, AttrDrafts, AttrFlagged, AttrJunk, AttrSent, AttrTrash}

// SpecialUseAttr returns the canonical spelling of a when it is one of
// the special-use attributes of RFC 6154 (attributes compare
// case-insensitively), and false otherwise.
func SpecialUseAttr(a MailboxAttr) (MailboxAttr, bool) {
	for _, s := range SpecialUseAttrs {
		if equalFold(string(a), string(s)) {
			return s, true
		}
	}
	return a, false
}

// IsSpecialUse reports whether a is a special-use attribute (RFC 6154).
func IsSpecialUse(a MailboxAttr) bool {
	_, ok := SpecialUseAttr(a)
	return ok
}

// CreateOptions are the options of CREATE.
type CreateOptions struct {
	// SpecialUse are the special-use attributes the new mailbox gets
	// (CREATE-SPECIAL-USE, RFC 6154 §3: "CREATE name (USE (\Sent))");
	// nil: none.
	SpecialUse []MailboxAttr
}

// maxUseAttrs bounds the attributes of one USE create-param.
const maxUseAttrs = 32

// CreateOptions reads the create-params of CREATE (RFC 4466 §2.2), after
// the space that follows the mailbox name: "(" create-param *(SP
// create-param) ")". The only parameter known is USE (RFC 6154 §3), whose
// attributes are returned as sent, special-use or not; any other
// parameter is a [*SyntaxError].
func (d *Decoder) CreateOptions() (*CreateOptions, error) {
	o := &CreateOptions{}
	n := 0
	err := d.List(func() error {
		n++
		a, err := d.Atom()
		if err != nil {
			return err
		}
		if !equalFold(a, "USE") {
			return syntaxErr("unknown CREATE parameter %q", printable(a))
		}
		if err := d.SP(); err != nil {
			return err
		}
		return d.List(func() error {
			if len(o.SpecialUse) >= maxUseAttrs {
				return syntaxErr("more than %d USE attributes", maxUseAttrs)
			}
			if err := d.Expect('\\'); err != nil {
				return err
			}
			a, err := d.Atom()
			if err != nil {
				return err
			}
			o.SpecialUse = append(o.SpecialUse, MailboxAttr(`\`+a))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, syntaxErr("empty CREATE parameter list")
	}
	return o, nil
}
