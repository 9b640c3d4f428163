//go:build !unix

package greylist

import (
	"fmt"
	"os"
)

// lockFile creates path and holds it open. Without flock there is no
// protection against a second process; see [OpenFileStore].
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("greylist: lock store: %w", err)
	}
	return f, nil
}
