package template_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/infra/rotation"
	"github.com/keystorm/keystorm/infra/template"
)

// templatePath is template.yaml at the repository root, seen from this
// package's folder (go test runs in it).
var templatePath = filepath.Join("..", "..", "template.yaml")

func loadReal(t *testing.T) *template.Template {
	t.Helper()
	tpl, err := template.LoadTemplate(templatePath)
	if err != nil {
		t.Fatalf("LoadTemplate: %v", err)
	}
	return tpl
}

// The function folders and the logical ids that build them.
var wantFunctions = map[string]string{
	"AuthorizerFunction":   "authorizer",
	"TenantsFunction":      "tenants",
	"ApplicationsFunction": "applications",
	"AccountsFunction":     "accounts",
	"GroupsFunction":       "groups",
	"ApiKeysFunction":      "apikeys",
	"ExampleFunction":      "example",
	"OAuthFunction":        "oauth",
	"RotateFunction":       "rotate",
	"SweepFunction":        "sweep",
	"ProjectorFunction":    "projector",
	"ConsoleFunction":      "console",
}

// wantRoutes is the route list of the design, written out by hand: the
// template must declare exactly these.
var wantRoutes = []struct {
	function, api, method, path string
}{
	{"tenants", "ManagementApi", "GET", "/v1/tenants/current"},
	{"tenants", "ManagementApi", "GET", "/v1/tenants/{tenantId}"},
	{"tenants", "ManagementApi", "GET", "/v1/tenants/{tenantId}/events"},
	{"tenants", "ManagementApi", "GET", "/v1/tenants/{tenantId}/customData"},
	{"tenants", "ManagementApi", "POST", "/v1/tenants/{tenantId}/customData"},
	{"tenants", "ManagementApi", "DELETE", "/v1/tenants/{tenantId}/customData"},
	{"tenants", "ManagementApi", "DELETE", "/v1/tenants/{tenantId}/customData/{field}"},

	{"applications", "ManagementApi", "POST", "/v1/applications"},
	{"applications", "ManagementApi", "GET", "/v1/applications"},
	{"applications", "ManagementApi", "GET", "/v1/applications/{applicationId}"},
	{"applications", "ManagementApi", "POST", "/v1/applications/{applicationId}"},
	{"applications", "ManagementApi", "DELETE", "/v1/applications/{applicationId}"},
	{"applications", "ManagementApi", "POST", "/v1/directories"},
	{"applications", "ManagementApi", "GET", "/v1/directories"},
	{"applications", "ManagementApi", "GET", "/v1/directories/{directoryId}"},
	{"applications", "ManagementApi", "POST", "/v1/directories/{directoryId}"},
	{"applications", "ManagementApi", "DELETE", "/v1/directories/{directoryId}"},
	{"applications", "ManagementApi", "GET", "/v1/directories/{directoryId}/customData"},
	{"applications", "ManagementApi", "POST", "/v1/directories/{directoryId}/customData"},
	{"applications", "ManagementApi", "DELETE", "/v1/directories/{directoryId}/customData"},
	{"applications", "ManagementApi", "DELETE", "/v1/directories/{directoryId}/customData/{field}"},
	{"applications", "ManagementApi", "POST", "/v1/accountStoreMappings"},
	{"applications", "ManagementApi", "GET", "/v1/accountStoreMappings/{accountStoreMappingId}"},
	{"applications", "ManagementApi", "POST", "/v1/accountStoreMappings/{accountStoreMappingId}"},
	{"applications", "ManagementApi", "DELETE", "/v1/accountStoreMappings/{accountStoreMappingId}"},
	{"applications", "ManagementApi", "GET", "/v1/applications/{applicationId}/accountStoreMappings"},
	{"accounts", "ManagementApi", "POST", "/v1/directories/{directoryId}/accounts"},
	{"accounts", "ManagementApi", "GET", "/v1/directories/{directoryId}/accounts"},
	{"groups", "ManagementApi", "POST", "/v1/directories/{directoryId}/groups"},
	{"groups", "ManagementApi", "GET", "/v1/directories/{directoryId}/groups"},
	{"applications", "ManagementApi", "GET", "/v1/oAuthPolicies/{applicationId}"},
	{"applications", "ManagementApi", "POST", "/v1/oAuthPolicies/{applicationId}"},
	{"applications", "ManagementApi", "GET", "/v1/passwordPolicies/{applicationId}"},
	{"applications", "ManagementApi", "POST", "/v1/passwordPolicies/{applicationId}"},
	{"applications", "ManagementApi", "GET", "/v1/accountCreationPolicies/{applicationId}"},
	{"applications", "ManagementApi", "POST", "/v1/accountCreationPolicies/{applicationId}"},
	{"applications", "ManagementApi", "GET", "/v1/applications/{applicationId}/customData"},
	{"applications", "ManagementApi", "POST", "/v1/applications/{applicationId}/customData"},
	{"applications", "ManagementApi", "DELETE", "/v1/applications/{applicationId}/customData"},
	{"applications", "ManagementApi", "DELETE", "/v1/applications/{applicationId}/customData/{field}"},

	{"accounts", "ManagementApi", "POST", "/v1/applications/{applicationId}/accounts"},
	{"accounts", "ManagementApi", "GET", "/v1/applications/{applicationId}/accounts"},
	{"accounts", "ManagementApi", "POST", "/v1/applications/{applicationId}/loginAttempts"},
	{"accounts", "ManagementApi", "POST", "/v1/applications/{applicationId}/passwordResetTokens"},
	{"accounts", "ManagementApi", "GET", "/v1/applications/{applicationId}/passwordResetTokens/{token}"},
	{"accounts", "ManagementApi", "POST", "/v1/applications/{applicationId}/passwordResetTokens/{token}"},
	{"accounts", "ManagementApi", "POST", "/v1/applications/{applicationId}/verificationEmails"},
	{"accounts", "ManagementApi", "POST", "/v1/accounts/emailVerificationTokens/{token}"},
	{"accounts", "ManagementApi", "GET", "/v1/accounts/{accountId}"},
	{"accounts", "ManagementApi", "POST", "/v1/accounts/{accountId}"},
	{"accounts", "ManagementApi", "DELETE", "/v1/accounts/{accountId}"},
	{"accounts", "ManagementApi", "GET", "/v1/accounts/{accountId}/customData"},
	{"accounts", "ManagementApi", "POST", "/v1/accounts/{accountId}/customData"},
	{"accounts", "ManagementApi", "DELETE", "/v1/accounts/{accountId}/customData"},
	{"accounts", "ManagementApi", "DELETE", "/v1/accounts/{accountId}/customData/{field}"},
	{"accounts", "ManagementApi", "GET", "/v1/accounts/{accountId}/accessTokens"},
	{"accounts", "ManagementApi", "GET", "/v1/accounts/{accountId}/refreshTokens"},
	{"accounts", "ManagementApi", "GET", "/v1/accessTokens/{accessTokenId}"},
	{"accounts", "ManagementApi", "DELETE", "/v1/accessTokens/{accessTokenId}"},
	{"accounts", "ManagementApi", "GET", "/v1/refreshTokens/{refreshTokenId}"},
	{"accounts", "ManagementApi", "DELETE", "/v1/refreshTokens/{refreshTokenId}"},

	{"groups", "ManagementApi", "POST", "/v1/applications/{applicationId}/groups"},
	{"groups", "ManagementApi", "GET", "/v1/applications/{applicationId}/groups"},
	{"groups", "ManagementApi", "GET", "/v1/groups/{groupId}"},
	{"groups", "ManagementApi", "POST", "/v1/groups/{groupId}"},
	{"groups", "ManagementApi", "DELETE", "/v1/groups/{groupId}"},
	{"groups", "ManagementApi", "GET", "/v1/groups/{groupId}/accounts"},
	{"groups", "ManagementApi", "GET", "/v1/groups/{groupId}/accountMemberships"},
	{"groups", "ManagementApi", "POST", "/v1/groupMemberships"},
	{"groups", "ManagementApi", "GET", "/v1/groupMemberships/{groupMembershipId}"},
	{"groups", "ManagementApi", "DELETE", "/v1/groupMemberships/{groupMembershipId}"},
	{"groups", "ManagementApi", "GET", "/v1/accounts/{accountId}/groups"},
	{"groups", "ManagementApi", "GET", "/v1/accounts/{accountId}/groupMemberships"},
	{"groups", "ManagementApi", "GET", "/v1/groups/{groupId}/customData"},
	{"groups", "ManagementApi", "POST", "/v1/groups/{groupId}/customData"},
	{"groups", "ManagementApi", "DELETE", "/v1/groups/{groupId}/customData"},
	{"groups", "ManagementApi", "DELETE", "/v1/groups/{groupId}/customData/{field}"},

	{"apikeys", "ManagementApi", "POST", "/v1/accounts/{accountId}/apiKeys"},
	{"apikeys", "ManagementApi", "GET", "/v1/accounts/{accountId}/apiKeys"},
	{"apikeys", "ManagementApi", "GET", "/v1/apiKeys/{apiKeyId}"},
	{"apikeys", "ManagementApi", "POST", "/v1/apiKeys/{apiKeyId}"},
	{"apikeys", "ManagementApi", "DELETE", "/v1/apiKeys/{apiKeyId}"},
	{"apikeys", "ManagementApi", "POST", "/v1/apiKeys/{apiKeyId}/reroll"},
	{"apikeys", "ManagementApi", "GET", "/v1/apiKeys/{apiKeyId}/usage"},
	{"apikeys", "ManagementApi", "GET", "/v1/apiKeys/{apiKeyId}/history"},
	{"apikeys", "ManagementApi", "GET", "/v1/applications/{applicationId}/apiKeys"},

	{"example", "ExampleApi", "GET", "/troopers/{id}/equipment"},

	{"oauth", "ManagementApi", "ANY", "/oauth/introspect"},
	{"oauth", "ManagementApi", "POST", "/v1/applications/{applicationId}/authenticate"},
}

