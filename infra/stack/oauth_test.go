package stack_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/stack"
	"github.com/keystorm/keystorm/infra/tokens"
)

// form sends a form-encoded request with the client's Basic credentials
// (none when id is empty). ctype "" means application/x-www-form-urlencoded.
func (c *client) form(method, url, body, ctype string, hdr ...string) resp {
	c.t.Helper()
	if strings.HasPrefix(url, "/") {
		url = c.base + url
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype == "" {
		ctype = "application/x-www-form-urlencoded"
	}
	req.Header.Set("Content-Type", ctype)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if c.id != "" {
		req.SetBasicAuth(c.id, c.secret)
	}
	res, err := c.httpClient().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Header: res.Header, Body: b}
}

const grant = "grant_type=client_credentials"

// token asks for a token and returns the response body.
func (c *client) token(scope string) map[string]any {
	c.t.Helper()
	body := grant
	if scope != "" {
		body += "&scope=" + url.QueryEscape(scope)
	}
	return c.must(200, c.form("POST", "/oauth/token", body, ""))
}

// oauthErr checks an RFC 6749 §5.2 error answer.
func oauthErr(t *testing.T, r resp, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	m := r.json(t)
	if m["error"] != code {
		t.Fatalf("error %v, want %s: %s", m["error"], code, r.Body)
	}
	if d, _ := m["error_description"].(string); d == "" {
		t.Fatalf("no error_description: %s", r.Body)
	}
	if status == 401 && r.Header.Get("WWW-Authenticate") != `Basic realm="keystorm"` {
		t.Fatalf("401 without WWW-Authenticate: %v", r.Header)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control %q", r.Header.Get("Cache-Control"))
	}
}

// developer creates an account with a key and returns a client using it.
func (c *client) developer(username string) (*client, map[string]any) {
	c.t.Helper()
	acc := c.newAccount(username)
	id, secret := c.newKey(acc)
	return c.as(id, secret), acc
}

// verifyOffline checks a token against the published JWKS, as a resource
// server would.
func verifyOffline(t *testing.T, c *client, tok string) domain.AccessToken {
	t.Helper()
	r := c.as("", "").do("GET", "/.well-known/jwks.json", nil)
	if r.Status != 200 {
		t.Fatalf("jwks: %d %s", r.Status, r.Body)
	}
	keys, err := tokens.StaticJWKS(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	at, err := tokens.NewVerifier(keys, stack.TokenIssuer, stack.TokenAudience, c.clock).Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("token does not verify with the JWKS: %v", err)
	}
	return at
}

func TestOAuthTokenIssue(t *testing.T) {
	c := start(t)
	dev, acc := c.developer("tk421")
	r := dev.form("POST", "/oauth/token", grant, "")
	m := dev.must(200, r)
	if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("Pragma") != "no-cache" {
		t.Fatalf("token response cacheable: %v", r.Header)
	}
	if m["token_type"] != "bearer" || m["expires_in"] != float64(3600) || m["scope"] != "" {
		t.Fatalf("token response %v", m)
	}
	tok := m["access_token"].(string)
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	var h map[string]any
	if err := json.Unmarshal(hdr, &h); err != nil || h["typ"] != "at+jwt" || h["alg"] != "ES256" || h["kid"] == "" {
		t.Fatalf("header %s", hdr)
	}
	at := verifyOffline(t, c, tok)
	if at.ClientID != dev.id || at.Subject != acc["href"] || at.TenantID != c.s.Boot.Tenant.ID || at.ExpiresAt.Sub(at.IssuedAt) != time.Hour || at.Admin {
		t.Fatalf("claims %+v", at)
	}

	// The application's own endpoint, for its keys only.
	dev.must(200, dev.form("POST", c.app+"/oauth/token", grant, ""))
	other := c.must(201, c.do("POST", "/v1/applications", map[string]any{"name": "Rebels"}))
	oauthErr(t, dev.form("POST", other["href"].(string)+"/oauth/token", grant, ""), 401, "invalid_client")

	// client_id in the body may repeat the Basic id.
	dev.must(200, dev.form("POST", "/oauth/token", grant+"&client_id="+dev.id, ""))
}

