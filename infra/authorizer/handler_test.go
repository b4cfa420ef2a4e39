package authorizer_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	miniserver "github.com/truora/minidyn/server"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authctx"
	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/dynamo"
)

func wantAllow(t *testing.T, resp events.APIGatewayCustomAuthorizerResponse, err error, resource string) {
	t.Helper()
	if err != nil {
		t.Fatalf("want Allow, got error %v", err)
	}
	st := resp.PolicyDocument.Statement
	if resp.PolicyDocument.Version != "2012-10-17" || len(st) != 1 || st[0].Effect != "Allow" ||
		!reflect.DeepEqual(st[0].Action, []string{"execute-api:Invoke"}) || !reflect.DeepEqual(st[0].Resource, []string{resource}) {
		t.Fatalf("want Allow on %s, got %+v", resource, resp.PolicyDocument)
	}
}

// wantUnauthorized: API Gateway answers 401 only for the exact error
// "Unauthorized", and there must be no policy at all.
func wantUnauthorized(t *testing.T, resp events.APIGatewayCustomAuthorizerResponse, err error) {
	t.Helper()
	if err == nil || err.Error() != "Unauthorized" || !errors.Is(err, authorizer.ErrUnauthorized) {
		t.Fatalf("want error Unauthorized, got %v", err)
	}
	if !reflect.DeepEqual(resp, events.APIGatewayCustomAuthorizerResponse{}) {
		t.Fatalf("denial carries a response: %+v", resp)
	}
}

func wantDeny(t *testing.T, resp events.APIGatewayCustomAuthorizerResponse, err error, methodArn string) {
	t.Helper()
	if err != nil {
		t.Fatalf("want explicit Deny, got error %v", err)
	}
	st := resp.PolicyDocument.Statement
	if len(st) != 1 || st[0].Effect != "Deny" || !reflect.DeepEqual(st[0].Resource, []string{methodArn}) || resp.Context != nil || resp.PrincipalID == "" {
		t.Fatalf("want Deny on %s, got %+v", methodArn, resp)
	}
}

func TestAllowAdminAndDeveloperKeys(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	cases := []struct {
		name      string
		id, sec   string
		accountID string
		appID     string
		admin     bool
		username  string
	}{
		{"admin", e.boot.AdminKey.ID, e.boot.AdminSecret, e.boot.Admin.ID, e.boot.AdminApp.ID, true, e.boot.Admin.Username},
		{"developer", e.devKey.Key.ID, e.devKey.Secret, e.dev.ID, e.boot.Application.ID, false, e.dev.Username},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := e.auth.HandleRequest(ctx, request(authorizer.BasicHeader(c.id, c.sec)))
			wantAllow(t, resp, err, exampleRes)
			href := "https://" + exampleHost + "/prod/v1/accounts/" + c.accountID
			if resp.PrincipalID != href {
				t.Fatalf("principalId %q, want %q", resp.PrincipalID, href)
			}
			want := authctx.Identity{AccountHref: href, AccountID: c.accountID, APIKeyID: c.id, TenantID: e.boot.Tenant.ID,
				ApplicationID: c.appID, AuthType: authctx.AuthBasic, Admin: c.admin, Username: c.username}
			if !reflect.DeepEqual(resp.Context, want.Map()) {
				t.Fatalf("context %v, want %v", resp.Context, want.Map())
			}
			// What the function behind the gateway will decode.
			got, err := authctx.FromMap(resp.Context)
			if err != nil || got != want {
				t.Fatalf("FromMap: %v %+v", err, got)
			}
			// The whole response, as the Lambda runtime serialises it, never
			// holds the secret.
			b, _ := json.Marshal(resp)
			if strings.Contains(string(b), c.sec) {
				t.Fatal("secret in authorizer response")
			}
		})
	}
	if strings.Contains(e.logs.String(), e.boot.AdminSecret) || strings.Contains(e.logs.String(), e.devKey.Secret) {
		t.Fatal("secret logged")
	}
}