// wantPublicRoutes are the routes without the authorizer: the OAuth
// endpoints that authenticate the client themselves, the JWKS and the
// OpenAPI document.
var wantPublicRoutes = []struct {
	function, api, method, path string
}{
	{"oauth", "ExampleApi", "ANY", "/oauth/token"},
	{"oauth", "ManagementApi", "ANY", "/oauth/token"},
	{"oauth", "ManagementApi", "ANY", "/v1/applications/{applicationId}/oauth/token"},
	{"oauth", "ManagementApi", "ANY", "/oauth/revoke"},
	{"oauth", "ManagementApi", "GET", "/.well-known/jwks.json"},
	{"oauth", "ManagementApi", "GET", "/openapi.json"},
	// The developer console's pages check their own session cookie.
	{"console", "ManagementApi", "ANY", "/console"},
	{"console", "ManagementApi", "ANY", "/console/{page+}"},
}

func TestPublicRoutesArePresent(t *testing.T) {
	routes := mustRoutes(t)
	for _, w := range wantPublicRoutes {
		i := slices.IndexFunc(routes, func(r template.Route) bool {
			return r.API == w.api && r.Method == w.method && r.Path == w.path
		})
		if i < 0 {
			t.Errorf("%s %s on %s missing from template.yaml", w.method, w.path, w.api)
			continue
		}
		if r := routes[i]; r.Function != w.function || !r.Public {
			t.Errorf("%s on %s: served by %s, public %v; want %s, public", r, r.API, r.Function, r.Public, w.function)
		}
	}
}