func TestOAuthScopes(t *testing.T) {
	c := start(t)
	dev, acc := c.developer("tk421")
	g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "view_others_equipment"}))
	c.must(201, c.do("POST", "/v1/groupMemberships", map[string]any{"account": map[string]any{"href": acc["href"]}, "group": map[string]any{"href": g["href"]}}))

	// Granted by group membership, the rest dropped; none asked, none given.
	if m := dev.token("view_others_equipment admin"); m["scope"] != "view_others_equipment" {
		t.Fatalf("scope %v", m["scope"])
	}
	if m := dev.token("admin"); m["scope"] != "" {
		t.Fatalf("scope %v for a group the account is not in", m["scope"])
	}
	if m := dev.token(""); m["scope"] != "" {
		t.Fatalf("scope %v without asking", m["scope"])
	}
	// Another account, not in the group, gets nothing.
	dev2, _ := c.developer("tk422")
	if m := dev2.token("view_others_equipment"); m["scope"] != "" {
		t.Fatalf("scope %v for a non-member", m["scope"])
	}

	// The key's own restriction applies on top.
	keyURL := c.base + "/v1/apiKeys/" + dev.id
	if k := c.must(200, c.do("GET", keyURL, nil)); k["scopes"] != nil {
		t.Fatalf("new key scopes %v, want null", k["scopes"])
	}
	k := c.must(200, c.do("POST", keyURL, map[string]any{"scopes": []string{"something_else"}}))
	if s, _ := k["scopes"].([]any); len(s) != 1 || s[0] != "something_else" {
		t.Fatalf("scopes %v", k["scopes"])
	}
	if m := dev.token("view_others_equipment"); m["scope"] != "" {
		t.Fatalf("restricted key got %v", m["scope"])
	}
	c.must(200, c.do("POST", keyURL, map[string]any{"scopes": []string{"view_others_equipment"}}))
	if m := dev.token("view_others_equipment"); m["scope"] != "view_others_equipment" {
		t.Fatalf("allowed scope not granted: %v", m["scope"])
	}
	k = c.must(200, c.do("POST", keyURL, map[string]any{"scopes": []string{}}))
	if s, ok := k["scopes"].([]any); !ok || len(s) != 0 {
		t.Fatalf("empty restriction renders %v", k["scopes"])
	}
	if m := dev.token("view_others_equipment"); m["scope"] != "" {
		t.Fatalf("key restricted to nothing got %v", m["scope"])
	}
	if k := c.must(200, c.do("POST", keyURL, map[string]any{"scopes": nil})); k["scopes"] != nil {
		t.Fatalf("lifted restriction renders %v", k["scopes"])
	}
	if m := dev.token("view_others_equipment"); m["scope"] != "view_others_equipment" {
		t.Fatalf("unrestricted again, got %v", m["scope"])
	}
	// Bad restrictions are the management API's 400s.
	for body, want := range map[string]int{`{"scopes":"a b"}`: 2004, `{"scopes":["a b"]}`: 2002, `{"scopes":[1]}`: 2004, `{"scopes":["a","a"]}`: 2002} {
		if r := c.do("POST", keyURL, body); r.Status != 400 || code(t, r) != want {
			t.Errorf("%s: %d %s", body, r.Status, r.Body)
		}
	}
	// A key created with a restriction.
	k = c.must(201, c.do("POST", href(acc, "apiKeys"), map[string]any{"scopes": []string{"x"}}))
	if s, _ := k["scopes"].([]any); len(s) != 1 {
		t.Fatalf("created with scopes %v", k["scopes"])
	}
}

