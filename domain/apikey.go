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
	// ScopesRestricted limits the scopes its tokens can ever carry to
	// Scopes; otherwise group membership alone decides.
	ScopesRestricted bool     `json:"scopesRestricted,omitempty"`
	Scopes           []string `json:"scopes,omitempty"`
	// TokensValidAfter is when the key was last disabled: access tokens
	// issued before it stay dead even if the key is enabled again.
	TokensValidAfter time.Time `json:"tokensValidAfter,omitzero"`
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
		case *events.APIKeyUpdated:
			if k.Status == StatusEnabled && e.Status != StatusEnabled {
				k.TokensValidAfter = env.At
			}
			k.Name, k.Description, k.Status = e.Name, e.Description, e.Status
		case *events.APIKeyDeleted:
			k.Gone = true
		case *events.APIKeyScopesSet:
			k.ScopesRestricted, k.Scopes = e.Restricted, e.Scopes
		default:
			return unexpected(e)
		}
		return nil
	})
}

func (k *APIKey) clone() *APIKey { c := *k; c.Scopes = slices.Clone(k.Scopes); return &c }
