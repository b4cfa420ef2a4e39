package tokens

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFileStoreCreatesKeyOnFirstUseAndKeepsIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // not there yet
	ctx := context.Background()
	s := NewFileStore(dir, newClock(t0))
	if _, err := os.Stat(s.Path()); !os.IsNotExist(err) {
		t.Fatalf("file exists before first use: %v", err)
	}
	ring, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ring.Keys) != 1 || !ring.Keys[0].Created.Equal(t0) {
		t.Fatalf("ring %v", ring)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %04o", fi.Mode().Perm())
	}
	if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %04o", di.Mode().Perm())
	}

	// A restart (a new store on the same dir) finds the same key.
	again, err := NewFileStore(dir, newClock(t0.Add(time.Hour))).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.Keys[0].KID != ring.Keys[0].KID || !again.Keys[0].Private.Equal(ring.Keys[0].Private) {
		t.Fatal("key changed across restart")
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != KeysFile {
		t.Fatalf("dir holds %v", entries)
	}
}

func TestFileStoreSaveAndSeeOtherWriters(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	a, b := NewFileStore(dir, newClock(t0)), NewFileStore(dir, newClock(t0))
	ring, err := a.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := b.Load(ctx); r.Keys[0].KID != ring.Keys[0].KID {
		t.Fatal("stores disagree")
	}
	rotated, changed, err := RotateStore(ctx, a, t0.Add(48*time.Hour), 24*time.Hour)
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	if fi, _ := os.Stat(a.Path()); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after save %04o", fi.Mode().Perm())
	}
	got, err := b.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Keys) != 2 || got.Keys[1].KID != rotated.Keys[1].KID {
		t.Fatalf("b sees %v, want %v", got, rotated)
	}
}

// Processes starting together on an empty data dir end up with one key.
func TestFileStoreConcurrentFirstUse(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	kids := make([]string, 8)
	errs := make([]error, 8)
	for i := range kids {
		wg.Go(func() {
			r, err := NewFileStore(dir, newClock(t0)).Load(context.Background())
			errs[i] = err
			if err == nil {
				kids[i] = r.Keys[0].KID
			}
		})
	}
	wg.Wait()
	for i := range kids {
		if errs[i] != nil || kids[i] != kids[0] {
			t.Fatalf("store %d: %s, %v; store 0: %s", i, kids[i], errs[i], kids[0])
		}
	}
}

func TestFileStoreRefusesReadableKeysFile(t *testing.T) {
	dir := t.TempDir()
	s := NewFileStore(dir, newClock(t0))
	if _, err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(s.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewFileStore(dir, newClock(t0)).Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("err = %v", err)
	}
}

func TestFileStoreCorruptFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, KeysFile), []byte(`{"keys":[{"kty":"EC"`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFileStore(dir, newClock(t0)).Load(context.Background()); err == nil {
		t.Fatal("corrupt file loaded")
	}
}

func TestMemoryStore(t *testing.T) {
	s := NewFileStore("", newClock(t0))
	ctx := context.Background()
	r1, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := s.Load(ctx)
	if s.Path() != "" || len(r1.Keys) != 1 || r1.Keys[0].KID != r2.Keys[0].KID {
		t.Fatal("memory store not stable")
	}
	rotated, _, err := RotateStore(ctx, s, t0.Add(time.Hour), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if r3, _ := s.Load(ctx); len(r3.Keys) != 2 || r3.Keys[1].KID != rotated.Keys[1].KID {
		t.Fatal("rotation not kept")
	}
}