func TestOAuthTokenErrors(t *testing.T) {
	c := start(t)
	dev, acc := c.developer("tk421")

	disabledKey, _ := c.developer("tk422")
	c.must(200, c.do("POST", c.base+"/v1/apiKeys/"+disabledKey.id, map[string]any{"status": "DISABLED"}))
	disabledAcc, dAcc := c.developer("tk423")
	c.must(200, c.do("POST", dAcc["href"].(string), map[string]any{"status": "DISABLED"}))
	_ = acc

	cases := []struct {
		name   string
		r      resp
		status int
		code   string
	}{
		{"wrong secret", dev.as(dev.id, wrongSecret(dev.secret)).form("POST", "/oauth/token", grant, ""), 401, "invalid_client"},
		{"unknown key", dev.as("NOSUCHKEY0000000000000000", dev.secret).form("POST", "/oauth/token", grant, ""), 401, "invalid_client"},
		{"disabled key", disabledKey.form("POST", "/oauth/token", grant, ""), 401, "invalid_client"},
		{"disabled account", disabledAcc.form("POST", "/oauth/token", grant, ""), 401, "invalid_client"},
		{"no credentials", dev.as("", "").form("POST", "/oauth/token", grant, ""), 401, "invalid_client"},
		{"bearer instead of basic", dev.as("", "").form("POST", "/oauth/token", grant, "", "Authorization", "Bearer x"), 401, "invalid_client"},
		{"malformed basic", dev.as("", "").form("POST", "/oauth/token", grant, "", "Authorization", "Basic %%%"), 401, "invalid_client"},
		{"wrong secret in body", dev.as("", "").form("POST", "/oauth/token", grant+"&client_id="+dev.id+"&client_secret="+url.QueryEscape(wrongSecret(dev.secret)), ""), 401, "invalid_client"},
		{"secret in body without client_id", dev.as("", "").form("POST", "/oauth/token", grant+"&client_secret="+url.QueryEscape(dev.secret), ""), 400, "invalid_request"},
		{"two auth methods", dev.form("POST", "/oauth/token", grant+"&client_id="+dev.id+"&client_secret="+url.QueryEscape(dev.secret), ""), 400, "invalid_request"},
		{"client_id mismatch", dev.form("POST", "/oauth/token", grant+"&client_id=OTHER", ""), 400, "invalid_request"},
		{"no grant_type", dev.form("POST", "/oauth/token", "scope=a", ""), 400, "invalid_request"},
		{"empty grant_type", dev.form("POST", "/oauth/token", "grant_type=", ""), 400, "invalid_request"},
		{"repeated parameter", dev.form("POST", "/oauth/token", grant+"&"+grant, ""), 400, "invalid_request"},
		{"bad encoding", dev.form("POST", "/oauth/token", "grant_type=%zz", ""), 400, "invalid_request"},
		{"json body", dev.form("POST", "/oauth/token", `{"grant_type":"client_credentials"}`, "application/json"), 400, "invalid_request"},
		{"no content type", dev.form("POST", "/oauth/token", grant, "text/plain"), 400, "invalid_request"},
		{"password grant with a developer key", dev.form("POST", "/oauth/token", "grant_type=password&username=a&password=b", ""), 400, "unauthorized_client"},
		{"password grant at the tenant-wide endpoint", dev.as("", "").form("POST", "/oauth/token", "grant_type=password&username=a&password=b", ""), 400, "invalid_request"},
		{"refresh grant without a token", dev.as("", "").form("POST", "/oauth/token", "grant_type=refresh_token", ""), 400, "invalid_request"},
		{"refresh grant with a made-up token", dev.as("", "").form("POST", "/oauth/token", "grant_type=refresh_token&refresh_token=ksr_x.y", ""), 400, "invalid_grant"},
		{"authorization_code", dev.form("POST", "/oauth/token", "grant_type=authorization_code&code=x", ""), 400, "unsupported_grant_type"},
		{"malformed scope", dev.form("POST", "/oauth/token", grant+"&scope="+url.QueryEscape(`a "b"`), ""), 400, "invalid_scope"},
		{"backslash scope", dev.form("POST", "/oauth/token", grant+"&scope="+url.QueryEscape(`a\b`), ""), 400, "invalid_scope"},
		{"non-ascii scope", dev.form("POST", "/oauth/token", grant+"&scope="+url.QueryEscape("caf\u00e9"), ""), 400, "invalid_scope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { oauthErr(t, tc.r, tc.status, tc.code) })
	}
	// Form charset parameters are fine.
	dev.must(200, dev.form("POST", "/oauth/token", grant, "application/x-www-form-urlencoded; charset=UTF-8"))
	// client_secret_post: the same key in the body gets a token for the
	// same client, and revokes with the same method.
	post := dev.as("", "").must(200, dev.as("", "").form("POST", "/oauth/token", grant+"&client_id="+dev.id+"&client_secret="+url.QueryEscape(dev.secret), ""))
	if tok, _ := post["access_token"].(string); tok == "" {
		t.Fatalf("client_secret_post: %v", post)
	} else {
		dev.as("", "").must(200, dev.as("", "").form("POST", "/oauth/revoke", "token="+tok+"&client_id="+dev.id+"&client_secret="+url.QueryEscape(dev.secret), ""))
	}

	// Other methods: 405 with Allow, in OAuth's format, on every endpoint.
	for _, u := range []string{"/oauth/token", "/oauth/revoke", c.app + "/oauth/token"} {
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			r := dev.form(m, u, "", "")
			if r.Status != 405 || r.Header.Get("Allow") != "POST" || r.json(t)["error"] != "invalid_request" {
				t.Errorf("%s %s: %d %v %s", m, u, r.Status, r.Header, r.Body)
			}
		}
	}
	if r := c.form("GET", "/oauth/introspect", "", ""); r.Status != 405 {
		t.Errorf("GET introspect: %d %s", r.Status, r.Body)
	}
}

