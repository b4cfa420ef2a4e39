package domain_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// The developer console's use of the Service: a public caller before
// sign-in, a session caller after.

var pageToken = regexp.MustCompile(`sptoken=([A-Za-z0-9_-]{43})\b`)

// publicCaller is the console acting for the env's developer application.
func (e *env) publicCaller() domain.Caller {
	return domain.Caller{TenantID: e.boot.Tenant.ID, Application: e.boot.Application.ID, Via: "console",
		Pages: domain.LinkPages{Reset: "https://console.example/reset?app=a1", Verify: "https://console.example/verify"}}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
}

// A public caller is never an admin, nor a session, whatever else it
// carries.
func TestPublicCallerIsNoAdmin(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	pub := e.publicCaller()
	acc := e.account(t, "tk421")
	_, err := e.svc.GetApplication(ctx, pub, e.boot.Application.ID)
	wantErr(t, err, domain.ErrForbidden)
	_, err = e.svc.GetAccount(ctx, pub, acc.ID)
	wantErr(t, err, domain.ErrForbidden)
	_, err = e.svc.ListAPIKeys(ctx, pub, acc.ID, domain.Page{})
	wantErr(t, err, domain.ErrForbidden)
	_, err = e.svc.CreateAccount(ctx, pub, e.boot.Application.ID, domain.AccountInput{Email: ptr("x@example.com"), Password: ptr("Changeme1")})
	wantErr(t, err, domain.ErrForbidden)
	// Admin with Application set is still no admin.
	odd := pub
	odd.Admin = true
	_, err = e.svc.GetApplication(ctx, odd, e.boot.Application.ID)
	wantErr(t, err, domain.ErrForbidden)
	odd.AccountID = e.boot.Admin.ID
	odd.KeyID = e.boot.AdminKey.ID
	_, err = e.svc.GetAccount(ctx, odd, acc.ID)
	wantErr(t, err, domain.ErrForbidden)
	// A public caller with its own AccountID is no session.
	odd = pub
	odd.AccountID = acc.ID
	_, err = e.svc.GetAccount(ctx, odd, acc.ID)
	wantErr(t, err, domain.ErrForbidden)
	// Yet the anonymous flows of its own application are open to it.
	if err := e.svc.RequestPasswordReset(ctx, pub, e.boot.Application.ID, "nobody@example.com"); errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("public reset refused: %v", err)
	}
}

