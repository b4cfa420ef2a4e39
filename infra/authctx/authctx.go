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
}

// Map encodes an identity as an authorizer context.
func (id Identity) Map() map[string]any {
	admin := "false"
	if id.Admin {
		admin = "true"
	}
	return map[string]any{
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
		AccountHref:   str(KeyAccountHref),
		AccountID:     str(KeyAccountID),
		APIKeyID:      str(KeyAPIKeyID),
		TenantID:      str(KeyTenantID),
		ApplicationID: str(KeyApplicationID),
		AuthType:      str(KeyAuthType),
		Admin:         strings.EqualFold(str(KeyAdmin), "true"),
		Scope:         str(KeyScope),
		Username:      str(KeyUsername),
	}
	if id.TenantID == "" || id.APIKeyID == "" || id.AccountID == "" {
		return Identity{}, fmt.Errorf("authorizer context lacks tenant, account or key")
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
