package domain

import (
	"context"
	"crypto/subtle"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/keystorm/keystorm/events"
)

// The password grant (RFC 6749 §4.3) and the refresh grant (§6), on top
// of sessions (session.go).
//
// Who may ask: the provider's backend, authenticating with an admin key
// of the application's tenant (Stormpath's way: its SDKs sent the
// tenant's key), or a public client such as a browser page, with no
// client authentication at all. Either way the password is checked as a
// login attempt is (checkPassword): the same throttle, the same equal
// work for an unknown user and a wrong password, the same answer for
// both. A session remembers which client started it, and only that
// client may refresh it.

// PasswordRequest is a password grant at an application's token
// endpoint.
type PasswordRequest struct {
	ApplicationID string
	Username      string
	Password      string
	Scope         string
	// ClientID and ClientSecret are the client's credentials when it
	// authenticated (an admin key); both empty for a public client.
	ClientID, ClientSecret string
	BaseURL                string
	Source                 string
}

// RefreshRequest is a refresh grant.
type RefreshRequest struct {
	// ApplicationID is set at an application's token endpoint: the
	// session must be that application's.
	ApplicationID          string
	RefreshToken           string
	Scope                  string
	ClientID, ClientSecret string
	BaseURL                string
	Source                 string
}

// SessionTokens is what the password and refresh grants answer: an
// access token and the session's new refresh token.
type SessionTokens struct {
	Issued
	RefreshToken     string
	RefreshExpiresIn int
	Session          *RefreshToken
}

var (
	errGrantNotServed = oauthErr(OAuthUnsupportedGrantType, "Only grant_type=client_credentials is supported here.")
	errBadRefresh     = oauthErr(OAuthInvalidGrant, "The refresh token is invalid, expired or revoked.")
	errBadPassword    = oauthErr(OAuthInvalidGrant, ErrLoginFailed.Message)
	errNoApplication  = oauthErr(OAuthInvalidRequest, "The password grant is served at an enabled application's token endpoint, /v1/applications/{applicationId}/oauth/token.")
)