// TestOAuthThrottleNeverLocksOwnerOut: someone who knows a key id and
// guesses secrets from one address is slowed down at that address, while
// the owner elsewhere keeps getting tokens and revoking them. Before, five
// wrong guesses from anywhere locked the key id for everyone for 15
// minutes, and every failure wrote an item.
func TestOAuthThrottleNeverLocksOwnerOut(t *testing.T) {
	c := startDynamo(t, 0) // counts DynamoDB writes
	dev, _ := c.developer("tk421")
	attacker, owner := dev.from("127.0.0.2"), dev.from("127.0.0.3")
	// Made-up secrets that fail the format check are refused without
	// counting.
	junk := attacker.as(dev.id, strings.Repeat("x", len(dev.secret)))
	for range 20 {
		oauthErr(t, junk.form("POST", "/oauth/token", grant, ""), 401, "invalid_client")
	}
	attacker.must(200, attacker.form("POST", "/oauth/token", grant, ""))

	guess, err := domain.NewSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wrong := attacker.as(dev.id, guess)
	c.s.Counter.Reset()
	free := domain.DefaultPerKeyThrottle.Free
	for range free + 1 {
		oauthErr(t, wrong.form("POST", "/oauth/token", grant, ""), 401, "invalid_client")
	}
	// That address now waits, and is told for how long, right secret or
	// not: its attempts are not even checked.
	r := wrong.form("POST", "/oauth/token", grant, "")
	oauthErr(t, r, 429, "invalid_client")
	if r.Header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After %q, want 1", r.Header.Get("Retry-After"))
	}
	oauthErr(t, attacker.form("POST", "/oauth/token", grant, ""), 429, "invalid_client")
	// The owner, elsewhere, is not affected: tokens, and revocation.
	tok := owner.must(200, owner.form("POST", "/oauth/token", grant, ""))["access_token"].(string)
	if r := owner.form("POST", "/oauth/revoke", "token="+tok, ""); r.Status != 200 {
		t.Fatalf("owner's revoke: %d %s", r.Status, r.Body)
	}
	// Each further failure doubles the wait.
	c.clock.Advance(2 * time.Second)
	oauthErr(t, wrong.form("POST", "/oauth/token", grant, ""), 401, "invalid_client")
	if r := wrong.form("POST", "/oauth/token", grant, ""); r.Header.Get("Retry-After") != "2" {
		t.Fatalf("second wait: %d Retry-After %q, want 2", r.Status, r.Header.Get("Retry-After"))
	}
	// Once the wait is over, the right secret from that address works
	// again, and clears the key's count there.
	c.clock.Advance(3 * time.Second)
	attacker.must(200, attacker.form("POST", "/oauth/token", grant, ""))
	// No failure wrote anything: the one write is the owner's revocation.
	if snap := c.s.Counter.Snapshot(); snap["PutItem"]+snap["UpdateItem"]+snap["TransactWriteItems"] > 1 {
		t.Fatalf("failures wrote to DynamoDB: %v", snap)
	}
}

