package domain

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keystorm/keystorm/events"
)

// OAuth 2.0 client credentials (RFC 6749 §4.4) on top of API keys: a key
// id/secret pair is the client's credentials, and the access token it gets
// is a signed JWT (RFC 9068) that resource servers verify offline.

// Token lifetimes.
const (
	DefaultAccessTokenTTL = time.Hour
	MinAccessTokenTTL     = time.Second // Stormpath's PT1S
	MaxAccessTokenTTL     = 24 * time.Hour
	// maxScopes bounds what one request may ask for.
	maxScopes = 50
)

// OAuth error codes of RFC 6749 §5.2, RFC 7009 and RFC 7662.
const (
	OAuthInvalidRequest       = "invalid_request"
	OAuthInvalidClient        = "invalid_client"
	OAuthInvalidGrant         = "invalid_grant"
	OAuthInvalidScope         = "invalid_scope"
	OAuthUnauthorizedClient   = "unauthorized_client"
	OAuthUnsupportedGrantType = "unsupported_grant_type"
	OAuthUnsupportedTokenType = "unsupported_token_type"
)

// OAuthError is an error of the OAuth endpoints, which answer in RFC 6749's
// format rather than the management API's. RetryAfter is set when the
// client is locked out after repeated failures.
type OAuthError struct {
	Code        string
	Description string
	RetryAfter  time.Duration
	Err         error
}

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }
func (e *OAuthError) Unwrap() error { return e.Err }

func oauthErr(code, desc string) *OAuthError { return &OAuthError{Code: code, Description: desc} }

// AccessToken is what an access token says (RFC 9068 claims, plus the
// tenant and application Keystorm needs).
type AccessToken struct {
	JTI           string
	Issuer        string
	Audience      string
	Subject       string // the account href
	ClientID      string // the API key id
	TenantID      string
	ApplicationID string
	AccountID     string
	Scopes        []string
	Admin         bool
	IssuedAt      time.Time
	ExpiresAt     time.Time
	// RefreshTokenID ("rti", Stormpath's claim) names the session of a
	// token from the password or refresh grant; ClientID is then the
	// client that signed in (an admin key id, or the application id for
	// a public client) and the token acts for its account alone. Empty
	// for client credentials tokens.
	RefreshTokenID string
	// SecretGeneration ("ksg") is the generation of the key secret the
	// client showed (APIKey.Generation): a token dies with its secret,
	// at the end of that secret's grace after a reroll. Zero for keys
	// never rerolled, and for sessions.
	SecretGeneration int
}

// Scope is the space-delimited scope string.
func (t AccessToken) Scope() string { return strings.Join(t.Scopes, " ") }

// ErrInvalidToken is returned by TokenVerifier for every kind of bad
// token alike: bad format, algorithm, signature, key id, issuer, audience,
// or times.
var ErrInvalidToken = errors.New("invalid access token")

// TokenSigner turns claims into a signed token. Implementations hold the
// private signing key; it never reaches the domain.
type TokenSigner interface {
	Sign(ctx context.Context, t AccessToken) (string, error)
}

// TokenVerifier checks a token's signature and claims offline and returns
// its content, or ErrInvalidToken (wrapped). Errors other than
// ErrInvalidToken mean "could not decide" (e.g. keys unavailable).
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (AccessToken, error)
}

// ParseScope splits and checks a space-delimited scope (RFC 6749 §3.3):
// each token is 1*( %x21 / %x23-5B / %x5D-7E ). Duplicates are dropped.
func ParseScope(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for tok := range strings.SplitSeq(s, " ") {
		if tok == "" || seen[tok] {
			continue
		}
		// Refuse as soon as the bound is passed: the work done for an
		// unauthenticated request must stay small.
		if len(out) == maxScopes {
			return nil, oauthErr(OAuthInvalidScope, "Too many scopes requested.")
		}
		for i := 0; i < len(tok); i++ {
			c := tok[i]
			if c < 0x21 || c == 0x22 || c == 0x5C || c > 0x7E {
				return nil, oauthErr(OAuthInvalidScope, "A scope may contain only printable ASCII characters other than space, \\\" and \\\\.")
			}
		}
		if len(tok) > MaxNameLen {
			return nil, oauthErr(OAuthInvalidScope, "A scope may be at most 255 characters long.")
		}
		seen[tok] = true
		out = append(out, tok)
	}
	return out, nil
}

