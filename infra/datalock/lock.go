package datalock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// File is the lock's name inside a data directory.
const File = "keystorm.lock"

// ErrInUse is wrapped by Acquire's error when another process holds the
// directory.
var ErrInUse = errors.New("in use by another Keystorm process (a running local server or importer)")

// Lock is a held lock; Release gives it back.
type Lock struct{ f *os.File }

// Acquire takes the exclusive lock of dir, creating dir and the lock
// file when missing; it does not wait for a holder. flock locks belong
// to the open file, so a second Acquire in the same process is refused
// too, as a second process is.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, File)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data directory %s is %w; stop it first", dir, ErrInUse)
		}
		return nil, fmt.Errorf("data directory lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Release gives the lock back. A nil Lock releases nothing.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the file drops its flock
	l.f = nil
	return err
}
