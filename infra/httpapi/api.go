package httpapi

import (
	"net/http"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authorizer"
)

// API serves the management resources, and the OAuth endpoints (family
// "oauth", see oauth.go).
type API struct {
	Svc *domain.Service
	// Tokens and JWKS serve the oauth family only; the management
	// families never need them (nor the signing key behind them).
	Tokens *domain.TokenService
	JWKS   JWKSFunc
	// Decider and AuthCacheTTL serve the authenticate endpoint (oauth
	// family): the authorizer's decision, and how long a backend may
	// reuse it.
	Decider      *authorizer.Decider
	AuthCacheTTL time.Duration
}

// Families lists the resource families; each is one Lambda function.
var Families = []string{"tenants", "applications", "accounts", "groups", "apikeys"}

// OAuthFamily is the function serving the OAuth endpoints. It is not in
// Families: some of its routes are public, and it alone holds the signing
// key.
const OAuthFamily = "oauth"

// Handler returns the router of one resource family, or nil.
func (a *API) Handler(family string) *Router {
	rt := &Router{}
	switch family {
	case "tenants":
		rt.Handle("GET", "/v1/tenants/current", a.do(a.currentTenant))
		rt.Handle("GET", "/v1/tenants/{tenantId}", a.do(a.getTenant))
		rt.Handle("GET", "/v1/tenants/{tenantId}/events", a.do(a.tenantEvents))
		a.customDataRoutes(rt, domain.KindTenant, "tenantId")
	case "applications":
		rt.Handle("POST", "/v1/applications", a.doCustom(a.createApplication))
		rt.Handle("GET", "/v1/applications", a.do(a.listApplications))
		rt.Handle("GET", "/v1/applications/{applicationId}", a.do(a.getApplication))
		rt.Handle("POST", "/v1/applications/{applicationId}", a.doCustom(a.updateApplication))
		rt.Handle("DELETE", "/v1/applications/{applicationId}", a.do(a.deleteApplication))
		rt.Handle("GET", "/v1/oAuthPolicies/{applicationId}", a.do(a.getOAuthPolicy))
		rt.Handle("POST", "/v1/oAuthPolicies/{applicationId}", a.do(a.updateOAuthPolicy))
		rt.Handle("GET", "/v1/passwordPolicies/{applicationId}", a.do(a.getPasswordPolicy))
		rt.Handle("POST", "/v1/passwordPolicies/{applicationId}", a.do(a.updatePasswordPolicy))
		rt.Handle("GET", "/v1/accountCreationPolicies/{applicationId}", a.do(a.getAccountCreationPolicy))
		rt.Handle("POST", "/v1/accountCreationPolicies/{applicationId}", a.do(a.updateAccountCreationPolicy))
		a.customDataRoutes(rt, domain.KindApplication, "applicationId")
		a.directoryRoutes(rt)
	case "accounts":
		rt.Handle("POST", "/v1/applications/{applicationId}/accounts", a.doCustom(a.createAccount))
		rt.Handle("GET", "/v1/applications/{applicationId}/accounts", a.do(a.listAccounts))
		rt.Handle("POST", "/v1/applications/{applicationId}/loginAttempts", a.do(a.loginAttempt))
		rt.Handle("POST", "/v1/applications/{applicationId}/passwordResetTokens", a.do(a.createPasswordResetToken))
		rt.Handle("GET", "/v1/applications/{applicationId}/passwordResetTokens/{token}", a.do(a.getPasswordResetToken))
		rt.Handle("POST", "/v1/applications/{applicationId}/passwordResetTokens/{token}", a.do(a.resetPassword))
		rt.Handle("POST", "/v1/applications/{applicationId}/verificationEmails", a.do(a.resendVerification))
		rt.Handle("POST", "/v1/accounts/emailVerificationTokens/{token}", a.do(a.verifyEmail))
		rt.Handle("GET", "/v1/accounts/{accountId}", a.doSelf(a.getAccount))
		rt.Handle("POST", "/v1/accounts/{accountId}", a.doCustom(a.updateAccount))
		rt.Handle("DELETE", "/v1/accounts/{accountId}", a.do(a.deleteAccount))
		a.customDataRoutes(rt, domain.KindAccount, "accountId")
		a.tokenRoutes(rt)
		rt.Handle("POST", "/v1/directories/{directoryId}/accounts", a.doCustom(a.createDirectoryAccount))
		rt.Handle("GET", "/v1/directories/{directoryId}/accounts", a.do(a.listDirectoryAccounts))
	case "groups":
		rt.Handle("POST", "/v1/applications/{applicationId}/groups", a.doCustom(a.createGroup))
		rt.Handle("GET", "/v1/applications/{applicationId}/groups", a.do(a.listGroups))
		rt.Handle("GET", "/v1/groups/{groupId}", a.do(a.getGroup))
		rt.Handle("POST", "/v1/groups/{groupId}", a.doCustom(a.updateGroup))
		rt.Handle("DELETE", "/v1/groups/{groupId}", a.do(a.deleteGroup))
		a.customDataRoutes(rt, domain.KindGroup, "groupId")
		rt.Handle("GET", "/v1/groups/{groupId}/accounts", a.do(a.listGroupAccounts))
		rt.Handle("GET", "/v1/groups/{groupId}/accountMemberships", a.do(a.listGroupMemberships))
		rt.Handle("POST", "/v1/groupMemberships", a.do(a.createMembership))
		rt.Handle("GET", "/v1/groupMemberships/{groupMembershipId}", a.do(a.getMembership))
		rt.Handle("DELETE", "/v1/groupMemberships/{groupMembershipId}", a.do(a.deleteMembership))
		rt.Handle("GET", "/v1/accounts/{accountId}/groups", a.do(a.listAccountGroups))
		rt.Handle("GET", "/v1/accounts/{accountId}/groupMemberships", a.do(a.listAccountMemberships))
		rt.Handle("POST", "/v1/directories/{directoryId}/groups", a.doCustom(a.createDirectoryGroup))
		rt.Handle("GET", "/v1/directories/{directoryId}/groups", a.do(a.listDirectoryGroups))
	case "apikeys":
		rt.Handle("POST", "/v1/accounts/{accountId}/apiKeys", a.doSelf(a.createAPIKey))
		rt.Handle("GET", "/v1/accounts/{accountId}/apiKeys", a.doSelf(a.listAPIKeys))
		rt.Handle("GET", "/v1/apiKeys/{apiKeyId}", a.doSelf(a.getAPIKey))
		rt.Handle("POST", "/v1/apiKeys/{apiKeyId}", a.doSelf(a.updateAPIKey))
		rt.Handle("DELETE", "/v1/apiKeys/{apiKeyId}", a.doSelf(a.deleteAPIKey))
		rt.Handle("POST", "/v1/apiKeys/{apiKeyId}/reroll", a.doSelf(a.rerollAPIKey))
		rt.Handle("GET", "/v1/apiKeys/{apiKeyId}/usage", a.doSelf(a.keyUsage))
		rt.Handle("GET", "/v1/apiKeys/{apiKeyId}/history", a.doSelf(a.keyHistory))
		rt.Handle("GET", "/v1/applications/{applicationId}/apiKeys", a.do(a.findAPIKey))
	case OAuthFamily:
		a.oauthRoutes(rt)
	default:
		return nil
	}
	return rt
}

