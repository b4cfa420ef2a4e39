package main

import (
	"bytes"
	"context"
	"encoding/json"
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
