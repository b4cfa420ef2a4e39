package backend_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	miniserver "github.com/truora/minidyn/server"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/backend"
	"github.com/keystorm/keystorm/infra/tokens"
)

const scope = "view_others_equipment"

// TestBasicPassesAndIsCached: a valid key passes with the identity the
// endpoint answered, the endpoint is asked once (with the caller's
// header, address and the admin key), and the answer is reused within
// the TTL.
func TestBasicPassesAndIsCached(t *testing.T) {
	e := startStack(t, 5*time.Second, "")
	d := e.developer(e.appID, "tk421")
	m := e.backend(nil)
	h := m.Middleware(echo)

	a := serve(t, h, d.basic())
	want := backend.Identity{AccountHref: d.accountHref, AccountID: d.accountHref[strings.LastIndex(d.accountHref, "/")+1:],
		APIKeyID: d.keyID, ApplicationID: e.appID, AuthType: "basic"}
	if a.status != 200 || a.id != want {
		t.Fatalf("valid key: %d %s, want %+v", a.status, a.raw, want)
	}
	if auth, _ := m.n.calls(); auth != 1 {
		t.Fatalf("endpoint calls: %d, want 1", auth)
	}
	sent := m.n.lastBody()
	if sent["authorization"] != d.basic() || sent["clientIp"] != "192.0.2.1" || m.n.admin[0] != e.admin[0] {
		t.Fatalf("sent %v as %s", sent, m.n.admin[0])
	}
	for range 3 {
		if a := serve(t, h, d.basic()); a.status != 200 || a.id != want {
			t.Fatalf("cached: %d %s", a.status, a.raw)
		}
	}
	if auth, _ := m.n.calls(); auth != 1 {
		t.Fatalf("endpoint calls after cache hits: %d, want 1", auth)
	}
	// Another key of the same account is another entry.
	k := e.manage("POST", d.accountHref+"/apiKeys", nil, 201)
	if a := serve(t, h, basicHeader(k["id"].(string), k["secret"].(string))); a.status != 200 || a.id.APIKeyID != k["id"] {
		t.Fatalf("second key: %d %s", a.status, a.raw)
	}
	if auth, _ := m.n.calls(); auth != 2 {
		t.Fatalf("endpoint calls: %d, want 2", auth)
	}
}

// TestBasicCacheNeverOutlivesTheEndpointTTL: the entry lives for the
// smaller of BasicCacheTTL and the endpoint's cacheTtlSeconds.
func TestBasicCacheNeverOutlivesTheEndpointTTL(t *testing.T) {
	t.Run("own cap below the endpoint's", func(t *testing.T) {
		e := startStack(t, 5*time.Second, "")
		d := e.developer(e.appID, "tk421")
		m := e.backend(func(c *backend.Config) { c.BasicCacheTTL = 2 * time.Second })
		h := m.Middleware(echo)
		serve(t, h, d.basic())
		e.clock.Advance(time.Second)
		serve(t, h, d.basic())
		if auth, _ := m.n.calls(); auth != 1 {
			t.Fatalf("within 2 s: %d calls", auth)
		}
		e.clock.Advance(time.Second)
		if a := serve(t, h, d.basic()); a.status != 200 {
			t.Fatalf("after 2 s: %d %s", a.status, a.raw)
		}
		if auth, _ := m.n.calls(); auth != 2 {
			t.Fatalf("after 2 s: %d calls, want 2", auth)
		}
	})
	t.Run("endpoint says 0", func(t *testing.T) {
		e := startStack(t, 0, "")
		d := e.developer(e.appID, "tk421")
		m := e.backend(nil) // the default cap, 5 s
		h := m.Middleware(echo)
		for range 3 {
			if a := serve(t, h, d.basic()); a.status != 200 {
				t.Fatalf("%d %s", a.status, a.raw)
			}
		}
		if auth, _ := m.n.calls(); auth != 3 {
			t.Fatalf("cacheTtlSeconds 0 was cached: %d calls for 3 requests", auth)
		}
	})
	t.Run("negative disables", func(t *testing.T) {
		e := startStack(t, 5*time.Second, "")
		d := e.developer(e.appID, "tk421")
		m := e.backend(func(c *backend.Config) { c.BasicCacheTTL = -1 })
		h := m.Middleware(echo)
		serve(t, h, d.basic())
		serve(t, h, d.basic())
		if auth, _ := m.n.calls(); auth != 2 {
			t.Fatalf("disabled cache: %d calls for 2 requests", auth)
		}
	})
}

