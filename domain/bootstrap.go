package domain

import (
	"context"

	"github.com/keystorm/keystorm/events"
)

// BootstrapInput names what a new installation starts with.
type BootstrapInput struct {
	TenantName      string
	ApplicationName string
	AdminEmail      string
	AdminPassword   string
}

// Bootstrapped is what Bootstrap created. AdminSecret is shown once.
type Bootstrapped struct {
	Tenant      *Tenant
	AdminApp    *Application
	Application *Application
	Admin       *Account
	AdminKey    *APIKey
	AdminSecret string
}

// Bootstrap creates a tenant with its administrators application, an
// admin account with one admin API key, and a first application for the
// provider's developers, all in one commit. It is how a fresh installation
// (the local server's first start, or a deploy) gets its first credentials.
func (s *Service) Bootstrap(ctx context.Context, in BootstrapInput) (Bootstrapped, error) {
	if in.TenantName == "" {
		in.TenantName = "default"
	}
	if in.ApplicationName == "" {
		in.ApplicationName = "My Application"
	}
	if in.AdminEmail == "" {
		in.AdminEmail = "admin@keystorm.local"
	}
	em, err := email(&in.AdminEmail)
	if err != nil {
		return Bootstrapped{}, err
	}
	var hash string
	if in.AdminPassword != "" {
		if err := s.Policy.Check(in.AdminPassword); err != nil {
			return Bootstrapped{}, err
		}
		if hash, err = s.Hasher.Hash(in.AdminPassword); err != nil {
			return Bootstrapped{}, err
		}
	}
	var out Bootstrapped
	tenantID := s.IDs.NewID()
	c := Caller{TenantID: tenantID, Admin: true}
	_, err = run(ctx, s, c, func(r *recorder) (*Tenant, error) {
		out = Bootstrapped{Tenant: &Tenant{}, AdminApp: &Application{}, Application: &Application{}, Admin: &Account{}, AdminKey: &APIKey{}}
		if err := r.record(Ref{KindTenant, tenantID}, nil, out.Tenant, events.TenantCreated{ID: tenantID, Name: in.TenantName}); err != nil {
			return nil, err
		}
		adminApp := events.ApplicationCreated{ID: s.IDs.NewID(), TenantID: tenantID, DirectoryID: s.IDs.NewID(),
			Name: "Keystorm Administrators", Description: "Accounts whose API keys manage this tenant.", Status: StatusEnabled, Admin: true}
		if err := r.record(Ref{KindApplication, adminApp.ID}, nil, out.AdminApp, adminApp); err != nil {
			return nil, err
		}
		app := events.ApplicationCreated{ID: s.IDs.NewID(), TenantID: tenantID, DirectoryID: s.IDs.NewID(), Name: in.ApplicationName, Status: StatusEnabled}
		if err := r.record(Ref{KindApplication, app.ID}, nil, out.Application, app); err != nil {
			return nil, err
		}
		acc := events.AccountCreated{ID: s.IDs.NewID(), TenantID: tenantID, ApplicationID: adminApp.ID, DirectoryID: adminApp.DirectoryID,
			Username: em, Email: em, GivenName: "Keystorm", Surname: "Administrator", Status: StatusEnabled, PasswordHash: hash, Admin: true}
		if err := r.record(Ref{KindAccount, acc.ID}, nil, out.Admin, acc); err != nil {
			return nil, err
		}
		secret, err := NewSecret(s.Rand)
		if err != nil {
			return nil, err
		}
		out.AdminSecret = secret
		key := events.APIKeyCreated{ID: s.IDs.NewKeyID(), TenantID: tenantID, AccountID: acc.ID, ApplicationID: adminApp.ID,
			SecretHash: HashSecret(secret), Name: "bootstrap", Description: "Created at installation.", Status: StatusEnabled, Admin: true}
		if err := r.record(Ref{KindAPIKey, key.ID}, nil, out.AdminKey, key); err != nil {
			return nil, err
		}
		return out.Tenant, nil
	})
	return out, err
}

// Credentials is what a bootstrap prints once, as one JSON line, for
// scripts: the local server and scripts/bootstrap print the same shape.
type Credentials struct {
	Tenant       string `json:"tenant"`
	Application  string `json:"application,omitempty"`
	APIKeyID     string `json:"apiKeyId"`
	APIKeySecret string `json:"apiKeySecret"`
}

// Credentials returns the printable credentials, hrefs under base.
func (b Bootstrapped) Credentials(base string) Credentials {
	c := Credentials{
		Tenant:       base + "/v1/tenants/" + b.Tenant.ID,
		APIKeyID:     b.AdminKey.ID,
		APIKeySecret: b.AdminSecret,
	}
	// A recovered tenant may have no developer application left.
	if b.Application != nil {
		c.Application = base + "/v1/applications/" + b.Application.ID
	}
	return c
}
