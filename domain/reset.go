package domain

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/keystorm/keystorm/events"
)

// Uniqueness guard prefixes of live token hashes (Account.UniqueKeys).
const (
	resetTokenKey        = "password-reset-token/"
	verificationTokenKey = "email-verification-token/"
)

// ErrNoMailer: a request must mail, and the service has no Mailer.
var ErrNoMailer = &Error{Kind: KindUnavailable, Code: CodeMailUnavailable, Message: "This server cannot send mail; ask its operator to configure one."}

// ErrResetMailDisabled: the application's password policy turns the reset
// mail off. Stormpath then answered with the token's href (which held the
// token) for the provider to mail itself; here that answer would tell
// whether the address has an account, so reset by email is simply off.
var ErrResetMailDisabled = &Error{Kind: KindConflict, Code: CodeMailDisabled, Field: "resetEmailStatus",
	Message: "Password reset by email is turned off in this application's password policy."}

// token is a one-time token: raw goes in the mail only, hash (SHA-256,
// hex) in events, state and the guard. 256 random bits need no slow hash
// or pepper: nothing can be guessed from the hash (OWASP ASVS 6.5.2).
type token struct{ raw, hash string }

// tokenLen is the length of a raw token: 32 bytes in unpadded base64url.
const tokenLen = 43

func newToken(rnd io.Reader) (*token, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return nil, err
	}
	raw := base64.RawURLEncoding.EncodeToString(b)
	return &token{raw: raw, hash: hashToken(raw)}, nil
}

func hashToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// wellFormed reports a string that can be a token; anything else is
// ErrNotFound before any read.
func wellFormed(raw string) bool {
	if len(raw) != tokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(raw)
	return err == nil
}

// pad holds a request until s.MailFloor has passed since start (by the
// Clock): the known address's write and mail then take no longer, as seen
// from outside, than the unknown address's nothing.
func (s *Service) pad(ctx context.Context, start time.Time) {
	if s.MailFloor <= 0 || s.Sleep == nil {
		return
	}
	if left := s.MailFloor - s.Clock.Now().Sub(start); left > 0 {
		s.Sleep(ctx, left)
	}
}

// mailAfterCommit sends a mail whose request has already succeeded (a
// confirmation, a verification link of a created account): a failure is
// logged, not answered, since the change stands and a retry would not
// find the token again. The log names the failure, never the message.
func (s *Service) mailAfterCommit(ctx context.Context, m Message) {
	if s.Mailer == nil {
		return
	}
	if err := s.Mailer.Send(ctx, m); err != nil {
		slog.WarnContext(ctx, "mail not sent", "err", err)
	}
}

func (s *Service) send(ctx context.Context, m Message) error {
	if err := s.Mailer.Send(ctx, m); err != nil {
		return &Error{Kind: KindUnavailable, Code: CodeMailUnavailable, Message: "The mail could not be sent; retry later.", Err: err}
	}
	return nil
}

// RequestPasswordReset mails a reset link to the application's account
// with that email, if there is one and it is not disabled. The answer is
// the same either way (nil), and so is its time: the same reads happen,
// a token is made and hashed either way, and the request is padded to
// MailFloor (pad). Only the known address's path writes (a
// ResetTokenIssued, which replaces the account's earlier reset token)
// and mails.
// An admin may ask for any application of its tenant, a public caller
// for its own (anonApp).
// Errors: KindInvalid (email), ErrNotFound (application), ErrForbidden,
// ErrResetMailDisabled, ErrNoMailer, KindUnavailable (store, or the mail
// could not be sent).
func (s *Service) RequestPasswordReset(ctx context.Context, c Caller, applicationID, address string) error {
	start := s.Clock.Now()
	app, err := s.anonApp(ctx, c, applicationID)
	if err != nil {
		return err
	}
	if address, err = email(&address); err != nil {
		return err
	}
	if app.ResetEmailOff {
		return ErrResetMailDisabled
	}
	if s.Mailer == nil {
		return ErrNoMailer
	}
	defer s.pad(ctx, start)
	acc, err := s.findByEmail(ctx, app, address)
	if err != nil {
		return err
	}
	tok, err := newToken(s.Rand)
	if err != nil {
		return err
	}
	if acc == nil || acc.Status == StatusDisabled {
		return nil
	}
	// A login is no resource to create once either: a replayed key must
	// not skip the mail.
	c.IdempotencyKey, c.Fingerprint = "", ""
	acc, err = run(ctx, s, c, func(r *recorder) (*Account, error) {
		cur, err := load[*Account](ctx, s, c, KindAccount, acc.ID)
		if err != nil {
			return nil, err
		}
		next := cur.clone()
		return next, r.record(cur.Ref(), cur, next, events.ResetTokenIssued{TokenHash: tok.hash, ExpiresAt: r.at.Add(app.ResetTTL())})
	})
	if errors.Is(err, ErrNotFound) { // deleted meanwhile: as unknown
		return nil
	}
	if err != nil {
		return err
	}
	return s.send(ctx, resetMail(acc, app, tok.raw, c.LinkBase, c.Pages.Reset))
}

