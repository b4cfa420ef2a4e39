package domain

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/keystorm/keystorm/events"
)

// APIKeyInput carries the writable properties of an API key; nil means
// "not given".
type APIKeyInput struct {
	Name        *string
	Description *string
	Status      *string
	// Scopes, when given, limits the scopes the key's tokens can carry
	// (Restricted false lifts the limit).
	Scopes *ScopeLimit
	// Expiry, when given, sets (or with a zero At lifts) the key's
	// expiry.
	Expiry *Expiry
	// RateLimit, when given, sets (or, zero, lifts) the key's own limit.
	RateLimit *RateLimit
	// Import, when given on create, makes the key with another system's
	// id and secret (a Stormpath export): admin callers only.
	Import *KeyImport
}

// KeyImport is the id and plaintext secret of a key exported from
// another system. The id must have our key ids' shape (ValidKeyID) and
// be free in every tenant, since keys authenticate by id alone; the
// secret must meet ImportedSecretRule.
type KeyImport struct{ ID, Secret string }

// check validates an import before anything is read: a bad id or secret
// stores nothing. A session is told the properties do not exist for it,
// as for any unknown property: a developer must never choose its own
// secret (ours carry 256 random bits; one a person picks may not).
func (imp *KeyImport) check(c Caller) error {
	if imp == nil {
		return nil
	}
	if c.Session != "" || !c.Admin {
		name := "id"
		if imp.ID == "" {
			name = "secret"
		}
		return invalid(CodeUnknownProperty, name, "%s is not a property of this resource.", name)
	}
	switch {
	case imp.ID == "":
		return invalid(CodeRequired, "id", "id is required with secret: an imported key needs both.")
	case imp.Secret == "":
		return invalid(CodeRequired, "secret", "secret is required with id: an imported key needs both.")
	case !ValidKeyID(imp.ID):
		return invalid(CodeInvalidValue, "id", "id must be 25 digits and upper-case letters, the shape of Stormpath's and Keystorm's API key ids.")
	}
	return CheckImportedSecret(imp.Secret)
}

// Expiry is a key's expiry: zero At means none.
type Expiry struct{ At time.Time }

// MaxRerollGrace is the longest a replaced secret may keep working.
const MaxRerollGrace = 7 * 24 * time.Hour

// event validates an expiry against now (it must lie ahead) and returns
// the event that sets it, or nil when nothing changes. Times are kept to
// the second: access tokens' exp is in whole seconds, and exp ≤ expiresAt
// must hold exactly.
func (x *Expiry) event(cur *APIKey, now time.Time) (*events.APIKeyExpirySet, error) {
	if x == nil {
		return nil, nil
	}
	at := x.At.UTC().Truncate(time.Second)
	if cur != nil && cur.ExpiresAt.Equal(at) {
		return nil, nil // SDKs send the whole key back on save, a past expiry too
	}
	if !x.At.IsZero() && !at.After(now) {
		return nil, invalid(CodeInvalidValue, "expiresAt", "expiresAt must be a time in the future.")
	}
	if x.At.IsZero() {
		at = time.Time{}
	}
	if (cur == nil && at.IsZero()) || (cur != nil && cur.ExpiresAt.Equal(at)) {
		return nil, nil
	}
	return &events.APIKeyExpirySet{ExpiresAt: at}, nil
}

// ScopeLimit is a key's scope restriction.
type ScopeLimit struct {
	Restricted bool
	Scopes     []string
}

func (l *ScopeLimit) event(cur *APIKey) (*events.APIKeyScopesSet, error) {
	if l == nil {
		return nil, nil
	}
	var scopes []string
	if l.Restricted {
		var err error
		if scopes, err = ParseScope(strings.Join(l.Scopes, " ")); err != nil {
			return nil, invalid(CodeInvalidValue, "scopes", "scopes must be valid OAuth scope names.")
		}
		if len(scopes) != len(l.Scopes) {
			return nil, invalid(CodeInvalidValue, "scopes", "scopes must be distinct names without spaces.")
		}
	}
	if cur != nil && cur.ScopesRestricted == l.Restricted && slices.Equal(cur.Scopes, scopes) {
		return nil, nil
	}
	return &events.APIKeyScopesSet{Restricted: l.Restricted, Scopes: scopes}, nil
}