func TestHeaderLookupIsCaseInsensitive(t *testing.T) {
	e := setup(t)
	auth := authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)
	ctx := context.Background()

	r := request("")
	r.Headers["authorization"] = auth // only in headers, lower case
	resp, err := e.auth.HandleRequest(ctx, r)
	wantAllow(t, resp, err, exampleRes)

	r = request("")
	r.Headers = nil
	r.MultiValueHeaders["AUTHORIZATION"] = []string{auth} // only in multiValueHeaders
	resp, err = e.auth.HandleRequest(ctx, r)
	wantAllow(t, resp, err, exampleRes)

	// Two different Authorization values: which one counts would depend on
	// the reader, so neither does.
	r = request(auth)
	r.MultiValueHeaders["authorization"] = []string{authorizer.BasicHeader(e.boot.AdminKey.ID, e.boot.AdminSecret)}
	resp, err = e.auth.HandleRequest(ctx, r)
	wantUnauthorized(t, resp, err)
	r = request(auth)
	r.MultiValueHeaders["Authorization"] = append(r.MultiValueHeaders["Authorization"], "Basic Zm9vOmJhcg==")
	resp, err = e.auth.HandleRequest(ctx, r)
	wantUnauthorized(t, resp, err)
}

func TestDenyMalformedHeaders(t *testing.T) {
	e := setup(t)
	good := authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)
	tok := strings.TrimPrefix(good, "Basic ")
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := map[string]string{
		"missing":               "",
		"scheme only":           "Basic",
		"scheme and space":      "Basic ",
		"bearer, not a token":   "Bearer " + tok,
		"digest":                "Digest " + tok,
		"unknown scheme prefix": "Basicx " + tok,
		"two spaces":            "Basic  " + tok,
		"tab separator":         "Basic\t" + tok,
		"leading space":         " " + good,
		"trailing space":        good + " ",
		"trailing newline":      good + "\n",
		"newline inside base64": "Basic " + tok[:8] + "\r\n" + tok[8:],
		"space inside base64":   "Basic " + tok[:8] + " " + tok[8:],
		"url-safe alphabet":     "Basic " + strings.NewReplacer("+", "-", "/", "_").Replace(b64("ab?>:kss_??>~~")),
		"bad padding":           "Basic " + b64("a:b") + "=",
		"padding in the middle": "Basic " + b64("a:") + b64("b"),
		"not base64":            "Basic !!!!",
		"no colon":              "Basic " + b64(e.devKey.Key.ID+e.devKey.Secret),
		"empty id":              "Basic " + b64(":"+e.devKey.Secret),
		"empty secret":          "Basic " + b64(e.devKey.Key.ID+":"),
		"non-UTF-8":             "Basic " + b64(e.devKey.Key.ID+":\xff"+e.devKey.Secret),
		"control character":     "Basic " + b64(e.devKey.Key.ID+"\x00:"+e.devKey.Secret),
		"oversize header":       good + strings.Repeat("A", authorizer.MaxHeaderBytes),
		"oversize credentials":  "Basic " + b64(e.devKey.Key.ID+":"+e.devKey.Secret+strings.Repeat("x", 4000)),
		"split at first colon":  "Basic " + b64(e.devKey.Key.ID+"::"+e.devKey.Secret),
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			resp, err := e.auth.HandleRequest(context.Background(), request(h))
			wantUnauthorized(t, resp, err)
		})
	}
	// Malformed headers never reach the store.
	if n := e.h.Counter.Total(); n != 0 {
		t.Fatalf("malformed headers cost %d DynamoDB calls", n)
	}
	// And the good one, to show the table is not vacuous.
	resp, err := e.auth.HandleRequest(context.Background(), request(good))
	wantAllow(t, resp, err, exampleRes)
}