// TestDisabledKeyStopsWithinTheTTL: a disabled key keeps passing from the
// cache until the TTL runs out, and not a moment longer.
func TestDisabledKeyStopsWithinTheTTL(t *testing.T) {
	e := startStack(t, 5*time.Second, "")
	d := e.developer(e.appID, "tk421")
	m := e.backend(nil)
	h := m.Middleware(echo)
	if a := serve(t, h, d.basic()); a.status != 200 {
		t.Fatalf("before: %d %s", a.status, a.raw)
	}
	d.setStatus("DISABLED")
	e.clock.Advance(4 * time.Second)
	if a := serve(t, h, d.basic()); a.status != 200 {
		t.Fatalf("within the TTL the cached answer serves: %d %s", a.status, a.raw)
	}
	e.clock.Advance(time.Second)
	a := serve(t, h, d.basic())
	a.refused(t, 401, 401)
	// The refusal is not cached: the next request asks again.
	serve(t, h, d.basic()).refused(t, 401, 401)
	if auth, _ := m.n.calls(); auth != 3 {
		t.Fatalf("endpoint calls: %d, want 3", auth)
	}
}

// TestBadBasicIs401: a wrong secret, a key of another application, no
// header, two headers, another scheme: 401 with both challenges and
// Keystorm's error body. What cannot be valid costs no call; refusals
// are not cached.
func TestBadBasicIs401(t *testing.T) {
	e := startStack(t, 5*time.Second, "")
	d := e.developer(e.appID, "tk421")
	other := e.newApplication("Executor")
	o := e.developer(other, "fn2187")
	m := e.backend(nil)
	h := m.Middleware(echo)

	wrong, _ := domain.NewSecret(rand.Reader)
	for i, hdr := range []string{basicHeader(d.keyID, wrong), basicHeader(d.keyID, wrong), o.basic()} {
		a := serve(t, h, hdr)
		a.refused(t, 401, 401)
		if a.challenges() != `Basic realm="keystorm" | Bearer realm="keystorm"` || a.body.Message != "Authentication required." {
			t.Fatalf("challenges %q, body %s", a.challenges(), a.raw)
		}
		if auth, _ := m.n.calls(); auth != i+1 {
			t.Fatalf("request %d: %d endpoint calls", i, auth)
		}
	}
	// None of these can be valid: no call.
	for _, hdrs := range [][]string{
		nil,
		{basicHeader(d.keyID, "kss_wrong")},
		{"Basic !!!"},
		{"Digest username=tk421"},
		{d.basic(), d.basic()},
	} {
		serve(t, h, hdrs...).refused(t, 401, 401)
	}
	if auth, _ := m.n.calls(); auth != 3 {
		t.Fatalf("endpoint calls: %d, want 3", auth)
	}
	if strings.Contains(m.n.lastBody()["authorization"].(string), "kss_wrong") {
		t.Fatal("a malformed secret reached the endpoint")
	}
	// The other application's key passes where it belongs.
	mo := e.backend(func(c *backend.Config) { c.ApplicationID = other })
	if a := serve(t, mo.Middleware(echo), o.basic()); a.status != 200 || a.id.ApplicationID != other {
		t.Fatalf("own application: %d %s", a.status, a.raw)
	}
}

