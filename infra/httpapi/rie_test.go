package httpapi_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/httpapi"
	"github.com/keystorm/keystorm/infra/rie"
	"github.com/keystorm/keystorm/infra/sample"
)

// TestFunctionsUnderEmulator builds each management function
// (functions/<family>) exactly as SAM would ship it and invokes it through
// the Lambda Runtime Interface Emulator with the repository's sample
// events, against an embedded DynamoDB seeded through domain.Service
// (infra/sample, which also puts the seeded ids into the samples). It
// proves that each main.go wires its family's routes, reads its tables and
// endpoint from the environment, and answers the API Gateway proxy
// integration with the right response.
//
// Emulators take a machine-wide lock (rie.Start), so the families run one
// after the other: no t.Parallel here.
func TestFunctionsUnderEmulator(t *testing.T) {
	coldStarts := map[string]float64{}
	cases := []struct {
		family string
		run    func(t *testing.T, f *rieFixture)
	}{
		{"tenants", rieTenants},
		{"applications", rieApplications},
		{"accounts", rieAccounts},
		{"groups", rieGroups},
		{"apikeys", rieAPIKeys},
	}
	if len(cases) != len(httpapi.Families) {
		t.Fatalf("cases cover %d families, httpapi.Families has %d", len(cases), len(httpapi.Families))
	}
	for _, c := range cases {
		if !slices.Contains(httpapi.Families, c.family) {
			t.Fatalf("%s is not in httpapi.Families", c.family)
		}
		t.Run(c.family, func(t *testing.T) {
			f := newRIEFixture(t, c.family)
			c.run(t, f)
			f.refusesWithoutAuthorizer(t)
			f.noErrorLogs(t)
			ms, err := f.em.InitDurationMs()
			if err != nil {
				t.Errorf("cold start: %v\n%s", err, f.em.Output())
				return
			}
			t.Logf("%s cold start (INIT REPORT): %.1f ms", c.family, ms)
			coldStarts[c.family] = ms
		})
	}
	for _, c := range cases {
		if ms, ok := coldStarts[c.family]; ok {
			t.Logf("cold start %-12s %6.1f ms", c.family, ms)
		}
	}
}

// The samples' API Gateway host and stage, so every href starts with this.
const rieBase = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"

// rieFixture is one family's binary running under the emulator, against a
// fresh embedded DynamoDB seeded for the samples (infra/sample: a
// bootstrapped tenant, and the developer tk421 with a key and a group).
type rieFixture struct {
	family string
	ctx    context.Context
	world  *sample.World
	svc    *domain.Service
	boot   domain.Bootstrapped
	admin  domain.Caller
	em     *rie.Emulator
	// last is the last sample sent, for the no-authorizer check.
	last events.APIGatewayProxyRequest
}

