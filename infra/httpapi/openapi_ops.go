package httpapi

import (
	"net/http"

	"github.com/keystorm/keystorm/domain"
)

// operations describes every route of every router (API.Handler), one
// entry per "METHOD /path" (POST for the OAuth routes the router declares
// for ANY). A route added to a router without an entry here fails
// TestOpenAPIOperationsMatchRouters; after adding the entry, regenerate
// the document with `go run ./scripts/openapi`.
var operations = append([]operation{
	// --- tenants
	{Route: "GET /v1/tenants/current", Summary: "Find the caller's tenant", Auth: adminKey,
		Status: http.StatusFound, ResponseDoc: "A redirect to the caller's tenant (Location)."},
	{Route: "GET /v1/tenants/{tenantId}", Summary: "Read a tenant", Auth: adminKey,
		Query: expandParam(domain.KindTenant), Status: http.StatusOK, Response: Tenant{}},
	{Route: "GET /v1/tenants/{tenantId}/events", Summary: "The tenant's audit log: every change, newest first", Auth: adminKey,
		Query: append(auditParams(), queryParam{Name: "resource", Doc: "Only this resource's events: its href."}), Status: http.StatusOK, Response: AuditPage{},
		ResponseDoc: "Never secrets, hashes or passwords. A page may be short while next is set: follow next to the end."},

	// --- applications
	{Route: "POST /v1/applications", Summary: "Create an application", Auth: adminKey,
		Body: ApplicationBody{}, Status: http.StatusCreated, Response: Application{}},
	{Route: "GET /v1/applications", Summary: "List the tenant's applications", Auth: adminKey,
		Query: listParams(domain.KindApplication), Status: http.StatusOK, Response: listOf{Application{}}},
	{Route: "GET /v1/applications/{applicationId}", Summary: "Read an application", Auth: adminKey,
		Query: expandParam(domain.KindApplication), Status: http.StatusOK, Response: Application{}},
	{Route: "POST /v1/applications/{applicationId}", Summary: "Update an application", Auth: adminKey,
		Body: ApplicationBody{}, Status: http.StatusOK, Response: Application{}},
	{Route: "DELETE /v1/applications/{applicationId}", Summary: "Delete an application, its accounts, groups and keys", Auth: adminKey,
		Status: http.StatusNoContent},
	{Route: "GET /v1/oAuthPolicies/{applicationId}", Summary: "Read an application's OAuth policy", Auth: adminKey,
		Status: http.StatusOK, Response: OAuthPolicy{}},
	{Route: "POST /v1/oAuthPolicies/{applicationId}", Summary: "Update an application's OAuth policy", Auth: adminKey,
		Body: OAuthPolicyBody{}, Status: http.StatusOK, Response: OAuthPolicy{}},
	{Route: "GET /v1/passwordPolicies/{applicationId}", Summary: "Read an application's password policy (reset mails)", Auth: adminKey,
		Status: http.StatusOK, Response: PasswordPolicy{}},
	{Route: "POST /v1/passwordPolicies/{applicationId}", Summary: "Update an application's password policy", Auth: adminKey,
		Body: PasswordPolicyBody{}, Status: http.StatusOK, Response: PasswordPolicy{}},
	{Route: "GET /v1/accountCreationPolicies/{applicationId}", Summary: "Read an application's account creation policy (email verification, self-registration)", Auth: adminKey,
		Status: http.StatusOK, Response: AccountCreationPolicy{}},
	{Route: "POST /v1/accountCreationPolicies/{applicationId}", Summary: "Update an application's account creation policy", Auth: adminKey,
		Body: AccountCreationPolicyBody{}, Status: http.StatusOK, Response: AccountCreationPolicy{}},

	// --- accounts
	{Route: "POST /v1/applications/{applicationId}/accounts", Summary: "Create an account", Auth: adminKey,
		Query: []queryParam{passwordFormatParam}, Body: AccountBody{}, BodyRequired: true, Status: http.StatusCreated, Response: Account{}},
	{Route: "GET /v1/applications/{applicationId}/accounts", Summary: "List an application's accounts", Auth: adminKey,
		Query: listParams(domain.KindAccount), Status: http.StatusOK, Response: listOf{Account{}}},
	{Route: "GET /v1/accounts/{accountId}", Summary: "Read an account (with at: as it was then, and whether it could sign in)", Auth: adminOrSelf,
		Query: append(expandParam(domain.KindAccount), atParamDoc), Status: http.StatusOK, Response: Account{}},
	{Route: "POST /v1/accounts/{accountId}", Summary: "Update an account", Auth: adminKey,
		Query: []queryParam{passwordFormatParam}, Body: AccountBody{}, Status: http.StatusOK, Response: Account{}},
	{Route: "DELETE /v1/accounts/{accountId}", Summary: "Delete an account, its keys and memberships", Auth: adminKey,
		Status: http.StatusNoContent},
	{Route: "POST /v1/applications/{applicationId}/loginAttempts", Summary: "Log an account in with its username or email and password", Auth: adminKey,
		Query: expandParam(loginAttemptKind), Body: LoginAttemptBody{}, BodyRequired: true, Status: http.StatusOK, Response: LoginResult{},
		Description: "400 with code 7100 for a wrong name or password alike; 7101 and 7102 (disabled, unverified) only after the right password; 429 with Retry-After when the source is throttled."},
	{Route: "GET /v1/accounts/{accountId}/accessTokens", Summary: "List the access tokens an account's sessions gave", Auth: adminKey,
		Query: listParams(domain.KindAccessToken), Status: http.StatusOK, Response: listOf{AccessTokenResource{}}},
	{Route: "GET /v1/accounts/{accountId}/refreshTokens", Summary: "List an account's sessions (password grant refresh tokens)", Auth: adminKey,
		Query: listParams(domain.KindRefreshToken), Status: http.StatusOK, Response: listOf{RefreshTokenResource{}}},
	{Route: "GET /v1/accessTokens/{accessTokenId}", Summary: "Read a session's access token", Auth: adminKey,
		Status: http.StatusOK, Response: AccessTokenResource{}},
	{Route: "DELETE /v1/accessTokens/{accessTokenId}", Summary: "End one access token of a session", Auth: adminKey,
		Status: http.StatusNoContent},
	{Route: "GET /v1/refreshTokens/{refreshTokenId}", Summary: "Read a session", Auth: adminKey,
		Status: http.StatusOK, Response: RefreshTokenResource{}},
	{Route: "DELETE /v1/refreshTokens/{refreshTokenId}", Summary: "End a session: its refresh token and the access tokens it gave", Auth: adminKey,
		Status: http.StatusNoContent},
	{Route: "POST /v1/applications/{applicationId}/passwordResetTokens", Summary: "Mail a password reset link to the account with this email, if any", Auth: adminKey,
		Body: PasswordResetBody{}, BodyRequired: true, Status: http.StatusOK, Response: PasswordResetRequest{},
		Description: "The same answer, in the same time, whether or not the email has an account; nothing is mailed to an unknown or disabled account. 409/8304 when the password policy turns reset mails off."},
	{Route: "GET /v1/applications/{applicationId}/passwordResetTokens/{token}", Summary: "Validate a password reset token", Auth: adminKey,
		Status: http.StatusOK, Response: PasswordResetToken{},
		Description: "404 for an unknown, expired, used or replaced token alike."},
	{Route: "POST /v1/applications/{applicationId}/passwordResetTokens/{token}", Summary: "Set a new password with a reset token (single use)", Auth: adminKey,
		Body: NewPasswordBody{}, BodyRequired: true, Status: http.StatusOK, Response: PasswordResetToken{},
		Description: "Ends the account's sessions (refresh tokens); an UNVERIFIED account becomes ENABLED; a confirmation is mailed unless the policy turns it off."},
	{Route: "POST /v1/applications/{applicationId}/verificationEmails", Summary: "Mail a fresh verification link to an UNVERIFIED account", Auth: adminKey,
		Body: VerificationEmailBody{}, BodyRequired: true, Status: http.StatusAccepted, ResponseDoc: "Accepted, whether or not the login names an UNVERIFIED account."},
	{Route: "POST /v1/accounts/emailVerificationTokens/{token}", Summary: "Verify an account's email with its token (single use)", Auth: adminKey,
		Status: http.StatusOK, Response: Link{}, ResponseDoc: "The verified account's link."},

	// --- directories and account store mappings
	{Route: "POST /v1/directories", Summary: "Create a directory that applications can share", Auth: adminKey,
		Body: NamedBody{}, BodyRequired: true, Status: http.StatusCreated, Response: Directory{}},
	{Route: "GET /v1/directories", Summary: "List the tenant's directories, the applications' own among them", Auth: adminKey,
		Query: listParams(domain.KindDirectory), Status: http.StatusOK, Response: listOf{Directory{}}},
	{Route: "GET /v1/directories/{directoryId}", Summary: "Read a directory", Auth: adminKey,
		Status: http.StatusOK, Response: Directory{}},
	{Route: "POST /v1/directories/{directoryId}", Summary: "Update a directory (not an application's own: 409)", Auth: adminKey,
		Body: NamedBody{}, Status: http.StatusOK, Response: Directory{}},
	{Route: "DELETE /v1/directories/{directoryId}", Summary: "Delete a directory, its accounts, groups and keys, and its mappings", Auth: adminKey,
		Status: http.StatusNoContent},
	{Route: "POST /v1/directories/{directoryId}/accounts", Summary: "Create an account in a directory", Auth: adminKey,
		Query: []queryParam{passwordFormatParam}, Body: AccountBody{}, BodyRequired: true, Status: http.StatusCreated, Response: Account{}},
	{Route: "GET /v1/directories/{directoryId}/accounts", Summary: "List a directory's accounts", Auth: adminKey,
		Query: listParams(domain.KindAccount), Status: http.StatusOK, Response: listOf{Account{}}},
	{Route: "POST /v1/directories/{directoryId}/groups", Summary: "Create a group in a directory", Auth: adminKey,
		Body: NamedBody{}, BodyRequired: true, Status: http.StatusCreated, Response: Group{}},
	{Route: "GET /v1/directories/{directoryId}/groups", Summary: "List a directory's groups", Auth: adminKey,
		Query: listParams(domain.KindGroup), Status: http.StatusOK, Response: listOf{Group{}}},
	{Route: "POST /v1/accountStoreMappings", Summary: "Map a directory or a group to an application", Auth: adminKey,
		Body: MappingBody{}, BodyRequired: true, Status: http.StatusCreated, Response: AccountStoreMapping{},
		Description: "The application then reaches the store's accounts: they sign in there, and their keys and tokens work there."},
	{Route: "GET /v1/accountStoreMappings/{accountStoreMappingId}", Summary: "Read an account store mapping", Auth: adminKey,
		Status: http.StatusOK, Response: AccountStoreMapping{}},
	{Route: "POST /v1/accountStoreMappings/{accountStoreMappingId}", Summary: "Move a mapping, or change its default flags", Auth: adminKey,
		Body: MappingBody{}, Status: http.StatusOK, Response: AccountStoreMapping{}},
	{Route: "DELETE /v1/accountStoreMappings/{accountStoreMappingId}", Summary: "Unmap an account store (its accounts stay in it)", Auth: adminKey,
		Status: http.StatusNoContent},
	{Route: "GET /v1/applications/{applicationId}/accountStoreMappings", Summary: "List an application's account store mappings, in listIndex order", Auth: adminKey,
		Query: listParams(""), Status: http.StatusOK, Response: listOf{AccountStoreMapping{}}},

	// --- groups and memberships
	{Route: "POST /v1/applications/{applicationId}/groups", Summary: "Create a group", Auth: adminKey,
		Body: NamedBody{}, BodyRequired: true, Status: http.StatusCreated, Response: Group{}},
	{Route: "GET /v1/applications/{applicationId}/groups", Summary: "List an application's groups", Auth: adminKey,
		Query: listParams(domain.KindGroup), Status: http.StatusOK, Response: listOf{Group{}}},
	{Route: "GET /v1/groups/{groupId}", Summary: "Read a group", Auth: adminKey,
		Query: expandParam(domain.KindGroup), Status: http.StatusOK, Response: Group{}},
	{Route: "POST /v1/groups/{groupId}", Summary: "Update a group", Auth: adminKey,
		Body: NamedBody{}, Status: http.StatusOK, Response: Group{}},
	{Route: "DELETE /v1/groups/{groupId}", Summary: "Delete a group and its memberships", Auth: adminKey,
		Status: http.StatusNoContent},
	{Route: "GET /v1/groups/{groupId}/accounts", Summary: "List a group's accounts", Auth: adminKey,
		Query: listParams(domain.KindAccount), Status: http.StatusOK, Response: listOf{Account{}}},
	{Route: "GET /v1/groups/{groupId}/accountMemberships", Summary: "List a group's memberships", Auth: adminKey,
		Query: listParams(domain.KindMembership), Status: http.StatusOK, Response: listOf{Membership{}}},
	{Route: "POST /v1/groupMemberships", Summary: "Put an account in a group", Auth: adminKey,
		Body: MembershipBody{}, BodyRequired: true, Status: http.StatusCreated, Response: Membership{}},
	{Route: "GET /v1/groupMemberships/{groupMembershipId}", Summary: "Read a group membership", Auth: adminKey,
		Query: expandParam(domain.KindMembership), Status: http.StatusOK, Response: Membership{}},
	{Route: "DELETE /v1/groupMemberships/{groupMembershipId}", Summary: "Take an account out of a group", Auth: adminKey,
		Status: http.StatusNoContent},
	{Route: "GET /v1/accounts/{accountId}/groups", Summary: "List an account's groups", Auth: adminKey,
		Query: listParams(domain.KindGroup), Status: http.StatusOK, Response: listOf{Group{}}},
	{Route: "GET /v1/accounts/{accountId}/groupMemberships", Summary: "List an account's memberships", Auth: adminKey,
		Query: listParams(domain.KindMembership), Status: http.StatusOK, Response: listOf{Membership{}}},

	// --- API keys
	{Route: "POST /v1/accounts/{accountId}/apiKeys", Summary: "Create an API key (or, admin keys only, import one with its id and secret); the answer is the only one with its secret", Auth: adminOrSelf,
		Query: append(append([]queryParam{{Name: "name", Doc: "The key's name, when the body has none (Stormpath SDKs)."},
			{Name: "description", Doc: "The key's description, when the body has none."}}, expandParam(domain.KindAPIKey)...), encryptionQuery()...),
		Body: APIKeyCreateBody{}, Status: http.StatusCreated, Response: APIKey{}},
	{Route: "GET /v1/accounts/{accountId}/apiKeys", Summary: "List an account's API keys", Auth: adminOrSelf,
		Query: append(listParams(domain.KindAPIKey), encryptionQuery()...), Status: http.StatusOK, Response: listOf{APIKey{}}},
	{Route: "GET /v1/apiKeys/{apiKeyId}", Summary: "Read an API key (with at: as it was then, and whether it was valid)", Auth: adminOrSelf,
		Query: append(append(expandParam(domain.KindAPIKey), encryptionQuery()...), atParamDoc), Status: http.StatusOK, Response: APIKey{}},
	{Route: "POST /v1/apiKeys/{apiKeyId}", Summary: "Update an API key (name, description, status, scopes, expiresAt)", Auth: adminOrSelf,
		Body: APIKeyBody{}, Status: http.StatusOK, Response: APIKey{}},
	{Route: "DELETE /v1/apiKeys/{apiKeyId}", Summary: "Delete an API key", Auth: adminOrSelf,
		Status: http.StatusNoContent},
	{Route: "POST /v1/apiKeys/{apiKeyId}/reroll", Summary: "Give an API key a new secret; the old one works for the grace period, then never again", Auth: adminOrSelf,
		Query: encryptionQuery(), Body: RerollBody{}, Status: http.StatusOK, Response: APIKey{}, ResponseDoc: "The key with its new secret, shown this once."},
	{Route: "GET /v1/apiKeys/{apiKeyId}/history", Summary: "An API key's audit log entries, newest first", Auth: adminOrSelf,
		Query: auditParams(), Status: http.StatusOK, Response: AuditPage{}},
	{Route: "GET /v1/apiKeys/{apiKeyId}/usage", Summary: "An API key's successful and failed verifications per hour for 30 days", Auth: adminOrSelf,
		Status: http.StatusOK, Response: KeyUsage{}, ResponseDoc: "Hours without verifications are left out; the last minute may not be counted yet."},
	{Route: "GET /v1/applications/{applicationId}/apiKeys", Summary: "Find an application's API key by its id", Auth: adminKey,
		Query:  append(append([]queryParam{{Name: "id", Required: true, Doc: "The API key id."}}, expandParam(domain.KindAPIKey)...), encryptionQuery()...),
		Status: http.StatusOK, Response: listOf{APIKey{}}, ResponseDoc: "A collection of the key, or empty."},

	// --- OAuth 2.0, the JWKS, authenticate and this document
	{Route: "POST /oauth/token", Summary: "Issue an access token (client credentials grant, RFC 6749 §4.4)", Auth: clientKey,
		Body: TokenForm{}, Form: true, BodyRequired: true, Status: http.StatusOK, Response: TokenResponse{}, OAuthErrors: true,
		Description: "The client is an API key: HTTP Basic (client_secret_basic), or client_id and client_secret in the form (client_secret_post), exactly one of the two. Other methods than POST get 405."},
	{Route: "POST /v1/applications/{applicationId}/oauth/token", Summary: "Issue an access token for one application's keys only", Auth: clientKey,
		Body: TokenForm{}, Form: true, BodyRequired: true, Status: http.StatusOK, Response: TokenResponse{}, OAuthErrors: true,
		Description: "As POST /oauth/token, for a key of this application only."},
	{Route: "POST /oauth/revoke", Summary: "Revoke an access token (RFC 7009)", Auth: clientKey,
		Body: RevokeForm{}, Form: true, BodyRequired: true, Status: http.StatusOK, OAuthErrors: true,
		ResponseDoc: "Revoked, or the token was not valid: the answer is the same.",
		Description: "A key revokes its own tokens, an admin key any token of its tenant."},
	{Route: "POST /oauth/introspect", Summary: "Introspect an access token (RFC 7662)", Auth: adminKey,
		Body: IntrospectForm{}, Form: true, BodyRequired: true, Status: http.StatusOK, Response: IntrospectionResponse{}, OAuthErrors: true},
	{Route: "GET /.well-known/jwks.json", Summary: "The public keys that sign access tokens (RFC 7517)", Auth: public,
		Status: http.StatusOK, Response: JWKSet{}, OAuthErrors: true},
	{Route: "POST /v1/applications/{applicationId}/authenticate", Summary: "Authenticate a caller of a backend outside API Gateway", Auth: adminKey,
		Body: AuthenticateRequest{}, BodyRequired: true, Status: http.StatusOK, Response: AuthenticateResponse{},
		Description: "The authorizer's decision on the caller's Authorization header, for this application: 200 whether valid or not."},
	{Route: "GET /openapi.json", Summary: "This document", Auth: public,
		Status: http.StatusOK, Response: rawDocument("The OpenAPI 3.1 document of the API.")},
},
	append(append(append(append(
		customDataOps(domain.KindTenant, "tenantId"),
		customDataOps(domain.KindApplication, "applicationId")...),
		customDataOps(domain.KindAccount, "accountId")...),
		customDataOps(domain.KindGroup, "groupId")...),
		customDataOps(domain.KindDirectory, "directoryId")...)...)

