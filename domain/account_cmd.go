package domain

import (
	"context"
	"encoding/json"

	"github.com/keystorm/keystorm/events"
)

// AccountInput carries the writable properties of an account; nil means
// "not given". CustomData, when given on create, becomes its customData.
type AccountInput struct {
	Username   *string
	Email      *string
	GivenName  *string
	MiddleName *string
	Surname    *string
	Password   *string
	Status     *string
	CustomData map[string]json.RawMessage
	// PasswordFormat is "" for a plaintext Password, or PasswordFormatMCF
	// (any case) when Password is an imported hash: an admin's create and
	// update only (README "Importing password hashes").
	PasswordFormat string
}

var accountStatuses = []string{StatusEnabled, StatusDisabled, StatusUnverified}

// CreateAccount registers an account in an application's directory. The
// username defaults to the email. With PasswordFormat mcf, Password is an
// imported hash (adminPassword).
// Errors: KindInvalid, KindConflict (username or email taken), ErrNotFound,
// ErrForbidden, ErrUnavailable.
func (s *Service) CreateAccount(ctx context.Context, c Caller, applicationID string, in AccountInput) (*Account, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	imported, err := adminPassword(in)
	if err != nil {
		return nil, err
	}
	return s.createAccount(ctx, c, storeRef{Application: applicationID}, in, imported, nil, nil)
}

// createAccount is CreateAccount after the caller's check, shared with
// SignUp. imported, when not "", is the checked imported hash to store
// instead of hashing in.Password (adminPassword). ready, when set, runs
// once the input is valid and hashed, before anything is written (SignUp
// counts the attempt there); admit, when set, judges the application as
// each attempt loads it.
func (s *Service) createAccount(ctx context.Context, c Caller, into storeRef, in AccountInput, imported string, ready func() error, admit func(*Application) error) (*Account, error) {
	ev := events.AccountCreated{Status: StatusEnabled}
	var err error
	if ev.Email, err = email(in.Email); err != nil {
		return nil, err
	}
	if ev.Username, err = username(in.Username, ev.Email); err != nil {
		return nil, err
	}
	if ev.GivenName, err = text("givenName", in.GivenName, MaxNameLen, false); err != nil {
		return nil, err
	}
	if ev.MiddleName, err = text("middleName", in.MiddleName, MaxNameLen, false); err != nil {
		return nil, err
	}
	if ev.Surname, err = text("surname", in.Surname, MaxNameLen, false); err != nil {
		return nil, err
	}
	if in.Status != nil {
		if ev.Status, err = status(in.Status, accountStatuses...); err != nil {
			return nil, err
		}
	}
	if in.Password == nil {
		return nil, invalid(CodeRequired, "password", "password is required.")
	}
	if imported == "" {
		// (An imported hash cannot be checked against the policy.)
		if err := s.Policy.Check(*in.Password); err != nil {
			return nil, err
		}
	}
	if err := checkNewCustomData(in.CustomData); err != nil {
		return nil, err
	}
	ev.PasswordHash = imported
	if imported == "" {
		// Hash once, outside the retry loop: it is deliberately slow.
		if ev.PasswordHash, err = s.Hasher.Hash(*in.Password); err != nil {
			return nil, err
		}
	}
	if ready != nil {
		if err := ready(); err != nil {
			return nil, err
		}
	}
	// verify is the verification token of an UNVERIFIED account, made
	// once (a retry keeps it); created the application as last loaded.
	var verify *token
	var created *Application
	acc, err := run(ctx, s, c, func(r *recorder) (*Account, error) {
		app, h, err := s.resolveStore(ctx, c, into, false, admit)
		if err != nil {
			return nil, err
		}
		e := ev
		e.ID, e.TenantID, e.ApplicationID, e.DirectoryID, e.Admin = s.IDs.NewID(), c.TenantID, h.ApplicationID, h.DirectoryID, h.Admin
		// The application's account creation policy decides the status
		// unless the admin gave one.
		if in.Status == nil && app != nil && app.VerificationEmailOn {
			e.Status = StatusUnverified
		}
		evs := []events.Event{e}
		if e.Status == StatusUnverified {
			if app != nil && app.VerificationEmailOn && s.Mailer == nil {
				return nil, ErrNoMailer
			}
			if verify == nil {
				if verify, err = newToken(s.Rand); err != nil {
					return nil, err
				}
			}
			evs = append(evs, events.VerificationTokenIssued{TokenHash: verify.hash, ExpiresAt: r.at.Add(VerificationTokenTTL)})
		} else {
			verify = nil
		}
		created = app
		acc := &Account{}
		evs = append(evs, initialCustomData(acc, in.CustomData)...)
		// No separate check that the application still exists: the
		// commit counts the account under it, which the store does only
		// while the application is not deleted (see Store.Commit).
		return acc, r.record(Ref{KindAccount, e.ID}, nil, acc, evs...)
	})
	if err != nil || verify == nil || acc.VerificationTokenHash != verify.hash {
		// (An idempotent replay returns the first account, whose token
		// this request did not make: no link, no second mail.)
		return acc, err
	}
	acc.IssuedVerificationToken = verify.raw
	if created != nil && created.VerificationEmailOn {
		s.mailAfterCommit(ctx, verificationMail(acc, created, verify.raw, c.LinkBase, c.Pages.Verify))
	}
	return acc, nil
}

