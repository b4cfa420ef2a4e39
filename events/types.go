package events

import (
	"encoding/json"
	"time"
)

// Event type names. They are part of the stored contract: never change one.
const (
	TypeTenantCreated      = "tenant.created.v1"
	TypeApplicationCreated = "application.created.v1"
	TypeApplicationUpdated = "application.updated.v1"
	TypeApplicationDeleted = "application.deleted.v1"
	TypeAccountCreated     = "account.created.v1"
	TypeAccountUpdated     = "account.updated.v1"
	TypeAccountPasswordSet = "account.password_set.v1"
	TypeAccountDeleted     = "account.deleted.v1"
	TypeCustomDataChanged  = "account.custom_data_changed.v1"
	TypeCustomDataCleared  = "account.custom_data_cleared.v1"
	TypeGroupCreated       = "group.created.v1"
	TypeGroupUpdated       = "group.updated.v1"
	TypeGroupDeleted       = "group.deleted.v1"
	TypeMembershipCreated  = "group_membership.created.v1"
	TypeMembershipDeleted  = "group_membership.deleted.v1"
	TypeAPIKeyCreated      = "apikey.created.v1"
	TypeAPIKeyUpdated      = "apikey.updated.v1"
	TypeAPIKeyDeleted      = "apikey.deleted.v1"
	TypeOAuthPolicySet     = "application.oauth_policy_set.v1"
	TypeAPIKeyScopesSet    = "apikey.scopes_set.v1"
	TypeTokenRevoked       = "token.revoked.v1"
	// customData of the other resources: one pair per stream kind, as
	// every other event is named for its aggregate. The account's pair
	// above predates them and keeps its name.
	TypeTenantCustomDataChanged      = "tenant.custom_data_changed.v1"
	TypeTenantCustomDataCleared      = "tenant.custom_data_cleared.v1"
	TypeApplicationCustomDataChanged = "application.custom_data_changed.v1"
	TypeApplicationCustomDataCleared = "application.custom_data_cleared.v1"
	TypeGroupCustomDataChanged       = "group.custom_data_changed.v1"
	TypeGroupCustomDataCleared       = "group.custom_data_cleared.v1"
	TypeLoginSucceeded               = "account.login_succeeded.v1"
	TypeLoginFailed                  = "account.login_failed.v1"
	// An imported password hash replaced at login (README "Importing
	// password hashes").
	TypeAccountPasswordRehashed = "account.password_rehashed.v1"
	// Sessions of the password grant: a refresh token's stream, and the
	// access tokens it gave.
	TypeRefreshTokenIssued  = "refresh_token.issued.v1"
	TypeRefreshTokenRotated = "refresh_token.rotated.v1"
	TypeRefreshTokenRevoked = "refresh_token.revoked.v1"
	TypeAccessTokenIssued   = "access_token.issued.v1"
	TypeAccessTokenRevoked  = "access_token.revoked.v1"
	// Password reset and email verification (README "Password reset and
	// email verification").
	TypePasswordPolicySet        = "application.password_policy_set.v1"
	TypeAccountCreationPolicySet = "application.account_creation_policy_set.v1"
	TypeResetTokenIssued         = "account.password_reset_token_issued.v1"
	TypeVerificationTokenIssued  = "account.email_verification_token_issued.v1"
	TypeEmailVerified            = "account.email_verified.v1"
	// Key lifecycle (README "Key lifecycle").
	TypeAPIKeyExpirySet = "apikey.expiry_set.v1"
	TypeAPIKeyRerolled  = "apikey.rerolled.v1"
	// Rate limits: a key's own, and an application's default for its
	// keys.
	TypeAPIKeyRateLimitSet      = "apikey.rate_limit_set.v1"
	TypeApplicationRateLimitSet = "application.rate_limit_set.v1"
	// Directories shared by applications through account store mappings
	// (README "Directories and account stores").
	TypeDirectoryCreated           = "directory.created.v1"
	TypeDirectoryUpdated           = "directory.updated.v1"
	TypeDirectoryDeleted           = "directory.deleted.v1"
	TypeDirectoryCustomDataChanged = "directory.custom_data_changed.v1"
	TypeDirectoryCustomDataCleared = "directory.custom_data_cleared.v1"
	TypeAccountStoresSet           = "application.account_stores_set.v1"
	// Resources landed from another system with their own ids and times
	// (README "Coming from Stormpath").
	TypeDirectoryImported   = "directory.imported.v1"
	TypeApplicationImported = "application.imported.v1"
	TypeGroupImported       = "group.imported.v1"
	TypeAccountImported     = "account.imported.v1"
)

