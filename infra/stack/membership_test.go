package stack_test

import "testing"

// TestMembershipReadAndDelete: a membership lives under an account and a
// group of one application; reading it checks that lineage (asking for
// the shared application once), and it can be read and deleted.
func TestMembershipReadAndDelete(t *testing.T) {
	c := start(t)
	acc := c.newAccount("tk421")
	g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "troopers"}))
	m := c.must(201, c.do("POST", "/v1/groupMemberships", map[string]any{
		"account": map[string]any{"href": acc["href"]}, "group": map[string]any{"href": g["href"]}}))
	h := m["href"].(string)
	if got := c.must(200, c.do("GET", h, nil)); got["href"] != h {
		t.Fatalf("GET membership: %v", got)
	}
	c.must(204, c.do("DELETE", h, nil))
	if r := c.do("GET", h, nil); r.Status != 404 {
		t.Fatalf("GET after delete: %d %s", r.Status, r.Body)
	}
	// Deleting the group takes its memberships: the account's list is
	// empty again and the account itself stays.
	m = c.must(201, c.do("POST", "/v1/groupMemberships", map[string]any{
		"account": map[string]any{"href": acc["href"]}, "group": map[string]any{"href": g["href"]}}))
	c.must(204, c.do("DELETE", g["href"].(string), nil))
	if r := c.do("GET", m["href"].(string), nil); r.Status != 404 {
		t.Fatalf("membership of a deleted group: %d", r.Status)
	}
	if l := c.must(200, c.do("GET", href(acc, "groupMemberships"), nil)); l["size"] != 0.0 {
		t.Fatalf("account's memberships after the group's delete: %v", l)
	}
	c.must(200, c.do("GET", acc["href"].(string), nil))
}