// TokenService issues, introspects and revokes access tokens.
type TokenService struct {
	Store    Store
	Signer   TokenSigner
	Verifier TokenVerifier
	// Throttle slows down a source that keeps failing (see Throttle);
	// nil throttles nothing.
	Throttle *Throttle
	Clock    Clock
	IDs      IDGenerator
	// Issuer goes into every token. Audience is the deployment's audience
	// prefix: a token's aud is ApplicationAudience(Audience, its
	// application), so a token is bound to the application it was issued
	// for (RFC 9068 §3). Both are checked on every verification.
	Issuer   string
	Audience string
	// Accounts checks passwords for the password grant (its Hasher,
	// dummy hash and login throttle) and runs the grants' commits; nil
	// refuses the password and refresh grants.
	Accounts *Service
	// Usage, when set, counts the client's key verifications, as the
	// authorizer's do (KeyAuthenticator.Usage).
	Usage UsageSink
}

// ApplicationAudience is the aud of the access tokens of one application:
// the deployment's audience prefix, ":application:", and the application
// id. A resource server bound to that application accepts exactly it.
func ApplicationAudience(prefix, applicationID string) string {
	return prefix + ":application:" + applicationID
}

// TokenRequest is a client credentials grant.
type TokenRequest struct {
	KeyID  string
	Secret string
	Scope  string
	// ApplicationID is set when the request came to an application's own
	// token endpoint: the key must belong to it.
	ApplicationID string
	// BaseURL prefixes the account href in "sub".
	BaseURL string
	// Source is the client's address, for the throttle ("" when unknown).
	Source string
}

// Issued is a token response.
type Issued struct {
	Token     AccessToken
	Signed    string
	ExpiresIn int
}

// Issue runs the client credentials grant. Every failure to authenticate
// the client is the same invalid_client, after the same work; repeated
// failures lock the key id for a while.
func (t *TokenService) Issue(ctx context.Context, req TokenRequest) (Issued, error) {
	scopes, err := ParseScope(req.Scope)
	if err != nil {
		return Issued{}, err
	}
	// The key and application are those the client was just
	// authenticated on, from the same read: reading them again would cost
	// two more round trips and could only see an older or equal state.
	p, key, app, err := t.authenticateClient(ctx, req.KeyID, req.Secret, req.Source, req.ApplicationID)
	if err != nil {
		return Issued{}, err
	}
	if req.ApplicationID != "" && p.ApplicationID != req.ApplicationID {
		// An application's own endpoint: the key must reach it (its
		// account's directory mapped there), and the token is its.
		return Issued{}, oauthErr(OAuthInvalidClient, "Client authentication failed.")
	}
	p.Reach = nil
	granted, err := t.grant(ctx, p, key, scopes)
	if err != nil {
		return Issued{}, err
	}
	now := t.Clock.Now().UTC().Truncate(time.Second)
	// No token outlives its key, nor the grace of the secret shown. A
	// credential that ends within this very second gets no token: one
	// would be expired as it is issued.
	exp := now.Add(app.TokenTTL())
	if !p.Expires.IsZero() && p.Expires.Before(exp) {
		exp = p.Expires.Truncate(time.Second)
	}
	if !exp.After(now) {
		return Issued{}, oauthErr(OAuthInvalidClient, "Client authentication failed.")
	}
	tok := AccessToken{
		JTI: t.IDs.NewID(), Issuer: t.Issuer, Audience: ApplicationAudience(t.Audience, p.ApplicationID),
		Subject:  strings.TrimRight(req.BaseURL, "/") + "/v1/accounts/" + p.AccountID,
		ClientID: p.KeyID, TenantID: p.TenantID, ApplicationID: p.ApplicationID, AccountID: p.AccountID,
		Scopes: granted, Admin: p.Admin, IssuedAt: now, ExpiresAt: exp, SecretGeneration: p.SecretGeneration,
	}
	signed, err := t.Signer.Sign(ctx, tok)
	if err != nil {
		return Issued{}, err
	}
	return Issued{Token: tok, Signed: signed, ExpiresIn: int(exp.Sub(now) / time.Second)}, nil
}