func TestDenyBadCredentials(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	_, otherKey := e.newAccountKey(t, "fn2187")
	_, kd := e.newAccountKey(t, "disable-key")
	_, kdel := e.newAccountKey(t, "delete-key")
	accDisabled, kad := e.newAccountKey(t, "disable-account")
	accDeleted, kadel := e.newAccountKey(t, "delete-account")

	if _, err := e.svc.UpdateAPIKey(ctx, e.admin, kd.Key.ID, domain.APIKeyInput{Status: ptr("DISABLED")}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteAPIKey(ctx, e.admin, kdel.Key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateAccount(ctx, e.admin, accDisabled.ID, domain.AccountInput{Status: ptr("DISABLED")}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteAccount(ctx, e.admin, accDeleted.ID); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"unknown id":                   authorizer.BasicHeader("NOSUCHKEY0000000000000000", e.devKey.Secret),
		"wrong secret (another key's)": authorizer.BasicHeader(e.devKey.Key.ID, otherKey.Secret),
		"wrong secret (ill-formed)":    authorizer.BasicHeader(e.devKey.Key.ID, "kss_guess"),
		"disabled key":                 authorizer.BasicHeader(kd.Key.ID, kd.Secret),
		"deleted key":                  authorizer.BasicHeader(kdel.Key.ID, kdel.Secret),
		"disabled account":             authorizer.BasicHeader(kad.Key.ID, kad.Secret),
		"deleted account":              authorizer.BasicHeader(kadel.Key.ID, kadel.Secret),
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			resp, err := e.auth.HandleRequest(ctx, request(h))
			wantUnauthorized(t, resp, err)
		})
	}
	// Each of them still works for a good key on the same authorizer.
	resp, err := e.auth.HandleRequest(ctx, request(authorizer.BasicHeader(otherKey.Key.ID, otherKey.Secret)))
	wantAllow(t, resp, err, exampleRes)
}

// A key or account that is disabled or deleted stops authenticating within
// the cache TTL: time is moved by a fake clock, never slept.
func TestRevocationWithinTTL(t *testing.T) {
	revoke := map[string]func(e *env, acc *domain.Account, k domain.CreatedAPIKey) error{
		"disable key": func(e *env, _ *domain.Account, k domain.CreatedAPIKey) error {
			_, err := e.svc.UpdateAPIKey(context.Background(), e.admin, k.Key.ID, domain.APIKeyInput{Status: ptr("DISABLED")})
			return err
		},
		"delete key": func(e *env, _ *domain.Account, k domain.CreatedAPIKey) error {
			return e.svc.DeleteAPIKey(context.Background(), e.admin, k.Key.ID)
		},
		"disable account": func(e *env, acc *domain.Account, _ domain.CreatedAPIKey) error {
			_, err := e.svc.UpdateAccount(context.Background(), e.admin, acc.ID, domain.AccountInput{Status: ptr("DISABLED")})
			return err
		},
		"delete account": func(e *env, acc *domain.Account, _ domain.CreatedAPIKey) error {
			return e.svc.DeleteAccount(context.Background(), e.admin, acc.ID)
		},
	}
	for name, do := range revoke {
		t.Run(name, func(t *testing.T) {
			e := setup(t)
			ctx := context.Background()
			req := request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret))
			resp, err := e.auth.HandleRequest(ctx, req)
			wantAllow(t, resp, err, exampleRes)
			if err := do(e, e.dev, e.devKey); err != nil {
				t.Fatal(err)
			}
			// The bound is the TTL, not zero: the cached state may still be
			// used until it expires ...
			e.clock.Advance(ttl - 1)
			resp, err = e.auth.HandleRequest(ctx, req)
			wantAllow(t, resp, err, exampleRes)
			// ... and never from the TTL on.
			e.clock.Advance(1)
			resp, err = e.auth.HandleRequest(ctx, req)
			wantUnauthorized(t, resp, err)
		})
	}
}

