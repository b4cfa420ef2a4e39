package stack_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

func lastSegment(href string) string { return href[strings.LastIndex(href, "/")+1:] }

func basicValue(user, pw string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pw))
}

// login posts a basic login attempt to the client's application.
func (c *client) login(user, pw string, extra ...string) resp {
	c.t.Helper()
	body := map[string]any{"type": "basic", "value": basicValue(user, pw)}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	return c.do("POST", c.app+"/loginAttempts", body)
}

// loginErr checks an error answer's status and code and returns its body
// without the requestId, for comparing two answers.
func loginErr(t *testing.T, r resp, status, want int) string {
	t.Helper()
	if r.Status != status || code(t, r) != want {
		t.Fatalf("status %d code %d, want %d/%d: %s", r.Status, code(t, r), status, want, r.Body)
	}
	m := r.json(t)
	delete(m, "requestId")
	b, _ := json.Marshal(m)
	return string(b)
}

// TestLoginAttempts runs Stormpath's login on both stores: success by
// username and email, expand=account, one answer for a wrong password and
// an unknown user, disabled and unverified accounts, malformed values,
// other tenants and developer keys, and the events it leaves.
func TestLoginAttempts(t *testing.T) {
	for name, start := range map[string]func(testing.TB) *client{
		"sqlite": start, "dynamodb": func(t testing.TB) *client { return startDynamo(t, 0) },
	} {
		t.Run(name, func(t *testing.T) { testLoginAttempts(t, start(t)) })
	}
}

func testLoginAttempts(t *testing.T, c *client) {
	acc := c.newAccount("tk421")
	self := acc["href"].(string)

	// Success: a link to the account, found by username (compared as
	// uniqueness compares it) or by email.
	for _, name := range []string{"tk421", "TK421", "tk421@galacticempire.co"} {
		got := c.must(200, c.login(name, "Changeme1"))
		if len(got) != 1 || href(got, "account") != self {
			t.Fatalf("%s: %v", name, got)
		}
		if m := got["account"].(map[string]any); len(m) != 1 {
			t.Fatalf("%s: account is not a bare link: %v", name, m)
		}
	}
	// expand=account: the account as GET renders it.
	r := c.do("POST", c.app+"/loginAttempts?expand=account", map[string]any{"type": "basic", "value": basicValue("tk421", "Changeme1")})
	exp := c.must(200, r)["account"]
	want := c.must(200, c.do("GET", self, nil))
	gotJSON, _ := json.Marshal(exp)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Fatalf("expanded account\n%s\nwant as GET renders it\n%s", gotJSON, wantJSON)
	}

	// Wrong password and unknown user: the same answer, nothing written.
	before := c.eventCount()
	wrong := loginErr(t, c.login("tk421", "Wrong-pass1"), 400, domain.CodeLoginFailed)
	unknown := loginErr(t, c.login("nobody", "Wrong-pass1"), 400, domain.CodeLoginFailed)
	if wrong != unknown {
		t.Fatalf("wrong password\n%s\nunknown user\n%s", wrong, unknown)
	}
	if !strings.Contains(wrong, "Invalid username or password.") {
		t.Fatalf("message: %s", wrong)
	}
	if n := c.eventCount(); n != before {
		t.Fatalf("failed logins wrote %d events", n-before)
	}

	// Disabled and unverified: their own codes, only with the password.
	dis := c.newAccount("disabled1")
	c.must(200, c.do("POST", dis["href"].(string), map[string]any{"status": "DISABLED"}))
	unv := c.must(201, c.do("POST", c.app+"/accounts", map[string]any{"username": "unverified1",
		"email": "unverified1@galacticempire.co", "password": "Changeme1", "status": "UNVERIFIED"}))
	for _, x := range []struct {
		user string
		code int
	}{{"disabled1", domain.CodeLoginDisabled}, {"unverified1", domain.CodeLoginUnverified}} {
		loginErr(t, c.login(x.user, "Changeme1"), 400, x.code)
		if got := loginErr(t, c.login(x.user, "Wrong-pass1"), 400, domain.CodeLoginFailed); got != wrong {
			t.Fatalf("%s with a wrong password: %s", x.user, got)
		}
	}

	// Malformed requests: their own codes, never 7100, nothing stored.
	before = c.eventCount()
	for name, x := range map[string]struct {
		body any
		code int
	}{
		"no type":     {map[string]any{"value": basicValue("tk421", "Changeme1")}, domain.CodeRequired},
		"other type":  {map[string]any{"type": "digest", "value": basicValue("tk421", "Changeme1")}, domain.CodeInvalidStatus},
		"no value":    {map[string]any{"type": "basic"}, domain.CodeRequired},
		"not base64":  {map[string]any{"type": "basic", "value": "tk421:Changeme1"}, domain.CodeInvalidValue},
		"no colon":    {map[string]any{"type": "basic", "value": base64.StdEncoding.EncodeToString([]byte("tk421"))}, domain.CodeInvalidValue},
		"not UTF-8":   {map[string]any{"type": "basic", "value": base64.StdEncoding.EncodeToString([]byte("tk421:\xff"))}, domain.CodeInvalidValue},
		"value type":  {map[string]any{"type": "basic", "value": 12}, domain.CodeWrongType},
		"unknown":     {map[string]any{"type": "basic", "value": basicValue("tk421", "Changeme1"), "password": "x"}, domain.CodeUnknownProperty},
		"bad address": {map[string]any{"type": "basic", "value": basicValue("tk421", "Changeme1"), "clientIp": "evil\n"}, domain.CodeInvalidValue},
		"too long":    {map[string]any{"type": "basic", "value": strings.Repeat("A", domain.MaxLoginValue+4)}, domain.CodeTooLong},
	} {
		r := c.do("POST", c.app+"/loginAttempts", x.body)
		if r.Status != 400 || code(t, r) != x.code {
			t.Errorf("%s: %d %s, want 400/%d", name, r.Status, r.Body, x.code)
		}
	}
	if r := c.do("POST", c.app+"/loginAttempts", "{"); r.Status != 400 || code(t, r) != domain.CodeMalformedJSON {
		t.Errorf("broken JSON: %d %s", r.Status, r.Body)
	}
	if n := c.eventCount(); n != before {
		t.Fatalf("malformed attempts wrote %d events", n-before)
	}

	// Another tenant's admin: 404. A developer key: 403, as on every
	// management route.
	other, err := c.s.Service.Bootstrap(context.Background(), domain.BootstrapInput{TenantName: "rebels"})
	if err != nil {
		t.Fatal(err)
	}
	loginErr(t, c.as(other.AdminKey.ID, other.AdminSecret).login("tk421", "Changeme1"), 404, domain.CodeNotFound)
	dev, _ := c.developer("dev1")
	loginErr(t, dev.login("tk421", "Changeme1"), 403, domain.CodeForbidden)
	loginErr(t, c.as("", "").login("tk421", "Changeme1"), 401, domain.CodeUnauthenticated)

	// The events: successes and refusals with the password, each with the
	// source and nothing of the request's secrets or names.
	streams, err := c.s.Store.ReadEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, envs := range streams {
		for _, env := range envs {
			if env.Type != events.TypeLoginSucceeded && env.Type != events.TypeLoginFailed {
				continue
			}
			counts[env.Stream+" "+env.Type]++
			for _, secret := range []string{"Changeme1", "tk421", "disabled1", "unverified1", "Wrong-pass1"} {
				if bytes.Contains(env.Data, []byte(secret)) {
					t.Errorf("event %s holds %q: %s", env.Type, secret, env.Data)
				}
			}
			if !bytes.Contains(env.Data, []byte(`"source":"127.0.0.1"`)) {
				t.Errorf("event %s has no source: %s", env.Type, env.Data)
			}
		}
	}
	want2 := map[string]int{
		"account#" + lastSegment(acc["href"].(string)) + " " + events.TypeLoginSucceeded: 4,
		"account#" + lastSegment(dis["href"].(string)) + " " + events.TypeLoginFailed:    1,
		"account#" + lastSegment(unv["href"].(string)) + " " + events.TypeLoginFailed:    1,
	}
	if len(counts) != len(want2) {
		t.Errorf("login events %v, want %v", counts, want2)
	}
	for k, n := range want2 {
		if counts[k] != n {
			t.Errorf("%s: %d events, want %d", k, counts[k], n)
		}
	}
	// A login does not move modifiedAt.
	if got := c.must(200, c.do("GET", self, nil)); got["modifiedAt"] != acc["modifiedAt"] {
		t.Errorf("modifiedAt %v, was %v", got["modifiedAt"], acc["modifiedAt"])
	}
}

