package stack_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/stack"
)

// TestBearerWalkthrough is the README's OAuth walkthrough: exchange a key
// for a token, call the protected API with it, get a scope through a
// group, and see the token refused once the key is disabled.
func TestBearerWalkthrough(t *testing.T) {
	c := startTTL(t, 5*time.Second)
	dev, acc := c.developer("tk421")
	// Without the scope: own equipment yes, another trooper's no.
	tok := dev.token("view_others_equipment")
	if tok["scope"] != "" || tok["token_type"] != "bearer" || tok["expires_in"].(float64) != 3600 {
		t.Fatalf("token %v", tok)
	}
	bearer := func(access string, path string) resp {
		return c.as("", "").do("GET", path, nil, "Authorization", "Bearer "+access)
	}
	if r := bearer(tok["access_token"].(string), "/troopers/tk421/equipment"); r.Status != 200 {
		t.Fatalf("own equipment with a token: %d %s", r.Status, r.Body)
	}
	if r := bearer(tok["access_token"].(string), "/troopers/tk422/equipment"); r.Status != 403 || code(t, r) != 8200 {
		t.Fatalf("another trooper without the scope: %d %s", r.Status, r.Body)
	}
	// Joining the group of that name grants the scope.
	g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "view_others_equipment"}))
	c.must(201, c.do("POST", "/v1/groupMemberships", map[string]any{"account": map[string]any{"href": acc["href"]}, "group": map[string]any{"href": g["href"]}}))
	officer := dev.token("view_others_equipment")
	if officer["scope"] != "view_others_equipment" {
		t.Fatalf("scope not granted: %v", officer)
	}
	access := officer["access_token"].(string)
	r := bearer(access, "/troopers/tk422/equipment")
	if r.Status != 200 || !strings.Contains(string(r.Body), `"authType":"bearer"`) {
		t.Fatalf("another trooper with the scope: %d %s", r.Status, r.Body)
	}
	// A developer's token never reaches the management API.
	if r := bearer(access, acc["href"].(string)); r.Status != 403 {
		t.Fatalf("developer token on management: %d", r.Status)
	}
	// An admin's token does.
	admin := c.token("")
	if r := bearer(admin["access_token"].(string), acc["href"].(string)); r.Status != 200 {
		t.Fatalf("admin token on management: %d %s", r.Status, r.Body)
	}
	// Disable the key: within the authorizer's TTL the token is refused.
	c.must(200, c.do("POST", c.base+"/v1/apiKeys/"+dev.id, map[string]any{"status": "DISABLED"}))
	c.clock.Advance(5 * time.Second)
	if r := bearer(access, "/troopers/tk422/equipment"); r.Status != 401 {
		t.Fatalf("token of a disabled key after the TTL: %d %s", r.Status, r.Body)
	}
	// Enabling the key again does not revive tokens issued before.
	c.clock.Advance(time.Second)
	c.must(200, c.do("POST", c.base+"/v1/apiKeys/"+dev.id, map[string]any{"status": "ENABLED"}))
	c.clock.Advance(5 * time.Second)
	if r := bearer(access, "/troopers/tk422/equipment"); r.Status != 401 {
		t.Fatalf("old token after re-enabling: %d %s", r.Status, r.Body)
	}
	fresh := dev.token("view_others_equipment")["access_token"].(string)
	if r := bearer(fresh, "/troopers/tk422/equipment"); r.Status != 200 {
		t.Fatalf("new token after re-enabling: %d %s", r.Status, r.Body)
	}
	// Narrowing the key's scopes applies to its live tokens too.
	c.must(200, c.do("POST", c.base+"/v1/apiKeys/"+dev.id, map[string]any{"scopes": []string{"read"}}))
	c.clock.Advance(5 * time.Second)
	if r := bearer(fresh, "/troopers/tk421/equipment"); r.Status != 401 {
		t.Fatalf("token with a scope the key no longer allows: %d %s", r.Status, r.Body)
	}
}

// TestTokensVerifyWithJose verifies a Keystorm token with a JWT library
// Keystorm does not use: jose, from npm, fetching the JWKS over HTTP like
// any resource server would.
func TestTokensVerifyWithJose(t *testing.T) {
	wd, _ := os.Getwd()
	tpl, err := stack.FindTemplate(wd)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(filepath.Dir(tpl), "scripts", "interop")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed: install Node.js, then run npm ci --prefix scripts/interop (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "jose", "package.json")); err != nil {
		t.Fatalf("jose is not installed: run npm ci --prefix scripts/interop (scripts/test does it) (%v)", err)
	}
	c := start(t)
	dev, acc := c.developer("tk421")
	g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "view_others_equipment"}))
	c.must(201, c.do("POST", "/v1/groupMemberships", map[string]any{"account": map[string]any{"href": acc["href"]}, "group": map[string]any{"href": g["href"]}}))
	tok := dev.token("view_others_equipment")["access_token"].(string)

	verifyWith := func(token, issuer, audience string) (map[string]any, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "verify.mjs"), c.base+"/.well-known/jwks.json", issuer, audience, token)
		cmd.Env = append(os.Environ(), "NO_PROXY=*", "no_proxy=*")
		out, err := cmd.CombinedOutput()
		var v map[string]any
		if err == nil {
			err = json.Unmarshal(out, &v)
		}
		return v, string(out), err
	}
	// A resource server bound to the application expects its audience.
	audience := domain.ApplicationAudience(stack.TokenAudience, c.app[strings.LastIndex(c.app, "/")+1:])
	verify := func(token, issuer string) (map[string]any, string, error) { return verifyWith(token, issuer, audience) }
	v, out, err := verify(tok, stack.TokenIssuer)
	if err != nil {
		t.Fatalf("jose refused a Keystorm token: %v\n%s", err, out)
	}
	header, _ := v["header"].(map[string]any)
	claims, _ := v["claims"].(map[string]any)
	if header["typ"] != "at+jwt" || header["alg"] != "ES256" || header["kid"] == "" ||
		claims["client_id"] != dev.id || claims["sub"] != acc["href"] || claims["scope"] != "view_others_equipment" {
		t.Fatalf("jose saw %v", v)
	}
	// And jose refuses what it should: a tampered token, a wrong issuer.
	// The tamper flips a bit of a decoded signature byte and re-encodes it.
	// Swapping base64url characters is not enough: the last character of a
	// 64-byte signature carries four unused bits, so a swap there leaves the
	// decoded signature unchanged and a lenient decoder rightly accepts it.
	parts := strings.Split(tok, ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) == 0 {
		t.Fatalf("signature of %q does not decode: %v", tok, err)
	}
	sig[len(sig)/2] ^= 0x01
	tampered := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	if _, out, err := verify(tampered, stack.TokenIssuer); err == nil {
		t.Fatalf("jose accepted a tampered token: %s", out)
	}
	if _, out, err := verifyWith(tok, stack.TokenIssuer, domain.ApplicationAudience(stack.TokenAudience, "another-application")); err == nil {
		t.Fatalf("jose accepted a token for another application's audience: %s", out)
	}
	if _, out, err := verify(tok, "https://someone-else.example"); err == nil {
		t.Fatalf("jose accepted a wrong issuer: %s", out)
	}
}
