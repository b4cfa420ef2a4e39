package apigw_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/apigw"
)

var (
	perMinute = domain.RateLimit{Requests: 100, Period: time.Minute}
	perSecond = domain.RateLimit{Requests: 5, Period: time.Second}
	stages    = []apigw.Stage{{APIID: "abc123", Stage: "prod"}}
	idA       = domain.UsageIdentifier("2ZFMV4WVVCVG35XATIFUTE8DI")
	idB       = domain.UsageIdentifier("3AGNW5XWWDWH46YBUJGVUF9EJ")
)

func setup(t *testing.T) (*fakeGateway, *apigw.Plans) {
	f, srv := newFake(t)
	return f, apigw.New(apigw.NewTestClient(srv.URL), stages, nil)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestPutCreatesPlanAndKey(t *testing.T) {
	ctx := context.Background()
	f, p := setup(t)
	must(t, p.Put(ctx, idA, perMinute))
	if got := f.plansOfValue(idA); !slices.Equal(got, []string{"keystorm-100-per-60s"}) {
		t.Fatalf("in plans %v", got)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.plans) != 1 || len(f.keys) != 1 {
		t.Fatalf("%d plans, %d keys", len(f.plans), len(f.keys))
	}
	for _, up := range f.plans {
		// 100 per minute: burst 100, refill 1.6667 per second.
		if up.Throttle == nil || up.Throttle.BurstLimit != 100 || math.Abs(up.Throttle.RateLimit-100.0/60) > 1e-9 ||
			math.Abs(up.Throttle.RateLimit-1.6667) > 1e-4 {
			t.Errorf("throttle %+v", up.Throttle)
		}
		if !slices.Equal(up.APIStages, []fakeStage{{"abc123", "prod"}}) {
			t.Errorf("stages %+v", up.APIStages)
		}
	}
	for _, k := range f.keys {
		if k.Name != idA || k.Value != idA || !k.Enabled {
			t.Errorf("API key %+v", k)
		}
	}
}

func TestPutAgainWritesNothing(t *testing.T) {
	ctx := context.Background()
	f, p := setup(t)
	must(t, p.Put(ctx, idA, perMinute))
	w0, c0 := f.counts()
	must(t, p.Put(ctx, idA, perMinute))
	w1, c1 := f.counts()
	if w1 != w0 {
		t.Errorf("a repeated Put wrote %d times", w1-w0)
	}
	// Plan and key ids are cached: one read, of the key's plans.
	if n := c1["GET /usageplans"] - c0["GET /usageplans"]; n != 1 || c1["GET /apikeys"] != c0["GET /apikeys"] {
		t.Errorf("calls before %v, after %v", c0, c1)
	}
}

func TestPutMovesKey(t *testing.T) {
	ctx := context.Background()
	f, p := setup(t)
	must(t, p.Put(ctx, idA, perMinute))
	must(t, p.Put(ctx, idA, perSecond))
	if got := f.plansOfValue(idA); !slices.Equal(got, []string{"keystorm-5-per-1s"}) {
		t.Fatalf("in plans %v", got)
	}
	must(t, p.Put(ctx, idA, perMinute))
	if got := f.plansOfValue(idA); !slices.Equal(got, []string{"keystorm-100-per-60s"}) {
		t.Fatalf("back: in plans %v", got)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.plans) != 2 || len(f.keys) != 1 {
		t.Fatalf("%d plans, %d keys", len(f.plans), len(f.keys))
	}
}

func TestSameLimitSharesPlan(t *testing.T) {
	ctx := context.Background()
	f, p := setup(t)
	must(t, p.Put(ctx, idA, perMinute))
	must(t, p.Put(ctx, idB, perMinute))
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.plans) != 1 || len(f.keys) != 2 {
		t.Fatalf("%d plans, %d keys", len(f.plans), len(f.keys))
	}
	for _, up := range f.plans {
		if len(up.keys) != 2 {
			t.Errorf("plan keys %v", up.keys)
		}
	}
}

