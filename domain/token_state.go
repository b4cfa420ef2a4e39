package domain

import (
	"time"

	"github.com/keystorm/keystorm/events"
)

// RevokedToken is a revoked access token, by jti. It exists only once
// revoked: a token without one is live until it expires.
type RevokedToken struct {
	Base
	APIKeyID  string    `json:"apiKeyId"`
	AccountID string    `json:"accountId"`
	ExpiresAt time.Time `json:"expiresAt"`
	By        string    `json:"by"`
}

// Ref implements State.
func (t *RevokedToken) Ref() Ref { return Ref{KindToken, t.ID} }

// Collections implements State.
func (t *RevokedToken) Collections() []string { return nil }

// UniqueKeys implements State.
func (t *RevokedToken) UniqueKeys() []Unique { return nil }

// Apply implements State.
func (t *RevokedToken) Apply(env events.Envelope) error {
	return fold(t, env, &t.Base, func(e events.Event) error {
		switch e := e.(type) {
		case *events.TokenRevoked:
			t.ID, t.Tenant, t.APIKeyID, t.AccountID, t.ExpiresAt, t.By = e.JTI, e.TenantID, e.APIKeyID, e.AccountID, e.ExpiresAt, e.By
		default:
			return unexpected(e)
		}
		return nil
	})
}