// ReasonCascade marks a deletion caused by deleting the parent resource.
const ReasonCascade = "cascade"

// TenantCreated starts a tenant stream.
type TenantCreated struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ApplicationCreated starts an application stream. Every application owns
// exactly one directory (its account store); the directory id is fixed here.
// Admin marks the tenant's administrators application: keys of its accounts
// may call the management API.
type ApplicationCreated struct {
	ID          string `json:"id"`
	TenantID    string `json:"tenantId"`
	DirectoryID string `json:"directoryId"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
	Admin       bool   `json:"admin,omitempty"`
}

// ApplicationUpdated carries the new values of the mutable fields.
type ApplicationUpdated struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
}

// ApplicationDeleted ends an application stream.
type ApplicationDeleted struct{}

// AccountCreated starts an account stream. PasswordHash is a PHC-format
// argon2id hash (empty for accounts without a password); the plaintext
// never reaches the log.
type AccountCreated struct {
	ID            string `json:"id"`
	TenantID      string `json:"tenantId"`
	ApplicationID string `json:"applicationId"`
	DirectoryID   string `json:"directoryId"`
	Username      string `json:"username"`
	Email         string `json:"email"`
	GivenName     string `json:"givenName"`
	MiddleName    string `json:"middleName"`
	Surname       string `json:"surname"`
	Status        string `json:"status"`
	PasswordHash  string `json:"passwordHash"`
	// EmailVerificationToken is no longer written: it held a plain
	// token, and tokens are now stored only as hashes
	// (VerificationTokenIssued). Old events may carry one; it is never
	// live (Account.Apply ignores it).
	EmailVerificationToken string `json:"emailVerificationToken,omitempty"`
	Admin                  bool   `json:"admin,omitempty"`
}

// AccountUpdated carries the new values of the mutable profile fields.
type AccountUpdated struct {
	Username   string `json:"username"`
	Email      string `json:"email"`
	GivenName  string `json:"givenName"`
	MiddleName string `json:"middleName"`
	Surname    string `json:"surname"`
	Status     string `json:"status"`
}

// AccountPasswordSet replaces the password hash.
type AccountPasswordSet struct {
	PasswordHash string `json:"passwordHash"`
}

// AccountPasswordRehashed replaces an imported password hash (bcrypt,
// stormpath2) with an argon2id hash of the same password, made at the
// first login that gave it. Unlike AccountPasswordSet it changes nothing
// else: the password is the same, so no session or reset link ends, the
// login's own session included.
type AccountPasswordRehashed struct {
	PasswordHash string `json:"passwordHash"`
}

// AccountDeleted ends an account stream. Reason is ReasonCascade when
// deleting its application swept it away.
type AccountDeleted struct {
	Reason string `json:"reason,omitempty"`
}

// CustomDataChanged sets and removes top-level customData fields. Values are
// arbitrary JSON, kept verbatim.
type CustomDataChanged struct {
	Set     map[string]json.RawMessage `json:"set,omitempty"`
	Removed []string                   `json:"removed,omitempty"`
}

// CustomDataCleared removes every customData field.
type CustomDataCleared struct{}

// TenantCustomDataChanged, ApplicationCustomDataChanged,
// GroupCustomDataChanged and DirectoryCustomDataChanged are
// CustomDataChanged on the other streams that carry customData. They share its fields by definition (a conversion
// turns one into the other), so the payload cannot drift between kinds;
// only the stored type name differs.
type (
	TenantCustomDataChanged      CustomDataChanged
	ApplicationCustomDataChanged CustomDataChanged
	GroupCustomDataChanged       CustomDataChanged
	DirectoryCustomDataChanged   CustomDataChanged
)

// TenantCustomDataCleared, ApplicationCustomDataCleared,
// GroupCustomDataCleared and DirectoryCustomDataCleared are
// CustomDataCleared on the other streams.
type (
	TenantCustomDataCleared      CustomDataCleared
	ApplicationCustomDataCleared CustomDataCleared
	GroupCustomDataCleared       CustomDataCleared
	DirectoryCustomDataCleared   CustomDataCleared
)

// DirectoryCreated starts a directory stream: an account store that
// applications share through their account store mappings. (Each
// application's own directory, fixed in ApplicationCreated, has no
// stream of its own.)
type DirectoryCreated struct {
	ID          string `json:"id"`
	TenantID    string `json:"tenantId"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
}

