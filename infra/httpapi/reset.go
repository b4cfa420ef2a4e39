package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/keystorm/keystorm/domain"
)

// --- password reset and email verification (accounts family), and the
// password and account creation policies (applications family: views of
// the application, as oAuthPolicies). README "Password reset and email
// verification".

// PasswordResetRequest answers POST …/passwordResetTokens. Unlike
// Stormpath's answer (the token's href and the account), it holds only
// what the caller sent: anything more would tell whether the address has
// an account.
type PasswordResetRequest struct {
	Href  string `json:"href"`
	Email string `json:"email"`
}

// PasswordResetToken is a live reset token (Stormpath's
// passwordResetToken): its href, the account's email and the account.
type PasswordResetToken struct {
	Href    string `json:"href"`
	Email   string `json:"email"`
	Account Link   `json:"account"`
}

// PasswordPolicy is the JSON of an application's password policy
// (Stormpath's passwordPolicy, its reset part).
type PasswordPolicy struct {
	Href                    string `json:"href"`
	ResetTokenTTL           int    `json:"resetTokenTtl"`
	ResetEmailStatus        string `json:"resetEmailStatus"`
	ResetSuccessEmailStatus string `json:"resetSuccessEmailStatus"`
	LinkBaseURL             string `json:"linkBaseUrl"`
	CreatedAt               string `json:"createdAt"`
	ModifiedAt              string `json:"modifiedAt"`
	Application             Link   `json:"application"`
	Tenant                  Link   `json:"tenant"`
}

// AccountCreationPolicy is the JSON of an application's account creation
// policy (Stormpath's accountCreationPolicy, its verification part),
// and whether the developer console's sign-up page creates accounts.
type AccountCreationPolicy struct {
	Href                           string `json:"href"`
	VerificationEmailStatus        string `json:"verificationEmailStatus"`
	VerificationSuccessEmailStatus string `json:"verificationSuccessEmailStatus"`
	LinkBaseURL                    string `json:"linkBaseUrl"`
	SelfRegistrationStatus         string `json:"selfRegistrationStatus"`
	CreatedAt                      string `json:"createdAt"`
	ModifiedAt                     string `json:"modifiedAt"`
	Application                    Link   `json:"application"`
	Tenant                         Link   `json:"tenant"`
}

func (b hrefs) passwordPolicy(a *domain.Application) PasswordPolicy {
	return PasswordPolicy{Href: string(b) + "/v1/passwordPolicies/" + a.ID, ResetTokenTTL: int(a.ResetTTL().Hours()),
		ResetEmailStatus: domain.EmailStatus(!a.ResetEmailOff), ResetSuccessEmailStatus: domain.EmailStatus(!a.ResetSuccessEmailOff),
		LinkBaseURL: a.ResetLinkBaseURL, CreatedAt: ts(a.CreatedAt), ModifiedAt: ts(a.ModifiedAt),
		Application: b.link("/v1/applications/" + a.ID), Tenant: b.link("/v1/tenants/" + a.Tenant)}
}

func (b hrefs) accountCreationPolicy(a *domain.Application) AccountCreationPolicy {
	return AccountCreationPolicy{Href: string(b) + "/v1/accountCreationPolicies/" + a.ID,
		VerificationEmailStatus: domain.EmailStatus(a.VerificationEmailOn), VerificationSuccessEmailStatus: domain.EmailStatus(a.VerificationSuccessEmailOn),
		LinkBaseURL: a.VerificationLinkBaseURL, SelfRegistrationStatus: domain.EmailStatus(a.SelfRegistrationOn),
		CreatedAt: ts(a.CreatedAt), ModifiedAt: ts(a.ModifiedAt),
		Application: b.link("/v1/applications/" + a.ID), Tenant: b.link("/v1/tenants/" + a.Tenant)}
}

func (a *API) getPasswordPolicy(w http.ResponseWriter, r req) error {
	app, err := a.Svc.GetMailPolicies(r.Context(), r.c, param(r.Request, "applicationId"))
	if err != nil {
		return err
	}
	return ok(w, r.base.passwordPolicy(app))
}

func (a *API) updatePasswordPolicy(w http.ResponseWriter, r req) error {
	props, err := object(r.body)
	if err != nil {
		return err
	}
	f := bodyFields(props, PasswordPolicyBody{})
	var in domain.PasswordPolicyInput
	if raw, found, err := f.read("resetTokenTtl"); err != nil {
		return err
	} else if found && string(raw) != "null" {
		n, err := strconv.Atoi(string(raw))
		if err != nil {
			return domain.E(domain.KindInvalid, domain.CodeWrongType, "resetTokenTtl", "resetTokenTtl must be a whole number of hours.")
		}
		in.ResetTokenTTLHours = &n
	}
	for _, p := range []struct {
		name string
		dst  **string
	}{{"resetEmailStatus", &in.ResetEmailStatus}, {"resetSuccessEmailStatus", &in.ResetSuccessEmailStatus}, {"linkBaseUrl", &in.LinkBaseURL}} {
		if *p.dst, err = f.str(p.name); err != nil {
			return err
		}
	}
	// SDKs send the whole resource back on save: Stormpath's other
	// password policy properties are read-only here.
	if err := f.rest("strength", "resetEmailTemplates", "resetSuccessEmailTemplates"); err != nil {
		return err
	}
	app, err := a.Svc.SetPasswordPolicy(r.Context(), r.c, param(r.Request, "applicationId"), in)
	if err != nil {
		return err
	}
	return ok(w, r.base.passwordPolicy(app))
}

