package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/console"
	"github.com/keystorm/keystorm/infra/datalock"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/embedded"
	"github.com/keystorm/keystorm/infra/example"
	"github.com/keystorm/keystorm/infra/gateway"
	"github.com/keystorm/keystorm/infra/httpapi"
	"github.com/keystorm/keystorm/infra/journal"
	"github.com/keystorm/keystorm/infra/mail/outbox"
	"github.com/keystorm/keystorm/infra/projector"
	"github.com/keystorm/keystorm/infra/sqlite"
	"github.com/keystorm/keystorm/infra/template"
	"github.com/keystorm/keystorm/infra/tokens"
	"github.com/keystorm/keystorm/infra/usage"
)

// TokenIssuer and TokenAudience go into (and are checked on) every access
// token the local stack issues.
const (
	TokenIssuer   = "https://keystorm.local"
	TokenAudience = "keystorm"
	// LocalKeyRotation is how old the signing key may get before a start
	// of the local server rotates it.
	LocalKeyRotation = 30 * 24 * time.Hour
)

// The stores a stack runs on (Options.Store).
const (
	// StoreSQLite is the local server's default (its -store flag):
	// embedded SQLite, DataDir/keystorm.db or in memory. It starts
	// without replaying anything.
	StoreSQLite = "sqlite"
	// StoreDynamoDB is the deployed functions' store, for fidelity runs:
	// the embedded minidyn (with DataDir, its event log is replayed at
	// every start through infra/journal) or Endpoint.
	StoreDynamoDB = "dynamodb"
)

// DBFile and JournalFile are the names of the SQLite database and of the
// DynamoDB store's event log inside Options.DataDir.
const (
	DBFile      = "keystorm.db"
	JournalFile = "events.jsonl"
)

// Options configure a stack. Zero values mean production defaults.
type Options struct {
	// Store is StoreSQLite or StoreDynamoDB. Empty means DynamoDB, the
	// production store, as every zero value here means production: the
	// end-to-end tests of other packages (infra/backend's outage test
	// fails minidyn's tables) keep the store they were written for, and
	// the local server asks for SQLite through its -store flag.
	Store string
	// DataDir keeps the data across restarts: DataDir/keystorm.db with
	// SQLite, the event log DataDir/events.jsonl with the embedded
	// DynamoDB, and the token signing keys with either. Ignored with
	// Endpoint, whose server keeps its own data.
	DataDir string
	// Endpoint points at a DynamoDB-compatible server instead of the
	// embedded one (DYNAMODB_ENDPOINT).
	Endpoint string
	// Tables names the tables when Endpoint is set.
	Tables dynamo.Config
	// Template is the path of template.yaml; found by walking up from the
	// working directory when empty.
	Template string
	// AuthCacheTTL is the authorizer's cache TTL; 0 disables the cache
	// (the local server's flag defaults to 5 s, as deployed).
	AuthCacheTTL time.Duration
	// PublicURL is the base of every href, Location, token subject and
	// authorizer account href, as PublicBaseUrl is on AWS (the local
	// server's -public-url, by default http:// and its listen address).
	// Required: the only other source would be the client's Host header,
	// which anyone can forge.
	PublicURL string
	// Applications binds the example API (and any API without its own
	// keystormApplications stage variable): only keys and tokens of these
	// applications pass. Nil means the bootstrap application (see
	// Stack.binding), as the local server's -applications flag defaults.
	Applications []string
	Clock        domain.Clock
	Hasher       domain.PasswordHasher
	Log          *slog.Logger
	// Mailer sends the password reset and verification mails. Nil means
	// the local outbox (infra/mail/outbox): .eml files in
	// DataDir/outbox, or in memory without DataDir (Stack.Outbox).
	Mailer domain.Mailer
	// MailFrom is the outbox's sender; empty means LocalMailFrom.
	MailFrom string
	// ConsoleApplication is the application the developer console at
	// /console serves (the local server's -console-application). Empty
	// means the first application the example API is bound to.
	ConsoleApplication string
}

