package authorizer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/rie"
)

// sampleBytes reads a sample event of functions/authorizer/testdata.
func sampleBytes(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "functions", "authorizer", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sampleAuthorization is the Authorization value a sample ships with (a
// placeholder no store or JWKS knows).
func sampleAuthorization(t *testing.T, raw []byte) string {
	t.Helper()
	var ev struct {
		AuthorizationToken string            `json:"authorizationToken"`
		Headers            map[string]string `json:"headers"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.AuthorizationToken != "" {
		return ev.AuthorizationToken
	}
	for k, v := range ev.Headers {
		if strings.EqualFold(k, "authorization") {
			return v
		}
	}
	t.Fatal("sample without Authorization")
	return ""
}

// withAuthorization replaces a sample's credentials everywhere they occur
// (header, multi-value header, identitySource, authorizationToken).
func withAuthorization(t *testing.T, raw []byte, authorization string) []byte {
	t.Helper()
	q := func(s string) []byte { b, _ := json.Marshal(s); return b }
	return bytes.ReplaceAll(raw, q(sampleAuthorization(t, raw)), q(authorization))
}

// TestBinaryUnderEmulator builds functions/authorizer exactly as SAM would
// ship it and invokes it through the Lambda Runtime Interface Emulator,
// against the embedded DynamoDB and a JWKS file, with the repository's
// sample events of every flavour: the wiring in main.go reads its
// environment, dispatches raw events and answers a real runtime.
func TestBinaryUnderEmulator(t *testing.T) {
	e := setup(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	bootstrap, err := rie.Build(ctx, "./functions/authorizer", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The binary runs on the real clock, so its tokens are issued on it.
	live := newTestTokens(t, domain.ClockFunc(time.Now))
	tsvc := *e.tsvc
	tsvc.Signer, tsvc.Verifier, tsvc.Clock = live, live, domain.ClockFunc(time.Now)
	e.grantGroup(t, e.dev.ID, scopeOthers)
	iss, err := tsvc.Issue(ctx, domain.TokenRequest{KeyID: e.devKey.Key.ID, Secret: e.devKey.Secret, Scope: scopeOthers})
	if err != nil {
		t.Fatal(err)
	}
	adminIss, err := tsvc.Issue(ctx, domain.TokenRequest{KeyID: e.boot.AdminKey.ID, Secret: e.boot.AdminSecret})
	if err != nil {
		t.Fatal(err)
	}
	bearer, adminBearer := authorizer.BearerHeader(iss.Signed), authorizer.BearerHeader(adminIss.Signed)
	basic := authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwks, live.jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := e.h.Server.Config()
	baseEnv := []string{
		"DYNAMODB_ENDPOINT=" + cfg.Endpoint, "EVENTS_TABLE=" + cfg.EventsTable, "VIEWS_TABLE=" + cfg.ViewsTable,
		"AUTH_CACHE_TTL=5", "TOKEN_JWKS_FILE=" + jwks, "TOKEN_ISSUER=" + testIssuer, "TOKEN_AUDIENCE=" + testAudience,
		"KEYSTORM_APPLICATIONS=" + strings.Join(e.bound(), ","),
	}
	start := func(env ...string) *rie.Emulator {
		em, err := rie.Start(ctx, bootstrap, append(append([]string{}, baseEnv...), env...))
		if err != nil {
			t.Fatal(err)
		}
		return em
	}
	invoke := func(em *rie.Emulator, ev []byte) []byte {
		out, err := em.Invoke(ctx, ev)
		if err != nil {
			t.Fatalf("%v\n%s", err, em.Output())
		}
		return out
	}
	unauthorized := func(out []byte) bool {
		var fnErr struct{ ErrorMessage string }
		return json.Unmarshal(out, &fnErr) == nil && fnErr.ErrorMessage == "Unauthorized"
	}
	policy := func(out []byte) events.APIGatewayCustomAuthorizerResponse {
		var resp events.APIGatewayCustomAuthorizerResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return resp
	}
	allows := func(out []byte, resource, authType string) bool {
		r := policy(out)
		st := r.PolicyDocument.Statement
		return len(st) == 1 && st[0].Effect == "Allow" && len(st[0].Resource) == 1 && st[0].Resource[0] == resource && r.Context["authType"] == authType
	}

	em := start()
	// REST REQUEST, Basic: no header is the error API Gateway maps to 401;
	// a developer key on the example API is allowed for the route template.
	if out := invoke(em, sampleBytes(t, "request-missing-header.json")); !unauthorized(out) {
		t.Fatalf("missing header: %s", out)
	}
	if out := invoke(em, withAuthorization(t, sampleBytes(t, "request-example-developer.json"), basic)); !allows(out, exampleRes, "basic") {
		t.Fatalf("REQUEST basic: %s", out)
	}
	// The management API sample: an admin key in, a developer key out.
	if out := invoke(em, withAuthorization(t, sampleBytes(t, "request-basic.json"), authorizer.BasicHeader(e.boot.AdminKey.ID, e.boot.AdminSecret))); !allows(out,
		"arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/v1/accounts/*/apiKeys", "basic") {
		t.Fatalf("REQUEST basic, management: %s", out)
	}
	if out := invoke(em, withAuthorization(t, sampleBytes(t, "request-basic.json"), basic)); policy(out).PolicyDocument.Statement[0].Effect != "Deny" {
		t.Fatalf("developer key on management: %s", out)
	}
	// REST REQUEST, Bearer: as shipped (a kid no JWKS has) 401; a real
	// token is allowed with its scope.
	if out := invoke(em, sampleBytes(t, "request-bearer.json")); !unauthorized(out) {
		t.Fatalf("REQUEST bearer placeholder: %s", out)
	}
	out := invoke(em, withAuthorization(t, sampleBytes(t, "request-bearer.json"), bearer))
	if !allows(out, exampleRes, "bearer") || policy(out).Context["scope"] != scopeOthers {
		t.Fatalf("REQUEST bearer: %s", out)
	}
	// And an admin token on the management API sample.
	if out := invoke(em, withAuthorization(t, sampleBytes(t, "request-basic.json"), adminBearer)); !allows(out,
		"arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/v1/accounts/*/apiKeys", "bearer") {
		t.Fatalf("admin bearer on management: %s", out)
	}
	// REST TOKEN: the stage.
	if out := invoke(em, sampleBytes(t, "token-bearer.json")); !unauthorized(out) {
		t.Fatalf("TOKEN placeholder: %s", out)
	}
	if out := invoke(em, withAuthorization(t, sampleBytes(t, "token-bearer.json"), bearer)); !allows(out, stageRes, "bearer") {
		t.Fatalf("TOKEN bearer: %s", out)
	}
	if out := invoke(em, withAuthorization(t, sampleBytes(t, "token-bearer.json"), basic)); !allows(out, stageRes, "basic") {
		t.Fatalf("TOKEN basic: %s", out)
	}
	// HTTP API payload 2.0, simple response (the default).
	if out := invoke(em, sampleBytes(t, "httpapi-v2-bearer.json")); string(out) != `{"isAuthorized":false}` {
		t.Fatalf("HTTP API placeholder: %s", out)
	}
	out = invoke(em, withAuthorization(t, sampleBytes(t, "httpapi-v2-bearer.json"), bearer))
	var simple events.APIGatewayV2CustomAuthorizerSimpleResponse
	if err := json.Unmarshal(out, &simple); err != nil || !simple.IsAuthorized || simple.Context["scope"] != scopeOthers ||
		simple.Context["accountHref"] != "https://"+v2Host+"/v1/accounts/"+e.dev.ID {
		t.Fatalf("HTTP API simple: %v %s", err, out)
	}
	output := em.Output()
	if ms, err := em.InitDurationMs(); err == nil {
		t.Logf("authorizer cold start (INIT REPORT): %.1f ms", ms)
	}
	if err := em.Close(); err != nil {
		t.Fatal(err)
	}

	// HTTP API payload 2.0, IAM policy response.
	em = start("AUTHORIZER_HTTP_API_RESPONSE=iam")
	defer em.Close()
	if out := invoke(em, withAuthorization(t, sampleBytes(t, "httpapi-v2-bearer.json"), bearer)); !allows(out, v2Res, "bearer") {
		t.Fatalf("HTTP API IAM: %s", out)
	}
	if out := invoke(em, sampleBytes(t, "httpapi-v2-bearer.json")); !unauthorized(out) {
		t.Fatalf("HTTP API IAM placeholder: %s", out)
	}
	output += em.Output()
	for _, secret := range []string{e.devKey.Secret, e.boot.AdminSecret, iss.Signed, adminIss.Signed} {
		if strings.Contains(output, secret) {
			t.Fatal("a credential in the function's output")
		}
	}
}