// DirectoryUpdated carries the new values of the mutable fields.
type DirectoryUpdated struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
}

// DirectoryDeleted ends a directory stream.
type DirectoryDeleted struct{}

// Account store kinds of an AccountStoreMapping.
const (
	StoreDirectory = "directory"
	StoreGroup     = "group"
)

// AccountStoreMapping maps one account store (a directory or a group)
// to an application. Its place in AccountStoresSet is its listIndex.
type AccountStoreMapping struct {
	ID        string `json:"id"`
	StoreKind string `json:"storeKind"`
	StoreID   string `json:"storeId"`
	// DefaultAccountStore and DefaultGroupStore mark where the
	// application creates new accounts and groups.
	DefaultAccountStore bool `json:"defaultAccountStore,omitempty"`
	DefaultGroupStore   bool `json:"defaultGroupStore,omitempty"`
}

// AccountStoresSet replaces an application's account store mappings,
// in listIndex order. Until the first one, an application maps its own
// directory alone (as every application did before mappings existed).
type AccountStoresSet struct {
	Mappings []AccountStoreMapping `json:"mappings"`
}

// Imported closes the commit that lands a resource from another
// system: Source names the system, Href the resource's address there,
// and CreatedAt and ModifiedAt its own times, which the resource keeps
// (the envelope's time stays when Keystorm recorded it).
type Imported struct {
	Source     string    `json:"source"`
	Href       string    `json:"href,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	ModifiedAt time.Time `json:"modifiedAt"`
	// EmailVerificationStatus is an imported account's (VERIFIED,
	// UNVERIFIED or UNKNOWN, as Stormpath had it); empty elsewhere.
	EmailVerificationStatus string `json:"emailVerificationStatus,omitempty"`
}

// DirectoryImported, ApplicationImported, GroupImported and
// AccountImported are Imported on each stream kind that is imported
// with its times.
type (
	DirectoryImported   Imported
	ApplicationImported Imported
	GroupImported       Imported
	AccountImported     Imported
)

// GroupCreated starts a group stream. Groups live in a directory.
type GroupCreated struct {
	ID            string `json:"id"`
	TenantID      string `json:"tenantId"`
	ApplicationID string `json:"applicationId"`
	DirectoryID   string `json:"directoryId"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	Status        string `json:"status"`
}

// GroupUpdated carries the new values of the mutable fields.
type GroupUpdated struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
}

// GroupDeleted ends a group stream. Reason is ReasonCascade when deleting
// its application swept it away.
type GroupDeleted struct {
	Reason string `json:"reason,omitempty"`
}

// MembershipCreated starts a group membership stream: account is in group.
type MembershipCreated struct {
	ID        string `json:"id"`
	TenantID  string `json:"tenantId"`
	AccountID string `json:"accountId"`
	GroupID   string `json:"groupId"`
}

// MembershipDeleted ends a membership stream. Reason is "cascade" when the
// account or group was deleted.
type MembershipDeleted struct {
	Reason string `json:"reason,omitempty"`
}

