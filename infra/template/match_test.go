package template_test

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/infra/template"
)

func TestMatch(t *testing.T) {
	routes := mustRoutes(t)
	cases := []struct {
		method, path string
		wantFn       string
		wantTmpl     string
		wantParams   map[string]string
	}{
		// A literal segment wins over a parameter at the same position.
		{"GET", "/v1/tenants/current", "tenants", "/v1/tenants/current", nil},
		{"GET", "/v1/tenants/tnt_1", "tenants", "/v1/tenants/{tenantId}", map[string]string{"tenantId": "tnt_1"}},
		{"GET", "/v1/applications", "applications", "/v1/applications", nil},
		{"POST", "/v1/applications", "applications", "/v1/applications", nil},
		{"DELETE", "/v1/applications/app_1", "applications", "/v1/applications/{applicationId}", map[string]string{"applicationId": "app_1"}},
		{"POST", "/v1/applications/app_1/accounts", "accounts", "/v1/applications/{applicationId}/accounts", map[string]string{"applicationId": "app_1"}},
		{"GET", "/v1/applications/app_1/groups", "groups", "/v1/applications/{applicationId}/groups", map[string]string{"applicationId": "app_1"}},
		{"GET", "/v1/applications/app_1/apiKeys", "apikeys", "/v1/applications/{applicationId}/apiKeys", map[string]string{"applicationId": "app_1"}},
		{"GET", "/v1/accounts/acc_1", "accounts", "/v1/accounts/{accountId}", map[string]string{"accountId": "acc_1"}},
		{"GET", "/v1/accounts/acc_1/groups", "groups", "/v1/accounts/{accountId}/groups", map[string]string{"accountId": "acc_1"}},
		{"GET", "/v1/accounts/acc_1/apiKeys", "apikeys", "/v1/accounts/{accountId}/apiKeys", map[string]string{"accountId": "acc_1"}},
		{"DELETE", "/v1/accounts/acc_1/customData/favoriteColor", "accounts", "/v1/accounts/{accountId}/customData/{field}",
			map[string]string{"accountId": "acc_1", "field": "favoriteColor"}},
		{"POST", "/v1/groupMemberships", "groups", "/v1/groupMemberships", nil},
		{"DELETE", "/v1/groupMemberships/gm_1", "groups", "/v1/groupMemberships/{groupMembershipId}", map[string]string{"groupMembershipId": "gm_1"}},
		{"get", "/v1/apiKeys/ak_1", "apikeys", "/v1/apiKeys/{apiKeyId}", map[string]string{"apiKeyId": "ak_1"}},
		{"GET", "/troopers/tk421/equipment", "example", "/troopers/{id}/equipment", map[string]string{"id": "tk421"}},
		// A parameter value is one segment, taken as given.
		{"GET", "/v1/accounts/a%2Fb", "accounts", "/v1/accounts/{accountId}", map[string]string{"accountId": "a%2Fb"}},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r, params, ok := template.Match(routes, c.method, c.path)
			if !ok {
				t.Fatalf("no match (allowed %v)", template.Allowed(routes, c.path))
			}
			if r.Function != c.wantFn || r.Path != c.wantTmpl {
				t.Errorf("matched %s of %s, want %s of %s", r, r.Function, c.wantTmpl, c.wantFn)
			}
			if !maps.Equal(params, c.wantParams) {
				t.Errorf("params %v, want %v", params, c.wantParams)
			}
		})
	}
}

func TestMatchMisses(t *testing.T) {
	routes := mustRoutes(t)
	cases := []struct {
		method, path string
		allowed      []string // nil: 404; else 405 with these methods
	}{
		{"PUT", "/v1/applications", []string{"GET", "POST"}},
		{"DELETE", "/v1/tenants/tnt_1", []string{"GET"}},
		// The literal resource is chosen before the method: /current only
		// has GET, even though {tenantId} would not have DELETE either.
		{"DELETE", "/v1/tenants/current", []string{"GET"}},
		{"PATCH", "/v1/accounts/acc_1", []string{"DELETE", "GET", "POST"}},
		{"GET", "/v1/accounts/acc_1/customData/field", []string{"DELETE"}},
		{"GET", "/v1/nothing", nil},
		{"GET", "/v1/applications/", nil},
		{"GET", "/v1/accounts//apiKeys", nil},
		{"GET", "/v1", nil},
		{"GET", "/", nil},
		{"GET", "", nil},
		{"GET", "v1/applications", nil},
		{"GET", "/v1/applications?limit=5", nil},
		{"GET", "/v1/applications/app_1/accounts/extra", nil},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			if r, _, ok := template.Match(routes, c.method, c.path); ok {
				t.Fatalf("matched %s", r)
			}
			if got := template.Allowed(routes, c.path); !slices.Equal(got, c.allowed) {
				t.Errorf("Allowed = %v, want %v", got, c.allowed)
			}
		})
	}
}