func TestRemove(t *testing.T) {
	ctx := context.Background()
	f, p := setup(t)
	must(t, p.Put(ctx, idA, perMinute))
	must(t, p.Put(ctx, idB, perMinute))
	must(t, p.Remove(ctx, idA))
	if got := f.plansOfValue(idA); len(got) != 0 {
		t.Fatalf("still in %v", got)
	}
	if got := f.plansOfValue(idB); len(got) != 1 {
		t.Fatalf("the other key is in %v", got)
	}
	f.mu.Lock()
	if len(f.keys) != 1 {
		t.Errorf("%d API keys left", len(f.keys))
	}
	f.mu.Unlock()
	// Again, and from a fresh instance: nothing to do, no error.
	must(t, p.Remove(ctx, idA))
	// And Put after Remove recreates the key.
	must(t, p.Put(ctx, idA, perSecond))
	if got := f.plansOfValue(idA); !slices.Equal(got, []string{"keystorm-5-per-1s"}) {
		t.Fatalf("in plans %v", got)
	}
}

func TestRemoveUnknown(t *testing.T) {
	ctx := context.Background()
	f, p := setup(t)
	must(t, p.Remove(ctx, idA))
	if w, _ := f.counts(); w != 0 {
		t.Errorf("%d writes for an unknown key", w)
	}
}

// Every route this package calls fails once with 429
// (TooManyRequestsException; the SDK's retries are off in the tests):
// the call fails, and retrying it, as the stream does, converges on one
// plan per limit, one API key per identifier, each key in one plan.
func TestRetryConverges(t *testing.T) {
	for _, route := range []string{"GET /usageplans", "POST /usageplans", "GET /apikeys", "POST /apikeys",
		"POST /usageplans/{id}/keys", "DELETE /usageplans/{id}/keys/{keyId}"} {
		t.Run(route, func(t *testing.T) {
			ctx := context.Background()
			f, srv := newFake(t)
			must(t, apigw.New(apigw.NewTestClient(srv.URL), stages, nil).Put(ctx, idA, perSecond))
			f.mu.Lock()
			f.fail[route] = 1
			f.mu.Unlock()
			// A fresh instance creates idB's key, puts it in the
			// existing plan, then moves it to a new one: every route.
			p := apigw.New(apigw.NewTestClient(srv.URL), stages, nil)
			failed := 0
			for _, limit := range []domain.RateLimit{perSecond, perMinute} {
				err := p.Put(ctx, idB, limit)
				for i := 0; err != nil && i < 3; i++ {
					failed++
					err = p.Put(ctx, idB, limit)
				}
				must(t, err)
			}
			f.mu.Lock()
			left := f.fail[route]
			f.mu.Unlock()
			if left != 0 || failed != 1 {
				t.Fatalf("failure not injected (%d left) or not reported (%d errors)", left, failed)
			}
			if got := f.plansOfValue(idB); !slices.Equal(got, []string{"keystorm-100-per-60s"}) {
				t.Fatalf("idB in plans %v", got)
			}
			if got := f.plansOfValue(idA); !slices.Equal(got, []string{"keystorm-5-per-1s"}) {
				t.Fatalf("idA in plans %v", got)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.plans) != 2 || len(f.keys) != 2 {
				t.Fatalf("%d plans, %d keys", len(f.plans), len(f.keys))
			}
		})
	}
}

// Another instance (its own caches) created the plan and the key: this
// one finds them by name and value, and creates nothing.
func TestFreshInstanceFindsPlanAndKey(t *testing.T) {
	ctx := context.Background()
	f, srv := newFake(t)
	first := apigw.New(apigw.NewTestClient(srv.URL), stages, nil)
	must(t, first.Put(ctx, idA, perMinute))
	_, c0 := f.counts()
	second := apigw.New(apigw.NewTestClient(srv.URL), stages, nil)
	must(t, second.Put(ctx, idA, perMinute))
	_, c1 := f.counts()
	if c1["POST /usageplans"] != c0["POST /usageplans"] || c1["POST /apikeys"] != c0["POST /apikeys"] || c1["POST /usageplans/{id}/keys"] != c0["POST /usageplans/{id}/keys"] {
		t.Errorf("calls before %v, after %v", c0, c1)
	}
	// Remove from a fresh instance finds the key by value too.
	third := apigw.New(apigw.NewTestClient(srv.URL), stages, nil)
	must(t, third.Remove(ctx, idA))
	if got := f.plansOfValue(idA); len(got) != 0 {
		t.Fatalf("still in %v", got)
	}
}

