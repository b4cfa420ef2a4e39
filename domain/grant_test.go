package domain_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/tokens"
)

// grantEnv is a token service that serves the password grant, with a
// verifier and an authenticator over the same keys and store.
type grantEnv struct {
	*env
	tokens *domain.TokenService
	auth   *domain.TokenAuthenticator
	acc    *domain.Account
}

func setupGrant(t testing.TB) *grantEnv {
	t.Helper()
	e := setup(t)
	keys := tokens.NewFileStore("", e.clock)
	verifier := tokens.NewVerifier(tokens.StoreKeys{Store: keys}, "https://keystorm.test", "keystorm", e.clock)
	ts := &domain.TokenService{Store: e.h.Store, Signer: tokens.NewSigner(keys, e.clock), Verifier: verifier,
		Clock: e.clock, IDs: domain.RandomIDs{}, Issuer: "https://keystorm.test", Audience: "keystorm", Accounts: e.svc}
	return &grantEnv{env: e, tokens: ts, auth: &domain.TokenAuthenticator{Store: e.h.Store, Verifier: verifier, Clock: e.clock},
		acc: e.account(t, "fn2187")}
}

func (e *grantEnv) password(user, pw string) (domain.SessionTokens, error) {
	return e.tokens.PasswordGrant(context.Background(), domain.PasswordRequest{
		ApplicationID: e.boot.Application.ID, Username: user, Password: pw, BaseURL: "https://keystorm.test", Source: "203.0.113.7"})
}

func (e *grantEnv) refresh(token string) (domain.SessionTokens, error) {
	return e.tokens.RefreshGrant(context.Background(), domain.RefreshRequest{
		ApplicationID: e.boot.Application.ID, RefreshToken: token, BaseURL: "https://keystorm.test", Source: "203.0.113.7"})
}

// live reports whether the authorizer accepts a signed token now.
func (e *grantEnv) live(t *testing.T, signed string) bool {
	t.Helper()
	e.auth = &domain.TokenAuthenticator{Store: e.h.Store, Verifier: e.tokens.Verifier, Clock: e.clock} // no cached decision
	p, _, err := e.auth.Authenticate(context.Background(), signed)
	switch {
	case errors.Is(err, domain.ErrUnauthenticated):
		return false
	case err != nil:
		t.Fatal(err)
	}
	if p.Session == "" || p.KeyID != "" || p.Admin || p.AccountID != e.acc.ID {
		t.Fatalf("a session's token authenticated as %+v", p)
	}
	return true
}

