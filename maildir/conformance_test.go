package maildir_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/mailkit-go/mailkit/internal/mailstore"
	"github.com/mailkit-go/mailkit/maildir"
	"github.com/stretchr/testify/require"
)

type conformanceStore struct{ md *maildir.Maildir }

func (s conformanceStore) Deliver(ctx context.Context, r io.Reader) error {
	_, err := s.md.Deliver(ctx, r)
	return err
}

func (s conformanceStore) Messages(ctx context.Context) ([][]byte, error) {
	list, err := s.md.List(ctx)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, m := range list {
		rc, err := s.md.Open(ctx, m.Key)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func TestConformance(t *testing.T) {
	const max = 4 << 20
	mailstore.Run(t, mailstore.Options{MaxMessageSize: max, ErrTooLarge: maildir.ErrTooLarge}, func(t *testing.T) mailstore.Store {
		md, err := maildir.Create(filepath.Join(t.TempDir(), "Maildir"), &maildir.Options{Limits: maildir.Limits{MaxMessageSize: max}})
		require.NoError(t, err)
		return conformanceStore{md}
	})
}
