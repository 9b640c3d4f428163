package imapclient

import (
	"fmt"
	"slices"

	"github.com/mailkit-go/mailkit/imap"
)

// BinarySize is a BINARY.SIZE item of a FETCH reply (RFC 3516 §4.2):
// the size of a part once its content transfer encoding is removed, as
// BINARY[part] returns it. Ask for it with [imap.FetchOptions.BinarySize];
// fetch the decoded part with an [imap.FetchSection] whose Binary is set
// (BINARY[part], or BINARY.PEEK[part] with Peek).
type BinarySize struct {
	// Part is the part path (empty: the whole message).
	Part []int
	// Size is the decoded size in octets.
	Size int64
}

// BinarySize returns the BINARY.SIZE the server sent for the part path
// (none: the whole message); ok is false if it sent none.
func (m *FetchMessage) BinarySize(part ...int) (size int64, ok bool) {
	for _, b := range m.BinarySizes {
		if slices.Equal(b.Part, part) {
			return b.Size, true
		}
	}
	return 0, false
}

func (m *FetchMessage) addBinarySize(name string, val imap.Value) error {
	part, err := imap.ParseBinarySizeName(name)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	a, ok := val.(imap.Atom)
	if !ok || len(a) == 0 || len(a) > 18 {
		return fmt.Errorf("%w: bad %s value", ErrProtocol, name)
	}
	n := atoi(val)
	if n == 0 && a != "0" {
		return fmt.Errorf("%w: bad %s value %q", ErrProtocol, name, string(a))
	}
	if len(part) == 0 {
		part = nil
	}
	m.BinarySizes = append(m.BinarySizes, BinarySize{Part: part, Size: n})
	return nil
}
