package authorizer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authorizer"
)

// A cached decision never outlives the token: one second before exp the
// token is checked and cached; at exp, though the cache TTL has not run
// out, it is verified again (the verifier then judges it, with its
// leeway), never answered from the cache.
func TestBearerCacheNeverPastExp(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	iss := e.issue(t, e.devKey.Key.ID, e.devKey.Secret, "")
	req := request(authorizer.BearerHeader(iss.Signed))
	e.clock.Advance(iss.Token.ExpiresAt.Sub(e.clock.Now()) - time.Second)
	before := e.tokens.verifies.Load()
	resp, err := e.auth.HandleRequest(ctx, req)
	wantAllow(t, resp, err, exampleRes)
	resp, err = e.auth.HandleRequest(ctx, req)
	wantAllow(t, resp, err, exampleRes)
	if n := e.tokens.verifies.Load() - before; n != 1 {
		t.Fatalf("before exp: %d signature checks, want 1 (then a hit)", n)
	}
	e.clock.Advance(time.Second)
	before = e.tokens.verifies.Load()
	resp, err = e.auth.HandleRequest(ctx, req)
	wantAllow(t, resp, err, exampleRes) // within the verifier's leeway
	if n := e.tokens.verifies.Load() - before; n != 1 {
		t.Fatalf("at exp: %d signature checks, want 1: the cached answer outlived the token", n)
	}
	// Past the leeway the verifier refuses it, whatever was cached.
	e.clock.Advance(tokenLeeway + time.Second)
	resp, err = e.auth.HandleRequest(ctx, req)
	wantUnauthorized(t, resp, err)
}

// A cached good token does not vouch for anything else: a copy with its
// signature tampered with carries the same claims (and jti), and is
// refused and verified on every call, before and after the good one is
// cached.
func TestBearerCacheServesOnlyVerifiedTokens(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	good := e.issue(t, e.devKey.Key.ID, e.devKey.Secret, "").Signed
	i := strings.LastIndexByte(good, '.') + 10
	flip := byte('A')
	if good[i] == 'A' {
		flip = 'B'
	}
	bad := good[:i] + string(flip) + good[i+1:]
	for round, tok := range []string{bad, good, bad, bad, good} {
		before := e.tokens.verifies.Load()
		resp, err := e.auth.HandleRequest(ctx, request(authorizer.BearerHeader(tok)))
		verified := e.tokens.verifies.Load() - before
		if tok == bad {
			wantUnauthorized(t, resp, err)
			if verified != 1 {
				t.Fatalf("round %d: tampered token answered with %d signature checks, want 1", round, verified)
			}
			continue
		}
		wantAllow(t, resp, err, exampleRes)
		if want := int64(map[bool]int{true: 1, false: 0}[round == 1]); verified != want {
			t.Fatalf("round %d: good token with %d signature checks, want %d", round, verified, want)
		}
	}
}

// A verifier that cannot decide is not cached either: once it is back,
// the token is verified and allowed.
func TestBearerVerifierFailureNotCached(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	tok := e.issue(t, e.devKey.Key.ID, e.devKey.Secret, "").Signed
	flaky := &flakyVerifier{env: e, down: true}
	auth := e.handler(authorizer.Config{CacheTTL: ttl, Verifier: flaky})
	req := request(authorizer.BearerHeader(tok))
	resp, err := auth.HandleRequest(ctx, req)
	wantDeny(t, resp, err, exampleArn)
	flaky.down = false
	resp, err = auth.HandleRequest(ctx, req)
	wantAllow(t, resp, err, exampleRes)
}

type flakyVerifier struct {
	env  *env
	down bool
}

func (f *flakyVerifier) Verify(ctx context.Context, token string) (domain.AccessToken, error) {
	if f.down {
		return keysDown{}.Verify(ctx, token)
	}
	return f.env.tokens.Verify(ctx, token)
}