func TestZeroTTLDisablesCache(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	auth := e.handler(authorizer.Config{CacheTTL: 0})
	req := request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret))
	resp, err := auth.HandleRequest(ctx, req)
	wantAllow(t, resp, err, exampleRes)
	if _, err := e.svc.UpdateAPIKey(ctx, e.admin, e.devKey.Key.ID, domain.APIKeyInput{Status: ptr("DISABLED")}); err != nil {
		t.Fatal(err)
	}
	// The clock has not moved: with TTL 0 nothing may be reused.
	resp, err = auth.HandleRequest(ctx, req)
	wantUnauthorized(t, resp, err)
}

// DynamoDB calls per authorization: a first miss reads the key, then its
// account and application in one BatchGetItem; a refresh with the secret
// that matched before reads all three in one BatchGetItem; a hit reads
// nothing.
func TestDynamoCallsPerAuthorization(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	req := request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret))
	e.h.Counter.Reset()
	resp, err := e.auth.HandleRequest(ctx, req)
	wantAllow(t, resp, err, exampleRes)
	if got := e.h.Counter.Snapshot(); !reflect.DeepEqual(got, map[string]int64{"GetItem": 1, "BatchGetItem": 1}) {
		t.Fatalf("cache miss: %v DynamoDB calls, want one GetItem and one BatchGetItem", got)
	}
	e.h.Counter.Reset()
	for range 3 {
		resp, err = e.auth.HandleRequest(ctx, req)
		wantAllow(t, resp, err, exampleRes)
	}
	if n := e.h.Counter.Total(); n != 0 {
		t.Fatalf("cache hit: %d DynamoDB calls, want 0", n)
	}
	// Once the entry expired, the same secret refreshes the key, its
	// account and its application in one BatchGetItem: their ids are known.
	e.clock.Advance(ttl)
	e.h.Counter.Reset()
	resp, err = e.auth.HandleRequest(ctx, req)
	wantAllow(t, resp, err, exampleRes)
	if got := e.h.Counter.Snapshot(); !reflect.DeepEqual(got, map[string]int64{"BatchGetItem": 1}) {
		t.Fatalf("refresh: %v DynamoDB calls, want one BatchGetItem", got)
	}
	// A wrong secret for that key once its entry expired still costs one
	// GetItem, as an unknown id does: the entry's ids are only used for
	// the secret they were read with.
	e.clock.Advance(ttl)
	e.h.Counter.Reset()
	resp, err = e.auth.HandleRequest(ctx, request(authorizer.BasicHeader(e.devKey.Key.ID, e.boot.AdminSecret)))
	wantUnauthorized(t, resp, err)
	if got := e.h.Counter.Snapshot(); !reflect.DeepEqual(got, map[string]int64{"GetItem": 1}) {
		t.Fatalf("wrong secret after expiry: %v DynamoDB calls, want one GetItem", got)
	}
	// An unknown key id is a miss that finds nothing: one GetItem.
	e.h.Counter.Reset()
	resp, err = e.auth.HandleRequest(ctx, request(authorizer.BasicHeader("NOSUCHKEY0000000000000000", e.devKey.Secret)))
	wantUnauthorized(t, resp, err)
	if got := e.h.Counter.Snapshot(); !reflect.DeepEqual(got, map[string]int64{"GetItem": 1}) {
		t.Fatalf("unknown key: %v", got)
	}
	// A wrong secret for a real key costs the same as an unknown id: the
	// account is read only after the secret matched, so the store work
	// does not tell whether the key id exists.
	other, err := e.svc.CreateAPIKey(ctx, e.admin, e.dev.ID, domain.APIKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	e.h.Counter.Reset()
	resp, err = e.auth.HandleRequest(ctx, request(authorizer.BasicHeader(other.Key.ID, e.devKey.Secret)))
	wantUnauthorized(t, resp, err)
	if got := e.h.Counter.Snapshot(); !reflect.DeepEqual(got, map[string]int64{"GetItem": 1}) {
		t.Fatalf("wrong secret: %v", got)
	}
}

