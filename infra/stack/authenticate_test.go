package stack_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/domain"
)

// TestAuthenticateForBackends: a backend outside API Gateway sends its
// caller's Authorization header to POST
// /v1/applications/{id}/authenticate with an admin key, and gets the
// authorizer's decision: the binding to that application, a disabled
// application, the token's scopes, and the throttle. Before, a backend not
// behind API Gateway had no way to check a key at all.
func TestAuthenticateForBackends(t *testing.T) {
	c := startTTL(t, 0)
	dev, acc := c.developer("tk421")
	endpoint := c.app + "/authenticate"
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(dev.id+":"+dev.secret))
	check := func(body map[string]any) map[string]any {
		t.Helper()
		return c.must(200, c.do("POST", endpoint, body))
	}

	got := check(map[string]any{"authorization": basic})
	if got["valid"] != true || got["authType"] != "basic" || href(got, "account") != acc["href"] ||
		!strings.HasSuffix(href(got, "apiKey"), "/v1/apiKeys/"+dev.id) || got["scope"] != "" || got["cacheTtlSeconds"] != float64(0) {
		t.Fatalf("valid Basic: %v", got)
	}
	// Bearer, with the scope the call needs.
	g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "view_others_equipment"}))
	c.must(201, c.do("POST", "/v1/groupMemberships", map[string]any{"account": map[string]any{"href": acc["href"]}, "group": map[string]any{"href": g["href"]}}))
	tok := dev.token("view_others_equipment")["access_token"].(string)
	got = check(map[string]any{"authorization": "Bearer " + tok, "scope": "view_others_equipment"})
	if got["valid"] != true || got["authType"] != "bearer" || got["scope"] != "view_others_equipment" {
		t.Fatalf("valid Bearer: %v", got)
	}
	plain := dev.token("")["access_token"].(string)
	if got := check(map[string]any{"authorization": "Bearer " + plain, "scope": "view_others_equipment"}); got["valid"] != false || got["reason"] != "insufficient_scope" {
		t.Fatalf("missing scope: %v", got)
	}

	// Every kind of bad credential gets the very same answer.
	wrong, _ := domain.NewSecret(rand.Reader)
	other := c.must(201, c.do("POST", "/v1/applications", map[string]any{"name": "Executor"}))
	otherApp := c.as(c.id, c.secret)
	otherApp.app = other["href"].(string)
	otherAcc := otherApp.newAccount("fn2187")
	oid, osecret := otherApp.newKey(otherAcc)
	bad := []string{
		"Basic " + base64.StdEncoding.EncodeToString([]byte(dev.id+":"+wrong)),
		"Basic " + base64.StdEncoding.EncodeToString([]byte("NOSUCHKEY0000000000000000:"+wrong)),
		"Basic " + base64.StdEncoding.EncodeToString([]byte(oid+":"+osecret)), // another application's key
		"Bearer not.a.token",
		"Digest whatever",
	}
	var first string
	for i, h := range bad {
		r := c.do("POST", endpoint, map[string]any{"authorization": h})
		if r.Status != 200 {
			t.Fatalf("bad credential %d: %d %s", i, r.Status, r.Body)
		}
		if i == 0 {
			first = string(r.Body)
		}
		if string(r.Body) != first || !strings.Contains(first, `"reason":"invalid_credentials"`) {
			t.Fatalf("bad credential %d answered %s, the first %s", i, r.Body, first)
		}
	}
	// The same key passes for its own application.
	if got := c.must(200, c.do("POST", otherApp.app+"/authenticate", map[string]any{"authorization": bad[2]})); got["valid"] != true {
		t.Fatalf("other application's own endpoint: %v", got)
	}

	// The throttle, per client address.
	for range domain.DefaultPerKeyThrottle.Free + 1 {
		check(map[string]any{"authorization": bad[0], "clientIp": "198.51.100.7"})
	}
	if got := check(map[string]any{"authorization": basic, "clientIp": "198.51.100.7"}); got["valid"] != false {
		t.Fatalf("throttled client: %v", got)
	}
	if got := check(map[string]any{"authorization": basic, "clientIp": "203.0.113.1"}); got["valid"] != true {
		t.Fatalf("another client: %v", got)
	}

	// A disabled application refuses its keys.
	c.must(200, c.do("POST", c.app, map[string]any{"status": "DISABLED"}))
	if got := check(map[string]any{"authorization": basic}); got["valid"] != false || got["reason"] != "invalid_credentials" {
		t.Fatalf("disabled application: %v", got)
	}
	c.must(200, c.do("POST", c.app, map[string]any{"status": "ENABLED"}))
}

// TestAuthenticateRefusesBadCallsAndOutsiders: only an admin key of the
// application's tenant may ask (a developer key is 403, another tenant's
// application 404), and a bad body is a 400 that names the property.
func TestAuthenticateRefusesBadCallsAndOutsiders(t *testing.T) {
	c := start(t)
	dev, _ := c.developer("tk421")
	endpoint := c.app + "/authenticate"
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(dev.id+":"+dev.secret))
	if r := dev.do("POST", endpoint, map[string]any{"authorization": basic}); r.Status != 403 {
		t.Fatalf("developer key: %d %s", r.Status, r.Body)
	}
	rebels, err := c.s.Service.Bootstrap(context.Background(), domain.BootstrapInput{TenantName: "rebels"})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.do("POST", "/v1/applications/"+rebels.Application.ID+"/authenticate", map[string]any{"authorization": basic}); r.Status != 404 {
		t.Fatalf("another tenant's application: %d %s", r.Status, r.Body)
	}
	for _, tc := range []struct {
		body any
		code float64
		prop string
	}{
		{map[string]any{}, 2000, "authorization"},
		{map[string]any{"authorization": basic, "extra": 1}, 2015, "extra"},
		{map[string]any{"authorization": 42}, 2004, "authorization"},
		{map[string]any{"authorization": basic, "clientIp": "not-an-ip"}, 2002, "clientIp"},
		{map[string]any{"authorization": basic, "scope": "a\"b"}, 2002, "scope"},
		{map[string]any{"authorization": strings.Repeat("x", 11<<10)}, 2008, "authorization"},
		{`{"authorization":`, 8000, ""},
	} {
		r := c.do("POST", endpoint, tc.body)
		m := r.json(t)
		if r.Status != 400 || m["code"] != tc.code || (tc.prop != "" && !strings.Contains(fmt.Sprint(m["message"]), tc.prop)) {
			t.Errorf("%v: %d %s", tc.body, r.Status, r.Body)
		}
	}
}
