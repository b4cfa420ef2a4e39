package tokens

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/keystorm/keystorm/domain"
)

// FuzzVerify feeds arbitrary strings to Verify: it must never panic,
// every refusal must be ErrInvalidToken (the key source never fails
// here), and it may accept only the exact signed content (header and
// payload) of a token the ring's key signed.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	k := fx.current(f)
	signed := map[string]bool{}
	add := func(tok string) {
		signed[signingInput(tok)] = true
		f.Add(tok)
	}
	add(fx.sign(f, sampleToken(t0)))
	at := sampleToken(t0.Add(-time.Minute))
	at.Scopes, at.Admin = nil, true
	add(fx.sign(f, at))
	add(signRaw(f, jose.ES256, k.Private, k.KID, "application/at+jwt", goodClaims()))
	// Refused ones to mutate from.
	f.Add(signRaw(f, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), k.KID, "at+jwt", goodClaims()))
	f.Add(signRaw(f, jose.ES256, k.Private, k.KID, "JWT", goodClaims()))
	f.Add(b64json(f, map[string]string{"alg": "none", "kid": k.KID}) + "." + b64json(f, goodClaims()) + ".")
	for _, s := range []string{"", ".", "..", "a.b.c", "eyJ9.eyJ9.", strings.Repeat(".", 100)} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, token string) {
		got, err := fx.verifier.Verify(context.Background(), token)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalidToken) {
				t.Fatalf("refusal is not ErrInvalidToken: %v", err)
			}
			return
		}
		if i := strings.LastIndexByte(token, '.'); i < 0 || !signed[token[:i]] {
			t.Fatalf("accepted a token the ring did not sign: %q", token)
		}
		if got.Issuer != testIssuer || got.Audience != appAudience || got.TenantID == "" {
			t.Fatalf("accepted with claims %+v", got)
		}
	})
}
