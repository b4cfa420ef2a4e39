package authorizer_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	miniserver "github.com/truora/minidyn/server"

	"github.com/keystorm/keystorm/infra/authctx"
	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/gateway"
)

const (
	stageRes  = "arn:aws:execute-api:us-east-1:123456789012:def456/prod/*/*"
	v2Arn     = "arn:aws:execute-api:us-east-1:123456789012:ghi789/$default/GET/troopers/tk421/equipment"
	v2Res     = "arn:aws:execute-api:us-east-1:123456789012:ghi789/$default/*/*"
	v2Host    = "ghi789.execute-api.us-east-1.amazonaws.com"
	otherArn  = "arn:aws:execute-api:us-east-1:123456789012:def456/prod/DELETE/v1/accounts/A1"
	otherAPI  = "arn:aws:execute-api:us-east-1:123456789012:zzz999/prod/GET/troopers/tk421/equipment"
	otherStag = "arn:aws:execute-api:us-east-1:123456789012:def456/dev/GET/troopers/tk421/equipment"
)

func tokenEvent(authorization string) events.APIGatewayCustomAuthorizerRequest {
	return events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: authorization, MethodArn: exampleArn}
}

// v2Request is the HTTP API payload 2.0 event for GET
// /troopers/tk421/equipment on the $default stage.
func v2Request(authorization string) events.APIGatewayV2CustomAuthorizerV2Request {
	h := map[string]string{"host": v2Host, "x-forwarded-proto": "https", "accept": "application/json"}
	if authorization != "" {
		h["authorization"] = authorization
	}
	return events.APIGatewayV2CustomAuthorizerV2Request{
		Version: "2.0", Type: "REQUEST", RouteArn: v2Arn, IdentitySource: []string{authorization},
		RouteKey: "GET /troopers/{id}/equipment", RawPath: "/troopers/tk421/equipment", Headers: h,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "123456789012", APIID: "ghi789", DomainName: v2Host, DomainPrefix: "ghi789", RequestID: "v2-req-1",
			RouteKey: "GET /troopers/{id}/equipment", Stage: "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/troopers/tk421/equipment", Protocol: "HTTP/1.1"},
		},
		PathParameters: map[string]string{"id": "tk421"},
		StageVariables: map[string]string{authorizer.StageVariableAPI: "example"},
	}
}

// restResp lets the REST assertions judge an HTTP API IAM response.
func restResp(r events.APIGatewayV2CustomAuthorizerIAMPolicyResponse) events.APIGatewayCustomAuthorizerResponse {
	return events.APIGatewayCustomAuthorizerResponse{PrincipalID: r.PrincipalID, PolicyDocument: r.PolicyDocument, Context: r.Context}
}

// TOKEN authorizers are cached by token alone across the stage, so the
// Allow covers the stage: another route of the same API and stage is
// allowed by the cached policy, another API or stage is not.
func TestTokenAuthorizer(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.grantGroup(t, e.dev.ID, scopeOthers)
	bearer := authorizer.BearerHeader(e.issue(t, e.devKey.Key.ID, e.devKey.Secret, scopeOthers).Signed)
	basic := authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)
	for name, c := range map[string]struct{ header, authType, scope string }{
		"basic":  {basic, authctx.AuthBasic, ""},
		"bearer": {bearer, authctx.AuthBearer, scopeOthers},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := e.auth.HandleToken(ctx, tokenEvent(c.header))
			wantAllow(t, resp, err, stageRes)
			href := "https://" + exampleHost + "/prod/v1/accounts/" + e.dev.ID
			id, err := authctx.FromMap(resp.Context)
			if err != nil || resp.PrincipalID != href || id.AccountHref != href || id.AuthType != c.authType || id.Scope != c.scope || id.APIKeyID != e.devKey.Key.ID {
				t.Fatalf("%q %v %+v", resp.PrincipalID, err, id)
			}
			for arn, want := range map[string]bool{exampleArn: true, otherArn: true, otherAPI: false, otherStag: false,
				"arn:aws:execute-api:us-east-1:123456789012:def456/prod/GET/": true} {
				if got := gateway.Allows(resp.PolicyDocument, arn); got != want {
					t.Errorf("cached policy on %s: %v, want %v", arn, got, want)
				}
			}
		})
	}
	for name, h := range map[string]string{
		"missing": "", "wrong secret": authorizer.BasicHeader(e.devKey.Key.ID, e.boot.AdminSecret),
		"forged token": authorizer.BearerHeader("eyJhbGciOiJub25lIn0.e30."), "two spaces": "Bearer  x",
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := e.auth.HandleToken(ctx, tokenEvent(h))
			wantUnauthorized(t, resp, err)
		})
	}
	t.Run("bad methodArn", func(t *testing.T) {
		ev := tokenEvent(basic)
		ev.MethodArn = "arn:aws:execute-api:us-east-1:123456789012:def456"
		resp, err := e.auth.HandleToken(ctx, ev)
		wantDeny(t, resp, err, ev.MethodArn)
	})
	t.Run("store failure", func(t *testing.T) {
		auth := authorizer.New(lowRetryStore(t, e), e.clock, authorizer.Config{Applications: e.bound(), CacheTTL: ttl, Verifier: e.tokens})
		auth.Logger = e.handler(authorizer.Config{}).Logger
		e.h.Server.EmulateFailure(miniserver.FailureConditionInternalServerError)
		defer e.h.Server.EmulateFailure(miniserver.FailureConditionNone)
		resp, err := auth.HandleToken(ctx, tokenEvent(authorizer.BasicHeader(e.boot.AdminKey.ID, e.boot.AdminSecret)))
		wantDeny(t, resp, err, exampleArn)
	})
	t.Run("configured base URL", func(t *testing.T) {
		auth := e.handler(authorizer.Config{CacheTTL: ttl, BaseURL: "https://api.example.com"})
		resp, err := auth.HandleToken(ctx, tokenEvent(basic))
		wantAllow(t, resp, err, stageRes)
		if resp.PrincipalID != "https://api.example.com/v1/accounts/"+e.dev.ID {
			t.Fatal(resp.PrincipalID)
		}
	})
}

