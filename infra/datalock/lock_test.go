package datalock_test

import (
	"errors"
	"testing"

	"github.com/keystorm/keystorm/infra/datalock"
)

// TestLockExcludes: while one holder has the directory, a second is
// refused with ErrInUse; once released, it is free again.
func TestLockExcludes(t *testing.T) {
	dir := t.TempDir()
	l, err := datalock.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := datalock.Acquire(dir); !errors.Is(err, datalock.ErrInUse) {
		t.Fatalf("second holder: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := datalock.Acquire(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	if err := l2.Release(); err != nil {
		t.Fatal(err)
	}
	var none *datalock.Lock
	if err := none.Release(); err != nil {
		t.Fatal(err)
	}
}