func newRIEFixture(t *testing.T, family string) *rieFixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	t.Cleanup(cancel)

	// The seeding hashes with cheap parameters; the function itself
	// hashes with the production ones.
	w, err := sample.Start(ctx, sample.Options{Clock: domain.SystemClock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	f := &rieFixture{family: family, ctx: ctx, world: w, svc: w.Service, boot: w.Boot, admin: w.Admin}

	bootstrap, err := rie.Build(ctx, "./functions/"+family, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The store's endpoint and tables, and dummy AWS credentials: minidyn
	// checks no signature, and the developer's own credentials must not
	// leak into a test.
	env, err := w.Env(sample.StoreVars...)
	if err != nil {
		t.Fatal(err)
	}
	f.em, err = rie.Start(ctx, bootstrap, append(env, "LOG_LEVEL=info"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.em.Close() })
	return f
}

// sample loads functions/<family>/testdata/<name> with the real ids in
// (sample.World.Fill): the path parameters name the seeded resources, and
// the authorizer context is the bootstrapped admin key's.
func (f *rieFixture) sample(t *testing.T, name string) events.APIGatewayProxyRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "functions", f.family, "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if b, err = f.world.Fill(f.ctx, b); err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	a := ev.RequestContext.Authorizer
	if a == nil {
		t.Fatalf("%s has no authorizer context", name)
	}
	href := rieBase + "/v1/accounts/" + f.boot.Admin.ID
	if a["accountHref"] != href || a["accountId"] != f.boot.Admin.ID || a["apiKeyId"] != f.boot.AdminKey.ID ||
		a["tenantId"] != f.boot.Tenant.ID || a["applicationId"] != f.boot.AdminApp.ID || a["admin"] != "true" {
		t.Fatalf("%s: the authorizer context is not the admin key's: %v", name, a)
	}
	f.last = ev
	return ev
}

// invoke sends an event through the emulator and decodes the proxy
// response.
func (f *rieFixture) invoke(t *testing.T, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.em.Invoke(f.ctx, payload)
	if err != nil {
		t.Fatalf("%v\n%s", err, f.em.Output())
	}
	var resp events.APIGatewayProxyResponse
	dec := json.NewDecoder(strings.NewReader(string(out)))
	dec.DisallowUnknownFields() // a Lambda error document is not a proxy response
	if err := dec.Decode(&resp); err != nil || resp.StatusCode == 0 {
		t.Fatalf("not an API Gateway proxy response (%v): %s\n%s", err, out, f.em.Output())
	}
	if resp.IsBase64Encoded {
		t.Fatalf("body is base64-encoded: %s", out)
	}
	return resp
}

// rieHeader reads a response header the way API Gateway merges the two maps.
func rieHeader(resp events.APIGatewayProxyResponse, name string) string {
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

// rieJSON checks the status and Content-Type and decodes the body.
func rieJSON(t *testing.T, resp events.APIGatewayProxyResponse, status int, v any) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	if ct := rieHeader(resp, "Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if err := json.Unmarshal([]byte(resp.Body), v); err != nil {
		t.Fatalf("%v: %s", err, resp.Body)
	}
}

// rieCollection is the JSON of a collection page, items kept raw.
type rieCollection struct {
	Href   string            `json:"href"`
	Offset int               `json:"offset"`
	Limit  int               `json:"limit"`
	Size   int               `json:"size"`
	Items  []json.RawMessage `json:"items"`
}

// listOf decodes a 200 collection and checks its href and paging against
// the sample's path and query.
func (f *rieFixture) listOf(t *testing.T, ev events.APIGatewayProxyRequest, resp events.APIGatewayProxyResponse, items any) rieCollection {
	t.Helper()
	var c rieCollection
	rieJSON(t, resp, http.StatusOK, &c)
	if c.Href != rieBase+ev.Path {
		t.Errorf("collection href %q, want %q", c.Href, rieBase+ev.Path)
	}
	wantLimit := 25
	if ev.QueryStringParameters["limit"] != "" && ev.QueryStringParameters["limit"] != "25" {
		t.Fatalf("sample limit %q: adjust the test", ev.QueryStringParameters["limit"])
	}
	if c.Offset != 0 || c.Limit != wantLimit || c.Size != len(c.Items) {
		t.Errorf("offset %d limit %d size %d with %d items", c.Offset, c.Limit, c.Size, len(c.Items))
	}
	raw, _ := json.Marshal(c.Items)
	if err := json.Unmarshal(raw, items); err != nil {
		t.Fatal(err)
	}
	return c
}

// refusesWithoutAuthorizer replays the last sample without its authorizer
// context, as if the function were invoked around its authorizer: the
// binary must refuse with 401 in the API's error format, carrying API
// Gateway's request id.
func (f *rieFixture) refusesWithoutAuthorizer(t *testing.T) {
	t.Helper()
	ev := f.last
	ev.RequestContext.Authorizer = nil
	var e httpapi.ErrorBody
	rieJSON(t, f.invoke(t, ev), http.StatusUnauthorized, &e)
	if e.Status != http.StatusUnauthorized || e.RequestID != ev.RequestContext.RequestID {
		t.Errorf("without authorizer context: %+v", e)
	}
}

// noErrorLogs checks that the function logged no error on the way.
func (f *rieFixture) noErrorLogs(t *testing.T) {
	t.Helper()
	if out := f.em.Output(); strings.Contains(out, `"level":"ERROR"`) {
		t.Errorf("the function logged an error:\n%s", out)
	}
}

func rieTenants(t *testing.T, f *rieFixture) {
	tid := f.boot.Tenant.ID
	ev := f.sample(t, "get-current.json")
	resp := f.invoke(t, ev)
	want := rieBase + "/v1/tenants/" + tid
	if resp.StatusCode != http.StatusFound || rieHeader(resp, "Location") != want {
		t.Fatalf("current tenant: %d Location %q, want 302 to %q (%v)", resp.StatusCode, rieHeader(resp, "Location"), want, resp.MultiValueHeaders)
	}
	if resp.Body != "" {
		t.Errorf("302 with a body: %q", resp.Body)
	}

	// Follow the redirect, as Stormpath SDKs do.
	ev = f.sample(t, "get.json")
	var got httpapi.Tenant
	rieJSON(t, f.invoke(t, ev), http.StatusOK, &got)
	if got.Href != want || got.Key != tid || got.Name != f.boot.Tenant.Name || got.Applications.Href != rieBase+"/v1/applications" {
		t.Errorf("tenant: %+v", got)
	}
}

func rieApplications(t *testing.T, f *rieFixture) {
	name := "Death Star Operations"
	app, err := f.svc.CreateApplication(f.ctx, f.admin, domain.ApplicationInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	ev := f.sample(t, "list.json")
	var items []httpapi.Application
	f.listOf(t, ev, f.invoke(t, ev), &items)
	var got []string
	for _, it := range items {
		got = append(got, it.Href)
		if it.Tenant.Href != rieBase+"/v1/tenants/"+f.boot.Tenant.ID {
			t.Errorf("application %s in tenant %s", it.Href, it.Tenant.Href)
		}
	}
	want := []string{
		rieBase + "/v1/applications/" + f.boot.AdminApp.ID,
		rieBase + "/v1/applications/" + f.boot.Application.ID,
		rieBase + "/v1/applications/" + app.ID,
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("applications %v, want %v", got, want)
	}
}

func rieAccounts(t *testing.T, f *rieFixture) {
	appID := f.boot.Application.ID
	ev := f.sample(t, "create.json")
	var in struct{ Email, Username, Password, GivenName, Surname string }
	if err := json.Unmarshal([]byte(ev.Body), &in); err != nil {
		t.Fatal(err)
	}
	resp := f.invoke(t, ev)
	var got httpapi.Account
	rieJSON(t, resp, http.StatusCreated, &got)
	if loc := rieHeader(resp, "Location"); loc == "" || loc != got.Href || !strings.HasPrefix(loc, rieBase+"/v1/accounts/") {
		t.Fatalf("Location %q, href %q", loc, got.Href)
	}
	if got.Username != in.Username || got.Email != in.Email || got.GivenName != in.GivenName || got.Surname != in.Surname ||
		got.Status != "ENABLED" || got.Application.Href != rieBase+"/v1/applications/"+appID {
		t.Errorf("account: %+v", got)
	}
	if strings.Contains(resp.Body, in.Password) || strings.Contains(f.em.Output(), in.Password) {
		t.Error("the password is in the response or the function's output")
	}

	// The account really is in the store, with the password hashed.
	id := strings.TrimPrefix(got.Href, rieBase+"/v1/accounts/")
	acc, err := f.svc.GetAccount(f.ctx, f.admin, id)
	if err != nil {
		t.Fatalf("the created account is not in the store: %v", err)
	}
	if acc.ApplicationID != appID || acc.Username != in.Username || acc.Email != in.Email {
		t.Errorf("stored account: %+v", acc)
	}
	if acc.PasswordHash == in.Password || !domain.DefaultArgon2id.Verify(in.Password, acc.PasswordHash) {
		t.Error("the stored password hash does not verify the sample's password")
	}
	// Next to the seeded developer.
	l, err := f.svc.ListAccounts(f.ctx, f.admin, appID, domain.Page{Limit: 25})
	if err != nil || len(l.Items) != 2 || !slices.ContainsFunc(l.Items, func(a *domain.Account) bool { return a.ID == id }) {
		t.Errorf("accounts of the application: %v %+v", err, l)
	}
}

func rieGroups(t *testing.T, f *rieFixture) {
	appID := f.boot.Application.ID
	// The seeded scope group, and two more.
	g := f.world.ScopeGroup
	want := map[string]bool{rieBase + "/v1/groups/" + g.ID + " " + g.Name: true}
	for _, name := range []string{"Stormtroopers", "Imperial Officers"} {
		g, err := f.svc.CreateGroup(f.ctx, f.admin, appID, domain.GroupInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		want[rieBase+"/v1/groups/"+g.ID+" "+name] = true
	}
	ev := f.sample(t, "list.json")
	var items []httpapi.Group
	f.listOf(t, ev, f.invoke(t, ev), &items)
	got := map[string]bool{}
	for _, it := range items {
		got[it.Href+" "+it.Name] = true
	}
	if len(items) != len(want) || !maps.Equal(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
}

func rieAPIKeys(t *testing.T, f *rieFixture) {
	// The seeded developer's key, and two more.
	dev, seeded := f.world.Developer, f.world.DeveloperKey
	want := map[string]bool{seeded.Key.ID + " " + seeded.Key.Name: true}
	secrets := []string{seeded.Secret}
	for _, name := range []string{"laptop", "ci"} {
		k, err := f.svc.CreateAPIKey(f.ctx, f.admin, dev.ID, domain.APIKeyInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		want[k.Key.ID+" "+name] = true
		secrets = append(secrets, k.Secret)
	}
	ev := f.sample(t, "list.json")
	resp := f.invoke(t, ev)
	var items []httpapi.APIKey
	f.listOf(t, ev, resp, &items)
	got := map[string]bool{}
	for _, it := range items {
		got[it.ID+" "+it.Name] = true
		if it.Href != rieBase+"/v1/apiKeys/"+it.ID || it.Status != "ENABLED" || it.Secret != nil {
			t.Errorf("key %+v", it)
		}
		if l, ok := it.Account.(map[string]any); !ok || l["href"] != rieBase+"/v1/accounts/"+dev.ID {
			t.Errorf("key %s account %v", it.ID, it.Account)
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
	for _, s := range secrets {
		if strings.Contains(resp.Body, s) || strings.Contains(f.em.Output(), s) {
			t.Error("a key secret is in a list response or the function's output")
		}
	}
}