func TestFunctionsAreTheExpected(t *testing.T) {
	tpl := loadReal(t)
	if len(tpl.Functions) != len(wantFunctions) {
		t.Errorf("template has %d functions, want %d", len(tpl.Functions), len(wantFunctions))
	}
	for id, fn := range tpl.Functions {
		folder, ok := wantFunctions[id]
		if !ok {
			t.Errorf("unexpected function %s (CodeUri %s)", id, fn.CodeURI)
			continue
		}
		if fn.Folder != folder {
			t.Errorf("%s: CodeUri %s names folder %q, want %q", id, fn.CodeURI, fn.Folder, folder)
		}
		if fn.Handler != "bootstrap" || fn.Runtime != "provided.al2023" || fn.BuildMethod != "go1.x" {
			t.Errorf("%s: handler/runtime/build = %s/%s/%s", id, fn.Handler, fn.Runtime, fn.BuildMethod)
		}
		for _, env := range []string{"EVENTS_TABLE", "VIEWS_TABLE", "AUTH_CACHE_TTL", "LOG_LEVEL"} {
			if _, ok := fn.Env[env]; !ok {
				t.Errorf("%s: environment lacks %s (has %v)", id, env, fn.EnvNames())
			}
		}
		if got := fn.Env["EVENTS_TABLE"]; got != "!Ref EventsTable" {
			t.Errorf("%s: EVENTS_TABLE = %q", id, got)
		}
		if got := fn.Env["AUTH_CACHE_TTL"]; got != "!Ref AuthCacheTtl" {
			t.Errorf("%s: AUTH_CACHE_TTL = %q", id, got)
		}
	}
	for _, r := range mustRoutes(t) {
		if _, ok := wantFunctions[r.LogicalID]; !ok || wantFunctions[r.LogicalID] != r.Function {
			t.Errorf("route %s served by %s/%s, not one of the template's functions", r, r.LogicalID, r.Function)
		}
	}
}

