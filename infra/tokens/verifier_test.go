package tokens

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/keystorm/keystorm/domain"
)

// signRaw signs arbitrary claims with any key, alg and typ through
// go-jose: the way to build well-signed tokens that break one rule.
func signRaw(t testing.TB, alg jose.SignatureAlgorithm, key any, kid, typ string, claims any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// goodClaims are the claims of a valid token at t0, as a map to edit.
func goodClaims() map[string]any {
	return map[string]any{
		"iss": testIssuer, "aud": appAudience, "sub": "https://keystorm.test/v1/accounts/acc_1",
		"client_id": "KEY1", "jti": "tok_1", "tenant_id": "ten_1", "application_id": "app_1",
		"iat": t0.Unix(), "nbf": t0.Unix(), "exp": t0.Add(time.Hour).Unix(),
	}
}

func (f *fixture) current(t testing.TB) SigningKey {
	t.Helper()
	k, err := f.ring.Current(f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignVerifyRoundTrip(t *testing.T) {
	f := newFixture(t)
	want := sampleToken(t0)
	tok := f.sign(t, want)

	h, p, _ := segments(t, tok)
	if h["alg"] != "ES256" || h["typ"] != "at+jwt" || h["kid"] != f.current(t).KID || len(h) != 3 {
		t.Errorf("header = %v", h)
	}
	wantPayload := map[string]any{
		"iss": testIssuer, "aud": appAudience, "sub": want.Subject, "client_id": want.ClientID,
		"exp": float64(t0.Add(time.Hour).Unix()), "iat": float64(t0.Unix()), "nbf": float64(t0.Unix()),
		"jti": want.JTI, "scope": "view_others_equipment read", "tenant_id": "ten_1",
		"application_id": "app_1", "account_id": "acc_1", "admin": false,
	}
	if !reflect.DeepEqual(p, wantPayload) {
		t.Errorf("payload = %v\nwant      %v", p, wantPayload)
	}

	f.clock.Add(30 * time.Minute)
	got, err := f.verifier.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("verified %+v\nwant     %+v", got, want)
	}
}

func TestScopeOmittedWhenEmptyAndAdminKept(t *testing.T) {
	f := newFixture(t)
	at := sampleToken(t0)
	at.Scopes, at.Admin = nil, true
	_, p, _ := segments(t, f.sign(t, at))
	if _, ok := p["scope"]; ok {
		t.Errorf("scope present: %v", p)
	}
	if p["admin"] != true {
		t.Errorf("admin = %v", p["admin"])
	}
	got, err := f.verifier.Verify(context.Background(), f.sign(t, at))
	if err != nil || got.Scopes != nil || !got.Admin {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestTypAcceptsMediaTypeFormsCaseInsensitively(t *testing.T) {
	f := newFixture(t)
	k := f.current(t)
	for _, typ := range []string{"at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"} {
		tok := signRaw(t, jose.ES256, k.Private, k.KID, typ, goodClaims())
		if _, err := f.verifier.Verify(context.Background(), tok); err != nil {
			t.Errorf("typ %q: %v", typ, err)
		}
	}
}

func TestRejectAlgNone(t *testing.T) {
	f := newFixture(t)
	kid := f.current(t).KID
	for _, alg := range []string{"none", "None", "NONE"} {
		h := b64json(t, map[string]any{"alg": alg, "typ": "at+jwt", "kid": kid})
		tok := h + "." + b64json(t, goodClaims()) + "."
		_, err := f.verifier.Verify(context.Background(), tok)
		wantInvalid(t, err)
	}
}

// An attacker who knows the public key signs with HS256, using the key as
// the HMAC secret, hoping a verifier feeds the "key" to HMAC.
func TestRejectHMACConfusion(t *testing.T) {
	f := newFixture(t)
	k := f.current(t)
	pubJWK, err := json.Marshal(jose.JSONWebKey{Key: &k.Private.PublicKey, KeyID: k.KID, Algorithm: "ES256", Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	point, err := k.Private.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := JWKS(f.ring)
	if err != nil {
		t.Fatal(err)
	}
	for name, secret := range map[string][]byte{"jwk": pubJWK, "point": point, "jwks": jwks} {
		for _, alg := range []jose.SignatureAlgorithm{jose.HS256, jose.HS384, jose.HS512} {
			tok := signRaw(t, alg, secret, k.KID, "at+jwt", goodClaims())
			_, err := f.verifier.Verify(context.Background(), tok)
			wantInvalid(t, err)
			if !strings.Contains(err.Error(), "algorithm") {
				t.Errorf("%s/%s rejected for %v, want at the algorithm allow-list", name, alg, err)
			}
		}
	}
}

func TestRejectOtherAsymmetricAlgorithms(t *testing.T) {
	f := newFixture(t)
	kid := f.current(t).KID
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for alg, key := range map[jose.SignatureAlgorithm]any{jose.RS256: rsaKey, jose.PS256: rsaKey, jose.ES384: p384} {
		_, err := f.verifier.Verify(context.Background(), signRaw(t, alg, key, kid, "at+jwt", goodClaims()))
		wantInvalid(t, err)
	}
}

func TestRejectTamperedPayload(t *testing.T) {
	f := newFixture(t)
	parts := strings.Split(f.sign(t, sampleToken(t0)), ".")
	c := goodClaims()
	c["admin"] = true
	parts[1] = b64json(t, c)
	_, err := f.verifier.Verify(context.Background(), strings.Join(parts, "."))
	wantInvalid(t, err)
}

func TestRejectTamperedSignature(t *testing.T) {
	f := newFixture(t)
	parts := strings.Split(f.sign(t, sampleToken(t0)), ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 31, 32, 63} {
		bad := append([]byte(nil), sig...)
		bad[i] ^= 1
		parts[2] = base64.RawURLEncoding.EncodeToString(bad)
		_, err := f.verifier.Verify(context.Background(), strings.Join(parts, "."))
		wantInvalid(t, err)
	}
	parts[2] = base64.RawURLEncoding.EncodeToString(sig[:63])
	_, err = f.verifier.Verify(context.Background(), strings.Join(parts, "."))
	wantInvalid(t, err)
}

func TestRejectUnknownKid(t *testing.T) {
	f := newFixture(t)
	other, err := NewSigningKey(t0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.verifier.Verify(context.Background(), signRaw(t, jose.ES256, other.Private, other.KID, "at+jwt", goodClaims()))
	wantInvalid(t, err)
	if !strings.Contains(err.Error(), "unknown kid") {
		t.Errorf("err = %v", err)
	}
	// No kid at all.
	_, err = f.verifier.Verify(context.Background(), signRaw(t, jose.ES256, other.Private, "", "at+jwt", goodClaims()))
	wantInvalid(t, err)
}

// A foreign key that claims one of our kids fails the one signature check.
func TestRejectForeignKeyWithKnownKid(t *testing.T) {
	f := newFixture(t)
	other, err := NewSigningKey(t0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.verifier.Verify(context.Background(), signRaw(t, jose.ES256, other.Private, f.current(t).KID, "at+jwt", goodClaims()))
	wantInvalid(t, err)
}

func TestRejectExpired(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, sampleToken(t0))
	f.clock.Set(t0.Add(time.Hour + DefaultLeeway)) // last instant within leeway
	if _, err := f.verifier.Verify(context.Background(), tok); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	f.clock.Add(time.Second)
	_, err := f.verifier.Verify(context.Background(), tok)
	wantInvalid(t, err)
	if !errors.Is(err, jwt.ErrExpired) {
		t.Errorf("err = %v", err)
	}
}

func TestRejectNotYetValid(t *testing.T) {
	f := newFixture(t)
	k := f.current(t)
	c := goodClaims()
	c["nbf"] = t0.Add(10 * time.Minute).Unix()
	_, err := f.verifier.Verify(context.Background(), signRaw(t, jose.ES256, k.Private, k.KID, "at+jwt", c))
	wantInvalid(t, err)
	if !errors.Is(err, jwt.ErrNotValidYet) {
		t.Errorf("err = %v", err)
	}
}

func TestRejectIssuedInTheFuture(t *testing.T) {
	f := newFixture(t)
	// Within leeway: a signer whose clock runs 20 s ahead.
	ahead := f.sign(t, sampleToken(t0.Add(20*time.Second)))
	if _, err := f.verifier.Verify(context.Background(), ahead); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	k := f.current(t)
	c := goodClaims()
	delete(c, "nbf")
	c["iat"] = t0.Add(5 * time.Minute).Unix()
	_, err := f.verifier.Verify(context.Background(), signRaw(t, jose.ES256, k.Private, k.KID, "at+jwt", c))
	wantInvalid(t, err)
	if !errors.Is(err, jwt.ErrIssuedInTheFuture) {
		t.Errorf("err = %v", err)
	}
	f.verifier.Leeway = -1 // none
	_, err = f.verifier.Verify(context.Background(), ahead)
	wantInvalid(t, err)
}

func TestRejectWrongIssuer(t *testing.T) {
	f := newFixture(t)
	for _, iss := range []string{"https://evil.test", testIssuer + "/", strings.ToUpper(testIssuer), ""} {
		at := sampleToken(t0)
		at.Issuer = iss
		k := f.current(t)
		c := goodClaims()
		c["iss"] = iss
		_, err := f.verifier.Verify(context.Background(), signRaw(t, jose.ES256, k.Private, k.KID, "at+jwt", c))
		wantInvalid(t, err)
	}
}

func TestRejectWrongAudience(t *testing.T) {
	f := newFixture(t)
	k := f.current(t)
	// The bare deployment audience, another application's, and one that
	// does not match the token's own application_id are all refused.
	other := domain.ApplicationAudience(testAudience, "app_2")
	for _, aud := range []any{"https://other.test", testAudience, testAudience + "/x", other, appAudience + "x", []string{"a", "b"}, nil} {
		c := goodClaims()
		c["aud"] = aud
		_, err := f.verifier.Verify(context.Background(), signRaw(t, jose.ES256, k.Private, k.KID, "at+jwt", c))
		wantInvalid(t, err)
	}
	c := goodClaims()
	c["application_id"] = "app_2" // aud stays app_1's
	_, err := f.verifier.Verify(context.Background(), signRaw(t, jose.ES256, k.Private, k.KID, "at+jwt", c))
	wantInvalid(t, err)
	// RFC 9068 §4: an array holding our audience is accepted.
	c = goodClaims()
	c["aud"] = []string{"https://other.test", appAudience}
	if _, err := f.verifier.Verify(context.Background(), signRaw(t, jose.ES256, k.Private, k.KID, "at+jwt", c)); err != nil {
		t.Fatal(err)
	}
}

func TestRejectWrongTyp(t *testing.T) {
	f := newFixture(t)
	k := f.current(t)
	for _, typ := range []string{"", "JWT", "jwt", "at+jwt2", "application/jwt", "id_token+jwt"} {
		_, err := f.verifier.Verify(context.Background(), signRaw(t, jose.ES256, k.Private, k.KID, typ, goodClaims()))
		wantInvalid(t, err)
	}
}

func TestRejectMissingClaims(t *testing.T) {
	f := newFixture(t)
	k := f.current(t)
	for _, claim := range []string{"sub", "client_id", "jti", "tenant_id", "exp", "iat", "iss", "aud"} {
		c := goodClaims()
		delete(c, claim)
		_, err := f.verifier.Verify(context.Background(), signRaw(t, jose.ES256, k.Private, k.KID, "at+jwt", c))
		if err == nil || !errors.Is(err, domain.ErrInvalidToken) {
			t.Errorf("without %s: %v", claim, err)
		}
	}
}

func TestRejectWrongClaimTypes(t *testing.T) {
	f := newFixture(t)
	k := f.current(t)
	for claim, v := range map[string]any{"scope": []string{"a"}, "admin": "true", "exp": "tomorrow", "tenant_id": 7} {
		c := goodClaims()
		c[claim] = v
		_, err := f.verifier.Verify(context.Background(), signRaw(t, jose.ES256, k.Private, k.KID, "at+jwt", c))
		if err == nil || !errors.Is(err, domain.ErrInvalidToken) {
			t.Errorf("%s=%v: %v", claim, v, err)
		}
	}
}

// A token living longer than domain.MaxAccessTokenTTL could outlive its
// key's verification window; the verifier refuses it, the signer too.
func TestRejectOverlongLifetime(t *testing.T) {
	f := newFixture(t)
	k := f.current(t)
	c := goodClaims()
	c["exp"] = t0.Add(domain.MaxAccessTokenTTL + time.Second).Unix()
	_, err := f.verifier.Verify(context.Background(), signRaw(t, jose.ES256, k.Private, k.KID, "at+jwt", c))
	wantInvalid(t, err)

	at := sampleToken(t0)
	at.ExpiresAt = t0.Add(domain.MaxAccessTokenTTL + time.Second)
	if _, err := f.signer.Sign(context.Background(), at); err == nil {
		t.Fatal("signer issued an overlong token")
	}
}

func TestRejectGarbage(t *testing.T) {
	f := newFixture(t)
	good := f.sign(t, sampleToken(t0))
	for _, tok := range []string{
		"", ".", "..", "...", "a.b.c", "Bearer " + good, good + ".", good + " ", " " + good,
		strings.Replace(good, ".", "..", 1), "eyJhbGciOiJFUzI1NiJ9", "eyJ9.eyJ9.eyJ9",
		strings.Repeat("A", MaxTokenSize+1),
		// JWS JSON serialisation is not a compact token.
		`{"payload":"e30","signatures":[{"protected":"eyJhbGciOiJFUzI1NiJ9","signature":"AA"}]}`,
	} {
		_, err := f.verifier.Verify(context.Background(), tok)
		wantInvalid(t, err)
	}
}

// Once its verification window has passed and the ring was rotated, a
// key's tokens are refused for their unknown kid (and would be expired).
func TestRejectRotatedOutKey(t *testing.T) {
	f := newFixture(t)
	old := f.sign(t, sampleToken(t0))
	f.clock.Add(30 * 24 * time.Hour)
	ring, changed, err := RotateStore(context.Background(), f.store, f.clock.Now(), 30*24*time.Hour)
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	v := NewVerifier(ring, testIssuer, testAudience, f.clock)
	v.Leeway = 100 * 24 * time.Hour // leeway so large that only the kid can refuse it
	if _, err := v.Verify(context.Background(), old); err != nil {
		t.Fatalf("within the window: %v", err)
	}
	f.clock.Add(PublishAhead + VerifyWindow)
	ring, _, err = RotateStore(context.Background(), f.store, f.clock.Now(), 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	v.Keys = ring
	_, err = v.Verify(context.Background(), old)
	wantInvalid(t, err)
	if !strings.Contains(err.Error(), "unknown kid") {
		t.Errorf("err = %v", err)
	}
}

// When the key source cannot answer, Verify says so rather than calling
// the token invalid: the caller denies, but as an outage.
func TestKeySourceFailureIsNotInvalidToken(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, sampleToken(t0))
	down := errors.New("jwks endpoint down")
	src := NewJWKSSource(func(context.Context) ([]byte, error) { return nil, down }, f.clock)
	v := NewVerifier(src, testIssuer, testAudience, f.clock)
	_, err := v.Verify(context.Background(), tok)
	if err == nil || errors.Is(err, domain.ErrInvalidToken) || !errors.Is(err, down) {
		t.Fatalf("err = %v", err)
	}
}

func TestVerifierWithoutIssuerOrAudienceRefuses(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, sampleToken(t0))
	for _, v := range []*Verifier{NewVerifier(f.ring, "", testAudience, f.clock), NewVerifier(f.ring, testIssuer, "", f.clock), NewVerifier(nil, testIssuer, testAudience, f.clock), NewVerifier(f.ring, testIssuer, testAudience, nil)} {
		if _, err := v.Verify(context.Background(), tok); err == nil || errors.Is(err, domain.ErrInvalidToken) {
			t.Errorf("err = %v", err)
		}
	}
}

func TestSignerRefusesIncompleteTokens(t *testing.T) {
	f := newFixture(t)
	edits := []func(*domain.AccessToken){
		func(a *domain.AccessToken) { a.Issuer = "" },
		func(a *domain.AccessToken) { a.Audience = "" },
		func(a *domain.AccessToken) { a.Subject = "" },
		func(a *domain.AccessToken) { a.ClientID = "" },
		func(a *domain.AccessToken) { a.JTI = "" },
		func(a *domain.AccessToken) { a.TenantID = "" },
		func(a *domain.AccessToken) { a.IssuedAt = time.Time{} },
		func(a *domain.AccessToken) { a.ExpiresAt = a.IssuedAt },
		func(a *domain.AccessToken) { a.Scopes = []string{"a b"} },
		func(a *domain.AccessToken) { a.Scopes = []string{""} },
	}
	for i, edit := range edits {
		at := sampleToken(t0)
		edit(&at)
		if _, err := f.signer.Sign(context.Background(), at); err == nil {
			t.Errorf("edit %d: signed", i)
		}
	}
}

// Verification goes through the one key the kid names: a source that
// counts lookups sees exactly one per Verify.
func TestOneKeyLookupPerVerify(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, sampleToken(t0))
	src := &countingSource{ring: f.ring}
	v := NewVerifier(src, testIssuer, testAudience, f.clock)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	if src.n != 1 {
		t.Fatalf("%d key lookups", src.n)
	}
}

type countingSource struct {
	ring Keyring
	n    int
}

func (c *countingSource) PublicKey(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	c.n++
	return c.ring.PublicKey(ctx, kid)
}
