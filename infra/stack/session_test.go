package stack_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/httpapi"
)

// signIn runs the password grant at the application's token endpoint as
// a public client and returns the token response.
func (c *client) signIn(username, password string) map[string]any {
	c.t.Helper()
	return c.must(200, c.as("", "").form("POST", c.app+"/oauth/token",
		"grant_type=password&username="+url.QueryEscape(username)+"&password="+url.QueryEscape(password), ""))
}

// bearer returns a client that sends tok as a Bearer token.
func (c *client) bearerDo(tok, method, u string, body any) resp {
	c.t.Helper()
	return c.as("", "").do(method, u, body, "Authorization", "Bearer "+tok)
}

func TestPasswordAndRefreshGrantsOverHTTP(t *testing.T) {
	c := start(t)
	acc := c.newAccount("fn2187")
	st := c.signIn("fn2187", "Changeme1")
	for _, k := range []string{"access_token", "refresh_token", "stormpath_access_token_href"} {
		if s, _ := st[k].(string); s == "" {
			t.Fatalf("no %s: %v", k, st)
		}
	}
	if st["token_type"] != "bearer" || st["expires_in"] != float64(3600) || st["refresh_token_expires_in"] != float64(60*24*3600) {
		t.Fatalf("token response %v", st)
	}
	// The provider's backend may sign its users in with its admin key,
	// by Basic or client_secret_post; a developer key may not.
	c.must(200, c.form("POST", c.app+"/oauth/token", "grant_type=password&username=fn2187&password=Changeme1", ""))
	c.must(200, c.as("", "").form("POST", c.app+"/oauth/token", "grant_type=password&username=fn2187&password=Changeme1&client_id="+c.id+"&client_secret="+c.secret, ""))
	devID, devSecret := c.newKey(acc)
	oauthErr(t, c.as(devID, devSecret).form("POST", c.app+"/oauth/token", "grant_type=password&username=fn2187&password=Changeme1", ""), 400, "unauthorized_client")
	// Wrong password and unknown user: one answer.
	oauthErr(t, c.as("", "").form("POST", c.app+"/oauth/token", "grant_type=password&username=fn2187&password=Wrong1234", ""), 400, "invalid_grant")
	oauthErr(t, c.as("", "").form("POST", c.app+"/oauth/token", "grant_type=password&username=nobody&password=Wrong1234", ""), 400, "invalid_grant")
	// The tenant-wide endpoint has no directory; a missing parameter is
	// named.
	oauthErr(t, c.as("", "").form("POST", "/oauth/token", "grant_type=password&username=fn2187&password=Changeme1", ""), 400, "invalid_request")
	oauthErr(t, c.as("", "").form("POST", c.app+"/oauth/token", "grant_type=password&username=fn2187", ""), 400, "invalid_request")
	// client_credentials still needs client authentication.
	oauthErr(t, c.as("", "").form("POST", "/oauth/token", grant, ""), 401, "invalid_client")

	// The token reads its own account.
	tok := st["access_token"].(string)
	if got := c.must(200, c.bearerDo(tok, "GET", acc["href"].(string), nil)); got["username"] != "fn2187" {
		t.Fatalf("self read %v", got)
	}
	// Refresh: a new pair; the old refresh token is spent.
	rt := st["refresh_token"].(string)
	next := c.must(200, c.as("", "").form("POST", c.app+"/oauth/token", "grant_type=refresh_token&refresh_token="+url.QueryEscape(rt), ""))
	if next["refresh_token"] == rt || next["access_token"] == tok {
		t.Fatal("a refresh did not rotate")
	}
	// The admin sees the session and its two tokens.
	sessions := c.must(200, c.do("GET", href(acc, "refreshTokens"), nil))
	tokens := c.must(200, c.do("GET", href(acc, "accessTokens"), nil))
	if sessions["size"].(float64) != 3 || tokens["size"].(float64) != 4 {
		t.Fatalf("%v sessions, %v access tokens; want 3 and 4", sessions["size"], tokens["size"])
	}
	// Reuse of the spent token ends the session, and with it the new
	// access token.
	oauthErr(t, c.as("", "").form("POST", c.app+"/oauth/token", "grant_type=refresh_token&refresh_token="+url.QueryEscape(rt), ""), 400, "invalid_grant")
	if r := c.bearerDo(next["access_token"].(string), "GET", acc["href"].(string), nil); r.Status != 401 {
		t.Fatalf("a token of a session ended for reuse: %d %s", r.Status, r.Body)
	}
	oauthErr(t, c.as("", "").form("POST", c.app+"/oauth/token", "grant_type=refresh_token&refresh_token="+url.QueryEscape(next["refresh_token"].(string)), ""), 400, "invalid_grant")
	if got := c.must(200, c.do("GET", href(acc, "refreshTokens"), nil)); got["size"].(float64) != 2 {
		t.Fatalf("sessions after reuse: %v", got["size"])
	}
	// DELETE of a session signs it out.
	again := c.signIn("fn2187", "Changeme1")
	c.must(200, c.bearerDo(again["access_token"].(string), "GET", acc["href"].(string), nil))
	session := strings.TrimPrefix(again["refresh_token"].(string), domain.RefreshTokenPrefix)
	session = session[:strings.IndexByte(session, '.')]
	got := c.must(200, c.do("GET", "/v1/refreshTokens/"+session, nil))
	if href(got, "account") != acc["href"] || got["rotations"] != float64(0) {
		t.Fatalf("session %v", got)
	}
	c.must(204, c.do("DELETE", "/v1/refreshTokens/"+session, nil))
	if r := c.bearerDo(again["access_token"].(string), "GET", acc["href"].(string), nil); r.Status != 401 {
		t.Fatalf("a token of a deleted session: %d", r.Status)
	}
	// DELETE of one access token ends it alone.
	last := c.signIn("fn2187", "Changeme1")
	c.must(204, c.do("DELETE", last["stormpath_access_token_href"].(string), nil))
	if r := c.bearerDo(last["access_token"].(string), "GET", acc["href"].(string), nil); r.Status != 401 {
		t.Fatalf("a deleted access token: %d", r.Status)
	}
	c.must(200, c.as("", "").form("POST", c.app+"/oauth/token", "grant_type=refresh_token&refresh_token="+url.QueryEscape(last["refresh_token"].(string)), ""))
	// A refresh token is bound to the client that signed in: a public
	// session cannot be refreshed with the admin key, nor the reverse.
	pub := c.signIn("fn2187", "Changeme1")
	oauthErr(t, c.form("POST", c.app+"/oauth/token", "grant_type=refresh_token&refresh_token="+url.QueryEscape(pub["refresh_token"].(string)), ""), 400, "invalid_grant")
	conf := c.must(200, c.form("POST", c.app+"/oauth/token", "grant_type=password&username=fn2187&password=Changeme1", ""))
	oauthErr(t, c.as("", "").form("POST", c.app+"/oauth/token", "grant_type=refresh_token&refresh_token="+url.QueryEscape(conf["refresh_token"].(string)), ""), 400, "invalid_grant")
	c.must(200, c.form("POST", c.app+"/oauth/token", "grant_type=refresh_token&refresh_token="+url.QueryEscape(conf["refresh_token"].(string)), ""))
	// A password reset signs the account out everywhere: its sessions'
	// refresh tokens and access tokens stop working.
	before := c.signIn("fn2187", "Changeme1")
	c.must(200, c.do("POST", c.app+"/passwordResetTokens", map[string]any{"email": "fn2187@galacticempire.co"}))
	link, _ := c.lastMailToken()
	c.must(200, c.do("POST", link, map[string]any{"password": "Changed99x"}))
	oauthErr(t, c.as("", "").form("POST", c.app+"/oauth/token", "grant_type=refresh_token&refresh_token="+url.QueryEscape(before["refresh_token"].(string)), ""), 400, "invalid_grant")
	if r := c.bearerDo(before["access_token"].(string), "GET", acc["href"].(string), nil); r.Status != 401 {
		t.Fatalf("an access token from before the reset: %d", r.Status)
	}
	c.signIn("fn2187", "Changed99x")
	// No event holds a password or a refresh token.
	streams, err := c.s.Store.ReadEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, envs := range streams {
		for _, e := range envs {
			for _, secret := range []string{"Changeme1", rt[len(domain.RefreshTokenPrefix)+23:], tok} {
				if strings.Contains(string(e.Data), secret) {
					t.Fatalf("event %s holds a credential", e.Type)
				}
			}
		}
	}
}

