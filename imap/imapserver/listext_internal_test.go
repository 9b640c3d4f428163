package imapserver

import (
	"bufio"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailkit-go/mailkit/imap"
)

// rfc5258Boxes is the hierarchy of RFC 5258 §5 examples 1-6: Fruit/Peach
// was subscribed and then deleted.
func rfc5258Boxes() *Mailboxes {
	return &Mailboxes{
		List: []MailboxInfo{
			{Name: "INBOX", NoInferiors: true}, {Name: "Fruit"}, {Name: "Fruit/Apple"},
			{Name: "Fruit/Banana"}, {Name: "Tofu"}, {Name: "Vegetable"},
			{Name: "Vegetable/Broccoli"}, {Name: "Vegetable/Corn"},
		},
		Subscribed: []string{"INBOX", "Fruit/Banana", "Fruit/Peach", "Vegetable", "Vegetable/Broccoli"},
	}
}

// rfc5258Ex9Boxes is the hierarchy of RFC 5258 §5 example 9.
func rfc5258Ex9Boxes() *Mailboxes {
	m := &Mailboxes{Subscribed: []string{"Foo2/Bar1", "Foo2/Bar2", "Baz2/Bar2", "Baz2/Bar22", "Baz2/Bar222", "Eps2", "Eps2/Mamba", "Qux2/Bar2"}}
	for _, n := range []string{"Foo2", "Foo2/Bar1", "Foo2/Bar2", "Baz2", "Baz2/Bar2", "Baz2/Bar22", "Baz2/Bar222", "Eps2", "Eps2/Mamba", "Qux2/Bar2"} {
		m.List = append(m.List, MailboxInfo{Name: n})
	}
	return m
}

func specialBoxes() *Mailboxes {
	return &Mailboxes{
		List: []MailboxInfo{
			{Name: "INBOX"}, {Name: "Sent", SpecialUse: []imap.MailboxAttr{imap.AttrSent}},
			{Name: "Archive", SpecialUse: []imap.MailboxAttr{`\archive`}},
			{Name: "Archive/2024"}, {Name: "Work"},
			{Name: "Work/Trash", SpecialUse: []imap.MailboxAttr{imap.AttrTrash, imap.AttrTrash}},
		},
		Subscribed: []string{"INBOX", "Sent"},
	}
}

// parseList parses the arguments of a LIST command as the server does.
func parseList(t *testing.T, args string) *imap.ListCommand {
	t.Helper()
	d := imap.NewDecoder(bufio.NewReader(strings.NewReader(" "+args+"\r\n")), nil)
	cmd, err := d.ListCommand()
	require.NoError(t, err)
	require.NoError(t, d.CRLF())
	return cmd
}

// render gives each listed mailbox as "name (attrs sorted)" plus
// " CHILDINFO(...)".
func render(out []*imap.ListData) []string {
	var lines []string
	for _, d := range out {
		attrs := make([]string, len(d.Attrs))
		for i, a := range d.Attrs {
			attrs[i] = string(a)
		}
		slices.Sort(attrs)
		l := d.Mailbox + " (" + strings.Join(attrs, " ") + ")"
		if len(d.ChildInfo) > 0 {
			l += " CHILDINFO(" + strings.Join(d.ChildInfo, " ") + ")"
		}
		lines = append(lines, l)
	}
	return lines
}

