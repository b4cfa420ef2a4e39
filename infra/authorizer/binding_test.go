package authorizer_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authorizer"
)

type eventsRequest = events.APIGatewayCustomAuthorizerRequestTypeRequest

// otherApp creates a second application of the same tenant with a
// developer key, as a provider with two applications has.
func (e *env) otherApp(t *testing.T) (*domain.Application, domain.CreatedAPIKey) {
	t.Helper()
	ctx := context.Background()
	app, err := e.svc.CreateApplication(ctx, e.admin, domain.ApplicationInput{Name: ptr("Executor")})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := e.svc.CreateAccount(ctx, e.admin, app.ID, domain.AccountInput{
		Username: ptr("fn2187"), Email: ptr("fn2187@example.com"), GivenName: ptr("Finn"), Surname: ptr("Trooper"), Password: ptr("Changeme1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	k, err := e.svc.CreateAPIKey(ctx, e.admin, acc.ID, domain.APIKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	return app, k
}

// TestBindingRefusesOtherApplications: an API bound to application X
// answers a key or token of application Y exactly as it answers an
// unknown key (401), whether the binding comes from the function's
// configuration or the API's stage variable. Before binding existed, any
// application's key passed.
func TestBindingRefusesOtherApplications(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	other, otherKey := e.otherApp(t)
	otherTok := e.issue(t, otherKey.Key.ID, otherKey.Secret, "").Signed
	devTok := e.issue(t, e.devKey.Key.ID, e.devKey.Secret, "").Signed
	basicOther := authorizer.BasicHeader(otherKey.Key.ID, otherKey.Secret)
	basicDev := authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)

	bound := e.handler(authorizer.Config{CacheTTL: ttl, Applications: []string{e.boot.Application.ID}})
	for _, h := range []string{basicOther, authorizer.BearerHeader(otherTok)} {
		resp, err := bound.HandleRequest(ctx, request(h))
		wantUnauthorized(t, resp, err)
	}
	for _, h := range []string{basicDev, authorizer.BearerHeader(devTok)} {
		resp, err := bound.HandleRequest(ctx, request(h))
		wantAllow(t, resp, err, exampleRes)
	}
	// An admin key is not a developer key of the bound application either.
	resp, err := bound.HandleRequest(ctx, request(authorizer.BasicHeader(e.boot.AdminKey.ID, e.boot.AdminSecret)))
	wantUnauthorized(t, resp, err)

	// The stage variable binds one API to another application.
	req := request(basicOther)
	req.StageVariables = map[string]string{authorizer.StageVariableApplications: other.ID}
	resp, err = bound.HandleRequest(ctx, req)
	wantAllow(t, resp, err, exampleRes)
	req = request(basicDev)
	req.StageVariables = map[string]string{authorizer.StageVariableApplications: other.ID}
	resp, err = bound.HandleRequest(ctx, req)
	wantUnauthorized(t, resp, err)

	// Several applications, and "*".
	for _, apps := range [][]string{{e.boot.Application.ID, other.ID}, {authorizer.AnyApplication}} {
		h := e.handler(authorizer.Config{CacheTTL: ttl, Applications: apps})
		for _, hd := range []string{basicOther, basicDev, authorizer.BearerHeader(otherTok)} {
			resp, err := h.HandleRequest(ctx, request(hd))
			wantAllow(t, resp, err, exampleRes)
		}
	}
	// No binding at all accepts nobody: an unconfigured API fails closed.
	none := e.handler(authorizer.Config{CacheTTL: ttl, Applications: []string{}})
	resp, err = none.HandleRequest(ctx, request(basicDev))
	wantUnauthorized(t, resp, err)

	// The management API ignores the binding: admin keys of the tenant
	// pass, developer keys are denied (403) whatever their application.
	mgmt := request(authorizer.BasicHeader(e.boot.AdminKey.ID, e.boot.AdminSecret))
	mgmt.StageVariables = map[string]string{authorizer.StageVariableAPI: authorizer.ManagementAPI}
	resp, err = none.HandleRequest(ctx, mgmt)
	wantAllow(t, resp, err, exampleRes)
	mgmt = request(basicOther)
	mgmt.StageVariables = map[string]string{authorizer.StageVariableAPI: authorizer.ManagementAPI}
	resp, err = none.HandleRequest(ctx, mgmt)
	wantDeny(t, resp, err, exampleArn)
}

// TestDisabledApplicationRefuses: disabling an application stops its keys
// and tokens within the cache TTL; enabling it again brings the keys back
// but not the tokens issued before the disable. Before, a disabled
// application's keys and tokens kept passing.
func TestDisabledApplicationRefuses(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	auth := e.handler(authorizer.Config{CacheTTL: 5 * time.Second})
	basic := request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret))
	oldTok := e.issue(t, e.devKey.Key.ID, e.devKey.Secret, "").Signed
	bearer := request(authorizer.BearerHeader(oldTok))
	for _, r := range []eventsRequest{basic, bearer} {
		resp, err := auth.HandleRequest(ctx, r)
		wantAllow(t, resp, err, exampleRes)
	}
	e.clock.Advance(time.Second)
	if _, err := e.svc.UpdateApplication(ctx, e.admin, e.boot.Application.ID, domain.ApplicationInput{Status: ptr(domain.StatusDisabled)}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(6 * time.Second) // past the cache TTL
	for _, r := range []eventsRequest{basic, bearer} {
		resp, err := auth.HandleRequest(ctx, r)
		wantUnauthorized(t, resp, err)
	}
	// The token endpoint refuses it too.
	if _, err := e.tsvc.Issue(ctx, domain.TokenRequest{KeyID: e.devKey.Key.ID, Secret: e.devKey.Secret}); err == nil {
		t.Fatal("a disabled application's key got a token")
	}

	e.clock.Advance(time.Second)
	if _, err := e.svc.UpdateApplication(ctx, e.admin, e.boot.Application.ID, domain.ApplicationInput{Status: ptr(domain.StatusEnabled)}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(6 * time.Second)
	resp, err := auth.HandleRequest(ctx, basic)
	wantAllow(t, resp, err, exampleRes)
	resp, err = auth.HandleRequest(ctx, bearer)
	wantUnauthorized(t, resp, err) // issued before the disable: dead for good
	e.clock.Advance(time.Second)
	newTok := e.issue(t, e.devKey.Key.ID, e.devKey.Secret, "").Signed
	resp, err = auth.HandleRequest(ctx, request(authorizer.BearerHeader(newTok)))
	wantAllow(t, resp, err, exampleRes)
}

// TestBasicThrottlePerSource: at the authorizer, a source that keeps
// sending wrong secrets for a key id is refused for a while (401, the
// answer a wrong secret gets), the right secret from any other source
// still passes, and a source spraying unknown ids is throttled as a whole.
// Before, guesses were never slowed down.
func TestBasicThrottlePerSource(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	auth := e.handler(authorizer.Config{CacheTTL: ttl})
	from := func(header, ip string) eventsRequest {
		r := request(header)
		r.RequestContext.Identity.SourceIP = ip
		return r
	}
	wrongSecret, err := domain.NewSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	right := authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)
	wrong := authorizer.BasicHeader(e.devKey.Key.ID, wrongSecret)
	for range domain.DefaultPerKeyThrottle.Free + 1 {
		resp, err := auth.HandleRequest(ctx, from(wrong, "198.51.100.7"))
		wantUnauthorized(t, resp, err)
	}
	// The guessing source is now refused even with the right secret...
	resp, err := auth.HandleRequest(ctx, from(right, "198.51.100.7"))
	wantUnauthorized(t, resp, err)
	// ...while the owner elsewhere passes.
	resp, err = auth.HandleRequest(ctx, from(right, "203.0.113.9"))
	wantAllow(t, resp, err, exampleRes)
	// After the wait the right secret passes there too.
	e.clock.Advance(2 * time.Second)
	resp, err = auth.HandleRequest(ctx, from(right, "198.51.100.7"))
	wantAllow(t, resp, err, exampleRes)

	// Spraying unknown ids: the whole source waits.
	for i := range domain.DefaultPerSourceThrottle.Free + 1 {
		resp, err := auth.HandleRequest(ctx, from(authorizer.BasicHeader(fmt.Sprintf("UNKNOWNKEY%015d", i), wrongSecret), "192.0.2.1"))
		wantUnauthorized(t, resp, err)
	}
	resp, err = auth.HandleRequest(ctx, from(right, "192.0.2.1"))
	wantUnauthorized(t, resp, err)
	resp, err = auth.HandleRequest(ctx, from(right, "192.0.2.2"))
	wantAllow(t, resp, err, exampleRes)
}