// TestOAuthThrottlePerSource: one address guessing across many key ids
// (all of them unknown) is throttled as a whole, writes nothing, and other
// addresses go on.
func TestOAuthThrottlePerSource(t *testing.T) {
	c := startDynamo(t, 0) // counts DynamoDB writes
	dev, _ := c.developer("tk421")
	sprayer := dev.from("127.0.0.4")
	c.s.Counter.Reset()
	n := domain.DefaultPerSourceThrottle.Free + 1
	for i := range n {
		guess, _ := domain.NewSecret(rand.Reader)
		id := fmt.Sprintf("NOSUCHKEY%016d", i)
		oauthErr(t, sprayer.as(id, guess).form("POST", "/oauth/token", grant, ""), 401, "invalid_client")
	}
	guess, _ := domain.NewSecret(rand.Reader)
	oauthErr(t, sprayer.as("ANOTHERUNKNOWNKEY0000000", guess).form("POST", "/oauth/token", grant, ""), 429, "invalid_client")
	oauthErr(t, sprayer.form("POST", "/oauth/token", grant, ""), 429, "invalid_client")
	snap := c.s.Counter.Snapshot()
	if w := snap["PutItem"] + snap["UpdateItem"] + snap["TransactWriteItems"]; w != 0 {
		t.Fatalf("%d unknown ids wrote %d items: %v", n, w, snap)
	}
	// (Checked before the next success: its usage count may be flushed
	// in the background, a legitimate write.)
	dev.from("127.0.0.5").must(200, dev.form("POST", "/oauth/token", grant, ""))
}

