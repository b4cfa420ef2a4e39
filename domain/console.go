package domain

import (
	"context"
	"errors"
	"time"

	"github.com/keystorm/keystorm/events"
)

// The developer console's commands: a public caller (Caller.Application)
// signs up and uses the anonymous account flows of its one application;
// a session caller changes its own profile and password and signs out.
// The console calls the Service directly, so these are the whole of what
// it may do beyond what a session may do anyway (its account's keys).

// ErrSignUpClosed: the application does not take sign-ups, because its
// account creation policy has selfRegistrationStatus DISABLED or because
// it is disabled.
var ErrSignUpClosed = &Error{Kind: KindForbidden, Code: CodeSignUpClosed, Message: "Sign-up is closed for this application."}

// ErrCurrentPassword: a profile's email or a password change needs the
// account's current password, and the one given is wrong. A field error
// and not ErrLoginFailed: the caller is signed in, and the form tells it
// which input to correct.
var ErrCurrentPassword = &Error{Kind: KindInvalid, Code: CodeInvalidValue, Field: "currentPassword", Message: "The current password is not right."}

// DefaultSignUpThrottle is the sign-up budget of one source: 10 sign-ups
// within 15 minutes, then a 15-minute wait before each further one until
// the source has made none for 15 minutes. It is there so that one
// address cannot create accounts by the thousand (each costs a password
// hash, a write and maybe a mail); sign-ups from an unknown source ("")
// are not counted, as logins are not. Free is 9 because the throttle
// turns waiting on with the failure after the free ones: the tenth
// sign-up sets the wait, the eleventh meets it.
var DefaultSignUpThrottle = ThrottlePolicy{Free: 9, Window: 15 * time.Minute, Base: 15 * time.Minute, Max: 15 * time.Minute}

// signUpKey is the one "key" sign-ups count under: the per-key and the
// per-source counts of a source are then the same count.
const signUpKey = "signup"

// anonApp returns the application of an anonymous account flow (reset,
// verification): an admin's, through GetApplication as before, or a
// public caller's own application, never the tenant's administrators
// application (ErrNotFound, as for PublicApplication). A public caller
// asking for another application is refused as any non-admin is.
func (s *Service) anonApp(ctx context.Context, c Caller, applicationID string) (*Application, error) {
	if !c.public() {
		return s.GetApplication(ctx, c, applicationID)
	}
	if applicationID != c.Application {
		return nil, requireAdmin(c)
	}
	app, err := load[*Application](ctx, s, c, KindApplication, applicationID)
	if err != nil {
		return nil, err
	}
	if app.Admin {
		return nil, ErrNotFound
	}
	return app, nil
}

// PublicApplication loads an application for the console, before anyone
// signs in: its name, its status (a disabled one is shown closed) and
// its policies. A missing or deleted application, and the tenant's
// administrators application, whose accounts are the tenant's admins,
// are ErrNotFound alike.
// Errors: ErrNotFound, ErrUnavailable.
func (s *Service) PublicApplication(ctx context.Context, applicationID string) (*Application, error) {
	if applicationID == "" || len(applicationID) > 64 {
		return nil, ErrNotFound
	}
	app := &Application{}
	if err := s.Store.Load(ctx, Ref{KindApplication, applicationID}, app); err != nil {
		return nil, err
	}
	if app.Deleted() || app.Admin || app.ID != applicationID {
		return nil, ErrNotFound
	}
	return app, nil
}

