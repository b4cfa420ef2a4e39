package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/apigw"
	"github.com/keystorm/keystorm/infra/gateway"
	"github.com/keystorm/keystorm/infra/sqlite"
)

// A world whose plans are empty (the projector's deliveries were lost):
// -key re-places that key only, and no flag re-places every key from
// its current state, the application default included.
func TestSync(t *testing.T) {
	t.Setenv(apigw.StagesEnv, "")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := domain.NewService(st)
	svc.Hasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}
	boot, err := svc.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	admin := domain.Caller{TenantID: boot.Tenant.ID, AccountID: boot.Admin.ID, KeyID: boot.AdminKey.ID, Admin: true}
	name := func(s string) *string { return &s }
	perMinute := func(n int) *domain.RateLimit { return &domain.RateLimit{Requests: n, Period: time.Minute} }
	app, err := svc.CreateApplication(ctx, admin, domain.ApplicationInput{Name: name("Death Star"), RateLimit: perMinute(10)})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := svc.CreateAccount(ctx, admin, app.ID, domain.AccountInput{Email: name("tk421@example.com"), Password: name("Changeme1")})
	if err != nil {
		t.Fatal(err)
	}
	own, err := svc.CreateAPIKey(ctx, admin, acc.ID, domain.APIKeyInput{RateLimit: perMinute(100)})
	if err != nil {
		t.Fatal(err)
	}
	def, err := svc.CreateAPIKey(ctx, admin, acc.ID, domain.APIKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	plans := &gateway.Plans{}
	open := func(context.Context, []apigw.Stage) (store, domain.UsagePlans, error) { return st, plans, nil }
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"-stages", "abc123:prod", "-key", own.Key.ID}, open, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if l, ok := plans.Limit(domain.UsageIdentifier(own.Key.ID)); !ok || l.Requests != 100 {
		t.Fatalf("own key %v %v", l, ok)
	}
	if _, ok := plans.Limit(domain.UsageIdentifier(def.Key.ID)); ok {
		t.Fatal("-key synced another key")
	}
	if code := run(ctx, []string{"-stages", "abc123:prod"}, open, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if l, ok := plans.Limit(domain.UsageIdentifier(def.Key.ID)); !ok || l.Requests != 10 {
		t.Fatalf("default key %v %v", l, ok)
	}
	for _, bad := range [][]string{{}, {"-stages", "nocolon"}, {"-stages", "a:b", "-key", "k", "-tenant", "t"}, {"-stages", "a:b", "extra"}} {
		if code := run(ctx, bad, open, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d", bad, code)
		}
	}
}
