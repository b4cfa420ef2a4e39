package stack_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestAuditLogOverHTTP: the tenant's events, newest first, with who, when,
// which request, which resource and what changed (never a secret, hash
// or password), filtered and paged; a key's history; a key and an
// account as they were at a time, with the verdict.
func TestAuditLogOverHTTP(t *testing.T) {
	c := startTTL(t, 0)
	tenant := "/v1/tenants/" + c.s.Boot.Tenant.ID + "/events"
	acc := c.newAccount("tk421")
	id, secret := c.newKey(acc)
	keyHref := c.base + "/v1/apiKeys/" + id
	c.clock.Advance(time.Minute)
	beforeReroll := c.clock.Now()
	c.clock.Advance(time.Minute)
	c.must(200, c.do("POST", "/v1/apiKeys/"+id+"/reroll", map[string]any{"gracePeriod": "PT1H"}))
	c.clock.Advance(time.Minute)
	c.must(200, c.do("POST", "/v1/apiKeys/"+id, map[string]any{"status": "DISABLED"}))
	c.clock.Advance(time.Minute)
	disabled := c.clock.Now()

	all := c.must(200, c.do("GET", tenant, nil))
	items := all["items"].([]any)
	if len(items) < 5 {
		t.Fatalf("entries: %v", all)
	}
	first := items[0].(map[string]any)
	if first["type"] != "apikey.updated.v1" || first["resource"].(map[string]any)["href"] != keyHref ||
		first["actor"].(map[string]any)["id"] != "apikey/"+c.id || first["requestId"] == "" ||
		first["changes"].(map[string]any)["status"] != "DISABLED" {
		t.Fatalf("newest entry: %v", first)
	}
	r := c.do("GET", tenant+"?limit=100", nil)
	for _, bad := range []string{secret, "secretHash", "passwordHash", "$argon2", "Changeme1"} {
		if strings.Contains(string(r.Body), bad) {
			t.Fatalf("the audit log holds %q", bad)
		}
	}
	// Filters.
	only := func(q string) []any {
		t.Helper()
		return c.must(200, c.do("GET", tenant+"?"+q, nil))["items"].([]any)
	}
	if got := only("type=apikey.rerolled.v1"); len(got) != 1 || got[0].(map[string]any)["type"] != "apikey.rerolled.v1" {
		t.Fatalf("by type: %v", got)
	}
	byKey := only("resource=" + url.QueryEscape(keyHref))
	for _, e := range byKey {
		if e.(map[string]any)["resource"].(map[string]any)["href"] != keyHref {
			t.Fatalf("by resource: %v", e)
		}
	}
	if len(byKey) != 3 { // created, rerolled, updated
		t.Fatalf("by resource: %d entries", len(byKey))
	}
	if got := only("from=" + url.QueryEscape(beforeReroll.Format(time.RFC3339Nano)) + "&to=" + url.QueryEscape(disabled.Format(time.RFC3339Nano))); len(got) != 2 {
		t.Fatalf("by time: %v", got)
	}
	if got := only("actor=apikey/NOSUCHKEY"); len(got) != 0 {
		t.Fatalf("by an unknown actor: %v", got)
	}
	// Paging by next walks every entry once.
	seen := map[string]bool{}
	next := tenant + "?limit=2"
	for pages := 0; next != ""; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		p := c.must(200, c.do("GET", next, nil))
		for _, e := range p["items"].([]any) {
			m := e.(map[string]any)
			k := m["resource"].(map[string]any)["id"].(string) + m["at"].(string) + m["type"].(string)
			if seen[k] {
				t.Fatalf("listed twice: %v", m)
			}
			seen[k] = true
		}
		next = ""
		if n, ok := p["next"].(map[string]any); ok {
			next = n["href"].(string)
		}
	}
	if len(seen) != len(c.must(200, c.do("GET", tenant+"?limit=100", nil))["items"].([]any)) {
		t.Fatalf("paging saw %d entries", len(seen))
	}
	// Bad queries and outsiders.
	for _, q := range []string{"limit=0", "limit=101", "after=garbage", "from=yesterday", "colour=red", "resource=" + url.QueryEscape("https://evil/x")} {
		if r := c.do("GET", tenant+"?"+q, nil); r.Status != 400 {
			t.Fatalf("%s: %d %s", q, r.Status, r.Body)
		}
	}
	if r := c.do("GET", "/v1/tenants/NOSUCHTENANT/events", nil); r.Status != 404 {
		t.Fatalf("another tenant: %d", r.Status)
	}
	dev, _ := c.developer("tk422")
	if r := dev.do("GET", tenant, nil); r.Status != 403 {
		t.Fatalf("a developer key: %d", r.Status)
	}
	// A key's history: its own entries only.
	h := c.must(200, c.do("GET", "/v1/apiKeys/"+id+"/history", nil))["items"].([]any)
	if len(h) != 3 || h[2].(map[string]any)["type"] != "apikey.created.v1" {
		t.Fatalf("history: %v", h)
	}
	if r := c.do("GET", "/v1/apiKeys/"+id+"/history?resource=x", nil); r.Status != 400 {
		t.Fatalf("history with resource: %d", r.Status)
	}
	// The key at a time: valid before the reroll, within the grace after
	// it, disabled at the end.
	at := func(t0 time.Time) map[string]any {
		t.Helper()
		k := c.must(200, c.do("GET", "/v1/apiKeys/"+id+"?at="+url.QueryEscape(t0.Format(time.RFC3339Nano)), nil))
		return k["verdict"].(map[string]any)
	}
	if v := at(beforeReroll); v["validAt"] != true || len(v["reasons"].([]any)) != 0 {
		t.Fatalf("before the reroll: %v", v)
	}
	if v := at(disabled.Add(-90 * time.Second)); v["validAt"] != true || v["reasons"].([]any)[0] != "within_grace" {
		t.Fatalf("in the grace: %v", v)
	}
	if v := at(disabled); v["validAt"] != false || v["reasons"].([]any)[0] != "disabled" {
		t.Fatalf("disabled: %v", v)
	}
	if r := c.do("GET", "/v1/apiKeys/"+id+"?at="+url.QueryEscape(beforeReroll.Add(-time.Hour).Format(time.RFC3339)), nil); r.Status != 404 {
		t.Fatalf("before the key existed: %d", r.Status)
	}
	if r := c.do("GET", "/v1/apiKeys/"+id+"?at=soon", nil); r.Status != 400 {
		t.Fatalf("a bad at: %d", r.Status)
	}
	// The account at a time.
	accAt := c.must(200, c.do("GET", acc["href"].(string)+"?at="+url.QueryEscape(disabled.Format(time.RFC3339Nano)), nil))
	if v := accAt["verdict"].(map[string]any); v["validAt"] != true || accAt["username"] != "tk421" {
		t.Fatalf("account at: %v", accAt)
	}
	// The key's developer, signed in, reads its history too, without the
	// admin key ids that acted on it.
	st := c.signIn("tk421", "Changeme1")
	r = c.bearerDo(st["access_token"].(string), "GET", "/v1/apiKeys/"+id+"/history", nil)
	if r.Status != 200 || strings.Contains(string(r.Body), c.id) || !strings.Contains(string(r.Body), `"actor":null`) {
		t.Fatalf("history to the developer: %d %s", r.Status, r.Body)
	}
	// A deleted key's history and past stay readable to an admin.
	if r := c.do("DELETE", "/v1/apiKeys/"+id, nil); r.Status != 204 {
		t.Fatalf("delete: %d", r.Status)
	}
	if h := c.must(200, c.do("GET", "/v1/apiKeys/"+id+"/history", nil))["items"].([]any); len(h) != 4 {
		t.Fatalf("history after delete: %d entries", len(h))
	}
	if v := at(c.clock.Now()); v["validAt"] != false || v["reasons"].([]any)[0] != "deleted" {
		t.Fatalf("deleted: %v", v)
	}
}
