package imapmaildir

import (
	"context"
	"path/filepath"

	"github.com/mailkit-go/mailkit/maildir"
)

// statusSize is a message's share of STATUS SIZE (RFC 8438), which must
// be at least the sum of the messages' RFC822.SIZE: the size with CRLF
// line ends once known, else the ",W=" field of the file name (Dovecot's
// and our own names carry it, so no file is opened), else the file is
// scanned once as for RFC822.SIZE. The ",S=" field and stat give the
// physical size, smaller than RFC822.SIZE when lines end in a bare LF, so
// they are not used. path is the file's path taken under the folder lock.
func (f *folder) statusSize(ctx context.Context, m *message, path string) (int64, error) {
	if n := m.vsize.Load(); n >= 0 {
		return n, nil
	}
	if name, err := maildir.ParseName(filepath.Base(path)); err == nil && name.VSize >= 0 {
		return name.VSize, nil
	}
	return f.vsizeOf(ctx, m, path)
}
