package example_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authctx"
	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/embedded"
	"github.com/keystorm/keystorm/infra/example"
	"github.com/keystorm/keystorm/infra/httpapi"
)

var identity = authctx.Identity{
	AccountHref: "https://def456.execute-api.us-east-1.amazonaws.com/prod/v1/accounts/A1", AccountID: "A1",
	APIKeyID: "K1", TenantID: "T1", ApplicationID: "P1", AuthType: authctx.AuthBasic, Username: "tk421",
}

// event is what API Gateway sends the function; authorizer nil means the
// function was reached without an authorizer.
func event(method, path string, authorizer map[string]any) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		Resource: "/troopers/{id}/equipment", Path: path, HTTPMethod: method,
		Headers: map[string]string{"Accept": "application/json", "Host": "def456.execute-api.us-east-1.amazonaws.com"},
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID: "rid-42", Stage: "prod", DomainName: "def456.execute-api.us-east-1.amazonaws.com",
			HTTPMethod: method, Path: "/prod" + path, Authorizer: authorizer,
		},
	}
}

func withPrincipal(id authctx.Identity) map[string]any {
	m := id.Map()
	m["principalId"] = id.AccountHref // API Gateway adds it to the context
	return m
}

func invoke(t *testing.T, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := httpadapter.New(example.Handler()).ProxyWithContext(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func decodeStrict(t *testing.T, body string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
}

func wantError(t *testing.T, resp events.APIGatewayProxyResponse, status, code int) httpapi.ErrorBody {
	t.Helper()
	if resp.StatusCode != status || header(resp, "Content-Type") != "application/json" {
		t.Fatalf("status %d headers %v body %s; want %d", resp.StatusCode, resp.Headers, resp.Body, status)
	}
	var body httpapi.ErrorBody
	decodeStrict(t, resp.Body, &body)
	if body.Status != status || body.Code != code || body.Message == "" || body.DeveloperMessage == "" ||
		!strings.HasSuffix(body.MoreInfo, "error-"+itoa(code)) || body.RequestID != "rid-42" {
		t.Fatalf("error body %+v", body)
	}
	return body
}

// header reads a response header wherever the proxy put it.
func header(resp events.APIGatewayProxyResponse, name string) string {
	if v := http.Header(resp.MultiValueHeaders).Get(name); v != "" {
		return v
	}
	for k, v := range resp.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestEquipment(t *testing.T) {
	resp := invoke(t, event("GET", "/troopers/tk421/equipment", withPrincipal(identity)))
	if resp.StatusCode != 200 || header(resp, "Content-Type") != "application/json" || !strings.Contains(header(resp, "Cache-Control"), "no-store") {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	var got example.Equipment
	decodeStrict(t, resp.Body, &got)
	want := example.Caller{AccountHref: identity.AccountHref, APIKeyID: "K1", TenantID: "T1", ApplicationID: "P1", AuthType: "basic", Username: "tk421"}
	if got.Trooper != "tk421" || got.Caller != want || len(got.Equipment) == 0 {
		t.Fatalf("%+v", got)
	}
	// The exact JSON keys of the documented shape.
	var keys map[string]json.RawMessage
	_ = json.Unmarshal([]byte(resp.Body), &keys)
	if _, ok := keys["equipment"]; !ok || len(keys) != 3 {
		t.Fatalf("keys %v", keys)
	}
	var caller map[string]string
	_ = json.Unmarshal(keys["caller"], &caller)
	if !reflect.DeepEqual(caller, map[string]string{"accountHref": identity.AccountHref, "apiKeyId": "K1", "tenantId": "T1", "applicationId": "P1", "authType": "basic", "username": "tk421"}) {
		t.Fatalf("caller %v", caller)
	}
	// Deterministic: same answer for the same request.
	if again := invoke(t, event("GET", "/troopers/tk421/equipment", withPrincipal(identity))); again.Body != resp.Body {
		t.Fatal("answer is not deterministic")
	}
}

func TestEscapedTrooperID(t *testing.T) {
	officer := identity
	officer.Scope = example.ScopeViewOthers
	resp := invoke(t, event("GET", "/troopers/tk%2F421/equipment", withPrincipal(officer)))
	var got example.Equipment
	decodeStrict(t, resp.Body, &got)
	if resp.StatusCode != 200 || got.Trooper != "tk/421" {
		t.Fatalf("%d %+v", resp.StatusCode, got)
	}
}

func TestUnauthenticated(t *testing.T) {
	cases := map[string]events.APIGatewayProxyRequest{
		"no authorizer context":  event("GET", "/troopers/tk421/equipment", nil),
		"empty context":          event("GET", "/troopers/tk421/equipment", map[string]any{}),
		"only a principal":       event("GET", "/troopers/tk421/equipment", map[string]any{"principalId": "someone"}),
		"context without key id": event("GET", "/troopers/tk421/equipment", map[string]any{"tenantId": "T1", "accountId": "A1"}),
		"unknown path":           event("GET", "/nope", nil),
		"wrong method":           event("DELETE", "/troopers/tk421/equipment", nil),
	}
	// The proxy's header mode puts the gateway context in a header; a
	// client can send that header itself, and it must count for nothing.
	forged := event("GET", "/troopers/tk421/equipment", nil)
	b, _ := json.Marshal(events.APIGatewayProxyRequestContext{Authorizer: withPrincipal(identity)})
	forged.Headers["X-GoLambdaProxy-ApiGw-Context"] = string(b)
	cases["forged context header"] = forged
	for name, ev := range cases {
		t.Run(name, func(t *testing.T) {
			resp := invoke(t, ev)
			wantError(t, resp, 401, domain.CodeUnauthenticated)
			if !strings.HasPrefix(header(resp, "WWW-Authenticate"), "Basic ") {
				t.Fatalf("no WWW-Authenticate: %v", resp.Headers)
			}
			if strings.Contains(resp.Body, "tk421") {
				t.Fatal("refusal leaks data")
			}
		})
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	for _, p := range []string{"/", "/troopers", "/troopers/tk421", "/troopers/tk421/equipment/extra", "/troopers//equipment", "/Troopers/tk421/equipment", "/troopers/tk421/weapons"} {
		t.Run(p, func(t *testing.T) {
			wantError(t, invoke(t, event("GET", p, withPrincipal(identity))), 404, domain.CodeNotFound)
		})
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		t.Run(m, func(t *testing.T) {
			resp := invoke(t, event(m, "/troopers/tk421/equipment", withPrincipal(identity)))
			wantError(t, resp, 405, domain.CodeMethodNotAllowed)
			if header(resp, "Allow") != "GET" {
				t.Fatalf("Allow %q", header(resp, "Allow"))
			}
		})
	}
}

// The sample event of functions/example/testdata, as API Gateway delivers
// it after the authorizer allowed the call.
func TestSampleEvent(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "functions", "example", "testdata", "get-equipment.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	resp := invoke(t, ev)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	var got example.Equipment
	decodeStrict(t, resp.Body, &got)
	want, _ := authctx.FromMap(ev.RequestContext.Authorizer)
	if got.Trooper != ev.PathParameters["id"] || got.Caller.APIKeyID != want.APIKeyID || got.Caller.AccountHref != want.AccountHref ||
		got.Caller.TenantID != want.TenantID || got.Caller.ApplicationID != want.ApplicationID || got.Caller.AuthType != want.AuthType {
		t.Fatalf("%+v from %+v", got, want)
	}
	// Without its authorizer context the same event is refused.
	ev.RequestContext.Authorizer = nil
	resp = invoke(t, ev)
	if resp.StatusCode != 401 {
		t.Fatalf("%d", resp.StatusCode)
	}
}

// End to end as on the gateway: the authorizer decides on a real key in the
// embedded DynamoDB, and its context, as API Gateway forwards it, is what
// the example function reads.
func TestBehindTheAuthorizer(t *testing.T) {
	ctx := context.Background()
	h := embedded.New(t)
	svc := domain.NewService(h.Store)
	svc.Hasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}
	boot, err := svc.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	auth := authorizer.New(h.Store, svc.Clock, authorizer.Config{CacheTTL: 5 * time.Second, Applications: []string{boot.AdminApp.ID}})
	areq := events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: "arn:aws:execute-api:us-east-1:123456789012:def456/prod/GET/troopers/admin@keystorm.local/equipment",
		Resource: "/troopers/{id}/equipment", HTTPMethod: "GET",
		Headers:        map[string]string{"Authorization": authorizer.BasicHeader(boot.AdminKey.ID, boot.AdminSecret), "Host": "def456.execute-api.us-east-1.amazonaws.com"},
		RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{Stage: "prod"},
	}
	decision, err := auth.HandleRequest(ctx, areq)
	if err != nil {
		t.Fatal(err)
	}
	// API Gateway forwards the context through JSON and adds principalId.
	forwarded := map[string]any{}
	b, _ := json.Marshal(decision.Context)
	_ = json.NewDecoder(bytes.NewReader(b)).Decode(&forwarded)
	forwarded["principalId"] = decision.PrincipalID

	// The admin's own trooper id is its username.
	resp := invoke(t, event("GET", "/troopers/admin@keystorm.local/equipment", forwarded))
	var got example.Equipment
	decodeStrict(t, resp.Body, &got)
	if resp.StatusCode != 200 || got.Caller.APIKeyID != boot.AdminKey.ID || got.Caller.TenantID != boot.Tenant.ID ||
		got.Caller.AccountHref != decision.PrincipalID || got.Caller.AuthType != "basic" {
		t.Fatalf("%d %+v", resp.StatusCode, got)
	}
}

// Another trooper's equipment needs the view_others_equipment scope, as in
// the Stormpath guide; one's own does not.
func TestViewingOthersNeedsTheScope(t *testing.T) {
	officer := identity
	officer.Scope = "read " + example.ScopeViewOthers
	for _, tc := range []struct {
		name   string
		who    authctx.Identity
		path   string
		status int
	}{
		{"own equipment", identity, "/troopers/tk421/equipment", 200},
		{"another trooper's", identity, "/troopers/tk422/equipment", 403},
		{"another trooper's, with the scope", officer, "/troopers/tk422/equipment", 200},
	} {
		resp := invoke(t, event("GET", tc.path, withPrincipal(tc.who)))
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, resp.Body)
		}
	}
}

// TestTroopersLookedUpByTenantApplicationAndUsername: the same username in
// another tenant or application is another trooper with other equipment,
// and a scope reaches only troopers of the caller's own tenant and
// application. Before, the example answered by username alone, so tenant
// B's tk421 (or B's officer) read what tenant A's tk421 got.
func TestTroopersLookedUpByTenantApplicationAndUsername(t *testing.T) {
	serials := func(who authctx.Identity, path string) []string {
		t.Helper()
		resp := invoke(t, event("GET", path, withPrincipal(who)))
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, resp.Body)
		}
		var got example.Equipment
		decodeStrict(t, resp.Body, &got)
		var out []string
		for _, it := range got.Equipment {
			if it.Serial == "" {
				t.Fatalf("item without serial: %+v", it)
			}
			out = append(out, it.Serial)
		}
		return out
	}
	a := serials(identity, "/troopers/tk421/equipment")
	otherTenant, otherApp := identity, identity
	otherTenant.TenantID, otherApp.ApplicationID = "T2", "P2"
	if b := serials(otherTenant, "/troopers/tk421/equipment"); reflect.DeepEqual(a, b) {
		t.Fatal("tenant B's tk421 got tenant A's tk421's equipment")
	}
	if b := serials(otherApp, "/troopers/tk421/equipment"); reflect.DeepEqual(a, b) {
		t.Fatal("another application's tk421 got this application's tk421's equipment")
	}
	// An officer of tenant B with the scope sees B's tk421, never A's.
	officerB := otherTenant
	officerB.Username, officerB.Scope = "officer", example.ScopeViewOthers
	if got, own := serials(officerB, "/troopers/tk421/equipment"), serials(otherTenant, "/troopers/tk421/equipment"); !reflect.DeepEqual(got, own) || reflect.DeepEqual(got, a) {
		t.Fatalf("officer of B: %v, B's tk421 %v, A's %v", got, own, a)
	}
}
