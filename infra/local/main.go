package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/stack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exitCode(run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr)
	stop()
	os.Exit(code)
}

// exitCode maps run's result to the process's exit status: -h asked for
// the usage, which was printed, so it is a success.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	default:
		fmt.Fprintln(stderr, "keystorm:", err)
		return 1
	}
}

// usage is printed by -h, before the flags.
const usage = `Usage: go run ./infra/local [flags]

Serves the whole Keystorm API (management, OAuth, the authorizer in front
of every route, and the example API) on one address, on embedded SQLite
(DIR/keystorm.db with -data DIR, else in memory). On first start it creates
a tenant, an application and an admin API key, and prints them once: as
text, and as one JSON line for scripts.

Environment:
  DYNAMODB_ENDPOINT  use this DynamoDB (or DynamoDB Local) instead of the
                     local store; EVENTS_TABLE and VIEWS_TABLE name the
                     tables (default keystorm-events, keystorm-views)

Flags:
`

// limits bound what one client can hold of the server. API Gateway has
// its own limits in front of the functions; these stand in for them, so
// that a client sending half a request, or nothing at all, cannot keep a
// connection (and its goroutine) forever.
type limits struct {
	// readHeader bounds reading a request's line and headers, read the
	// whole request with its body (API Gateway's 10 MB at a slow pace),
	// write the time from the end of the headers to the end of the
	// answer (API Gateway gives an integration 29 s), and idle how long
	// a keep-alive connection may wait for its next request.
	readHeader, read, write, idle time.Duration
	// maxHeaderBytes is API Gateway's limit on the request line and
	// headers of a REST API (10 KiB; net/http allows 4 KiB of slack).
	maxHeaderBytes int
}

var defaultLimits = limits{readHeader: 10 * time.Second, read: 30 * time.Second, write: 60 * time.Second,
	idle: 60 * time.Second, maxHeaderBytes: 10 << 10}

// run serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return serve(ctx, args, stdout, stderr, defaultLimits)
}

