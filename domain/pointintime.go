package domain

import (
	"context"
	"strings"
	"time"
)

// Why a key or an account was not valid at a time, or (within_grace)
// what else held then. They are part of the API: never change one.
const (
	ReasonDisabled            = "disabled"
	ReasonUnverified          = "unverified"
	ReasonExpired             = "expired"
	ReasonAccountDisabled     = "account_disabled"
	ReasonApplicationDisabled = "application_disabled"
	// ReasonDeleted: the key, its account or its application was
	// deleted by then.
	ReasonDeleted = "deleted"
	// ReasonWithinGrace: the key had been rerolled and its previous
	// secret still worked too. The key may still be valid.
	ReasonWithinGrace = "within_grace"
)

// Verdict says whether a key or an account could authenticate at a
// time, folded from the event log up to then.
type Verdict struct {
	ValidAt bool
	Reasons []string
	// Scope is what a key's tokens could carry then: its scope
	// restriction, space-delimited; nil when unrestricted (its groups
	// alone decided). Nil for accounts.
	Scope *string
}

// KeyAt is a key as it was at At.
type KeyAt struct {
	Key *APIKey
	At  time.Time
	Verdict
}

// AccountAt is an account as it was at At.
type AccountAt struct {
	Account *Account
	At      time.Time
	Verdict
}

// APIKeyAt folds a key's events up to at (inclusive), with its account's
// and application's, and judges whether it could authenticate then. A
// key created after at is not found. Who may ask is who may read its
// history (APIKeyHistory).
// Errors: ErrNotFound, ErrUnavailable.
func (s *Service) APIKeyAt(ctx context.Context, c Caller, id string, at time.Time) (KeyAt, error) {
	envs, err := s.keyStream(ctx, c, id)
	if err != nil {
		return KeyAt{}, err
	}
	k := &APIKey{}
	if ok, err := foldUntil(k, envs, at); err != nil || !ok {
		return KeyAt{}, orNotFound(err)
	}
	acc, app, err := s.ownersAt(ctx, k.AccountID, k.ApplicationID, at)
	if err != nil {
		return KeyAt{}, err
	}
	return KeyAt{Key: k, At: at, Verdict: keyVerdict(k, acc, app, at)}, nil
}

// keyVerdict judges a key, its account and its application as folded to
// at: the rules KeyAuthenticator applies, in the same order of concern.
func keyVerdict(k *APIKey, acc *Account, app *Application, at time.Time) Verdict {
	var r []string
	if k.Deleted() || acc.Deleted() || app.Deleted() {
		r = append(r, ReasonDeleted)
	}
	if !k.Deleted() && k.Status != StatusEnabled {
		r = append(r, ReasonDisabled)
	}
	if !k.Deleted() && k.Expired(at) {
		r = append(r, ReasonExpired)
	}
	if !acc.Deleted() && acc.Status != StatusEnabled {
		r = append(r, ReasonAccountDisabled)
	}
	if !app.Deleted() && app.Status != StatusEnabled {
		r = append(r, ReasonApplicationDisabled)
	}
	v := Verdict{ValidAt: len(r) == 0}
	if !k.Deleted() && k.InGrace(at) {
		r = append(r, ReasonWithinGrace)
	}
	v.Reasons = r
	if k.ScopesRestricted {
		sc := strings.Join(k.Scopes, " ")
		v.Scope = &sc
	}
	return v
}

// AccountAtTime folds an account's events up to at, with its
// application's, and judges whether it could sign in then. Admins of its
// tenant may ask, and a session of the account itself.
// Errors: ErrNotFound, ErrUnavailable.
func (s *Service) AccountAtTime(ctx context.Context, c Caller, id string, at time.Time) (AccountAt, error) {
	if err := selfOrAdmin(c, id); err != nil {
		return AccountAt{}, err
	}
	if s.Log == nil {
		return AccountAt{}, ErrUnavailable
	}
	envs, err := s.Log.Stream(ctx, Ref{KindAccount, id}.Stream())
	if err != nil {
		return AccountAt{}, err
	}
	now := &Account{}
	if len(envs) == 0 || foldAll(now, envs) != nil || now.TenantID() != c.TenantID || (c.Session != "" && now.Deleted()) {
		return AccountAt{}, ErrNotFound
	}
	acc := &Account{}
	if ok, err := foldUntil(acc, envs, at); err != nil || !ok {
		return AccountAt{}, orNotFound(err)
	}
	app, err := s.storeAt(ctx, acc, acc.ApplicationID, at)
	if err != nil {
		return AccountAt{}, err
	}
	var r []string
	if acc.Deleted() || app.Deleted() {
		r = append(r, ReasonDeleted)
	}
	switch {
	case acc.Deleted():
	case acc.Status == StatusUnverified:
		r = append(r, ReasonUnverified)
	case acc.Status != StatusEnabled:
		r = append(r, ReasonDisabled)
	}
	if a := app; !a.Deleted() && a.Status != StatusEnabled {
		r = append(r, ReasonApplicationDisabled)
	}
	return AccountAt{Account: acc, At: at, Verdict: Verdict{ValidAt: len(r) == 0, Reasons: r}}, nil
}

// ownersAt folds a key's account and application up to at.
func (s *Service) ownersAt(ctx context.Context, accountID, applicationID string, at time.Time) (*Account, *Application, error) {
	acc, err := s.stateAt(ctx, Ref{KindAccount, accountID}, &Account{}, at)
	if err != nil {
		return nil, nil, err
	}
	a := acc.(*Account)
	app, err := s.storeAt(ctx, a, applicationID, at)
	return a, app, err
}

// storeAt folds, up to at, the application an account (or its key)
// lives under. A key of an account in a shared directory has no
// application of its own: the directory stands in for it, judged the
// same way (deleted or disabled by then refuses).
func (s *Service) storeAt(ctx context.Context, acc *Account, applicationID string, at time.Time) (*Application, error) {
	if applicationID == "" {
		d, err := s.stateAt(ctx, Ref{KindDirectory, acc.DirectoryID}, &Directory{}, at)
		if err != nil {
			return nil, err
		}
		dir := d.(*Directory)
		return &Application{Base: dir.Base, Status: dir.Status}, nil
	}
	app, err := s.stateAt(ctx, Ref{KindApplication, applicationID}, &Application{}, at)
	if err != nil {
		return nil, err
	}
	return app.(*Application), nil
}

// stateAt folds ref's stream into st up to at. An aggregate without
// events by then reads as deleted (it cannot have authenticated).
func (s *Service) stateAt(ctx context.Context, ref Ref, st State, at time.Time) (State, error) {
	envs, err := s.Log.Stream(ctx, ref.Stream())
	if err != nil {
		return nil, err
	}
	ok, err := foldUntil(st, envs, at)
	if err != nil {
		return nil, err
	}
	if !ok {
		switch x := st.(type) {
		case *Account:
			x.Gone = true
		case *Application:
			x.Gone = true
		case *Directory:
			x.Gone = true
		}
	}
	return st, nil
}

func orNotFound(err error) error {
	if err != nil {
		return err
	}
	return ErrNotFound
}
