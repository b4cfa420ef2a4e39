package tokens

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

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

// joseVerify is the verifier as it was before splitJWS: go-jose's parser
// with the ES256 allow-list, then the same claim checks. It is the
// reference FuzzVerifyAgreesWithJose holds the lean parse to.
func joseVerify(v *Verifier, token string) (domain.AccessToken, error) {
	if len(token) > MaxTokenSize {
		return domain.AccessToken{}, invalid("token too large", nil)
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{Algorithm})
	if err != nil || len(tok.Headers) != 1 {
		return domain.AccessToken{}, invalid("parse", err)
	}
	h := tok.Headers[0]
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	if h.Algorithm != string(Algorithm) || h.KeyID == "" ||
		!strings.EqualFold(typ, TokenType) && !strings.EqualFold(typ, "application/"+TokenType) {
		return domain.AccessToken{}, invalid("header", nil)
	}
	key, err := v.Keys.PublicKey(context.Background(), h.KeyID)
	if err != nil {
		return domain.AccessToken{}, invalid("key", err)
	}
	var c accessClaims
	if err := tok.Claims(key, &c); err != nil {
		return domain.AccessToken{}, invalid("claims", err)
	}
	return v.check(&c)
}

// FuzzVerifyAgreesWithJose: the verifier accepts exactly the tokens
// go-jose's parser and the same checks accept, with the same claims. A
// token go-jose alone refuses may still be refused by Verify (its parse
// is stricter: canonical base64url, no crit or b64 header), never the
// other way round.
func FuzzVerifyAgreesWithJose(f *testing.F) {
	fx := newFixture(f)
	k := fx.current(f)
	good := fx.sign(f, sampleToken(t0))
	f.Add(good)
	f.Add(signRaw(f, jose.ES256, k.Private, k.KID, "application/at+jwt", goodClaims()))
	f.Add(signRaw(f, jose.ES256, k.Private, k.KID, "JWT", goodClaims()))
	f.Add(signRaw(f, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), k.KID, "at+jwt", goodClaims()))
	f.Add(good + "=")
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Fuzz(func(t *testing.T, token string) {
		got, err := fx.verifier.Verify(context.Background(), token)
		ref, refErr := joseVerify(fx.verifier, token)
		if err == nil && refErr != nil {
			t.Fatalf("Verify accepted what go-jose refuses (%v): %q", refErr, token)
		}
		if err == nil && got.JTI != ref.JTI {
			t.Fatalf("claims differ: %+v vs %+v", got, ref)
		}
		if err != nil && refErr == nil {
			// Stricter is allowed only for non-canonical encodings: a
			// token as the Signer writes it must pass both.
			if token == good {
				t.Fatalf("Verify refused a good token: %v", err)
			}
		}
	})
}
