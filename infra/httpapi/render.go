package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// Link is a reference to another resource.
type Link struct {
	Href string `json:"href"`
}

// ts renders a timestamp as ISO 8601 UTC with milliseconds, as Stormpath
// did.
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

type hrefs string // the base URL

// resourcePaths are the path prefixes of the resources that carry
// customData, by kind: their customData is at prefix + id + "/customData".
var resourcePaths = map[string]string{
	domain.KindTenant:      "/v1/tenants/",
	domain.KindApplication: "/v1/applications/",
	domain.KindAccount:     "/v1/accounts/",
	domain.KindGroup:       "/v1/groups/",
	domain.KindDirectory:   "/v1/directories/",
}

// customDataLink is the customData link of a resource.
func (b hrefs) customDataLink(owner domain.Ref) Link {
	return b.link(resourcePaths[owner.Kind] + owner.ID + "/customData")
}

func (b hrefs) link(path string) Link { return Link{Href: string(b) + path} }

// optLink is the link to prefix+id, or nil (JSON null) when id is "".
func (b hrefs) optLink(prefix, id string) *Link {
	if id == "" {
		return nil
	}
	l := b.link(prefix + id)
	return &l
}

// Tenant is the JSON of a tenant.
type Tenant struct {
	Href         string `json:"href"`
	Name         string `json:"name"`
	Key          string `json:"key"`
	CreatedAt    string `json:"createdAt"`
	ModifiedAt   string `json:"modifiedAt"`
	Applications Link   `json:"applications"`
	CustomData   Link   `json:"customData"`
}

func (b hrefs) tenant(t *domain.Tenant) Tenant {
	return Tenant{Href: string(b) + "/v1/tenants/" + t.ID, Name: t.Name, Key: t.ID, CreatedAt: ts(t.CreatedAt), ModifiedAt: ts(t.ModifiedAt),
		Applications: b.link("/v1/applications"), CustomData: b.customDataLink(t.Ref())}
}