// LocalMailFrom is the local outbox's default sender.
const LocalMailFrom = "Keystorm <no-reply@keystorm.local>"

// OutboxDir is where the local server writes mail under its data
// directory.
const OutboxDir = "outbox"

// Backend is what the stack needs of its store beyond domain.Store, and
// what both infra/dynamo and infra/sqlite provide, so that nothing here
// depends on which one runs.
type Backend interface {
	domain.Store
	// Empty reports a store without events: a first start, which
	// bootstraps.
	Empty(ctx context.Context) (bool, error)
	// Tenants lists the live tenants, for binding the example API on a
	// restart.
	Tenants(ctx context.Context) ([]string, error)
	// OnlyTenant picks the tenant -new-admin-key recovers.
	OnlyTenant(ctx context.Context, want string) (string, error)
	// ReadEvents returns the log, for tests and tools that count events.
	ReadEvents(ctx context.Context) (map[string][]events.Envelope, error)
	// UsageStore keeps the keys' verification counts.
	domain.UsageStore
}

// Stack is a running API.
type Stack struct {
	Gateway *gateway.Gateway
	Service *domain.Service
	// Store is the store in use, whichever it is.
	Store Backend
	// Dynamo is set on the DynamoDB store (embedded or Endpoint), SQLite
	// on the SQLite store: for what only one of them has, such as
	// minidyn's fault injection on Dynamo's tables.
	Dynamo *dynamo.Store
	SQLite *sqlite.Store
	// DBPath is the SQLite database file; empty when in memory.
	DBPath   string
	Embedded *embedded.Server
	// Counter counts DynamoDB calls; it stays at zero on SQLite.
	Counter    *dynamo.Counter
	Authorizer *authorizer.Handler
	// Feed delivers every commit's events to the projector in-process,
	// and Plans are the usage plans it keeps for the gateway.
	Feed  *projector.Feed
	Plans *gateway.Plans
	// Sweeps is the projection that finishes large cascades as their
	// deletes' events arrive (Paused by tests that stop a sweep midway).
	Sweeps *domain.SweepProjection
	// stopSync and synced end and await the start's plan fill.
	stopSync context.CancelFunc
	synced   chan struct{}
	// Usage counts key verifications; Close flushes it.
	Usage *usage.Recorder
	// Outbox is the local mailer when Options.Mailer was nil; OutboxPath
	// its directory ("" when it keeps mail in memory).
	Outbox     *outbox.Outbox
	OutboxPath string
	// ConsoleApplication is the application /console serves ("" when
	// there is none: the console then says how to name one).
	ConsoleApplication string
	// Boot is set when this start created the tenant (first start).
	Boot *domain.Bootstrapped
	// Replayed counts the journal events loaded at start (embedded
	// DynamoDB with DataDir); SQLite never replays, so it stays 0 there.
	Replayed int
	// Imported counts the events of DataDir/events.jsonl imported into a
	// new SQLite database at this start: non-zero only once per database.
	Imported int
	journal  *journal.Store
	// lock holds DataDir against other processes until Close.
	lock *datalock.Lock
}

// FindTemplate walks up from dir to the nearest template.yaml.
func FindTemplate(dir string) (string, error) {
	for {
		p := filepath.Join(dir, "template.yaml")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("template.yaml not found in any parent directory")
		}
		dir = parent
	}
}