// GetAccount returns an account of the caller's tenant, or a session's
// own account.
func (s *Service) GetAccount(ctx context.Context, c Caller, id string) (*Account, error) {
	if err := selfOrAdmin(c, id); err != nil {
		return nil, err
	}
	return load[*Account](ctx, s, c, KindAccount, id)
}

// ListAccounts lists an application's accounts.
func (s *Service) ListAccounts(ctx context.Context, c Caller, applicationID string, p Page) (List[*Account], error) {
	app, err := s.GetApplication(ctx, c, applicationID)
	if err != nil {
		return List[*Account]{}, err
	}
	if p, err = p.Normalize(); err != nil {
		return List[*Account]{}, err
	}
	if err := checkQuery(KindAccount, p); err != nil {
		return List[*Account]{}, err
	}
	if m, ok := exactIdentity(p); ok {
		return accountsByIdentity(ctx, s, app, m, p)
	}
	return storeList[*Account](ctx, s, app, KindAccount, "accounts", p)
}

// UpdateAccount changes the given properties; a given password is checked
// against the policy and re-hashed, or with PasswordFormat mcf is an
// imported hash (adminPassword). Either is AccountPasswordSet.
func (s *Service) UpdateAccount(ctx context.Context, c Caller, id string, in AccountInput) (*Account, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	hash, err := adminPassword(in)
	if err != nil {
		return nil, err
	}
	if in.Password != nil && hash == "" {
		if err := s.Policy.Check(*in.Password); err != nil {
			return nil, err
		}
		if hash, err = s.Hasher.Hash(*in.Password); err != nil {
			return nil, err
		}
	}
	if in.CustomData != nil {
		if err := checkCustomData(in.CustomData); err != nil {
			return nil, err
		}
	}
	return run(ctx, s, c, func(r *recorder) (*Account, error) {
		cur, err := load[*Account](ctx, s, c, KindAccount, id)
		if err != nil {
			return nil, err
		}
		ev := events.AccountUpdated{}
		if ev.Email, err = patchEmail(cur.Email, in.Email); err != nil {
			return nil, err
		}
		if ev.Username, err = patchUsername(cur.Username, in.Username); err != nil {
			return nil, err
		}
		if ev.GivenName, err = patch(cur.GivenName, "givenName", in.GivenName, MaxNameLen, false); err != nil {
			return nil, err
		}
		if ev.MiddleName, err = patch(cur.MiddleName, "middleName", in.MiddleName, MaxNameLen, false); err != nil {
			return nil, err
		}
		if ev.Surname, err = patch(cur.Surname, "surname", in.Surname, MaxNameLen, false); err != nil {
			return nil, err
		}
		if ev.Status, err = patchStatus(cur.Status, in.Status, accountStatuses...); err != nil {
			return nil, err
		}
		if id == c.AccountID && ev.Status != StatusEnabled {
			return nil, E(KindConflict, CodeProtectedResource, "status", "An API key cannot disable its own account.")
		}
		var evs []events.Event
		if ev != (events.AccountUpdated{Username: cur.Username, Email: cur.Email, GivenName: cur.GivenName, MiddleName: cur.MiddleName, Surname: cur.Surname, Status: cur.Status}) {
			evs = append(evs, ev)
		}
		if hash != "" {
			evs = append(evs, events.AccountPasswordSet{PasswordHash: hash})
		}
		evs = append(evs, customDataEvents(cur, in.CustomData)...)
		if len(evs) == 0 {
			return cur, nil
		}
		next := cur.clone()
		if err := r.record(cur.Ref(), cur, next, evs...); err != nil {
			return nil, err
		}
		if err := checkCustomDataTotal(next.CustomData); err != nil {
			return nil, err
		}
		return next, nil
	})
}

// DeleteAccount deletes an account with its API keys and group
// memberships: in one transaction when they fit, else the account first
// and its keys and memberships in bounded batches after (deleteParent,
// sweep.go). Either way the account and its keys are gone once this
// returns nil.
// Errors: ErrNotFound, KindConflict (its own account), ErrForbidden,
// ErrUnavailable.
func (s *Service) DeleteAccount(ctx context.Context, c Caller, id string) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	if id == c.AccountID {
		return E(KindConflict, CodeProtectedResource, "", "An API key cannot delete its own account.")
	}
	return deleteParent(ctx, s, c, KindAccount, id, true, func(*Account) (events.Event, error) {
		return events.AccountDeleted{}, nil
	})
}