// Application is the JSON of an application.
type Application struct {
	Href        string `json:"href"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
	CreatedAt   string `json:"createdAt"`
	ModifiedAt  string `json:"modifiedAt"`
	Tenant      Link   `json:"tenant"`
	Accounts    Link   `json:"accounts"`
	Groups      Link   `json:"groups"`
	APIKeys     Link   `json:"apiKeys"`
	// DefaultAccountStore and DefaultGroupStore are the directories
	// where the application creates accounts and groups; null when it
	// has none.
	DefaultAccountStore  *Link `json:"defaultAccountStore"`
	DefaultGroupStore    *Link `json:"defaultGroupStore"`
	AccountStoreMappings Link  `json:"accountStoreMappings"`
	OAuthPolicy          Link  `json:"oAuthPolicy"`
	CustomData           Link  `json:"customData"`
	// LoginAttempts, PasswordResetTokens and VerificationEmails are
	// where the SDKs' authenticateAccount, sendPasswordResetEmail and
	// resendVerificationEmail post.
	LoginAttempts       Link `json:"loginAttempts"`
	PasswordResetTokens Link `json:"passwordResetTokens"`
	VerificationEmails  Link `json:"verificationEmails"`
	// RateLimit is the default limit of the application's keys; null:
	// none.
	RateLimit *RateLimitBody `json:"rateLimit"`
}

// rateLimit renders a limit, nil (JSON null) when there is none.
func rateLimit(l domain.RateLimit) *RateLimitBody {
	if l.IsZero() {
		return nil
	}
	return &RateLimitBody{Requests: l.Requests, Period: FormatISODuration(l.Period)}
}

func (b hrefs) application(a *domain.Application) Application {
	p := "/v1/applications/" + a.ID
	return Application{Href: string(b) + p, Name: a.Name, Description: a.Description, Status: a.Status,
		CreatedAt: ts(a.CreatedAt), ModifiedAt: ts(a.ModifiedAt), Tenant: b.link("/v1/tenants/" + a.Tenant),
		Accounts: b.link(p + "/accounts"), Groups: b.link(p + "/groups"), APIKeys: b.link(p + "/apiKeys"),
		DefaultAccountStore: b.defaultStore(a, false), DefaultGroupStore: b.defaultStore(a, true),
		AccountStoreMappings: b.link(p + "/accountStoreMappings"), OAuthPolicy: b.link("/v1/oAuthPolicies/" + a.ID),
		CustomData: b.customDataLink(a.Ref()), LoginAttempts: b.link(p + "/loginAttempts"),
		PasswordResetTokens: b.link(p + "/passwordResetTokens"), VerificationEmails: b.link(p + "/verificationEmails"),
		RateLimit: rateLimit(a.DefaultRateLimit)}
}

// defaultStore links an application's default account (or group)
// store, nil when it has none.
func (b hrefs) defaultStore(a *domain.Application, groups bool) *Link {
	for _, m := range a.Stores() {
		if groups && m.DefaultGroupStore || !groups && m.DefaultAccountStore {
			return b.optLink("/v1/directories/", m.StoreID)
		}
	}
	return nil
}

// OAuthPolicy is the JSON of an application's OAuth policy (Stormpath's
// oAuthPolicy resource): the lifetimes of access tokens and of the
// password grant's sessions.
type OAuthPolicy struct {
	Href            string `json:"href"`
	AccessTokenTTL  string `json:"accessTokenTtl"`
	RefreshTokenTTL string `json:"refreshTokenTtl"`
	TokenEndpoint   string `json:"tokenEndpoint"`
	CreatedAt       string `json:"createdAt"`
	ModifiedAt      string `json:"modifiedAt"`
	Application     Link   `json:"application"`
	Tenant          Link   `json:"tenant"`
}

func (b hrefs) oauthPolicy(a *domain.Application) OAuthPolicy {
	return OAuthPolicy{Href: string(b) + "/v1/oAuthPolicies/" + a.ID, AccessTokenTTL: FormatISODuration(a.TokenTTL()),
		RefreshTokenTTL: FormatISODuration(a.RefreshTTL()), TokenEndpoint: string(b) + "/v1/applications/" + a.ID + "/oauth/token", CreatedAt: ts(a.CreatedAt), ModifiedAt: ts(a.ModifiedAt),
		Application: b.link("/v1/applications/" + a.ID), Tenant: b.link("/v1/tenants/" + a.Tenant)}
}

// Account is the JSON of an account. The password and its hash are never
// rendered.
type Account struct {
	Href       string `json:"href"`
	Username   string `json:"username"`
	Email      string `json:"email"`
	GivenName  string `json:"givenName"`
	MiddleName string `json:"middleName"`
	Surname    string `json:"surname"`
	FullName   string `json:"fullName"`
	Status     string `json:"status"`
	// EmailVerificationStatus is VERIFIED, UNVERIFIED or UNKNOWN, as
	// Stormpath had it (an imported account keeps Stormpath's).
	EmailVerificationStatus string `json:"emailVerificationStatus"`
	CreatedAt               string `json:"createdAt"`
	ModifiedAt              string `json:"modifiedAt"`
	EmailVerificationToken  *Link  `json:"emailVerificationToken"`
	CustomData              Link   `json:"customData"`
	APIKeys                 Link   `json:"apiKeys"`
	Groups                  Link   `json:"groups"`
	GroupMemberships        Link   `json:"groupMemberships"`
	AccessTokens            Link   `json:"accessTokens"`
	RefreshTokens           Link   `json:"refreshTokens"`
	Directory               Link   `json:"directory"`
	// Application is the application whose own directory holds the
	// account; null for an account of a shared directory, which
	// reaches every application that maps it.
	Application *Link `json:"application"`
	Tenant      Link  `json:"tenant"`
}

func (b hrefs) account(a *domain.Account) Account {
	p := "/v1/accounts/" + a.ID
	out := Account{Href: string(b) + p, Username: a.Username, Email: a.Email, GivenName: a.GivenName, MiddleName: a.MiddleName,
		Surname: a.Surname, FullName: a.FullName(), Status: a.Status, EmailVerificationStatus: a.VerificationStatus(),
		CreatedAt: ts(a.CreatedAt), ModifiedAt: ts(a.ModifiedAt),
		CustomData: b.customDataLink(a.Ref()), APIKeys: b.link(p + "/apiKeys"), Groups: b.link(p + "/groups"),
		GroupMemberships: b.link(p + "/groupMemberships"), Directory: b.link("/v1/directories/" + a.DirectoryID),
		AccessTokens: b.link(p + "/accessTokens"), RefreshTokens: b.link(p + "/refreshTokens"),
		Application: b.optLink("/v1/applications/", a.ApplicationID), Tenant: b.link("/v1/tenants/" + a.Tenant)}
	// Only the hash of the token is kept, so the live link can be shown
	// only where the token was just made: the create response.
	if a.IssuedVerificationToken != "" {
		l := b.link(domain.VerificationTokenPath(a.IssuedVerificationToken))
		out.EmailVerificationToken = &l
	}
	return out
}

// customData renders a customData resource: its own href and times,
// then the fields.
func (b hrefs) customData(cd domain.CustomData) map[string]any {
	out := make(map[string]any, len(cd.Fields)+3)
	for k, v := range cd.Fields {
		out[k] = json.RawMessage(v)
	}
	out["href"] = b.customDataLink(cd.Owner).Href
	out["createdAt"] = ts(cd.CreatedAt)
	out["modifiedAt"] = ts(cd.ModifiedAt)
	return out
}

// Group is the JSON of a group.
type Group struct {
	Href        string `json:"href"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
	CreatedAt   string `json:"createdAt"`
	ModifiedAt  string `json:"modifiedAt"`
	Tenant      Link   `json:"tenant"`
	Directory   Link   `json:"directory"`
	// Application is null for a group of a shared directory.
	Application        *Link `json:"application"`
	Accounts           Link  `json:"accounts"`
	AccountMemberships Link  `json:"accountMemberships"`
	CustomData         Link  `json:"customData"`
}

