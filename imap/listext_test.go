package imap

import (
	"bufio"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseListArgs(s string) (*ListCommand, error) {
	d := NewDecoder(bufio.NewReader(strings.NewReader(s+"\r\n")), smallLimits())
	l, err := d.ListCommand()
	if err != nil {
		return nil, err
	}
	return l, d.CRLF()
}

// TestListCommand parses the LIST commands of RFC 5258 §5, RFC 6154 §5
// and RFC 5819 §2 and formats them back.
func TestListCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want ListCommand
		out  string
	}{
		{"RFC 5258 example 1 basic", ` "" %`, ListCommand{Patterns: []string{"%"}}, `"" %`},
		{"RFC 5258 example 1 empty selection", ` () "" %`, ListCommand{Patterns: []string{"%"}, Extended: true}, `"" (%)`},
		{"RFC 5258 example 2", ` (SUBSCRIBED) "" "*"`, ListCommand{Patterns: []string{"*"}, Options: ListOptions{SelectSubscribed: true}, Extended: true}, `(SUBSCRIBED) "" (*)`},
		{"RFC 5258 example 3", ` () "" "%" RETURN (CHILDREN)`, ListCommand{Patterns: []string{"%"}, Options: ListOptions{ReturnChildren: true}, Extended: true}, `"" (%) RETURN (CHILDREN)`},
		{"RFC 5258 example 4", ` (REMOTE) "" "%" RETURN (CHILDREN)`, ListCommand{Patterns: []string{"%"}, Options: ListOptions{SelectRemote: true, ReturnChildren: true}, Extended: true}, `(REMOTE) "" (%) RETURN (CHILDREN)`},
		{"RFC 5258 example 5", ` (REMOTE SUBSCRIBED) "" "*"`, ListCommand{Patterns: []string{"*"}, Options: ListOptions{SelectRemote: true, SelectSubscribed: true}, Extended: true}, `(SUBSCRIBED REMOTE) "" (*)`},
		{"RFC 5258 example 6", ` (REMOTE) "" "*" RETURN (SUBSCRIBED)`, ListCommand{Patterns: []string{"*"}, Options: ListOptions{SelectRemote: true, ReturnSubscribed: true}, Extended: true}, `(REMOTE) "" (*) RETURN (SUBSCRIBED)`},
		{"RFC 5258 example 7", ` "" ("INBOX" "Drafts" "Sent/%")`, ListCommand{Patterns: []string{"INBOX", "Drafts", "Sent/%"}, Extended: true}, `"" (INBOX Drafts Sent/%)`},
		{"RFC 5258 example 9", ` (SUBSCRIBED RECURSIVEMATCH) "" "*2"`, ListCommand{Patterns: []string{"*2"}, Options: ListOptions{SelectSubscribed: true, SelectRecursiveMatch: true}, Extended: true}, `(SUBSCRIBED RECURSIVEMATCH) "" (*2)`},
		{"RFC 6154 example 2", ` "" "%" RETURN (SPECIAL-USE)`, ListCommand{Patterns: []string{"%"}, Options: ListOptions{ReturnSpecialUse: true}, Extended: true}, `"" (%) RETURN (SPECIAL-USE)`},
		{"RFC 6154 example 3", ` (SPECIAL-USE) "" "*"`, ListCommand{Patterns: []string{"*"}, Options: ListOptions{SelectSpecialUse: true}, Extended: true}, `(SPECIAL-USE) "" (*)`},
		{"RFC 5819 example", ` "" % RETURN (STATUS (MESSAGES UNSEEN))`, ListCommand{Patterns: []string{"%"}, Options: ListOptions{ReturnStatus: &StatusOptions{NumMessages: true, NumUnseen: true}}, Extended: true}, `"" (%) RETURN (STATUS (MESSAGES UNSEEN))`},
		{"lower case, several STATUS options merged", ` (subscribed) ref pat return (children status (uidnext) status (messages))`, ListCommand{Ref: "ref", Patterns: []string{"pat"}, Options: ListOptions{SelectSubscribed: true, ReturnChildren: true, ReturnStatus: &StatusOptions{UIDNext: true, NumMessages: true}}, Extended: true}, `(SUBSCRIBED) ref (pat) RETURN (CHILDREN STATUS (MESSAGES UIDNEXT))`},
		{"literal pattern", " \"\" {3+}\r\na b", ListCommand{Patterns: []string{"a b"}}, `"" "a b"`},
		{"empty RETURN list", ` "" * RETURN ()`, ListCommand{Patterns: []string{"*"}, Extended: true}, `"" (*)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseListArgs(tt.in)
			require.NoError(t, err)
			assert.Equal(t, &tt.want, got)
			assert.Equal(t, tt.out, got.String())
			again, err := parseListArgs(" " + got.String())
			require.NoError(t, err)
			assert.Equal(t, got, again)
		})
	}
}

func TestListCommandErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		` (RECURSIVEMATCH) "" *`,
		` (REMOTE RECURSIVEMATCH) "" *`,
		` (IMAPTEST) "" *`,
		` "" * RETURN (IMAPTEST)`,
		` "" * RETURN (STATUS ())`,
		` "" * RETURN (STATUS (FOO))`,
		` "" * RETURN (STATUS)`,
		` "" ()`,
		` "" * RETURN`,
		` () *`,
		`"" *`,
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			_, err := parseListArgs(in)
			var se *SyntaxError
			assert.True(t, errors.As(err, &se), "%v", err)
		})
	}
	t.Run("too many patterns", func(t *testing.T) {
		t.Parallel()
		in := ` "" (` + strings.TrimSpace(strings.Repeat("a ", MaxListPatterns+1)) + ")"
		d := NewDecoder(bufio.NewReader(strings.NewReader(in+"\r\n")), nil)
		_, err := d.ListCommand()
		var se *SyntaxError
		assert.True(t, errors.As(err, &se), "%v", err)
	})
}

func TestCreateOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []MailboxAttr
		ok   bool
	}{
		{`(USE (\Sent))`, []MailboxAttr{AttrSent}, true},
		{`(use (\drafts \Important))`, []MailboxAttr{`\drafts`, `\Important`}, true},
		{`(USE ())`, nil, true},
		{`(USE (\Sent) USE (\Trash))`, []MailboxAttr{AttrSent, AttrTrash}, true},
		{`()`, nil, false},
		{`(FOO (\Sent))`, nil, false},
		{`(USE (Sent))`, nil, false},
		{`(USE \Sent)`, nil, false},
		{`(USE (` + strings.Repeat(`\A `, 33) + `))`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			d := NewDecoder(bufio.NewReader(strings.NewReader(tt.in+"\r\n")), nil)
			o, err := d.CreateOptions()
			if !tt.ok {
				var se *SyntaxError
				assert.True(t, errors.As(err, &se), "%v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, o.SpecialUse)
		})
	}
}

func TestSpecialUseAttr(t *testing.T) {
	t.Parallel()
	for _, a := range SpecialUseAttrs {
		c, ok := SpecialUseAttr(MailboxAttr(strings.ToLower(string(a))))
		assert.True(t, ok)
		assert.Equal(t, a, c)
	}
	_, ok := SpecialUseAttr(AttrNoSelect)
	assert.False(t, ok)
	assert.False(t, IsSpecialUse(`\Important`))
	assert.True(t, IsSpecialUse(`\JUNK`))
}

func TestStatusItems(t *testing.T) {
	t.Parallel()
	d := NewDecoder(bufio.NewReader(strings.NewReader("(messages RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE DELETED)\r\n")), nil)
	o, err := d.StatusItems()
	require.NoError(t, err)
	assert.Equal(t, "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE DELETED)", o.String())
	d = NewDecoder(bufio.NewReader(strings.NewReader("()\r\n")), nil)
	o, err = d.StatusItems()
	require.NoError(t, err)
	assert.Equal(t, "()", o.String())
}