func mustRoutes(t *testing.T) []template.Route {
	t.Helper()
	routes, err := template.Load(templatePath)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return routes
}

func TestRoutesArePresent(t *testing.T) {
	routes := mustRoutes(t)
	for _, w := range wantRoutes {
		t.Run(w.method+" "+w.path, func(t *testing.T) {
			i := slices.IndexFunc(routes, func(r template.Route) bool {
				return r.API == w.api && r.Method == w.method && r.Path == w.path
			})
			if i < 0 {
				t.Fatalf("route missing from template.yaml")
			}
			r := routes[i]
			if r.Function != w.function {
				t.Errorf("served by %s, want %s", r.Function, w.function)
			}
			if r.Public || r.Authorizer != "KeystormAuthorizer" {
				t.Errorf("Public=%v Authorizer=%q, want guarded by KeystormAuthorizer", r.Public, r.Authorizer)
			}
		})
	}
}

func TestNoUndeclaredRoutes(t *testing.T) {
	for _, r := range mustRoutes(t) {
		same := func(w struct{ function, api, method, path string }) bool {
			return r.API == w.api && r.Method == w.method && r.Path == w.path
		}
		found := slices.ContainsFunc(wantRoutes, same) || slices.ContainsFunc(wantPublicRoutes, same)
		if !found {
			t.Errorf("template declares %s on %s (%s.%s), which the route table of this test does not list", r, r.API, r.LogicalID, r.Event)
		}
	}
}

func TestAuthorizerConfiguration(t *testing.T) {
	tpl := loadReal(t)
	for _, id := range []string{"ManagementApi", "ExampleApi"} {
		api, ok := tpl.APIs[id]
		if !ok {
			t.Fatalf("API %s missing", id)
		}
		if api.StageName != "prod" {
			t.Errorf("%s: stage %q, want prod", id, api.StageName)
		}
		if api.DefaultAuthorizer != "KeystormAuthorizer" {
			t.Errorf("%s: DefaultAuthorizer %q", id, api.DefaultAuthorizer)
		}
		a := api.Authorizers["KeystormAuthorizer"]
		if a.Function != "authorizer" || a.FunctionLogicalID != "AuthorizerFunction" {
			t.Errorf("%s: authorizer function %s (%s)", id, a.FunctionLogicalID, a.Function)
		}
		if a.PayloadType != "REQUEST" {
			t.Errorf("%s: payload type %q", id, a.PayloadType)
		}
		// The cache key must contain everything the decision depends on.
		if !slices.Equal(a.IdentityHeaders, []string{"Authorization"}) {
			t.Errorf("%s: identity headers %v", id, a.IdentityHeaders)
		}
		if !slices.Equal(a.IdentityContext, []string{"httpMethod", "resourcePath"}) {
			t.Errorf("%s: identity context %v", id, a.IdentityContext)
		}
		if a.ReauthorizeEvery != "!Ref AuthCacheTtl" {
			t.Errorf("%s: ReauthorizeEvery %q", id, a.ReauthorizeEvery)
		}
	}
	if got := tpl.APIs["ManagementApi"].Variables["keystormApi"]; got != "management" {
		t.Errorf("ManagementApi stage variable keystormApi = %q", got)
	}
	if got := tpl.APIs["ExampleApi"].Variables["keystormApi"]; got != "example" {
		t.Errorf("ExampleApi stage variable keystormApi = %q", got)
	}
	if p := tpl.Parameters["AuthCacheTtl"]; p.Default != "5" || p.Type != "Number" {
		t.Errorf("AuthCacheTtl parameter = %+v", p)
	}
}

