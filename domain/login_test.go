package domain_test

import (
	"context"
	"encoding/base64"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// countingHasher counts the calls made to the hasher it wraps: equal work
// is asserted by counting, not by timing.
type countingHasher struct {
	domain.PasswordHasher
	hash, verify atomic.Int64
}

func (h *countingHasher) Hash(pw string) (string, error) {
	h.hash.Add(1)
	return h.PasswordHasher.Hash(pw)
}

func (h *countingHasher) Verify(pw, hash string) bool {
	h.verify.Add(1)
	return h.PasswordHasher.Verify(pw, hash)
}

// countingStore counts the store calls made through it.
type countingStore struct {
	domain.Store
	owner, load, loadMany, commit atomic.Int64
}

func (s *countingStore) Owner(ctx context.Context, key string) (domain.Ref, error) {
	s.owner.Add(1)
	return s.Store.Owner(ctx, key)
}

func (s *countingStore) Load(ctx context.Context, ref domain.Ref, dst domain.State) error {
	s.load.Add(1)
	return s.Store.Load(ctx, ref, dst)
}

func (s *countingStore) LoadMany(ctx context.Context, refs []domain.Ref) ([]domain.State, error) {
	s.loadMany.Add(1)
	return s.Store.LoadMany(ctx, refs)
}

func (s *countingStore) Commit(ctx context.Context, c domain.Commit) error {
	s.commit.Add(1)
	return s.Store.Commit(ctx, c)
}

// work is one attempt's calls: hasher, then store.
type work struct{ hash, verify, owner, load, loadMany, commit int64 }

func basic(user, pw string) string { return base64.StdEncoding.EncodeToString([]byte(user + ":" + pw)) }

func newLoginAccount(t *testing.T, e *env, username, status string) *domain.Account {
	t.Helper()
	mail := username + "@example.com"
	acc, err := e.svc.CreateAccount(context.Background(), e.admin, e.boot.Application.ID,
		domain.AccountInput{Username: &username, Email: &mail, Password: ptr("Changeme1"), Status: &status})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

func loginCode(err error) int {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Code
	}
	return -1
}

// TestLoginUnknownUserCostsWhatAWrongPasswordCosts: the unknown-user path
// calls the hasher, and the store, exactly as often as the wrong-password
// path, writes nothing either way, and answers with the very same error.
func TestLoginUnknownUserCostsWhatAWrongPasswordCosts(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	newLoginAccount(t, e, "tk421", domain.StatusEnabled)
	h := &countingHasher{PasswordHasher: cheapHasher}
	st := &countingStore{Store: e.svc.Store}
	e.svc.Hasher, e.svc.Store = h, st
	// The first login makes the dummy hash (one Hash, once per service).
	if _, err := e.svc.Login(ctx, e.admin, e.boot.Application.ID, domain.LoginAttempt{Type: "basic", Value: basic("tk421", "Changeme1")}); err != nil {
		t.Fatal(err)
	}
	attempt := func(user, pw string) (work, error) {
		h.hash.Store(0)
		h.verify.Store(0)
		st.owner.Store(0)
		st.load.Store(0)
		st.loadMany.Store(0)
		st.commit.Store(0)
		_, err := e.svc.Login(ctx, e.admin, e.boot.Application.ID, domain.LoginAttempt{Type: "basic", Value: basic(user, pw), Source: "192.0.2.1"})
		return work{h.hash.Load(), h.verify.Load(), st.owner.Load(), st.load.Load(), st.loadMany.Load(), st.commit.Load()}, err
	}
	for _, unknown := range []string{"nobody", "nobody@example.com", "TK4210"} {
		wrong, werr := attempt("tk421", "Wrong-pass1")
		none, nerr := attempt(unknown, "Wrong-pass1")
		if wrong != none {
			t.Errorf("%s: wrong password did %+v, unknown user %+v", unknown, wrong, none)
		}
		if wrong.verify != 1 || wrong.hash != 0 || wrong.commit != 0 {
			t.Errorf("wrong password: %+v, want one Verify, no Hash, no Commit", wrong)
		}
		var we, ne *domain.Error
		if !errors.As(werr, &we) || !errors.As(nerr, &ne) || *we != *ne || we.Code != domain.CodeLoginFailed {
			t.Errorf("errors differ: %v / %v", werr, nerr)
		}
	}
}

func TestLogin(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	app := e.boot.Application.ID
	acc := newLoginAccount(t, e, "tk421", domain.StatusEnabled)
	login := func(user, pw, src string) (*domain.Account, error) {
		return e.svc.Login(ctx, e.admin, app, domain.LoginAttempt{Type: "basic", Value: basic(user, pw), Source: src})
	}
	// Username as uniqueness compares it, and the email.
	for _, name := range []string{"tk421", "TK421", "ｔｋ４２１", "TK421@Example.com"} {
		got, err := login(name, "Changeme1", "192.0.2.1")
		if err != nil || got.ID != acc.ID {
			t.Fatalf("%s: %v %v", name, got, err)
		}
	}
	// Each success is one event, which does not move modifiedAt.
	got, err := e.svc.GetAccount(ctx, e.admin, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version() != acc.Version()+4 || !got.ModifiedAt.Equal(acc.ModifiedAt) {
		t.Errorf("after 4 logins: version %d (was %d), modifiedAt %v (was %v)", got.Version(), acc.Version(), got.ModifiedAt, acc.ModifiedAt)
	}
	// A wrong password writes nothing.
	if _, err := login("tk421", "nope", "192.0.2.1"); loginCode(err) != domain.CodeLoginFailed {
		t.Fatalf("wrong password: %v", err)
	}
	if again, _ := e.svc.GetAccount(ctx, e.admin, acc.ID); again.Version() != got.Version() {
		t.Errorf("a failed login wrote: version %d → %d", got.Version(), again.Version())
	}

	// Disabled and unverified: their own codes, only with the password.
	dis := newLoginAccount(t, e, "disabled1", domain.StatusDisabled)
	unv := newLoginAccount(t, e, "unverified1", domain.StatusUnverified)
	for _, c := range []struct {
		acc  *domain.Account
		code int
	}{{dis, domain.CodeLoginDisabled}, {unv, domain.CodeLoginUnverified}} {
		if _, err := login(c.acc.Username, "Changeme1", "192.0.2.1"); loginCode(err) != c.code {
			t.Errorf("%s: %v, want %d", c.acc.Username, err, c.code)
		}
		if _, err := login(c.acc.Username, "Wrong-pass1", "192.0.2.1"); loginCode(err) != domain.CodeLoginFailed {
			t.Errorf("%s with a wrong password: %v, want 7100", c.acc.Username, err)
		}
		if after, _ := e.svc.GetAccount(ctx, e.admin, c.acc.ID); after.Version() != c.acc.Version()+1 {
			t.Errorf("%s: version %d, want one event (the refusal with the password)", c.acc.Username, after.Version())
		}
	}

	// Malformed attempts: their own codes, never 7100, nothing read.
	for name, c := range map[string]struct {
		in   domain.LoginAttempt
		code int
	}{
		"no type":      {domain.LoginAttempt{Value: basic("tk421", "x")}, domain.CodeRequired},
		"other type":   {domain.LoginAttempt{Type: "digest", Value: basic("tk421", "x")}, domain.CodeInvalidStatus},
		"no value":     {domain.LoginAttempt{Type: "basic"}, domain.CodeRequired},
		"not base64":   {domain.LoginAttempt{Type: "basic", Value: "tk421:Changeme1"}, domain.CodeInvalidValue},
		"no colon":     {domain.LoginAttempt{Type: "basic", Value: base64.StdEncoding.EncodeToString([]byte("tk421"))}, domain.CodeInvalidValue},
		"not UTF-8":    {domain.LoginAttempt{Type: "basic", Value: base64.StdEncoding.EncodeToString([]byte("tk\xff:pw"))}, domain.CodeInvalidValue},
		"empty user":   {domain.LoginAttempt{Type: "basic", Value: basic("", "pw")}, domain.CodeInvalidValue},
		"empty pw":     {domain.LoginAttempt{Type: "basic", Value: basic("tk421", "")}, domain.CodeInvalidValue},
		"bad clientIp": {domain.LoginAttempt{Type: "basic", Value: basic("tk421", "x"), Source: "localhost"}, domain.CodeInvalidValue},
	} {
		if _, err := e.svc.Login(ctx, e.admin, app, c.in); loginCode(err) != c.code {
			t.Errorf("%s: %v, want %d", name, err, c.code)
		}
	}

	// Only an admin of the tenant.
	dev := e.admin
	dev.Admin = false
	if _, err := e.svc.Login(ctx, dev, app, domain.LoginAttempt{Type: "basic", Value: basic("tk421", "Changeme1")}); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("developer: %v", err)
	}
	other := e.admin
	other.TenantID = "tnt_other"
	if _, err := e.svc.Login(ctx, other, app, domain.LoginAttempt{Type: "basic", Value: basic("tk421", "Changeme1")}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("another tenant: %v", err)
	}
	// A disabled application refuses every attempt, right password or
	// not, with Stormpath's disabled-directory code.
	if _, err := e.svc.UpdateApplication(ctx, e.admin, app, domain.ApplicationInput{Status: ptr(domain.StatusDisabled)}); err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"Changeme1", "Wrong1234"} {
		if _, err := e.svc.Login(ctx, e.admin, app, domain.LoginAttempt{Type: "basic", Value: basic("tk421", pw)}); loginCode(err) != domain.CodeLoginDirectoryDisabled {
			t.Errorf("disabled application, password %s: %v", pw, err)
		}
	}
}