func TestOAuthPolicy(t *testing.T) {
	c := start(t)
	dev, _ := c.developer("tk421")
	app := c.must(200, c.do("GET", c.app, nil))
	polURL := href(app, "oAuthPolicy")
	if polURL != c.base+"/v1/oAuthPolicies/"+c.s.Boot.Application.ID {
		t.Fatalf("oAuthPolicy link %q", polURL)
	}
	p := c.must(200, c.do("GET", polURL, nil))
	if p["accessTokenTtl"] != "PT1H" || p["href"] != polURL || href(p, "application") != c.app || p["tokenEndpoint"] != c.app+"/oauth/token" {
		t.Fatalf("policy %v", p)
	}
	p = c.must(200, c.do("POST", polURL, map[string]any{"accessTokenTtl": "PT30M"}))
	if p["accessTokenTtl"] != "PT30M" {
		t.Fatalf("after update %v", p)
	}
	if m := dev.token(""); m["expires_in"] != float64(1800) {
		t.Fatalf("expires_in %v, want 1800", m["expires_in"])
	}
	// SDK style: the whole resource back, changed.
	p["accessTokenTtl"] = "PT1H30M"
	if p = c.must(200, c.do("POST", polURL, p)); p["accessTokenTtl"] != "PT1H30M" {
		t.Fatalf("after save %v", p)
	}
	if m := dev.token(""); m["expires_in"] != float64(5400) {
		t.Fatalf("expires_in %v, want 5400", m["expires_in"])
	}
	// refreshTokenTtl: P60D by default, Stormpath's bounds, and it sets
	// the life of the password grant's sessions.
	if p["refreshTokenTtl"] != "P60D" {
		t.Fatalf("refreshTokenTtl %v", p["refreshTokenTtl"])
	}
	if p = c.must(200, c.do("POST", polURL, map[string]any{"refreshTokenTtl": "P7D"})); p["refreshTokenTtl"] != "P7D" || p["accessTokenTtl"] != "PT1H30M" {
		t.Fatalf("after refreshTokenTtl %v", p)
	}
	if m := c.signIn("tk421", "Changeme1"); m["refresh_token_expires_in"] != float64(7*24*3600) || m["expires_in"] != float64(5400) {
		t.Fatalf("session %v", m)
	}
	for body, want := range map[string]int{
		`{"accessTokenTtl":"1 hour"}`: 2002, `{"accessTokenTtl":"P1M"}`: 2002, `{"accessTokenTtl":"PT0S"}`: 2002,
		`{"accessTokenTtl":"P2D"}`: 2002, `{"accessTokenTtl":3600}`: 2004, `{"ttl":"PT1H"}`: 2015,
		`{"refreshTokenTtl":"PT0S"}`: 2002, `{"refreshTokenTtl":"P3651D"}`: 2002, `{"refreshTokenTtl":"P1Y"}`: 2002, `{"refreshTokenTtl":60}`: 2004,
	} {
		if r := c.do("POST", polURL, body); r.Status != 400 || code(t, r) != want {
			t.Errorf("%s: %d %s", body, r.Status, r.Body)
		}
	}
	if got := c.must(200, c.do("GET", polURL, nil)); got["accessTokenTtl"] != "PT1H30M" || got["refreshTokenTtl"] != "P7D" {
		t.Fatalf("a refused update changed the policy: %v", got)
	}
	// Management only: a developer key and another tenant are refused.
	if r := dev.do("GET", polURL, nil); r.Status != 403 {
		t.Errorf("developer key: %d", r.Status)
	}
	other, err := c.s.Service.Bootstrap(context.Background(), domain.BootstrapInput{TenantName: "rebels"})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.as(other.AdminKey.ID, other.AdminSecret).do("GET", polURL, nil); r.Status != 404 {
		t.Errorf("other tenant: %d", r.Status)
	}
}

