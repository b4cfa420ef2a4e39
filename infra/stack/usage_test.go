package stack_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// TestKeyUsageOverHTTP: the authorizer counts each verification of a
// key (the protected API, the authenticate endpoint, the token
// endpoint), successful or refused, in memory; once flushed, the key
// shows lastUsedAt and GET /v1/apiKeys/{id}/usage its hours. A made-up
// key id is counted nowhere.
func TestKeyUsageOverHTTP(t *testing.T) {
	c := startTTL(t, 0)
	ctx := context.Background()
	dev, _ := c.developer("tk421")
	fresh := c.must(200, c.do("GET", "/v1/apiKeys/"+dev.id, nil))
	if fresh["lastUsedAt"] != nil {
		t.Fatalf("a key never used shows lastUsedAt %v", fresh["lastUsedAt"])
	}
	flush := func() {
		t.Helper()
		if err := c.s.Usage.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		c.must(200, dev.do("GET", "/troopers/tk421/equipment", nil))
	}
	// A well-formed secret that is not the key's: a malformed one is
	// refused before the key is even read, and counts for no key.
	other, err := domain.NewSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wrong := c.as(dev.id, other)
	for range 2 {
		if r := wrong.do("GET", "/troopers/tk421/equipment", nil); r.Status != 401 {
			t.Fatalf("wrong secret: %d", r.Status)
		}
	}
	tok := dev.token("")["access_token"].(string)
	if r := c.bearerDo(tok, "GET", "/troopers/tk421/equipment", nil); r.Status != 200 {
		t.Fatalf("bearer: %d %s", r.Status, r.Body)
	}
	flush()
	u := c.must(200, c.do("GET", "/v1/apiKeys/"+dev.id+"/usage", nil))
	// 3 Basic calls, the token grant and the Bearer call succeeded; the
	// two wrong secrets failed.
	if u["succeeded"] != float64(5) || u["failed"] != float64(2) || u["lastUsedAt"] == nil {
		t.Fatalf("usage: %v", u)
	}
	hours := u["hours"].([]any)
	if len(hours) != 1 {
		t.Fatalf("hours: %v", hours)
	}
	from, _ := time.Parse(time.RFC3339, u["from"].(string))
	to, _ := time.Parse(time.RFC3339, u["to"].(string))
	if to.Sub(from) != 30*24*time.Hour {
		t.Fatalf("window %v to %v", from, to)
	}
	got := c.must(200, c.do("GET", "/v1/apiKeys/"+dev.id, nil))
	if got["lastUsedAt"] != u["lastUsedAt"] {
		t.Fatalf("key lastUsedAt %v, usage says %v", got["lastUsedAt"], u["lastUsedAt"])
	}
	// Two hours on, a refused call only: a second hour, and lastUsedAt
	// stays at the last success.
	c.clock.Advance(2 * time.Hour)
	wrong.do("GET", "/troopers/tk421/equipment", nil)
	flush()
	u2 := c.must(200, c.do("GET", "/v1/apiKeys/"+dev.id+"/usage", nil))
	if len(u2["hours"].([]any)) != 2 || u2["failed"] != float64(3) || u2["lastUsedAt"] != u["lastUsedAt"] {
		t.Fatalf("after a refused call: %v", u2)
	}
	list := c.must(200, c.do("GET", href(c.must(200, c.do("GET", got["account"].(map[string]any)["href"].(string), nil)), "apiKeys"), nil))
	if item := list["items"].([]any)[0].(map[string]any); item["lastUsedAt"] != u["lastUsedAt"] {
		t.Fatalf("listed lastUsedAt %v", item["lastUsedAt"])
	}
	// A key id nobody has is counted nowhere: no counter is added (the
	// admin key's own calls are counted too, in one counter this hour).
	before := c.s.Usage.Pending()
	c.as("NOSUCHKEY0000000000000000", other).do("GET", "/troopers/tk421/equipment", nil)
	if n := c.s.Usage.Pending(); n != before {
		t.Fatalf("%d counters pending after a made-up key id, %d before", n, before)
	}
}
