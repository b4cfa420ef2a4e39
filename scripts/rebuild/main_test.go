package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/embedded"
	"github.com/keystorm/keystorm/infra/sqlite"
)

func viewLines(t *testing.T, st *dynamo.Store) []string {
	t.Helper()
	items, err := st.ScanViews(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(it, &m); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}

// TestRebuildRepairsViews damages the views table of a store with real
// commands in its log — a lost state item, a lost guard, a stale state
// item and a stray item — then runs the command's core and gets back
// exactly the views the commands had projected.
func TestRebuildRepairsViews(t *testing.T) {
	ctx := context.Background()
	h := embedded.New(t)
	svc := domain.NewService(h.Store)
	svc.Hasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}
	boot, err := svc.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	admin := domain.Caller{TenantID: boot.Tenant.ID, Admin: true, IdempotencyKey: "k1", Fingerprint: "f"}
	pw, user := "Changeme1", "tk421"
	acc, err := svc.CreateAccount(ctx, admin, boot.Application.ID, domain.AccountInput{Username: &user, Email: ptr("tk421@example.com"), Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	admin.IdempotencyKey = ""
	key, err := svc.CreateAPIKey(ctx, admin, acc.ID, domain.APIKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateAPIKey(ctx, admin, key.Key.ID, domain.APIKeyInput{Status: ptr(domain.StatusDisabled)}); err != nil {
		t.Fatal(err)
	}
	want := viewLines(t, h.Store)

	del := func(pk, sk string) {
		t.Helper()
		if _, err := h.Store.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &h.Store.Views, Key: map[string]dynamodbAV{"pk": sv(pk), "sk": sv(sk)}}); err != nil {
			t.Fatal(err)
		}
	}
	del("account#"+acc.ID, "state")
	del("unique#directory/"+acc.DirectoryID+"/username/tk421", "guard")
	// A stale copy of the key (version 1, enabled) and a stray guard.
	stale, err := attributevalue.MarshalMap(map[string]any{"pk": "apikey#" + key.Key.ID, "sk": "state", "kind": "apikey", "version": 1, "data": `{"id":"x"}`})
	if err != nil {
		t.Fatal(err)
	}
	stray, _ := attributevalue.MarshalMap(map[string]any{"pk": "unique#directory/x/username/ghost", "sk": "guard", "owner": "account#ghost"})
	for _, it := range []map[string]dynamodbAV{stale, stray} {
		if _, err := h.Store.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(h.Store.Views), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	if slices.Equal(want, viewLines(t, h.Store)) {
		t.Fatal("fixture: the views were not damaged")
	}

	var out bytes.Buffer
	stats, err := rebuild(ctx, h.Server.Config(), &out)
	if err != nil {
		t.Fatal(err)
	}
	if got := viewLines(t, h.Store); !slices.Equal(want, got) {
		t.Fatalf("views after rebuild:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// 5 bootstrap streams + account + key.
	if stats.Streams != 7 || stats.Events != 8 {
		t.Fatalf("stats %+v", stats)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "rebuilt keystorm-views from keystorm-events: 7 streams, 8 events") {
		t.Fatalf("output %q", out.String())
	}
	var js struct{ Streams, Events, Items int }
	if err := json.Unmarshal([]byte(lines[1]), &js); err != nil || js.Streams != 7 || js.Events != 8 || js.Items != stats.Items {
		t.Fatalf("JSON line %q: %v", lines[1], err)
	}
	// The idempotency record survived: the retry replays.
	admin.IdempotencyKey = "k1"
	again, err := svc.CreateAccount(ctx, admin, boot.Application.ID, domain.AccountInput{Username: &user, Email: ptr("tk421@example.com"), Password: &pw})
	if err != nil || again.ID != acc.ID {
		t.Fatalf("replay after rebuild: %v %v", again, err)
	}
}

func TestRunFlags(t *testing.T) {
	h := embedded.New(t)
	cfg := h.Server.Config()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), nil, cfg, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "0 streams") {
		t.Fatalf("empty store: exit %d, %q %q", code, stdout.String(), stderr.String())
	}
	onAWS := cfg
	onAWS.Endpoint = ""
	stderr.Reset()
	if code := run(context.Background(), nil, onAWS, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "-yes") {
		t.Fatalf("real AWS without -yes: exit %d, %q", code, stderr.String())
	}
	if code := run(context.Background(), []string{"extra"}, cfg, &stdout, &stderr); code != 2 {
		t.Fatalf("extra argument: exit %d", code)
	}
	missing := cfg
	missing.EventsTable = "no-such-table"
	stderr.Reset()
	if code := run(context.Background(), nil, missing, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no-such-table") {
		t.Fatalf("missing table: exit %d, %q", code, stderr.String())
	}
}

type dynamodbAV = types.AttributeValue

func sv(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func ptr(s string) *string { return &s }

// TestRebuildSQLite is TestRebuildRepairsViews on the local server's
// store: -store sqlite -data DIR rebuilds DIR/keystorm.db back to exactly
// the rows the commands had projected, keeping the idempotency records.
func TestRebuildSQLite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "keystorm.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	svc := domain.NewService(st)
	svc.Hasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}
	boot, err := svc.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	admin := domain.Caller{TenantID: boot.Tenant.ID, Admin: true, IdempotencyKey: "k1", Fingerprint: "f"}
	pw, user := "Changeme1", "tk421"
	acc, err := svc.CreateAccount(ctx, admin, boot.Application.ID, domain.AccountInput{Username: &user, Email: ptr("tk421@example.com"), Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	admin.IdempotencyKey = ""
	key, err := svc.CreateAPIKey(ctx, admin, acc.ID, domain.APIKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateAPIKey(ctx, admin, key.Key.ID, domain.APIKeyInput{Status: ptr(domain.StatusDisabled)}); err != nil {
		t.Fatal(err)
	}
	want, err := st.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Damage the read models behind the store's back: a lost state row,
	// a lost guard, a stale state row and a stray guard.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"DELETE FROM states WHERE stream = 'account#" + acc.ID + "'",
		"DELETE FROM guards WHERE key = 'directory/" + acc.DirectoryID + "/username/tk421'",
		"UPDATE states SET version = 1, data = '{\"id\":\"x\"}' WHERE stream = 'apikey#" + key.Key.ID + "'",
		"INSERT INTO guards (key, owner) VALUES ('directory/x/username/ghost', 'account#ghost')",
	} {
		res, err := db.ExecContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("fixture: %s changed %d rows", q, n)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"-store", "sqlite", "-data", dir}, dynamo.Config{}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "rebuilt "+path+": 7 streams, 8 events") {
		t.Fatalf("output %q", stdout.String())
	}
	var js struct {
		Database        string
		Streams, Events int
	}
	if err := json.Unmarshal([]byte(lines[1]), &js); err != nil || js.Database != path || js.Streams != 7 || js.Events != 8 {
		t.Fatalf("JSON line %q: %v", lines[1], err)
	}
	st, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(want, got) {
		t.Fatalf("rows after rebuild:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The idempotency record survived: the retry replays.
	svc = domain.NewService(st)
	admin.IdempotencyKey = "k1"
	again, err := svc.CreateAccount(ctx, admin, boot.Application.ID, domain.AccountInput{Username: &user, Email: ptr("tk421@example.com"), Password: &pw})
	if err != nil || again.ID != acc.ID {
		t.Fatalf("replay after rebuild: %v %v", again, err)
	}
}

func TestRunFlagsSQLite(t *testing.T) {
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{{"-store", "sqlite"}, {"-store", "postgres"}, {"-data", t.TempDir()}} {
		if code := run(context.Background(), args, dynamo.Config{Endpoint: "http://127.0.0.1:1"}, &stdout, &stderr); code != 2 {
			t.Fatalf("%v: exit %d", args, code)
		}
	}
	// A directory without a database is an error, and gets none created.
	dir := t.TempDir()
	stderr.Reset()
	if code := run(context.Background(), []string{"-store", "sqlite", "-data", dir}, dynamo.Config{}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "keystorm.db") {
		t.Fatalf("no database: exit %d, %q", code, stderr.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("created %v", entries)
	}
}
