package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/httpapi"
)

// The signed-out pages: sign in and out, sign up, and the two mailed
// links (password reset, email verification).

var errMismatch = domain.E(domain.KindInvalid, domain.CodeInvalidValue, "confirm", "The two passwords are not the same.")

func (q *req) form(name string) string { return q.r.PostForm.Get(name) }

// formPtr is a form field as a domain input: nil when empty, so an
// empty optional field means "not given".
func (q *req) formPtr(name string) *string {
	v := q.r.PostForm.Get(name)
	if v == "" {
		return nil
	}
	return &v
}

func (c *Console) home(q *req) error {
	if q.account != nil {
		q.redirect("/keys")
	} else {
		q.redirect("/signin")
	}
	return nil
}

type signInData struct {
	Login string
}

func (c *Console) signInPage(q *req) error {
	if q.account != nil {
		q.redirect("/keys")
		return nil
	}
	c.render(q, http.StatusOK, "signin", view{Title: "Sign in", Data: signInData{}})
	return nil
}

func (c *Console) signIn(q *req) error {
	login := q.form("login")
	st, err := c.cfg.Tokens.PasswordGrant(q.r.Context(), domain.PasswordRequest{ApplicationID: q.app.ID, Username: login,
		Password: q.form("password"), BaseURL: q.base, Source: httpapi.SourceAddr(q.r)})
	if err != nil {
		return c.formError(q, "signin", view{Title: "Sign in", Data: signInData{Login: login}}, err)
	}
	// A browser holds one session: the one it had (another account's,
	// perhaps) ends on the server rather than lingering.
	if q.caller.Session != "" {
		if err := c.cfg.Service.DeleteRefreshToken(q.r.Context(), q.caller, q.caller.Session); err != nil && !errors.Is(err, domain.ErrNotFound) {
			c.cfg.Log.Warn("console: the earlier session could not be ended", "requestId", q.rid, "err", err)
		}
	}
	q.startSession(st)
	q.redirect("/keys")
	return nil
}

func (c *Console) signOut(q *req) error {
	// The session ends on the server, so a copy of the cookie is worth
	// nothing from now on; already ended is as good.
	if err := c.cfg.Service.DeleteRefreshToken(q.r.Context(), q.caller, q.caller.Session); err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	q.endSession()
	q.redirect("/signin?done=signedout")
	return nil
}

type signUpData struct {
	GivenName, Surname, Username, Email string
	// Sent is set once an unverified account was made: its mail went.
	Sent bool
}

func (c *Console) signUpPage(q *req) error {
	if q.account != nil {
		q.redirect("/keys")
		return nil
	}
	c.render(q, http.StatusOK, "signup", view{Title: "Create an account", Data: signUpData{}})
	return nil
}

func (c *Console) signUp(q *req) error {
	d := signUpData{GivenName: q.form("givenName"), Surname: q.form("surname"), Username: q.form("username"), Email: q.form("email")}
	v := view{Title: "Create an account", Data: d}
	if !q.app.SelfRegistrationOn || !q.app.Usable() {
		return c.formError(q, "signup", v, domain.ErrSignUpClosed)
	}
	password := q.form("password")
	if password != q.form("confirm") {
		return c.formError(q, "signup", v, errMismatch)
	}
	in := domain.AccountInput{GivenName: q.formPtr("givenName"), Surname: q.formPtr("surname"), Username: q.formPtr("username"),
		Email: q.formPtr("email"), Password: &password}
	if in.Email == nil {
		in.Email = new(string) // the domain names the missing field
	}
	acc, err := c.cfg.Service.SignUp(q.r.Context(), c.public(q), in, httpapi.SourceAddr(q.r))
	if err != nil {
		return c.formError(q, "signup", v, err)
	}
	// nil: the address has an account, and the domain mailed its owner
	// instead; the page is a new account's, so it tells nobody that.
	if acc == nil || acc.Status != domain.StatusEnabled {
		d.Sent = true
		c.render(q, http.StatusOK, "signup", view{Title: "Check your email", Data: d})
		return nil
	}
	st, err := c.cfg.Tokens.PasswordGrant(q.r.Context(), domain.PasswordRequest{ApplicationID: q.app.ID, Username: acc.Username,
		Password: password, BaseURL: q.base, Source: httpapi.SourceAddr(q.r)})
	if err != nil {
		// The account exists; only the automatic sign-in failed.
		q.redirect("/signin")
		return nil
	}
	q.startSession(st)
	q.redirect("/keys?done=welcome")
	return nil
}

