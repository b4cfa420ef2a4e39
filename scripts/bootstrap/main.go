// Bootstrap creates the first tenant of a deployed Keystorm: its
// administrators application, an admin account with one admin API key, and
// a first application. It prints the key once, as text and as one JSON
// line. It refuses to run on a non-empty event table, so it cannot mint a
// second tenant by accident; pass -force to create another tenant anyway.
//
//	EVENTS_TABLE=... VIEWS_TABLE=... AWS_REGION=... go run ./scripts/bootstrap -base https://api.example.com
//
// With -new-admin-key it instead issues a new admin API key for the
// existing tenant (or the one -tenant-id names): the recovery when the first
// key was lost. It writes the tables directly, so only someone with AWS
// credentials for them can run it; there is no HTTP way to do this.

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/awsdefault"
	"github.com/keystorm/keystorm/infra/dynamo"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bootstrap:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	base := fs.String("base", "", "management API base URL for the printed hrefs, e.g. https://abc.execute-api.eu-west-1.amazonaws.com/prod")
	tenant := fs.String("tenant", "default", "tenant name")
	app := fs.String("application", "My Application", "first application's name")
	email := fs.String("admin-email", "admin@keystorm.local", "admin account email")
	force := fs.Bool("force", false, "create a tenant even if the event table is not empty")
	newAdminKey := fs.Bool("new-admin-key", false, "issue a new admin API key for the existing tenant instead of creating one (recovery of a lost key)")
	tenantID := fs.String("tenant-id", "", "tenant `id` for -new-admin-key when the tables hold several tenants")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := dynamo.ConfigFromEnv()
	db, err := awsdefault.NewDynamoClient(ctx, cfg)
	if err != nil {
		return err
	}
	st := dynamo.New(db, cfg)
	if *newAdminKey {
		return recoverKey(ctx, st, *base, *tenantID, stdout)
	}
	return bootstrap(ctx, st, *base, domain.BootstrapInput{TenantName: *tenant, ApplicationName: *app, AdminEmail: *email}, *force, stdout)
}

// recoverKey issues a new admin key for the tenant (the only one, or the
// one named) and prints it like a bootstrap.
func recoverKey(ctx context.Context, st *dynamo.Store, base, tenant string, w io.Writer) error {
	id, err := st.OnlyTenant(ctx, tenant)
	if err != nil {
		return err
	}
	b, err := domain.NewService(st).IssueAdminKey(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Issued a new admin API key for tenant %s. The secret is shown only now; keep it.\n", id)
	line, _ := json.Marshal(b.Credentials(base))
	fmt.Fprintf(w, "%s\n", line)
	return nil
}

func bootstrap(ctx context.Context, st *dynamo.Store, base string, in domain.BootstrapInput, force bool, w io.Writer) error {
	empty, err := st.Empty(ctx)
	if err != nil {
		return err
	}
	if !empty && !force {
		return errors.New("the event table is not empty: a tenant exists already (use -force to add another)")
	}
	b, err := domain.NewService(st).Bootstrap(ctx, in)
	if err != nil {
		return err
	}
	out := b.Credentials(base)
	fmt.Fprintf(w, "Created tenant %s with an admin API key. The secret is shown only now; keep it.\n", b.Tenant.ID)
	line, _ := json.Marshal(out)
	fmt.Fprintf(w, "%s\n", line)
	return nil
}
