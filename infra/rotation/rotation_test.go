package rotation_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/embedded"
	"github.com/keystorm/keystorm/infra/rotation"
	"github.com/keystorm/keystorm/infra/tokens"
)

var t0 = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

const (
	day   = 24 * time.Hour
	every = 30 * day
)

// memStore is a KeyStore in memory that starts empty (as the provisioned
// secret does), counts saves and can be made to fail them.
type memStore struct {
	mu       sync.Mutex
	ring     tokens.Keyring
	saves    int
	saveFail error
}

func (m *memStore) Load(context.Context) (tokens.Keyring, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ring, nil
}

func (m *memStore) Save(_ context.Context, r tokens.Keyring) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saveFail != nil {
		return m.saveFail
	}
	m.ring, m.saves = r, m.saves+1
	return nil
}

func (m *memStore) kids() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return kidsOf(m.ring)
}

func kidsOf(r tokens.Keyring) []string {
	var out []string
	for _, k := range r.Keys {
		out = append(out, k.KID)
	}
	return out
}

// publisher publishes into an embedded DynamoDB's views table, at the
// given time.
func publisher(st *dynamo.Store, at time.Time) func(context.Context, []byte) error {
	return func(ctx context.Context, doc []byte) error { return st.PutJWKS(ctx, doc, at) }
}

// publishedKids reads the published JWKS back and checks it holds public
// keys only.
func publishedKids(t *testing.T, st *dynamo.Store) []string {
	t.Helper()
	doc, err := st.GetJWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		if _, private := k["d"]; private {
			t.Fatalf("published JWKS holds a private key: %s", doc)
		}
		kids = append(kids, k["kid"].(string))
	}
	return kids
}

