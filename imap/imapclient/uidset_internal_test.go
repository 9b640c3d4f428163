package imapclient

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mailkit-go/mailkit/imap"
)

func TestExpandUIDSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		want []uint32
	}{
		{"4", 1, []uint32{4}},
		{"4:6", 3, []uint32{4, 5, 6}},
		{"7,3:4", 3, []uint32{7, 3, 4}},
		{"6:4", 3, []uint32{6, 5, 4}},
		{"1:4294967295", 3, nil}, // more UIDs than messages: not expanded
		{"1:2", 3, nil},
		{"0", 1, nil},
		{"x", 1, nil},
		{"1,,2", 2, nil},
		{"4294967295", 1, []uint32{4294967295}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, expandUIDSet(tt.in, tt.n), tt.in)
	}
}

func TestAddBinarySize(t *testing.T) {
	t.Parallel()
	m := &FetchMessage{}
	assert.NoError(t, m.addBinarySize("BINARY.SIZE[1.2]", imap.Atom("17")))
	assert.NoError(t, m.addBinarySize("BINARY.SIZE[]", imap.Atom("0")))
	n, ok := m.BinarySize(1, 2)
	assert.True(t, ok)
	assert.Equal(t, int64(17), n)
	n, ok = m.BinarySize()
	assert.True(t, ok)
	assert.Equal(t, int64(0), n)
	for _, bad := range []struct {
		name string
		val  imap.Value
	}{
		{"BINARY.SIZE[1]", imap.Atom("x")},
		{"BINARY.SIZE[1]", "17"},
		{"BINARY.SIZE[1]", nil},
		{"BINARY.SIZE[1]", imap.Atom("99999999999999999999")},
		{"BINARY.SIZE[1.TEXT]", imap.Atom("1")},
	} {
		err := m.addBinarySize(bad.name, bad.val)
		assert.True(t, errors.Is(err, ErrProtocol), "%s %v: %v", bad.name, bad.val, err)
	}
}
