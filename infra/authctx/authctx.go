package authctx

import (
	"fmt"
	"strings"
)

// Context keys.
const (
	KeyPrincipalID   = "principalId"
	KeyAccountHref   = "accountHref"
	KeyAccountID     = "accountId"
	KeyAPIKeyID      = "apiKeyId"
	KeyTenantID      = "tenantId"
	KeyApplicationID = "applicationId"
	KeyAuthType      = "authType"
	KeyAdmin         = "admin"
	KeyScope         = "scope"
	KeyUsername      = "username"
	// KeyRefreshTokenID is set only for a password grant's token: the
	// session it belongs to. Such a credential has no API key and acts
	// for its account alone.
	KeyRefreshTokenID = "refreshTokenId"
)

// Auth types.
const (
	AuthBasic  = "basic"
	AuthBearer = "bearer"
)

// Identity is who the authorizer let in.
type Identity struct {
	AccountHref   string
	AccountID     string
	APIKeyID      string
	TenantID      string
	ApplicationID string
	AuthType      string
	Admin         bool
	// Scope is space-delimited, as in OAuth.
	Scope string
	// Username is the account's username.
	Username string
	// RefreshTokenID is the session of a password grant's token ("" for
	// API keys and client credentials tokens); APIKeyID is then empty.
	RefreshTokenID string
}

// Map encodes an identity as an authorizer context.
func (id Identity) Map() map[string]any {
	admin := "false"
	if id.Admin {
		admin = "true"
	}
	m := map[string]any{
		KeyAccountHref:   id.AccountHref,
		KeyAccountID:     id.AccountID,
		KeyAPIKeyID:      id.APIKeyID,
		KeyTenantID:      id.TenantID,
		KeyApplicationID: id.ApplicationID,
		KeyAuthType:      id.AuthType,
		KeyAdmin:         admin,
		KeyScope:         id.Scope,
		KeyUsername:      id.Username,
	}
	if id.RefreshTokenID != "" {
		m[KeyRefreshTokenID] = id.RefreshTokenID
	}
	return m
}

// FromMap decodes an authorizer context as API Gateway delivers it (REST
// APIs may deliver booleans as booleans). It fails when the context has no
// tenant or key, so a function deployed without its authorizer refuses
// every request rather than serving anonymous ones.
func FromMap(m map[string]any) (Identity, error) {
	str := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case nil:
			return ""
		default:
			return fmt.Sprint(v)
		}
	}
	id := Identity{
		AccountHref:    str(KeyAccountHref),
		AccountID:      str(KeyAccountID),
		APIKeyID:       str(KeyAPIKeyID),
		TenantID:       str(KeyTenantID),
		ApplicationID:  str(KeyApplicationID),
		AuthType:       str(KeyAuthType),
		Admin:          strings.EqualFold(str(KeyAdmin), "true"),
		Scope:          str(KeyScope),
		Username:       str(KeyUsername),
		RefreshTokenID: str(KeyRefreshTokenID),
	}
	if id.TenantID == "" || id.AccountID == "" || (id.APIKeyID == "") == (id.RefreshTokenID == "") {
		return Identity{}, fmt.Errorf("authorizer context lacks tenant, account, or exactly one of key and session")
	}
	if id.RefreshTokenID != "" && id.Admin {
		return Identity{}, fmt.Errorf("authorizer context: a session is never admin")
	}
	return id, nil
}

// Scopes splits Scope.
func (id Identity) Scopes() []string { return strings.Fields(id.Scope) }

// HasScope reports whether the identity carries scope s.
func (id Identity) HasScope(s string) bool {
	for _, x := range id.Scopes() {
		if x == s {
			return true
		}
	}
	return false
}
