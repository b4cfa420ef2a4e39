package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo/storetest"
	"github.com/keystorm/keystorm/infra/sqlite"
)

// open returns a fresh store, closed when the test ends. path "" is in
// memory.
func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

// TestStoreContract holds the SQLite store to the domain.Store contract
// the DynamoDB store passes, with its Dump checking "nothing written"
// row by row: in memory (one connection) and in a WAL file (a pool of
// connections, commits serialized by BEGIN IMMEDIATE).
func TestStoreContract(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) domain.Store {
			return open(t, "")
		})
	})
	t.Run("file", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) domain.Store {
			return open(t, filepath.Join(t.TempDir(), "keystorm.db"))
		})
	})
}

// The contract suite only checks "nothing written" when the store is a
// Dumper: fail here if that ever stops being true.
var _ storetest.Dumper = (*sqlite.Store)(nil)

// TestUsageContract holds the SQLite store to the domain.UsageStore
// contract, in memory and in a WAL file (concurrent flushes through a
// pool of connections).
func TestUsageContract(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		storetest.RunUsage(t, func(t *testing.T) domain.UsageStore { return open(t, "") })
	})
	t.Run("file", func(t *testing.T) {
		storetest.RunUsage(t, func(t *testing.T) domain.UsageStore {
			return open(t, filepath.Join(t.TempDir(), "keystorm.db"))
		})
	})
}

// TestEventLogContract holds the SQLite store to the domain.EventLog
// contract the DynamoDB store passes, in memory and in a file.
func TestEventLogContract(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		storetest.RunEventLog(t, func(t *testing.T) (domain.Store, domain.EventLog) {
			st := open(t, "")
			return st, st
		})
	})
	// A budget of 3 rows makes filtered pages short all the time: the
	// walks must still list every match exactly once.
	t.Run("small-budget", func(t *testing.T) {
		sqlite.SetEventScan(t, 3)
		storetest.RunEventLog(t, func(t *testing.T) (domain.Store, domain.EventLog) {
			st := open(t, "")
			return st, st
		})
	})
	t.Run("file", func(t *testing.T) {
		storetest.RunEventLog(t, func(t *testing.T) (domain.Store, domain.EventLog) {
			st := open(t, filepath.Join(t.TempDir(), "keystorm.db"))
			return st, st
		})
	})
}