func wantOAuth(t *testing.T, err error, code, what string) *domain.OAuthError {
	t.Helper()
	var oe *domain.OAuthError
	if !errors.As(err, &oe) || oe.Code != code {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
	return oe
}

func TestPasswordGrantSignsIn(t *testing.T) {
	e := setupGrant(t)
	st, err := e.password("fn2187", "Changeme1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(st.RefreshToken, domain.RefreshTokenPrefix) || st.Token.RefreshTokenID != st.Session.ID ||
		st.Token.ClientID != e.boot.Application.ID || st.Token.Admin || st.Token.AccountID != e.acc.ID {
		t.Fatalf("tokens %+v", st)
	}
	if st.ExpiresIn != 3600 || st.RefreshExpiresIn != int(domain.DefaultRefreshTokenTTL/time.Second) {
		t.Fatalf("expires in %d and %d", st.ExpiresIn, st.RefreshExpiresIn)
	}
	if !e.live(t, st.Signed) {
		t.Fatal("a fresh session's token is refused")
	}
	// The email signs in too, as at loginAttempts.
	if _, err := e.password("FN2187@example.com", "Changeme1"); err != nil {
		t.Fatal(err)
	}
	// Nothing of the secret is stored: only its hash.
	rt := &domain.RefreshToken{}
	if err := e.h.Store.Load(context.Background(), domain.Ref{Kind: domain.KindRefreshToken, ID: st.Session.ID}, rt); err != nil {
		t.Fatal(err)
	}
	if rt.SecretHash != domain.HashSecret(st.RefreshToken) || strings.Contains(rt.SecretHash, st.RefreshToken[len(domain.RefreshTokenPrefix):]) {
		t.Fatalf("stored %+v", rt)
	}
}

func TestPasswordGrantRefusals(t *testing.T) {
	e := setupGrant(t)
	_, errUnknown := e.password("nobody", "Changeme1")
	wrong := wantOAuth(t, func() error { _, err := e.password("fn2187", "Wrong1234"); return err }(), domain.OAuthInvalidGrant, "wrong password")
	unknown := wantOAuth(t, errUnknown, domain.OAuthInvalidGrant, "unknown user")
	if wrong.Description != unknown.Description {
		t.Fatalf("a wrong password says %q, an unknown user %q", wrong.Description, unknown.Description)
	}
	// A disabled account is told so only after the right password.
	if _, err := e.svc.UpdateAccount(context.Background(), e.admin, e.acc.ID, domain.AccountInput{Status: ptr(domain.StatusDisabled)}); err != nil {
		t.Fatal(err)
	}
	oe := wantOAuth(t, func() error { _, err := e.password("fn2187", "Changeme1"); return err }(), domain.OAuthInvalidGrant, "disabled")
	if oe.Description != domain.ErrLoginDisabled.Message {
		t.Fatalf("disabled: %q", oe.Description)
	}
	oe = wantOAuth(t, func() error { _, err := e.password("fn2187", "Wrong1234"); return err }(), domain.OAuthInvalidGrant, "disabled, wrong password")
	if oe.Description != wrong.Description {
		t.Fatalf("a disabled account with a wrong password says %q", oe.Description)
	}
	// At the tenant-wide endpoint, or for an unknown application, there
	// is no directory to look in.
	_, err := e.tokens.PasswordGrant(context.Background(), domain.PasswordRequest{Username: "fn2187", Password: "Changeme1"})
	wantOAuth(t, err, domain.OAuthInvalidRequest, "no application")
	_, err = e.tokens.PasswordGrant(context.Background(), domain.PasswordRequest{ApplicationID: "nosuchapp", Username: "fn2187", Password: "Changeme1"})
	wantOAuth(t, err, domain.OAuthInvalidRequest, "unknown application")
	// Without Accounts the grant is not served.
	bare := *e.tokens
	bare.Accounts = nil
	_, err = bare.PasswordGrant(context.Background(), domain.PasswordRequest{ApplicationID: e.boot.Application.ID, Username: "fn2187", Password: "Changeme1"})
	wantOAuth(t, err, domain.OAuthUnsupportedGrantType, "not served")
}

// TestPasswordGrantThrottled: the grant shares loginAttempts' throttle, so
// a source guessing passwords is slowed down and told when to retry.
func TestPasswordGrantThrottled(t *testing.T) {
	e := setupGrant(t)
	var oe *domain.OAuthError
	for i := 0; i < 50; i++ {
		_, err := e.password("fn2187", "Wrong1234")
		if errors.As(err, &oe) && oe.RetryAfter > 0 {
			break
		}
	}
	if oe == nil || oe.RetryAfter <= 0 {
		t.Fatal("50 wrong passwords from one source were never throttled")
	}
	// Another source still signs in.
	_, err := e.tokens.PasswordGrant(context.Background(), domain.PasswordRequest{
		ApplicationID: e.boot.Application.ID, Username: "fn2187", Password: "Changeme1", Source: "198.51.100.1"})
	if err != nil {
		t.Fatalf("the owner, from elsewhere: %v", err)
	}
}

func TestRefreshRotatesAndDetectsReuse(t *testing.T) {
	e := setupGrant(t)
	first, err := e.password("fn2187", "Changeme1")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	second, err := e.refresh(first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if second.RefreshToken == first.RefreshToken || second.Session.ID != first.Session.ID || second.Token.JTI == first.Token.JTI {
		t.Fatal("a refresh did not rotate")
	}
	e.clock.Advance(time.Minute)
	third, err := e.refresh(second.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if !e.live(t, third.Signed) || !e.live(t, first.Signed) {
		t.Fatal("the session's tokens should be live")
	}
	// A made-up token, and one of the right shape for this session but
	// never issued, are refused and end nothing.
	wantOAuth(t, func() error { _, err := e.refresh("ksr_garbage"); return err }(), domain.OAuthInvalidGrant, "garbage")
	forged := domain.RefreshTokenPrefix + first.Session.ID + "." + strings.Repeat("A", 43)
	wantOAuth(t, func() error { _, err := e.refresh(forged); return err }(), domain.OAuthInvalidGrant, "forged secret")
	if !e.live(t, third.Signed) {
		t.Fatal("a forged refresh token ended the session: anyone knowing its id could sign the account out")
	}
	// The spent first token again: reuse ends the whole session.
	wantOAuth(t, func() error { _, err := e.refresh(first.RefreshToken); return err }(), domain.OAuthInvalidGrant, "reuse")
	wantOAuth(t, func() error { _, err := e.refresh(third.RefreshToken); return err }(), domain.OAuthInvalidGrant, "current token after reuse")
	for _, tok := range []domain.SessionTokens{first, second, third} {
		if e.live(t, tok.Signed) {
			t.Fatal("an access token of a session ended for reuse is still accepted")
		}
	}
	rt := &domain.RefreshToken{}
	if err := e.h.Store.Load(context.Background(), domain.Ref{Kind: domain.KindRefreshToken, ID: first.Session.ID}, rt); err != nil {
		t.Fatal(err)
	}
	if !rt.Deleted() || rt.Reason != events.RevokedForReuse {
		t.Fatalf("session after reuse: %+v", rt)
	}
}

// TestSessionEnds: a password change, disabling the account or the
// application, deleting the session and its expiry each end a session,
// its refresh token and the access tokens it gave.
func TestSessionEnds(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		end  func(e *grantEnv, st domain.SessionTokens) error
	}{
		{"password changed", func(e *grantEnv, _ domain.SessionTokens) error {
			_, err := e.svc.UpdateAccount(ctx, e.admin, e.acc.ID, domain.AccountInput{Password: ptr("Changed99")})
			return err
		}},
		{"account disabled", func(e *grantEnv, _ domain.SessionTokens) error {
			_, err := e.svc.UpdateAccount(ctx, e.admin, e.acc.ID, domain.AccountInput{Status: ptr(domain.StatusDisabled)})
			return err
		}},
		{"application disabled", func(e *grantEnv, _ domain.SessionTokens) error {
			_, err := e.svc.UpdateApplication(ctx, e.admin, e.boot.Application.ID, domain.ApplicationInput{Status: ptr(domain.StatusDisabled)})
			return err
		}},
		{"session deleted", func(e *grantEnv, st domain.SessionTokens) error {
			return e.svc.DeleteRefreshToken(ctx, e.admin, st.Session.ID)
		}},
		{"account deleted", func(e *grantEnv, _ domain.SessionTokens) error {
			return e.svc.DeleteAccount(ctx, e.admin, e.acc.ID)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := setupGrant(t)
			st, err := e.password("fn2187", "Changeme1")
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(2 * time.Second)
			if err := c.end(e, st); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(2 * time.Second)
			if e.live(t, st.Signed) {
				t.Fatal("the session's access token is still accepted")
			}
			wantOAuth(t, func() error { _, err := e.refresh(st.RefreshToken); return err }(), domain.OAuthInvalidGrant, "refresh")
		})
	}
	t.Run("expired", func(t *testing.T) {
		e := setupGrant(t)
		if _, err := e.svc.SetOAuthPolicy(ctx, e.admin, e.boot.Application.ID, domain.OAuthPolicyInput{RefreshTokenTTL: ptrDuration(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		st, err := e.password("fn2187", "Changeme1")
		if err != nil {
			t.Fatal(err)
		}
		if st.RefreshExpiresIn != 3600 {
			t.Fatalf("refresh expires in %d", st.RefreshExpiresIn)
		}
		e.clock.Advance(59 * time.Minute)
		next, err := e.refresh(st.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		// A session's access token never outlives the session.
		if !next.Token.ExpiresAt.Equal(st.Session.ExpiresAt) {
			t.Fatalf("access token expires %v, session %v", next.Token.ExpiresAt, st.Session.ExpiresAt)
		}
		e.clock.Advance(2 * time.Minute)
		wantOAuth(t, func() error { _, err := e.refresh(next.RefreshToken); return err }(), domain.OAuthInvalidGrant, "expired")
	})
	t.Run("access token deleted", func(t *testing.T) {
		e := setupGrant(t)
		st, err := e.password("fn2187", "Changeme1")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteAccessToken(ctx, e.admin, st.Token.JTI); err != nil {
			t.Fatal(err)
		}
		if e.live(t, st.Signed) {
			t.Fatal("a deleted access token is still accepted")
		}
		// The session itself goes on.
		if _, err := e.refresh(st.RefreshToken); err != nil {
			t.Fatal(err)
		}
	})
}

func ptrDuration(d time.Duration) *time.Duration { return &d }

// TestRefreshScopes: a refresh may narrow the session's scopes, never
// widen them, and drops a scope whose group the account has left.
func TestRefreshScopes(t *testing.T) {
	e := setupGrant(t)
	ctx := context.Background()
	var groups []*domain.Group
	for _, name := range []string{"read", "write"} {
		g, err := e.svc.CreateGroup(ctx, e.admin, e.boot.Application.ID, domain.GroupInput{Name: ptr(name)})
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, g)
		if _, err := e.svc.CreateMembership(ctx, e.admin, e.acc.ID, g.ID); err != nil {
			t.Fatal(err)
		}
	}
	st, err := e.tokens.PasswordGrant(ctx, domain.PasswordRequest{ApplicationID: e.boot.Application.ID, Username: "fn2187", Password: "Changeme1", Scope: "read write admin"})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Token.Scope(); got != "read write" {
		t.Fatalf("granted %q", got)
	}
	narrow, err := e.tokens.RefreshGrant(ctx, domain.RefreshRequest{RefreshToken: st.RefreshToken, Scope: "read"})
	if err != nil {
		t.Fatal(err)
	}
	if got := narrow.Token.Scope(); got != "read" {
		t.Fatalf("narrowed to %q", got)
	}
	_, err = e.tokens.RefreshGrant(ctx, domain.RefreshRequest{RefreshToken: narrow.RefreshToken, Scope: "admin"})
	wantOAuth(t, err, domain.OAuthInvalidScope, "widen")
	// Leaving a group drops its scope at the next refresh.
	if _, err := e.svc.UpdateGroup(ctx, e.admin, groups[1].ID, domain.GroupInput{Status: ptr(domain.StatusDisabled)}); err != nil {
		t.Fatal(err)
	}
	again, err := e.tokens.RefreshGrant(ctx, domain.RefreshRequest{RefreshToken: narrow.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Token.Scope(); got != "read" {
		t.Fatalf("after the write group was disabled: %q", got)
	}
}
