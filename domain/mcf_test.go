package domain_test

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// vector is Stormpath's published stormpath2 example: "123456".
const vector = "$stormpath2$MD5$1$OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=$ULWTW74NXPyLYj3VfYHWrg=="

func bcryptOf(t testing.TB, password, prefix string) string {
	t.Helper()
	made, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return prefix + string(made[4:])
}

// importCases are imported hashes with their passwords, none of which
// meets the default policy: the policy does not apply to a hash.
func importCases(t testing.TB) map[string][2]string {
	return map[string][2]string{
		"vector":      {vector, "123456"},
		"sha256x1000": {domain.Stormpath2Hash("SHA-256", sha256.New, 1000, []byte("pepper"), "sesame"), "sesame"},
		"sha512x3":    {domain.Stormpath2Hash("SHA-512", sha512.New, 3, []byte("grain of salt"), "hunter2"), "hunter2"},
		"bcrypt2a":    {bcryptOf(t, "password", "$2a$"), "password"},
		"bcrypt2b":    {bcryptOf(t, "letmein", "$2b$"), "letmein"},
		"bcrypt2y":    {bcryptOf(t, "qwerty", "$2y$"), "qwerty"},
	}
}

func (e *env) importAccount(t testing.TB, username, mcf, format string) (*domain.Account, error) {
	t.Helper()
	return e.svc.CreateAccount(context.Background(), e.admin, e.boot.Application.ID, domain.AccountInput{
		Username: ptr(username), Email: ptr(username + "@example.com"), Password: ptr(mcf), PasswordFormat: format})
}

// streamTypes lists the event types of one account's stream.
func (e *env) streamTypes(t *testing.T, accountID string) []string {
	t.Helper()
	streams, err := e.h.Store.ReadEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, env := range streams["account#"+accountID] {
		types = append(types, env.Type)
	}
	return types
}

