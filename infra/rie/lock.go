package rie

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// LockPath is the file every Start in every process on this machine takes an
// exclusive flock(2) on, for as long as its emulator runs.
var LockPath = filepath.Join(os.TempDir(), "keystorm-aws-lambda-rie.lock")

// lockPollInterval is how often a waiting Start retries the lock. Polling a
// non-blocking flock keeps the wait cancellable through the context.
const lockPollInterval = 50 * time.Millisecond

// acquireLock blocks until it holds the machine-wide emulator lock or ctx is
// done. The lock lives as long as the returned file stays open; the kernel
// drops it if the process dies, so a crashed test never wedges the machine.
// flock locks belong to the open file description, so two goroutines of one
// process exclude each other just like two processes do.
func acquireLock(ctx context.Context) (*os.File, error) {
	f, err := os.OpenFile(LockPath, os.O_RDONLY|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("rie: open lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("rie: lock %s: %w", LockPath, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("rie: waiting for lock %s: %w", LockPath, ctx.Err())
		case <-time.After(lockPollInterval):
		}
	}
}