// customDataOps describes the customData routes of a kind, as
// customDataRoutes registers them.
func customDataOps(kind, idParam string) []operation {
	p := resourcePaths[kind] + "{" + idParam + "}/customData"
	return []operation{
		{Route: "GET " + p, Summary: "Read a " + kind + "'s customData", Auth: adminKey,
			Status: http.StatusOK, Response: customDataDoc{}},
		{Route: "POST " + p, Summary: "Merge fields into a " + kind + "'s customData", Auth: adminKey,
			Body: CustomDataInput{}, Status: http.StatusOK, Response: customDataDoc{}},
		{Route: "DELETE " + p, Summary: "Delete every field of a " + kind + "'s customData", Auth: adminKey,
			Status: http.StatusNoContent},
		{Route: "DELETE " + p + "/{field}", Summary: "Delete one field of a " + kind + "'s customData", Auth: adminKey,
			Status: http.StatusNoContent},
	}
}

// passwordFormatParam makes an account's password an imported hash
// (README "Importing password hashes").
var passwordFormatParam = queryParam{Name: "passwordFormat", Doc: "mcf: password is an imported hash in Modular Crypt Format, " +
	"bcrypt ($2a$, $2b$, $2y$, cost 4 to 14) or $stormpath2$ (MD5, SHA-1, SHA-256, SHA-384, SHA-512; 1 to 1,000,000 iterations), " +
	"stored as given without the password policy and replaced with argon2id at the first login. Absent: password is plaintext."}

// atParamDoc is a point-in-time read's parameter.
var atParamDoc = queryParam{Name: "at", Doc: "An RFC 3339 time: the resource as folded from its events up to then, " +
	"with verdict {at, validAt, reasons, scope}; at takes no other parameter."}

// auditParams are the audit log's filters.
func auditParams() []queryParam {
	return []queryParam{
		{Name: "type", Doc: "Event types, comma-separated (apikey.rerolled.v1,…)."},
		{Name: "actor", Doc: "Who: apikey/{id} or session/{id}."},
		{Name: "from", Doc: "From this RFC 3339 time, inclusive."},
		{Name: "to", Doc: "Before this RFC 3339 time."},
		{Name: "limit", Integer: true, Doc: "Entries per page, 1 to 100 (25)."},
		{Name: "after", Doc: "Where next continues: opaque."},
	}
}
