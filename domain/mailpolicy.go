package domain

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keystorm/keystorm/events"
)

// Mail policy bounds and defaults (README "Password reset and email
// verification").
const (
	// DefaultResetTokenTTL is Stormpath's default resetTokenTtl.
	DefaultResetTokenTTL = 24 * time.Hour
	// MaxResetTokenTTLHours is Stormpath's upper bound (a week).
	MaxResetTokenTTLHours = 168
	// VerificationTokenTTL is how long a verification link works: the
	// account creation policy has no setting for it (Stormpath's had
	// none), and a resend issues a fresh link.
	VerificationTokenTTL = 7 * 24 * time.Hour
	// DefaultMailFloor is NewService's MailFloor: above what the known
	// address's path costs on AWS (a read, a transaction, an SES call),
	// so both paths end at the floor (README, "Equal time").
	DefaultMailFloor = 500 * time.Millisecond
	// MaxLinkBaseURL bounds a policy's linkBaseUrl.
	MaxLinkBaseURL = 1024
)

// MailPolicies are an application's password policy (the reset mails)
// and account creation policy (email verification), kept in the
// application's state. Zero values are the defaults: reset and reset
// confirmation mails on with a 24-hour token, verification off, links to
// the API's own token hrefs.
type MailPolicies struct {
	// ResetTokenTTLHours is the reset token's lifetime; 0 means
	// DefaultResetTokenTTL.
	ResetTokenTTLHours   int    `json:"resetTokenTtl,omitempty"`
	ResetEmailOff        bool   `json:"resetEmailOff,omitempty"`
	ResetSuccessEmailOff bool   `json:"resetSuccessEmailOff,omitempty"`
	ResetLinkBaseURL     string `json:"resetLinkBaseUrl,omitempty"`
	// VerificationEmailOn makes new accounts UNVERIFIED and mails them
	// a verification link.
	VerificationEmailOn        bool   `json:"verificationEmailOn,omitempty"`
	VerificationSuccessEmailOn bool   `json:"verificationSuccessEmailOn,omitempty"`
	VerificationLinkBaseURL    string `json:"verificationLinkBaseUrl,omitempty"`
	// SelfRegistrationOn lets the developer console's sign-up page
	// create accounts (SignUp); off, only admins create them.
	SelfRegistrationOn bool `json:"selfRegistrationOn,omitempty"`
}

// ResetTTL is the lifetime of the application's reset tokens.
func (p MailPolicies) ResetTTL() time.Duration {
	if p.ResetTokenTTLHours <= 0 {
		return DefaultResetTokenTTL
	}
	return time.Duration(p.ResetTokenTTLHours) * time.Hour
}

// EmailStatus renders a policy switch as Stormpath did.
func EmailStatus(on bool) string {
	if on {
		return events.EmailEnabled
	}
	return events.EmailDisabled
}

// PasswordPolicyInput changes an application's password policy; nil
// leaves a property as it is.
type PasswordPolicyInput struct {
	ResetTokenTTLHours      *int
	ResetEmailStatus        *string
	ResetSuccessEmailStatus *string
	LinkBaseURL             *string
}

// AccountCreationPolicyInput changes an application's account creation
// policy; nil leaves a property as it is.
type AccountCreationPolicyInput struct {
	VerificationEmailStatus        *string
	VerificationSuccessEmailStatus *string
	LinkBaseURL                    *string
	// SelfRegistrationStatus is ENABLED or DISABLED (SignUp).
	SelfRegistrationStatus *string
}

// GetMailPolicies returns the application whose policies are asked for.
// Errors: ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) GetMailPolicies(ctx context.Context, c Caller, applicationID string) (*Application, error) {
	return s.GetApplication(ctx, c, applicationID)
}

// SetPasswordPolicy changes an application's password policy.
// Errors: KindInvalid, ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) SetPasswordPolicy(ctx context.Context, c Caller, applicationID string, in PasswordPolicyInput) (*Application, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if in.ResetTokenTTLHours != nil && (*in.ResetTokenTTLHours < 1 || *in.ResetTokenTTLHours > MaxResetTokenTTLHours) {
		return nil, invalid(CodeInvalidValue, "resetTokenTtl", "resetTokenTtl must be a whole number of hours from 1 to %d.", MaxResetTokenTTLHours)
	}
	if err := checkEmailStatuses(map[string]*string{"resetEmailStatus": in.ResetEmailStatus, "resetSuccessEmailStatus": in.ResetSuccessEmailStatus}); err != nil {
		return nil, err
	}
	if err := checkLinkBase(in.LinkBaseURL); err != nil {
		return nil, err
	}
	return setPolicy(ctx, s, c, applicationID, func(cur *Application) events.PasswordPolicySet {
		return events.PasswordPolicySet{ResetTokenTTL: int(cur.ResetTTL() / time.Hour), ResetEmailStatus: EmailStatus(!cur.ResetEmailOff),
			ResetSuccessEmailStatus: EmailStatus(!cur.ResetSuccessEmailOff), LinkBaseURL: cur.ResetLinkBaseURL}
	}, func(ev *events.PasswordPolicySet) {
		setIf(&ev.ResetTokenTTL, in.ResetTokenTTLHours)
		setIf(&ev.ResetEmailStatus, in.ResetEmailStatus)
		setIf(&ev.ResetSuccessEmailStatus, in.ResetSuccessEmailStatus)
		setIf(&ev.LinkBaseURL, in.LinkBaseURL)
	})
}