// A stage added to the configuration reaches the plans that exist.
func TestNewStageAttached(t *testing.T) {
	ctx := context.Background()
	f, srv := newFake(t)
	must(t, apigw.New(apigw.NewTestClient(srv.URL), stages, nil).Put(ctx, idA, perMinute))
	more := append(slices.Clone(stages), apigw.Stage{APIID: "def456", Stage: "live"})
	must(t, apigw.New(apigw.NewTestClient(srv.URL), more, nil).Put(ctx, idB, perMinute))
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, up := range f.plans {
		if !slices.Equal(up.APIStages, []fakeStage{{"abc123", "prod"}, {"def456", "live"}}) {
			t.Errorf("stages %+v", up.APIStages)
		}
	}
}

func TestParseStages(t *testing.T) {
	got, err := apigw.ParseStages(" abc123:prod, def456:live ,")
	if err != nil || !slices.Equal(got, []apigw.Stage{{"abc123", "prod"}, {"def456", "live"}}) {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"abc123", ":prod", "abc:", "a:b:c"} {
		if _, err := apigw.ParseStages(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got, err := apigw.ParseStages(""); err != nil || len(got) != 0 {
		t.Errorf("empty: %v %v", got, err)
	}
}

func TestPlanName(t *testing.T) {
	if got := apigw.PlanName(domain.RateLimit{Requests: 1000, Period: 24 * time.Hour}); got != "keystorm-1000-per-86400s" {
		t.Error(got)
	}
}

// One instance removed the key's API key while another still has its id
// cached: the other's next Put fails once (NotFound), forgets the id,
// and its retry recreates the API key.
func TestStaleCachedKeyRecovers(t *testing.T) {
	ctx := context.Background()
	f, srv := newFake(t)
	a := apigw.New(apigw.NewTestClient(srv.URL), stages, nil)
	b := apigw.New(apigw.NewTestClient(srv.URL), stages, nil)
	must(t, a.Put(ctx, idA, perMinute))
	must(t, b.Remove(ctx, idA))
	err := a.Put(ctx, idA, perSecond)
	if err == nil {
		t.Fatal("a Put with a stale API key id succeeded without recreating the key")
	}
	must(t, a.Put(ctx, idA, perSecond))
	if got := f.plansOfValue(idA); !slices.Equal(got, []string{"keystorm-5-per-1s"}) {
		t.Fatalf("in plans %v", got)
	}
}

// Another instance creates the same API key between this one's lookup
// and its create: the 409 means it exists, and Put adopts it.
func TestKeyCreateConflictAdopts(t *testing.T) {
	ctx := context.Background()
	f, p := setup(t)
	f.mu.Lock()
	f.raceKeyCreate = true
	f.mu.Unlock()
	must(t, p.Put(ctx, idA, perMinute))
	if got := f.plansOfValue(idA); !slices.Equal(got, []string{"keystorm-100-per-60s"}) {
		t.Fatalf("in plans %v", got)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.keys) != 1 || f.calls["POST /apikeys"] != 1 {
		t.Fatalf("%d keys, %d creates", len(f.keys), f.calls["POST /apikeys"])
	}
}

// Two instances created the first plan of a limit at once, so two plans
// share its name: every instance picks the smaller id, and a key found
// in the other one is moved, so it ends in exactly one.
func TestDuplicatePlansConverge(t *testing.T) {
	ctx := context.Background()
	f, srv := newFake(t)
	must(t, apigw.New(apigw.NewTestClient(srv.URL), stages, nil).Put(ctx, idA, perMinute))
	f.mu.Lock()
	if len(f.plans) != 1 {
		t.Fatalf("%d plans", len(f.plans))
	}
	var first *fakePlan
	for _, up := range f.plans {
		first = up
	}
	// The duplicate (a larger id) holds the key.
	dup := &fakePlan{ID: "id9999", Name: first.Name, Throttle: first.Throttle, APIStages: first.APIStages, keys: first.keys}
	first.keys = nil
	f.plans[dup.ID] = dup
	f.mu.Unlock()
	must(t, apigw.New(apigw.NewTestClient(srv.URL), stages, nil).Put(ctx, idA, perMinute))
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(first.keys) != 1 || len(dup.keys) != 0 {
		t.Fatalf("keys: plan %s %v, duplicate %v", first.ID, first.keys, dup.keys)
	}
}