const miniTemplate = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  Ttl: {Type: Number, Default: 7}
Globals:
  Function:
    Handler: bootstrap
    Environment:
      Variables:
        TABLE: !Ref Table
        ARN: !GetAtt [Table, Arn]
        NAME: !Sub "${AWS::StackName}-x"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
      Auth:
        DefaultAuthorizer: Keys
        Authorizers:
          Keys:
            FunctionArn: {"Fn::GetAtt": [AuthFn, Arn]}
            Identity:
              Header: Authorization
              ReauthorizeEvery: 0
  AuthFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/auth
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ./functions/things/
      Environment:
        Variables:
          EXTRA: "1"
      Events:
        List:
          Type: Api
          Properties: {RestApiId: {Ref: Api}, Path: /things, Method: get}
        Token:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /oauth/token
            Method: post
            Auth:
              Authorizer: NONE
        Implicit:
          Type: Api
          Properties: {Path: "/{proxy+}", Method: any}
        Queue:
          Type: SQS
          Properties: {Queue: !GetAtt Q.Arn}
`

func TestParseFormsAndGlobals(t *testing.T) {
	tpl, err := template.ParseTemplate([]byte(miniTemplate))
	if err != nil {
		t.Fatal(err)
	}
	fn := tpl.Functions["Fn"]
	if fn.Folder != "things" || fn.Handler != "bootstrap" {
		t.Errorf("Fn = %+v", fn)
	}
	wantEnv := map[string]string{
		"TABLE": "!Ref Table",
		"ARN":   "!GetAtt Table.Arn",
		"NAME":  "!Sub ${AWS::StackName}-x",
		"EXTRA": "1",
	}
	for k, v := range wantEnv {
		if fn.Env[k] != v {
			t.Errorf("Env[%s] = %q, want %q", k, fn.Env[k], v)
		}
	}
	if names := fn.EnvNames(); !slices.Equal(names, []string{"ARN", "EXTRA", "NAME", "TABLE"}) {
		t.Errorf("EnvNames = %v", names)
	}
	api := tpl.APIs["Api"]
	if api.StageName != "!Ref Stage" {
		t.Errorf("StageName = %q", api.StageName)
	}
	keys := api.Authorizers["Keys"]
	if keys.Function != "auth" || keys.PayloadType != "TOKEN" || keys.ReauthorizeEvery != "0" ||
		!slices.Equal(keys.IdentityHeaders, []string{"Authorization"}) {
		t.Errorf("authorizer = %+v", keys)
	}
	got := map[string]template.Route{}
	for _, r := range tpl.Routes {
		got[r.Event] = r
	}
	if len(got) != 3 {
		t.Fatalf("routes = %v", tpl.Routes)
	}
	if r := got["List"]; r.Method != "GET" || r.API != "Api" || r.Public || r.Authorizer != "Keys" {
		t.Errorf("List = %+v", r)
	}
	if r := got["Token"]; r.Method != "POST" || !r.Public || r.Authorizer != "" {
		t.Errorf("Token = %+v", r)
	}
	if r := got["Implicit"]; r.Method != "ANY" || r.API != template.ImplicitAPI || !r.Public {
		t.Errorf("Implicit = %+v", r)
	}
	if tpl.APIs[template.ImplicitAPI].StageName != "Prod" {
		t.Errorf("implicit API = %+v", tpl.APIs[template.ImplicitAPI])
	}
}

func TestParseRejects(t *testing.T) {
	fn := func(codeURI, events string) string {
		return `
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: prod}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ` + codeURI + `
      Events:
` + events
	}
	ev := func(props string) string {
		return "        E:\n          Type: Api\n          Properties: " + props + "\n"
	}
	cases := []struct {
		name, doc, want string
	}{
		{"not yaml", "Resources: [", "yaml"},
		{"not a mapping", "- a\n- b\n", "not a mapping"},
		{"no resources", "Parameters: {}\n", "no Resources"},
		{"code uri outside functions", fn("./cmd/x/", ev("{Path: /a, Method: get}")), "not a folder directly under functions/"},
		{"code uri too deep", fn("functions/a/b", ev("{Path: /a, Method: get}")), "not a folder directly under functions/"},
		{"code uri intrinsic", fn("!Sub x", ev("{Path: /a, Method: get}")), "CodeUri is not a plain path"},
		{"no path", fn("functions/f", ev("{Method: get}")), "Path is missing"},
		{"relative path", fn("functions/f", ev("{Path: a/b, Method: get}")), "does not start with /"},
		{"empty segment", fn("functions/f", ev("{Path: /a//b, Method: get}")), "empty segment"},
		{"trailing slash", fn("functions/f", ev("{Path: /a/, Method: get}")), "empty segment"},
		{"mixed segment", fn("functions/f", ev("{Path: '/a/x{id}', Method: get}")), "mixes text"},
		{"empty param", fn("functions/f", ev("{Path: '/a/{}', Method: get}")), "bad parameter name"},
		{"duplicate param", fn("functions/f", ev("{Path: '/a/{id}/b/{id}', Method: get}")), "appears twice"},
		{"greedy not last", fn("functions/f", ev("{Path: '/a/{p+}/b', Method: get}")), "must be the last"},
		{"bad method", fn("functions/f", ev("{Path: /a, Method: fetch}")), "Method"},
		{"unknown api", fn("functions/f", ev("{Path: /a, Method: get, RestApiId: !Ref Nope}")), "not an AWS::Serverless::Api"},
		{"api not a ref", fn("functions/f", ev("{Path: /a, Method: get, RestApiId: abc}")), "RestApiId must be"},
		{"unknown authorizer", fn("functions/f", ev("{Path: /a, Method: get, RestApiId: !Ref Api, Auth: {Authorizer: Nope}}")), "not declared"},
		{"duplicate route", fn("functions/f", ev("{Path: /a, Method: get}")+
			"        F:\n          Type: Api\n          Properties: {Path: /a, Method: GET}\n"), "declared by"},
		{"sibling params", fn("functions/f", ev("{Path: '/a/{x}', Method: get}")+
			"        F:\n          Type: Api\n          Properties: {Path: '/a/{y}/b', Method: get}\n"), "conflicts with sibling"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := template.Parse([]byte(c.doc))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", c.doc)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestParseSurvivesAliases(t *testing.T) {
	// Alias chains and merge keys are followed; nothing loops.
	doc := `
base: &base {Type: AWS::Serverless::Function, Properties: {CodeUri: functions/a}}
Resources:
  A: *base
  B:
    <<: *base
    Metadata: {BuildMethod: go1.x}
