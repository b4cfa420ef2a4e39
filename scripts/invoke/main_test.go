package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/infra/example"
	"github.com/keystorm/keystorm/infra/httpapi"
	"github.com/keystorm/keystorm/infra/rotation"
	"github.com/keystorm/keystorm/infra/sample"
)

const echoPkg = "./infra/rie/testdata/echo"

func TestInvokeEchoPackage(t *testing.T) {
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"route":"GET /apikeys"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"-pkg", echoPkg, "-e", event, "-env", "KEYSTORM_MARK=cli"},
		strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	var resp struct {
		Event map[string]string `json:"event"`
		Env   map[string]string `json:"env"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		t.Fatalf("stdout %q: %v", stdout.String(), err)
	}
	if resp.Event["route"] != "GET /apikeys" {
		t.Errorf("echoed event = %v", resp.Event)
	}
	if resp.Env["KEYSTORM_MARK"] != "cli" {
		t.Errorf("KEYSTORM_MARK = %q, want cli", resp.Env["KEYSTORM_MARK"])
	}
	if !strings.Contains(stderr.String(), "INIT REPORT durationMs: ") {
		t.Errorf("stderr lacks the cold start line:\n%s", stderr.String())
	}
}

func TestInvokeHandlerErrorFails(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"-pkg", echoPkg, "-e", "-"},
		strings.NewReader(`{"fail":"nope"}`), &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"errorMessage":"nope"`) {
		t.Errorf("stdout = %q, want the error document", stdout.String())
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-fn", "a", "-pkg", "./b"},
		{"-fn", "../x"},
		{"-pkg", "./x", "extra"},
		{"-pkg", "./x", "-env", "NOEQUALS"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), args, strings.NewReader(""), &stdout, &stderr); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
}