func TestMatchPriorityAndAny(t *testing.T) {
	routes := []template.Route{
		{Function: "proxy", API: "A", Method: "ANY", Path: "/{proxy+}"},
		{Function: "any", API: "A", Method: "ANY", Path: "/items/{id}"},
		{Function: "get", API: "A", Method: "GET", Path: "/items/{id}"},
		{Function: "lit", API: "A", Method: "GET", Path: "/items/special"},
		{Function: "deep", API: "A", Method: "GET", Path: "/items/{id}/parts/{part}"},
		{Function: "tail", API: "A", Method: "GET", Path: "/files/{path+}"},
		{Function: "root", API: "A", Method: "GET", Path: "/"},
	}
	cases := []struct {
		method, path, want string
		params             map[string]string
	}{
		{"GET", "/items/1", "get", map[string]string{"id": "1"}},
		{"DELETE", "/items/1", "any", map[string]string{"id": "1"}},
		{"GET", "/items/special", "lit", nil},
		{"POST", "/items/special", "", nil}, // /items/special exists, for GET only
		{"GET", "/items/1/parts/2", "deep", map[string]string{"id": "1", "part": "2"}},
		{"POST", "/items/1/parts/2", "", nil},
		{"GET", "/files/a/b/c.txt", "tail", map[string]string{"path": "a/b/c.txt"}},
		{"GET", "/files", "proxy", map[string]string{"proxy": "files"}},
		{"PUT", "/elsewhere/x", "proxy", map[string]string{"proxy": "elsewhere/x"}},
		{"GET", "/", "root", nil},
		{"POST", "/", "", nil},
	}
	for _, c := range cases {
		r, params, ok := template.Match(routes, c.method, c.path)
		if c.want == "" {
			if ok {
				t.Errorf("%s %s matched %s", c.method, c.path, r.Function)
			}
			continue
		}
		if !ok || r.Function != c.want || !maps.Equal(params, c.params) {
			t.Errorf("%s %s = %s %v %v, want %s %v", c.method, c.path, r.Function, params, ok, c.want, c.params)
		}
	}
}

func TestForAPI(t *testing.T) {
	routes := mustRoutes(t)
	ex := template.ForAPI(routes, "ExampleApi")
	// The protected API serves its equipment route and the canonical
	// OAuth token endpoint (sorted by path).
	if len(ex) != 2 || ex[0].Path != "/oauth/token" || ex[1].Path != "/troopers/{id}/equipment" {
		t.Errorf("ForAPI(ExampleApi) = %v", ex)
	}
	if _, _, ok := template.Match(template.ForAPI(routes, "ManagementApi"), "GET", "/troopers/1/equipment"); ok {
		t.Error("management API serves the example route")
	}
}

func TestResourceARNPattern(t *testing.T) {
	cases := map[string]string{
		"/v1/tenants/current":                         "/v1/tenants/current",
		"/v1/accounts/{accountId}":                    "/v1/accounts/*",
		"/v1/accounts/{accountId}/customData/{field}": "/v1/accounts/*/customData/*",
		"/files/{path+}":                              "/files/*",
		"/":                                           "/",
	}
	for in, want := range cases {
		got, err := template.ResourceARNPattern(in)
		if err != nil || got != want {
			t.Errorf("ResourceARNPattern(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := template.ResourceARNPattern("no-slash"); err == nil {
		t.Error("ResourceARNPattern accepted a relative path")
	}
}

// FuzzMatch checks that Match and Allowed never panic, and that whatever
// Match returns is consistent: the method fits, the route's template
// rebuilt with the returned parameters gives back the path.
func FuzzMatch(f *testing.F) {
	data, err := os.ReadFile(templatePath)
	if err != nil {
		f.Fatal(err)
	}
	routes, err := template.Parse(data)
	if err != nil {
		f.Fatal(err)
	}
	routes = append(routes,
		template.Route{Function: "proxy", API: "Other", Method: "ANY", Path: "/other/{rest+}"},
		template.Route{Function: "root", API: "Other", Method: "GET", Path: "/"})
	for _, s := range []struct{ m, p string }{
		{"GET", "/v1/tenants/current"}, {"GET", "/v1/tenants/x"}, {"DELETE", "/v1/accounts/a/customData/f"},
		{"PUT", "/v1/applications"}, {"GET", "//"}, {"GET", "/v1//x"}, {"", ""}, {"GET", "/other/a/b"},
		{"get", "/troopers/{id}/equipment"}, {"POST", "/\x00/\xff"}, {"GET", "/"},
	} {
		f.Add(s.m, s.p)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		r, params, ok := template.Match(routes, method, path)
		allowed := template.Allowed(routes, path)
		if !ok {
			return
		}
		if r.Method != "ANY" && r.Method != strings.ToUpper(method) {
			t.Fatalf("%s %s matched %s", method, path, r)
		}
		if !slices.Contains(allowed, r.Method) {
			t.Fatalf("%s %s matched %s but Allowed = %v", method, path, r, allowed)
		}
		segs := strings.Split(r.Path, "/")
		for i, s := range segs {
			if name, ok := strings.CutPrefix(s, "{"); ok {
				name = strings.TrimSuffix(strings.TrimSuffix(name, "}"), "+")
				v, ok := params[name]
				if !ok {
					t.Fatalf("%s %s matched %s without parameter %s: %v", method, path, r, name, params)
				}
				segs[i] = v
			}
		}
		rebuilt := strings.Join(segs, "/")
		if rebuilt != path {
			t.Fatalf("%s %s matched %s with %v, which rebuilds %q", method, path, r, params, rebuilt)
		}
	})
}

// FuzzParse checks that no input makes the template parser panic or hang
// (cyclic aliases and merge keys included). Its seeds are large, so when
// fuzzing pass a short -fuzzminimizetime (e.g. 2s): minimizing a 20 KB input
// otherwise stalls the run for a minute at a time.
func FuzzParse(f *testing.F) {
	data, err := os.ReadFile(templatePath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(miniTemplate))
	f.Add([]byte("a: &a [*a]\nResources: *a\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		routes, err := template.Parse(doc)
		if err != nil {
			return
		}
		for _, r := range routes {
			if r.Function == "" || r.Method == "" || !strings.HasPrefix(r.Path, "/") {
				t.Fatalf("Parse returned an incomplete route %+v", r)
			}
		}
	})
}