// PasswordGrant signs an account in with its password: a new session,
// its refresh token, and an access token for the account alone.
// Events, in one commit: AccountLoginSucceeded (and
// AccountPasswordRehashed the first time an imported hash is proved
// right), RefreshTokenIssued and AccessTokenIssued; AccountLoginFailed
// for the right password of a disabled or unverified account, as at
// loginAttempts.
func (t *TokenService) PasswordGrant(ctx context.Context, req PasswordRequest) (SessionTokens, error) {
	s := t.Accounts
	if s == nil {
		return SessionTokens{}, errGrantNotServed
	}
	scopes, err := ParseScope(req.Scope)
	if err != nil {
		return SessionTokens{}, err
	}
	switch {
	case req.Username == "" || req.Password == "":
		return SessionTokens{}, oauthErr(OAuthInvalidRequest, "username and password are required.")
	case len(req.Username) > MaxLoginValue || len(req.Password) > MaxLoginValue:
		return SessionTokens{}, errBadPassword
	}
	if req.Source, err = normalSource(req.Source); err != nil {
		req.Source = ""
	}
	client, err := t.sessionClient(ctx, req.ClientID, req.ClientSecret, req.Source)
	if err != nil {
		return SessionTokens{}, err
	}
	app, err := t.grantApplication(ctx, req.ApplicationID, client)
	if err != nil {
		return SessionTokens{}, err
	}
	acc, err := s.checkPassword(ctx, app, req.Username, req.Password, req.Source)
	var de *Error
	switch {
	case errors.Is(err, ErrLoginFailed):
		return SessionTokens{}, errBadPassword
	case errors.As(err, &de) && de.Kind == KindThrottled:
		return SessionTokens{}, &OAuthError{Code: OAuthInvalidGrant, Description: de.Message, RetryAfter: de.RetryAfter}
	case err != nil:
		return SessionTokens{}, err
	}
	c := Caller{TenantID: app.TenantID(), AccountID: acc.ID, KeyID: client.KeyID}
	if err := s.loginRefused(ctx, c, acc, req.Source); err != nil {
		return SessionTokens{}, grantRefused(err)
	}
	rh, err := s.rehashFor(acc, req.Password)
	if err != nil {
		return SessionTokens{}, err
	}
	granted, err := t.grantSession(ctx, acc.ID, scopes)
	if err != nil {
		return SessionTokens{}, err
	}
	id := t.IDs.NewID()
	refresh, err := refreshTokenFor(id, s.Rand)
	if err != nil {
		return SessionTokens{}, err
	}
	now := t.Clock.Now().UTC()
	started := &events.RefreshTokenIssued{
		ID: id, TenantID: app.TenantID(), ApplicationID: app.ID, AccountID: acc.ID, ClientID: client.KeyID,
		SecretHash: HashSecret(refresh), Scopes: granted, ExpiresAt: now.Add(app.RefreshTTL()).Truncate(time.Second), Source: req.Source,
	}
	tok := t.sessionToken(app, acc, client, started, granted, req.BaseURL, now)
	var session *RefreshToken
	_, err = run(ctx, s, c, func(r *recorder) (*Account, error) {
		cur, err := load[*Account](ctx, s, c, KindAccount, acc.ID)
		if err != nil {
			return nil, err
		}
		if cur.Status != StatusEnabled {
			return nil, ErrLoginDisabled
		}
		after := cur.clone()
		// The rehash, if any, is AccountPasswordRehashed, not
		// AccountPasswordSet: it must not end the session it starts.
		evs := append([]events.Event{&events.AccountLoginSucceeded{Source: req.Source}}, rh.events(cur)...)
		if err := r.record(cur.Ref(), cur, after, evs...); err != nil {
			return nil, err
		}
		session = &RefreshToken{}
		if err := r.record(Ref{KindRefreshToken, id}, nil, session, started); err != nil {
			return nil, err
		}
		return after, r.record(Ref{KindAccessToken, tok.JTI}, nil, &IssuedToken{}, issuedEvent(tok, id))
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return SessionTokens{}, errBadPassword // deleted meanwhile
	case errors.Is(err, ErrLoginDisabled):
		return SessionTokens{}, grantRefused(err)
	case err != nil:
		return SessionTokens{}, err
	}
	return t.signSession(ctx, tok, refresh, session)
}

// RefreshGrant rotates a session's refresh token and gives a new access
// token. A spent refresh token presented again ends the session
// (RefreshTokenRevoked, reason reuse) and is refused; every other
// refusal is the same invalid_grant and writes nothing.
func (t *TokenService) RefreshGrant(ctx context.Context, req RefreshRequest) (SessionTokens, error) {
	s := t.Accounts
	if s == nil {
		return SessionTokens{}, errGrantNotServed
	}
	scopes, err := ParseScope(req.Scope)
	if err != nil {
		return SessionTokens{}, err
	}
	if req.RefreshToken == "" {
		return SessionTokens{}, oauthErr(OAuthInvalidRequest, "refresh_token is required.")
	}
	if req.Source, err = normalSource(req.Source); err != nil {
		req.Source = ""
	}
	client, err := t.sessionClient(ctx, req.ClientID, req.ClientSecret, req.Source)
	if err != nil {
		return SessionTokens{}, err
	}
	id, ok := parseRefreshToken(req.RefreshToken)
	if !ok {
		return SessionTokens{}, errBadRefresh
	}
	hash := HashSecret(req.RefreshToken)
	var (
		tok     AccessToken
		refresh string
		now     time.Time
		reused  bool
	)
	session, err := run(ctx, s, Caller{}, func(r *recorder) (*RefreshToken, error) {
		reused = false
		states, err := t.Store.LoadMany(ctx, []Ref{{KindRefreshToken, id}})
		if err != nil {
			return nil, err
		}
		cur, _ := one[*RefreshToken](states)
		if cur == nil || cur.Deleted() || cur.ClientID != client.KeyID ||
			(req.ApplicationID != "" && req.ApplicationID != cur.ApplicationID) ||
			(client.KeyID != "" && client.TenantID != cur.TenantID()) {
			return nil, errBadRefresh
		}
		r.meta = Caller{TenantID: cur.TenantID(), AccountID: cur.AccountID, KeyID: client.KeyID}.meta()
		if subtle.ConstantTimeCompare([]byte(hash), []byte(cur.SecretHash)) != 1 {
			if !slices.Contains(cur.Spent, hash) {
				return nil, errBadRefresh
			}
			// Reuse: the client or a thief kept a spent token. Neither
			// can tell which, so the whole session ends.
			reused = true
			next := cur.clone()
			return next, r.record(cur.Ref(), cur, next, &events.RefreshTokenRevoked{Reason: events.RevokedForReuse, Source: req.Source})
		}
		now = t.Clock.Now().UTC()
		if !now.Before(cur.ExpiresAt) {
			return nil, errBadRefresh
		}
		app, acc, err := t.sessionParties(ctx, cur)
		if err != nil {
			return nil, err
		}
		// A refresh may narrow the session's scopes, never widen them
		// (RFC 6749 §6), and keeps only those the account's groups
		// still grant.
		want := cur.Scopes
		if len(scopes) > 0 {
			for _, sc := range scopes {
				if !slices.Contains(cur.Scopes, sc) {
					return nil, oauthErr(OAuthInvalidScope, "A refresh may not ask for scopes beyond the session's.")
				}
			}
			want = scopes
		}
		granted, err := t.grantSession(ctx, acc.ID, want)
		if err != nil {
			return nil, err
		}
		if refresh, err = refreshTokenFor(cur.ID, s.Rand); err != nil {
			return nil, err
		}
		next := cur.clone()
		if err := r.record(cur.Ref(), cur, next, &events.RefreshTokenRotated{SecretHash: HashSecret(refresh), Source: req.Source}); err != nil {
			return nil, err
		}
		started := &events.RefreshTokenIssued{ID: cur.ID, ClientID: cur.ClientID, ExpiresAt: cur.ExpiresAt}
		tok = t.sessionToken(app, acc, client, started, granted, req.BaseURL, now)
		return next, r.record(Ref{KindAccessToken, tok.JTI}, nil, &IssuedToken{}, issuedEvent(tok, cur.ID))
	})
	switch {
	case err != nil:
		return SessionTokens{}, err
	case reused:
		return SessionTokens{}, errBadRefresh
	}
	return t.signSession(ctx, tok, refresh, session)
}

// sessionClient authenticates the client of a password or refresh grant
// when it sent credentials: it must be an admin key. No credentials is a
// public client (the zero Principal).
func (t *TokenService) sessionClient(ctx context.Context, id, secret, source string) (Principal, error) {
	if id == "" && secret == "" {
		return Principal{}, nil
	}
	p, _, _, err := t.authenticateClient(ctx, id, secret, source, "")
	if err != nil {
		return Principal{}, err
	}
	if !p.Admin {
		return Principal{}, oauthErr(OAuthUnauthorizedClient, "Only an admin key of the tenant, or a public client without credentials, may use this grant.")
	}
	return p, nil
}

// grantApplication reads the application whose token endpoint was
// called: it must exist and be enabled, and be the authenticated
// client's tenant's. Every refusal is the same.
func (t *TokenService) grantApplication(ctx context.Context, id string, client Principal) (*Application, error) {
	if id == "" || len(id) > 64 {
		return nil, errNoApplication
	}
	app := &Application{}
	err := t.Store.Load(ctx, Ref{KindApplication, id}, app)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, errNoApplication
	case err != nil:
		return nil, err
	case !app.Usable() || (client.KeyID != "" && client.TenantID != app.TenantID()):
		return nil, errNoApplication
	}
	return app, nil
}

