package authorizer_test

import (
	"context"
	"crypto/sha512"
	"encoding/base64"
	"reflect"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authorizer"
)

// stormpathSecret is a secret as Stormpath exported them: base64 of
// random bytes (here of a hash, so the test repeats).
func stormpathSecret(seed string) string {
	sum := sha512.Sum512([]byte(seed))
	return base64.StdEncoding.EncodeToString(sum[:30])
}

// TestImportedKeyAtTheAuthorizer: a key imported with a Stormpath secret
// passes on Basic; a wrong secret for it costs one GetItem, as an unknown
// id does; a secret that could be no key's costs nothing and is not
// counted; wrong imported-shaped secrets are counted by the throttle.
func TestImportedKeyAtTheAuthorizer(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	const id = "4M1QDS6GJ8XRQ3WH2P0KZ5LTB"
	secret := stormpathSecret("tk421")
	if _, err := e.svc.CreateAPIKey(ctx, e.admin, e.dev.ID, domain.APIKeyInput{Import: &domain.KeyImport{ID: id, Secret: secret}}); err != nil {
		t.Fatal(err)
	}
	auth := e.handler(authorizer.Config{CacheTTL: 0})
	resp, err := auth.HandleRequest(ctx, request(authorizer.BasicHeader(id, secret)))
	wantAllow(t, resp, err, exampleRes)

	wrong := stormpathSecret("wrong")
	for _, h := range []string{authorizer.BasicHeader(id, wrong), authorizer.BasicHeader("ZZZZZZZZZZZZZZZZZZZZZZZZZ", wrong)} {
		e.h.Counter.Reset()
		resp, err := auth.HandleRequest(ctx, request(h))
		wantUnauthorized(t, resp, err)
		if got := e.h.Counter.Snapshot(); !reflect.DeepEqual(got, map[string]int64{"GetItem": 1}) {
			t.Fatalf("%s: %v DynamoDB calls, want one GetItem", h, got)
		}
	}
	e.h.Counter.Reset()
	for _, junk := range []string{"short", secret + secret + secret + secret} {
		resp, err := auth.HandleRequest(ctx, request(authorizer.BasicHeader(id, junk)))
		wantUnauthorized(t, resp, err)
	}
	if n := e.h.Counter.Total(); n != 0 {
		t.Fatalf("secrets that could be no key's cost %d DynamoDB calls", n)
	}

	from := func(header, ip string) eventsRequest {
		r := request(header)
		r.RequestContext.Identity.SourceIP = ip
		return r
	}
	// Junk is not counted as guesses...
	for range domain.DefaultPerKeyThrottle.Free + 1 {
		resp, err := auth.HandleRequest(ctx, from(authorizer.BasicHeader(id, "short"), "198.51.100.7"))
		wantUnauthorized(t, resp, err)
	}
	resp, err = auth.HandleRequest(ctx, from(authorizer.BasicHeader(id, secret), "198.51.100.7"))
	wantAllow(t, resp, err, exampleRes)
	// ...wrong imported-shaped secrets are.
	for range domain.DefaultPerKeyThrottle.Free + 1 {
		resp, err := auth.HandleRequest(ctx, from(authorizer.BasicHeader(id, wrong), "198.51.100.7"))
		wantUnauthorized(t, resp, err)
	}
	resp, err = auth.HandleRequest(ctx, from(authorizer.BasicHeader(id, secret), "198.51.100.7"))
	wantUnauthorized(t, resp, err)
	resp, err = auth.HandleRequest(ctx, from(authorizer.BasicHeader(id, secret), "203.0.113.9"))
	wantAllow(t, resp, err, exampleRes)
}
