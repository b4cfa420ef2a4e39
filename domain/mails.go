package domain

import (
	"cmp"
	"fmt"
	"time"
)

// The mails of password reset and email verification: plain text, the
// link written out (README "Mail"). They name the application, so the
// reader knows which service writes; nothing else of the account but its
// address and username.

func greeting(a *Account) string {
	if n := a.FullName(); n != "" {
		return "Hello " + n + ","
	}
	return "Hello " + a.Username + ","
}

// resetMail and verificationMail link to page (Caller.Pages) when it is
// set: the console's own page wins over the policy, whose link belongs to
// the application's own site.
func resetMail(a *Account, app *Application, raw, linkBase, page string) Message {
	link := tokenLink(cmp.Or(page, app.ResetLinkBaseURL), linkBase, ResetTokenPath(app.ID, raw), raw)
	return Message{To: a.Email, Subject: "Reset your " + app.Name + " password", Text: fmt.Sprintf(
		"%s\n\nSomeone asked to reset the password of your %s account (%s).\nTo choose a new password, open this link within %s:\n\n%s\n\nThe link works once. If you did not ask for this, ignore this mail: your password stays as it is.\n",
		greeting(a), app.Name, a.Username, hours(app.ResetTTL()), link)}
}

func resetDoneMail(a *Account, app *Application) Message {
	return Message{To: a.Email, Subject: "Your " + app.Name + " password was changed", Text: fmt.Sprintf(
		"%s\n\nThe password of your %s account (%s) was just changed with a reset link, and every session that was signed in with the old one has ended.\nIf you did not do this, reset your password again at once and tell the service.\n",
		greeting(a), app.Name, a.Username)}
}

func verificationMail(a *Account, app *Application, raw, linkBase, page string) Message {
	link := tokenLink(cmp.Or(page, app.VerificationLinkBaseURL), linkBase, VerificationTokenPath(raw), raw)
	return Message{To: a.Email, Subject: "Verify your " + app.Name + " email address", Text: fmt.Sprintf(
		"%s\n\nTo verify the address of your %s account (%s), open this link within %s:\n\n%s\n\nIf you did not create this account, ignore this mail.\n",
		greeting(a), app.Name, a.Username, hours(VerificationTokenTTL), link)}
}

func verifiedMail(a *Account, app *Application) Message {
	return Message{To: a.Email, Subject: "Your " + app.Name + " email address is verified", Text: fmt.Sprintf(
		"%s\n\nThe address of your %s account (%s) is verified: the account is ready to use.\n", greeting(a), app.Name, a.Username)}
}

func hours(d time.Duration) string {
	if h := int(d / time.Hour); h != 1 {
		return fmt.Sprintf("%d hours", h)
	}
	return "1 hour"
}

// signUpTakenMail tells an address's owner that someone tried to sign up
// with it (SignUp, under a verifying policy).
func signUpTakenMail(a *Account, app *Application) Message {
	return Message{To: a.Email, Subject: "Someone tried to sign up for " + app.Name + " with your address", Text: fmt.Sprintf(
		"%s\n\nSomeone tried to create a new %s account with this address, which already has one (%s). Nothing was created.\nIf it was you, sign in instead; if you forgot your password, ask for a reset on the sign-in page. If it was not you, ignore this mail.\n",
		greeting(a), app.Name, a.Username)}
}

// emailChangedMail tells an account's former address that the address
// changed (UpdateProfile): a taken-over session would otherwise move the
// account away unnoticed.
func emailChangedMail(a *Account, app *Application, next string) Message {
	return Message{To: a.Email, Subject: "Your " + app.Name + " email address was changed", Text: fmt.Sprintf(
		"%s\n\nThe email address of your %s account (%s) was just changed to %s. Mail for the account goes there from now on.\nIf you did not do this, tell the service at once.\n",
		greeting(a), app.Name, a.Username, next)}
}
