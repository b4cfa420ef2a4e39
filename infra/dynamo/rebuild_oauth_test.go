package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/embedded"
	"github.com/keystorm/keystorm/infra/tokens"
)

// TestRebuildKeepsOAuthState rebuilds after the OAuth events (an
// application's token policy, a key's scope limit, a disable and re-enable,
// a revoked token) and checks the rebuilt views equal the live ones, so
// revocations and policies survive a replay.
func TestRebuildKeepsOAuthState(t *testing.T) {
	ctx := context.Background()
	h := embedded.New(t)
	clock := domain.ClockFunc(time.Now)
	svc := domain.NewService(h.Store)
	svc.Hasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}
	boot, err := svc.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	admin := domain.Caller{TenantID: boot.Tenant.ID, AccountID: boot.Admin.ID, KeyID: boot.AdminKey.ID, Admin: true}
	ttl := 30 * time.Minute
	if _, err := svc.SetOAuthPolicy(ctx, admin, boot.Application.ID, domain.OAuthPolicyInput{AccessTokenTTL: &ttl}); err != nil {
		t.Fatal(err)
	}
	email, pw := "tk421@example.com", "Changeme1"
	acc, err := svc.CreateAccount(ctx, admin, boot.Application.ID, domain.AccountInput{Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateAPIKey(ctx, admin, acc.ID, domain.APIKeyInput{Scopes: &domain.ScopeLimit{Restricted: true, Scopes: []string{"read"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{"DISABLED", "ENABLED"} {
		if _, err := svc.UpdateAPIKey(ctx, admin, key.Key.ID, domain.APIKeyInput{Status: &st}); err != nil {
			t.Fatal(err)
		}
	}
	keys := tokens.NewFileStore("", clock)
	ts := &domain.TokenService{Store: h.Store, Signer: tokens.NewSigner(keys, clock),
		Verifier: tokens.NewVerifier(tokens.StoreKeys{Store: keys}, "iss", "aud", clock),
		Clock:    clock, IDs: domain.RandomIDs{}, Issuer: "iss", Audience: "aud"}
	iss, err := ts.Issue(ctx, domain.TokenRequest{KeyID: key.Key.ID, Secret: key.Secret, BaseURL: "http://h"})
	if err != nil {
		t.Fatal(err)
	}
	if iss.ExpiresIn != 1800 {
		t.Fatalf("policy TTL not used: %d", iss.ExpiresIn)
	}
	if err := ts.Revoke(ctx, key.Key.ID, key.Secret, "", iss.Signed); err != nil {
		t.Fatal(err)
	}
	live := views(t, h.Store)
	if _, err := h.Store.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if d := diffViews(live, views(t, h.Store), 10); d != "" {
		t.Fatalf("rebuilt views differ:\n%s", d)
	}
	rt := &domain.RevokedToken{}
	if err := h.Store.Load(ctx, domain.Ref{Kind: domain.KindToken, ID: iss.Token.JTI}, rt); err != nil || rt.APIKeyID != key.Key.ID {
		t.Fatalf("revocation lost in the rebuild: %v %+v", err, rt)
	}
	k := &domain.APIKey{}
	if err := h.Store.Load(ctx, domain.Ref{Kind: domain.KindAPIKey, ID: key.Key.ID}, k); err != nil || !k.ScopesRestricted || k.TokensValidAfter.IsZero() {
		t.Fatalf("key state lost in the rebuild: %v %+v", err, k)
	}
}
