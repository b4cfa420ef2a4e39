package domain_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// keyLife drives one key through expiry and rerolls, checking what the
// authorizer (no cache) and the token endpoint make of its secrets.
type keyLife struct {
	*grantEnv
	t   *testing.T
	key domain.CreatedAPIKey
}

func newKeyLife(t *testing.T, in domain.APIKeyInput) *keyLife {
	e := setupGrant(t)
	ck, err := e.svc.CreateAPIKey(context.Background(), e.admin, e.acc.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	return &keyLife{grantEnv: e, t: t, key: ck}
}

// basic reports whether the secret authenticates the key now.
func (l *keyLife) basic(secret string) bool {
	l.t.Helper()
	auth := &domain.KeyAuthenticator{Store: l.h.Store, Clock: l.clock}
	_, err := auth.Authenticate(context.Background(), l.key.Key.ID, secret)
	if err != nil && !errors.Is(err, domain.ErrUnauthenticated) {
		l.t.Fatal(err)
	}
	return err == nil
}

func (l *keyLife) issue(secret string) (domain.Issued, error) {
	return l.tokens.Issue(context.Background(), domain.TokenRequest{KeyID: l.key.Key.ID, Secret: secret, BaseURL: "https://keystorm.test"})
}

// bearer reports whether a signed token is accepted now, by an
// authenticator without cached decisions.
func (l *keyLife) bearer(signed string) bool {
	l.t.Helper()
	auth := &domain.TokenAuthenticator{Store: l.h.Store, Verifier: l.tokens.Verifier, Clock: l.clock}
	_, _, err := auth.Authenticate(context.Background(), signed)
	if err != nil && !errors.Is(err, domain.ErrUnauthenticated) {
		l.t.Fatal(err)
	}
	return err == nil
}

func TestKeyExpiry(t *testing.T) {
	ctx := context.Background()
	e := setupGrant(t)
	acc := e.acc
	// Not in the future: refused, nothing created.
	for _, at := range []time.Time{e.clock.Now().Add(-time.Hour), e.clock.Now()} {
		_, err := e.svc.CreateAPIKey(ctx, e.admin, acc.ID, domain.APIKeyInput{Expiry: &domain.Expiry{At: at}})
		wantKind(t, err, domain.KindInvalid)
	}
	l := newKeyLife(t, domain.APIKeyInput{Expiry: &domain.Expiry{At: e.clock.Now().Add(90*time.Minute + 500*time.Millisecond)}})
	expiresAt := l.key.Key.ExpiresAt
	if expiresAt.Nanosecond() != 0 || expiresAt.IsZero() {
		t.Fatalf("expiresAt %v: want whole seconds", expiresAt)
	}
	if !l.basic(l.key.Secret) {
		t.Fatal("a key before its expiry refused")
	}
	// The application's tokens live an hour: well inside the expiry.
	iss, err := l.issue(l.key.Secret)
	if err != nil || iss.Token.ExpiresAt.After(expiresAt) {
		t.Fatalf("issue: %v %+v", err, iss.Token)
	}
	// 45 minutes before expiry, a token is cut to the expiry.
	l.clock.Advance(45 * time.Minute)
	iss, err = l.issue(l.key.Secret)
	if err != nil || !iss.Token.ExpiresAt.Equal(expiresAt) || iss.ExpiresIn != int(expiresAt.Sub(iss.Token.IssuedAt)/time.Second) {
		t.Fatalf("token near expiry: %v exp %v (key %v), expires_in %d", err, iss.Token.ExpiresAt, expiresAt, iss.ExpiresIn)
	}
	cut := iss.Signed
	if !l.bearer(cut) {
		t.Fatal("a token of an unexpired key refused")
	}
	// Bringing the expiry forward ends the key's tokens with it.
	sooner := l.clock.Now().Add(10 * time.Minute)
	k, err := l.svc.UpdateAPIKey(ctx, l.admin, l.key.Key.ID, domain.APIKeyInput{Expiry: &domain.Expiry{At: sooner}})
	if err != nil || !k.ExpiresAt.Equal(sooner.Truncate(time.Second)) {
		t.Fatalf("update expiry: %v %v", err, k.ExpiresAt)
	}
	l.clock.Advance(11 * time.Minute)
	if l.basic(l.key.Secret) || l.bearer(cut) {
		t.Fatal("an expired key, or its token, still authenticates")
	}
	if _, err := l.issue(l.key.Secret); err == nil {
		t.Fatal("an expired key got a token")
	}
	// Lifting the expiry brings the key back (its token stays capped by
	// its own exp).
	if _, err := l.svc.UpdateAPIKey(ctx, l.admin, l.key.Key.ID, domain.APIKeyInput{Expiry: &domain.Expiry{}}); err != nil {
		t.Fatal(err)
	}
	if !l.basic(l.key.Secret) {
		t.Fatal("a key whose expiry was lifted refused")
	}
	if got, _ := l.svc.GetAPIKey(ctx, l.admin, l.key.Key.ID); !got.ExpiresAt.IsZero() {
		t.Fatalf("expiry not lifted: %v", got.ExpiresAt)
	}
	// An update without expiresAt leaves it; an update in the past is
	// refused.
	_, err = l.svc.UpdateAPIKey(ctx, l.admin, l.key.Key.ID, domain.APIKeyInput{Expiry: &domain.Expiry{At: l.clock.Now().Add(-time.Second)}})
	wantKind(t, err, domain.KindInvalid)
}

func TestKeyRerollWithGrace(t *testing.T) {
	ctx := context.Background()
	l := newKeyLife(t, domain.APIKeyInput{})
	id, old := l.key.Key.ID, l.key.Secret
	for _, g := range []time.Duration{-time.Second, domain.MaxRerollGrace + time.Second, 1500 * time.Millisecond} {
		_, err := l.svc.RerollAPIKey(ctx, l.admin, id, g)
		wantKind(t, err, domain.KindInvalid)
	}
	before, err := l.issue(old) // a token of the old secret, from before the reroll
	if err != nil {
		t.Fatal(err)
	}
	// A grace well inside the tokens' hour, so that a token still
	// within its exp is what the end of the grace must refuse.
	r, err := l.svc.RerollAPIKey(ctx, l.admin, id, 20*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	graceEnd := r.Key.PreviousValidUntil
	if r.Key.ID != id || r.Secret == "" || r.Secret == old || !domain.WellFormedSecret(r.Secret) || r.Key.Generation != 1 || graceEnd.IsZero() {
		t.Fatalf("reroll: %+v", r.Key)
	}
	if !l.basic(old) || !l.basic(r.Secret) {
		t.Fatal("within the grace both secrets must work")
	}
	// A token issued on the old secret during the grace ends with it;
	// one on the new secret does not.
	l.clock.Advance(10 * time.Minute)
	during, err := l.issue(old)
	if err != nil || during.Token.ExpiresAt.After(graceEnd) || during.Token.SecretGeneration != 0 {
		t.Fatalf("old-secret token in grace: %v %+v (grace ends %v)", err, during.Token, graceEnd)
	}
	fresh, err := l.issue(r.Secret)
	if err != nil || fresh.Token.SecretGeneration != 1 {
		t.Fatalf("new-secret token: %v %+v", err, fresh.Token)
	}
	if !l.bearer(before.Signed) || !l.bearer(during.Signed) || !l.bearer(fresh.Signed) {
		t.Fatal("within the grace every token must work")
	}
	// Past the grace: the old secret and every token issued for it end;
	// the new secret and its token go on.
	l.clock.Advance(11 * time.Minute)
	if !before.Token.ExpiresAt.After(l.clock.Now()) {
		t.Fatal("the test needs a token still within its exp")
	}
	if l.basic(old) || l.bearer(before.Signed) || l.bearer(during.Signed) {
		t.Fatal("the old secret, or a token issued for it, outlived the grace")
	}
	if _, err := l.issue(old); err == nil {
		t.Fatal("the old secret got a token after its grace")
	}
	if !l.basic(r.Secret) || !l.bearer(fresh.Signed) {
		t.Fatal("the new secret or its token refused")
	}
	// A second reroll during a grace ends the secret in grace at once:
	// only the one just replaced may be in grace.
	r2, err := l.svc.RerollAPIKey(ctx, l.admin, id, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	r3, err := l.svc.RerollAPIKey(ctx, l.admin, id, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if l.basic(r.Secret) || !l.basic(r2.Secret) || !l.basic(r3.Secret) || l.bearer(fresh.Signed) {
		t.Fatal("after two rerolls only the last two secrets may work, and tokens of older ones not at all")
	}
	// No grace: the replaced secret and its tokens end at once.
	tok3, err := l.issue(r3.Secret)
	if err != nil {
		t.Fatal(err)
	}
	r4, err := l.svc.RerollAPIKey(ctx, l.admin, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if l.basic(r3.Secret) || l.basic(r2.Secret) || l.bearer(tok3.Signed) || !l.basic(r4.Secret) || !r4.Key.PreviousValidUntil.IsZero() {
		t.Fatalf("a reroll without grace left the old secret or its token working: %+v", r4.Key)
	}
	// The events record every reroll.
	k, err := l.svc.GetAPIKey(ctx, l.admin, id)
	if err != nil || k.Generation != 4 {
		t.Fatalf("generation %d: %v", k.Generation, err)
	}
}

// A reroll replayed under its Idempotency-Key answers the same key
// without a secret: the secret was shown once, and no second reroll ran.
func TestKeyRerollIdempotent(t *testing.T) {
	ctx := context.Background()
	l := newKeyLife(t, domain.APIKeyInput{})
	c := l.admin
	c.IdempotencyKey, c.Fingerprint = "reroll-1", "POST /v1/apiKeys/x/reroll"
	first, err := l.svc.RerollAPIKey(ctx, c, l.key.Key.ID, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	again, err := l.svc.RerollAPIKey(ctx, c, l.key.Key.ID, time.Minute)
	if err != nil || again.Secret != "" || again.Key.Generation != 1 || first.Key.Generation != 1 {
		t.Fatalf("replay: %v %+v", err, again)
	}
	if !l.basic(first.Secret) {
		t.Fatal("the rerolled secret refused")
	}
}

// A session may reroll its own account's keys, never another's (404).
func TestKeyRerollBySession(t *testing.T) {
	ctx := context.Background()
	l := newKeyLife(t, domain.APIKeyInput{})
	self := domain.Caller{TenantID: l.boot.Tenant.ID, AccountID: l.acc.ID, Session: "s1"}
	if _, err := l.svc.RerollAPIKey(ctx, self, l.key.Key.ID, 0); err != nil {
		t.Fatal(err)
	}
	other := l.account(t, "tk421")
	ok, err := l.svc.CreateAPIKey(ctx, l.admin, other.ID, domain.APIKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.svc.RerollAPIKey(ctx, self, ok.Key.ID, 0)
	wantKind(t, err, domain.KindNotFound)
	if k, err := l.svc.GetAPIKey(ctx, l.admin, ok.Key.ID); err != nil || k.Generation != 0 {
		t.Fatalf("another account's key was rerolled: %v %+v", err, k)
	}
}

// A warm authorizer cache takes a rerolled key's new secret a second
// after it last read the key, not a whole TTL later; the old secret, as
// a disabled key, stops within the TTL.
func TestRerolledSecretOnWarmCache(t *testing.T) {
	ctx := context.Background()
	l := newKeyLife(t, domain.APIKeyInput{})
	auth := &domain.KeyAuthenticator{Store: l.h.Store, Clock: l.clock, TTL: 5 * time.Minute}
	if _, err := auth.Authenticate(ctx, l.key.Key.ID, l.key.Secret); err != nil {
		t.Fatal(err)
	}
	r, err := l.svc.RerollAPIKey(ctx, l.admin, l.key.Key.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	l.clock.Advance(1100 * time.Millisecond)
	if _, err := auth.Authenticate(ctx, l.key.Key.ID, r.Secret); err != nil {
		t.Fatalf("the new secret on a warm cache: %v", err)
	}
	if _, err := auth.Authenticate(ctx, l.key.Key.ID, l.key.Secret); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("the old secret after the cache read the reroll: %v", err)
	}
}
