package imap

import (
	"bufio"
	"reflect"
	"strings"
	"testing"
)

// FuzzListCommand parses the arguments of LIST (RFC 5258 extended syntax,
// RFC 6154, RFC 5819) and of CREATE; what parses must format and parse
// back to the same command.
func FuzzListCommand(f *testing.F) {
	for _, s := range []string{
		` "" %`, ` () "" %`, ` (SUBSCRIBED) "" "*"`, ` () "" "%" RETURN (CHILDREN)`,
		` (REMOTE SUBSCRIBED) "" "*"`, ` (REMOTE) "" "*" RETURN (SUBSCRIBED)`,
		` "" ("INBOX" "Drafts" "Sent/%")`, ` (SUBSCRIBED RECURSIVEMATCH) "" "*2"`,
		` (SPECIAL-USE) "" "*" RETURN (SPECIAL-USE)`, ` "" % RETURN (STATUS (MESSAGES UNSEEN))`,
		` (RECURSIVEMATCH) "" *`, ` "" * RETURN (STATUS ())`, " \"\" {3+}\r\na b",
		` ref ({1+}` + "\r\nx" + ` *) return (status (size deleted) children)`,
		`(USE (\Sent))`, `(USE (\Drafts \Junk))`, `(USE ())`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := NewDecoder(bufio.NewReader(strings.NewReader(s+"\r\n")), smallLimits())
		if l, err := d.ListCommand(); err == nil {
			out := l.String()
			again, err := NewDecoder(bufio.NewReader(strings.NewReader(" "+out+"\r\n")), nil).ListCommand()
			if err != nil {
				t.Fatalf("%q -> %q: %v", s, out, err)
			}
			if !reflect.DeepEqual(l, again) {
				t.Fatalf("%q -> %q -> %+v, want %+v", s, out, again, l)
			}
		}
		d = NewDecoder(bufio.NewReader(strings.NewReader(s+"\r\n")), smallLimits())
		if o, err := d.CreateOptions(); err == nil && len(o.SpecialUse) > maxUseAttrs {
			t.Fatalf("%d USE attributes", len(o.SpecialUse))
		}
	})
}
