package maildir

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseInfo(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		want     Info
		out      string
		bad      bool
	}{
		{name: "empty", in: "2,", want: Info{}, out: "2,"},
		{name: "seen", in: "2,S", want: Info{Flags: FlagSeen}, out: "2,S"},
		{name: "all sorted", in: "2,DFPRST", want: Info{Flags: FlagDraft | FlagFlagged | FlagPassed | FlagReplied | FlagSeen | FlagTrashed}, out: "2,DFPRST"},
		{name: "unsorted dup", in: "2,SSRF", want: Info{Flags: FlagSeen | FlagReplied | FlagFlagged}, out: "2,FRS"},
		{name: "dovecot keywords", in: "2,Sba", want: Info{Flags: FlagSeen, Extra: "ab"}, out: "2,Sab"},
		{name: "other upper", in: "2,ZS", want: Info{Flags: FlagSeen, Extra: "Z"}, out: "2,SZ"},
		{name: "version 1", in: "1,foo", bad: true},
		{name: "no comma", in: "2S", bad: true},
		{name: "comma in flags", in: "2,S,F", bad: true},
		{name: "slash", in: "2,S/", bad: true},
		{name: "space", in: "2,S ", bad: true},
		{name: "non-ascii", in: "2,\xc3\xa9", bad: true},
		{name: "empty string", in: "", bad: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseInfo(tc.in)
			if tc.bad {
				require.ErrorIs(t, err, ErrInvalidInfo)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.out, got.String())
		})
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	f, err := ParseFlags("TSD")
	require.NoError(t, err)
	assert.Equal(t, "DST", f.String())
	assert.True(t, f.Has(FlagSeen|FlagDraft))
	assert.False(t, f.Has(FlagFlagged))
	_, err = ParseFlags("Sx")
	assert.ErrorIs(t, err, ErrInvalidInfo)
	assert.Equal(t, "", Flags(0).String())
}

func TestParseName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in        string
		key             string
		size, vsize     int64
		hasInfo         bool
		flags           Flags
		infoErr, badKey bool
	}{
		{name: "qmail", in: "1035478339.27041_118.foo.org", key: "1035478339.27041_118.foo.org", size: -1, vsize: -1},
		{name: "dovecot new", in: "1035478339.M2379P11867Q1.host,S=1000,W=1020", key: "1035478339.M2379P11867Q1.host", size: 1000, vsize: 1020},
		{name: "dovecot cur", in: "1.M2P3.h,S=12:2,RS", key: "1.M2P3.h", size: 12, vsize: -1, hasInfo: true, flags: FlagReplied | FlagSeen},
		{name: "bad size ignored", in: "k,S=x,W=-1:2,", key: "k", size: -1, vsize: -1, hasInfo: true},
		{name: "bad info kept", in: "k:1,xyz", key: "k", size: -1, vsize: -1, hasInfo: true, infoErr: true},
		{name: "dot file", in: ".hidden", badKey: true},
		{name: "empty key", in: ",S=3", badKey: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n, err := ParseName(tc.in)
			if tc.badKey {
				require.ErrorIs(t, err, ErrInvalidKey)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.key, n.Key)
			assert.Equal(t, tc.size, n.Size)
			assert.Equal(t, tc.vsize, n.VSize)
			assert.Equal(t, tc.hasInfo, n.HasInfo)
			assert.Equal(t, tc.flags, n.Info.Flags)
			assert.Equal(t, tc.infoErr, n.InfoErr != nil)
		})
	}
}

func TestMailboxNameUTF7(t *testing.T) {
	t.Parallel()
	cases := []struct{ dec, enc string }{
		// RFC 3501 section 5.1.3 example.
		{"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
		{"Entwürfe", "Entw&APw-rfe"},
		{"A&B", "A&-B"},
		{"plain", "plain"},
		{"😀", "&2D3eAA-"},
		{"", ""},
	}
	for _, tc := range cases {
		t.Run(tc.enc, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.enc, EncodeMailboxName(tc.dec))
			got, err := DecodeMailboxName(tc.enc)
			require.NoError(t, err)
			assert.Equal(t, tc.dec, got)
		})
	}
	for _, bad := range []string{"&", "&U,BTFw", "&AGE-", "&2D0-", "&U,BTFw-&ZeVnLIqe-", "a\x01", "\xc3\xa9", "&!!-"} {
		t.Run("bad "+bad, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeMailboxName(bad)
			assert.ErrorIs(t, err, ErrInvalidName)
		})
	}
}

func TestFolderDir(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, dir string }{
		{"Sent", ".Sent"},
		{"Lists/Go", ".Lists.Go"},
		{"Archiv/Über", ".Archiv.&ANw-ber"},
		{"Tom & Jerry", ".Tom &- Jerry"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := FolderDir(tc.name)
			require.NoError(t, err)
			assert.Equal(t, tc.dir, d)
			n, err := FolderName(d)
			require.NoError(t, err)
			assert.Equal(t, tc.name, n)
		})
	}
	for _, bad := range []string{"", "INBOX", "inbox", "a//b", "/a", "a.b", "a\x00", "x\ty"} {
		_, err := FolderDir(bad)
		assert.ErrorIs(t, err, ErrInvalidName, "%q", bad)
	}
	for _, bad := range []string{".", "..", "Sent", ".a..b", ".&AC4-"} {
		_, err := FolderName(bad)
		assert.ErrorIs(t, err, ErrInvalidName, "%q", bad)
	}
}

func TestNaturalLess(t *testing.T) {
	t.Parallel()
	sorted := []string{"1.M99P1Q9", "1.M99P1Q10", "1.M100P1Q1", "2.M0P1Q1", "10.M0P1Q1", "10.M0P1Q1x", "a", "b"}
	for i := range sorted {
		for j := range sorted {
			assert.Equal(t, i < j, naturalLess(sorted[i], sorted[j]), "%q < %q", sorted[i], sorted[j])
		}
	}
}