// sessionParties reads a session's application and account in one
// LoadMany and refuses a session that may no longer give tokens: its
// account disabled, deleted or given a new password since the session
// started, or its application disabled or deleted.
func (t *TokenService) sessionParties(ctx context.Context, cur *RefreshToken) (*Application, *Account, error) {
	states, err := t.Store.LoadMany(ctx, []Ref{{KindApplication, cur.ApplicationID}, {KindAccount, cur.AccountID}})
	if err != nil {
		return nil, nil, err
	}
	app, _ := one[*Application](states)
	acc, _ := one[*Account](states)
	if app == nil || acc == nil || !sessionLive(cur, app, acc) {
		return nil, nil, errBadRefresh
	}
	if ok, err := reaches(ctx, t.Store, app, acc); !ok || err != nil {
		return nil, nil, refusedOr(err, errBadRefresh)
	}
	return app, acc, nil
}

// refusedOr returns err, or refusal when err is nil.
func refusedOr(err, refusal error) error {
	if err != nil {
		return err
	}
	return refusal
}

// sessionLive reports a session whose account and application may still
// give it tokens (and, for sessionParties, the application still
// reaches the account).
func sessionLive(cur *RefreshToken, app *Application, acc *Account) bool {
	return app.Usable() && app.TenantID() == cur.TenantID() && !startedBy(cur, app.TokensValidAfter) &&
		!acc.Deleted() && acc.Status == StatusEnabled && acc.TenantID() == cur.TenantID() &&
		!startedBy(cur, acc.TokensValidAfter) && !startedBy(cur, acc.SessionsValidAfter)
}