// ResetTokenPath is the API path of a reset token resource.
func ResetTokenPath(applicationID, raw string) string {
	return "/v1/applications/" + applicationID + "/passwordResetTokens/" + raw
}

// VerificationTokenPath is the API path of a verification token.
func VerificationTokenPath(raw string) string {
	return "/v1/accounts/emailVerificationTokens/" + raw
}

// accountByToken returns the account a live token of the given kind
// (guard prefix) belongs to, for the caller's tenant and, when app is
// not nil, that application. An unknown, malformed, expired, used or
// replaced token, another tenant's or application's, or one of a
// disabled or deleted account, is ErrNotFound alike.
func (s *Service) accountByToken(ctx context.Context, c Caller, prefix, raw string, app *Application) (*Account, error) {
	if !wellFormed(raw) {
		return nil, ErrNotFound
	}
	hash := hashToken(raw)
	owner, err := s.Store.Owner(ctx, prefix+hash)
	if err != nil {
		return nil, err
	}
	if owner.Kind != KindAccount {
		return nil, ErrNotFound
	}
	acc, err := load[*Account](ctx, s, c, KindAccount, owner.ID)
	if err != nil {
		return nil, err
	}
	if !acc.tokenLive(prefix, hash, s.Clock.Now()) {
		return nil, ErrNotFound
	}
	if app != nil {
		if ok, err := reaches(ctx, s.Store, app, acc); !ok || err != nil {
			return nil, refusedOr(err, ErrNotFound)
		}
	}
	return acc, nil
}

// tokenLive reports whether hash is the account's live token of the kind.
func (a *Account) tokenLive(prefix, hash string, now time.Time) bool {
	switch {
	case a.Status == StatusDisabled:
		return false
	case prefix == resetTokenKey:
		return a.ResetTokenHash == hash && now.Before(a.ResetExpiresAt)
	case prefix == verificationTokenKey:
		return a.Status == StatusUnverified && a.VerificationTokenHash == hash && now.Before(a.VerificationExpiresAt)
	}
	return false
}

// GetPasswordResetToken validates a reset token of the application and
// returns its account.
// Errors: ErrNotFound (application, or the token: see accountByToken),
// ErrForbidden, ErrUnavailable.
func (s *Service) GetPasswordResetToken(ctx context.Context, c Caller, applicationID, raw string) (*Account, error) {
	app, err := s.anonApp(ctx, c, applicationID)
	if err != nil {
		return nil, err
	}
	return s.accountByToken(ctx, c, resetTokenKey, raw, app)
}

// ResetPassword sets the account's password with a reset token: checked
// against the policy, hashed, recorded as AccountPasswordSet, which ends
// the token (and any other reset link) and the account's sessions
// (Account.SessionsValidAfter: its refresh tokens die). An UNVERIFIED
// account becomes ENABLED (EmailVerified): the link reached its mailbox,
// which is what verification proves. A confirmation is mailed unless the
// policy turns it off.
// Errors: ErrNotFound (application or token), KindInvalid (password),
// ErrForbidden, ErrUnavailable.
func (s *Service) ResetPassword(ctx context.Context, c Caller, applicationID, raw, password string) (*Account, error) {
	app, err := s.anonApp(ctx, c, applicationID)
	if err != nil {
		return nil, err
	}
	// The token first: a password is judged only for a live token.
	if _, err := s.accountByToken(ctx, c, resetTokenKey, raw, app); err != nil {
		return nil, err
	}
	if err := s.Policy.Check(password); err != nil {
		return nil, err
	}
	hash, err := s.Hasher.Hash(password)
	if err != nil {
		return nil, err
	}
	c.IdempotencyKey, c.Fingerprint = "", ""
	th := hashToken(raw)
	acc, err := run(ctx, s, c, func(r *recorder) (*Account, error) {
		cur, err := s.accountByToken(ctx, c, resetTokenKey, raw, app)
		if err != nil {
			return nil, err
		}
		if cur.ResetTokenHash != th {
			return nil, ErrNotFound
		}
		evs := []events.Event{events.AccountPasswordSet{PasswordHash: hash}}
		if cur.Status == StatusUnverified {
			evs = append(evs, events.EmailVerified{})
		}
		next := cur.clone()
		return next, r.record(cur.Ref(), cur, next, evs...)
	})
	if err != nil {
		return nil, err
	}
	if !app.ResetSuccessEmailOff {
		s.mailAfterCommit(ctx, resetDoneMail(acc, app))
	}
	return acc, nil
}
