package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
)

// The request bodies, as Go types: their json tags are the properties a
// body may set. The parsers declare the type they read (bodyFields), and
// reading a property the type does not name fails; the OpenAPI document
// (openapi.go) describes the same types. So a property is accepted if and
// only if it is documented. Optional properties are omitempty; every
// property is optional on update.

// NamedBody is the body that creates or updates an application or a group.
type NamedBody struct {
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Status      string          `json:"status,omitempty"`
	CustomData  CustomDataInput `json:"customData,omitempty"`
}

// ApplicationBody creates or updates an application: NamedBody's
// properties, and the default rate limit of its keys.
type ApplicationBody struct {
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Status      string          `json:"status,omitempty"`
	CustomData  CustomDataInput `json:"customData,omitempty"`
	RateLimit   *RateLimitBody  `json:"rateLimit,omitempty"`
}

// RateLimitBody is a key's request budget: bursts of up to Requests,
// refilled at Requests per Period (ISO 8601, PT1S to P1D). null lifts it.
type RateLimitBody struct {
	Requests int    `json:"requests"`
	Period   string `json:"period"`
}

// AccountBody creates or updates an account.
type AccountBody struct {
	Username   string          `json:"username,omitempty"`
	Email      string          `json:"email,omitempty"`
	GivenName  string          `json:"givenName,omitempty"`
	MiddleName string          `json:"middleName,omitempty"`
	Surname    string          `json:"surname,omitempty"`
	Password   string          `json:"password,omitempty"`
	Status     string          `json:"status,omitempty"`
	CustomData CustomDataInput `json:"customData,omitempty"`
}

// APIKeyBody creates or updates an API key. Scopes null lifts the key's
// scope limit; a list (maybe empty) sets it.
type APIKeyBody struct {
	Name        string    `json:"name,omitempty"`
	Description string    `json:"description,omitempty"`
	Status      string    `json:"status,omitempty"`
	Scopes      *[]string `json:"scopes,omitempty"`
	// ExpiresAt (RFC 3339, in the future) is when the key stops
	// authenticating; null lifts it.
	ExpiresAt *string `json:"expiresAt,omitempty"`
	// RateLimit is the key's own limit, over its application's default.
	RateLimit *RateLimitBody `json:"rateLimit,omitempty"`
}

// APIKeyCreateBody creates an API key: APIKeyBody's properties, and, for
// an admin key importing a key exported from Stormpath, its id and
// plaintext secret (both or neither; see README "Importing keys").
type APIKeyCreateBody struct {
	// ID is the imported key's id: 25 digits and upper-case letters.
	ID string `json:"id,omitempty"`
	// Secret is the imported key's secret, stored only as its SHA-256
	// and never shown again.
	Secret      string         `json:"secret,omitempty"`
	Name        string         `json:"name,omitempty"`
	Description string         `json:"description,omitempty"`
	Status      string         `json:"status,omitempty"`
	Scopes      *[]string      `json:"scopes,omitempty"`
	ExpiresAt   *string        `json:"expiresAt,omitempty"`
	RateLimit   *RateLimitBody `json:"rateLimit,omitempty"`
}

// RerollBody asks for a new secret: the old one keeps working for
// GracePeriod (ISO 8601, PT0S to P7D; PT0S when absent).
type RerollBody struct {
	GracePeriod string `json:"gracePeriod,omitempty"`
}

// MappingBody maps an account store to an application (on create), or
// moves it and sets its default flags.
type MappingBody struct {
	Application           *Link `json:"application,omitempty"`
	AccountStore          *Link `json:"accountStore,omitempty"`
	ListIndex             *int  `json:"listIndex,omitempty"`
	IsDefaultAccountStore *bool `json:"isDefaultAccountStore,omitempty"`
	IsDefaultGroupStore   *bool `json:"isDefaultGroupStore,omitempty"`
}

