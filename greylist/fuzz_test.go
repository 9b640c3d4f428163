package greylist_test

import (
	"strings"
	"testing"

	"github.com/mailkit-go/mailkit/greylist"
)

func FuzzNormalizeSender(f *testing.F) {
	for _, s := range []string{"", "<>", "Alice+x@Example.org", "prvs=0123=a@b", "SRS0=h=t=d.example=l@f.example",
		"SRS1=h=f==h=t=d=l@x", "bounce-123-456@list.example", "btv1==1==x@y", "@", "a@", "=@="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := greylist.NormalizeSender(s)
		if len(n) > len(s)+1 {
			t.Fatalf("normalised %q grew to %q", s, n)
		}
		if strings.ContainsAny(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Fatalf("normalised %q not lower case: %q", s, n)
		}
	})
}
