package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// KeyStore keeps the Keyring, private keys included.
type KeyStore interface {
	Load(ctx context.Context) (Keyring, error)
	Save(ctx context.Context, ring Keyring) error
}

// RotateStore loads the ring, rotates it at now (see Keyring.Rotate) and
// saves it when it changed. Run it from one place at a time.
func RotateStore(ctx context.Context, store KeyStore, now time.Time, every time.Duration) (Keyring, bool, error) {
	ring, err := store.Load(ctx)
	if err != nil {
		return Keyring{}, false, err
	}
	changed, err := ring.Rotate(now, every)
	if err != nil || !changed {
		return ring, false, err
	}
	if err := store.Save(ctx, ring); err != nil {
		return Keyring{}, false, err
	}
	return ring, true, nil
}

// KeysFile is the file FileStore keeps in its directory.
const KeysFile = "token-keys.json"

// FileStore keeps the Keyring in DIR/token-keys.json, mode 0600, for the
// local server: the file is created with a fresh key on first use and
// lives with the rest of the local data. Without a directory the ring
// lives in memory only (and tokens do not survive a restart).
//
// The ring is cached and reread only when the file changes; writes go to
// a temporary file renamed into place, so a reader never sees half a ring.
type FileStore struct {
	path  string // "" means in memory
	clock domain.Clock

	mu    sync.Mutex
	ring  Keyring
	have  bool
	stamp fileStamp
}

type fileStamp struct {
	mod  time.Time
	size int64
}

// NewFileStore returns a store in dir, or in memory when dir is "". The
// clock (required) stamps the keys it creates.
func NewFileStore(dir string, clock domain.Clock) *FileStore {
	if clock == nil {
		panic("tokens: NewFileStore needs a clock")
	}
	s := &FileStore{clock: clock}
	if dir != "" {
		s.path = filepath.Join(dir, KeysFile)
	}
	return s
}

// Path is the keys file, "" for a store in memory.
func (s *FileStore) Path() string { return s.path }

// Load implements KeyStore.
func (s *FileStore) Load(ctx context.Context) (Keyring, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.path == "" {
		if !s.have {
			ring, err := NewKeyring(s.clock.Now())
			if err != nil {
				return Keyring{}, err
			}
			s.ring, s.have = ring, true
		}
		return s.ring, nil
	}
	fi, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return s.create()
	}
	if err != nil {
		return Keyring{}, fmt.Errorf("tokens: %w", err)
	}
	if s.have && s.stamp == stampOf(fi) {
		return s.ring, nil
	}
	return s.read()
}

// create writes a fresh ring unless another process got there first.
func (s *FileStore) create() (Keyring, error) {
	ring, err := NewKeyring(s.clock.Now())
	if err != nil {
		return Keyring{}, err
	}
	b, err := json.Marshal(ring)
	if err != nil {
		return Keyring{}, err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return Keyring{}, fmt.Errorf("tokens: %w", err)
	}
	tmp, err := s.writeTemp(b)
	if err != nil {
		return Keyring{}, err
	}
	defer os.Remove(tmp)
	// Link, unlike rename, fails when the target exists: the first
	// process to create the ring wins and the others read it.
	if err := os.Link(tmp, s.path); err != nil && !errors.Is(err, fs.ErrExist) {
		return Keyring{}, fmt.Errorf("tokens: %w", err)
	}
	return s.read()
}

func (s *FileStore) read() (Keyring, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return Keyring{}, fmt.Errorf("tokens: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Keyring{}, fmt.Errorf("tokens: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return Keyring{}, fmt.Errorf("tokens: %s holds private keys but has mode %04o; chmod 600 it", s.path, fi.Mode().Perm())
	}
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return Keyring{}, fmt.Errorf("tokens: %w", err)
	}
	var ring Keyring
	if err := json.Unmarshal(b, &ring); err != nil {
		return Keyring{}, fmt.Errorf("%s: %w", s.path, err)
	}
	s.ring, s.have, s.stamp = ring, true, stampOf(fi)
	return ring, nil
}

// Save implements KeyStore.
func (s *FileStore) Save(ctx context.Context, ring Keyring) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.path == "" {
		s.ring, s.have = ring, true
		return nil
	}
	b, err := json.Marshal(ring)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	tmp, err := s.writeTemp(b)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, s.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("tokens: %w", err)
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	s.ring, s.have, s.stamp = ring, true, stampOf(fi)
	return nil
}

// writeTemp writes b to a new 0600 file next to the keys file.
func (s *FileStore) writeTemp(b []byte) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(s.path), ".token-keys-*.tmp")
	if err != nil {
		return "", fmt.Errorf("tokens: %w", err)
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", fmt.Errorf("tokens: %w", err)
	}
	// CreateTemp already uses 0600; say so in case that ever changes.
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.Write(b); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("tokens: %w", err)
	}
	return name, nil
}

func stampOf(fi fs.FileInfo) fileStamp { return fileStamp{mod: fi.ModTime(), size: fi.Size()} }