// lowRetryStore is a store on the harness's server whose client does not
// retry, so an emulated failure surfaces at once.
func lowRetryStore(t *testing.T, e *env) *dynamo.Store {
	t.Helper()
	cfg := e.h.Server.Config()
	db, err := dynamo.NewClient(context.Background(), cfg, e.h.Counter)
	if err != nil {
		t.Fatal(err)
	}
	db = dynamodb.New(db.Options(), func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	return dynamo.New(db, cfg)
}

func TestStoreFailureDenies(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	auth := authorizer.New(lowRetryStore(t, e), e.clock, authorizer.Config{Applications: e.bound(), CacheTTL: ttl})
	auth.Logger = e.handler(authorizer.Config{}).Logger
	header := authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)
	req := request(header)

	e.h.Server.EmulateFailure(miniserver.FailureConditionInternalServerError)
	resp, err := auth.HandleRequest(ctx, req)
	wantDeny(t, resp, err, exampleArn)

	logs := e.logs.String()
	if !strings.Contains(logs, `"level":"ERROR"`) || !strings.Contains(logs, "could not decide") {
		t.Fatalf("failure not logged as error: %s", logs)
	}
	for _, leak := range []string{e.devKey.Secret, header, strings.TrimPrefix(header, "Basic ")} {
		if strings.Contains(logs, leak) {
			t.Fatalf("log leaks credentials: %s", logs)
		}
	}

	// The failure was not cached as a denial: once the store is back, the
	// same key works at once.
	e.h.Server.EmulateFailure(miniserver.FailureConditionNone)
	resp, err = auth.HandleRequest(ctx, req)
	wantAllow(t, resp, err, exampleRes)
}

func TestTimeoutDenies(t *testing.T) {
	e := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a context already past its deadline: the store cannot answer
	resp, err := e.auth.HandleRequest(ctx, request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)))
	wantDeny(t, resp, err, exampleArn)
}

type panicky struct{}

func (panicky) Authenticate(context.Context, string, string) (domain.Principal, error) {
	panic("boom")
}

func TestPanicDenies(t *testing.T) {
	e := setup(t)
	auth := &authorizer.Handler{Decider: &authorizer.Decider{Keys: panicky{}}, Logger: e.handler(authorizer.Config{}).Logger}
	resp, err := auth.HandleRequest(context.Background(), request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)))
	wantDeny(t, resp, err, exampleArn)
}

// An event whose methodArn does not match its method and resource cannot
// be scoped: deny, even with good credentials.
func TestInconsistentEventDenies(t *testing.T) {
	e := setup(t)
	auth := authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)
	for name, mut := range map[string]func(r *events.APIGatewayCustomAuthorizerRequestTypeRequest){
		"method differs":   func(r *events.APIGatewayCustomAuthorizerRequestTypeRequest) { r.HTTPMethod = "DELETE" },
		"resource differs": func(r *events.APIGatewayCustomAuthorizerRequestTypeRequest) { r.Resource = "/troopers/{id}" },
		"no methodArn":     func(r *events.APIGatewayCustomAuthorizerRequestTypeRequest) { r.MethodArn = "" },
	} {
		t.Run(name, func(t *testing.T) {
			r := request(auth)
			mut(&r)
			resp, err := e.auth.HandleRequest(context.Background(), r)
			wantDeny(t, resp, err, r.MethodArn)
		})
	}
}

func TestConcurrentAuthorizations(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	good := request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret))
	bad := request(authorizer.BasicHeader(e.devKey.Key.ID, e.boot.AdminSecret))
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if i%2 == 0 {
					resp, err := e.auth.HandleRequest(ctx, good)
					if err != nil || resp.PolicyDocument.Statement[0].Effect != "Allow" {
						errs <- "good key refused"
						return
					}
				} else if resp, err := e.auth.HandleRequest(ctx, bad); err == nil || len(resp.PolicyDocument.Statement) != 0 {
					errs <- "wrong secret accepted"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for m := range errs {
		t.Fatal(m)
	}
}