// clientHints are the entries of the token endpoints' KeyAuthenticators.
// Those have no TTL, so an entry is never an answer: every call reads the
// key, its account and its application afresh (a disabled key must not
// get a token even for a few seconds). An entry only tells the next call
// which account and application to read along with the key, and only
// when the caller shows the secret that matched last time: that caller
// gets all three in one BatchGetItem instead of a GetItem and then a
// BatchGetItem, while a wrong secret or an unknown key id still costs one
// GetItem, so the two remain indistinguishable.
//
// They are shared by the process rather than kept in a TokenService, whose
// users build and copy it as a plain struct: an entry from another store
// or clock is harmless, since the key's fresh state must still match the
// secret, and the account and application it names are read again unless
// they are the ones the entry named.
var clientHints keyCache

// authenticateClient checks a client's key id and secret, with a fresh
// read rather than the authorizer's cache (a disabled key must not get a
// token even for a few seconds), and with the throttle: a source that
// keeps failing waits, per key id and overall, while every other source
// goes on unhindered. Nothing is written for a failure. It returns the
// key and application it decided on, which callers must not modify.
//
// want is the application whose token endpoint was called ("" for
// none): the key must reach it, and the answer acts for it.
func (t *TokenService) authenticateClient(ctx context.Context, id, secret, source, want string) (Principal, *APIKey, *Application, error) {
	// A secret that could be no key's (CandidateSecret: a kss_ secret
	// failing its checksum, or another breaking the import rule) is
	// refused without a read; it does not count as a guess
	// either. Every other secret, imported ones included, is a guess.
	counted := id != "" && len(id) <= 64 && CandidateSecret(secret)
	if counted {
		if wait := t.Throttle.Wait(id, source); wait > 0 {
			return Principal{}, nil, nil, &OAuthError{Code: OAuthInvalidClient, Description: "Too many failed attempts from this address; retry later.", RetryAfter: wait}
		}
	}
	auth := KeyAuthenticator{Store: t.Store, Clock: t.Clock, shared: &clientHints, Usage: t.Usage}
	var apps []string
	if want != "" {
		apps = []string{want}
	}
	p, key, app, err := auth.authenticate(ctx, id, secret, apps)
	switch {
	case errors.Is(err, ErrUnauthenticated):
		if counted {
			t.Throttle.Fail(id, source)
		}
		return Principal{}, nil, nil, oauthErr(OAuthInvalidClient, "Client authentication failed.")
	case err == nil:
		t.Throttle.Succeeded(id, source)
	}
	return p, key, app, err
}

// grant applies the scope policy: a requested scope is granted when the
// account is in an enabled group of that name, and, if the key restricts
// its scopes, the key allows it. The rest is dropped silently, as RFC 6749
// §3.3 permits; the response says what was granted.
func (t *TokenService) grant(ctx context.Context, p Principal, key *APIKey, requested []string) ([]string, error) {
	granted, err := t.grantSession(ctx, p.AccountID, requested)
	if err != nil || !key.ScopesRestricted {
		return granted, err
	}
	return slices.DeleteFunc(granted, func(s string) bool { return !slices.Contains(key.Scopes, s) }), nil
}

// groupNames returns the names of the enabled groups the account is in.
func (t *TokenService) groupNames(ctx context.Context, accountID string) (map[string]bool, error) {
	names := map[string]bool{}
	var failed error
	err := eachPage(ctx, t.Store, "account/"+accountID+"/memberships", func(ms []State) bool {
		refs := make([]Ref, 0, len(ms))
		for _, st := range ms {
			if m, ok := st.(*Membership); ok {
				refs = append(refs, Ref{KindGroup, m.GroupID})
			}
		}
		if len(refs) == 0 {
			return true
		}
		groups, err := t.Store.LoadMany(ctx, refs)
		if err != nil {
			failed = err
			return false
		}
		for _, st := range groups {
			if g, ok := st.(*Group); ok && !g.Deleted() && g.Status == StatusEnabled {
				names[g.Name] = true
			}
		}
		return true
	})
	if err == nil {
		err = failed
	}
	if err != nil {
		return nil, err
	}
	return names, nil
}

// Introspection is an RFC 7662 answer.
type Introspection struct {
	Active bool
	Token  AccessToken
}

