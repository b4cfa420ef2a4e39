package stack_test

import (
	"strings"
	"testing"
	"time"
)

// TestGuideWalkthrough follows the README: create an account and a key,
// call the protected API with the key, disable it, delete it.
func TestGuideWalkthrough(t *testing.T) {
	c := start(t)
	acc := c.newAccount("tk421")
	if acc["fullName"] != "Joe Stormtrooper" || acc["status"] != "ENABLED" || acc["password"] != nil {
		t.Fatalf("account %v", acc)
	}
	id, secret := c.newKey(acc)
	if !strings.HasPrefix(secret, "kss_") {
		t.Fatalf("secret %q", secret)
	}
	dev := c.as(id, secret)
	eq := dev.must(200, dev.do("GET", "/troopers/tk421/equipment", nil))
	caller, _ := eq["caller"].(map[string]any)
	if caller["apiKeyId"] != id || caller["accountHref"] != acc["href"] {
		t.Fatalf("equipment %v", eq)
	}
	// A developer key never reaches the management API.
	if r := dev.do("GET", c.app, nil); r.Status != 403 || code(t, r) != 8200 {
		t.Fatalf("developer key on management API: %d %s", r.Status, r.Body)
	}
	// Wrong secret and no credentials.
	if r := c.as(id, wrongSecret(secret)).do("GET", "/troopers/tk421/equipment", nil); r.Status != 401 {
		t.Fatalf("wrong secret: %d", r.Status)
	}
	if r := c.as("", "").do("GET", "/troopers/tk421/equipment", nil); r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("no credentials: %d %v", r.Status, r.Header)
	}
	keyHref := c.base + "/v1/apiKeys/" + id
	k := c.must(200, c.do("POST", keyHref, map[string]any{"status": "DISABLED"}))
	if k["status"] != "DISABLED" || k["secret"] != nil {
		t.Fatalf("disabled key %v", k)
	}
	// Within the authorizer's cache TTL the cached decision may still
	// stand; once it has passed, the disabled key is refused.
	c.clock.Advance(6 * time.Second)
	if r := dev.do("GET", "/troopers/tk421/equipment", nil); r.Status != 401 {
		t.Fatalf("disabled key after the TTL: %d %s", r.Status, r.Body)
	}
	c.must(204, c.do("DELETE", keyHref, nil))
	if r := c.do("GET", keyHref, nil); r.Status != 404 || code(t, r) != 404 {
		t.Fatalf("deleted key: %d %s", r.Status, r.Body)
	}
}