// serve is run with the server's limits as a parameter, so tests can
// shorten them.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer, lim limits) error {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	addr := fs.String("addr", "127.0.0.1:3000", "listen `address`; port 0 picks a free port")
	publicURL := fs.String("public-url", "", "the `URL` every href, Location, token subject and account href starts with (default http:// and the listen address); the Host header of requests never counts")
	storeKind := fs.String("store", stack.StoreSQLite, "`store`: sqlite (starts at once from DIR/keystorm.db) or dynamodb (an embedded minidyn, the deployed functions' store, for fidelity runs; DYNAMODB_ENDPOINT implies it)")
	data := fs.String("data", "", "`directory` that keeps the data and the token signing keys across restarts: DIR/keystorm.db (sqlite; a DIR/events.jsonl of an older server is imported once) or the event log DIR/events.jsonl, replayed at every start (dynamodb); in memory when empty; unused with DYNAMODB_ENDPOINT")
	ttl := fs.Duration("auth-cache-ttl", 5*time.Second, "authorizer cache TTL: the bound within which a disabled key stops working (0 disables the cache)")
	quiet := fs.Bool("quiet", false, "log only warnings and errors (the credentials are still printed)")
	newAdminKey := fs.Bool("new-admin-key", false, "issue and print a new admin API key for the existing tenant, then serve: the recovery when a first start's key was lost (needs -data or DYNAMODB_ENDPOINT, since an in-memory store starts fresh anyway)")
	apps := fs.String("applications", "", "`ids` of the applications whose keys and tokens the example API accepts, separated by commas, or * for any (default: the bootstrap application)")
	consoleApp := fs.String("console-application", "", "application `id` the developer console at /console/ serves (default: the first application the example API is bound to)")
	tenant := fs.String("tenant-id", "", "tenant `id` for -new-admin-key when the store holds several tenants")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	kind := *storeKind
	if endpoint != "" {
		// The endpoint is a DynamoDB; an explicit -store sqlite beside
		// it is a contradiction, refused by the stack.
		explicit := false
		fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "store" })
		if !explicit {
			kind = stack.StoreDynamoDB
		}
	}
	if *newAdminKey && *data == "" && endpoint == "" {
		return errors.New("-new-admin-key needs -data DIR or DYNAMODB_ENDPOINT: an in-memory store has no tenant to recover")
	}
	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	// Listen before anything is written: a first start that cannot serve
	// must not create a tenant whose admin key nobody will see.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	listen := "http://" + ln.Addr().String()
	base := *publicURL
	if base == "" {
		base = listen
	}

	opts := stack.Options{Store: kind, DataDir: *data, AuthCacheTTL: *ttl, PublicURL: base, Log: log, Applications: authorizer.ParseApplications(*apps), ConsoleApplication: *consoleApp}
	if endpoint != "" {
		opts.Endpoint, opts.Tables = endpoint, dynamo.ConfigFromEnv()
	}
	s, err := stack.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer s.Close()
	var recovered *domain.Bootstrapped
	if *newAdminKey && s.Boot == nil {
		id, err := s.Store.OnlyTenant(ctx, *tenant)
		if err != nil {
			return err
		}
		b, err := s.Service.IssueAdminKey(ctx, id)
		if err != nil {
			return fmt.Errorf("new admin key: %w", err)
		}
		recovered = &b
	}
	base = strings.TrimRight(base, "/") // as the stack took it
	printBanner(stdout, listen, base, s, *data, endpoint, recovered)
	srv := &http.Server{Handler: s.Gateway,
		ReadHeaderTimeout: lim.readHeader, ReadTimeout: lim.read, WriteTimeout: lim.write, IdleTimeout: lim.idle,
		MaxHeaderBytes: lim.maxHeaderBytes,
		// net/http's own complaints (a panic, a bad TLS handshake) quote
		// request data: through the JSON handler, never a raw line.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

func printBanner(w io.Writer, listen, base string, s *stack.Stack, data, endpoint string, recovered *domain.Bootstrapped) {
	fmt.Fprintf(w, "Keystorm is serving on %s\n", listen)
	if base != listen {
		fmt.Fprintf(w, "Public URL (hrefs, Location, token subjects): %s\n", base)
	}
	switch {
	case s.SQLite != nil && s.DBPath == "":
		fmt.Fprintln(w, "Store: SQLite, in memory (use -data DIR to keep data)")
	case s.SQLite != nil && s.Imported > 0:
		fmt.Fprintf(w, "Store: SQLite at %s (imported %d events from %s once; the file is left in place)\n",
			s.DBPath, s.Imported, filepath.Join(data, stack.JournalFile))
	case s.SQLite != nil:
		fmt.Fprintf(w, "Store: SQLite at %s (opened, nothing replayed)\n", s.DBPath)
	case s.Embedded != nil && data == "":
		fmt.Fprintln(w, "Store: embedded DynamoDB, in memory (use -data DIR to keep data)")
	case s.Embedded != nil:
		fmt.Fprintf(w, "Store: embedded DynamoDB, event log in %s (%d events replayed)\n", data, s.Replayed)
	default:
		fmt.Fprintf(w, "Store: DynamoDB at %s\n", endpoint)
	}
	// Where password reset and verification mail goes; each message's
	// own log line says where it went (never its body: it holds a token).
	if s.OutboxPath != "" {
		fmt.Fprintf(w, "Mail: each message written as an .eml file to %s\n", s.OutboxPath)
	} else {
		fmt.Fprintln(w, "Mail: kept in memory (use -data DIR to get .eml files in DIR/outbox)")
	}
	if bound := s.Authorizer.Applications; len(bound) > 0 {
		fmt.Fprintf(w, "Example API bound to application %s\n", strings.Join(bound, ", "))
	} else {
		fmt.Fprintln(w, "Example API bound to no application: it refuses every key (use -applications)")
	}
	if s.ConsoleApplication != "" {
		fmt.Fprintf(w, "Developer console for application %s: %s/console\n", s.ConsoleApplication, strings.TrimRight(base, "/"))
	} else {
		fmt.Fprintln(w, "Developer console: no application (use -console-application)")
	}
	b := s.Boot
	switch {
	case b != nil:
		fmt.Fprint(w, "\nFirst start: created a tenant, an application and an admin API key.\n")
	case recovered != nil:
		b = recovered
		fmt.Fprint(w, "\n-new-admin-key: issued a new admin API key for the existing tenant.\n")
	default:
		fmt.Fprintln(w, "Existing tenant: its admin key was printed when it was created (lost it? restart with -new-admin-key).")
		return
	}
	c := b.Credentials(base)
	fmt.Fprintf(w, `The secret is shown only now; keep it.

  tenant        %s
  application   %s
  apiKeyId      %s
  apiKeySecret  %s

Try: curl --user %s:%s %s/v1/tenants/current -L

`, c.Tenant, c.Application, c.APIKeyID, c.APIKeySecret, c.APIKeyID, c.APIKeySecret, base)
	line, _ := json.Marshal(c)
	fmt.Fprintf(w, "%s\n", line)
}