// Introspect tells an admin of a tenant whether a token is active: well
// signed, unexpired, not revoked, and its key and account still enabled.
// A token of another tenant is simply inactive.
func (t *TokenService) Introspect(ctx context.Context, c Caller, token string) (Introspection, error) {
	if err := requireAdmin(c); err != nil {
		return Introspection{}, err
	}
	tok, err := t.Verifier.Verify(ctx, token)
	if errors.Is(err, ErrInvalidToken) {
		return Introspection{}, nil
	}
	if err != nil {
		return Introspection{}, err
	}
	if tok.TenantID != c.TenantID {
		return Introspection{}, nil
	}
	ok, err := TokenLive(ctx, t.Store, tok, t.Clock.Now())
	if err != nil || !ok {
		return Introspection{}, err
	}
	return Introspection{Active: true, Token: tok}, nil
}

// TokenLive checks what a signature cannot: the token was not revoked,
// its key, account and application are still enabled, the key has not
// expired by now, and the key secret it was issued for still works. It
// costs one BatchGetItem (key, revocation, account and application).
func TokenLive(ctx context.Context, store Store, tok AccessToken, now time.Time) (bool, error) {
	l, err := tokenLive(ctx, store, tok, now)
	return l.live, err
}

// liveness is tokenLive's answer.
type liveness struct {
	live bool
	acc  *Account
	// until is when the answer changes by time alone (the key's expiry,
	// or the end of the grace of the token's secret), zero when it does
	// not; a cached answer must not outlive it.
	until time.Time
	// limit is the key's effective rate limit.
	limit RateLimit
}

// tokenLive is TokenLive, with what the authorizer needs besides.
func tokenLive(ctx context.Context, store Store, tok AccessToken, now time.Time) (liveness, error) {
	if tok.RefreshTokenID != "" {
		live, acc, err := sessionTokenLive(ctx, store, tok)
		return liveness{live: live, acc: acc}, err
	}
	// The token names all four, so one BatchGetItem reads them.
	states, err := store.LoadMany(ctx, []Ref{{KindAPIKey, tok.ClientID}, {KindToken, tok.JTI}, {KindAccount, tok.AccountID}, {KindApplication, tok.ApplicationID}})
	if err != nil {
		return liveness{}, err
	}
	var (
		key *APIKey
		acc *Account
		app *Application
	)
	for _, st := range states {
		switch st := st.(type) {
		case *RevokedToken:
			return liveness{}, nil
		case *APIKey:
			key = st
		case *Account:
			acc = st
		case *Application:
			app = st
		}
	}
	if key == nil || key.Deleted() || key.Status != StatusEnabled || key.TenantID() != tok.TenantID ||
		key.AccountID != tok.AccountID {
		return liveness{}, nil
	}
	// The token's application must still reach the key's account: an
	// unmapped directory ends its tokens there at once.
	if ok, err := reaches(ctx, store, app, acc); !ok || err != nil {
		return liveness{}, err
	}
	// A disabled or deleted application refuses its tokens, and enabling
	// it again does not bring back tokens issued before.
	if app == nil || !app.Usable() || app.TenantID() != tok.TenantID || issuedBy(tok, app.TokensValidAfter) {
		return liveness{}, nil
	}
	// Disabling a key ends its tokens for good: enabling it again does not
	// bring back tokens issued before.
	if issuedBy(tok, key.TokensValidAfter) {
		return liveness{}, nil
	}
	// An expired key ends its tokens (whose exp cannot pass the expiry
	// it had when they were issued, but it may have been brought
	// forward since).
	if key.Expired(now) {
		return liveness{}, nil
	}
	until := key.ExpiresAt
	// A token lives with the key secret it was issued for: the current
	// one, or the one a reroll replaced until its grace ends.
	switch {
	case tok.SecretGeneration == key.Generation:
	case tok.SecretGeneration == key.Generation-1 && key.InGrace(now):
		if until.IsZero() || key.PreviousValidUntil.Before(until) {
			until = key.PreviousValidUntil
		}
	default:
		return liveness{}, nil
	}
	// A key's scope restriction applies to its live tokens too.
	if key.ScopesRestricted {
		for _, s := range tok.Scopes {
			if !slices.Contains(key.Scopes, s) {
				return liveness{}, nil
			}
		}
	}
	if acc == nil {
		return liveness{}, nil
	}
	if issuedBy(tok, acc.TokensValidAfter) {
		return liveness{}, nil
	}
	if acc.Deleted() || acc.Status != StatusEnabled || acc.TenantID() != tok.TenantID {
		return liveness{}, nil
	}
	return liveness{live: true, acc: acc, until: until, limit: EffectiveRateLimit(key, app)}, nil
}

