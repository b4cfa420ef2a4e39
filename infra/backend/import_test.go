package backend_test

import (
	"crypto/sha512"
	"encoding/base64"
	"testing"
	"time"
)

// TestImportedKeyPasses: a key imported with a Stormpath secret passes
// the Go middleware on Basic; a secret that breaks the import rule is
// refused without a call, as a kss_ secret with a wrong checksum is.
func TestImportedKeyPasses(t *testing.T) {
	e := startStack(t, 5*time.Second, "")
	d := e.developer(e.appID, "tk421")
	sum := sha512.Sum512([]byte("tk421"))
	secret := base64.StdEncoding.EncodeToString(sum[:30])
	const id = "4M1QDS6GJ8XRQ3WH2P0KZ5LTB"
	k := e.manage("POST", d.accountHref+"/apiKeys", map[string]any{"id": id, "secret": secret}, 201)
	if k["imported"] != true {
		t.Fatalf("imported key %v", k)
	}
	m := e.backend(nil)
	h := m.Middleware(echo)
	if a := serve(t, h, basicHeader(id, secret)); a.status != 200 || a.id.APIKeyID != id {
		t.Fatalf("imported key: %d %s", a.status, a.raw)
	}
	if auth, _ := m.n.calls(); auth != 1 {
		t.Fatalf("endpoint calls: %d, want 1", auth)
	}
	serve(t, h, basicHeader(id, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")).refused(t, 401, 401)
	if auth, _ := m.n.calls(); auth != 1 {
		t.Fatalf("a secret that could be no key's was sent to the endpoint: %d calls", auth)
	}
}
