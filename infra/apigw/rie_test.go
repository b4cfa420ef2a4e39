package apigw_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/embedded"
	"github.com/keystorm/keystorm/infra/rie"
)

// fixtureKey is the key id in functions/projector/testdata.
const fixtureKey = "2ZFMV4WVVCVG35XATIFUTE8DI"

// TestProjectorUnderEmulator builds functions/projector as SAM ships it
// and invokes it, through the Lambda Runtime Interface Emulator, with
// its sample stream event (a rate_limit_set INSERT, NEW_IMAGE) pointed
// at a key of the embedded DynamoDB that has a limit of 100 a minute,
// and with API Gateway being the fake: the record decodes, the key's API
// key lands in the plan of its limit, the batch reports no failure, and
// the same record again (a redelivery) writes nothing.
func TestProjectorUnderEmulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	bootstrap, err := rie.Build(ctx, "./functions/projector", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := embedded.New(t)
	svc := domain.NewService(h.Store)
	svc.Hasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}
	boot, err := svc.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	admin := domain.Caller{TenantID: boot.Tenant.ID, AccountID: boot.Admin.ID, KeyID: boot.AdminKey.ID, Admin: true}
	name := func(s string) *string { return &s }
	app, err := svc.CreateApplication(ctx, admin, domain.ApplicationInput{Name: name("Death Star")})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := svc.CreateAccount(ctx, admin, app.ID, domain.AccountInput{Email: name("tk421@example.com"), Password: name("Changeme1")})
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateAPIKey(ctx, admin, acc.ID, domain.APIKeyInput{RateLimit: &perMinute})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "functions", "projector", "testdata", "stream-insert.json"))
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte(strings.ReplaceAll(string(raw), fixtureKey, key.Key.ID))

	f, srv := newFake(t)
	cfg := h.Server.Config()
	em, err := rie.Start(ctx, bootstrap, []string{
		"DYNAMODB_ENDPOINT=" + cfg.Endpoint, "EVENTS_TABLE=" + cfg.EventsTable, "VIEWS_TABLE=" + cfg.ViewsTable,
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL_API_GATEWAY=" + srv.URL, "USAGE_PLAN_STAGES=abc123:prod", "LOG_LEVEL=debug",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	invoke := func() {
		t.Helper()
		out, err := em.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("%v\n%s", err, em.Output())
		}
		var resp lambdaevents.DynamoDBEventResponse
		if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("answer %s (%v)\n%s", out, err, em.Output())
		}
	}
	invoke()
	id := domain.UsageIdentifier(key.Key.ID)
	if got := f.plansOfValue(id); !slices.Equal(got, []string{"keystorm-100-per-60s"}) {
		t.Fatalf("in plans %v\n%s", got, em.Output())
	}
	w0, _ := f.counts()
	invoke()
	if w1, _ := f.counts(); w1 != w0 {
		t.Errorf("the redelivered record wrote %d times", w1-w0)
	}
	if err := em.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(em.Output(), `"msg":"usage plan key added"`) {
		t.Errorf("the change was not logged:\n%s", em.Output())
	}
}