`
	tpl, err := template.ParseTemplate([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Functions["A"].Folder != "a" || tpl.Functions["B"].BuildMethod != "go1.x" || tpl.Functions["B"].Folder != "a" {
		t.Errorf("functions = %+v", tpl.Functions)
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := template.Load(filepath.Join(t.TempDir(), "nope.yaml")); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
}

// Token keys on AWS: the authorizer verifies with the published JWKS, with
// the OAuth function's issuer and audience and no access to the secret;
// the rotation function has the secret and no route.
func TestTokenKeyWiring(t *testing.T) {
	tpl := loadReal(t)
	oauth, authz, rot := tpl.Functions["OAuthFunction"], tpl.Functions["AuthorizerFunction"], tpl.Functions["RotateFunction"]
	for _, k := range []string{"TOKEN_ISSUER", "TOKEN_AUDIENCE"} {
		if oauth.Env[k] == "" || authz.Env[k] != oauth.Env[k] {
			t.Errorf("%s: authorizer %q, oauth %q", k, authz.Env[k], oauth.Env[k])
		}
	}
	if authz.Env["TOKEN_JWKS_SOURCE"] != "dynamodb" {
		t.Errorf("authorizer TOKEN_JWKS_SOURCE = %q", authz.Env["TOKEN_JWKS_SOURCE"])
	}
	for _, k := range []string{"TOKEN_KEYS_SECRET", "TOKEN_JWKS_FILE", "TOKEN_KEYS_DIR"} {
		if _, ok := authz.Env[k]; ok {
			t.Errorf("authorizer has %s", k)
		}
	}
	if rot.Env["TOKEN_KEYS_SECRET"] != "!Ref TokenKeysSecret" || rot.Env["TOKEN_KEYS_SECRET"] != oauth.Env["TOKEN_KEYS_SECRET"] {
		t.Errorf("rotate TOKEN_KEYS_SECRET = %q, oauth %q", rot.Env["TOKEN_KEYS_SECRET"], oauth.Env["TOKEN_KEYS_SECRET"])
	}
	if _, ok := rot.Env["TOKEN_KEYS_DIR"]; ok {
		t.Error("rotate has TOKEN_KEYS_DIR (local runs and tests only)")
	}
	p, ok := tpl.Parameters[strings.TrimPrefix(rot.Env["ROTATE_EVERY"], "!Ref ")]
	if !ok {
		t.Fatalf("rotate ROTATE_EVERY = %q, not a parameter", rot.Env["ROTATE_EVERY"])
	}
	if d, err := rotation.ParseEvery(p.Default); err != nil || d != rotation.DefaultEvery {
		t.Errorf("ROTATE_EVERY default %q: %v, %v", p.Default, d, err)
	}
	for _, r := range mustRoutes(t) {
		if r.Function == "rotate" {
			t.Errorf("rotate has route %s", r)
		}
	}
}

// Mail on AWS: only the accounts function and the console send, as
// MailFromAddress, and their roles may call ses:SendEmail and nothing else
// of SES, on the sender's identities only, with the From address pinned
// (least privilege): the policy is written once, in AccountsFunction, and
// the console's role names it by its YAML anchor.
func TestMailWiring(t *testing.T) {
	tpl := loadReal(t)
	for name, f := range tpl.Functions {
		v, ok := f.Env["MAIL_FROM"]
		if name == "AccountsFunction" || name == "ConsoleFunction" {
			if v != "!Ref MailFromAddress" {
				t.Errorf("%s MAIL_FROM = %q", name, v)
			}
		} else if ok {
			t.Errorf("%s has MAIL_FROM: only the accounts function and the console mail", name)
		}
	}
	if p, ok := tpl.Parameters["MailFromAddress"]; !ok || p.Default != "" {
		t.Fatalf("MailFromAddress parameter %+v (want an empty default: no mail until set)", p)
	}
	raw, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	// SES action names and condition keys (not "GatewayResponses:", nor
	// the service part of an ARN).
	sesName := regexp.MustCompile(`\bses:[A-Za-z*]+`)
	if got := sesName.FindAllString(text, -1); !slices.Equal(got, []string{"ses:SendEmail", "ses:FromAddress"}) {
		t.Errorf("SES actions and keys in template.yaml: %q (want ses:SendEmail and the ses:FromAddress condition only)", got)
	}
	start := strings.Index(text, "\n  AccountsFunction:\n") + 1
	if start == 0 {
		t.Fatal("no AccountsFunction")
	}
	// The block ends at the next resource (a key at two spaces' indent).
	end := len(text)
	if loc := regexp.MustCompile(`(?m)^  [A-Za-z0-9]+:\s*$`).FindStringIndex(text[start+1:]); loc != nil {
		end = start + 1 + loc[0]
	}
	block := text[start:end]
	for _, want := range []string{"Action: ses:SendEmail", ":identity/${MailFromAddress}", ":identity/${Domain}", "ses:FromAddress: !Ref MailFromAddress", "- MailOn"} {
		if !strings.Contains(block, want) {
			t.Errorf("AccountsFunction's policies lack %q", want)
		}
	}
	if sesName.MatchString(text[:start]) || sesName.MatchString(text[end:]) || strings.Contains(text[:start]+text[end:], ":ses:") {
		t.Error("an SES permission outside AccountsFunction")
	}
}
