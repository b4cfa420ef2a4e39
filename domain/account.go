package domain

import (
	"strings"
	"time"

	"github.com/keystorm/keystorm/events"
)

// Account is a developer's account in an application's directory. Its
// customData lives in the same state (see Custom).
type Account struct {
	Base
	ApplicationID          string `json:"applicationId"`
	DirectoryID            string `json:"directoryId"`
	Username               string `json:"username"`
	Email                  string `json:"email"`
	GivenName              string `json:"givenName"`
	MiddleName             string `json:"middleName"`
	Surname                string `json:"surname"`
	Status                 string `json:"status"`
	PasswordHash           string `json:"passwordHash"`
	EmailVerificationToken string `json:"emailVerificationToken,omitempty"`
	Admin                  bool   `json:"admin,omitempty"`
	// Custom is the account's customData (see customdata.go).
	Custom
	// TokensValidAfter is when the account was last disabled: access
	// tokens issued before it stay dead even if it is enabled again.
	TokensValidAfter time.Time `json:"tokensValidAfter,omitzero"`
	// SessionsValidAfter is when the account's password last changed:
	// sessions (the refresh tokens of the password grant, and the access
	// tokens they gave) started before it are dead, so a new password
	// signs out whoever knew the old one.
	SessionsValidAfter time.Time `json:"sessionsValidAfter,omitzero"`
	// children is the Parent child count the Store loaded: kept beside
	// the state, not in it (unexported, so never in its JSON).
	children int64
}

// FullName is computed from the name parts, as Stormpath did.
func (a *Account) FullName() string {
	parts := make([]string, 0, 3)
	for _, p := range []string{a.GivenName, a.MiddleName, a.Surname} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// Ref implements State.
func (a *Account) Ref() Ref { return Ref{KindAccount, a.ID} }

// Collections implements State.
func (a *Account) Collections() []string {
	if a.Gone {
		return nil
	}
	return []string{"application/" + a.ApplicationID + "/accounts"}
}

// UniqueKeys implements State: username and email are unique within a
// directory, under the mappings of identifier.go (RFC 8265 for usernames;
// case, width and normalisation folded for emails). A rebuild derives the
// guards from here, so it migrates guards when these mappings change.
func (a *Account) UniqueKeys() []Unique {
	if a.Gone {
		return nil
	}
	d := "directory/" + a.DirectoryID
	return []Unique{
		{Key: d + "/username/" + usernameKey(a.Username), Field: "username"},
		{Key: d + "/email/" + emailKey(a.Email), Field: "email"},
	}
}

// Apply implements State.
func (a *Account) Apply(env events.Envelope) error {
	// A login attempt is a fact about the account, not a change of it:
	// it must not move modifiedAt, which clients sort and filter by.
	modified := a.ModifiedAt
	return fold(a, env, &a.Base, func(e events.Event) error {
		switch e := e.(type) {
		case *events.AccountLoginSucceeded, *events.AccountLoginFailed:
			a.ModifiedAt = modified
		case *events.AccountCreated:
			a.ID, a.Tenant, a.ApplicationID, a.DirectoryID = e.ID, e.TenantID, e.ApplicationID, e.DirectoryID
			a.Username, a.Email, a.GivenName, a.MiddleName, a.Surname = e.Username, e.Email, e.GivenName, e.MiddleName, e.Surname
			a.Status, a.PasswordHash, a.EmailVerificationToken, a.Admin = e.Status, e.PasswordHash, e.EmailVerificationToken, e.Admin
			a.CustomDataModifiedAt = env.At
		case *events.AccountUpdated:
			if a.Status == StatusEnabled && e.Status != StatusEnabled {
				a.TokensValidAfter = env.At
			}
			a.Username, a.Email, a.GivenName, a.MiddleName, a.Surname, a.Status = e.Username, e.Email, e.GivenName, e.MiddleName, e.Surname, e.Status
			if a.Status != StatusUnverified {
				a.EmailVerificationToken = ""
			}
		case *events.AccountPasswordSet:
			a.PasswordHash = e.PasswordHash
			a.SessionsValidAfter = env.At
		case *events.AccountDeleted:
			a.Gone = true
		case *events.CustomDataChanged:
			a.changeCustomData(*e, env.At)
		case *events.CustomDataCleared:
			a.clearCustomData(env.At)
		default:
			return unexpected(e)
		}
		return nil
	})
}

func (a *Account) clone() *Account {
	c := *a
	c.Custom = a.Custom.cloned()
	return &c
}