// TestBearerOffline: a token passes with everything it says, and after
// the one JWKS fetch no request reaches Keystorm.
func TestBearerOffline(t *testing.T) {
	e := startStack(t, 5*time.Second, "")
	d := e.developer(e.appID, "tk421")
	d.grant(e.appID, scope)
	tok := d.token(scope)
	m := e.backend(nil)
	h := m.Middleware(echo)
	want := backend.Identity{AccountHref: d.accountHref, AccountID: d.accountHref[strings.LastIndex(d.accountHref, "/")+1:],
		APIKeyID: d.keyID, TenantID: e.s.Boot.Tenant.ID, ApplicationID: e.appID, AuthType: "bearer", Scope: scope}
	for i := range 5 {
		if a := serve(t, h, "Bearer "+tok); a.status != 200 || a.id != want {
			t.Fatalf("request %d: %d %s, want %+v", i, a.status, a.raw, want)
		}
	}
	if auth, jwks := m.n.calls(); auth != 0 || jwks != 1 {
		t.Fatalf("endpoint calls %d (want 0), JWKS fetches %d (want 1)", auth, jwks)
	}
	// A forged or damaged token is invalid_token.
	bad := tok[:len(tok)-4] + "AAAA"
	if bad == tok {
		bad = tok[:len(tok)-4] + "BBBB"
	}
	a := serve(t, h, "Bearer "+bad)
	a.refused(t, 401, 401)
	if a.challenges() != `Basic realm="keystorm" | Bearer realm="keystorm", error="invalid_token"` {
		t.Fatalf("challenges: %q", a.challenges())
	}
}

// TestBearerOfAnotherApplicationIs401: the token is good (its own
// application's backend takes it), but not for this application.
func TestBearerOfAnotherApplicationIs401(t *testing.T) {
	e := startStack(t, 5*time.Second, "")
	other := e.newApplication("Executor")
	o := e.developer(other, "fn2187")
	tok := o.token("")
	m := e.backend(nil)
	a := serve(t, m.Middleware(echo), "Bearer "+tok)
	a.refused(t, 401, 401)
	if !strings.Contains(a.challenges(), `error="invalid_token"`) {
		t.Fatalf("challenges: %q", a.challenges())
	}
	mo := e.backend(func(c *backend.Config) { c.ApplicationID = other })
	if a := serve(t, mo.Middleware(echo), "Bearer "+tok); a.status != 200 || a.id.ApplicationID != other {
		t.Fatalf("own application: %d %s", a.status, a.raw)
	}
	if auth, _ := m.n.calls(); auth != 0 {
		t.Fatalf("endpoint calls: %d", auth)
	}
}

// TestExpiredBearerIs401: past exp and the 30 s leeway, the token is
// refused.
func TestExpiredBearerIs401(t *testing.T) {
	e := startStack(t, 5*time.Second, "")
	d := e.developer(e.appID, "tk421")
	tok := d.token("")
	m := e.backend(nil)
	h := m.Middleware(echo)
	e.clock.Advance(domain.DefaultAccessTokenTTL) // exp itself: the leeway still covers it
	if a := serve(t, h, "Bearer "+tok); a.status != 200 {
		t.Fatalf("at exp: %d %s", a.status, a.raw)
	}
	e.clock.Advance(tokens.DefaultLeeway + time.Second)
	serve(t, h, "Bearer "+tok).refused(t, 401, 401)
}

