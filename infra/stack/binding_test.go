package stack_test

import (
	"testing"
	"time"
)

// TestExampleAPIBoundToBootstrapApplication: the local example API takes
// keys and tokens of the bootstrap application only; another
// application's developer gets the 401 an unknown key gets. Before, any
// application's key passed.
func TestExampleAPIBoundToBootstrapApplication(t *testing.T) {
	c := start(t)
	dev, _ := c.developer("tk421")
	dev.must(200, dev.do("GET", "/troopers/tk421/equipment", nil))

	other := c.must(201, c.do("POST", "/v1/applications", map[string]any{"name": "Executor"}))
	oc := c.as(c.id, c.secret)
	oc.app = other["href"].(string)
	odev, _ := oc.developer("tk421")
	if r := odev.do("GET", "/troopers/tk421/equipment", nil); r.Status != 401 {
		t.Fatalf("another application's key: %d %s", r.Status, r.Body)
	}
	tok := odev.token("")["access_token"].(string)
	if r := c.as("", "").do("GET", "/troopers/tk421/equipment", nil, "Authorization", "Bearer "+tok); r.Status != 401 {
		t.Fatalf("another application's token: %d %s", r.Status, r.Body)
	}
	// Its own application's token endpoint refuses a foreign key too.
	oauthErr(t, odev.form("POST", c.app+"/oauth/token", grant, ""), 401, "invalid_client")
}

// TestDisabledApplicationOverHTTP: disabling an application stops its
// keys and tokens within the authorizer's cache TTL and both token
// endpoints at once; enabling it again restores keys, not old tokens.
// Before, nothing changed.
func TestDisabledApplicationOverHTTP(t *testing.T) {
	c := startTTL(t, 5*time.Second)
	dev, _ := c.developer("tk421")
	tok := dev.token("")["access_token"].(string)
	bearer := c.as("", "")
	call := func(cl *client, hdr ...string) int {
		return cl.do("GET", "/troopers/tk421/equipment", nil, hdr...).Status
	}
	if call(dev) != 200 || call(bearer, "Authorization", "Bearer "+tok) != 200 {
		t.Fatal("before the disable")
	}
	c.clock.Advance(time.Second)
	c.must(200, c.do("POST", c.app, map[string]any{"status": "DISABLED"}))
	oauthErr(t, dev.form("POST", "/oauth/token", grant, ""), 401, "invalid_client")
	oauthErr(t, dev.form("POST", c.app+"/oauth/token", grant, ""), 401, "invalid_client")
	c.clock.Advance(6 * time.Second)
	if s := call(dev); s != 401 {
		t.Fatalf("Basic after the disable: %d", s)
	}
	if s := call(bearer, "Authorization", "Bearer "+tok); s != 401 {
		t.Fatalf("Bearer after the disable: %d", s)
	}
	c.clock.Advance(time.Second)
	c.must(200, c.do("POST", c.app, map[string]any{"status": "ENABLED"}))
	c.clock.Advance(6 * time.Second)
	if s := call(dev); s != 200 {
		t.Fatalf("Basic after enabling again: %d", s)
	}
	if s := call(bearer, "Authorization", "Bearer "+tok); s != 401 {
		t.Fatalf("a token from before the disable after enabling again: %d", s)
	}
	c.clock.Advance(time.Second)
	fresh := dev.token("")["access_token"].(string)
	if s := call(bearer, "Authorization", "Bearer "+fresh); s != 200 {
		t.Fatalf("a new token: %d", s)
	}
}