func (a *API) getAccountCreationPolicy(w http.ResponseWriter, r req) error {
	app, err := a.Svc.GetMailPolicies(r.Context(), r.c, param(r.Request, "applicationId"))
	if err != nil {
		return err
	}
	return ok(w, r.base.accountCreationPolicy(app))
}

func (a *API) updateAccountCreationPolicy(w http.ResponseWriter, r req) error {
	props, err := object(r.body)
	if err != nil {
		return err
	}
	f := bodyFields(props, AccountCreationPolicyBody{})
	var in domain.AccountCreationPolicyInput
	for _, p := range []struct {
		name string
		dst  **string
	}{{"verificationEmailStatus", &in.VerificationEmailStatus}, {"verificationSuccessEmailStatus", &in.VerificationSuccessEmailStatus},
		{"linkBaseUrl", &in.LinkBaseURL}, {"selfRegistrationStatus", &in.SelfRegistrationStatus}} {
		if *p.dst, err = f.str(p.name); err != nil {
			return err
		}
	}
	if err := f.rest("welcomeEmailStatus", "verificationEmailTemplates", "verificationSuccessEmailTemplates", "welcomeEmailTemplates"); err != nil {
		return err
	}
	app, err := a.Svc.SetAccountCreationPolicy(r.Context(), r.c, param(r.Request, "applicationId"), in)
	if err != nil {
		return err
	}
	return ok(w, r.base.accountCreationPolicy(app))
}

// requiredStr reads a required string property.
func requiredStr(f *fields, name string) (string, error) {
	v, err := f.str(name)
	if err != nil {
		return "", err
	}
	if v == nil {
		return "", domain.E(domain.KindInvalid, domain.CodeRequired, name, "%s is required.", name)
	}
	return *v, nil
}

func (a *API) createPasswordResetToken(w http.ResponseWriter, r req) error {
	props, err := object(r.body)
	if err != nil {
		return err
	}
	f := bodyFields(props, PasswordResetBody{})
	address, err := requiredStr(f, "email")
	if err != nil {
		return err
	}
	if err := f.rest(); err != nil {
		return err
	}
	app := param(r.Request, "applicationId")
	if err := a.Svc.RequestPasswordReset(r.Context(), r.c, app, address); err != nil {
		return err
	}
	return ok(w, PasswordResetRequest{Href: string(r.base) + "/v1/applications/" + app + "/passwordResetTokens", Email: address})
}

func (a *API) getPasswordResetToken(w http.ResponseWriter, r req) error {
	app, raw := param(r.Request, "applicationId"), param(r.Request, "token")
	acc, err := a.Svc.GetPasswordResetToken(r.Context(), r.c, app, raw)
	if err != nil {
		return err
	}
	return ok(w, PasswordResetToken{Href: string(r.base) + domain.ResetTokenPath(app, raw), Email: acc.Email, Account: r.base.link("/v1/accounts/" + acc.ID)})
}

func (a *API) resetPassword(w http.ResponseWriter, r req) error {
	props, err := object(r.body)
	if err != nil {
		return err
	}
	f := bodyFields(props, NewPasswordBody{})
	password, err := requiredStr(f, "password")
	if err != nil {
		return err
	}
	if err := f.rest("email", "account"); err != nil {
		return err
	}
	app, raw := param(r.Request, "applicationId"), param(r.Request, "token")
	acc, err := a.Svc.ResetPassword(r.Context(), r.c, app, raw, password)
	if err != nil {
		return err
	}
	return ok(w, PasswordResetToken{Href: string(r.base) + domain.ResetTokenPath(app, raw), Email: acc.Email, Account: r.base.link("/v1/accounts/" + acc.ID)})
}

// verifyEmail answers as Stormpath did: a link to the verified account.
func (a *API) verifyEmail(w http.ResponseWriter, r req) error {
	if len(r.body) > 0 {
		if _, err := object(r.body); err != nil {
			return err
		}
	}
	acc, err := a.Svc.VerifyEmail(r.Context(), r.c, param(r.Request, "token"))
	if err != nil {
		return err
	}
	return ok(w, r.base.link("/v1/accounts/"+acc.ID))
}

// resendVerification answers 202 with no body, as Stormpath's
// verificationEmails did, whether or not the login names an account.
func (a *API) resendVerification(w http.ResponseWriter, r req) error {
	props, err := object(r.body)
	if err != nil {
		return err
	}
	f := bodyFields(props, VerificationEmailBody{})
	login, err := requiredStr(f, "login")
	if err != nil {
		return err
	}
	// Stormpath SDKs send the accountStore link too: one directory per
	// application here, so it is ignored like every link.
	if err := f.rest(); err != nil {
		return err
	}
	if err := a.Svc.ResendVerification(r.Context(), r.c, param(r.Request, "applicationId"), login); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// LogPath is a request path as logs may hold it: the one-time token of
// a passwordResetTokens or emailVerificationTokens path is replaced by
// {token}, since a log must never hold a live token (the mail is the one
// place it is written).
func LogPath(path string) string {
	for _, seg := range []string{"/passwordResetTokens/", "/emailVerificationTokens/"} {
		if i := strings.Index(path, seg); i >= 0 {
			rest := path[i+len(seg):]
			tail := ""
			if j := strings.IndexByte(rest, '/'); j >= 0 {
				tail = rest[j:]
			}
			return path[:i+len(seg)] + "{token}" + tail
		}
	}
	return path
}
