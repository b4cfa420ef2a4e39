package stack_test

import (
	"context"
	"testing"

	"github.com/keystorm/keystorm/domain"
)

// TestExpandLinks: expand puts the linked resource, or a page of the
// linked collection, in place of its link, one level deep, on a resource
// and on every item of a collection; what cannot expand is refused by
// name; and an expansion shows only what following the link would.
func TestExpandLinks(t *testing.T) {
	c := start(t)
	acc := c.newAccount("tk421")
	c.must(200, c.do("POST", href(acc, "customData"), map[string]any{"rank": "corporal"}))
	for _, name := range []string{"troopers", "sentries", "pilots"} {
		g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": name}))
		c.must(201, c.do("POST", "/v1/groupMemberships", map[string]any{"account": map[string]any{"href": acc["href"]}, "group": map[string]any{"href": g["href"]}}))
	}
	c.newKey(acc)

	got := c.must(200, c.do("GET", acc["href"].(string)+"?expand=customData,groups(offset:1,limit:1),apiKeys,application", nil))
	cd, _ := got["customData"].(map[string]any)
	if cd["rank"] != "corporal" || cd["href"] != href(acc, "customData") {
		t.Errorf("expanded customData: %v", got["customData"])
	}
	groups, _ := got["groups"].(map[string]any)
	items, _ := groups["items"].([]any)
	if groups["size"] != 3.0 || groups["offset"] != 1.0 || groups["limit"] != 1.0 || len(items) != 1 || items[0].(map[string]any)["name"] != "sentries" {
		t.Errorf("expanded groups: %v", got["groups"])
	}
	if keys, _ := got["apiKeys"].(map[string]any); keys["size"] != 1.0 || keys["limit"] != 25.0 {
		t.Errorf("expanded apiKeys: %v", got["apiKeys"])
	} else if k := keys["items"].([]any)[0].(map[string]any); k["secret"] != nil {
		t.Errorf("an expanded key shows its secret: %v", k)
	}
	if app, _ := got["application"].(map[string]any); app["href"] != c.app || app["name"] == nil {
		t.Errorf("expanded application: %v", got["application"])
	}
	// Links not asked for stay links.
	if l, _ := got["tenant"].(map[string]any); len(l) != 1 || l["href"] == nil {
		t.Errorf("tenant should stay a link: %v", got["tenant"])
	}

	// Every item of a collection expands.
	list := c.must(200, c.do("GET", c.app+"/accounts?expand=customData&limit=5", nil))
	for _, it := range list["items"].([]any) {
		if cd, _ := it.(map[string]any)["customData"].(map[string]any); cd["createdAt"] == nil {
			t.Errorf("list item's customData not expanded: %v", it)
		}
	}

	for _, q := range []string{
		"expand=passwordHash", "expand=customData(offset:0)", "expand=groups(offset:0", "expand=groups(limit:1000)",
		"expand=groups(colour:1)", "expand=customData,customData", "expand=groups.customData",
	} {
		if r := c.do("GET", acc["href"].(string)+"?"+q, nil); r.Status != 400 || code(t, r) != 2100 {
			t.Errorf("%s: %d %s", q, r.Status, r.Body)
		}
	}
	if r := c.do("GET", c.app+"/accounts?expand=customData&limit=26", nil); r.Status != 400 {
		t.Errorf("expand with limit 26: %d", r.Status)
	}

	// Another tenant's admin cannot reach the account, expanded or not.
	rebels, err := c.s.Service.Bootstrap(context.Background(), domain.BootstrapInput{TenantName: "rebels"})
	if err != nil {
		t.Fatal(err)
	}
	other := c.as(rebels.AdminKey.ID, rebels.AdminSecret)
	if r := other.do("GET", acc["href"].(string)+"?expand=customData", nil); r.Status != 404 {
		t.Errorf("another tenant, expanded: %d %s", r.Status, r.Body)
	}
}