// CreatedAPIKey is a new key with its secret, which exists only here: it
// is returned once and never stored.
type CreatedAPIKey struct {
	Key    *APIKey
	Secret string
}

// CreateAPIKey creates a key for an account.
// Errors: KindInvalid, ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) CreateAPIKey(ctx context.Context, c Caller, accountID string, in APIKeyInput) (CreatedAPIKey, error) {
	if err := selfOrAdmin(c, accountID); err != nil {
		return CreatedAPIKey{}, err
	}
	ev := events.APIKeyCreated{Status: StatusEnabled}
	var err error
	if ev.Name, err = text("name", in.Name, MaxNameLen, false); err != nil {
		return CreatedAPIKey{}, err
	}
	if ev.Description, err = text("description", in.Description, MaxDescriptionLen, false); err != nil {
		return CreatedAPIKey{}, err
	}
	if in.Status != nil {
		if ev.Status, err = status(in.Status, StatusEnabled, StatusDisabled); err != nil {
			return CreatedAPIKey{}, err
		}
	}
	scopes, err := in.Scopes.event(nil)
	if err != nil {
		return CreatedAPIKey{}, err
	}
	expiry, err := in.Expiry.event(nil, s.Clock.Now())
	if err != nil {
		return CreatedAPIKey{}, err
	}
	if err := checkRateLimit(in.RateLimit); err != nil {
		return CreatedAPIKey{}, err
	}
	if err := in.Import.check(c); err != nil {
		return CreatedAPIKey{}, err
	}
	var secret string
	key, err := run(ctx, s, c, func(r *recorder) (*APIKey, error) {
		acc, err := load[*Account](ctx, s, c, KindAccount, accountID)
		if err != nil {
			return nil, err
		}
		e := ev
		e.ID, e.TenantID, e.AccountID, e.ApplicationID, e.Admin = s.IDs.NewKeyID(), c.TenantID, acc.ID, acc.ApplicationID, acc.Admin
		if in.Import != nil {
			if err := s.keyIDFree(ctx, in.Import.ID); err != nil {
				return nil, err
			}
			e.ID, e.Imported, secret = in.Import.ID, true, in.Import.Secret
		} else if secret, err = NewSecret(s.Rand); err != nil {
			return nil, err
		}
		e.SecretHash = HashSecret(secret)
		// The commit counts the key under its account, which the store
		// does only while the account is not deleted: no separate check.
		k := &APIKey{}
		evs := []events.Event{e}
		if scopes != nil && scopes.Restricted {
			evs = append(evs, *scopes)
		}
		if expiry != nil {
			evs = append(evs, *expiry)
		}
		if in.RateLimit != nil && !in.RateLimit.IsZero() {
			evs = append(evs, events.APIKeyRateLimitSet(in.RateLimit.event()))
		}
		return k, r.record(Ref{KindAPIKey, e.ID}, nil, k, evs...)
	})
	if err != nil {
		return CreatedAPIKey{}, err
	}
	if key.SecretHash != HashSecret(secret) || in.Import != nil {
		// An idempotent replay returns the first request's key, whose
		// secret was shown then and cannot be shown again. An imported
		// secret is not shown at all: the admin sent it, and an answer
		// that holds no secret is one less copy in logs and proxies.
		secret = ""
	}
	return CreatedAPIKey{Key: key, Secret: secret}, nil
}

