package domain

import (
	"slices"
	"time"

	"github.com/keystorm/keystorm/events"
)

// APIKey is an id/secret pair of an account. Only the SHA-256 of the secret
// is kept.
type APIKey struct {
	Base
	AccountID     string `json:"accountId"`
	ApplicationID string `json:"applicationId"`
	SecretHash    string `json:"secretHash"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	Status        string `json:"status"`
	// Admin is copied from the account at creation: an account never moves
	// between applications, so it cannot go stale.
	Admin bool `json:"admin,omitempty"`
	// Imported is set when the key was created with an id and secret an
	// admin gave (a Stormpath export). It stays set after a reroll: it
	// says where the key came from, not where its secret did.
	Imported bool `json:"imported,omitempty"`
	// ScopesRestricted limits the scopes its tokens can ever carry to
	// Scopes; otherwise group membership alone decides.
	ScopesRestricted bool     `json:"scopesRestricted,omitempty"`
	Scopes           []string `json:"scopes,omitempty"`
	// TokensValidAfter is when the key was last disabled: access tokens
	// issued before it stay dead even if the key is enabled again.
	TokensValidAfter time.Time `json:"tokensValidAfter,omitzero"`
	// ExpiresAt is when the key stops authenticating; zero: never.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// Generation counts the key's rerolls: the secret in SecretHash is
	// of this generation, and access tokens carry the generation of the
	// secret they were issued for, so that a token outlives neither its
	// secret nor that secret's grace (see TokenLive).
	Generation int `json:"generation,omitempty"`
	// PreviousSecretHash is the secret the last reroll replaced (of
	// generation Generation-1); it authenticates until PreviousValidUntil.
	// Empty when there was no grace, or it is over as of the reroll.
	PreviousSecretHash string    `json:"previousSecretHash,omitempty"`
	PreviousValidUntil time.Time `json:"previousValidUntil,omitzero"`
	// RateLimit is the key's own limit; zero: its application's default
	// applies (EffectiveRateLimit).
	RateLimit RateLimit `json:"rateLimit,omitzero"`
}

// Expired reports whether the key's expiry has come by now.
func (k *APIKey) Expired(now time.Time) bool {
	return !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt)
}

// InGrace reports whether the previous secret still authenticates now.
func (k *APIKey) InGrace(now time.Time) bool {
	return k.PreviousSecretHash != "" && now.Before(k.PreviousValidUntil)
}

// Ref implements State.
func (k *APIKey) Ref() Ref { return Ref{KindAPIKey, k.ID} }

// Collections implements State.
func (k *APIKey) Collections() []string {
	if k.Gone {
		return nil
	}
	return []string{"account/" + k.AccountID + "/apikeys"}
}

// UniqueKeys implements State.
func (k *APIKey) UniqueKeys() []Unique { return nil }

// Apply implements State.
func (k *APIKey) Apply(env events.Envelope) error {
	return fold(k, env, &k.Base, func(e events.Event) error {
		switch e := e.(type) {
		case *events.APIKeyCreated:
			k.ID, k.Tenant, k.AccountID, k.ApplicationID = e.ID, e.TenantID, e.AccountID, e.ApplicationID
			k.SecretHash, k.Name, k.Description, k.Status, k.Admin = e.SecretHash, e.Name, e.Description, e.Status, e.Admin
			k.Imported = e.Imported
		case *events.APIKeyUpdated:
			if k.Status == StatusEnabled && e.Status != StatusEnabled {
				k.TokensValidAfter = env.At
			}
			k.Name, k.Description, k.Status = e.Name, e.Description, e.Status
		case *events.APIKeyDeleted:
			k.Gone = true
		case *events.APIKeyScopesSet:
			k.ScopesRestricted, k.Scopes = e.Restricted, e.Scopes
		case *events.APIKeyRateLimitSet:
			k.RateLimit = rateLimitOf(events.RateLimit(*e))
		case *events.APIKeyExpirySet:
			k.ExpiresAt = e.ExpiresAt
		case *events.APIKeyRerolled:
			k.PreviousSecretHash, k.PreviousValidUntil = "", time.Time{}
			if e.GraceUntil.After(env.At) {
				k.PreviousSecretHash, k.PreviousValidUntil = k.SecretHash, e.GraceUntil
			}
			k.SecretHash = e.SecretHash
			k.Generation++
		default:
			return unexpected(e)
		}
		return nil
	})
}

func (k *APIKey) clone() *APIKey { c := *k; c.Scopes = slices.Clone(k.Scopes); return &c }
