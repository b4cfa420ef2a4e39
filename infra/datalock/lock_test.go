package datalock_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
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

// TestLockAcrossProcesses: a lock held by another process refuses this
// one, and is dropped when that process is killed, with no chance to
// release it.
func TestLockAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestHelperHolder$")
	child.Env = append(os.Environ(), "DATALOCK_HOLD="+dir)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	// The holder lives until its stdin closes: with this test, whatever
	// ends it.
	in, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "held\n" {
		t.Fatalf("holder: %q %v", line, err)
	}
	if _, err := datalock.Acquire(dir); !errors.Is(err, datalock.ErrInUse) {
		t.Fatalf("beside another process: %v", err)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	l, err := datalock.Acquire(dir)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}

// TestHelperHolder is the other process of TestLockAcrossProcesses: it
// holds the lock until it is killed or its stdin ends. Run alone, it
// does nothing.
func TestHelperHolder(t *testing.T) {
	dir := os.Getenv("DATALOCK_HOLD")
	if dir == "" {
		return
	}
	if _, err := datalock.Acquire(dir); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("held")
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}
