package imap

import (
	"errors"
	"testing"
)

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER",
		"/INBOX/;UID=1/;SECTION=1.2.MIME/;PARTIAL=0.10",
		"imap://joe@example.com:143/a%20b;UIDVALIDITY=1/;UID=2",
		"imap://[::1]/INBOX/;UID=1", "/INBOX/;UID=0", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURL(s)
		if err != nil {
			if !errors.Is(err, ErrBadURL) {
				t.Fatalf("%q: error %v does not wrap ErrBadURL", s, err)
			}
			return
		}
		if u.UID == 0 || u.Mailbox == "" {
			t.Fatalf("%q: parsed without UID or mailbox: %+v", s, u)
		}
		u2, err := ParseURL(u.String())
		if err != nil {
			t.Fatalf("%q: String %q does not parse: %v", s, u.String(), err)
		}
		if u2.String() != u.String() {
			t.Fatalf("%q: round trip %q != %q", s, u2.String(), u.String())
		}
	})
}
