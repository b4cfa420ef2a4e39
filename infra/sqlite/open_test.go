package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo/storetest"
	"github.com/keystorm/keystorm/infra/sqlite"
)

// TestFileSurvivesReopen: a file database keeps the log, the read models
// (child counts included) and idempotency records across Close and Open,
// so the local server starts without a replay; Empty and Tenants answer
// as the local server needs them.
func TestFileSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keystorm.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if empty, err := st.Empty(ctx); err != nil || !empty {
		t.Fatalf("fresh file: Empty %v %v", empty, err)
	}
	if _, err := st.OnlyTenant(ctx, ""); err == nil {
		t.Fatal("OnlyTenant of an empty store succeeded")
	}
	w := storetest.NewWorkload(t, st, 7)
	w.Run(200)
	before := dump(t, st)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = open(t, path)
	if d := diffLines(before, dump(t, st), 5); d != "" {
		t.Fatalf("reopened store differs:\n%s", d)
	}
	if empty, err := st.Empty(ctx); err != nil || empty {
		t.Fatalf("reopened: Empty %v %v", empty, err)
	}
	tenant := w.Admin.TenantID
	if ids, err := st.Tenants(ctx); err != nil || !slices.Equal(ids, []string{tenant}) {
		t.Fatalf("Tenants %v %v, want [%s]", ids, err, tenant)
	}
	if id, err := st.OnlyTenant(ctx, ""); err != nil || id != tenant {
		t.Fatalf("OnlyTenant %q %v", id, err)
	}
	if _, err := st.OnlyTenant(ctx, "other"); err == nil {
		t.Fatal("OnlyTenant of a missing tenant succeeded")
	}
	// The service carries on where it was.
	w.Svc.Store = st
	w.Run(50)
	acc := &domain.Account{}
	if err := st.Load(ctx, domain.Ref{Kind: domain.KindAccount, ID: w.Admin.AccountID}, acc); err != nil || acc.Children() < 1 {
		t.Fatalf("admin account after reopen: %d children, %v", acc.Children(), err)
	}
}

// TestMemoryStoresAreSeparate: two in-memory stores never share rows, so
// tests (and the contract suite) each get an empty store.
func TestMemoryStoresAreSeparate(t *testing.T) {
	a, b := open(t, ""), open(t, ":memory:")
	storetest.NewWorkload(t, a, 3).Run(10)
	if empty, err := b.Empty(context.Background()); err != nil || !empty {
		t.Fatalf("second in-memory store: Empty %v %v", empty, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	if _, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a?b.db")); err == nil {
		t.Fatal("a path with '?' was accepted")
	}
	// A database from a newer schema is refused, not misread.
	path := filepath.Join(t.TempDir(), "keystorm.db")
	st := open(t, path)
	if _, err := st.DB().Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(ctx, path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("newer schema: %v", err)
	}
	// A directory that does not exist: an error, not a panic.
	if _, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "missing", "keystorm.db")); err == nil {
		t.Fatal("a file in a missing directory opened")
	}
}

// TestClosedStoreIsAnError: after Close, calls fail with an error (not a
// panic) that is no domain "not found".
func TestClosedStoreIsAnError(t *testing.T) {
	st, err := sqlite.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	err = st.Load(context.Background(), domain.Ref{Kind: domain.KindAccount, ID: "x"}, &domain.Account{})
	if err == nil || errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("load on a closed store: %v", err)
	}
}

// TestOpenCountsSizesOfAVersion1File: a file written before the sizes
// table existed (schema version 1) gets every collection's size counted
// when it is opened, so lists report the right totals without a rebuild.
func TestOpenCountsSizesOfAVersion1File(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keystorm.db")
	st := open(t, path)
	storetest.NewWorkload(t, st, 11).Run(150)
	want := only(dump(t, st), "size")
	if len(want) == 0 {
		t.Fatal("the workload left no collection with items")
	}
	// Make it what a version 1 binary left: no sizes table.
	exec(t, st, "DROP TABLE sizes")
	exec(t, st, "PRAGMA user_version = 1")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = open(t, path)
	if got := only(dump(t, st), "size"); !slices.Equal(got, want) {
		t.Fatalf("sizes after opening a version 1 file:\n got %v\nwant %v", got, want)
	}
	var v int
	if err := st.DB().QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != 3 {
		t.Fatalf("user_version %d %v, want 3", v, err)
	}
}

// TestOpenFillsEventTenantsOfAVersion2File: a file written before events
// carried their tenant and sortable time (schema version 2) gains both
// columns when it is opened, filled exactly as a live commit fills them:
// the tenant from the stream's state, the time key from at whatever
// fraction digits RFC3339Nano left in it.
func TestOpenFillsEventTenantsOfAVersion2File(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keystorm.db")
	st := open(t, path)
	storetest.NewWorkload(t, st, 5).Run(60)
	// Times RFC3339Nano writes with no, some and all fraction digits:
	// those are what text order gets wrong.
	var stream string
	if err := st.DB().QueryRowContext(ctx, "SELECT stream FROM events WHERE version = 3 LIMIT 1").Scan(&stream); err != nil {
		t.Fatal(err)
	}
	exec(t, st, "UPDATE events SET at = '2026-11-26T10:00:00Z', atkey = '2026-11-26T10:00:00.000000000Z' WHERE stream = ? AND version = 1", stream)
	exec(t, st, "UPDATE events SET at = '2026-11-26T10:00:00.5Z', atkey = '2026-11-26T10:00:00.500000000Z' WHERE stream = ? AND version = 2", stream)
	exec(t, st, "UPDATE events SET at = '2026-11-26T10:00:00.123456789Z', atkey = '2026-11-26T10:00:00.123456789Z' WHERE stream = ? AND version = 3", stream)
	want := only(dump(t, st), "event")
	if !slices.ContainsFunc(want, func(l string) bool { return strings.Contains(l, `"tenant#`) }) {
		t.Fatal("the workload left no tenant stream")
	}
	// Make it what a version 2 binary left: no index, no columns.
	exec(t, st, "DROP INDEX events_log")
	exec(t, st, "ALTER TABLE events DROP COLUMN tenant")
	exec(t, st, "ALTER TABLE events DROP COLUMN atkey")
	exec(t, st, "PRAGMA user_version = 2")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = open(t, path)
	got := only(dump(t, st), "event")
	if !slices.Equal(got, want) {
		t.Fatalf("events after opening a version 2 file:\n%s", diffLines(want, got, 10))
	}
	var empty int
	if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM events WHERE tenant = '' OR atkey = ''").Scan(&empty); err != nil || empty != 0 {
		t.Fatalf("%d events left without tenant or atkey (%v)", empty, err)
	}
	// The index is back, and the log reads through it.
	var idx int
	if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_log'").Scan(&idx); err != nil || idx != 1 {
		t.Fatalf("events_log index: %d %v", idx, err)
	}
}
