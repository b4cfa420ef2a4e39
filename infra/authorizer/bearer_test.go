package authorizer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	miniserver "github.com/truora/minidyn/server"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authctx"
	"github.com/keystorm/keystorm/infra/authorizer"
)

const scopeOthers = "view_others_equipment"

// A developer's token with a scope granted by a group, and an admin's
// token: both are allowed on the example API, with the scope and auth
// type in the context.
func TestBearerAllow(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.grantGroup(t, e.dev.ID, scopeOthers)
	cases := []struct {
		name            string
		keyID, secret   string
		accountID, app  string
		admin           bool
		scope, wantScop string
		username        string
	}{
		{"developer with scope", e.devKey.Key.ID, e.devKey.Secret, e.dev.ID, e.boot.Application.ID, false, scopeOthers + " not_granted", scopeOthers, e.dev.Username},
		{"developer without scope", e.devKey.Key.ID, e.devKey.Secret, e.dev.ID, e.boot.Application.ID, false, "", "", e.dev.Username},
		{"admin", e.boot.AdminKey.ID, e.boot.AdminSecret, e.boot.Admin.ID, e.boot.AdminApp.ID, true, "", "", e.boot.Admin.Username},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			iss := e.issue(t, c.keyID, c.secret, c.scope)
			resp, err := e.auth.HandleRequest(ctx, request(authorizer.BearerHeader(iss.Signed)))
			wantAllow(t, resp, err, exampleRes)
			href := "https://" + exampleHost + "/prod/v1/accounts/" + c.accountID
			want := authctx.Identity{AccountHref: href, AccountID: c.accountID, APIKeyID: c.keyID, TenantID: e.boot.Tenant.ID,
				ApplicationID: c.app, AuthType: authctx.AuthBearer, Admin: c.admin, Scope: c.wantScop, Username: c.username}
			if resp.PrincipalID != href || !reflect.DeepEqual(resp.Context, want.Map()) {
				t.Fatalf("principal %q context %v, want %v", resp.PrincipalID, resp.Context, want.Map())
			}
			if got, err := authctx.FromMap(resp.Context); err != nil || got != want || got.HasScope(scopeOthers) != (c.wantScop != "") {
				t.Fatalf("FromMap: %v %+v", err, got)
			}
			b, _ := json.Marshal(resp)
			if strings.Contains(string(b), iss.Signed) || strings.Contains(e.logs.String(), iss.Signed) {
				t.Fatal("token in the response or the logs")
			}
		})
	}
}

// forge returns a token for the developer's key whose claims were changed
// by mut, signed by sign (the real key unless the case says otherwise).
func (e *env) forge(t *testing.T, mut func(c *tokenClaims), sign func(c tokenClaims) (string, error)) string {
	t.Helper()
	iss := e.issue(t, e.devKey.Key.ID, e.devKey.Secret, "")
	c := claimsOf(iss.Token)
	if mut != nil {
		mut(&c)
	}
	if sign == nil {
		sign = func(c tokenClaims) (string, error) { return signClaims(jose.ES256, e.tokens.priv, e.tokens.kid, c) }
	}
	s, err := sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64json(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Each kind of bad token is refused with 401, before any store call. The
// forged token with only the changed property is built next to a good one,
// so each case fails for its own reason.
func TestBearerRejections(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	now := e.clock.Now()
	cases := map[string]func(t *testing.T) string{
		"alg none": func(t *testing.T) string {
			good := e.forge(t, nil, nil)
			parts := strings.Split(good, ".")
			return b64json(map[string]string{"alg": "none", "typ": "at+jwt", "kid": e.tokens.kid}) + "." + parts[1] + "."
		},
		"HMAC confusion (HS256 keyed with the public key)": func(t *testing.T) string {
			pub, err := x509.MarshalPKIXPublicKey(&e.tokens.priv.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			return e.forge(t, nil, func(c tokenClaims) (string, error) { return signClaims(jose.HS256, pub, e.tokens.kid, c) })
		},
		"tampered signature": func(t *testing.T) string {
			good := e.forge(t, nil, nil)
			i := strings.LastIndexByte(good, '.') + 10
			flip := byte('A')
			if good[i] == 'A' {
				flip = 'B'
			}
			return good[:i] + string(flip) + good[i+1:]
		},
		"tampered claims (admin added, signature kept)": func(t *testing.T) string {
			good := e.forge(t, nil, nil)
			parts := strings.Split(good, ".")
			forged := e.forge(t, func(c *tokenClaims) { c.Admin = true }, nil)
			return parts[0] + "." + strings.Split(forged, ".")[1] + "." + parts[2]
		},
		"unknown kid": func(t *testing.T) string {
			other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return e.forge(t, nil, func(c tokenClaims) (string, error) { return signClaims(jose.ES256, other, "k-unknown", c) })
		},
		"known kid, another key": func(t *testing.T) string {
			other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return e.forge(t, nil, func(c tokenClaims) (string, error) { return signClaims(jose.ES256, other, e.tokens.kid, c) })
		},
		"expired (beyond the leeway)": func(t *testing.T) string {
			return e.forge(t, func(c *tokenClaims) {
				c.IssuedAt = jwt.NewNumericDate(now.Add(-2 * time.Hour))
				c.NotBefore = c.IssuedAt
				c.Expiry = jwt.NewNumericDate(now.Add(-tokenLeeway - time.Second))
			}, nil)
		},
		"not yet valid (beyond the leeway)": func(t *testing.T) string {
			return e.forge(t, func(c *tokenClaims) { c.NotBefore = jwt.NewNumericDate(now.Add(tokenLeeway + time.Minute)) }, nil)
		},
		"wrong issuer": func(t *testing.T) string {
			return e.forge(t, func(c *tokenClaims) { c.Issuer = "https://evil.test" }, nil)
		},
		"wrong audience": func(t *testing.T) string {
			return e.forge(t, func(c *tokenClaims) { c.Audience = jwt.Audience{"https://other-api.test"} }, nil)
		},
		"not a JWT": func(*testing.T) string { return "c2VjcmV0" },
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			tok := mk(t)
			e.h.Counter.Reset()
			resp, err := e.auth.HandleRequest(ctx, request(authorizer.BearerHeader(tok)))
			wantUnauthorized(t, resp, err)
			if n := e.h.Counter.Total(); n != 0 {
				t.Fatalf("a bad token cost %d DynamoDB calls", n)
			}
		})
	}
	// The good token, to show the table is not vacuous; and within the
	// leeway, times are forgiven.
	for name, mut := range map[string]func(c *tokenClaims){
		"good": nil,
		"expired within leeway": func(c *tokenClaims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(-time.Hour))
			c.NotBefore = c.IssuedAt
			c.Expiry = jwt.NewNumericDate(now.Add(-tokenLeeway / 2))
		},
		"nbf within leeway": func(c *tokenClaims) { c.NotBefore = jwt.NewNumericDate(now.Add(tokenLeeway / 2)) },
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := e.auth.HandleRequest(ctx, request(authorizer.BearerHeader(e.forge(t, mut, nil))))
			wantAllow(t, resp, err, exampleRes)
		})
	}
}