func TestHTTPAPISimple(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.grantGroup(t, e.dev.ID, scopeOthers)
	bearer := authorizer.BearerHeader(e.issue(t, e.devKey.Key.ID, e.devKey.Secret, scopeOthers).Signed)
	basic := authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)
	href := "https://" + v2Host + "/v1/accounts/" + e.dev.ID // $default: no stage in the path
	for name, c := range map[string]struct{ header, authType, scope string }{
		"basic":  {basic, authctx.AuthBasic, ""},
		"bearer": {bearer, authctx.AuthBearer, scopeOthers},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := e.auth.HandleHTTPAPISimple(ctx, v2Request(c.header))
			if err != nil || !resp.IsAuthorized {
				t.Fatalf("%+v %v", resp, err)
			}
			want := authctx.Identity{AccountHref: href, AccountID: e.dev.ID, APIKeyID: e.devKey.Key.ID, TenantID: e.boot.Tenant.ID,
				ApplicationID: e.boot.Application.ID, AuthType: c.authType, Scope: c.scope, Username: e.dev.Username}
			wantCtx := want.Map()
			wantCtx[authctx.KeyPrincipalID] = href
			if !reflect.DeepEqual(resp.Context, wantCtx) {
				t.Fatalf("context %v, want %v", resp.Context, wantCtx)
			}
		})
	}
	refused := func(t *testing.T, auth *authorizer.Handler, r events.APIGatewayV2CustomAuthorizerV2Request) {
		t.Helper()
		resp, err := auth.HandleHTTPAPISimple(ctx, r)
		if err != nil || resp.IsAuthorized || resp.Context != nil {
			t.Fatalf("want isAuthorized false, got %+v %v", resp, err)
		}
	}
	for name, h := range map[string]string{
		"missing": "", "wrong secret": authorizer.BasicHeader(e.devKey.Key.ID, e.boot.AdminSecret),
		"joined duplicate headers": basic + "," + basic, "forged token": authorizer.BearerHeader("eyJhbGciOiJub25lIn0.e30."),
	} {
		t.Run(name, func(t *testing.T) { refused(t, e.auth, v2Request(h)) })
	}
	t.Run("two header keys differing in case", func(t *testing.T) {
		r := v2Request(basic)
		r.Headers["Authorization"] = authorizer.BasicHeader(e.boot.AdminKey.ID, e.boot.AdminSecret)
		refused(t, e.auth, r)
	})
	t.Run("store failure", func(t *testing.T) {
		auth := authorizer.New(lowRetryStore(t, e), e.clock, authorizer.Config{Applications: e.bound(), CacheTTL: ttl, Verifier: e.tokens})
		auth.Logger = e.handler(authorizer.Config{}).Logger
		e.h.Server.EmulateFailure(miniserver.FailureConditionInternalServerError)
		defer e.h.Server.EmulateFailure(miniserver.FailureConditionNone)
		refused(t, auth, v2Request(authorizer.BasicHeader(e.boot.AdminKey.ID, e.boot.AdminSecret)))
	})
	t.Run("developer key on the management API", func(t *testing.T) {
		r := v2Request(basic)
		r.StageVariables = map[string]string{authorizer.StageVariableAPI: authorizer.ManagementAPI}
		refused(t, e.auth, r)
		r.Headers["authorization"] = authorizer.BasicHeader(e.boot.AdminKey.ID, e.boot.AdminSecret)
		if resp, err := e.auth.HandleHTTPAPISimple(ctx, r); err != nil || !resp.IsAuthorized {
			t.Fatalf("admin key: %+v %v", resp, err)
		}
	})
	t.Run("named stage", func(t *testing.T) {
		r := v2Request(basic)
		r.RequestContext.Stage = "prod"
		resp, err := e.auth.HandleHTTPAPISimple(ctx, r)
		if err != nil || resp.Context[authctx.KeyAccountHref] != "https://"+v2Host+"/prod/v1/accounts/"+e.dev.ID {
			t.Fatalf("%+v %v", resp, err)
		}
	})
}