// TestUnknownKidRefetchesTheJWKS: after the signing key changes, the
// first token of the new key makes the middleware fetch the JWKS again,
// well before its TTL, and the token passes.
func TestUnknownKidRefetchesTheJWKS(t *testing.T) {
	dir := t.TempDir()
	e := startStack(t, 5*time.Second, dir)
	d := e.developer(e.appID, "tk421")
	m := e.backend(nil)
	h := m.Middleware(echo)
	old := d.token("")
	if a := serve(t, h, "Bearer "+old); a.status != 200 {
		t.Fatalf("old key: %d %s", a.status, a.raw)
	}

	// Replace the signing key in the stack's key file (-data keeps it
	// there; the stack rereads the file when it changes): the new key
	// signs from now on, the old one is retired but still verifies.
	ctx := context.Background()
	keys := tokens.NewFileStore(dir, e.clock)
	ring, err := keys.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next, err := tokens.NewSigningKey(e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	ring.Keys = slices.Clone(ring.Keys)
	for i := range ring.Keys {
		ring.Keys[i].RetireAt = e.clock.Now()
	}
	ring.Keys = append(ring.Keys, next)
	if err := keys.Save(ctx, ring); err != nil {
		t.Fatal(err)
	}

	// Past the refetch limit (a minute), well within the JWKS TTL.
	e.clock.Advance(tokens.MinRefresh + time.Second)
	if e.clock.Now().Sub(epoch) >= tokens.DefaultJWKSTTL {
		t.Fatal("the test must stay within the JWKS TTL")
	}
	if a := serve(t, h, "Bearer "+old); a.status != 200 {
		t.Fatalf("old key again: %d %s", a.status, a.raw)
	}
	if _, jwks := m.n.calls(); jwks != 1 {
		t.Fatalf("a known kid refetched the JWKS: %d fetches", jwks)
	}
	fresh := d.token("")
	if kid(t, fresh) != next.KID || kid(t, old) == next.KID {
		t.Fatalf("kids: old %s, fresh %s, want fresh %s", kid(t, old), kid(t, fresh), next.KID)
	}
	if a := serve(t, h, "Bearer "+fresh); a.status != 200 {
		t.Fatalf("new key: %d %s", a.status, a.raw)
	}
	if auth, jwks := m.n.calls(); jwks != 2 || auth != 0 {
		t.Fatalf("JWKS fetches %d (want 2), endpoint calls %d (want 0)", jwks, auth)
	}
}

func kid(t *testing.T, token string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		KID string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h.KID
}

// TestKeystormUnavailableIs503: when the endpoint cannot be reached, or
// answers 5xx, or the JWKS cannot be fetched, the middleware answers 503
// (never 200), says nothing of the cause, and logs it without the
// caller's credentials.
func TestKeystormUnavailableIs503(t *testing.T) {
	t.Run("endpoint answers 5xx", func(t *testing.T) {
		e := startStack(t, 5*time.Second, "")
		d := e.developer(e.appID, "tk421")
		d2 := e.developer(e.appID, "tk422")
		m := e.backend(nil)
		h := m.Middleware(echo)
		if a := serve(t, h, d.basic()); a.status != 200 {
			t.Fatalf("before: %d %s", a.status, a.raw)
		}
		// DynamoDB fails: the stack's authorizer still knows the admin
		// key from its cache, the endpoint's own reads fail.
		ms := e.s.Embedded.Server
		ms.EmulateFailure(miniserver.FailureConditionInternalServerError)
		defer ms.EmulateFailure(miniserver.FailureConditionNone)
		a := serve(t, h, d2.basic())
		a.refused(t, 503, 8501)
		if a.header.Get("Retry-After") == "" {
			t.Fatalf("no Retry-After: %v", a.header)
		}
		checkLog(t, m, a, d2.secret)
		if !strings.Contains(m.log.String(), "status 503") {
			t.Fatalf("the endpoint did not answer 503: %s", m.log)
		}
		// An answer cached before the outage still serves.
		if a := serve(t, h, d.basic()); a.status != 200 {
			t.Fatalf("cached during the outage: %d %s", a.status, a.raw)
		}
	})
	t.Run("endpoint down", func(t *testing.T) {
		e := startStack(t, 5*time.Second, "")
		d := e.developer(e.appID, "tk421")
		tok := d.token("")
		m := e.backend(nil)
		h := m.Middleware(echo)
		e.srv.Close()
		a := serve(t, h, d.basic())
		a.refused(t, 503, 8501)
		checkLog(t, m, a, d.secret)
		// The JWKS was never fetched: a token cannot be judged either.
		a = serve(t, h, "Bearer "+tok)
		a.refused(t, 503, 8501)
		checkLog(t, m, a, tok)
	})
	t.Run("wrong admin key", func(t *testing.T) {
		e := startStack(t, 5*time.Second, "")
		d := e.developer(e.appID, "tk421")
		m := e.backend(func(c *backend.Config) { c.AdminKeyID, c.AdminKeySecret = d.keyID, d.secret })
		a := serve(t, m.Middleware(echo), d.basic())
		a.refused(t, 503, 8501)
		if !strings.Contains(m.log.String(), "status 403") {
			t.Fatalf("log lacks the endpoint's status: %s", m.log)
		}
	})
}

// checkLog: the refusal was logged under its requestId, with the cause,
// and neither the answer nor the log holds the caller's secret, nor the
// answer any internal detail.
func checkLog(t *testing.T, m mw, a answer, secret string) {
	t.Helper()
	log := m.log.String()
	if !strings.Contains(log, `"requestId":"`+a.body.RequestID+`"`) || !strings.Contains(log, `"err":"`) {
		t.Fatalf("log lacks the requestId or the cause: %s", log)
	}
	if strings.Contains(log, secret) || strings.Contains(log, "Basic ") || strings.Contains(log, "Bearer ") {
		t.Fatalf("log holds credentials: %s", log)
	}
	for _, leak := range []string{"dial", "refused", "127.0.0.1", "status", "authenticate", secret} {
		if strings.Contains(a.body.Message+a.body.DeveloperMessage, leak) {
			t.Fatalf("answer leaks %q: %s", leak, a.raw)
		}
	}
}

// TestMissingScopeIs403: a route that needs a scope refuses a key (keys
// carry none) and a token without it with 403, and takes a token with
// it.
func TestMissingScopeIs403(t *testing.T) {
	e := startStack(t, 5*time.Second, "")
	d := e.developer(e.appID, "tk421")
	d.grant(e.appID, scope)
	with, without := d.token(scope), d.token("")
	m := e.backend(nil)
	plain, scoped := m.Middleware(echo), m.RequireScope(scope)(echo)

	// A key: the endpoint says insufficient_scope.
	a := serve(t, scoped, d.basic())
	a.refused(t, 403, 8200)
	if auth, _ := m.n.calls(); auth != 1 || m.n.lastBody()["scope"] != scope {
		t.Fatalf("calls %d, sent %v", auth, m.n.lastBody())
	}
	// Cached for a plain route, the key is still refused on the scoped
	// one, without a call.
	if a := serve(t, plain, d.basic()); a.status != 200 {
		t.Fatalf("plain route: %d %s", a.status, a.raw)
	}
	serve(t, scoped, d.basic()).refused(t, 403, 8200)
	if auth, _ := m.n.calls(); auth != 2 {
		t.Fatalf("calls: %d, want 2", auth)
	}

	// Tokens: decided offline.
	a = serve(t, scoped, "Bearer "+without)
	a.refused(t, 403, 8200)
	if want := `Bearer realm="keystorm", error="insufficient_scope", scope="` + scope + `"`; a.challenges() != want {
		t.Fatalf("challenge %q, want %q", a.challenges(), want)
	}
	if a := serve(t, scoped, "Bearer "+with); a.status != 200 || a.id.Scope != scope {
		t.Fatalf("token with the scope: %d %s", a.status, a.raw)
	}
	if auth, _ := m.n.calls(); auth != 2 {
		t.Fatalf("tokens called the endpoint: %d calls", auth)
	}

	// Config.RequiredScope applies to Middleware itself.
	mr := e.backend(func(c *backend.Config) { c.RequiredScope = scope })
	serve(t, mr.Middleware(echo), "Bearer "+without).refused(t, 403, 8200)
	if a := serve(t, mr.Middleware(echo), "Bearer "+with); a.status != 200 {
		t.Fatalf("RequiredScope with the scope: %d %s", a.status, a.raw)
	}
}

// TestCheckBearerOnline: offline, a token of a disabled key passes until
// it expires (the documented limit); with CheckBearerOnline it stops
// within the cache TTL, at one call per token per TTL.
func TestCheckBearerOnline(t *testing.T) {
	e := startStack(t, 5*time.Second, "")
	d := e.developer(e.appID, "tk421")
	tok := d.token("")
	offline := e.backend(nil)
	online := e.backend(func(c *backend.Config) { c.CheckBearerOnline = true })
	hOff, hOn := offline.Middleware(echo), online.Middleware(echo)
	for range 2 {
		if a := serve(t, hOn, "Bearer "+tok); a.status != 200 || a.id.AuthType != "bearer" || a.id.TenantID != e.s.Boot.Tenant.ID {
			t.Fatalf("online: %d %s", a.status, a.raw)
		}
	}
	if auth, _ := online.n.calls(); auth != 1 {
		t.Fatalf("online calls: %d, want 1", auth)
	}
	d.setStatus("DISABLED")
	e.clock.Advance(5 * time.Second)
	a := serve(t, hOn, "Bearer "+tok)
	a.refused(t, 401, 401)
	if !strings.Contains(a.challenges(), `error="invalid_token"`) {
		t.Fatalf("challenges: %q", a.challenges())
	}
	if a := serve(t, hOff, "Bearer "+tok); a.status != 200 {
		t.Fatalf("offline verification cannot see the disabled key, yet refused: %d %s", a.status, a.raw)
	}
	if auth, _ := offline.n.calls(); auth != 0 {
		t.Fatalf("offline calls: %d", auth)
	}
}

// TestCacheIsBounded: with room for two answers, the third evicts the
// oldest.
func TestCacheIsBounded(t *testing.T) {
	e := startStack(t, 5*time.Second, "")
	ds := []dev{e.developer(e.appID, "tk421"), e.developer(e.appID, "tk422"), e.developer(e.appID, "tk423")}
	m := e.backend(func(c *backend.Config) { c.MaxCacheEntries = 2 })
	h := m.Middleware(echo)
	for i, d := range []dev{ds[0], ds[1], ds[2], ds[1], ds[2], ds[0]} {
		if a := serve(t, h, d.basic()); a.status != 200 {
			t.Fatalf("request %d: %d %s", i, a.status, a.raw)
		}
	}
	if auth, _ := m.n.calls(); auth != 4 {
		t.Fatalf("calls: %d, want 4 (3 misses, 2 hits, then the evicted first key)", auth)
	}
}

// TestConfig: what New refuses, and what it defaults.
func TestConfig(t *testing.T) {
	good := backend.Config{ManagementURL: "https://api.example.com", AdminKeyID: "ID", AdminKeySecret: "kss_x",
		ApplicationID: "APP", Issuer: "urn:keystorm:keystorm", AudiencePrefix: "urn:keystorm:keystorm:api", Clock: &manualClock{now: epoch}}
	if _, err := backend.New(good); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*backend.Config){
		"no clock":             func(c *backend.Config) { c.Clock = nil },
		"no management URL":    func(c *backend.Config) { c.ManagementURL = "" },
		"no admin key":         func(c *backend.Config) { c.AdminKeySecret = "" },
		"no application":       func(c *backend.Config) { c.ApplicationID = "" },
		"no issuer":            func(c *backend.Config) { c.Issuer = "" },
		"no audience":          func(c *backend.Config) { c.AudiencePrefix = "" },
		"URL with /v1":         func(c *backend.Config) { c.ManagementURL = "https://x.execute-api.eu-west-1.amazonaws.com/prod/v1" },
		"plain http":           func(c *backend.Config) { c.ManagementURL = "http://api.example.com" },
		"plain http JWKS":      func(c *backend.Config) { c.JWKSURL = "http://keys.example.com/jwks.json" },
		"relative URL":         func(c *backend.Config) { c.ManagementURL = "api.example.com" },
		"bad scope":            func(c *backend.Config) { c.RequiredScope = `a"b` },
		"bad realm":            func(c *backend.Config) { c.Realm = `a"b` },
		"negative cache bound": func(c *backend.Config) { c.MaxCacheEntries = -1 },
	} {
		c := good
		edit(&c)
		if _, err := backend.New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for name, edit := range map[string]func(*backend.Config){
		"loopback http":  func(c *backend.Config) { c.ManagementURL = "http://127.0.0.1:3000" },
		"localhost http": func(c *backend.Config) { c.ManagementURL = "http://localhost:3000/" },
		"insecure http":  func(c *backend.Config) { c.ManagementURL, c.AllowInsecureHTTP = "http://keystorm:3000", true },
	} {
		c := good
		edit(&c)
		if _, err := backend.New(c); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	c := good
	c.Clock = nil
	if _, err := backend.NewProduction(c); err != nil {
		t.Fatalf("NewProduction without a clock: %v", err)
	}
	b, _ := backend.New(good)
	defer func() {
		if recover() == nil {
			t.Error("RequireScope accepted a bad scope")
		}
	}()
	b.RequireScope(`a\b`)
}
