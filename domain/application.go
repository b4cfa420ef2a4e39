package domain

import (
	"slices"
	"time"

	"github.com/keystorm/keystorm/events"
)

// Application is a provider's application. It owns one directory (its
// account store) where its accounts and groups live.
type Application struct {
	Base
	DirectoryID string `json:"directoryId"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
	// Admin marks the tenant's administrators application: API keys of its
	// accounts are admin keys and may call the management API.
	Admin bool `json:"admin,omitempty"`
	// AccessTokenTTL is the OAuth policy's token lifetime in seconds; 0
	// means DefaultAccessTokenTTL.
	AccessTokenTTL int `json:"accessTokenTtl,omitempty"`
	// RefreshTokenTTL is the lifetime of the password grant's sessions
	// in seconds; 0 means DefaultRefreshTokenTTL.
	RefreshTokenTTL int `json:"refreshTokenTtl,omitempty"`
	// TokensValidAfter is when the application was last disabled: access
	// tokens issued before it stay dead even if it is enabled again, the
	// rule keys and accounts follow too.
	TokensValidAfter time.Time `json:"tokensValidAfter,omitzero"`
	// DefaultRateLimit applies to the application's keys that have no
	// limit of their own.
	DefaultRateLimit RateLimit `json:"rateLimit,omitzero"`
	// MailPolicies are the password and account creation policies
	// (mailpolicy.go).
	MailPolicies
	// Custom is the application's customData (see customdata.go).
	Custom
	// Mappings are the application's account stores in listIndex
	// order (directory.go). An application made before mappings
	// existed maps its own directory alone, as ApplicationCreated says.
	Mappings []AccountStoreMapping `json:"mappings,omitempty"`
	// children is the Parent child count the Store loaded: kept beside
	// the state, not in it (unexported, so never in its JSON).
	children int64
}

// Usable reports an application whose keys and tokens may authenticate:
// not deleted, and enabled.
func (a *Application) Usable() bool { return !a.Deleted() && a.Status == StatusEnabled }

// TokenTTL is the lifetime of access tokens issued for the application.
func (a *Application) TokenTTL() time.Duration {
	if a.AccessTokenTTL <= 0 {
		return DefaultAccessTokenTTL
	}
	return time.Duration(a.AccessTokenTTL) * time.Second
}

// RefreshTTL is the lifetime of the application's sessions: a refresh
// token works until then, however often it is rotated.
func (a *Application) RefreshTTL() time.Duration {
	if a.RefreshTokenTTL <= 0 {
		return DefaultRefreshTokenTTL
	}
	return time.Duration(a.RefreshTokenTTL) * time.Second
}

// Ref implements State.
func (a *Application) Ref() Ref { return Ref{KindApplication, a.ID} }

// Collections implements State.
func (a *Application) Collections() []string {
	if a.Gone {
		return nil
	}
	return []string{"tenant/" + a.Tenant + "/applications"}
}

// UniqueKeys implements State: names are unique within a tenant, compared
// as RFC 8266 nicknames (see nameKey).
func (a *Application) UniqueKeys() []Unique {
	if a.Gone {
		return nil
	}
	keys := []Unique{{Key: "tenant/" + a.Tenant + "/application-name/" + nameKey(a.Name), Field: "name"}}
	for _, m := range a.Mappings {
		// A mapping's guard finds its application from its id; the
		// mapping of an application's own directory has the
		// application's id, so needs none.
		if m.ID != a.ID {
			keys = append(keys, Unique{Key: mappingKey + m.ID, Field: "id"})
		}
	}
	return keys
}

// Apply implements State.
func (a *Application) Apply(env events.Envelope) error {
	return fold(a, env, &a.Base, func(e events.Event) error {
		switch e := e.(type) {
		case *events.ApplicationCreated:
			a.ID, a.Tenant, a.DirectoryID = e.ID, e.TenantID, e.DirectoryID
			a.Name, a.Description, a.Status, a.Admin = e.Name, e.Description, e.Status, e.Admin
			if e.DirectoryID != "" {
				// Its own directory is its first mapping, and the
				// default store for accounts and groups; the mapping
				// takes the application's id, which no other mapping
				// can have.
				a.setStores([]events.AccountStoreMapping{{ID: e.ID, StoreKind: events.StoreDirectory, StoreID: e.DirectoryID,
					DefaultAccountStore: true, DefaultGroupStore: true}}, env.At)
			}
		case *events.AccountStoresSet:
			a.setStores(e.Mappings, env.At)
		case *events.ApplicationImported:
			a.imported(&a.Custom, events.Imported(*e))
		case *events.ApplicationUpdated:
			if a.Status == StatusEnabled && e.Status != StatusEnabled {
				a.TokensValidAfter = env.At
			}
			a.Name, a.Description, a.Status = e.Name, e.Description, e.Status
		case *events.ApplicationDeleted:
			a.Gone = true
		case *events.ApplicationRateLimitSet:
			a.DefaultRateLimit = rateLimitOf(events.RateLimit(*e))
		case *events.OAuthPolicySet:
			a.AccessTokenTTL, a.RefreshTokenTTL = e.AccessTokenTTL, e.RefreshTokenTTL
		case *events.PasswordPolicySet:
			a.ResetTokenTTLHours, a.ResetLinkBaseURL = e.ResetTokenTTL, e.LinkBaseURL
			a.ResetEmailOff, a.ResetSuccessEmailOff = e.ResetEmailStatus == events.EmailDisabled, e.ResetSuccessEmailStatus == events.EmailDisabled
		case *events.AccountCreationPolicySet:
			a.VerificationEmailOn, a.VerificationLinkBaseURL = e.VerificationEmailStatus == events.EmailEnabled, e.LinkBaseURL
			a.VerificationSuccessEmailOn = e.VerificationSuccessEmailStatus == events.EmailEnabled
			a.SelfRegistrationOn = e.SelfRegistrationStatus == events.EmailEnabled
		case *events.ApplicationCustomDataChanged:
			a.changeCustomData(events.CustomDataChanged(*e), env.At)
		case *events.ApplicationCustomDataCleared:
			a.clearCustomData(env.At)
		default:
			return unexpected(e)
		}
		return nil
	})
}

func (a *Application) clone() *Application {
	c := *a
	c.Custom = a.Custom.cloned()
	c.Mappings = slices.Clone(a.Mappings)
	return &c
}
