package domain_test

import (
	"context"
	"crypto/rand"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/tokens"
)

// issueEnv is a developer key of the bootstrap application and a token
// service over the same store, with real ES256 signing.
type issueEnv struct {
	*env
	tokens *domain.TokenService
	acc    *domain.Account
	key    *domain.APIKey
	secret string
}

func setupIssue(t testing.TB) *issueEnv {
	t.Helper()
	e := setup(t)
	ctx := context.Background()
	user, email, pw := "tk421", "tk421@example.com", "Changeme1"
	acc, err := e.svc.CreateAccount(ctx, e.admin, e.boot.Application.ID, domain.AccountInput{Username: &user, Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	k, err := e.svc.CreateAPIKey(ctx, e.admin, acc.ID, domain.APIKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	ts := &domain.TokenService{Store: e.h.Store, Signer: tokens.NewSigner(tokens.NewFileStore("", e.clock), e.clock),
		Clock: e.clock, IDs: domain.RandomIDs{}, Issuer: "https://keystorm.test", Audience: "keystorm"}
	return &issueEnv{env: e, tokens: ts, acc: acc, key: k.Key, secret: k.Secret}
}

func (e *issueEnv) issue(secret string) error {
	_, err := e.tokens.Issue(context.Background(), domain.TokenRequest{KeyID: e.key.ID, Secret: secret, BaseURL: "https://keystorm.test"})
	return err
}

func wantInvalidClient(t *testing.T, err error, what string) {
	t.Helper()
	var oe *domain.OAuthError
	if !errors.As(err, &oe) || oe.Code != domain.OAuthInvalidClient {
		t.Fatalf("%s: got %v, want invalid_client", what, err)
	}
}

// TestIssueReadsOnce: once a client has shown its secret, a token costs
// one BatchGetItem (key, account and application together), and a wrong
// secret still costs exactly what an unknown key id costs.
func TestIssueReadsOnce(t *testing.T) {
	e := setupIssue(t)
	if err := e.issue(e.secret); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		e.h.Counter.Reset()
		if err := e.issue(e.secret); err != nil {
			t.Fatal(err)
		}
		if got, want := e.h.Counter.Snapshot(), map[string]int64{"BatchGetItem": 1}; !maps.Equal(got, want) {
			t.Fatalf("a token read %v, want %v", got, want)
		}
	}
	wrong, err := domain.NewSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e.h.Counter.Reset()
	wantInvalidClient(t, e.issue(wrong), "wrong secret")
	wrongCost := e.h.Counter.Snapshot()
	e.h.Counter.Reset()
	_, err = e.tokens.Issue(context.Background(), domain.TokenRequest{KeyID: "NOSUCHKEY0000000000000000", Secret: wrong, BaseURL: "https://keystorm.test"})
	wantInvalidClient(t, err, "unknown key id")
	if unknownCost := e.h.Counter.Snapshot(); !maps.Equal(wrongCost, unknownCost) {
		t.Fatalf("a wrong secret read %v, an unknown key id %v", wrongCost, unknownCost)
	}
}

// TestIssueSeesChangesAtOnce: the token endpoint keeps nothing that could
// let a disabled key, account or application get a token, not even from
// the same instant (the clock is not advanced past any TTL).
func TestIssueSeesChangesAtOnce(t *testing.T) {
	e := setupIssue(t)
	ctx := context.Background()
	disabled, enabled := domain.StatusDisabled, domain.StatusEnabled
	steps := []struct {
		name        string
		off, on     func() error
		refusedWhen string
	}{
		{"key",
			func() error {
				_, err := e.svc.UpdateAPIKey(ctx, e.admin, e.key.ID, domain.APIKeyInput{Status: &disabled})
				return err
			},
			func() error {
				_, err := e.svc.UpdateAPIKey(ctx, e.admin, e.key.ID, domain.APIKeyInput{Status: &enabled})
				return err
			}, "key disabled"},
		{"account",
			func() error {
				_, err := e.svc.UpdateAccount(ctx, e.admin, e.acc.ID, domain.AccountInput{Status: &disabled})
				return err
			},
			func() error {
				_, err := e.svc.UpdateAccount(ctx, e.admin, e.acc.ID, domain.AccountInput{Status: &enabled})
				return err
			}, "account disabled"},
		{"application",
			func() error {
				_, err := e.svc.UpdateApplication(ctx, e.admin, e.boot.Application.ID, domain.ApplicationInput{Status: &disabled})
				return err
			},
			func() error {
				_, err := e.svc.UpdateApplication(ctx, e.admin, e.boot.Application.ID, domain.ApplicationInput{Status: &enabled})
				return err
			}, "application disabled"},
	}
	for _, s := range steps {
		if err := e.issue(e.secret); err != nil {
			t.Fatalf("before the %s was disabled: %v", s.name, err)
		}
		if err := s.off(); err != nil {
			t.Fatal(err)
		}
		wantInvalidClient(t, e.issue(e.secret), s.refusedWhen)
		if err := s.on(); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.issue(e.secret); err != nil {
		t.Fatalf("all enabled again: %v", err)
	}
	// Deleted: refused too.
	if err := e.svc.DeleteAPIKey(ctx, e.admin, e.key.ID); err != nil {
		t.Fatal(err)
	}
	wantInvalidClient(t, e.issue(e.secret), "key deleted")
}

// TestIssueFreshWhateverTheClock: the entries the token endpoints keep are
// shared by the process, and never served as answers, so a service on a
// clock that reads earlier (here a copy of the first, set an hour back)
// still refuses a key disabled a moment ago.
func TestIssueFreshWhateverTheClock(t *testing.T) {
	e := setupIssue(t)
	if err := e.issue(e.secret); err != nil {
		t.Fatal(err)
	}
	earlier := newClockAt(e.clock.Now().Add(-time.Hour))
	behind := *e.tokens
	behind.Clock = earlier
	disabled := domain.StatusDisabled
	if _, err := e.svc.UpdateAPIKey(context.Background(), e.admin, e.key.ID, domain.APIKeyInput{Status: &disabled}); err != nil {
		t.Fatal(err)
	}
	_, err := behind.Issue(context.Background(), domain.TokenRequest{KeyID: e.key.ID, Secret: e.secret, BaseURL: "https://keystorm.test"})
	wantInvalidClient(t, err, "key disabled, clock behind")
}

// BenchmarkIssue is the token endpoint's domain work for a client that
// already got a token: one BatchGetItem on the embedded DynamoDB (over
// loopback HTTP), the scope-less grant, and one ES256 signature.
func BenchmarkIssue(b *testing.B) {
	e := setupIssue(b)
	ctx := context.Background()
	req := domain.TokenRequest{KeyID: e.key.ID, Secret: e.secret, BaseURL: "https://keystorm.test", Source: "192.0.2.1"}
	e.tokens.Throttle = domain.NewThrottle(e.clock)
	if _, err := e.tokens.Issue(ctx, req); err != nil {
		b.Fatal(err)
	}
	e.h.Counter.Reset()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.tokens.Issue(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(e.h.Counter.Total())/float64(b.N), "storecalls/op")
}
