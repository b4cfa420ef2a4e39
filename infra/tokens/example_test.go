package tokens_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/tokens"
)

// Issue a token with the ring's current key and verify it offline with
// nothing but the published JWKS.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := domain.ClockFunc(func() time.Time { return now })

	// The token endpoint's side: private keys (a file or a secret on AWS).
	store := tokens.NewFileStore("", clock) // "" keeps the ring in memory
	signer := tokens.NewSigner(store, clock)
	token, err := signer.Sign(ctx, domain.AccessToken{
		// The aud binds the token to its application (here app_1).
		JTI: "tok_1", Issuer: "https://keystorm.example", Audience: domain.ApplicationAudience("https://api.example", "app_1"),
		Subject: "https://keystorm.example/v1/accounts/acc_1", ClientID: "KEY1",
		TenantID: "ten_1", ApplicationID: "app_1", AccountID: "acc_1",
		Scopes:   []string{"view_others_equipment"},
		IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	})
	if err != nil {
		panic(err)
	}

	// The resource server's side: the JWKS only.
	ring, _ := store.Load(ctx)
	jwks, _ := tokens.JWKS(ring)
	keys, _ := tokens.StaticJWKS(jwks)
	verifier := tokens.NewVerifier(keys, "https://keystorm.example", "https://api.example", clock)

	at, err := verifier.Verify(ctx, token)
	fmt.Println(at.Subject, at.ClientID, at.TenantID, at.Audience, at.Scope(), err)

	now = now.Add(2 * time.Hour)
	_, err = verifier.Verify(ctx, token)
	fmt.Println(errors.Is(err, domain.ErrInvalidToken))
	// Output:
	// https://keystorm.example/v1/accounts/acc_1 KEY1 ten_1 https://api.example:application:app_1 view_others_equipment <nil>
	// true
}
