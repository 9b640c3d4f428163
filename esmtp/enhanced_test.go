package esmtp

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseEnhancedCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want EnhancedCode
		bad  bool
	}{
		{in: "2.0.0", want: EnhancedCode{2, 0, 0}},
		{in: "5.1.1", want: EnhancedCode{5, 1, 1}},
		{in: "4.7.30", want: EnhancedCode{4, 7, 30}},
		{in: "5.999.999", want: EnhancedCode{5, 999, 999}},
		{in: "3.0.0", bad: true},
		{in: "5.01.1", bad: true},
		{in: "5.1", bad: true},
		{in: "5.1.1000", bad: true},
		{in: "5.1.1 ", bad: true},
		{in: "5..1", bad: true},
		{in: "", bad: true},
		{in: "x.1.1", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEnhancedCode(tt.in)
			if tt.bad {
				require.ErrorIs(t, err, ErrEnhancedCodeSyntax)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.in, got.String())
			assert.True(t, got.Valid())
		})
	}
}

func TestSplitEnhancedCode(t *testing.T) {
	t.Parallel()
	c, rest, ok := SplitEnhancedCode("5.1.1 <x@y>: Recipient address rejected")
	require.True(t, ok)
	assert.Equal(t, EnhancedCode{5, 1, 1}, c)
	assert.Equal(t, "<x@y>: Recipient address rejected", rest)
	c, rest, ok = SplitEnhancedCode("2.0.0")
	require.True(t, ok)
	assert.Equal(t, CodeOK, c)
	assert.Equal(t, "", rest)
	_, rest, ok = SplitEnhancedCode("5.1.1x nope")
	assert.False(t, ok)
	assert.Equal(t, "5.1.1x nope", rest)
	_, _, ok = SplitEnhancedCode("Ok: queued as 12345")
	assert.False(t, ok)
}

func TestEnhancedCodeMeaning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code              EnhancedCode
		title, describe   string
		ref               string
		registered, valid bool
	}{
		{EnhancedCode{5, 1, 1}, "Bad destination mailbox address", "Permanent Failure: Bad destination mailbox address", "RFC 3463", true, true},
		{EnhancedCode{4, 7, 1}, "Delivery not authorized, message refused", "Persistent Transient Failure: Delivery not authorized, message refused", "RFC 3463", true, true},
		{EnhancedCode{2, 0, 0}, "Other undefined Status", "Success: Other undefined Status", "RFC 3463", true, true},
		{EnhancedCode{5, 7, 8}, "Authentication credentials invalid", "Permanent Failure: Authentication credentials invalid", "RFC 4954", true, true},
		{EnhancedCode{5, 6, 7}, "Non-ASCII addresses not permitted for that sender/recipient", "Permanent Failure: Non-ASCII addresses not permitted for that sender/recipient", "RFC 6531", true, true},
		{EnhancedCode{5, 7, 30}, "REQUIRETLS support required", "Permanent Failure: REQUIRETLS support required", "RFC 8689", true, true},
		{EnhancedCode{5, 1, 10}, "Recipient address has null MX", "Permanent Failure: Recipient address has null MX", "RFC 7505", true, true},
		{EnhancedCode{5, 3, 99}, "", "Permanent Failure: Mail System Status", "", false, true},
		{EnhancedCode{5, 42, 0}, "", "Permanent Failure", "", false, true},
		{EnhancedCode{3, 1, 1}, "Bad destination mailbox address", "", "RFC 3463", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.title, tt.code.Title())
			assert.Equal(t, tt.describe, tt.code.Describe())
			assert.Equal(t, tt.ref, tt.code.Reference())
			assert.Equal(t, tt.registered, tt.code.Registered())
			assert.Equal(t, tt.valid, tt.code.Valid())
		})
	}
	assert.Equal(t, "Mailbox Status", SubjectName(2))
	assert.Equal(t, "", SubjectName(8))
	assert.Equal(t, "", ClassName(3))
	assert.Equal(t, EnhancedCode{4, 1, 1}, CodeBadMailbox.WithClass(4))
	assert.True(t, EnhancedCode{}.IsZero())
	assert.Equal(t, "", EnhancedCode{}.String())
}

// Every registry entry is unique and valid in classes 2, 4 and 5.
func TestStatusTable(t *testing.T) {
	t.Parallel()
	seen := map[[2]int]bool{}
	for _, s := range statusTable {
		k := [2]int{s.subject, s.detail}
		require.False(t, seen[k], "duplicate %v", k)
		seen[k] = true
		require.NotEmpty(t, s.title)
		require.NotEmpty(t, SubjectName(s.subject))
	}
}
