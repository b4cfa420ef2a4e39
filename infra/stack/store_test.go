package stack_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/stack"
)

func startData(t *testing.T, store, dir string) *stack.Stack {
	t.Helper()
	s, err := stack.Start(context.Background(), stack.Options{Store: store, DataDir: dir, Hasher: cheapHasher, PublicURL: "http://127.0.0.1:3000"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSQLiteDataDir: the local server's default store keeps DIR/keystorm.db; a restart
// replays and imports nothing and makes no DynamoDB call, and an
// Idempotency-Key retried after it still answers the first result (the
// records are in the database, unlike on the embedded DynamoDB).
func TestSQLiteDataDir(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := startData(t, stack.StoreSQLite, dir)
	if s.SQLite == nil || s.Dynamo != nil || s.Embedded != nil || s.DBPath != filepath.Join(dir, stack.DBFile) || s.Boot == nil {
		t.Fatalf("first start: sqlite %v dynamo %v path %q boot %v", s.SQLite != nil, s.Dynamo != nil, s.DBPath, s.Boot != nil)
	}
	admin := domain.Caller{TenantID: s.Boot.Tenant.ID, Admin: true, IdempotencyKey: "create-tk421", Fingerprint: "f"}
	email, pw := "tk421@galacticempire.co", "Changeme1"
	in := domain.AccountInput{Email: &email, Password: &pw}
	first, err := s.Service.CreateAccount(ctx, admin, s.Boot.Application.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	app := s.Boot.Application.ID
	s.Close()

	s = startData(t, stack.StoreSQLite, dir)
	defer s.Close()
	if s.Boot != nil || s.Replayed != 0 || s.Imported != 0 {
		t.Fatalf("restart: boot %v replayed %d imported %d", s.Boot != nil, s.Replayed, s.Imported)
	}
	again, err := s.Service.CreateAccount(ctx, admin, app, in)
	if err != nil || again.ID != first.ID {
		t.Fatalf("idempotent retry after restart: %v, %v (first %s)", again, err, first.ID)
	}
	if snap := s.Counter.Snapshot(); len(snap) != 0 {
		t.Fatalf("DynamoDB calls on SQLite: %v", snap)
	}
	if _, err := os.Stat(filepath.Join(dir, stack.JournalFile)); !os.IsNotExist(err) {
		t.Fatalf("SQLite wrote an event log: %v", err)
	}
}

// TestImportFromDynamoDBJournal: the event log of a -store dynamodb data
// directory moves into a new database once, every event of it.
func TestImportFromDynamoDBJournal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := startData(t, stack.StoreDynamoDB, dir)
	if d.Dynamo == nil || d.Embedded == nil || d.SQLite != nil {
		t.Fatal("-store dynamodb did not start the embedded DynamoDB")
	}
	admin := domain.Caller{TenantID: d.Boot.Tenant.ID, Admin: true}
	user, pw := "tk421", "Changeme1"
	acc, err := d.Service.CreateAccount(ctx, admin, d.Boot.Application.ID, domain.AccountInput{Username: &user, Password: &pw, Email: new("tk421@galacticempire.co")})
	if err != nil {
		t.Fatal(err)
	}
	want := count(t, d)
	d.Close()

	s := startData(t, stack.StoreSQLite, dir)
	if s.Boot != nil || s.Imported != want || count(t, s) != want {
		t.Fatalf("import: boot %v imported %d stored %d, want %d", s.Boot != nil, s.Imported, count(t, s), want)
	}
	var got domain.Account
	if err := s.Store.Load(ctx, domain.Ref{Kind: domain.KindAccount, ID: acc.ID}, &got); err != nil || got.Username != "tk421" {
		t.Fatalf("imported account: %+v %v", got, err)
	}
	s.Close()
	s = startData(t, stack.StoreSQLite, dir)
	defer s.Close()
	if s.Imported != 0 || count(t, s) != want {
		t.Fatalf("second start imported %d, stores %d events", s.Imported, count(t, s))
	}
}

func TestUnknownStore(t *testing.T) {
	_, err := stack.Start(context.Background(), stack.Options{Store: "postgres", PublicURL: "http://127.0.0.1:3000"})
	if err == nil || !strings.Contains(err.Error(), "postgres") {
		t.Fatalf("unknown store: %v", err)
	}
}

// TestZeroOptionsStayOnDynamoDB: the zero Store is the production store,
// so the stacks of other packages' tests keep minidyn and its faults.
func TestZeroOptionsStayOnDynamoDB(t *testing.T) {
	s, err := stack.Start(context.Background(), stack.Options{Hasher: cheapHasher, PublicURL: "http://127.0.0.1:3000"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Embedded == nil || s.Dynamo == nil || s.SQLite != nil {
		t.Fatal("zero Options did not start the embedded DynamoDB")
	}
}

func count(t *testing.T, s *stack.Stack) int {
	t.Helper()
	streams, err := s.Store.ReadEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, envs := range streams {
		n += len(envs)
	}
	return n
}
