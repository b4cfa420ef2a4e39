package authorizer_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/keystorm/keystorm/infra/authorizer"
)

func TestConfigFromEnv(t *testing.T) {
	cases := []struct {
		ttl, base string
		want      authorizer.Config
		bad       bool
	}{
		{"", "", authorizer.Config{CacheTTL: 5 * time.Second}, false},
		{"0", "", authorizer.Config{}, false},
		{"30", "https://api.example.com/", authorizer.Config{CacheTTL: 30 * time.Second, BaseURL: "https://api.example.com"}, false},
		{"3600", "http://localhost:8080/base", authorizer.Config{CacheTTL: time.Hour, BaseURL: "http://localhost:8080/base"}, false},
		{"-1", "", authorizer.Config{}, true},
		{"5s", "", authorizer.Config{}, true},
		{"3601", "", authorizer.Config{}, true},
		{"", "api.example.com", authorizer.Config{}, true},
		{"", "ftp://api.example.com", authorizer.Config{}, true},
		{"", "https://api.example.com/?x=1", authorizer.Config{}, true},
	}
	for _, c := range cases {
		t.Setenv("AUTH_CACHE_TTL", c.ttl)
		t.Setenv("KEYSTORM_BASE_URL", c.base)
		got, err := authorizer.ConfigFromEnv()
		if (err != nil) != c.bad || (!c.bad && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("AUTH_CACHE_TTL=%q KEYSTORM_BASE_URL=%q: %+v, %v", c.ttl, c.base, got, err)
		}
	}
}

// KEYSTORM_BASE_URL replaces the href base derived from the request.
func TestConfiguredBaseURL(t *testing.T) {
	e := setup(t)
	auth := e.handler(authorizer.Config{CacheTTL: ttl, BaseURL: "https://api.keystorm.example"})
	resp, err := auth.HandleRequest(context.Background(), request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)))
	wantAllow(t, resp, err, exampleRes)
	if want := "https://api.keystorm.example/v1/accounts/" + e.dev.ID; resp.PrincipalID != want || resp.Context["accountHref"] != want {
		t.Fatalf("principal %q context %v", resp.PrincipalID, resp.Context)
	}
}

// Without a usable Host header the href names the API's default endpoint,
// derived from methodArn.
func TestBaseURLWithoutHost(t *testing.T) {
	e := setup(t)
	for _, host := range []string{"", "evil.example/path", "a b"} {
		r := request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret))
		delete(r.Headers, "Host")
		delete(r.MultiValueHeaders, "Host")
		if host != "" {
			r.Headers["host"] = host
		}
		resp, err := e.auth.HandleRequest(context.Background(), r)
		wantAllow(t, resp, err, exampleRes)
		if want := "https://" + exampleHost + "/prod/v1/accounts/" + e.dev.ID; resp.PrincipalID != want {
			t.Fatalf("host %q: principal %q", host, resp.PrincipalID)
		}
	}
}

// A client's Host and X-Forwarded-Proto headers never reach the account
// href backends receive: without KEYSTORM_BASE_URL it names what API
// Gateway set (methodArn, the HTTP API's domainName), in every flavour.
func TestForgedHostIgnored(t *testing.T) {
	e := setup(t)
	r := request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret))
	r.Headers["Host"], r.Headers["X-Forwarded-Proto"] = "evil.example", "http"
	r.MultiValueHeaders = nil
	resp, err := e.auth.HandleRequest(context.Background(), r)
	wantAllow(t, resp, err, exampleRes)
	if want := "https://" + exampleHost + "/prod/v1/accounts/" + e.dev.ID; resp.PrincipalID != want || resp.Context["accountHref"] != want {
		t.Fatalf("REQUEST: principal %q context %v", resp.PrincipalID, resp.Context)
	}
	v2 := v2Request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret))
	v2.Headers["host"], v2.Headers["x-forwarded-proto"] = "evil.example", "http"
	simple, err := e.auth.HandleHTTPAPISimple(context.Background(), v2)
	if want := "https://" + v2Host + "/v1/accounts/" + e.dev.ID; err != nil || simple.Context["accountHref"] != want {
		t.Fatalf("HTTP API: %v %v", err, simple.Context)
	}
}

// Where Bearer keys come from: DynamoDB (the published JWKS) by default
// once issuer and audience are set, the file when one is named; anything
// half-configured fails at init.
func TestConfigFromEnvTokenSource(t *testing.T) {
	const iss, aud, file = "urn:keystorm:s", "urn:keystorm:s:api", "/tmp/jwks.json"
	cases := []struct {
		source, file, iss, aud string
		want                   string // TokenJWKSSource; "" with bad false means Basic only
		bad                    bool
	}{
		{"", "", "", "", "", false},
		{"", "", iss, aud, authorizer.JWKSFromDynamoDB, false},
		{"dynamodb", "", iss, aud, authorizer.JWKSFromDynamoDB, false},
		{"", file, iss, aud, authorizer.JWKSFromFile, false},
		{"file", file, iss, aud, authorizer.JWKSFromFile, false},
		{"file", "", iss, aud, "", true},
		{"dynamodb", file, iss, aud, "", true},
		{"url", "", iss, aud, "", true},
		{"DynamoDB", "", iss, aud, "", true},
		{"dynamodb", "", "", "", "", true},
		{"", file, "", "", "", true},
		{"", "", iss, "", "", true},
		{"", "", "", aud, "", true},
		{"", file, iss, "", "", true},
	}
	for _, c := range cases {
		t.Setenv("AUTH_CACHE_TTL", "")
		t.Setenv("KEYSTORM_BASE_URL", "")
		t.Setenv("TOKEN_JWKS_SOURCE", c.source)
		t.Setenv("TOKEN_JWKS_FILE", c.file)
		t.Setenv("TOKEN_ISSUER", c.iss)
		t.Setenv("TOKEN_AUDIENCE", c.aud)
		got, err := authorizer.ConfigFromEnv()
		if (err != nil) != c.bad {
			t.Errorf("%+v: %+v, %v", c, got, err)
			continue
		}
		if c.bad {
			continue
		}
		want := authorizer.Config{CacheTTL: 5 * time.Second, TokenJWKSSource: c.want}
		if c.want != "" {
			want.TokenJWKSFile, want.TokenIssuer, want.TokenAudience = c.file, c.iss, c.aud
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: got %+v, want %+v", c, got, want)
		}
	}
}