type forgotData struct {
	Email string
	Sent  bool
}

func (c *Console) forgotPage(q *req) error {
	c.render(q, http.StatusOK, "forgot", view{Title: "Forgot your password?", Data: forgotData{}})
	return nil
}

func (c *Console) forgot(q *req) error {
	address := strings.TrimSpace(q.form("email"))
	v := view{Title: "Forgot your password?", Data: forgotData{Email: address}}
	// The same answer whether or not the address has an account, after
	// the same time (the domain pads it).
	if err := c.cfg.Service.RequestPasswordReset(q.r.Context(), c.public(q), q.app.ID, address); err != nil {
		return c.formError(q, "forgot", v, err)
	}
	v.Data = forgotData{Email: address, Sent: true}
	c.render(q, http.StatusOK, "forgot", v)
	return nil
}

type linkData struct {
	// Valid is false for a missing, unknown, used or expired link.
	Valid bool
	Email string
}

// linkPage is the landing of a mailed link (page is /reset or /verify):
// the token moves from the URL into the page's cookie, then the page
// names the address the link is for, found by peek without using it.
func (c *Console) linkPage(q *req, page, title string, peek func(raw string) (*domain.Account, error)) error {
	if q.stashLink(page) {
		return nil
	}
	d := linkData{}
	if raw := q.linkToken(); raw != "" {
		acc, err := peek(raw)
		switch {
		case errors.Is(err, domain.ErrNotFound):
		case err != nil:
			return err
		default:
			d = linkData{Valid: true, Email: acc.Email}
		}
	}
	c.render(q, http.StatusOK, strings.TrimPrefix(page, "/"), view{Title: title, Data: d})
	return nil
}

func (c *Console) resetPage(q *req) error {
	return c.linkPage(q, "/reset", "Choose a new password", func(raw string) (*domain.Account, error) {
		return c.cfg.Service.GetPasswordResetToken(q.r.Context(), c.public(q), q.app.ID, raw)
	})
}

func (c *Console) reset(q *req) error {
	raw := q.linkToken()
	v := view{Title: "Choose a new password", Data: linkData{Valid: raw != ""}}
	password := q.form("password")
	if password != q.form("confirm") {
		return c.formError(q, "reset", v, errMismatch)
	}
	_, err := c.cfg.Service.ResetPassword(q.r.Context(), c.public(q), q.app.ID, raw, password)
	if errors.Is(err, domain.ErrNotFound) {
		q.dropLink("/reset")
		c.render(q, http.StatusNotFound, "reset", view{Title: "Choose a new password", Data: linkData{}})
		return nil
	}
	if err != nil {
		return c.formError(q, "reset", v, err)
	}
	q.dropLink("/reset")
	q.endSession()
	q.redirect("/signin?done=reset")
	return nil
}

// verifyPage: the token is used by the button, not by opening the link,
// so a mail scanner that fetches links verifies nothing; the page names
// the address, so nobody verifies another's account from a link some
// other site planted.
func (c *Console) verifyPage(q *req) error {
	return c.linkPage(q, "/verify", "Verify your email", func(raw string) (*domain.Account, error) {
		return c.cfg.Service.GetVerificationToken(q.r.Context(), c.public(q), raw)
	})
}

func (c *Console) verify(q *req) error {
	raw := q.linkToken()
	if raw == "" {
		c.render(q, http.StatusNotFound, "verify", view{Title: "Verify your email", Data: linkData{}})
		return nil
	}
	_, err := c.cfg.Service.VerifyEmail(q.r.Context(), c.public(q), raw)
	if errors.Is(err, domain.ErrNotFound) {
		q.dropLink("/verify")
		c.render(q, http.StatusNotFound, "verify", view{Title: "Verify your email", Data: linkData{}})
		return nil
	}
	if err != nil {
		return err
	}
	q.dropLink("/verify")
	q.redirect("/signin?done=verified")
	return nil
}
