package stack_test

import (
	"context"
	"testing"

	"github.com/keystorm/keystorm/domain"
)

func TestAdminKeyActsOnlyInItsTenant(t *testing.T) {
	c := start(t)
	acc := c.newAccount("tk421")
	keyID, _ := c.newKey(acc)
	other, err := c.s.Service.Bootstrap(context.Background(), domain.BootstrapInput{TenantName: "rebels"})
	if err != nil {
		t.Fatal(err)
	}
	o := c.as(other.AdminKey.ID, other.AdminSecret)
	for _, u := range []string{acc["href"].(string), c.app, c.base + "/v1/apiKeys/" + keyID, href(acc, "customData"),
		c.base + "/v1/tenants/" + c.s.Boot.Tenant.ID, c.app + "/accounts"} {
		if r := o.do("GET", u, nil); r.Status != 404 || code(t, r) != 404 {
			t.Errorf("GET %s from another tenant: %d %s", u, r.Status, r.Body)
		}
	}
	if r := o.do("POST", acc["href"].(string), map[string]any{"givenName": "Luke"}); r.Status != 404 {
		t.Errorf("update from another tenant: %d", r.Status)
	}
	if r := o.do("DELETE", acc["href"].(string), nil); r.Status != 404 {
		t.Errorf("delete from another tenant: %d", r.Status)
	}
	// customData of every kind: not readable, writable or deletable.
	g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "officers"}))
	tenant := c.base + "/v1/tenants/" + c.s.Boot.Tenant.ID
	owners := []string{tenant, c.app, acc["href"].(string), g["href"].(string)}
	for _, u := range owners {
		c.must(200, c.do("POST", u+"/customData", map[string]any{"rank": "general"}))
	}
	events := c.eventCount()
	for _, u := range owners {
		cd := u + "/customData"
		rs := []resp{o.do("GET", cd, nil), o.do("POST", cd, map[string]any{"rank": "rebel"}), o.do("DELETE", cd, nil), o.do("DELETE", cd+"/rank", nil)}
		if u != tenant { // the tenant itself has no update route
			rs = append(rs, o.do("POST", u, map[string]any{"customData": map[string]any{"rank": "rebel"}}))
		}
		for _, r := range rs {
			if r.Status != 404 || code(t, r) != domain.CodeNotFound {
				t.Errorf("customData of %s from another tenant: %d %s", u, r.Status, r.Body)
			}
		}
		if got := c.must(200, c.do("GET", cd, nil)); got["rank"] != "general" {
			t.Errorf("customData of %s changed: %v", u, got)
		}
	}
	if c.eventCount() != events {
		t.Error("another tenant's requests wrote events")
	}
	// Its own tenant works, and current points to it.
	r := o.do("GET", "/v1/tenants/current", nil)
	if r.Status != 302 || r.Header.Get("Location") != c.base+"/v1/tenants/"+other.Tenant.ID {
		t.Fatalf("current: %d %v", r.Status, r.Header)
	}
	if got := c.must(200, c.do("GET", acc["href"].(string), nil)); got["givenName"] != "Joe" {
		t.Fatalf("account changed: %v", got)
	}
}

// The admin cannot lock the tenant out through its own account.
func TestAdminCannotDisableOrDeleteItsOwnAccountOrKey(t *testing.T) {
	c := start(t)
	self := c.base + "/v1/accounts/" + c.s.Boot.Admin.ID
	for _, r := range []resp{
		c.do("POST", self, map[string]any{"status": "DISABLED"}),
		c.do("DELETE", self, nil),
		c.do("POST", c.base+"/v1/apiKeys/"+c.id, map[string]any{"status": "DISABLED"}),
		c.do("DELETE", c.base+"/v1/apiKeys/"+c.id, nil),
	} {
		if r.Status != 409 || code(t, r) != 8302 {
			t.Fatalf("self-lockout allowed: %d %s", r.Status, r.Body)
		}
	}
	c.must(200, c.do("GET", self, nil))
}
