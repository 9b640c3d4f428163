package maildir

import (
	"fmt"
	"strconv"
	"strings"
)

// Flags is the set of the six flags the Maildir specification defines. In a
// file name they appear after ":2," as single upper-case letters in ASCII
// order.
type Flags uint8

// The standard Maildir flags, with their letters and IMAP counterparts.
const (
	FlagDraft   Flags = 1 << iota // 'D': \Draft
	FlagFlagged                   // 'F': \Flagged
	FlagPassed                    // 'P': passed (resent/forwarded/bounced); no IMAP system flag
	FlagReplied                   // 'R': \Answered
	FlagSeen                      // 'S': \Seen
	FlagTrashed                   // 'T': \Deleted
)

// flagLetters maps each flag bit (by position) to its letter; ASCII order.
const flagLetters = "DFPRST"

// flagOf returns the flag for a letter, or 0.
func flagOf(c byte) Flags {
	if i := strings.IndexByte(flagLetters, c); i >= 0 {
		return Flags(1) << i
	}
	return 0
}

// String returns the letters of the flags in ASCII order, e.g. "FS".
func (f Flags) String() string {
	var b [len(flagLetters)]byte
	n := 0
	for i := 0; i < len(flagLetters); i++ {
		if f&(1<<i) != 0 {
			b[n] = flagLetters[i]
			n++
		}
	}
	return string(b[:n])
}

// Has reports whether every flag in g is set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// ParseFlags parses a string of standard flag letters ("DFPRST" in any
// order, duplicates allowed). Any other character is an [ErrInvalidInfo].
func ParseFlags(s string) (Flags, error) {
	var f Flags
	for i := 0; i < len(s); i++ {
		g := flagOf(s[i])
		if g == 0 {
			return 0, fmt.Errorf("%w: unknown flag %q", ErrInvalidInfo, s[i])
		}
		f |= g
	}
	return f, nil
}

// Info is the "2," info part of a message file name in cur/ (the text after
// the colon): the standard flags plus any other flag characters. Dovecot
// stores IMAP keywords as the lower-case letters a-z (mapped to names in the
// dovecot-keywords file, which this package does not interpret); they and any
// other printable ASCII flag characters are kept in Extra, so renaming a
// message never drops a flag another program set.
type Info struct {
	// Flags are the standard flags present.
	Flags Flags
	// Extra holds the non-standard flag characters in ASCII order, without
	// duplicates: printable ASCII except ',', '/', ':' and the six
	// standard letters.
	Extra string
}

// maxInfoLen bounds the info part ParseInfo accepts (a set of distinct
// printable ASCII characters is at most 94 long).
const maxInfoLen = 256

// ParseInfo parses the info part of a file name, the text after the colon:
// "2," followed by flag characters. Duplicates are collapsed and the order
// does not matter on input. Version "1" (experimental) and any other text are
// an [ErrInvalidInfo].
func ParseInfo(s string) (Info, error) {
	if len(s) > maxInfoLen {
		return Info{}, fmt.Errorf("%w: info part too long (%d bytes)", ErrInvalidInfo, len(s))
	}
	if !strings.HasPrefix(s, "2,") {
		return Info{}, fmt.Errorf("%w: info %q does not start with \"2,\"", ErrInvalidInfo, s)
	}
	var set [128]bool
	var in Info
	for i := 2; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == ',' || c == '/' || c == ':' {
			return Info{}, fmt.Errorf("%w: bad flag character %q", ErrInvalidInfo, c)
		}
		if g := flagOf(c); g != 0 {
			in.Flags |= g
			continue
		}
		set[c] = true
	}
	var b strings.Builder
	for c := 0; c < len(set); c++ {
		if set[c] {
			b.WriteByte(byte(c))
		}
	}
	in.Extra = b.String()
	return in, nil
}

// String formats the info part: "2," and every flag character in ASCII
// order, e.g. "2,FSa". Invalid characters in Extra are dropped.
func (in Info) String() string {
	var set [128]bool
	for i := 0; i < len(flagLetters); i++ {
		if in.Flags&(1<<i) != 0 {
			set[flagLetters[i]] = true
		}
	}
	for i := 0; i < len(in.Extra); i++ {
		c := in.Extra[i]
		if c > ' ' && c < 0x7f && c != ',' && c != '/' && c != ':' {
			set[c] = true
		}
	}
	b := make([]byte, 0, 2+len(flagLetters)+len(in.Extra))
	b = append(b, '2', ',')
	for c := 0; c < len(set); c++ {
		if set[c] {
			b = append(b, byte(c))
		}
	}
	return string(b)
}

// Name is a parsed message file name:
// key[,S=size][,W=vsize][,other...][:info].
type Name struct {
	// Key is the unique part, up to the first ',' or ':'. It never changes
	// while the message exists (flag changes and new->cur moves keep it), so
	// it is a stable message identifier without any uidlist.
	Key string
	// Size is the physical size from ",S=" (Dovecot, Courier), -1 if absent.
	Size int64
	// VSize is the size with CRLF line ends from ",W=" (Dovecot), -1 if absent.
	VSize int64
	// HasInfo reports whether the name had a ":" info part.
	HasInfo bool
	// Info is the parsed info part, zero when it is absent or not "2,".
	Info Info
	// InfoErr is the error ParseInfo returned for a present but invalid
	// info part (nil otherwise). Such names are still listed.
	InfoErr error
}

// ParseName parses a message file name. Only the key is required; an
// invalid key (empty, starting with '.', containing '/' or NUL) is an
// [ErrInvalidKey]. Malformed size fields are ignored (Size stays -1).
func ParseName(name string) (Name, error) {
	n := Name{Size: -1, VSize: -1}
	base := name
	if i := strings.IndexByte(name, ':'); i >= 0 {
		base = name[:i]
		n.HasInfo = true
		n.Info, n.InfoErr = ParseInfo(name[i+1:])
	}
	key := base
	fields := ""
	if i := strings.IndexByte(base, ','); i >= 0 {
		key, fields = base[:i], base[i+1:]
	}
	if err := checkKey(key); err != nil {
		return Name{}, err
	}
	n.Key = key
	for fields != "" {
		f := fields
		if i := strings.IndexByte(fields, ','); i >= 0 {
			f, fields = fields[:i], fields[i+1:]
		} else {
			fields = ""
		}
		if len(f) < 3 || f[1] != '=' {
			continue
		}
		v, err := strconv.ParseInt(f[2:], 10, 64)
		if err != nil || v < 0 {
			continue
		}
		switch f[0] {
		case 'S':
			n.Size = v
		case 'W':
			n.VSize = v
		}
	}
	return n, nil
}

// checkKey validates a message key.
func checkKey(key string) error {
	if key == "" || key[0] == '.' || len(key) > 255 || strings.ContainsAny(key, "/\x00:,") {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	return nil
}
