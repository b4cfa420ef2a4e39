package projector_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/gateway"
	"github.com/keystorm/keystorm/infra/projector"
	"github.com/keystorm/keystorm/infra/sqlite"
)

// recorder is a projection that notes what it is given and fails the
// versions it is told to.
type recorder struct {
	mu   sync.Mutex
	seen []events.Envelope
	fail map[int64]bool
}

func (r *recorder) Name() string { return "recorder" }

func (r *recorder) Handle(_ context.Context, env events.Envelope) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, env)
	if r.fail[env.Version] {
		return errors.New("refused")
	}
	return nil
}

func streamBatch(t *testing.T) lambdaevents.DynamoDBEvent {
	t.Helper()
	raw, err := os.ReadFile("testdata/stream-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev lambdaevents.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// A stream batch (a real record shape, NEW_IMAGE) is decoded and
// projected in order; the MODIFY record is skipped.
func TestHandleStreamProjectsInserts(t *testing.T) {
	rec := &recorder{}
	p := &projector.Projector{Projections: []domain.Projection{rec}}
	resp, err := p.HandleStream(context.Background(), streamBatch(t))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("%v %+v", err, resp)
	}
	if len(rec.seen) != 3 {
		t.Fatalf("projected %d events, want the 3 inserts", len(rec.seen))
	}
	want := []string{events.TypeAPIKeyCreated, events.TypeAPIKeyRateLimitSet, events.TypeAPIKeyDeleted}
	for i, env := range rec.seen {
		if env.Type != want[i] || env.Version != int64(i+1) || env.Stream != "apikey#2ZFMV4WVVCVG35XATIFUTE8DI" || env.Meta.Tenant != "tnt_4xQ2Zb9mPq1sLk8vR3wYcD" {
			t.Fatalf("event %d: %+v", i, env)
		}
		if _, err := events.Decode(env); err != nil {
			t.Fatalf("event %d does not decode: %v", i, err)
		}
	}
	if at := rec.seen[1].At; !at.Equal(time.Date(2026, 11, 27, 10, 0, 2, 500e6, time.UTC)) {
		t.Fatalf("at %v", at)
	}
}

// The first failure is the batch's failure, by its sequence number, and
// nothing after it is projected: Lambda retries from there, in order.
func TestHandleStreamReportsFirstFailure(t *testing.T) {
	rec := &recorder{fail: map[int64]bool{2: true}}
	p := &projector.Projector{Projections: []domain.Projection{rec}}
	resp, err := p.HandleStream(context.Background(), streamBatch(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "4421584700000000017450439093" {
		t.Fatalf("failures %+v", resp.BatchItemFailures)
	}
	if len(rec.seen) != 2 {
		t.Fatalf("projected %d events past a failure", len(rec.seen))
	}
	// A record that is not an event fails the same way.
	ev := streamBatch(t)
	ev.Records[0].Change.NewImage["version"] = lambdaevents.NewStringAttribute("x")
	resp, _ = (&projector.Projector{Projections: []domain.Projection{&recorder{}}}).HandleStream(context.Background(), ev)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "4421584500000000017450439091" {
		t.Fatalf("a bad image: %+v", resp.BatchItemFailures)
	}
}

// flaky fails every id's first Put or Remove, as a throttled API
// Gateway call would: the feed must retry.
type flaky struct {
	*gateway.Plans
	mu    sync.Mutex
	tried map[string]bool
	fails int
}

func (f *flaky) first(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tried[id] {
		return false
	}
	f.tried[id] = true
	f.fails++
	return true
}

func (f *flaky) Put(ctx context.Context, id string, l domain.RateLimit) error {
	if f.first(id) {
		return errors.New("TooManyRequestsException")
	}
	return f.Plans.Put(ctx, id, l)
}

func (f *flaky) Remove(ctx context.Context, id string) error {
	if f.first(id) {
		return errors.New("TooManyRequestsException")
	}
	return f.Plans.Remove(ctx, id)
}

// TestFeedAtLeastOnceConverges runs a workload through the local feed,
// with failing deliveries retried, then delivers every event again, in
// a random order with duplicates: the usage plans end exactly as the
// keys' state says, every time.
func TestFeedAtLeastOnceConverges(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	plans := &flaky{Plans: &gateway.Plans{}, tried: map[string]bool{}}
	proj := &projector.Projector{Projections: []domain.Projection{&domain.PlanSync{Store: st, Plans: plans}}}
	feed := projector.NewFeed(st, proj)
	feed.Backoff = time.Millisecond
	t.Cleanup(feed.Close)
	svc := domain.NewService(feed)
	svc.Hasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}
	boot, err := svc.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	admin := domain.Caller{TenantID: boot.Tenant.ID, AccountID: boot.Admin.ID, KeyID: boot.AdminKey.ID, Admin: true}
	name := func(s string) *string { return &s }
	limit := func(n int) *domain.RateLimit { return &domain.RateLimit{Requests: n, Period: time.Minute} }
	app, err := svc.CreateApplication(ctx, admin, domain.ApplicationInput{Name: name("Death Star"), RateLimit: limit(10)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i := range 6 {
		acc, err := svc.CreateAccount(ctx, admin, app.ID, domain.AccountInput{Email: name(string(rune('a'+i)) + "@example.com"), Password: name("Changeme1")})
		if err != nil {
			t.Fatal(err)
		}
		for j := range 3 {
			in := domain.APIKeyInput{}
			if j == 1 {
				in.RateLimit = limit(100 + i)
			}
			k, err := svc.CreateAPIKey(ctx, admin, acc.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k.Key.ID)
		}
	}
	// Change things after: a default changed, an own limit lifted, keys
	// deleted (one with its own limit).
	if _, err := svc.UpdateApplication(ctx, admin, app.ID, domain.ApplicationInput{RateLimit: limit(20)}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateAPIKey(ctx, admin, keys[4], domain.APIKeyInput{RateLimit: &domain.RateLimit{}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{keys[0], keys[7]} {
		if err := svc.DeleteAPIKey(ctx, admin, id); err != nil {
			t.Fatal(err)
		}
	}
	wait := func() {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := feed.Wait(wctx); err != nil {
			t.Fatal(err)
		}
		if dl := feed.DeadLetters(); len(dl) != 0 {
			t.Fatalf("%d events set aside", len(dl))
		}
	}
	// expect is what the state says: the model the plans must match.
	expect := func() map[string]domain.RateLimit {
		want := map[string]domain.RateLimit{}
		cur := &domain.Application{}
		if err := st.Load(ctx, domain.Ref{Kind: domain.KindApplication, ID: app.ID}, cur); err != nil {
			t.Fatal(err)
		}
		for _, id := range keys {
			k := &domain.APIKey{}
			if err := st.Load(ctx, domain.Ref{Kind: domain.KindAPIKey, ID: id}, k); err != nil {
				t.Fatal(err)
			}
			if l := domain.EffectiveRateLimit(k, cur); !k.Deleted() && !l.IsZero() {
				want[domain.UsageIdentifier(id)] = l
			}
		}
		return want
	}
	check := func(when string) {
		t.Helper()
		want := expect()
		for _, id := range keys {
			u := domain.UsageIdentifier(id)
			got, ok := plans.Limit(u)
			w, wok := want[u]
			if ok != wok || got != w {
				t.Fatalf("%s: key %s planned %v %v, state says %v %v", when, id, got, ok, w, wok)
			}
		}
	}
	wait()
	check("after the workload")
	if plans.fails == 0 || feed.Attempts() <= plans.fails {
		t.Fatalf("the test must see failed deliveries retried (fails %d, attempts %d)", plans.fails, feed.Attempts())
	}
	if l, _ := plans.Limit(domain.UsageIdentifier(keys[1])); l.Requests != 100 {
		t.Fatalf("own limit %v", l)
	}
	if l, _ := plans.Limit(domain.UsageIdentifier(keys[4])); l.Requests != 20 {
		t.Fatalf("lifted own limit should follow the default: %v", l)
	}
	// Every event again, shuffled, some twice: nothing changes.
	all, err := st.ReadEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var envs []events.Envelope
	for _, s := range all {
		envs = append(envs, s...)
	}
	envs = append(envs, envs[:len(envs)/2]...)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(envs), func(i, j int) { envs[i], envs[j] = envs[j], envs[i] })
	feed.Publish(envs...)
	wait()
	check("after redelivering every event")
}
