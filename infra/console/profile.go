package console

import (
	"net/http"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/httpapi"
)

// The profile page: name and email, and a new password. Changing the
// email or the password asks for the current password, so a browser left
// signed in cannot be used to take the account over.

type profileData struct {
	GivenName, Surname, Email string
	// PasswordError is the password form's error; the page's Error is
	// the profile form's.
	PasswordError string
}

func (c *Console) profileView(q *req, d profileData) view {
	return view{Title: "Your profile", Nav: "profile", Data: d}
}

func (c *Console) profilePage(q *req) error {
	a := q.account
	c.render(q, http.StatusOK, "profile", c.profileView(q, profileData{GivenName: a.GivenName, Surname: a.Surname, Email: a.Email}))
	return nil
}

func (c *Console) updateProfile(q *req) error {
	d := profileData{GivenName: q.form("givenName"), Surname: q.form("surname"), Email: q.form("email")}
	in := domain.ProfileInput{GivenName: &d.GivenName, Surname: &d.Surname, CurrentPassword: q.form("currentPassword"), Source: httpapi.SourceAddr(q.r)}
	if d.Email != q.account.Email {
		in.Email = &d.Email
	}
	if _, err := c.cfg.Service.UpdateProfile(q.r.Context(), q.caller, in); err != nil {
		return c.formError(q, "profile", c.profileView(q, d), err)
	}
	q.redirect("/profile?done=profile")
	return nil
}

func (c *Console) changePassword(q *req) error {
	a := q.account
	d := profileData{GivenName: a.GivenName, Surname: a.Surname, Email: a.Email}
	next := q.form("password")
	fail := func(err error) error {
		status, msg := c.problem(q, err)
		if status >= 500 {
			c.failStatus(q, status, msg)
			return nil
		}
		d.PasswordError = msg
		c.render(q, status, "profile", c.profileView(q, d))
		return nil
	}
	if next != q.form("confirm") {
		return fail(errMismatch)
	}
	acc, err := c.cfg.Service.ChangePassword(q.r.Context(), q.caller, q.form("currentPassword"), next, httpapi.SourceAddr(q.r))
	if err != nil {
		return fail(err)
	}
	// The new password ended every session, this one too: sign in again
	// with it, so only the other sessions are gone.
	st, err := c.cfg.Tokens.PasswordGrant(q.r.Context(), domain.PasswordRequest{ApplicationID: q.app.ID, Username: acc.Username,
		Password: next, BaseURL: q.base, Source: httpapi.SourceAddr(q.r)})
	if err != nil {
		q.endSession()
		q.redirect("/signin")
		return nil
	}
	q.startSession(st)
	q.redirect("/profile?done=password")
	return nil
}
