package domain_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo/storetest"
	"github.com/keystorm/keystorm/infra/embedded"
)

// fakeClock is a settable clock.
type fakeClock struct{ t atomic.Int64 }

// newClockAt starts a clock at at (storetest.Epoch for most tests).
func newClockAt(at time.Time) *fakeClock {
	c := &fakeClock{}
	c.t.Store(at.UnixNano())
	return c
}

// Now advances the clock by a millisecond per reading, so creation order
// is never a tie.
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.t.Add(int64(time.Millisecond))).UTC() }
func (c *fakeClock) Advance(d time.Duration) { c.t.Add(int64(d)) }

// cheapHasher keeps tests fast; production parameters are tested apart.
var cheapHasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}

type env struct {
	svc   *domain.Service
	h     *embedded.Harness
	clock *fakeClock
	boot  domain.Bootstrapped
	admin domain.Caller
}

func setup(t testing.TB) *env {
	t.Helper()
	return setupAt(t, storetest.Epoch)
}

// setupAt is setup with the service's clock starting at at.
func setupAt(t testing.TB, at time.Time) *env {
	t.Helper()
	h := embedded.New(t)
	svc := domain.NewService(h.Store)
	clock := newClockAt(at)
	svc.Clock = clock
	svc.Hasher = cheapHasher
	boot, err := svc.Bootstrap(context.Background(), domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, h: h, clock: clock, boot: boot,
		admin: domain.Caller{TenantID: boot.Tenant.ID, AccountID: boot.Admin.ID, KeyID: boot.AdminKey.ID, Admin: true}}
}

func ptr(s string) *string { return &s }

func (e *env) account(t testing.TB, username string) *domain.Account {
	t.Helper()
	acc, err := e.svc.CreateAccount(context.Background(), e.admin, e.boot.Application.ID, domain.AccountInput{
		Username: ptr(username), Email: ptr(username + "@example.com"), GivenName: ptr("Trooper"), Surname: ptr(username), Password: ptr("Changeme1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

func wantKind(t *testing.T, err error, k domain.Kind) {
	t.Helper()
	if err == nil || domain.KindOf(err) != k {
		t.Fatalf("error %v: want kind %d, got %d", err, k, domain.KindOf(err))
	}
}

func TestAccountLifecycle(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc := e.account(t, "tk421")
	if acc.Version() != 1 || acc.FullName() != "Trooper tk421" || acc.Status != domain.StatusEnabled {
		t.Fatalf("created %+v", acc)
	}
	got, err := e.svc.GetAccount(ctx, e.admin, acc.ID)
	if err != nil || got.Email != "tk421@example.com" {
		t.Fatalf("get: %v %+v", err, got)
	}
	// Same username, other email: 409 on username.
	_, err = e.svc.CreateAccount(ctx, e.admin, e.boot.Application.ID, domain.AccountInput{Username: ptr("TK421"), Email: ptr("x@example.com"), Password: ptr("Changeme1")})
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeNotUnique || de.Field != "username" {
		t.Fatalf("duplicate username: %v", err)
	}
	up, err := e.svc.UpdateAccount(ctx, e.admin, acc.ID, domain.AccountInput{Username: ptr("tk-421"), Status: ptr("DISABLED")})
	if err != nil || up.Username != "tk-421" || up.Version() != 2 {
		t.Fatalf("update: %v %+v", err, up)
	}
	// The old username was released.
	if _, err := e.svc.CreateAccount(ctx, e.admin, e.boot.Application.ID, domain.AccountInput{Username: ptr("tk421"), Email: ptr("y@example.com"), Password: ptr("Changeme1")}); err != nil {
		t.Fatalf("released username not reusable: %v", err)
	}
	l, err := e.svc.ListAccounts(ctx, e.admin, e.boot.Application.ID, domain.Page{})
	if err != nil || l.Size != 2 || len(l.Items) != 2 || l.Items[0].ID != acc.ID {
		t.Fatalf("list: %v %+v", err, l)
	}
	if err := e.svc.DeleteAccount(ctx, e.admin, acc.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.GetAccount(ctx, e.admin, acc.ID)
	wantKind(t, err, domain.KindNotFound)
}

func TestAPIKeyAuthentication(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc := e.account(t, "tk421")
	ck, err := e.svc.CreateAPIKey(ctx, e.admin, acc.ID, domain.APIKeyInput{Name: ptr("laptop")})
	if err != nil {
		t.Fatal(err)
	}
	if !domain.WellFormedSecret(ck.Secret) || ck.Key.SecretHash == ck.Secret {
		t.Fatalf("secret %q", ck.Secret)
	}
	auth := &domain.KeyAuthenticator{Store: e.h.Store, Clock: e.clock, TTL: 5 * time.Second}
	p, err := auth.Authenticate(ctx, ck.Key.ID, ck.Secret)
	if err != nil || p.AccountID != acc.ID || p.Admin {
		t.Fatalf("auth: %v %+v", err, p)
	}
	if _, err := auth.Authenticate(ctx, ck.Key.ID, e.boot.AdminSecret); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("wrong secret: %v", err)
	}
	if _, err := auth.Authenticate(ctx, "NOSUCHKEY", ck.Secret); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("unknown id: %v", err)
	}
	// Disable: still cached within the TTL, refused after it.
	if _, err := e.svc.UpdateAPIKey(ctx, e.admin, ck.Key.ID, domain.APIKeyInput{Status: ptr("DISABLED")}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(6 * time.Second)
	if _, err := auth.Authenticate(ctx, ck.Key.ID, ck.Secret); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("disabled key authenticated: %v", err)
	}
	p, err = auth.Authenticate(ctx, e.boot.AdminKey.ID, e.boot.AdminSecret)
	if err != nil || !p.Admin || p.TenantID != e.boot.Tenant.ID {
		t.Fatalf("admin: %v %+v", err, p)
	}
}