// TestLoginThrottle: one address failing on an account waits (429, 8400,
// Retry-After), right password or not, while the owner elsewhere logs in;
// an address spraying names is throttled as a whole. Both stores.
func TestLoginThrottle(t *testing.T) {
	for name, start := range map[string]func(testing.TB) *client{
		"sqlite": start, "dynamodb": func(t testing.TB) *client { return startDynamo(t, 0) },
	} {
		t.Run(name, func(t *testing.T) { testLoginThrottle(t, start(t)) })
	}
}

func testLoginThrottle(t *testing.T, c *client) {
	c.newAccount("tk421")
	attacker, owner := c.from("127.0.0.2"), c.from("127.0.0.3")
	for range domain.DefaultPerKeyThrottle.Free + 1 {
		loginErr(t, attacker.login("tk421", "Wrong-pass1"), 400, domain.CodeLoginFailed)
	}
	r := attacker.login("tk421", "Changeme1")
	loginErr(t, r, 429, domain.CodeThrottled)
	if r.Header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After %q, want 1", r.Header.Get("Retry-After"))
	}
	// An empty clientIp is no way out.
	loginErr(t, attacker.login("tk421", "Changeme1", "clientIp", ""), 429, domain.CodeThrottled)
	owner.must(200, owner.login("tk421", "Changeme1"))
	// clientIp names the end user behind a backend: its own budget.
	attacker.must(200, attacker.login("tk421", "Changeme1", "clientIp", "203.0.113.7"))
	// Each further failure doubles the wait; after it, the right
	// password works again from there.
	c.clock.Advance(2 * time.Second)
	loginErr(t, attacker.login("tk421", "Wrong-pass1"), 400, domain.CodeLoginFailed)
	if r := attacker.login("tk421", "Changeme1"); r.Status != 429 || r.Header.Get("Retry-After") != "2" {
		t.Fatalf("second wait: %d Retry-After %q, want 429 and 2", r.Status, r.Header.Get("Retry-After"))
	}
	c.clock.Advance(3 * time.Second)
	attacker.must(200, attacker.login("tk421", "Changeme1"))

	// Spraying unknown names from one address: throttled as a source.
	sprayer := c.from("127.0.0.4")
	for i := range domain.DefaultPerSourceThrottle.Free + 1 {
		loginErr(t, sprayer.login("nobody"+strings.Repeat("x", i%7)+string(rune('a'+i%26)), "Wrong-pass1"), 400, domain.CodeLoginFailed)
	}
	loginErr(t, sprayer.login("tk421", "Changeme1"), 429, domain.CodeThrottled)
	c.from("127.0.0.5").must(200, c.from("127.0.0.5").login("tk421", "Changeme1"))
}