// TestImportedHashLogin: an account created with each imported hash
// logs in with its password (and not another), and the first login
// re-hashes it to argon2id in the login's own commit, without moving
// modifiedAt or ending anything; later logins verify the argon2id hash.
func TestImportedHashLogin(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	app := e.boot.Application.ID
	login := func(user, pw string) (*domain.Account, error) {
		return e.svc.Login(ctx, e.admin, app, domain.LoginAttempt{Type: "basic", Value: basic(user, pw), Source: "192.0.2.1"})
	}
	for name, c := range importCases(t) {
		format := "mcf"
		if name == "vector" {
			format = "MCF" // as Stormpath's Node SDK sent it
		}
		acc, err := e.importAccount(t, name, c[0], format)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if acc.PasswordHash != c[0] {
			t.Fatalf("%s: stored %q", name, acc.PasswordHash)
		}
		if _, err := login(name, c[1]+"!"); loginCode(err) != domain.CodeLoginFailed {
			t.Fatalf("%s, wrong password: %v", name, err)
		}
		got, err := login(name, c[1])
		if err != nil || got.ID != acc.ID {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.HasPrefix(got.PasswordHash, "$argon2id$") || got.Version() != acc.Version()+2 ||
			!got.ModifiedAt.Equal(acc.ModifiedAt) || !got.SessionsValidAfter.Equal(acc.SessionsValidAfter) {
			t.Fatalf("%s after the first login: hash %q, version %d (was %d), modifiedAt %v (was %v)", name,
				got.PasswordHash, got.Version(), acc.Version(), got.ModifiedAt, acc.ModifiedAt)
		}
		types := e.streamTypes(t, acc.ID)
		if want := []string{events.TypeLoginSucceeded, events.TypeAccountPasswordRehashed}; strings.Join(types[len(types)-2:], " ") != strings.Join(want, " ") {
			t.Fatalf("%s: events %v", name, types)
		}
		again, err := login(name, c[1])
		if err != nil || again.PasswordHash != got.PasswordHash || again.Version() != got.Version()+1 {
			t.Fatalf("%s, second login: %v, version %d", name, err, again.Version())
		}
		if _, err := login(name, c[1]+"!"); loginCode(err) != domain.CodeLoginFailed {
			t.Fatalf("%s, wrong password after the rehash: %v", name, err)
		}
	}
}

// TestImportedHashRefusedLoginNoRehash: the right password of a
// disabled account with an imported hash is refused as any is, and the
// hash stays until a login succeeds.
func TestImportedHashRefusedLoginNoRehash(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc, err := e.importAccount(t, "imported", vector, "mcf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateAccount(ctx, e.admin, acc.ID, domain.AccountInput{Status: ptr(domain.StatusDisabled)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Login(ctx, e.admin, e.boot.Application.ID, domain.LoginAttempt{Type: "basic", Value: basic("imported", "123456")})
	if loginCode(err) != domain.CodeLoginDisabled {
		t.Fatalf("disabled: %v", err)
	}
	if got, _ := e.svc.GetAccount(ctx, e.admin, acc.ID); got.PasswordHash != vector {
		t.Fatalf("re-hashed on a refused login: %q", got.PasswordHash)
	}
}

// TestImportedHashEqualWork: an imported hash is checked with the dummy
// argon2id hash besides, so a cheap one (MD5, once) costs no less than
// an unknown user; and a wrong password writes nothing and re-hashes
// nothing.
func TestImportedHashEqualWork(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	if _, err := e.importAccount(t, "imported", vector, "mcf"); err != nil {
		t.Fatal(err)
	}
	h := &countingHasher{PasswordHasher: cheapHasher}
	e.svc.Hasher = h
	if _, err := e.svc.Login(ctx, e.admin, e.boot.Application.ID, domain.LoginAttempt{Type: "basic", Value: basic("nobody", "x")}); loginCode(err) != domain.CodeLoginFailed {
		t.Fatal(err) // (makes the dummy hash)
	}
	for _, user := range []string{"imported", "nobody"} {
		h.hash.Store(0)
		h.verify.Store(0)
		_, err := e.svc.Login(ctx, e.admin, e.boot.Application.ID, domain.LoginAttempt{Type: "basic", Value: basic(user, "654321")})
		if loginCode(err) != domain.CodeLoginFailed || h.verify.Load() != 1 || h.hash.Load() != 0 {
			t.Errorf("%s, wrong password: %v, %d argon2id checks, %d hashes", user, err, h.verify.Load(), h.hash.Load())
		}
	}
	// The right one: the check, and one hash for the rehash.
	h.hash.Store(0)
	h.verify.Store(0)
	if _, err := e.svc.Login(ctx, e.admin, e.boot.Application.ID, domain.LoginAttempt{Type: "basic", Value: basic("imported", "123456")}); err != nil {
		t.Fatal(err)
	}
	if h.verify.Load() != 1 || h.hash.Load() != 1 {
		t.Errorf("right password: %d argon2id checks, %d hashes", h.verify.Load(), h.hash.Load())
	}
}

// TestImportedHashPasswordGrant: the password grant verifies an imported
// hash and re-hashes it in its commit; the session it started stays
// valid and refreshes, and the password still works.
func TestImportedHashPasswordGrant(t *testing.T) {
	for name, c := range importCases(t) {
		t.Run(name, func(t *testing.T) {
			e := setupGrant(t)
			acc, err := e.importAccount(t, "imported", c[0], "mcf")
			if err != nil {
				t.Fatal(err)
			}
			e.acc = acc
			if _, err := e.password("imported", c[1]+"!"); err == nil {
				t.Fatal("a wrong password signed in")
			}
			st, err := e.password("imported", c[1])
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.svc.GetAccount(context.Background(), e.admin, acc.ID)
			if err != nil || !strings.HasPrefix(got.PasswordHash, "$argon2id$") || !got.SessionsValidAfter.Equal(acc.SessionsValidAfter) {
				t.Fatalf("after the grant: %v %q", err, got.PasswordHash)
			}
			if !e.live(t, st.Signed) {
				t.Fatal("the rehash ended the session that signed in")
			}
			next, err := e.refresh(st.RefreshToken)
			if err != nil || !e.live(t, next.Signed) {
				t.Fatalf("refresh after the rehash: %v", err)
			}
			if _, err := e.password("imported", c[1]); err != nil {
				t.Fatalf("the password after the rehash: %v", err)
			}
		})
	}
}

// TestImportedHashCurrentPassword: the console's current-password check
// verifies an imported hash too.
func TestImportedHashCurrentPassword(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc, err := e.importAccount(t, "imported", bcryptOf(t, "old secret", "$2b$"), "mcf")
	if err != nil {
		t.Fatal(err)
	}
	self := e.sessionOf(acc, "s1")
	_, err = e.svc.ChangePassword(ctx, self, "wrong secret", "Newpassw0rd", "")
	wantErr(t, err, domain.ErrCurrentPassword)
	got, err := e.svc.ChangePassword(ctx, self, "old secret", "Newpassw0rd", "")
	if err != nil || !strings.HasPrefix(got.PasswordHash, "$argon2id$") {
		t.Fatalf("change: %v", err)
	}
}

// TestImportRefusals: bad hashes, an unknown format and a plaintext
// password that looks like a hash are 400s that store nothing.
func TestImportRefusals(t *testing.T) {
	e := setup(t)
	before := e.eventCount(t)
	tooMany := domain.Stormpath2Hash("SHA-256", sha256.New, 1, []byte("s"), "pw")
	tooMany = strings.Replace(tooMany, "$1$", "$1000001$", 1)
	for name, c := range map[string]struct {
		password, format string
		code             int
		field            string
	}{
		"stormpath1":       {"$stormpath1$c2FsdA==$aGFzaA==", "mcf", domain.CodeBadPasswordHash, "password"},
		"garbage":          {"garbage", "mcf", domain.CodeBadPasswordHash, "password"},
		"plaintext":        {"Changeme1", "mcf", domain.CodeBadPasswordHash, "password"},
		"iterations":       {tooMany, "mcf", domain.CodeBadPasswordHash, "password"},
		"truncated":        {vector[:len(vector)-4], "mcf", domain.CodeBadPasswordHash, "password"},
		"format":           {vector, "md5", domain.CodeInvalidQuery, "passwordFormat"},
		"looks like":       {vector, "", domain.CodeHashAsPassword, "password"},
		"looks like 2a":    {bcryptOf(t, "pw", "$2a$"), "", domain.CodeHashAsPassword, "password"},
		"looks like sp1":   {"$stormpath1$Abcdefgh1", "", domain.CodeHashAsPassword, "password"},
		"policy, no mcf":   {"123456", "", domain.CodeWeakPassword, "password"},
		"empty with mcf":   {"", "mcf", domain.CodeBadPasswordHash, "password"},
		"format, no value": {"Changeme1", "mcf ", domain.CodeInvalidQuery, "passwordFormat"},
	} {
		_, err := e.importAccount(t, "refused", c.password, c.format)
		wantCode(t, err, domain.KindInvalid, c.code, c.field)
		if strings.Contains(err.Error(), c.password) && len(c.password) > 12 {
			t.Errorf("%s: the error repeats the hash: %v", name, err)
		}
	}
	if n := e.eventCount(t); n != before {
		t.Fatalf("refusals wrote %d events", n-before)
	}
	acc := e.account(t, "updated")
	_, err := e.svc.UpdateAccount(context.Background(), e.admin, acc.ID, domain.AccountInput{Password: ptr("$stormpath1$x$y"), PasswordFormat: "mcf"})
	wantCode(t, err, domain.KindInvalid, domain.CodeBadPasswordHash, "password")
	_, err = e.svc.UpdateAccount(context.Background(), e.admin, acc.ID, domain.AccountInput{GivenName: ptr("X"), PasswordFormat: "sha"})
	wantCode(t, err, domain.KindInvalid, domain.CodeInvalidQuery, "passwordFormat")
	if got, _ := e.svc.GetAccount(context.Background(), e.admin, acc.ID); got.Version() != acc.Version() {
		t.Fatal("a refused update wrote")
	}
}

// TestImportOnUpdate: an admin's update sets an imported hash as a new
// password (AccountPasswordSet: every session ends), which the next
// login re-hashes.
func TestImportOnUpdate(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc := e.account(t, "tk421")
	mcf := domain.Stormpath2Hash("SHA-512", sha512.New, 10, []byte("salt"), "short")
	got, err := e.svc.UpdateAccount(ctx, e.admin, acc.ID, domain.AccountInput{Password: ptr(mcf), PasswordFormat: "mcf"})
	if err != nil || got.PasswordHash != mcf || !got.SessionsValidAfter.After(acc.CreatedAt) {
		t.Fatalf("update: %v %+v", err, got)
	}
	app := e.boot.Application.ID
	if _, err := e.svc.Login(ctx, e.admin, app, domain.LoginAttempt{Type: "basic", Value: basic("tk421", "Changeme1")}); loginCode(err) != domain.CodeLoginFailed {
		t.Fatalf("old password: %v", err)
	}
	after, err := e.svc.Login(ctx, e.admin, app, domain.LoginAttempt{Type: "basic", Value: basic("tk421", "short")})
	if err != nil || !strings.HasPrefix(after.PasswordHash, "$argon2id$") {
		t.Fatalf("login: %v", err)
	}
}

// TestSignUpTakesNoImportedHash: a developer's sign-up ignores
// passwordFormat, so what it sends is a plaintext password, checked
// against the policy and hashed with argon2id.
func TestSignUpTakesNoImportedHash(t *testing.T) {
	e, _ := signUpEnv(t)
	in := signUpInput("fn2187")
	in.Password, in.PasswordFormat = ptr(vector), "mcf"
	acc, err := e.svc.SignUp(context.Background(), e.publicCaller(), in, "192.0.2.1")
	if err != nil || !strings.HasPrefix(acc.PasswordHash, "$argon2id$") {
		t.Fatalf("sign-up: %v %+v", err, acc)
	}
	in = signUpInput("fn2188")
	in.Password, in.PasswordFormat = ptr("123456"), "mcf"
	_, err = e.svc.SignUp(context.Background(), e.publicCaller(), in, "192.0.2.1")
	wantCode(t, err, domain.KindInvalid, domain.CodeWeakPassword, "password")
}

// hookHasher runs hook once, at the first Hash, then hashes as h does.
type hookHasher struct {
	domain.PasswordHasher
	hook func()
}

func (h *hookHasher) Hash(pw string) (string, error) {
	if hook := h.hook; hook != nil {
		h.hook = nil
		hook()
	}
	return h.PasswordHasher.Hash(pw)
}

// TestRehashKeepsANewerPassword: a password set between a login's check
// and its commit is kept; the login's rehash of the old one is dropped.
func TestRehashKeepsANewerPassword(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc, err := e.importAccount(t, "imported", vector, "mcf")
	if err != nil {
		t.Fatal(err)
	}
	h := &hookHasher{PasswordHasher: cheapHasher}
	e.svc.Hasher = h
	// The dummy hash is made first, by the service's first login.
	if _, err := e.svc.Login(ctx, e.admin, e.boot.Application.ID, domain.LoginAttempt{Type: "basic", Value: basic("nobody", "x")}); loginCode(err) != domain.CodeLoginFailed {
		t.Fatal(err)
	}
	// Then the login's rehash is the next Hash: there the admin sets a
	// new password, before the login commits.
	h.hook = func() {
		if _, err := e.svc.UpdateAccount(ctx, e.admin, acc.ID, domain.AccountInput{Password: ptr("Newpassw0rd")}); err != nil {
			t.Error(err)
		}
	}
	if _, err := e.svc.Login(ctx, e.admin, e.boot.Application.ID, domain.LoginAttempt{Type: "basic", Value: basic("imported", "123456")}); err != nil {
		t.Fatal(err)
	}
	types := e.streamTypes(t, acc.ID)
	if types[len(types)-1] != events.TypeLoginSucceeded || types[len(types)-2] != events.TypeAccountPasswordSet {
		t.Fatalf("events %v", types)
	}
	app := e.boot.Application.ID
	if _, err := e.svc.Login(ctx, e.admin, app, domain.LoginAttempt{Type: "basic", Value: basic("imported", "Newpassw0rd")}); err != nil {
		t.Fatalf("the newer password: %v", err)
	}
	if _, err := e.svc.Login(ctx, e.admin, app, domain.LoginAttempt{Type: "basic", Value: basic("imported", "123456")}); loginCode(err) != domain.CodeLoginFailed {
		t.Fatalf("the imported password after the change: %v", err)
	}
}

// bcrypt reads 72 bytes of a password: a longer one passes with any
// tail, so its login re-hashes nothing, and each variant keeps working.
func TestLongPasswordOnBcryptIsNotRehashed(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	long := strings.Repeat("Ab1", 25) // 75 bytes
	// Older bcrypt libraries hashed the first 72 bytes of a longer
	// password; this one refuses to, so hash those 72 as they did.
	h, err := bcrypt.GenerateFromPassword([]byte(long[:72]), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := e.importAccount(t, "long", string(h), "mcf")
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{long, long[:72] + "xyz"} {
		got, err := e.svc.Login(ctx, e.admin, e.boot.Application.ID, domain.LoginAttempt{Type: "basic", Value: basic("long", pw), Source: "192.0.2.1"})
		if err != nil || got.PasswordHash != acc.PasswordHash {
			t.Fatalf("%d bytes: %v, hash re-made: %v", len(pw), err, got != nil && got.PasswordHash != acc.PasswordHash)
		}
	}
}
