package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/awsdefault"
	"github.com/keystorm/keystorm/infra/datalock"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/sqlite"
	"github.com/keystorm/keystorm/infra/stack"
	"github.com/keystorm/keystorm/infra/stormpath"
	"github.com/keystorm/keystorm/infra/stormpath/importer"
)

// setting is what main takes from the environment: the DynamoDB tables
// (and DYNAMODB_ENDPOINT), and the clock.
type setting struct {
	Dynamo dynamo.Config
	Clock  domain.Clock
}

const usage = `Usage: go run ./scripts/import-stormpath -export DIR [flags]

Imports a Stormpath tenant export (meta.json, directories/, applications/,
groups/, accountStoreMappings/, accounts/, apiKeys/, groupMemberships/) into
a Keystorm tenant, one item per commit. Running it again changes nothing
that landed: items already there are "present". Progress goes to stderr;
one JSON summary line goes to stdout.

The store is the local server's (-data DIR, its DIR/keystorm.db; the
server must be stopped), or DynamoDB (-store dynamodb, implied by
DYNAMODB_ENDPOINT; EVENTS_TABLE and VIEWS_TABLE name the tables). An empty
store gets a new tenant, whose admin API key the summary shows once.

Flags:
`

// store is what the command needs of either store.
type store interface {
	domain.Store
	Empty(ctx context.Context) (bool, error)
	Tenants(ctx context.Context) ([]string, error)
}

// run parses the flags and imports; it returns the exit status: 0 when
// the import ran (whatever items it skipped), 1 when it could not
// (export unreadable, store unavailable or in use), 2 for bad flags.
func run(ctx context.Context, args []string, set setting, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import-stormpath", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	export := fs.String("export", "", "the export's `directory` (the one holding meta.json)")
	data := fs.String("data", "", "the local server's data `directory`: DIR/keystorm.db is written (created when missing)")
	kind := fs.String("store", stack.StoreSQLite, "`store`: sqlite (-data DIR) or dynamodb (the tables of the environment; DYNAMODB_ENDPOINT implies it)")
	tenant := fs.String("tenant", "", "tenant `id` to import into when the store holds several")
	// The other tools name it -tenant-id (and domain.ChooseTenant's
	// error does): both work here.
	fs.StringVar(tenant, "tenant-id", "", "the same as -tenant")
	dry := fs.Bool("dry-run", false, "judge every item and print the summary, writing nothing")
	base := fs.String("base", "http://127.0.0.1:3000", "the API's base `URL`, for the hrefs of a new tenant's credentials")
	every := fs.Int("progress-every", 1000, "print a progress line every `n` accounts")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "store" })
	if set.Dynamo.Endpoint != "" && !explicit {
		*kind = stack.StoreDynamoDB
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "import-stormpath: "+format+"\n", a...)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected arguments %q", fs.Args())
	case *export == "":
		return bad("-export DIR is required")
	case *kind == stack.StoreSQLite && set.Dynamo.Endpoint != "":
		return bad("DYNAMODB_ENDPOINT is set with -store sqlite: pick one")
	case *kind == stack.StoreSQLite && *data == "":
		return bad("-data DIR is required with the sqlite store (the local server's -data; an in-memory store would keep nothing)")
	case *kind == stack.StoreDynamoDB && *data != "":
		return bad("-data is for the sqlite store")
	case *kind != stack.StoreSQLite && *kind != stack.StoreDynamoDB:
		return bad("unknown store %q (want sqlite or dynamodb)", *kind)
	case *every < 1:
		return bad("-progress-every must be 1 or more")
	}
	sum, err := importExport(ctx, job{export: *export, data: *data, kind: *kind, tenant: *tenant, dry: *dry, base: *base, every: *every}, set, stderr)
	code := 0
	if err != nil {
		fmt.Fprintf(stderr, "import-stormpath: %v\n", err)
		code = 1
	}
	if sum == nil {
		return code
	}
	// A summary comes out even when the import stopped short after
	// making a tenant: it holds the tenant's only copy of its admin key.
	line, merr := json.Marshal(sum)
	if merr != nil {
		fmt.Fprintf(stderr, "import-stormpath: %v\n", merr)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", line)
	return code
}

