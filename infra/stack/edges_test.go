package stack_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/keystorm/keystorm/infra/httpapi"
)

// lockedBuffer is a log destination shared by the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestForgedPathsAcrossRoutes sends the paths that used to answer 502
// and print a forged log line, on the routes of four functions (a public
// OAuth route, two management routes, the example API), as an admin: all
// answer 400 in the API's error format, nothing is written, and every
// gateway log line is one JSON object.
func TestForgedPathsAcrossRoutes(t *testing.T) {
	c := start(t)
	var logs lockedBuffer
	c.s.Gateway.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	forged := `{"level":"ERROR","msg":"FORGED"}`
	payloads := []string{"x\n" + forged + "\n", "x\r" + forged, "x\r\n" + forged, "x\u2028" + forged, "x\u2029",
		"x\x1b[31m" + forged, "x\x00", "x\u0085", "x\xff", "x%0A" + forged, "x%zz"}
	acc := c.base + "/v1/accounts/" + c.s.Boot.Admin.ID
	routes := []struct{ method, before, after string }{
		{"POST", c.base + "/v1/applications/", "/oauth/token"},
		{"GET", c.base + "/v1/accounts/", ""},
		{"DELETE", acc + "/customData/", ""},
		{"GET", c.base + "/troopers/", "/equipment"},
	}
	events, views := c.eventCount(), c.viewCount()
	for _, p := range payloads {
		for _, rt := range routes {
			r := c.do(rt.method, rt.before+url.PathEscape(p)+rt.after, nil)
			if r.Status != 400 || code(t, r) != httpapi.CodeInvalidPath {
				t.Errorf("%s %q: %d %s", rt.method, rt.before+url.PathEscape(p)+rt.after, r.Status, r.Body)
			}
		}
	}
	if c.eventCount() != events || c.viewCount() != views {
		t.Fatal("a refused request wrote something")
	}
	lines := strings.Split(strings.TrimSuffix(logs.String(), "\n"), "\n")
	if len(lines) < len(payloads)*len(routes) {
		t.Fatalf("%d log lines", len(lines))
	}
	for _, line := range lines {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "request" || strings.Contains(line, `"msg":"FORGED"`) {
			t.Errorf("log line %q", line)
		}
	}
}

// TestHostHeaderNeverInHrefs forges Host and X-Forwarded-* on every kind
// of answer that carries a URL: hrefs and Location of a created
// resource, a collection's href, the current-tenant redirect, a token's
// sub, and the accountHref the example API gets from the authorizer. All
// start with the stack's public URL.
func TestHostHeaderNeverInHrefs(t *testing.T) {
	c := start(t)
	forge := func(cl *client, method, u, ctype, body string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, u, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "evil.example"
		req.Header.Set("X-Forwarded-Host", "evil.example")
		req.Header.Set("X-Forwarded-Proto", "gopher")
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.SetBasicAuth(cl.id, cl.secret)
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, b
	}
	want := func(what, got, prefix string) {
		t.Helper()
		if !strings.HasPrefix(got, prefix) {
			t.Errorf("%s %q does not start with %q", what, got, prefix)
		}
	}

	res, b := forge(c, "POST", c.app+"/accounts", "application/json",
		`{"givenName":"Joe","surname":"Stormtrooper","username":"tk421","email":"tk421@galacticempire.co","password":"Changeme1"}`)
	var acc map[string]any
	if res.StatusCode != 201 || json.Unmarshal(b, &acc) != nil {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	accHref, _ := acc["href"].(string)
	want("account href", accHref, c.base+"/v1/accounts/")
	if loc := res.Header.Get("Location"); loc != accHref {
		t.Errorf("Location %q, href %q", loc, accHref)
	}
	want("apiKeys link", href(acc, "apiKeys"), c.base+"/v1/accounts/")

	_, b = forge(c, "GET", c.app+"/accounts", "", "")
	var coll struct{ Href string }
	_ = json.Unmarshal(b, &coll)
	want("collection href", coll.Href, c.app+"/accounts")

	res, _ = forge(c, "GET", c.base+"/v1/tenants/current", "", "")
	want("tenant redirect", res.Header.Get("Location"), c.base+"/v1/tenants/")

	id, secret := c.newKey(acc)
	dev := c.as(id, secret)
	res, b = forge(dev, "POST", c.base+"/oauth/token", "application/x-www-form-urlencoded", "grant_type=client_credentials")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if res.StatusCode != 200 || json.Unmarshal(b, &tok) != nil || strings.Count(tok.AccessToken, ".") != 2 {
		t.Fatalf("token: %d %s", res.StatusCode, b)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok.AccessToken, ".")[1])
	var claims struct{ Sub string }
	if err != nil || json.Unmarshal(payload, &claims) != nil || claims.Sub != accHref {
		t.Errorf("token sub %q, want %q", claims.Sub, accHref)
	}

	res, b = forge(dev, "GET", c.base+"/troopers/tk421/equipment", "", "")
	var eq struct{ Caller struct{ AccountHref string } }
	if res.StatusCode != 200 || json.Unmarshal(b, &eq) != nil || eq.Caller.AccountHref != accHref {
		t.Errorf("example: %d accountHref %q, want %q (%s)", res.StatusCode, eq.Caller.AccountHref, accHref, b)
	}
	if strings.Contains(string(b), "evil.example") {
		t.Errorf("the forged host is in %s", b)
	}
}