// keyIDFree refuses a key id that is taken, in any tenant and even by a
// deleted key: keys authenticate by id alone, and a deleted key's id names
// its history. The commit also creates the key's stream only if it does
// not exist, so two imports of one id racing past this check conflict
// there, and the retry answers this 409.
func (s *Service) keyIDFree(ctx context.Context, id string) error {
	err := s.Store.Load(ctx, Ref{KindAPIKey, id}, &APIKey{})
	switch {
	case err == nil:
		return E(KindConflict, CodeNotUnique, "id", "An API key with this id exists already.")
	case errors.Is(err, ErrNotFound):
		return nil
	}
	return err
}

// GetAPIKey returns a key of the caller's tenant, or of a session's own
// account.
func (s *Service) GetAPIKey(ctx context.Context, c Caller, id string) (*APIKey, error) {
	return s.loadKey(ctx, c, id)
}

// loadKey reads a key the caller may manage: an admin any key of its
// tenant, a session its own account's.
func (s *Service) loadKey(ctx context.Context, c Caller, id string) (*APIKey, error) {
	if err := selfOrAdmin(c, c.AccountID); err != nil {
		return nil, err
	}
	k, err := load[*APIKey](ctx, s, c, KindAPIKey, id)
	if err != nil {
		return nil, err
	}
	if err := ownKey(c, k); err != nil {
		return nil, err
	}
	return k, nil
}

// ListAPIKeys lists an account's keys.
func (s *Service) ListAPIKeys(ctx context.Context, c Caller, accountID string, p Page) (List[*APIKey], error) {
	if _, err := s.GetAccount(ctx, c, accountID); err != nil {
		return List[*APIKey]{}, err
	}
	return listQuery[*APIKey](ctx, s, KindAPIKey, "account/"+accountID+"/apikeys", p)
}

// keyParties reads a key's account and an application in one LoadMany;
// a missing one comes back deleted.
func (s *Service) keyParties(ctx context.Context, k *APIKey, applicationID string) (*Account, *Application, error) {
	acc, apps, err := loadOwners(ctx, s.Store, k.AccountID, applicationID)
	if err != nil {
		return nil, nil, err
	}
	app := apps[applicationID]
	if app == nil {
		app = &Application{Base: Base{Gone: true}}
	}
	return acc, app, nil
}

