package domain_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// memMailer keeps what was sent.
type memMailer struct {
	mu   sync.Mutex
	sent []domain.Message
}

func (m *memMailer) Send(_ context.Context, msg domain.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return nil
}

func (m *memMailer) all() []domain.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]domain.Message(nil), m.sent...)
}

var resetLink = regexp.MustCompile(`/passwordResetTokens/([A-Za-z0-9_-]{43})\b`)
var verifyLink = regexp.MustCompile(`/emailVerificationTokens/([A-Za-z0-9_-]{43})\b`)

// lastToken returns the token of the last mail, which must match re.
func lastToken(t *testing.T, m *memMailer, re *regexp.Regexp) string {
	t.Helper()
	sent := m.all()
	if len(sent) == 0 {
		t.Fatal("no mail")
	}
	got := re.FindStringSubmatch(sent[len(sent)-1].Text)
	if got == nil {
		t.Fatalf("no link in %q", sent[len(sent)-1].Text)
	}
	return got[1]
}

// mailEnv is setup with a mailer, no padding, and a base URL.
func mailEnv(t *testing.T) (*env, *memMailer) {
	e := setup(t)
	m := &memMailer{}
	e.svc.Mailer = m
	e.svc.MailFloor = 0
	e.admin.LinkBase = "https://keystorm.example/prod"
	return e, m
}

// eventsHold reports whether any stored event or state mentions s.
func (e *env) eventsHold(t *testing.T, s string) bool {
	t.Helper()
	streams, err := e.h.Store.ReadEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(streams)
	return strings.Contains(string(raw), s)
}

func TestPasswordReset(t *testing.T) {
	e, m := mailEnv(t)
	ctx := context.Background()
	app := e.boot.Application.ID
	acc := e.account(t, "tk421")

	// An unknown address: the same nil, and no mail.
	if err := e.svc.RequestPasswordReset(ctx, e.admin, app, "nobody@example.com"); err != nil || len(m.all()) != 0 {
		t.Fatalf("unknown: %v, %d mails", err, len(m.all()))
	}
	if err := e.svc.RequestPasswordReset(ctx, e.admin, app, "TK421@Example.com"); err != nil {
		t.Fatal(err)
	}
	sent := m.all()
	if len(sent) != 1 || sent[0].To != acc.Email || !strings.Contains(sent[0].Text, "https://keystorm.example/prod/v1/applications/"+app+"/passwordResetTokens/") {
		t.Fatalf("mail %+v", sent)
	}
	first := lastToken(t, m, resetLink)
	if e.eventsHold(t, first) {
		t.Fatal("the raw token is in the event log")
	}
	got, err := e.svc.GetPasswordResetToken(ctx, e.admin, app, first)
	if err != nil || got.ID != acc.ID {
		t.Fatalf("validate: %v %+v", err, got)
	}
	// A new request kills the first token.
	if err := e.svc.RequestPasswordReset(ctx, e.admin, app, acc.Email); err != nil {
		t.Fatal(err)
	}
	second := lastToken(t, m, resetLink)
	_, err = e.svc.GetPasswordResetToken(ctx, e.admin, app, first)
	wantKind(t, err, domain.KindNotFound)

	// A weak password is refused and the token stays.
	_, err = e.svc.ResetPassword(ctx, e.admin, app, second, "weak")
	wantKind(t, err, domain.KindInvalid)
	done, err := e.svc.ResetPassword(ctx, e.admin, app, second, "Newpassw0rd")
	if err != nil || !done.SessionsValidAfter.After(acc.CreatedAt) || done.ResetTokenHash != "" {
		t.Fatalf("reset: %v %+v", err, done)
	}
	if _, err := e.svc.Login(ctx, e.admin, app, domain.LoginAttempt{Type: "basic", Value: basic("tk421", "Newpassw0rd")}); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	if sent := m.all(); len(sent) != 3 || !strings.Contains(sent[2].Subject, "password was changed") || strings.Contains(sent[2].Text, second) {
		t.Fatalf("confirmation %+v", sent[len(sent)-1])
	}
	// Single use.
	_, err = e.svc.ResetPassword(ctx, e.admin, app, second, "Otherpassw0rd")
	wantKind(t, err, domain.KindNotFound)
	_, err = e.svc.GetPasswordResetToken(ctx, e.admin, app, second)
	wantKind(t, err, domain.KindNotFound)
	// Malformed tokens are not found either.
	for _, bad := range []string{"", "x", strings.Repeat("A", 42), strings.Repeat("*", 43)} {
		_, err = e.svc.GetPasswordResetToken(ctx, e.admin, app, bad)
		wantKind(t, err, domain.KindNotFound)
	}
}

