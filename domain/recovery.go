package domain

import (
	"context"
	"errors"

	"github.com/keystorm/keystorm/events"
)

// IssueAdminKey creates a new admin API key for an existing tenant and
// returns it with its secret, shown once.
//
// Why it exists: every management call needs an admin key, so a tenant
// whose only key was lost (a first start whose output was never seen, a
// key deleted by mistake) could never be managed again. This command is
// the way back. It has no HTTP endpoint on purpose: only whoever can
// write the store itself (the local data directory, or AWS credentials
// for the tables) can run it, through scripts/bootstrap -new-admin-key or
// the local server's -new-admin-key flag.
//
// The key goes to the first enabled account of the tenant's
// administrators application; when there is none, a new administrator
// account is created in the same commit, so disabled or deleted admin
// accounts cannot block the recovery. The key is named "recovery", so the
// event log shows how it came to be.
func (s *Service) IssueAdminKey(ctx context.Context, tenantID string) (Bootstrapped, error) {
	c := Caller{TenantID: tenantID, Admin: true}
	tenant, err := load[*Tenant](ctx, s, c, KindTenant, tenantID)
	if err != nil {
		return Bootstrapped{}, err
	}
	apps, err := listAll(ctx, s, "tenant/"+tenantID+"/applications", MaxCommitItems)
	if err != nil {
		return Bootstrapped{}, err
	}
	out := Bootstrapped{Tenant: tenant}
	for _, st := range apps {
		app := st.(*Application)
		switch {
		case app.Admin && out.AdminApp == nil:
			out.AdminApp = app
		case !app.Admin && out.Application == nil:
			out.Application = app
		}
	}
	if out.AdminApp == nil {
		return Bootstrapped{}, errors.New("domain: the tenant has no administrators application")
	}
	_, err = run(ctx, s, c, func(r *recorder) (*APIKey, error) {
		accs, err := listAll(ctx, s, "application/"+out.AdminApp.ID+"/accounts", MaxCommitItems)
		if err != nil {
			return nil, err
		}
		out.Admin = nil
		for _, st := range accs {
			if acc := st.(*Account); acc.Status == StatusEnabled && !acc.Deleted() {
				out.Admin = acc
				r.check(acc)
				break
			}
		}
		if out.Admin == nil {
			em := "recovery-" + lower(s.IDs.NewID()) + "@keystorm.local"
			ev := events.AccountCreated{ID: s.IDs.NewID(), TenantID: tenantID, ApplicationID: out.AdminApp.ID, DirectoryID: out.AdminApp.DirectoryID,
				Username: em, Email: em, GivenName: "Keystorm", Surname: "Administrator", Status: StatusEnabled, Admin: true}
			out.Admin = &Account{}
			if err := r.record(Ref{KindAccount, ev.ID}, nil, out.Admin, ev); err != nil {
				return nil, err
			}
		}
		secret, err := NewSecret(s.Rand)
		if err != nil {
			return nil, err
		}
		out.AdminSecret = secret
		key := events.APIKeyCreated{ID: s.IDs.NewKeyID(), TenantID: tenantID, AccountID: out.Admin.ID, ApplicationID: out.AdminApp.ID,
			SecretHash: HashSecret(secret), Name: "recovery", Description: "Issued by the admin key recovery command.", Status: StatusEnabled, Admin: true}
		out.AdminKey = &APIKey{}
		return out.AdminKey, r.record(Ref{KindAPIKey, key.ID}, nil, out.AdminKey, key)
	})
	if err != nil {
		return Bootstrapped{}, err
	}
	return out, nil
}