// SetAccountCreationPolicy changes an application's account creation
// policy. Turning verification on affects accounts created from then on.
// Errors: KindInvalid, ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) SetAccountCreationPolicy(ctx context.Context, c Caller, applicationID string, in AccountCreationPolicyInput) (*Application, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if err := checkEmailStatuses(map[string]*string{"verificationEmailStatus": in.VerificationEmailStatus,
		"verificationSuccessEmailStatus": in.VerificationSuccessEmailStatus, "selfRegistrationStatus": in.SelfRegistrationStatus}); err != nil {
		return nil, err
	}
	if err := checkLinkBase(in.LinkBaseURL); err != nil {
		return nil, err
	}
	return setPolicy(ctx, s, c, applicationID, func(cur *Application) events.AccountCreationPolicySet {
		return events.AccountCreationPolicySet{VerificationEmailStatus: EmailStatus(cur.VerificationEmailOn),
			VerificationSuccessEmailStatus: EmailStatus(cur.VerificationSuccessEmailOn), LinkBaseURL: cur.VerificationLinkBaseURL,
			SelfRegistrationStatus: EmailStatus(cur.SelfRegistrationOn)}
	}, func(ev *events.AccountCreationPolicySet) {
		setIf(&ev.VerificationEmailStatus, in.VerificationEmailStatus)
		setIf(&ev.VerificationSuccessEmailStatus, in.VerificationSuccessEmailStatus)
		setIf(&ev.LinkBaseURL, in.LinkBaseURL)
		setIf(&ev.SelfRegistrationStatus, in.SelfRegistrationStatus)
	})
}

// setPolicy is the one way an application's policy changes: the policy
// event as the application has it now (from), with the request's
// changes (patch); recorded unless it changes nothing, since each event
// carries the whole policy.
func setPolicy[E interface {
	comparable
	events.Event
}](ctx context.Context, s *Service, c Caller, applicationID string, from func(*Application) E, patch func(*E)) (*Application, error) {
	return run(ctx, s, c, func(r *recorder) (*Application, error) {
		cur, err := load[*Application](ctx, s, c, KindApplication, applicationID)
		if err != nil {
			return nil, err
		}
		ev := from(cur)
		was := ev
		patch(&ev)
		if ev == was {
			return cur, nil
		}
		next := cur.clone()
		return next, r.record(cur.Ref(), cur, next, ev)
	})
}

// checkEmailStatuses checks the ENABLED/DISABLED properties given, in a
// fixed order so the error names the same one every time.
func checkEmailStatuses(props map[string]*string) error {
	for _, name := range slices.Sorted(maps.Keys(props)) {
		if err := checkEmailStatus(name, props[name]); err != nil {
			return err
		}
	}
	return nil
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func checkEmailStatus(field string, v *string) error {
	if v == nil || *v == events.EmailEnabled || *v == events.EmailDisabled {
		return nil
	}
	return invalid(CodeInvalidStatus, field, "%s must be ENABLED or DISABLED.", field)
}

// checkLinkBase validates a policy's linkBaseUrl: "" (the API's own token
// href), or an absolute https URL (http only for localhost, for a
// developer's machine), without user info or fragment, since the token is
// appended as its sptoken query parameter.
func checkLinkBase(v *string) error {
	if v == nil || *v == "" {
		return nil
	}
	bad := invalid(CodeInvalidValue, "linkBaseUrl", "linkBaseUrl must be an https URL (http only for localhost), without user info or fragment, of at most %d characters.", MaxLinkBaseURL)
	if len(*v) > MaxLinkBaseURL || strings.ContainsAny(*v, " \t\r\n") {
		return bad
	}
	u, err := url.Parse(*v)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || strings.Contains(*v, "#") || u.Opaque != "" {
		return bad
	}
	switch host := u.Hostname(); {
	case u.Scheme == "https":
	case u.Scheme == "http" && (host == "localhost" || host == "127.0.0.1" || host == "::1"):
	default:
		return bad
	}
	return nil
}

// tokenLink is the link a mail carries: the policy's base URL with
// ?sptoken=<token> appended, as Stormpath did; without one, the API's own
// href of the token resource (tokenPath, which holds the token, under
// linkBase, the request's public base URL).
func tokenLink(policyBase, linkBase, tokenPath, raw string) string {
	if policyBase == "" {
		return strings.TrimRight(linkBase, "/") + tokenPath
	}
	sep := "?"
	if strings.Contains(policyBase, "?") {
		sep = "&"
	}
	return policyBase + sep + "sptoken=" + raw
}
