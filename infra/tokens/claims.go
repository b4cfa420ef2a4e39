package tokens

import "github.com/go-jose/go-jose/v4/jwt"

// TokenType is the JWT "typ" header of access tokens (RFC 9068 §2.1).
const TokenType = "at+jwt"

// accessClaims is the token payload: the registered claims of RFC 7519,
// client_id and scope as RFC 9068 §2.2 (and RFC 8693 §4.2-4.3) define
// them, and Keystorm's own tenant_id, application_id, account_id and
// admin, ksg (the key secret's generation), and Stormpath's rti on a
// session's tokens.
type accessClaims struct {
	jwt.Claims
	ClientID      string `json:"client_id"`
	Scope         string `json:"scope,omitempty"`
	TenantID      string `json:"tenant_id"`
	ApplicationID string `json:"application_id,omitempty"`
	AccountID     string `json:"account_id,omitempty"`
	Admin         bool   `json:"admin"`
	// RefreshTokenID is Stormpath's "rti": the session of a password
	// grant's token.
	RefreshTokenID string `json:"rti,omitempty"`
	// SecretGeneration ("ksg") is the generation of the key secret the
	// token was issued for: after a reroll, tokens of the replaced
	// secret end with its grace.
	SecretGeneration int `json:"ksg,omitempty"`
}