// job is what the flags asked for.
type job struct {
	export, data, kind, tenant, base string
	dry                              bool
	every                            int
}

// importExport opens the export and the store, picks the tenant (making
// one on an empty store) and imports.
func importExport(ctx context.Context, j job, set setting, progress io.Writer) (*importer.Summary, error) {
	e, err := stormpath.Open(j.export)
	if err != nil {
		return nil, err
	}
	st, closeStore, err := openStore(ctx, j, set)
	if err != nil {
		return nil, err
	}
	defer closeStore()
	svc := domain.NewService(st)
	svc.Clock = set.Clock
	run := domain.NewImportRun(j.dry)
	var creds *domain.Credentials
	empty, err := st.Empty(ctx)
	if err != nil {
		return nil, err
	}
	var tenantID string
	switch {
	case empty && j.tenant != "":
		return nil, fmt.Errorf("the store is empty: there is no tenant %q (leave out -tenant to create one)", j.tenant)
	case empty && j.dry:
		// The real run would make the tenant first; the dry run judges
		// the items as if it had.
		tenantID = "(new)"
		run.PlanTenant(tenantID)
		fmt.Fprintln(progress, "import-stormpath: the store is empty: the import would create a tenant first (this dry run creates nothing)")
	case empty:
		b, err := svc.Bootstrap(ctx, domain.BootstrapInput{TenantName: e.Tenant.Name})
		if err != nil {
			return nil, fmt.Errorf("new tenant: %w", err)
		}
		c := b.Credentials(j.base)
		creds, tenantID = &c, b.Tenant.ID
		fmt.Fprintf(progress, "import-stormpath: the store was empty: created tenant %s; its admin API key (id %s) and secret are in the summary's newAdminKey, shown only this once\n", tenantID, c.APIKeyID)
	default:
		ids, err := st.Tenants(ctx)
		if err != nil {
			return nil, err
		}
		if tenantID, err = domain.ChooseTenant(ids, j.tenant); err != nil {
			return nil, err
		}
	}
	sum, err := importer.Import(ctx, e, importer.Options{Service: svc, Run: run, Progress: progress, ProgressEvery: j.every,
		Caller: domain.Caller{TenantID: tenantID, Admin: true, Via: "import-stormpath"}})
	if err != nil {
		if creds == nil {
			return nil, err
		}
		return &importer.Summary{Tenant: tenantID, NewAdminKey: creds, Stopped: "The import stopped short; run it again to go on."}, err
	}
	sum.NewAdminKey = creds
	return sum, nil
}

// openStore opens the store the job names. The local server's directory
// is locked first, so a running server (which holds the same lock) and
// the import never write it together.
func openStore(ctx context.Context, j job, set setting) (store, func(), error) {
	if j.kind == stack.StoreDynamoDB {
		db, err := awsdefault.NewDynamoClient(ctx, set.Dynamo)
		if err != nil {
			return nil, nil, err
		}
		return dynamo.New(db, set.Dynamo), func() {}, nil
	}
	path := filepath.Join(j.data, stack.DBFile)
	_, statErr := os.Stat(path)
	missing := errors.Is(statErr, os.ErrNotExist)
	if missing {
		if _, err := os.Stat(filepath.Join(j.data, stack.JournalFile)); err == nil {
			return nil, nil, fmt.Errorf("%s holds an older server's %s and no %s: start the local server on it once, so that it imports its log, then stop it and import", j.data, stack.JournalFile, stack.DBFile)
		}
	}
	if missing && j.dry {
		// Nothing to read, and a dry run creates nothing, not even the
		// database: an empty store in memory stands in for it.
		st, err := sqlite.Open(ctx, "")
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close() }, nil
	}
	lock, err := datalock.Acquire(j.data)
	if err != nil {
		return nil, nil, err
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		_ = lock.Release()
		return nil, nil, err
	}
	return st, func() { st.Close(); _ = lock.Release() }, nil
}