func (b hrefs) group(g *domain.Group) Group {
	p := "/v1/groups/" + g.ID
	return Group{Href: string(b) + p, Name: g.Name, Description: g.Description, Status: g.Status,
		CreatedAt: ts(g.CreatedAt), ModifiedAt: ts(g.ModifiedAt), Tenant: b.link("/v1/tenants/" + g.Tenant),
		Directory: b.link("/v1/directories/" + g.DirectoryID), Application: b.optLink("/v1/applications/", g.ApplicationID),
		Accounts: b.link(p + "/accounts"), AccountMemberships: b.link(p + "/accountMemberships"), CustomData: b.customDataLink(g.Ref())}
}

// Membership is the JSON of a group membership.
type Membership struct {
	Href       string `json:"href"`
	Account    Link   `json:"account"`
	Group      Link   `json:"group"`
	CreatedAt  string `json:"createdAt"`
	ModifiedAt string `json:"modifiedAt"`
}

func (b hrefs) membership(m *domain.Membership) Membership {
	return Membership{Href: string(b) + "/v1/groupMemberships/" + m.ID, Account: b.link("/v1/accounts/" + m.AccountID),
		Group: b.link("/v1/groups/" + m.GroupID), CreatedAt: ts(m.CreatedAt), ModifiedAt: ts(m.ModifiedAt)}
}

