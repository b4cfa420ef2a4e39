package stack_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// TestKeyExpiryAndRerollOverHTTP: a key created with expiresAt shows it
// and stops at it (Basic through the authenticate endpoint and the token
// endpoint alike); a reroll answers 200 with a new secret under the same
// href, the old secret working for the grace period and never after.
func TestKeyExpiryAndRerollOverHTTP(t *testing.T) {
	c := startTTL(t, 0)
	acc := c.newAccount("tk421")
	valid := func(id, secret string) bool {
		t.Helper()
		got := c.must(200, c.do("POST", c.app+"/authenticate", map[string]any{
			"authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))}))
		return got["valid"] == true
	}
	// Bad expiries are refused by name, and nothing is created.
	events := c.eventCount()
	for _, bad := range []any{"yesterday", c.clock.Now().Add(-time.Minute).Format(time.RFC3339), 42} {
		r := c.do("POST", href(acc, "apiKeys"), map[string]any{"expiresAt": bad})
		if dm, _ := r.json(t)["developerMessage"].(string); r.Status != 400 || !strings.Contains(dm, "'expiresAt'") {
			t.Fatalf("expiresAt %v: %d %s", bad, r.Status, r.Body)
		}
	}
	if c.eventCount() != events {
		t.Fatal("a refused key create wrote events")
	}
	exp := c.clock.Now().Add(2 * time.Hour).Truncate(time.Second)
	k := c.must(201, c.do("POST", href(acc, "apiKeys"), map[string]any{"name": "ci", "expiresAt": exp.Format(time.RFC3339)}))
	id, secret := k["id"].(string), k["secret"].(string)
	if got, _ := time.Parse(time.RFC3339, k["expiresAt"].(string)); !got.Equal(exp) || k["previousSecretValidUntil"] != nil {
		t.Fatalf("created key: %v", k)
	}
	dev := c.as(id, secret)
	// 90 minutes on, a token is cut to the key's expiry.
	c.clock.Advance(90 * time.Minute)
	tok := dev.token("")
	if in := tok["expires_in"].(float64); in > 30*60 || in < 29*60 {
		t.Fatalf("token of a key expiring in 30 minutes: expires_in %v", in)
	}
	if at := verifyOffline(t, c, tok["access_token"].(string)); at.ExpiresAt.After(exp) {
		t.Fatalf("exp %v after the key's expiry %v", at.ExpiresAt, exp)
	}
	// Reroll with an hour's grace, more than the expiry leaves: the
	// grace ends with the key.
	for _, bad := range []map[string]any{{"gracePeriod": "P8D"}, {"gracePeriod": "soon"}, {"gracePeriod": 60}, {"grace": "PT1H"}} {
		if r := c.do("POST", "/v1/apiKeys/"+id+"/reroll", bad); r.Status != 400 {
			t.Fatalf("reroll %v: %d %s", bad, r.Status, r.Body)
		}
	}
	rr := c.must(200, c.do("POST", "/v1/apiKeys/"+id+"/reroll", map[string]any{"gracePeriod": "PT10M"}))
	newSecret, _ := rr["secret"].(string)
	if rr["href"] != k["href"] || newSecret == "" || newSecret == secret || rr["previousSecretValidUntil"] == nil {
		t.Fatalf("reroll: %v", rr)
	}
	if got := c.must(200, c.do("GET", "/v1/apiKeys/"+id, nil)); got["secret"] != nil {
		t.Fatalf("a read shows the secret: %v", got)
	}
	if !valid(id, secret) || !valid(id, newSecret) {
		t.Fatal("within the grace both secrets must authenticate")
	}
	c.clock.Advance(11 * time.Minute)
	if valid(id, secret) || !valid(id, newSecret) {
		t.Fatal("after the grace only the new secret may authenticate")
	}
	r := c.as(id, secret).form("POST", "/oauth/token", grant, "")
	oauthErr(t, r, 401, domain.OAuthInvalidClient)
	// At the expiry the key ends, whichever secret.
	c.clock.Advance(20 * time.Minute)
	if valid(id, newSecret) {
		t.Fatal("an expired key authenticated")
	}
	// Lifting the expiry (null) brings it back.
	got := c.must(200, c.do("POST", "/v1/apiKeys/"+id, map[string]any{"expiresAt": nil}))
	if got["expiresAt"] != nil || !valid(id, newSecret) {
		t.Fatalf("expiry lifted: %v", got)
	}
}
