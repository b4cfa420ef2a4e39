package stack_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/stack"
)

// TestRateLimitsOverHTTP: an application's default rate limit and a
// key's own are enforced by the local gateway as API Gateway's usage
// plans would (a bucket per key: bursts up to requests, refilled at
// requests per period), with 429, the API's error shape and
// Retry-After; the projector puts each key in its plan from the events.
func TestRateLimitsOverHTTP(t *testing.T) {
	c := startTTL(t, 0)
	ctx := context.Background()
	dev, _ := c.developer("tk421")
	call := func(cl *client) resp {
		t.Helper()
		return cl.do("GET", "/troopers/tk421/equipment", nil)
	}
	settle := func() {
		t.Helper()
		if err := c.s.Feed.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// No limit: any number of calls.
	for i := 0; i < 10; i++ {
		if r := call(dev); r.Status != 200 {
			t.Fatalf("unlimited call %d: %d %s", i, r.Status, r.Body)
		}
	}
	// Bad limits are refused by name.
	for _, bad := range []any{map[string]any{"requests": 0, "period": "PT1M"}, map[string]any{"requests": 5, "period": "P2D"},
		map[string]any{"requests": 5}, map[string]any{"requests": "5", "period": "PT1M"}, "5/min", map[string]any{"requests": 5, "period": "PT1M", "burst": 9}} {
		if r := c.do("POST", c.app, map[string]any{"rateLimit": bad}); r.Status != 400 {
			t.Fatalf("rateLimit %v: %d %s", bad, r.Status, r.Body)
		}
	}
	// The application's default: 3 per minute.
	app := c.must(200, c.do("POST", c.app, map[string]any{"rateLimit": map[string]any{"requests": 3, "period": "PT1M"}}))
	if rl, _ := app["rateLimit"].(map[string]any); rl["requests"] != float64(3) || rl["period"] != "PT1M" {
		t.Fatalf("application rateLimit: %v", app["rateLimit"])
	}
	settle()
	for i := 0; i < 3; i++ {
		if r := call(dev); r.Status != 200 {
			t.Fatalf("call %d within the limit: %d %s", i, r.Status, r.Body)
		}
	}
	r := call(dev)
	if r.Status != 429 || code(t, r) != 8400 {
		t.Fatalf("over the limit: %d %s", r.Status, r.Body)
	}
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 20 {
		t.Fatalf("Retry-After %q: one request refills in 20 s", r.Header.Get("Retry-After"))
	}
	// Another key of the application has a bucket of its own.
	other, _ := c.developer("tk422")
	if r := other.do("GET", "/troopers/tk422/equipment", nil); r.Status != 200 {
		t.Fatalf("another key of the application: %d %s", r.Status, r.Body)
	}
	// 20 s refill one request.
	c.clock.Advance(21 * time.Second)
	if r := call(dev); r.Status != 200 {
		t.Fatalf("after the refill: %d %s", r.Status, r.Body)
	}
	if r := call(dev); r.Status != 429 {
		t.Fatalf("one request refilled, two taken: %d", r.Status)
	}
	// The key's own limit overrides the default.
	key := c.must(200, c.do("POST", "/v1/apiKeys/"+dev.id, map[string]any{"rateLimit": map[string]any{"requests": 5, "period": "PT1S"}}))
	if rl, _ := key["rateLimit"].(map[string]any); rl["requests"] != float64(5) || rl["period"] != "PT1S" {
		t.Fatalf("key rateLimit: %v", key["rateLimit"])
	}
	settle()
	for i := 0; i < 5; i++ {
		if r := call(dev); r.Status != 200 {
			t.Fatalf("own limit, call %d: %d %s", i, r.Status, r.Body)
		}
	}
	if r := call(dev); r.Status != 429 || r.Header.Get("Retry-After") != "1" {
		t.Fatalf("over the own limit: %d %q", r.Status, r.Header.Get("Retry-After"))
	}
	// Lifting both: unlimited again.
	c.must(200, c.do("POST", "/v1/apiKeys/"+dev.id, map[string]any{"rateLimit": nil}))
	c.must(200, c.do("POST", c.app, map[string]any{"rateLimit": nil}))
	settle()
	for i := 0; i < 10; i++ {
		if r := call(dev); r.Status != 200 {
			t.Fatalf("lifted, call %d: %d %s", i, r.Status, r.Body)
		}
	}
	if dl := c.s.Feed.DeadLetters(); len(dl) != 0 {
		t.Fatalf("dead letters: %v", dl)
	}
}

// TestRestartRefillsPlans: the local gateway's plans live in memory, so a
// restart fills them from the keys (in the background): a key's own limit
// and an application's default are both back.
func TestRestartRefillsPlans(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := startData(t, stack.StoreSQLite, dir)
	admin := domain.Caller{TenantID: s.Boot.Tenant.ID, AccountID: s.Boot.Admin.ID, KeyID: s.Boot.AdminKey.ID, Admin: true}
	email, pw := "tk421@example.com", "Changeme1"
	acc, err := s.Service.CreateAccount(ctx, admin, s.Boot.Application.ID, domain.AccountInput{Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	own, err := s.Service.CreateAPIKey(ctx, admin, acc.ID, domain.APIKeyInput{RateLimit: &domain.RateLimit{Requests: 7, Period: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	def, err := s.Service.CreateAPIKey(ctx, admin, acc.ID, domain.APIKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Service.UpdateApplication(ctx, admin, s.Boot.Application.ID, domain.ApplicationInput{RateLimit: &domain.RateLimit{Requests: 3, Period: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = startData(t, stack.StoreSQLite, dir)
	defer s.Close()
	if err := s.PlansFilled(ctx); err != nil {
		t.Fatal(err)
	}
	if l, ok := s.Plans.Limit(domain.UsageIdentifier(own.Key.ID)); !ok || l.Requests != 7 {
		t.Fatalf("own limit after restart: %v %v", l, ok)
	}
	if l, ok := s.Plans.Limit(domain.UsageIdentifier(def.Key.ID)); !ok || l.Requests != 3 {
		t.Fatalf("default limit after restart: %v %v", l, ok)
	}
}