// TestComputeListRFC5258 runs the examples of RFC 5258 §5 (and RFC 6154
// §5) against computeList. Where the RFC leaves \HasChildren and
// \HasNoChildren out, the server still sends them (CHILDREN is announced
// and RFC 5258 §4 allows them without the return option); \Marked is
// never sent.
func TestComputeListRFC5258(t *testing.T) {
	t.Parallel()
	ex1 := []string{"Fruit (\\HasChildren)", "INBOX (\\Noinferiors)", "Tofu (\\HasNoChildren)", "Vegetable (\\HasChildren)"}
	ex2 := []string{
		"Fruit/Banana (\\HasNoChildren \\Subscribed)", "Fruit/Peach (\\NonExistent \\Subscribed)",
		"INBOX (\\Noinferiors \\Subscribed)", "Vegetable (\\HasChildren \\Subscribed)",
		"Vegetable/Broccoli (\\HasNoChildren \\Subscribed)",
	}
	tests := []struct {
		name  string
		boxes func() *Mailboxes
		args  string
		want  []string
	}{
		{"example 1 basic LIST %", rfc5258Boxes, `"" %`, ex1},
		{"example 1 LIST () %", rfc5258Boxes, `() "" %`, ex1},
		{"example 1 LIST *", rfc5258Boxes, `"" *`, []string{
			"Fruit (\\HasChildren)", "Fruit/Apple (\\HasNoChildren)", "Fruit/Banana (\\HasNoChildren)",
			"INBOX (\\Noinferiors)", "Tofu (\\HasNoChildren)", "Vegetable (\\HasChildren)",
			"Vegetable/Broccoli (\\HasNoChildren)", "Vegetable/Corn (\\HasNoChildren)",
		}},
		{"example 2 SUBSCRIBED", rfc5258Boxes, `(SUBSCRIBED) "" "*"`, ex2},
		{"example 3 RETURN (CHILDREN)", rfc5258Boxes, `() "" "%" RETURN (CHILDREN)`, ex1},
		{"example 5 REMOTE SUBSCRIBED (no remote mailboxes)", rfc5258Boxes, `(REMOTE SUBSCRIBED) "" "*"`, ex2},
		{"example 6 RETURN (SUBSCRIBED)", rfc5258Boxes, `() "" "*" RETURN (SUBSCRIBED)`, []string{
			"Fruit (\\HasChildren)", "Fruit/Apple (\\HasNoChildren)", "Fruit/Banana (\\HasNoChildren \\Subscribed)",
			"INBOX (\\Noinferiors \\Subscribed)", "Tofu (\\HasNoChildren)", "Vegetable (\\HasChildren \\Subscribed)",
			"Vegetable/Broccoli (\\HasNoChildren \\Subscribed)", "Vegetable/Corn (\\HasNoChildren)",
		}},
		{"example 7 several patterns", func() *Mailboxes {
			m := &Mailboxes{}
			for _, n := range []string{"INBOX", "Drafts", "Sent", "Sent/March2004", "Sent/December2003", "Sent/August2004"} {
				m.List = append(m.List, MailboxInfo{Name: n})
			}
			return m
		}, `"" ("INBOX" "Drafts" "Sent/%")`, []string{
			"Drafts (\\HasNoChildren)", "INBOX (\\HasNoChildren)", "Sent/August2004 (\\HasNoChildren)",
			"Sent/December2003 (\\HasNoChildren)", "Sent/March2004 (\\HasNoChildren)",
		}},
		{"example 8 RETURN (CHILDREN)", func() *Mailboxes {
			return &Mailboxes{List: []MailboxInfo{{Name: "Foo"}, {Name: "Foo/Bar"}, {Name: "Foo/Baz"}, {Name: "Moo"}}}
		}, `"" "%" RETURN (CHILDREN)`, []string{"Foo (\\HasChildren)", "Moo (\\HasNoChildren)"}},
		{"example 9 RECURSIVEMATCH", rfc5258Ex9Boxes, `(SUBSCRIBED RECURSIVEMATCH) "" "*2"`, []string{
			"Baz2/Bar2 (\\HasNoChildren \\Subscribed)", "Baz2/Bar22 (\\HasNoChildren \\Subscribed)",
			"Baz2/Bar222 (\\HasNoChildren \\Subscribed)", "Eps2 (\\HasChildren \\Subscribed) CHILDINFO(SUBSCRIBED)",
			"Foo2 (\\HasChildren) CHILDINFO(SUBSCRIBED)", "Foo2/Bar2 (\\HasNoChildren \\Subscribed)",
			"Qux2/Bar2 (\\HasNoChildren \\Subscribed)",
		}},
		{"example 9 without RECURSIVEMATCH", rfc5258Ex9Boxes, `(SUBSCRIBED) "" "*2"`, []string{
			"Baz2/Bar2 (\\HasNoChildren \\Subscribed)", "Baz2/Bar22 (\\HasNoChildren \\Subscribed)",
			"Baz2/Bar222 (\\HasNoChildren \\Subscribed)", "Eps2 (\\HasChildren \\Subscribed)",
			"Foo2/Bar2 (\\HasNoChildren \\Subscribed)", "Qux2/Bar2 (\\HasNoChildren \\Subscribed)",
		}},
		{"RECURSIVEMATCH % lists parents, a missing one as \\NonExistent", rfc5258Ex9Boxes, `(SUBSCRIBED RECURSIVEMATCH) "" "%"`, []string{
			"Baz2 (\\HasChildren) CHILDINFO(SUBSCRIBED)", "Eps2 (\\HasChildren \\Subscribed) CHILDINFO(SUBSCRIBED)",
			"Foo2 (\\HasChildren) CHILDINFO(SUBSCRIBED)", "Qux2 (\\HasChildren \\NonExistent) CHILDINFO(SUBSCRIBED)",
		}},
		{"basic LIST % shows a missing level as \\Noselect", rfc5258Ex9Boxes, `"" "Q%"`, []string{"Qux2 (\\HasChildren \\Noselect)"}},
		{"extended LIST % shows a missing level as \\NonExistent", rfc5258Ex9Boxes, `"" ("Q%")`, []string{"Qux2 (\\HasChildren \\NonExistent)"}},
		{"reference is prepended", rfc5258Boxes, `Fruit/ %`, []string{"Fruit/Apple (\\HasNoChildren)", "Fruit/Banana (\\HasNoChildren)"}},
		{"a mailbox matching two patterns is listed once", rfc5258Boxes, `"" (Tofu T* *u)`, []string{"Tofu (\\HasNoChildren)"}},
		{"RFC 6154 example: special-use attributes on a basic LIST", specialBoxes, `"" "*"`, []string{
			"Archive (\\Archive \\HasChildren)", "Archive/2024 (\\HasNoChildren)", "INBOX (\\HasNoChildren)",
			"Sent (\\HasNoChildren \\Sent)", "Work (\\HasChildren)", "Work/Trash (\\HasNoChildren \\Trash)",
		}},
		{"RFC 6154 SPECIAL-USE selection", specialBoxes, `(SPECIAL-USE) "" "*"`, []string{
			"Archive (\\Archive \\HasChildren)", "Sent (\\HasNoChildren \\Sent)", "Work/Trash (\\HasNoChildren \\Trash)",
		}},
		{"SPECIAL-USE with RECURSIVEMATCH", specialBoxes, `(SPECIAL-USE RECURSIVEMATCH) "" "%"`, []string{
			"Archive (\\Archive \\HasChildren)", "Sent (\\HasNoChildren \\Sent)", "Work (\\HasChildren) CHILDINFO(SPECIAL-USE)",
		}},
		{"SUBSCRIBED and SPECIAL-USE together", specialBoxes, `(SUBSCRIBED SPECIAL-USE) "" "*" RETURN (SPECIAL-USE)`, []string{
			"Sent (\\HasNoChildren \\Sent \\Subscribed)",
		}},
		{"nothing matches", rfc5258Boxes, `"" "Nope*"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := parseList(t, tt.args)
			ref, err := mailboxName(cmd.Ref)
			require.NoError(t, err)
			o := cmd.Options.Implied()
			got := render(computeList(tt.boxes(), ref, cmd.Patterns, &o, cmd.Extended))
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestWriteListData(t *testing.T) {
	t.Parallel()
	var sb strings.Builder
	w := bufio.NewWriter(&sb)
	e := imap.NewEncoder(w)
	writeListData(e, &imap.ListData{Mailbox: "Fo o", Delim: '/', Attrs: []imap.MailboxAttr{imap.AttrHasChildren}, ChildInfo: []string{"SUBSCRIBED"}})
	writeListData(e, &imap.ListData{Mailbox: "Entwürfe", Attrs: []imap.MailboxAttr{imap.AttrDrafts}})
	require.NoError(t, w.Flush())
	assert.Equal(t, "* LIST (\\HasChildren) \"/\" \"Fo o\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n* LIST (\\Drafts) NIL Entw&APw-rfe\r\n", sb.String())
}