// APIKey is the JSON of an API key. Secret is set only when the key is
// created, or, for SDKs that ask for encryptSecret, to an encrypted value
// (see crypt.go). Account is a link, or the whole account when expanded.
type APIKey struct {
	Href        string  `json:"href"`
	ID          string  `json:"id"`
	Secret      *string `json:"secret,omitempty"`
	Status      string  `json:"status"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	CreatedAt   string  `json:"createdAt"`
	ModifiedAt  string  `json:"modifiedAt"`
	Account     any     `json:"account"`
	Tenant      Link    `json:"tenant"`
	// Scopes limits the scopes the key's tokens may carry: null when
	// unrestricted, a list (maybe empty) when restricted.
	Scopes *[]string `json:"scopes"`
	// ExpiresAt is when the key stops authenticating; null: never.
	ExpiresAt *string `json:"expiresAt"`
	// PreviousSecretValidUntil is, after a reroll with a grace period,
	// when the replaced secret stops working; null when none does.
	PreviousSecretValidUntil *string `json:"previousSecretValidUntil"`
	// RateLimit is the key's own limit; null: its application's default
	// applies.
	RateLimit *RateLimitBody `json:"rateLimit"`
	// LastUsedAt is the key's last successful verification as last
	// flushed (within about a minute); null when none is known.
	LastUsedAt *string `json:"lastUsedAt"`
	// Usage is the key's verifications per hour for 30 days.
	Usage Link `json:"usage"`
	// Imported is true for a key an admin imported with its id and
	// secret; absent for the others.
	Imported bool `json:"imported,omitempty"`
}

// KeyUsage is GET /v1/apiKeys/{id}/usage: successful and failed
// verifications per hour, hours without any left out.
type KeyUsage struct {
	Href       string      `json:"href"`
	APIKey     Link        `json:"apiKey"`
	From       string      `json:"from"`
	To         string      `json:"to"`
	Succeeded  int64       `json:"succeeded"`
	Failed     int64       `json:"failed"`
	LastUsedAt *string     `json:"lastUsedAt"`
	Hours      []UsageHour `json:"hours"`
}

// UsageHour is one hour of a key's verifications.
type UsageHour struct {
	Hour      string `json:"hour"`
	Succeeded int64  `json:"succeeded"`
	Failed    int64  `json:"failed"`
}

func (b hrefs) keyUsage(u domain.KeyUsage) KeyUsage {
	p := "/v1/apiKeys/" + u.Key.ID
	out := KeyUsage{Href: string(b) + p + "/usage", APIKey: b.link(p), From: ts(u.From), To: ts(u.To),
		Succeeded: u.Succeeded, Failed: u.Failed, LastUsedAt: optTS(u.LastUsedAt), Hours: make([]UsageHour, len(u.Hours))}
	for i, h := range u.Hours {
		out.Hours[i] = UsageHour{Hour: ts(h.Hour), Succeeded: h.Succeeded, Failed: h.Failed}
	}
	return out
}

func (b hrefs) apiKey(k *domain.APIKey) APIKey {
	return APIKey{Href: string(b) + "/v1/apiKeys/" + k.ID, ID: k.ID, Status: k.Status, Name: k.Name, Description: k.Description,
		CreatedAt: ts(k.CreatedAt), ModifiedAt: ts(k.ModifiedAt), Account: b.link("/v1/accounts/" + k.AccountID), Tenant: b.link("/v1/tenants/" + k.Tenant),
		Scopes: keyScopes(k), ExpiresAt: optTS(k.ExpiresAt), PreviousSecretValidUntil: optTS(k.PreviousValidUntil),
		RateLimit: rateLimit(k.RateLimit), Usage: b.link("/v1/apiKeys/" + k.ID + "/usage"), Imported: k.Imported}
}

// optTS renders a time that may be unset: nil (JSON null) when zero.
func optTS(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := ts(t)
	return &s
}

func keyScopes(k *domain.APIKey) *[]string {
	if !k.ScopesRestricted {
		return nil
	}
	s := append([]string{}, k.Scopes...)
	return &s
}

// Collection is a page of a collection resource: Stormpath's shape, plus
// a next link while more items follow.
type Collection struct {
	Href   string `json:"href"`
	Offset int    `json:"offset"`
	Limit  int    `json:"limit"`
	Size   int    `json:"size"`
	Items  []any  `json:"items"`
	// Next is the URL of the following page. It carries the last item's
	// position (after), so the store seeks there instead of skipping
	// offset items: following next links costs the same on every page.
	Next *Link `json:"next,omitempty"`
}

func collection[T domain.State, R any](r *http.Request, l domain.List[T], render func(T) R) Collection {
	items := make([]any, len(l.Items))
	for i, it := range l.Items {
		items[i] = render(it)
	}
	return newCollection(r, baseURL(r), l.Offset, l.Limit, l.Size, l.Next, l.More, items)
}

// newCollection builds the page, and its next link from the request's own
// query (so filters and options such as encryptSecret carry over) with
// offset and limit set for the page that follows, and after when the
// list has a position to seek to (next); a filtered list (more) pages by
// offset alone.
func newCollection(r *http.Request, base string, offset, limit, size int, next string, more bool, items []any) Collection {
	c := Collection{Href: base + r.URL.Path, Offset: offset, Limit: limit, Size: size, Items: items}
	if next != "" || more {
		q := r.URL.Query()
		q.Set("offset", strconv.Itoa(offset+len(items)))
		q.Set("limit", strconv.Itoa(limit))
		q.Del("after")
		if next != "" {
			q.Set("after", base64.RawURLEncoding.EncodeToString([]byte(next)))
		}
		c.Next = &Link{Href: c.Href + "?" + q.Encode()}
	}
	return c
}
