package maildir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Folder opens the existing Maildir++ folder name ("Lists/Go"; see
// [FolderDir]) of the root Maildir this Maildir belongs to. The folder
// shares this Maildir's options.
func (m *Maildir) Folder(name string) (*Maildir, error) {
	d, err := FolderDir(name)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(m.root, d)
	f, err := Open(dir, &m.opts)
	if err != nil {
		if _, serr := os.Stat(dir); errors.Is(serr, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: folder %q", ErrNotFound, name)
		}
		return nil, err
	}
	f.root = m.root
	return f, nil
}

// CreateFolder creates the Maildir++ folder name (and its tmp, new, cur and
// the empty "maildirfolder" marker file Maildir++ deliverers look for). The
// parent levels of a nested name are not created: in Maildir++ every folder
// is its own directory directly below the root. An existing folder is
// ErrExists.
func (m *Maildir) CreateFolder(ctx context.Context, name string) (*Maildir, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("maildir: %w", err)
	}
	d, err := FolderDir(name)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(m.root, d)
	if err := os.Mkdir(dir, m.dirMode().Perm()); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%w: folder %q", ErrExists, name)
		}
		return nil, fmt.Errorf("maildir: create folder: %w", err)
	}
	f := newMaildir(dir, m.root, &m.opts)
	if err := f.makeDirs(); err != nil {
		return nil, err
	}
	mf, err := os.OpenFile(filepath.Join(dir, "maildirfolder"), os.O_WRONLY|os.O_CREATE, m.opts.FileMode.Perm())
	if err != nil {
		return nil, fmt.Errorf("maildir: create folder: %w", err)
	}
	if err := mf.Close(); err != nil {
		return nil, fmt.Errorf("maildir: create folder: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return f, nil
}

// Folders lists the decoded names of the Maildir++ folders of the root
// Maildir, sorted. Directories whose names do not decode are skipped.
func (m *Maildir) Folders(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(m.root)
	if err != nil {
		return nil, fmt.Errorf("maildir: %w", err)
	}
	var out []string
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("maildir: %w", err)
		}
		n := e.Name()
		if !strings.HasPrefix(n, ".") || n == "." || n == ".." {
			continue
		}
		if !e.IsDir() {
			continue
		}
		name, err := FolderName(n)
		if err != nil {
			continue
		}
		out = append(out, name)
		if len(out) > m.opts.Limits.maxList() {
			return nil, fmt.Errorf("%w: folders", ErrTooMany)
		}
	}
	sort.Strings(out)
	return out, nil
}
