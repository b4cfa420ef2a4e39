package domain_test

import (
	"context"
	"errors"
	"testing"

	"github.com/keystorm/keystorm/domain"
)

// TestIssueAdminKey: a tenant whose admin key was lost gets a new one
// that authenticates as an admin of that tenant, on the existing admin
// account, and the event log records it as a recovery.
func TestIssueAdminKey(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	b, err := e.svc.IssueAdminKey(ctx, e.boot.Tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.AdminKey.ID == e.boot.AdminKey.ID || b.AdminSecret == "" || b.Admin.ID != e.boot.Admin.ID ||
		b.AdminApp.ID != e.boot.AdminApp.ID || b.Application.ID != e.boot.Application.ID {
		t.Fatalf("recovered %+v", b)
	}
	if b.AdminKey.Name != "recovery" || !b.AdminKey.Admin {
		t.Fatalf("key %+v", b.AdminKey)
	}
	auth := &domain.KeyAuthenticator{Store: e.h.Store, Clock: e.clock}
	p, err := auth.Authenticate(ctx, b.AdminKey.ID, b.AdminSecret)
	if err != nil || !p.Admin || p.TenantID != e.boot.Tenant.ID {
		t.Fatalf("new key: %+v %v", p, err)
	}
	// The new key really manages the tenant.
	admin := domain.Caller{TenantID: p.TenantID, AccountID: p.AccountID, KeyID: p.KeyID, Admin: true}
	if _, err := e.svc.GetApplication(ctx, admin, e.boot.Application.ID); err != nil {
		t.Fatalf("manage with the new key: %v", err)
	}
	// An unknown tenant is not found, and nothing is created for it.
	if _, err := e.svc.IssueAdminKey(ctx, "nosuchtenant"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown tenant: %v", err)
	}
}

// TestIssueAdminKeyWithoutEnabledAdmin: when every admin account is
// disabled, recovery creates a new admin account rather than fail, so a
// tenant can never be locked out for good.
func TestIssueAdminKeyWithoutEnabledAdmin(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	// Another admin disables the bootstrap admin (an account cannot
	// disable itself).
	other := e.admin
	other.AccountID, other.KeyID = "someone-else", "someone-elses-key"
	if _, err := e.svc.UpdateAccount(ctx, other, e.boot.Admin.ID, domain.AccountInput{Status: ptr(domain.StatusDisabled)}); err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.IssueAdminKey(ctx, e.boot.Tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Admin.ID == e.boot.Admin.ID || b.Admin.Status != domain.StatusEnabled || !b.Admin.Admin {
		t.Fatalf("admin account %+v", b.Admin)
	}
	auth := &domain.KeyAuthenticator{Store: e.h.Store, Clock: e.clock}
	if p, err := auth.Authenticate(ctx, b.AdminKey.ID, b.AdminSecret); err != nil || !p.Admin {
		t.Fatalf("new key: %+v %v", p, err)
	}
}