// sessionTokenLive is tokenLive for a token of a session: its record
// (which DELETE or revocation removes), its session, its account and its
// application, in one BatchGetItem.
func sessionTokenLive(ctx context.Context, store Store, tok AccessToken) (bool, *Account, error) {
	states, err := store.LoadMany(ctx, []Ref{{KindAccessToken, tok.JTI}, {KindRefreshToken, tok.RefreshTokenID}, {KindAccount, tok.AccountID}, {KindApplication, tok.ApplicationID}})
	if err != nil {
		return false, nil, err
	}
	rec, _ := one[*IssuedToken](states)
	session, _ := one[*RefreshToken](states)
	acc, _ := one[*Account](states)
	app, _ := one[*Application](states)
	switch {
	case rec == nil || rec.Deleted() || rec.TenantID() != tok.TenantID || rec.AccountID != tok.AccountID || rec.RefreshTokenID != tok.RefreshTokenID,
		session == nil || session.Deleted() || session.TenantID() != tok.TenantID || session.AccountID != tok.AccountID || session.ApplicationID != tok.ApplicationID,
		app == nil || acc == nil || !sessionLive(session, app, acc),
		issuedBy(tok, app.TokensValidAfter), issuedBy(tok, acc.TokensValidAfter):
		return false, nil, nil
	}
	return true, acc, nil
}

// issuedBy reports a token issued at or before t. Token times have whole
// seconds, so a token from the same second as t counts as before it: that
// errs on the side of refusing.
func issuedBy(tok AccessToken, t time.Time) bool {
	return !t.IsZero() && !tok.IssuedAt.After(t.Truncate(time.Second))
}

