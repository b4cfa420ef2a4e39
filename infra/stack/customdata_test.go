package stack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/httpapi"
)

// TestCustomDataOnEveryResource: the tenant, applications, accounts and
// groups each link their customData and serve it the same way: read,
// merge, remove one field, clear. Applications, accounts and groups take
// it inline on create and update too, as Stormpath's did.
func TestCustomDataOnEveryResource(t *testing.T) {
	c := start(t)
	app := c.must(201, c.do("POST", "/v1/applications", map[string]any{"name": "Imperial", "customData": map[string]any{"tier": "gold"}}))
	g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "officers", "customData": map[string]any{"level": 5}}))
	acc := c.must(201, c.do("POST", c.app+"/accounts", map[string]any{"email": "tk421@galacticempire.co", "password": "Changeme1", "customData": map[string]any{"rank": "trooper"}}))
	tenant := c.must(200, c.do("GET", "/v1/tenants/"+c.s.Boot.Tenant.ID, nil))
	for _, tc := range []struct {
		res         map[string]any
		field, want string // set on create; "" for the tenant
	}{{tenant, "", ""}, {app, "tier", "gold"}, {acc, "rank", "trooper"}, {g, "level", "5"}} {
		u := tc.res["href"].(string)
		cd := href(tc.res, "customData")
		if cd != u+"/customData" {
			t.Fatalf("%s links customData %q", u, cd)
		}
		got := c.must(200, c.do("GET", cd, nil))
		if got["href"] != cd || got["createdAt"] != tc.res["createdAt"] || got["modifiedAt"] == nil {
			t.Fatalf("%s: %v", cd, got)
		}
		if tc.field != "" && fmt.Sprint(got[tc.field]) != tc.want {
			t.Fatalf("%s: created with %s = %v", cd, tc.field, got[tc.field])
		}
		// SDKs send the whole resource back: href and times are ignored.
		got["motto"] = "order"
		got["post"] = map[string]any{"ship": "Death Star", "deck": 5}
		if merged := c.must(200, c.do("POST", cd, got)); merged["motto"] != "order" || merged["href"] != cd || merged["modifiedAt"] == got["modifiedAt"] {
			t.Fatalf("%s merged: %v", cd, merged)
		}
		c.must(204, c.do("DELETE", cd+"/post", nil))
		c.must(204, c.do("DELETE", cd+"/absent", nil))
		if r := c.do("DELETE", cd+"/createdAt", nil); r.Status != 400 || code(t, r) != domain.CodeInvalidValue {
			t.Fatalf("removing createdAt: %d %s", r.Status, r.Body)
		}
		if got := c.must(200, c.do("GET", cd, nil)); got["post"] != nil || got["motto"] != "order" {
			t.Fatalf("%s after removing post: %v", cd, got)
		}
		if tc.field != "" {
			// Inline on update merges, and a bare link is not data.
			c.must(200, c.do("POST", u, map[string]any{"customData": map[string]any{"motto": "fear"}}))
			c.must(200, c.do("POST", u, map[string]any{"customData": map[string]any{"href": cd}}))
			if got := c.must(200, c.do("GET", cd, nil)); got["motto"] != "fear" || fmt.Sprint(got[tc.field]) != tc.want {
				t.Fatalf("%s after inline update: %v", cd, got)
			}
		}
		c.must(204, c.do("DELETE", cd, nil))
		if got := c.must(200, c.do("GET", cd, nil)); len(got) != 3 {
			t.Fatalf("%s after clearing: %v", cd, got)
		}
	}
	// A developer's key may not touch customData.
	devID, devSecret := c.newKey(acc)
	dev := c.as(devID, devSecret)
	for _, res := range []map[string]any{tenant, app, acc, g} {
		if r := dev.do("POST", href(res, "customData"), map[string]any{"x": 1}); r.Status != 403 || code(t, r) != 8200 {
			t.Fatalf("developer key on %s: %d %s", href(res, "customData"), r.Status, r.Body)
		}
	}
}

// TestCustomDataBodyLimits: a full 64 KiB customData needs a body over
// MaxBody, so the routes that take customData allow MaxCustomDataBody;
// one byte more customData is refused by the domain (3004), a larger
// body by the HTTP layer (8002), and other routes keep MaxBody. Nothing
// refused is stored.
func TestCustomDataBodyLimits(t *testing.T) {
	c := start(t)
	g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "officers"}))
	acc := c.newAccount("tk421")
	value := func(n int) string { return `{"big":"` + strings.Repeat("x", n) + `"}` }
	full := domain.MaxCustomDataBytes - len(value(0))
	for _, u := range []string{"/v1/tenants/" + c.s.Boot.Tenant.ID, c.app, acc["href"].(string), g["href"].(string)} {
		cd := u + "/customData"
		if got := c.must(200, c.do("POST", cd, value(full))); len(got["big"].(string)) != full {
			t.Fatalf("%s: a full customData was not kept", cd)
		}
		events, views := c.eventCount(), c.viewCount()
		if r := c.do("POST", cd, value(full+1)); r.Status != 400 || code(t, r) != domain.CodeCustomDataTooLarge {
			t.Fatalf("%s: one byte over: %d %s", cd, r.Status, r.Body)
		}
		if r := c.do("POST", cd, value(httpapi.MaxCustomDataBody)); r.Status != 413 || code(t, r) != domain.CodeBodyTooLarge {
			t.Fatalf("%s: a body over MaxCustomDataBody: %d %s", cd, r.Status, r.Body)
		}
		if c.eventCount() != events || c.viewCount() != views {
			t.Fatalf("%s: a refused request wrote something", cd)
		}
	}
	// Inline, on create, the same limits.
	r := c.do("POST", c.app+"/groups", `{"name":"big","customData":`+value(full+1)+`}`)
	if r.Status != 400 || code(t, r) != domain.CodeCustomDataTooLarge {
		t.Fatalf("inline customData one byte over: %d %s", r.Status, r.Body)
	}
	c.must(201, c.do("POST", c.app+"/groups", `{"name":"big","customData":`+value(full)+`}`))
	// A route without customData keeps MaxBody.
	if r := c.do("POST", href(acc, "apiKeys"), `{"name":"`+strings.Repeat("x", httpapi.MaxBody)+`"}`); r.Status != 413 || code(t, r) != domain.CodeBodyTooLarge {
		t.Fatalf("a large body on an API key: %d %s", r.Status, r.Body)
	}
}