// startedBy reports a session started at or before t.
func startedBy(cur *RefreshToken, t time.Time) bool {
	return !t.IsZero() && !cur.CreatedAt.After(t)
}

// grantSession applies the scope policy to a session: a scope is
// granted while the account is in an enabled group of that name.
func (t *TokenService) grantSession(ctx context.Context, accountID string, requested []string) ([]string, error) {
	if len(requested) == 0 {
		return nil, nil
	}
	names, err := t.groupNames(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range requested {
		if names[s] {
			out = append(out, s)
		}
	}
	return out, nil
}

// sessionToken builds the access token of a session: for the account
// alone, never admin, and never outliving the session.
func (t *TokenService) sessionToken(app *Application, acc *Account, client Principal, started *events.RefreshTokenIssued, scopes []string, baseURL string, now time.Time) AccessToken {
	iat := now.Truncate(time.Second)
	exp := iat.Add(app.TokenTTL())
	if exp.After(started.ExpiresAt) {
		exp = started.ExpiresAt
	}
	if !exp.After(iat) {
		exp = iat.Add(time.Second)
	}
	clientID := started.ClientID
	if clientID == "" {
		clientID = app.ID // a public client: the application is the client
	}
	return AccessToken{
		JTI: t.IDs.NewID(), Issuer: t.Issuer, Audience: ApplicationAudience(t.Audience, app.ID),
		Subject:  strings.TrimRight(baseURL, "/") + "/v1/accounts/" + acc.ID,
		ClientID: clientID, TenantID: app.TenantID(), ApplicationID: app.ID, AccountID: acc.ID,
		Scopes: scopes, IssuedAt: iat, ExpiresAt: exp, RefreshTokenID: started.ID,
	}
}

func issuedEvent(tok AccessToken, session string) *events.AccessTokenIssued {
	return &events.AccessTokenIssued{ID: tok.JTI, TenantID: tok.TenantID, ApplicationID: tok.ApplicationID, AccountID: tok.AccountID,
		RefreshTokenID: session, Scopes: tok.Scopes, ExpiresAt: tok.ExpiresAt}
}

// signSession signs the committed access token and answers.
func (t *TokenService) signSession(ctx context.Context, tok AccessToken, refresh string, session *RefreshToken) (SessionTokens, error) {
	signed, err := t.Signer.Sign(ctx, tok)
	if err != nil {
		return SessionTokens{}, err
	}
	return SessionTokens{
		Issued:           Issued{Token: tok, Signed: signed, ExpiresIn: int(tok.ExpiresAt.Sub(tok.IssuedAt) / time.Second)},
		RefreshToken:     refresh,
		RefreshExpiresIn: int(session.ExpiresAt.Sub(tok.IssuedAt) / time.Second),
		Session:          session,
	}, nil
}

// grantRefused turns a login refusal into the grant's invalid_grant,
// with the login's message (given only after the right password); other
// errors pass.
func grantRefused(err error) error {
	for _, refusal := range []*Error{ErrLoginDisabled, ErrLoginUnverified, ErrLoginFailed} {
		if errors.Is(err, refusal) {
			return oauthErr(OAuthInvalidGrant, refusal.Message)
		}
	}
	return err
}

// one returns the first state of type T among states.
func one[T State](states []State) (T, bool) {
	for _, st := range states {
		if v, ok := st.(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}
