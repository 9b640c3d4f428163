package imap

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want URL
	}{
		{"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER",
			URL{Mailbox: "Drafts", UIDValidity: 385759045, UID: 20, Section: "HEADER"}},
		{"/INBOX/;uid=7", URL{Mailbox: "INBOX", UID: 7}},
		{"/a%20b%2Fc/;UID=1/;SECTION=HEADER.FIELDS%20(To%20From)/;PARTIAL=10.20",
			URL{Mailbox: "a b/c", UID: 1, Section: "HEADER.FIELDS (To From)", Partial: &Partial{Offset: 10, Count: 20}}},
		{"/INBOX/;UID=1/;PARTIAL=5", URL{Mailbox: "INBOX", UID: 1, Partial: &Partial{Offset: 5}}},
		{"/%E2%82%AC/;UID=4294967295", URL{Mailbox: "€", UID: 4294967295}},
		{"imap://joe@example.com/INBOX/;uid=20/;section=1.2",
			URL{Host: "example.com", User: "joe", Mailbox: "INBOX", UID: 20, Section: "1.2"}},
		{"IMAP://Example.COM:143/INBOX;UIDVALIDITY=3/;UID=2",
			URL{Host: "example.com", Port: "143", Mailbox: "INBOX", UIDValidity: 3, UID: 2}},
		{"imap://a%40b@[::1]:993/x/;UID=1", URL{Host: "[::1]", Port: "993", User: "a@b", Mailbox: "x", UID: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			u, err := ParseURL(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, *u)
			// String gives a URL that parses to the same.
			u2, err := ParseURL(u.String())
			require.NoError(t, err, u.String())
			assert.Equal(t, u, u2)
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"", "INBOX/;UID=1", "/INBOX", "/INBOX/;UID=0", "/INBOX/;UID=01", "/INBOX/;UID=4294967296",
		"/INBOX/;UID=x", "/;UID=1", "/INBOX;UIDVALIDITY=0/;UID=1", "/INBOX;FOO=1/;UID=1",
		"/INBOX/;UID=1/;SECTION=", "/INBOX/;UID=1/;SECTION=1/;SECTION=2", "/INBOX/;UID=1/;PARTIAL=1.0",
		"/INBOX/;UID=1/;PARTIAL=/;SECTION=1", "/INBOX/;UID=1/;PARTIAL=1/;SECTION=1", "/INBOX/;UID=1/;URLAUTH=anonymous:x",
		"/INBOX/;UID=1/;EXPIRE=2030-01-01T00:00:00Z", "/a%ZZ/;UID=1", "/a%00/;UID=1", "imap://host", "imap:///INBOX/;UID=1",
		"imap://joe;AUTH=*@host/INBOX/;UID=1", "imap://host:x/INBOX/;UID=1", "imap://[::1/INBOX/;UID=1",
		"imap://@host/INBOX/;UID=1", "/INBOX/;UID=1/;SECTION=1/;PARTIAL=1/x", "/INBOX?x/;UID=1x",
	} {
		_, err := ParseURL(in)
		assert.True(t, errors.Is(err, ErrBadURL), "%q: %v", in, err)
	}
	long := "/" + string(make([]byte, maxURLLen)) + "/;UID=1"
	_, err := ParseURL(long)
	assert.ErrorIs(t, err, ErrBadURL)
}