// TestSelfTokenBOLA: a password grant's token acts for its account alone.
// Every management route is called with the token, once with the ids of
// the token's own account, key, session and application, and once with
// another account's (same application), another application's and
// another tenant's. Only reading the account and managing its keys
// succeed, with its own ids; everything else is 404, the answer for what
// does not exist, and writes nothing.
func TestSelfTokenBOLA(t *testing.T) {
	c := start(t)
	ctx := context.Background()
	// The token's own account A, and around it: B in the same
	// application, C in another application, D in another tenant.
	a := c.newAccount("self")
	aKey, _ := c.newKey(a)
	b := c.newAccount("neighbour")
	bKey, _ := c.newKey(b)
	other := c.must(201, c.do("POST", "/v1/applications", map[string]any{"name": "other app"}))
	oc := *c
	oc.app = other["href"].(string)
	cAcc := oc.newAccount("elsewhere")
	cKey, _ := c.newKey(cAcc)
	g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "officers"}))
	mA := c.must(201, c.do("POST", "/v1/groupMemberships", map[string]any{"account": map[string]any{"href": a["href"]}, "group": map[string]any{"href": g["href"]}}))
	dir := c.must(201, c.do("POST", "/v1/directories", map[string]any{"name": "shared"}))
	mapping := c.must(201, c.do("POST", "/v1/accountStoreMappings", map[string]any{
		"application": map[string]any{"href": c.app}, "accountStore": map[string]any{"href": dir["href"]}}))
	tenant2, err := c.s.Service.Bootstrap(ctx, domain.BootstrapInput{TenantName: "rebels"})
	if err != nil {
		t.Fatal(err)
	}
	d := c.as(tenant2.AdminKey.ID, tenant2.AdminSecret)
	d.app = c.base + "/v1/applications/" + tenant2.Application.ID
	dAcc := d.newAccount("rebel")
	dKey, _ := d.newKey(dAcc)
	bSession := c.signIn("neighbour", "Changeme1")

	st := c.signIn("self", "Changeme1")
	tok := st["access_token"].(string)
	last := func(h string) string { return h[strings.LastIndexByte(h, '/')+1:] }
	sessionOf := func(m map[string]any) string {
		s := strings.TrimPrefix(m["refresh_token"].(string), domain.RefreshTokenPrefix)
		return s[:strings.IndexByte(s, '.')]
	}
	own := map[string]string{
		"tenantId": c.s.Boot.Tenant.ID, "applicationId": c.s.Boot.Application.ID, "accountId": last(a["href"].(string)),
		"apiKeyId": aKey, "groupId": last(g["href"].(string)), "groupMembershipId": last(mA["href"].(string)),
		"accessTokenId": last(st["stormpath_access_token_href"].(string)), "refreshTokenId": sessionOf(st), "field": "rank", "token": "nosuchtoken",
		"directoryId": last(dir["href"].(string)), "accountStoreMappingId": last(mapping["href"].(string)),
	}
	others := []map[string]string{
		{"tenantId": c.s.Boot.Tenant.ID, "applicationId": c.s.Boot.Application.ID, "accountId": last(b["href"].(string)), "apiKeyId": bKey,
			"groupId": last(g["href"].(string)), "groupMembershipId": last(mA["href"].(string)),
			"accessTokenId": last(bSession["stormpath_access_token_href"].(string)), "refreshTokenId": sessionOf(bSession), "field": "rank", "token": "nosuchtoken",
			"directoryId": last(dir["href"].(string)), "accountStoreMappingId": last(mapping["href"].(string))},
		{"tenantId": c.s.Boot.Tenant.ID, "applicationId": last(other["href"].(string)), "accountId": last(cAcc["href"].(string)), "apiKeyId": cKey,
			"groupId": "nosuchgroup", "groupMembershipId": "nosuchmembership", "accessTokenId": "nosuchtoken", "refreshTokenId": "nosuchsession", "field": "rank", "token": "nosuchtoken",
			"directoryId": "nosuchdirectory", "accountStoreMappingId": "nosuchmapping"},
		{"tenantId": tenant2.Tenant.ID, "applicationId": tenant2.Application.ID, "accountId": last(dAcc["href"].(string)), "apiKeyId": dKey,
			"groupId": "nosuchgroup", "groupMembershipId": "nosuchmembership", "accessTokenId": "nosuchtoken", "refreshTokenId": "nosuchsession", "field": "rank", "token": "nosuchtoken",
			"directoryId": "nosuchdirectory", "accountStoreMappingId": "nosuchmapping"},
	}
	// What the token may do, with its own ids; each answer's status.
	allowed := map[string]int{
		"GET /v1/accounts/{accountId}":          200,
		"GET /v1/accounts/{accountId}/apiKeys":  200,
		"POST /v1/accounts/{accountId}/apiKeys": 201,
		"GET /v1/apiKeys/{apiKeyId}":            200,
		"POST /v1/apiKeys/{apiKeyId}":           200,
		"DELETE /v1/apiKeys/{apiKeyId}":         204,
		"POST /v1/apiKeys/{apiKeyId}/reroll":    200,
		"GET /v1/apiKeys/{apiKeyId}/usage":      200,
		"GET /v1/apiKeys/{apiKeyId}/history":    200,
	}
	api := &httpapi.API{}
	var routes []string
	for _, fam := range httpapi.Families {
		routes = append(routes, api.Handler(fam).Routes()...)
	}
	routes = append(routes, "POST /v1/applications/{applicationId}/authenticate", "POST /oauth/introspect")
	// Deletes last, so that what they would delete is there for the rest.
	slices.SortStableFunc(routes, func(x, y string) int {
		return btoi(strings.HasPrefix(x, "DELETE ")) - btoi(strings.HasPrefix(y, "DELETE "))
	})
	fill := func(route string, ids map[string]string) (string, string) {
		method, path, _ := strings.Cut(route, " ")
		for name, id := range ids {
			path = strings.ReplaceAll(path, "{"+name+"}", id)
		}
		if strings.Contains(path, "{") {
			t.Fatalf("%s: no id for a path parameter", route)
		}
		return method, path
	}
	body := func(method, route string) any {
		if strings.HasSuffix(route, "/reroll") {
			return map[string]any{"gracePeriod": "PT1M"}
		}
		if method == "POST" {
			return map[string]any{"name": "x", "description": "from a self token"}
		}
		return nil
	}
	seen := map[string]bool{}
	for _, route := range routes {
		for i, ids := range others {
			events := c.eventCount()
			method, path := fill(route, ids)
			r := c.bearerDo(tok, method, path, body(method, route))
			if route == "POST /oauth/introspect" {
				continue // an OAuth endpoint: checked below
			}
			if r.Status != 404 || code(t, r) != domain.CodeNotFound {
				t.Errorf("%s with the ids of outsider %d: %d %s", route, i, r.Status, r.Body)
			}
			if c.eventCount() != events {
				t.Errorf("%s with outsider %d's ids wrote events", route, i)
			}
		}
		method, path := fill(route, own)
		events := c.eventCount()
		r := c.bearerDo(tok, method, path, body(method, route))
		if route == "POST /oauth/introspect" {
			if r.Status != 403 {
				t.Errorf("introspection with a self token: %d %s", r.Status, r.Body)
			}
			continue
		}
		want, ok := allowed[route]
		if !ok {
			if r.Status != 404 || code(t, r) != domain.CodeNotFound {
				t.Errorf("%s with its own ids: %d %s, want 404", route, r.Status, r.Body)
			}
			if c.eventCount() != events {
				t.Errorf("%s with its own ids wrote events", route)
			}
			continue
		}
		seen[route] = true
		if r.Status != want {
			t.Errorf("%s with its own ids: %d %s, want %d", route, r.Status, r.Body, want)
		}
	}
	for route := range allowed {
		if !seen[route] {
			t.Errorf("the route %s was never tried", route)
		}
	}
	// The key the token created is an ordinary key of its account, and
	// the token may not make itself admin: a created key of a developer
	// account is a developer key.
	keys := c.must(200, c.do("GET", href(a, "apiKeys"), nil))
	if keys["size"].(float64) != 1 { // the own key was deleted last; one created
		t.Fatalf("keys of the account: %v", keys["size"])
	}
	if got := c.must(200, c.do("GET", "/v1/apiKeys/"+bKey, nil)); got["name"] == "x" {
		t.Fatal("another account's key was renamed")
	}
	// A client credentials token of a developer key is still refused on
	// the management API (403), as before.
	devID, devSecret := c.newKey(b)
	dev := c.as(devID, devSecret).token("")
	if r := c.bearerDo(dev["access_token"].(string), "GET", b["href"].(string), nil); r.Status != 403 {
		t.Fatalf("a developer's client credentials token on its own account: %d", r.Status)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