// Which variables invoke defaults: those a function reads and nobody
// gave. A variable given explicitly wins even when empty, an inherited one
// only when set, and a variable of the alternative configuration (a
// secret instead of a key directory, a JWKS file instead of a source)
// stops the default that would clash with it.
func TestDefaults(t *testing.T) {
	vars := map[string]string{}
	for _, n := range []string{"DYNAMODB_ENDPOINT", "EVENTS_TABLE", "VIEWS_TABLE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"TOKEN_ISSUER", "TOKEN_AUDIENCE", "TOKEN_KEYS_DIR", "TOKEN_JWKS_SOURCE", "KEYSTORM_APPLICATIONS"} {
		vars[n] = "v"
	}
	names := func(env []string) []string {
		var out []string
		for _, kv := range env {
			k, _, _ := strings.Cut(kv, "=")
			out = append(out, k)
		}
		return out
	}
	store := []string{"DYNAMODB_ENDPOINT", "EVENTS_TABLE", "VIEWS_TABLE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
	for _, c := range []struct {
		fn       string
		inherit  map[string]string
		explicit []string
		want     []string
	}{
		{"accounts", nil, nil, store},
		{"example", nil, nil, nil},
		{"oauth", nil, nil, append(slices.Clone(store), "TOKEN_ISSUER", "TOKEN_AUDIENCE", "TOKEN_KEYS_DIR")},
		{"oauth", nil, []string{"TOKEN_ISSUER=", "TOKEN_KEYS_SECRET=arn:secret"}, append(slices.Clone(store), "TOKEN_AUDIENCE")},
		{"oauth", map[string]string{"TOKEN_ISSUER": "", "TOKEN_AUDIENCE": "urn:mine"}, nil, append(slices.Clone(store), "TOKEN_ISSUER", "TOKEN_KEYS_DIR")},
		{"authorizer", nil, []string{"TOKEN_JWKS_FILE=/tmp/jwks.json"}, append(slices.Clone(store), "TOKEN_ISSUER", "TOKEN_AUDIENCE", "KEYSTORM_APPLICATIONS")},
		{"rotate", nil, []string{"EVENTS_TABLE=mine"}, []string{"DYNAMODB_ENDPOINT", "VIEWS_TABLE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "TOKEN_KEYS_DIR"}},
	} {
		g := given(maps.Clone(c.inherit))
		if g == nil {
			g = given{}
		}
		for _, kv := range c.explicit {
			k, v, _ := strings.Cut(kv, "=")
			g[k] = v
		}
		got, err := defaults(functions[c.fn], g, c.explicit, vars)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(names(got), c.want) {
			t.Errorf("%s with %v and -env %v: defaulted %v, want %v", c.fn, c.inherit, c.explicit, names(got), c.want)
		}
	}
}

// With -no-seed, or a DYNAMODB_ENDPOINT of one's own, invoke starts no
// store, defaults nothing and sends the event as is, but names what the
// function reads that nobody gave.
func TestNoSeed(t *testing.T) {
	sampleEvent, err := os.ReadFile(filepath.Join("..", "..", "functions", "oauth", "testdata", "token.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		noSeed   bool
		explicit []string
		reason   string
		missing  string
	}{
		{true, nil, "-no-seed", "DYNAMODB_ENDPOINT, EVENTS_TABLE, VIEWS_TABLE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, TOKEN_ISSUER, TOKEN_AUDIENCE, TOKEN_KEYS_DIR (or TOKEN_KEYS_SECRET)"},
		{false, []string{"DYNAMODB_ENDPOINT=http://127.0.0.1:8000", "TOKEN_KEYS_SECRET=s"}, "DYNAMODB_ENDPOINT is given",
			"EVENTS_TABLE, VIEWS_TABLE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, TOKEN_ISSUER, TOKEN_AUDIENCE"},
	} {
		var stderr bytes.Buffer
		evs := []event{{name: "token.json", payload: slices.Clone(sampleEvent)}}
		w, defs, err := prepare(t.Context(), "oauth", c.noSeed, givenEnv(false, c.explicit), c.explicit, evs, &stderr)
		if err != nil || w != nil || defs != nil {
			t.Fatalf("prepare: %v %v %v", w, defs, err)
		}
		if !bytes.Equal(evs[0].payload, sampleEvent) {
			t.Error("the event was changed")
		}
		msg := stderr.String()
		if !strings.Contains(msg, "invoke: "+c.reason+": no embedded store") || !strings.Contains(msg, "invoke: oauth reads, and nobody gave: "+c.missing+"\n") {
			t.Errorf("stderr:\n%s", msg)
		}
	}
}

// The emulator's output when a function exits at init, as the pinned
// emulator prints it: the explanation quotes the function's own line and
// the emulator's errors, never the bare 502.
func TestInvokeFailureExplains(t *testing.T) {
	output := `27 Nov 2026 13:28:22,160 [INFO] (rapid) exec '/tmp/invoke-1/bootstrap' (cwd=/tmp/invoke-1, handler=)
START RequestId: 000a1dee-fa79-4c21-96b6-c951ef39cfa9 Version: $LATEST
27 Nov 2026 13:28:22,183 [INFO] (rapid) Starting runtime without AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN , Expected?: false
{"time":"2026-11-27T13:28:22.205957875Z","level":"ERROR","msg":"configuration","err":"TOKEN_ISSUER and TOKEN_AUDIENCE are required"}
27 Nov 2026 13:28:22,208 [WARNING] (rapid) First fatal error stored in appctx: Runtime.ExitError
27 Nov 2026 13:28:22,208 [INFO] (rapid) INIT RTDONE(status: error)
27 Nov 2026 13:28:22,208 [ERROR] (rapid) Init failed error=Runtime exited with error: exit status 1 InvokeID=
END RequestId: 000a1dee-fa79-4c21-96b6-c951ef39cfa9
`
	msg := invokeFailure(errors.New("rie: invoke: HTTP 502 Bad Gateway: "), output).Error()
	for _, want := range []string{
		"failed at init",
		"\n    " + `{"time":"2026-11-27T13:28:22.205957875Z","level":"ERROR","msg":"configuration","err":"TOKEN_ISSUER and TOKEN_AUDIENCE are required"}` + "\n",
		"\n    Init failed error=Runtime exited with error: exit status 1",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "Bad Gateway") || strings.Contains(msg, "START RequestId") || strings.Contains(msg, "Starting runtime") {
		t.Errorf("%q", msg)
	}
	// Any other failure says what the emulator said, and what the
	// function printed.
	msg = invokeFailure(errors.New("rie: invoke: connection reset"), "panic: boom\n").Error()
	if !strings.Contains(msg, "connection reset") || !strings.Contains(msg, "\n    panic: boom") || strings.Contains(msg, "init") {
		t.Errorf("%q", msg)
	}
}

// The management API's base in the samples, so hrefs start with it.
const managementBase = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"

// answers says, for every function and every sample event under its
// testdata, what the function must answer when invoke runs it with
// default settings. A sample without an entry fails the test, so a new
// sample comes with its expected answer.
var answers = map[string]map[string]func(t *testing.T, out []byte){
	"tenants": {
		"get-current.json": func(t *testing.T, out []byte) {
			resp := proxy(t, out, http.StatusFound)
			if loc := header(resp, "Location"); !strings.HasPrefix(loc, managementBase+"/v1/tenants/") {
				t.Errorf("Location %q", loc)
			}
		},
		"get.json": func(t *testing.T, out []byte) {
			var got httpapi.Tenant
			body(t, proxy(t, out, http.StatusOK), &got)
			if got.Href != managementBase+"/v1/tenants/"+got.Key || got.Name == "" {
				t.Errorf("tenant %+v", got)
			}
		},
	},
	"applications": {
		"list.json": func(t *testing.T, out []byte) {
			var c collection[httpapi.Application]
			body(t, proxy(t, out, http.StatusOK), &c)
			// The administrators' application and the developers'.
			if c.Size != 2 || len(c.Items) != 2 {
				t.Errorf("applications %+v", c)
			}
		},
	},
	"accounts": {
		"create.json": func(t *testing.T, out []byte) {
			resp := proxy(t, out, http.StatusCreated)
			var got httpapi.Account
			body(t, resp, &got)
			if got.Username != "han" || got.Status != "ENABLED" || header(resp, "Location") != got.Href ||
				!strings.HasPrefix(got.Application.Href, managementBase+"/v1/applications/") {
				t.Errorf("account %+v", got)
			}
		},
	},
	"groups": {
		"list.json": func(t *testing.T, out []byte) {
			var c collection[httpapi.Group]
			body(t, proxy(t, out, http.StatusOK), &c)
			if len(c.Items) != 1 || c.Items[0].Name != sample.Scope {
				t.Errorf("groups %+v", c)
			}
		},
	},
	"apikeys": {
		"list.json": func(t *testing.T, out []byte) {
			var c collection[httpapi.APIKey]
			body(t, proxy(t, out, http.StatusOK), &c)
			if len(c.Items) != 1 || c.Items[0].Status != "ENABLED" || c.Items[0].Secret != nil {
				t.Errorf("keys %+v", c)
			}
		},
	},
	"authorizer": {
		"httpapi-v2-bearer.json": func(t *testing.T, out []byte) {
			var got events.APIGatewayV2CustomAuthorizerSimpleResponse
			strict(t, out, &got)
			if !got.IsAuthorized || got.Context["authType"] != "bearer" || got.Context["scope"] != sample.Scope {
				t.Errorf("%s", out)
			}
		},
		"request-basic.json":             allow("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/v1/accounts/*/apiKeys", "basic", "true", ""),
		"request-bearer.json":            allow("arn:aws:execute-api:us-east-1:123456789012:def456/prod/GET/troopers/*/equipment", "bearer", "false", sample.Scope),
		"request-example-developer.json": allow("arn:aws:execute-api:us-east-1:123456789012:def456/prod/GET/troopers/*/equipment", "basic", "false", ""),
		"request-missing-header.json": func(t *testing.T, out []byte) {
			if string(out) != `{"errorMessage":"Unauthorized","errorType":"errorString"}` {
				t.Errorf("%s, want the Unauthorized error", out)
			}
		},
		"token-bearer.json": allow("arn:aws:execute-api:us-east-1:123456789012:def456/prod/*/*", "bearer", "false", sample.Scope),
	},
	"example": {
		"get-equipment.json": func(t *testing.T, out []byte) {
			var got example.Equipment
			body(t, proxy(t, out, http.StatusOK), &got)
			if got.Trooper != sample.DeveloperUsername || len(got.Caller.APIKeyID) != 25 || got.Caller.AuthType != "basic" {
				t.Errorf("equipment %+v", got)
			}
		},
	},
	"oauth": {
		"application-token.json": token(""),
		"introspect.json": func(t *testing.T, out []byte) {
			var got struct {
				Active bool   `json:"active"`
				Iss    string `json:"iss"`
				Aud    string `json:"aud"`
			}
			body(t, proxy(t, out, http.StatusOK), &got)
			// aud is the audience of the token's application.
			if !got.Active || got.Iss != sample.Issuer || !strings.HasPrefix(got.Aud, sample.Audience+":application:") {
				t.Errorf("introspection %+v", got)
			}
		},
		"jwks.json": func(t *testing.T, out []byte) {
			var got struct{ Keys []map[string]any }
			body(t, proxy(t, out, http.StatusOK), &got)
			if len(got.Keys) != 1 || got.Keys[0]["kid"] == "" {
				t.Errorf("jwks %+v", got)
			}
		},
		"revoke.json": func(t *testing.T, out []byte) {
			if resp := proxy(t, out, http.StatusOK); resp.Body != "" {
				t.Errorf("revoke answered %q", resp.Body)
			}
		},
		"token.json": token(sample.Scope),
	},
	"console": {
		// The pages live under the stage, as API Gateway serves them.
		"signin-page.json": func(t *testing.T, out []byte) {
			resp := proxy(t, out, http.StatusOK)
			if !strings.Contains(resp.Body, `action="/prod/console/signin"`) || !strings.Contains(resp.Body, "Username or email") {
				t.Errorf("sign-in page:\n%s", resp.Body)
			}
		},
		"keys-signed-out.json": func(t *testing.T, out []byte) {
			resp := proxy(t, out, http.StatusSeeOther)
			if loc := header(resp, "Location"); loc != "/prod/console/signin" {
				t.Errorf("signed out, the keys page sends to %q", loc)
			}
		},
	},
	"sweep": {
		"scheduled.json": func(t *testing.T, out []byte) {
			var got struct {
				Finished int `json:"finished"`
			}
			strict(t, out, &got)
			if got.Finished != 0 {
				t.Errorf("sweep of a fresh store finished %d", got.Finished)
			}
		},
	},
	"projector": {
		// The record decodes and its key is looked up; API Gateway is
		// unreachable out of the box, so the record is reported failed,
		// for the stream to retry.
		"stream-insert.json": func(t *testing.T, out []byte) {
			var got events.DynamoDBEventResponse
			strict(t, out, &got)
			if len(got.BatchItemFailures) != 1 || got.BatchItemFailures[0].ItemIdentifier != "4421584700000000017450439093" {
				t.Errorf("projector answered %s", out)
			}
		},
	},
	"rotate": {
		"scheduled.json": func(t *testing.T, out []byte) {
			var got rotation.Result
			strict(t, out, &got)
			if got.Rotated || got.Current == "" || !slices.Equal(got.Published, []string{got.Current}) {
				t.Errorf("rotation %+v", got)
			}
		},
	},
}

// TestEverySampleOutOfTheBox runs invoke, with default settings only, on
// every function under ./functions with all of its sample events (one
// emulator per function, the events in a row): each must exit 0 and
// answer as production would, with the real ids of the seeded store and
// no sample id left. It proves the seeding, the filling of the events and
// the defaulted environment together, function by function.
func TestEverySampleOutOfTheBox(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("..", "..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dirs {
		if d.IsDir() {
			names = append(names, d.Name())
		}
	}
	if !slices.Equal(names, slices.Sorted(maps.Keys(functions))) || !slices.Equal(names, slices.Sorted(maps.Keys(answers))) {
		t.Fatalf("functions/ holds %v; invoke knows %v and the test %v", names, slices.Sorted(maps.Keys(functions)), slices.Sorted(maps.Keys(answers)))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			files, err := filepath.Glob(filepath.Join("..", "..", "functions", name, "testdata", "*.json"))
			if err != nil {
				t.Fatal(err)
			}
			var bases []string
			args := []string{"-fn", name}
			for _, f := range files {
				bases = append(bases, filepath.Base(f))
				args = append(args, "-e", f)
			}
			if !slices.Equal(bases, slices.Sorted(maps.Keys(answers[name]))) {
				t.Fatalf("samples %v, expected answers for %v", bases, slices.Sorted(maps.Keys(answers[name])))
			}
			var stdout, stderr bytes.Buffer
			if code := run(t.Context(), args, strings.NewReader(""), &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
			}
			dec := json.NewDecoder(&stdout)
			for _, b := range bases {
				var out json.RawMessage
				if err := dec.Decode(&out); err != nil {
					t.Fatalf("answer to %s: %v\nstderr:\n%s", b, err, stderr.String())
				}
				t.Run(b, func(t *testing.T) {
					if bytes.Contains(out, []byte("_sample")) {
						t.Errorf("a sample id is left in the answer: %s", out)
					}
					answers[name][b](t, out)
				})
			}
			if dec.More() {
				t.Errorf("more answers than events")
			}
			for _, s := range wanted(functions[name], given{}, nil) {
				if !strings.Contains(stderr.String(), "invoke: defaulted "+s.name+"=") {
					t.Errorf("stderr does not say what %s was defaulted to:\n%s", s.name, stderr.String())
				}
			}
		})
	}
}

// TestMissingVariableNamesIt gives the OAuth function an empty
// TOKEN_ISSUER (an explicit -env wins over invoke's default): the function
// exits at init, which the emulator can only answer with a bare 502.
// invoke must instead quote the function's own log line naming the
// variable, and exit 1.
func TestMissingVariableNamesIt(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"-fn", "oauth", "-e", filepath.Join("..", "..", "functions", "oauth", "testdata", "jwks.json"), "-env", "TOKEN_ISSUER="},
		strings.NewReader(""), &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr.String())
	}
	msg := stderr.String()
	for _, want := range []string{
		"invoke: the function failed at init",
		`"level":"ERROR"`,
		"TOKEN_ISSUER and TOKEN_AUDIENCE are required",
		"invoke: defaulted TOKEN_AUDIENCE=",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "invoke: defaulted TOKEN_ISSUER=") || strings.Contains(msg, "Bad Gateway") {
		t.Errorf("TOKEN_ISSUER defaulted over -env, or a bare 502:\n%s", msg)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q", stdout.String())
	}
}