// req is what a handler gets: the request, its caller and body.
type req struct {
	*http.Request
	c    domain.Caller
	body []byte
	base hrefs
}

// do adapts a handler: it assigns a request id, reads the body (at most
// MaxBody bytes), resolves the caller, and routes any error to WriteError.
// A session's caller (a password grant's token) is answered 404 before
// anything else is looked at, its body included: such a route does not
// exist for it (see doSelf).
func (a *API) do(h func(w http.ResponseWriter, r req) error) http.HandlerFunc {
	return a.within(MaxBody, false, h)
}

// doSelf is do for the routes a session's caller may use too: reading
// its account and managing its keys. The domain then refuses it every
// other account and key (404 as well).
func (a *API) doSelf(h func(w http.ResponseWriter, r req) error) http.HandlerFunc {
	return a.within(MaxBody, true, h)
}

// doCustom is do for the routes whose body may carry customData: it
// allows MaxCustomDataBody bytes.
func (a *API) doCustom(h func(w http.ResponseWriter, r req) error) http.HandlerFunc {
	return a.within(MaxCustomDataBody, false, h)
}

func (a *API) within(limit int64, self bool, h func(w http.ResponseWriter, r req) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r = withRequestID(r)
		if err := a.serve(w, r, limit, self, h); err != nil {
			WriteError(w, r, err)
		}
	}
}

func (a *API) serve(w http.ResponseWriter, r *http.Request, limit int64, self bool, h func(w http.ResponseWriter, r req) error) error {
	c, err := caller(r)
	if err != nil {
		return err
	}
	if c.Session != "" && !self {
		return domain.ErrNotFound
	}
	var body []byte
	if r.Method == http.MethodPost {
		if body, err = readBody(r, limit); err != nil {
			return err
		}
	}
	if err := idempotency(r, body, &c); err != nil {
		return err
	}
	base := baseURL(r)
	c.LinkBase = base
	return h(w, req{Request: r, c: c, body: body, base: hrefs(base)})
}

func created(w http.ResponseWriter, href string, v any) error {
	w.Header().Set("Location", href)
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func ok(w http.ResponseWriter, v any) error {
	writeJSON(w, http.StatusOK, v)
	return nil
}

func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}