// TestLoginThrottle: a source failing on one account waits, with a
// doubling Retry-After, right password or not; another source logs in.
func TestLoginThrottle(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	newLoginAccount(t, e, "tk421", domain.StatusEnabled)
	login := func(pw, src string) error {
		_, err := e.svc.Login(ctx, e.admin, e.boot.Application.ID, domain.LoginAttempt{Type: "basic", Value: basic("tk421", pw), Source: src})
		return err
	}
	for range domain.DefaultPerKeyThrottle.Free + 1 {
		if err := login("Wrong-pass1", "192.0.2.9"); loginCode(err) != domain.CodeLoginFailed {
			t.Fatal(err)
		}
	}
	err := login("Changeme1", "192.0.2.9")
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeThrottled || de.Kind != domain.KindThrottled || de.RetryAfter <= 0 || de.RetryAfter > time.Second {
		t.Fatalf("throttled source: %v", err)
	}
	if err := login("Changeme1", "192.0.2.10"); err != nil {
		t.Fatalf("another source: %v", err)
	}
	e.clock.Advance(2 * time.Second)
	if err := login("Changeme1", "192.0.2.9"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

// FuzzLoginValue: the parser never panics, and whatever it accepts is
// exactly the value's decoding: a non-empty name without ':', a
// non-empty password, both UTF-8.
func FuzzLoginValue(f *testing.F) {
	for _, s := range []string{basic("tk421", "Changeme1"), basic("a", "b:c"), "", "====", "dGs0MjE=", basic("ü", "\x00"), "dGs0MjE6", "dGs0MjE6eA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		user, pw, err := domain.ParseLoginValue(value)
		if err != nil {
			if loginCode(err) == domain.CodeLoginFailed {
				t.Fatalf("malformed value answered 7100: %v", err)
			}
			return
		}
		if user == "" || pw == "" {
			t.Fatalf("accepted empty parts %q %q", user, pw)
		}
		for _, r := range user {
			if r == ':' {
				t.Fatalf("name %q holds ':'", user)
			}
		}
		if basic(user, pw) != value {
			t.Fatalf("%q decoded to %q:%q, which encodes otherwise", value, user, pw)
		}
	})
}
