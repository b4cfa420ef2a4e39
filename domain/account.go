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
	ApplicationID string `json:"applicationId"`
	DirectoryID   string `json:"directoryId"`
	Username      string `json:"username"`
	Email         string `json:"email"`
	GivenName     string `json:"givenName"`
	MiddleName    string `json:"middleName"`
	Surname       string `json:"surname"`
	Status        string `json:"status"`
	PasswordHash  string `json:"passwordHash"`
	Admin         bool   `json:"admin,omitempty"`
	// ResetTokenHash is the SHA-256 (hex) of the account's one live
	// password reset token, until ResetExpiresAt; VerificationTokenHash
	// the same for its email verification token. Only hashes are kept:
	// the tokens themselves exist only in the mail (reset.go). Each is
	// a uniqueness guard too, which is how a token finds its account.
	ResetTokenHash        string    `json:"resetTokenHash,omitempty"`
	ResetExpiresAt        time.Time `json:"resetExpiresAt,omitzero"`
	VerificationTokenHash string    `json:"verificationTokenHash,omitempty"`
	VerificationExpiresAt time.Time `json:"verificationExpiresAt,omitzero"`
	// IssuedVerificationToken is the raw verification token, set only
	// on the account CreateAccount returns (never stored: json "-"), so
	// that the create response can show the live link once.
	IssuedVerificationToken string `json:"-"`
	// Custom is the account's customData (see customdata.go).
	Custom
	// EmailVerified is what is known of the email address: VERIFIED once
	// verified here, or as an import brought it (VERIFIED, UNVERIFIED,
	// UNKNOWN); "" when nothing is (see VerificationStatus).
	EmailVerified string `json:"emailVerificationStatus,omitempty"`
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

// Email verification statuses, as Stormpath's emailVerificationStatus.
const (
	EmailVerified   = "VERIFIED"
	EmailUnverified = "UNVERIFIED"
	EmailUnknown    = "UNKNOWN"
)

// VerificationStatus is the account's emailVerificationStatus: as
// verified or imported, else UNVERIFIED while the account waits for its
// verification, else UNKNOWN (no one asked).
func (a *Account) VerificationStatus() string {
	switch {
	case a.EmailVerified != "":
		return a.EmailVerified
	case a.Status == StatusUnverified:
		return EmailUnverified
	}
	return EmailUnknown
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
	return []string{storeCollection(a.ApplicationID, a.DirectoryID, "accounts")}
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
	keys := []Unique{
		{Key: d + "/username/" + usernameKey(a.Username), Field: "username"},
		{Key: d + "/email/" + emailKey(a.Email), Field: "email"},
	}
	// A live token's hash is a guard: Store.Owner then finds the account
	// from the token in O(1), and a rebuild recreates the lookup.
	if a.ResetTokenHash != "" {
		keys = append(keys, Unique{Key: resetTokenKey + a.ResetTokenHash, Field: "token"})
	}
	if a.VerificationTokenHash != "" {
		keys = append(keys, Unique{Key: verificationTokenKey + a.VerificationTokenHash, Field: "token"})
	}
	return keys
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
			// e.EmailVerificationToken (old events) was a plain token:
			// it is deliberately never live.
			a.Status, a.PasswordHash, a.Admin = e.Status, e.PasswordHash, e.Admin
			a.CustomDataModifiedAt = env.At
		case *events.AccountUpdated:
			if a.Status == StatusEnabled && e.Status != StatusEnabled {
				a.TokensValidAfter = env.At
			}
			a.Username, a.Email, a.GivenName, a.MiddleName, a.Surname, a.Status = e.Username, e.Email, e.GivenName, e.MiddleName, e.Surname, e.Status
			if a.Status != StatusUnverified {
				a.VerificationTokenHash, a.VerificationExpiresAt = "", time.Time{}
			}
		case *events.AccountImported:
			a.imported(&a.Custom, events.Imported(*e))
			a.EmailVerified = e.EmailVerificationStatus
		case *events.AccountPasswordRehashed:
			// The same password under argon2id: nothing a client sees
			// changes, so neither does modifiedAt, and no session or
			// reset link ends (README "Importing password hashes").
			a.PasswordHash = e.PasswordHash
			a.ModifiedAt = modified
		case *events.AccountPasswordSet:
			a.PasswordHash = e.PasswordHash
			a.SessionsValidAfter = env.At
			// A new password, by reset or by an admin, ends every reset
			// link still out: that is how a reset token is used up.
			a.ResetTokenHash, a.ResetExpiresAt = "", time.Time{}
		case *events.ResetTokenIssued:
			a.ResetTokenHash, a.ResetExpiresAt = e.TokenHash, e.ExpiresAt
		case *events.VerificationTokenIssued:
			a.VerificationTokenHash, a.VerificationExpiresAt = e.TokenHash, e.ExpiresAt
		case *events.EmailVerified:
			a.Status = StatusEnabled
			a.EmailVerified = EmailVerified
			a.VerificationTokenHash, a.VerificationExpiresAt = "", time.Time{}
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