func TestHTTPAPIIAM(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	bearer := authorizer.BearerHeader(e.issue(t, e.devKey.Key.ID, e.devKey.Secret, "").Signed)
	basic := authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)
	for name, h := range map[string]string{"basic": basic, "bearer": bearer} {
		t.Run(name, func(t *testing.T) {
			resp, err := e.auth.HandleHTTPAPIIAM(ctx, v2Request(h))
			wantAllow(t, restResp(resp), err, v2Res)
			if resp.PrincipalID != "https://"+v2Host+"/v1/accounts/"+e.dev.ID {
				t.Fatal(resp.PrincipalID)
			}
			if !gateway.Allows(resp.PolicyDocument, "arn:aws:execute-api:us-east-1:123456789012:ghi789/$default/POST/oauth/token") ||
				gateway.Allows(resp.PolicyDocument, "arn:aws:execute-api:us-east-1:123456789012:ghi789/other/GET/x") {
				t.Fatal("stage scoping")
			}
		})
	}
	resp, err := e.auth.HandleHTTPAPIIAM(ctx, v2Request(authorizer.BasicHeader(e.devKey.Key.ID, e.boot.AdminSecret)))
	wantUnauthorized(t, restResp(resp), err)
	resp, err = e.auth.HandleHTTPAPIIAM(ctx, v2Request(""))
	wantUnauthorized(t, restResp(resp), err)
	r := v2Request(basic)
	r.StageVariables = map[string]string{authorizer.StageVariableAPI: authorizer.ManagementAPI}
	resp, err = e.auth.HandleHTTPAPIIAM(ctx, r)
	wantDeny(t, restResp(resp), err, v2Arn)
	r = v2Request(basic)
	r.RouteArn = "not-an-arn"
	resp, err = e.auth.HandleHTTPAPIIAM(ctx, r)
	wantDeny(t, restResp(resp), err, "not-an-arn")
}

// Invoke takes raw events and dispatches on their shape.
func TestInvokeDispatch(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	basic := authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)
	raw := func(v any) []byte { b, _ := json.Marshal(v); return b }

	var rest events.APIGatewayCustomAuthorizerResponse
	out, err := e.auth.Invoke(ctx, raw(request(basic)))
	if err != nil || json.Unmarshal(out, &rest) != nil || rest.PolicyDocument.Statement[0].Resource[0] != exampleRes {
		t.Fatalf("REQUEST: %s %v", out, err)
	}
	out, err = e.auth.Invoke(ctx, raw(tokenEvent(basic)))
	if err != nil || json.Unmarshal(out, &rest) != nil || rest.PolicyDocument.Statement[0].Resource[0] != stageRes {
		t.Fatalf("TOKEN: %s %v", out, err)
	}
	out, err = e.auth.Invoke(ctx, raw(v2Request(basic)))
	if err != nil || !strings.HasPrefix(string(out), `{"isAuthorized":true,"context":{`) {
		t.Fatalf("HTTP API simple: %s %v", out, err)
	}
	iam := e.handler(authorizer.Config{CacheTTL: ttl, HTTPAPIResponse: authorizer.HTTPAPIIAM})
	out, err = iam.Invoke(ctx, raw(v2Request(basic)))
	if err != nil || json.Unmarshal(out, &rest) != nil || rest.PolicyDocument.Statement[0].Resource[0] != v2Res {
		t.Fatalf("HTTP API IAM: %s %v", out, err)
	}
	// Denials keep their meaning through Invoke.
	if _, err := e.auth.Invoke(ctx, raw(tokenEvent("Basic x"))); !errors.Is(err, authorizer.ErrUnauthorized) || err.Error() != "Unauthorized" {
		t.Fatalf("TOKEN 401: %v", err)
	}
	if out, err := e.auth.Invoke(ctx, raw(v2Request("Basic x"))); err != nil || string(out) != `{"isAuthorized":false}` {
		t.Fatalf("HTTP API simple denial: %s %v", out, err)
	}
	for name, ev := range map[string]string{
		"HTTP API payload 1.0": `{"version":"1.0","type":"REQUEST","methodArn":"` + exampleArn + `","headers":{"Authorization":"` + basic + `"}}`,
		"unknown type":         `{"type":"COGNITO","methodArn":"` + exampleArn + `"}`,
		"v2 TOKEN":             `{"version":"2.0","type":"TOKEN"}`,
		"not JSON":             `Basic x`,
		"array":                `[]`,
		"wrong field type":     `{"type":"TOKEN","authorizationToken":5}`,
	} {
		t.Run(name, func(t *testing.T) {
			out, err := e.auth.Invoke(ctx, []byte(ev))
			if !errors.Is(err, authorizer.ErrUnsupportedEvent) || out != nil {
				t.Fatalf("%s %v", out, err)
			}
		})
	}
}