func TestOAuthIntrospectAndRevoke(t *testing.T) {
	c := start(t)
	dev, acc := c.developer("tk421")
	tok := dev.token("")["access_token"].(string)
	introspect := func(as *client, token string) map[string]any {
		t.Helper()
		return as.must(200, as.form("POST", "/oauth/introspect", "token="+url.QueryEscape(token)+"&token_type_hint=access_token", ""))
	}
	m := introspect(c, tok)
	if m["active"] != true || m["client_id"] != dev.id || m["sub"] != acc["href"] || m["token_type"] != "Bearer" ||
		m["tenant_id"] != c.s.Boot.Tenant.ID || m["iss"] != stack.TokenIssuer || m["aud"] != domain.ApplicationAudience(stack.TokenAudience, m["application_id"].(string)) ||
		m["jti"] == "" || m["exp"].(float64)-m["iat"].(float64) != 3600 || m["nbf"] != m["iat"] {
		t.Fatalf("introspection %v", m)
	}
	if m := introspect(c, "not.a.token"); len(m) != 1 || m["active"] != false {
		t.Fatalf("garbage: %v", m)
	}
	// Another tenant's admin learns nothing.
	other, err := c.s.Service.Bootstrap(context.Background(), domain.BootstrapInput{TenantName: "rebels"})
	if err != nil {
		t.Fatal(err)
	}
	if m := introspect(c.as(other.AdminKey.ID, other.AdminSecret), tok); len(m) != 1 || m["active"] != false {
		t.Fatalf("other tenant: %v", m)
	}
	// Only admins introspect (the authorizer refuses developer keys on the
	// management API, and the domain would too); token is required.
	if r := dev.form("POST", "/oauth/introspect", "token="+tok, ""); r.Status != 403 {
		t.Fatalf("developer key: %d %s", r.Status, r.Body)
	}
	oauthErr(t, c.form("POST", "/oauth/introspect", "", ""), 400, "invalid_request")
	if r := c.as("", "").form("POST", "/oauth/introspect", "token="+tok, ""); r.Status != 401 {
		t.Fatalf("no credentials: %d", r.Status)
	}

	// Revocation (RFC 7009): an event, then the token is inactive.
	oauthErr(t, c.as("", "").form("POST", "/oauth/revoke", "token="+tok, ""), 401, "invalid_client")
	oauthErr(t, dev.form("POST", "/oauth/revoke", "", ""), 400, "invalid_request")
	stranger, _ := c.developer("tk422")
	oauthErr(t, stranger.form("POST", "/oauth/revoke", "token="+tok, ""), 400, "unauthorized_client")
	if m := introspect(c, tok); m["active"] != true {
		t.Fatalf("a refused revocation revoked: %v", m)
	}
	before := c.eventCount()
	r := dev.form("POST", "/oauth/revoke", "token="+tok+"&token_type_hint=refresh_token", "")
	if r.Status != 200 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("revoke: %d %v %s", r.Status, r.Header, r.Body)
	}
	if got := c.eventCount(); got != before+1 {
		t.Fatalf("revocation stored %d events, want 1", got-before)
	}
	if m := introspect(c, tok); m["active"] != false {
		t.Fatalf("revoked token still active: %v", m)
	}
	// Revoking again, or revoking garbage, is fine and stores nothing.
	dev.must(200, dev.form("POST", "/oauth/revoke", "token="+tok, ""))
	dev.must(200, dev.form("POST", "/oauth/revoke", "token=garbage", ""))
	if got := c.eventCount(); got != before+1 {
		t.Fatalf("repeated revocations stored events: %d", got-before-1)
	}
	// An admin may revoke any token of its tenant.
	tok2 := dev.token("")["access_token"].(string)
	c.must(200, c.form("POST", "/oauth/revoke", "token="+tok2, ""))
	if m := introspect(c, tok2); m["active"] != false {
		t.Fatalf("admin revocation: %v", m)
	}
	// Disabling the key makes its tokens inactive too.
	tok3 := dev.token("")["access_token"].(string)
	c.must(200, c.do("POST", c.base+"/v1/apiKeys/"+dev.id, map[string]any{"status": "DISABLED"}))
	if m := introspect(c, tok3); m["active"] != false {
		t.Fatalf("token of a disabled key: %v", m)
	}
}

func TestOAuthJWKS(t *testing.T) {
	c := start(t)
	r := c.as("", "").do("GET", "/.well-known/jwks.json", nil)
	if r.Status != 200 || r.Header.Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("jwks: %d %v", r.Status, r.Header)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(r.Body, &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("jwks %s: %v", r.Body, err)
	}
	for _, k := range set.Keys {
		if k["kty"] != "EC" || k["crv"] != "P-256" || k["alg"] != "ES256" || k["kid"] == "" || k["d"] != nil {
			t.Fatalf("key %v", k)
		}
	}
	// The canonical token endpoint of the protected API and the management
	// one issue tokens that verify with it.
	dev, _ := c.developer("tk421")
	verifyOffline(t, c, dev.token("")["access_token"].(string))
}

// wrongSecret changes a secret's last character. Always to another one:
// setting it to a fixed "x" left a secret that ended in "x" unchanged (1
// run in 62), and the test then failed on a correct server.
func wrongSecret(secret string) string {
	last := "x"
	if strings.HasSuffix(secret, last) {
		last = "y"
	}
	return secret[:len(secret)-1] + last
}