// APIKeyCreated starts an API key stream. SecretHash is the hex SHA-256 of
// the secret; the secret itself is never stored.
type APIKeyCreated struct {
	ID            string `json:"id"`
	TenantID      string `json:"tenantId"`
	AccountID     string `json:"accountId"`
	ApplicationID string `json:"applicationId"`
	SecretHash    string `json:"secretHash"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	Status        string `json:"status"`
	Admin         bool   `json:"admin,omitempty"`
	// Imported is set when an admin gave the key's id and secret (a
	// Stormpath export) instead of Keystorm drawing them.
	Imported bool `json:"imported,omitempty"`
}

// APIKeyUpdated carries the new values of the mutable fields.
type APIKeyUpdated struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
}

// APIKeyDeleted ends an API key stream. Reason is "cascade" when the account
// was deleted.
type APIKeyDeleted struct {
	Reason string `json:"reason,omitempty"`
}

// OAuthPolicySet sets an application's OAuth policy: the lifetime of the
// access tokens issued for its keys, in seconds.
//
// RefreshTokenTTL, in seconds, came later: 0 (and its absence in older
// events) means the default. Each event carries the whole policy.
type OAuthPolicySet struct {
	AccessTokenTTL  int `json:"accessTokenTtl"`
	RefreshTokenTTL int `json:"refreshTokenTtl,omitempty"`
}

// APIKeyScopesSet limits the scopes tokens of a key can ever carry.
// Restricted false lifts the limit (Scopes is then empty).
type APIKeyScopesSet struct {
	Restricted bool     `json:"restricted"`
	Scopes     []string `json:"scopes,omitempty"`
}

// APIKeyExpirySet sets the time a key stops authenticating, or lifts
// its expiry (ExpiresAt zero). Tokens of the key never outlive it.
type APIKeyExpirySet struct {
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

// APIKeyRerolled gives a key a new secret under the same id. SecretHash
// is the new secret's hex SHA-256. The secret it replaces keeps
// authenticating until GraceUntil; a zero GraceUntil (no grace) ends it
// at once. Only the secret just replaced can be in grace: a secret two
// rerolls old is dead whatever its grace was.
type APIKeyRerolled struct {
	SecretHash string    `json:"secretHash"`
	GraceUntil time.Time `json:"graceUntil,omitzero"`
}

// RateLimit is a request budget: bursts of up to Requests, refilled at
// Requests per PeriodSeconds. Zero values lift the limit.
type RateLimit struct {
	Requests      int `json:"requests,omitempty"`
	PeriodSeconds int `json:"periodSeconds,omitempty"`
}

// APIKeyRateLimitSet sets or lifts a key's own rate limit (which
// overrides its application's default).
type APIKeyRateLimitSet RateLimit

// ApplicationRateLimitSet sets or lifts the default rate limit of an
// application's keys.
type ApplicationRateLimitSet RateLimit

// TokenRevoked records that an access token (by its jti) was revoked. The
// stream is token#<jti>; ExpiresAt lets readers forget it once the token
// has expired anyway.
type TokenRevoked struct {
	JTI       string    `json:"jti"`
	TenantID  string    `json:"tenantId"`
	APIKeyID  string    `json:"apiKeyId"`
	AccountID string    `json:"accountId"`
	ExpiresAt time.Time `json:"expiresAt"`
	// By is the key id that asked for the revocation.
	By string `json:"by"`
}

// AccountLoginSucceeded records a login attempt (POST
// /v1/applications/{id}/loginAttempts) that gave the account's right
// password while it was enabled. Source is the address the attempt came
// from, as the API saw it (or as the caller vouched for it): no username,
// no password, nothing else the request carried.
type AccountLoginSucceeded struct {
	Source string `json:"source,omitempty"`
}

// Reasons of AccountLoginFailed: the password matched, but the account
// may not log in.
const (
	LoginDisabled   = "disabled"
	LoginUnverified = "unverified"
)

// AccountLoginFailed records a login attempt refused although it gave
// the account's right password: the account is disabled or unverified.
// A wrong password or an unknown username is no event: the write would
// tell an existing account from an unknown one by the time it takes, and
// would let anyone who knows a username append to that account's stream
// (see the README's "Login attempts"). Only the password's holder can
// cause this event, so it is bounded by the owner's own attempts.
type AccountLoginFailed struct {
	Reason string `json:"reason"`
	Source string `json:"source,omitempty"`
}

// RefreshTokenIssued starts a session: a password grant succeeded. The
// refresh token's secret is never stored, only its SHA-256 (SecretHash,
// base64url), as for API key secrets. ClientID is the admin API key that
// authenticated the grant, or "" for a public client; a refresh must come
// from the same client. Scopes are those granted, which a refresh may
// narrow but never widen. Source is the address the grant came from.
type RefreshTokenIssued struct {
	ID            string    `json:"id"`
	TenantID      string    `json:"tenantId"`
	ApplicationID string    `json:"applicationId"`
	AccountID     string    `json:"accountId"`
	ClientID      string    `json:"clientId,omitempty"`
	SecretHash    string    `json:"secretHash"`
	Scopes        []string  `json:"scopes,omitempty"`
	ExpiresAt     time.Time `json:"expiresAt"`
	Source        string    `json:"source,omitempty"`
}

// RefreshTokenRotated records a refresh: the presented secret is spent
// and SecretHash is the new one's. The spent hashes stay in the state, so
// that presenting a spent secret again is recognised as reuse (RFC 9700
// §4.14) and ends the session.
type RefreshTokenRotated struct {
	SecretHash string `json:"secretHash"`
	Source     string `json:"source,omitempty"`
}

// Reasons a session ends.
const (
	// RevokedByRequest: DELETE of the refresh token, or RFC 7009
	// revocation.
	RevokedByRequest = "revoked"
	// RevokedForReuse: a spent refresh token was presented again.
	RevokedForReuse = "reuse"
)

// RefreshTokenRevoked ends a session.
type RefreshTokenRevoked struct {
	Reason string `json:"reason"`
	Source string `json:"source,omitempty"`
}

// AccessTokenIssued records an access token of a session (password or
// refresh grant), by its jti: the account's accessTokens collection lists
// these, and a deleted one stops working. The signed token itself is not
// stored: it is a bearer credential. Client credentials tokens are not
// recorded (see the README's "Access and refresh tokens").
type AccessTokenIssued struct {
	ID             string    `json:"id"`
	TenantID       string    `json:"tenantId"`
	ApplicationID  string    `json:"applicationId"`
	AccountID      string    `json:"accountId"`
	RefreshTokenID string    `json:"refreshTokenId"`
	Scopes         []string  `json:"scopes,omitempty"`
	ExpiresAt      time.Time `json:"expiresAt"`
}

// AccessTokenRevoked ends one access token of a session.
type AccessTokenRevoked struct {
	Reason string `json:"reason"`
}

func (RefreshTokenIssued) EventType() string  { return TypeRefreshTokenIssued }
func (RefreshTokenRotated) EventType() string { return TypeRefreshTokenRotated }
func (RefreshTokenRevoked) EventType() string { return TypeRefreshTokenRevoked }
func (AccessTokenIssued) EventType() string   { return TypeAccessTokenIssued }
func (AccessTokenRevoked) EventType() string  { return TypeAccessTokenRevoked }

// Email statuses of the mail policies, as Stormpath spelled them.
const (
	EmailEnabled  = "ENABLED"
	EmailDisabled = "DISABLED"
)

// PasswordPolicySet sets an application's password policy (Stormpath's
// passwordPolicy) as a whole: the reset token's lifetime in hours, whether
// the reset mail and the confirmation after a reset are sent, and the base
// URL of the link in the reset mail ("" for the API's own token href).
type PasswordPolicySet struct {
	ResetTokenTTL           int    `json:"resetTokenTtl"`
	ResetEmailStatus        string `json:"resetEmailStatus"`
	ResetSuccessEmailStatus string `json:"resetSuccessEmailStatus"`
	LinkBaseURL             string `json:"linkBaseUrl"`
}

// AccountCreationPolicySet sets an application's account creation policy
// (Stormpath's accountCreationPolicy) as a whole: whether new accounts
// start UNVERIFIED and are mailed a verification link, whether a
// confirmation follows the verification, and the base URL of the link
// ("" for the API's own token href). SelfRegistrationStatus says whether
// the developer console's sign-up page may create accounts; it came after
// the first events of this type, so "" (absent) means DISABLED and those
// events decode unchanged.
type AccountCreationPolicySet struct {
	VerificationEmailStatus        string `json:"verificationEmailStatus"`
	VerificationSuccessEmailStatus string `json:"verificationSuccessEmailStatus"`
	LinkBaseURL                    string `json:"linkBaseUrl"`
	SelfRegistrationStatus         string `json:"selfRegistrationStatus,omitempty"`
}

// ResetTokenIssued records a password reset token for the account: only
// its SHA-256 (hex), never the token, and when it expires. It replaces any
// earlier reset token of the account; a new password ends it.
type ResetTokenIssued struct {
	TokenHash string    `json:"tokenHash"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// VerificationTokenIssued records an email verification token for an
// UNVERIFIED account: its SHA-256 (hex) and expiry. It replaces any
// earlier one.
type VerificationTokenIssued struct {
	TokenHash string    `json:"tokenHash"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// EmailVerified records that the account's owner proved the address (a
// verification link, or a password reset link of an UNVERIFIED account):
// the account becomes ENABLED and its verification token dies.
type EmailVerified struct{}

func (PasswordPolicySet) EventType() string        { return TypePasswordPolicySet }
func (AccountCreationPolicySet) EventType() string { return TypeAccountCreationPolicySet }
func (ResetTokenIssued) EventType() string         { return TypeResetTokenIssued }
func (VerificationTokenIssued) EventType() string  { return TypeVerificationTokenIssued }
func (EmailVerified) EventType() string            { return TypeEmailVerified }

func (TenantCreated) EventType() string      { return TypeTenantCreated }
func (ApplicationCreated) EventType() string { return TypeApplicationCreated }
func (ApplicationUpdated) EventType() string { return TypeApplicationUpdated }
func (ApplicationDeleted) EventType() string { return TypeApplicationDeleted }
func (AccountCreated) EventType() string     { return TypeAccountCreated }
func (AccountUpdated) EventType() string     { return TypeAccountUpdated }
func (AccountPasswordSet) EventType() string { return TypeAccountPasswordSet }
func (AccountPasswordRehashed) EventType() string {
	return TypeAccountPasswordRehashed
}
func (AccountDeleted) EventType() string     { return TypeAccountDeleted }
func (CustomDataChanged) EventType() string  { return TypeCustomDataChanged }
func (CustomDataCleared) EventType() string  { return TypeCustomDataCleared }
func (GroupCreated) EventType() string       { return TypeGroupCreated }
func (GroupUpdated) EventType() string       { return TypeGroupUpdated }
func (GroupDeleted) EventType() string       { return TypeGroupDeleted }
func (MembershipCreated) EventType() string  { return TypeMembershipCreated }
func (MembershipDeleted) EventType() string  { return TypeMembershipDeleted }
func (APIKeyCreated) EventType() string      { return TypeAPIKeyCreated }
func (APIKeyUpdated) EventType() string      { return TypeAPIKeyUpdated }
func (APIKeyDeleted) EventType() string      { return TypeAPIKeyDeleted }
func (OAuthPolicySet) EventType() string     { return TypeOAuthPolicySet }
func (APIKeyScopesSet) EventType() string    { return TypeAPIKeyScopesSet }
func (TokenRevoked) EventType() string       { return TypeTokenRevoked }
func (APIKeyExpirySet) EventType() string    { return TypeAPIKeyExpirySet }
func (APIKeyRerolled) EventType() string     { return TypeAPIKeyRerolled }
func (APIKeyRateLimitSet) EventType() string { return TypeAPIKeyRateLimitSet }
func (ApplicationRateLimitSet) EventType() string {
	return TypeApplicationRateLimitSet
}
func (AccountLoginSucceeded) EventType() string {
	return TypeLoginSucceeded
}
func (AccountLoginFailed) EventType() string { return TypeLoginFailed }

func (TenantCustomDataChanged) EventType() string      { return TypeTenantCustomDataChanged }
func (TenantCustomDataCleared) EventType() string      { return TypeTenantCustomDataCleared }
func (ApplicationCustomDataChanged) EventType() string { return TypeApplicationCustomDataChanged }
func (ApplicationCustomDataCleared) EventType() string { return TypeApplicationCustomDataCleared }
func (GroupCustomDataChanged) EventType() string       { return TypeGroupCustomDataChanged }
func (GroupCustomDataCleared) EventType() string       { return TypeGroupCustomDataCleared }
func (DirectoryCreated) EventType() string             { return TypeDirectoryCreated }
func (DirectoryUpdated) EventType() string             { return TypeDirectoryUpdated }
func (DirectoryDeleted) EventType() string             { return TypeDirectoryDeleted }
func (DirectoryCustomDataChanged) EventType() string   { return TypeDirectoryCustomDataChanged }
func (DirectoryCustomDataCleared) EventType() string   { return TypeDirectoryCustomDataCleared }
func (AccountStoresSet) EventType() string             { return TypeAccountStoresSet }
func (DirectoryImported) EventType() string            { return TypeDirectoryImported }
func (ApplicationImported) EventType() string          { return TypeApplicationImported }
func (GroupImported) EventType() string                { return TypeGroupImported }
func (AccountImported) EventType() string              { return TypeAccountImported }

func init() {
	register(func() Event { return &TenantCreated{} })
	register(func() Event { return &ApplicationCreated{} })
	register(func() Event { return &ApplicationUpdated{} })
	register(func() Event { return &ApplicationDeleted{} })
	register(func() Event { return &AccountCreated{} })
	register(func() Event { return &AccountUpdated{} })
	register(func() Event { return &AccountPasswordSet{} })
	register(func() Event { return &AccountPasswordRehashed{} })
	register(func() Event { return &AccountDeleted{} })
	register(func() Event { return &CustomDataChanged{} })
	register(func() Event { return &CustomDataCleared{} })
	register(func() Event { return &GroupCreated{} })
	register(func() Event { return &GroupUpdated{} })
	register(func() Event { return &GroupDeleted{} })
	register(func() Event { return &MembershipCreated{} })
	register(func() Event { return &MembershipDeleted{} })
	register(func() Event { return &APIKeyCreated{} })
	register(func() Event { return &APIKeyUpdated{} })
	register(func() Event { return &APIKeyDeleted{} })
	register(func() Event { return &OAuthPolicySet{} })
	register(func() Event { return &APIKeyScopesSet{} })
	register(func() Event { return &TokenRevoked{} })
	register(func() Event { return &APIKeyExpirySet{} })
	register(func() Event { return &APIKeyRerolled{} })
	register(func() Event { return &APIKeyRateLimitSet{} })
	register(func() Event { return &ApplicationRateLimitSet{} })
	register(func() Event { return &TenantCustomDataChanged{} })
	register(func() Event { return &TenantCustomDataCleared{} })
	register(func() Event { return &ApplicationCustomDataChanged{} })
	register(func() Event { return &ApplicationCustomDataCleared{} })
	register(func() Event { return &GroupCustomDataChanged{} })
	register(func() Event { return &GroupCustomDataCleared{} })
	register(func() Event { return &AccountLoginSucceeded{} })
	register(func() Event { return &AccountLoginFailed{} })
	register(func() Event { return &RefreshTokenIssued{} })
	register(func() Event { return &RefreshTokenRotated{} })
	register(func() Event { return &RefreshTokenRevoked{} })
	register(func() Event { return &AccessTokenIssued{} })
	register(func() Event { return &AccessTokenRevoked{} })
	register(func() Event { return &PasswordPolicySet{} })
	register(func() Event { return &AccountCreationPolicySet{} })
	register(func() Event { return &ResetTokenIssued{} })
	register(func() Event { return &VerificationTokenIssued{} })
	register(func() Event { return &EmailVerified{} })
	register(func() Event { return &DirectoryCreated{} })
	register(func() Event { return &DirectoryUpdated{} })
	register(func() Event { return &DirectoryDeleted{} })
	register(func() Event { return &DirectoryCustomDataChanged{} })
	register(func() Event { return &DirectoryCustomDataCleared{} })
	register(func() Event { return &AccountStoresSet{} })
	register(func() Event { return &DirectoryImported{} })
	register(func() Event { return &ApplicationImported{} })
	register(func() Event { return &GroupImported{} })
	register(func() Event { return &AccountImported{} })
}