// After the key or account behind a token is disabled or deleted, or the
// token is revoked, Bearer requests are denied within the cache TTL. Time
// moves by a fake clock; nothing sleeps.
func TestBearerRevocationWithinTTL(t *testing.T) {
	revoke := map[string]func(e *env, token string) error{
		"disable key": func(e *env, _ string) error {
			_, err := e.svc.UpdateAPIKey(context.Background(), e.admin, e.devKey.Key.ID, domain.APIKeyInput{Status: ptr("DISABLED")})
			return err
		},
		"delete key": func(e *env, _ string) error {
			return e.svc.DeleteAPIKey(context.Background(), e.admin, e.devKey.Key.ID)
		},
		"disable account": func(e *env, _ string) error {
			_, err := e.svc.UpdateAccount(context.Background(), e.admin, e.dev.ID, domain.AccountInput{Status: ptr("DISABLED")})
			return err
		},
		"delete account": func(e *env, _ string) error {
			return e.svc.DeleteAccount(context.Background(), e.admin, e.dev.ID)
		},
		"revoke the token (by its own key)": func(e *env, token string) error {
			return e.tsvc.Revoke(context.Background(), e.devKey.Key.ID, e.devKey.Secret, "", token)
		},
		"revoke the token (by an admin key)": func(e *env, token string) error {
			return e.tsvc.Revoke(context.Background(), e.boot.AdminKey.ID, e.boot.AdminSecret, "", token)
		},
	}
	for name, do := range revoke {
		t.Run(name, func(t *testing.T) {
			e := setup(t)
			ctx := context.Background()
			tok := e.issue(t, e.devKey.Key.ID, e.devKey.Secret, "").Signed
			other := e.issue(t, e.boot.AdminKey.ID, e.boot.AdminSecret, "").Signed
			req := request(authorizer.BearerHeader(tok))
			resp, err := e.auth.HandleRequest(ctx, req)
			wantAllow(t, resp, err, exampleRes)
			if err := do(e, tok); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(ttl - 1)
			resp, err = e.auth.HandleRequest(ctx, req)
			wantAllow(t, resp, err, exampleRes)
			e.clock.Advance(1)
			resp, err = e.auth.HandleRequest(ctx, req)
			wantUnauthorized(t, resp, err)
			// An unrelated token is not affected.
			resp, err = e.auth.HandleRequest(ctx, request(authorizer.BearerHeader(other)))
			wantAllow(t, resp, err, exampleRes)
		})
	}
}