// The sample events of functions/authorizer/testdata go through the
// handler as API Gateway would send them.
func TestSampleEvents(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	load := func(name string) events.APIGatewayCustomAuthorizerRequestTypeRequest {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("..", "..", "functions", "authorizer", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		var r events.APIGatewayCustomAuthorizerRequestTypeRequest
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return r
	}
	withAuth := func(r events.APIGatewayCustomAuthorizerRequestTypeRequest, h string) events.APIGatewayCustomAuthorizerRequestTypeRequest {
		r.Headers["Authorization"] = h
		r.MultiValueHeaders["Authorization"] = []string{h}
		return r
	}

	t.Run("request-missing-header.json", func(t *testing.T) {
		resp, err := e.auth.HandleRequest(ctx, load("request-missing-header.json"))
		wantUnauthorized(t, resp, err)
	})
	t.Run("request-basic.json", func(t *testing.T) {
		r := load("request-basic.json")
		// As shipped, its credentials are a placeholder no store knows.
		resp, err := e.auth.HandleRequest(ctx, r)
		wantUnauthorized(t, resp, err)
		// With a real admin key in its place, the route template is granted.
		r = withAuth(r, authorizer.BasicHeader(e.boot.AdminKey.ID, e.boot.AdminSecret))
		resp, err = e.auth.HandleRequest(ctx, r)
		wantAllow(t, resp, err, "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/v1/accounts/*/apiKeys")
		if want := "https://abc123.execute-api.us-east-1.amazonaws.com/prod/v1/accounts/" + e.boot.Admin.ID; resp.PrincipalID != want {
			t.Fatalf("principalId %q, want %q", resp.PrincipalID, want)
		}
	})
	t.Run("request-example-developer.json", func(t *testing.T) {
		r := load("request-example-developer.json")
		resp, err := e.auth.HandleRequest(ctx, r)
		wantUnauthorized(t, resp, err)
		r = withAuth(r, authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret))
		resp, err = e.auth.HandleRequest(ctx, r)
		wantAllow(t, resp, err, "arn:aws:execute-api:us-east-1:123456789012:def456/prod/GET/troopers/*/equipment")
		if id, err := authctx.FromMap(resp.Context); err != nil || id.Admin || id.AccountID != e.dev.ID {
			t.Fatalf("context %v %+v", err, id)
		}
	})
}

func TestCredentialsNeverPrintTheSecret(t *testing.T) {
	c, err := authorizer.ParseAuthorization(authorizer.BasicHeader("KEYID", "kss_topsecret"))
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	l := slogJSON(&logs)
	l.Info("creds", "c", c)
	for _, s := range []string{fmtV(c), fmtPlusV(c), fmtSharpV(c), logs.String()} {
		if strings.Contains(s, "topsecret") || !strings.Contains(s, "KEYID") {
			t.Fatalf("%q", s)
		}
	}
}

// A developer's key never reaches the management API: on the API whose
// stage variable keystormApi is "management" only admin keys are allowed.
func TestDeveloperKeyDeniedOnManagementAPI(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, id, secret string
		admin            bool
	}{
		{"developer", e.devKey.Key.ID, e.devKey.Secret, false},
		{"admin", e.boot.AdminKey.ID, e.boot.AdminSecret, true},
	} {
		req := request(authorizer.BasicHeader(tc.id, tc.secret))
		req.StageVariables = map[string]string{authorizer.StageVariableAPI: authorizer.ManagementAPI}
		resp, err := e.auth.HandleRequest(ctx, req)
		if tc.admin {
			wantAllow(t, resp, err, exampleRes)
		} else {
			wantDeny(t, resp, err, exampleArn)
		}
		// On any other API both are allowed.
		req.StageVariables = map[string]string{authorizer.StageVariableAPI: "example"}
		resp, err = e.auth.HandleRequest(ctx, req)
		wantAllow(t, resp, err, exampleRes)
	}
}