// A panic anywhere below is a denial in every flavour.
func TestPanicDeniesEveryFlavour(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	auth := &authorizer.Handler{Decider: &authorizer.Decider{Keys: panicky{}}, Logger: e.handler(authorizer.Config{}).Logger}
	h := authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)
	resp, err := auth.HandleToken(ctx, tokenEvent(h))
	wantDeny(t, resp, err, exampleArn)
	s, err := auth.HandleHTTPAPISimple(ctx, v2Request(h))
	if err != nil || s.IsAuthorized {
		t.Fatalf("%+v %v", s, err)
	}
	iam, err := auth.HandleHTTPAPIIAM(ctx, v2Request(h))
	wantDeny(t, restResp(iam), err, v2Arn)
}

func TestStageResource(t *testing.T) {
	got, err := authorizer.StageResource(exampleArn)
	if err != nil || got != stageRes {
		t.Fatalf("%q %v", got, err)
	}
	for _, bad := range []string{"", "arn:aws:execute-api:us-east-1:1:abc", "arn:aws:s3:::bucket/x/GET/", "arn:aws:execute-api:us-east-1:1:*/prod/GET/x"} {
		if _, err := authorizer.StageResource(bad); !errors.Is(err, authorizer.ErrBadMethodArn) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// The sample events of every flavour go through Invoke as raw JSON, as
// the Lambda runtime hands them over.
func TestSampleEventsEveryFlavour(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.grantGroup(t, e.dev.ID, scopeOthers)
	bearer := authorizer.BearerHeader(e.issue(t, e.devKey.Key.ID, e.devKey.Secret, scopeOthers).Signed)
	iam := e.handler(authorizer.Config{CacheTTL: ttl, HTTPAPIResponse: authorizer.HTTPAPIIAM})
	for _, c := range []struct {
		sample   string
		auth     *authorizer.Handler
		resource string // "" for the simple response
	}{
		{"request-bearer.json", e.auth, exampleRes},
		{"token-bearer.json", e.auth, stageRes},
		{"httpapi-v2-bearer.json", e.auth, ""},
		{"httpapi-v2-bearer.json", iam, v2Res},
	} {
		t.Run(c.sample+" "+c.resource, func(t *testing.T) {
			raw := sampleBytes(t, c.sample)
			// As shipped: a well-formed token under a kid no JWKS has.
			out, err := c.auth.Invoke(ctx, raw)
			if c.resource == "" {
				if err != nil || string(out) != `{"isAuthorized":false}` {
					t.Fatalf("placeholder: %s %v", out, err)
				}
			} else if !errors.Is(err, authorizer.ErrUnauthorized) {
				t.Fatalf("placeholder: %s %v", out, err)
			}
			out, err = c.auth.Invoke(ctx, withAuthorization(t, raw, bearer))
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				IsAuthorized   bool
				PolicyDocument events.APIGatewayCustomAuthorizerPolicy
				Context        map[string]any
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if c.resource == "" {
				if !got.IsAuthorized {
					t.Fatalf("%s", out)
				}
			} else {
				wantAllow(t, events.APIGatewayCustomAuthorizerResponse{PolicyDocument: got.PolicyDocument}, nil, c.resource)
			}
			id, err := authctx.FromMap(got.Context)
			if err != nil || id.AuthType != authctx.AuthBearer || id.Scope != scopeOthers || id.AccountID != e.dev.ID {
				t.Fatalf("context %v %+v", err, id)
			}
		})
	}
}