// Admin tokens reach the management API; developer tokens are denied
// there (403), on REST REQUEST and HTTP API alike.
func TestBearerOnManagementAPI(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	adminTok := e.issue(t, e.boot.AdminKey.ID, e.boot.AdminSecret, "").Signed
	devTok := e.issue(t, e.devKey.Key.ID, e.devKey.Secret, "").Signed
	mgmt := map[string]string{authorizer.StageVariableAPI: authorizer.ManagementAPI}

	r := request(authorizer.BearerHeader(adminTok))
	r.StageVariables = mgmt
	resp, err := e.auth.HandleRequest(ctx, r)
	wantAllow(t, resp, err, exampleRes)
	r = request(authorizer.BearerHeader(devTok))
	r.StageVariables = mgmt
	resp, err = e.auth.HandleRequest(ctx, r)
	wantDeny(t, resp, err, exampleArn)

	v := v2Request(authorizer.BearerHeader(adminTok))
	v.StageVariables = mgmt
	if s, err := e.auth.HandleHTTPAPISimple(ctx, v); err != nil || !s.IsAuthorized {
		t.Fatalf("admin token on the management HTTP API: %+v %v", s, err)
	}
	v = v2Request(authorizer.BearerHeader(devTok))
	v.StageVariables = mgmt
	if s, err := e.auth.HandleHTTPAPISimple(ctx, v); err != nil || s.IsAuthorized || s.Context != nil {
		t.Fatalf("developer token on the management HTTP API: %+v %v", s, err)
	}
	iam, err := e.auth.HandleHTTPAPIIAM(ctx, v)
	wantDeny(t, restResp(iam), err, v2Arn)
}

// A miss makes one signature check and reads the key, the revocation, the
// account and the application in one BatchGetItem; a hit makes neither a
// signature check nor a DynamoDB call.
func TestBearerCostPerAuthorization(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	tok := e.issue(t, e.devKey.Key.ID, e.devKey.Secret, "").Signed
	req := request(authorizer.BearerHeader(tok))
	e.h.Counter.Reset()
	before := e.tokens.verifies.Load()
	resp, err := e.auth.HandleRequest(ctx, req)
	wantAllow(t, resp, err, exampleRes)
	if got := e.h.Counter.Snapshot(); !reflect.DeepEqual(got, map[string]int64{"BatchGetItem": 1}) {
		t.Fatalf("cache miss: %v DynamoDB calls", got)
	}
	if n := e.tokens.verifies.Load() - before; n != 1 {
		t.Fatalf("cache miss: %d signature checks", n)
	}
	e.h.Counter.Reset()
	before = e.tokens.verifies.Load()
	const n = 5
	for range n {
		resp, err = e.auth.HandleRequest(ctx, req)
		wantAllow(t, resp, err, exampleRes)
	}
	if c := e.h.Counter.Total(); c != 0 {
		t.Fatalf("cache hit: %d DynamoDB calls, want 0", c)
	}
	if got := e.tokens.verifies.Load() - before; got != 0 {
		t.Fatalf("cache hit: %d signature checks for %d authorizations, want 0", got, n)
	}
}

// A store failure on a token's liveness check, or a verifier that cannot
// get its keys, is "could not decide": Deny (403), never Allow, and not
// cached as a denial.
func TestBearerFailuresDeny(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	tok := e.issue(t, e.devKey.Key.ID, e.devKey.Secret, "").Signed
	req := request(authorizer.BearerHeader(tok))

	auth := authorizer.New(lowRetryStore(t, e), e.clock, authorizer.Config{Applications: e.bound(), CacheTTL: ttl, Verifier: e.tokens})
	auth.Logger = e.handler(authorizer.Config{}).Logger
	e.h.Server.EmulateFailure(miniserver.FailureConditionInternalServerError)
	resp, err := auth.HandleRequest(ctx, req)
	wantDeny(t, resp, err, exampleArn)
	e.h.Server.EmulateFailure(miniserver.FailureConditionNone)
	resp, err = auth.HandleRequest(ctx, req)
	wantAllow(t, resp, err, exampleRes)

	down := e.handler(authorizer.Config{CacheTTL: ttl, Verifier: keysDown{}})
	resp, err = down.HandleRequest(ctx, req)
	wantDeny(t, resp, err, exampleArn)
	if strings.Contains(e.logs.String(), tok) {
		t.Fatal("token logged")
	}
}

type keysDown struct{}

func (keysDown) Verify(context.Context, string) (domain.AccessToken, error) {
	return domain.AccessToken{}, errors.New("jwks: connection refused")
}

// Without a verifier, Bearer is refused like an unknown scheme, and Basic
// still works.
func TestBearerWithoutVerifier(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	tok := e.issue(t, e.devKey.Key.ID, e.devKey.Secret, "").Signed
	auth := authorizer.New(e.h.Store, e.clock, authorizer.Config{Applications: e.bound(), CacheTTL: ttl})
	resp, err := auth.HandleRequest(ctx, request(authorizer.BearerHeader(tok)))
	wantUnauthorized(t, resp, err)
	resp, err = auth.HandleRequest(ctx, request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)))
	wantAllow(t, resp, err, exampleRes)
}
