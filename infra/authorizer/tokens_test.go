package authorizer_test

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/tokens"
)

const (
	testIssuer   = "https://keystorm.test"
	testAudience = "https://troopers.test"
)

// testTokens is infra/tokens as the services use it: a Signer over an
// in-memory key store, and a Verifier over the JWKS published from the
// same keys (what the authorizer function reads). It counts Verify calls;
// tokens.Verifier makes exactly one signature check per call, against the
// key its kid names. kid and priv let tests forge tokens.
type testTokens struct {
	signer   *tokens.Signer
	verifier *tokens.Verifier
	jwks     []byte
	kid      string
	priv     *ecdsa.PrivateKey
	verifies atomic.Int64
}

const tokenLeeway = tokens.DefaultLeeway

// tokenClaims mirrors the token payload infra/tokens writes, so tests can
// forge variants of a good token.
type tokenClaims struct {
	jwt.Claims
	ClientID      string `json:"client_id"`
	Scope         string `json:"scope,omitempty"`
	TenantID      string `json:"tenant_id"`
	ApplicationID string `json:"application_id,omitempty"`
	AccountID     string `json:"account_id,omitempty"`
	Admin         bool   `json:"admin"`
}

func newTestTokens(t testing.TB, clock domain.Clock) *testTokens {
	t.Helper()
	ks := tokens.NewFileStore("", clock)
	ring, err := ks.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	key, err := ring.Current(clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := tokens.JWKS(ring)
	if err != nil {
		t.Fatal(err)
	}
	src, err := tokens.StaticJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	v := tokens.NewVerifier(src, testIssuer, testAudience, clock)
	return &testTokens{signer: tokens.NewSigner(ks, clock), verifier: v, jwks: doc, kid: key.KID, priv: key.Private}
}

func claimsOf(t domain.AccessToken) tokenClaims {
	return tokenClaims{
		Claims: jwt.Claims{Issuer: t.Issuer, Subject: t.Subject, Audience: jwt.Audience{t.Audience}, ID: t.JTI,
			IssuedAt: jwt.NewNumericDate(t.IssuedAt), NotBefore: jwt.NewNumericDate(t.IssuedAt), Expiry: jwt.NewNumericDate(t.ExpiresAt)},
		ClientID: t.ClientID, Scope: t.Scope(), TenantID: t.TenantID, ApplicationID: t.ApplicationID, AccountID: t.AccountID, Admin: t.Admin,
	}
}

// signClaims signs arbitrary claims with alg and key under kid, with the
// at+jwt type.
func signClaims(alg jose.SignatureAlgorithm, key any, kid string, c tokenClaims) (string, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{}).WithType(tokens.TokenType).WithHeader("kid", kid))
	if err != nil {
		return "", err
	}
	return jwt.Signed(s).Claims(c).Serialize()
}

func (k *testTokens) Sign(ctx context.Context, t domain.AccessToken) (string, error) {
	return k.signer.Sign(ctx, t)
}

func (k *testTokens) Verify(ctx context.Context, token string) (domain.AccessToken, error) {
	k.verifies.Add(1)
	return k.verifier.Verify(ctx, token)
}

// ids is a simple IDGenerator for the token service.
type ids struct{ n atomic.Int64 }

func (g *ids) NewID() string    { return fmt.Sprintf("jti%016d", g.n.Add(1)) }
func (g *ids) NewKeyID() string { return fmt.Sprintf("KEY%022d", g.n.Add(1)) }
