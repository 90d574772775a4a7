// Package secretfile keeps generated secrets (operator API token, meeting-core keys) in
// the data directory: created once with crypto/rand, written atomically with mode 0600,
// read back on every later start.
package secretfile

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Random returns a URL-safe random string carrying nbytes bytes of entropy.
func Random(nbytes int) string {
	b := make([]byte, nbytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// LoadOrCreate returns the contents of path, or creates the file with create()'s
// result when it does not exist. created reports which happened.
func LoadOrCreate(path string, create func() ([]byte, error)) (data []byte, created bool, err error) {
	data, err = os.ReadFile(path)
	if err == nil {
		return data, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	if data, err = create(); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	if err := WriteAtomic(path, data, 0o600); err != nil {
		return nil, false, fmt.Errorf("write %s: %w", path, err)
	}
	return data, true, nil
}

// WriteAtomic writes via a temporary file and rename, so that a crash never leaves a
// half-written file behind.
func WriteAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
