package stack_test

import (
	"crypto/sha512"
	"encoding/base64"
	"maps"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/stack"
)

// stormpathSecret is a secret as Stormpath exported them: base64 (with +
// and /) of random bytes; here of a hash, so the test repeats.
func stormpathSecret(seed string) string {
	sum := sha512.Sum512([]byte(seed))
	return base64.StdEncoding.EncodeToString(sum[:30])
}

func basicHeader(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// TestImportAPIKeysOverHTTP runs the import of Stormpath keys on both
// stores: bad ids and weak secrets are 400 with nothing stored, only an
// admin key imports, a taken id is 409; the key shows imported, its
// secret is not echoed, and it authenticates on Basic at the example API,
// the authenticate endpoint, and the token and revocation endpoints. A
// wrong secret and an unknown id are refused alike, at the same reads. A
// reroll gives a kss_ secret, the imported one working for the grace.
func TestImportAPIKeysOverHTTP(t *testing.T) {
	for _, store := range []string{stack.StoreSQLite, stack.StoreDynamoDB} {
		t.Run(store, func(t *testing.T) { testImportAPIKeysOverHTTP(t, store) })
	}
}

func testImportAPIKeysOverHTTP(t *testing.T, store string) {
	c := startOn(t, store, 0)
	acc := c.newAccount("tk421")
	keys := href(acc, "apiKeys")
	const id = "4M1QDS6GJ8XRQ3WH2P0KZ5LTB"
	secret := stormpathSecret("tk421")

	// Signed in first: the sign-in records its session.
	tok := c.signIn("tk421", "Changeme1")["access_token"].(string)
	events, views := c.eventCount(), c.viewCount()
	refused := []struct {
		name   string
		body   map[string]any
		status int
		code   int
	}{
		{"short id", map[string]any{"id": "4M1QDS6GJ8", "secret": secret}, 400, 2002},
		{"lower-case id", map[string]any{"id": strings.ToLower(id), "secret": secret}, 400, 2002},
		{"id without secret", map[string]any{"id": id}, 400, 2000},
		{"secret without id", map[string]any{"secret": secret}, 400, 2000},
		{"id not a string", map[string]any{"id": 42, "secret": secret}, 400, 2004},
		{"short secret", map[string]any{"id": id, "secret": secret[:21]}, 400, 8110},
		{"low-entropy secret", map[string]any{"id": id, "secret": strings.Repeat("ab", 20)}, 400, 8110},
		{"bad characters", map[string]any{"id": id, "secret": secret[:20] + "!#$%" + secret[20:]}, 400, 8110},
		{"short hex", map[string]any{"id": id, "secret": "0123456789abcdef0123456789abcde"}, 400, 8110},
		{"too long", map[string]any{"id": id, "secret": strings.Repeat(secret, 4)[:129]}, 400, 8110},
		{"kss_ with a wrong checksum", map[string]any{"id": id, "secret": otherLast(c.secret)}, 400, 8110},
	}
	for _, tc := range refused {
		r := c.do("POST", keys, tc.body)
		if r.Status != tc.status || code(t, r) != tc.code {
			t.Fatalf("%s: %d %s, want %d/%d", tc.name, r.Status, r.Body, tc.status, tc.code)
		}
		if s, _ := tc.body["secret"].(string); len(s) > 8 && strings.Contains(string(r.Body), s) {
			t.Fatalf("%s: the answer echoes the secret: %s", tc.name, r.Body)
		}
		if tc.code == 8110 && !strings.Contains(string(r.Body), "at least 8 distinct characters") {
			t.Fatalf("%s: the message does not state the rule: %s", tc.name, r.Body)
		}
	}
	// A developer's session may not choose a secret: the properties do
	// not exist for it. A developer's key may not call the API at all.
	if r := c.bearerDo(tok, "POST", keys, map[string]any{"id": id, "secret": secret}); r.Status != 400 || code(t, r) != 2015 {
		t.Fatalf("session import: %d %s", r.Status, r.Body)
	}
	if e, v := c.eventCount(), c.viewCount(); e != events || v != views {
		t.Fatalf("refused imports stored: events %d→%d, views %d→%d", events, e, views, v)
	}
	devID, devSecret := c.newKey(acc)
	if r := c.as(devID, devSecret).do("POST", keys, map[string]any{"id": id, "secret": secret}); r.Status != 403 {
		t.Fatalf("developer key import: %d %s", r.Status, r.Body)
	}

	k := c.must(201, c.do("POST", keys, map[string]any{"id": id, "secret": secret, "name": "from Stormpath"}))
	if _, ok := k["secret"]; ok || k["id"] != id || k["imported"] != true || k["name"] != "from Stormpath" {
		t.Fatalf("imported key %v", k)
	}
	if got := c.must(200, c.do("GET", "/v1/apiKeys/"+id, nil)); got["imported"] != true {
		t.Fatalf("read %v", got)
	}
	if got := c.must(200, c.do("GET", "/v1/apiKeys/"+devID, nil)); got["imported"] != nil {
		t.Fatalf("a key of ours shows imported: %v", got)
	}
	events = c.eventCount()
	if r := c.do("POST", keys, map[string]any{"id": id, "secret": stormpathSecret("again")}); r.Status != 409 || code(t, r) != 2001 {
		t.Fatalf("taken id: %d %s", r.Status, r.Body)
	}
	if r := c.do("POST", keys, map[string]any{"id": c.id, "secret": stormpathSecret("again")}); r.Status != 409 || code(t, r) != 2001 {
		t.Fatalf("the admin key's id: %d %s", r.Status, r.Body)
	}
	if e := c.eventCount(); e != events {
		t.Fatalf("taken ids stored %d events", e-events)
	}

	// The imported key authenticates everywhere Basic is taken.
	imp := c.as(id, secret)
	imp.must(200, imp.do("GET", "/troopers/tk421/equipment", nil))
	got := c.must(200, c.do("POST", c.app+"/authenticate", map[string]any{"authorization": basicHeader(id, secret)}))
	if got["valid"] != true || !strings.HasSuffix(href(got, "apiKey"), "/v1/apiKeys/"+id) {
		t.Fatalf("authenticate: %v", got)
	}
	access := imp.token("")["access_token"].(string)
	c.as("", "").must(200, c.as("", "").do("GET", "/troopers/tk421/equipment", nil, "Authorization", "Bearer "+access))
	imp.must(200, imp.form("POST", "/oauth/revoke", "token="+url.QueryEscape(access), ""))
	c.as("", "").must(200, c.as("", "").form("POST", "/oauth/token", grant+"&client_id="+id+"&client_secret="+url.QueryEscape(secret), ""))
	// A secret with + and /, sent raw in Basic as Stormpath's SDKs sent
	// it: the token endpoint takes it as sent, not form-decoded.
	plus, plusID := "Ab+/Cd3+Ef5/Gh7+Ij9/Kl1+Mn0/Op", "PLUSPLUSPLUSPLUSPLUSPLUS1"
	c.must(201, c.do("POST", keys, map[string]any{"id": plusID, "secret": plus}))
	if tok := c.as(plusID, plus).token("")["access_token"]; tok == nil {
		t.Fatal("no token for a secret with + and /")
	}
	// Form-encoded, as RFC 6749 has it, it works too.
	if tok := c.as(plusID, url.QueryEscape(plus)).token("")["access_token"]; tok == nil {
		t.Fatal("no token for the form-encoded secret")
	}

	// A wrong secret and an unknown id: the same refusal, the same reads.
	wrong := stormpathSecret("wrong")
	for _, who := range []*client{c.as(id, wrong), c.as("ZZZZZZZZZZZZZZZZZZZZZZZZZ", wrong)} {
		if r := who.do("GET", "/troopers/tk421/equipment", nil); r.Status != 401 {
			t.Fatalf("%s: %d %s", who.id, r.Status, r.Body)
		}
		oauthErr(t, who.form("POST", "/oauth/token", grant, ""), 401, "invalid_client")
	}
	// The fewest reads of three tries: background work of the stack
	// (a usage flush) may read in the window of one of them.
	reads := func(id string) (map[string]any, map[string]int64) {
		t.Helper()
		var got map[string]any
		var least map[string]int64
		for range 3 {
			c.s.Counter.Reset()
			got = c.must(200, c.do("POST", c.app+"/authenticate", map[string]any{"authorization": basicHeader(id, wrong)}))
			if snap := c.s.Counter.Snapshot(); least == nil || total(snap) < total(least) {
				least = snap
			}
		}
		return got, least
	}
	known, knownReads := reads(id)
	unknown, unknownReads := reads("ZZZZZZZZZZZZZZZZZZZZZZZZZ")
	delete(known, "requestId")
	delete(unknown, "requestId")
	if known["valid"] != false || !maps.EqualFunc(known, unknown, func(a, b any) bool { return a == b }) {
		t.Fatalf("wrong secret %v, unknown id %v", known, unknown)
	}
	if !maps.Equal(knownReads, unknownReads) {
		t.Fatalf("wrong secret read %v, unknown id %v", knownReads, unknownReads)
	}

	// Reroll: a kss_ secret; the imported one works for the grace.
	rr := c.must(200, c.do("POST", "/v1/apiKeys/"+id+"/reroll", map[string]any{"gracePeriod": "PT1H"}))
	fresh, _ := rr["secret"].(string)
	if !domain.WellFormedSecret(fresh) || rr["imported"] != true || rr["previousSecretValidUntil"] == nil {
		t.Fatalf("reroll %v", rr)
	}
	for _, s := range []string{secret, fresh} {
		c.as(id, s).must(200, c.as(id, s).do("GET", "/troopers/tk421/equipment", nil))
		c.as(id, s).token("")
	}
	c.clock.Advance(time.Hour + time.Second)
	if r := imp.do("GET", "/troopers/tk421/equipment", nil); r.Status != 401 {
		t.Fatalf("imported secret after the grace: %d %s", r.Status, r.Body)
	}
	oauthErr(t, imp.form("POST", "/oauth/token", grant, ""), 401, "invalid_client")
	c.as(id, fresh).must(200, c.as(id, fresh).do("GET", "/troopers/tk421/equipment", nil))
}

// otherLast is s with its last character changed (a checksum character:
// the result is no secret Keystorm made).
func otherLast(s string) string {
	if strings.HasSuffix(s, "x") {
		return s[:len(s)-1] + "y"
	}
	return s[:len(s)-1] + "x"
}

// total is the number of calls in a counter snapshot.
func total(snap map[string]int64) int64 {
	var n int64
	for _, v := range snap {
		n += v
	}
	return n
}