// MembershipBody puts an account in a group: both are links.
type MembershipBody struct {
	Account Link `json:"account"`
	Group   Link `json:"group"`
}

// OAuthPolicyBody updates an application's OAuth policy.
type OAuthPolicyBody struct {
	// AccessTokenTTL is an ISO 8601 duration such as PT1H.
	AccessTokenTTL string `json:"accessTokenTtl,omitempty"`
	// RefreshTokenTTL is an ISO 8601 duration such as P60D.
	RefreshTokenTTL string `json:"refreshTokenTtl,omitempty"`
}

// PasswordPolicyBody updates an application's password policy.
type PasswordPolicyBody struct {
	// ResetTokenTTL is the reset token's lifetime in hours, 1 to 168.
	ResetTokenTTL           int    `json:"resetTokenTtl,omitempty"`
	ResetEmailStatus        string `json:"resetEmailStatus,omitempty"`
	ResetSuccessEmailStatus string `json:"resetSuccessEmailStatus,omitempty"`
	LinkBaseURL             string `json:"linkBaseUrl,omitempty"`
}

// AccountCreationPolicyBody updates an application's account creation
// policy.
type AccountCreationPolicyBody struct {
	VerificationEmailStatus        string `json:"verificationEmailStatus,omitempty"`
	VerificationSuccessEmailStatus string `json:"verificationSuccessEmailStatus,omitempty"`
	LinkBaseURL                    string `json:"linkBaseUrl,omitempty"`
	SelfRegistrationStatus         string `json:"selfRegistrationStatus,omitempty"`
}

// PasswordResetBody asks for a password reset mail.
type PasswordResetBody struct {
	Email string `json:"email"`
}

// NewPasswordBody sets a password with a reset token.
type NewPasswordBody struct {
	Password string `json:"password"`
}

// VerificationEmailBody asks for a fresh verification mail: login is the
// account's username or email.
type VerificationEmailBody struct {
	Login string `json:"login"`
}

// LoginAttemptBody is a password login (Stormpath's loginAttempts).
type LoginAttemptBody struct {
	// Type is "basic".
	Type string `json:"type"`
	// Value is the standard base64 of "usernameOrEmail:password".
	Value string `json:"value"`
	// ClientIP is the end user's address, for throttling.
	ClientIP string `json:"clientIp,omitempty"`
}

// CustomDataInput is customData sent inline with a resource, or to the
// customData resource itself: any JSON object, whose fields are merged
// into the resource's customData.
type CustomDataInput map[string]json.RawMessage

// TokenForm is the form body of the token endpoints (RFC 6749 §4.4.2).
// ClientID and ClientSecret authenticate the client instead of HTTP Basic
// (client_secret_post, RFC 6749 §2.3.1).
type TokenForm struct {
	// GrantType is client_credentials, password (at an application's
	// token endpoint) or refresh_token.
	GrantType string `json:"grant_type"`
	Scope     string `json:"scope,omitempty"`
	// Username and Password are the password grant's.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// RefreshToken is the refresh grant's.
	RefreshToken string `json:"refresh_token,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
}

// RevokeForm is the form body of the revocation endpoint (RFC 7009 §2.1).
type RevokeForm struct {
	Token         string `json:"token"`
	TokenTypeHint string `json:"token_type_hint,omitempty"`
	ClientID      string `json:"client_id,omitempty"`
	ClientSecret  string `json:"client_secret,omitempty"`
}

// IntrospectForm is the form body of the introspection endpoint (RFC 7662
// §2.1).
type IntrospectForm struct {
	Token         string `json:"token"`
	TokenTypeHint string `json:"token_type_hint,omitempty"`
}

// JWKSet is the JWK Set document (RFC 7517 §5) of /.well-known/jwks.json.
type JWKSet struct {
	Keys []map[string]any `json:"keys"`
}

// jsonNames lists the JSON property names of a struct type's fields.
func jsonNames(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}