func sampleToken(now time.Time) domain.AccessToken {
	return domain.AccessToken{JTI: "tok_1", Issuer: "iss", Audience: domain.ApplicationAudience("aud", "app_1"), Subject: "https://k.example/v1/accounts/acc_1",
		ClientID: "KEY1", TenantID: "ten_1", ApplicationID: "app_1", AccountID: "acc_1", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
}

// The whole life of a deployment: the first run creates and publishes the
// first key; runs before it is due change nothing but republish; the run
// that finds it due publishes the next key ahead; the switch happens by
// itself; the retired key goes once its tokens have expired. A verifier
// reading only the published document (as the authorizer does) accepts
// every token at every step.
func TestRunLifecycle(t *testing.T) {
	ctx := context.Background()
	h := embedded.New(t)
	keys := &memStore{}

	res, err := rotation.Run(ctx, keys, publisher(h.Store, t0), t0, every)
	if err != nil {
		t.Fatal(err)
	}
	first := keys.kids()
	if !res.Rotated || len(first) != 1 || res.Current != first[0] || res.Next != "" || keys.saves != 1 {
		t.Fatalf("first run: %+v, store %v, %d saves", res, first, keys.saves)
	}
	if got := publishedKids(t, h.Store); !slices.Equal(got, first) || !slices.Equal(res.Published, first) {
		t.Fatalf("published %v, result %v, want %v", got, res.Published, first)
	}

	// The authorizer's view: the published document only, cached.
	clock := &fakeClock{now: t0}
	verifier := tokens.NewVerifier(tokens.NewJWKSSource(tokens.PublishedJWKS(h.Store.GetJWKS), clock), "iss", "aud", clock)
	verifier.Clock = clock
	check := func(now time.Time) string {
		t.Helper()
		clock.set(now)
		c := domain.ClockFunc(func() time.Time { return now })
		tok, err := tokens.NewSigner(keys, c).Sign(ctx, sampleToken(now))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := verifier.Verify(ctx, tok); err != nil {
			t.Fatalf("token of %v does not verify against the published JWKS: %v", now, err)
		}
		ring, _ := keys.Load(ctx)
		cur, _ := ring.Current(now)
		return cur.KID
	}
	if kid := check(t0); kid != first[0] {
		t.Fatalf("signs with %s", kid)
	}

	// Daily runs before the key is due: nothing saved, the same published.
	for d := 1; d < 30; d++ {
		now := t0.Add(time.Duration(d) * day)
		res, err := rotation.Run(ctx, keys, publisher(h.Store, now), now, every)
		if err != nil || res.Rotated || res.Current != first[0] || keys.saves != 1 {
			t.Fatalf("day %d: %+v %v (%d saves)", d, res, err, keys.saves)
		}
	}
	// The key is due at t0+30d; the first run from PublishAhead before
	// that adds the next key, signing from due.
	now := t0.Add(every - tokens.PublishAhead)
	res, err = rotation.Run(ctx, keys, publisher(h.Store, now), now, every)
	if err != nil {
		t.Fatal(err)
	}
	both := keys.kids()
	if !res.Rotated || len(both) != 2 || res.Current != first[0] || res.Next != both[1] || res.NextFrom == nil || !res.NextFrom.Equal(t0.Add(every)) {
		t.Fatalf("rotation: %+v, store %v", res, both)
	}
	if got := publishedKids(t, h.Store); !slices.Equal(got, both) {
		t.Fatalf("published %v, want %v", got, both)
	}
	// Until due the old key signs; from due the new one, with no run in
	// between, and the verifier knows it (it refetches on an unknown kid).
	if kid := check(now); kid != first[0] {
		t.Fatalf("before due signs with %s", kid)
	}
	if kid := check(t0.Add(every)); kid != both[1] {
		t.Fatalf("after due signs with %s, want %s", kid, both[1])
	}
	// The old key stays published for VerifyWindow after it retired...
	now = t0.Add(every + tokens.VerifyWindow - time.Second)
	if res, err := rotation.Run(ctx, keys, publisher(h.Store, now), now, every); err != nil || res.Rotated || len(res.Published) != 2 {
		t.Fatalf("inside the window: %+v %v", res, err)
	}
	// ...and then goes.
	now = t0.Add(every + tokens.VerifyWindow)
	res, err = rotation.Run(ctx, keys, publisher(h.Store, now), now, every)
	if err != nil || !res.Rotated || !slices.Equal(res.Published, both[1:]) {
		t.Fatalf("after the window: %+v %v", res, err)
	}
	if got := publishedKids(t, h.Store); !slices.Equal(got, both[1:]) {
		t.Fatalf("published %v, want %v", got, both[1:])
	}
}

// A failed publication saves nothing, so no key can sign before it is
// published; the next run starts over.
func TestRunPublishFailureSavesNothing(t *testing.T) {
	ctx := context.Background()
	keys := &memStore{}
	down := errors.New("dynamodb down")
	_, err := rotation.Run(ctx, keys, func(context.Context, []byte) error { return down }, t0, every)
	if !errors.Is(err, down) || keys.saves != 0 || len(keys.kids()) != 0 {
		t.Fatalf("err %v, %d saves, kids %v", err, keys.saves, keys.kids())
	}
	h := embedded.New(t)
	if _, err := rotation.Run(ctx, keys, publisher(h.Store, t0), t0, every); err != nil {
		t.Fatal(err)
	}
	if got := publishedKids(t, h.Store); !slices.Equal(got, keys.kids()) || len(got) != 1 {
		t.Fatalf("published %v, store %v", got, keys.kids())
	}
}

// A failed save is an error; the published set then holds a key that will
// never sign, and the next run publishes the truth again.
func TestRunSaveFailure(t *testing.T) {
	ctx := context.Background()
	h := embedded.New(t)
	keys := &memStore{saveFail: errors.New("secrets manager down")}
	if _, err := rotation.Run(ctx, keys, publisher(h.Store, t0), t0, every); err == nil || !strings.Contains(err.Error(), "secrets manager down") {
		t.Fatalf("err = %v", err)
	}
	orphan := publishedKids(t, h.Store)
	keys.saveFail = nil
	now := t0.Add(time.Minute)
	res, err := rotation.Run(ctx, keys, publisher(h.Store, now), now, every)
	if err != nil {
		t.Fatal(err)
	}
	if got := publishedKids(t, h.Store); !slices.Equal(got, keys.kids()) || slices.Equal(got, orphan) || res.Current != got[0] {
		t.Fatalf("published %v, store %v, orphan %v", got, keys.kids(), orphan)
	}
}

// every = 0 (the OAuth function's first-key path) creates a key only when
// none can sign, and never rotates.
func TestRunWithoutPeriodOnlyCreatesFirstKey(t *testing.T) {
	ctx := context.Background()
	keys := &memStore{}
	var docs [][]byte
	pub := func(_ context.Context, doc []byte) error { docs = append(docs, doc); return nil }
	if res, err := rotation.Run(ctx, keys, pub, t0, 0); err != nil || !res.Rotated || len(keys.kids()) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	later := t0.Add(365 * day)
	if res, err := rotation.Run(ctx, keys, pub, later, 0); err != nil || res.Rotated || len(keys.kids()) != 1 || keys.saves != 1 {
		t.Fatalf("a year later: %+v %v", res, err)
	}
	if len(docs) != 2 || string(docs[0]) != string(docs[1]) {
		t.Fatalf("published %q", docs)
	}
}

func TestParseEvery(t *testing.T) {
	good := map[string]time.Duration{"": rotation.DefaultEvery, "30d": 30 * day, " 7d ": 7 * day, "720h": 720 * time.Hour, "1h": time.Hour}
	for v, want := range good {
		if got, err := rotation.ParseEvery(v); err != nil || got != want {
			t.Errorf("ParseEvery(%q) = %v, %v; want %v", v, got, err, want)
		}
	}
	for _, v := range []string{"0", "0d", "-1d", "59m", "1.5d", "d", "30 days", "3651d", "soon"} {
		if got, err := rotation.ParseEvery(v); err == nil {
			t.Errorf("ParseEvery(%q) = %v, want an error", v, got)
		}
	}
}

func TestKeySourceFromEnv(t *testing.T) {
	cases := []struct {
		dir, secret string
		bad         bool
	}{
		{"", "", true},
		{"/tmp/k", "arn:aws:secretsmanager:us-east-1:1:secret:k", true},
		{"/tmp/k", "", false},
		{"", "arn:aws:secretsmanager:us-east-1:1:secret:k", false},
	}
	for _, c := range cases {
		t.Setenv(rotation.KeysDirEnv, c.dir)
		t.Setenv(tokens.SecretsEnv, c.secret)
		dir, secret, err := rotation.KeySourceFromEnv()
		if (err != nil) != c.bad || (!c.bad && (dir != c.dir || secret != c.secret)) {
			t.Errorf("dir %q secret %q: %q %q %v", c.dir, c.secret, dir, secret, err)
		}
	}
}

// The handler takes the sample scheduled event, uses a fresh store per
// invocation, publishes at its clock and answers kids only.
func TestHandlerInvoke(t *testing.T) {
	h := embedded.New(t)
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(sample(t), &ev); err != nil {
		t.Fatal(err)
	}
	keys := &memStore{}
	calls := 0
	now := t0
	hd := &rotation.Handler{
		Keys:    func() tokens.KeyStore { calls++; return keys },
		Publish: h.Store.PutJWKS,
		Every:   every,
		Clock:   domain.ClockFunc(func() time.Time { return now }),
	}
	res, err := hd.Invoke(context.Background(), ev)
	if err != nil || !res.Rotated || calls != 1 {
		t.Fatalf("%+v %v (%d stores)", res, err, calls)
	}
	out, _ := json.Marshal(res)
	if strings.Contains(string(out), `"d"`) || !strings.Contains(string(out), res.Current) {
		t.Fatalf("answer %s", out)
	}
	now = t0.Add(every)
	if res, err = hd.Invoke(context.Background(), ev); err != nil || !res.Rotated || len(res.Published) != 2 || calls != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	if got := publishedKids(t, h.Store); !slices.Equal(got, res.Published) {
		t.Fatalf("published %v, answered %v", got, res.Published)
	}
	if _, err := (&rotation.Handler{Keys: hd.Keys, Publish: hd.Publish}).Invoke(context.Background(), ev); err == nil {
		t.Fatal("a handler without a period ran")
	}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}
