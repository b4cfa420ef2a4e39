package datalock

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the lock is SQLite's own file lock
)

// File is the lock's name inside a data directory.
const File = "keystorm.lock"

// ErrInUse is wrapped by Acquire's error when another process holds the
// directory.
var ErrInUse = errors.New("in use by another Keystorm process (a running local server or importer)")

// Lock is a held lock; Release gives it back.
type Lock struct {
	db   *sql.DB
	conn *sql.Conn
}

// Acquire takes the exclusive lock of dir, creating dir and the lock
// file when missing; it does not wait for a holder.
//
// The lock is SQLite's: DIR/keystorm.lock is a small database whose
// connection, in EXCLUSIVE locking mode, keeps the exclusive file lock
// its first write takes until it closes. SQLite locks files the same way
// on every system the local server runs on (fcntl, LockFileEx), the OS
// drops the lock with the process, and SQLite makes two connections of
// one process conflict as two processes do.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, File)
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("data directory %q: '?' is not allowed", dir)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=locking_mode(EXCLUSIVE)&_pragma=busy_timeout(0)&_pragma=journal_mode(OFF)")
	if err != nil {
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err == nil {
		// A write takes the exclusive lock, which the connection then
		// keeps (locking_mode EXCLUSIVE).
		_, err = conn.ExecContext(ctx, "BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (x); COMMIT;")
	}
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		db.Close()
		if busy(err) {
			return nil, fmt.Errorf("data directory %s is %w; stop it first", dir, ErrInUse)
		}
		return nil, fmt.Errorf("data directory lock %s: %w", path, err)
	}
	return &Lock{db: db, conn: conn}, nil
}

// busy reports SQLite's SQLITE_BUSY (5) or SQLITE_LOCKED (6): another
// connection holds the lock.
func busy(err error) bool {
	var c interface{ Code() int }
	if errors.As(err, &c) {
		return c.Code()&0xff == 5 || c.Code()&0xff == 6
	}
	return false
}

// Release gives the lock back. A nil Lock releases nothing.
func (l *Lock) Release() error {
	if l == nil || l.db == nil {
		return nil
	}
	err := errors.Join(l.conn.Close(), l.db.Close()) // closing drops the file lock
	l.db, l.conn = nil, nil
	return err
}
