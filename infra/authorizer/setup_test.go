package authorizer_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/embedded"
)

// fakeClock is a settable clock: tests move time, they never sleep.
type fakeClock struct{ t atomic.Int64 }

func newClock() *fakeClock {
	c := &fakeClock{}
	c.t.Store(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.t.Load()).UTC() }
func (c *fakeClock) Advance(d time.Duration) { c.t.Add(int64(d)) }

// cheapHasher keeps account creation fast in tests.
var cheapHasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}

const ttl = 5 * time.Second

// env is a bootstrapped tenant on an embedded DynamoDB with a developer
// account and key, and an authorizer over the same store.
type env struct {
	h      *embedded.Harness
	svc    *domain.Service
	clock  *fakeClock
	boot   domain.Bootstrapped
	admin  domain.Caller
	dev    *domain.Account
	devKey domain.CreatedAPIKey
	auth   *authorizer.Handler
	logs   *syncBuffer
	// tokens signs and verifies access tokens; tsvc issues and revokes
	// them over the same store.
	tokens *testTokens
	tsvc   *domain.TokenService
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func setup(t testing.TB) *env {
	t.Helper()
	h := embedded.New(t)
	e := &env{h: h, svc: domain.NewService(h.Store), clock: newClock(), logs: &syncBuffer{}}
	e.svc.Clock = e.clock
	e.svc.Hasher = cheapHasher
	var err error
	if e.boot, err = e.svc.Bootstrap(context.Background(), domain.BootstrapInput{}); err != nil {
		t.Fatal(err)
	}
	e.admin = domain.Caller{TenantID: e.boot.Tenant.ID, AccountID: e.boot.Admin.ID, KeyID: e.boot.AdminKey.ID, Admin: true}
	e.dev, e.devKey = e.newAccountKey(t, "tk421")
	e.tokens = newTestTokens(t, e.clock)
	e.tsvc = &domain.TokenService{Store: h.Store, Signer: e.tokens, Verifier: e.tokens, Clock: e.clock, IDs: &ids{},
		Issuer: testIssuer, Audience: testAudience}
	e.auth = e.handler(authorizer.Config{CacheTTL: ttl})
	h.Counter.Reset()
	return e
}

// handler is an authorizer over the env's store and clock; it verifies
// Bearer tokens with e.tokens unless cfg names another verifier.
func (e *env) handler(cfg authorizer.Config) *authorizer.Handler {
	if cfg.Verifier == nil {
		cfg.Verifier = e.tokens
	}
	if cfg.Applications == nil {
		cfg.Applications = e.bound()
	}
	a := authorizer.New(e.h.Store, e.clock, cfg)
	a.Logger = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return a
}

func ptr(s string) *string { return &s }

// bound is the binding of the tests' APIs: the bootstrap application and
// the administrators application, so both kinds of key pass unless a test
// binds otherwise.
func (e *env) bound() []string { return []string{e.boot.Application.ID, e.boot.AdminApp.ID} }

func (e *env) newAccountKey(t testing.TB, username string) (*domain.Account, domain.CreatedAPIKey) {
	t.Helper()
	ctx := context.Background()
	acc, err := e.svc.CreateAccount(ctx, e.admin, e.boot.Application.ID, domain.AccountInput{
		Username: ptr(username), Email: ptr(username + "@example.com"), GivenName: ptr("Trooper"), Surname: ptr(username), Password: ptr("Changeme1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	k, err := e.svc.CreateAPIKey(ctx, e.admin, acc.ID, domain.APIKeyInput{Name: ptr("laptop")})
	if err != nil {
		t.Fatal(err)
	}
	return acc, k
}

// issue runs the client credentials grant for a key and returns the
// signed token.
func (e *env) issue(t testing.TB, keyID, secret, scope string) domain.Issued {
	t.Helper()
	iss, err := e.tsvc.Issue(context.Background(), domain.TokenRequest{KeyID: keyID, Secret: secret, Scope: scope, BaseURL: "https://" + exampleHost + "/prod"})
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// grantGroup puts an account in a group named scope, so that tokens may
// carry that scope.
func (e *env) grantGroup(t testing.TB, accountID, scope string) {
	t.Helper()
	ctx := context.Background()
	g, err := e.svc.CreateGroup(ctx, e.admin, e.boot.Application.ID, domain.GroupInput{Name: ptr(scope)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateMembership(ctx, e.admin, accountID, g.ID); err != nil {
		t.Fatal(err)
	}
}

const (
	exampleArn  = "arn:aws:execute-api:us-east-1:123456789012:def456/prod/GET/troopers/tk421/equipment"
	exampleRes  = "arn:aws:execute-api:us-east-1:123456789012:def456/prod/GET/troopers/*/equipment"
	exampleHost = "def456.execute-api.us-east-1.amazonaws.com"
)

// request is the REQUEST authorizer event for GET /troopers/tk421/equipment
// on the example API, with the given Authorization header ("" for none).
func request(authorization string) events.APIGatewayCustomAuthorizerRequestTypeRequest {
	h := map[string]string{"Host": exampleHost, "X-Forwarded-Proto": "https"}
	if authorization != "" {
		h["Authorization"] = authorization
	}
	mv := map[string][]string{}
	for k, v := range h {
		mv[k] = []string{v}
	}
	return events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: exampleArn, Resource: "/troopers/{id}/equipment", Path: "/troopers/tk421/equipment",
		HTTPMethod: "GET", Headers: h, MultiValueHeaders: mv, PathParameters: map[string]string{"id": "tk421"},
		RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{
			Path: "/prod/troopers/tk421/equipment", AccountID: "123456789012", Stage: "prod", RequestID: "req-1",
			ResourcePath: "/troopers/{id}/equipment", HTTPMethod: "GET", APIID: "def456",
		},
	}
}