func TestPasswordResetExpiresPerPolicy(t *testing.T) {
	e, m := mailEnv(t)
	ctx := context.Background()
	app := e.boot.Application.ID
	acc := e.account(t, "tk421")
	if _, err := e.svc.SetPasswordPolicy(ctx, e.admin, app, domain.PasswordPolicyInput{ResetTokenTTLHours: func() *int { n := 2; return &n }()}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RequestPasswordReset(ctx, e.admin, app, acc.Email); err != nil {
		t.Fatal(err)
	}
	tok := lastToken(t, m, resetLink)
	if !strings.Contains(m.all()[0].Text, "within 2 hours") {
		t.Fatalf("mail %q", m.all()[0].Text)
	}
	e.clock.Advance(time.Hour + 50*time.Minute)
	if _, err := e.svc.GetPasswordResetToken(ctx, e.admin, app, tok); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	e.clock.Advance(10 * time.Minute)
	_, err := e.svc.GetPasswordResetToken(ctx, e.admin, app, tok)
	wantKind(t, err, domain.KindNotFound)
	_, err = e.svc.ResetPassword(ctx, e.admin, app, tok, "Newpassw0rd")
	wantKind(t, err, domain.KindNotFound)
}

// Another tenant's caller, or the token under another application, finds
// nothing; a disabled account gets no mail; a policy without reset mails
// refuses every address alike; a link base URL makes the link.
func TestPasswordResetBoundaries(t *testing.T) {
	e, m := mailEnv(t)
	ctx := context.Background()
	app := e.boot.Application.ID
	acc := e.account(t, "tk421")
	other, err := e.svc.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	stranger := domain.Caller{TenantID: other.Tenant.ID, AccountID: other.Admin.ID, KeyID: other.AdminKey.ID, Admin: true}
	err = e.svc.RequestPasswordReset(ctx, stranger, app, acc.Email)
	wantKind(t, err, domain.KindNotFound)
	second, err := e.svc.CreateApplication(ctx, e.admin, domain.ApplicationInput{Name: ptr("Second")})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RequestPasswordReset(ctx, e.admin, app, acc.Email); err != nil {
		t.Fatal(err)
	}
	tok := lastToken(t, m, resetLink)
	_, err = e.svc.GetPasswordResetToken(ctx, stranger, other.Application.ID, tok)
	wantKind(t, err, domain.KindNotFound)
	_, err = e.svc.GetPasswordResetToken(ctx, e.admin, second.ID, tok)
	wantKind(t, err, domain.KindNotFound)

	// Disabled: the same nil, no mail; the live token dies with it.
	if _, err := e.svc.UpdateAccount(ctx, e.admin, acc.ID, domain.AccountInput{Status: ptr(domain.StatusDisabled)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.GetPasswordResetToken(ctx, e.admin, app, tok)
	wantKind(t, err, domain.KindNotFound)
	n := len(m.all())
	if err := e.svc.RequestPasswordReset(ctx, e.admin, app, acc.Email); err != nil || len(m.all()) != n {
		t.Fatalf("disabled: %v, %d mails", err, len(m.all())-n)
	}

	// Bad policy input: nothing changes.
	before, _ := e.svc.GetMailPolicies(ctx, e.admin, app)
	for _, in := range []domain.PasswordPolicyInput{
		{ResetTokenTTLHours: func() *int { n := 0; return &n }()},
		{ResetTokenTTLHours: func() *int { n := 169; return &n }()},
		{ResetEmailStatus: ptr("enabled")},
		{LinkBaseURL: ptr("http://galacticempire.co/reset")},
		{LinkBaseURL: ptr("https://user:pw@galacticempire.co/reset")},
		{LinkBaseURL: ptr("https://galacticempire.co/reset#x")},
		{LinkBaseURL: ptr("/reset")},
		{LinkBaseURL: ptr("javascript:alert(1)")},
	} {
		_, err := e.svc.SetPasswordPolicy(ctx, e.admin, app, in)
		wantKind(t, err, domain.KindInvalid)
	}
	if after, _ := e.svc.GetMailPolicies(ctx, e.admin, app); after.Version() != before.Version() {
		t.Fatalf("a refused policy wrote: v%d -> v%d", before.Version(), after.Version())
	}

	// A link base URL: ?sptoken= on it; http for localhost is fine.
	if _, err := e.svc.UpdateAccount(ctx, e.admin, acc.ID, domain.AccountInput{Status: ptr(domain.StatusEnabled)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetPasswordPolicy(ctx, e.admin, app, domain.PasswordPolicyInput{LinkBaseURL: ptr("http://localhost:8080/reset")}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RequestPasswordReset(ctx, e.admin, app, acc.Email); err != nil {
		t.Fatal(err)
	}
	if txt := m.all()[len(m.all())-1].Text; !regexp.MustCompile(`http://localhost:8080/reset\?sptoken=[A-Za-z0-9_-]{43}\n`).MatchString(txt) {
		t.Fatalf("link in %q", txt)
	}

	// Reset mails off: refused for every address, before any lookup.
	if _, err := e.svc.SetPasswordPolicy(ctx, e.admin, app, domain.PasswordPolicyInput{ResetEmailStatus: ptr("DISABLED")}); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{acc.Email, "nobody@example.com"} {
		err := e.svc.RequestPasswordReset(ctx, e.admin, app, addr)
		wantCode(t, err, domain.KindConflict, domain.CodeMailDisabled, "resetEmailStatus")
	}
	// No mailer: refused for every address alike, nothing written.
	e.svc.Mailer = nil
	if _, err := e.svc.SetPasswordPolicy(ctx, e.admin, app, domain.PasswordPolicyInput{ResetEmailStatus: ptr("ENABLED")}); err != nil {
		t.Fatal(err)
	}
	events := e.eventCount(t)
	for _, addr := range []string{acc.Email, "nobody@example.com"} {
		err := e.svc.RequestPasswordReset(ctx, e.admin, app, addr)
		wantCode(t, err, domain.KindUnavailable, domain.CodeMailUnavailable, "")
	}
	if e.eventCount(t) != events {
		t.Fatal("a refused request wrote")
	}
}

// sleeps records the padding asked for.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
}

// A known and an unknown address do the same reads before the decision,
// and both are padded to the floor as the Clock tells elapsed time: the
// known one's write and mail fall inside it. Counted, not timed.
func TestPasswordResetEqualWork(t *testing.T) {
	e, m := mailEnv(t)
	ctx := context.Background()
	app := e.boot.Application.ID
	acc := e.account(t, "tk421")
	cs := &countingStore{Store: e.svc.Store}
	e.svc.Store = cs
	var sl sleeps
	e.svc.MailFloor, e.svc.Sleep = 500*time.Millisecond, sl.sleep
	type reads struct{ owner, load, loadMany, commit int64 }
	measure := func(addr string) reads {
		cs.owner.Store(0)
		cs.load.Store(0)
		cs.loadMany.Store(0)
		cs.commit.Store(0)
		if err := e.svc.RequestPasswordReset(ctx, e.admin, app, addr); err != nil {
			t.Fatal(err)
		}
		return reads{cs.owner.Load(), cs.load.Load(), cs.loadMany.Load(), cs.commit.Load()}
	}
	unknown := measure("nobody@example.com")
	known := measure(acc.Email)
	// Known: the same lookup, then the command's own load and commit.
	if want := (reads{unknown.owner, unknown.load + 1, unknown.loadMany + 1, 1}); known != want || unknown.commit != 0 {
		t.Fatalf("unknown %+v, known %+v (want %+v)", unknown, known, want)
	}
	if len(m.all()) != 1 || len(sl.d) != 2 {
		t.Fatalf("%d mails, %d pads", len(m.all()), len(sl.d))
	}
	// The fake clock moves a millisecond a reading: each pad is the floor
	// less the readings taken, so both requests end at the floor.
	for i, d := range sl.d {
		if d <= 0 || d > 500*time.Millisecond || d < 400*time.Millisecond {
			t.Fatalf("pad %d: %v", i, d)
		}
	}
}

func TestEmailVerification(t *testing.T) {
	e, m := mailEnv(t)
	ctx := context.Background()
	app := e.boot.Application.ID
	// Off (the default): new accounts are ENABLED, no mail.
	if acc := e.account(t, "before"); acc.Status != domain.StatusEnabled || len(m.all()) != 0 || acc.IssuedVerificationToken != "" {
		t.Fatalf("policy off: %+v, %d mails", acc, len(m.all()))
	}
	pol, err := e.svc.SetAccountCreationPolicy(ctx, e.admin, app, domain.AccountCreationPolicyInput{VerificationEmailStatus: ptr("ENABLED"), VerificationSuccessEmailStatus: ptr("ENABLED")})
	if err != nil || !pol.VerificationEmailOn {
		t.Fatalf("policy: %v", err)
	}
	acc := e.account(t, "tk421")
	if acc.Status != domain.StatusUnverified || acc.IssuedVerificationToken == "" || acc.VerificationTokenHash == "" {
		t.Fatalf("created %+v", acc)
	}
	tok := lastToken(t, m, verifyLink)
	if tok != acc.IssuedVerificationToken || e.eventsHold(t, tok) {
		t.Fatalf("mail token %q, create %q, or the log holds it", tok, acc.IssuedVerificationToken)
	}
	// Read back, the account holds no live link (only the hash).
	if got, _ := e.svc.GetAccount(ctx, e.admin, acc.ID); got.IssuedVerificationToken != "" {
		t.Fatal("token on a read")
	}
	// An admin's explicit status wins over the policy.
	if a := newLoginAccount(t, e, "explicit", domain.StatusEnabled); a.Status != domain.StatusEnabled {
		t.Fatalf("explicit %+v", a)
	}
	// Resend: unknown and enabled logins get the same nil and no mail;
	// the UNVERIFIED one a fresh link, and the old one dies.
	n := len(m.all())
	for _, login := range []string{"nobody", "explicit"} {
		if err := e.svc.ResendVerification(ctx, e.admin, app, login); err != nil || len(m.all()) != n {
			t.Fatalf("resend %s: %v, %d mails", login, err, len(m.all())-n)
		}
	}
	if err := e.svc.ResendVerification(ctx, e.admin, app, "tk421@example.com"); err != nil {
		t.Fatal(err)
	}
	fresh := lastToken(t, m, verifyLink)
	_, err = e.svc.VerifyEmail(ctx, e.admin, tok)
	wantKind(t, err, domain.KindNotFound)
	// Another tenant cannot use it.
	other, err := e.svc.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.VerifyEmail(ctx, domain.Caller{TenantID: other.Tenant.ID, Admin: true}, fresh)
	wantKind(t, err, domain.KindNotFound)
	got, err := e.svc.VerifyEmail(ctx, e.admin, fresh)
	if err != nil || got.Status != domain.StatusEnabled || got.VerificationTokenHash != "" {
		t.Fatalf("verify: %v %+v", err, got)
	}
	if last := m.all()[len(m.all())-1]; !strings.Contains(last.Subject, "is verified") {
		t.Fatalf("confirmation %+v", last)
	}
	_, err = e.svc.VerifyEmail(ctx, e.admin, fresh)
	wantKind(t, err, domain.KindNotFound)
	// Verification links expire too.
	late := e.account(t, "late")
	e.clock.Advance(domain.VerificationTokenTTL)
	_, err = e.svc.VerifyEmail(ctx, e.admin, late.IssuedVerificationToken)
	wantKind(t, err, domain.KindNotFound)
}

// A password reset proves the mailbox: an UNVERIFIED account is verified
// by it.
func TestResetVerifiesUnverified(t *testing.T) {
	e, m := mailEnv(t)
	ctx := context.Background()
	app := e.boot.Application.ID
	acc := newLoginAccount(t, e, "tk421", domain.StatusUnverified)
	if acc.IssuedVerificationToken == "" || len(m.all()) != 0 {
		t.Fatalf("explicit UNVERIFIED with the policy off: %+v, %d mails", acc, len(m.all()))
	}
	if err := e.svc.RequestPasswordReset(ctx, e.admin, app, acc.Email); err != nil {
		t.Fatal(err)
	}
	done, err := e.svc.ResetPassword(ctx, e.admin, app, lastToken(t, m, resetLink), "Newpassw0rd")
	if err != nil || done.Status != domain.StatusEnabled || done.VerificationTokenHash != "" {
		t.Fatalf("reset: %v %+v", err, done)
	}
	_, err = e.svc.VerifyEmail(ctx, e.admin, acc.IssuedVerificationToken)
	wantKind(t, err, domain.KindNotFound)
}

// With verification on and no mailer, no account is created.
func TestVerificationNeedsMailer(t *testing.T) {
	e, _ := mailEnv(t)
	ctx := context.Background()
	app := e.boot.Application.ID
	if _, err := e.svc.SetAccountCreationPolicy(ctx, e.admin, app, domain.AccountCreationPolicyInput{VerificationEmailStatus: ptr("ENABLED")}); err != nil {
		t.Fatal(err)
	}
	e.svc.Mailer = nil
	events := e.eventCount(t)
	_, err := e.svc.CreateAccount(ctx, e.admin, app, domain.AccountInput{Username: ptr("tk421"), Email: ptr("tk421@example.com"), Password: ptr("Changeme1")})
	wantCode(t, err, domain.KindUnavailable, domain.CodeMailUnavailable, "")
	if e.eventCount(t) != events {
		t.Fatal("an account was created without its verification mail")
	}
	for _, in := range []domain.AccountCreationPolicyInput{{VerificationEmailStatus: ptr("on")}, {LinkBaseURL: ptr("ftp://x.co")}} {
		_, err := e.svc.SetAccountCreationPolicy(ctx, e.admin, app, in)
		wantKind(t, err, domain.KindInvalid)
	}
}