func TestPublicPasswordReset(t *testing.T) {
	e, m := mailEnv(t)
	ctx := context.Background()
	app := e.boot.Application.ID
	pub := e.publicCaller()
	acc := e.account(t, "tk421")
	if err := e.svc.RequestPasswordReset(ctx, pub, app, acc.Email); err != nil {
		t.Fatal(err)
	}
	sent := m.all()
	if len(sent) != 1 || !strings.Contains(sent[0].Text, "https://console.example/reset?app=a1&sptoken=") {
		t.Fatalf("mail %+v", sent)
	}
	tok := lastToken(t, m, pageToken)
	if got, err := e.svc.GetPasswordResetToken(ctx, pub, app, tok); err != nil || got.ID != acc.ID {
		t.Fatalf("validate: %v %+v", err, got)
	}
	if _, err := e.svc.ResetPassword(ctx, pub, app, tok, "Newpassw0rd"); err != nil {
		t.Fatal(err)
	}
	if !e.eventsHold(t, `"actor":"console"`) {
		t.Fatal("no event names the console as its actor")
	}
	// The policy's link stays for everyone else: the admin's mail.
	if _, err := e.svc.SetPasswordPolicy(ctx, e.admin, app, domain.PasswordPolicyInput{LinkBaseURL: ptr("https://app.example/reset")}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RequestPasswordReset(ctx, e.admin, app, acc.Email); err != nil {
		t.Fatal(err)
	}
	if last := m.all()[len(m.all())-1]; !strings.Contains(last.Text, "https://app.example/reset?sptoken=") {
		t.Fatalf("admin's mail %q", last.Text)
	}
	// ... and the console's page wins over it.
	if err := e.svc.RequestPasswordReset(ctx, pub, app, acc.Email); err != nil {
		t.Fatal(err)
	}
	if last := m.all()[len(m.all())-1]; !strings.Contains(last.Text, "https://console.example/reset?app=a1&sptoken=") {
		t.Fatalf("console's mail %q", last.Text)
	}
}

// A public caller reaches its own application only: another is refused
// as for any non-admin, the administrators application is not found,
// and so is its application seen from another tenant.
func TestPublicCallerOtherApplications(t *testing.T) {
	e, m := mailEnv(t)
	ctx := context.Background()
	pub := e.publicCaller()
	other, err := e.svc.CreateApplication(ctx, e.admin, domain.ApplicationInput{Name: ptr("Other")})
	if err != nil {
		t.Fatal(err)
	}
	admin := e.boot.Admin
	for _, app := range []string{other.ID, e.boot.AdminApp.ID} {
		wantErr(t, e.svc.RequestPasswordReset(ctx, pub, app, admin.Email), domain.ErrForbidden)
		wantErr(t, e.svc.ResendVerification(ctx, pub, app, admin.Email), domain.ErrForbidden)
		_, err := e.svc.GetPasswordResetToken(ctx, pub, app, strings.Repeat("A", 43))
		wantErr(t, err, domain.ErrForbidden)
		_, err = e.svc.ResetPassword(ctx, pub, app, strings.Repeat("A", 43), "Newpassw0rd")
		wantErr(t, err, domain.ErrForbidden)
	}
	// Acting for the administrators application itself.
	onAdmin := pub
	onAdmin.Application = e.boot.AdminApp.ID
	wantErr(t, e.svc.RequestPasswordReset(ctx, onAdmin, e.boot.AdminApp.ID, admin.Email), domain.ErrNotFound)
	// Its own application under another tenant's id.
	elsewhere, err := e.svc.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	foreign := pub
	foreign.TenantID = elsewhere.Tenant.ID
	wantErr(t, e.svc.RequestPasswordReset(ctx, foreign, pub.Application, "x@example.com"), domain.ErrNotFound)
	if len(m.all()) != 0 {
		t.Fatalf("mails sent: %+v", m.all())
	}
}

func TestPublicEmailVerification(t *testing.T) {
	e, m := mailEnv(t)
	ctx := context.Background()
	app := e.boot.Application.ID
	pub := e.publicCaller()
	if _, err := e.svc.SetAccountCreationPolicy(ctx, e.admin, app, domain.AccountCreationPolicyInput{VerificationEmailStatus: ptr("ENABLED")}); err != nil {
		t.Fatal(err)
	}
	acc := e.account(t, "tk421")
	if err := e.svc.ResendVerification(ctx, pub, app, "tk421"); err != nil {
		t.Fatal(err)
	}
	if last := m.all()[len(m.all())-1]; !strings.Contains(last.Text, "https://console.example/verify?sptoken=") {
		t.Fatalf("mail %q", last.Text)
	}
	tok := lastToken(t, m, pageToken)
	// Another application's public caller: as an unknown token.
	other, err := e.svc.CreateApplication(ctx, e.admin, domain.ApplicationInput{Name: ptr("Other")})
	if err != nil {
		t.Fatal(err)
	}
	otherPub := pub
	otherPub.Application = other.ID
	_, err = e.svc.VerifyEmail(ctx, otherPub, tok)
	wantErr(t, err, domain.ErrNotFound)
	got, err := e.svc.VerifyEmail(ctx, pub, tok)
	if err != nil || got.ID != acc.ID || got.Status != domain.StatusEnabled {
		t.Fatalf("verify: %v %+v", err, got)
	}
	_, err = e.svc.VerifyEmail(ctx, pub, tok)
	wantErr(t, err, domain.ErrNotFound)
}

func TestPublicApplication(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	got, err := e.svc.PublicApplication(ctx, e.boot.Application.ID)
	if err != nil || got.ID != e.boot.Application.ID || got.TenantID() != e.boot.Tenant.ID {
		t.Fatalf("public application: %v %+v", err, got)
	}
	off, err := e.svc.CreateApplication(ctx, e.admin, domain.ApplicationInput{Name: ptr("Closed"), Status: ptr(domain.StatusDisabled)})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.PublicApplication(ctx, off.ID); err != nil || got.Status != domain.StatusDisabled {
		t.Fatalf("disabled: %v %+v", err, got)
	}
	gone, err := e.svc.CreateApplication(ctx, e.admin, domain.ApplicationInput{Name: ptr("Gone")})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteApplication(ctx, e.admin, gone.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{gone.ID, e.boot.AdminApp.ID, "", "app_nosuch", strings.Repeat("x", 65), "../" + e.boot.Application.ID, e.boot.Admin.ID} {
		_, err := e.svc.PublicApplication(ctx, id)
		wantErr(t, err, domain.ErrNotFound)
	}
}

// signUpEnv has self-registration on for the developer application.
func signUpEnv(t *testing.T) (*env, *memMailer) {
	t.Helper()
	e, m := mailEnv(t)
	if _, err := e.svc.SetAccountCreationPolicy(context.Background(), e.admin, e.boot.Application.ID,
		domain.AccountCreationPolicyInput{SelfRegistrationStatus: ptr("ENABLED")}); err != nil {
		t.Fatal(err)
	}
	return e, m
}

func signUpInput(name string) domain.AccountInput {
	return domain.AccountInput{Email: ptr(name + "@example.com"), GivenName: ptr("Fin"), Surname: ptr(name), Password: ptr("Changeme1")}
}

func TestSelfRegistrationPolicy(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	app := e.boot.Application.ID
	if got, _ := e.svc.GetMailPolicies(ctx, e.admin, app); got.SelfRegistrationOn {
		t.Fatal("self-registration on by default")
	}
	events := e.eventCount(t)
	// DISABLED when it is off changes nothing, and records nothing.
	if _, err := e.svc.SetAccountCreationPolicy(ctx, e.admin, app, domain.AccountCreationPolicyInput{SelfRegistrationStatus: ptr("DISABLED")}); err != nil || e.eventCount(t) != events {
		t.Fatalf("no-op: %v, %d events", err, e.eventCount(t)-events)
	}
	_, err := e.svc.SetAccountCreationPolicy(ctx, e.admin, app, domain.AccountCreationPolicyInput{SelfRegistrationStatus: ptr("on")})
	wantCode(t, err, domain.KindInvalid, domain.CodeInvalidStatus, "selfRegistrationStatus")
	got, err := e.svc.SetAccountCreationPolicy(ctx, e.admin, app, domain.AccountCreationPolicyInput{SelfRegistrationStatus: ptr("ENABLED")})
	if err != nil || !got.SelfRegistrationOn || got.VerificationEmailOn {
		t.Fatalf("enable: %v %+v", err, got.MailPolicies)
	}
	// Another property of the policy leaves it as it is.
	got, err = e.svc.SetAccountCreationPolicy(ctx, e.admin, app, domain.AccountCreationPolicyInput{VerificationEmailStatus: ptr("ENABLED")})
	if err != nil || !got.SelfRegistrationOn || !got.VerificationEmailOn {
		t.Fatalf("verification: %v %+v", err, got.MailPolicies)
	}
	got, err = e.svc.SetAccountCreationPolicy(ctx, e.admin, app, domain.AccountCreationPolicyInput{SelfRegistrationStatus: ptr("DISABLED")})
	if err != nil || got.SelfRegistrationOn {
		t.Fatalf("disable: %v %+v", err, got.MailPolicies)
	}
	pub := e.publicCaller()
	_, err = e.svc.SetAccountCreationPolicy(ctx, pub, app, domain.AccountCreationPolicyInput{SelfRegistrationStatus: ptr("ENABLED")})
	wantErr(t, err, domain.ErrForbidden)
}

func TestSignUp(t *testing.T) {
	e, m := mailEnv(t)
	ctx := context.Background()
	app := e.boot.Application.ID
	pub := e.publicCaller()
	// Closed by default.
	_, err := e.svc.SignUp(ctx, pub, signUpInput("fn2187"), "192.0.2.1")
	wantErr(t, err, domain.ErrSignUpClosed)
	wantCode(t, err, domain.KindForbidden, domain.CodeSignUpClosed, "")
	if _, err := e.svc.SetAccountCreationPolicy(ctx, e.admin, app, domain.AccountCreationPolicyInput{
		SelfRegistrationStatus: ptr("ENABLED"), VerificationEmailStatus: ptr("ENABLED")}); err != nil {
		t.Fatal(err)
	}
	// Status and customData are the developer's to choose no more than
	// anything else an admin sets.
	in := signUpInput("fn2187")
	in.Status = ptr(domain.StatusEnabled)
	in.CustomData = map[string]json.RawMessage{"role": json.RawMessage(`"admin"`)}
	acc, err := e.svc.SignUp(ctx, pub, in, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if acc.Status != domain.StatusUnverified || acc.ApplicationID != app || acc.Username != "fn2187@example.com" || acc.Admin || len(acc.CustomData) != 0 {
		t.Fatalf("signed up %+v", acc)
	}
	if last := m.all()[len(m.all())-1]; last.To != acc.Email || !strings.Contains(last.Text, "https://console.example/verify?sptoken=") {
		t.Fatalf("verification mail %+v", last)
	}
	// The link is the mailbox's alone: not in the answer.
	if acc.IssuedVerificationToken != "" {
		t.Fatal("the sign-up's answer holds the verification token")
	}
	if got, err := e.svc.VerifyEmail(ctx, pub, lastToken(t, m, pageToken)); err != nil || got.ID != acc.ID {
		t.Fatalf("verify the signed-up account: %v", err)
	}
	if !e.eventsHold(t, `"actor":"console"`) {
		t.Fatal("the sign-up's events do not name the console")
	}
	// The same email again, under a verifying policy: the answer is a
	// new account's, nothing is made, and the owner is told.
	mails := len(m.all())
	again, err := e.svc.SignUp(ctx, pub, signUpInput("fn2187"), "192.0.2.1")
	if err != nil || again != nil {
		t.Fatalf("a taken address under verification: %v %+v", err, again)
	}
	if all := m.all(); len(all) != mails+1 || all[mails].To != acc.Email || !strings.Contains(all[mails].Text, "Nothing was created") {
		t.Fatalf("the owner was not told: %+v", all[mails:])
	}
	// A taken username with a new address is said: no mailbox is told
	// anything by it.
	taken := signUpInput("other")
	taken.Username = ptr(acc.Username)
	_, err = e.svc.SignUp(ctx, pub, taken, "192.0.2.1")
	wantKind(t, err, domain.KindConflict)
	// Without verification a taken email is a conflict: the sign-up
	// would otherwise sign the developer in, which no answer can fake.
	if _, err := e.svc.SetAccountCreationPolicy(ctx, e.admin, app, domain.AccountCreationPolicyInput{VerificationEmailStatus: ptr("DISABLED")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.SignUp(ctx, pub, signUpInput("fn2187"), "192.0.2.1")
	wantKind(t, err, domain.KindConflict)
	// Invalid input is refused as CreateAccount refuses it.
	bad := signUpInput("weak")
	bad.Password = ptr("weak")
	_, err = e.svc.SignUp(ctx, pub, bad, "192.0.2.1")
	wantKind(t, err, domain.KindInvalid)
	_, err = e.svc.SignUp(ctx, pub, signUpInput("ip"), "not an address")
	wantKind(t, err, domain.KindInvalid)

	// Only a public caller signs up; an admin or a session gets 404.
	for _, c := range []domain.Caller{e.admin, {TenantID: e.boot.Tenant.ID, AccountID: acc.ID, Session: "s1", Application: app}, {TenantID: e.boot.Tenant.ID}} {
		_, err = e.svc.SignUp(ctx, c, signUpInput("other"), "192.0.2.1")
		wantErr(t, err, domain.ErrNotFound)
	}
	// Not into the administrators application, nor another tenant's.
	onAdmin := pub
	onAdmin.Application = e.boot.AdminApp.ID
	_, err = e.svc.SignUp(ctx, onAdmin, signUpInput("sneaky"), "192.0.2.1")
	wantErr(t, err, domain.ErrNotFound)
	// A disabled application is closed too.
	if _, err := e.svc.UpdateApplication(ctx, e.admin, app, domain.ApplicationInput{Status: ptr(domain.StatusDisabled)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.SignUp(ctx, pub, signUpInput("late"), "192.0.2.1")
	wantErr(t, err, domain.ErrSignUpClosed)
}

// One source gets 10 sign-ups in 15 minutes; then it waits, and others
// do not notice.
func TestSignUpThrottle(t *testing.T) {
	e, _ := signUpEnv(t)
	ctx := context.Background()
	pub := e.publicCaller()
	for i := range 10 {
		if _, err := e.svc.SignUp(ctx, pub, signUpInput("dev"+string(rune('a'+i))), "192.0.2.7"); err != nil {
			t.Fatalf("sign-up %d: %v", i, err)
		}
	}
	events := e.eventCount(t)
	_, err := e.svc.SignUp(ctx, pub, signUpInput("eleventh"), "192.0.2.7")
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindThrottled || de.RetryAfter <= 0 || de.RetryAfter > 15*time.Minute {
		t.Fatalf("eleventh: %v", err)
	}
	if e.eventCount(t) != events {
		t.Fatal("a throttled sign-up wrote")
	}
	// The same address written another way counts the same.
	_, err = e.svc.SignUp(ctx, pub, signUpInput("mapped"), "::ffff:192.0.2.7")
	wantKind(t, err, domain.KindThrottled)
	if _, err := e.svc.SignUp(ctx, pub, signUpInput("neighbour"), "192.0.2.8"); err != nil {
		t.Fatalf("another source: %v", err)
	}
	e.clock.Advance(15 * time.Minute)
	if _, err := e.svc.SignUp(ctx, pub, signUpInput("later"), "192.0.2.7"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

// sessionOf is the session caller of an account (its session id need
// not exist for what is tested with it).
func (e *env) sessionOf(acc *domain.Account, session string) domain.Caller {
	return domain.Caller{TenantID: e.boot.Tenant.ID, AccountID: acc.ID, Session: session}
}

func TestUpdateProfile(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc := e.account(t, "tk421")
	self := e.sessionOf(acc, "s1")
	// Names need nothing more.
	got, err := e.svc.UpdateProfile(ctx, self, domain.ProfileInput{GivenName: ptr("Finn"), Surname: ptr("FN-2187")})
	if err != nil || got.GivenName != "Finn" || got.Surname != "FN-2187" || got.Email != acc.Email {
		t.Fatalf("names: %v %+v", err, got)
	}
	// Nothing changed: nothing recorded.
	events := e.eventCount(t)
	if _, err := e.svc.UpdateProfile(ctx, self, domain.ProfileInput{GivenName: ptr("Finn"), Email: ptr(acc.Email)}); err != nil || e.eventCount(t) != events {
		t.Fatalf("unchanged: %v, %d events", err, e.eventCount(t)-events)
	}
	// An email needs the current password.
	_, err = e.svc.UpdateProfile(ctx, self, domain.ProfileInput{Email: ptr("finn@example.com")})
	wantCode(t, err, domain.KindInvalid, domain.CodeRequired, "currentPassword")
	_, err = e.svc.UpdateProfile(ctx, self, domain.ProfileInput{Email: ptr("finn@example.com"), GivenName: ptr("Other"), CurrentPassword: "Wrong1234", Source: "192.0.2.1"})
	wantErr(t, err, domain.ErrCurrentPassword)
	wantCode(t, err, domain.KindInvalid, domain.CodeInvalidValue, "currentPassword")
	if e.eventCount(t) != events {
		t.Fatal("a wrong password changed something")
	}
	// Validation is UpdateAccount's.
	_, err = e.svc.UpdateProfile(ctx, self, domain.ProfileInput{Email: ptr("not an address"), CurrentPassword: "Changeme1"})
	wantKind(t, err, domain.KindInvalid)
	other := e.account(t, "other")
	_, err = e.svc.UpdateProfile(ctx, self, domain.ProfileInput{Email: ptr(other.Email), CurrentPassword: "Changeme1"})
	wantKind(t, err, domain.KindConflict)
	got, err = e.svc.UpdateProfile(ctx, self, domain.ProfileInput{Email: ptr("finn@example.com"), CurrentPassword: "Changeme1", Source: "192.0.2.1"})
	if err != nil || got.Email != "finn@example.com" || got.Username != acc.Username || got.GivenName != "Finn" {
		t.Fatalf("email: %v %+v", err, got)
	}
	if !e.eventsHold(t, `"actor":"session/s1"`) {
		t.Fatal("the profile's event does not name the session")
	}
	// Only a session caller, for its own account.
	for _, c := range []domain.Caller{e.admin, e.publicCaller(), {TenantID: e.boot.Tenant.ID, AccountID: acc.ID}} {
		_, err = e.svc.UpdateProfile(ctx, c, domain.ProfileInput{GivenName: ptr("X")})
		wantErr(t, err, domain.ErrNotFound)
	}
}

// Wrong current passwords count in the login throttle, per account and
// source.
func TestCurrentPasswordThrottled(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc := e.account(t, "tk421")
	self := e.sessionOf(acc, "s1")
	for range 10 {
		_, err := e.svc.ChangePassword(ctx, self, "Wrong1234", "Newpassw0rd", "192.0.2.1")
		wantErr(t, err, domain.ErrCurrentPassword)
	}
	_, err := e.svc.ChangePassword(ctx, self, "Wrong1234", "Newpassw0rd", "192.0.2.1")
	wantErr(t, err, domain.ErrCurrentPassword) // the 11th failure starts the wait
	_, err = e.svc.ChangePassword(ctx, self, "Changeme1", "Newpassw0rd", "192.0.2.1")
	wantKind(t, err, domain.KindThrottled)
	_, err = e.svc.UpdateProfile(ctx, self, domain.ProfileInput{Email: ptr("finn@example.com"), CurrentPassword: "Changeme1", Source: "192.0.2.1"})
	wantKind(t, err, domain.KindThrottled)
	// A login from there is held up as well: the same throttle.
	_, err = e.svc.Login(ctx, e.admin, e.boot.Application.ID, domain.LoginAttempt{Type: "basic", Value: basic("tk421", "Changeme1"), Source: "192.0.2.1"})
	wantKind(t, err, domain.KindThrottled)
}

func TestChangePassword(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc := e.account(t, "tk421")
	self := e.sessionOf(acc, "s1")
	events := e.eventCount(t)
	_, err := e.svc.ChangePassword(ctx, self, "Wrong1234", "Newpassw0rd", "")
	wantErr(t, err, domain.ErrCurrentPassword)
	_, err = e.svc.ChangePassword(ctx, self, "Changeme1", "weak", "")
	wantKind(t, err, domain.KindInvalid)
	if e.eventCount(t) != events {
		t.Fatal("a refused change wrote")
	}
	for _, c := range []domain.Caller{e.admin, e.publicCaller()} {
		_, err = e.svc.ChangePassword(ctx, c, "Changeme1", "Newpassw0rd", "")
		wantErr(t, err, domain.ErrNotFound)
	}
	got, err := e.svc.ChangePassword(ctx, self, "Changeme1", "Newpassw0rd", "192.0.2.1")
	if err != nil || !got.SessionsValidAfter.After(acc.CreatedAt) {
		t.Fatalf("change: %v %+v", err, got)
	}
	app := e.boot.Application.ID
	if _, err := e.svc.Login(ctx, e.admin, app, domain.LoginAttempt{Type: "basic", Value: basic("tk421", "Changeme1")}); !errors.Is(err, domain.ErrLoginFailed) {
		t.Fatalf("old password: %v", err)
	}
	if _, err := e.svc.Login(ctx, e.admin, app, domain.LoginAttempt{Type: "basic", Value: basic("tk421", "Newpassw0rd")}); err != nil {
		t.Fatalf("new password: %v", err)
	}
}

// A session ends its own session (sign-out), no other.
func TestSignOut(t *testing.T) {
	g := setupGrant(t)
	ctx := context.Background()
	mine, err := g.password("fn2187", "Changeme1")
	if err != nil {
		t.Fatal(err)
	}
	second, err := g.password("fn2187", "Changeme1")
	if err != nil {
		t.Fatal(err)
	}
	other := g.account(t, "tk421")
	theirs, err := g.password("tk421", "Changeme1")
	if err != nil {
		t.Fatal(err)
	}
	self := g.sessionOf(g.acc, mine.Session.ID)
	// Another session, of its own account or another's: 404.
	wantErr(t, g.svc.DeleteRefreshToken(ctx, self, second.Session.ID), domain.ErrNotFound)
	wantErr(t, g.svc.DeleteRefreshToken(ctx, self, theirs.Session.ID), domain.ErrNotFound)
	// Another account claiming this session's id.
	forged := g.sessionOf(other, mine.Session.ID)
	wantErr(t, g.svc.DeleteRefreshToken(ctx, forged, mine.Session.ID), domain.ErrNotFound)
	wantErr(t, g.svc.DeleteRefreshToken(ctx, g.publicCaller(), mine.Session.ID), domain.ErrForbidden)
	if err := g.svc.DeleteRefreshToken(ctx, self, mine.Session.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := g.svc.GetRefreshToken(ctx, g.admin, mine.Session.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("signed-out session still there: %v", err)
	}
	for _, id := range []string{second.Session.ID, theirs.Session.ID} {
		if _, err := g.svc.GetRefreshToken(ctx, g.admin, id); err != nil {
			t.Fatalf("session %s ended: %v", id, err)
		}
	}
	// Admins as before.
	if err := g.svc.DeleteRefreshToken(ctx, g.admin, theirs.Session.ID); err != nil {
		t.Fatal(err)
	}
}

// What the console's key page does with a session caller: its own keys
// only.
func TestSessionManagesOwnKeys(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc := e.account(t, "tk421")
	self := e.sessionOf(acc, "s1")
	other := e.account(t, "other")
	theirs, err := e.svc.CreateAPIKey(ctx, e.admin, other.ID, domain.APIKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	expiry := e.clock.Now().Add(48 * time.Hour)
	made, err := e.svc.CreateAPIKey(ctx, self, acc.ID, domain.APIKeyInput{Name: ptr("laptop"), Expiry: &domain.Expiry{At: expiry}})
	if err != nil || made.Secret == "" || made.Key.Name != "laptop" || !made.Key.ExpiresAt.Equal(expiry.Truncate(time.Second)) || made.Key.AccountID != acc.ID {
		t.Fatalf("create: %v %+v", err, made.Key)
	}
	_, err = e.svc.CreateAPIKey(ctx, self, other.ID, domain.APIKeyInput{})
	wantErr(t, err, domain.ErrNotFound)
	list, err := e.svc.ListAPIKeys(ctx, self, acc.ID, domain.Page{})
	if err != nil || len(list.Items) != 1 || list.Items[0].ID != made.Key.ID {
		t.Fatalf("list: %v %+v", err, list)
	}
	_, err = e.svc.ListAPIKeys(ctx, self, other.ID, domain.Page{})
	wantErr(t, err, domain.ErrNotFound)
	up, err := e.svc.UpdateAPIKey(ctx, self, made.Key.ID, domain.APIKeyInput{Name: ptr("desk"), Status: ptr(domain.StatusDisabled)})
	if err != nil || up.Name != "desk" || up.Status != domain.StatusDisabled {
		t.Fatalf("update: %v %+v", err, up)
	}
	re, err := e.svc.RerollAPIKey(ctx, self, made.Key.ID, 0)
	if err != nil || re.Secret == "" || re.Secret == made.Secret {
		t.Fatalf("reroll: %v", err)
	}
	use, err := e.svc.APIKeyUsage(ctx, self, made.Key.ID)
	if err != nil || use.Key.ID != made.Key.ID {
		t.Fatalf("usage: %v", err)
	}
	if last, err := e.svc.LastUsed(ctx, list.Items); err != nil || len(last) != 0 {
		t.Fatalf("last used: %v %v", err, last)
	}
	// Another account's key: 404 for every command, and it is unchanged.
	_, err = e.svc.GetAPIKey(ctx, self, theirs.Key.ID)
	wantErr(t, err, domain.ErrNotFound)
	_, err = e.svc.UpdateAPIKey(ctx, self, theirs.Key.ID, domain.APIKeyInput{Name: ptr("mine")})
	wantErr(t, err, domain.ErrNotFound)
	_, err = e.svc.RerollAPIKey(ctx, self, theirs.Key.ID, 0)
	wantErr(t, err, domain.ErrNotFound)
	_, err = e.svc.APIKeyUsage(ctx, self, theirs.Key.ID)
	wantErr(t, err, domain.ErrNotFound)
	wantErr(t, e.svc.DeleteAPIKey(ctx, self, theirs.Key.ID), domain.ErrNotFound)
	if k, err := e.svc.GetAPIKey(ctx, e.admin, theirs.Key.ID); err != nil || k.Name != "" || k.Generation != 0 {
		t.Fatalf("another account's key changed: %v %+v", err, k)
	}
	if err := e.svc.DeleteAPIKey(ctx, self, made.Key.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.GetAPIKey(ctx, self, made.Key.ID)
	wantErr(t, err, domain.ErrNotFound)
}

// The console's verification landing names the account without using
// the token, for its own application's public caller only.
func TestGetVerificationToken(t *testing.T) {
	e, m := mailEnv(t)
	ctx := context.Background()
	app := e.boot.Application.ID
	pub := e.publicCaller()
	if _, err := e.svc.SetAccountCreationPolicy(ctx, e.admin, app, domain.AccountCreationPolicyInput{
		SelfRegistrationStatus: ptr("ENABLED"), VerificationEmailStatus: ptr("ENABLED")}); err != nil {
		t.Fatal(err)
	}
	acc, err := e.svc.SignUp(ctx, pub, signUpInput("rey"), "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	raw := lastToken(t, m, pageToken)
	for range 2 { // looking does not use it
		if got, err := e.svc.GetVerificationToken(ctx, pub, raw); err != nil || got.ID != acc.ID {
			t.Fatalf("peek: %v %+v", err, got)
		}
	}
	for _, c := range []domain.Caller{e.admin, {TenantID: e.boot.Tenant.ID, AccountID: acc.ID, Session: "s1"}} {
		_, err := e.svc.GetVerificationToken(ctx, c, raw)
		wantErr(t, err, domain.ErrNotFound)
	}
	other := "x" + raw[1:]
	if raw[0] == 'x' {
		other = "y" + raw[1:]
	}
	_, err = e.svc.GetVerificationToken(ctx, pub, other)
	wantErr(t, err, domain.ErrNotFound)
	if _, err := e.svc.VerifyEmail(ctx, pub, raw); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.GetVerificationToken(ctx, pub, raw)
	wantErr(t, err, domain.ErrNotFound)
}