// collection is the JSON of a collection page.
type collection[T any] struct {
	Size  int `json:"size"`
	Items []T `json:"items"`
}

// strict decodes out into v, refusing unknown fields: an error document
// is not the answer expected.
func strict(t *testing.T, out []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
}

// proxy decodes an API Gateway proxy response and checks its status.
func proxy(t *testing.T, out []byte, status int) events.APIGatewayProxyResponse {
	t.Helper()
	var resp events.APIGatewayProxyResponse
	strict(t, out, &resp)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	return resp
}

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

func body(t *testing.T, resp events.APIGatewayProxyResponse, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(resp.Body), v); err != nil {
		t.Fatalf("%v: %s", err, resp.Body)
	}
}

// allow checks an Allow policy for resource, with the context the
// authorizer derives from the real credentials.
func allow(resource, authType, admin, scope string) func(t *testing.T, out []byte) {
	return func(t *testing.T, out []byte) {
		t.Helper()
		var got events.APIGatewayCustomAuthorizerResponse
		strict(t, out, &got)
		st := got.PolicyDocument.Statement
		if len(st) != 1 || st[0].Effect != "Allow" || !slices.Equal(st[0].Resource, []string{resource}) {
			t.Fatalf("policy %s, want Allow on %s", out, resource)
		}
		c := got.Context
		if c["authType"] != authType || c["admin"] != admin || c["scope"] != scope || c["accountHref"] != got.PrincipalID ||
			c["accountId"] == "" || !strings.HasSuffix(got.PrincipalID, fmt.Sprint("/v1/accounts/", c["accountId"])) {
			t.Errorf("context %v of %s", c, got.PrincipalID)
		}
	}
}

// token checks a client credentials answer granting scope.
func token(scope string) func(t *testing.T, out []byte) {
	return func(t *testing.T, out []byte) {
		t.Helper()
		var got struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
			ExpiresIn   int    `json:"expires_in"`
			Scope       string `json:"scope"`
		}
		body(t, proxy(t, out, http.StatusOK), &got)
		if got.AccessToken == "" || !strings.EqualFold(got.TokenType, "Bearer") || got.ExpiresIn <= 0 || got.Scope != scope {
			t.Errorf("token answer %+v", got)
		}
	}
}
