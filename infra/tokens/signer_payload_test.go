package tokens

import (
	"encoding/json"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/keystorm/keystorm/domain"
)

// builderPayload is the payload go-jose's jwt builder writes for t, as
// Sign wrote it before it marshalled signedClaims itself.
func builderPayload(t *testing.T, js jose.Signer, at domain.AccessToken) string {
	t.Helper()
	iat := jwt.NewNumericDate(at.IssuedAt)
	c := accessClaims{
		Claims: jwt.Claims{Issuer: at.Issuer, Subject: at.Subject, Audience: jwt.Audience{at.Audience},
			Expiry: jwt.NewNumericDate(at.ExpiresAt), NotBefore: iat, IssuedAt: iat, ID: at.JTI},
		ClientID: at.ClientID, Scope: at.Scope(), TenantID: at.TenantID, ApplicationID: at.ApplicationID,
		AccountID: at.AccountID, Admin: at.Admin,
	}
	tok, err := jwt.Signed(js).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	obj, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{Algorithm})
	if err != nil {
		t.Fatal(err)
	}
	return string(obj.UnsafePayloadWithoutVerification())
}

// TestSignedClaimsAsBuilder: the payload Sign marshals itself has the
// exact bytes the jwt builder wrote (member order, escaping, numbers), for
// tokens with and without the optional claims and with characters that
// JSON escapes.
func TestSignedClaimsAsBuilder(t *testing.T) {
	fx := newFixture(t)
	key, err := fx.ring.Current(t0)
	if err != nil {
		t.Fatal(err)
	}
	js, err := fx.signer.joseSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	admin := sampleToken(t0)
	admin.Admin, admin.Scopes = true, nil
	odd := sampleToken(t0.Add(1234567 * time.Second))
	odd.Scopes = []string{"a<b>&c", "d'e", "\u007e!#"}
	odd.Subject = "https://keystorm.test/v1/accounts/x?a=1&b=<2>"
	odd.AccountID = ""
	odd.ExpiresAt = odd.IssuedAt.Add(domain.MaxAccessTokenTTL)
	for name, at := range map[string]domain.AccessToken{"sample": sampleToken(t0), "admin without scope": admin, "escapes": odd} {
		got, err := json.Marshal(newSignedClaims(at))
		if err != nil {
			t.Fatal(err)
		}
		if want := builderPayload(t, js, at); string(got) != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
		// And Sign signs exactly those bytes.
		tok, err := fx.signer.Sign(t.Context(), at)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{Algorithm})
		if err != nil {
			t.Fatal(err)
		}
		if p := obj.UnsafePayloadWithoutVerification(); string(p) != string(got) {
			t.Errorf("%s: Sign's payload\n got %s\nwant %s", name, p, got)
		}
	}
}