// Start builds and starts a stack.
func Start(ctx context.Context, o Options) (*Stack, error) {
	// Checked before anything is written: a first start with a bad URL
	// must not create a tenant.
	base, err := httpapi.ParseBaseURL(o.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("public URL: %w", err)
	}
	public, _ := url.Parse(base)
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = domain.SystemClock
	}
	if o.Template == "" {
		wd, _ := os.Getwd()
		p, err := FindTemplate(wd)
		if err != nil {
			return nil, err
		}
		o.Template = p
	}
	tmpl, err := template.LoadTemplate(o.Template)
	if err != nil {
		return nil, err
	}
	routes := tmpl.Routes
	s := &Stack{Counter: &dynamo.Counter{}}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	kind := o.Store
	if kind == "" {
		kind = StoreDynamoDB
	}
	var store domain.Store
	switch {
	case kind == StoreSQLite && o.Endpoint != "":
		return nil, errors.New("a DynamoDB endpoint was given with the SQLite store: pick one")
	case kind != StoreSQLite && kind != StoreDynamoDB:
		return nil, fmt.Errorf("unknown store %q (want %s or %s)", kind, StoreSQLite, StoreDynamoDB)
	case o.DataDir != "" && o.Endpoint == "":
		// One process per data directory: the importer takes the same
		// lock (infra/datalock says why).
		if s.lock, err = datalock.Acquire(o.DataDir); err != nil {
			return nil, err
		}
	}
	if kind == StoreSQLite {
		store, err = s.openSQLite(ctx, o.DataDir)
	} else {
		store, err = s.openDynamo(ctx, o)
	}
	if err != nil {
		return nil, err
	}
	// The projector gets every commit's events in-process (the DynamoDB
	// stream's stand-in), and keeps the local gateway's usage plans.
	s.Plans = &gateway.Plans{}
	proj := &projector.Projector{Log: o.Log}
	s.Feed = projector.NewFeed(store, proj)
	store = s.Feed
	s.Service = domain.NewService(store)
	s.Service.Usage = s.Store
	if s.SQLite != nil {
		s.Service.Log = s.SQLite
	} else {
		s.Service.Log = s.Dynamo.EventLog()
	}
	// Verifications are counted in memory and written a key at a time,
	// at most once a minute, as the deployed authorizer does.
	s.Usage = &usage.Recorder{Store: s.Store, Clock: o.Clock, OnError: func(err error) { o.Log.Warn("usage flush failed", "err", err) }}
	s.Sweeps = &domain.SweepProjection{Service: s.Service}
	proj.Projections = []domain.Projection{&domain.PlanSync{Store: s.Store, Plans: s.Plans}, s.Sweeps}
	s.Service.Clock = o.Clock
	if o.Hasher != nil {
		s.Service.Hasher = o.Hasher
	}
	s.Service.Mailer = o.Mailer
	if o.Mailer == nil {
		from := o.MailFrom
		if from == "" {
			from = LocalMailFrom
		}
		if o.DataDir != "" {
			s.OutboxPath = filepath.Join(o.DataDir, OutboxDir)
		}
		s.Outbox = outbox.New(s.OutboxPath, from, o.Clock, o.Log)
		s.Service.Mailer = s.Outbox
	}
	// A store that holds an imported journal is not empty: no bootstrap.
	empty, err := s.Store.Empty(ctx)
	if err != nil {
		return nil, err
	}
	if empty {
		b, err := s.Service.Bootstrap(ctx, domain.BootstrapInput{})
		if err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
		s.Boot = &b
	}
	// The local server is its own sweeper too: a large cascade that a
	// stop cut short (domain/sweep.go) finishes at the next start, as the
	// scheduled sweep function finishes it on AWS.
	if n, err := s.Service.Sweep(ctx); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	} else if n > 0 {
		o.Log.Info("finished interrupted cascades", "parents", n)
	}
	// The plans live in memory: fill them from the read model, as the
	// redelivery of every event would. In the background: it reads every
	// key (seconds at thousands of keys on the embedded DynamoDB), and
	// meanwhile a key is not throttled, as a key the projector has not
	// reached yet is not on AWS. The feed holds the events committed
	// meanwhile until the fill is done, so that a Put of the fill from an
	// older read cannot land after them.
	tenants, err := s.Store.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	syncCtx, cancel := context.WithCancel(context.Background())
	s.stopSync, s.synced = cancel, make(chan struct{})
	release := s.Feed.Hold() // events committed meanwhile apply after the fill
	go func() {
		defer close(s.synced)
		defer release()
		if err := (&domain.PlanSync{Store: s.Store, Plans: s.Plans}).SyncAll(syncCtx, tenants); err != nil && syncCtx.Err() == nil {
			o.Log.Error("usage plans not filled at start; keys are not throttled until their next change", "err", err)
		}
	}()
	// OAuth: signing keys live with the local data (or in memory), and the
	// authorizer verifies Bearer tokens against the same keys' public
	// halves, as the deployed authorizer does through the JWKS.
	keyDir := ""
	if o.DataDir != "" && o.Endpoint == "" {
		keyDir = o.DataDir
	}
	keys := tokens.NewFileStore(keyDir, o.Clock)
	// The local server is its own single rotator: at each start the key
	// rotates when due, as the scheduled rotation function does on AWS.
	if _, _, err := tokens.RotateStore(ctx, keys, o.Clock.Now(), LocalKeyRotation); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	verifier := tokens.NewVerifier(tokens.StoreKeys{Store: keys}, TokenIssuer, TokenAudience, o.Clock)
	apps, err := s.binding(ctx, o.Applications)
	if err != nil {
		return nil, err
	}
	s.Authorizer = authorizer.New(s.Store, o.Clock, authorizer.Config{CacheTTL: o.AuthCacheTTL, Verifier: verifier, BaseURL: base, Applications: apps, Usage: s.Usage})
	// The authenticate endpoint decides exactly as the authorizer does.
	api := &httpapi.API{Svc: s.Service, Decider: s.Authorizer.Decider, AuthCacheTTL: o.AuthCacheTTL}
	// httpapi.Proxy, as every function's wiring (infra/runtime) uses it.
	fns := map[string]gateway.ProxyFunc{"example": gateway.ProxyFunc(httpapi.Proxy(example.Handler(), base))}
	for _, fam := range httpapi.Families {
		fns[fam] = gateway.ProxyFunc(httpapi.Proxy(api.Handler(fam), base))
	}
	api.Tokens = &domain.TokenService{Store: store, Signer: tokens.NewSigner(keys, o.Clock), Verifier: verifier,
		Throttle: domain.NewThrottle(o.Clock), Clock: o.Clock, IDs: s.Service.IDs, Issuer: TokenIssuer, Audience: TokenAudience, Accounts: s.Service, Usage: s.Usage}
	api.JWKS = func(ctx context.Context) ([]byte, error) {
		ring, err := keys.Load(ctx)
		if err != nil {
			return nil, err
		}
		return tokens.JWKS(ring)
	}
	fns[httpapi.OAuthFamily] = gateway.ProxyFunc(httpapi.Proxy(api.Handler(httpapi.OAuthFamily), base))
	// The developer console, on the same token service: its sessions
	// are the password grant's, checked with no cache.
	s.ConsoleApplication = o.ConsoleApplication
	if s.ConsoleApplication == "" && len(apps) > 0 && apps[0] != "*" {
		s.ConsoleApplication = apps[0]
	}
	ch, err := s.console(api.Tokens, verifier, base, o.Log)
	if err != nil {
		return nil, err
	}
	fns["console"] = gateway.ProxyFunc(httpapi.Proxy(ch, base))
	s.Gateway = gateway.New(routes, fns, s.Authorizer.HandleRequest)
	s.Gateway.DomainName = public.Host
	s.Gateway.StageVariables = map[string]map[string]string{}
	for id, api := range tmpl.APIs {
		s.Gateway.StageVariables[id] = api.Variables
	}
	s.Gateway.Log = o.Log
	s.Gateway.Plans, s.Gateway.Limiter = s.Plans, &domain.RateLimiter{Clock: o.Clock}
	ok = true
	return s, nil
}

