package domain_test

import (
	"context"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo/storetest"
)

// The bucket of a limit: bursts of up to Requests, refilled at Requests
// per Period, waits computed to the next whole request.
func TestRateLimiterBucket(t *testing.T) {
	clock := newClockAt(storetest.Epoch)
	rl := &domain.RateLimiter{Clock: clock}
	l := domain.RateLimit{Requests: 3, Period: time.Minute}
	for i := range 3 {
		if ok, _ := rl.Allow("k", l); !ok {
			t.Fatalf("request %d of a full bucket refused", i)
		}
	}
	ok, wait := rl.Allow("k", l)
	if ok || wait <= 19*time.Second || wait > 20*time.Second {
		t.Fatalf("empty bucket: %v, wait %v (one request refills in 20 s)", ok, wait)
	}
	if ok, _ := rl.Allow("other", l); !ok {
		t.Fatal("buckets are per id")
	}
	clock.Advance(20 * time.Second)
	if ok, _ := rl.Allow("k", l); !ok {
		t.Fatal("a refilled request refused")
	}
	if ok, _ := rl.Allow("k", l); ok {
		t.Fatal("only one request refilled")
	}
	// A new limit starts a new, full bucket; no limit is never refused.
	if ok, _ := rl.Allow("k", domain.RateLimit{Requests: 1, Period: time.Second}); !ok {
		t.Fatal("a changed limit kept the old bucket")
	}
	for range 100 {
		if ok, _ := rl.Allow("k", domain.RateLimit{}); !ok {
			t.Fatal("no limit refused")
		}
	}
}

// Limits out of bounds are refused on keys and applications alike, and
// a key's own limit overrides its application's default.
func TestRateLimitBoundsAndEffect(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc := e.account(t, "tk421")
	for _, l := range []domain.RateLimit{{Requests: -1, Period: time.Minute}, {Requests: 1, Period: 0}, {Requests: 1, Period: 25 * time.Hour},
		{Requests: domain.MaxRateLimitRequests + 1, Period: time.Minute}, {Requests: 1, Period: 1500 * time.Millisecond}} {
		_, err := e.svc.CreateAPIKey(ctx, e.admin, acc.ID, domain.APIKeyInput{RateLimit: &l})
		wantKind(t, err, domain.KindInvalid)
		_, err = e.svc.UpdateApplication(ctx, e.admin, e.boot.Application.ID, domain.ApplicationInput{RateLimit: &l})
		wantKind(t, err, domain.KindInvalid)
	}
	app, err := e.svc.UpdateApplication(ctx, e.admin, e.boot.Application.ID, domain.ApplicationInput{RateLimit: &domain.RateLimit{Requests: 10, Period: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	own := domain.RateLimit{Requests: 2, Period: time.Second}
	k1, err := e.svc.CreateAPIKey(ctx, e.admin, acc.ID, domain.APIKeyInput{RateLimit: &own})
	if err != nil {
		t.Fatal(err)
	}
	k2, err := e.svc.CreateAPIKey(ctx, e.admin, acc.ID, domain.APIKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := domain.EffectiveRateLimit(k1.Key, app); got != own {
		t.Fatalf("own limit: %v", got)
	}
	if got := domain.EffectiveRateLimit(k2.Key, app); got != app.DefaultRateLimit {
		t.Fatalf("default: %v", got)
	}
	auth := &domain.KeyAuthenticator{Store: e.h.Store, Clock: e.clock}
	if p, err := auth.Authenticate(ctx, k2.Key.ID, k2.Secret); err != nil || p.RateLimit != app.DefaultRateLimit {
		t.Fatalf("the principal carries the effective limit: %v %+v", err, p.RateLimit)
	}
}
