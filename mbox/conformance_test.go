package mbox_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/mailkit-go/mailkit/internal/mailstore"
	"github.com/mailkit-go/mailkit/mbox"
)

type conformanceStore struct{ box *mbox.Mailbox }

func (s conformanceStore) Deliver(ctx context.Context, r io.Reader) error {
	return s.box.Append(ctx, mbox.Envelope{From: "sender@example.org"}, r)
}

func (s conformanceStore) Messages(ctx context.Context) ([][]byte, error) {
	var out [][]byte
	err := s.box.Read(ctx, func(r *mbox.Reader) error {
		for {
			m, err := r.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			b, err := io.ReadAll(m.Body)
			if err != nil {
				return err
			}
			out = append(out, b)
		}
	})
	return out, err
}

func TestConformance(t *testing.T) {
	const max = 4 << 20
	mailstore.Run(t, mailstore.Options{MaxMessageSize: max, ErrTooLarge: mbox.ErrTooLarge}, func(t *testing.T) mailstore.Store {
		return conformanceStore{&mbox.Mailbox{Path: filepath.Join(t.TempDir(), "mbox"), Limits: mbox.Limits{MaxMessageSize: max}}}
	})
}