// FindAPIKey looks a key up by id within an application, as
// GET /applications/{id}/apiKeys?id= does: a collection of zero or one.
func (s *Service) FindAPIKey(ctx context.Context, c Caller, applicationID, keyID string) (List[*APIKey], error) {
	out := List[*APIKey]{Limit: DefaultLimit}
	if _, err := s.GetApplication(ctx, c, applicationID); err != nil {
		return out, err
	}
	k, err := load[*APIKey](ctx, s, c, KindAPIKey, keyID)
	if errors.Is(err, ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	acc, app, err := s.keyParties(ctx, k, applicationID)
	if err != nil {
		return out, err
	}
	if ok, err := mapped(ctx, s.Store, app, acc); err != nil || !ok {
		return out, err
	}
	out.Items, out.Size = []*APIKey{k}, 1
	return out, nil
}

// UpdateAPIKey changes name, description, status, scopes, expiry or
// rate limit.
func (s *Service) UpdateAPIKey(ctx context.Context, c Caller, id string, in APIKeyInput) (*APIKey, error) {
	if err := selfOrAdmin(c, c.AccountID); err != nil {
		return nil, err
	}
	if in.Import != nil {
		// A key's secret changes by reroll alone, which draws it.
		return nil, invalid(CodeUnknownProperty, "secret", "secret is not a property an update sets; reroll the key for a new secret.")
	}
	if err := checkRateLimit(in.RateLimit); err != nil {
		return nil, err
	}
	return run(ctx, s, c, func(r *recorder) (*APIKey, error) {
		cur, err := s.loadKey(ctx, c, id)
		if err != nil {
			return nil, err
		}
		ev := events.APIKeyUpdated{}
		if ev.Name, err = patch(cur.Name, "name", in.Name, MaxNameLen, false); err != nil {
			return nil, err
		}
		if ev.Description, err = patch(cur.Description, "description", in.Description, MaxDescriptionLen, false); err != nil {
			return nil, err
		}
		if ev.Status, err = patchStatus(cur.Status, in.Status, StatusEnabled, StatusDisabled); err != nil {
			return nil, err
		}
		if c.KeyID == id && ev.Status != StatusEnabled {
			return nil, E(KindConflict, CodeProtectedResource, "status", "An API key cannot disable itself.")
		}
		var evs []events.Event
		if ev != (events.APIKeyUpdated{Name: cur.Name, Description: cur.Description, Status: cur.Status}) {
			evs = append(evs, ev)
		}
		sc, err := in.Scopes.event(cur)
		if err != nil {
			return nil, err
		}
		if sc != nil {
			evs = append(evs, *sc)
		}
		ex, err := in.Expiry.event(cur, s.Clock.Now())
		if err != nil {
			return nil, err
		}
		if ex != nil {
			evs = append(evs, *ex)
		}
		if in.RateLimit != nil && *in.RateLimit != cur.RateLimit {
			evs = append(evs, events.APIKeyRateLimitSet(in.RateLimit.event()))
		}
		if len(evs) == 0 {
			return cur, nil
		}
		next := cur.clone()
		return next, r.record(cur.Ref(), cur, next, evs...)
	})
}

// RerollAPIKey gives a key a new secret under the same id, returned
// once. The old secret keeps authenticating for grace (0 to
// MaxRerollGrace), then never again; a secret replaced earlier, still in
// its grace, ends at once. Access tokens follow their secret: those
// issued for the old one end with its grace (TokenLive).
// Errors: KindInvalid, ErrNotFound, ErrUnavailable.
func (s *Service) RerollAPIKey(ctx context.Context, c Caller, id string, grace time.Duration) (CreatedAPIKey, error) {
	if err := selfOrAdmin(c, c.AccountID); err != nil {
		return CreatedAPIKey{}, err
	}
	if grace < 0 || grace > MaxRerollGrace || grace%time.Second != 0 {
		return CreatedAPIKey{}, invalid(CodeInvalidValue, "gracePeriod", "gracePeriod must be whole seconds from PT0S to P7D.")
	}
	var secret string
	key, err := run(ctx, s, c, func(r *recorder) (*APIKey, error) {
		cur, err := s.loadKey(ctx, c, id)
		if err != nil {
			return nil, err
		}
		if secret, err = NewSecret(s.Rand); err != nil {
			return nil, err
		}
		ev := events.APIKeyRerolled{SecretHash: HashSecret(secret)}
		if grace > 0 {
			// Whole seconds, as token times are: exp ≤ graceUntil holds
			// exactly for the tokens the old secret still gets.
			ev.GraceUntil = r.at.Add(grace).UTC().Truncate(time.Second)
		}
		next := cur.clone()
		return next, r.record(cur.Ref(), cur, next, ev)
	})
	if err != nil {
		return CreatedAPIKey{}, err
	}
	if key.SecretHash != HashSecret(secret) {
		secret = "" // an idempotent replay: the secret was shown once
	}
	return CreatedAPIKey{Key: key, Secret: secret}, nil
}

// DeleteAPIKey deletes a key; it stops authenticating within the
// authorizer's cache TTL.
func (s *Service) DeleteAPIKey(ctx context.Context, c Caller, id string) error {
	if err := selfOrAdmin(c, c.AccountID); err != nil {
		return err
	}
	if c.KeyID == id {
		return E(KindConflict, CodeProtectedResource, "", "An API key cannot delete itself.")
	}
	_, err := run(ctx, s, c, func(r *recorder) (*APIKey, error) {
		cur, err := s.loadKey(ctx, c, id)
		if err != nil {
			return nil, err
		}
		next := cur.clone()
		return next, r.record(cur.Ref(), cur, next, events.APIKeyDeleted{})
	})
	return err
}