// SignUp creates an account in the public caller's application, as
// CreateAccount does (the verification policy makes it UNVERIFIED and
// mails a link to c.Pages.Verify, which the answer does not carry), when
// the application is enabled and its account creation policy has
// self-registration on. The developer chooses neither status nor
// customData: both are ignored. Sign-ups are counted per source
// (DefaultSignUpThrottle) once the input is valid, whether or not the
// account is then created. Under a verifying policy, an email that
// already has an account answers nil, nil (as "check your mail") and its
// owner is mailed instead, so a sign-up does not tell who has an account.
// Errors: ErrNotFound (not a public caller, or no such application),
// ErrSignUpClosed, KindInvalid, KindConflict (username taken; email taken
// without a verifying policy), KindThrottled, ErrNoMailer, ErrUnavailable.
func (s *Service) SignUp(ctx context.Context, c Caller, in AccountInput, source string) (*Account, error) {
	if !c.public() {
		return nil, ErrNotFound
	}
	source, err := normalSource(source)
	if err != nil {
		return nil, err
	}
	app, err := s.anonApp(ctx, c, c.Application)
	if err != nil {
		return nil, err
	}
	admit := func(app *Application) error {
		if app.Admin {
			return ErrNotFound
		}
		if !app.Usable() || !app.SelfRegistrationOn {
			return ErrSignUpClosed
		}
		return nil
	}
	if err := admit(app); err != nil {
		return nil, err
	}
	ls := s.login()
	if ls.err != nil {
		return nil, ls.err
	}
	// A source that used its budget is turned away before the slow hash.
	if err := signUpThrottled(ls.signups, source); err != nil {
		return nil, err
	}
	// The developer chooses neither status nor customData, and gives a
	// password, never an imported hash.
	in.Status, in.CustomData, in.PasswordFormat = nil, nil, ""
	// A public caller's Idempotency-Key could name another's request,
	// whose account a replay would hand over.
	c.IdempotencyKey, c.Fingerprint = "", ""
	acc, err := s.createAccount(ctx, c, storeRef{Application: app.ID}, in, "", func() error {
		if err := signUpThrottled(ls.signups, source); err != nil {
			return err
		}
		ls.signups.Fail(signUpKey, source)
		return nil
	}, admit)
	if acc != nil {
		// The live link is for the mailbox only: handed to whoever signed
		// up, it would verify an address nobody proved to hold.
		acc.IssuedVerificationToken = ""
	}
	var de *Error
	if errors.As(err, &de) && de.Kind == KindConflict && app.VerificationEmailOn {
		// Where sign-ups are verified by mail, a taken address is not
		// told to whoever typed it: the answer is a new account's
		// ("check your mail"), and the mail goes to the address's owner,
		// who learns someone tried. Without verification the developer
		// would be signed in at once, so the difference could not be
		// hidden anyway (README "Known limits"). A taken username is
		// still said: it is no secret of anyone's mailbox.
		address := ""
		if in.Email != nil {
			address = *in.Email
		}
		if address, aerr := email(&address); aerr == nil {
			if owner, ferr := s.findByEmail(ctx, app, address); ferr == nil && owner != nil {
				s.mailAfterCommit(ctx, signUpTakenMail(owner, app))
				return nil, nil
			}
		}
	}
	return acc, err
}

func signUpThrottled(t *Throttle, source string) error {
	wait := t.Wait(signUpKey, source)
	if wait <= 0 {
		return nil
	}
	return &Error{Kind: KindThrottled, Code: CodeThrottled, RetryAfter: wait,
		Message: "Too many sign-ups from this address; retry later."}
}

// ProfileInput is what a developer changes of its own account in the
// console; nil leaves a property as it is. An email change needs
// CurrentPassword; Source is the request's address, for the throttle.
type ProfileInput struct {
	GivenName, Surname, Email *string
	CurrentPassword           string
	Source                    string
}

// sessionSelf loads a session caller's own account; any other caller is
// ErrNotFound.
func (s *Service) sessionSelf(ctx context.Context, c Caller) (*Account, error) {
	if c.Session == "" || c.TenantID == "" || c.AccountID == "" {
		return nil, ErrNotFound
	}
	return load[*Account](ctx, s, c, KindAccount, c.AccountID)
}

// checkCurrent checks a signed-in account's current password as a login
// does: under the login throttle, per (account, source), so that a stolen
// session cannot guess the password any faster than a login could.
func (s *Service) checkCurrent(acc *Account, password, source string) error {
	if password == "" {
		return invalid(CodeRequired, "currentPassword", "currentPassword is required for this change.")
	}
	ls := s.login()
	if ls.err != nil {
		return ls.err
	}
	if err := throttled(ls.throttle, acc.ID, source); err != nil {
		return err
	}
	// An imported hash is checked here too, but not re-hashed: the
	// next login does that (a rehash here would change the hash that
	// UpdateProfile and ChangePassword compare against).
	if ok, _ := s.verifyPassword(password, acc.PasswordHash); !ok {
		ls.throttle.Fail(acc.ID, source)
		return ErrCurrentPassword
	}
	ls.throttle.Succeeded(acc.ID, source)
	return nil
}

