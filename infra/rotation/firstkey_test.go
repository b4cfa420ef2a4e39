package rotation_test

import (
	"context"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/rotation"
	"github.com/keystorm/keystorm/infra/tokens"
)

// emptyStore is a key store whose secret starts empty, as provisioned.
type emptyStore struct{ ring tokens.Keyring }

func (s *emptyStore) Load(context.Context) (tokens.Keyring, error)   { return s.ring, nil }
func (s *emptyStore) Save(_ context.Context, r tokens.Keyring) error { s.ring = r; return nil }

func TestFirstKeySignerCreatesAndPublishesTheFirstKey(t *testing.T) {
	ctx := context.Background()
	clock := domain.SystemClock // the keys are new: any date works
	keys := &emptyStore{}
	var published []byte
	s := &rotation.FirstKeySigner{Signer: tokens.NewSigner(keys, clock), Keys: keys, Clock: clock,
		Publish: func(_ context.Context, doc []byte, _ time.Time) error { published = doc; return nil }}
	now := clock.Now().Truncate(time.Second)
	tok := domain.AccessToken{JTI: "j", Issuer: "iss", Audience: domain.ApplicationAudience("aud", "a"), Subject: "s", ClientID: "c", TenantID: "t", ApplicationID: "a",
		IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	signed, err := s.Sign(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.ring.Keys) != 1 || len(published) == 0 {
		t.Fatalf("ring %d keys, published %q", len(keys.ring.Keys), published)
	}
	src, err := tokens.StaticJWKS(published)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.NewVerifier(src, "iss", "aud", clock).Verify(ctx, signed); err != nil {
		t.Fatalf("token does not verify with the published JWKS: %v", err)
	}
}
