package domain

import (
	"crypto/rand"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/keystorm/keystorm/events"
)

// Sessions of the password grant. A session is one refresh token's
// stream (KindRefreshToken): it starts when an account signs in with its
// password and lives until its expiresAt, its revocation, a password
// change or the account's disabling. Each refresh spends the current
// secret and hands out a new one (rotation); a spent secret presented
// again ends the whole session (RFC 9700 §4.14), since either the client
// or a thief holds a copy. The access tokens a session gives are
// recorded too (KindAccessToken), so that an account's tokens can be
// listed and deleted one by one.

// Aggregate kinds of sessions.
const (
	KindRefreshToken = "refresh_token"
	KindAccessToken  = "access_token"
)

// Refresh token lifetimes: Stormpath's default and bounds for
// refreshTokenTtl (PT1S to P10Y; a year counted as 365 days).
const (
	DefaultRefreshTokenTTL = 60 * 24 * time.Hour
	MinRefreshTokenTTL     = time.Second
	MaxRefreshTokenTTL     = 10 * 365 * 24 * time.Hour
	// maxSpent bounds the spent secret hashes a session keeps for reuse
	// detection. A secret older than that is refused like an unknown one
	// (invalid_grant) without ending the session: it can no longer be
	// used, so all that is lost is the alarm.
	maxSpent = 64
)

// RefreshTokenPrefix marks Keystorm refresh tokens, as SecretPrefix does
// API key secrets, so that secret scanners recognise a leaked one.
const RefreshTokenPrefix = "ksr_"

// RefreshToken is a session: the refresh token's current secret (as a
// hash), the secrets it already spent, and what the session may do.
type RefreshToken struct {
	Base
	ApplicationID string `json:"applicationId"`
	AccountID     string `json:"accountId"`
	// ClientID is the admin API key that authenticated the grant, or ""
	// for a public client; a refresh must come from the same client.
	ClientID   string    `json:"clientId,omitempty"`
	SecretHash string    `json:"secretHash"`
	Spent      []string  `json:"spent,omitempty"`
	Scopes     []string  `json:"scopes,omitempty"`
	ExpiresAt  time.Time `json:"expiresAt"`
	// Rotations counts refreshes, for the resource's view.
	Rotations int `json:"rotations,omitempty"`
	// Reason is why the session ended (events.RevokedByRequest or
	// events.RevokedForReuse), once Gone.
	Reason string `json:"reason,omitempty"`
}

// Ref implements State.
func (t *RefreshToken) Ref() Ref { return Ref{KindRefreshToken, t.ID} }

// Collections implements State.
func (t *RefreshToken) Collections() []string {
	if t.Gone {
		return nil
	}
	return []string{"account/" + t.AccountID + "/refreshTokens"}
}

// UniqueKeys implements State.
func (t *RefreshToken) UniqueKeys() []Unique { return nil }

// Apply implements State.
func (t *RefreshToken) Apply(env events.Envelope) error {
	return fold(t, env, &t.Base, func(e events.Event) error {
		switch e := e.(type) {
		case *events.RefreshTokenIssued:
			t.ID, t.Tenant, t.ApplicationID, t.AccountID, t.ClientID = e.ID, e.TenantID, e.ApplicationID, e.AccountID, e.ClientID
			t.SecretHash, t.Scopes, t.ExpiresAt = e.SecretHash, e.Scopes, e.ExpiresAt
		case *events.RefreshTokenRotated:
			t.Spent = append(t.Spent, t.SecretHash)
			if len(t.Spent) > maxSpent {
				t.Spent = t.Spent[len(t.Spent)-maxSpent:]
			}
			t.SecretHash = e.SecretHash
			t.Rotations++
		case *events.RefreshTokenRevoked:
			t.Gone, t.Reason = true, e.Reason
		default:
			return unexpected(e)
		}
		return nil
	})
}

func (t *RefreshToken) clone() *RefreshToken {
	c := *t
	c.Spent = slices.Clone(t.Spent)
	c.Scopes = slices.Clone(t.Scopes)
	return &c
}

// IssuedToken is an access token a session gave, by its jti. It lives
// until it is deleted; its expiresAt says when it stops working anyway.
type IssuedToken struct {
	Base
	ApplicationID  string    `json:"applicationId"`
	AccountID      string    `json:"accountId"`
	RefreshTokenID string    `json:"refreshTokenId"`
	Scopes         []string  `json:"scopes,omitempty"`
	ExpiresAt      time.Time `json:"expiresAt"`
}

// Ref implements State.
func (t *IssuedToken) Ref() Ref { return Ref{KindAccessToken, t.ID} }

// Collections implements State.
func (t *IssuedToken) Collections() []string {
	if t.Gone {
		return nil
	}
	return []string{"account/" + t.AccountID + "/accessTokens"}
}

// UniqueKeys implements State.
func (t *IssuedToken) UniqueKeys() []Unique { return nil }

// Apply implements State.
func (t *IssuedToken) Apply(env events.Envelope) error {
	return fold(t, env, &t.Base, func(e events.Event) error {
		switch e := e.(type) {
		case *events.AccessTokenIssued:
			t.ID, t.Tenant, t.ApplicationID, t.AccountID = e.ID, e.TenantID, e.ApplicationID, e.AccountID
			t.RefreshTokenID, t.Scopes, t.ExpiresAt = e.RefreshTokenID, e.Scopes, e.ExpiresAt
		case *events.AccessTokenRevoked:
			t.Gone = true
		default:
			return unexpected(e)
		}
		return nil
	})
}

// Scope is the space-delimited scope string.
func (t *IssuedToken) Scope() string { return strings.Join(t.Scopes, " ") }

// Scope is the space-delimited scope string.
func (t *RefreshToken) Scope() string { return strings.Join(t.Scopes, " ") }

// refreshTokenFor draws a refresh token of session id: the prefix, the
// id, a dot, and 43 base62 characters (256 bits). Only its hash is
// stored.
func refreshTokenFor(id string, rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	body, err := randomString(rnd, base62, secretBody)
	if err != nil {
		return "", err
	}
	return RefreshTokenPrefix + id + "." + body, nil
}

// parseRefreshToken splits a refresh token into its session id, or
// reports one that cannot be ours. The check costs nothing and reads
// nothing, so a made-up token is refused before any store call.
func parseRefreshToken(token string) (id string, ok bool) {
	rest, found := strings.CutPrefix(token, RefreshTokenPrefix)
	if !found {
		return "", false
	}
	id, body, found := strings.Cut(rest, ".")
	if !found || len(id) != idLen || len(body) != secretBody || !alnum(id) || !alnum(body) {
		return "", false
	}
	return id, true
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}