// UpdateProfile changes a session caller's own names and email. A name
// needs nothing more; a new email needs the current password (a stolen
// session must not take the account over through a reset mailed to a new
// address). Validation is UpdateAccount's; a profile that changes nothing
// records nothing.
// Errors: ErrNotFound (not a session caller), KindInvalid (a property,
// ErrCurrentPassword), KindConflict (email taken, or the password changed
// meanwhile), KindThrottled, ErrUnavailable.
func (s *Service) UpdateProfile(ctx context.Context, c Caller, in ProfileInput) (*Account, error) {
	acc, err := s.sessionSelf(ctx, c)
	if err != nil {
		return nil, err
	}
	source, err := normalSource(in.Source)
	if err != nil {
		return nil, err
	}
	mail, err := patchEmail(acc.Email, in.Email)
	if err != nil {
		return nil, err
	}
	// checked is the hash the current password was checked against, ""
	// when the email stays and none was needed.
	checked := ""
	if mail != acc.Email {
		if err := s.checkCurrent(acc, in.CurrentPassword, source); err != nil {
			return nil, err
		}
		checked = acc.PasswordHash
	}
	c.IdempotencyKey, c.Fingerprint = "", ""
	next, err := run(ctx, s, c, func(r *recorder) (*Account, error) {
		cur, err := s.sessionSelf(ctx, c)
		if err != nil {
			return nil, err
		}
		ev := events.AccountUpdated{Username: cur.Username, MiddleName: cur.MiddleName, Status: cur.Status}
		if ev.Email, err = patchEmail(cur.Email, in.Email); err != nil {
			return nil, err
		}
		if ev.Email != cur.Email && (checked == "" || cur.PasswordHash != checked) {
			// The account changed since the password was checked (its
			// email or password): the check no longer vouches for this.
			return nil, ErrVersionConflict
		}
		if ev.GivenName, err = patch(cur.GivenName, "givenName", in.GivenName, MaxNameLen, false); err != nil {
			return nil, err
		}
		if ev.Surname, err = patch(cur.Surname, "surname", in.Surname, MaxNameLen, false); err != nil {
			return nil, err
		}
		if ev == (events.AccountUpdated{Username: cur.Username, Email: cur.Email, GivenName: cur.GivenName, MiddleName: cur.MiddleName, Surname: cur.Surname, Status: cur.Status}) {
			return cur, nil
		}
		next := cur.clone()
		return next, r.record(cur.Ref(), cur, next, ev)
	})
	if err == nil && next.Email != acc.Email {
		// The former address learns where the account went.
		if app, aerr := load[*Application](ctx, s, c, KindApplication, policyApplication(c, acc)); aerr == nil {
			s.mailAfterCommit(ctx, emailChangedMail(acc, app, next.Email))
		}
	}
	return next, err
}

// ChangePassword sets a session caller's own password: the current one
// checked as for UpdateProfile, the next one against the policy, then
// hashed and recorded as AccountPasswordSet, which ends every session of
// the account, this one included (the console signs in again with the
// new password).
// Errors: ErrNotFound (not a session caller), KindInvalid
// (ErrCurrentPassword, the policy), KindConflict (the password changed
// meanwhile), KindThrottled, ErrUnavailable.
func (s *Service) ChangePassword(ctx context.Context, c Caller, current, next, source string) (*Account, error) {
	acc, err := s.sessionSelf(ctx, c)
	if err != nil {
		return nil, err
	}
	if source, err = normalSource(source); err != nil {
		return nil, err
	}
	if err := s.checkCurrent(acc, current, source); err != nil {
		return nil, err
	}
	if err := s.Policy.Check(next); err != nil {
		return nil, err
	}
	hash, err := s.Hasher.Hash(next)
	if err != nil {
		return nil, err
	}
	checked := acc.PasswordHash
	c.IdempotencyKey, c.Fingerprint = "", ""
	return run(ctx, s, c, func(r *recorder) (*Account, error) {
		cur, err := s.sessionSelf(ctx, c)
		if err != nil {
			return nil, err
		}
		if cur.PasswordHash != checked {
			return nil, ErrVersionConflict
		}
		after := cur.clone()
		return after, r.record(cur.Ref(), cur, after, events.AccountPasswordSet{PasswordHash: hash})
	})
}
