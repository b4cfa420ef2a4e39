package stack_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// TestSharedDirectoryOverHTTP: a directory mapped to the bootstrap
// application and to another: its developer's key passes the example API
// (bound to the bootstrap application) and the other application's
// authenticate endpoint, and each application's token endpoint gives a
// token of that application; the account signs in at both. Unmapping it
// from the bootstrap application ends all of that there, at once, and
// leaves the other.
func TestSharedDirectoryOverHTTP(t *testing.T) {
	c := start(t)
	dir := c.must(201, c.do("POST", "/v1/directories", map[string]any{"name": "Troopers", "customData": map[string]any{"sector": 7}}))
	if dir["application"] != nil || href(dir, "accounts") != dir["href"].(string)+"/accounts" {
		t.Fatalf("directory: %v", dir)
	}
	other := c.must(201, c.do("POST", "/v1/applications", map[string]any{"name": "Executor"}))
	var mappings []map[string]any
	for _, app := range []string{c.app, other["href"].(string)} {
		mappings = append(mappings, c.must(201, c.do("POST", "/v1/accountStoreMappings", map[string]any{
			"application": map[string]any{"href": app}, "accountStore": map[string]any{"href": dir["href"]}})))
	}
	if mappings[0]["listIndex"] != float64(1) || mappings[0]["isDefaultAccountStore"] != false {
		t.Fatalf("mapping: %v", mappings[0])
	}
	acc := c.must(201, c.do("POST", href(dir, "accounts"), map[string]any{
		"username": "tk421", "email": "tk421@example.com", "password": "Changeme1"}))
	if acc["application"] != nil || href(acc, "directory") != dir["href"] {
		t.Fatalf("account: %v", acc)
	}
	// An SDK saves a resource by sending it back whole: the null
	// application of a shared directory's account and group is ignored
	// like every server-owned property.
	c.must(200, c.do("POST", acc["href"].(string), acc))
	grp := c.must(201, c.do("POST", href(dir, "groups"), map[string]any{"name": "officers"}))
	if grp["application"] != nil {
		t.Fatalf("group: %v", grp)
	}
	c.must(200, c.do("POST", grp["href"].(string), grp))
	c.must(200, c.do("POST", dir["href"].(string), dir))
	id, secret := c.newKey(acc)
	dev := c.as(id, secret)
	dev.must(200, dev.do("GET", "/troopers/tk421/equipment", nil))
	got := c.must(200, c.do("POST", other["href"].(string)+"/authenticate", map[string]any{"authorization": basicHeader(id, secret)}))
	if got["valid"] != true || href(got, "account") != acc["href"] {
		t.Fatalf("authenticate at the other application: %v", got)
	}
	for _, app := range []string{c.app, other["href"].(string)} {
		tok := dev.must(200, dev.form("POST", app+"/oauth/token", grant, ""))
		claims := jwtClaims(t, tok["access_token"].(string))
		if !strings.HasSuffix(app, "/"+claims["application_id"].(string)) {
			t.Fatalf("token at %s is of %v", app, claims["application_id"])
		}
		login := c.must(200, c.do("POST", app+"/loginAttempts", map[string]any{"type": "basic", "value": basicValue("tk421", "Changeme1")}))
		if !strings.HasSuffix(href(login, "account"), "/"+last(acc["href"].(string))) {
			t.Fatalf("login at %s: %v", app, login)
		}
	}
	list := c.must(200, c.do("GET", c.app+"/accountStoreMappings", nil))
	if list["size"] != float64(2) {
		t.Fatalf("mappings of the bootstrap application: %v", list)
	}

	// Unmap from the bootstrap application.
	c.must(204, c.do("DELETE", mappings[0]["href"].(string), nil))
	if r := dev.do("GET", "/troopers/tk421/equipment", nil); r.Status != 401 {
		t.Fatalf("example API after unmapping: %d %s", r.Status, r.Body)
	}
	oauthErr(t, dev.form("POST", c.app+"/oauth/token", grant, ""), 401, "invalid_client")
	if r := c.do("POST", c.app+"/loginAttempts", map[string]any{"type": "basic", "value": basicValue("tk421", "Changeme1")}); r.Status != 400 || code(t, r) != 7100 {
		t.Fatalf("login after unmapping: %d %s", r.Status, r.Body)
	}
	got = c.must(200, c.do("POST", other["href"].(string)+"/authenticate", map[string]any{"authorization": basicHeader(id, secret)}))
	if got["valid"] != true {
		t.Fatalf("the other application after unmapping the first: %v", got)
	}
	// The bootstrap application's own directory is shown, and changes
	// only with its application.
	app := c.must(200, c.do("GET", c.app, nil))
	own := c.must(200, c.do("GET", href(app, "defaultAccountStore"), nil))
	if href(own, "application") != c.app || own["customData"] != nil || !strings.HasSuffix(own["name"].(string), " Directory") {
		t.Fatalf("own directory: %v", own)
	}
	if r := c.do("POST", own["href"].(string), map[string]any{"name": "renamed"}); r.Status != 409 || code(t, r) != 8302 {
		t.Fatalf("renaming an own directory: %d %s", r.Status, r.Body)
	}
}

// jwtClaims decodes a JWT's claims, unverified (the tests that check
// signatures are elsewhere).
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func last(h string) string { return h[strings.LastIndexByte(h, '/')+1:] }