// openSQLite opens dataDir/keystorm.db, or an in-memory database when
// dataDir is empty. A new database next to an events.jsonl (the data of a
// server that ran on the embedded DynamoDB) imports it, once: Import does
// nothing to a database that holds events, and the file is left in place,
// untouched, for -store dynamodb or for going back.
func (s *Stack) openSQLite(ctx context.Context, dataDir string) (domain.Store, error) {
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, err
		}
		s.DBPath = filepath.Join(dataDir, DBFile)
	}
	db, err := sqlite.Open(ctx, s.DBPath)
	if err != nil {
		return nil, err
	}
	s.SQLite, s.Store = db, db
	if dataDir == "" {
		return db, nil
	}
	// Checked before the file is read, so that a restart (the database
	// holds events) does not even open events.jsonl.
	empty, err := db.Empty(ctx)
	if err != nil || !empty {
		return db, err
	}
	file := filepath.Join(dataDir, JournalFile)
	envs, err := journal.Read(file)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", file, err)
	}
	if len(envs) == 0 {
		return db, nil
	}
	stats, imported, err := db.Import(ctx, envs)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", file, err)
	}
	if imported {
		s.Imported = stats.Events
	}
	return db, nil
}

// openDynamo connects to o.Endpoint or starts the embedded minidyn; with
// DataDir, the embedded store's event log is replayed, then journaled.
func (s *Stack) openDynamo(ctx context.Context, o Options) (domain.Store, error) {
	cfg := o.Tables
	var err error
	if o.Endpoint != "" {
		cfg.Endpoint = o.Endpoint
		if cfg.EventsTable == "" || cfg.ViewsTable == "" {
			d := dynamo.ConfigFromEnv()
			cfg.EventsTable, cfg.ViewsTable = d.EventsTable, d.ViewsTable
		}
	} else {
		if s.Embedded, err = embedded.Start(""); err != nil {
			return nil, err
		}
		cfg = s.Embedded.Config()
	}
	db, err := dynamo.NewClient(ctx, cfg, s.Counter)
	if err != nil {
		return nil, err
	}
	s.Dynamo = dynamo.New(db, cfg)
	s.Store = s.Dynamo
	if err := s.Dynamo.EnsureTables(ctx); err != nil {
		return nil, err
	}
	if o.DataDir == "" || s.Embedded == nil {
		return s.Dynamo, nil
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, err
	}
	file := filepath.Join(o.DataDir, JournalFile)
	if s.Replayed, err = journal.Load(ctx, s.Dynamo, file); err != nil {
		return nil, fmt.Errorf("replay %s: %w", file, err)
	}
	if s.journal, err = journal.Open(s.Dynamo, file); err != nil {
		return nil, err
	}
	return s.journal, nil
}

