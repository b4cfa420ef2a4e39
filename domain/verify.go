package domain

import (
	"context"
	"errors"

	"github.com/keystorm/keystorm/events"
)

// VerifyEmail consumes an email verification token: its UNVERIFIED
// account becomes ENABLED (EmailVerified, which ends the token). The
// token names no application, so only the tenant bounds it: another
// tenant's token is ErrNotFound. A confirmation is mailed when the
// application's account creation policy asks for one.
// A public caller may verify its own application's accounts only: any
// other token is ErrNotFound for it, as an unknown one is.
// Errors: ErrNotFound (see accountByToken), ErrForbidden, ErrUnavailable.
func (s *Service) VerifyEmail(ctx context.Context, c Caller, raw string) (*Account, error) {
	// only bounds the token to the public caller's application; an
	// admin's token is bounded by its tenant alone (nil).
	var only *Application
	if c.public() {
		app, err := s.anonApp(ctx, c, c.Application)
		if err != nil {
			return nil, err
		}
		only = app
	} else if err := requireAdmin(c); err != nil {
		return nil, err
	}
	c.IdempotencyKey, c.Fingerprint = "", ""
	acc, err := run(ctx, s, c, func(r *recorder) (*Account, error) {
		cur, err := s.accountByToken(ctx, c, verificationTokenKey, raw, only)
		if err != nil {
			return nil, err
		}
		next := cur.clone()
		return next, r.record(cur.Ref(), cur, next, events.EmailVerified{})
	})
	if err != nil {
		return nil, err
	}
	app, err := load[*Application](ctx, s, c, KindApplication, policyApplication(c, acc))
	if err == nil && app.VerificationSuccessEmailOn {
		s.mailAfterCommit(ctx, verifiedMail(acc, app))
	}
	return acc, nil
}

// policyApplication names the application whose mail policies speak to
// acc: the one the caller came through (a public caller's), else the
// account's own; an account of a shared directory reached by no caller's
// application has none ("").
func policyApplication(c Caller, acc *Account) string {
	if c.Application != "" {
		return c.Application
	}
	return acc.ApplicationID
}

// GetVerificationToken validates a verification token of the public
// caller's application without using it, and returns its account: the
// console's landing page names the address before its button verifies
// it, so a link planted by another site cannot verify someone else's
// account unseen.
// Errors: ErrNotFound (not a public caller, or the token: see
// accountByToken), ErrUnavailable.
func (s *Service) GetVerificationToken(ctx context.Context, c Caller, raw string) (*Account, error) {
	if !c.public() {
		return nil, ErrNotFound
	}
	app, err := s.anonApp(ctx, c, c.Application)
	if err != nil {
		return nil, err
	}
	return s.accountByToken(ctx, c, verificationTokenKey, raw, app)
}

// ResendVerification mails a fresh verification link to the
// application's UNVERIFIED account whose username or email is login; the
// account's earlier link dies. Stormpath's verificationEmails: the answer
// is the same whether or not the login names such an account, and so is
// its time (the reads of findLogin either way, a token made either way,
// padding to MailFloor). It mails whatever the account creation policy
// says: the caller asked for this mail.
// Errors: KindInvalid (login), ErrNotFound (application), ErrForbidden,
// ErrNoMailer, KindUnavailable.
func (s *Service) ResendVerification(ctx context.Context, c Caller, applicationID, login string) error {
	start := s.Clock.Now()
	app, err := s.anonApp(ctx, c, applicationID)
	if err != nil {
		return err
	}
	if login, err = text("login", &login, MaxEmailLen, true); err != nil {
		return err
	}
	if s.Mailer == nil {
		return ErrNoMailer
	}
	defer s.pad(ctx, start)
	acc, err := s.findLogin(ctx, app, login)
	if err != nil {
		return err
	}
	tok, err := newToken(s.Rand)
	if err != nil {
		return err
	}
	if acc == nil || acc.Status != StatusUnverified {
		return nil
	}
	c.IdempotencyKey, c.Fingerprint = "", ""
	acc, err = run(ctx, s, c, func(r *recorder) (*Account, error) {
		cur, err := load[*Account](ctx, s, c, KindAccount, acc.ID)
		if err != nil {
			return nil, err
		}
		if cur.Status != StatusUnverified {
			return nil, ErrNotFound
		}
		next := cur.clone()
		return next, r.record(cur.Ref(), cur, next, events.VerificationTokenIssued{TokenHash: tok.hash, ExpiresAt: r.at.Add(VerificationTokenTTL)})
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.send(ctx, verificationMail(acc, app, tok.raw, c.LinkBase, c.Pages.Verify))
}