// Revoke implements RFC 7009 for a client authenticated with its key: a
// client may revoke its own tokens, and an admin key any token of its
// tenant. Revoking is an event. An invalid, expired or already revoked
// token is not an error (the RFC asks for 200).
func (t *TokenService) Revoke(ctx context.Context, keyID, secret, source, token string) error {
	p, _, _, err := t.authenticateClient(ctx, keyID, secret, source, "")
	if err != nil {
		return err
	}
	tok, err := t.Verifier.Verify(ctx, token)
	if errors.Is(err, ErrInvalidToken) {
		return nil
	}
	if err != nil {
		return err
	}
	if tok.TenantID != p.TenantID || (tok.ClientID != p.KeyID && !p.Admin) {
		return oauthErr(OAuthUnauthorizedClient, "This client may not revoke that token.")
	}
	svc := &Service{Store: t.Store, Clock: t.Clock, IDs: t.IDs}
	c := Caller{TenantID: p.TenantID, AccountID: p.AccountID, KeyID: p.KeyID, Admin: p.Admin}
	if tok.RefreshTokenID != "" {
		// A session's token has a record; revoking deletes it, as
		// DELETE /v1/accessTokens/{id} does.
		_, err = run(ctx, svc, c, func(r *recorder) (*IssuedToken, error) {
			cur := &IssuedToken{}
			if err := t.Store.Load(ctx, Ref{KindAccessToken, tok.JTI}, cur); err != nil || cur.Deleted() {
				if errors.Is(err, ErrNotFound) || err == nil {
					return cur, nil // already gone
				}
				return nil, err
			}
			next := *cur
			return &next, r.record(cur.Ref(), cur, &next, &events.AccessTokenRevoked{Reason: events.RevokedByRequest})
		})
		return err
	}
	_, err = run(ctx, svc, c, func(r *recorder) (*RevokedToken, error) {
		cur := &RevokedToken{}
		err := t.Store.Load(ctx, Ref{KindToken, tok.JTI}, cur)
		if err == nil {
			return cur, nil // already revoked
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		next := &RevokedToken{}
		return next, r.record(Ref{KindToken, tok.JTI}, nil, next, events.TokenRevoked{
			JTI: tok.JTI, TenantID: tok.TenantID, APIKeyID: tok.ClientID, AccountID: tok.AccountID, ExpiresAt: tok.ExpiresAt, By: p.KeyID,
		})
	})
	return err
}

// TokenAuthenticator checks Bearer tokens for the authorizer. The first
// time it sees a token it checks the signature and claims offline, then
// what a signature cannot say (revocation, key and account status) in the
// store; it keeps that decision for TTL, or until the token expires if
// that is sooner, so a busy token costs neither a signature check nor a
// store call.
//
// Decisions are keyed by the SHA-256 of the whole token string, never by
// the token itself (a heap dump must not hand out bearer credentials) nor
// by its jti (a claim is only trusted after the signature over it was
// checked). Only a token that passed verification is ever stored, so a
// token that fails it is refused on every call.
type TokenAuthenticator struct {
	Store    Store
	Verifier TokenVerifier
	Clock    Clock
	TTL      time.Duration
	// Usage, when set, counts each use of a client credentials token,
	// live or refused, for its key (see KeyAuthenticator.Usage). A token
	// whose signature fails names no key anyone can trust, and is not
	// counted.
	Usage UsageSink

	mu    sync.RWMutex
	cache map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	live bool
	// tok and principal are what a verified live token answers; empty
	// when !live.
	tok       AccessToken
	principal Principal
	// expires is the sooner of TTL after the check and the token's exp.
	expires time.Time
	// tenant and keyID name the key a verified client credentials token
	// was issued for, live or not, for usage counts.
	tenant, keyID string
}

// Authenticate returns the token's principal and scopes, or
// ErrUnauthenticated. Store failures are returned as they are.
func (a *TokenAuthenticator) Authenticate(ctx context.Context, token string) (Principal, AccessToken, error) {
	sum := sum256(token)
	now := a.Clock.Now()
	a.mu.RLock()
	e, hit := a.cache[sum]
	a.mu.RUnlock()
	if !hit || !now.Before(e.expires) {
		var err error
		if e, err = a.check(ctx, token, now); err != nil {
			return Principal{}, AccessToken{}, err
		}
		a.put(sum, e, now)
	}
	if a.Usage != nil && e.keyID != "" {
		a.Usage.Record(e.tenant, e.keyID, e.live)
	}
	if !e.live {
		return Principal{}, AccessToken{}, ErrUnauthenticated
	}
	return e.principal, e.tok, nil
}

// check verifies token and reads its liveness. Only its successful
// results are cached: an invalid token or a failure is returned as an
// error and stored nowhere.
func (a *TokenAuthenticator) check(ctx context.Context, token string, now time.Time) (cachedToken, error) {
	tok, err := a.Verifier.Verify(ctx, token)
	if errors.Is(err, ErrInvalidToken) {
		return cachedToken{}, ErrUnauthenticated
	}
	if err != nil {
		return cachedToken{}, err
	}
	l, err := tokenLive(ctx, a.Store, tok, now)
	if err != nil {
		return cachedToken{}, err
	}
	live, acc, until := l.live, l.acc, l.until
	// Never past exp: the verifier refuses an expired token (after its
	// leeway), and a cached answer must not outlive that, nor the key's
	// expiry or the grace of the token's secret.
	e := cachedToken{live: live, expires: now.Add(a.TTL)}
	if tok.ExpiresAt.Before(e.expires) {
		e.expires = tok.ExpiresAt
	}
	if !until.IsZero() && until.Before(e.expires) {
		e.expires = until
	}
	if tok.RefreshTokenID == "" {
		e.tenant, e.keyID = tok.TenantID, tok.ClientID
	}
	if live {
		e.tok = tok
		e.principal = Principal{TenantID: tok.TenantID, ApplicationID: tok.ApplicationID, AccountID: tok.AccountID, KeyID: tok.ClientID, Admin: tok.Admin, Username: acc.Username,
			RateLimit: l.limit, SecretGeneration: tok.SecretGeneration}
		if tok.RefreshTokenID != "" {
			// A session's token acts for its account alone: it is no
			// key, and never admin, whatever its claims say.
			e.principal.KeyID, e.principal.Admin, e.principal.Session = "", false, tok.RefreshTokenID
		}
	}
	return e, nil
}

// put stores a decision, first making room as KeyAuthenticator.store does:
// only verified tokens get here, but a flood of them must not grow memory
// without bound either.
func (a *TokenAuthenticator) put(sum [sha256.Size]byte, e cachedToken, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cache == nil {
		a.cache = make(map[[sha256.Size]byte]cachedToken)
	}
	if len(a.cache) >= maxCacheEntries {
		for k, v := range a.cache {
			if !now.Before(v.expires) {
				delete(a.cache, k)
			}
		}
		if len(a.cache) >= maxCacheEntries {
			clear(a.cache)
		}
	}
	a.cache[sum] = e
}