// PlansFilled waits until the usage plans hold every limited key as of
// the start (the fill runs in the background), or ctx ends.
func (s *Stack) PlansFilled(ctx context.Context) error {
	select {
	case <-s.synced:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the embedded store and closes the journal and the database.
func (s *Stack) Close() {
	if s.stopSync != nil {
		s.stopSync()
		<-s.synced
	}
	if s.Usage != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.Usage.Flush(ctx); err != nil {
			slog.Warn("usage counts not flushed at close", "err", err)
		}
		cancel()
	}
	if s.Feed != nil {
		s.Feed.Close()
	}
	if s.journal != nil {
		_ = s.journal.Close()
	}
	if s.SQLite != nil {
		_ = s.SQLite.Close()
	}
	if s.Embedded != nil {
		_ = s.Embedded.Close()
	}
	_ = s.lock.Release()
}

// console is the developer console's handler for ConsoleApplication, or,
// without one, a page saying how to name one.
func (s *Stack) console(tok *domain.TokenService, verifier domain.TokenVerifier, base string, log *slog.Logger) (http.Handler, error) {
	if s.ConsoleApplication == "" {
		return console.NotConfigured("start the server with -console-application ID."), nil
	}
	return console.New(console.Config{Service: s.Service, Tokens: tok, ApplicationID: s.ConsoleApplication, Log: log,
		TryURL:   base + "/troopers/{username}/equipment",
		Sessions: &domain.TokenAuthenticator{Store: s.Feed, Verifier: verifier, Clock: s.Service.Clock}})
}
